//! Keeping accounts, end to end: the real binary, the loopback store, and a real Secret Service
//! (a private gnome-keyring), checked through the Secret Service itself with `secret-tool`.

#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;

use crate::harness::{Outcome, Woolink};
use crate::keychain::PrivateKeychain;
use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};

fn store_with_key(permission: Permission) -> (TestStore, TestKey) {
    let key = TestKey::new(permission);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    (TestStore::start(config), key)
}

/// A woolink run that uses `keychain` as its Secret Service.
fn woolink_on(keychain: &PrivateKeychain) -> Woolink {
    let mut woolink = Woolink::new();
    woolink.env("DBUS_SESSION_BUS_ADDRESS", keychain.bus_address());
    woolink
}

fn connect(woolink: &mut Woolink, store: &TestStore, key: &TestKey, extra: &[&str]) -> Outcome {
    woolink
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--ca-cert"])
        .args([store.ca_cert_path().to_string_lossy().into_owned()])
        .args(extra.iter().copied());
    let outcome = woolink.run();
    outcome.assert_no_secret(&key.secret);
    // Only the plaintext store, chosen explicitly, may hold the secret on disk.
    let plaintext = woolink.config_dir().join("credentials.json");
    woolink.assert_secret_only_in(&key.secret, &[plaintext]);
    outcome
}

/// A follow-up command in the same config folder and keychain as `first`.
fn again(first: &Woolink, keychain: &PrivateKeychain, args: &[&str]) -> Outcome {
    let mut woolink = woolink_on(keychain);
    woolink
        .env("WOOLINK_CONFIG_DIR", first.config_dir().to_string_lossy())
        .args(args.iter().copied());
    woolink.run()
}

#[test]
fn connect_keeps_the_secret_in_the_keychain_and_remove_deletes_it() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::ReadWrite);
    let mut woolink = woolink_on(&keychain);
    connect(&mut woolink, &store, &key, &["--name", "shop"])
        .assert_code(0)
        .assert_stdout_contains("Linked \"shop\"");

    let service = format!("woolink:{}", store.url());
    let found = keychain.search(&service);
    assert!(found.contains("attribute.username = shop"), "{found}");
    assert!(
        found.contains(&key.secret),
        "the keychain holds the secret: {found}"
    );

    let index = std::fs::read_to_string(woolink.config_dir().join("accounts.json")).unwrap();
    assert!(
        !index.contains(&key.secret[3..]) && !index.contains(&key.key),
        "{index}"
    );
    let mode = std::fs::metadata(woolink.config_dir().join("accounts.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let list = again(&woolink, &keychain, &["accounts", "list"]);
    list.assert_code(0)
        .assert_stdout_contains("shop")
        .assert_stdout_contains(&store.url())
        .assert_stdout_contains(&key.key[key.key.len() - 7..])
        .assert_stdout_contains("read-write")
        .assert_stdout_contains("keychain")
        .assert_no_secret(&key.secret);
    let json = again(&woolink, &keychain, &["accounts", "list", "--json"]).json();
    assert_eq!(json[0]["name"], "shop");
    assert_eq!(json[0]["access"], "read-write");
    assert_eq!(json[0]["secret_storage"], "keychain");

    let show = again(&woolink, &keychain, &["accounts", "show", "shop", "--json"]);
    assert_eq!(show.assert_code(0).json()["secret_present"], true);

    let removed = again(
        &woolink,
        &keychain,
        &["accounts", "remove", "shop", "--yes"],
    );
    removed
        .assert_code(0)
        .assert_stdout_contains("still exists on the store")
        .assert_stdout_contains("section=keys");
    assert!(
        keychain.search(&service).trim().is_empty(),
        "entry left behind"
    );
    let json = again(&woolink, &keychain, &["accounts", "list", "--json"]).json();
    assert_eq!(json, serde_json::json!([]));
}

#[test]
fn accounts_list_never_needs_the_keychain() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::Read);
    let mut woolink = woolink_on(&keychain);
    connect(&mut woolink, &store, &key, &[]).assert_code(0);
    drop(keychain);
    // No bus at all now: list still works from the index.
    let mut list = Woolink::new();
    let outcome = list
        .env("WOOLINK_CONFIG_DIR", woolink.config_dir().to_string_lossy())
        .args(["accounts", "list"])
        .run();
    outcome.assert_code(0).assert_stdout_contains("localhost");
}

