//! `woolink run -- CMD`: the child gets the account in its environment and woolink's own
//! environment otherwise untouched; stdin, stdout, exit codes and signals are the child's.

#![cfg(unix)] // the child commands are sh scripts

use crate::api::{apply_hostile_edit, hostile_api_roots};
use crate::harness::{Outcome, Woolink};
use crate::linking::{assert_secret_only_in_credentials_file, follow, link, store_with_key};
use crate::store::{Permission, TestKey, TestStore, Tls};

fn linked() -> (TestStore, TestKey, Woolink) {
    let (store, key) = store_with_key(Tls::Valid, Permission::ReadWrite);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    (store, key, home)
}

/// The child printed the WOOCOMMERCE_* variables of `store` and `key` (Basic over https) as
/// `name=value` lines, the secret only as `secret=match`; woolink exited 0.
pub fn assert_child_saw_the_store(outcome: &Outcome, store: &TestStore, key: &TestKey) {
    outcome
        .assert_code(0)
        .assert_stdout_contains(&format!("url={}\n", store.url()))
        .assert_stdout_contains(&format!("root={}/wp-json/\n", store.url()))
        .assert_stdout_contains(&format!("api={}/wp-json/wc/v3/\n", store.url()))
        .assert_stdout_contains(&format!("key={}\n", key.key))
        .assert_stdout_contains("auth=basic\n")
        .assert_stdout_contains("secret=match\n")
        .assert_no_secret(&key.secret);
}

fn run_sh(
    home: &Woolink,
    store: &TestStore,
    script: &str,
    prepare: impl FnOnce(&mut Woolink),
) -> Outcome {
    let mut woolink = follow(home, store);
    prepare(&mut woolink);
    woolink.args(["run", "--", "sh", "-c", script]).run()
}

