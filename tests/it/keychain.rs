//! A private, isolated Secret Service for tests: its own D-Bus daemon (listening on a socket in
//! a temp dir, with no service dir, so nothing is activated behind our back) and its own
//! gnome-keyring with a fresh, unlocked login keyring. Tests run in parallel, each with its own.
//!
//! The library reads `DBUS_SESSION_BUS_ADDRESS` from the process environment, so tests never
//! point the test process at it: they run a child process (the `woolink` binary, or this test
//! binary re-executed) with [`PrivateKeychain::env`].
//!
//! Needs `dbus-daemon`, `gnome-keyring-daemon`, `dbus-send` and `secret-tool`
//! (`apt-get install gnome-keyring libsecret-tools dbus-daemon`), which a contributor's laptop
//! may not have: every test that starts one is ignored by plain `cargo test`, with the reason
//! [`WHY_IGNORED`], and runs with `cargo test -- --include-ignored` (as `.ci/run` does). A test
//! that starts one without the mark fails, whatever the machine (see [`assert_ignored_test`]).

#![cfg(target_os = "linux")] // a D-Bus Secret Service: Linux only
#![allow(dead_code)] // shared helper: not every test binary module uses every method

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The reason every test that starts a private Secret Service is ignored. `#[ignore]` needs the
/// literal (a macro there loses the reason), so each such test spells it out:
/// `#[ignore = "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored"]`.
pub const WHY_IGNORED: &str =
    "needs a Secret Service (gnome-keyring + dbus-daemon); run with --include-ignored";

const PASSWORD: &str = "woolink-test-keyring";
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// A running private session bus, with or without a Secret Service on it. Dropping it kills
/// the bus (gnome-keyring exits with it) and removes the temp dir.
pub struct PrivateKeychain {
    dir: tempfile::TempDir,
    bus_address: String,
    dbus_pid: u32,
}

impl PrivateKeychain {
    /// A bus with gnome-keyring on it and an unlocked login keyring (the default collection).
    pub fn start() -> Self {
        let keychain = Self::start_without_secret_service();
        keychain.start_gnome_keyring(&["--unlock", "--components=secrets"], Some(PASSWORD));
        keychain
    }

    /// A bus on which nothing provides `org.freedesktop.secrets`.
    pub fn start_without_secret_service() -> Self {
        assert_ignored_test();
        // Unix socket paths are limited to ~100 bytes: stay out of a long $TMPDIR.
        let dir = tempfile::Builder::new()
            .prefix("woolink-kc.")
            .tempdir_in(if cfg!(unix) {
                Path::new("/tmp")
            } else {
                Path::new(".")
            })
            .expect("create a temp dir for the private keychain");
        for sub in ["home", "data", "config", "cache", "run"] {
            fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dir.path().join("run"), fs::Permissions::from_mode(0o700)).unwrap();
        }
        let config = dir.path().join("bus.conf");
        fs::write(&config, bus_config(&dir.path().join("bus"))).unwrap();
        let output = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--fork", "--print-address=1", "--print-pid=1"])
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("run dbus-daemon (apt-get install dbus-daemon)");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let mut lines = stdout.lines();
        let (Some(bus_address), Some(pid)) = (lines.next(), lines.next()) else {
            panic!(
                "dbus-daemon did not start ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        };
        Self {
            bus_address: bus_address.trim().to_owned(),
            dbus_pid: pid.trim().parse().expect("dbus-daemon prints its pid"),
            dir,
        }
    }

    /// A Secret Service whose keyring was never unlocked: no login keyring, no default
    /// collection. Lookups answer "no such item", writes fail.
    pub fn start_never_unlocked() -> Self {
        let keychain = Self::start_without_secret_service();
        keychain.start_gnome_keyring(&["--start", "--components=secrets"], None);
        keychain
    }

    fn start_gnome_keyring(&self, args: &[&str], password: Option<&str>) {
        let log = fs::File::create(self.dir.path().join("gnome-keyring.log")).unwrap();
        let mut child = self
            .command("gnome-keyring-daemon")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("run gnome-keyring-daemon (apt-get install gnome-keyring)");
        let mut stdin = child.stdin.take().unwrap();
        if let Some(password) = password {
            stdin.write_all(password.as_bytes()).unwrap();
        }
        drop(stdin);
        let status = child.wait().unwrap();
        assert!(
            status.success(),
            "gnome-keyring-daemon failed: {status}; {}",
            self.log()
        );
        let deadline = Instant::now() + READY_TIMEOUT;
        while !self.secrets_has_owner() {
            assert!(
                Instant::now() < deadline,
                "org.freedesktop.secrets got no owner within {READY_TIMEOUT:?}; {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn secrets_has_owner(&self) -> bool {
        let output = self
            .command("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .expect("run dbus-send");
        String::from_utf8_lossy(&output.stdout).contains("boolean true")
    }

    fn log(&self) -> String {
        let log = fs::read_to_string(self.dir.path().join("gnome-keyring.log")).unwrap_or_default();
        format!("gnome-keyring said: {log}")
    }

    pub fn bus_address(&self) -> &str {
        &self.bus_address
    }

    /// A scratch folder inside the keychain's temp dir (e.g. for WOOLINK_CONFIG_DIR).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// What a process needs to use this keychain and nothing of the real user's.
    pub fn env(&self) -> Vec<(String, String)> {
        let path = |sub: &str| self.dir.path().join(sub).display().to_string();
        vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus_address.clone()),
            ("HOME".into(), path("home")),
            ("XDG_DATA_HOME".into(), path("data")),
            ("XDG_CONFIG_HOME".into(), path("config")),
            ("XDG_CACHE_HOME".into(), path("cache")),
            ("XDG_RUNTIME_DIR".into(), path("run")),
        ]
    }

    /// `program` with a scrubbed environment: PATH and [`Self::env`] only.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command.env_clear().envs(self.env());
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command
    }

    /// What `secret-tool search --all service SERVICE` shows (stdout and stderr: it prints the
    /// attributes, `attribute.service = …` and `attribute.username = …`, on stderr). Empty when
    /// nothing matches. The dbus keyring store names its attributes `service` and `username`.
    pub fn search(&self, service: &str) -> String {
        let output = self
            .command("secret-tool")
            .args(["search", "--all", "service", service])
            .stdin(Stdio::null())
            .output()
            .expect("run secret-tool (apt-get install libsecret-tools)");
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }
}

impl PrivateKeychain {
    /// Every account entry woolink keeps here (service `woolink`, user the account id), as
    /// [`Self::search`] shows them, secrets included.
    pub fn woolink_entries(&self) -> String {
        self.search("woolink")
    }

