//! `woolink accounts verify` against the loopback store: healthy, revoked, permission changed,
//! moved, unreachable, a missing keychain entry, and twenty stores checked at once.

use std::time::Duration;

use crate::harness::{Outcome, Woolink};
use crate::linking::{again, assert_secret_only_in_credentials_file, link, store_with_key};
use crate::store::{
    Permalinks, Permission, StoreConfig, TestKey, TestStore, Tls, max_concurrent_requests,
};

fn verify(home: &Woolink, store: &TestStore, extra: &[&str]) -> Outcome {
    let mut args = vec!["accounts", "verify"];
    args.extend_from_slice(extra);
    again(home, store, &args)
}

fn account_json<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {report}"))
}

/// One account as the index on disk records it.
pub(crate) fn index_account(home: &Woolink, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(home.config_dir().join("accounts.json")).unwrap();
    let index: serde_json::Value = serde_json::from_str(&text).unwrap();
    index["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("{name} not in {text}"))
}

/// Makes the recorded verification time old, so an update can be seen.
fn age_verified_at(home: &Woolink) {
    let path = home.config_dir().join("accounts.json");
    let mut index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for account in index["accounts"].as_array_mut().unwrap() {
        account["verified_at"] = "2020-01-01T00:00:00Z".into();
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&index).unwrap()).unwrap();
}

