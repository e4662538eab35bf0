//! `woolink connect --no-save` against the loopback store: one test per outcome in
//! docs/woocommerce.md, each checking the exit code, the message's key facts, and that
//! the secret appears nowhere in what was printed or written.

use std::time::Duration;

use crate::harness::{Outcome, Woolink};
use crate::store::{Challenge, Permalinks, Permission, StoreConfig, TestKey, TestStore, Tls};

/// A store with one key of `permission`, adjusted by `adjust`.
pub(crate) fn store_with(
    tls: Tls,
    key: &TestKey,
    adjust: impl FnOnce(&mut StoreConfig),
) -> TestStore {
    let mut config = StoreConfig::new(tls);
    config.keys = vec![key.clone()];
    adjust(&mut config);
    TestStore::start(config)
}

/// Runs `connect --no-save` with the store's CA trusted, the secret on stdin.
pub(crate) fn connect(
    url: &str,
    store: &TestStore,
    key: &str,
    secret: &str,
    extra: &[&str],
) -> (Woolink, Outcome) {
    let mut woolink = Woolink::new();
    woolink
        .connect_args(url, key, secret)
        .args(["--no-save", "--ca-cert"])
        .args([store.ca_cert_path().to_string_lossy().into_owned()])
        .args(extra.iter().copied());
    let outcome = woolink.run();
    outcome.assert_no_secret(secret);
    woolink.assert_secret_not_on_disk(secret);
    (woolink, outcome)
}

pub(crate) fn connect_key(store: &TestStore, key: &TestKey, extra: &[&str]) -> Outcome {
    connect(&store.url(), store, &key.key, &key.secret, extra).1
}

/// A failure: the given exit code, nothing written, the masked key shown where it matters.
pub(crate) fn assert_failure(outcome: &Outcome, code: i32, kind: &str) {
    outcome.assert_code(code);
    assert!(
        outcome.stderr.starts_with("Checking") || outcome.stderr.contains("error: "),
        "{}",
        outcome.stderr
    );
    let json_kind = outcome.json()["error"]["kind"].clone();
    assert_eq!(json_kind, kind, "{}", outcome.stderr);
}

/// One outcome: a key of `permission` on a store set up by `adjust` fails with `code`, the
/// JSON `kind`, and a message containing `needle`.
pub(crate) fn assert_store_fails(
    permission: Permission,
    tls: Tls,
    adjust: impl FnOnce(&mut StoreConfig),
    (code, kind, needle): (i32, &str, &str),
) {
    let key = TestKey::new(permission);
    let store = store_with(tls, &key, adjust);
    let outcome = connect_key(&store, &key, &["--json"]);
    assert_failure(&outcome, code, kind);
    outcome.assert_stderr_contains(needle);
}

/// A known read/write key sent with another key's secret.
fn connect_with_wrong_secret(
    tls: Tls,
    adjust: impl FnOnce(&mut StoreConfig),
) -> (Woolink, Outcome) {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(tls, &key, adjust);
    let wrong = TestKey::new(Permission::Read).secret;
    connect(&store.url(), &store, &key.key, &wrong, &["--json"])
}

pub(crate) fn suffix(key: &TestKey) -> &str {
    &key.key[key.key.len() - 7..]
}

#[test]
fn read_key_is_reported_as_read() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |_| {});
    let outcome = connect_key(&store, &key, &["--json"]);
    outcome.assert_code(0);
    let json = outcome.json();
    assert_eq!(json["access"], "read");
    assert_eq!(json["auth_method"], "basic");
    assert_eq!(json["saved"], false);
    assert_eq!(json["key"], format!("ck_…{}", suffix(&key)));
    assert_eq!(json["store_url"], store.url());
    assert_eq!(json["api_root"], format!("{}/wp-json/", store.url()));
    // A script's connect asks the store nothing beyond the key checks, so no site title.
    assert!(json["store_name"].is_null(), "{json}");
    assert!(!outcome.stdout.contains(&key.key), "full key printed");
}

