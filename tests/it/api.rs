//! `woolink api` against the loopback store: GET and POST round trips, pagination with each
//! way of authenticating, error statuses, redirects, the default account, and never the secret.

use crate::harness::{Outcome, Woolink};
use crate::linking::{again, assert_secret_only_in_credentials_file, follow, link, store_with_key};
use crate::store::{Busy, Encoding, Permission, StoreConfig, TestKey, TestStore, Tls};

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

/// The `name` of each object of a JSON list, in order.
pub(crate) fn names(value: &serde_json::Value) -> Vec<&str> {
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
        &[
            "-X",
            "POST",
            "products",
            "-F",
            "name=Cap",
            "-F",
            "regular_price=9",
        ],
    );
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(outcome.json()["id"], 100);
    assert_eq!(outcome.json()["name"], "Cap");
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
    // The store's error document goes to stderr with the error; stdout stays empty.
    assert!(invalid.stdout.is_empty(), "{}", invalid.stdout);
    let document = invalid.stderr.lines().next().unwrap();
    let document: serde_json::Value = serde_json::from_str(document).unwrap();
    assert_eq!(document["code"], "woocommerce_rest_product_invalid_id");
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
            .assert_stderr_contains(&format!("`woolink connect --name {name}`"))
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
fn the_path_cannot_leave_woocommerce() {
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
            .assert_stderr_contains("not a WooCommerce API route")
            .assert_no_secret(&key.secret);
    }
    assert_eq!(store.requests().len(), before, "a trick reached the store");
}

