//! The secret-hygiene check: every command path woolink has, as a table of command lines, run
//! with debug output and backtraces on, in one shared config folder. After each row, neither a
//! secret nor a full consumer key (nor any 12-character piece of one) may appear on stdout,
//! stderr (panics included) or in any file woolink wrote, except the plaintext credentials
//! file, which `--store file` chose explicitly. The index holds only the key's last 7.
//!
//! The command paths come from the command tree (`Cli::command()`): a command with no row
//! fails `every_command_has_a_row`, so a new command is one new row in `rows()`.

use std::collections::BTreeMap;

use clap::CommandFactory;
use std::path::{Path, PathBuf};

use crate::harness::{Outcome, Woolink};
use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};

/// One command line. `{name}` placeholders are filled in from `Fixture::values`.
struct Row {
    what: &'static str,
    args: &'static str,
    stdin: Option<&'static str>,
    env: &'static [(&'static str, &'static str)],
    code: i32,
    /// Things stderr must show (beyond "no secret"), e.g. that redaction happened.
    stderr_has: &'static [&'static str],
}

const fn row(what: &'static str, args: &'static str, stdin: &'static str, code: i32) -> Row {
    Row {
        what,
        args,
        stdin: if stdin.is_empty() { None } else { Some(stdin) },
        env: &[],
        code,
        stderr_has: &[],
    }
}

/// The connect flags every store row shares.
macro_rules! connect {
    ($rest:literal) => {
        concat!(
            "connect --url {url} --consumer-key {key} --consumer-secret-stdin --ca-cert {ca} ",
            $rest
        )
    };
}

