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

/// The account ids in `first`'s index, in its order (accounts without one left out).
fn account_ids(first: &Woolink) -> Vec<String> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(first.config_dir().join("accounts.json")).unwrap())
            .unwrap();
    index["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str().map(str::to_owned))
        .collect()
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
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn connect_keeps_the_secret_in_the_keychain_and_remove_deletes_it() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::ReadWrite);
    let mut woolink = woolink_on(&keychain);
    connect(&mut woolink, &store, &key, &["--name", "shop"])
        .assert_code(0)
        .assert_stdout_contains("Linked \"shop\"");

    let found = keychain.woolink_entries();
    let ids = account_ids(&woolink);
    assert!(
        found.contains(&format!("attribute.username = {}", ids[0])),
        "{found}"
    );
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

    // Every column: where the secret is, which the default table leaves out when it is the
    // keychain for every account.
    let list = again(&woolink, &keychain, &["accounts", "list", "--wide"]);
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
        .assert_stdout_contains(
            "was not revoked on the store. If nothing else uses it, revoke it at",
        )
        .assert_stdout_contains("section=keys");
    // Whether the key still works was not checked: not said.
    assert!(
        !removed.stdout.contains("still works"),
        "{}",
        removed.stdout
    );
    assert!(
        keychain.woolink_entries().trim().is_empty(),
        "entry left behind"
    );
    let json = again(&woolink, &keychain, &["accounts", "list", "--json"]).json();
    assert_eq!(json, serde_json::json!([]));
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
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
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
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
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
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
    .assert_stderr_contains("warning: the secret is kept in a plaintext file");
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
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn an_existing_name_is_replaced_only_with_force() {
    let keychain = PrivateKeychain::start();
    // Two keys of one store: the same name with the same key is the same link (connect's
    // tests); with another key it is taken.
    let key = TestKey::new(Permission::ReadWrite);
    let other = TestKey::new(Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone(), other.clone()];
    let store = TestStore::start(config);
    let mut first = woolink_on(&keychain);
    connect(&mut first, &store, &key, &["--name", "shop"]).assert_code(0);

    let requests_before = store.requests().len();
    let mut second = woolink_on(&keychain);
    second.env("WOOLINK_CONFIG_DIR", first.config_dir().to_string_lossy());
    let outcome = connect(&mut second, &store, &other, &["--name", "shop", "--json"]);
    outcome.assert_code(2).assert_stderr_contains("--force");
    assert_eq!(outcome.json()["error"]["kind"], "name_taken");
    assert_eq!(
        store.requests().len(),
        requests_before,
        "probed although the name was taken"
    );

    let mut third = woolink_on(&keychain);
    third.env("WOOLINK_CONFIG_DIR", first.config_dir().to_string_lossy());
    connect(&mut third, &store, &other, &["--name", "shop", "--force"]).assert_code(0);
    let json = again(&first, &keychain, &["accounts", "list", "--json"]).json();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["key_suffix"], &other.key[other.key.len() - 7..]);
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
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
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn removing_without_yes_and_without_a_terminal_asks_for_yes() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::Read);
    let mut woolink = woolink_on(&keychain);
    connect(&mut woolink, &store, &key, &["--name", "mine"]).assert_code(0);
    again(&woolink, &keychain, &["accounts", "remove", "mine"])
        .assert_code(2)
        .assert_stderr_contains("--yes");
    assert!(!keychain.woolink_entries().trim().is_empty());
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn an_account_whose_secret_is_gone_is_shown_as_broken() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::Read);
    let mut woolink = woolink_on(&keychain);
    connect(&mut woolink, &store, &key, &["--name", "mine"]).assert_code(0);
    let cleared = keychain
        .command("secret-tool")
        .args(["clear", "service", "woolink"])
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
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
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
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
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
    let mut ids = account_ids(&first);
    ids.sort();
    assert_eq!(ids.len(), 20);
    assert_eq!(keychain.woolink_users(), ids);
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
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
    assert_eq!(keychain.woolink_users(), account_ids(&first));
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
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

    // Linked again, into the keychain (asked for: linked again, an account keeps its
    // storage unless told): the plaintext copy goes, even with --quiet.
    let mut again_linked = woolink_on(&keychain);
    again_linked.env("WOOLINK_CONFIG_DIR", first.config_dir().to_string_lossy());
    let moved = connect(
        &mut again_linked,
        &store,
        &key,
        &["--name", "shop", "--force", "-q", "--store", "keychain"],
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
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn removing_an_account_removes_a_plaintext_copy_left_behind() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::ReadWrite);
    let mut first = woolink_on(&keychain);
    connect(&mut first, &store, &key, &["--name", "shop"]).assert_code(0);
    // An account from before account ids: its entry named by store URL and name.
    let index_path = first.config_dir().join("accounts.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let id = index["accounts"][0]["id"].as_str().unwrap().to_owned();
    let service = format!("woolink:{}", store.url());
    let stored = keychain.lookup("woolink", &id).unwrap();
    keychain.store(&service, "shop", stored.trim());
    keychain.clear("woolink", &id);
    index["accounts"][0].as_object_mut().unwrap().remove("id");
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
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
    let copy_id = account_ids(&first)
        .into_iter()
        .find(|other| *other != id)
        .unwrap();
    let legacy = format!("{service}\\nshop\"");
    let text = text.replace(&format!("woolink\\n{copy_id}\""), &legacy);
    std::fs::write(&plaintext, text).unwrap();
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
    assert_eq!(keychain.lookup(&service, "shop"), None);
}

