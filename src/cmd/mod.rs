//! One module per subcommand. Each takes parsed arguments, does the work through the library
//! and prints through `output`.

pub mod accounts;
pub mod connect;
pub mod docs;