    /// The users (account ids) of woolink's account entries, sorted.
    pub fn woolink_users(&self) -> Vec<String> {
        let mut users: Vec<String> = self
            .woolink_entries()
            .lines()
            .filter_map(|line| line.strip_prefix("attribute.username = "))
            .map(|user| user.trim().to_owned())
            .collect();
        users.sort();
        users
    }

    /// What the entry `service`/`user` holds, if there is one.
    pub fn lookup(&self, service: &str, user: &str) -> Option<String> {
        let output = self
            .command("secret-tool")
            .args(["lookup", "service", service, "username", user])
            .stdin(Stdio::null())
            .output()
            .expect("run secret-tool");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.success() && !text.is_empty()).then_some(text)
    }

    /// Writes `secret` into the entry `service`/`user`, as the dbus keyring store names it.
    pub fn store(&self, service: &str, user: &str, secret: &str) {
        let mut child = self
            .command("secret-tool")
            .args(["store", "--label=woolink test"])
            .args(["service", service, "username", user])
            .stdin(Stdio::piped())
            .spawn()
            .expect("run secret-tool");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(secret.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "secret-tool store");
    }

    /// Deletes the entry `service`/`user`.
    pub fn clear(&self, service: &str, user: &str) {
        let status = self
            .command("secret-tool")
            .args(["clear", "service", service, "username", user])
            .status()
            .expect("run secret-tool");
        assert!(status.success(), "secret-tool clear");
    }
}

impl Drop for PrivateKeychain {
    fn drop(&mut self) {
        // By PID only: other tests' buses keep running.
        let _ = Command::new("kill")
            .arg(self.dbus_pid.to_string())
            .stderr(Stdio::null())
            .status();
    }
}

/// Panics unless the test running on this thread is marked `#[ignore = WHY_IGNORED]`, so that a
/// test that needs a Secret Service cannot slip into plain `cargo test`, where a machine without
/// one would fail it. libtest names each test's thread after the test; the test binary itself
/// lists its tests and its ignored tests (`--list`, `--list --ignored`). A thread that is not a
/// test's (a thread a test started) is not checked.
fn assert_ignored_test() {
    static LISTS: OnceLock<(HashSet<String>, HashSet<String>)> = OnceLock::new();
    let thread = std::thread::current();
    let Some(name) = thread.name() else { return };
    let (all, ignored) = LISTS.get_or_init(|| (listed_tests(false), listed_tests(true)));
    assert!(
        !all.contains(name) || ignored.contains(name),
        "{name} starts a private Secret Service, which a contributor's machine may not have: \
         mark it #[ignore = \"{WHY_IGNORED}\"] (CI runs it with --include-ignored)"
    );
}

/// The names of this test binary's tests (only the ignored ones if `ignored`).
fn listed_tests(ignored: bool) -> HashSet<String> {
    let mut command = Command::new(std::env::current_exe().expect("the test binary's path"));
    command.arg("--list");
    if ignored {
        command.arg("--ignored");
    }
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("list the test binary's tests");
    assert!(output.status.success(), "--list failed: {}", output.status);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

/// A session bus listening only on `socket`, allowing everything, activating nothing.
fn bus_config(socket: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        socket.display()
    )
}

/// One config folder and one private Secret Service, shared by every run of a test that links
/// accounts into the keychain and uses them again.
pub struct KeychainHome {
    pub keychain: PrivateKeychain,
    /// The run whose config folder every later run shares.
    pub first: crate::harness::Woolink,
}

impl KeychainHome {
    pub fn new() -> Self {
        Self {
            keychain: PrivateKeychain::start(),
            first: crate::harness::Woolink::new(),
        }
    }

    /// A run in this config folder and keychain.
    pub fn woolink(&self) -> crate::harness::Woolink {
        let mut woolink = crate::harness::Woolink::new();
        woolink
            .env("DBUS_SESSION_BUS_ADDRESS", self.keychain.bus_address())
            .env(
                "WOOLINK_CONFIG_DIR",
                self.first.config_dir().to_string_lossy(),
            );
        woolink
    }

    /// The account index as the runs left it.
    pub fn index(&self) -> String {
        std::fs::read_to_string(self.first.config_dir().join("accounts.json")).unwrap()
    }

    /// What the keychain holds for the accounts (every test has a keychain of its own),
    /// secrets included.
    pub fn kept(&self) -> String {
        self.keychain.woolink_entries()
    }

    /// The same, trusting `store`'s CA.
    pub fn trusting(&self, store: &crate::store::TestStore) -> crate::harness::Woolink {
        let mut woolink = self.woolink();
        woolink.env("WOOLINK_CA_CERT", store.ca_cert_path().to_string_lossy());
        woolink
    }
}
