//! `woolink connect` against stores configured the way shops out there are: each
//! configuration of the test store's real-world modes gets the right verdict, and a healthy
//! store costs the probe one round of two requests.

use std::time::Duration;

use crate::connect::{assert_failure, assert_store_fails, connect, connect_key, store_with};
use crate::harness::Woolink;
use crate::linking::{again, link};
use crate::store::{
    Cache, Down, FrontPage, Junk, Permission, StoreConfig, TestKey, TestStore, Tls,
    max_concurrent_requests,
};

/// The requests that went to a page rather than to the REST API.
fn page_requests(store: &TestStore) -> Vec<String> {
    store
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .filter(|path| !path.contains("/wp-json") && !path.contains("rest_route"))
        .collect()
}

#[test]
fn a_healthy_store_costs_one_round_of_two_requests() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |config| {
        config.latency = Duration::from_millis(200);
    });
    connect_key(&store, &key, &[]).assert_code(0);
    let requests = store.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert_eq!(max_concurrent_requests(&requests), 2, "{requests:#?}");
}

#[test]
fn tls_proxy_with_a_working_key_names_the_cause_not_the_key() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |config| config.behind_tls_proxy = true);
    let outcome = connect_key(&store, &key, &["--json"]);
    assert_failure(&outcome, 3, "https_not_detected");
    outcome
        .assert_stderr_contains("The key itself works")
        .assert_stderr_contains("X-Forwarded-Proto");
    assert!(
        !outcome.stderr.contains("does not recognise"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn tls_proxy_with_an_unknown_key_is_not_called_unknown() {
    let known = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &known, |config| config.behind_tls_proxy = true);
    let stranger = TestKey::new(Permission::ReadWrite);
    let (woolink, outcome) = connect(
        &store.url(),
        &store,
        &stranger.key,
        &stranger.secret,
        &["--json"],
    );
    assert_failure(&outcome, 3, "https_not_detected");
    outcome.assert_stderr_contains("could not be checked");
    assert!(!outcome.stderr.contains("revoked"), "{}", outcome.stderr);
    woolink.assert_nothing_written();
}

#[test]
fn junk_before_the_json_is_read_past_and_named() {
    let cases = [
        (
            Junk::PhpNotice,
            "Deprecated: Function create_function() is deprecated",
            "WP_DEBUG_DISPLAY",
        ),
        (Junk::ByteOrderMark, "byte-order mark", "without a BOM"),
    ];
    for (junk, shown, advice) in cases {
        let key = TestKey::new(Permission::ReadWrite);
        let store = store_with(Tls::Valid, &key, |config| config.junk = Some(junk));
        let outcome = connect_key(&store, &key, &["--json"]);
        outcome.assert_code(0);
        let json = outcome.json();
        assert_eq!(json["access"], "read-write", "{junk:?}");
        let notes = json["notes"].to_string();
        assert!(
            notes.contains(shown) && notes.contains(advice),
            "{junk:?}: {notes}"
        );
        // Human output carries the same note.
        let human = connect_key(&store, &key, &[]);
        human.assert_code(0).assert_stdout_contains(shown);
    }
}

#[test]
fn the_site_password_is_named_with_its_realm() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |config| {
        config.site_password = Some(("stage".into(), "pw-site-1".into(), "Staging".into()));
    });
    let outcome = connect_key(&store, &key, &["--json"]);
    assert_failure(&outcome, 3, "site_password_required");
    outcome
        .assert_stderr_contains("\"Staging\"")
        .assert_stderr_contains("--site-user")
        .assert_stderr_contains("WOOLINK_SITE_PASSWORD");
}

#[test]
fn another_rest_prefix_keeps_the_store_url_at_home() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |config| config.rest_prefix = "api".into());
    let outcome = connect_key(&store, &key, &["--json"]);
    outcome.assert_code(0);
    let json = outcome.json();
    assert_eq!(json["store_url"], store.url());
    assert_eq!(json["api_root"], format!("{}/api/", store.url()));
    assert_eq!(json["access"], "read");
}

/// With the REST index closed to anonymous requests (a security plugin), the index cannot
/// name the store's home: the home is where the renamed prefix hangs, not the prefix itself.
#[test]
fn another_rest_prefix_with_a_closed_index_keeps_the_store_url_at_home() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |config| {
        config.rest_prefix = "api".into();
        config.rest_blocked_for_anonymous = true;
    });
    let outcome = connect_key(&store, &key, &["--json"]);
    outcome.assert_code(0);
    let json = outcome.json();
    assert_eq!(json["store_url"], store.url(), "{}", outcome.stderr);
    assert_eq!(json["api_root"], format!("{}/api/", store.url()));
    assert!(!outcome.stderr.contains("canonical"), "{}", outcome.stderr);
}

