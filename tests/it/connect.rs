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

/// The store answers with a redirect whose target fails (a host that does not exist, a closed
/// port, an `ftp:` or `file:` address): the message names the redirect and its target, and
/// does not say the typed store failed DNS, refused the connection or is offline.
#[test]
fn a_failing_redirect_target_is_named_not_the_store() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cases = [
        (
            "https://woolink-dead.invalid".to_owned(),
            "https://woolink-dead.invalid/wp-json/",
            "its host name could not be found (DNS)",
        ),
        (
            format!("https://127.0.0.1:{closed}"),
            "https://127.0.0.1:",
            "the connection to it was refused",
        ),
        (
            "ftp://127.0.0.1".to_owned(),
            "ftp://127.0.0.1/wp-json/",
            "it is a ftp: address",
        ),
        (
            "file://".to_owned(),
            "file:///wp-json/",
            "it is a file: address",
        ),
    ];
    for (to, target, cause) in cases {
        let key = TestKey::new(Permission::ReadWrite);
        let store = store_with(Tls::Valid, &key, |config| config.redirect_to = Some(to));
        let outcome = connect_key(&store, &key, &["--json"]);
        assert_failure(&outcome, 3, "redirect_target_failed");
        outcome
            .assert_stderr_contains(&format!(
                "{} answered, but redirects to {target}",
                store.url()
            ))
            .assert_stderr_contains(cause)
            .assert_no_secret(&key.secret);
        for blame in [
            format!("could not reach {}", store.url()),
            "Check the address, and that the store is online".to_owned(),
        ] {
            assert!(
                !outcome.stderr.contains(&blame),
                "the store was blamed: {}",
                outcome.stderr
            );
        }
    }
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
    let leaked = elsewhere.credentialed_requests();
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

/// Connecting a name that is already linked, from a script, with the secret in a real
/// Secret Service.
#[cfg(target_os = "linux")]
mod relinking {
    use crate::harness::Outcome;
    use crate::keychain::KeychainHome as Home;
    use crate::linking::store_knowing;
    use crate::store::{Permission, TestKey, TestStore};

    impl Home {
        /// `connect` with `key` given the scripted way (secret on stdin), `url` if any.
        fn connect(
            &self,
            store: &TestStore,
            url: Option<&str>,
            key: &TestKey,
            extra: &[&str],
        ) -> Outcome {
            let mut woolink = self.trusting(store);
            woolink.args(["connect"]);
            if let Some(url) = url {
                woolink.args(["--url", url]);
            }
            woolink
                .args(["--consumer-key", &key.key, "--consumer-secret-stdin"])
                .args(extra.iter().copied())
                .stdin(key.secret.clone());
            let outcome = woolink.run();
            outcome.assert_no_secret(&key.secret);
            self.first.assert_secret_not_on_disk(&key.secret);
            outcome
        }

        fn accounts(&self, store: &TestStore) -> serde_json::Value {
            let mut woolink = self.trusting(store);
            woolink.args(["accounts", "list", "--json"]);
            woolink.run().assert_code(0).json()
        }
    }

    #[test]
    #[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
    fn the_same_connect_again_is_already_linked_and_the_key_proven_again() {
        let key = TestKey::new(Permission::ReadWrite);
        let store = store_knowing(&[&key]);
        let home = Home::new();
        let url = store.url();
        for name in [&["--name", "shop"][..], &[][..]] {
            let first = home.connect(&store, Some(&url), &key, &[name, &["--json"]].concat());
            assert_eq!(first.assert_code(0).json()["link"], "new");
            let linked = home.accounts(&store);
            let proofs = store.credentialed_requests().len();

            let again = home.connect(&store, Some(&url), &key, name);
            again
                .assert_code(0)
                .assert_stdout_contains("was already linked; verified");
            assert!(
                store.credentialed_requests().len() > proofs,
                "not proven again"
            );
            let json = home.connect(&store, Some(&url), &key, &[name, &["--json"]].concat());
            let json = json.assert_code(0).json();
            assert_eq!(json["link"], "already_linked");
            assert_eq!(json["secret_restored"], false);
            assert_eq!(json["saved"], true);
            // Still the same accounts, first linked when they were; only verified again.
            let forget_verified = |mut accounts: serde_json::Value| {
                for account in accounts.as_array_mut().unwrap() {
                    account.as_object_mut().unwrap().remove("verified_at");
                }
                accounts
            };
            assert_eq!(
                forget_verified(home.accounts(&store)),
                forget_verified(linked),
                "{name:?}"
            );
        }
        let kept = home.kept();
        assert_eq!(kept.matches("attribute.username = ").count(), 2, "{kept}");
    }

    #[test]
    #[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
    fn the_same_name_for_another_store_or_key_stays_taken_without_force() {
        let key = TestKey::new(Permission::ReadWrite);
        let other_key = TestKey::new(Permission::Read);
        let store = store_knowing(&[&key, &other_key]);
        let other_store = store_knowing(&[&key]);
        let home = Home::new();
        home.connect(&store, Some(&store.url()), &key, &["--name", "shop"])
            .assert_code(0);
        let index = home.index();

        let moved = home.connect(
            &other_store,
            Some(&other_store.url()),
            &key,
            &["--name", "shop", "--json"],
        );
        moved.assert_code(2).assert_stderr_contains("--force");
        assert_eq!(moved.json()["error"]["kind"], "name_taken");

        let proofs = store.credentialed_requests().len();
        let rekeyed = home.connect(&store, None, &other_key, &["--name", "shop", "--json"]);
        rekeyed.assert_code(2).assert_stderr_contains("--force");
        assert_eq!(rekeyed.json()["error"]["kind"], "name_taken");
        assert_eq!(
            store.credentialed_requests().len(),
            proofs,
            "another key was sent"
        );

        assert_eq!(home.index(), index, "the index changed");
        let kept = home.kept();
        assert!(kept.contains(&key.secret));
        assert_eq!(kept.matches("attribute.username = ").count(), 1, "{kept}");
    }

