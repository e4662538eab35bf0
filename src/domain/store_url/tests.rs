//! Tests of `store_url`.

use super::*;
use proptest::prelude::*;

const KEY: &str = "ck_0123456789abcdef0123456789abcdef01234567";
const SECRET: &str = "cs_89abcdef0123456789abcdef0123456789abcdef";

// What each refusal says, by rule.
const EMPTY: &str = "no store address was given";
const CREDENTIAL: &str = "looks like a consumer key or secret";
const USER_INFO: &str = "it contains a user name or password";
const WHITESPACE: &str = "it contains a space or line break";
const SINGLE_LABEL: &str = "has no dot, so it is not a full host name";

fn parse(input: &str) -> Result<StoreUrl, StoreUrlError> {
    input.parse()
}

/// Every normalization rule, one row each: input → Display, or input → what the refusal says.
#[test]
fn normalizes_what_people_paste() {
    // One row per line reads as a table; rustfmt would break the long rows.
    #[rustfmt::skip]
    let ok: &[(&str, &str)] = &[
        // Surrounding whitespace, quotes, angle brackets.
        ("  https://s.example \n", "https://s.example"),
        ("\"https://s.example\"", "https://s.example"),
        ("'s.example'", "https://s.example"),
        ("`https://s.example/`", "https://s.example"),
        ("<https://s.example>", "https://s.example"),
        // Scheme: assumed, case-insensitive, and never `localhost:` as a scheme.
        ("s.example", "https://s.example"),
        ("HTTPS://S.Example", "https://s.example"),
        ("http://s.example", "http://s.example"),
        ("localhost:8080", "https://localhost:8080"),
        ("s.example:8443/x", "https://s.example:8443/x"),
        ("https:s.example", "https://s.example"),
        // Hosts: IDN to punycode, IPv4, IPv6, localhost, a sentence-ending dot.
        ("bücher.example", "https://xn--bcher-kva.example"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("http://localhost", "http://localhost"),
        ("localhost", "https://localhost"),
        ("https://s.example.", "https://s.example"),
        // Single-label hosts: allowed when a scheme or port shows intent (docker compose).
        ("http://wordpress", "http://wordpress"),
        ("wordpress:8080", "https://wordpress:8080"),
        // Ports: kept, default dropped.
        ("https://s.example:443", "https://s.example"),
        ("http://s.example:80/", "http://s.example"),
        ("https://s.example:80", "https://s.example:80"),
        // Query and fragment.
        ("https://s.example/?consumer_secret=cs_x", "https://s.example"),
        ("https://s.example/#top", "https://s.example"),
        // Slashes.
        ("https://s.example///", "https://s.example"),
        ("https://x.example//shop//", "https://x.example/shop"),
        // REST API paths, with and without a subdirectory.
        ("https://s.example/wp-json", "https://s.example"),
        ("https://s.example/wp-json/", "https://s.example"),
        ("https://s.example/wp-json/wc/v3", "https://s.example"),
        ("https://s.example/wp-json/wc/v2/products", "https://s.example"),
        ("https://x.example/shop/wp-json/wc/v3", "https://x.example/shop"),
        ("https://x.example/Shop/WP-JSON/wc/v3", "https://x.example/Shop"),
        ("https://s.example/index.php?rest_route=/wc/v3", "https://s.example"),
        ("https://s.example/?rest_route=/wc/v3", "https://s.example"),
        // Admin and other WordPress internals.
        ("https://s.example/wp-admin/", "https://s.example"),
        ("https://s.example/wp-admin/admin.php?page=wc-settings&tab=advanced&section=keys", "https://s.example"),
        ("https://x.example/shop/wp-login.php", "https://x.example/shop"),
        ("https://s.example/xmlrpc.php", "https://s.example"),
        ("https://s.example/wp-content/uploads/a.png", "https://s.example"),
        ("https://s.example/wp-includes/js/x.js", "https://s.example"),
        // Deeper subdirectories keep their case.
        ("https://x.example/EU/Shop/", "https://x.example/EU/Shop"),
    ];
    for (input, expected) in ok {
        match parse(input) {
            Ok(store) => assert_eq!(store.to_string(), *expected, "input {input:?}"),
            Err(e) => panic!("input {input:?} refused: {e}"),
        }
    }
    #[rustfmt::skip]
    let refused: &[(&str, &str)] = &[
        ("", EMPTY),
        ("  \"\"  ", EMPTY),
        (KEY, CREDENTIAL),
        (SECRET, CREDENTIAL),
        (
            "0123456789abcdef0123456789abcdef01234567",
            CREDENTIAL,
        ),
        ("ftp://s.example", NOT_WEB),
        ("file:///etc/passwd", NOT_WEB),
        ("javascript:alert(1)", NOT_WEB),
        ("mailto:owner@s.example", NOT_WEB),
        ("https://user:pass@s.example", USER_INFO),
        ("admin@s.example", USER_INFO),
        ("not a url", WHITESPACE),
        ("https://exa mple.com", WHITESPACE),
        ("https://", NO_HOST),
        ("http:///x", NO_HOST),
        ("..", "has an empty part between dots"),
        ("https://shop..example.com", "has an empty part between dots"),
        ("https://exa<mple.com", "the host name is not a valid domain name"),
        ("https://[::1", "the host name is not valid"),
        // A bare word is most likely a typo for the full name.
        ("shop", SINGLE_LABEL),
        ("https://x.example:99999", BAD_PORT),
        ("https://x.example:0", BAD_PORT),
        ("localhost:abc", BAD_PORT),
    ];
    for (input, expected) in refused {
        match parse(input) {
            Ok(store) => panic!("input {input:?} accepted as {store}"),
            Err(e) => assert!(e.to_string().contains(expected), "input {input:?}: {e}"),
        }
    }
}

fn notes_for(input: &str) -> Vec<String> {
    StoreUrl::parse_with_notes(input).unwrap().1
}

#[test]
fn notes_say_what_was_changed_and_nothing_when_nothing_was() {
    assert!(notes_for("https://shop.example.com/").is_empty());
    assert_eq!(
        notes_for("shop.example.com"),
        ["assumed https:// (no scheme was given)"]
    );
    assert_eq!(
        notes_for("https://example.com/shop/wp-json/wc/v3"),
        ["removed the REST API path /wp-json/wc/v3"]
    );
    let admin = notes_for("https://x.example/wp-admin/admin.php?page=wc-settings&tab=advanced");
    assert_eq!(
        admin,
        [
            "removed the query string (the part after ?)",
            "removed the admin page path /wp-admin/admin.php",
        ]
    );
    assert_eq!(notes_for("x.example/#a").len(), 2);
    let secret_query = format!("https://x.example/wp-json/wc/v3?consumer_secret={SECRET}");
    assert!(notes_for(&secret_query).iter().all(|n| !n.contains("cs_")));
}

#[test]
fn errors_show_what_was_understood_and_what_to_enter() {
    let e = parse("ftp://shop.example").unwrap_err().to_string();
    assert_eq!(
        e,
        "\"ftp://shop.example\" is not a store address: woolink needs an http:// or https:// address. Enter the address of the store's home page, e.g. https://shop.example.com"
    );
    let e = parse("mailto:owner@shop.example").unwrap_err().to_string();
    assert!(e.starts_with("\"mailto:…\" is not a store address"), "{e}");
    let e = parse("..").unwrap_err().to_string();
    assert!(e.contains("the host \"..\" has an empty part"), "{e}");
    let e = parse("shop").unwrap_err().to_string();
    assert!(e.contains("the host \"shop\" has no dot"), "{e}");
    assert!(e.contains("https://shop.example.com"), "{e}");
    let long = format!("https://exa mple.com/{}", "x".repeat(200));
    let e = parse(&long).unwrap_err().to_string();
    assert!(e.len() < 250 && e.contains("…\""), "{e}");
}

#[test]
fn errors_never_repeat_a_query_userinfo_or_credential() {
    let cases = [
        ("https://owner:hunter2@shop.example.com/", "hunter2"),
        ("owner:hunter2@shop.example.com", "hunter2"),
        ("https:owner:hunter2@shop", "hunter2"),
        (
            "https://exa mple.com/?consumer_secret=cs_abc",
            "consumer_secret",
        ),
        ("ftp://shop.example/#hunter2", "hunter2"),
        (KEY, "0123456789"),
        (SECRET, "89abcdef"),
        (&format!("https://exa mple.com/{KEY}"), "0123456789"),
    ];
    for (input, secret) in cases {
        let e = parse(input).unwrap_err();
        assert!(!e.to_string().contains(secret), "{input:?}: {e}");
        assert!(!format!("{e:?}").contains(secret), "{input:?}: {e:?}");
    }
    let e = parse("https://owner:hunter2@shop.example.com").unwrap_err();
    assert!(
        e.to_string().contains("\"https://…@shop.example.com\""),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("asks for the consumer key and secret separately")
    );
}

#[test]
fn accessors() {
    let sub = parse("https://www.Example.com:8443/Shop/EU/wp-json").unwrap();
    assert_eq!(
        sub.as_url().as_str(),
        "https://www.example.com:8443/Shop/EU/"
    );
    assert_eq!(
        sub.as_url().join("wp-json/wc/v3/").unwrap().as_str(),
        "https://www.example.com:8443/Shop/EU/wp-json/wc/v3/"
    );
    assert_eq!(sub.host_for_name(), "example.com-8443-shop-eu");
    assert!(sub.is_https() && !sub.is_loopback());
    let v6 = parse("http://[::1]:8080").unwrap();
    assert_eq!(v6.to_string(), "http://[::1]:8080");
    assert_eq!(v6.host_for_name(), "ipv6-1-8080");
    assert!(!v6.is_https() && v6.is_loopback());
    for loopback in [
        "localhost",
        "http://app.localhost",
        "127.0.0.2",
        "http://127.0.0.1:9",
    ] {
        assert!(parse(loopback).unwrap().is_loopback(), "{loopback}");
    }
    for remote in ["localhost.example.com", "10.0.0.1", "http://[2001:db8::1]"] {
        assert!(!parse(remote).unwrap().is_loopback(), "{remote}");
    }
    assert_eq!(
        parse("bücher.example/ü").unwrap().host_for_name(),
        "xn--bcher-kva.example-c3-bc"
    );
}

#[test]
fn default_names_keep_a_port_other_than_the_schemes_own_and_are_valid_names() {
    let name = |text: &str| parse(text).unwrap().host_for_name();
    assert_eq!(
        name("https://shop.example.com:8443"),
        "shop.example.com-8443"
    );
    assert_eq!(name("shop.example.com:8444"), "shop.example.com-8444");
    // The scheme's own port is no port at all, typed or not.
    assert_eq!(name("https://shop.example.com:443"), "shop.example.com");
    assert_eq!(name("http://localhost:80"), "localhost");
    assert_eq!(name("http://localhost:443"), "localhost-443");
    assert_eq!(name("http://127.0.0.1:8080/shop"), "127.0.0.1-8080-shop");
    let long = format!("https://{}.example.com/{}", "a".repeat(60), "b".repeat(10));
    let long_name = name(&long);
    assert_eq!(long_name.len(), 64, "{long_name}");
    let cut_at_dot = format!("https://{}.example.com", "a".repeat(63));
    assert_eq!(name(&cut_at_dot), "a".repeat(63));
    for text in [
        long.as_str(),
        "https://[2001:db8::1]:8443/x",
        "bücher.example:81/ü",
    ] {
        let name = name(text);
        assert!(
            !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'),
            "{name}"
        );
    }
}

#[test]
fn from_url_applies_the_same_rules_and_accepts_store_named_hosts() {
    let learned = Url::parse("https://Example.com/shop/?lang=en#x").unwrap();
    let store = StoreUrl::from_url(&learned).unwrap();
    assert_eq!(store, parse("https://example.com/shop").unwrap());
    assert!(StoreUrl::from_url(&Url::parse("http://wordpress/").unwrap()).is_ok());
    let ftp = StoreUrl::from_url(&Url::parse("ftp://example.com/").unwrap()).unwrap_err();
    assert!(ftp.to_string().contains(NOT_WEB), "{ftp}");
    let userinfo = Url::parse("https://a:hunter2@example.com/").unwrap();
    let e = StoreUrl::from_url(&userinfo).unwrap_err();
    assert!(e.to_string().contains(USER_INFO) && !e.to_string().contains("hunter2"));
}

fn host() -> impl Strategy<Value = String> {
    let label = "[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?";
    // A label beginning "xn--" is punycode, which must decode to be a host at all: not what
    // these properties are about.
    let label = prop::string::string_regex(label)
        .unwrap()
        .prop_filter("not punycode", |label| {
            !label.to_ascii_lowercase().starts_with("xn--")
        });
    (prop::collection::vec(label, 1..3), "[a-zA-Z]{2,6}")
        .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
}

proptest! {
    #[test]
    fn never_panics(input in ".{0,60}") {
        let _ = StoreUrl::parse_with_notes(&input);
    }

    #[test]
    fn never_panics_on_url_like_input(input in "[a-z:/@?#\\[\\]%.0-9 \\\\-]{0,30}") {
        let _ = StoreUrl::parse_with_notes(&input);
    }

    #[test]
    fn errors_and_notes_never_repeat_a_query(prefix in ".{0,40}") {
        let input = format!("{prefix}?consumer_secret=SECRETVALUE#SECRETFRAG");
        let text = match StoreUrl::parse_with_notes(&input) {
            Ok((_, notes)) => notes.join("\n"),
            Err(e) => e.to_string(),
        };
        prop_assert!(!text.contains("SECRETVALUE") && !text.contains("SECRETFRAG"), "{}", text);
    }

    #[test]
    fn errors_never_repeat_userinfo(rest in ".{0,40}") {
        let input = format!("https://owner:SECRETPASS@{rest}");
        let e = parse(&input).unwrap_err();
        prop_assert!(!e.to_string().contains("SECRETPASS"), "{}", e);
    }

    #[test]
    fn normalizing_again_changes_nothing(
        scheme in prop::sample::select(vec!["", "http://", "https://", "HTTPS://"]),
        host in host(),
        port in prop::option::of(1u16..),
        path in prop::collection::vec("[A-Za-z0-9._~-]{1,8}", 0..4),
        tail in prop::sample::select(vec!["", "/", "//", "/wp-json/wc/v3", "?a=b", "#f"]),
    ) {
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let input = format!("{scheme}{host}{port}/{}{tail}", path.join("/"));
        let first = parse(&input).unwrap();
        let again = parse(&first.to_string()).unwrap();
        prop_assert_eq!(&again, &first);
        let host = host.to_ascii_lowercase();
        prop_assert_eq!(again.as_url().host_str(), Some(host.as_str()));
        prop_assert!(again.as_url().path().ends_with('/'));
    }
}

#[test]
fn internationalized_hosts_are_shown_in_unicode_and_kept_in_ascii() {
    let store: StoreUrl = "https://Bücher.example/shop".parse().unwrap();
    assert_eq!(store.to_string(), "https://xn--bcher-kva.example/shop");
    assert_eq!(store.shown(), "https://bücher.example/shop");
    let cases = [
        ("https://xn--bcher-kva.example", "https://bücher.example"),
        ("https://shop.xn--p1ai:8443/x", "https://shop.рф:8443/x"),
        ("https://shop.example", "https://shop.example"),
        ("not a url", "not a url"),
        ("https://xn--.example", "https://xn--.example"),
    ];
    for (address, shown) in cases {
        assert_eq!(shown_address(address), shown, "{address}");
    }
}
