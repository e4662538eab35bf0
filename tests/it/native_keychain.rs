//! The real macOS login Keychain and Windows Credential Manager, end to end: connect against the
//! loopback store, list, show, verify and remove, with the system's own tool (`security` on
//! macOS, `cmdkey` on Windows) confirming independently that the entry is there and then gone.
//!
//! These write to the keychain of the user running the tests, so they are ignored by plain
//! `cargo test` and are tests on macOS and Windows only (the CI runners run them with
//! `--include-ignored` in `.ci/native-keychain-test`); on Linux, where the private Secret Service
//! tests in `accounts.rs` cover the same path, they are compiled (so clippy checks them) but are
//! not tests, so `--include-ignored` does not run them there. Every run uses an account name of its own and deletes its entry with the system tool
//! when it ends, passed or failed, so a failure leaves nothing behind in the user's keychain.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::harness::{Outcome, Woolink};
use crate::linking::{follow, store_with_key};
use crate::store::{Permission, TestStore, Tls};

/// One keychain entry as the system sees it: service `woolink:<store URL>`, user = account name
/// (docs/keychain.md). On Windows the Credential Manager's target name is `<user>.<service>`,
/// the default of windows-native-keyring-store.
struct SystemEntry {
    service: String,
    account: String,
}

impl SystemEntry {
    fn windows_target(&self) -> String {
        format!("{}.{}", self.account, self.service)
    }

    /// Whether the system's own tool finds the entry. Reads attributes only, never the secret:
    /// reading it would make macOS ask whether `security` may use woolink's item.
    fn exists(&self) -> bool {
        if cfg!(target_os = "macos") {
            let output = Command::new("security")
                .args([
                    "find-generic-password",
                    "-s",
                    &self.service,
                    "-a",
                    &self.account,
                ])
                .output()
                .expect("run security (macOS)");
            // 44 is errSecItemNotFound; anything else but 0 is a broken check, not an answer.
            match output.status.code() {
                Some(0) => true,
                Some(44) => false,
                _ => panic!(
                    "security find-generic-password failed ({}): {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                ),
            }
        } else {
            let output = Command::new("cmdkey")
                .arg("/list")
                .output()
                .expect("run cmdkey (Windows)");
            assert!(output.status.success(), "cmdkey /list failed: {output:?}");
            // Generic credentials are listed as "Target: LegacyGeneric:target=<name>".
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .any(|line| line.trim_end().ends_with(&self.windows_target()))
        }
    }

    /// Deletes the entry with the system's tool; quiet if it is already gone.
    fn delete_quietly(&self) {
        let _ = if cfg!(target_os = "macos") {
            Command::new("security")
                .args([
                    "delete-generic-password",
                    "-s",
                    &self.service,
                    "-a",
                    &self.account,
                ])
                .output()
        } else {
            Command::new("cmdkey")
                .arg(format!("/delete:{}", self.windows_target()))
                .output()
        };
    }
}

/// Removes the entry when the test ends, however it ends.
impl Drop for SystemEntry {
    fn drop(&mut self) {
        self.delete_quietly();
    }
}

/// A run in `home`'s config folder that trusts `store`'s CA and reaches the user's real
/// keychain. The harness gives each run a temporary HOME (so no test reads the developer's
/// config); the macOS Security framework finds the login keychain through HOME, so it gets the
/// real one back. The config folder stays the temporary one (WOOLINK_CONFIG_DIR).
fn on_real_keychain(home: &Woolink, store: &TestStore, args: &[&str]) -> Woolink {
    let mut woolink = follow(home, store);
    for name in ["HOME", "USERPROFILE"] {
        if let Some(value) = std::env::var_os(name) {
            woolink.env(name, value.to_string_lossy());
        }
    }
    woolink.args(args.iter().copied());
    woolink
}

fn unique_account_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("woolink-e2e-{}-{nanos}", std::process::id())
}

// A test on macOS and Windows only (on Linux a function that clippy still checks), and ignored
// there too: it writes to the keychain of whoever runs `cargo test`.
#[cfg_attr(any(target_os = "macos", windows), test)]
#[cfg_attr(
    any(target_os = "macos", windows),
    ignore = "writes to your login Keychain / Credential Manager; run with --include-ignored"
)]
#[cfg_attr(not(any(target_os = "macos", windows)), allow(dead_code))]
fn the_system_keychain_holds_the_secret_from_connect_until_remove() {
    let (store, key) = store_with_key(Tls::Valid, Permission::ReadWrite);
    let home = Woolink::new();
    let name = unique_account_name();
    let entry = SystemEntry {
        service: format!("woolink:{}", store.url()),
        account: name.clone(),
    };
    assert!(!entry.exists(), "{name} is in the keychain before connect");
    let run = |args: &[&str]| -> Outcome {
        let outcome = on_real_keychain(&home, &store, args).run();
        outcome.assert_no_secret(&key.secret);
        outcome
    };

    let mut connect = on_real_keychain(&home, &store, &["--name", &name]);
    connect.connect_args(&store.url(), &key.key, &key.secret);
    connect
        .run()
        .assert_code(0)
        .assert_no_secret(&key.secret)
        .assert_stdout_contains(&format!("Linked \"{name}\""));
    assert!(entry.exists(), "the system tool does not find {name}");
    home.assert_secret_not_on_disk(&key.secret);

    let list = run(&["accounts", "list", "--json"]);
    let accounts = list.assert_code(0).json();
    let listed = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["name"] == name.as_str())
        .unwrap_or_else(|| panic!("{name} is not listed: {accounts}"));
    assert_eq!(listed["secret_storage"], "keychain");
    assert_eq!(listed["access"], "read-write");

    let show = run(&["accounts", "show", &name, "--json"]);
    assert_eq!(show.assert_code(0).json()["secret_present"], true);

    // verify reads the secret back from the keychain and signs a request with it.
    let verify = run(&["accounts", "verify", &name, "--json"]);
    verify.assert_code(0);

    run(&["accounts", "remove", &name, "--yes"]).assert_code(0);
    assert!(
        !entry.exists(),
        "{name} is still in the keychain after remove"
    );
    let after = run(&["accounts", "list", "--json"]).json();
    assert!(
        !after.to_string().contains(&name),
        "{name} is still listed after remove: {after}"
    );
    home.assert_secret_not_on_disk(&key.secret);
}
