//! woolink: link WooCommerce stores. The binary is a thin shell around [`run`].

pub mod account;
pub mod http;
pub mod keys;
pub mod oauth;
pub mod store_url;
