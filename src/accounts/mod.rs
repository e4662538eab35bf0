pub mod ca_copy;
pub mod config;
pub mod credstore;
pub mod index;
pub mod linked;
pub mod private_file;
pub mod session_bus;
pub mod vault;
