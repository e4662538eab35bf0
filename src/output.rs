//! Writing to the person or the script: data on stdout, everything else on stderr. A closed
//! stdout (`woolink accounts list | head -1`) is not an error.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::error::Error;

/// Writes `text` to stdout; a reader that went away is success.
pub fn stdout(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Terminal(err)),
        _ => Ok(()),
    }
}

/// Prints one JSON document (pretty, with a final newline) on stdout.
pub fn json(value: &impl Serialize) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(value).expect("views serialize");
    text.push('\n');
    stdout(&text)
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

/// Lays out rows under a header in left-aligned columns, two spaces apart.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|title| title.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut line = |cells: [&str; N]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(padded.join("  ").trim_end());
        text.push('\n');
    };
    line(header);
    for row in rows {
        line(row.each_ref().map(String::as_str));
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
