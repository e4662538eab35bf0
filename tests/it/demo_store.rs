//! Not a test: serves a loopback test store for trying woolink by hand.
//!
//! `cargo test --test it demo_store -- --ignored --nocapture` prints the store's URL, its CA
//! certificate and a read/write key, then serves for `WOOLINK_DEMO_SECONDS` (default 600).

use std::time::Duration;

use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};

#[test]
#[ignore = "serves a store for manual trials; run it explicitly"]
fn demo_store() {
    let read_write = TestKey::new(Permission::ReadWrite);
    let read = TestKey::new(Permission::Read);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![read_write.clone(), read.clone()];
    config.site_name = "Demo Store".to_owned();
    let store = TestStore::start(config);
    println!("store:      {}", store.url());
    println!("ca cert:    {}", store.ca_cert_path().display());
    println!("read/write: {}  {}", read_write.key, read_write.secret);
    println!("read:       {}  {}", read.key, read.secret);
    let seconds = std::env::var("WOOLINK_DEMO_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    std::thread::sleep(Duration::from_secs(seconds));
}
