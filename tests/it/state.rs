//! State safety: the index survives a writer killed at any moment, 50 writers at once, a full
//! disk and a read-only config folder, and is never touched when a newer woolink wrote it.
//!
//! The disk tests (`state::as_root::`) mount a small tmpfs, which needs root: plain `cargo test`
//! ignores them; `cargo test -- --include-ignored` runs them and, without root, fails them
//! (as root, as `.ci/run` runs, they pass; the GitHub workflow runs them under sudo).

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use woolink::testing::{Access, Account, AuthMethod, SecretStorage};
use woolink::testing::{Index, IndexError};

use crate::harness::{Outcome, Woolink};
use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};

const DIR_ENV: &str = "WOOLINK_STATE_DIR";
const PREFIX_ENV: &str = "WOOLINK_STATE_PREFIX";

fn account(name: &str) -> Account {
    Account {
        name: name.to_owned(),
        id: None,
        store_url: format!("https://{name}.example"),
        api_root: format!("https://{name}.example/wp-json/"),
        key_suffix: "abc1234".to_owned(),
        access: Access::Read,
        auth_method: AuthMethod::Basic,
        secret_storage: SecretStorage::Keychain,
        store_name: Some("x".repeat(200)),
        wordpress_url: None,
        ca_cert: None,
        linked_at: "2025-01-01T00:00:00Z".to_owned(),
        verified_at: "2025-01-01T00:00:00Z".to_owned(),
    }
}

/// Runs `future` (a change to the index, which waits for its lock on tokio's timer) to its end.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build();
    runtime.expect("a runtime").block_on(future)
}

