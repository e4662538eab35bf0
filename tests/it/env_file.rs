//! `woolink connect --env-file PATH` through the real binary against the loopback store: each
//! spelling projects use, quotes, comments, `export` lines and a byte-order mark; flags
//! outranking the file; the lines still holding the secret named, by number and variable only;
//! and files that cannot be used refused before anything is sent or written.

use std::path::{Path, PathBuf};

use crate::harness::{Outcome, Woolink};
use crate::linking::{assert_secret_only_in_credentials_file, store_with_key};
use crate::store::{Permission, TestKey, TestStore, Tls};

/// A dotenv file outside the run's home, so the home's secret scans see only what woolink wrote.
struct DotEnv {
    dir: tempfile::TempDir,
}

impl DotEnv {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(".env");
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

/// `connect --env-file PATH`, trusting the store's CA, saving to the plaintext file (no
/// keychain in the test's environment).
fn connect(home: &Woolink, store: &TestStore, path: &Path, extra: &[&str]) -> Outcome {
    let mut woolink = Woolink::new();
    woolink
        .env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy())
        .args(["connect", "--env-file"])
        .args([path.to_string_lossy()])
        .args(["--ca-cert"])
        .args([store.ca_cert_path().to_string_lossy()])
        .args(["--no-input"])
        .args(extra.iter().copied());
    woolink.run()
}

#[test]
fn each_spelling_and_dotenv_form_links_the_store_and_names_the_lines_left() {
    let (store, key) = store_with_key(Tls::Valid, Permission::ReadWrite);
    let url = store.url();
    let (k, s) = (&key.key, &key.secret);
    // The file's text, and the lines expected to still hold the secret.
    type Case<'a> = (Vec<u8>, Vec<(usize, &'a str)>);
    let cases: Vec<Case> = vec![
        (
            // A byte-order mark, as Notepad and PowerShell 5 save files.
            format!(
                "\u{feff}WOOLINK_STORE_URL={url}\nWOOLINK_CONSUMER_KEY={k}\nWOOLINK_CONSUMER_SECRET={s}\n"
            )
            .into_bytes(),
            vec![(3, "WOOLINK_CONSUMER_SECRET")],
        ),
        (
            format!(
                "# WooCommerce\nexport WOOCOMMERCE_URL=\"{url}\"\nexport WOOCOMMERCE_CONSUMER_KEY=\"{k}\"\n\nexport WOOCOMMERCE_CONSUMER_SECRET=\"{s}\" # live key\n"
            )
            .into_bytes(),
            vec![(5, "WOOCOMMERCE_CONSUMER_SECRET")],
        ),
        (
            format!(
                "WC_URL='{url}'\nWC_CONSUMER_KEY='{k}'\n# old: WC_CONSUMER_SECRET='{s}'\nWC_CONSUMER_SECRET='{s}'\n"
            )
            .into_bytes(),
            vec![(3, "a comment or other text"), (4, "WC_CONSUMER_SECRET")],
        ),
        (
            format!(
                "APP_ENV=production\nWC_STORE_URL = {url}\nWC_CONSUMER_KEY = {k}\nWC_CONSUMER_SECRET = {s}\nWOOLINK_CONSUMER_SECRET={s}\n"
            )
            .into_bytes(),
            vec![(4, "WC_CONSUMER_SECRET"), (5, "WOOLINK_CONSUMER_SECRET")],
        ),
    ];
    for (i, (text, lines)) in cases.into_iter().enumerate() {
        let home = Woolink::new();
        let dotenv = DotEnv::new();
        let path = dotenv.write(&text);
        let name = format!("shop{i}");
        let outcome = connect(&home, &store, &path, &["--store", "file", "--name", &name]);
        outcome
            .assert_code(0)
            .assert_stdout_contains(&format!("Linked \"{name}\""))
            .assert_stdout_contains("can be deleted")
            .assert_no_secret(s);
        for (line, what) in lines {
            outcome.assert_stdout_contains(&format!("line {line}: {what}\n"));
        }
        assert_eq!(std::fs::read(&path).unwrap(), text, "the file was changed");
        assert_secret_only_in_credentials_file(&home, s);
    }
}