#[test]
fn the_child_sees_the_account_and_the_rest_of_the_environment() {
    let (store, key, home) = linked();
    // The child compares the secret itself, so it never reaches any output.
    let script = r#"
        printf 'url=%s\nroot=%s\napi=%s\nkey=%s\nauth=%s\naccount=%s\nmine=%s\n' \
            "$WOOCOMMERCE_URL" "$WOOCOMMERCE_API_ROOT" "$WOOCOMMERCE_API_URL" \
            "$WOOCOMMERCE_CONSUMER_KEY" "$WOOCOMMERCE_AUTH_METHOD" "$WOOLINK_ACCOUNT" "$MY_OWN_VAR"
        [ "$WOOCOMMERCE_CONSUMER_SECRET" = "$EXPECTED_SECRET" ] && echo secret=match
        [ -n "$HOME" ] && [ -n "$PATH" ] && echo inherited=yes
    "#;
    let outcome = run_sh(&home, &store, script, |w| {
        w.env("MY_OWN_VAR", "kept")
            .env("EXPECTED_SECRET", &key.secret);
    });
    assert_child_saw_the_store(&outcome, &store, &key);
    outcome
        .assert_stdout_contains("account=shop\n")
        .assert_stdout_contains("mine=kept\n")
        .assert_stdout_contains("secret=match\n")
        .assert_stdout_contains("inherited=yes\n")
        .assert_no_secret(&key.secret);
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn stdin_and_stdout_pass_through() {
    let (store, key, home) = linked();
    let outcome = run_sh(&home, &store, "tr a-z A-Z", |w| {
        w.stdin("hello from stdin");
    });
    outcome
        .assert_code(0)
        .assert_stdout_contains("HELLO FROM STDIN")
        .assert_no_secret(&key.secret);
    run_sh(&home, &store, "echo to-stderr >&2", |_| {}).assert_stderr_contains("to-stderr");
}

#[test]
fn exit_codes_and_signals_are_the_childs() {
    let (store, key, home) = linked();
    for code in [0, 1, 7, 42] {
        run_sh(&home, &store, &format!("exit {code}"), |_| {}).assert_code(code);
    }
    let killed = run_sh(&home, &store, "kill -TERM $$", |_| {});
    assert_eq!(killed.signal, Some(15), "{killed:?}");
    // A shell reports that as 128+15.
    let mut woolink = follow(&home, &store);
    let script = format!(
        "'{}' run -- sh -c 'kill -TERM $$'; echo status=$?",
        env!("CARGO_BIN_EXE_woolink")
    );
    // `woolink run -- sh` runs the outer shell, which runs woolink again (same account).
    let outcome = woolink.args(["run", "--", "sh", "-c", &script]).run();
    outcome
        .assert_code(0)
        .assert_stdout_contains("status=143")
        .assert_no_secret(&key.secret);
}

#[test]
fn failures_to_start_or_choose_an_account_are_reported() {
    let (store, key, home) = linked();
    let mut woolink = follow(&home, &store);
    woolink
        .args(["run", "--", "no-such-program-woolink-test"])
        .run()
        .assert_code(127)
        .assert_stderr_contains("no-such-program-woolink-test")
        .assert_no_secret(&key.secret);
    let mut woolink = follow(&home, &store);
    woolink
        .args(["run", "--account", "other", "--", "true"])
        .run()
        .assert_code(2)
        .assert_stderr_contains("shop");
    let mut empty = Woolink::new();
    empty
        .args(["run", "--", "true"])
        .run()
        .assert_code(2)
        .assert_stderr_contains("woolink connect");
}

#[test]
fn the_parents_woolink_inputs_do_not_reach_the_child() {
    let (store, key, home) = linked();
    let other = TestKey::new(Permission::ReadWrite);
    let script = r#"
        for name in WOOLINK_CONSUMER_SECRET WOOLINK_CONSUMER_KEY WOOLINK_STORE_URL; do
            eval "[ -z \"\${$name+set}\" ]" && echo "$name=unset"
        done
        [ "$WOOCOMMERCE_CONSUMER_SECRET" = "$EXPECTED_SECRET" ] && echo secret=match
    "#;
    // All three make credentials from the environment, which --account outranks.
    let script = format!("{script}\n[ \"$WOOLINK_ACCOUNT\" = shop ] && echo account=shop");
    let outcome = follow(&home, &store)
        .env("WOOLINK_CONSUMER_SECRET", &other.secret)
        .env("WOOLINK_CONSUMER_KEY", &other.key)
        .env("WOOLINK_STORE_URL", "https://other.example")
        .env("EXPECTED_SECRET", &key.secret)
        .args(["run", "--account", "shop", "--", "sh", "-c", &script])
        .run();
    outcome
        .assert_code(0)
        .assert_stdout_contains("WOOLINK_CONSUMER_SECRET=unset\n")
        .assert_stdout_contains("WOOLINK_CONSUMER_KEY=unset\n")
        .assert_stdout_contains("WOOLINK_STORE_URL=unset\n")
        .assert_stdout_contains("secret=match\n")
        .assert_stdout_contains("account=shop\n")
        .assert_no_secret(&key.secret)
        .assert_no_secret(&other.secret);
}

#[test]
fn an_api_root_from_a_hand_edited_index_is_refused_before_the_child_starts() {
    let (store, key, home) = linked();
    let (http_store, http_key) = store_with_key(Tls::None, Permission::Read);
    link(&home, &http_store, &http_key, "plain");
    let (mut elsewhere, _) = store_with_key(Tls::Valid, Permission::Read);
    elsewhere.expect_no_requests();
    let marker = home.config_dir().join("child-ran");
    for (name, api_root, auth) in hostile_api_roots(&elsewhere) {
        let original = std::fs::read(home.config_dir().join("accounts.json")).unwrap();
        apply_hostile_edit(&home, name, &api_root, auth);
        let mut woolink = follow(&home, &store);
        let outcome = woolink
            .args(["run", "--account", name, "--", "touch"])
            .args([marker.to_string_lossy()])
            .run();
        outcome
            .assert_code(1)
            .assert_stderr_contains("accounts.json")
            .assert_stderr_contains(&format!("`woolink connect --name {name}`"))
            .assert_no_secret(&key.secret)
            .assert_no_secret(&http_key.secret);
        assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
        assert!(
            !marker.exists(),
            "the child ran for {name} {api_root} {auth:?}"
        );
        std::fs::write(home.config_dir().join("accounts.json"), original).unwrap();
    }
}