fn rows() -> Vec<Row> {
    vec![
        // Success paths.
        row(
            "connect, secret kept in the plaintext file",
            connect!("--store file --name shop"),
            "{secret}",
            0,
        ),
        row(
            "connect --no-save --json --verbose",
            connect!("--no-save --json --verbose"),
            "{secret}",
            0,
        ),
        row(
            "connect, secret from a file",
            "connect --url {url} --consumer-key {key} --consumer-secret-file {secret_file} --ca-cert {ca} --no-save",
            "",
            0,
        ),
        Row {
            env: &[("WOOLINK_CONSUMER_SECRET", "{secret}")],
            ..row(
                "connect, secret from the environment",
                "connect --url {url} --consumer-key {key} --ca-cert {ca} --no-save --no-input",
                "",
                0,
            )
        },
        Row {
            stderr_has: &["consumer_secret=REDACTED", "consumer_key=REDACTED"],
            ..row(
                "connect, query-string credentials (Authorization header stripped)",
                "connect --url {stripped_url} --consumer-key {key} --consumer-secret-stdin --ca-cert {stripped_ca} --no-save",
                "{secret}",
                0,
            )
        },
        Row {
            stderr_has: &["oauth_signature=REDACTED", "oauth_consumer_key=REDACTED"],
            ..row(
                "connect, OAuth 1.0a over loopback http",
                "connect --url {http_url} --consumer-key {key} --consumer-secret-stdin --no-save",
                "{secret}",
                0,
            )
        },
        Row {
            env: &[("WOOLINK_SITE_PASSWORD", "{site_password}")],
            ..row(
                "connect behind the web server's own password, kept in the plaintext file",
                "connect --url {site_url} --consumer-key {key} --consumer-secret-stdin --ca-cert {site_ca} --site-user stage --store file --name staging --verbose",
                "{secret}",
                0,
            )
        },
        Row {
            env: &[("WOOLINK_SITE_PASSWORD", "{wrong_site_password}")],
            ..row(
                "connect with a wrong site password",
                "connect --url {site_url} --consumer-key {key} --consumer-secret-stdin --ca-cert {site_ca} --site-user stage --no-save --verbose",
                "{secret}",
                4,
            )
        },
        row(
            "connect, site password as a flag value (refused)",
            "connect --url {site_url} --site-user stage --site-password {site_password} --no-save",
            "",
            2,
        ),
        row(
            "connect, site password missing without a terminal",
            "connect --url {site_url} --consumer-key {key} --consumer-secret-stdin --ca-cert {site_ca} --site-user stage --no-save",
            "{secret}",
            2,
        ),
        row(
            "accounts verify behind the site password",
            "accounts verify staging --json --ca-cert {site_ca}",
            "",
            0,
        ),
        row(
            "api behind the site password",
            "api products --account staging --paginate --ca-cert {site_ca} --verbose",
            "",
            0,
        ),
        row(
            "run behind the site password",
            "run --account staging -- true",
            "",
            0,
        ),
        row(
            // The same name, store and key again is already linked: another store takes it.
            "connect, name taken",
            "connect --url {stripped_url} --consumer-key {key} --consumer-secret-stdin --ca-cert {stripped_ca} --store file --name shop --no-input",
            "{secret}",
            2,
        ),
        row(
            "connect --force replaces",
            connect!("--store file --name shop --force"),
            "{secret}",
            0,
        ),
        // Each failure kind.
        row(
            "wrong secret",
            "connect --url {url} --consumer-key {key} --consumer-secret-stdin --ca-cert {ca} --no-save --json",
            "{wrong_secret}",
            4,
        ),
        row(
            "unknown key",
            "connect --url {url} --consumer-key {stranger_key} --consumer-secret-stdin --ca-cert {ca} --store file",
            "{stranger_secret}",
            4,
        ),
        row(
            "write-only key",
            "connect --url {url} --consumer-key {write_key} --consumer-secret-stdin --ca-cert {ca} --no-save",
            "{write_secret}",
            4,
        ),
        row(
            "customer's key",
            "connect --url {url} --consumer-key {customer_key} --consumer-secret-stdin --ca-cert {ca} --no-save",
            "{customer_secret}",
            4,
        ),
        row(
            "read key where read-write is required",
            "connect --url {url} --consumer-key {read_key} --consumer-secret-stdin --ca-cert {ca} --require read-write --store file",
            "{read_secret}",
            4,
        ),
        row(
            "no WooCommerce",
            "connect --url {nowc_url} --consumer-key {key} --consumer-secret-stdin --ca-cert {nowc_ca} --no-save",
            "{secret}",
            3,
        ),
        row(
            "untrusted certificate",
            "connect --url {url} --consumer-key {key} --consumer-secret-stdin --no-save --json",
            "{secret}",
            3,
        ),
        row(
            "DNS failure",
            "connect --url https://woolink-test.invalid --consumer-key {key} --consumer-secret-stdin --no-save",
            "{secret}",
            3,
        ),
        row(
            "connection refused",
            "connect --url {refused_url} --consumer-key {key} --consumer-secret-stdin --no-save",
            "{secret}",
            3,
        ),
        // Input errors: nothing is sent.
        row(
            "secret as a flag value",
            "connect --url {url} --consumer-key {key} --consumer-secret {secret} --no-save",
            "",
            2,
        ),
        row(
            "malformed secret (one character off)",
            "connect --url {url} --consumer-key {key} --consumer-secret-stdin --no-save --json",
            "{bad_secret}",
            2,
        ),
        row(
            "key and secret swapped",
            "connect --url {url} --consumer-key {secret} --consumer-secret-stdin --no-save",
            "{key}",
            2,
        ),
        row(
            "malformed key (one character off)",
            "connect --url {url} --consumer-key {bad_key} --consumer-secret-stdin --no-save",
            "{secret}",
            2,
        ),
        row(
            "not a store URL",
            "connect --url ftp://shop.example --consumer-key {key} --consumer-secret-stdin --no-save",
            "{secret}",
            2,
        ),
        row(
            "no secret and no terminal",
            "connect --url {url} --consumer-key {key} --no-input --no-save",
            "",
            2,
        ),
        row(
            "bad account name",
            connect!("--name bad/name --store file"),
            "{secret}",
            2,
        ),
        // Accounts.
        row("accounts list", "accounts list", "", 0),
        row("accounts list --json", "accounts list --json", "", 0),
        row("accounts show", "accounts show shop", "", 0),
        row("accounts show --json", "accounts show shop --json", "", 0),
        row(
            "accounts show, no such account",
            "accounts show nosuch",
            "",
            2,
        ),
        row(
            "accounts remove, no such account",
            "accounts remove nosuch --yes",
            "",
            2,
        ),
        // Using the account: verify, api, run.
        row("accounts default", "accounts default shop", "", 0),
        row(
            "accounts verify",
            "accounts verify --all --ca-cert {ca}",
            "",
            0,
        ),
        row(
            "accounts verify --json",
            "accounts verify shop --json --ca-cert {ca}",
            "",
            0,
        ),
        row("api GET", "api products --ca-cert {ca}", "", 0),
        row(
            "api POST with fields",
            "api -X POST products -F name=Beanie --ca-cert {ca}",
            "",
            0,
        ),
        row(
            "api --paginate",
            "api products?per_page=1 --paginate --ca-cert {ca}",
            "",
            0,
        ),
        row(
            "api, a route that does not exist",
            "api nosuch --ca-cert {ca}",
            "",
            2,
        ),
        // The account trusts its CA copy; another CA given explicitly wins, and fails.
        row(
            "api, untrusted certificate",
            "api products --ca-cert {other_ca}",
            "",
            3,
        ),
        row("run, the command succeeds", "run -- true", "", 0),
        row("run, the command fails", "run -- false", "", 1),
        row(
            "accounts rotate, the new key kept in the plaintext file",
            "accounts rotate shop --consumer-key {rotated_key} --consumer-secret-stdin --ca-cert {ca}",
            "{rotated_secret}",
            0,
        ),
        row(
            "accounts rotate, a wrong secret",
            "accounts rotate shop --consumer-key {key} --consumer-secret-stdin --ca-cert {ca} --json",
            "{wrong_secret}",
            4,
        ),
        row("accounts rename", "accounts rename shop renamed", "", 0),
        row(
            "accounts remove",
            "accounts remove renamed --yes --json",
            "",
            0,
        ),
        row("completions", "completions bash", "", 0),
        row("man", "man", "", 0),
        row("usage error", "accounts frobnicate", "", 2),
    ]
}