#[test]
fn read_write_key_is_reported_as_read_write_in_human_output() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |_| {});
    let outcome = connect_key(&store, &key, &[]);
    outcome
        .assert_code(0)
        .assert_stdout_contains("read-write access")
        .assert_stdout_contains(&format!("ck_…{}", suffix(&key)))
        .assert_stdout_contains("HTTP Basic over HTTPS");
}

#[test]
fn require_read_write_fails_a_read_key() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |_| {});
    let outcome = connect_key(&store, &key, &["--require", "read-write", "--json"]);
    assert_failure(&outcome, 4, "needs_write");
    outcome.assert_stderr_contains("Read/Write");
}

#[test]
fn write_only_key_is_refused() {
    let key = TestKey::new(Permission::Write);
    let store = store_with(Tls::Valid, &key, |_| {});
    let outcome = connect_key(&store, &key, &["--json"]);
    assert_failure(&outcome, 4, "write_only_key");
    outcome
        .assert_stderr_contains("Write permission only")
        .assert_stderr_contains(&format!("ck_…{}", suffix(&key)));
}

#[test]
fn wrong_secret_is_named() {
    let (woolink, outcome) = connect_with_wrong_secret(Tls::Valid, |_| {});
    assert_failure(&outcome, 4, "wrong_secret");
    outcome.assert_stderr_contains("secret does not match");
    woolink.assert_nothing_written();
}

#[test]
fn unknown_key_is_refused_and_never_reported_as_writable() {
    let known = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &known, |_| {});
    let stranger = TestKey::new(Permission::ReadWrite);
    let (woolink, outcome) = connect(
        &store.url(),
        &store,
        &stranger.key,
        &stranger.secret,
        &["--json"],
    );
    assert_failure(&outcome, 4, "unknown_key");
    outcome
        .assert_stderr_contains("does not recognise the key")
        .assert_stderr_contains(suffix(&stranger))
        .assert_stderr_contains("section=keys");
    assert!(!outcome.stdout.contains("read-write"));
    woolink.assert_nothing_written();
}

#[test]
fn revoked_key_is_refused() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |_| {});
    store.revoke(&key.key);
    assert_failure(&connect_key(&store, &key, &["--json"]), 4, "unknown_key");
}

#[test]
fn key_of_a_customer_lacks_capability() {
    let key = TestKey::customer(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |_| {});
    let outcome = connect_key(&store, &key, &["--json"]);
    assert_failure(&outcome, 4, "user_lacks_capability");
    outcome.assert_stderr_contains("Administrator or Shop Manager");
}

#[test]
fn stripped_authorization_header_falls_back_to_query_credentials() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |config| config.strip_authorization = true);
    let outcome = connect_key(&store, &key, &["--json"]);
    outcome.assert_code(0);
    let json = outcome.json();
    assert_eq!(json["auth_method"], "query-string");
    assert_eq!(json["access"], "read-write");
    assert!(
        json["notes"][0]
            .as_str()
            .unwrap()
            .contains("Authorization header")
    );
}

#[test]
fn query_credentials_are_not_sent_when_the_header_works() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |_| {});
    connect_key(&store, &key, &[]).assert_code(0);
    assert!(
        store
            .requests()
            .iter()
            .all(|request| !request.path_and_query.contains("consumer_secret")),
        "the secret went into a URL although Basic worked"
    );
}

#[test]
fn plain_permalinks_on_old_woocommerce_are_explained() {
    assert_store_fails(
        Permission::ReadWrite,
        Tls::Valid,
        |config| {
            config.permalinks = Permalinks::Plain {
                key_auth_works: false,
            };
        },
        (3, "plain_permalinks", "Settings > Permalinks"),
    );
}

