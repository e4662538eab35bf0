//! woolink's integration tests: one binary, real components.
