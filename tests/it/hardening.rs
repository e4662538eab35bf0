//! What a hostile store, a hand-edited index or an unlucky machine throws at woolink: each
//! case through the real binary, with no secret anywhere in what it printed or wrote.

use crate::api::edit_account;
use crate::connect::{assert_failure, connect, store_with};
use crate::harness::Woolink;
use crate::linking::{again, assert_secret_only_in_credentials_file, link, store_with_key};
use crate::store::{Permission, PlainHttpOnTls, StoreConfig, TestKey, TestStore, Tls};

/// Escape sequences that would clear the screen, retitle the window and write the clipboard.
const HOSTILE: &str =
    "Shop\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}]52;c;QUFBQQ==\u{7}\u{9b}31m\nFake line";

fn assert_no_raw_control(text: &str) {
    let raw: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(raw.is_empty(), "raw control characters {raw:?} in:\n{text}");
}

#[test]
fn a_site_title_with_escape_sequences_is_shown_not_obeyed() {
    let key = TestKey::new(Permission::ReadWrite);
    let store = store_with(Tls::Valid, &key, |config| {
        config.site_name = HOSTILE.into();
    });
    // A link that is kept reads the index, and with it the title.
    let home = crate::harness::Woolink::new();
    let mut linking = crate::linking::follow(&home, &store);
    linking
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--store", "file", "--name", "shop"]);
    let human = linking.run();
    human.assert_code(0).assert_no_secret(&key.secret);
    assert_no_raw_control(&human.stdout);
    assert_no_raw_control(&human.stderr);
    human
        .assert_stdout_contains("Store:     Shop\\x1b[2J\\x1b]0;pwned\\x07")
        .assert_stdout_contains("\\x9b31m\\x0aFake line");
    // JSON keeps the title exactly, as JSON escapes it.
    let json = again(&home, &store, &["accounts", "list", "--json"]);
    json.assert_code(0);
    assert_eq!(json.json()[0]["store_name"], HOSTILE);
}

#[test]
fn index_fields_with_escape_sequences_and_huge_lengths_neither_drive_the_terminal_nor_panic() {
    // The store's own title is the hostile one too, as verify reads it again.
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |config| config.site_name = HOSTILE.into());
    let home = crate::harness::Woolink::new();
    link(&home, &store, &key, "shop");
    let huge = "x".repeat(70_000);
    edit_account(&home, "shop", |account| {
        account["store_name"] = HOSTILE.into();
        account["linked_at"] = huge.clone().into();
    });
    for args in [
        &["accounts", "list"][..],
        &["accounts", "show", "shop"],
        &["accounts", "verify", "shop"],
    ] {
        let outcome = again(&home, &store, args);
        assert!(
            outcome.code == 0 || outcome.code == 3 || outcome.code == 4,
            "{args:?} exited {}:\n{}",
            outcome.code,
            outcome.stderr
        );
        assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
        assert_no_raw_control(&outcome.stdout);
        assert_no_raw_control(&outcome.stderr);
        outcome.assert_no_secret(&key.secret);
    }
    let listed = again(&home, &store, &["accounts", "list"]);
    listed.assert_code(0);
    let shown = again(&home, &store, &["accounts", "show", "shop"]);
    shown.assert_stdout_contains("Shop\\x1b[2J");
    let json = again(&home, &store, &["accounts", "list", "--json"]);
    assert_eq!(json.json()[0]["store_name"], HOSTILE);
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn a_byte_order_mark_is_ignored_in_every_file_woolink_reads() {
    let (store, key) = store_with_key(Tls::Valid, Permission::ReadWrite);
    let home = crate::harness::Woolink::new();
    let dir = tempfile::tempdir().unwrap();
    let with_bom = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
        path.to_string_lossy().into_owned()
    };
    let secret_file = with_bom("secret.txt", &format!("{}\r\n", key.secret));
    let ca = with_bom(
        "ca.pem",
        &std::fs::read_to_string(store.ca_cert_path()).unwrap(),
    );
    let mut woolink = crate::harness::Woolink::new();
    woolink
        .env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy())
        .args(["connect", "--url", &store.url(), "--consumer-key", &key.key])
        .args(["--consumer-secret-file", &secret_file, "--ca-cert", &ca])
        .args(["--store", "file", "--name", "shop"]);
    woolink.run().assert_code(0).assert_no_secret(&key.secret);

    // The secret piped with a byte-order mark (PowerShell 5 does that).
    let piped = crate::harness::Woolink::new()
        .connect_args(&store.url(), &key.key, &format!("\u{feff}{}", key.secret))
        .args(["--no-save", "--ca-cert", &ca])
        .run();
    piped.assert_code(0).assert_no_secret(&key.secret);

    // An index saved again by Notepad, with a byte-order mark.
    let index = home.config_dir().join("accounts.json");
    let text = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, format!("\u{feff}{text}")).unwrap();
    let listed = again(&home, &store, &["accounts", "list", "--json"]);
    listed.assert_code(0);
    assert_eq!(listed.json()[0]["name"], "shop");
    assert_secret_only_in_credentials_file(&home, &key.secret);
}

