//! `woolink accounts rotate NAME`, end to end: the real binary, the loopback store and a real
//! Secret Service. The old key stays the account's whenever the new one is not proven. Also
//! `connect --force` and `accounts remove`, which say what happened to the key they let go.

#![cfg(target_os = "linux")]

use crate::harness::Outcome;
use crate::keychain::KeychainHome as Home;
use crate::linking::store_knowing;
use crate::store::{Permission, TestKey, TestStore};

impl Home {
    fn link(&self, store: &TestStore, key: &TestKey, name: &str) {
        let mut woolink = self.trusting(store);
        woolink
            .connect_args(&store.url(), &key.key, &key.secret)
            .args(["--name", name]);
        woolink.run().assert_code(0).assert_no_secret(&key.secret);
    }

    /// `accounts rotate NAME` with `key` given the scripted way.
    fn rotate(&self, store: &TestStore, name: &str, key: &TestKey, extra: &[&str]) -> Outcome {
        let mut woolink = self.trusting(store);
        woolink
            .args(["accounts", "rotate", name, "--consumer-key", &key.key])
            .args(["--consumer-secret-stdin"])
            .args(extra.iter().copied())
            .stdin(key.secret.clone());
        let outcome = woolink.run();
        outcome.assert_no_secret(&key.secret);
        outcome
    }

    fn assert_not_on_disk(&self, keys: &[&TestKey]) {
        for key in keys {
            self.first.assert_secret_not_on_disk(&key.secret);
        }
    }
}

