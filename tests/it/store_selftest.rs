//! Self-test of the loopback store: every row of `docs/woocommerce.md`, checked with a plain
//! reqwest client, so that tests of woolink can trust the store they run against.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use sha2::Sha256;

use crate::store::{
    Challenge, Down, Firewall, FrontPage, Junk, Permalinks, Permission, RateLimit, StoreConfig,
    TestKey, TestStore, Tls, max_concurrent_requests, rounds,
};

fn client(store: &TestStore) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pem = std::fs::read(store.ca_cert_path()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Got {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or("").to_owned()
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }

    fn is_json(&self) -> bool {
        self.header("content-type").starts_with("application/json")
    }
}

async fn send(request: RequestBuilder) -> Got {
    let response = request.send().await.expect("request to the test store");
    let got = Got {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    };
    // WooCommerce never asks for credentials with WWW-Authenticate; only a web server does.
    assert!(!got.is_json() || got.headers.get("www-authenticate").is_none());
    got
}

/// Status and JSON code, the pair a probe branches on.
async fn outcome(request: RequestBuilder) -> (u16, String) {
    let got = send(request).await;
    (got.status, got.code())
}

fn https(keys: Vec<TestKey>) -> StoreConfig {
    StoreConfig {
        keys,
        ..StoreConfig::new(Tls::Valid)
    }
}

const PRODUCTS: &str = "/wp-json/wc/v3/products?per_page=1";
const UNUSED: &str = "/wp-json/wc/v3/woolink-probe-unused";
const AUTH_ERROR: &str = "woocommerce_rest_authentication_error";
const CANNOT_VIEW: &str = "woocommerce_rest_cannot_view";
const NO_ROUTE: &str = "rest_no_route";

/// GET products and POST + DELETE to a nonexistent route, with Basic credentials.
async fn table_row(store: &TestStore, key: &str, secret: &str) -> [(u16, String); 3] {
    let c = client(store);
    let url = store.url();
    let get = c.get(format!("{url}{PRODUCTS}"));
    let post = c.post(format!("{url}{UNUSED}"));
    let delete = c.delete(format!("{url}{UNUSED}"));
    [
        outcome(get.basic_auth(key, Some(secret))).await,
        outcome(post.basic_auth(key, Some(secret))).await,
        outcome(delete.basic_auth(key, Some(secret))).await,
    ]
}

fn row(get: (u16, &str), write: (u16, &str)) -> [(u16, String); 3] {
    let write = (write.0, write.1.to_owned());
    [(get.0, get.1.to_owned()), write.clone(), write]
}

#[tokio::test]
async fn facts_table_https_pretty() {
    let read = TestKey::new(Permission::Read);
    let write = TestKey::new(Permission::Write);
    let read_write = TestKey::new(Permission::ReadWrite);
    let customer = TestKey::customer(Permission::ReadWrite);
    let revoked = TestKey::new(Permission::ReadWrite);
    let keys = vec![
        read.clone(),
        write.clone(),
        read_write.clone(),
        customer.clone(),
        revoked.clone(),
    ];
    let store = TestStore::start(https(keys));
    store.revoke(&revoked.key);
    let unknown = TestKey::new(Permission::ReadWrite);

    let cases = [
        (&read, &read.secret, row((200, ""), (401, AUTH_ERROR))),
        (
            &write,
            &write.secret,
            row((401, AUTH_ERROR), (404, NO_ROUTE)),
        ),
        (
            &read_write,
            &read_write.secret,
            row((200, ""), (404, NO_ROUTE)),
        ),
        (
            &read,
            &write.secret,
            row((401, AUTH_ERROR), (401, AUTH_ERROR)),
        ),
        (
            &unknown,
            &unknown.secret,
            row((401, CANNOT_VIEW), (404, NO_ROUTE)),
        ),
        (
            &revoked,
            &revoked.secret,
            row((401, CANNOT_VIEW), (404, NO_ROUTE)),
        ),
        (
            &customer,
            &customer.secret,
            row((403, CANNOT_VIEW), (404, NO_ROUTE)),
        ),
    ];
    for (key, secret, expected) in cases {
        let got = table_row(&store, &key.key, secret).await;
        assert_eq!(got, expected, "key {:?}", key.permission);
    }
    let wrong = send(
        client(&store)
            .get(format!("{}{PRODUCTS}", store.url()))
            .basic_auth(&read.key, Some(&write.secret)),
    )
    .await;
    assert_eq!(wrong.json()["message"], "Consumer secret is invalid.");
    assert_eq!(wrong.json()["data"]["status"], 401);
    assert!(wrong.is_json());

    let anonymous = client(&store).get(format!("{}{PRODUCTS}", store.url()));
    assert_eq!(outcome(anonymous).await, (401, CANNOT_VIEW.to_owned()));
}

#[tokio::test]
async fn query_credentials_win_and_are_echoed_in_next_link() {
    let key = TestKey::new(Permission::Read);
    let store = TestStore::start(https(vec![key.clone()]));
    let c = client(&store);
    let url = format!(
        "{}{PRODUCTS}&consumer_key={}&consumer_secret={}",
        store.url(),
        key.key,
        key.secret
    );
    // Query wins over a bogus Basic header.
    let got = send(c.get(&url).basic_auth("ck_nobody", Some("cs_nothing"))).await;
    assert_eq!(got.status, 200);
    let items = got.json();
    assert_eq!(items.as_array().unwrap().len(), 1);
    assert_eq!(got.header("x-wp-total"), "3");
    assert_eq!(got.header("x-wp-totalpages"), "3");
    let link = got.header("link");
    assert!(link.ends_with("rel=\"next\""), "{link}");
    assert!(
        link.contains(&format!("consumer_secret={}", key.secret)),
        "{link}"
    );
    assert!(link.contains("page=2"), "{link}");

    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let page2 = send(c.get(next)).await;
    assert_eq!(page2.status, 200);
    assert_eq!(page2.json()[0]["id"], 12);
    assert!(page2.header("link").contains("rel=\"prev\""));

    let fields = send(c.get(format!("{url}&_fields=id"))).await;
    assert_eq!(fields.json(), serde_json::json!([{ "id": 11 }]));
    let head = send(c.head(&url)).await;
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert!(store.requests().iter().all(|r| r.carries_credentials()));
}