/// A route from the API root whose first segment has a `:` reads as a URL of another scheme
/// (`wc-x:1/y`): refused as what it is, exit 2, before anything is sent.
#[test]
fn a_route_that_reads_as_a_scheme_is_refused_as_usage() {
    let (store, key, home) = linked(Tls::Valid, Permission::Read);
    let before = store.requests().len();
    for route in ["/wc-x:1/y", "/wc:80/v3/products", "/wc-analytics:x"] {
        let outcome = api(&home, &store, &[route]);
        outcome
            .assert_code(2)
            .assert_stderr_contains("not a WooCommerce API route")
            .assert_stderr_contains("`:`")
            .assert_no_secret(&key.secret);
        assert!(outcome.stdout.is_empty(), "{}", outcome.stdout);
        assert!(
            !outcome.stderr.contains("leads away"),
            "blamed on the store: {}",
            outcome.stderr
        );
    }
    assert_eq!(store.requests().len(), before, "a request was sent");
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

/// A store with a key of `permission` linked as "shop", configured by `configure`.
fn linked_with(
    permission: Permission,
    configure: impl FnOnce(&mut StoreConfig),
) -> (TestStore, TestKey, Woolink) {
    let key = TestKey::new(permission);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    configure(&mut config);
    let store = TestStore::start(config);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    (store, key, home)
}

#[test]
fn a_5_mb_compressed_page_of_real_products_is_printed_with_the_stores_key_order() {
    let (store, key, home) = linked_with(Permission::Read, |config| {
        config.products = 100;
        config.description_bytes = 53_000;
        config.compression = Some(Encoding::Gzip);
    });
    let outcome = api(&home, &store, &["products?per_page=100"]);
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert!(
        outcome.stdout.len() > 5_000_000,
        "{} bytes",
        outcome.stdout.len()
    );
    assert_eq!(outcome.json().as_array().unwrap().len(), 100);
    // WooCommerce's order (id, name, slug, ...), not the alphabet's.
    assert!(
        outcome
            .stdout
            .starts_with(r#"[{"id":11,"name":"Hoodie","slug":"hoodie""#),
        "{}",
        &outcome.stdout[..200]
    );
    let seen = store.requests().pop().unwrap();
    assert!(
        seen.accept_encoding
            .as_deref()
            .is_some_and(|ae| ae.contains("gzip")),
        "{seen:?}"
    );
    assert_secret_only_in_credentials_file(&home, &key.secret);

    for encoding in [Encoding::Brotli, Encoding::Zstd] {
        let (store, key, home) = linked_with(Permission::Read, |config| {
            config.products = 20;
            config.compression = Some(encoding);
        });
        let outcome = api(&home, &store, &["products?per_page=20"]);
        outcome.assert_code(0).assert_no_secret(&key.secret);
        assert_eq!(outcome.json().as_array().unwrap().len(), 20, "{encoding:?}");
        // -i shows the answer as it came: no Content-Encoding left once decompressed.
        let included = api(&home, &store, &["-i", "products?per_page=1"]);
        included.assert_code(0).assert_no_secret(&key.secret);
        assert!(
            included.stdout.starts_with("HTTP/1.1 200 OK\n"),
            "{}",
            included.stdout
        );
        assert!(
            included.stdout.contains("\nx-wp-totalpages: 20\n"),
            "{}",
            included.stdout
        );
    }
}

#[test]
fn sixty_pages_of_100_are_paginated_into_one_array() {
    let (store, key, home) = linked_with(Permission::Read, |config| {
        config.products = 6000;
        config.description_bytes = 200;
        config.compression = Some(Encoding::Gzip);
    });
    let before = store.requests().len();
    let outcome = api(&home, &store, &["products?per_page=100", "--paginate"]);
    outcome.assert_code(0).assert_no_secret(&key.secret);
    let items = outcome.json();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 6000);
    assert_eq!(items[5999]["id"], 11 + 5999);
    // Reassembled from the pages, each object keeps WooCommerce's key order.
    assert!(
        outcome
            .stdout
            .starts_with(r#"[{"id":11,"name":"Hoodie","slug":"hoodie""#),
        "{}",
        &outcome.stdout[..200]
    );
    assert_eq!(store.requests().len() - before, 60);
    // No progress lines when stderr is not a terminal: a script's log stays clean.
    assert!(!outcome.stderr.contains("page "), "{}", outcome.stderr);
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn a_busy_store_is_asked_again_when_it_says_when() {
    let (store, key, home) = linked(Tls::Valid, Permission::ReadWrite);
    let busy = |status, times, retry_after: &str| {
        store.set_busy(Some(Busy {
            status,
            times,
            retry_after: retry_after.to_owned(),
        }))
    };
    busy(429, 2, "1");
    let before = store.requests().len();
    let outcome = api(&home, &store, &["products"]);
    outcome
        .assert_code(0)
        .assert_stderr_contains(
            "the store answered 429 Too Many Requests; retrying in 1 s (1 of 3)",
        )
        .assert_stderr_contains("(2 of 3)")
        .assert_no_secret(&key.secret);
    assert_eq!(names(&outcome.json()), ["Hoodie", "Beanie", "Album"]);
    assert_eq!(store.requests().len() - before, 3);

    // Bounded: three retries, then the store's answer is the failure.
    busy(503, 10, "0");
    let outcome = api(&home, &store, &["products"]);
    outcome
        .assert_code(3)
        .assert_stderr_contains("(3 of 3)")
        .assert_stderr_contains("the store answered 503 Service Unavailable")
        .assert_no_secret(&key.secret);
    assert!(!outcome.stderr.contains("(4 of 3)"), "{}", outcome.stderr);
    busy(0, 0, "0");

    // Longer than woolink waits: said at once.
    busy(503, 1, "600");
    let before = store.requests().len();
    api(&home, &store, &["products"])
        .assert_code(3)
        .assert_stderr_contains("asks to be asked again in 10 minutes")
        .assert_no_secret(&key.secret);
    assert_eq!(store.requests().len() - before, 1);

    // A write: a 503 may come after the store did it, so it is never sent twice...
    busy(503, 1, "0");
    api(
        &home,
        &store,
        &["-X", "POST", "products", "-F", "name=Once"],
    )
    .assert_code(3)
    .assert_no_secret(&key.secret);
    // ...but a 429 comes before anything runs.
    busy(429, 1, "0");
    api(
        &home,
        &store,
        &["-X", "POST", "products", "-F", "name=Twice"],
    )
    .assert_code(0)
    .assert_stderr_contains("retrying in 0 s (1 of 3)")
    .assert_no_secret(&key.secret);
    assert_eq!(store.created(), ["Twice"]);
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn fields_never_make_a_write() {
    let (store, key, home) = linked(Tls::Valid, Permission::ReadWrite);
    let outcome = api(&home, &store, &["products", "-F", "per_page=2"]);
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(names(&outcome.json()), ["Hoodie", "Beanie"]);
    let seen = store.requests().pop().unwrap();
    assert_eq!(seen.method, "GET");
    assert!(seen.path_and_query.contains("per_page=2"), "{seen:?}");
    assert!(store.created().is_empty(), "a product was created");
}

#[test]
fn a_write_whose_answer_is_too_large_is_reported_as_done() {
    // A gzip answer that unpacks to more than the limit: woolink stops reading at 64 MiB.
    let (store, key, home) = linked_with(Permission::ReadWrite, |config| {
        config.created_description_bytes = 70 * 1024 * 1024;
        config.compression = Some(Encoding::Gzip);
    });
    let outcome = api(&home, &store, &["-X", "POST", "products", "-F", "name=Cap"]);
    outcome
        .assert_code(5)
        .assert_stderr_contains("the store answered 201 Created")
        .assert_stderr_contains("larger than 64 MiB and was not printed")
        .assert_stderr_contains("check the store before sending it again")
        .assert_no_secret(&key.secret);
    assert!(outcome.stdout.is_empty(), "{}", &outcome.stdout[..200]);
    assert_eq!(store.created(), ["Cap"]);
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn a_path_from_the_api_root_reaches_any_woocommerce_namespace() {
    let (store, key, home) = linked(Tls::Valid, Permission::Read);
    let outcome = api(&home, &store, &["/wc/v2/products?per_page=1"]);
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(names(&outcome.json()), ["Hoodie"]);
    assert_eq!(
        store.requests().pop().unwrap().path_and_query,
        "/wp-json/wc/v2/products?per_page=1"
    );
    api(&home, &store, &["/wc/store/v1/cart"])
        .assert_code(2)
        .assert_stderr_contains("rest_no_route")
        .assert_no_secret(&key.secret);
    assert_eq!(
        store.requests().pop().unwrap().path_and_query,
        "/wp-json/wc/store/v1/cart"
    );
    api(&home, &store, &["/wc-analytics/reports"]).assert_code(2);
    assert_eq!(
        store.requests().pop().unwrap().path_and_query,
        "/wp-json/wc-analytics/reports"
    );
    let before = store.requests().len();
    api(&home, &store, &["/wp/v2/users"])
        .assert_code(2)
        .assert_stderr_contains("no WooCommerce namespace")
        .assert_no_secret(&key.secret);
    assert_eq!(store.requests().len(), before, "the key left WooCommerce");
}

#[test]
fn include_prints_status_and_headers_without_echoed_credentials() {
    // Query credentials, which the store echoes in its Link headers.
    let (store, key, home) = linked_with(Permission::Read, |config| {
        config.strip_authorization = true;
    });
    let outcome = api(&home, &store, &["-i", "products?per_page=1"]);
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert!(
        !outcome.stdout.contains(&key.key),
        "the full key was printed"
    );
    let (head, body) = outcome.stdout.split_once("\n\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\n"), "{head}");
    assert!(head.contains("x-wp-total: 3"), "{head}");
    assert!(head.contains("consumer_secret=[redacted]"), "{head}");
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(names(&body), ["Hoodie"]);
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn help_states_the_limit_the_method_rule_and_exit_5() {
    let outcome = Woolink::new().args(["api", "--help"]).run();
    outcome
        .assert_code(0)
        .assert_stdout_contains("64 MiB")
        .assert_stdout_contains("fields never")
        .assert_stdout_contains("  5  the store answered 2xx")
        .assert_stdout_contains("--include");
}