#[test]
fn plain_permalinks_on_current_woocommerce_work() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |config| {
        config.permalinks = Permalinks::Plain {
            key_auth_works: true,
        };
    });
    let outcome = connect_key(&store, &key, &["--json"]);
    outcome.assert_code(0);
    assert_eq!(
        outcome.json()["api_root"],
        format!("{}/index.php?rest_route=/", store.url())
    );
}

#[test]
fn wordpress_without_woocommerce_is_named() {
    assert_store_fails(
        Permission::ReadWrite,
        Tls::Valid,
        |config| config.woocommerce_active = false,
        (3, "no_woocommerce", "WooCommerce is installed and active"),
    );
}

#[test]
fn a_site_that_is_not_wordpress_is_named() {
    assert_store_fails(
        Permission::ReadWrite,
        Tls::Valid,
        |config| config.wordpress = false,
        (3, "not_wordpress", "does not look like a WordPress site"),
    );
}

#[test]
fn rest_api_closed_to_anonymous_still_works_with_a_valid_key() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |config| {
        config.rest_blocked_for_anonymous = true
    });
    let outcome = connect_key(&store, &key, &["--json"]);
    outcome.assert_code(0);
    assert_eq!(outcome.json()["access"], "read");
}

#[test]
fn rest_api_closed_to_anonymous_with_unknown_key_names_the_plugin() {
    let known = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &known, |config| {
        config.rest_blocked_for_anonymous = true
    });
    let stranger = TestKey::new(Permission::Read);
    let (_, outcome) = connect(
        &store.url(),
        &store,
        &stranger.key,
        &stranger.secret,
        &["--json"],
    );
    assert_failure(&outcome, 4, "unknown_key");
    outcome.assert_stderr_contains("closed to anonymous requests by a plugin");
}

#[test]
fn firewall_challenges_are_recognised() {
    for (challenge, vendor) in [
        (Challenge::Cloudflare, "Cloudflare"),
        (Challenge::SiteGround, "SiteGround"),
    ] {
        let key = TestKey::new(Permission::Read);
        let store = store_with(Tls::Valid, &key, |config| {
            config.challenge = Some(challenge)
        });
        let outcome = connect_key(&store, &key, &["--json"]);
        assert_failure(&outcome, 3, "firewall_challenge");
        outcome.assert_stderr_contains(vendor);
    }
}

/// `connect --no-save --json` to a store of `tls` whose certificate nothing was told to trust:
/// a TLS failure, with the secret nowhere in what was printed.
fn connect_untrusted(tls: Tls) -> Outcome {
    let key = TestKey::new(Permission::Read);
    let store = store_with(tls, &key, |_| {});
    let outcome = Woolink::new()
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--no-save", "--json"])
        .run();
    assert_failure(&outcome, 3, "tls");
    outcome.assert_no_secret(&key.secret);
    outcome
}

#[test]
fn untrusted_certificate_is_explained() {
    connect_untrusted(Tls::Valid)
        .assert_stderr_contains("does not trust")
        .assert_stderr_contains("--ca-cert");
}

#[test]
fn expired_certificate_is_explained() {
    assert_store_fails(
        Permission::Read,
        Tls::Expired,
        |_| {},
        (3, "tls", "expired"),
    );
}

#[test]
fn certificate_for_another_name_is_explained() {
    assert_store_fails(
        Permission::Read,
        Tls::WrongName,
        |_| {},
        (3, "tls", "different host name"),
    );
}

/// No message shows Rust debug text for a TLS failure.
fn assert_tls_words(outcome: &Outcome) {
    for debug in ["Other(", "OtherError", "CaUsedAsEndEntity"] {
        assert!(!outcome.stderr.contains(debug), "{}", outcome.stderr);
    }
}

#[test]
fn self_signed_certificate_is_explained() {
    let outcome = connect_untrusted(Tls::SelfSigned);
    assert_tls_words(&outcome);
    outcome
        .assert_stderr_contains("self-signed")
        .assert_stderr_contains("--ca-cert PATH");
}

