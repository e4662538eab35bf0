//! Whole-output snapshots of what people read: every error a person can meet and every
//! command's summary, one scenario each, through the real binary against the loopback store.
//! A changed word shows in review as a changed snapshot. Each scenario also checks its exit
//! code and that the secret appears nowhere in what was printed or written.
//!
//! Snapshots are named after their scenario (`it__messages__<name>.snap`); ports, key
//! suffixes, temp folders and times are replaced by placeholders (see [`Redactor`]).

use crate::harness::{Outcome, Redactor, Woolink};
use crate::linking::{again, follow, link};
use crate::proxy_server::{Kind, TestProxy, closed_port};
use crate::store::{
    Busy, Cache, Challenge, Down, Encoding, FrontPage, Hostile, HostileScope, Junk, Permalinks,
    Permission, StoreConfig, TestKey, TestStore, Tls,
};

/// A well-formed key and secret for scenarios refused before anything is sent.
const KEY: &str = "ck_0123456789abcdef0123456789abcdef01234567";
const SECRET: &str = "cs_89abcdef0123456789abcdef0123456789abcdef";
const SITE_PASSWORD: &str = "pw-site-5c1e9b";
const PROXY_PASSWORD: &str = "pr0xy-pa55word";

/// Where the secret may be on disk after a scenario.
#[derive(Clone, Copy)]
enum Disk {
    /// Nowhere, and nothing at all under the config folder.
    Untouched,
    /// Only in the plaintext credentials file of the config folder (`--store file`).
    CredentialsFile,
    /// Nowhere (the keychain holds it), though the index may be written.
    NoSecret,
}

/// Checks one scenario's exit code, that `secret` shows nowhere it must not, and snapshots
/// both streams whole as `name`.
fn snap(
    name: &str,
    code: i32,
    outcome: &Outcome,
    redact: &Redactor,
    secret: &str,
    home: &Woolink,
    disk: Disk,
) {
    eprintln!("scenario {name}");
    outcome.assert_code(code).assert_no_secret(secret);
    match disk {
        Disk::Untouched => {
            home.assert_nothing_written();
            home.assert_secret_not_on_disk(secret);
        }
        Disk::CredentialsFile => {
            home.assert_secret_only_in(secret, &[home.config_dir().join("credentials.json")])
        }
        Disk::NoSecret => home.assert_secret_not_on_disk(secret),
    }
    insta::assert_snapshot!(name, redact.both(outcome));
}

fn ca_arg(store: &TestStore) -> String {
    store.ca_cert_path().to_string_lossy().into_owned()
}

/// What a scenario sends the store as key and secret.
#[derive(Clone, Copy)]
enum Sent {
    /// The store's own key and secret.
    Own,
    /// A key the store has never seen.
    Stranger,
    /// The store's key with another key's secret.
    WrongSecret,
}

/// One `connect --no-save` against a store set up one way.
struct StoreCase {
    name: &'static str,
    key: fn() -> TestKey,
    tls: Tls,
    adjust: fn(&mut StoreConfig),
    sent: Sent,
    /// Whether `--ca-cert` names the store's CA.
    trusted: bool,
    extra: &'static [&'static str],
    envs: &'static [(&'static str, &'static str)],
    code: i32,
}

const CASE: StoreCase = StoreCase {
    name: "",
    key: read_write_key,
    tls: Tls::Valid,
    adjust: as_it_is,
    sent: Sent::Own,
    trusted: true,
    extra: &[],
    envs: &[],
    code: 0,
};

fn read_key() -> TestKey {
    TestKey::new(Permission::Read)
}

fn read_write_key() -> TestKey {
    TestKey::new(Permission::ReadWrite)
}

fn write_key() -> TestKey {
    TestKey::new(Permission::Write)
}

fn customer_key() -> TestKey {
    TestKey::customer(Permission::ReadWrite)
}

fn as_it_is(_: &mut StoreConfig) {}

fn behind_site_password(config: &mut StoreConfig) {
    config.site_password = Some(("stage".into(), SITE_PASSWORD.into(), "Staging".into()));
}

fn run_store_case(case: &StoreCase) {
    let key = (case.key)();
    let mut config = StoreConfig::new(case.tls);
    config.keys = vec![key.clone()];
    (case.adjust)(&mut config);
    let store = TestStore::start(config);
    let stranger = read_write_key();
    let (sent_key, secret) = match case.sent {
        Sent::Own => (&key, key.secret.clone()),
        Sent::Stranger => (&stranger, stranger.secret.clone()),
        Sent::WrongSecret => (&key, stranger.secret.clone()),
    };
    let mut woolink = Woolink::new();
    woolink
        .connect_args(&store.url(), &sent_key.key, &secret)
        .args(["--no-save"]);
    if case.trusted {
        woolink.args(["--ca-cert", &ca_arg(&store)]);
    }
    woolink.args(case.extra.iter().copied());
    for (name, value) in case.envs {
        woolink.env(name, *value);
    }
    let outcome = woolink.run();
    let redact = Redactor::for_store(&store, sent_key);
    snap(
        case.name,
        case.code,
        &outcome,
        &redact,
        &secret,
        &woolink,
        Disk::Untouched,
    );
    for (_, value) in case.envs {
        for text in [&outcome.stdout, &outcome.stderr] {
            assert!(!text.contains(value), "{value} shown:\n{text}");
        }
    }
}