/// The stores, keys and files the rows refer to.
struct Fixture {
    values: BTreeMap<&'static str, String>,
    secrets: Vec<String>,
    keys: Vec<String>,
    _stores: Vec<TestStore>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn start() -> Fixture {
        let key = TestKey::new(Permission::ReadWrite);
        let write = TestKey::new(Permission::Write);
        let read = TestKey::new(Permission::Read);
        let customer = TestKey::customer(Permission::ReadWrite);
        let stranger = TestKey::new(Permission::ReadWrite);
        let rotated = TestKey::new(Permission::ReadWrite);
        let wrong_secret = TestKey::new(Permission::Read).secret;
        let start = |tls, keys: Vec<TestKey>, adjust: fn(&mut StoreConfig)| {
            let mut config = StoreConfig::new(tls);
            config.keys = keys;
            adjust(&mut config);
            TestStore::start(config)
        };
        let main = start(
            Tls::Valid,
            vec![
                key.clone(),
                write.clone(),
                read.clone(),
                customer.clone(),
                rotated.clone(),
            ],
            |_| {},
        );
        let stripped = start(Tls::Valid, vec![key.clone()], |c| {
            c.strip_authorization = true
        });
        let http = start(Tls::None, vec![key.clone()], |_| {});
        let nowc = start(Tls::Valid, vec![key.clone()], |c| {
            c.woocommerce_active = false
        });
        let site_password = format!("sp_{}", &TestKey::new(Permission::Read).secret[3..]);
        let wrong_site_password = format!("sp_{}", &TestKey::new(Permission::Read).secret[3..]);
        let site = {
            let mut config = StoreConfig::new(Tls::Valid);
            config.keys = vec![key.clone()];
            config.site_password = Some(("stage".into(), site_password.clone(), "Staging".into()));
            TestStore::start(config)
        };
        let refused_port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();

        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("secret.txt");
        std::fs::write(&secret_file, format!("{}\n", key.secret)).unwrap();
        let other_ca = dir.path().join("other-ca.pem");
        let other = rcgen::generate_simple_self_signed(vec!["other.example".to_owned()]).unwrap();
        std::fs::write(&other_ca, other.cert.pem()).unwrap();
        let one_off = |value: &str| format!("{}Z", &value[..value.len() - 1]);
        let path = |p: PathBuf| p.to_string_lossy().into_owned();
        let values = BTreeMap::from([
            ("url", main.url()),
            ("ca", path(main.ca_cert_path())),
            ("stripped_url", stripped.url()),
            ("stripped_ca", path(stripped.ca_cert_path())),
            ("http_url", http.url()),
            ("nowc_url", nowc.url()),
            ("nowc_ca", path(nowc.ca_cert_path())),
            ("refused_url", format!("https://127.0.0.1:{refused_port}")),
            ("key", key.key.clone()),
            ("secret", key.secret.clone()),
            ("bad_secret", one_off(&key.secret)),
            ("bad_key", one_off(&key.key)),
            ("wrong_secret", wrong_secret.clone()),
            ("write_key", write.key.clone()),
            ("write_secret", write.secret.clone()),
            ("read_key", read.key.clone()),
            ("read_secret", read.secret.clone()),
            ("customer_key", customer.key.clone()),
            ("customer_secret", customer.secret.clone()),
            ("stranger_key", stranger.key.clone()),
            ("stranger_secret", stranger.secret.clone()),
            ("rotated_key", rotated.key.clone()),
            ("rotated_secret", rotated.secret.clone()),
            ("secret_file", path(secret_file)),
            ("other_ca", path(other_ca)),
            ("site_url", site.url()),
            ("site_ca", path(site.ca_cert_path())),
            ("site_password", site_password.clone()),
            ("wrong_site_password", wrong_site_password.clone()),
        ]);
        let all = [&key, &write, &read, &customer, &stranger, &rotated];
        let mut secrets: Vec<String> = all.iter().map(|k| k.secret.clone()).collect();
        secrets.push(wrong_secret);
        // The web server's own passwords are secrets too.
        secrets.push(site_password);
        secrets.push(wrong_site_password);
        Fixture {
            values,
            secrets,
            keys: all.iter().map(|k| k.key.clone()).collect(),
            _stores: vec![main, stripped, http, nowc, site],
            _dir: dir,
        }
    }