#[tokio::test]
async fn method_override_and_options_are_judged_as_their_method() {
    let read = TestKey::new(Permission::Read);
    let write = TestKey::new(Permission::Write);
    let store = TestStore::start(https(vec![read.clone(), write.clone()]));
    let c = client(&store);
    let unused = format!("{}{UNUSED}", store.url());
    let overridden = c.get(format!("{unused}?_method=POST"));
    let got = outcome(overridden.basic_auth(&read.key, Some(&read.secret))).await;
    assert_eq!(got, (401, AUTH_ERROR.to_owned()));
    let header = c.get(&unused).header("X-HTTP-Method-Override", "DELETE");
    let got = outcome(header.basic_auth(&read.key, Some(&read.secret))).await;
    assert_eq!(got, (401, AUTH_ERROR.to_owned()));
    let options = c.request(Method::OPTIONS, format!("{}{PRODUCTS}", store.url()));
    let got = send(options.basic_auth(&write.key, Some(&write.secret))).await;
    assert_eq!(got.status, 200);

    store.set_permission(&read.key, Permission::Write);
    let get = c.get(format!("{}{PRODUCTS}", store.url()));
    let got = send(get.basic_auth(&read.key, Some(&read.secret))).await;
    assert_eq!(got.code(), AUTH_ERROR);
    assert!(got.json()["message"].as_str().unwrap().contains("read"));
}

#[tokio::test]
async fn index_link_header_and_fields() {
    let store = TestStore::start(https(vec![]));
    let c = client(&store);
    let home = send(c.get(store.url())).await;
    assert_eq!(home.status, 200);
    let root = format!("{}/wp-json/", store.url());
    assert_eq!(
        home.header("link"),
        format!("<{root}>; rel=\"https://api.w.org/\"")
    );
    let index = send(c.get(&root)).await;
    assert_eq!(
        index.header("content-type"),
        "application/json; charset=UTF-8"
    );
    assert!(index.body.len() > 200_000, "{}", index.body.len());
    let namespaces = index.json()["namespaces"].clone();
    assert!(namespaces.as_array().unwrap().contains(&"wc/v3".into()));
    assert_eq!(index.json()["home"], store.url());

    let small = send(c.get(format!("{root}?_fields=name,url,home,namespaces"))).await;
    assert!(small.body.len() < 1024, "{}", small.body.len());
    let small = small.json();
    let mut keys: Vec<&String> = small.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["home", "name", "namespaces", "url"]);
    assert_eq!(small["name"], "Test Store");
    let no_slash = send(c.get(format!("{}/wp-json?_fields=name", store.url()))).await;
    assert_eq!(no_slash.json(), serde_json::json!({ "name": "Test Store" }));
    let elsewhere = send(c.get(format!("{}/some/page/", store.url()))).await;
    assert!(
        elsewhere
            .header("link")
            .contains("rel=\"https://api.w.org/\"")
    );
    assert_eq!(
        outcome(c.get(format!("{root}wp/v2/nothing"))).await.1,
        NO_ROUTE
    );
}

#[tokio::test]
async fn woocommerce_inactive_has_no_wc_routes() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = TestStore::start(StoreConfig {
        woocommerce_active: false,
        ..https(vec![key.clone()])
    });
    let c = client(&store);
    let index = send(c.get(format!("{}/wp-json/?_fields=namespaces", store.url()))).await;
    let namespaces = index.json()["namespaces"].to_string();
    assert!(!namespaces.contains("wc/"), "{namespaces}");
    let get = c.get(format!("{}{PRODUCTS}", store.url()));
    let got = outcome(get.basic_auth(&key.key, Some(&key.secret))).await;
    assert_eq!(got, (404, NO_ROUTE.to_owned()));
}

#[tokio::test]
async fn rest_closed_to_anonymous_still_takes_keys() {
    let key = TestKey::new(Permission::Read);
    let store = TestStore::start(StoreConfig {
        rest_blocked_for_anonymous: true,
        ..https(vec![key.clone()])
    });
    let c = client(&store);
    let home = send(c.get(store.url())).await;
    assert!(home.header("link").contains("/wp-json/"));
    let index = outcome(c.get(format!("{}/wp-json/", store.url()))).await;
    assert_eq!(index, (401, "rest_not_logged_in".to_owned()));
    let products = format!("{}{PRODUCTS}", store.url());
    let ok = c.get(&products).basic_auth(&key.key, Some(&key.secret));
    assert_eq!(send(ok).await.status, 200);
    let unknown = c.get(&products).basic_auth("ck_unknown", Some(&key.secret));
    assert_eq!(
        outcome(unknown).await,
        (401, "rest_not_logged_in".to_owned())
    );
    let wrong = c.get(&products).basic_auth(&key.key, Some("cs_wrong"));
    assert_eq!(outcome(wrong).await, (401, AUTH_ERROR.to_owned()));
}

#[tokio::test]
async fn stripped_authorization_leaves_only_query_credentials() {
    let key = TestKey::new(Permission::Read);
    let store = TestStore::start(StoreConfig {
        strip_authorization: true,
        ..https(vec![key.clone()])
    });
    let c = client(&store);
    let products = format!("{}{PRODUCTS}", store.url());
    let basic = c.get(&products).basic_auth(&key.key, Some(&key.secret));
    assert_eq!(outcome(basic).await, (401, CANNOT_VIEW.to_owned()));
    let query = format!(
        "{products}&consumer_key={}&consumer_secret={}",
        key.key, key.secret
    );
    assert_eq!(send(c.get(query)).await.status, 200);
    let seen = store.requests();
    assert!(
        seen[0]
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("Basic ")
    );
    assert!(seen[1].authorization.is_none() && seen[1].carries_credentials());
}