#[test]
fn without_a_secret_service_nothing_is_sent_or_written() {
    for keychain in [None, Some(PrivateKeychain::start_without_secret_service())] {
        let (mut store, key) = store_with_key(Permission::Read);
        store.expect_no_requests();
        let mut woolink = match &keychain {
            Some(keychain) => woolink_on(keychain),
            None => Woolink::new(),
        };
        let outcome = connect(&mut woolink, &store, &key, &[]);
        outcome
            .assert_code(1)
            .assert_stderr_contains("--no-save")
            .assert_stderr_contains("--store file");
        match keychain {
            Some(_) => outcome.assert_stderr_contains("no Secret Service is running"),
            None => outcome.assert_stderr_contains("no D-Bus session bus"),
        };
        assert!(
            store.requests().is_empty(),
            "the key was sent before saving was possible"
        );
        woolink.assert_nothing_written();
    }
}

#[test]
fn plaintext_file_store_is_explicit_and_shown_as_such() {
    let (store, key) = store_with_key(Permission::Read);
    let mut woolink = Woolink::new();
    connect(
        &mut woolink,
        &store,
        &key,
        &["--store", "file", "--name", "plain"],
    )
    .assert_code(0)
    .assert_stderr_contains("Warning: the secret is kept in a plaintext file");
    let credentials = woolink.config_dir().join("credentials.json");
    assert!(
        std::fs::read_to_string(&credentials)
            .unwrap()
            .contains(&key.secret)
    );
    let mode = std::fs::metadata(&credentials)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let list = again(&woolink, &PrivateKeychain::start(), &["accounts", "list"]);
    list.assert_code(0).assert_stdout_contains("PLAINTEXT FILE");
}

#[test]
fn an_existing_name_is_replaced_only_with_force() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::ReadWrite);
    let mut first = woolink_on(&keychain);
    connect(&mut first, &store, &key, &["--name", "shop"]).assert_code(0);

    let requests_before = store.requests().len();
    let mut second = woolink_on(&keychain);
    second.env("WOOLINK_CONFIG_DIR", first.config_dir().to_string_lossy());
    let outcome = connect(&mut second, &store, &key, &["--name", "shop", "--json"]);
    outcome.assert_code(2).assert_stderr_contains("--force");
    assert_eq!(outcome.json()["error"]["kind"], "name_taken");
    assert_eq!(
        store.requests().len(),
        requests_before,
        "probed although the name was taken"
    );

    let mut third = woolink_on(&keychain);
    third.env("WOOLINK_CONFIG_DIR", first.config_dir().to_string_lossy());
    connect(&mut third, &store, &key, &["--name", "shop", "--force"]).assert_code(0);
    let json = again(&first, &keychain, &["accounts", "list", "--json"]).json();
    assert_eq!(json.as_array().unwrap().len(), 1);
}

#[test]
fn removing_a_missing_account_names_the_existing_ones() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::Read);
    let mut woolink = woolink_on(&keychain);
    connect(&mut woolink, &store, &key, &["--name", "mine"]).assert_code(0);
    again(
        &woolink,
        &keychain,
        &["accounts", "remove", "nope", "--yes"],
    )
    .assert_code(2)
    .assert_stderr_contains("mine");
}

#[test]
fn removing_without_yes_and_without_a_terminal_asks_for_yes() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::Read);
    let mut woolink = woolink_on(&keychain);
    connect(&mut woolink, &store, &key, &["--name", "mine"]).assert_code(0);
    again(&woolink, &keychain, &["accounts", "remove", "mine"])
        .assert_code(2)
        .assert_stderr_contains("--yes");
    assert!(
        !keychain
            .search(&format!("woolink:{}", store.url()))
            .trim()
            .is_empty()
    );
}

#[test]
fn an_account_whose_secret_is_gone_is_shown_as_broken() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::Read);
    let mut woolink = woolink_on(&keychain);
    connect(&mut woolink, &store, &key, &["--name", "mine"]).assert_code(0);
    let service = format!("woolink:{}", store.url());
    let cleared = keychain
        .command("secret-tool")
        .args(["clear", "service", &service])
        .status()
        .unwrap();
    assert!(cleared.success());
    again(&woolink, &keychain, &["accounts", "show", "mine"])
        .assert_code(0)
        .assert_stdout_contains("MISSING");
    again(&woolink, &keychain, &["accounts", "list"])
        .assert_code(0)
        .assert_stdout_contains("mine");
}

