//! Runs the real `woolink` binary with a scrubbed environment: a temporary HOME and config
//! folder, no colour, and no way to reach the developer's own keychain or config.

use std::path::PathBuf;
use std::time::Duration;

use tempfile::TempDir;

use crate::store::{TestKey, TestStore};

/// A test run of woolink, with its own home and config folder.
pub struct Woolink {
    home: TempDir,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    stdin: Option<String>,
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    /// The signal that ended the process, if one did (Unix).
    #[cfg_attr(not(unix), allow(dead_code))] // signals exist on Unix only
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Woolink {
    pub fn new() -> Self {
        Self {
            home: tempfile::tempdir().expect("temp home"),
            args: Vec::new(),
            envs: Vec::new(),
            stdin: None,
        }
    }

    /// The config folder the binary is pointed at (it may not exist yet).
    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join("config")
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.envs.push((name.to_owned(), value.into()));
        self
    }

    pub fn stdin(&mut self, text: impl Into<String>) -> &mut Self {
        self.stdin = Some(text.into());
        self
    }

    /// `connect --no-save` against `store` with the key and secret given the scripted way.
    pub fn connect_args(&mut self, url: &str, key: &str, secret: &str) -> &mut Self {
        self.args([
            "connect",
            "--url",
            url,
            "--consumer-key",
            key,
            "--consumer-secret-stdin",
        ])
        .stdin(secret)
    }

    /// The command line with the scrubbed environment and this run's args and variables,
    /// for tests that run woolink some other way (in a pseudo-terminal, in a pipe).
    pub fn std_command(&self) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_woolink"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("USERPROFILE", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("xdg-config"))
            .env("XDG_DATA_HOME", self.home.path().join("xdg-data"))
            .env("WOOLINK_CONFIG_DIR", self.config_dir())
            // No session bus unless a test brings its own Secret Service.
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/woolink-test-bus",
            )
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .args(&self.args);
        for (name, value) in &self.envs {
            command.env(name, value);
        }
        command
    }

    pub fn run(&mut self) -> Outcome {
        let mut command = assert_cmd::Command::from_std(self.std_command());
        command.timeout(Duration::from_secs(60));
        command.write_stdin(self.stdin.clone().unwrap_or_default());
        let output = command.output().expect("woolink runs");
        #[cfg(unix)]
        let signal = std::os::unix::process::ExitStatusExt::signal(&output.status);
        #[cfg(not(unix))]
        let signal = None;
        Outcome {
            code: output.status.code().unwrap_or(-1),
            signal,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Every file under the run's home, with its content, for secret scans.
    pub fn files_written(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut pending = vec![self.home.path().to_owned()];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
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

    /// Asserts that the secret appears in no file the run wrote.
    pub fn assert_secret_not_on_disk(&self, secret: &str) {
        self.assert_secret_only_in(secret, &[]);
    }

    /// Asserts that the secret appears in no file the run wrote but those named.
    pub fn assert_secret_only_in(&self, secret: &str, allowed: &[PathBuf]) {
        for (path, content) in self.files_written() {
            if allowed.contains(&path) {
                continue;
            }
            let text = String::from_utf8_lossy(&content);
            assert!(
                !text.contains(secret),
                "the secret was written to {}",
                path.display()
            );
        }
    }

    /// Asserts that nothing at all was written under the config folder.
    pub fn assert_nothing_written(&self) {
        let config = self.config_dir();
        let written: Vec<_> = self
            .files_written()
            .into_iter()
            .filter(|(path, _)| path.starts_with(&config))
            .map(|(path, _)| path)
            .collect();
        assert!(written.is_empty(), "files were written: {written:?}");
    }
}

impl Outcome {
    /// Asserts the exit code, showing everything printed when it is wrong.
    pub fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn assert_stderr_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    pub fn assert_stdout_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n--- stdout\n{}",
            self.stdout
        );
        self
    }

    /// Neither the secret nor any long piece of it appears in what was printed.
    pub fn assert_no_secret(&self, secret: &str) -> &Self {
        for (stream, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            assert!(
                !text.contains(secret),
                "the secret appears on {stream}:\n{text}"
            );
            assert!(
                !text.contains(&secret[3..]),
                "part of the secret appears on {stream}:\n{text}"
            );
        }
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| {
            panic!("stdout is not one JSON document ({err}):\n{}", self.stdout)
        })
    }
}

