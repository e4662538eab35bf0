//! Ctrl-C (or `timeout`, a supervisor, a closed SSH session) at a prompt. By default such a
//! signal kills woolink at once, and a hidden-input prompt then leaves the terminal without
//! echo. While a [`PromptGuard`] lives, SIGINT, SIGTERM and SIGHUP (Ctrl-C and Ctrl-Break on
//! Windows) instead restore the terminal as it was before the first prompt, say so, and exit
//! with 128 + the signal's number (130 for Ctrl-C). Nothing has been written at that point:
//! prompts all come before the account is saved.
//!
//! The signals are received on a thread of their own (signal-hook, ctrlc), so restoring the
//! terminal is ordinary code, not a signal handler. Outside prompts a signal does what it
//! would have done without woolink's handler.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many prompts are open (a prompt may ask inside another's guard).
static OPEN_PROMPTS: AtomicUsize = AtomicUsize::new(0);

/// The terminal as it was before the first prompt (echo on); `None` when it could not be read.
static BEFORE_PROMPTS: OnceLock<Option<terminal::Settings>> = OnceLock::new();

/// Catches the terminating signals for as long as it lives.
pub struct PromptGuard(());

impl PromptGuard {
    pub fn new() -> Self {
        BEFORE_PROMPTS.get_or_init(terminal::save);
        static LISTENING: OnceLock<()> = OnceLock::new();
        LISTENING.get_or_init(terminal::listen);
        OPEN_PROMPTS.fetch_add(1, Ordering::SeqCst);
        Self(())
    }
}

impl Drop for PromptGuard {
    fn drop(&mut self) {
        OPEN_PROMPTS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// rpassword reads Ctrl-C itself at a hidden prompt, raises SIGINT and returns an error: the
/// prompt ends as the signal's thread would end it. Whichever of the two gets there first
/// leaves; the other waits for the exit (see [`cancel_prompt`]), so no sleep decides the race.
pub fn interrupted_at_hidden_prompt() -> ! {
    cancel_prompt(130)
}

/// A signal arrived while a prompt was open: the terminal is put back and woolink leaves.
/// Called from the signal's thread and from a hidden prompt that read Ctrl-C: the first caller
/// holds the lock until the process is gone, so the terminal is restored and the exit made
/// once.
fn cancel_prompt(exit_code: i32) -> ! {
    static LEAVING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _leaving = LEAVING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(Some(settings)) = BEFORE_PROMPTS.get() {
        terminal::restore(settings);
    }
    eprintln!("\nCancelled; nothing was saved.");
    std::process::exit(exit_code)
}

fn prompt_open() -> bool {
    OPEN_PROMPTS.load(Ordering::SeqCst) > 0
}

#[cfg(unix)]
mod terminal {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

    pub type Settings = rustix::termios::Termios;

    pub fn save() -> Option<Settings> {
        rustix::termios::tcgetattr(std::io::stdin()).ok()
    }

    pub fn restore(settings: &Settings) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            settings,
        );
    }

    /// Starts the thread that receives the signals. If they cannot be caught, prompts work as
    /// before: a signal ends woolink at once.
    pub fn listen() {
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            for signal in signals.forever() {
                if super::prompt_open() {
                    super::cancel_prompt(128 + signal);
                }
                // Not at a prompt: end as the signal would have ended woolink by default.
                let _ = signal_hook::low_level::emulate_default_handler(signal);
            }
        });
    }
}

#[cfg(windows)]
mod terminal {
    use winapi_util::HandleRef;

    /// The console's input mode (echo, line input).
    pub type Settings = u32;

    pub fn save() -> Option<Settings> {
        winapi_util::console::mode(HandleRef::stdin()).ok()
    }

    pub fn restore(settings: &Settings) {
        let _ = winapi_util::console::set_mode(HandleRef::stdin(), *settings);
    }

    /// Ctrl-C and Ctrl-Break arrive on ctrlc's thread. Outside a prompt they end woolink as
    /// cancelled (130), as they would have ended it anyway.
    pub fn listen() {
        let _ = ctrlc::set_handler(|| {
            if super::prompt_open() {
                super::cancel_prompt(130);
            }
            std::process::exit(130);
        });
    }
}

#[cfg(not(any(unix, windows)))]
mod terminal {
    pub type Settings = ();

    pub fn save() -> Option<Settings> {
        None
    }

    pub fn restore(_: &Settings) {}

    pub fn listen() {}
}
