//! A store whose certificate a private CA issued: `connect --ca-cert` keeps a copy of the CA
//! with the account, and every later command trusts it without the flag.

use std::path::{Path, PathBuf};

use crate::api::edit_account;
use crate::harness::{Outcome, Woolink};
use crate::linking::{assert_secret_only_in_credentials_file, link, store_with_key};
use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};
use crate::verify::index_account;

/// A run in `home`'s config folder with no CA given: neither --ca-cert nor WOOLINK_CA_CERT.
fn bare(home: &Woolink, args: &[&str]) -> Outcome {
    Woolink::new()
        .env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy())
        .args(args.iter().copied())
        .run()
}

/// A store with a private CA, linked as "shop" (the secret in the plaintext file) with
/// WOOLINK_CA_CERT naming the CA.
fn linked() -> (TestStore, TestKey, Woolink) {
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    (store, key, home)
}

/// `woolink run` of a command that prints the CA it was told about (a POSIX shell).
#[cfg(unix)]
const PRINT_CA: [&str; 5] = [
    "run",
    "--",
    "sh",
    "-c",
    r#"printf 'ca=%s\n' "$WOOCOMMERCE_CA_CERT""#,
];

/// The files in the config folder's `ca` folder.
fn copies(home: &Woolink) -> Vec<PathBuf> {
    match std::fs::read_dir(home.config_dir().join("ca")) {
        Ok(entries) => entries.map(|entry| entry.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

fn the_copy(home: &Woolink, store: &TestStore) -> PathBuf {
    let copies = copies(home);
    assert_eq!(copies.len(), 1, "{copies:?}");
    let copy = copies[0].clone();
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(store.ca_cert_path()).unwrap(),
        "the copy holds the CA given"
    );
    copy
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_ca_given_to_connect_is_kept_with_the_account_and_trusted_without_the_flag() {
    let (store, key, home) = linked();
    let copy = the_copy(&home, &store);
    let entry = index_account(&home, "shop")["ca_cert"].clone();
    let name = copy.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(entry, format!("ca/{name}"));
    let digest = name.strip_suffix(".pem").unwrap();
    assert!(
        digest.len() == 64 && digest.chars().all(|c| c.is_ascii_hexdigit()),
        "named by its SHA-256: {name}"
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&copy), 0o600);
        assert_eq!(mode(copy.parent().unwrap()), 0o700);
    }

    let api = bare(&home, &["api", "products"]);
    api.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(api.json().as_array().unwrap().len(), 3);
    bare(&home, &["accounts", "verify", "shop"])
        .assert_code(0)
        .assert_no_secret(&key.secret);
    // accounts show says where the copy is.
    bare(&home, &["accounts", "show", "shop"])
        .assert_code(0)
        .assert_stdout_contains(&format!("CA cert:   {}\n", copy.display()));
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[cfg(unix)]
#[test]
fn run_tells_the_child_where_the_ca_is() {
    let (store, key, home) = linked();
    let copy = the_copy(&home, &store);
    let outcome = Woolink::new()
        .env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy())
        // Another store's, inherited: the child must not see it.
        .env("WOOCOMMERCE_CA_CERT", "/elsewhere/ca.pem")
        .args(PRINT_CA)
        .run();
    outcome
        .assert_code(0)
        .assert_stdout_contains(&format!("ca={}\n", copy.display()))
        .assert_no_secret(&key.secret);

    // A store with a public certificate: no CA, and none inherited either.
    let (other_store, other_key) = store_with_key(Tls::Valid, Permission::Read);
    let other_home = Woolink::new();
    link(&other_home, &other_store, &other_key, "shop");
    edit_account(&other_home, "shop", |account| {
        account.as_object_mut().unwrap().remove("ca_cert");
    });
    let outcome = Woolink::new()
        .env(
            "WOOLINK_CONFIG_DIR",
            other_home.config_dir().to_string_lossy(),
        )
        .env("WOOCOMMERCE_CA_CERT", "/elsewhere/ca.pem")
        .args([
            "run",
            "--",
            "sh",
            "-c",
            r#"printf 'ca=%s\n' "${WOOCOMMERCE_CA_CERT-unset}""#,
        ])
        .run();
    outcome.assert_code(0).assert_stdout_contains("ca=unset\n");
}

#[test]
fn accounts_sharing_a_ca_share_one_copy_deleted_with_the_last_of_them() {
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let home = Woolink::new();
    link(&home, &store, &key, "shop");
    link(&home, &store, &key, "shop-again");
    let copy = the_copy(&home, &store);
    assert_eq!(
        index_account(&home, "shop")["ca_cert"],
        index_account(&home, "shop-again")["ca_cert"]
    );
    bare(&home, &["accounts", "remove", "shop", "--yes"]).assert_code(0);
    assert!(copy.exists(), "still used by shop-again");
    bare(&home, &["accounts", "remove", "shop-again", "--yes"]).assert_code(0);
    assert!(copies(&home).is_empty(), "{:?}", copies(&home));
}

#[test]
fn relinking_without_a_ca_deletes_the_copy_nobody_uses() {
    let (store, key, home) = linked();
    let copy = the_copy(&home, &store);
    // The store now has a certificate this computer trusts: here, given as the server's own.
    Woolink::new()
        .env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy())
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--store", "file", "--name", "shop", "--force", "--ca-cert"])
        .args([store.server_cert_path().to_string_lossy().into_owned()])
        .run()
        .assert_code(0);
    assert!(!copy.exists(), "the old CA's copy is gone");
    assert_eq!(copies(&home).len(), 1, "the new one is kept");
}