/// Every way a store or a key can fail the probe, and the summaries of one that passes.
#[test]
fn connect_against_stores_of_every_kind() {
    let cases = [
        // Summaries.
        StoreCase {
            name: "connect_read",
            key: read_key,
            ..CASE
        },
        StoreCase {
            name: "connect_read_write",
            ..CASE
        },
        StoreCase {
            name: "connect_read_write_json",
            extra: &["--json"],
            ..CASE
        },
        StoreCase {
            name: "connect_header_stripped",
            adjust: |config| config.strip_authorization = true,
            ..CASE
        },
        StoreCase {
            name: "connect_junk_php_notice",
            adjust: |config| config.junk = Some(Junk::PhpNotice),
            ..CASE
        },
        StoreCase {
            name: "connect_junk_byte_order_mark",
            adjust: |config| config.junk = Some(Junk::ByteOrderMark),
            ..CASE
        },
        // The closed index is only known (and noted) when the first round was not conclusive
        // and woolink looked the store up: here, because of Plain permalinks.
        StoreCase {
            name: "connect_rest_index_closed",
            adjust: |config| {
                config.rest_blocked_for_anonymous = true;
                config.permalinks = Permalinks::Plain {
                    key_auth_works: true,
                };
            },
            ..CASE
        },
        // On a store where the first round is conclusive, the index is never asked: no note.
        StoreCase {
            name: "connect_rest_index_closed_not_asked",
            adjust: |config| config.rest_blocked_for_anonymous = true,
            ..CASE
        },
        StoreCase {
            name: "connect_plain_http_oauth",
            tls: Tls::None,
            ..CASE
        },
        StoreCase {
            name: "connect_private_site",
            adjust: |config| config.front_page = FrontPage::PrivateSite,
            ..CASE
        },
        StoreCase {
            name: "connect_behind_site_password",
            adjust: behind_site_password,
            extra: &["--site-user", "stage"],
            envs: &[("WOOLINK_SITE_PASSWORD", SITE_PASSWORD)],
            ..CASE
        },
        // Credentials or access (exit 4).
        StoreCase {
            name: "error_unknown_key",
            sent: Sent::Stranger,
            code: 4,
            ..CASE
        },
        StoreCase {
            name: "error_unknown_key_rest_closed_by_plugin",
            adjust: |config| config.rest_blocked_for_anonymous = true,
            sent: Sent::Stranger,
            code: 4,
            ..CASE
        },
        StoreCase {
            name: "error_wrong_secret",
            sent: Sent::WrongSecret,
            code: 4,
            ..CASE
        },
        StoreCase {
            name: "error_wrong_secret_json",
            sent: Sent::WrongSecret,
            extra: &["--json"],
            code: 4,
            ..CASE
        },
        StoreCase {
            name: "error_oauth_rejected",
            tls: Tls::None,
            sent: Sent::WrongSecret,
            code: 4,
            ..CASE
        },
        StoreCase {
            name: "error_write_only_key",
            key: write_key,
            code: 4,
            ..CASE
        },
        StoreCase {
            name: "error_user_lacks_capability",
            key: customer_key,
            code: 4,
            ..CASE
        },
        StoreCase {
            name: "error_needs_write",
            key: read_key,
            extra: &["--require", "read-write"],
            code: 4,
            ..CASE
        },
        StoreCase {
            name: "error_needs_write_json",
            key: read_key,
            extra: &["--require", "read-write", "--json"],
            code: 4,
            ..CASE
        },
        StoreCase {
            name: "error_site_password_rejected",
            adjust: behind_site_password,
            extra: &["--site-user", "stage"],
            envs: &[("WOOLINK_SITE_PASSWORD", "not-the-password")],
            code: 4,
            ..CASE
        },
        // The store as it is cannot be used (exit 3).
        StoreCase {
            name: "error_site_password_required",
            adjust: behind_site_password,
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_firewall_challenge_cloudflare",
            adjust: |config| config.challenge = Some(Challenge::Cloudflare),
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_firewall_challenge_siteground",
            adjust: |config| config.challenge = Some(Challenge::SiteGround),
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_not_wordpress",
            adjust: |config| config.wordpress = false,
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_no_woocommerce",
            adjust: |config| config.woocommerce_active = false,
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_plain_permalinks",
            adjust: |config| {
                config.permalinks = Permalinks::Plain {
                    key_auth_works: false,
                }
            },
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_https_not_detected_key_works",
            adjust: |config| config.behind_tls_proxy = true,
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_https_not_detected_key_unchecked",
            adjust: |config| config.behind_tls_proxy = true,
            sent: Sent::Stranger,
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_store_unavailable",
            adjust: |config| config.down = Some(Down::Maintenance),
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_store_error",
            adjust: |config| config.down = Some(Down::Fatal),
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_redirect_loop",
            adjust: |config| config.redirect_loop = true,
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_timeout",
            adjust: |config| config.latency = std::time::Duration::from_secs(5),
            extra: &["--timeout", "1"],
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_broken_answer_too_large",
            adjust: |config| {
                config.hostile = Some((Hostile::EndlessBody, HostileScope::Everything))
            },
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_broken_answer_huge_headers",
            adjust: |config| {
                config.hostile = Some((
                    Hostile::HugeHeaders { bytes: 1024 * 1024 },
                    HostileScope::Everything,
                ))
            },
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_broken_answer_cut_off",
            adjust: |config| {
                config.hostile = Some((Hostile::CloseMidResponse, HostileScope::Everything))
            },
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_unexpected_answer_not_json",
            adjust: |config| config.hostile = Some((Hostile::InvalidJson, HostileScope::Products)),
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_unexpected_answer_wrong_shape",
            adjust: |config| {
                config.hostile = Some((Hostile::WrongShapeJson, HostileScope::Products))
            },
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_unexpected_answer_json",
            adjust: |config| config.hostile = Some((Hostile::InvalidJson, HostileScope::Products)),
            extra: &["--json"],
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_tls_untrusted",
            trusted: false,
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_tls_self_signed_untrusted",
            tls: Tls::SelfSigned,
            trusted: false,
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_tls_expired",
            tls: Tls::Expired,
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_tls_wrong_name",
            tls: Tls::WrongName,
            code: 3,
            ..CASE
        },
        StoreCase {
            name: "error_tls_json",
            tls: Tls::Expired,
            extra: &["--json"],
            code: 3,
            ..CASE
        },
    ];
    for case in &cases {
        run_store_case(case);
    }
}