#[test]
fn a_relative_config_folder_is_resolved_and_named() {
    let woolink = crate::harness::Woolink::new();
    let mut command = woolink.std_command();
    let cwd = tempfile::tempdir().unwrap();
    command
        .current_dir(cwd.path())
        .env("WOOLINK_CONFIG_DIR", "relative-config")
        .args(["accounts", "list"]);
    let output = command.output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected =
        std::path::absolute(cwd.path().join("relative-config").join("accounts.json")).unwrap();
    assert!(stderr.contains(&expected.display().to_string()), "{stderr}");
}

#[test]
fn a_huge_url_is_refused_and_not_echoed_whole() {
    let key = TestKey::new(Permission::Read);
    let huge = format!("https://shop.example/{}", "path/".repeat(20_000));
    let outcome = crate::harness::Woolink::new()
        .connect_args(&huge, &key.key, &key.secret)
        .args(["--no-save", "--json"])
        .run();
    outcome.assert_code(2).assert_no_secret(&key.secret);
    assert_eq!(outcome.json()["error"]["kind"], "invalid_url");
    assert!(
        outcome.stderr.len() < 1_000,
        "{} bytes",
        outcome.stderr.len()
    );
    outcome.assert_stderr_contains("characters long");
}

#[cfg(unix)]
#[test]
fn a_secret_variable_that_is_not_utf8_is_named_not_called_missing() {
    use std::os::unix::ffi::OsStrExt;
    let key = TestKey::new(Permission::Read);
    let woolink = crate::harness::Woolink::new();
    let mut command = woolink.std_command();
    command
        .args([
            "connect",
            "--url",
            "https://shop.example",
            "--consumer-key",
            &key.key,
        ])
        .args(["--no-save", "--no-input"])
        .env(
            "WOOLINK_CONSUMER_SECRET",
            std::ffi::OsStr::from_bytes(b"cs_\xff\xfe0123"),
        )
        .stdin(std::process::Stdio::null());
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not to valid UTF-8"), "{stderr}");
    assert!(!stderr.contains("missing"), "{stderr}");
}

