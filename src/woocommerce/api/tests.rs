//! Tests of `api`.

use std::time::Duration;

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
        ("orders/123", "wc/v3/orders/123", vec![]),
        ("wc/v3/products", "wc/v3/products", vec![]),
        ("/wc/v3/products", "wc/v3/products", vec![]),
        ("/wc/v2/products", "wc/v2/products", vec![]),
        ("/wc/store/v1/cart", "wc/store/v1/cart", vec![]),
        ("wc/store/v1/products", "wc/store/v1/products", vec![]),
        (
            "/wc-analytics/reports/revenue/stats",
            "wc-analytics/reports/revenue/stats",
            vec![],
        ),
        ("/wp-json/wc/v3/products", "wc/v3/products", vec![]),
        (
            "products?status=draft&per_page=5",
            "wc/v3/products",
            vec![("status", "draft"), ("per_page", "5")],
        ),
    ];
    for (path, route, query) in ok {
        let (parsed_route, parsed_query) = parse_path(path).unwrap();
        assert_eq!(parsed_route, route, "{path}");
        let query: Vec<(String, String)> = query
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(parsed_query, query, "{path}");
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
        // From the API root, but in no WooCommerce namespace: the key goes nowhere else.
        "/orders/123",
        "/wp/v2/users",
        "/wp-json/wp/v2/users",
        "/wc",
        "/wc-",
        "/wc/../wp/v2/users",
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
        assert_eq!(DisplaySafeUrl::shown(input).to_string(), expected);
    }
    assert_eq!(
        DisplaySafeUrl::shown("not a url?consumer_secret=cs_2").to_string(),
        "not a url"
    );
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
        // A next page that would turn the read into a write, or leave for another route.
        "<https://s.example/wp-json/wc/v3/products?page=2&_method=DELETE>; rel=\"next\"",
        "<https://s.example/wp-json/wc/v3/products?page=2&.method=DELETE>; rel=\"next\"",
        "<https://s.example/wp-json/wc/v3/products?page=2&rest.route=/wp/v2/users>; rel=\"next\"",
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
    let empty_list = answer(200, &json, "[]");
    assert_eq!(
        empty_list.json(),
        Some(Value::Array(vec![])),
        "the document judged"
    );
    assert_eq!(
        judge(&get, &u, &empty_list, empty_list.json().as_ref()),
        Ok(())
    );
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
        let err = judge(&get, &u, &answer, answer.json().as_ref()).unwrap_err();
        assert_eq!(err.class().1.exit_code(), code, "{err}");
        assert!(!err.to_string().contains("cs_2"), "{err}");
    }
}

#[test]
fn only_woocommerce_routes_under_the_root_may_carry_credentials() {
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
        (&pretty, "https://s.example/sub/wp-json/wc/store/v1/cart"),
        (
            &pretty,
            "https://s.example/sub/wp-json/wc-analytics/reports",
        ),
        (
            &plain,
            "https://s.example/index.php?rest_route=/wc-analytics/reports",
        ),
    ];
    for (root, u) in inside {
        assert_eq!(outside_namespace(root, &url(u)), None, "{u}");
    }
    let outside = [
        (&pretty, "https://s.example/sub/wp-json/wp/v2/users"),
        (&pretty, "https://s.example/sub/wp-json/wcx/v3/products"),
        (&pretty, "https://s.example/sub/wp-json/wc"),
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
        key: crate::domain::keys::ConsumerKey::parse(&key).unwrap(),
        secret: crate::domain::keys::ConsumerSecret::parse(&secret).unwrap(),
        site: None,
    };
    let echoed = format!(
        r#"{{"next":"https://s.example/?consumer_key={key}&consumer_secret={secret}","key":"{key}"}}"#
    );
    let shown = in_answer(&echoed, &credentials);
    assert!(
        !shown.contains(&key) && !shown.contains(&secret[3..]),
        "{shown}"
    );
    assert!(shown.contains("consumer_key=ck_…1a1a1a1"), "{shown}");
    assert!(shown.contains("consumer_secret=[redacted]"), "{shown}");
    let err = ApiError::Status {
        request: RequestLine::new(&Method::GET, &url("https://s.example/wp-json/wc/v3/x")),
        status: 401,
        code: Some("bad".to_owned()),
        message: Some(format!("Consumer key {key} is invalid")),
    }
    .redacted(&credentials);
    assert!(!err.to_string().contains(&key), "{err}");
    assert!(err.to_string().contains("ck_…1a1a1a1"), "{err}");
    // What jq quoted of the answer, and the text around broken JSON, are the store's words too.
    let request = RequestLine::new(&Method::GET, &url("https://s.example/wp-json/wc/v3/x"));
    for err in [
        ApiError::JqFailed {
            request: request.clone(),
            message: format!("cannot index {echoed:?}"),
        },
        ApiError::Unprinted {
            request,
            status: 200,
            why: format!("it goes on after the JSON with \"{echoed}\""),
            broken_json: true,
        },
    ] {
        let shown = err.redacted(&credentials).to_string();
        assert!(
            !shown.contains(&key) && !shown.contains(&secret[3..]),
            "{shown}"
        );
    }
}

