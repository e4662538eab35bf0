//! woolink's integration tests: one binary, real components.
mod keychain;
mod keychain_selftest;