/// Replaces what changes from run to run (ports, key suffixes, times, temp folders) with
/// placeholders, so snapshots of what people read hold only what woolink decides.
pub struct Redactor {
    pairs: Vec<(String, String)>,
}

impl Redactor {
    /// Nothing but temp folders replaced.
    pub fn new() -> Self {
        Self { pairs: Vec::new() }
    }

    /// The store's port as `PORT` and the key's last seven characters as `SUFFIX7`.
    pub fn for_store(store: &TestStore, key: &TestKey) -> Self {
        Self::new().port_of(store, "PORT").key(key, "SUFFIX7")
    }

    /// Another store's (or server's) port, as `label`.
    pub fn port_of(self, store: &TestStore, label: &str) -> Self {
        let port = store.origin().rsplit(':').next().unwrap().to_owned();
        self.port(&port, label)
    }

    /// A port, as `label`, wherever it follows a colon; default account names keep the port
    /// after a dash.
    pub fn port(self, port: &str, label: &str) -> Self {
        self.also(&format!(":{port}"), &format!(":{label}"))
            .also(&format!("localhost-{port}"), &format!("localhost-{label}"))
            .also(&format!("127.0.0.1-{port}"), &format!("127.0.0.1-{label}"))
    }

    /// The key's last seven characters (all woolink ever shows of it), as `label`.
    pub fn key(self, key: &TestKey, label: &str) -> Self {
        let suffix = key.key[key.key.len() - 7..].to_owned();
        self.also(&suffix, label)
    }

    pub fn also(mut self, from: &str, to: &str) -> Self {
        self.pairs.push((from.to_owned(), to.to_owned()));
        self
    }

    pub fn apply(&self, text: &str) -> String {
        let text = self
            .pairs
            .iter()
            .fold(text.to_owned(), |text, (from, to)| text.replace(from, to));
        ca_copy_names_replaced(&temp_names_replaced(&text))
    }

    /// Both streams, whole, under headers.
    pub fn both(&self, outcome: &Outcome) -> String {
        format!(
            "--- stdout\n{}--- stderr\n{}",
            self.apply(&outcome.stdout),
            self.apply(&outcome.stderr)
        )
    }
}

/// `text` with the name of every kept CA certificate (`ca/<SHA-256 in hex>.pem`; the test
/// store's certificate is made anew each run) replaced by `ca/SHA256.pem`.
fn ca_copy_names_replaced(text: &str) -> String {
    replaced_after(text, "ca/", "SHA256", |after| {
        let hex = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        (hex == 64 && after[hex..].starts_with(".pem")).then_some(hex)
    })
}

/// `text` with the random part of every temp folder name (`.tmpAbC123`, as the tempfile
/// crate names them) replaced by `XXXXXX`.
fn temp_names_replaced(text: &str) -> String {
    replaced_after(text, ".tmp", "XXXXXX", |after| {
        let random = after
            .bytes()
            .take(6)
            .take_while(u8::is_ascii_alphanumeric)
            .count();
        (random == 6).then_some(random)
    })
}

/// `text` with what follows each `mark` replaced by `placeholder`, where `varying` says how
/// many bytes after the mark vary from run to run (`None`: the mark is something else).
fn replaced_after(
    text: &str,
    mark: &str,
    placeholder: &str,
    varying: impl Fn(&str) -> Option<usize>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(mark) {
        let (before, from_mark) = rest.split_at(at);
        out.push_str(before);
        out.push_str(mark);
        let after = &from_mark[mark.len()..];
        match varying(after) {
            Some(len) => {
                out.push_str(placeholder);
                rest = &after[len..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}
