//! WooCommerce REST API credentials: the consumer key and the consumer secret.
//!
//! Both are parsed at the boundary (flags, environment, prompts, files) into types that are
//! known to be well formed, so that a mistyped or mispasted value is explained before any
//! network call. The secret lives in a type that cannot be printed or serialized.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// Both WooCommerce key parts are a 3-character prefix and 40 lowercase hex digits.
pub const HEX_LEN: usize = 40;
const FULL_LEN: usize = 3 + HEX_LEN;
/// WooCommerce admin shows "Consumer key ending in" plus this many characters.
pub const KEY_SUFFIX_LEN: usize = 7;

/// Which of the two credential parts a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Key,
    Secret,
}

impl Part {
    fn prefix(self) -> &'static str {
        match self {
            Part::Key => "ck_",
            Part::Secret => "cs_",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Part::Key => "consumer key",
            Part::Secret => "consumer secret",
        }
    }

    fn other(self) -> Part {
        match self {
            Part::Key => Part::Secret,
            Part::Secret => Part::Key,
        }
    }
}

/// Why a pasted key or secret is not a WooCommerce credential. Messages never repeat a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the {} is empty", .0.noun())]
    Empty(Part),
    #[error(
        "the {} starts with \"{}\": the consumer key and the consumer secret look swapped; the key starts with ck_ and the secret with cs_",
        .0.noun(), .0.other().prefix()
    )]
    Swapped(Part),
    #[error(
        "the {} looks like a WordPress application password, not a WooCommerce REST API key; create a key under WooCommerce > Settings > Advanced > REST API",
        .0.noun()
    )]
    ApplicationPassword(Part),
    #[error(
        "the {} looks shortened (it contains \"…\" or \"...\"); copy the whole value from WooCommerce > Settings > Advanced > REST API (a key is shown only once, when it is created)",
        .0.noun()
    )]
    Truncated(Part),
    #[error("the {} must start with \"{}\"", .0.noun(), .0.prefix())]
    WrongPrefix(Part),
    #[error(
        "the {} has {found} characters; a WooCommerce {} has {FULL_LEN} (\"{}\" and 40 hex digits): check that it was copied whole",
        .part.noun(), .part.noun(), .part.prefix()
    )]
    WrongLength { part: Part, found: usize },
    #[error("the {} contains spaces or line breaks inside it; copy it again as one piece", .0.noun())]
    InnerWhitespace(Part),
    /// A character that shows as nothing: pasted from a web page, a chat or a document along
    /// with the value. Named, so the person knows what to look for.
    #[error(
        "the {} contains an invisible character, a {name} (U+{code:04X}), at position {position} of {length}; it was probably copied along from a web page, chat or document: remove it, or copy the value again from WooCommerce > Settings > Advanced > REST API",
        .part.noun()
    )]
    Invisible {
        part: Part,
        name: &'static str,
        code: u32,
        /// 1-based, in characters, counting the invisible ones.
        position: usize,
        length: usize,
    },
    #[error(
        "the {} has a character that is not a hex digit at position {position}; a WooCommerce {} is \"{}\" and 40 characters 0-9 and a-f",
        .part.noun(), .part.noun(), .part.prefix()
    )]
    NotHex { part: Part, position: usize },
}

/// Strips what copying commonly adds around a value: white space and a pair of quotes.
pub fn trim_pasted(input: &str) -> &str {
    // A byte-order mark from a file saved by Notepad or PowerShell 5 is not part of the value.
    let trimmed = crate::domain::bom::strip_str(input.trim_start()).trim();
    let pairs = [('"', '"'), ('\'', '\''), ('`', '`'), ('<', '>')];
    let quoted = pairs
        .into_iter()
        .find_map(|(open, close)| trimmed.strip_prefix(open)?.strip_suffix(close));
    quoted.map_or(trimmed, str::trim)
}

