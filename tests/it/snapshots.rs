//! Snapshots of what people read: help texts, and connect's and accounts' human and JSON
//! output, with store-specific values (port, key suffix, times) replaced by placeholders.

use crate::harness::{Outcome, Redactor, Woolink};
use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};

/// Help at a fixed width, whatever the terminal running the tests.
fn help(args: &[&str]) -> String {
    let outcome = Woolink::new()
        .env("COLUMNS", "100")
        .args(args.iter().copied())
        .run();
    outcome.assert_code(0);
    outcome.stdout
}

#[test]
fn help_texts() {
    insta::assert_snapshot!("help", help(&["--help"]));
    insta::assert_snapshot!("help_short", help(&["-h"]));
    insta::assert_snapshot!("connect_help", help(&["connect", "--help"]));
    insta::assert_snapshot!("accounts_help", help(&["accounts", "--help"]));
    insta::assert_snapshot!("accounts_list_help", help(&["accounts", "list", "--help"]));
    insta::assert_snapshot!("completions_help", help(&["completions", "--help"]));
    insta::assert_snapshot!("run_help", help(&["run", "--help"]));
    insta::assert_snapshot!(
        "accounts_rotate_help",
        help(&["accounts", "rotate", "--help"])
    );
}

fn store_with(key: &TestKey) -> TestStore {
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    TestStore::start(config)
}

fn connect(store: &TestStore, key: &TestKey, secret: &str, extra: &[&str]) -> Outcome {
    Woolink::new()
        .connect_args(&store.url(), &key.key, secret)
        .args(["--no-save", "--ca-cert"])
        .args([store.ca_cert_path().to_string_lossy().into_owned()])
        .args(extra.iter().copied())
        .run()
}

#[test]
fn connect_output() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(&key);
    let redact = Redactor::for_store(&store, &key);

    let human = connect(&store, &key, &key.secret, &[]);
    human.assert_code(0);
    insta::assert_snapshot!("connect_human", redact.both(&human));

    let json = connect(&store, &key, &key.secret, &["--json"]);
    json.assert_code(0);
    insta::assert_snapshot!("connect_json", redact.both(&json));

    let wrong = TestKey::new(Permission::Read).secret;
    let failed = connect(&store, &key, &wrong, &[]);
    failed.assert_code(4);
    insta::assert_snapshot!("connect_wrong_secret_human", redact.both(&failed));

    let failed = connect(&store, &key, &wrong, &["--json"]);
    failed.assert_code(4);
    insta::assert_snapshot!("connect_wrong_secret_json", redact.both(&failed));
}

#[test]
fn accounts_output() {
    let key = TestKey::new(Permission::Read);
    let store = store_with(&key);
    let mut first = Woolink::new();
    first
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--store", "file", "--name", "shop", "--ca-cert"])
        .args([store.ca_cert_path().to_string_lossy().into_owned()])
        .run()
        .assert_code(0);
    let config = first.config_dir().to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        let mut woolink = Woolink::new();
        woolink
            .env("WOOLINK_CONFIG_DIR", config.clone())
            .args(args.iter().copied());
        woolink.run()
    };
    let listed = run(&["accounts", "list", "--json"]);
    listed.assert_code(0);
    let linked_at = listed.json()[0]["linked_at"].as_str().unwrap().to_owned();
    let redact = Redactor::for_store(&store, &key)
        .also(&linked_at, "TIMESTAMP")
        .also(&config, "CONFIG_DIR");
    insta::assert_snapshot!("accounts_list_json", redact.both(&listed));
    insta::assert_snapshot!(
        "accounts_list_human",
        redact.both(&run(&["accounts", "list"]))
    );
    insta::assert_snapshot!(
        "accounts_show_json",
        redact.both(&run(&["accounts", "show", "shop", "--json"]))
    );
    insta::assert_snapshot!(
        "accounts_remove_json",
        redact.both(&run(&["accounts", "remove", "shop", "--yes", "--json"]))
    );
    insta::assert_snapshot!(
        "accounts_missing_json",
        redact.both(&run(&["accounts", "show", "nope", "--json"]))
    );
}