#[tokio::test]
async fn tls_proxy_hides_https_from_wordpress() {
    let key = TestKey::new(Permission::Read);
    let store = TestStore::start(StoreConfig {
        behind_tls_proxy: true,
        ..https(vec![key.clone()])
    });
    let c = client(&store);
    let products = format!("{}{PRODUCTS}", store.url());
    let basic = c.get(&products).basic_auth(&key.key, Some(&key.secret));
    assert_eq!(outcome(basic).await, (401, CANNOT_VIEW.to_owned()));
    let query = format!(
        "{products}&consumer_key={}&consumer_secret={}",
        key.key, key.secret
    );
    assert_eq!(outcome(c.get(query)).await, (401, CANNOT_VIEW.to_owned()));
    // The index shows the https addresses of the options, not http://.
    let index = send(c.get(format!("{}/wp-json/?_fields=home,url", store.url()))).await;
    assert_eq!(index.json()["home"], store.url());
    // OAuth 1.0a is judged against the http:// form of the URL.
    let url = format!("{}/wp-json/wc/v3/products", store.url());
    let as_http = url.replacen("https://", "http://", 1);
    let signed = |signed_for: &str, key: &TestKey| {
        let query = oauth_query("GET", signed_for, &[("per_page", "1")], key, now());
        c.get(format!("{url}?per_page=1&{query}"))
    };
    assert_eq!(send(signed(&as_http, &key)).await.status, 200);
    assert_eq!(
        outcome(signed(&url, &key)).await,
        (401, AUTH_ERROR.to_owned())
    );
    let unknown = TestKey::new(Permission::Read);
    assert_eq!(
        outcome(signed(&as_http, &unknown)).await,
        (401, AUTH_ERROR.to_owned())
    );
    // The login page redirects to itself.
    let login = format!("{}/wp-login.php", store.url());
    let got = send(c.get(&login)).await;
    assert_eq!((got.status, got.header("location")), (302, login.as_str()));
}

#[tokio::test]
async fn junk_comes_before_the_json_of_every_answer() {
    for junk in [Junk::PhpNotice, Junk::ByteOrderMark] {
        let key = TestKey::new(Permission::Read);
        let store = TestStore::start(StoreConfig {
            junk: Some(junk),
            ..https(vec![key.clone()])
        });
        let c = client(&store);
        let got = send(
            c.get(format!("{}{PRODUCTS}", store.url()))
                .basic_auth(&key.key, Some(&key.secret)),
        )
        .await;
        assert_eq!(got.status, 200);
        assert!(got.is_json());
        let body = got.body.as_bytes();
        assert!(body.starts_with(junk.bytes()), "{junk:?}");
        let json: Value = serde_json::from_slice(&body[junk.bytes().len()..]).unwrap();
        assert!(json.is_array());
    }
}

#[tokio::test]
async fn the_site_password_comes_before_wordpress() {
    let key = TestKey::new(Permission::Read);
    let login = (
        "stage".to_owned(),
        "pw-site-1".to_owned(),
        "Staging".to_owned(),
    );
    let store = TestStore::start(StoreConfig {
        site_password: Some(login.clone()),
        ..https(vec![key.clone()])
    });
    let c = client(&store);
    let products = format!("{}{PRODUCTS}", store.url());
    let refused = c.get(&products).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert_eq!(challenge, "Basic realm=\"Staging\"");
    assert!(
        !refused.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("json")
    );
    // The site user is no WooCommerce key; the key then works in the query string only.
    let site = c.get(&products).basic_auth(&login.0, Some(&login.1));
    assert_eq!(outcome(site).await, (401, CANNOT_VIEW.to_owned()));
    let query = format!(
        "{products}&consumer_key={}&consumer_secret={}",
        key.key, key.secret
    );
    let both = c.get(query).basic_auth(&login.0, Some(&login.1));
    assert_eq!(send(both).await.status, 200);
}

#[tokio::test]
async fn another_rest_prefix_moves_the_api() {
    let key = TestKey::new(Permission::Read);
    let store = TestStore::start(StoreConfig {
        rest_prefix: "api".to_owned(),
        ..https(vec![key.clone()])
    });
    let c = client(&store);
    let old = send(c.get(format!("{}/wp-json/", store.url()))).await;
    assert_eq!(old.status, 404);
    assert!(!old.is_json());
    let root = format!("{}/api/", store.url());
    assert_eq!(
        old.header("link"),
        format!("<{root}>; rel=\"https://api.w.org/\"")
    );
    let index = send(c.get(format!("{root}?_fields=home"))).await;
    assert_eq!(index.json()["home"], store.url());
    let products = c
        .get(format!("{root}wc/v3/products"))
        .basic_auth(&key.key, Some(&key.secret));
    assert_eq!(send(products).await.status, 200);
}

#[tokio::test]
async fn front_pages_that_hide_the_api() {
    let key = TestKey::new(Permission::Read);
    let start = |front_page| {
        TestStore::start(StoreConfig {
            front_page,
            ..https(vec![key.clone()])
        })
    };
    let products = |store: &TestStore| {
        client(store)
            .get(format!("{}{PRODUCTS}", store.url()))
            .basic_auth(&key.key, Some(&key.secret))
    };
    let hints = start(FrontPage::NoDiscoveryHints);
    let home = send(client(&hints).get(hints.url())).await;
    assert_eq!((home.status, home.header("link")), (200, ""));
    let rest = send(products(&hints)).await;
    let links = rest.headers.get_all("link").iter();
    assert!(
        links
            .map(|l| l.to_str().unwrap())
            .any(|l| l.contains("api.w.org"))
    );

    let private = start(FrontPage::PrivateSite);
    let c = client(&private);
    let home = send(c.get(private.url())).await;
    assert_eq!(home.status, 302);
    assert!(home.header("location").contains("wp-login.php"));
    let index = outcome(c.get(format!("{}/wp-json/", private.url()))).await;
    assert_eq!(index, (401, "rest_unauthorized".to_owned()));
    assert_eq!(send(products(&private)).await.status, 200);

    let soon = start(FrontPage::ComingSoon);
    assert_eq!(send(client(&soon).get(soon.url())).await.status, 503);
    assert_eq!(send(products(&soon)).await.status, 200);

    let huge = start(FrontPage::Huge);
    assert!(send(client(&huge).get(huge.url())).await.body.len() > 2_000_000);

    let head = start(FrontPage::HeadRefused);
    assert_eq!(send(client(&head).head(head.url())).await.status, 405);
}

