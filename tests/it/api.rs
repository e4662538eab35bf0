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
    assert!(
        !outcome.stdout.contains(&key.key) && !outcome.stderr.contains(&key.key),
        "the full consumer key was printed"
    );
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

/// Changes account `name` in `home`'s index the way a hand edit would.
pub fn edit_account(home: &Woolink, name: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = home.config_dir().join("accounts.json");
    let mut index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(index["version"], 1);
    let account = index["accounts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["name"] == name)
        .unwrap();
    edit(account);
    std::fs::write(&path, serde_json::to_vec_pretty(&index).unwrap()).unwrap();
}

/// Hand edits an index must not be trusted with: an API root for "shop" (linked over https
/// with Basic) that is no http(s) URL or is on another store, and "plain" (linked over
/// loopback http with OAuth 1.0a) switched to sending its key and secret as they are.
pub fn hostile_api_roots(
    elsewhere: &TestStore,
) -> Vec<(&'static str, String, Option<&'static str>)> {
    vec![
        ("shop", "mailto:x@y".to_owned(), None),
        ("shop", "not a url".to_owned(), None),
        ("shop", format!("{}/wp-json/", elsewhere.url()), None),
        // The http store's own root, but with credentials sent as they are.
        ("plain", String::new(), Some("basic")),
        ("plain", String::new(), Some("query-string")),
    ]
}

/// Applies one of [`hostile_api_roots`] to `home`'s index.
pub fn apply_hostile_edit(home: &Woolink, name: &str, api_root: &str, auth: Option<&str>) {
    edit_account(home, name, |account| {
        if !api_root.is_empty() {
            account["api_root"] = api_root.into();
        }
        if let Some(auth) = auth {
            account["auth_method"] = auth.into();
        }
    });
}

#[test]
fn an_api_root_from_a_hand_edited_index_is_refused_before_anything_is_sent() {
    let (store, key, home) = linked(Tls::Valid, Permission::Read);
    let (http_store, http_key) = store_with_key(Tls::None, Permission::Read);
    link(&home, &http_store, &http_key, "plain");
    let (mut elsewhere, _) = store_with_key(Tls::Valid, Permission::Read);
    elsewhere.expect_no_requests();
    let seen = || store.requests().len() + http_store.requests().len();
    for (name, api_root, auth) in hostile_api_roots(&elsewhere) {
        let before = seen();
        let original = std::fs::read(home.config_dir().join("accounts.json")).unwrap();
        apply_hostile_edit(&home, name, &api_root, auth);
        let outcome = api(&home, &store, &["products", "--account", name]);
        outcome
            .assert_code(1)
            .assert_stderr_contains("accounts.json")
            .assert_stderr_contains(&format!("woolink connect --name {name} --force"))
            .assert_no_secret(&key.secret)
            .assert_no_secret(&http_key.secret);
        assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
        assert_eq!(
            seen(),
            before,
            "a request was sent for {name} {api_root} {auth:?}"
        );
        std::fs::write(home.config_dir().join("accounts.json"), original).unwrap();
    }
    assert!(elsewhere.requests().is_empty());
}

#[test]
fn the_path_cannot_leave_wc_v3() {
    let (store, key, home) = linked(Tls::Valid, Permission::Read);
    api(&home, &store, &["products"]).assert_code(0);
    let before = store.requests().len();
    for trick in [
        "products/%2e%2e/%2e%2e/%2e%2e/wp/v2/users",
        "products/%2E%2E/%2E%2E/%2E%2E/wp/v2/users",
        "products/.%2e/.%2e/.%2e/wp/v2/users",
        "%2e%2e/wp/v2/users",
        "products%2f..%2f..%2f..%2fwp/v2/users",
        "products/%252e%252e/%252e%252e/%252e%252e/wp/v2/users",
        "//other.host/x",
        "/wp-json///other.host/x/../../../wp/v2/users",
        "products\\..\\..\\..\\wp\\v2\\users",
        "\\\\other.host\\x",
        "products?rest_route=/wp/v2/users",
    ] {
        api(&home, &store, &[trick])
            .assert_code(2)
            .assert_stderr_contains("not a wc/v3 route")
            .assert_no_secret(&key.secret);
    }
    assert_eq!(store.requests().len(), before, "a trick reached the store");
}