/// Not a test: the writer that `a_writer_killed_at_any_moment_loses_nothing` kills. Adds
/// accounts one `Index::update` at a time and reports each once it has returned.
#[test]
#[ignore = "helper process for state tests"]
fn child_writer() {
    let (Some(dir), Some(prefix)) = (std::env::var_os(DIR_ENV), std::env::var(PREFIX_ENV).ok())
    else {
        return;
    };
    let dir = PathBuf::from(dir);
    let mut out = std::io::stdout().lock();
    for n in 0.. {
        let name = format!("{prefix}-{n}");
        block_on(Index::update(&dir, |accounts| {
            accounts.push(account(&name));
            Ok::<_, IndexError>(())
        }))
        .expect("index update");
        writeln!(out, "COMMITTED {name}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn a_writer_killed_at_any_moment_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let committed = Arc::new(Mutex::new(Vec::<String>::new()));
    for round in 0..60 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "state::child_writer",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DIR_ENV, dir.path())
            .env(PREFIX_ENV, format!("r{round}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let seen = committed.clone();
        let (first, writing) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(name) = line.strip_prefix("COMMITTED ") {
                    seen.lock().unwrap().push(name.to_owned());
                    let _ = first.send(());
                }
            }
        });
        // Once the writer is in its loop, a random moment lands anywhere in a write: the
        // temp file, its sync, the rename or the folder sync.
        writing
            .recv_timeout(Duration::from_secs(20))
            .expect("the writer committed nothing");
        std::thread::sleep(Duration::from_micros(rand::random_range(0..20_000)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();

        let names: Vec<String> = Index::load(dir.path())
            .unwrap_or_else(|err| panic!("round {round}: the index is unreadable: {err}"))
            .into_iter()
            .map(|a| a.name)
            .collect();
        for name in committed.lock().unwrap().iter() {
            assert!(names.contains(name), "round {round}: {name} was lost");
        }
    }
    let total = committed.lock().unwrap().len();
    assert!(total >= 60, "the writers committed only {total} accounts");
    // Temp files left behind are writers killed between creating and renaming one.
    let torn = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    eprintln!(
        "{total} accounts committed across 60 killed writers, {torn} killed mid-write; none lost"
    );
}

fn store_with_key() -> (TestStore, TestKey) {
    let key = TestKey::new(Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    (TestStore::start(config), key)
}

/// `connect --store file` into `config`.
fn connect(config: &Path, store: &TestStore, key: &TestKey, name: &str) -> Outcome {
    let mut woolink = Woolink::new();
    woolink
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--store", "file", "--name", name, "--ca-cert"])
        .args([store.ca_cert_path().to_string_lossy().into_owned()])
        .env("WOOLINK_CONFIG_DIR", config.to_string_lossy());
    let outcome = woolink.run();
    outcome.assert_no_secret(&key.secret);
    outcome
}

fn run_in(config: &Path, args: &[&str]) -> Outcome {
    let mut woolink = Woolink::new();
    woolink
        .args(args.iter().copied())
        .env("WOOLINK_CONFIG_DIR", config.to_string_lossy());
    woolink.run()
}

#[test]
fn fifty_concurrent_connects_all_land() {
    let (store, key) = store_with_key();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|n| {
                let (config, store, key) = (&config, &store, &key);
                scope.spawn(move || connect(config, store, key, &format!("shop{n}")))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for outcome in &outcomes {
        outcome.assert_code(0);
    }
    let accounts = Index::load(&config).unwrap();
    assert_eq!(accounts.len(), 50, "{accounts:#?}");
    let credentials: serde_json::Value =
        serde_json::from_slice(&std::fs::read(config.join("credentials.json")).unwrap()).unwrap();
    assert_eq!(credentials["entries"].as_object().unwrap().len(), 50);
}

/// The disk tests: each mounts a small tmpfs, which needs root.
mod as_root {
    use super::*;

    /// A small tmpfs, unmounted on drop.
    struct Tmpfs {
        dir: tempfile::TempDir,
    }

    impl Tmpfs {
        /// Fails the test, saying why, where this machine does not let us mount.
        fn mount(size: &str) -> Tmpfs {
            let dir = tempfile::tempdir().unwrap();
            let output = Command::new("mount")
                .args([
                    "-t",
                    "tmpfs",
                    "-o",
                    &format!("size={size},mode=0700"),
                    "tmpfs",
                ])
                .arg(dir.path())
                .output();
            match output {
                Ok(output) if output.status.success() => Tmpfs { dir },
                Ok(output) => panic!(
                    "cannot mount a tmpfs ({}): the as_root tests need root; run them as root, or \
                 leave them out with --skip as_root::",
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
                Err(err) => panic!("cannot run mount: {err}"),
            }
        }

        fn path(&self) -> &Path {
            self.dir.path()
        }

        fn remount_read_only(&self) {
            let status = Command::new("mount")
                .args(["-o", "remount,ro"])
                .arg(self.path())
                .status()
                .unwrap();
            assert!(status.success(), "remount read-only");
        }
    }

    impl Drop for Tmpfs {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.path()).status();
        }
    }

    /// The bytes of every file under `dir` (the CA copies' folder included), to prove nothing
    /// changed.
    fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(snapshot(&path));
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
        files.sort();
        files
    }

    #[test]
    #[ignore = "needs root to mount a tmpfs; run with --include-ignored as root"]
    fn a_full_disk_is_reported_and_the_old_index_kept() {
        let disk = Tmpfs::mount("64k");
        let (store, key) = store_with_key();
        let config = disk.path().join("config");
        connect(&config, &store, &key, "first").assert_code(0);

        // Fill the disk to the last byte.
        let mut filler = std::fs::File::create(disk.path().join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while filler.write_all(&block).is_ok() {}
        while filler.write_all(&block[..1]).is_ok() {}
        drop(filler);
        let before = snapshot(&config);

        connect(&config, &store, &key, "second")
            .assert_code(1)
            .assert_stderr_contains("No space left on device");
        assert_eq!(
            snapshot(&config),
            before,
            "a failed write changed the folder"
        );

        // The index write itself, reached directly: reported, old file intact.
        let err = block_on(Index::update(&config, |accounts| {
            accounts.push(account("third"));
            Ok::<_, IndexError>(())
        }))
        .unwrap_err();
        assert!(matches!(err, IndexError::Write { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("could not save the account index")
                && message.contains("No space left"),
            "{message}"
        );
        assert_eq!(
            snapshot(&config),
            before,
            "a failed write changed the folder"
        );
        let names: Vec<_> = Index::load(&config)
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["first"]);
    }

    #[test]
    #[ignore = "needs root to mount a tmpfs; run with --include-ignored as root"]
    fn a_read_only_config_folder_is_reported_and_left_alone() {
        let disk = Tmpfs::mount("1m");
        let (store, key) = store_with_key();
        let config = disk.path().join("config");
        connect(&config, &store, &key, "first").assert_code(0);
        disk.remount_read_only();
        let before = snapshot(&config);

        connect(&config, &store, &key, "second")
            .assert_code(1)
            .assert_stderr_contains("Read-only file system");
        run_in(&config, &["accounts", "remove", "first", "--yes"])
            .assert_code(1)
            .assert_stderr_contains("Read-only file system");
        run_in(&config, &["accounts", "list"])
            .assert_code(0)
            .assert_stdout_contains("first");
        assert_eq!(snapshot(&config), before);
    }
}

#[test]
fn an_index_from_a_newer_woolink_is_refused_and_untouched() {
    let (mut store, key) = store_with_key();
    store.expect_no_requests();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let newer = br#"{"version": 2, "accounts": [{"name": "shop", "future": true}]}"#;
    std::fs::write(config.join("accounts.json"), newer).unwrap();

    connect(&config, &store, &key, "shop")
        .assert_code(1)
        .assert_stderr_contains("newer woolink");
    run_in(&config, &["accounts", "remove", "shop", "--yes"])
        .assert_code(1)
        .assert_stderr_contains("newer woolink");
    run_in(&config, &["accounts", "list"])
        .assert_code(1)
        .assert_stderr_contains("upgrade woolink");
    assert_eq!(std::fs::read(config.join("accounts.json")).unwrap(), newer);
    assert!(!config.join("credentials.json").exists());
}