#[tokio::test]
async fn a_store_that_is_down() {
    let key = TestKey::new(Permission::Read);
    let start = |down| {
        TestStore::start(StoreConfig {
            down: Some(down),
            ..https(vec![key.clone()])
        })
    };
    let maintenance = start(Down::Maintenance);
    let got = send(client(&maintenance).get(format!("{}{PRODUCTS}", maintenance.url()))).await;
    assert_eq!((got.status, got.header("retry-after")), (503, "600"));
    assert!(!got.is_json());
    let fatal = start(Down::Fatal);
    let rest = outcome(client(&fatal).get(format!("{}{PRODUCTS}", fatal.url()))).await;
    assert_eq!(rest, (500, "internal_server_error".to_owned()));
    let page = send(client(&fatal).get(fatal.url())).await;
    assert!(page.status == 500 && page.body.contains("critical error"));
}

#[tokio::test]
async fn workers_queue_requests_beyond_the_pool() {
    let key = TestKey::new(Permission::Read);
    let store = TestStore::start(StoreConfig {
        workers: Some((2, Duration::from_millis(100))),
        ..https(vec![key.clone()])
    });
    let c = client(&store);
    let started = std::time::Instant::now();
    let one = || send(c.get(format!("{}/wp-json/", store.url())));
    tokio::join!(one(), one(), one(), one());
    let four = started.elapsed();
    // Four requests on two workers take two turns of 100 ms each.
    assert!(four >= Duration::from_millis(200), "{four:?}");
}

/// RFC 3986 unreserved characters stay, everything else is percent-encoded.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A signed OAuth 1.0a query string, built the RFC 5849 way (independently of the store's code).
fn oauth_query(method: &str, url: &str, extra: &[(&str, &str)], key: &TestKey, ts: i64) -> String {
    let (ts, nonce) = (ts.to_string(), format!("n{}", rand::random::<u64>()));
    let mut params: Vec<(String, String)> = [
        ("oauth_consumer_key", key.key.as_str()),
        ("oauth_timestamp", &ts),
        ("oauth_nonce", &nonce),
        ("oauth_signature_method", "HMAC-SHA256"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (enc(k), enc(v)))
    .collect();
    params.sort();
    let normalized: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let normalized = normalized.join("&");
    let base = format!("{method}&{}&{}", enc(url), enc(&normalized));
    let mut mac = Hmac::<Sha256>::new_from_slice(format!("{}&", key.secret).as_bytes()).unwrap();
    mac.update(base.as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    format!("{normalized}&oauth_signature={}", enc(&signature))
}

#[tokio::test]
async fn oauth_over_plain_http() {
    let key = TestKey::new(Permission::Read);
    let store = TestStore::start(StoreConfig {
        keys: vec![key.clone()],
        ..StoreConfig::new(Tls::None)
    });
    assert!(store.url().starts_with("http://127.0.0.1:"));
    let c = client(&store);
    let url = format!("{}/wp-json/wc/v3/products", store.url());
    let per_page = [("per_page", "1")];

    let basic = c
        .get(format!("{url}?per_page=1"))
        .basic_auth(&key.key, Some(&key.secret));
    assert_eq!(outcome(basic).await, (401, CANNOT_VIEW.to_owned()));
    let creds = format!("consumer_key={}&consumer_secret={}", key.key, key.secret);
    let creds = c.get(format!("{url}?per_page=1&{creds}"));
    assert_eq!(outcome(creds).await, (401, CANNOT_VIEW.to_owned()));
    let query = oauth_query("GET", &url, &per_page, &key, now());
    let signed = format!("{url}?{query}");
    assert_eq!(send(c.get(&signed)).await.status, 200);
    let replay = send(c.get(&signed)).await;
    assert_eq!(replay.code(), AUTH_ERROR);
    assert!(replay.json()["message"].as_str().unwrap().contains("nonce"));

    let stale = oauth_query("GET", &url, &per_page, &key, now() - 16 * 60);
    let stale = send(c.get(format!("{url}?{stale}"))).await;
    assert_eq!(stale.json()["message"], "Invalid timestamp.");
    let tampered =
        oauth_query("GET", &url, &per_page, &key, now()).replace("per_page=1", "per_page=2");
    let tampered = send(c.get(format!("{url}?{tampered}"))).await;
    assert_eq!(
        (tampered.status, tampered.code()),
        (401, AUTH_ERROR.to_owned())
    );
    assert!(
        tampered.json()["message"]
            .as_str()
            .unwrap()
            .contains("signature")
    );
    let stranger = TestKey::new(Permission::Read);
    let unknown = oauth_query("GET", &url, &per_page, &stranger, now());
    let unknown = send(c.get(format!("{url}?{unknown}"))).await;
    assert_eq!(unknown.json()["message"], "Consumer key is invalid.");
    let sha1 = oauth_query("GET", &url, &per_page, &key, now()).replace("SHA256", "SHA1");
    assert_eq!(outcome(c.get(format!("{url}?{sha1}"))).await.1, AUTH_ERROR);
    let partial = format!("{url}?oauth_consumer_key={}", key.key);
    let missing = (
        401,
        "woocommerce_rest_authentication_missing_parameter".to_owned(),
    );
    assert_eq!(outcome(c.get(partial)).await, missing);

    let write = oauth_query(
        "POST",
        &format!("{}{UNUSED}", store.url()),
        &[],
        &key,
        now(),
    );
    let write = c.post(format!("{}{UNUSED}?{write}", store.url()));
    assert_eq!(outcome(write).await, (401, AUTH_ERROR.to_owned()));
}

#[tokio::test]
async fn oauth_plain_permalinks_in_a_subdirectory() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = TestStore::start(StoreConfig {
        keys: vec![key.clone()],
        subdir: Some("/shop".into()),
        permalinks: Permalinks::Plain {
            key_auth_works: true,
        },
        ..StoreConfig::new(Tls::None)
    });
    let c = client(&store);
    let url = format!("{}/index.php", store.url());
    let extra = [("rest_route", "/wc/v3/products"), ("per_page", "2")];
    let query = oauth_query("GET", &url, &extra, &key, now());
    assert!(query.contains("rest_route=%2Fwc%2Fv3%2Fproducts"));
    let got = send(c.get(format!("{url}?{query}"))).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.json().as_array().unwrap().len(), 2);
    let next = got.header("link");
    assert!(next.starts_with(&format!("<{url}?rest_route=")), "{next}");
}

