//! woolink's integration tests: one binary, real components.

mod accounts;
mod advice;
mod api;
mod api_pipeline;
mod connect;
mod crash;
mod env_creds;
mod env_file;
mod hardening;
mod harness;
mod hostile;
mod hygiene;
mod input;
mod keychain;
mod keychain_selftest;
mod linking;
mod messages;
mod native_keychain;
mod private_ca;
mod proxy;
mod proxy_server;
mod replay;
mod rotate;
mod run;
mod run_env;
mod schemas;
mod scripted;
mod snapshots;
mod state;
// The loopback WooCommerce store (crates/test-store), as `crate::store` for every module.
use woolink_test_store as store;
mod store_selftest;
mod terminal;
mod verify;
mod wild;
mod wild_paths;