fn credentials() -> Credentials {
    Credentials {
        key: crate::domain::keys::ConsumerKey::parse(&format!("ck_{}", "a1".repeat(20))).unwrap(),
        secret: crate::domain::keys::ConsumerSecret::parse(&format!("cs_{}", "b2".repeat(20)))
            .unwrap(),
        site: None,
    }
}

#[test]
fn fields_never_choose_the_method() {
    assert_eq!(method(None, false).unwrap(), Method::GET);
    assert_eq!(method(None, true).unwrap(), Method::POST);
    assert_eq!(method(Some("delete"), false).unwrap(), Method::DELETE);
    assert!(!fields_in_body(&Method::GET));
    assert!(fields_in_body(&Method::POST));
}

#[test]
fn only_a_busy_answer_that_says_when_is_retried_and_writes_only_on_429() {
    let minute = Duration::from_secs(30);
    let get = Method::GET;
    let post = Method::POST;
    assert_eq!(
        retry_wait(&get, 429, Some("2"), 0, minute),
        Some(Duration::from_secs(2))
    );
    assert_eq!(
        retry_wait(&get, 503, Some(" 1 "), 2, minute),
        Some(Duration::from_secs(1))
    );
    assert_eq!(retry_wait(&get, 503, Some("1"), MAX_RETRIES, minute), None);
    assert_eq!(retry_wait(&get, 503, None, 0, minute), None);
    assert_eq!(retry_wait(&get, 500, Some("1"), 0, minute), None);
    // Longer than the cap, or than --timeout: reported at once rather than waited for.
    assert_eq!(
        retry_wait(&get, 503, Some("600"), 0, Duration::from_secs(600)),
        None
    );
    assert_eq!(retry_wait(&get, 429, Some("40"), 0, minute), None);
    // A date already past (a store whose clock is behind): ask again at once.
    assert_eq!(
        retry_wait(&get, 429, Some("Wed, 21 Oct 2015 07:28:00 GMT"), 0, minute),
        Some(Duration::ZERO)
    );
    let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
    assert_eq!(
        retry_after_wait("Wed, 21 Oct 2026 07:28:05 GMT", now),
        Some(Duration::from_secs(5))
    );
    assert_eq!(retry_after_wait("soon", now), None);
    // A 503 may come after the store did the write; a 429 comes before anything runs.
    assert_eq!(retry_wait(&post, 503, Some("1"), 0, minute), None);
    assert_eq!(
        retry_wait(&post, 429, Some("1"), 0, minute),
        Some(Duration::from_secs(1))
    );
    assert_eq!(retry_wait(&Method::DELETE, 503, Some("1"), 0, minute), None);
}

