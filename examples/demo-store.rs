//! A WooCommerce store on loopback to try woolink on: the integration tests' store, serving
//! until Ctrl-C.
//!
//! ```text
//! cargo run --example demo-store            # a plain store over HTTPS
//! cargo run --example demo-store -- MODE    # one of the real-world configurations below
//! ```
//!
//! It prints the store's address, a read and a read/write key, and the `--ca-cert` to pass
//! (its certificate is made for this run, so no system trusts it). Modes: `tls-proxy`,
//! `php-notice`, `site-password` (user `stage`, password `staging-pw`), `api-prefix`,
//! `private-site`, `maintenance`, `fatal`, `workers` (2 PHP workers of 100 ms each),
//! `waf-writes` (a firewall answering 406 to writes on routes it does not know), `waf-all-writes`
//! (to every write), `rate-limit` (one request a second), `jwt-plugin` (a plugin refusing the
//! Authorization header), `trailing-slash` (301 to every URL with a slash added), `wp-dir`
//! (WordPress in its own directory, `/wp`).

use std::process::ExitCode;
use std::time::Duration;

use woolink_test_store::{
    Down, Firewall, FrontPage, Junk, Permission, RateLimit, StoreConfig, TestKey, TestStore, Tls,
};

const MODES: &str = "tls-proxy, php-notice, site-password, api-prefix, private-site, maintenance, fatal, workers, waf-writes, waf-all-writes, rate-limit, jwt-plugin, trailing-slash, wp-dir";

fn main() -> ExitCode {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let read_write = TestKey::new(Permission::ReadWrite);
    let read = TestKey::new(Permission::Read);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![read_write.clone(), read.clone()];
    config.site_name = "Demo Store".to_owned();
    match mode.as_str() {
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
        "waf-writes" => config.firewall = Some(Firewall::UnknownWriteRoutes),
        "waf-all-writes" => config.firewall = Some(Firewall::AllWrites),
        "rate-limit" => {
            config.rate_limit = Some(RateLimit {
                per_second: 1,
                retry_after: None,
            });
        }
        "jwt-plugin" => config.auth_header_plugin = true,
        "trailing-slash" => config.trailing_slash = true,
        "wp-dir" => config.wordpress_dir = Some("/wp".into()),
        other => {
            eprintln!("error: no demo mode {other:?}; the modes are: {MODES}");
            return ExitCode::from(2);
        }
    }
    let store = TestStore::start(config);
    let ca_cert = store.ca_cert_path();
    println!("Demo WooCommerce store \"Demo Store\" at {}", store.url());
    if !mode.is_empty() {
        println!("Configured as: {mode}");
    }
    println!();
    println!("Read/write key: {}", read_write.key);
    println!("        secret: {}", read_write.secret);
    println!("Read-only key:  {}", read.key);
    println!("        secret: {}", read.secret);
    println!();
    println!("Its certificate was made for this run; pass it to woolink:");
    println!(
        "  woolink connect --url {} --ca-cert {}",
        store.url(),
        ca_cert.display()
    );
    println!();
    println!("Serving until Ctrl-C.");
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