#[tokio::test]
async fn plain_permalinks() {
    let key = TestKey::new(Permission::Read);
    let old = TestStore::start(StoreConfig {
        permalinks: Permalinks::Plain {
            key_auth_works: false,
        },
        ..https(vec![key.clone()])
    });
    let new = TestStore::start(StoreConfig {
        permalinks: Permalinks::Plain {
            key_auth_works: true,
        },
        ..https(vec![key.clone()])
    });
    for store in [&old, &new] {
        let c = client(store);
        let root = format!("{}/index.php?rest_route=/", store.url());
        let home = send(c.get(store.url())).await;
        assert_eq!(
            home.header("link"),
            format!("<{root}>; rel=\"https://api.w.org/\"")
        );
        let pretty = send(c.get(format!("{}/wp-json/", store.url()))).await;
        assert_eq!(pretty.status, 200);
        assert!(!pretty.is_json());
        let index = send(c.get(format!("{root}&_fields=name"))).await;
        assert_eq!(index.json()["name"], "Test Store");
        let short = send(c.get(format!("{}/?rest_route=/", store.url()))).await;
        assert!(short.is_json());
    }
    let products = "/index.php?rest_route=%2Fwc%2Fv3%2Fproducts&per_page=1";
    let get = |store: &TestStore| {
        let url = format!("{}{products}", store.url());
        client(store)
            .get(url)
            .basic_auth(&key.key, Some(&key.secret))
    };
    assert_eq!(outcome(get(&old)).await, (401, CANNOT_VIEW.to_owned()));
    assert_eq!(send(get(&new)).await.status, 200);
}

#[tokio::test]
async fn subdirectory_install() {
    let store = TestStore::start(StoreConfig {
        subdir: Some("/shop".into()),
        ..https(vec![])
    });
    assert_eq!(store.url(), format!("{}/shop", store.origin()));
    let c = client(&store);
    let outside = send(c.get(format!("{}/wp-json/", store.origin()))).await;
    assert_eq!(outside.status, 404);
    assert!(!outside.is_json());
    let home = send(c.get(format!("{}/", store.url()))).await;
    assert!(
        home.header("link")
            .starts_with(&format!("<{}/wp-json/>", store.url()))
    );
    let index = send(c.get(format!("{}/wp-json/?_fields=home", store.url()))).await;
    assert_eq!(index.json()["home"], store.url());
}

#[tokio::test]
async fn not_wordpress() {
    let mut store = TestStore::start(StoreConfig {
        wordpress: false,
        ..https(vec![])
    });
    let c = client(&store);
    let home = send(c.get(store.url())).await;
    assert_eq!(home.status, 200);
    assert!(home.headers.get("link").is_none());
    assert_eq!(
        send(c.get(format!("{}/wp-json/", store.url())))
            .await
            .status,
        404
    );
    let rest_route = send(c.get(format!("{}/?rest_route=/", store.url()))).await;
    assert_eq!(rest_route.status, 200);
    assert!(!rest_route.is_json());
    // Opting out of the drop check is harmless on a store that was used.
    store.expect_no_requests();
}

#[tokio::test]
async fn challenges() {
    let cases = [
        (Challenge::Cloudflare, 403, "cf-mitigated"),
        (Challenge::SiteGround, 202, "sg-captcha"),
    ];
    for (challenge, status, header) in cases {
        let store = TestStore::start(StoreConfig {
            challenge: Some(challenge),
            ..https(vec![])
        });
        let got = send(client(&store).get(format!("{}/wp-json/", store.url()))).await;
        assert_eq!((got.status, got.header(header)), (status, "challenge"));
        assert!(!got.is_json());
    }
}

#[tokio::test]
async fn redirects_keep_path_and_query() {
    let target = TestStore::start(https(vec![]));
    let store = TestStore::start(StoreConfig {
        redirect_to: Some(target.origin()),
        ..https(vec![])
    });
    let c = client(&store);
    let got = send(c.get(format!("{}/wp-json/?_fields=name", store.url()))).await;
    assert_eq!(got.status, 301);
    let location = got.header("location").to_owned();
    assert_eq!(
        location,
        format!("{}/wp-json/?_fields=name", target.origin())
    );
    assert_eq!(send(c.get(location)).await.json()["name"], "Test Store");
    store.set_redirect_to(None);
    assert_eq!(send(c.get(store.url())).await.status, 200);

    let looping = TestStore::start(StoreConfig {
        redirect_loop: true,
        ..https(vec![])
    });
    let c = client(&looping);
    let first = send(c.get(format!("{}/wp-json/?a=1", looping.url()))).await;
    let expected = format!("{}/wp-json?a=1", looping.origin());
    assert_eq!(
        (first.status, first.header("location")),
        (302, expected.as_str())
    );
    let second = send(c.get(&expected)).await;
    assert!(second.header("location").ends_with("/wp-json/?a=1"));
}

