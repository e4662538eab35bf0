//! `woolink connect --no-save` through loopback proxies named by the usual variables: a working
//! proxy carries the traffic, and a failing or malformed one is named with the variable it came
//! from, never with its password, and never blamed on the store.

use crate::harness::{Outcome, Woolink};
use crate::proxy_server::{Kind, TestProxy, closed_port};
use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};

const PASSWORD: &str = "pr0xy-pa55word";

fn store(key: &TestKey) -> TestStore {
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    TestStore::start(config)
}

/// `connect --no-save --json` to `store` with the given variables set (the harness clears
/// everything else), checking that neither the secret nor the proxy password shows.
fn connect_via(store: &TestStore, key: &TestKey, vars: &[(&str, String)]) -> Outcome {
    let mut woolink = Woolink::new();
    woolink
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--no-save", "--json", "--verbose", "--ca-cert"])
        .args([store.ca_cert_path().to_string_lossy().into_owned()]);
    for (name, value) in vars {
        woolink.env(name, value.clone());
    }
    let outcome = woolink.run();
    outcome.assert_no_secret(&key.secret);
    for (stream, text) in [("stdout", &outcome.stdout), ("stderr", &outcome.stderr)] {
        assert!(
            !text.contains(PASSWORD),
            "the proxy password appears on {stream}:\n{text}"
        );
    }
    woolink.assert_secret_not_on_disk(&key.secret);
    outcome
}

fn store_port(store: &TestStore) -> String {
    store.origin().rsplit(':').next().unwrap().to_owned()
}

fn assert_kind(outcome: &Outcome, code: i32, kind: &str) {
    outcome.assert_code(code);
    assert_eq!(outcome.json()["error"]["kind"], kind, "{}", outcome.stderr);
}

#[test]
fn connect_goes_through_an_http_connect_proxy() {
    let key = TestKey::new(Permission::Read);
    let store = store(&key);
    let proxy = TestProxy::start(Kind::Connect { credentials: None });
    // No NO_PROXY: a loopback store goes through the proxy like any other.
    let outcome = connect_via(&store, &key, &[("HTTPS_PROXY", proxy.url("http"))]);
    outcome.assert_code(0);
    assert_eq!(outcome.json()["access"], "read");
    let expected = format!("localhost:{}", store_port(&store));
    let targets = proxy.targets();
    assert!(
        !targets.is_empty() && targets.iter().all(|t| *t == expected),
        "{targets:?}"
    );
    outcome.assert_stderr_contains(&format!("via {} (from HTTPS_PROXY)", proxy.url("http")));
}

#[test]
fn connect_goes_through_a_socks5h_proxy_that_resolves_the_name() {
    let key = TestKey::new(Permission::Read);
    let store = store(&key);
    let proxy = TestProxy::start(Kind::Socks5);
    let outcome = connect_via(&store, &key, &[("all_proxy", proxy.url("socks5h"))]);
    outcome.assert_code(0);
    let expected = format!("localhost:{}", store_port(&store));
    let targets = proxy.targets();
    assert!(
        !targets.is_empty() && targets.iter().all(|t| *t == expected),
        "{targets:?}"
    );
}

#[test]
fn connect_goes_through_a_socks5_proxy_with_local_name_lookup() {
    let key = TestKey::new(Permission::Read);
    let store = store(&key);
    let proxy = TestProxy::start(Kind::Socks5);
    let outcome = connect_via(&store, &key, &[("https_proxy", proxy.url("socks5"))]);
    outcome.assert_code(0);
    let port = store_port(&store);
    let targets = proxy.targets();
    assert!(
        !targets.is_empty()
            && targets
                .iter()
                .all(|t| *t == format!("127.0.0.1:{port}") || *t == format!("[::1]:{port}")),
        "{targets:?}"
    );
}

#[test]
fn proxy_credentials_are_sent_and_never_shown() {
    let key = TestKey::new(Permission::Read);
    let store = store(&key);
    let credentials = "woo:pr0xy-pa55word";
    let proxy = TestProxy::start(Kind::Connect {
        credentials: Some(credentials),
    });
    let url = format!("http://{credentials}@127.0.0.1:{}", proxy.port());
    connect_via(&store, &key, &[("HTTPS_PROXY", url)]).assert_code(0);
    assert!(!proxy.targets().is_empty());
}