#[test]
fn connect_to_a_cache_that_answers_for_any_key() {
    let known = read_write_key();
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![known.clone()];
    config.cache = Some(Cache::IgnoringQuery);
    let store = TestStore::start(config);
    // The known key fills the cache; the stranger's check is then answered from it.
    let mut first = Woolink::new();
    first
        .connect_args(&store.url(), &known.key, &known.secret)
        .args(["--no-save", "--ca-cert", &ca_arg(&store)]);
    first.run().assert_code(0);
    let stranger = read_write_key();
    let mut woolink = Woolink::new();
    woolink
        .connect_args(&store.url(), &stranger.key, &stranger.secret)
        .args(["--no-save", "--ca-cert", &ca_arg(&store)]);
    let outcome = woolink.run();
    let redact = Redactor::for_store(&store, &stranger);
    snap(
        "error_cached_answer",
        3,
        &outcome,
        &redact,
        &stranger.secret,
        &woolink,
        Disk::Untouched,
    );
}

#[test]
fn connect_to_a_store_that_redirects() {
    // To plain http: refused before anything is sent there.
    let key = read_write_key();
    let mut plain = {
        let mut config = StoreConfig::new(Tls::None);
        config.keys = vec![key.clone()];
        TestStore::start(config)
    };
    plain.expect_no_requests();
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.redirect_to = Some(plain.origin());
    let store = TestStore::start(config);
    let mut woolink = Woolink::new();
    woolink
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--no-save", "--ca-cert", &ca_arg(&store)]);
    let outcome = woolink.run();
    let redact = Redactor::for_store(&store, &key).port_of(&plain, "HTTP_PORT");
    snap(
        "error_https_downgrade",
        3,
        &outcome,
        &redact,
        &key.secret,
        &woolink,
        Disk::Untouched,
    );

    // To another https origin.
    let mut elsewhere = {
        let mut config = StoreConfig::new(Tls::Valid);
        config.keys = vec![key.clone()];
        TestStore::start(config)
    };
    elsewhere.expect_no_requests();
    store.set_redirect_to(Some(elsewhere.origin()));
    let mut woolink = Woolink::new();
    woolink
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--no-save", "--ca-cert", &ca_arg(&store)]);
    let outcome = woolink.run();
    let redact = Redactor::new()
        .port_of(&elsewhere, "OTHER_PORT")
        .port_of(&store, "PORT")
        .key(&key, "SUFFIX7");
    snap(
        "error_moved_elsewhere",
        3,
        &outcome,
        &redact,
        &key.secret,
        &woolink,
        Disk::Untouched,
    );
    // Kept alive until here: the redirect points at it.
    drop(plain);

    // To a host that does not exist: the redirect and its target are named, not the store.
    store.set_redirect_to(Some("https://woolink-test.invalid".to_owned()));
    let mut woolink = Woolink::new();
    woolink
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--no-save", "--ca-cert", &ca_arg(&store)]);
    let outcome = woolink.run();
    let redact = Redactor::for_store(&store, &key);
    snap(
        "error_redirect_target_failed",
        3,
        &outcome,
        &redact,
        &key.secret,
        &woolink,
        Disk::Untouched,
    );
}

/// `connect --no-save` to `url`, where no test store listens.
fn connect_nowhere(url: &str, extra: &[&str]) -> (Woolink, Outcome) {
    let mut woolink = Woolink::new();
    woolink
        .connect_args(url, KEY, SECRET)
        .args(["--no-save"])
        .args(extra.iter().copied());
    let outcome = woolink.run();
    (woolink, outcome)
}

#[test]
fn connect_to_no_store() {
    let port = closed_port().to_string();
    let redact = Redactor::new().port(&port, "CLOSED_PORT");
    let cases = [
        ("error_unreachable_dns", "https://woolink-test.invalid", 3),
        (
            "error_unreachable_refused",
            &format!("https://127.0.0.1:{port}") as &str,
            3,
        ),
    ];
    for (name, url, code) in cases {
        let (woolink, outcome) = connect_nowhere(url, &[]);
        snap(
            name,
            code,
            &outcome,
            &redact,
            SECRET,
            &woolink,
            Disk::Untouched,
        );
    }
    let (woolink, outcome) = connect_nowhere("https://woolink-test.invalid", &["--json"]);
    snap(
        "error_unreachable_dns_json",
        3,
        &outcome,
        &redact,
        SECRET,
        &woolink,
        Disk::Untouched,
    );
}