#[test]
fn self_signed_certificate_given_with_ca_cert_is_trusted() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::SelfSigned, &key, |_| {});
    // connect() passes --ca-cert with the store's own (CA:TRUE) certificate.
    let outcome = connect_key(&store, &key, &["--json"]);
    outcome.assert_code(0);
    assert_eq!(outcome.json()["access"], "read", "{}", outcome.stdout);
}

#[test]
fn server_certificate_given_with_ca_cert_is_trusted() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |_| {});
    let mut woolink = Woolink::new();
    let outcome = woolink
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--no-save", "--json", "--ca-cert"])
        .args([store.server_cert_path().to_string_lossy().into_owned()])
        .run();
    outcome.assert_no_secret(&key.secret).assert_code(0);
}

#[test]
fn a_trusted_self_signed_certificate_must_still_name_the_host() {
    assert_store_fails(
        Permission::Read,
        Tls::SelfSignedWrongName,
        |_| {},
        (3, "tls", "different host name"),
    );
}

#[test]
fn a_trusted_self_signed_certificate_must_still_be_current() {
    assert_store_fails(
        Permission::Read,
        Tls::SelfSignedExpired,
        |_| {},
        (3, "tls", "expired"),
    );
}

#[test]
fn unknown_host_is_a_dns_failure() {
    let key = TestKey::new(Permission::Read);
    let mut woolink = Woolink::new();
    let outcome = woolink
        .connect_args("https://woolink-test.invalid", &key.key, &key.secret)
        .args(["--no-save", "--json"])
        .run();
    assert_failure(&outcome, 3, "unreachable");
    outcome
        .assert_no_secret(&key.secret)
        .assert_stderr_contains("DNS");
}

#[test]
fn refused_connection_is_named() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let key = TestKey::new(Permission::Read);
    let mut woolink = Woolink::new();
    let outcome = woolink
        .connect_args(&format!("https://127.0.0.1:{port}"), &key.key, &key.secret)
        .args(["--no-save", "--json"])
        .run();
    assert_failure(&outcome, 3, "unreachable");
    outcome
        .assert_no_secret(&key.secret)
        .assert_stderr_contains("refused");
}

#[test]
fn slow_store_times_out() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |config| {
        config.latency = Duration::from_secs(5)
    });
    let outcome = connect_key(&store, &key, &["--json", "--timeout", "1"]);
    assert_failure(&outcome, 3, "timeout");
    outcome.assert_stderr_contains("--timeout");
}

#[test]
fn redirect_loop_is_named() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |config| config.redirect_loop = true);
    let outcome = connect_key(&store, &key, &["--json"]);
    assert_failure(&outcome, 3, "redirect_loop");
}

#[test]
fn redirect_from_https_to_http_is_refused() {
    let key = TestKey::new(Permission::Read);
    let plain = store_with(Tls::None, &key, |_| {});
    let mut plain = plain;
    plain.expect_no_requests();
    let store = store_with(Tls::Valid, &key, |config| {
        config.redirect_to = Some(plain.origin())
    });
    let outcome = connect_key(&store, &key, &["--json"]);
    assert_failure(&outcome, 3, "https_downgrade");
    assert!(plain.requests().is_empty(), "woolink followed a downgrade");
}

#[test]
fn redirect_to_another_origin_gets_no_credentials() {
    let key = TestKey::new(Permission::ReadWrite);
    let elsewhere = store_with(Tls::Valid, &key, |_| {});
    let store = store_with(Tls::Valid, &key, |config| {
        config.redirect_to = Some(elsewhere.origin())
    });
    let outcome = connect_key(&store, &key, &["--json"]);
    assert_failure(&outcome, 3, "moved_elsewhere");
    outcome.assert_stderr_contains(&elsewhere.url());
    let leaked: Vec<_> = elsewhere
        .requests()
        .into_iter()
        .filter(|request| request.carries_credentials())
        .collect();
    assert!(
        leaked.is_empty(),
        "the other origin saw credentials: {leaked:#?}"
    );
}