fn suffix(key: &TestKey) -> &str {
    &key.key[key.key.len() - 7..]
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn a_proven_new_key_replaces_the_old_one_which_is_named_for_revoking() {
    let old = TestKey::new(Permission::Read);
    let new = TestKey::new(Permission::ReadWrite);
    let back = TestKey::new(Permission::Read);
    let store = store_knowing(&[&old, &new, &back]);
    let home = Home::new();
    home.link(&store, &old, "shop");

    let outcome = home.rotate(&store, "shop", &new, &[]);
    outcome
        .assert_code(0)
        .assert_stdout_contains(&format!(
            "\"shop\" now uses the new key ck_…{}",
            suffix(&new)
        ))
        .assert_stdout_contains("Access WIDENED: read -> read-write")
        .assert_stdout_contains(&format!("revoke the old key ck_…{}", suffix(&old)))
        .assert_stdout_contains(&format!(
            "{}/wp-admin/admin.php?page=wc-settings&tab=advanced&section=keys\n",
            store.url()
        ))
        .assert_no_secret(&old.secret);
    // Not checked, so not said to still work (or not).
    assert!(
        !outcome.stdout.contains("still works"),
        "{}",
        outcome.stdout
    );
    let kept = home.kept();
    assert!(
        kept.contains(&new.secret) && !kept.contains(&old.secret),
        "{kept}"
    );
    let index = home.index();
    assert!(
        index.contains(suffix(&new)) && !index.contains(suffix(&old)),
        "{index}"
    );
    assert!(index.contains("read-write"), "{index}");

    // The account works with the new key: run hands it on.
    let mut woolink = home.trusting(&store);
    let run = woolink
        .env("EXPECTED", &new.secret)
        .args(["run", "--", "sh", "-c"])
        .args([r#"[ "$WOOCOMMERCE_CONSUMER_SECRET" = "$EXPECTED" ] && echo new=used"#])
        .run();
    run.assert_code(0).assert_stdout_contains("new=used");

    // Back to a read key, as a script, in JSON: a narrowing, not checked at a terminal.
    let json = home.rotate(&store, "shop", &back, &["--json"]);
    crate::schemas::assert_matches("accounts_rotate", json.assert_code(0));
    let json = json.json();
    assert_eq!(json["access_change"], "narrowed");
    assert_eq!(json["old_access"], "read-write");
    assert_eq!(json["access"], "read");
    assert_eq!(json["old_key"], format!("ck_…{}", suffix(&new)));
    assert_eq!(json["key_suffix"], suffix(&back));
    assert_eq!(json["old_key_revoked"], serde_json::Value::Null);
    home.assert_not_on_disk(&[&old, &new, &back]);
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn a_key_the_store_does_not_know_or_a_wrong_secret_changes_nothing() {
    let old = TestKey::new(Permission::ReadWrite);
    let elsewhere = TestKey::new(Permission::ReadWrite);
    let another = TestKey::new(Permission::Read);
    let store = store_knowing(&[&old, &another]);
    let home = Home::new();
    home.link(&store, &old, "shop");
    let index = home.index();

    home.rotate(&store, "shop", &elsewhere, &[])
        .assert_code(4)
        .assert_stderr_contains("it is not a key of this store")
        .assert_stderr_contains("\"shop\" was not changed")
        .assert_no_secret(&old.secret);
    let json = home.rotate(&store, "shop", &elsewhere, &["--json"]);
    crate::schemas::assert_matches("error", &json);
    assert_eq!(
        json.assert_code(4).json()["error"]["kind"],
        "key_of_another_store"
    );

    let wrong = TestKey {
        secret: TestKey::new(Permission::Read).secret,
        ..old.clone()
    };
    home.rotate(&store, "shop", &wrong, &[])
        .assert_code(2)
        .assert_stderr_contains("already uses");
    let wrong_secret = TestKey {
        secret: TestKey::new(Permission::Read).secret,
        ..another.clone()
    };
    home.rotate(&store, "shop", &wrong_secret, &[])
        .assert_code(4)
        .assert_no_secret(&old.secret);
    home.rotate(&store, "nope", &elsewhere, &[])
        .assert_code(2)
        .assert_stderr_contains("no account named \"nope\"; linked accounts: shop");
    // Without a secret from anywhere, a script is told what to give.
    let mut woolink = home.trusting(&store);
    woolink
        .args([
            "accounts",
            "rotate",
            "shop",
            "--consumer-key",
            &elsewhere.key,
        ])
        .run()
        .assert_code(2)
        .assert_stderr_contains("--consumer-secret-stdin");

    assert_eq!(home.index(), index, "the index changed");
    let now = home.kept();
    assert!(now.contains(&old.secret), "the keychain changed: {now}");
    assert_eq!(now.matches("attribute.username = ").count(), 1, "{now}");
    home.assert_not_on_disk(&[&old, &elsewhere, &wrong_secret]);
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn at_a_terminal_rotate_waits_while_the_old_key_is_revoked_and_checks_it() {
    use crate::terminal::{Look, Terminal};
    let old = TestKey::new(Permission::ReadWrite);
    let new = TestKey::new(Permission::ReadWrite);
    let store = store_knowing(&[&old, &new]);
    let home = Home::new();
    home.link(&store, &old, "shop");

    let mut woolink = home.trusting(&store);
    woolink.args(["accounts", "rotate", "shop", "--json"]);
    let mut term = Terminal::start(&woolink, Look::Dumb);
    // With --json the status lines (the keys page) are left out; the questions are not.
    term.expect("Consumer key (ck_...)");
    term.answer(&new.key);
    term.wait_for_echo_off();
    term.answer(&new.secret);
    term.expect(&format!("Wait here while you revoke ck_…{}", suffix(&old)));
    term.answer("");
    term.expect("Check now");
    // Not revoked yet: said so, and asked again.
    term.answer("y");
    term.expect("The store still accepts");
    term.expect("Check again?");
    store.revoke(&old.key);
    term.answer("");
    term.expect("Check now");
    term.answer("");
    term.expect("\"old_key_revoked\": true");
    assert_eq!(term.finish(), 0, "{}", term.transcript);
    term.assert_hides(&[&old.secret, &new.secret]);
    let kept = home.kept();
    assert!(kept.contains(&new.secret), "{kept}");
    home.assert_not_on_disk(&[&old, &new]);
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn connect_force_says_what_it_replaced_and_remove_advises_revoking_only_an_unused_key() {
    let old = TestKey::new(Permission::Read);
    let new = TestKey::new(Permission::ReadWrite);
    let store = store_knowing(&[&old, &new]);
    let home = Home::new();
    home.link(&store, &old, "shop");
    home.link(&store, &old, "shop-copy");

    // --force over "shop": the old key and access are named; another account still uses it.
    let mut woolink = home.trusting(&store);
    woolink
        .connect_args(&store.url(), &new.key, &new.secret)
        .args(["--name", "shop", "--force"]);
    let replaced = woolink.run();
    replaced
        .assert_code(0)
        .assert_stdout_contains(&format!(
            "Replaced: key ck_…{} -> ck_…{}; access read -> read-write (widened)",
            suffix(&old),
            suffix(&new)
        ))
        .assert_stdout_contains("is still the key of another account")
        .assert_no_secret(&old.secret)
        .assert_no_secret(&new.secret);
    assert!(
        !replaced.stdout.contains("still works"),
        "{}",
        replaced.stdout
    );

    // Removing "shop-copy" now leaves the old key unused: revoking it is advised, in JSON too.
    let mut woolink = home.trusting(&store);
    let removed = woolink
        .args(["accounts", "remove", "shop-copy", "--yes", "--json"])
        .run();
    crate::schemas::assert_matches("accounts_remove", removed.assert_code(0));
    assert_eq!(removed.json()["key_used_by"], serde_json::json!([]));

    // Back to the old key with --force, as JSON: the replaced account is described.
    let mut woolink = home.trusting(&store);
    woolink
        .connect_args(&store.url(), &old.key, &old.secret)
        .args(["--name", "shop", "--force", "--json"]);
    let json = woolink.run();
    crate::schemas::assert_matches("connect", json.assert_code(0));
    let json = json.json();
    assert_eq!(json["link"], "replaced");
    assert_eq!(json["replaced"]["key"], format!("ck_…{}", suffix(&new)));
    assert_eq!(json["replaced"]["access"], "read-write");
    assert_eq!(json["replaced"]["key_still_used"], false);

    // Two accounts with one key: removing one does not advise revoking it.
    home.link(&store, &old, "shop-copy");
    let mut woolink = home.trusting(&store);
    let removed = woolink.args(["accounts", "remove", "shop", "--yes"]).run();
    removed
        .assert_code(0)
        .assert_stdout_contains("is also the key of \"shop-copy\"")
        .assert_no_secret(&old.secret);
    assert!(
        !removed.stdout.contains("revoke it at"),
        "{}",
        removed.stdout
    );
    home.assert_not_on_disk(&[&old, &new]);
}