#[test]
fn front_pages_that_hide_a_working_api_are_never_asked() {
    let pages = [
        FrontPage::NoDiscoveryHints,
        FrontPage::PrivateSite,
        FrontPage::ComingSoon,
        FrontPage::Huge,
        FrontPage::HeadRefused,
        FrontPage::Slow(Duration::from_secs(5)),
    ];
    for front_page in pages {
        let key = TestKey::new(Permission::ReadWrite);
        let store = store_with(Tls::Valid, &key, |config| config.front_page = front_page);
        let outcome = connect_key(&store, &key, &["--json"]);
        outcome.assert_code(0);
        assert_eq!(outcome.json()["access"], "read-write", "{front_page:?}");
        let pages = page_requests(&store);
        assert!(pages.is_empty(), "{front_page:?}: asked {pages:?}");
    }
}

#[test]
fn a_store_found_only_through_its_front_page_is_found() {
    // The user typed the domain; WordPress lives in /shop and says so in the home page's Link.
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |config| {
        config.rest_prefix = "api".into();
        config.front_page = FrontPage::HeadRefused;
    });
    let outcome = connect(&store.url(), &store, &key.key, &key.secret, &["--json"]).1;
    outcome.assert_code(0);
    assert_eq!(outcome.json()["api_root"], format!("{}/api/", store.url()));
}

#[test]
fn a_store_in_maintenance_mode_is_temporarily_unavailable() {
    assert_store_fails(
        Permission::ReadWrite,
        Tls::Valid,
        |config| config.down = Some(Down::Maintenance),
        (3, "store_unavailable", "try again in 10 minutes"),
    );
}

#[test]
fn a_php_fatal_error_is_an_internal_error_of_the_store() {
    assert_store_fails(
        Permission::ReadWrite,
        Tls::Valid,
        |config| config.down = Some(Down::Fatal),
        (3, "store_error", "internal error"),
    );
}

#[test]
fn a_worker_bound_store_still_links() {
    let key = TestKey::new(Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.workers = Some((2, Duration::from_millis(60)));
    let store = TestStore::start(config);
    connect_key(&store, &key, &[]).assert_code(0);
}

/// A store of `adjust`'s kind with one read/write key, linked as "shop" (secret in the file).
fn linked(adjust: impl FnOnce(&mut StoreConfig)) -> (TestStore, TestKey, Woolink) {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, adjust);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    (store, key, home)
}

#[test]
fn verify_and_api_read_past_junk_and_say_what_the_store_prints() {
    let (store, key, home) = linked(|config| config.junk = Some(Junk::PhpNotice));
    let verified = again(&home, &store, &["accounts", "verify", "shop", "--json"]);
    verified.assert_code(0).assert_no_secret(&key.secret);
    let notes = verified.json()["accounts"][0]["notes"].to_string();
    assert!(notes.contains("WP_DEBUG_DISPLAY"), "{notes}");

    let api = again(&home, &store, &["api", "products"]);
    api.assert_code(0)
        .assert_no_secret(&key.secret)
        .assert_stderr_contains("Deprecated: Function create_function()");
    // stdout is the store's JSON alone, clean.
    let products: serde_json::Value = serde_json::from_str(&api.stdout).expect("clean JSON");
    assert!(products.is_array(), "{}", api.stdout);
    assert!(!api.stdout.contains("Deprecated"));
}

#[test]
fn verify_goes_straight_to_the_api_root_the_account_keeps() {
    let (store, key, home) = linked(|config| config.rest_prefix = "api".into());
    let before = store.requests().len();
    let verified = again(&home, &store, &["accounts", "verify", "shop", "--json"]);
    verified.assert_code(0).assert_no_secret(&key.secret);
    let requests = &store.requests()[before..];
    // The two checks, and the index for the store's title.
    assert_eq!(requests.len(), 3, "{requests:#?}");
    assert!(
        requests
            .iter()
            .all(|r| r.path_and_query.starts_with("/api/"))
    );
}

#[test]
fn verify_names_a_store_that_is_down() {
    let (store, key, home) = linked(|_| {});
    drop(store);
    let store = store_with(Tls::Valid, &key, |config| {
        config.down = Some(Down::Maintenance)
    });
    // The account was linked at another port; point it (and its secret) at the store that
    // is now down.
    let index = home.config_dir().join("accounts.json");
    let text = std::fs::read_to_string(&index).unwrap();
    let linked: serde_json::Value = serde_json::from_str(&text).unwrap();
    let old_origin = linked["accounts"][0]["store_url"]
        .as_str()
        .unwrap()
        .to_owned();
    for file in ["accounts.json", "credentials.json"] {
        let path = home.config_dir().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace(&old_origin, &store.url())).unwrap();
    }
    let verified = again(&home, &store, &["accounts", "verify", "shop", "--json"]);
    verified.assert_code(3).assert_no_secret(&key.secret);
    assert_eq!(
        verified.json()["accounts"][0]["status"],
        "store_unavailable"
    );
    home.assert_secret_only_in(&key.secret, &[home.config_dir().join("credentials.json")]);
}

const SITE_PASSWORD: &str = "pw-site-5c1e9b";

