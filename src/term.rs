//! What a person at a terminal sees while woolink works: colour (only on terminals, never with
//! `NO_COLOR` or `TERM=dumb`), a spinner while waiting, and one line per step passed. Where
//! stderr is not a terminal the same steps are plain lines; with `--quiet` nothing is shown.

use std::cell::RefCell;
use std::ffi::OsStr;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output;

/// Whether colour may be used on a stream: a terminal, no `NO_COLOR` (any non-empty value,
/// as no-color.org says), and a terminal that is not `dumb`.
pub fn colour_allowed(is_terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
    is_terminal && no_color.is_none_or(OsStr::is_empty) && term.is_none_or(|term| term != "dumb")
}

/// Whether stderr is a terminal that takes cursor movement (for the spinner).
pub fn stderr_is_live() -> bool {
    colour_allowed(
        std::io::stderr().is_terminal(),
        None,
        std::env::var_os("TERM").as_deref(),
    )
}

/// Whether stderr is a terminal that takes colour.
pub fn stderr_takes_colour() -> bool {
    colour_allowed(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    )
}

/// ANSI styling, switched on or off once.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    /// Styling for stderr.
    pub fn stderr() -> Self {
        Self {
            on: stderr_takes_colour(),
        }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }

    pub fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }

    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
}

enum Mode {
    /// `--quiet` or `--json`: nothing.
    Off,
    /// stderr is not a terminal (or a dumb one): one plain line per step passed.
    Lines,
    /// A terminal: a spinner naming the step under way, a line per step passed.
    Spinner(ProgressBar),
}

/// Progress of a multi-step operation on stderr. Methods take `&self` so that an observer
/// closure can report steps while the operation runs.
pub struct Progress {
    mode: Mode,
    paint: Paint,
    /// The step under way, shown beside the spinner and named if it fails.
    current: RefCell<String>,
}

impl Progress {
    pub fn new(silent: bool) -> Self {
        let paint = Paint::stderr();
        let mode = if silent {
            Mode::Off
        } else if stderr_is_live() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .expect("the template is valid")
                    .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "),
            );
            Mode::Spinner(bar)
        } else {
            Mode::Lines
        };
        Self {
            mode,
            paint,
            current: RefCell::new(String::new()),
        }
    }

    /// A step begins: the spinner names it.
    pub fn start(&self, step: &str) {
        let step = output::visible_line(step);
        *self.current.borrow_mut() = step.clone().into_owned();
        if let Mode::Spinner(bar) = &self.mode {
            bar.set_message(format!("{step} …"));
            bar.enable_steady_tick(Duration::from_millis(80));
        }
    }

    /// A step passed.
    pub fn done(&self, text: &str) {
        let line = format!("{} {}", self.paint.green("✓"), output::visible_line(text));
        self.line(&line);
    }

    /// A remark that is not a step.
    pub fn note(&self, text: &str) {
        let line = self.paint.dim(text);
        self.line(&line);
    }

    /// The step under way failed; the error itself is printed by the caller.
    pub fn fail(&self) {
        let step = self.current.borrow().clone();
        if !step.is_empty() {
            let line = format!("{} {step}", self.paint.red("✗"));
            self.line(&line);
        }
        self.clear();
    }

    /// Removes the spinner, leaving the lines printed so far.
    pub fn clear(&self) {
        if let Mode::Spinner(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }

    fn line(&self, text: &str) {
        match &self.mode {
            Mode::Off => {}
            Mode::Lines => output::status(text),
            // Printed above the spinner, which keeps spinning below.
            Mode::Spinner(bar) => bar.println(text),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_terminals_without_no_color_or_dumb_term() {
        let os = |s: &'static str| Some(OsStr::new(s));
        let cases = [
            (true, None, os("xterm-256color"), true),
            (true, None, None, true),
            (false, None, os("xterm"), false),
            (true, os("1"), os("xterm"), false),
            (true, os(""), os("xterm"), true),
            (true, None, os("dumb"), false),
        ];
        for (terminal, no_color, term, expected) in cases {
            assert_eq!(
                colour_allowed(terminal, no_color, term),
                expected,
                "{terminal} {no_color:?} {term:?}"
            );
        }
    }

    #[test]
    fn paint_off_leaves_text_alone() {
        assert_eq!(Paint { on: false }.green("ok"), "ok");
        assert_eq!(Paint { on: true }.green("ok"), "\x1b[32mok\x1b[0m");
    }
}
