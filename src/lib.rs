//! woolink: link WooCommerce stores. The binary is a thin shell around [`run`].

pub mod account;
pub mod keys;
pub mod store_url;
