//! Tests of `api`.

use reqwest::header::HeaderMap;

use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    Answer {
        status,
        headers: map,
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn paths_become_wc_v3_routes() {
    let ok = [
        ("products", "wc/v3/products", vec![]),
        ("/orders/123", "wc/v3/orders/123", vec![]),
        ("wc/v3/products", "wc/v3/products", vec![]),
        ("/wp-json/wc/v3/products", "wc/v3/products", vec![]),
        (
            "products?status=draft&per_page=5",
            "wc/v3/products",
            vec![("status", "draft"), ("per_page", "5")],
        ),
    ];
    for (path, route, query) in ok {
        let target = parse_path(path).unwrap();
        assert_eq!(target.route, route, "{path}");
        let query: Vec<(String, String)> = query
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(target.query, query, "{path}");
    }
    for bad in [
        "",
        "/",
        "https://evil.example/wp-json/wc/v3/products",
        "//evil.example/x",
        "products/../../wp/v2/users",
        "products#x",
        "products/%2e%2e/%2e%2e/%2e%2e/wp/v2/users",
        "products/%2E%2E/%2e%2E/wp/v2/users",
        "products/.%2e/.%2E/wp/v2/users",
        "%2e%2e/wp/v2/users",
        "products/%2e",
        "products%2f..%2f..%2fwp/v2/users",
        "products/%252e%252e/%252e%252e/wp/v2/users",
        "products\\..\\..\\wp\\v2\\users",
        "\\\\other.host\\x",
        "products?rest_route=/wp/v2/users",
    ] {
        assert!(
            matches!(parse_path(bad), Err(ApiError::InvalidPath { .. })),
            "{bad}"
        );
    }
    assert_eq!(
        parse_path("products?consumer_secret=x"),
        Err(ApiError::CredentialParam("consumer_secret".to_owned()))
    );
}

#[test]
fn fields_are_typed_only_when_asked() {
    let cases = [
        ("n=5", true, serde_json::json!(5)),
        ("n=19.99", true, serde_json::json!(19.99)),
        ("n=19.99", false, serde_json::json!("19.99")),
        ("b=true", true, serde_json::json!(true)),
        ("z=null", true, serde_json::json!(null)),
        ("s=hello=world", true, serde_json::json!("hello=world")),
        ("s=+1", true, serde_json::json!("+1")),
        ("e=", true, serde_json::json!("")),
    ];
    for (field, typed, value) in cases {
        assert_eq!(parse_field(field, typed).unwrap().1, value, "{field}");
    }
    assert!(parse_field("novalue", true).is_err());
    assert!(parse_field("=v", true).is_err());
    assert!(matches!(
        parse_field("oauth_signature=x", false),
        Err(ApiError::CredentialParam(_))
    ));
}

#[test]
fn shown_urls_carry_no_credentials() {
    let cases = [
        (
            "https://s.example/wp-json/wc/v3/products?consumer_key=ck_1&consumer_secret=cs_2&page=2",
            "https://s.example/wp-json/wc/v3/products?page=2",
        ),
        (
            "http://127.0.0.1:8080/wp-json/wc/v3/x?oauth_consumer_key=ck&oauth_signature=abc&oauth_nonce=n",
            "http://127.0.0.1:8080/wp-json/wc/v3/x",
        ),
        (
            "https://ck_1:cs_2@s.example/wp-json/",
            "https://s.example/wp-json/",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(without_credentials(&url(input)).as_str(), expected);
        assert_eq!(shown(input), expected);
    }
    assert_eq!(shown("not a url?consumer_secret=cs_2"), "not a url");
}

#[test]
fn next_pages_are_rebuilt_and_stay_on_the_api_origin() {
    let root = ApiRoot::new(url("https://s.example/wp-json/")).unwrap();
    let current = url("https://s.example/wp-json/wc/v3/products?page=1");
    let echoed = answer(
        200,
        &[
            (
                "link",
                "<https://s.example/wp-json/wc/v3/products?page=1>; rel=\"prev\"",
            ),
            (
                "link",
                "<https://s.example/wp-json/wc/v3/products?consumer_key=ck_1&consumer_secret=cs_2&page=3>; rel=\"next\"",
            ),
        ],
        "[]",
    );
    assert_eq!(
        next_page(&root, &echoed, &current)
            .unwrap()
            .unwrap()
            .as_str(),
        "https://s.example/wp-json/wc/v3/products?page=3"
    );
    let none = answer(
        200,
        &[("link", "<https://s.example/x>; rel=\"prev\"")],
        "[]",
    );
    assert_eq!(next_page(&root, &none, &current).unwrap(), None);
    let relative = answer(
        200,
        &[("link", "</wp-json/wc/v3/products?page=2>; rel=next")],
        "[]",
    );
    assert_eq!(
        next_page(&root, &relative, &current)
            .unwrap()
            .unwrap()
            .as_str(),
        "https://s.example/wp-json/wc/v3/products?page=2"
    );
    for elsewhere in [
        "<https://evil.example/wp-json/wc/v3/products?page=2>; rel=\"next\"",
        "<http://s.example/wp-json/wc/v3/products?page=2>; rel=\"next\"",
        "<https://s.example:8443/wp-json/wc/v3/products?page=2>; rel=\"next\"",
    ] {
        let off = answer(200, &[("link", elsewhere)], "[]");
        assert!(
            matches!(
                next_page(&root, &off, &current),
                Err(ApiError::OffSiteNextPage { .. })
            ),
            "{elsewhere}"
        );
    }
}

#[test]
fn answers_are_judged_by_status_and_content_type() {
    let json = [("content-type", "application/json")];
    let get = Method::GET;
    let u = url("https://s.example/wp-json/wc/v3/products?consumer_secret=cs_2");
    assert_eq!(judge(&get, &u, &answer(200, &json, "[]")), None);
    let cases = [
        (
            answer(401, &json, r#"{"code":"woocommerce_rest_cannot_view"}"#),
            4,
        ),
        (answer(403, &json, r#"{"code":"x"}"#), 4),
        (answer(404, &json, r#"{"code":"rest_no_route"}"#), 2),
        (answer(400, &json, r#"{"code":"rest_invalid_param"}"#), 2),
        (answer(500, &json, r#"{"code":"internal"}"#), 3),
        (answer(503, &[("content-type", "text/html")], "<html>"), 3),
        (
            answer(
                301,
                &[("location", "https://t.example/?consumer_secret=cs_2")],
                "",
            ),
            3,
        ),
    ];
    for (answer, code) in cases {
        let err = judge(&get, &u, &answer).unwrap();
        assert_eq!(err.exit_code(), code, "{err}");
        assert!(!err.to_string().contains("cs_2"), "{err}");
    }
}

#[test]
fn only_wc_v3_routes_under_the_root_may_carry_credentials() {
    let pretty = ApiRoot::new(url("https://s.example/sub/wp-json/")).unwrap();
    let plain = ApiRoot::new(url("https://s.example/index.php?rest_route=/")).unwrap();
    let inside = [
        (&pretty, "https://s.example/sub/wp-json/wc/v3"),
        (
            &pretty,
            "https://s.example/sub/wp-json/wc/v3/products?page=2",
        ),
        (
            &plain,
            "https://s.example/index.php?rest_route=/wc/v3/products&page=2",
        ),
        (&plain, "https://s.example/index.php?rest_route=%2Fwc%2Fv3"),
    ];
    for (root, u) in inside {
        assert_eq!(outside_namespace(root, &url(u)), None, "{u}");
    }
    let outside = [
        (&pretty, "https://s.example/sub/wp-json/wp/v2/users"),
        (&pretty, "https://s.example/sub/wp-json/wc/v3products"),
        (&pretty, "https://s.example/wp-json/wc/v3/products"),
        (
            &pretty,
            "https://s.example/sub/wp-json/wc/v3/%252e%252e/%252e%252e/wp/v2/users",
        ),
        (
            &pretty,
            "https://s.example/sub/wp-json/wc/v3/products?rest_route=/wp/v2/users",
        ),
        (&pretty, "https://other.example/sub/wp-json/wc/v3/products"),
        (&pretty, "http://s.example/sub/wp-json/wc/v3/products"),
        (
            &plain,
            "https://s.example/index.php?rest_route=/wp/v2/users",
        ),
        (
            &plain,
            "https://s.example/index.php?rest_route=/wc/v3/../../wp/v2/users",
        ),
        (
            &plain,
            "https://s.example/index.php?rest_route=/wc/v3/x&rest_route=/wp/v2/users",
        ),
        (
            &plain,
            "https://s.example/other.php?rest_route=/wc/v3/products",
        ),
        (&plain, "https://s.example/index.php"),
    ];
    for (root, u) in outside {
        assert!(outside_namespace(root, &url(u)).is_some(), "{u}");
    }
    // What `route` builds from a PATH that slipped past `parse_path` is still stopped.
    let escaped = pretty.route("wc/v3/products/%2e%2e/%2e%2e/%2e%2e/wp/v2/users", &[]);
    assert_eq!(escaped.path(), "/sub/wp-json/wp/v2/users");
    assert!(outside_namespace(&pretty, &escaped).is_some());
}

#[test]
fn what_the_store_echoes_is_printed_without_the_key_or_secret() {
    let key = format!("ck_{}", "a1".repeat(20));
    let secret = format!("cs_{}", "b2".repeat(20));
    let credentials = Credentials {
        key: crate::keys::ConsumerKey::parse(&key).unwrap(),
        secret: crate::keys::ConsumerSecret::parse(&secret).unwrap(),
        site: None,
    };
    let echoed = format!(
        r#"{{"next":"https://s.example/?consumer_key={key}&consumer_secret={secret}","key":"{key}"}}"#
    );
    let shown = redact(&echoed, &credentials);
    assert!(
        !shown.contains(&key) && !shown.contains(&secret[3..]),
        "{shown}"
    );
    assert!(shown.contains("consumer_key=ck_…1a1a1a1"), "{shown}");
    assert!(shown.contains("consumer_secret=[redacted]"), "{shown}");
    let err = ApiError::Status {
        method: "GET".to_owned(),
        url: "https://s.example/wp-json/wc/v3/x".to_owned(),
        status: 401,
        code: Some("bad".to_owned()),
        message: Some(format!("Consumer key {key} is invalid")),
    }
    .redacted(&credentials);
    assert!(!err.to_string().contains(&key), "{err}");
    assert!(err.to_string().contains("ck_…1a1a1a1"), "{err}");
}
