//! Issue 19, items 1 and 2: every account's secret is an entry of its own, named by a random
//! account id kept in the index, and a woolink killed between the secret and the index is
//! finished or undone by the next command. The kills are `std::process::abort()` at named
//! steps (`WOOLINK_TEST_CRASH_AT`, a test hook honoured by debug builds only, `src/domain/crash.rs`);
//! after each, the next command must leave no secret that no account names (in the keychain,
//! or with `--store file` in `credentials.json`), and the index and the secret must name the
//! same key.

#![cfg(target_os = "linux")]

use std::path::PathBuf;

use serde_json::Value;

use crate::harness::{Outcome, Woolink};
use crate::keychain::PrivateKeychain;
use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};

const SIGABRT: i32 = 6;
const SAVE_STEPS: [&str; 3] = ["save:pending", "save:secret", "save:index"];

/// The crash hook exists in debug builds only (`cargo test` builds those).
fn hook_available() -> bool {
    if !cfg!(debug_assertions) {
        eprintln!("SKIPPED: the crash hook exists in debug builds only");
    }
    cfg!(debug_assertions)
}

/// One config folder, using `keychain`.
struct Home<'k> {
    keychain: &'k PrivateKeychain,
    /// Holds the config folder (and a home) for every run.
    first: Woolink,
}

impl<'k> Home<'k> {
    fn new(keychain: &'k PrivateKeychain) -> Self {
        Self {
            keychain,
            first: Woolink::new(),
        }
    }

    fn config(&self) -> PathBuf {
        self.first.config_dir()
    }

    fn woolink(&self, store: &TestStore) -> Woolink {
        let mut woolink = Woolink::new();
        woolink
            .env("DBUS_SESSION_BUS_ADDRESS", self.keychain.bus_address())
            .env("WOOLINK_CONFIG_DIR", self.config().to_string_lossy())
            .env("WOOLINK_CA_CERT", store.ca_cert_path().to_string_lossy());
        woolink
    }

    /// `connect --name shop` with `key`, kept in `storage` (`keychain` or `file`), killed at
    /// `crash` if given.
    fn connect(
        &self,
        store: &TestStore,
        key: &TestKey,
        storage: &str,
        extra: &[&str],
        crash: Option<&str>,
    ) -> Outcome {
        let mut woolink = self.woolink(store);
        woolink
            .connect_args(&store.url(), &key.key, &key.secret)
            .args(["--name", "shop", "--store", storage])
            .args(extra.iter().copied());
        if let Some(step) = crash {
            woolink.env("WOOLINK_TEST_CRASH_AT", step);
        }
        let outcome = woolink.run();
        outcome.assert_no_secret(&key.secret);
        if let Some(step) = crash {
            assert_eq!(
                outcome.signal,
                Some(SIGABRT),
                "not killed at {step}: {outcome:?}"
            );
        }
        outcome
    }

    fn run(&self, store: &TestStore, args: &[&str], crash: Option<&str>) -> Outcome {
        let mut woolink = self.woolink(store);
        woolink.args(args.iter().copied());
        if let Some(step) = crash {
            woolink.env("WOOLINK_TEST_CRASH_AT", step);
        }
        woolink.run()
    }