    fn fill(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (name, value) in &self.values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        assert!(!text.contains('{'), "unknown placeholder in {text}");
        text
    }

    /// Where `text` shows a secret or a full key, or a 12-character piece of one.
    fn leaks(&self, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (what, values) in [("secret", &self.secrets), ("full key", &self.keys)] {
            for value in values {
                let hex = &value[3..];
                let piece = (0..=hex.len() - 12).find(|&i| text.contains(&hex[i..i + 12]));
                if let Some(i) = piece {
                    found.push(format!("{what} {} (piece {})", value, &hex[i..i + 12]));
                }
            }
        }
        found
    }
}

fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(content) = std::fs::read(&path) {
                files.push((path, content));
            }
        }
    }
    files
}

fn run_row(fixture: &Fixture, config: &Path, row: &Row) -> (Woolink, Outcome) {
    let mut woolink = Woolink::new();
    let args: Vec<String> = row
        .args
        .split_whitespace()
        .map(|arg| fixture.fill(arg))
        .collect();
    woolink
        .args(args)
        .env("WOOLINK_CONFIG_DIR", config.to_string_lossy())
        .env("WOOLINK_DEBUG", "1")
        .env("RUST_BACKTRACE", "1");
    for (name, value) in row.env {
        woolink.env(name, fixture.fill(value));
    }
    if let Some(stdin) = row.stdin {
        woolink.stdin(fixture.fill(stdin));
    }
    let outcome = woolink.run();
    (woolink, outcome)
}