#[tokio::test]
async fn certificates() {
    let valid = TestStore::start(https(vec![]));
    assert!(valid.url().starts_with("https://localhost:"));
    let by_ip = valid.origin().replace("localhost", "127.0.0.1");
    assert_eq!(send(client(&valid).get(by_ip)).await.status, 200);
    for tls in [Tls::Expired, Tls::WrongName] {
        let store = TestStore::start(StoreConfig::new(tls));
        let result = client(&store).get(store.url()).send().await;
        assert!(result.is_err(), "{tls:?} accepted");
        // The refused handshake counts as contact, so the drop check passes.
        assert!(store.requests().is_empty());
    }
}

#[tokio::test]
async fn latency_and_concurrency_are_visible() {
    let latency = Duration::from_millis(150);
    let store = TestStore::start(StoreConfig {
        latency,
        site_name: "Slow".into(),
        ..https(vec![])
    });
    let c = client(&store);
    let url = format!("{}/wp-json/?_fields=name", store.url());
    let (a, b, d) = tokio::join!(send(c.get(&url)), send(c.get(&url)), send(c.get(&url)));
    assert!([a, b, d].iter().all(|g| g.json()["name"] == "Slow"));
    assert_eq!(max_concurrent_requests(&store.requests()), 3);
    send(c.get(&url)).await;
    let seen = store.requests();
    assert_eq!(max_concurrent_requests(&seen[3..]), 1);
    assert!(seen.iter().all(|r| r.finished - r.started >= latency));
    assert!(
        seen.iter()
            .all(|r| r.method == "GET" && !r.carries_credentials())
    );
    assert_eq!(seen[3].path_and_query, "/wp-json/?_fields=name");
}

#[tokio::test]
async fn gathered_key_checks_are_answered_together() {
    let store = TestStore::start(https(vec![]));
    store.gather(2, Duration::from_secs(30));
    let c = client(&store);
    let url = format!(
        "{}/wp-json/wc/v3/products?consumer_key=ck_x&consumer_secret=cs_y",
        store.url()
    );
    // An unauthenticated GET is never held.
    send(c.get(format!("{}/wp-json/", store.url()))).await;
    let (a, b) = tokio::join!(send(c.get(&url)), send(c.get(&url)));
    assert_eq!((a.status, b.status), (401, 401));
    let seen = store.requests();
    assert_eq!(max_concurrent_requests(&seen[1..]), 2);
    // Gathered once, nothing is held again: this would wait 30 s otherwise.
    let started = std::time::Instant::now();
    send(c.get(&url)).await;
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn an_unused_store_fails_the_test() {
    let unused = std::panic::catch_unwind(|| drop(TestStore::start(StoreConfig::new(Tls::None))));
    assert!(unused.is_err());
    let mut excused = TestStore::start(StoreConfig::new(Tls::None));
    excused.expect_no_requests();
}

// Stores as the recordings of real ones (real-answers S14, S19, S21, S22) show them.

const NOT_ACCEPTABLE: &str = "<head><title>Not Acceptable!</title></head><body><h1>Not Acceptable!</h1><p>An appropriate representation of the requested resource could not be found on this server. This error was generated by Mod_Security.</p></body></html>";

fn assert_mod_security(got: &Got) {
    assert_eq!(got.status, 406, "{}", got.body);
    assert_eq!(got.header("server"), "Apache");
    assert_eq!(got.header("content-type"), "text/html; charset=iso-8859-1");
    assert_eq!(got.body, NOT_ACCEPTABLE);
}

#[tokio::test]
async fn a_firewall_refuses_writes_to_routes_it_does_not_know() {
    let read = TestKey::new(Permission::Read);
    let read_write = TestKey::new(Permission::ReadWrite);
    let mut config = https(vec![read.clone(), read_write.clone()]);
    config.firewall = Some(Firewall::UnknownWriteRoutes);
    let store = TestStore::start(config);
    let c = client(&store);
    let url = store.url();
    for key in [&read, &read_write] {
        let basic = |r: RequestBuilder| r.basic_auth(&key.key, Some(&key.secret));
        // Reads pass.
        let get = send(basic(c.get(format!("{url}{PRODUCTS}")))).await;
        assert_eq!(get.status, 200);
        // Writes to a route the rule does not know never reach WordPress, whatever the key.
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let write = basic(c.request(method, format!("{url}{UNUSED}")));
            assert_mod_security(
                &send(write.header("content-type", "application/json").body("{}")).await,
            );
        }
        let namespace = basic(c.post(format!("{url}/wp-json/wc/v3/system_status/tools/x")));
        assert_mod_security(&send(namespace).await);
    }
    // Writes to the known collections, and below them, reach WooCommerce.
    let update = |key: &TestKey, path: &str| {
        c.post(format!("{url}/wp-json/wc/v3/{path}"))
            .basic_auth(&key.key, Some(&key.secret))
            .header("content-type", "application/json")
            .body("{}")
    };
    assert_eq!(
        outcome(update(&read, "products/0")).await,
        (401, AUTH_ERROR.to_owned())
    );
    assert_eq!(
        outcome(update(&read_write, "products/0")).await,
        (400, "woocommerce_rest_product_invalid_id".to_owned())
    );
    assert_eq!(
        outcome(update(&read_write, "orders")).await,
        (404, NO_ROUTE.to_owned())
    );
    assert!(store.created().is_empty());

    // The stricter rule refuses every REST write, products too; reads still pass.
    store.set_firewall(Some(Firewall::AllWrites));
    assert_mod_security(&send(update(&read_write, "products/0")).await);
    assert_mod_security(&send(update(&read, "products")).await);
    let get = c
        .get(format!("{url}{PRODUCTS}"))
        .basic_auth(&read.key, Some(&read.secret));
    assert_eq!(send(get).await.status, 200);
    // Pages are not the REST API.
    assert_eq!(send(c.post(format!("{url}/"))).await.status, 200);
    store.set_firewall(None);
    assert_eq!(
        outcome(update(
            &read_write,
            UNUSED.trim_start_matches("/wp-json/wc/v3/")
        ))
        .await,
        (404, NO_ROUTE.to_owned())
    );
    assert!(store.created().is_empty());
}