#[test]
fn a_429_that_does_not_say_when_is_asked_again_after_1_then_2_seconds() {
    let minute = Duration::from_secs(30);
    for method in [Method::GET, Method::POST] {
        assert_eq!(
            retry_wait(&method, 429, None, 0, minute),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            retry_wait(&method, 429, None, 1, minute),
            Some(Duration::from_secs(2))
        );
        assert_eq!(retry_wait(&method, 429, None, 2, minute), None);
    }
    // One that says when is asked again up to MAX_RETRIES times.
    assert!(retry_wait(&Method::GET, 429, Some("1"), MAX_RETRIES - 1, minute).is_some());
    assert_eq!(
        retry_wait(&Method::GET, 429, Some("1"), MAX_RETRIES, minute),
        None
    );
    // Never longer than --timeout; a 503 that does not say when is not asked again.
    assert_eq!(
        retry_wait(&Method::GET, 429, None, 1, Duration::from_secs(1)),
        None
    );
    assert_eq!(retry_wait(&Method::GET, 503, None, 0, minute), None);
    // A value that is neither seconds nor a date is not a reason to guess.
    assert_eq!(retry_wait(&Method::GET, 429, Some("soon"), 0, minute), None);
}

#[test]
fn method_and_route_overrides_are_refused_as_php_reads_their_names() {
    for name in ["_method", ".method", " _method", "_method[]", "_method[x]"] {
        assert!(
            overriding_param(name).is_some_and(|why| why.contains("`_method`")),
            "{name:?}"
        );
    }
    for name in ["rest_route", "rest.route", "rest route", "rest_route[]"] {
        assert!(
            overriding_param(name).is_some_and(|why| why.contains("`rest_route`")),
            "{name:?}"
        );
    }
    for name in [
        "method",
        "_methods",
        "per_page",
        "_fields",
        "x_method",
        "_method_",
        "[_method]",
    ] {
        assert_eq!(overriding_param(name), None, "{name:?}");
    }
    assert!(matches!(
        parse_field("_method=POST", false),
        Err(ApiError::OverridingField { .. })
    ));
    assert!(parse_path("products?.method=DELETE").is_err());
}

#[test]
fn a_page_is_known_again_whatever_its_query_order() {
    let key = |s: &str| page_key(&url(s));
    assert_eq!(
        key("https://s.example/wp-json/wc/v3/products?per_page=1&page=2"),
        key("https://s.example/wp-json/wc/v3/products?page=2&per_page=1")
    );
    assert_eq!(
        key("https://s.example/wp-json/wc/v3/products?per_page=1"),
        key("https://s.example/wp-json/wc/v3/products?page=1&per_page=1")
    );
    assert_ne!(
        key("https://s.example/wp-json/wc/v3/products?page=2"),
        key("https://s.example/wp-json/wc/v3/products?page=3")
    );
}

#[test]
fn why_an_answer_is_not_json_is_said_from_where_its_json_starts() {
    let said = |body: &[u8]| why_not_json(body);
    assert!(said(b"[{\"a\":1},{\"b\"").contains("ends before its JSON does"));
    assert!(said(b"[{\"a\":1}").contains("ends before its JSON does"));
    assert!(
        said(b"[1]<br />\n<b>Notice</b>:  ob_end_flush(): failed<br />")
            .contains("printed \"Notice: ob_end_flush(): failed\" after its JSON")
    );
    assert!(said(b"<br />Deprecated: x<br />\n[1]]").contains("after its JSON"));
    assert!(said(b"[{\"a\":\"\xff\"},{\"b\":1}]").contains("not UTF-8 (byte 7)"));
    assert!(said(b"[1,]").contains("not valid JSON"));
}

