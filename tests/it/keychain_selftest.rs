//! The real round trip through woolink's KeychainStore against a private Secret Service, and
//! the "no keychain" cases mapped to what callers branch on.
//!
//! The store connects to the bus named by the process environment, and tests run in parallel
//! threads, so the test process's environment is never changed: each step runs in a child
//! process (this test binary re-executed, running only the hidden `child_step` test) with the
//! private keychain's environment. Several steps in separate processes also prove that entries
//! persist in the keychain, not in woolink's memory.

#![cfg(target_os = "linux")] // a D-Bus Secret Service: Linux only

use std::process::Command;

use woolink::testing::{ConsumerKey, ConsumerSecret, Credentials};
use woolink::testing::{CredStoreError, CredentialStore, EntryId, KeychainStore, Unavailability};

use crate::keychain::PrivateKeychain;

const STEP_ENV: &str = "WOOLINK_SELFTEST_STEP";
const KEY: &str = "ck_0123456789abcdef0123456789abcdef01234567";
const SECRET: &str = "cs_89abcdef0123456789abcdef0123456789abcdef";
const STORE_URL: &str = "https://selftest.example";
const SERVICE: &str = "woolink:https://selftest.example";

/// Runs one step in a child process with `env` (and PATH) only; returns its output.
fn step(env: Vec<(String, String)>, step: &str) -> String {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "keychain_selftest::child_step",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .envs(env)
        .env(STEP_ENV, step);
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The marker proves the step really ran (a filter matching nothing also exits 0).
    assert!(
        output.status.success() && stdout.contains(&format!("STEP OK: {step}")),
        "step {step} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    println!("{stdout}");
    stdout
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn round_trip_through_the_real_secret_service() {
    let keychain = PrivateKeychain::start();
    assert!(keychain.search(SERVICE).trim().is_empty());
    step(keychain.env(), "get-missing");
    step(keychain.env(), "set");
    let found = keychain.search(SERVICE);
    assert!(
        found.contains(&format!("attribute.service = {SERVICE}")),
        "{found}"
    );
    assert!(found.contains("attribute.username = selftest"), "{found}");
    assert!(
        found.contains(KEY),
        "key and secret are stored together: {found}"
    );
    step(keychain.env(), "get");
    step(keychain.env(), "delete");
    assert!(keychain.search(SERVICE).trim().is_empty());
    step(keychain.env(), "get-missing");
    step(keychain.env(), "delete-missing");
    assert!(
        keychain.search("woolink:probe").trim().is_empty(),
        "the probe cleans up after itself"
    );
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn no_session_bus_is_unavailable_no_session_bus() {
    let keychain = PrivateKeychain::start_without_secret_service();
    let mut env = keychain.env();
    // A dead bus: the address points at a socket nobody listens on.
    env[0].1 = format!("unix:path={}", keychain.path("no-such-bus").display());
    step(env.clone(), "expect-no-session-bus");
    // No address at all (and no X display to autolaunch one).
    env.remove(0);
    step(env, "expect-no-session-bus");
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn no_secret_service_is_unavailable_no_secret_service() {
    let keychain = PrivateKeychain::start_without_secret_service();
    step(keychain.env(), "expect-no-secret-service");
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn a_never_unlocked_keyring_is_not_mistaken_for_an_empty_one() {
    let keychain = PrivateKeychain::start_never_unlocked();
    step(keychain.env(), "expect-unusable");
}

fn creds() -> Credentials {
    Credentials {
        key: ConsumerKey::parse(KEY).unwrap(),
        secret: ConsumerSecret::parse(SECRET).unwrap(),
        site: None,
    }
}

/// Runs in the child process only (see the module docs); does nothing when run directly.
#[tokio::test]
#[ignore = "a step of the keychain self-test, run in a child process"]
async fn child_step() {
    let Ok(step) = std::env::var(STEP_ENV) else {
        return;
    };
    let id = EntryId::legacy(STORE_URL, "selftest");
    let open = || KeychainStore::open_platform(woolink::testing::DEFAULT_TIMEOUT);
    match step.as_str() {
        "set" => open().await.unwrap().set(&id, &creds()).await.unwrap(),
        "get" => {
            let got = open().await.unwrap().get(&id).await.unwrap();
            assert_eq!(got.key.expose(), KEY);
            assert_eq!(got.secret.expose(), SECRET);
        }
        "delete" => open().await.unwrap().delete(&id).await.unwrap(),
        "get-missing" => match open().await.unwrap().get(&id).await {
            Err(CredStoreError::NotFound) => {}
            other => panic!("expected NotFound, got {other:?}"),
        },
        "delete-missing" => match open().await.unwrap().delete(&id).await {
            Err(CredStoreError::NotFound) => {}
            other => panic!("expected NotFound, got {other:?}"),
        },
        "expect-no-session-bus" => expect_unavailable(open().await, Unavailability::NoSessionBus),
        "expect-no-secret-service" => {
            expect_unavailable(open().await, Unavailability::NoSecretService)
        }
        "expect-unusable" => {
            // Lookups in such a keyring answer "no entry"; the probe exposes it as Locked.
            let store = open().await.unwrap();
            let lookup = store.get(&id).await.map(drop);
            let write = store.set(&id, &creds()).await;
            for result in [lookup, write] {
                assert!(
                    matches!(
                        result,
                        Err(CredStoreError::Unavailable {
                            why: Unavailability::Locked
                        })
                    ),
                    "a never-unlocked keyring must read as locked, not as 'not linked': {result:?}"
                );
            }
        }
        other => panic!("unknown step {other}"),
    }
    println!("STEP OK: {step}");
}

fn expect_unavailable(opened: Result<KeychainStore, CredStoreError>, expected: Unavailability) {
    match opened {
        Err(err @ CredStoreError::Unavailable { .. }) => {
            println!("{err}");
            let CredStoreError::Unavailable { why } = &err else {
                unreachable!()
            };
            assert_eq!(*why, expected, "{err}");
            assert!(err.to_string().contains("--store file"), "{err}");
        }
        Err(other) => panic!("expected Unavailable({expected:?}), got {other:?}: {other}"),
        Ok(_) => panic!("expected Unavailable({expected:?}), but the keychain opened"),
    }
}
