//! Every command woolink suggests works as written, for the command and account it was
//! suggested for: each suggestion that can run here is taken from the message text and run.

use crate::api::edit_account;
use crate::harness::{Outcome, Woolink};
use crate::linking::{assert_secret_only_in_credentials_file, link, store_with_key};
use crate::store::{Permission, TestKey, TestStore, Tls};

/// The `woolink ...` commands quoted (in backticks) in `text`, as argument lists.
fn suggested(text: &str) -> Vec<Vec<String>> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|quoted| quoted.strip_prefix("woolink "))
        .map(|command| command.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// A run in `home`'s config folder that trusts no CA of its own: only what accounts keep.
fn in_home(home: &Woolink) -> Woolink {
    let mut woolink = Woolink::new();
    woolink.env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy());
    woolink
}

fn run_in(home: &Woolink, args: &[String]) -> Outcome {
    in_home(home).args(args.iter().cloned()).run()
}

/// A private-CA store with a read key linked as "shop", its secret in the plaintext file.
fn linked_shop() -> (TestStore, TestKey, Woolink) {
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    (store, key, home)
}

/// The secret of a `--store file` account of a private-CA store goes missing: the advice
/// (`woolink connect --name shop`) keeps the plaintext file and the kept CA copy, and works as
/// written with the key and secret given the scripted way, with no keychain and no --ca-cert.
#[test]
fn relinking_a_file_account_with_a_private_ca_works_as_suggested() {
    let (_store, key, home) = linked_shop();
    let credentials = home.config_dir().join("credentials.json");
    std::fs::write(&credentials, "{\"version\": 1, \"entries\": {}}").unwrap();
    let broken = run_in(&home, &["api".to_owned(), "products".to_owned()]);
    broken
        .assert_code(1)
        .assert_stderr_contains("missing from the plaintext file")
        .assert_no_secret(&key.secret);
    let commands = suggested(&broken.stderr);
    assert!(!commands.is_empty(), "no suggestion: {}", broken.stderr);
    for command in commands {
        assert_eq!(command[0], "connect", "{command:?}");
        let outcome = in_home(&home)
            .args(command.iter().cloned())
            .env("WOOLINK_CONSUMER_KEY", &key.key)
            .env("WOOLINK_CONSUMER_SECRET", &key.secret)
            .run();
        outcome
            .assert_code(0)
            .assert_stdout_contains("Secret:")
            .assert_stdout_contains("plaintext file")
            .assert_no_secret(&key.secret);
    }
    run_in(&home, &["api".to_owned(), "products".to_owned()])
        .assert_code(0)
        .assert_no_secret(&key.secret);
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

/// With no keychain reachable, commands other than connect never end with connect's advice
/// (`--no-save`, `--store file`, which they do not take), and `accounts remove` says how to
/// remove the index entry: that suggestion works as written.
#[test]
fn without_a_keychain_each_command_says_what_works_for_it() {
    let (_store, key, home) = linked_shop();
    // The account's secret is in the keychain, which cannot be reached (no session bus).
    edit_account(&home, "shop", |account| {
        account["secret_storage"] = "keychain".into();
    });
    // (Renaming an account with an id touches the index alone: it needs no keychain.)
    let commands: [&[&str]; 4] = [
        &["accounts", "show", "shop"],
        &["accounts", "remove", "shop", "--yes"],
        &["api", "products"],
        &["run", "--", "true"],
    ];
    for args in commands {
        let outcome = in_home(&home).args(args.iter().copied()).run();
        outcome.assert_no_secret(&key.secret);
        let said = format!("{}{}", outcome.stdout, outcome.stderr);
        assert!(
            said.contains("the OS keychain cannot be used"),
            "{args:?}: {said}"
        );
        for connect_only in ["--no-save", "--store file", "WOOLINK_STORE=file"] {
            assert!(
                !said.contains(connect_only),
                "{args:?} advises {connect_only}: {said}"
            );
        }
        if args[0] == "api" || args[0] == "run" {
            outcome.assert_code(1).assert_stderr_contains(
                "WOOLINK_STORE_URL, WOOLINK_CONSUMER_KEY and WOOLINK_CONSUMER_SECRET",
            );
        }
    }
    // Nothing was removed or renamed.
    let list = run_in(&home, &["accounts".to_owned(), "list".to_owned()]);
    list.assert_code(0).assert_stdout_contains("shop");
    assert!(!list.stdout.contains("shop2"), "{}", list.stdout);

    let refused = in_home(&home)
        .args(["accounts", "remove", "shop", "--yes"])
        .run();
    refused.assert_code(1);
    let commands = suggested(&refused.stderr);
    let index_only: Vec<&Vec<String>> = commands
        .iter()
        .filter(|command| command.iter().any(|arg| arg == "--index-only"))
        .collect();
    assert_eq!(index_only.len(), 1, "{}", refused.stderr);
    let removed = run_in(&home, index_only[0]);
    removed
        .assert_code(0)
        .assert_stderr_contains("was left in the OS keychain")
        .assert_no_secret(&key.secret);
    let list = run_in(&home, &["accounts".to_owned(), "list".to_owned()]);
    list.assert_code(0);
    assert!(
        !list.stdout.contains("shop"),
        "still listed: {}",
        list.stdout
    );
    assert_secret_only_in_credentials_file(&home, &key.secret);
}