/// Shell completion (`COMPLETE=SHELL woolink`, clap's dynamic engine) offers the linked
/// accounts' names wherever a command takes one, with the store as help; read from the index
/// alone, so no secret can be in the answer.
#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
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
            .map(|name| format!("{name}\tTest Store ({})", store.url()))
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

/// Two stores linked with `--store file` in one config folder (no keychain needed): the first
/// with no title known (connect finds its API without reading the index), the second with one
/// (another REST prefix makes connect read the index, and with it the title).
fn two_linked(long_title: &str) -> (Woolink, TestStore, TestStore, TestKey) {
    let home = Woolink::new();
    // A store without a title: the list shows its address instead.
    let key = TestKey::new(Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.site_name = String::new();
    let shop = TestStore::start(config);
    crate::linking::link(&home, &shop, &key, "shop");
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.site_name = long_title.to_owned();
    config.rest_prefix = "api".into();
    let bakery = TestStore::start(config);
    crate::linking::link(&home, &bakery, &key, "client-bakery");
    (home, shop, bakery, key)
}

fn in_folder(home: &Woolink, store: &TestStore, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut woolink = crate::linking::follow(home, store);
    for (name, value) in env {
        woolink.env(name, *value);
    }
    woolink.args(args.iter().copied()).run()
}

#[test]
fn the_default_account_is_marked_and_removing_it_says_so() {
    let (home, shop, _bakery, key) = two_linked("Bakery");
    let run = |args: &[&str]| {
        let outcome = in_folder(&home, &shop, args, &[]);
        outcome.assert_no_secret(&key.secret);
        outcome
    };
    let unset = run(&["accounts", "default"]);
    unset.assert_code(0);
    assert_eq!(unset.stdout, "");
    assert_eq!(
        unset.stderr,
        "No default account is set, and 2 accounts are linked: shop, client-bakery. Choose one with `woolink accounts default NAME`.\n"
    );
    let unset = run(&["accounts", "default", "--json"]).json();
    assert_eq!(
        unset,
        serde_json::json!({"default": null, "accounts": ["shop", "client-bakery"]})
    );

    run(&["accounts", "default", "client-bakery"]).assert_code(0);
    let listed = run(&["accounts", "list"]);
    let marked: Vec<&str> = listed
        .stdout
        .lines()
        .filter(|line| line.contains("(default)"))
        .collect();
    assert_eq!(marked.len(), 1, "{}", listed.stdout);
    assert!(
        marked[0].starts_with("client-bakery (default)  "),
        "{}",
        listed.stdout
    );
    let flags: Vec<(String, bool)> = run(&["accounts", "list", "--json"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["default"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            ("shop".to_owned(), false),
            ("client-bakery".to_owned(), true)
        ]
    );
    let shown = run(&["accounts", "show", "client-bakery"]);
    assert!(
        shown
            .stdout
            .contains("\nDefault:   yes: used when a command is given no --account\n"),
        "{}",
        shown.stdout
    );
    assert!(
        run(&["accounts", "show", "shop"])
            .stdout
            .contains("\nDefault:   no\n")
    );
    assert_eq!(
        run(&["accounts", "show", "shop", "--json"]).json()["default"],
        false
    );

    // Removing another account leaves the default alone and says nothing of it.
    let other = run(&["accounts", "remove", "shop", "--yes", "--json"]).json();
    assert_eq!(other["was_default"], false);
    let removed = run(&["accounts", "remove", "client-bakery", "--yes"]);
    removed.assert_code(0);
    assert!(
        removed.stdout.contains("\nIt was the default account: no account is the default now; choose one with `woolink accounts default NAME`.\n"),
        "{}",
        removed.stdout
    );
    let index = std::fs::read_to_string(home.config_dir().join("accounts.json")).unwrap();
    assert!(!index.contains("default"), "{index}");
    crate::linking::assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn accounts_list_fits_the_width_and_shows_the_store_title() {
    let title = "Bäckerei Müller – Frische Brötchen und Kuchen seit 1952, Filiale Marktplatz";
    let (home, shop, bakery, key) = two_linked(title);
    let list = |args: &[&str], env: &[(&str, &str)]| {
        let outcome = in_folder(&home, &shop, args, env);
        outcome.assert_code(0).assert_no_secret(&key.secret);
        outcome.stdout
    };
    let width = |text: &str| text.lines().map(|line| line.chars().count()).max().unwrap();

    // 80 columns: every line fits, the titles are shown (the long one shortened), times are
    // relative.
    let narrow = list(&["accounts", "list"], &[("COLUMNS", "80")]);
    assert!(width(&narrow) <= 80, "{narrow}");
    let lines: Vec<&str> = narrow.lines().collect();
    assert_eq!(
        lines[0], "NAME           STORE                                  ACCESS      SECRET",
        "{narrow}"
    );
    assert!(
        lines[1].starts_with(&format!("shop           {}  ", shop.url())),
        "no title known: {narrow}"
    );
    assert!(
        lines[2].starts_with("client-bakery  Bäckerei Müller – Frische Brötchen u…  read-write"),
        "{narrow}"
    );
    // Room enough: relative times.
    let roomy = list(&["accounts", "list"], &[("COLUMNS", "120")]);
    assert!(
        roomy.lines().nth(1).unwrap().ends_with("  just now"),
        "{roomy}"
    );

    // A pipe: nothing left out or cut.
    let piped = list(&["accounts", "list"], &[]);
    assert!(piped.contains(title), "{piped}");
    assert!(piped.contains(&bakery.url()), "{piped}");
    assert!(
        piped.lines().next().unwrap().ends_with("VERIFIED"),
        "{piped}"
    );

    // --wide: every column, exact times, however narrow the terminal.
    let wide = list(&["accounts", "list", "--wide"], &[("COLUMNS", "80")]);
    let header: Vec<&str> = wide.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAME", "STORE", "URL", "KEY", "ACCESS", "AUTH", "SECRET", "LINKED", "VERIFIED"
        ]
    );
    assert!(wide.contains(title) && wide.contains(&shop.url()), "{wide}");
    let linked_at = list(&["accounts", "list", "--json"], &[]);
    let linked_at: serde_json::Value = serde_json::from_str(&linked_at).unwrap();
    assert!(
        wide.contains(linked_at[0]["linked_at"].as_str().unwrap()),
        "{wide}"
    );

    // STORE and Store: are the same thing: the title.
    let shown = list(&["accounts", "show", "client-bakery"], &[]);
    assert!(
        shown.contains(&format!("\nStore:     {title}\n")),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("\nURL:       {}\n", bakery.url())),
        "{shown}"
    );
}

