//! Text for people, made from what others supplied: control characters made visible, I/O
//! errors in words, sentences that end once. Pure functions, used by every layer; this module
//! imports nothing of woolink's.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character but the line break made visible, as `\x1b`: text a
/// store or a hand-edited index supplied must never drive the terminal (clear the screen,
/// retitle the window, write the clipboard with OSC 52).
pub fn visible(text: &str) -> Cow<'_, str> {
    escape_chars(text, |c| c.is_control() && c != '\n', "\\x", 2)
}

/// One line of such text (a site title, a store's message, an index field): line breaks are
/// made visible too, so it cannot pass for lines of woolink's own.
pub fn visible_line(text: &str) -> Cow<'_, str> {
    escape_chars(text, char::is_control, "\\x", 2)
}

/// `text` with each character that is `hidden` written as `prefix` and its code in `digits`
/// hex digits (control characters are U+0000-U+001F and U+007F-U+009F: two are enough).
pub fn escape_chars<'a>(
    text: &'a str,
    hidden: impl Fn(char) -> bool,
    prefix: &str,
    digits: usize,
) -> Cow<'a, str> {
    if !text.chars().any(&hidden) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            let _ = write!(shown, "{prefix}{:0digits$x}", u32::from(c));
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

/// An error message shown on its own, not after `error:`: its first word capitalised, unless
/// that word is an address or a path ("https://…" stays as it is).
pub fn sentence(message: &str) -> String {
    let first_word = message.split_whitespace().next().unwrap_or_default();
    if first_word.contains([':', '/', '.', '@']) {
        return message.to_owned();
    }
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The full stop after a quoted text in a sentence: none when the quote already ends with one
/// (or with `!` or `?`), so a sentence never ends `."."`.
pub fn full_stop_after_quote(quoted: &str) -> &'static str {
    if quoted.trim_end().ends_with(['.', '!', '?']) {
        ""
    } else {
        "."
    }
}

/// An I/O error in words for a person: by its kind ("no such file", "permission denied"), not
/// the system's text with its number ("(os error 2)"). Errors woolink made itself keep their words.
pub fn io_in_words(err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::NotFound => "no such file".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::IsADirectory => "it is a folder, not a file".to_owned(),
        ErrorKind::NotADirectory => "a part of the path is a file, not a folder".to_owned(),
        kind if err.raw_os_error().is_some() => kind.to_string(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_shown_alone_begins_with_a_capital_but_an_address_is_kept() {
        assert_eq!(sentence("the key is wrong"), "The key is wrong");
        assert_eq!(
            sentence("https://shop.example refused"),
            "https://shop.example refused"
        );
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn a_quote_that_ends_a_sentence_gets_no_second_full_stop() {
        assert_eq!(full_stop_after_quote("Invalid signature."), "");
        assert_eq!(full_stop_after_quote("Stop!"), "");
        assert_eq!(full_stop_after_quote("Invalid signature"), ".");
    }

    #[test]
    fn io_errors_are_worded_by_kind_without_os_numbers() {
        let missing = std::fs::read("/nonexistent/woolink-file").unwrap_err();
        assert_eq!(io_in_words(&missing), "no such file");
        let own = std::io::Error::new(std::io::ErrorKind::InvalidData, "larger than 64 KiB");
        assert_eq!(io_in_words(&own), "larger than 64 KiB");
    }
}
