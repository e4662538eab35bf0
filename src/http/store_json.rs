//! Reading a store's JSON where the store prints something before it.
//!
//! With `WP_DEBUG_DISPLAY` on, PHP prints notices (`<br />\n<b>Deprecated</b>: ...`) before
//! every answer, and a plugin file saved with a UTF-8 byte-order mark puts `EF BB BF` there;
//! status, headers and the JSON after them are intact, and WooCommerce works. So the JSON is
//! found after such a prefix, and the prefix is described so the user can stop it.

use serde_json::Value;

/// Candidate starts tried before giving up: a notice may hold `[` or `{` of its own.
const MAX_STARTS: usize = 64;
/// How much of a notice a note shows.
const SHOWN_CHARS: usize = 120;

/// What a store printed before its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Junk {
    /// A UTF-8 byte-order mark.
    ByteOrderMark,
    /// Text, e.g. a PHP notice: its first line, tags removed and shortened.
    Text(String),
}

impl Junk {
    /// A note for the user: what the store prints and how to stop it, with the account's
    /// credentials taken out of the store's text (a plugin may print the request it got, query
    /// string and all).
    pub fn note(&self, credentials: &crate::domain::keys::Credentials) -> String {
        match self {
            Junk::ByteOrderMark => "The store puts a UTF-8 byte-order mark (BOM) before its answers, usually from a plugin, theme or wp-config.php file saved with one; woolink reads past it, other tools may not. Save that file again without a BOM (\"UTF-8\", not \"UTF-8 with BOM\").".to_owned(),
            Junk::Text(text) => format!(
                "The store prints \"{}\" before its answers (PHP notices shown because WP_DEBUG_DISPLAY is on); woolink reads past it, other tools may not. In wp-config.php set define('WP_DEBUG_DISPLAY', false); and fix or update the code the notice names.",
                crate::domain::redact::in_answer(text, credentials)
            ),
        }
    }
}

/// The JSON document in `body`, and what came before it if anything did.
pub fn parse(body: &[u8]) -> Option<(Value, Option<Junk>)> {
    if let Ok(value) = serde_json::from_slice(body) {
        return Some((value, None));
    }
    let bom = crate::domain::bom::starts(body);
    let rest = crate::domain::bom::strip(body);
    for start in json_starts(rest) {
        let prefix = &rest[..start];
        if let Ok(value) = serde_json::from_slice::<Value>(&rest[start..]) {
            let junk = match describe(prefix) {
                Some(text) => Junk::Text(text),
                None if bom => Junk::ByteOrderMark,
                // Only whitespace before the JSON: nothing worth a note.
                None => return Some((value, None)),
            };
            return Some((value, Some(junk)));
        }
    }
    None
}

/// Where in `text` (after any byte-order mark) a JSON document may start after junk: each `{`
/// or `[`, up to [`MAX_STARTS`], but for those inside a JSON document: `[{"id":11,...}` cut
/// short just after its first item is not a notice `[` and an object. Notices begin and end
/// as text (`<br />`, `Notice:`), never with JSON's punctuation.
pub fn json_starts(text: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let inside_json = |prefix: &[u8]| {
        let trimmed = prefix.trim_ascii();
        matches!(trimmed.first(), Some(b'{' | b'['))
            || matches!(trimmed.last(), Some(b'{' | b'[' | b',' | b':'))
    };
    (0..text.len())
        .filter(|&at| matches!(text[at], b'{' | b'['))
        .filter(move |&at| !inside_json(&text[..at]))
        .take(MAX_STARTS)
}

/// The first line of text in `prefix`, HTML tags and control characters removed, shortened.
pub fn describe(prefix: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(prefix);
    let mut plain = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if in_tag => {}
            c if c.is_control() => plain.push(if c == '\n' { '\n' } else { ' ' }),
            c => plain.push(c),
        }
    }
    let line = plain.lines().map(str::trim).find(|line| !line.is_empty())?;
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(if line.chars().count() > SHOWN_CHARS {
        let cut: String = line.chars().take(SHOWN_CHARS).collect();
        format!("{}…", cut.trim_end())
    } else {
        line
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_json_after_what_stores_print() {
        let notice = "<br />\n<b>Deprecated</b>:  Function create_function() is deprecated in <b>/var/www/a.php</b> on line <b>12</b><br />\n";
        let cases: Vec<(Vec<u8>, Option<Junk>)> = vec![
            (b"[1]".to_vec(), None),
            (b"  \n[1]".to_vec(), None),
            (b"\xEF\xBB\xBF[1]".to_vec(), Some(Junk::ByteOrderMark)),
            (
                format!("{notice}[1]").into_bytes(),
                Some(Junk::Text(
                    "Deprecated: Function create_function() is deprecated in /var/www/a.php on line 12"
                        .into(),
                )),
            ),
            (
                b"Warning: Undefined array key [x] in {closure}\n[1]".to_vec(),
                Some(Junk::Text("Warning: Undefined array key [x] in {closure}".into())),
            ),
        ];
        for (body, junk) in cases {
            let (value, found) = parse(&body).unwrap();
            assert_eq!(value, json!([1]));
            assert_eq!(found, junk, "{}", String::from_utf8_lossy(&body));
        }
    }

    #[test]
    fn a_note_never_repeats_the_credentials_a_store_echoed() {
        use crate::accounts::credstore::tests::{KEY, SECRET, creds};
        let junk = Junk::Text(format!(
            "Notice: Undefined index: x in /a.php; GET /wp-json/wc/v3/?consumer_key={KEY}&consumer_secret={SECRET}"
        ));
        let note = junk.note(&creds(SECRET));
        assert!(!note.contains(SECRET), "{note}");
        assert!(!note.contains(KEY), "{note}");
        assert!(note.contains("consumer_secret=[redacted]"), "{note}");
    }

    #[test]
    fn no_json_is_no_json() {
        for body in [
            &b"<html>hi</html>"[..],
            b"",
            b"\xEF\xBB\xBF",
            b"Notice: x [1",
            // Cut short just after an item: not junk and an object.
            b"[{\"id\":11}",
            b"[{\"id\":11},{\"id\":12}",
            b"<br />Notice\n[{\"id\":11}",
        ] {
            assert_eq!(parse(body), None);
        }
    }

    #[test]
    fn a_long_notice_is_shortened_and_controls_removed() {
        let body = format!("\x1b]52;c;AAAA\x07{}\n[1]", "x".repeat(500));
        let Some((_, Some(Junk::Text(text)))) = parse(body.as_bytes()) else {
            panic!("junk expected");
        };
        assert!(text.chars().count() <= SHOWN_CHARS + 1, "{text}");
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    }
}
