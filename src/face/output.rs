//! What a command prints as its result, on stdout: text, tables and JSON documents. A closed
//! stdout (`woolink accounts list | head -1`) is not an error. Everything else a person reads
//! (status lines, warnings, progress) goes to stderr through `term`.

use std::borrow::Cow;
use std::io::Write;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::domain::text::{escape_chars, visible, visible_line};

/// Writes human `text` to stdout, control characters made visible (see [`visible`]); a
/// reader that went away is success.
pub fn stdout(text: &str) -> Result<(), OutputError> {
    document(&visible(text))
}

/// Writes a document woolink generated itself (a completion script, a man page, JSON) as it
/// is; a reader that went away is success.
pub fn document(text: &str) -> Result<(), OutputError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(OutputError(err)),
        _ => Ok(()),
    }
}

/// Writing what a command prints (its data on standard output) failed: a full disk, a file on
/// a device that refuses writes. A reader that went away is not this.
#[derive(Debug, thiserror::Error)]
#[error("could not write the output to {}: {}", stdout_target(), crate::domain::text::io_in_words(.0))]
pub struct OutputError(pub std::io::Error);

/// Where standard output goes, as an error names it: "standard output", with the file it is
/// redirected to when the system says (`> orders.json`, `/dev/full`).
pub fn stdout_target() -> String {
    // Linux names the file behind each descriptor; a pipe or socket has no path.
    let file = std::fs::read_link("/proc/self/fd/1")
        .ok()
        .filter(|path| path.is_absolute());
    match file {
        Some(path) => format!(
            "standard output ({})",
            visible_line(&path.display().to_string())
        ),
        None => "standard output".to_owned(),
    }
}

/// Prints one JSON document (pretty, with a final newline) on stdout, exactly: what a store
/// or the index supplied is data there, escaped as JSON escapes it.
pub fn json(value: &impl Serialize) -> Result<(), OutputError> {
    let mut text = json_text(value, true);
    text.push('\n');
    document(&text)
}

/// `value` as JSON text, pretty or compact, escaped by JSON's rules only: never by
/// [`visible`], whose `\x7f` is no JSON escape. serde_json escapes the C0 controls, and here
/// DEL and the C1 controls (U+007F-U+009F, which a terminal may obey) are written as `\u007f`
/// .. `\u009f` too: the same JSON value, and text that cannot drive a terminal. Outside
/// strings JSON text holds no such character, so each one found is inside a string.
pub fn json_text(value: &impl Serialize, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .expect("JSON values serialize");
    let escaped = |c: char| ('\u{7f}'..='\u{9f}').contains(&c);
    if !text.contains(escaped) {
        return text;
    }
    escape_chars(&text, escaped, "\\u", 4).into_owned()
}

/// Appends a `Label:     value` line of a human summary; the value is shown as one line.
pub fn push_row(text: &mut String, indent: &str, label: &str, value: &str) {
    let label = pad(label, 10);
    text.push_str(&format!("{indent}{label} {}\n", visible_line(value)));
}

/// `text` and spaces up to `width` columns of the terminal (wide characters count twice).
fn pad(text: &str, width: usize) -> String {
    let missing = width.saturating_sub(UnicodeWidthStr::width(text));
    format!("{text}{}", " ".repeat(missing))
}

/// Lays out rows under a header in left-aligned columns, two spaces apart, aligned by the
/// columns characters take on a terminal. Cells are shown as one line each.
pub fn table<const N: usize>(header: [&'static str; N], rows: &[[String; N]]) -> String {
    let columns = header.map(|header| Column {
        header,
        drop_rank: None,
        shrinks: false,
    });
    let rows: Vec<Vec<String>> = rows.iter().map(|row| row.to_vec()).collect();
    fitted_table(&columns, &rows, None)
}

/// The columns stdout's lines may take: `COLUMNS` when set to a number (a deliberate choice,
/// also when piped), else the terminal's width, else `None` (a pipe or file: no limit, so a
/// script gets every cell whole).
pub fn stdout_width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|value| value.trim().parse::<usize>().ok())
        .filter(|&columns| columns > 0)
    {
        return Some(columns);
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(width, _)| usize::from(width.0))
}