/// A CA copy the index names but that is not there is found before the keychain is opened (an
/// unlock prompt for a command that cannot go on would be for nothing): here the account's
/// keychain is unreachable, and the copy is what the error names.
#[test]
fn a_missing_copy_is_named_before_the_keychain_is_opened() {
    let (store, key, home) = linked();
    let copy = the_copy(&home, &store);
    std::fs::remove_file(&copy).unwrap();
    edit_account(&home, "shop", |account| {
        account["secret_storage"] = "keychain".into();
    });
    let outcome = bare(&home, &["api", "products"]);
    outcome
        .assert_code(1)
        .assert_stderr_contains("is missing")
        .assert_no_secret(&key.secret);
}

/// A link that fails when it is saved (here: the name belongs to another store) leaves no copy
/// of the CA it was given behind.
#[test]
fn a_link_that_is_not_saved_keeps_no_copy_of_its_ca() {
    let (store, key, home) = linked();
    let copy = the_copy(&home, &store);
    // Another store that knows the same key: the clash is only known once the key is proven.
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    let other = TestStore::start(config);
    let outcome = Woolink::new()
        .env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy())
        .connect_args(&other.url(), &key.key, &key.secret)
        .args(["--store", "file", "--name", "shop", "--ca-cert"])
        // Not the CA (the test stores share one): the server's own certificate, another file.
        .args([other.server_cert_path().to_string_lossy().into_owned()])
        .run();
    outcome
        .assert_code(2)
        .assert_stderr_contains("already exists")
        .assert_no_secret(&key.secret);
    assert_eq!(
        copies(&home),
        vec![copy],
        "only the linked account's copy is kept"
    );
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn a_missing_copy_is_an_error_naming_the_file_and_the_fix_and_an_explicit_ca_cert_wins() {
    let (store, key, home) = linked();
    let copy = the_copy(&home, &store);
    std::fs::remove_file(&copy).unwrap();
    let sent_before = store.requests().len();
    let outcome = bare(&home, &["api", "products"]);
    outcome
        .assert_code(1)
        .assert_stderr_contains(&copy.display().to_string())
        .assert_stderr_contains("is missing")
        .assert_stderr_contains("`woolink connect --name shop --ca-cert PATH`")
        .assert_no_secret(&key.secret);
    let verify = bare(&home, &["accounts", "verify", "shop", "--json"]);
    verify.assert_code(1).assert_no_secret(&key.secret);
    let report = verify.json();
    assert_eq!(report["accounts"][0]["status"], "ca_cert_copy", "{report}");
    assert_eq!(store.requests().len(), sent_before, "nothing was sent");

    let ca = store.ca_cert_path().to_string_lossy().into_owned();
    bare(&home, &["api", "products", "--ca-cert", &ca])
        .assert_code(0)
        .assert_no_secret(&key.secret);
    bare(&home, &["accounts", "verify", "shop", "--ca-cert", &ca]).assert_code(0);
}

