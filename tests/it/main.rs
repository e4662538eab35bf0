//! woolink's integration tests: one binary, real components.

mod accounts;
mod connect;
mod demo_store;
mod harness;
mod hostile;
mod hygiene;
mod input;
mod keychain;
mod keychain_selftest;
mod state;
mod store;
mod store_selftest;