/// Checks one credential part, and gives it without what copying added around it. Pure:
/// decides only from the text.
fn check(part: Part, input: &str) -> Result<&str, KeyError> {
    let value = trim_pasted(input);
    if value.is_empty() {
        return Err(KeyError::Empty(part));
    }
    let invisible_at = value
        .chars()
        .enumerate()
        .find_map(|(i, c)| Some((i, c, invisible(c)?)));
    if let Some((index, c, name)) = invisible_at {
        return Err(KeyError::Invisible {
            part,
            name,
            code: u32::from(c),
            position: index + 1,
            length: value.chars().count(),
        });
    }
    if value.contains('…') || value.contains("...") {
        return Err(KeyError::Truncated(part));
    }
    if value.starts_with(part.other().prefix()) {
        return Err(KeyError::Swapped(part));
    }
    if looks_like_application_password(value) {
        return Err(KeyError::ApplicationPassword(part));
    }
    if value.chars().any(char::is_whitespace) {
        return Err(KeyError::InnerWhitespace(part));
    }
    let Some(hex) = value.strip_prefix(part.prefix()) else {
        return Err(KeyError::WrongPrefix(part));
    };
    let found = value.chars().count();
    if found != FULL_LEN {
        return Err(KeyError::WrongLength { part, found });
    }
    if let Some(index) = hex
        .chars()
        .position(|c| !matches!(c, '0'..='9' | 'a'..='f'))
    {
        return Err(KeyError::NotHex {
            part,
            position: part.prefix().len() + index + 1,
        });
    }
    Ok(value)
}

/// What an invisible character is called, when `c` is one: a character that takes no room
/// where a key is pasted, so a person cannot see it to remove it. Not Unicode's whole Default
/// Ignorable set, but what copying from web pages, chats and word processors brings along:
/// zero-width spaces and joiners, the byte-order mark, the soft hyphen, direction marks and
/// embeddings, the blank "letters" (Hangul fillers, the blank Braille pattern), variation
/// selectors and tags, and control characters. White space is named on its own (see
/// [`KeyError::InnerWhitespace`]).
fn invisible(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{200B}' => "zero-width space",
        '\u{200C}' => "zero-width non-joiner",
        '\u{200D}' => "zero-width joiner",
        '\u{2060}' => "word joiner",
        '\u{FEFF}' => "zero-width no-break space (byte-order mark)",
        '\u{00AD}' => "soft hyphen",
        '\u{034F}' => "combining grapheme joiner",
        '\u{180E}' => "Mongolian vowel separator",
        '\u{200E}' => "left-to-right mark",
        '\u{200F}' => "right-to-left mark",
        '\u{061C}' => "Arabic letter mark",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "text direction control",
        '\u{2061}'..='\u{2064}' => "invisible mathematical operator",
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' => "Hangul filler",
        '\u{2800}' => "blank Braille pattern",
        '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' => "variation selector",
        '\u{E0000}'..='\u{E007F}' => "tag character",
        c if c.is_control() && !c.is_whitespace() => "control character",
        _ => return None,
    })
}

/// WordPress application passwords are 24 letters and digits, shown in groups of four.
fn looks_like_application_password(value: &str) -> bool {
    let compact: String = value.chars().filter(|c| *c != ' ').collect();
    let grouped = value.split(' ').all(|group| group.len() == 4) && value.contains(' ');
    compact.len() == 24 && compact.chars().all(|c| c.is_ascii_alphanumeric()) && grouped
}

/// A checked consumer key (`ck_` + 40 hex). Not a secret, but shown only by its last 7
/// characters, the way WooCommerce admin shows it, so a user can match it to the store.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsumerKey(String);

impl ConsumerKey {
    pub fn parse(input: &str) -> Result<Self, KeyError> {
        Ok(Self(check(Part::Key, input)?.to_owned()))
    }

    /// The full key, for the wire and the credential store only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last 7 characters, as WooCommerce admin shows them.
    pub fn suffix(&self) -> &str {
        &self.0[self.0.len() - KEY_SUFFIX_LEN..]
    }

    /// `ck_…1a2b3c4`
    pub fn masked(&self) -> String {
        masked_key(self.suffix())
    }
}