#[test]
fn a_copy_changed_by_hand_is_not_trusted() {
    let (store, key, home) = linked();
    let copy = the_copy(&home, &store);
    // Another CA's certificate in its place.
    let (mut other, _) = store_with_key(Tls::SelfSigned, Permission::Read);
    other.expect_no_requests();
    std::fs::copy(other.ca_cert_path(), &copy).unwrap();
    let outcome = bare(&home, &["api", "products"]);
    outcome
        .assert_code(1)
        .assert_stderr_contains("was changed after woolink copied it")
        .assert_no_secret(&key.secret);
}

#[test]
fn untrusted_certificate_messages_suggest_ca_cert_in_api_and_verify() {
    let (_store, key, home) = linked();
    // As linked before woolink kept copies.
    edit_account(&home, "shop", |account| {
        account.as_object_mut().unwrap().remove("ca_cert");
    });
    for args in [&["api", "products"][..], &["accounts", "verify", "shop"]] {
        let outcome = bare(&home, args);
        outcome.assert_code(3).assert_no_secret(&key.secret);
        // verify prints each account's message on stdout, api its error on stderr.
        let printed = format!("{}{}", outcome.stdout, outcome.stderr);
        for needle in [
            "does not trust",
            "--ca-cert PATH",
            "the account remembers it once linked",
        ] {
            assert!(
                printed.contains(needle),
                "{args:?} lacks {needle:?}:\n{printed}"
            );
        }
    }
}

/// The usage line of an error, with WOOLINK_CA_CERT set or not.
fn usage_line(args: &[&str], ca: Option<&str>) -> String {
    let mut woolink = Woolink::new();
    if let Some(ca) = ca {
        woolink.env("WOOLINK_CA_CERT", ca);
    }
    let outcome = woolink.args(args.iter().copied()).run();
    outcome.assert_code(2);
    outcome
        .stderr
        .lines()
        .find(|line| line.starts_with("Usage:"))
        .unwrap_or_else(|| panic!("no usage line:\n{}", outcome.stderr))
        .to_owned()
}

#[test]
fn usage_lines_name_the_ca_file_apart_from_other_paths() {
    let commands: [&[&str]; 3] = [&["api"], &["run"], &["accounts", "verify", "--all", "shop"]];
    let mut lines = Vec::new();
    for args in commands {
        for ca in [None, Some("/etc/woolink/ca.pem")] {
            let line = usage_line(args, ca);
            assert!(!line.contains("<PATH> <PATH>"), "{line}");
            lines.push(format!(
                "{} {}",
                if ca.is_some() { "set:  " } else { "unset:" },
                line
            ));
        }
    }
    insta::assert_snapshot!("usage_lines_with_woolink_ca_cert", lines.join("\n"));
}

/// A run with the store's credentials in the environment only (no account, no config folder).
fn from_environment(store: &TestStore, key: &TestKey) -> Woolink {
    let mut woolink = Woolink::new();
    woolink
        .env("WOOLINK_STORE_URL", store.url())
        .env("WOOLINK_CONSUMER_KEY", &key.key)
        .env("WOOLINK_CONSUMER_SECRET", &key.secret);
    woolink
}

#[cfg(unix)]
#[test]
fn with_credentials_from_the_environment_run_passes_on_the_ca_given() {
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let outcome = from_environment(&store, &key)
        .env("WOOLINK_CA_CERT", store.ca_cert_path().to_string_lossy())
        .args(PRINT_CA)
        .run();
    outcome
        .assert_code(0)
        .assert_stdout_contains(&format!("ca={}\n", store.ca_cert_path().display()))
        .assert_no_secret(&key.secret);
}

#[test]
fn with_credentials_from_the_environment_an_untrusted_store_suggests_ca_cert() {
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    for args in [&["run", "--", "true"][..], &["api", "products"]] {
        let mut woolink = from_environment(&store, &key);
        let outcome = woolink.args(args.iter().copied()).run();
        outcome
            .assert_code(3)
            .assert_stderr_contains("does not trust")
            .assert_stderr_contains("--ca-cert PATH")
            .assert_stderr_contains("the account remembers it once linked")
            .assert_no_secret(&key.secret);
        woolink.assert_secret_not_on_disk(&key.secret);
    }
}