fn behind_site_password(config: &mut StoreConfig) {
    config.site_password = Some(("stage".into(), SITE_PASSWORD.into(), "Staging".into()));
}

#[test]
fn a_site_behind_the_web_servers_password_links_through_it() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, behind_site_password);
    let mut woolink = Woolink::new();
    woolink
        .connect_args(&store.url(), &key.key, &key.secret)
        .args([
            "--site-user",
            "stage",
            "--store",
            "file",
            "--name",
            "staging",
            "--json",
        ])
        .args(["--ca-cert", &store.ca_cert_path().to_string_lossy()])
        .env("WOOLINK_SITE_PASSWORD", SITE_PASSWORD);
    let outcome = woolink.run();
    outcome.assert_code(0).assert_no_secret(&key.secret);
    let json = outcome.json();
    assert_eq!(json["auth_method"], "query-string", "{json}");
    assert_eq!(json["site_user"], "stage");
    assert!(!outcome.stdout.contains(SITE_PASSWORD) && !outcome.stderr.contains(SITE_PASSWORD));
    // Both secrets live in the account's one entry, and only there.
    let credentials = woolink.config_dir().join("credentials.json");
    let kept = std::fs::read_to_string(&credentials).unwrap();
    assert!(kept.contains(SITE_PASSWORD) && kept.contains(&key.secret));
    woolink.assert_secret_only_in(SITE_PASSWORD, std::slice::from_ref(&credentials));
    woolink.assert_secret_only_in(&key.secret, &[credentials]);

    // The commands that use the account send the site login too.
    let verified = again(&woolink, &store, &["accounts", "verify", "staging"]);
    verified.assert_code(0);
    let api = again(
        &woolink,
        &store,
        &["api", "products", "--account", "staging"],
    );
    api.assert_code(0);
    let script =
        "test \"$WOOCOMMERCE_SITE_USER\" = stage && test -n \"$WOOCOMMERCE_SITE_PASSWORD\"";
    let ran = again(
        &woolink,
        &store,
        &["run", "--account", "staging", "--", "sh", "-c", script],
    );
    ran.assert_code(0);
    for outcome in [&verified, &api, &ran] {
        outcome.assert_no_secret(&key.secret);
        assert!(!outcome.stdout.contains(SITE_PASSWORD) && !outcome.stderr.contains(SITE_PASSWORD));
    }
}

#[test]
fn a_wrong_site_password_is_named_as_such() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, behind_site_password);
    let mut woolink = Woolink::new();
    woolink
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--site-user", "stage", "--no-save", "--json"])
        .args(["--ca-cert", &store.ca_cert_path().to_string_lossy()])
        .env("WOOLINK_SITE_PASSWORD", "not-the-password");
    let outcome = woolink.run();
    assert_failure(&outcome, 4, "site_password_rejected");
    outcome
        .assert_no_secret(&key.secret)
        .assert_stderr_contains("\"Staging\"");
    assert!(!outcome.stderr.contains("not-the-password"));
    woolink.assert_nothing_written();
}

#[test]
fn the_site_password_is_never_a_flag_value_and_never_asked_without_a_terminal() {
    let key = TestKey::new(Permission::ReadWrite);
    let mut store = store_with(Tls::Valid, &key, behind_site_password);
    store.expect_no_requests();
    let as_flag = Woolink::new()
        .connect_args(&store.url(), &key.key, &key.secret)
        .args([
            "--site-user",
            "stage",
            "--site-password",
            SITE_PASSWORD,
            "--json",
        ])
        .run();
    assert_failure(&as_flag, 2, "secret_in_argv");
    assert!(!as_flag.stderr.contains(SITE_PASSWORD) && !as_flag.stdout.contains(SITE_PASSWORD));
    let missing = Woolink::new()
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--site-user", "stage", "--json"])
        .run();
    assert_failure(&missing, 2, "missing_input");
    missing.assert_stderr_contains("WOOLINK_SITE_PASSWORD");
}

#[test]
fn a_cache_in_front_cannot_vouch_for_a_key() {
    // A CDN that keeps REST GET answers whoever asks has the product list a valid key got; a
    // stranger's key must not be judged by that copy.
    for (cache, code, kind) in [
        (Cache::ByUrl, 4, "unknown_key"),
        (Cache::IgnoringQuery, 3, "cached_answer"),
    ] {
        let known = TestKey::new(Permission::ReadWrite);
        let store = store_with(Tls::Valid, &known, |config| config.cache = Some(cache));
        connect_key(&store, &known, &[]).assert_code(0);
        let stranger = TestKey::new(Permission::ReadWrite);
        let (woolink, outcome) = connect(
            &store.url(),
            &store,
            &stranger.key,
            &stranger.secret,
            &["--json"],
        );
        assert_failure(&outcome, code, kind);
        assert!(!outcome.stdout.contains("read-write"), "{}", outcome.stdout);
        woolink.assert_nothing_written();
    }
}