/// `openssl s_server` offering only what an outdated host offers, on a free loopback port
/// (Linux, where `.ci/run` installs OpenSSL; other systems ship other TLS command lines).
#[cfg(target_os = "linux")]
struct OldTlsServer {
    child: std::process::Child,
    port: u16,
    ca: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

#[cfg(target_os = "linux")]
impl OldTlsServer {
    fn start(protocol: &str, ciphers: &str) -> OldTlsServer {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept", &port.to_string()])
            .arg("-cert")
            .arg(&cert_path)
            .arg("-key")
            .arg(&key_path)
            .args([protocol, "-cipher", ciphers])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("run openssl (apt-get install openssl)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "openssl s_server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        OldTlsServer {
            child,
            port,
            ca: cert_path,
            _dir: dir,
        }
    }
}

#[cfg(target_os = "linux")]
impl Drop for OldTlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs the openssl command (its s_server speaks outdated TLS); run with --include-ignored"]
fn a_store_that_offers_only_outdated_tls_is_told_so() {
    let key = TestKey::new(Permission::Read);
    for (protocol, ciphers) in [
        ("-tls1", "DEFAULT:@SECLEVEL=0"),
        ("-tls1_2", "AES128-SHA:@SECLEVEL=0"),
    ] {
        let server = OldTlsServer::start(protocol, ciphers);
        let url = format!("https://localhost:{}", server.port);
        let outcome = crate::harness::Woolink::new()
            .connect_args(&url, &key.key, &key.secret)
            .args([
                "--no-save",
                "--json",
                "--ca-cert",
                &server.ca.to_string_lossy(),
            ])
            .run();
        outcome.assert_code(3).assert_no_secret(&key.secret);
        assert_eq!(outcome.json()["error"]["kind"], "tls", "{protocol}");
        outcome
            .assert_stderr_contains("outdated")
            .assert_stderr_contains("TLS 1.2 or 1.3");
    }
}

#[cfg(unix)]
#[test]
fn a_config_folder_others_can_change_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let woolink = crate::harness::Woolink::new();
    let config = woolink.config_dir();
    std::fs::create_dir_all(&config).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut list = crate::harness::Woolink::new();
    list.env("WOOLINK_CONFIG_DIR", config.to_string_lossy())
        .args(["accounts", "list", "--json"]);
    let outcome = list.run();
    outcome
        .assert_code(1)
        .assert_stderr_contains("other users may write to it (mode 777)")
        .assert_stderr_contains("chmod go-w");
    assert_eq!(outcome.json()["error"]["kind"], "config");
}

/// The tests that need root.
#[cfg(unix)]
mod as_root {
    #[test]
    #[ignore = "needs root to hand a folder to another user; run with --include-ignored as root"]
    fn a_config_folder_of_another_user_is_refused() {
        assert!(
            rustix::process::geteuid().is_root(),
            "only root can hand a folder to another user: run this as root, or leave it out \
             with --skip as_root::"
        );
        // As a shared machine might have it: a folder only its owner may change, but not ours.
        let woolink = crate::harness::Woolink::new();
        let config = woolink.config_dir();
        std::fs::create_dir_all(&config).unwrap();
        let private = std::os::unix::fs::PermissionsExt::from_mode(0o700);
        std::fs::set_permissions(&config, private).unwrap();
        std::os::unix::fs::chown(&config, Some(4242), Some(4242)).unwrap();
        let mut list = crate::harness::Woolink::new();
        list.env("WOOLINK_CONFIG_DIR", config.to_string_lossy())
            .args(["accounts", "list", "--json"]);
        list.run()
            .assert_code(1)
            .assert_stderr_contains("belongs to another user (uid 4242)");
    }
}

#[cfg(unix)]
#[test]
fn a_lock_file_that_is_a_symbolic_link_is_not_followed() {
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let home = crate::harness::Woolink::new();
    std::fs::create_dir_all(home.config_dir()).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("planted");
    std::os::unix::fs::symlink(&target, home.config_dir().join("accounts.lock")).unwrap();
    let mut woolink = crate::harness::Woolink::new();
    woolink
        .env("WOOLINK_CONFIG_DIR", home.config_dir().to_string_lossy())
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--store", "file", "--name", "shop", "--ca-cert"])
        .args([store.ca_cert_path().to_string_lossy().into_owned()]);
    let outcome = woolink.run();
    outcome.assert_no_secret(&key.secret);
    assert_ne!(outcome.code, 0, "{}", outcome.stderr);
    outcome.assert_stderr_contains("lock");
    assert!(!target.exists(), "the symbolic link was followed");
    home.assert_secret_only_in(&key.secret, &[home.config_dir().join("credentials.json")]);
}

#[test]
fn internationalized_store_addresses_are_shown_in_unicode() {
    let key = TestKey::new(Permission::Read);
    // Nothing answers there: the failure names the store the way its owner writes it.
    let outcome = crate::harness::Woolink::new()
        .connect_args("https://bücher.invalid", &key.key, &key.secret)
        .args(["--no-save", "--json"])
        .run();
    outcome.assert_code(3).assert_no_secret(&key.secret);
    outcome.assert_stderr_contains("https://bücher.invalid");
    assert!(!outcome.stderr.contains("xn--"), "{}", outcome.stderr);

    // An account of such a store: Unicode in the list, ASCII (its identity) in JSON.
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let home = crate::harness::Woolink::new();
    link(&home, &store, &key, "shop");
    edit_account(&home, "shop", |account| {
        account["store_url"] = "https://xn--bcher-kva.example".into();
    });
    let listed = again(&home, &store, &["accounts", "list"]);
    listed
        .assert_code(0)
        .assert_stdout_contains("https://bücher.example");
    let json = again(&home, &store, &["accounts", "list", "--json"]);
    assert_eq!(json.json()[0]["store_url"], "https://xn--bcher-kva.example");
}

/// `connect` to `http://` on the port of an HTTPS store that answers plain http as `answer`:
/// diagnosed as an HTTPS port with the https:// address to use, and no credential sent.
fn plain_http_to_an_https_port(answer: PlainHttpOnTls) {
    let key = TestKey::new(Permission::Read);
    let store = store_with(Tls::Valid, &key, |config| config.plain_http_on_tls = answer);
    let http_url = store.url().replacen("https://", "http://", 1);
    let (woolink, outcome) = connect(&http_url, &store, &key.key, &key.secret, &["--json"]);
    assert_failure(&outcome, 3, "https_port");
    outcome
        .assert_stderr_contains("speaks HTTPS on this port")
        .assert_stderr_contains(&format!("use {}", store.origin()));
    woolink.assert_nothing_written();
    assert!(
        store
            .requests()
            .iter()
            .all(|seen| !seen.carries_credentials()),
        "credentials were sent: {:?}",
        store.requests()
    );
}

#[test]
fn plain_http_to_a_tls_only_port_is_diagnosed_as_an_https_port() {
    plain_http_to_an_https_port(PlainHttpOnTls::TlsAlert);
}

#[test]
fn plain_http_to_an_nginx_https_port_is_diagnosed_as_an_https_port() {
    plain_http_to_an_https_port(PlainHttpOnTls::ErrorPage);
}

#[test]
fn a_port_that_speaks_neither_http_nor_tls_is_not_called_an_https_port() {
    // An SSH server, say: a greeting line to whatever connects, plain http or a TLS hello.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            use std::io::Write as _;
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n");
        }
    });
    let key = TestKey::new(Permission::Read);
    let outcome = crate::harness::Woolink::new()
        .connect_args(&format!("http://127.0.0.1:{port}"), &key.key, &key.secret)
        .args(["--no-save", "--json"])
        .run();
    outcome.assert_code(3).assert_no_secret(&key.secret);
    assert_eq!(
        outcome.json()["error"]["kind"],
        "unreachable",
        "{}",
        outcome.stderr
    );
}