/// A column of [`fitted_table`].
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    /// Columns are left out, lowest first, until the table fits; `None` is never left out.
    pub drop_rank: Option<u8>,
    /// The column shortened (with `…`) when leaving columns out is not enough.
    pub shrinks: bool,
}

/// Widths a shrinking column is cut to: first to [`SHRUNK`], so that one long title does not
/// push every other column out, and only when leaving columns out is not enough, down to
/// [`MIN_SHRUNK`].
const SHRUNK: usize = 30;
const MIN_SHRUNK: usize = 12;

/// Lays out `rows` like [`table`], within `width` columns when given: the shrinking column is
/// cut short with `…` to [`SHRUNK`], then columns are left out by their `drop_rank` (lowest
/// first), then the shrinking column is cut further, until every line fits (or nothing more
/// can go).
pub fn fitted_table(columns: &[Column], rows: &[Vec<String>], width: Option<usize>) -> String {
    let header = columns.iter().map(|column| column.header.into()).collect();
    // Every line as it will be shown, the header first.
    let lines: Vec<Vec<Cow<'_, str>>> = std::iter::once(header)
        .chain(
            rows.iter()
                .map(|row| row.iter().map(|cell| visible_line(cell)).collect()),
        )
        .collect();
    // Each column's width in terminal columns: its widest cell's.
    let natural: Vec<usize> = (0..columns.len())
        .map(|i| {
            let column = lines
                .iter()
                .map(|line| UnicodeWidthStr::width(line[i].as_ref()));
            column.max().unwrap_or(0)
        })
        .collect();
    let mut widths = natural.clone();
    let mut kept: Vec<usize> = (0..columns.len()).collect();
    let total = |kept: &[usize], widths: &[usize]| {
        let padded: usize = kept.iter().map(|&i| widths[i] + 2).sum();
        padded.saturating_sub(2)
    };
    if let Some(width) = width {
        let shrinking = columns.iter().position(|column| column.shrinks);
        // Cuts the shrinking column by what the table is too wide, to no less than `floor`.
        let shrink = |kept: &[usize], widths: &mut Vec<usize>, floor: usize| {
            let over = total(kept, widths).saturating_sub(width);
            if let Some(at) = shrinking.filter(|at| kept.contains(at)) {
                widths[at] = widths[at].saturating_sub(over).max(floor.min(widths[at]));
            }
        };
        shrink(&kept, &mut widths, SHRUNK);
        while total(&kept, &widths) > width {
            let lowest = kept
                .iter()
                .enumerate()
                .filter_map(|(at, &i)| columns[i].drop_rank.map(|rank| (rank, at)))
                .min();
            let Some((_, at)) = lowest else { break };
            kept.remove(at);
            widths.clone_from(&natural);
            shrink(&kept, &mut widths, SHRUNK);
        }
        shrink(&kept, &mut widths, MIN_SHRUNK);
    }
    let mut text = String::new();
    for line in &lines {
        let cells: Vec<String> = kept
            .iter()
            .map(|&i| pad(&shorten(&line[i], widths[i]), widths[i]))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

/// `text` cut to `width` terminal columns, ending in `…` when cut.
fn shorten(text: &str, width: usize) -> Cow<'_, str> {
    if UnicodeWidthStr::width(text) <= width {
        return Cow::Borrowed(text);
    }
    let mut shortened = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        shortened.push(c);
    }
    // "Bücher …" reads as a cut word; "Bücher…" does not.
    shortened.truncate(shortened.trim_end().len());
    shortened.push('…');
    Cow::Owned(shortened)
}