#[test]
fn wrong_proxy_credentials_are_named_as_such() {
    let key = TestKey::new(Permission::Read);
    let mut store = store(&key);
    store.expect_no_requests();
    let proxy = TestProxy::start(Kind::Connect {
        credentials: Some("woo:other"),
    });
    let url = format!("http://woo:{PASSWORD}@127.0.0.1:{}", proxy.port());
    let outcome = connect_via(&store, &key, &[("https_proxy", url)]);
    assert_kind(&outcome, 3, "proxy");
    outcome
        .assert_stderr_contains(&format!("proxy {} (from https_proxy)", proxy.url("http")))
        .assert_stderr_contains("did not accept the user name and password");
}

#[test]
fn a_proxy_that_wants_credentials_says_so() {
    let key = TestKey::new(Permission::Read);
    let mut store = store(&key);
    store.expect_no_requests();
    let proxy = TestProxy::start(Kind::Connect {
        credentials: Some("woo:secret"),
    });
    let outcome = connect_via(&store, &key, &[("HTTPS_PROXY", proxy.url("http"))]);
    assert_kind(&outcome, 3, "proxy");
    outcome.assert_stderr_contains("wants a user name and password (HTTP 407)");
}

#[test]
fn a_proxy_that_refuses_the_tunnel_is_named() {
    let key = TestKey::new(Permission::Read);
    let mut store = store(&key);
    store.expect_no_requests();
    let proxy = TestProxy::start(Kind::ConnectForbidden);
    let outcome = connect_via(&store, &key, &[("HTTPS_PROXY", proxy.url("http"))]);
    assert_kind(&outcome, 3, "proxy");
    outcome.assert_stderr_contains(&format!(
        "the proxy {} (from HTTPS_PROXY) refused to open a connection",
        proxy.url("http")
    ));
}

#[test]
fn a_dead_proxy_is_named_not_the_store() {
    let key = TestKey::new(Permission::Read);
    let mut store = store(&key);
    store.expect_no_requests();
    for (variable, scheme) in [("HTTPS_PROXY", "http"), ("ALL_PROXY", "socks5h")] {
        let proxy = format!("{scheme}://127.0.0.1:{}", closed_port());
        let with_password = proxy.replace("://", &format!("://woo:{PASSWORD}@"));
        let outcome = connect_via(&store, &key, &[(variable, with_password)]);
        assert_kind(&outcome, 3, "proxy");
        outcome.assert_stderr_contains(&format!("the proxy {proxy} (from {variable})"));
        assert!(
            !outcome.stderr.contains("nothing is listening")
                && !outcome.stderr.contains("that the store is online"),
            "{}",
            outcome.stderr
        );
        outcome.assert_stderr_contains("NO_PROXY");
    }
}

#[test]
fn no_proxy_exempts_a_host() {
    let key = TestKey::new(Permission::Read);
    let store = store(&key);
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let outcome = connect_via(
        &store,
        &key,
        &[
            ("HTTPS_PROXY", dead),
            ("NO_PROXY", "example.com, localhost".into()),
        ],
    );
    outcome.assert_code(0);
}

#[test]
fn a_malformed_proxy_variable_is_a_usage_error() {
    let key = TestKey::new(Permission::Read);
    let mut store = store(&key);
    store.expect_no_requests();
    for (variable, value, why) in [
        (
            "HTTPS_PROXY",
            format!("ftp://woo:{PASSWORD}@proxy.example:21"),
            "socks5h://",
        ),
        ("http_proxy", "http://[::1".to_owned(), "not a URL"),
    ] {
        let outcome = connect_via(&store, &key, &[(variable, value)]);
        assert_kind(&outcome, 2, "proxy_setup");
        outcome
            .assert_stderr_contains(&format!("{variable} is set to"))
            .assert_stderr_contains(why);
    }
}
