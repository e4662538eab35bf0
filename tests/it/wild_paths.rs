//! `woolink connect`, `api` and `accounts verify` against stores set up the way real ones were
//! recorded (firewalls on REST writes, rate limits, plugins that own the Authorization header,
//! trailing-slash rules, WordPress in its own directory, another REST prefix): what woolink
//! must do on each. Every failure also shows the secret nowhere in what was printed or written.

use std::time::Duration;

use crate::connect::{assert_failure, connect, connect_key, store_with};
use crate::harness::{Outcome, Woolink};
use crate::linking::{again, assert_secret_only_in_credentials_file, link};
use crate::store::{
    Firewall, Permission, RateLimit, SeenRequest, StoreConfig, TestKey, TestStore, Tls, rounds,
};

/// The write check that cannot write: an update of product 0, refused by its id.
fn is_update_of_product_0(r: &SeenRequest) -> bool {
    let path = r.path_and_query.split('?').next().unwrap_or("");
    r.method == "POST" && path.trim_end_matches('/').ends_with("/wc/v3/products/0")
}

/// A store of `adjust`'s kind with one read/write key, linked as "shop" (secret in the file).
fn linked(adjust: impl FnOnce(&mut StoreConfig)) -> (TestStore, TestKey, Woolink) {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, adjust);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    (store, key, home)
}

/// The accounts as `accounts list --json` shows them.
fn listed(home: &Woolink, store: &TestStore) -> serde_json::Value {
    let list = again(home, store, &["accounts", "list", "--json"]);
    list.assert_code(0);
    list.json()
}

/// stderr in lower case, for wording checks that do not care about capitals.
fn stderr_lower(outcome: &Outcome) -> String {
    outcome.stderr.to_lowercase()
}

// a. A firewall that knows the common collections.

#[test]
fn a_firewall_on_unknown_write_routes_lets_the_write_check_through() {
    for (permission, access) in [
        (Permission::ReadWrite, "read-write"),
        (Permission::Read, "read"),
    ] {
        let key = TestKey::new(permission);
        let store = store_with(Tls::Valid, &key, |config| {
            config.firewall = Some(Firewall::UnknownWriteRoutes)
        });
        let outcome = connect_key(&store, &key, &["--json"]);
        outcome.assert_code(0);
        assert_eq!(
            outcome.json()["access"],
            access,
            "{permission:?}: {}",
            outcome.stderr
        );
        let requests = store.requests();
        assert!(
            requests.iter().any(is_update_of_product_0),
            "{permission:?}: no POST to wc/v3/products/0 in {requests:#?}"
        );
        assert!(store.created().is_empty(), "{:?}", store.created());
    }
}

// b. A firewall that refuses every REST write.

#[test]
fn a_firewall_on_every_write_proves_the_read_and_says_the_write_was_not_checked() {
    for permission in [Permission::ReadWrite, Permission::Read] {
        let key = TestKey::new(permission);
        let store = store_with(Tls::Valid, &key, |config| {
            config.firewall = Some(Firewall::AllWrites)
        });
        let outcome = connect_key(&store, &key, &["--json"]);
        outcome.assert_code(0);
        let json = outcome.json();
        // woolink cannot know whether the key may write: never "read", never "read-write".
        assert_eq!(json["access"], "read-proven", "{permission:?}: {json}");
        // Said on stderr, with the status the write check got, with or without --json.
        let human = connect_key(&store, &key, &[]);
        human.assert_code(0);
        // The note is part of the summary (stdout) and of the JSON's notes.
        let stderr = format!("{}\n{}\n{}", outcome.stdout, human.stdout, human.stderr);
        assert!(
            stderr.to_lowercase().contains("write not checked") && stderr.contains("406"),
            "{permission:?}: {stderr}"
        );
        assert!(
            !human.stdout.contains("read-write access"),
            "{permission:?}: {}",
            human.stdout
        );
        assert!(store.created().is_empty());
    }
}

#[test]
fn a_firewall_on_every_write_fails_require_read_write_as_a_store_problem() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |config| {
        config.firewall = Some(Firewall::AllWrites)
    });
    let (woolink, outcome) = connect(
        &store.url(),
        &store,
        &key.key,
        &key.secret,
        &["--require", "read-write", "--json"],
    );
    assert_failure(&outcome, 3, "write_not_checked");
    outcome.assert_stderr_contains("406");
    woolink.assert_nothing_written();
}

