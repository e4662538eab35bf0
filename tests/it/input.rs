//! Bad input is refused before any request, with exit code 2, a message that names what was
//! wrong and what to do, and nothing written.

use crate::harness::Woolink;
use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};

const SECRET: &str = "cs_89abcdef0123456789abcdef0123456789abcdef";
const KEY: &str = "ck_0123456789abcdef0123456789abcdef01234567";

fn refused(args: &[&str], stdin: &str, needle: &str) {
    let mut woolink = Woolink::new();
    let outcome = woolink.args(args.iter().copied()).stdin(stdin).run();
    outcome
        .assert_code(2)
        .assert_no_secret(SECRET)
        .assert_stderr_contains(needle);
    woolink.assert_nothing_written();
}

#[test]
fn missing_values_name_the_flag_or_variable_that_supplies_them() {
    refused(&["connect"], "", "--url URL or set WOOLINK_STORE_URL");
    refused(
        &["connect", "--url", "shop.example"],
        "",
        "--consumer-key KEY",
    );
    refused(
        &["connect", "--url", "shop.example", "--consumer-key", KEY],
        "",
        "--consumer-secret-stdin",
    );
}

#[test]
fn a_secret_given_as_a_flag_value_is_refused_without_repeating_it() {
    refused(
        &[
            "connect",
            "--url",
            "shop.example",
            "--consumer-key",
            KEY,
            "--consumer-secret",
            SECRET,
        ],
        "",
        "shell history",
    );
    refused(
        &["connect", &format!("--consumer-secret={SECRET}")],
        "",
        "shell history",
    );
}

#[test]
fn swapped_key_and_secret_are_named() {
    refused(
        &[
            "connect",
            "--url",
            "shop.example",
            "--consumer-key",
            SECRET,
            "--consumer-secret-stdin",
        ],
        KEY,
        "look swapped",
    );
    refused(
        &[
            "connect",
            "--url",
            "shop.example",
            "--consumer-key",
            KEY,
            "--consumer-secret-stdin",
        ],
        KEY,
        "look swapped",
    );
}

#[test]
fn malformed_values_are_explained() {
    let connect = ["connect", "--url", "shop.example", "--consumer-key"];
    let with_key = |key: &'static str| {
        let mut args = connect.to_vec();
        args.extend([key, "--consumer-secret-stdin"]);
        args
    };
    refused(&with_key("ck_…1234567"), SECRET, "shortened");
    refused(&with_key("ck_0123"), SECRET, "has 7 characters");
    refused(
        &with_key("abcd EFGH 1234 ijkl MNOP 5678"),
        SECRET,
        "application password",
    );
    refused(
        &[
            "connect",
            "--url",
            "ftp://shop.example",
            "--consumer-key",
            KEY,
            "--consumer-secret-stdin",
        ],
        SECRET,
        "https://",
    );
    refused(
        &[
            "connect",
            "--url",
            SECRET,
            "--consumer-key",
            KEY,
            "--consumer-secret-stdin",
        ],
        SECRET,
        "consumer key or secret",
    );
    refused(
        &[
            "connect",
            "--url",
            "shop.example",
            "--consumer-key",
            KEY,
            "--consumer-secret-stdin",
        ],
        "cs_0123",
        "consumer secret has 7 characters",
    );
}

/// A key or secret pasted with a character that shows as nothing is refused naming that
/// character and where it is, not only by its length.
#[test]
fn an_invisible_character_in_a_key_or_secret_is_named_with_its_place() {
    let zwsp_key = format!("{}\u{200b}{}", &KEY[..10], &KEY[10..]);
    refused(
        &[
            "connect",
            "--url",
            "shop.example",
            "--consumer-key",
            &zwsp_key,
            "--consumer-secret-stdin",
        ],
        SECRET,
        "the consumer key contains an invisible character, a zero-width space (U+200B), at position 11 of 44",
    );
    let secret_with = |c: char| format!("{SECRET}{c}");
    for (c, name, code) in [
        ('\u{200b}', "zero-width space", "U+200B"),
        ('\u{2060}', "word joiner", "U+2060"),
        ('\u{00ad}', "soft hyphen", "U+00AD"),
        ('\u{200e}', "left-to-right mark", "U+200E"),
    ] {
        refused(
            &[
                "connect",
                "--url",
                "shop.example",
                "--consumer-key",
                KEY,
                "--consumer-secret-stdin",
            ],
            &secret_with(c),
            &format!(
                "the consumer secret contains an invisible character, a {name} ({code}), at position 44 of 44"
            ),
        );
    }
}