/// `accounts rename`: the keychain entry moves to the new name (checked in the Secret Service
/// itself), the index follows, the default with it; the account works under its new name.
#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn rename_keeps_the_keychain_entry_and_the_default_follows() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::ReadWrite);
    let mut first = woolink_on(&keychain);
    connect(&mut first, &store, &key, &["--name", "shop"]).assert_code(0);
    again(&first, &keychain, &["accounts", "default", "shop"]).assert_code(0);
    let ids_before = account_ids(&first);

    let renamed = again(
        &first,
        &keychain,
        &["accounts", "rename", "shop", "client-shop"],
    );
    renamed.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(
        renamed.stdout,
        "Renamed \"shop\" to \"client-shop\" in the account index (its secret stays where it is, in the OS keychain).\nIt is still the default account.\n"
    );
    // The entry is named by the account's id, which a rename keeps.
    let found = keychain.woolink_entries();
    assert_eq!(keychain.woolink_users(), ids_before);
    assert_eq!(found.matches(&key.secret).count(), 1, "one entry: {found}");

    let index = std::fs::read_to_string(first.config_dir().join("accounts.json")).unwrap();
    let index: serde_json::Value = serde_json::from_str(&index).unwrap();
    assert_eq!(index["default"], "client-shop");
    assert_eq!(index["accounts"][0]["name"], "client-shop");
    assert_eq!(index["accounts"].as_array().unwrap().len(), 1);
    let shown = again(
        &first,
        &keychain,
        &["accounts", "show", "client-shop", "--json"],
    );
    assert_eq!(shown.assert_code(0).json()["secret_present"], true);
    assert_eq!(shown.json()["default"], true);
    first.assert_secret_not_on_disk(&key.secret);
}