#[test]
fn a_corrupt_index_is_reported_and_left_untouched() {
    let keychain = PrivateKeychain::start();
    let (mut store, key) = store_with_key(Permission::Read);
    store.expect_no_requests();
    let mut woolink = woolink_on(&keychain);
    let index = woolink.config_dir().join("accounts.json");
    std::fs::create_dir_all(woolink.config_dir()).unwrap();
    std::fs::write(&index, b"{ not json").unwrap();
    connect(&mut woolink, &store, &key, &[])
        .assert_code(1)
        .assert_stderr_contains(&index.display().to_string());
    assert_eq!(std::fs::read(&index).unwrap(), b"{ not json");
    again(&woolink, &keychain, &["accounts", "list"])
        .assert_code(1)
        .assert_stderr_contains("accounts.json");
    std::fs::write(&index, br#"{"version": 99, "accounts": []}"#).unwrap();
    again(&woolink, &keychain, &["accounts", "list"])
        .assert_code(1)
        .assert_stderr_contains("newer");
    assert_eq!(
        std::fs::read(&index).unwrap(),
        br#"{"version": 99, "accounts": []}"#
    );
}

/// One `connect --name NAME` per name, all at once, in `first`'s config folder and keychain.
fn connect_at_once(
    keychain: &PrivateKeychain,
    first: &Woolink,
    store: &TestStore,
    key: &TestKey,
    names: &[String],
    extra: &[&str],
) -> Vec<Outcome> {
    let config = first.config_dir().to_string_lossy().into_owned();
    let runs: Vec<_> = names
        .iter()
        .map(|name| {
            let mut woolink = Woolink::new();
            woolink
                .env("DBUS_SESSION_BUS_ADDRESS", keychain.bus_address())
                .env("WOOLINK_CONFIG_DIR", config.clone())
                .connect_args(&store.url(), &key.key, &key.secret)
                .args(["--name", name, "--ca-cert"])
                .args([store.ca_cert_path().to_string_lossy().into_owned()])
                .args(extra.iter().copied());
            std::thread::spawn(move || woolink.run())
        })
        .collect();
    runs.into_iter().map(|run| run.join().unwrap()).collect()
}

#[test]
fn twenty_concurrent_connects_all_land() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::ReadWrite);
    let first = woolink_on(&keychain);
    let names: Vec<String> = (0..20).map(|i| format!("shop-{i}")).collect();
    for outcome in connect_at_once(&keychain, &first, &store, &key, &names, &[]) {
        outcome.assert_code(0);
    }
    let json = again(&first, &keychain, &["accounts", "list", "--json"]).json();
    assert_eq!(json.as_array().unwrap().len(), 20);
    let found = keychain.search(&format!("woolink:{}", store.url()));
    for i in 0..20 {
        assert!(
            found.contains(&format!("attribute.username = shop-{i}\n")),
            "shop-{i} missing"
        );
    }
}

#[test]
fn five_forced_connects_at_once_all_land_on_one_account() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::ReadWrite);
    let first = woolink_on(&keychain);
    let names = vec!["x".to_owned(); 5];
    for outcome in connect_at_once(&keychain, &first, &store, &key, &names, &["--force"]) {
        outcome.assert_code(0).assert_no_secret(&key.secret);
    }
    let json = again(&first, &keychain, &["accounts", "list", "--json"]).json();
    assert_eq!(json.as_array().unwrap().len(), 1, "{json}");
    let found = keychain.search(&format!("woolink:{}", store.url()));
    assert_eq!(
        found.matches("attribute.username = x\n").count(),
        1,
        "{found}"
    );
}

