//! Ctrl-C at a prompt. By default SIGINT kills woolink, the shell sees a signal instead of
//! exit code 130, and a hidden-input prompt can leave the terminal without echo. While a
//! [`PromptGuard`] lives, SIGINT instead restores the terminal as it was before the prompt,
//! says so, and exits with 130. Nothing has been written at that point: prompts all come
//! before the account is saved.

/// Catches Ctrl-C for as long as it lives.
pub struct PromptGuard {
    #[cfg(unix)]
    previous: libc::sighandler_t,
}

#[cfg(unix)]
mod unix {
    use std::sync::OnceLock;

    /// The terminal settings before the first prompt (echo on).
    pub static SAVED: OnceLock<libc::termios> = OnceLock::new();

    pub extern "C" fn on_interrupt(_signal: libc::c_int) {
        const MESSAGE: &[u8] = b"\nCancelled; nothing was saved.\n";
        // Only async-signal-safe calls here: tcsetattr, write, _exit.
        // SAFETY: `SAVED` is fully initialised before this handler is installed, and the
        // pointers passed are valid for the lengths given.
        unsafe {
            if let Some(saved) = SAVED.get() {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved);
            }
            libc::write(libc::STDERR_FILENO, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::_exit(130);
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
        let previous = unsafe { libc::signal(libc::SIGINT, handler as libc::sighandler_t) };
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
        // SAFETY: puts back the disposition that was there before.
        unsafe {
            libc::signal(libc::SIGINT, self.previous);
        }
    }
}
