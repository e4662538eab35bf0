//! Not a test: serves a loopback test store for trying woolink by hand.
//!
//! `cargo test --test it demo_store -- --ignored --nocapture` prints the store's URL, its CA
//! certificate and a read/write key, then serves for `WOOLINK_DEMO_SECONDS` (default 600).
//! `WOOLINK_DEMO_MODE` picks a real-world configuration: `tls-proxy`, `php-notice`,
//! `site-password` (user `stage`, password `staging-pw`), `api-prefix`, `private-site`,
//! `maintenance`, `fatal`, `workers` (2 PHP workers of 100 ms each).

use std::time::Duration;

use crate::store::{Down, FrontPage, Junk, Permission, StoreConfig, TestKey, TestStore, Tls};

#[test]
#[ignore = "serves a store for manual trials; run it explicitly"]
fn demo_store() {
    let read_write = TestKey::new(Permission::ReadWrite);
    let read = TestKey::new(Permission::Read);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![read_write.clone(), read.clone()];
    config.site_name = "Demo Store".to_owned();
    match std::env::var("WOOLINK_DEMO_MODE")
        .unwrap_or_default()
        .as_str()
    {
        "" => {}
        "tls-proxy" => config.behind_tls_proxy = true,
        "php-notice" => config.junk = Some(Junk::PhpNotice),
        "site-password" => {
            config.site_password = Some(("stage".into(), "staging-pw".into(), "Staging".into()));
        }
        "api-prefix" => config.rest_prefix = "api".into(),
        "private-site" => config.front_page = FrontPage::PrivateSite,
        "maintenance" => config.down = Some(Down::Maintenance),
        "fatal" => config.down = Some(Down::Fatal),
        "workers" => config.workers = Some((2, Duration::from_millis(100))),
        other => panic!("unknown WOOLINK_DEMO_MODE {other:?}"),
    }
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