#[test]
fn connect_through_proxies_that_fail() {
    let key = read_key();
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    let mut store = TestStore::start(config);
    store.expect_no_requests();
    let wants_login = TestProxy::start(Kind::Connect {
        credentials: Some("woo:secret"),
    });
    let other_login = TestProxy::start(Kind::Connect {
        credentials: Some("woo:other"),
    });
    let forbidden = TestProxy::start(Kind::ConnectForbidden);
    let dead = closed_port().to_string();
    let cases = [
        (
            "error_proxy_wants_credentials",
            "HTTPS_PROXY",
            wants_login.url("http"),
            3,
        ),
        (
            "error_proxy_wrong_credentials",
            "https_proxy",
            format!(
                "http://woo:{PROXY_PASSWORD}@127.0.0.1:{}",
                other_login.port()
            ),
            3,
        ),
        (
            "error_proxy_refused_tunnel",
            "HTTPS_PROXY",
            forbidden.url("http"),
            3,
        ),
        (
            "error_proxy_unreachable",
            "ALL_PROXY",
            format!("socks5h://woo:{PROXY_PASSWORD}@127.0.0.1:{dead}"),
            3,
        ),
        (
            "error_proxy_variable_malformed",
            "HTTPS_PROXY",
            format!("ftp://woo:{PROXY_PASSWORD}@proxy.example:21"),
            2,
        ),
        (
            "error_proxy_variable_not_a_url",
            "http_proxy",
            "http://[::1".to_owned(),
            2,
        ),
    ];
    let redact = Redactor::for_store(&store, &key)
        .port(&wants_login.port().to_string(), "PROXY_PORT")
        .port(&other_login.port().to_string(), "PROXY_PORT")
        .port(&forbidden.port().to_string(), "PROXY_PORT")
        .port(&dead, "PROXY_PORT");
    for (name, variable, value, code) in cases {
        let mut woolink = Woolink::new();
        woolink
            .connect_args(&store.url(), &key.key, &key.secret)
            .args(["--no-save", "--ca-cert", &ca_arg(&store)])
            .env(variable, value);
        let outcome = woolink.run();
        snap(
            name,
            code,
            &outcome,
            &redact,
            &key.secret,
            &woolink,
            Disk::Untouched,
        );
        for text in [&outcome.stdout, &outcome.stderr] {
            assert!(!text.contains(PROXY_PASSWORD), "{text}");
        }
    }
}

/// Bad input, refused before anything is sent or written.
#[test]
fn bad_input_of_every_kind() {
    let connect = |rest: &[&'static str]| {
        let mut args = vec!["connect", "--url", "shop.example", "--consumer-key", KEY];
        args.extend_from_slice(rest);
        args
    };
    let with_key = |key: &'static str| {
        vec![
            "connect",
            "--url",
            "shop.example",
            "--consumer-key",
            key,
            "--consumer-secret-stdin",
        ]
    };
    let with_url = |url: &'static str| {
        vec![
            "connect",
            "--url",
            url,
            "--consumer-key",
            KEY,
            "--consumer-secret-stdin",
        ]
    };
    let secret_as_flag = format!("--consumer-secret={SECRET}");
    let cases: Vec<(&str, Vec<&str>, &str, i32)> = vec![
        ("input_missing_url", vec!["connect"], "", 2),
        (
            "input_missing_key",
            vec!["connect", "--url", "shop.example"],
            "",
            2,
        ),
        ("input_missing_secret", connect(&[]), "", 2),
        ("input_missing_url_json", vec!["connect", "--json"], "", 2),
        (
            "input_secret_as_flag_value",
            connect(&["--consumer-secret", SECRET]),
            "",
            2,
        ),
        (
            "input_secret_as_flag_value_json",
            connect(&["--consumer-secret", SECRET, "--json"]),
            "",
            2,
        ),
        (
            "input_secret_as_flag_equals",
            vec!["connect", &secret_as_flag],
            "",
            2,
        ),
        (
            "input_site_password_as_flag_value",
            connect(&[
                "--consumer-secret-stdin",
                "--site-user",
                "stage",
                "--site-password",
                SITE_PASSWORD,
            ]),
            SECRET,
            2,
        ),
        (
            "input_site_password_missing",
            connect(&["--consumer-secret-stdin", "--site-user", "stage"]),
            SECRET,
            2,
        ),
        ("input_key_and_secret_swapped", with_key(SECRET), KEY, 2),
        ("input_secret_is_a_key", with_key(KEY), KEY, 2),
        ("input_key_shortened", with_key("ck_…1234567"), SECRET, 2),
        ("input_key_too_short", with_key("ck_0123"), SECRET, 2),
        (
            "input_key_is_application_password",
            with_key("abcd EFGH 1234 ijkl MNOP 5678"),
            SECRET,
            2,
        ),
        (
            "input_key_not_hex",
            with_key("ck_0123456789abcdef0123456789abcdef0123456z"),
            SECRET,
            2,
        ),
        ("input_secret_too_short", with_key(KEY), "cs_0123", 2),
        ("input_url_ftp", with_url("ftp://shop.example"), SECRET, 2),
        ("input_url_is_the_secret", with_url(SECRET), SECRET, 2),
        ("input_url_empty", with_url(""), SECRET, 2),
        (
            "input_url_with_login",
            with_url("https://user:pw@shop.example"),
            SECRET,
            2,
        ),
        (
            "input_url_with_spaces",
            with_url("https://shop example.com"),
            SECRET,
            2,
        ),
        (
            "input_secret_file_missing",
            connect(&["--consumer-secret-file", "/nonexistent/secret"]),
            "",
            2,
        ),
        (
            "input_ca_cert_missing",
            connect(&[
                "--consumer-secret-stdin",
                "--ca-cert",
                "/nonexistent/ca.pem",
            ]),
            SECRET,
            2,
        ),
        (
            "input_account_name_invalid",
            connect(&["--consumer-secret-stdin", "--name", "my shop!"]),
            SECRET,
            2,
        ),
        (
            "usage_invalid_require",
            vec!["connect", "--require", "everything"],
            "",
            2,
        ),
        (
            "usage_invalid_require_json",
            vec!["connect", "--json", "--require", "everything"],
            "",
            2,
        ),
        ("usage_unknown_command", vec!["frobnicate"], "", 2),
        (
            "usage_unknown_flag",
            vec!["accounts", "list", "--colour"],
            "",
            2,
        ),
    ];
    for (name, args, stdin, code) in cases {
        let mut woolink = Woolink::new();
        let outcome = woolink.args(args).stdin(stdin).run();
        snap(
            name,
            code,
            &outcome,
            &Redactor::new(),
            SECRET,
            &woolink,
            Disk::Untouched,
        );
        for text in [&outcome.stdout, &outcome.stderr] {
            assert!(!text.contains(SITE_PASSWORD), "{text}");
        }
    }
    // A site user name that cannot be sent in a Basic login.
    let mut woolink = Woolink::new();
    let outcome = woolink
        .args(connect(&[
            "--consumer-secret-stdin",
            "--site-user",
            "st:age",
        ]))
        .env("WOOLINK_SITE_PASSWORD", SITE_PASSWORD)
        .stdin(SECRET)
        .run();
    snap(
        "input_site_user_invalid",
        2,
        &outcome,
        &Redactor::new(),
        SECRET,
        &woolink,
        Disk::Untouched,
    );
    assert!(
        !outcome.stderr.contains(SITE_PASSWORD),
        "{}",
        outcome.stderr
    );
}

