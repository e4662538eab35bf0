//! Writing to the person or the script: data on stdout, everything else on stderr. A closed
//! stdout (`woolink accounts list | head -1`) is not an error.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::error::Error;

/// Writes human `text` to stdout, control characters made visible (see [`visible`]); a
/// reader that went away is success.
pub fn stdout(text: &str) -> Result<(), Error> {
    write_stdout(&visible(text))
}

/// Writes a document woolink generated itself (a completion script, a man page) as it is.
pub fn document(text: &str) -> Result<(), Error> {
    write_stdout(text)
}

fn write_stdout(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Terminal(err)),
        _ => Ok(()),
    }
}

/// Prints one JSON document (pretty, with a final newline) on stdout, exactly: what a store
/// or the index supplied is data there, escaped as JSON escapes it.
pub fn json(value: &impl Serialize) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(value).expect("views serialize");
    text.push('\n');
    write_stdout(&text)
}

/// `text` with every control character but the line break made visible, as `\x1b`: text a
/// store or a hand-edited index supplied must never drive the terminal (clear the screen,
/// retitle the window, write the clipboard with OSC 52).
pub fn visible(text: &str) -> Cow<'_, str> {
    escape_controls(text, |c| c != '\n')
}

/// One line of such text (a site title, a store's message, an index field): line breaks are
/// made visible too, so it cannot pass for lines of woolink's own.
pub fn visible_line(text: &str) -> Cow<'_, str> {
    escape_controls(text, |_| true)
}

fn escape_controls(text: &str, escaped: impl Fn(char) -> bool) -> Cow<'_, str> {
    let hidden = |c: char| c.is_control() && escaped(c);
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            // Control characters are U+0000-U+001F and U+007F-U+009F: two hex digits.
            let _ = write!(shown, "\\x{:02x}", u32::from(c));
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

/// Appends a `Label:     value` line of a human summary; the value is shown as one line.
pub fn push_row(text: &mut String, indent: &str, label: &str, value: &str) {
    let label = pad(label, 10);
    text.push_str(&format!("{indent}{label} {}\n", visible_line(value)));
}

/// `text` and spaces up to `width` columns of the terminal (wide characters count twice).
fn pad(text: &str, width: usize) -> String {
    let missing = width.saturating_sub(UnicodeWidthStr::width(text));
    let mut padded = String::with_capacity(text.len() + missing);
    padded.push_str(text);
    padded.extend(std::iter::repeat_n(' ', missing));
    padded
}

/// Set once by `--quiet`: status lines are left out; data, warnings and errors are not.
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A status line for the person, on stderr. Never data; never a secret.
pub fn status(text: &str) {
    if !is_quiet() {
        warning(text);
    }
}

/// A line on stderr that `--quiet` does not silence: a warning or an error.
pub fn warning(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Lays out rows under a header in left-aligned columns, two spaces apart, aligned by the
/// columns characters take on a terminal. Cells are shown as one line each.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let rows: Vec<[Cow<'_, str>; N]> = rows
        .iter()
        .map(|row| row.each_ref().map(|cell| visible_line(cell)))
        .collect();
    let mut widths = header.map(UnicodeWidthStr::width);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(UnicodeWidthStr::width(cell.as_ref()));
        }
    }
    let mut text = String::new();
    let mut line = |cells: [&str; N]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| pad(cell, width))
            .collect();
        text.push_str(padded.join("  ").trim_end());
        text.push('\n');
    };
    line(header);
    for row in &rows {
        line(row.each_ref().map(|cell| cell.as_ref()));
    }
    text
}

/// The `--json` shape of a failure: `{"error": {"kind", "exit_code", "message"}}`.
pub fn json_error(err: &Error) -> Result<(), Error> {
    #[derive(Serialize)]
    struct ErrorView<'a> {
        kind: &'a str,
        exit_code: u8,
        message: String,
    }
    #[derive(Serialize)]
    struct Wrapper<'a> {
        error: ErrorView<'a>,
    }
    json(&Wrapper {
        error: ErrorView {
            kind: err.kind(),
            exit_code: err.exit_code(),
            message: err.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        let cases = [
            ("My Shop", "My Shop", "My Shop"),
            (
                "\x1b]52;c;QUFB\x07Shop",
                "\\x1b]52;c;QUFB\\x07Shop",
                "\\x1b]52;c;QUFB\\x07Shop",
            ),
            ("a\x1b[2Jb\r", "a\\x1b[2Jb\\x0d", "a\\x1b[2Jb\\x0d"),
            ("two\nlines", "two\nlines", "two\\x0alines"),
            ("c1 \u{9b}2J", "c1 \\x9b2J", "c1 \\x9b2J"),
            ("Bücher 書店", "Bücher 書店", "Bücher 書店"),
        ];
        for (text, shown, one_line) in cases {
            assert_eq!(visible(text), shown, "{text:?}");
            assert_eq!(visible_line(text), one_line, "{text:?}");
        }
    }

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{0,12}",
            "\\PC{0,20}",
            "[書店ＡＢ🛒]{0,8}",
            ".{0,40}",
            Just("x".repeat(70_000)),
        ]
    }

    proptest! {
        /// Any cells, any Unicode, any length: no panic, no control character, and every
        /// column starts at the same terminal column on every line.
        #[test]
        fn tables_never_panic_and_stay_aligned(rows in proptest::collection::vec([cell(), cell(), cell()], 0..5)) {
            let text = table(["NAME", "STORE", "KEY"], &rows);
            prop_assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
            let lines: Vec<&str> = text.lines().collect();
            prop_assert_eq!(lines.len(), rows.len() + 1);
            // The second column starts where the header's does, measured in terminal columns.
            let first_width = std::iter::once("NAME".to_owned())
                .chain(rows.iter().map(|row| visible_line(&row[0]).into_owned()))
                .map(|cell| UnicodeWidthStr::width(cell.as_str()))
                .max()
                .unwrap_or(0);
            for (line, row) in lines.iter().skip(1).zip(&rows) {
                let first = visible_line(&row[0]);
                let rest = &line[first.len()..];
                let gap = first_width - UnicodeWidthStr::width(first.as_ref()) + 2;
                let second = visible_line(&row[1]);
                if !second.is_empty() || !row[2].is_empty() {
                    prop_assert!(rest.starts_with(&" ".repeat(gap)), "{:?}", line);
                }
            }
        }
    }
}
