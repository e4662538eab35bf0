//! A test hook, not a feature: `WOOLINK_TEST_CRASH_AT=<step>` makes a debug build abort
//! (`std::process::abort`, as abrupt as `kill -9`: no destructor, no clean-up) at the named
//! step of a transaction over the credential store and the index, so the integration tests can
//! prove that the next command recovers from a crash at each step (`tests/it/crash.rs`).
//!
//! Release builds compile the check out entirely: the variable does nothing there.
//!
//! Steps: `save:pending` (the pending record is written, no secret yet), `save:secret` (the
//! secret is stored, the index does not name it), `save:index` (the index names the new entry,
//! the replaced one is not deleted yet); `migrate:pending`, `migrate:secret`, `migrate:index`,
//! the same steps of moving an entry from before account ids to its id.

/// The variable that names the step to abort at.
#[cfg(debug_assertions)]
pub const CRASH_ENV: &str = "WOOLINK_TEST_CRASH_AT";

/// Aborts the process here when this is a debug build and `WOOLINK_TEST_CRASH_AT` is `step`.
#[cfg(debug_assertions)]
pub fn point(step: &str) {
    if std::env::var_os(CRASH_ENV).is_some_and(|at| at == step) {
        std::process::abort();
    }
}

/// Release builds: nothing.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn point(_step: &str) {}