#[test]
fn bad_environment_of_every_kind() {
    type Variables = Vec<(&'static str, &'static str)>;
    let cases: Vec<(&str, Variables, i32)> = vec![
        (
            "env_partial_set_one_missing",
            vec![
                ("WOOLINK_STORE_URL", "https://shop.example"),
                ("WOOLINK_CONSUMER_KEY", KEY),
            ],
            2,
        ),
        (
            "env_partial_set_two_missing",
            vec![("WOOLINK_CONSUMER_SECRET", SECRET)],
            2,
        ),
        (
            "env_secret_malformed",
            vec![
                ("WOOLINK_STORE_URL", "https://shop.example"),
                ("WOOLINK_CONSUMER_KEY", KEY),
                ("WOOLINK_CONSUMER_SECRET", "cs_0123"),
            ],
            2,
        ),
    ];
    for (name, envs, code) in cases {
        let mut woolink = Woolink::new();
        woolink.args(["api", "products"]);
        for (variable, value) in envs {
            woolink.env(variable, value);
        }
        let outcome = woolink.run();
        snap(
            name,
            code,
            &outcome,
            &Redactor::new(),
            SECRET,
            &woolink,
            Disk::Untouched,
        );
    }
}

#[test]
fn dotenv_files_that_cannot_be_used() {
    let folder = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Option<String>)> = vec![
        ("env_file_missing", None),
        (
            "env_file_sets_nothing",
            Some("# nothing here\nAPP_ENV=production\nWC_CONSUMER_SECRET=\n".to_owned()),
        ),
        (
            "env_file_conflicting_secrets",
            Some(format!(
                "WOOCOMMERCE_URL=https://shop.example\nWC_CONSUMER_KEY={KEY}\nWOOCOMMERCE_CONSUMER_SECRET={SECRET}\nWC_CONSUMER_SECRET=cs_{}\n",
                "1".repeat(40)
            )),
        ),
        (
            "env_file_unterminated_quote",
            Some(format!(
                "WC_URL=https://shop.example\nWC_CONSUMER_KEY={KEY}\nWC_CONSUMER_SECRET=\"{SECRET}\n"
            )),
        ),
        (
            "env_file_secret_malformed",
            Some(format!(
                "WC_URL=https://shop.example\nWC_CONSUMER_KEY={KEY}\nWC_CONSUMER_SECRET={SECRET}zz\n"
            )),
        ),
    ];
    for (name, text) in cases {
        let path = folder.path().join(format!("{name}.env"));
        if let Some(text) = &text {
            std::fs::write(&path, text).unwrap();
        }
        let mut woolink = Woolink::new();
        woolink
            .args(["connect", "--no-input", "--store", "file", "--env-file"])
            .args([path.to_string_lossy()]);
        let outcome = woolink.run();
        let redact = Redactor::new().also(&folder.path().to_string_lossy(), "DOTENV_DIR");
        snap(
            name,
            2,
            &outcome,
            &redact,
            SECRET,
            &woolink,
            Disk::Untouched,
        );
    }
}