/// Every refusal names what was wrong, exits 2, and changes nothing (index bytes, keychain).
#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn rename_refusals_exit_2_and_change_nothing() {
    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Permission::ReadWrite);
    let mut first = woolink_on(&keychain);
    connect(&mut first, &store, &key, &["--name", "shop"]).assert_code(0);
    connect(
        &mut woolink_on_same(&first, &keychain),
        &store,
        &key,
        &["--name", "other"],
    )
    .assert_code(0);
    let index_path = first.config_dir().join("accounts.json");
    let before = std::fs::read(&index_path).unwrap();
    let keychain_before = keychain.woolink_entries();
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["shop", "other"],
            "error: an account named \"other\" already exists; choose another name, or remove that account first with `woolink accounts remove other`\n",
            "name_taken",
        ),
        (
            &["shop", "bad name!"],
            "error: \"bad name!\" cannot be an account name: use 1 to 64 letters, digits, dots, dashes or underscores\n",
            "invalid_name",
        ),
        (
            &["nope", "new"],
            "error: no account named \"nope\"; linked accounts: shop, other\n",
            "no_such_account",
        ),
        (
            &["shop", "shop"],
            "error: \"shop\" is already the account's name: give the new name after the old one\n",
            "usage",
        ),
    ];
    for (names, message, kind) in cases {
        let args = [&["accounts", "rename"][..], names].concat();
        let refused = again(&first, &keychain, &args);
        refused.assert_code(2).assert_no_secret(&key.secret);
        assert_eq!(refused.stderr, message, "{names:?}");
        assert_eq!(refused.stdout, "");
        let json = again(&first, &keychain, &[&args[..], &["--json"]].concat());
        json.assert_code(2).assert_no_secret(&key.secret);
        assert_eq!(json.json()["error"]["kind"], kind, "{names:?}");
        assert_eq!(std::fs::read(&index_path).unwrap(), before, "{names:?}");
        assert_eq!(keychain.woolink_entries(), keychain_before, "{names:?}");
    }
    first.assert_secret_not_on_disk(&key.secret);
}

/// With `--store file` the entry moves within the plaintext file, and the renamed account is
/// used by `run` under its new name.
#[test]
fn rename_keeps_a_plaintext_file_entry() {
    let (home, shop, _bakery, key) = two_linked("Bakery");
    let renamed = in_folder(
        &home,
        &shop,
        &["accounts", "rename", "shop", "shop-2", "--json"],
        &[],
    );
    renamed.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(
        renamed.json(),
        serde_json::json!({"renamed": "shop", "to": "shop-2", "default": false})
    );
    let file = std::fs::read_to_string(home.config_dir().join("credentials.json")).unwrap();
    assert_eq!(
        file.matches(&key.secret).count(),
        2,
        "one per account: {file}"
    );
    // Entries are named by account ids, not names.
    assert!(
        !file.contains("shop-2") && !file.contains("\"shop\""),
        "{file}"
    );
    let used = in_folder(
        &home,
        &shop,
        &[
            "run",
            "--account",
            "shop-2",
            "--",
            "sh",
            "-c",
            "test \"$WOOLINK_ACCOUNT\" = shop-2 && test -n \"$WOOCOMMERCE_CONSUMER_SECRET\"",
        ],
        &[],
    );
    used.assert_code(0);
    crate::linking::assert_secret_only_in_credentials_file(&home, &key.secret);
}

/// At a real terminal (a pseudo-terminal set to 80 and then 60 columns, no COLUMNS variable)
/// `accounts list` finds the width itself and fits it.
#[test]
fn accounts_list_fits_the_terminal_it_finds() {
    let title = "Bäckerei Müller – Frische Brötchen und Kuchen seit 1952, Filiale Marktplatz";
    let (home, shop, _bakery, key) = two_linked(title);
    for columns in [80, 60] {
        let mut woolink = crate::linking::follow(&home, &shop);
        woolink.args(["accounts", "list"]);
        let inner = woolink.std_command();
        let mut command = std::process::Command::new("sh");
        command
            .env_clear()
            .arg("-c")
            .arg(format!("stty cols {columns} rows 24; exec \"$0\" \"$@\""))
            .arg(inner.get_program())
            .args(inner.get_args());
        for (name, value) in inner.get_envs() {
            if let Some(value) = value {
                command.env(name, value);
            }
        }
        command.env_remove("COLUMNS");
        let options = rexpect::session::Options::new().timeout_ms(Some(30_000));
        let mut session =
            rexpect::session::spawn_with_options(command, options).expect("woolink starts");
        // rexpect reads each byte as one char.
        let bytes: Vec<u8> = session
            .exp_eof()
            .unwrap()
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect();
        let shown = String::from_utf8(bytes).unwrap().replace('\r', "");
        assert!(!shown.contains(&key.secret), "{shown}");
        let lines: Vec<&str> = shown.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3, "{shown}");
        assert!(lines[2].contains("Bäckerei Müller"), "{shown}");
        assert!(lines[2].contains('…'), "the title is shortened: {shown}");
        let widest = lines.iter().map(|l| l.chars().count()).max().unwrap();
        assert!(widest <= columns, "{columns} columns: {shown}");
    }
}
