//! What a person at a terminal sees while woolink works: colour (only on terminals, never with
//! `NO_COLOR`, `CLICOLOR=0` or `TERM=dumb`), a spinner while waiting, and one line per step passed. Where
//! stderr is not a terminal the same steps are plain lines; with `--quiet` nothing is shown.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::Duration;

use anstream::ColorChoice;
use anstyle::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use std::io::Write as _;

/// Whether stderr is a terminal that takes cursor movement (for the spinner): colour settings
/// do not matter here, only a terminal that is not `dumb`.
pub fn stderr_is_live() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|term| term != "dumb")
}

/// ANSI styling, switched on or off once.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    /// Styling for stderr, as anstream decides it: a terminal that takes colour, and no
    /// `NO_COLOR`, `CLICOLOR=0` or `TERM=dumb` (`CLICOLOR_FORCE` forces it on).
    pub fn stderr() -> Self {
        let on = anstream::AutoStream::choice(&std::io::stderr()) != ColorChoice::Never;
        if on {
            // Turns on escape-code processing in Windows consoles that need it; a no-op elsewhere.
            let _ = anstream::AutoStream::always_ansi(std::io::stderr());
        }
        Self { on }
    }

    fn wrap(self, style: Style, text: &str) -> String {
        if self.on {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    pub fn green(self, text: &str) -> String {
        self.wrap(AnsiColor::Green.on_default(), text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.wrap(AnsiColor::Yellow.on_default(), text)
    }

    pub fn red(self, text: &str) -> String {
        self.wrap(AnsiColor::Red.on_default(), text)
    }

    pub fn bold(self, text: &str) -> String {
        self.wrap(Style::new().bold(), text)
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
        let step = crate::domain::text::visible_line(step);
        *self.current.borrow_mut() = step.clone().into_owned();
        if let Mode::Spinner(bar) = &self.mode {
            bar.set_message(format!("{step} …"));
            bar.enable_steady_tick(Duration::from_millis(80));
        }
    }

    /// A step passed.
    pub fn done(&self, text: &str) {
        let line = format!(
            "{} {}",
            self.paint.green("✓"),
            crate::domain::text::visible_line(text)
        );
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
            Mode::Lines => stderr_line(text),
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

/// What `--quiet` and `--verbose` (or `WOOLINK_DEBUG`, `RUST_LOG`) ask for, decided once by
/// `run` and handed to each command, rather than switches kept by the process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ui {
    /// `--quiet`: status lines are left out; data, warnings and errors are not.
    pub quiet: bool,
    /// Debug lines on stderr: each request and answer, and where credentials came from.
    pub debug: bool,
}

impl Ui {
    pub fn new(quiet: bool, verbose: bool) -> Self {
        let debug = verbose
            || debug_wanted(
                std::env::var("WOOLINK_DEBUG").ok().as_deref(),
                std::env::var("RUST_LOG").ok().as_deref(),
            );
        Self { quiet, debug }
    }

    /// For a command's status lines that `--json` leaves out too (those that go with a prompt
    /// stay, as the person answering needs them).
    pub fn with_json(self, json: bool) -> Self {
        Self {
            quiet: self.quiet || json,
            ..self
        }
    }

    /// A status line for the person, on stderr. Never data; never a secret.
    pub fn status(self, text: &str) {
        if !self.quiet {
            stderr_line(text);
        }
    }

    /// A debug line, when they are on.
    pub fn debug(self, line: &str) {
        if self.debug {
            crate::http::print_debug(line);
        }
    }
}

/// Whether the environment asks for debug lines: `WOOLINK_DEBUG` set to anything but empty or
/// `0`, or `RUST_LOG` enabling debug or trace for woolink (`debug`, `trace`, `woolink`,
/// `woolink=debug`, `info,woolink=trace`, ...).
fn debug_wanted(woolink_debug: Option<&str>, rust_log: Option<&str>) -> bool {
    if woolink_debug.is_some_and(|value| !matches!(value.trim(), "" | "0" | "false" | "off")) {
        return true;
    }
    let verbose = |level: &str| {
        matches!(
            level.trim().to_ascii_lowercase().as_str(),
            "debug" | "trace"
        )
    };
    rust_log.unwrap_or_default().split(',').any(|directive| {
        let directive = directive.trim();
        match directive.split_once('=') {
            Some((target, level)) => {
                let target = target.trim();
                (target == "woolink" || target.starts_with("woolink::")) && verbose(level)
            }
            None => directive == "woolink" || verbose(directive),
        }
    })
}

/// A line on stderr that `--quiet` does not silence: an error, a warning, or what a person at
/// a prompt must read.
pub fn stderr_line(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// A warning on stderr, which `--quiet` does not silence: `warning: ` and the text, which begins
/// in lower case as error messages do.
pub fn warning(text: &str) {
    let paint = Paint::stderr();
    stderr_line(&format!("{} {text}", paint.yellow(&paint.bold("warning:"))));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_opt_in() {
        let cases: &[(Option<&str>, Option<&str>, bool)] = &[
            (None, None, false),
            (Some(""), None, false),
            (Some("0"), None, false),
            (Some("1"), None, true),
            (None, Some("debug"), true),
            (None, Some("TRACE"), true),
            (None, Some("info"), false),
            (None, Some("woolink"), true),
            (None, Some("woolink=debug"), true),
            (None, Some("warn, woolink=trace"), true),
            (None, Some("woolink=info"), false),
            (None, Some("hyper=debug"), false),
        ];
        for (woolink, rust_log, expected) in cases {
            assert_eq!(
                debug_wanted(*woolink, *rust_log),
                *expected,
                "{woolink:?} {rust_log:?}"
            );
        }
    }

    #[test]
    fn paint_off_leaves_text_alone() {
        assert_eq!(Paint { on: false }.green("ok"), "ok");
        assert_eq!(Paint { on: true }.green("ok"), "\x1b[32mok\x1b[0m");
    }
}