/// How long ago an RFC 3339 time was, as a person says it ("3 days ago"); the time itself when
/// it cannot be read or lies in the future (a clock that was wrong).
pub fn time_ago(timestamp: &str, now: std::time::SystemTime) -> String {
    let Some(elapsed) = humantime::parse_rfc3339_weak(timestamp)
        .ok()
        .and_then(|then| now.duration_since(then).ok())
    else {
        return timestamp.to_owned();
    };
    let seconds = elapsed.as_secs();
    let (count, unit) = match seconds {
        0..60 => return "just now".to_owned(),
        60..3_600 => (seconds / 60, "minute"),
        3_600..86_400 => (seconds / 3_600, "hour"),
        86_400..2_592_000 => (seconds / 86_400, "day"),
        2_592_000..31_536_000 => (seconds / 2_592_000, "month"),
        _ => (seconds / 31_536_000, "year"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural} ago")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn json_text_is_json_with_del_and_c1_escaped() {
        let value = serde_json::json!({"name": "Hoo\u{7f}die\u{85}\u{9b}\u{1b}é"});
        for pretty in [false, true] {
            let text = json_text(&value, pretty);
            assert!(!text.chars().any(char::is_control) || pretty, "{text:?}");
            assert!(text.contains(r"Hoo\u007fdie\u0085\u009b\u001bé"), "{text}");
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, value);
        }
    }

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

    #[test]
    fn times_are_said_as_a_person_says_them() {
        let now = humantime::parse_rfc3339("2026-03-10T12:00:00Z").unwrap();
        let cases = [
            ("2026-03-10T11:59:30Z", "just now"),
            ("2026-03-10T11:59:00Z", "1 minute ago"),
            ("2026-03-10T10:15:00Z", "1 hour ago"),
            ("2026-03-10T09:00:00Z", "3 hours ago"),
            ("2026-03-07T11:00:00Z", "3 days ago"),
            ("2026-01-01T00:00:00Z", "2 months ago"),
            ("2024-03-01T00:00:00Z", "2 years ago"),
            ("2026-03-11T00:00:00Z", "2026-03-11T00:00:00Z"),
            ("yesterday", "yesterday"),
        ];
        for (timestamp, said) in cases {
            assert_eq!(time_ago(timestamp, now), said, "{timestamp}");
        }
    }

    #[test]
    fn a_fitted_table_leaves_out_columns_then_shortens_one() {
        let columns = [
            Column {
                header: "NAME",
                drop_rank: None,
                shrinks: false,
            },
            Column {
                header: "STORE",
                drop_rank: None,
                shrinks: true,
            },
            Column {
                header: "KEY",
                drop_rank: Some(0),
                shrinks: false,
            },
            Column {
                header: "ACCESS",
                drop_rank: Some(1),
                shrinks: false,
            },
        ];
        let rows = vec![vec![
            "shop".to_owned(),
            "Bücher und Schreibwaren am Markt".to_owned(),
            "ck_…1234567".to_owned(),
            "read-write".to_owned(),
        ]];
        let whole = fitted_table(&columns, &rows, None);
        assert_eq!(
            whole,
            "NAME  STORE                             KEY          ACCESS\n\
             shop  Bücher und Schreibwaren am Markt  ck_…1234567  read-write\n"
        );
        assert_eq!(fitted_table(&columns, &rows, Some(200)), whole);
        assert_eq!(
            fitted_table(&columns, &rows, Some(50)),
            "NAME  STORE                             ACCESS\n\
             shop  Bücher und Schreibwaren am Markt  read-write\n"
        );
        assert_eq!(
            fitted_table(&columns, &rows, Some(30)),
            "NAME  STORE\n\
             shop  Bücher und Schreibwaren…\n"
        );
        for width in [1, 20, 30, 40, 50, 60, 80] {
            let fitted = fitted_table(&columns, &rows, Some(width));
            let widest = fitted.lines().map(UnicodeWidthStr::width).max().unwrap();
            assert!(widest <= width.max(4 + 2 + MIN_SHRUNK), "{width}: {fitted}");
        }
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
