pub mod api;
pub mod jq;
pub mod json_check;
pub mod oauth;
pub mod probe;