/// Formats a key suffix the one way woolink shows keys.
pub fn masked_key(suffix: &str) -> String {
    format!("ck_…{suffix}")
}

impl fmt::Display for ConsumerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for ConsumerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConsumerKey({})", self.masked())
    }
}

/// A checked consumer secret. It has no `Display`, its `Debug` is redacted, it cannot be
/// serialized, and its memory is zeroed on drop; `expose` marks each place it leaves.
#[derive(Clone, Debug)]
pub struct ConsumerSecret(SecretString);

impl ConsumerSecret {
    pub fn parse(input: &str) -> Result<Self, KeyError> {
        Ok(Self(SecretString::from(check(Part::Secret, input)?)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// A key and its secret, which are only ever stored and sent together, with the web server's
/// own login where the site has one.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub key: ConsumerKey,
    pub secret: ConsumerSecret,
    pub site: Option<SiteLogin>,
}

/// The web server's own password in front of a whole site (HTTP Basic, as nginx `auth_basic`
/// or Apache `.htpasswd` ask for it on staging sites). Not a WooCommerce credential, but a
/// secret all the same: no `Display`, a redacted `Debug`, zeroed on drop.
#[derive(Clone, Debug)]
pub struct SiteLogin {
    user: String,
    password: SecretString,
}

impl SiteLogin {
    /// A user name HTTP Basic can carry (no `:`, no control character) and a password.
    pub fn new(user: &str, password: &str) -> Result<Self, String> {
        if user.is_empty() || user.contains(':') || user.chars().any(char::is_control) {
            return Err(
                "the site user name must be non-empty, without \":\" or control characters"
                    .to_owned(),
            );
        }
        if password.is_empty() {
            return Err("the site password is empty".to_owned());
        }
        Ok(Self {
            user: user.to_owned(),
            password: SecretString::from(password),
        })
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// The password, for the wire and the credential store only.
    pub fn expose_password(&self) -> &str {
        self.password.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex40() -> impl Strategy<Value = String> {
        "[0-9a-f]{40}"
    }

    proptest! {
        #[test]
        fn checks_never_panic(input in "\\PC{0,80}") {
            let _ = check(Part::Key, &input);
            let _ = check(Part::Secret, &input);
            if let Ok(key) = ConsumerKey::parse(&input) {
                prop_assert_eq!(key.suffix().len(), KEY_SUFFIX_LEN);
            }
        }

        #[test]
        fn every_well_formed_key_and_secret_is_accepted_whatever_surrounds_it(
            key in hex40(),
            secret in hex40(),
            wrap in prop::sample::select(vec![("", ""), ("  ", "\n"), ("\"", "\""), ("'", "'"), ("<", ">"), ("`", "`")]),
        ) {
            let key = format!("ck_{key}");
            let secret = format!("cs_{secret}");
            let parsed = ConsumerKey::parse(&format!("{}{key}{}", wrap.0, wrap.1)).unwrap();
            prop_assert_eq!(parsed.expose(), key.as_str());
            prop_assert_eq!(parsed.suffix(), &key[key.len() - 7..]);
            let shown = format!("{parsed} {parsed:?}");
            prop_assert!(!shown.contains(&key[3..]));
            let parsed = ConsumerSecret::parse(&format!("{}{secret}{}", wrap.0, wrap.1)).unwrap();
            prop_assert_eq!(parsed.expose(), secret.as_str());
            let shown = format!("{parsed:?}");
            prop_assert!(!shown.contains(&secret[3..]));
            // Swapped parts are named as swapped, never accepted.
            prop_assert_eq!(check(Part::Key, &secret), Err(KeyError::Swapped(Part::Key)));
            prop_assert_eq!(check(Part::Secret, &key), Err(KeyError::Swapped(Part::Secret)));
        }

        #[test]
        fn a_damaged_secret_is_refused_and_never_repeated(
            secret in hex40(),
            at in 0usize..40,
            with in "[^0-9a-f]",
            cut in 1usize..40,
        ) {
            let good = format!("cs_{secret}");
            let mut chars: Vec<char> = secret.chars().collect();
            chars[at] = with.chars().next().unwrap();
            let replaced: String = chars.into_iter().collect();
            for bad in [format!("cs_{replaced}"), good[..good.len() - cut].to_owned(), format!("{good}{}", &secret[..cut])] {
                let err = ConsumerSecret::parse(&bad).unwrap_err();
                let message = err.to_string();
                // No 8-character piece of the secret appears in the message.
                for i in 0..=secret.len() - 8 {
                    prop_assert!(!message.contains(&secret[i..i + 8]), "{}", message);
                }
            }
        }
    }

    const KEY: &str = "ck_0123456789abcdef0123456789abcdef01234567";
    const SECRET: &str = "cs_89abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn accepts_well_formed_parts_and_trims_what_copying_adds() {
        for input in [
            KEY.to_owned(),
            format!("  {KEY}\n"),
            format!("\"{KEY}\""),
            format!("'{KEY}'"),
        ] {
            assert_eq!(ConsumerKey::parse(&input).unwrap().expose(), KEY);
        }
        assert_eq!(ConsumerSecret::parse(SECRET).unwrap().expose(), SECRET);
    }

    #[test]
    fn explains_each_malformed_value() {
        let cases: &[(Part, &str, KeyError)] = &[
            (Part::Key, "", KeyError::Empty(Part::Key)),
            (Part::Key, "   ", KeyError::Empty(Part::Key)),
            (Part::Key, SECRET, KeyError::Swapped(Part::Key)),
            (Part::Secret, KEY, KeyError::Swapped(Part::Secret)),
            (Part::Key, "ck_…1234567", KeyError::Truncated(Part::Key)),
            (Part::Key, "...bcd1234", KeyError::Truncated(Part::Key)),
            (
                Part::Secret,
                "abcd EFGH 1234 ijkl MNOP 5678",
                KeyError::ApplicationPassword(Part::Secret),
            ),
            (
                Part::Key,
                "0123456789abcdef0123456789abcdef01234567",
                KeyError::WrongPrefix(Part::Key),
            ),
            (
                Part::Key,
                "ck_0123456789abcdef",
                KeyError::WrongLength {
                    part: Part::Key,
                    found: 19,
                },
            ),
            (
                Part::Key,
                "ck_0123456789abcdef 0123456789abcdef01234567",
                KeyError::InnerWhitespace(Part::Key),
            ),
            (
                Part::Secret,
                "cs_89abcdef0123456789ABCDEF0123456789abcdef",
                KeyError::NotHex {
                    part: Part::Secret,
                    position: 22,
                },
            ),
            (
                Part::Key,
                "ck_0123456789abcdef0123456789abcdef0123456z",
                KeyError::NotHex {
                    part: Part::Key,
                    position: 43,
                },
            ),
        ];
        for (part, input, expected) in cases {
            assert_eq!(
                check(*part, input).as_ref(),
                Err(expected),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn messages_never_repeat_the_secret() {
        for input in [
            "cs_89abcdef0123456789ABCDEF0123456789abcdef",
            "cs_89abcdef0123456789abcdef0123456789abcdef00",
            "cs_89abcdef0123456789abcdef 0123456789abcde",
        ] {
            let message = ConsumerSecret::parse(input).unwrap_err().to_string();
            assert!(!message.contains(&input[3..12]), "{message}");
        }
    }

    #[test]
    fn key_is_shown_by_its_last_seven_characters_and_secret_not_at_all() {
        let key = ConsumerKey::parse(KEY).unwrap();
        assert_eq!(key.suffix(), "1234567");
        assert_eq!(key.to_string(), "ck_…1234567");
        assert!(!format!("{key:?}").contains(KEY));
        let secret = ConsumerSecret::parse(SECRET).unwrap();
        assert_eq!(
            format!("{secret:?}"),
            "ConsumerSecret(SecretBox<str>([REDACTED]))"
        );
    }
}