#[test]
fn no_command_path_leaks_a_secret_or_a_full_key() {
    let fixture = Fixture::start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let credentials = config.join("credentials.json");
    let mut problems = Vec::new();
    for row in rows() {
        let (woolink, outcome) = run_row(&fixture, &config, &row);
        let context = format!(
            "[{}] exit {}\n--- stdout\n{}--- stderr\n{}",
            row.what, outcome.code, outcome.stdout, outcome.stderr
        );
        if outcome.code != row.code {
            problems.push(format!("expected exit {}: {context}", row.code));
        }
        let network = ["connect", "api", "accounts verify", "accounts rotate"]
            .iter()
            .any(|command| row.args.starts_with(command))
            && row.code != 2;
        if network && !outcome.stderr.contains("woolink debug: request ") {
            problems.push(format!("no debug lines: {context}"));
        }
        for needle in row.stderr_has {
            if !outcome.stderr.contains(needle) {
                problems.push(format!("stderr lacks {needle:?}: {context}"));
            }
        }
        if outcome.stderr.contains("panicked") {
            problems.push(format!("panic: {context}"));
        }
        for (stream, text) in [("stdout", &outcome.stdout), ("stderr", &outcome.stderr)] {
            for leak in fixture.leaks(text) {
                problems.push(format!("{leak} on {stream}: {context}"));
            }
        }
        if let Ok(bytes) = std::fs::read(config.join("accounts.json")) {
            let index: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            for account in index["accounts"].as_array().unwrap() {
                let suffix = account["key_suffix"].as_str().unwrap();
                if suffix.len() != 7 {
                    problems.push(format!("index keeps {suffix:?}: [{}]", row.what));
                }
            }
        }
        // The scan must see what it looks for: the chosen plaintext file holds the secret.
        if row.what.contains("plaintext file") {
            let text = std::fs::read_to_string(&credentials).unwrap_or_default();
            assert!(
                !fixture.leaks(&text).is_empty(),
                "the scan found no secret in {text}"
            );
        }
        let mut files = files_under(&config);
        files.extend(woolink.files_written());
        for (path, content) in files {
            if path == credentials {
                continue;
            }
            for leak in fixture.leaks(&String::from_utf8_lossy(&content)) {
                problems.push(format!("{leak} in {}: [{}]", path.display(), row.what));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Every command path of the command tree (`accounts list`, `api`, …), from clap's own
/// definition: the paths the table must cover. clap's generated `help` is left out.
fn command_paths() -> Vec<Vec<String>> {
    fn walk(command: &clap::Command, path: &[String], paths: &mut Vec<Vec<String>>) {
        let mut children = command.get_subcommands().peekable();
        if children.peek().is_none() {
            paths.push(path.to_vec());
        }
        for child in children {
            let mut path = path.to_vec();
            path.push(child.get_name().to_owned());
            walk(child, &path, paths);
        }
    }
    let mut paths = Vec::new();
    walk(&woolink::testing::Cli::command(), &[], &mut paths);
    paths
}

#[test]
fn every_command_has_a_row() {
    let paths = command_paths();
    assert!(
        paths.iter().any(|path| path == &["accounts", "list"]),
        "the command tree was not walked: {paths:?}"
    );
    let rows = rows();
    let missing: Vec<String> = paths
        .iter()
        .filter(|path| {
            !rows.iter().any(|row| {
                let words: Vec<&str> = row.args.split_whitespace().collect();
                words.starts_with(&path.iter().map(String::as_str).collect::<Vec<_>>())
            })
        })
        .map(|path| path.join(" "))
        .collect();
    assert!(
        missing.is_empty(),
        "commands with no row in hygiene's rows(): {missing:?}; add one each"
    );
}
