//! woolink's integration tests: one binary, real components.

mod connect;
mod harness;
mod input;
mod store;
mod store_selftest;
