//! `woolink api` against the loopback store: GET and POST round trips, pagination with each
//! way of authenticating, error statuses, redirects, the default account, and never the secret.

use crate::harness::{Outcome, Woolink};
use crate::linking::{again, assert_secret_only_in_credentials_file, follow, link, store_with_key};
use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};

fn api(home: &Woolink, store: &TestStore, args: &[&str]) -> Outcome {
    let mut all = vec!["api"];
    all.extend_from_slice(args);
    again(home, store, &all)
}

fn linked(tls: Tls, permission: Permission) -> (TestStore, TestKey, Woolink) {
    let (store, key) = store_with_key(tls, permission);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    (store, key, home)
}

fn names(value: &serde_json::Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect()
}

#[test]
fn get_returns_the_stores_json() {
    let (store, key, home) = linked(Tls::Valid, Permission::Read);
    let outcome = api(&home, &store, &["products"]);
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(names(&outcome.json()), ["Hoodie", "Beanie", "Album"]);
    let one = api(&home, &store, &["/wc/v3/products/12?_fields=id,name"]);
    assert_eq!(
        one.assert_code(0).json(),
        serde_json::json!({"id": 12, "name": "Beanie"})
    );
    let last = store.requests().pop().unwrap();
    assert_eq!(
        last.path_and_query,
        "/wp-json/wc/v3/products/12?_fields=id%2Cname"
    );
    assert!(last.authorization.is_some(), "Basic over https");
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn post_with_fields_or_an_input_file_round_trips() {
    let (store, key, home) = linked(Tls::Valid, Permission::ReadWrite);
    let outcome = api(
        &home,
        &store,
        &["products", "-F", "name=Cap", "-F", "regular_price=9"],
    );
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(outcome.json()["id"], 100);
    assert_eq!(store.requests().last().unwrap().method, "POST");

    let mut woolink = follow(&home, &store);
    let outcome = woolink
        .args(["api", "-X", "post", "products", "--input", "-"])
        .stdin(r#"{"name": "Cap"}"#)
        .run();
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(outcome.json()["status"], "draft");

    let mut woolink = follow(&home, &store);
    woolink
        .args(["api", "products", "--input", "-"])
        .stdin("not json")
        .run()
        .assert_code(2)
        .assert_stderr_contains("not JSON");
}

#[test]
fn error_statuses_become_messages_and_exit_codes() {
    let (store, key, home) = linked(Tls::Valid, Permission::Read);
    let invalid = api(&home, &store, &["products/999"]);
    invalid
        .assert_code(2)
        .assert_stderr_contains("HTTP 400")
        .assert_stderr_contains("woocommerce_rest_product_invalid_id")
        .assert_no_secret(&key.secret);
    assert_eq!(
        invalid.json()["code"],
        "woocommerce_rest_product_invalid_id"
    );
    api(&home, &store, &["no-such-route"])
        .assert_code(2)
        .assert_stderr_contains("rest_no_route");
    // A read-only key may not write: the store says so with 401.
    api(&home, &store, &["-X", "POST", "products", "-F", "name=x"])
        .assert_code(4)
        .assert_stderr_contains("HTTP 401")
        .assert_no_secret(&key.secret);
    store.revoke(&key.key);
    api(&home, &store, &["products"])
        .assert_code(4)
        .assert_no_secret(&key.secret);
    let requests_before = store.requests().len();
    for bad in [
        vec!["https://evil.example/wp-json/wc/v3/products"],
        vec!["products?consumer_key=x"],
        vec!["-X", "BREW", "products"],
        vec!["products", "-F", "novalue"],
    ] {
        api(&home, &store, &bad).assert_code(2);
    }
    assert_eq!(
        store.requests().len(),
        requests_before,
        "bad input was sent"
    );
}

#[test]
fn pagination_rebuilds_echoed_query_credentials_and_signs_each_page() {
    // The server strips the Authorization header, so the account uses query credentials,
    // which the store echoes in its rel="next" links.
    let key = TestKey::new(Permission::Read);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.strip_authorization = true;
    let store = TestStore::start(config);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    let before = store.requests().len();
    let outcome = api(&home, &store, &["products?per_page=1", "--paginate"]);
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(names(&outcome.json()), ["Hoodie", "Beanie", "Album"]);
    let pages = &store.requests()[before..];
    assert_eq!(pages.len(), 3, "{pages:?}");
    for page in pages {
        let secrets = page.path_and_query.matches("consumer_secret=").count();
        assert_eq!(
            secrets, 1,
            "a raw echoed link was used: {}",
            page.path_and_query
        );
    }

    // OAuth 1.0a over loopback http: a nonce is good once, so every page is signed afresh.
    let (store, key, home) = linked(Tls::None, Permission::Read);
    let outcome = api(&home, &store, &["products?per_page=2", "--paginate"]);
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(names(&outcome.json()), ["Hoodie", "Beanie", "Album"]);
    // Without --paginate, only the first page.
    let first = api(&home, &store, &["products?per_page=2"]);
    assert_eq!(names(&first.assert_code(0).json()), ["Hoodie", "Beanie"]);
}

#[test]
fn a_redirect_is_not_followed_with_credentials() {
    let (store, key, home) = linked(Tls::None, Permission::Read);
    let (mut elsewhere, _) = store_with_key(Tls::None, Permission::Read);
    elsewhere.expect_no_requests();
    store.set_redirect_to(Some(elsewhere.origin()));
    let outcome = api(&home, &store, &["products"]);
    outcome
        .assert_code(3)
        .assert_stderr_contains("redirect")
        .assert_stderr_contains(&elsewhere.origin())
        .assert_no_secret(&key.secret);
    assert!(
        !outcome.stderr.contains("oauth_"),
        "a URL was shown with its signature: {}",
        outcome.stderr
    );
    assert!(elsewhere.requests().is_empty());
}

#[test]
fn the_default_account_is_used_when_none_is_named() {
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let home = Woolink::new();
    link(&home, &store, &key, "one");
    // One account: no --account needed.
    api(&home, &store, &["products"]).assert_code(0);
    link(&home, &store, &key, "two");
    api(&home, &store, &["products"])
        .assert_code(2)
        .assert_stderr_contains("--account")
        .assert_stderr_contains("accounts default");
    api(&home, &store, &["products", "--account", "two"]).assert_code(0);
    api(&home, &store, &["products", "--account", "three"])
        .assert_code(2)
        .assert_stderr_contains("one, two");
    again(&home, &store, &["accounts", "default", "three"]).assert_code(2);
    again(&home, &store, &["accounts", "default", "two"]).assert_code(0);
    again(&home, &store, &["accounts", "default"])
        .assert_code(0)
        .assert_stdout_contains("two");
    api(&home, &store, &["products"]).assert_code(0);
    let list = again(&home, &store, &["accounts", "list", "--json"]).json();
    assert_eq!(
        list.as_array().unwrap().len(),
        2,
        "the index still lists both"
    );
    // Removing the default account clears the default.
    again(&home, &store, &["accounts", "remove", "two", "--yes"]).assert_code(0);
    let shown = again(&home, &store, &["accounts", "default", "--json"]).json();
    assert_eq!(shown["default"], serde_json::Value::Null);
    api(&home, &store, &["products"]).assert_code(0);
}