// c. A firewall switched on after linking.

#[test]
fn verify_behind_a_new_firewall_on_writes_is_a_store_problem_and_keeps_the_access() {
    let (store, key, home) = linked(|_| {});
    assert_eq!(listed(&home, &store)[0]["access"], "read-write");
    store.set_firewall(Some(Firewall::AllWrites));
    let verified = again(&home, &store, &["accounts", "verify", "shop", "--json"]);
    verified.assert_code(3).assert_no_secret(&key.secret);
    let human = again(&home, &store, &["accounts", "verify", "shop"]);
    human.assert_code(3).assert_no_secret(&key.secret);
    assert!(human.stdout.contains("406") || human.stderr.contains("406"));
    assert_eq!(listed(&home, &store)[0]["access"], "read-write");
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

// d. nginx's limit_req.

#[test]
fn a_rate_limit_of_one_request_a_second_still_links() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |config| {
        config.rate_limit = Some(RateLimit {
            per_second: 1,
            retry_after: None,
        })
    });
    let outcome = connect_key(&store, &key, &["--json"]);
    outcome.assert_code(0);
    assert_eq!(outcome.json()["access"], "read-write", "{}", outcome.stderr);
}

#[test]
fn a_store_that_keeps_limiting_requests_is_named_as_such() {
    for (retry_after, when) in [(None, None), (Some(30), Some("in 30 seconds"))] {
        let key = TestKey::new(Permission::ReadWrite);
        let store = store_with(Tls::Valid, &key, |config| {
            config.rate_limit = Some(RateLimit {
                per_second: 0,
                retry_after,
            })
        });
        let (woolink, outcome) = connect(&store.url(), &store, &key.key, &key.secret, &["--json"]);
        assert_failure(&outcome, 3, "rate_limited");
        let stderr = stderr_lower(&outcome);
        assert!(stderr.contains("limiting requests"), "{}", outcome.stderr);
        assert!(!stderr.contains("firewall"), "{}", outcome.stderr);
        if let Some(when) = when {
            outcome.assert_stderr_contains(when);
        }
        assert!(!outcome.stdout.contains("read-write"), "{}", outcome.stdout);
        woolink.assert_nothing_written();
    }
}

#[test]
fn verify_of_three_accounts_on_a_rate_limited_store_passes() {
    let keys: Vec<TestKey> = (0..3)
        .map(|_| TestKey::new(Permission::ReadWrite))
        .collect();
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = keys.clone();
    let store = TestStore::start(config);
    let home = Woolink::new();
    for (key, name) in keys.iter().zip(["one", "two", "three"]) {
        link(&home, &store, key, name);
    }
    store.set_rate_limit(Some(RateLimit {
        per_second: 2,
        retry_after: None,
    }));
    let verified = again(&home, &store, &["accounts", "verify", "--json"]);
    for key in &keys {
        verified.assert_no_secret(&key.secret);
    }
    verified.assert_code(0);
    let report = verified.json();
    assert_eq!(report["healthy"], true, "{report}");
}

// e. A plugin that owns the Authorization header.

#[test]
fn a_plugin_that_owns_the_authorization_header_links_with_the_key_in_the_query() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |config| config.auth_header_plugin = true);
    let outcome = connect_key(&store, &key, &["--json"]);
    outcome.assert_code(0);
    let json = outcome.json();
    assert_eq!(json["auth_method"], "query-string", "{json}");
    assert_eq!(json["access"], "read-write", "{json}");

    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    let api = again(&home, &store, &["api", "products"]);
    api.assert_code(0).assert_no_secret(&key.secret);
    assert!(api.json().is_array(), "{}", api.stdout);
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

// f. A trailing-slash rule.

#[test]
fn a_trailing_slash_rule_is_followed_with_the_same_method() {
    for (permission, access) in [
        (Permission::ReadWrite, "read-write"),
        (Permission::Read, "read"),
    ] {
        let key = TestKey::new(permission);
        let store = store_with(Tls::Valid, &key, |config| config.trailing_slash = true);
        let outcome = connect_key(&store, &key, &["--json"]);
        outcome.assert_code(0);
        // A read key's write check turned into a GET would not be refused: a POST it stays.
        assert_eq!(
            outcome.json()["access"],
            access,
            "{permission:?}: {}",
            outcome.stderr
        );
        assert!(store.created().is_empty());
    }
}