#[tokio::test]
async fn updating_a_product_that_does_not_exist_writes_nothing() {
    let read = TestKey::new(Permission::Read);
    let read_write = TestKey::new(Permission::ReadWrite);
    let customer = TestKey::customer(Permission::ReadWrite);
    let store = TestStore::start(https(vec![
        read.clone(),
        read_write.clone(),
        customer.clone(),
    ]));
    let c = client(&store);
    let url = format!("{}/wp-json/wc/v3/products/0", store.url());
    for method in [Method::POST, Method::PUT, Method::PATCH] {
        let send_as = |key: Option<&TestKey>| {
            let r = c
                .request(method.clone(), &url)
                .header("content-type", "application/json")
                .body("{}");
            match key {
                Some(key) => r.basic_auth(&key.key, Some(&key.secret)),
                None => r,
            }
        };
        // The key's permission first...
        let refused = send(send_as(Some(&read))).await;
        assert_eq!(
            (refused.status, refused.code()),
            (401, AUTH_ERROR.to_owned())
        );
        assert_eq!(
            refused.json()["message"],
            "The API key provided does not have write permissions."
        );
        // ...then the capability...
        assert_eq!(
            outcome(send_as(None)).await,
            (401, "woocommerce_rest_cannot_edit".to_owned())
        );
        assert_eq!(
            outcome(send_as(Some(&customer))).await,
            (403, "woocommerce_rest_cannot_edit".to_owned())
        );
        // ...then the id, before anything is written.
        let invalid = send(send_as(Some(&read_write))).await;
        assert_eq!(invalid.status, 400);
        assert_eq!(
            invalid.json(),
            serde_json::json!({
                "code": "woocommerce_rest_product_invalid_id",
                "message": "Invalid ID.",
                "data": { "status": 400 }
            })
        );
    }
    // A delete of an id that does not exist is 404 in WooCommerce.
    let delete = c
        .delete(&url)
        .basic_auth(&read_write.key, Some(&read_write.secret));
    assert_eq!(
        outcome(delete).await,
        (404, "woocommerce_rest_product_invalid_id".to_owned())
    );
    // An existing product is answered as it is.
    let hoodie = c
        .put(format!("{}/wp-json/wc/v3/products/11", store.url()))
        .basic_auth(&read_write.key, Some(&read_write.secret))
        .header("content-type", "application/json")
        .body("{}");
    let hoodie = send(hoodie).await;
    assert_eq!(hoodie.status, 200);
    assert_eq!(hoodie.json()["name"], "Hoodie");
    assert!(store.created().is_empty());
}

const NGINX_429: &str = "<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

#[tokio::test]
async fn a_rate_limit_lets_through_so_many_requests_a_second() {
    let key = TestKey::new(Permission::ReadWrite);
    let mut config = https(vec![key.clone()]);
    config.rate_limit = Some(RateLimit {
        per_second: 1,
        retry_after: None,
    });
    let store = TestStore::start(config);
    let c = client(&store);
    let get = || {
        c.get(format!("{}{PRODUCTS}", store.url()))
            .basic_auth(&key.key, Some(&key.secret))
    };
    // Two at the same instant: one passes, one is refused by nginx.
    let (a, b) = tokio::join!(send(get()), send(get()));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 429]);
    let refused = if a.status == 429 { &a } else { &b };
    assert_eq!(refused.body, NGINX_429);
    assert_eq!(refused.header("server"), "nginx");
    assert_eq!(refused.header("content-type"), "text/html");
    assert!(refused.headers.get("retry-after").is_none());
    // At once again: refused, pages too; a second later: passes.
    assert_eq!(send(c.get(store.url())).await.status, 429);
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(send(get()).await.status, 200);
    assert_eq!(store.requests().len(), 4, "every request is seen");

    // A limit that never lets anything through, saying when to come back.
    store.set_rate_limit(Some(RateLimit {
        per_second: 0,
        retry_after: Some(30),
    }));
    for _ in 0..3 {
        let refused = send(get()).await;
        assert_eq!(refused.status, 429);
        assert_eq!(refused.header("retry-after"), "30");
    }
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(send(get()).await.status, 429);
    store.set_rate_limit(None);
    assert_eq!(send(get()).await.status, 200);
}

#[tokio::test]
async fn a_plugin_that_owns_the_authorization_header_refuses_basic() {
    let key = TestKey::new(Permission::ReadWrite);
    let mut config = https(vec![key.clone()]);
    config.auth_header_plugin = true;
    let store = TestStore::start(config);
    let c = client(&store);
    let url = store.url();
    for path in [PRODUCTS, UNUSED, "/wp-json/"] {
        let got = send(
            c.get(format!("{url}{path}"))
                .basic_auth(&key.key, Some(&key.secret)),
        )
        .await;
        assert_eq!(got.status, 403, "{path}");
        assert_eq!(
            got.header("content-type"),
            "application/json; charset=UTF-8"
        );
        assert_eq!(
            got.json(),
            serde_json::json!({
                "code": "jwt_auth_bad_auth_header",
                "message": "Authorization header malformed.",
                "data": { "status": 403 }
            })
        );
    }
    let bearer = c
        .get(format!("{url}{PRODUCTS}"))
        .header("authorization", "Bearer x");
    assert_eq!(outcome(bearer).await.0, 403);
    // The same key in the query string is WooCommerce's to judge.
    let query = format!(
        "{url}{PRODUCTS}&consumer_key={}&consumer_secret={}",
        key.key, key.secret
    );
    assert_eq!(send(c.get(&query)).await.status, 200);
    let write = format!(
        "{url}{UNUSED}?consumer_key={}&consumer_secret={}",
        key.key, key.secret
    );
    assert_eq!(outcome(c.post(&write)).await, (404, NO_ROUTE.to_owned()));
    // Anonymous requests and pages are untouched.
    assert_eq!(send(c.get(format!("{url}/wp-json/"))).await.status, 200);
}