#[test]
fn a_healthy_account_is_reported_and_its_verification_time_updated() {
    let (store, key) = store_with_key(Tls::Valid, Permission::ReadWrite);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    age_verified_at(&home);
    let outcome = verify(&home, &store, &["shop"]);
    outcome
        .assert_code(0)
        .assert_stdout_contains("shop")
        .assert_stdout_contains("ok")
        .assert_no_secret(&key.secret);
    assert_ne!(
        index_account(&home, "shop")["verified_at"],
        "2020-01-01T00:00:00Z"
    );
    let json = verify(&home, &store, &["--all", "--json"]);
    let report = json.assert_code(0).json();
    assert_eq!(report["healthy"], true);
    assert_eq!(account_json(&report, "shop")["status"], "ok");
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn a_revoked_key_is_reported_with_exit_4() {
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    age_verified_at(&home);
    store.revoke(&key.key);
    let outcome = verify(&home, &store, &["shop"]);
    outcome
        .assert_code(4)
        .assert_stdout_contains("revoked")
        .assert_stdout_contains(&key.key[key.key.len() - 7..])
        .assert_stderr_contains("1 of 1 accounts are not healthy")
        .assert_no_secret(&key.secret);
    let report = verify(&home, &store, &["shop", "--json"]);
    report.assert_code(4).assert_no_secret(&key.secret);
    let report = report.json();
    assert_eq!(report["healthy"], false);
    assert_eq!(report["exit_code"], 4);
    assert_eq!(account_json(&report, "shop")["status"], "unknown_key");
    assert_eq!(
        index_account(&home, "shop")["verified_at"],
        "2020-01-01T00:00:00Z",
        "a failed check is not a verification"
    );
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn a_revoked_key_on_a_plain_permalinks_store_is_reported_as_revoked() {
    let key = TestKey::new(Permission::Read);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.permalinks = Permalinks::Plain {
        key_auth_works: true,
    };
    let store = TestStore::start(config);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    store.revoke(&key.key);
    let report = verify(&home, &store, &["shop", "--json"]);
    report.assert_code(4).assert_no_secret(&key.secret);
    assert_eq!(
        account_json(&report.json(), "shop")["status"],
        "unknown_key"
    );
}

#[test]
fn a_permission_change_is_reported_and_recorded() {
    let (store, key) = store_with_key(Tls::Valid, Permission::ReadWrite);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    store.set_permission(&key.key, Permission::Read);
    let outcome = verify(&home, &store, &["shop"]);
    outcome
        .assert_code(4)
        .assert_stdout_contains("read-write → read")
        .assert_stdout_contains("access lost")
        .assert_no_secret(&key.secret);
    assert_eq!(index_account(&home, "shop")["access"], "read");
    // Recorded: the next check finds what the index says.
    let report = verify(&home, &store, &["shop", "--json"]).json();
    assert_eq!(account_json(&report, "shop")["status"], "ok");
    assert_eq!(account_json(&report, "shop")["access"], "read");

    // An upgrade is good news: noted, recorded, healthy.
    store.set_permission(&key.key, Permission::ReadWrite);
    verify(&home, &store, &["shop"])
        .assert_code(0)
        .assert_stdout_contains("read → read-write");
    assert_eq!(index_account(&home, "shop")["access"], "read-write");
}

#[test]
fn a_store_that_now_redirects_elsewhere_is_reported_as_moved() {
    // Plain http on loopback: OAuth 1.0a, so verify also re-signs with the account's method.
    let (old, key) = store_with_key(Tls::None, Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::None);
    config.keys = vec![key.clone()];
    let new = TestStore::start(config);
    let home = Woolink::new();
    link(&home, &old, &key, "shop");
    assert_eq!(index_account(&home, "shop")["auth_method"], "oauth1");
    old.set_redirect_to(Some(new.origin()));
    let before = new.requests().len();
    let outcome = verify(&home, &old, &["shop"]);
    outcome
        .assert_code(3)
        .assert_stdout_contains("moved")
        .assert_stdout_contains(&new.origin())
        .assert_stdout_contains("link the store again with `woolink connect --url")
        .assert_stdout_contains(" --name shop --force`")
        .assert_no_secret(&key.secret);
    assert!(
        new.requests()[before..]
            .iter()
            .all(|r| !r.carries_credentials()),
        "credentials followed the redirect"
    );
    let report = verify(&home, &old, &["shop", "--json"]).json();
    assert_eq!(account_json(&report, "shop")["status"], "moved");
    assert_eq!(index_account(&home, "shop")["store_url"], old.url());
}

#[test]
fn an_unreachable_store_is_reported_with_exit_3() {
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    let ca = store.ca_cert_path();
    let ca_copy = home.config_dir().join("ca.pem");
    std::fs::copy(&ca, &ca_copy).unwrap();
    drop(store);
    let mut woolink = Woolink::new();
    let outcome = woolink
        .env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy())
        .env("WOOLINK_CA_CERT", ca_copy.to_string_lossy())
        .args(["accounts", "verify", "--all", "--json"])
        .run();
    outcome.assert_code(3).assert_no_secret(&key.secret);
    let report = outcome.json();
    assert_eq!(account_json(&report, "shop")["status"], "unreachable");
    assert!(
        account_json(&report, "shop")["message"]
            .as_str()
            .unwrap()
            .contains("could not reach")
    );
}

#[test]
fn the_most_severe_problem_decides_the_exit_code_and_all_accounts_are_kept() {
    let good = TestKey::new(Permission::ReadWrite);
    let revoked = TestKey::new(Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![good.clone(), revoked.clone()];
    let store = TestStore::start(config);
    let home = Woolink::new();
    link(&home, &store, &good, "good");
    link(&home, &store, &revoked, "revoked");
    store.revoke(&revoked.key);
    let outcome = verify(&home, &store, &["--all", "--json"]);
    outcome.assert_code(4).assert_no_secret(&good.secret);
    let report = outcome.json();
    assert_eq!(account_json(&report, "good")["healthy"], true);
    assert_eq!(account_json(&report, "revoked")["healthy"], false);
    let list = again(&home, &store, &["accounts", "list", "--json"]).json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    verify(&home, &store, &["nope"])
        .assert_code(2)
        .assert_stderr_contains("good");
}

#[test]
fn an_account_linked_during_a_verify_is_kept() {
    let key = TestKey::new(Permission::ReadWrite);
    let late = TestKey::new(Permission::Read);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone(), late.clone()];
    config.latency = Duration::from_millis(400);
    let store = TestStore::start(config);
    let home = Woolink::new();
    link(&home, &store, &key, "first");
    age_verified_at(&home);
    std::thread::scope(|scope| {
        let verifying = scope.spawn(|| verify(&home, &store, &["first"]));
        std::thread::sleep(Duration::from_millis(200));
        link(&home, &store, &late, "late");
        verifying.join().unwrap().assert_code(0);
    });
    let list = again(&home, &store, &["accounts", "list", "--json"]).json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["first", "late"]);
    assert_ne!(
        index_account(&home, "first")["verified_at"],
        "2020-01-01T00:00:00Z"
    );
}