/// A home with one read/write key linked as "shop" (secret in the plaintext file).
fn linked_shop(adjust: impl FnOnce(&mut StoreConfig)) -> (TestStore, TestKey, Woolink) {
    let key = read_write_key();
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    adjust(&mut config);
    let store = TestStore::start(config);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    (store, key, home)
}

/// The placeholders for a linked home: the store, the key, the config folder, and the times
/// recorded in the index.
fn home_redactor(store: &TestStore, key: &TestKey, home: &Woolink) -> Redactor {
    let index = std::fs::read_to_string(home.config_dir().join("accounts.json")).unwrap();
    let index: serde_json::Value = serde_json::from_str(&index).unwrap();
    let mut redact =
        Redactor::for_store(store, key).also(&home.config_dir().to_string_lossy(), "CONFIG_DIR");
    for account in index["accounts"].as_array().unwrap() {
        for field in ["linked_at", "verified_at"] {
            if let Some(time) = account[field].as_str() {
                redact = redact.also(time, "TIMESTAMP");
            }
        }
    }
    redact
}

/// Runs `args` in `home`, snapshotting it as `name` with the placeholders of the home as it is
/// after the run.
fn snap_again(
    name: &str,
    code: i32,
    home: &Woolink,
    store: &TestStore,
    key: &TestKey,
    args: &[&str],
) -> Outcome {
    let outcome = again(home, store, args);
    let redact = home_redactor(store, key, home);
    snap(
        name,
        code,
        &outcome,
        &redact,
        &key.secret,
        home,
        Disk::CredentialsFile,
    );
    outcome
}

#[test]
fn accounts_summaries_and_errors() {
    let (store, key, home) = linked_shop(|_| {});
    let cases: &[(&str, &[&str], i32)] = &[
        ("accounts_list", &["accounts", "list"], 0),
        ("accounts_show", &["accounts", "show", "shop"], 0),
        ("accounts_show_missing", &["accounts", "show", "nope"], 2),
        ("accounts_default_none", &["accounts", "default"], 0),
        ("accounts_default_set", &["accounts", "default", "shop"], 0),
        ("accounts_default_shown", &["accounts", "default"], 0),
        (
            "accounts_default_missing",
            &["accounts", "default", "nope"],
            2,
        ),
        (
            "accounts_remove_missing",
            &["accounts", "remove", "nope", "--yes"],
            2,
        ),
        (
            "accounts_remove_without_yes",
            &["accounts", "remove", "shop"],
            2,
        ),
    ];
    for (name, args, code) in cases {
        snap_again(name, *code, &home, &store, &key, args);
    }
    // The name is taken by another store: refused unless --force.
    let other_key = read_key();
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![other_key.clone()];
    let mut other_store = TestStore::start(config);
    // Refused before the key is sent anywhere.
    other_store.expect_no_requests();
    let mut taken = follow(&home, &other_store);
    taken
        .connect_args(&other_store.url(), &other_key.key, &other_key.secret)
        .args(["--store", "file", "--name", "shop"]);
    let outcome = taken.run();
    let redact = home_redactor(&store, &key, &home)
        .port_of(&other_store, "OTHER_PORT")
        .key(&other_key, "OTHER_SUFFIX7");
    snap(
        "error_name_taken",
        2,
        &outcome,
        &redact,
        &other_key.secret,
        &home,
        Disk::CredentialsFile,
    );
    // Two accounts and no default: which one is ambiguous.
    link(&home, &store, &key, "other");
    snap_again(
        "accounts_default_cleared",
        0,
        &home,
        &store,
        &key,
        &["accounts", "default", "--clear"],
    );
    snap_again(
        "error_ambiguous_account",
        2,
        &home,
        &store,
        &key,
        &["api", "products"],
    );
    snap_again(
        "error_no_such_account",
        2,
        &home,
        &store,
        &key,
        &["api", "products", "--account", "third"],
    );
    snap_again(
        "accounts_list_two",
        0,
        &home,
        &store,
        &key,
        &["accounts", "list"],
    );
    snap_again(
        "accounts_remove",
        0,
        &home,
        &store,
        &key,
        &["accounts", "remove", "other", "--yes"],
    );
    snap_again(
        "accounts_remove_json",
        0,
        &home,
        &store,
        &key,
        &["accounts", "remove", "shop", "--yes", "--json"],
    );
    snap_again(
        "accounts_list_empty",
        0,
        &home,
        &store,
        &key,
        &["accounts", "list"],
    );
    snap_again(
        "error_no_accounts",
        2,
        &home,
        &store,
        &key,
        &["api", "products"],
    );
}

#[test]
fn connect_summaries_when_saving() {
    let key = read_key();
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    let store = TestStore::start(config);
    let mut woolink = Woolink::new();
    woolink
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--store", "file", "--ca-cert", &ca_arg(&store)]);
    let outcome = woolink.run();
    let redact = home_redactor(&store, &key, &woolink);
    snap(
        "connect_saved_to_file",
        0,
        &outcome,
        &redact,
        &key.secret,
        &woolink,
        Disk::CredentialsFile,
    );
    let mut forced = follow(&woolink, &store);
    forced
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--store", "file", "--force"]);
    let outcome = forced.run();
    snap(
        "connect_saved_again_with_force",
        0,
        &outcome,
        &home_redactor(&store, &key, &woolink),
        &key.secret,
        &woolink,
        Disk::CredentialsFile,
    );
}