#[test]
fn flags_outrank_the_file_and_no_save_says_nothing_about_deleting() {
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let other = TestKey::new(Permission::Read);
    let dotenv = DotEnv::new();
    // The file names another store and another (well-formed) secret: the flags win.
    let path = dotenv.write(format!(
        "WC_URL=https://other.example\nWC_CONSUMER_KEY={}\nWC_CONSUMER_SECRET={}\n",
        key.key, other.secret
    ));
    let home = Woolink::new();
    let mut woolink = Woolink::new();
    let outcome = woolink
        .env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy())
        .env("WOOLINK_CA_CERT", store.ca_cert_path().to_string_lossy())
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--env-file"])
        .args([path.to_string_lossy()])
        .args(["--store", "file", "--name", "shop"])
        .run();
    // The secret saved came from stdin and is not in the file: no line to delete.
    outcome
        .assert_code(0)
        .assert_no_secret(&key.secret)
        .assert_no_secret(&other.secret);
    assert!(
        !outcome.stdout.contains("can be deleted"),
        "{}",
        outcome.stdout
    );
    assert_secret_only_in_credentials_file(&home, &key.secret);
    home.assert_secret_not_on_disk(&other.secret);

    // --no-save: the key is checked, nothing kept, and the file's lines are still needed.
    let path = dotenv.write(format!(
        "WC_URL={}\nWC_CONSUMER_KEY={}\nWC_CONSUMER_SECRET={}\n",
        store.url(),
        key.key,
        key.secret
    ));
    let fresh = Woolink::new();
    let outcome = connect(&fresh, &store, &path, &["--no-save"]);
    outcome
        .assert_code(0)
        .assert_stdout_contains("not saved")
        .assert_no_secret(&key.secret);
    assert!(!outcome.stdout.contains("deleted"), "{}", outcome.stdout);
    fresh.assert_nothing_written();
    assert!(!fresh.config_dir().exists());

    // --json names the lines too, by number and variable.
    let outcome = connect(
        &home,
        &store,
        &path,
        &["--store", "file", "--name", "json", "--json"],
    );
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(
        outcome.json()["env_file_secret_lines"],
        serde_json::json!([{"line": 3, "name": "WC_CONSUMER_SECRET"}])
    );
}

#[test]
fn files_that_cannot_be_used_are_refused_before_anything_is_sent_or_written() {
    let (mut store, key) = store_with_key(Tls::Valid, Permission::Read);
    store.expect_no_requests();
    let other = TestKey::new(Permission::Read);
    let dotenv = DotEnv::new();
    let url = store.url();
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "could not read the dotenv file"),
        (
            Some("# nothing here\nAPP_ENV=production\nWC_CONSUMER_SECRET=\n".to_owned()),
            "sets none of the variables woolink reads",
        ),
        (
            Some(format!(
                "WOOCOMMERCE_URL={url}\nWC_CONSUMER_KEY={}\nWOOCOMMERCE_CONSUMER_SECRET={}\nWC_CONSUMER_SECRET={}\n",
                key.key, key.secret, other.secret
            )),
            "WOOCOMMERCE_CONSUMER_SECRET and WC_CONSUMER_SECRET",
        ),
        (
            Some(format!(
                "WC_URL={url}\nWC_STORE_URL=https://other.example\nWC_CONSUMER_KEY={}\nWC_CONSUMER_SECRET={}\n",
                key.key, key.secret
            )),
            "WC_URL and WC_STORE_URL",
        ),
        (
            Some(format!(
                "WC_URL={url}\nWC_CONSUMER_KEY={}\nWC_CONSUMER_SECRET=\"{}\n",
                key.key, key.secret
            )),
            "line 3 of",
        ),
        (
            Some(format!(
                "WC_URL={url}\nWC_CONSUMER_KEY={}\nWC_CONSUMER_SECRET={}zz\n",
                key.key, key.secret
            )),
            "WC_CONSUMER_SECRET in",
        ),
    ];
    for (text, expected) in cases {
        let path = match &text {
            Some(text) => dotenv.write(text),
            None => dotenv.dir.path().join("missing.env"),
        };
        let home = Woolink::new();
        let outcome = connect(&home, &store, &path, &["--store", "file"]);
        outcome
            .assert_code(2)
            .assert_stderr_contains(expected)
            .assert_no_secret(&key.secret)
            .assert_no_secret(&other.secret);
        home.assert_nothing_written();
        home.assert_secret_not_on_disk(&key.secret);
        if let Some(text) = text {
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        }
    }
    assert!(store.requests().is_empty());
}
