//! Ctrl-C (or `timeout`, a supervisor, a closed SSH session) at a prompt. By default such a
//! signal kills woolink at once, and a hidden-input prompt then leaves the terminal without
//! echo. While a [`PromptGuard`] lives, SIGINT, SIGTERM and SIGHUP instead restore the terminal
//! as it was before the prompt, say so, and exit with 128 + the signal's number (130 for
//! Ctrl-C). Nothing has been written at that point: prompts all come before the account is
//! saved.

/// The signals a person or a supervisor ends a prompt with.
#[cfg(unix)]
const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Catches the terminating signals for as long as it lives.
pub struct PromptGuard {
    #[cfg(unix)]
    previous: [libc::sighandler_t; 3],
}

#[cfg(unix)]
mod unix {
    use std::sync::OnceLock;

    /// The terminal settings before the first prompt (echo on).
    pub static SAVED: OnceLock<libc::termios> = OnceLock::new();

    pub extern "C" fn on_interrupt(signal: libc::c_int) {
        const MESSAGE: &[u8] = b"\nCancelled; nothing was saved.\n";
        // Only async-signal-safe calls here: tcsetattr, write, _exit.
        // SAFETY: `SAVED` is fully initialised before this handler is installed, and the
        // pointers passed are valid for the lengths given.
        unsafe {
            if let Some(saved) = SAVED.get() {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved);
            }
            libc::write(libc::STDERR_FILENO, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::_exit(128 + signal);
        }
    }
}

impl PromptGuard {
    #[cfg(unix)]
    pub fn new() -> Self {
        if unix::SAVED.get().is_none() {
            let mut termios = std::mem::MaybeUninit::<libc::termios>::uninit();
            // SAFETY: tcgetattr fills the struct when it returns 0.
            if unsafe { libc::tcgetattr(libc::STDIN_FILENO, termios.as_mut_ptr()) } == 0 {
                let _ = unix::SAVED.set(unsafe { termios.assume_init() });
            }
        }
        let handler = unix::on_interrupt as extern "C" fn(libc::c_int);
        // SAFETY: the handler only makes async-signal-safe calls.
        let previous =
            SIGNALS.map(|signal| unsafe { libc::signal(signal, handler as libc::sighandler_t) });
        Self { previous }
    }

    #[cfg(not(unix))]
    pub fn new() -> Self {
        Self {}
    }
}

impl Drop for PromptGuard {
    fn drop(&mut self) {
        #[cfg(unix)]
        for (signal, previous) in SIGNALS.into_iter().zip(self.previous) {
            // SAFETY: puts back the disposition that was there before.
            unsafe {
                libc::signal(signal, previous);
            }
        }
    }
}
