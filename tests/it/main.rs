//! woolink's integration tests: one binary, real components.

mod store;
mod store_selftest;
