//! woolink: link WooCommerce stores. The binary is a thin shell around [`run`].

pub mod account;
pub mod config;
pub mod credstore;
pub mod index;
pub mod keys;
mod private_file;
pub mod vault;