#[test]
fn twenty_accounts_are_checked_all_at_once() {
    let keys: Vec<TestKey> = (0..20)
        .map(|_| TestKey::new(Permission::ReadWrite))
        .collect();
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = keys.clone();
    let store = TestStore::start(config);
    let home = Woolink::new();
    for (i, key) in keys.iter().enumerate() {
        link(&home, &store, key, &format!("shop-{i}"));
    }
    // The store now holds each key check until all twenty have come (for at most 10 s): they
    // overlap only if woolink sends them side by side, however slow the machine is.
    store.gather(20, Duration::from_secs(10));
    let before = store.requests().len();
    let outcome = verify(&home, &store, &["--all", "--json"]);
    outcome.assert_code(0);
    assert_eq!(outcome.json()["accounts"].as_array().unwrap().len(), 20);
    // Each probe sends exactly one authenticated read: their overlap is the probes in flight.
    let reads: Vec<_> = store.requests()[before..]
        .iter()
        .filter(|r| r.method == "GET" && r.carries_credentials())
        .cloned()
        .collect();
    assert_eq!(reads.len(), 20, "one read check per account");
    let in_flight = max_concurrent_requests(&reads);
    assert_eq!(
        in_flight, 20,
        "{in_flight} key checks were in flight at once; expected all 20 (the bound is 32)"
    );
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]
fn a_missing_keychain_entry_is_reported_with_exit_1() {
    use crate::keychain::PrivateKeychain;

    let keychain = PrivateKeychain::start();
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let home = Woolink::new();
    let run = |args: &[&str], connect: bool| {
        let mut woolink = Woolink::new();
        woolink
            .env("DBUS_SESSION_BUS_ADDRESS", keychain.bus_address())
            .env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy())
            .env("WOOLINK_CA_CERT", store.ca_cert_path().to_string_lossy());
        if connect {
            woolink.connect_args(&store.url(), &key.key, &key.secret);
        }
        woolink.args(args.iter().copied()).run()
    };
    run(&["--name", "kept"], true).assert_code(0);
    run(&["accounts", "verify", "kept"], false).assert_code(0);
    let cleared = keychain
        .command("secret-tool")
        .args(["clear", "service", "woolink"])
        .status()
        .unwrap();
    assert!(cleared.success());
    let outcome = run(&["accounts", "verify", "--all", "--json"], false);
    outcome.assert_code(1).assert_no_secret(&key.secret);
    let report = outcome.json();
    assert_eq!(account_json(&report, "kept")["status"], "secret_missing");
    assert!(
        account_json(&report, "kept")["message"]
            .as_str()
            .unwrap()
            .contains("`woolink connect --name kept`")
    );
    home.assert_secret_not_on_disk(&key.secret);
}

/// Like `gh auth status`: no name means every linked account, as `--all` (kept for scripts)
/// does.
#[test]
fn verify_with_no_names_checks_every_account() {
    let (store, key) = store_with_key(Tls::Valid, Permission::ReadWrite);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    link(&home, &store, &key, "staging");
    for extra in [&[][..], &["--all"][..]] {
        let outcome = verify(&home, &store, &[extra, &["--json"]].concat());
        outcome.assert_code(0).assert_no_secret(&key.secret);
        let report = outcome.json();
        let names: Vec<&str> = report["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["shop", "staging"], "{extra:?}");
    }
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

/// Every failure's message starts with `error:` (lower case, as clap's usage errors do), on a
/// line of its own, whichever part of woolink decided it, and nothing says `Error:`.
#[test]
fn every_failure_is_reported_with_error_first() {
    let (store, key) = store_with_key(Tls::Valid, Permission::ReadWrite);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    let damaged = Woolink::new();
    std::fs::create_dir_all(damaged.config_dir()).unwrap();
    std::fs::write(damaged.config_dir().join("accounts.json"), "{").unwrap();
    let failures: [(&Woolink, &[&str], i32); 8] = [
        (&home, &["accounts", "frobnicate"], 2),
        (&home, &["accounts", "show", "nope"], 2),
        (&home, &["accounts", "rename", "shop", "bad name"], 2),
        (&home, &["connect", "--url", "http://", "--no-input"], 2),
        (&home, &["run", "--", "/nonexistent/program"], 127),
        (&home, &["api", "--account", "nope", "products"], 2),
        (&damaged, &["accounts", "list"], 1),
        (&damaged, &["accounts", "verify"], 1),
    ];
    for (folder, args, code) in failures {
        let outcome = again(folder, &store, args);
        outcome.assert_code(code).assert_no_secret(&key.secret);
        let errors: Vec<&str> = outcome
            .stderr
            .lines()
            .filter(|line| line.to_lowercase().starts_with("error"))
            .collect();
        assert_eq!(errors.len(), 1, "{args:?}: {}", outcome.stderr);
        assert!(
            errors[0].starts_with("error: "),
            "{args:?}: {}",
            outcome.stderr
        );
    }
    store.revoke(&key.key);
    let unhealthy = verify(&home, &store, &[]);
    unhealthy.assert_code(4).assert_no_secret(&key.secret);
    assert!(
        unhealthy
            .stderr
            .ends_with("error: 1 of 1 accounts are not healthy\n"),
        "{}",
        unhealthy.stderr
    );
    assert_secret_only_in_credentials_file(&home, &key.secret);
}