/// An index that cannot be used: the message names the file and what to do.
#[test]
fn config_folders_that_cannot_be_used() {
    let cases: &[(&str, &[u8])] = &[
        ("error_index_corrupt", b"{ not json"),
        (
            "error_index_from_a_newer_woolink",
            br#"{"version": 99, "accounts": []}"#,
        ),
    ];
    for (name, content) in cases {
        let mut woolink = Woolink::new();
        std::fs::create_dir_all(woolink.config_dir()).unwrap();
        std::fs::write(woolink.config_dir().join("accounts.json"), content).unwrap();
        let outcome = woolink.args(["accounts", "list"]).run();
        outcome.assert_code(1);
        let redact = Redactor::new().also(&woolink.config_dir().to_string_lossy(), "CONFIG_DIR");
        insta::assert_snapshot!(*name, redact.both(&outcome));
        assert_eq!(
            std::fs::read(woolink.config_dir().join("accounts.json")).unwrap(),
            *content
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut woolink = Woolink::new();
        let config = woolink.config_dir();
        std::fs::create_dir_all(&config).unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o777)).unwrap();
        let outcome = woolink.args(["accounts", "list"]).run();
        outcome.assert_code(1);
        let redact = Redactor::new().also(&config.to_string_lossy(), "CONFIG_DIR");
        insta::assert_snapshot!(
            "error_config_folder_writable_by_others",
            redact.both(&outcome)
        );
    }
}

#[test]
fn an_api_root_from_a_hand_edited_index() {
    let (store, key, home) = linked_shop(|_| {});
    crate::api::edit_account(&home, "shop", |account| {
        account["api_root"] = "mailto:x@y".into()
    });
    snap_again(
        "error_index_api_root_hand_edited",
        1,
        &home,
        &store,
        &key,
        &["api", "products"],
    );
}

#[test]
fn verify_summaries_and_errors() {
    let (store, key, home) = linked_shop(|_| {});
    snap_again(
        "verify_ok",
        0,
        &home,
        &store,
        &key,
        &["accounts", "verify", "shop"],
    );
    snap_again(
        "verify_all_ok",
        0,
        &home,
        &store,
        &key,
        &["accounts", "verify", "--all"],
    );
    store.set_permission(&key.key, Permission::Read);
    snap_again(
        "verify_permission_changed",
        4,
        &home,
        &store,
        &key,
        &["accounts", "verify", "shop"],
    );
    store.revoke(&key.key);
    snap_again(
        "verify_revoked",
        4,
        &home,
        &store,
        &key,
        &["accounts", "verify", "shop"],
    );
    snap_again(
        "verify_revoked_json",
        4,
        &home,
        &store,
        &key,
        &["accounts", "verify", "shop", "--json"],
    );

    // The store is gone.
    let (gone, key, home) = linked_shop(|_| {});
    let redact = home_redactor(&gone, &key, &home);
    drop(gone);
    let mut woolink = Woolink::new();
    woolink
        .env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy())
        .args(["accounts", "verify", "shop"]);
    let outcome = woolink.run();
    snap(
        "verify_unreachable",
        3,
        &outcome,
        &redact,
        &key.secret,
        &home,
        Disk::CredentialsFile,
    );
}

#[test]
fn api_hints_and_errors() {
    let (store, key, home) = linked_shop(|config| config.junk = Some(Junk::PhpNotice));
    snap_again(
        "api_junk_note",
        0,
        &home,
        &store,
        &key,
        &["api", "products?per_page=1"],
    );
    let (store, key, home) = linked_shop(|_| {});
    let cases: &[(&str, &[&str], i32)] = &[
        ("api_error_http_400", &["api", "products/999"], 2),
        ("api_error_no_route", &["api", "no-such-route"], 2),
        (
            "api_error_invalid_path",
            &["api", "https://evil.example/wp-json/wc/v3/products"],
            2,
        ),
        (
            "api_error_path_leaves_woocommerce",
            &["api", "/wp/v2/users"],
            2,
        ),
        (
            "api_error_credential_param",
            &["api", "products?consumer_key=x"],
            2,
        ),
        (
            "api_error_invalid_method",
            &["api", "-X", "BREW", "products"],
            2,
        ),
        (
            "api_error_invalid_field",
            &["api", "products", "-F", "novalue"],
            2,
        ),
        (
            "api_error_input_not_json",
            &["api", "-X", "POST", "products", "--input", "/dev/null"],
            2,
        ),
    ];
    for (name, args, code) in cases {
        snap_again(name, *code, &home, &store, &key, args);
    }
    let busy = |status, times, retry_after: &str| {
        store.set_busy(Some(Busy {
            status,
            times,
            retry_after: retry_after.to_owned(),
        }))
    };
    busy(429, 1, "0");
    snap_again(
        "api_retry_note",
        0,
        &home,
        &store,
        &key,
        &["api", "products?per_page=1"],
    );
    busy(503, 10, "0");
    snap_again(
        "api_error_store_busy",
        3,
        &home,
        &store,
        &key,
        &["api", "products"],
    );
    busy(503, 1, "600");
    snap_again(
        "api_error_store_busy_too_long",
        3,
        &home,
        &store,
        &key,
        &["api", "products"],
    );
    busy(0, 0, "0");
    store.revoke(&key.key);
    snap_again(
        "api_error_http_401",
        4,
        &home,
        &store,
        &key,
        &["api", "products"],
    );

    // A read-only key may not write.
    let (store, key) = crate::linking::store_with_key(Tls::Valid, Permission::Read);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    snap_again(
        "api_error_write_with_read_key",
        4,
        &home,
        &store,
        &key,
        &["api", "-X", "POST", "products", "-F", "name=x"],
    );
}