    fn index(&self) -> Value {
        let text = std::fs::read_to_string(self.config().join("accounts.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn write_index(&self, index: &Value) {
        std::fs::write(
            self.config().join("accounts.json"),
            serde_json::to_vec_pretty(index).unwrap(),
        )
        .unwrap();
    }

    fn accounts(&self) -> Vec<Value> {
        self.index()["accounts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn credentials_file(&self) -> Option<Value> {
        let text = std::fs::read_to_string(self.config().join("credentials.json")).ok()?;
        Some(serde_json::from_str(&text).unwrap())
    }

    fn account_id(&self, name: &str) -> String {
        self.accounts()
            .iter()
            .find(|a| a["name"] == name)
            .and_then(|a| a["id"].as_str())
            .unwrap_or_else(|| panic!("{name} has no id: {}", self.index()))
            .to_owned()
    }

    /// No change is left pending; every woolink entry in the keychain and in the plaintext
    /// file belongs to an account of this folder (when `alone`, the only folder using the
    /// keychain), and holds the key that account's index record names. No secret of `keys` is
    /// on disk but in the plaintext file, and there only for an account kept there.
    fn assert_consistent(&self, keys: &[&TestKey], alone: bool) {
        let index = self.index();
        assert!(
            index
                .get("pending")
                .is_none_or(|p| p.as_array().unwrap().is_empty()),
            "a pending record is left: {index}"
        );
        let accounts = self.accounts();
        let ids_in = |storage: &str| {
            let mut ids: Vec<String> = accounts
                .iter()
                .filter(|a| a["secret_storage"] == storage)
                .map(|a| {
                    a["id"]
                        .as_str()
                        .expect("every account has an id")
                        .to_owned()
                })
                .collect();
            ids.sort();
            ids
        };
        let suffix_of = |stored: &str| {
            let stored: Value = serde_json::from_str(stored.trim()).unwrap();
            let key = stored["consumer_key"].as_str().unwrap().to_owned();
            key[key.len() - 7..].to_owned()
        };
        let recorded = |id: &str| {
            accounts
                .iter()
                .find(|a| a["id"] == id)
                .map(|a| a["key_suffix"].as_str().unwrap().to_owned())
        };
        if alone {
            assert_eq!(
                self.keychain.woolink_users(),
                ids_in("keychain"),
                "keychain entries and accounts differ: {index}"
            );
        }
        for id in ids_in("keychain") {
            let stored = self
                .keychain
                .lookup("woolink", &id)
                .unwrap_or_else(|| panic!("no entry for {id}"));
            assert_eq!(Some(suffix_of(&stored)), recorded(&id), "{index}");
        }
        let file_entries: Vec<(String, Value)> = self
            .credentials_file()
            .map(|file| {
                file["entries"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let mut file_ids: Vec<String> = file_entries
            .iter()
            .map(|(k, _)| {
                k.strip_prefix("woolink\n")
                    .unwrap_or_else(|| panic!("an entry not named by an id: {k:?}"))
                    .to_owned()
            })
            .collect();
        file_ids.sort();
        assert_eq!(
            file_ids,
            ids_in("plaintext-file"),
            "plaintext entries and accounts differ"
        );
        for (k, v) in &file_entries {
            let id = k.strip_prefix("woolink\n").unwrap();
            assert_eq!(Some(suffix_of(&v.to_string())), recorded(id), "{index}");
        }
        let plaintext = self.config().join("credentials.json");
        for key in keys {
            let kept_in_file = file_entries
                .iter()
                .any(|(_, v)| v["consumer_secret"] == key.secret.as_str());
            if kept_in_file {
                self.first
                    .assert_secret_only_in(&key.secret, std::slice::from_ref(&plaintext));
            } else {
                self.first.assert_secret_not_on_disk(&key.secret);
            }
        }
    }
}

fn store_knowing(keys: &[&TestKey]) -> TestStore {
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = keys.iter().map(|key| (*key).clone()).collect();
    TestStore::start(config)
}

fn suffix(key: &TestKey) -> &str {
    &key.key[key.key.len() - 7..]
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn a_new_link_killed_at_each_step_leaves_no_secret_that_no_account_names() {
    if !hook_available() {
        return;
    }
    for storage in ["keychain", "file"] {
        for step in SAVE_STEPS {
            let keychain = PrivateKeychain::start();
            let key = TestKey::new(Permission::ReadWrite);
            let store = store_knowing(&[&key]);
            let home = Home::new(&keychain);
            home.connect(&store, &key, storage, &[], Some(step));
            // The next command, whichever it is, tidies up.
            let list = home.run(&store, &["accounts", "list", "--json"], None);
            list.assert_code(0).assert_no_secret(&key.secret);
            home.assert_consistent(&[&key], true);
            // Only a kill after the index landed leaves the account.
            let expected = usize::from(step == "save:index");
            assert_eq!(home.accounts().len(), expected, "{storage} {step}");
            // And linking again works.
            home.connect(&store, &key, storage, &[], None)
                .assert_code(0);
            home.run(&store, &["api", "products"], None)
                .assert_code(0)
                .assert_no_secret(&key.secret);
            home.assert_consistent(&[&key], true);
            assert_eq!(home.accounts().len(), 1);
        }
    }
}

/// `connect --force` with a new key, killed at each step, from `first` storage to `second`.
fn a_forced_replace_killed_at_each_step(first: &str, second: &str) {
    if !hook_available() {
        return;
    }
    for step in SAVE_STEPS {
        let keychain = PrivateKeychain::start();
        let old = TestKey::new(Permission::ReadWrite);
        let new = TestKey::new(Permission::ReadWrite);
        let store = store_knowing(&[&old, &new]);
        let home = Home::new(&keychain);
        home.connect(&store, &old, first, &[], None).assert_code(0);
        home.connect(&store, &new, second, &["--force"], Some(step));
        // The next command uses the account: it must use the key the index names.
        let api = home.run(&store, &["api", "products", "--account", "shop"], None);
        api.assert_code(0)
            .assert_no_secret(&old.secret)
            .assert_no_secret(&new.secret);
        home.assert_consistent(&[&old, &new], true);
        let accounts = home.accounts();
        assert_eq!(accounts.len(), 1, "{first}->{second} {step}");
        // Rolled back before the index landed, forward after.
        let kept = if step == "save:index" { &new } else { &old };
        assert_eq!(accounts[0]["key_suffix"], suffix(kept), "{step}");
        // Another connect goes through.
        home.connect(&store, &new, second, &["--force"], None)
            .assert_code(0);
        home.assert_consistent(&[&old, &new], true);
    }
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn a_forced_replace_in_the_keychain_killed_at_each_step_keeps_index_and_secret_agreeing() {
    a_forced_replace_killed_at_each_step("keychain", "keychain");
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn a_forced_replace_in_the_file_killed_at_each_step_keeps_index_and_secret_agreeing() {
    a_forced_replace_killed_at_each_step("file", "file");
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn a_move_from_the_file_to_the_keychain_killed_at_each_step_leaves_no_plaintext_copy() {
    a_forced_replace_killed_at_each_step("file", "keychain");
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn a_move_from_the_keychain_to_the_file_killed_at_each_step_leaves_no_keychain_copy() {
    a_forced_replace_killed_at_each_step("keychain", "file");
}

/// Two config folders on one keychain, each linking the same store as "shop" with its own key
/// (the first read-write, the second with `second`).
fn two_folders_linking_shop(
    keychain: &PrivateKeychain,
    second: Permission,
) -> (TestStore, [TestKey; 2], Home<'_>, Home<'_>) {
    let keys = [TestKey::new(Permission::ReadWrite), TestKey::new(second)];
    let store = store_knowing(&[&keys[0], &keys[1]]);
    let (a, b) = (Home::new(keychain), Home::new(keychain));
    a.connect(&store, &keys[0], "keychain", &[], None)
        .assert_code(0);
    b.connect(&store, &keys[1], "keychain", &[], None)
        .assert_code(0);
    (store, keys, a, b)
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn two_config_folders_linking_the_same_store_under_one_name_keep_their_own_secrets() {
    let keychain = PrivateKeychain::start();
    let (store, [one, two], a, b) = two_folders_linking_shop(&keychain, Permission::Read);
    assert_eq!(keychain.woolink_users().len(), 2);
    let (id_a, id_b) = (a.account_id("shop"), b.account_id("shop"));
    assert_ne!(id_a, id_b);
    assert!(
        keychain
            .lookup("woolink", &id_a)
            .unwrap()
            .contains(&one.key)
    );
    assert!(
        keychain
            .lookup("woolink", &id_b)
            .unwrap()
            .contains(&two.key)
    );
    a.assert_consistent(&[&one], false);
    b.assert_consistent(&[&two], false);

    // Renaming touches the index only; removing in one folder leaves the other working.
    a.run(&store, &["accounts", "rename", "shop", "mine"], None)
        .assert_code(0);
    assert_eq!(a.account_id("mine"), id_a);
    assert_eq!(keychain.woolink_users().len(), 2);
    a.run(&store, &["accounts", "remove", "mine", "--yes"], None)
        .assert_code(0);
    assert_eq!(keychain.woolink_users(), vec![id_b]);
    b.run(&store, &["api", "products"], None)
        .assert_code(0)
        .assert_no_secret(&two.secret);
    let verify = b.run(&store, &["accounts", "verify", "--json"], None);
    verify.assert_code(0);
    assert_eq!(verify.json()["accounts"][0]["status"], "ok");
}

/// Turns the folder's one account back into one linked before account ids: no id in the
/// index, its secret under the old entry name (service `woolink:<store URL>`, user the name).
fn make_legacy(home: &Home, store: &TestStore) {
    let mut index = home.index();
    let account = &mut index["accounts"][0];
    let id = account["id"].as_str().unwrap().to_owned();
    let name = account["name"].as_str().unwrap().to_owned();
    let service = format!("woolink:{}", store.url());
    if account["secret_storage"] == "keychain" {
        let stored = home.keychain.lookup("woolink", &id).unwrap();
        home.keychain.store(&service, &name, stored.trim());
        home.keychain.clear("woolink", &id);
    } else {
        let path = home.config().join("credentials.json");
        let mut file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let entries = file["entries"].as_object_mut().unwrap();
        let stored = entries.remove(&format!("woolink\n{id}")).unwrap();
        entries.insert(format!("{service}\n{name}"), stored);
        std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
    }
    account.as_object_mut().unwrap().remove("id");
    home.write_index(&index);
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn an_entry_from_before_ids_moves_to_its_id_once_even_when_killed() {
    if !hook_available() {
        return;
    }
    let steps = [
        None,
        Some("migrate:pending"),
        Some("migrate:secret"),
        Some("migrate:index"),
    ];
    for storage in ["keychain", "file"] {
        for step in steps {
            let keychain = PrivateKeychain::start();
            let key = TestKey::new(Permission::ReadWrite);
            let store = store_knowing(&[&key]);
            let home = Home::new(&keychain);
            home.connect(&store, &key, storage, &[], None)
                .assert_code(0);
            make_legacy(&home, &store);
            let legacy = format!("woolink:{}", store.url());
            if let Some(step) = step {
                let killed = home.run(&store, &["api", "products"], Some(step));
                assert_eq!(killed.signal, Some(SIGABRT), "{step}: {killed:?}");
                killed.assert_no_secret(&key.secret);
            }
            let show = home.run(&store, &["accounts", "show", "shop", "--json"], None);
            assert_eq!(
                show.assert_code(0).json()["secret_present"],
                true,
                "{storage} {step:?}"
            );
            assert!(home.accounts()[0]["id"].is_string());
            assert_eq!(keychain.lookup(&legacy, "shop"), None, "{step:?}");
            home.assert_consistent(&[&key], true);
            home.run(&store, &["api", "products"], None)
                .assert_code(0)
                .assert_no_secret(&key.secret);
        }
    }
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn a_shared_entry_from_before_ids_goes_to_the_folder_whose_key_it_holds() {
    let keychain = PrivateKeychain::start();
    let (store, [one, two], a, b) = two_folders_linking_shop(&keychain, Permission::ReadWrite);
    // Before ids, b's link overwrote a's secret: one entry, holding b's key.
    make_legacy(&a, &store);
    make_legacy(&b, &store);
    let legacy = format!("woolink:{}", store.url());
    assert!(keychain.lookup(&legacy, "shop").unwrap().contains(&two.key));
    assert!(keychain.woolink_users().is_empty());

    // a's index names another key: the entry is not used, nor taken.
    let before = store.credentialed_requests().len();
    let refused = a.run(&store, &["api", "products"], None);
    refused
        .assert_code(1)
        .assert_stderr_contains("\"shop\"")
        .assert_stderr_contains("woolink did not use it")
        .assert_stderr_contains("woolink connect --name shop --force")
        .assert_no_secret(&one.secret)
        .assert_no_secret(&two.secret);
    assert_eq!(
        store.credentialed_requests().len(),
        before,
        "the key was sent"
    );
    let verify = a.run(&store, &["accounts", "verify", "--json"], None);
    assert_eq!(
        verify.json()["accounts"][0]["status"],
        "secret_mismatch",
        "{verify:?}"
    );
    assert!(keychain.lookup(&legacy, "shop").is_some());

    // b's key: b takes it.
    b.run(&store, &["api", "products"], None)
        .assert_code(0)
        .assert_no_secret(&two.secret);
    assert_eq!(keychain.lookup(&legacy, "shop"), None);
    b.assert_consistent(&[&two], false);
    // a's secret was lost before ids: now simply missing, with the way out.
    a.run(&store, &["api", "products"], None)
        .assert_code(1)
        .assert_stderr_contains("missing")
        .assert_no_secret(&one.secret)
        .assert_no_secret(&two.secret);
    a.first.assert_secret_not_on_disk(&one.secret);
    a.first.assert_secret_not_on_disk(&two.secret);
    a.connect(&store, &one, "keychain", &[], None)
        .assert_code(0);
    a.run(&store, &["api", "products"], None).assert_code(0);
    a.assert_consistent(&[&one], false);
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn a_stored_key_that_is_not_the_one_the_index_names_is_never_used() {
    let keychain = PrivateKeychain::start();
    let (one, two) = (
        TestKey::new(Permission::ReadWrite),
        TestKey::new(Permission::ReadWrite),
    );
    let store = store_knowing(&[&one, &two]);
    let home = Home::new(&keychain);
    home.connect(&store, &one, "keychain", &[], None)
        .assert_code(0);
    let id = home.account_id("shop");
    let other = serde_json::json!({"consumer_key": two.key, "consumer_secret": two.secret});
    keychain.store("woolink", &id, &other.to_string());

    let before = store.credentialed_requests().len();
    for args in [&["api", "products"][..], &["run", "--", "true"][..]] {
        home.run(&store, args, None)
            .assert_code(1)
            .assert_stderr_contains(&format!(
                "the account index names the key ck_…{}",
                suffix(&one)
            ))
            .assert_stderr_contains("woolink did not use it")
            .assert_no_secret(&one.secret)
            .assert_no_secret(&two.secret);
    }
    assert_eq!(
        store.credentialed_requests().len(),
        before,
        "a key was sent"
    );
    let show = home.run(&store, &["accounts", "show", "shop", "--json"], None);
    assert_eq!(show.assert_code(0).json()["secret_present"], false);
    let show = home.run(&store, &["accounts", "show", "shop"], None);
    show.assert_stdout_contains("NOT this account's key")
        .assert_no_secret(&two.secret);
    // The way out the message gives works.
    home.connect(&store, &one, "keychain", &["--force"], None)
        .assert_code(0);
    home.run(&store, &["api", "products"], None).assert_code(0);
    home.assert_consistent(&[&one, &two], true);
}