#[test]
fn an_unreadable_secret_file_is_named() {
    refused(
        &[
            "connect",
            "--url",
            "shop.example",
            "--consumer-key",
            KEY,
            "--consumer-secret-file",
            "/nonexistent/secret",
        ],
        "",
        "/nonexistent/secret",
    );
}

#[test]
fn environment_variables_supply_everything() {
    let key = TestKey::new(Permission::Read);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    let store = TestStore::start(config);
    let mut woolink = Woolink::new();
    let outcome = woolink
        .args(["connect", "--no-save", "--json"])
        .env("WOOLINK_STORE_URL", store.url())
        .env("WOOLINK_CONSUMER_KEY", &key.key)
        .env("WOOLINK_CONSUMER_SECRET", &key.secret)
        .env("WOOLINK_CA_CERT", store.ca_cert_path().to_string_lossy())
        .run();
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(outcome.json()["access"], "read");
}

#[test]
fn secret_from_a_file_is_read_and_trimmed() {
    let key = TestKey::new(Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    let store = TestStore::start(config);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret.txt");
    std::fs::write(&file, format!("  {}\n", key.secret)).unwrap();
    let mut woolink = Woolink::new();
    let outcome = woolink
        .args([
            "connect",
            "--no-save",
            "--url",
            &store.url(),
            "--consumer-key",
            &key.key,
        ])
        .args([
            "--consumer-secret-file",
            &file.to_string_lossy(),
            "--ca-cert",
        ])
        .args([store.ca_cert_path().to_string_lossy()])
        .run();
    outcome.assert_code(0).assert_no_secret(&key.secret);
}

#[test]
fn a_wrong_command_line_with_json_still_prints_one_json_document() {
    let mut woolink = Woolink::new();
    let outcome = woolink
        .args(["connect", "--json", "--require", "everything"])
        .run();
    outcome.assert_code(2);
    assert_eq!(outcome.json()["error"]["kind"], "usage");
    assert_eq!(outcome.json()["error"]["exit_code"], 2);
}

#[test]
fn help_never_shows_the_consumer_key_from_the_environment() {
    let mut woolink = Woolink::new();
    let outcome = woolink
        .args(["connect", "--help"])
        .env("WOOLINK_CONSUMER_KEY", KEY)
        .run();
    outcome.assert_code(0);
    assert!(!outcome.stdout.contains(KEY), "{}", outcome.stdout);
    assert!(!outcome.stdout.contains(&KEY[3..20]), "{}", outcome.stdout);
}

/// Colour follows the usual variables even where stderr is not a terminal: `CLICOLOR_FORCE`
/// turns it on (a CI log that renders colour), `NO_COLOR` wins over it.
#[test]
fn clicolor_force_colours_errors_and_no_color_wins() {
    let error_line = |envs: &[(&str, &str)]| {
        let mut woolink = Woolink::new();
        for (name, value) in envs {
            woolink.env(name, *value);
        }
        let outcome = woolink.args(["accounts", "show", "nobody"]).run();
        outcome.assert_code(2);
        outcome.stderr
    };
    let forced = error_line(&[("NO_COLOR", ""), ("TERM", "xterm"), ("CLICOLOR_FORCE", "1")]);
    assert!(forced.contains("\x1b[31m"), "{forced:?}");
    let refused = error_line(&[("TERM", "xterm"), ("CLICOLOR_FORCE", "1")]);
    assert!(!refused.contains('\x1b'), "{refused:?}");
    let plain = error_line(&[("NO_COLOR", ""), ("TERM", "xterm")]);
    assert!(!plain.contains('\x1b'), "{plain:?}");
}

/// A secret pasted where another value belongs (a stray argument, a method, a field) is not
/// echoed back: neither clap's usage error nor woolink's own error repeats it.
#[test]
fn a_secret_pasted_in_the_wrong_place_is_not_echoed_back() {
    for args in [
        &["connect", "--url", "https://shop.example", SECRET][..],
        &["connect", "--url", "https://shop.example", SECRET, "--json"][..],
        &["api", "products", "-X", SECRET][..],
        &["api", "products", "-f", SECRET][..],
    ] {
        let mut woolink = Woolink::new();
        let outcome = woolink.args(args.iter().copied()).run();
        outcome.assert_code(2).assert_no_secret(SECRET);
        assert!(outcome.stderr.contains("cs_…"), "{}", outcome.stderr);
        woolink.assert_nothing_written();
    }
}