/// A look-alike host typed by a script is shown as punycode everywhere, with a warning.
#[test]
fn a_typed_look_alike_host_is_shown_as_punycode_with_a_warning() {
    let key = TestKey::new(Permission::Read);
    let mut config = StoreConfig::new(Tls::None);
    config.keys = vec![key.clone()];
    config.host = Some("xn--shp-ted.localhost".to_owned());
    let store = TestStore::start(config);
    let port = store.origin().rsplit(':').next().unwrap().to_owned();
    let mut woolink = Woolink::new();
    let outcome = woolink
        .connect_args(
            &format!("http://sh\u{43e}p.localhost:{port}"),
            &key.key,
            &key.secret,
        )
        .args(["--no-save"])
        .run();
    outcome
        .assert_code(0)
        .assert_stderr_contains(&format!(
            "warning: http://xn--shp-ted.localhost:{port} is shown in its punycode form: its host mixes Latin and Cyrillic letters"
        ))
        .assert_no_secret(&key.secret);
    for text in [&outcome.stdout, &outcome.stderr] {
        assert!(!text.contains("sh\u{43e}p"), "shown in Unicode:\n{text}");
    }
    assert!(
        outcome.stdout.contains("xn--shp-ted.localhost"),
        "{}",
        outcome.stdout
    );
    woolink.assert_secret_not_on_disk(&key.secret);
}