#[test]
fn a_lost_answer_still_tells_what_the_store_answered() {
    let lost = |method: &str, status, cause, partly_printed| ApiError::Unprinted {
        request: RequestLine {
            method: method.to_owned(),
            url: DisplaySafeUrl::new(&url("https://s.example/wp-json/wc/v3/products")),
        },
        status,
        why: lost_words(&cause, partly_printed),
        broken_json: false,
    };
    let too_large = TransportError::TooLarge { limit: MAX_ANSWER };
    let created = lost("POST", 201, too_large.clone(), false);
    assert_eq!(created.class().1.exit_code(), 5);
    assert_eq!(created.class().0, "answer_unprinted");
    let text = created.to_string();
    assert!(text.contains("the store answered 201 Created"), "{text}");
    assert!(
        text.contains("larger than 64 MiB and was not printed"),
        "{text}"
    );
    assert!(
        text.contains("check the store before sending it again"),
        "{text}"
    );
    let read = lost("GET", 200, TransportError::Cut, true);
    assert_eq!(read.class().1.exit_code(), 5);
    assert!(read.to_string().contains("incomplete"), "{read}");
    assert!(!read.to_string().contains("carried out"), "{read}");
    assert_eq!(
        lost("GET", 500, too_large.clone(), false)
            .class()
            .1
            .exit_code(),
        3
    );
    assert_eq!(lost("GET", 403, too_large, false).class().1.exit_code(), 4);
}

#[test]
fn a_list_with_more_pages_says_so() {
    let headers = |pairs: &[(&str, &str)]| answer(200, pairs, "[]");
    assert_eq!(
        more_pages(&headers(&[("x-wp-total", "30"), ("x-wp-totalpages", "3")])).as_deref(),
        Some("page 1 of 3, 30 items; use --paginate for all")
    );
    assert_eq!(more_pages(&headers(&[("x-wp-totalpages", "1")])), None);
    assert_eq!(more_pages(&headers(&[])), None);
}

#[test]
fn included_headers_carry_no_credentials_or_control_characters() {
    let credentials = credentials();
    let key = credentials.key.expose().to_owned();
    let secret = credentials.secret.expose().to_owned();
    let link =
        format!("<https://s.example/?consumer_key={key}&consumer_secret={secret}>; rel=\"next\"");
    let head = head_text(
        "HTTP/1.1",
        200,
        &answer(200, &[("link", &link), ("x-note", "a\tb")], "").headers,
        &credentials,
    );
    assert!(head.starts_with("HTTP/1.1 200 OK\n"), "{head}");
    assert!(!head.contains(&key) && !head.contains(&secret), "{head}");
    assert!(head.contains("x-note: a\\x09b\n"), "{head}");
    assert!(head.ends_with("\n\n"), "{head}");
}

#[test]
fn a_streamed_body_is_redacted_wherever_it_is_split() {
    let credentials = credentials();
    let key = credentials.key.expose().to_owned();
    let secret = credentials.secret.expose().to_owned();
    let body = format!(
        r#"[{{"next":"https://s.example/?consumer_key={key}&consumer_secret={secret}"}},"{secret}{key}"]"#
    );
    let whole = in_answer(&body, &credentials);
    let bytes = body.as_bytes();
    for first in 0..bytes.len() {
        for second in [first, (first + 17).min(bytes.len()), bytes.len()] {
            let mut redactor = crate::domain::redact::Redactor::new(&credentials);
            let mut out = redactor.push(&bytes[..first]);
            out.extend(redactor.push(&bytes[first..second]));
            out.extend(redactor.push(&bytes[second..]));
            out.extend(redactor.finish());
            assert_eq!(
                String::from_utf8(out).unwrap(),
                whole,
                "split at {first}, {second}"
            );
        }
    }
}

#[test]
fn the_site_password_is_redacted_like_the_secret() {
    let credentials = Credentials {
        site: Some(crate::domain::keys::SiteLogin::new("stage", "staging-pw-123").unwrap()),
        ..credentials()
    };
    let echoed = "{\"auth\":\"stage:staging-pw-123\"}";
    assert_eq!(
        in_answer(echoed, &credentials),
        "{\"auth\":\"stage:[redacted]\"}"
    );
    let mut redactor = crate::domain::redact::Redactor::new(&credentials);
    let mut out = redactor.push(&echoed.as_bytes()[..25]);
    out.extend(redactor.push(&echoed.as_bytes()[25..]));
    out.extend(redactor.finish());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"auth\":\"stage:[redacted]\"}"
    );
}
