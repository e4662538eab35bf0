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
use std::sync::atomic::{AtomicBool, Ordering};

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
            Mode::Lines => status(text),
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
        stderr_line(text);
    }
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
    fn paint_off_leaves_text_alone() {
        assert_eq!(Paint { on: false }.green("ok"), "ok");
        assert_eq!(Paint { on: true }.green("ok"), "\x1b[32mok\x1b[0m");
    }
}