#[test]
fn api_errors_of_stores_that_moved_or_answer_too_much() {
    // A redirect is never followed with credentials.
    let (store, key) = crate::linking::store_with_key(Tls::None, Permission::Read);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    let (mut elsewhere, _) = crate::linking::store_with_key(Tls::None, Permission::Read);
    elsewhere.expect_no_requests();
    store.set_redirect_to(Some(elsewhere.origin()));
    let outcome = again(&home, &store, &["api", "products"]);
    let redact = home_redactor(&store, &key, &home).port_of(&elsewhere, "OTHER_PORT");
    snap(
        "api_error_redirected",
        3,
        &outcome,
        &redact,
        &key.secret,
        &home,
        Disk::CredentialsFile,
    );

    // The store did the write, but its answer was too large to print.
    let (store, key, home) = linked_shop(|config| {
        config.created_description_bytes = 70 * 1024 * 1024;
        config.compression = Some(Encoding::Gzip);
    });
    snap_again(
        "api_error_answer_unprinted",
        5,
        &home,
        &store,
        &key,
        &["api", "-X", "POST", "products", "-F", "name=Cap"],
    );
}

#[cfg(unix)]
#[test]
fn run_summaries_and_errors() {
    let (store, key, home) = linked_shop(|_| {});
    snap_again(
        "run_verbose",
        0,
        &home,
        &store,
        &key,
        &["run", "--verbose", "--", "true"],
    );
    snap_again(
        "run_error_no_such_program",
        127,
        &home,
        &store,
        &key,
        &["run", "--", "no-such-program-woolink-test"],
    );
    snap_again(
        "run_error_no_such_account",
        2,
        &home,
        &store,
        &key,
        &["run", "--account", "other", "--", "true"],
    );
    snap_again(
        "run_error_not_executable",
        126,
        &home,
        &store,
        &key,
        &["run", "--", "/dev/null"],
    );
    snap_again(
        "run_child_exit_code",
        3,
        &home,
        &store,
        &key,
        &["run", "--", "sh", "-c", "exit 3"],
    );
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn keychain_problems() {
    use crate::keychain::PrivateKeychain;

    let key = read_key();
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    let store = TestStore::start(config);
    let no_secret_service = PrivateKeychain::start_without_secret_service();
    let never_unlocked = PrivateKeychain::start_never_unlocked();
    // Without a Secret Service nothing is sent or written; a keychain that was never
    // unlocked fails only when the secret is saved, after the folder was prepared.
    let cases = [
        ("keychain_no_dbus_session", None, Disk::Untouched),
        (
            "keychain_no_secret_service",
            Some(&no_secret_service),
            Disk::Untouched,
        ),
        (
            "keychain_never_unlocked",
            Some(&never_unlocked),
            Disk::Untouched,
        ),
    ];
    let redact = Redactor::for_store(&store, &key);
    for (name, keychain, disk) in cases {
        let mut woolink = Woolink::new();
        if let Some(keychain) = keychain {
            woolink.env("DBUS_SESSION_BUS_ADDRESS", keychain.bus_address());
        }
        woolink
            .connect_args(&store.url(), &key.key, &key.secret)
            .args(["--ca-cert", &ca_arg(&store)]);
        let outcome = woolink.run();
        snap(name, 1, &outcome, &redact, &key.secret, &woolink, disk);
    }

    // A secret gone from the keychain.
    let keychain = PrivateKeychain::start();
    let mut woolink = Woolink::new();
    woolink
        .env("DBUS_SESSION_BUS_ADDRESS", keychain.bus_address())
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--name", "kept", "--ca-cert", &ca_arg(&store)]);
    let outcome = woolink.run();
    let redact = home_redactor(&store, &key, &woolink);
    snap(
        "connect_saved_to_keychain",
        0,
        &outcome,
        &redact,
        &key.secret,
        &woolink,
        Disk::NoSecret,
    );
    let cleared = keychain
        .command("secret-tool")
        .args(["clear", "service", "woolink"])
        .status()
        .unwrap();
    assert!(cleared.success());
    for (name, args, code) in [
        (
            "keychain_secret_missing_show",
            &["accounts", "show", "kept"][..],
            0,
        ),
        (
            "keychain_secret_missing_verify",
            &["accounts", "verify", "kept"][..],
            1,
        ),
        ("keychain_secret_missing_api", &["api", "products"][..], 1),
    ] {
        let mut again = follow(&woolink, &store);
        again
            .env("DBUS_SESSION_BUS_ADDRESS", keychain.bus_address())
            .args(args.iter().copied());
        let outcome = again.run();
        snap(
            name,
            code,
            &outcome,
            &redact,
            &key.secret,
            &woolink,
            Disk::NoSecret,
        );
    }
}
