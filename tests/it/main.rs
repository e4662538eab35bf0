//! woolink's integration tests: one binary, real components.

mod accounts;
mod api;
mod connect;
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
mod private_ca;
mod proxy;
mod proxy_server;
mod run;
mod schemas;
mod scripted;
mod snapshots;
mod state;
mod store;
mod store_selftest;
mod terminal;
mod verify;
mod wild;