#[test]
fn a_plaintext_secret_does_not_outlive_its_move_to_the_keychain() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::ReadWrite);
    let mut first = woolink_on(&keychain);
    connect(
        &mut first,
        &store,
        &key,
        &["--name", "shop", "--store", "file"],
    )
    .assert_code(0);
    let plaintext = first.config_dir().join("credentials.json");
    assert!(
        std::fs::read_to_string(&plaintext)
            .unwrap()
            .contains(&key.secret)
    );

    // Linked again, into the keychain: the plaintext copy goes, even with --quiet.
    let mut again_linked = woolink_on(&keychain);
    again_linked.env("WOOLINK_CONFIG_DIR", first.config_dir().to_string_lossy());
    let moved = connect(
        &mut again_linked,
        &store,
        &key,
        &["--name", "shop", "--force", "-q"],
    );
    moved.assert_code(0);
    assert!(
        !std::fs::read_to_string(&plaintext)
            .unwrap()
            .contains(&key.secret)
    );
    first.assert_secret_not_on_disk(&key.secret);
    let shown = again(&first, &keychain, &["accounts", "show", "shop", "--json"]).json();
    assert_eq!(shown["secret_storage"], "keychain");
    assert_eq!(shown["secret_present"], true);
}

#[test]
fn removing_an_account_removes_a_plaintext_copy_left_behind() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::ReadWrite);
    let mut first = woolink_on(&keychain);
    connect(&mut first, &store, &key, &["--name", "shop"]).assert_code(0);
    // A plaintext copy under the same entry, as an older woolink left one.
    let mut file_copy = Woolink::new();
    file_copy.env("WOOLINK_CONFIG_DIR", first.config_dir().to_string_lossy());
    connect(
        &mut file_copy,
        &store,
        &key,
        &["--name", "shop-copy", "--store", "file"],
    )
    .assert_code(0);
    let plaintext = first.config_dir().join("credentials.json");
    let text = std::fs::read_to_string(&plaintext).unwrap();
    // Entries are keyed "<service>\n<user>", the line break escaped in the JSON.
    std::fs::write(&plaintext, text.replace("\\nshop-copy\"", "\\nshop\"")).unwrap();
    let removed = again(
        &first,
        &keychain,
        &["accounts", "remove", "shop", "--yes", "--json"],
    );
    removed.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(removed.json()["plaintext_copy_removed"], true);
    let left = std::fs::read_to_string(&plaintext).unwrap();
    assert!(
        !left.contains("\\nshop\"") && !left.contains(&key.secret),
        "{left}"
    );
}

/// Shell completion (`COMPLETE=SHELL woolink`, clap's dynamic engine) offers the linked
/// accounts' names wherever a command takes one, with the store as help; read from the index
/// alone, so no secret can be in the answer.
#[test]
fn shell_completion_offers_the_linked_account_names() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::ReadWrite);
    let mut first = woolink_on(&keychain);
    connect(&mut first, &store, &key, &["--name", "shop"]).assert_code(0);
    connect(
        &mut woolink_on_same(&first, &keychain),
        &store,
        &key,
        &["--name", "staging"],
    )
    .assert_code(0);
    let lines = [
        vec!["woolink", "accounts", "show", ""],
        vec!["woolink", "accounts", "verify", "shop", ""],
        vec!["woolink", "accounts", "remove", "st"],
        vec!["woolink", "api", "--account", ""],
        vec!["woolink", "run", "--account", ""],
    ];
    for line in lines {
        let mut woolink = woolink_on(&keychain);
        woolink
            .env("WOOLINK_CONFIG_DIR", first.config_dir().to_string_lossy())
            .env("COMPLETE", "fish")
            .env("_CLAP_COMPLETE_INDEX", (line.len() - 1).to_string())
            .args(["--"])
            .args(line.iter().copied());
        let outcome = woolink.run();
        outcome.assert_code(0).assert_no_secret(&key.secret);
        let offered: Vec<&str> = outcome
            .stdout
            .lines()
            .filter(|l| !l.starts_with('-'))
            .collect();
        let expected: Vec<String> = ["shop", "staging"]
            .iter()
            .filter(|name| name.starts_with(line[line.len() - 1]))
            .map(|name| format!("{name}\t{}", store.url()))
            .collect();
        assert_eq!(offered, expected, "{line:?}");
    }
}

/// A second run in `first`'s config folder and keychain, set up but not run.
fn woolink_on_same(first: &Woolink, keychain: &PrivateKeychain) -> Woolink {
    let mut woolink = woolink_on(keychain);
    woolink.env("WOOLINK_CONFIG_DIR", first.config_dir().to_string_lossy());
    woolink
}