#[test]
fn an_account_behind_a_trailing_slash_rule_works_with_api_and_verify() {
    let (store, key, home) = linked(|config| config.trailing_slash = true);
    let api = again(&home, &store, &["api", "products"]);
    api.assert_code(0).assert_no_secret(&key.secret);
    assert!(api.json().is_array(), "{}", api.stdout);
    let verified = again(&home, &store, &["accounts", "verify", "shop"]);
    verified.assert_code(0).assert_no_secret(&key.secret);
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

// g. WordPress in its own directory.

#[test]
fn the_keys_page_of_wordpress_in_its_own_directory_is_where_wordpress_is() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |config| {
        config.wordpress_dir = Some("/wp".into())
    });
    let home = store.url();
    let keys_page =
        format!("{home}/wp/wp-admin/admin.php?page=wc-settings&tab=advanced&section=keys");
    let wrong_page = format!("{home}/wp-admin/admin.php");
    let wrong_secret = TestKey::new(Permission::Read).secret;
    let stranger = TestKey::new(Permission::ReadWrite);
    for (id, secret, kind) in [
        (&key.key, &wrong_secret, "wrong_secret"),
        (&stranger.key, &stranger.secret, "unknown_key"),
    ] {
        let (woolink, outcome) = connect(&home, &store, id, secret, &["--json"]);
        assert_failure(&outcome, 4, kind);
        outcome.assert_stderr_contains(&keys_page);
        assert!(!outcome.stderr.contains(&wrong_page), "{}", outcome.stderr);
        woolink.assert_nothing_written();
    }
}

// h. Another REST prefix costs no more rounds.

fn assert_at_most_two_rounds(store: &TestStore) {
    let requests = store.requests();
    assert!(
        requests.len() <= 4,
        "{} requests: {requests:#?}",
        requests.len()
    );
    let rounds = rounds(&requests);
    assert!(rounds.len() <= 2, "{} rounds: {rounds:#?}", rounds.len());
}

#[test]
fn another_rest_prefix_costs_at_most_two_rounds() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |config| {
        config.rest_prefix = "api".into();
        config.latency = Duration::from_millis(200);
    });
    let outcome = connect_key(&store, &key, &["--json"]);
    outcome.assert_code(0);
    assert_eq!(outcome.json()["api_root"], format!("{}/api/", store.url()));
    assert_at_most_two_rounds(&store);
}

#[test]
fn another_rest_prefix_on_a_worker_bound_store_costs_at_most_two_rounds() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |config| {
        config.rest_prefix = "api".into();
        config.workers = Some((2, Duration::from_millis(60)));
    });
    connect_key(&store, &key, &["--json"]).assert_code(0);
    assert_at_most_two_rounds(&store);
}

// i. The store's title.

#[test]
fn a_scripted_connect_keeps_the_stores_title_and_verify_follows_a_new_one() {
    // Checking alone still costs the two key checks.
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |_| {});
    connect_key(&store, &key, &["--json"]).assert_code(0);
    assert_eq!(store.requests().len(), 2, "{:#?}", store.requests());

    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    assert_eq!(listed(&home, &store)[0]["store_name"], "Test Store");

    store.set_site_name("New Name");
    let verified = again(&home, &store, &["accounts", "verify", "shop"]);
    verified
        .assert_code(0)
        .assert_stdout_contains("title: \"Test Store\" → \"New Name\"")
        .assert_no_secret(&key.secret);
    assert_eq!(listed(&home, &store)[0]["store_name"], "New Name");
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

// j. A revoked key names its fix.

#[test]
fn a_revoked_key_names_the_command_that_links_it_again() {
    let (store, key, home) = linked(|_| {});
    store.revoke(&key.key);
    let fix = "woolink connect --name shop";
    let api = again(&home, &store, &["api", "products"]);
    api.assert_code(4)
        .assert_stderr_contains(fix)
        .assert_no_secret(&key.secret);
    // verify's report, the message of each account included, is its output.
    let verified = again(&home, &store, &["accounts", "verify", "shop"]);
    verified
        .assert_code(4)
        .assert_stdout_contains(fix)
        .assert_no_secret(&key.secret);
    assert_secret_only_in_credentials_file(&home, &key.secret);
}