    #[test]
    #[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
    fn naming_a_linked_account_uses_its_store_and_keeps_a_missing_secret_again() {
        let key = TestKey::new(Permission::ReadWrite);
        let store = store_knowing(&[&key]);
        let home = Home::new();
        home.connect(&store, Some(&store.url()), &key, &["--name", "shop"])
            .assert_code(0);
        let cleared = home
            .keychain
            .command("secret-tool")
            .args(["clear", "service", "woolink"])
            .status()
            .unwrap();
        assert!(cleared.success());
        assert!(!home.kept().contains(&key.secret));

        let outcome = home.connect(&store, None, &key, &["--name", "shop"]);
        outcome
            .assert_code(0)
            .assert_stderr_contains(&format!(
                "Linking \"shop\" again, at its store {}",
                store.url()
            ))
            .assert_stdout_contains("was already linked; verified")
            .assert_stdout_contains("Its secret had gone missing from the OS keychain");
        assert!(home.kept().contains(&key.secret));
        let mut show = home.trusting(&store);
        let shown = show.args(["accounts", "show", "shop", "--json"]).run();
        assert_eq!(shown.assert_code(0).json()["secret_present"], true);
    }

    #[test]
    #[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
    fn naming_a_linked_account_with_force_replaces_its_key_in_the_same_storage() {
        let key = TestKey::new(Permission::Read);
        let new_key = TestKey::new(Permission::ReadWrite);
        let store = store_knowing(&[&key, &new_key]);
        let home = Home::new();
        home.connect(&store, Some(&store.url()), &key, &["--name", "shop"])
            .assert_code(0);
        let linked = home.connect(
            &store,
            None,
            &new_key,
            &["--name", "shop", "--force", "--json"],
        );
        let json = linked.assert_code(0).json();
        assert_eq!(json["link"], "replaced");
        assert_eq!(json["access"], "read-write");
        let kept = home.kept();
        assert_eq!(kept.matches("attribute.username = ").count(), 1, "{kept}");
        assert!(kept.contains(&new_key.secret) && !kept.contains(&key.secret));
        let accounts = home.accounts(&store);
        assert_eq!(accounts.as_array().unwrap().len(), 1);
        assert_eq!(
            accounts[0]["key_suffix"],
            &new_key.key[new_key.key.len() - 7..]
        );
    }

    #[test]
    #[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
    fn naming_a_linked_account_in_a_script_without_a_key_says_what_is_needed() {
        let key = TestKey::new(Permission::ReadWrite);
        let mut store = store_knowing(&[&key]);
        let home = Home::new();
        home.connect(&store, Some(&store.url()), &key, &["--name", "shop"])
            .assert_code(0);
        let requests = store.requests().len();
        let index = home.index();
        let mut woolink = home.trusting(&store);
        let outcome = woolink
            .args(["connect", "--name", "shop", "--json"])
            .env("WOOLINK_CONSUMER_SECRET", key.secret.clone())
            .run();
        outcome
            .assert_code(2)
            .assert_no_secret(&key.secret)
            .assert_stderr_contains("already linked")
            .assert_stderr_contains("--consumer-key")
            .assert_stderr_contains("store URL is taken from the account")
            .assert_stderr_contains("--force");
        assert_eq!(outcome.json()["error"]["kind"], "usage");
        assert_eq!(store.requests().len(), requests, "something was sent");
        assert_eq!(home.index(), index);
        store.expect_no_requests();
    }
}

#[test]
fn two_stores_on_one_host_get_two_default_names() {
    let key = TestKey::new(Permission::Read);
    let stores = [
        store_with(Tls::Valid, &key, |_| {}),
        store_with(Tls::Valid, &key, |_| {}),
    ];
    let home = Woolink::new();
    for store in &stores {
        crate::linking::follow(&home, store)
            .connect_args(&store.url(), &key.key, &key.secret)
            .args(["--store", "file"])
            .run()
            .assert_code(0);
    }
    let listed = crate::linking::again(&home, &stores[0], &["accounts", "list", "--json"]);
    let names: Vec<String> = listed
        .assert_code(0)
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|account| account["name"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = stores
        .iter()
        .map(|store| format!("localhost-{}", store.url().rsplit(':').next().unwrap()))
        .collect();
    assert_eq!(names, expected);
    crate::linking::assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn the_assumed_scheme_is_noted_only_once_the_address_is_used() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |_| {});
    let without_scheme = store.url().trim_start_matches("https://").to_owned();
    let (_, linked) = connect(&without_scheme, &store, &key.key, &key.secret, &[]);
    linked.assert_code(0);
    let note = linked
        .stderr
        .find("Note: assumed https://")
        .expect("the assumed scheme is noted");
    let checking = linked.stderr.find("Checking the key").unwrap();
    assert!(note < checking, "{}", linked.stderr);

    // A key refused before anything is sent: the address was never used, so nothing is
    // said of it.
    let sent = store.requests().len();
    let (_, refused) = connect(&without_scheme, &store, "ck_short", &key.secret, &[]);
    refused.assert_code(2);
    assert!(!refused.stderr.contains("assumed"), "{}", refused.stderr);
    assert_eq!(store.requests().len(), sent);
}