const NGINX_301: &str = "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";

#[tokio::test]
async fn a_trailing_slash_rule_redirects_rest_and_posts_too() {
    let read = TestKey::new(Permission::Read);
    let read_write = TestKey::new(Permission::ReadWrite);
    let mut config = https(vec![read.clone(), read_write.clone()]);
    config.trailing_slash = true;
    let store = TestStore::start(config);
    let c = client(&store);
    let url = store.url();
    let basic = |r: RequestBuilder, key: &TestKey| r.basic_auth(&key.key, Some(&key.secret));

    let moved = send(basic(c.get(format!("{url}{PRODUCTS}&_fields=id")), &read)).await;
    assert_eq!(moved.status, 301);
    assert_eq!(
        moved.header("location"),
        format!("{url}/wp-json/wc/v3/products/?per_page=1&_fields=id")
    );
    assert_eq!(moved.header("server"), "nginx/1.22.1");
    assert_eq!(moved.header("content-type"), "text/html");
    assert_eq!(moved.header("content-length"), "169");
    assert_eq!(moved.body, NGINX_301);
    let target = moved.header("location").to_owned();
    let listed = send(basic(c.get(&target), &read)).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()[0]["id"], 11);

    // A POST is redirected too; sent again as a POST it reaches WooCommerce.
    let post = send(
        basic(c.post(format!("{url}{UNUSED}")), &read_write)
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    assert_eq!(post.status, 301);
    assert_eq!(post.header("location"), format!("{url}{UNUSED}/"));
    for (key, expected) in [(&read_write, (404, NO_ROUTE)), (&read, (401, AUTH_ERROR))] {
        let again = basic(c.post(format!("{url}{UNUSED}/")), key)
            .header("content-type", "application/json")
            .body("{}");
        assert_eq!(outcome(again).await, (expected.0, expected.1.to_owned()));
        // What most clients do after a 301: a GET, and any key gets rest_no_route.
        let as_get = basic(c.get(format!("{url}{UNUSED}/")), key);
        assert_eq!(outcome(as_get).await, (404, NO_ROUTE.to_owned()));
    }
    // The write check that cannot write, with its slash.
    let update = basic(
        c.post(format!("{url}/wp-json/wc/v3/products/0/")),
        &read_write,
    )
    .header("content-type", "application/json")
    .body("{}");
    assert_eq!(
        outcome(update).await,
        (400, "woocommerce_rest_product_invalid_id".to_owned())
    );
    // The index and the home have their slash; a file has a dot.
    assert_eq!(send(c.get(format!("{url}/wp-json/"))).await.status, 200);
    assert_eq!(send(c.get(format!("{url}/"))).await.status, 200);
    assert_eq!(send(c.get(format!("{url}/wp-json"))).await.status, 301);
    let plain = send(c.get(format!("{url}/index.php?rest_route=/wc/v3/products"))).await;
    assert_eq!((plain.status, plain.code()), (401, CANNOT_VIEW.to_owned()));
    assert!(store.created().is_empty());
}

#[tokio::test]
async fn wordpress_in_its_own_directory() {
    let mut config = https(vec![]);
    config.wordpress_dir = Some("/wp".into());
    let store = TestStore::start(config);
    let c = client(&store);
    let home = store.url();
    let index = send(c.get(format!(
        "{home}/wp-json/?_fields=name,description,url,home,namespaces,authentication"
    )))
    .await;
    assert_eq!(index.status, 200);
    let index = index.json();
    let mut keys: Vec<&String> = index.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "authentication",
            "description",
            "home",
            "name",
            "namespaces",
            "url"
        ]
    );
    assert_eq!(index["home"], home);
    assert_eq!(index["url"], format!("{home}/wp"));
    assert_eq!(index["name"], "Test Store");
    assert!(
        index["namespaces"]
            .as_array()
            .unwrap()
            .contains(&"wc/v3".into())
    );
    assert_eq!(
        index["authentication"]["application-passwords"]["endpoints"]["authorization"],
        format!("{home}/wp/wp-admin/authorize-application.php")
    );
    let keys_page = "/wp-admin/admin.php?page=wc-settings&tab=advanced&section=keys";
    let moved = send(c.get(format!("{home}{keys_page}"))).await;
    assert_eq!(moved.status, 302);
    assert_eq!(moved.header("location"), format!("{home}/wp{keys_page}"));
    assert_eq!(
        send(c.get(format!("{home}/wp{keys_page}"))).await.status,
        200
    );
    assert_eq!(
        send(c.get(format!("{home}/wp-admin/")))
            .await
            .header("location"),
        format!("{home}/wp/wp-admin/")
    );

    // An ordinary store: url and home are one; the title can change while it runs.
    let store = TestStore::start(https(vec![]));
    let c = client(&store);
    let fields = format!("{}/wp-json/?_fields=name,url,home", store.url());
    let index = send(c.get(&fields)).await.json();
    assert_eq!(index["url"], store.url());
    assert_eq!(index["url"], index["home"]);
    store.set_site_name("New Name");
    assert_eq!(send(c.get(&fields)).await.json()["name"], "New Name");
    assert!(
        send(c.get(store.url()))
            .await
            .body
            .contains("<title>New Name</title>")
    );
}

#[tokio::test]
async fn rounds_group_requests_that_overlap() {
    let key = TestKey::new(Permission::ReadWrite);
    let mut config = https(vec![key]);
    config.latency = Duration::from_millis(100);
    let store = TestStore::start(config);
    let c = client(&store);
    let url = format!("{}/wp-json/", store.url());
    let (a, b) = tokio::join!(send(c.get(&url)), send(c.get(&url)));
    assert_eq!((a.status, b.status), (200, 200));
    send(c.get(&url)).await;
    let rounds = rounds(&store.requests());
    let sizes: Vec<usize> = rounds.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 1]);
}