#[test]
fn plain_http_on_loopback_signs_with_oauth_and_never_sends_the_secret() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::None, &key, |_| {});
    let outcome = connect_key(&store, &key, &["--json"]);
    outcome.assert_code(0);
    let json = outcome.json();
    assert_eq!(json["auth_method"], "oauth1");
    assert_eq!(json["access"], "read-write");
    for request in store.requests() {
        assert!(
            !request.path_and_query.contains(&key.secret[3..]),
            "{request:?}"
        );
        assert!(request.authorization.is_none(), "{request:?}");
    }
}

#[test]
fn oauth_with_a_wrong_secret_is_refused() {
    let (_, outcome) = connect_with_wrong_secret(Tls::None, |_| {});
    assert_failure(&outcome, 4, "oauth_rejected");
}

#[test]
fn tls_terminating_proxy_is_explained() {
    assert_store_fails(
        Permission::ReadWrite,
        Tls::Valid,
        |config| config.behind_tls_proxy = true,
        (3, "https_not_detected", "X-Forwarded-Proto"),
    );
}

#[test]
fn subdirectory_install_keeps_its_path() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |config| {
        config.subdir = Some("/shop".into())
    });
    assert!(store.url().ends_with("/shop"));
    let outcome = connect_key(&store, &key, &["--json"]);
    outcome.assert_code(0);
    assert_eq!(outcome.json()["store_url"], store.url());
    assert_eq!(
        outcome.json()["api_root"],
        format!("{}/wp-json/", store.url())
    );
}

#[test]
fn a_pasted_api_url_is_understood() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |_| {});
    let pasted = format!(
        "  \"{}/wp-json/wc/v3?foo=bar\"  ",
        store.url().to_uppercase().replace("HTTPS", "https")
    );
    let (_, outcome) = connect(&pasted, &store, &key.key, &key.secret, &["--json"]);
    outcome.assert_code(0);
    assert_eq!(outcome.json()["store_url"], store.url());
}

#[test]
fn wrong_secret_behind_a_server_that_strips_the_header_is_named_as_such() {
    let (_, outcome) =
        connect_with_wrong_secret(Tls::Valid, |config| config.strip_authorization = true);
    assert_failure(&outcome, 4, "wrong_secret");
}

#[test]
fn write_only_key_behind_a_server_that_strips_the_header_is_named_as_such() {
    assert_store_fails(
        Permission::Write,
        Tls::Valid,
        |config| config.strip_authorization = true,
        (4, "write_only_key", "Write permission only"),
    );
}

#[test]
fn write_only_key_over_oauth_is_named_as_such() {
    assert_store_fails(
        Permission::Write,
        Tls::None,
        |_| {},
        (4, "write_only_key", "Write permission only"),
    );
}

#[test]
fn unknown_key_with_plain_permalinks_names_both_possible_causes() {
    let known = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &known, |config| {
        config.permalinks = Permalinks::Plain {
            key_auth_works: true,
        };
    });
    let stranger = TestKey::new(Permission::Read);
    let (_, outcome) = connect(
        &store.url(),
        &store,
        &stranger.key,
        &stranger.secret,
        &["--json"],
    );
    assert_failure(&outcome, 3, "plain_permalinks");
    outcome
        .assert_stderr_contains("Settings > Permalinks")
        .assert_stderr_contains("unknown or revoked")
        .assert_stderr_contains(suffix(&stranger));
}

#[test]
fn verbose_shows_every_request_with_credentials_redacted() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |config| config.strip_authorization = true);
    let outcome = connect_key(&store, &key, &["--verbose"]);
    outcome
        .assert_code(0)
        .assert_stderr_contains("woolink debug: request GET")
        .assert_stderr_contains("Authorization: Basic REDACTED")
        .assert_stderr_contains("consumer_secret=REDACTED");
    assert!(!outcome.stderr.contains(&key.key), "{}", outcome.stderr);
}
