//! Private files written atomically under a lock: the one discipline shared by the account index
//! and the plaintext credentials file, both kept as [`VersionedJson`].
//!
//! Writers take an exclusive lock on a sibling `.lock` file, re-read, write a temp file in the
//! same folder, `sync_all`, rename it over the target and (on unix) fsync the folder. Readers
//! take no lock: a rename is atomic, so they see the old or the new file, never half of one. A
//! writer killed mid-way leaves at most a `.<name>.*.tmp` file, which nothing ever reads.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

/// How long a writer waits for another woolink process to finish. Generous because a writer
/// may hold the lock across a keychain call (each bounded, see `credstore`).
pub(crate) const LOCK_WAIT: Duration = Duration::from_secs(60);

/// Creates `dir` (and missing parents) readable by the owner only.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// An exclusive lock on `path` (created if missing), held until the `File` is dropped; `None`
/// when another process still holds it after `wait`. Polls, sleeping on the runtime's timer
/// between tries, instead of blocking: a stuck writer cannot hang this one forever, and the
/// runtime's one thread is free while it waits.
pub(crate) async fn lock_exclusive(path: &Path, wait: Duration) -> io::Result<Option<File>> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    // A lock file that is a symbolic link is not followed: it could point anywhere.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
        let no_follow = rustix::fs::OFlags::NOFOLLOW.bits();
        options.custom_flags(i32::try_from(no_follow).expect("O_NOFOLLOW fits an int"));
    }
    let file = options.open(path)?;
    let polling = async {
        let mut pause = Duration::from_millis(2);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(()),
                Err(fs::TryLockError::WouldBlock) => tokio::time::sleep(pause).await,
                Err(fs::TryLockError::Error(err)) => return Err(err),
            }
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    };
    match tokio::time::timeout(wait, polling).await {
        Ok(locked) => locked.map(|()| Some(file)),
        Err(_elapsed) => Ok(None),
    }
}

/// Replaces `path` with `bytes` atomically, mode 0600. The caller holds the lock.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().expect("a file in a folder");
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o600));
    }
    let mut temp = builder.tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|err| err.error)?;
    // Makes the rename itself durable.
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// A JSON file `{"version": N, ...}` in a private folder, changed only under its lock file. A
/// file this woolink cannot understand (damaged, or from a newer woolink) is reported and never
/// overwritten: every write follows a read under the lock, and a failed read stops it.
#[derive(Debug, Clone)]
pub(crate) struct VersionedJson {
    pub(crate) dir: PathBuf,
    pub(crate) file_name: &'static str,
    pub(crate) lock_name: &'static str,
    /// The newest format this woolink reads, and the one it writes.
    pub(crate) version: u32,
    /// The file holds secrets, so its errors never quote it: a damaged file's detail is only
    /// the kind of fault serde found and where, never serde's words, which can quote content.
    pub(crate) holds_secrets: bool,
}

/// What went wrong with a [`VersionedJson`] file, worded for the account index, whose error
/// this is (`index::IndexError`); the credentials file words its own (`credstore::file`).
/// Each message names the file and what woolink was doing. `Corrupt`'s detail may quote the
/// file's content, unless the file holds secrets ([`VersionedJson::holds_secrets`]).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("could not read the account index {}: {source}", .path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "the account index {} is damaged ({detail}); woolink left it untouched: repair it or move it away, then link your stores again with `woolink connect` (keychain entries are kept)",
        .path.display()
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the account index {} was written by a newer woolink (format version {found}; this woolink reads up to {newest}); woolink left it untouched: upgrade woolink",
        .path.display()
    )]
    TooNew {
        path: PathBuf,
        found: u64,
        newest: u32,
    },
    #[error("could not create woolink's config folder {}: {source}", .path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("could not lock the account index (lock file {}): {source}", .path.display())]
    Lock { path: PathBuf, source: io::Error },
    #[error(
        "another woolink process has been changing the account index for {} (lock file {}); try again when it has finished",
        humantime::format_duration(*.waited), .path.display()
    )]
    LockTimedOut { path: PathBuf, waited: Duration },
    #[error("could not save the account index {}: {source}", .path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// The body of a [`VersionedJson`] file, written after its version.
#[derive(Serialize)]
struct Versioned<'a, T> {
    version: u32,
    #[serde(flatten)]
    body: &'a T,
}

#[derive(serde::Deserialize)]
struct VersionOnly {
    #[serde(default)]
    version: serde_json::Value,
}

impl VersionedJson {
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.join(self.file_name)
    }

    /// The file's body, `None` when there is no file. No lock, no folder creation. A leading
    /// byte-order mark is tolerated; the bytes read are wiped once parsed.
    pub(crate) fn read<T: DeserializeOwned>(&self) -> Result<Option<T>, IndexError> {
        let path = self.path();
        let mut bytes = match fs::read(&path) {
            Ok(bytes) => Zeroizing::new(bytes),
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(IndexError::Read { path, source }),
        };
        // A hand edit in Notepad: the mark is dropped in place, so no copy of the bytes is left.
        if crate::domain::bom::starts(&bytes) {
            bytes.drain(..3);
        }
        let corrupt = |detail| IndexError::Corrupt {
            path: path.clone(),
            detail,
        };
        let head: VersionOnly = serde_json::from_slice(&bytes)
            .map_err(|err| corrupt(format!("not valid JSON: {}", self.fault(&err))))?;
        let Some(found) = head.version.as_u64() else {
            return Err(corrupt("no format version number".to_owned()));
        };
        if found > u64::from(self.version) {
            let newest = self.version;
            return Err(IndexError::TooNew {
                path,
                found,
                newest,
            });
        }
        if found != u64::from(self.version) {
            return Err(corrupt(format!("unknown format version {found}")));
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|err| corrupt(self.fault(&err)))
    }

    /// What serde found wrong with the file, in its words unless the file holds secrets.
    fn fault(&self, err: &serde_json::Error) -> String {
        if !self.holds_secrets {
            return err.to_string();
        }
        let fault = match err.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "a syntax error",
            serde_json::error::Category::Data => "a missing field or a value of the wrong type",
            serde_json::error::Category::Eof => "cut short",
        };
        format!("{fault} at line {} column {}", err.line(), err.column())
    }

    /// Takes the lock (creating the folder, 0700, if needed), waiting at most `wait` for
    /// another process to release it, then reads the file afresh. Keep the returned lock while
    /// you read-modify-[`write`](Self::write); dropping it releases it.
    pub(crate) async fn lock<T: DeserializeOwned>(
        &self,
        wait: Duration,
    ) -> Result<(File, Option<T>), IndexError> {
        let path = self.dir.clone();
        create_private_dir(&path).map_err(|source| IndexError::CreateDir { path, source })?;
        let path = self.dir.join(self.lock_name);
        match lock_exclusive(&path, wait).await {
            Ok(Some(lock)) => Ok((lock, self.read()?)),
            Ok(None) => Err(IndexError::LockTimedOut { path, waited: wait }),
            Err(source) => Err(IndexError::Lock { path, source }),
        }
    }

    /// Replaces the file with `body` after the version (see [`write_atomic`]). The caller
    /// holds the lock from [`lock`](Self::lock). The bytes written are wiped afterwards.
    pub(crate) fn write<T: Serialize>(&self, body: &T) -> Result<(), IndexError> {
        let versioned = Versioned {
            version: self.version,
            body,
        };
        let mut bytes =
            Zeroizing::new(serde_json::to_vec_pretty(&versioned).expect("serializes to JSON"));
        bytes.push(b'\n');
        let path = self.path();
        write_atomic(&path, &bytes).map_err(|source| IndexError::Write { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Body {
        items: Vec<String>,
    }

    fn versioned(dir: &Path) -> VersionedJson {
        VersionedJson {
            dir: dir.to_path_buf(),
            file_name: "x.json",
            lock_name: "x.lock",
            version: 1,
            holds_secrets: false,
        }
    }

    #[tokio::test]
    async fn versioned_json_writes_its_version_first_and_reads_past_a_bom() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("woolink");
        let file = versioned(&dir);
        assert_eq!(file.read::<Body>().unwrap(), None);
        assert!(!dir.exists(), "reads create nothing");
        let (_lock, none) = file.lock::<Body>(LOCK_WAIT).await.unwrap();
        assert_eq!(none, None);
        let body = Body {
            items: vec!["a".into()],
        };
        file.write(&body).unwrap();
        let text = fs::read_to_string(file.path()).unwrap();
        assert_eq!(
            text,
            "{\n  \"version\": 1,\n  \"items\": [\n    \"a\"\n  ]\n}\n"
        );
        fs::write(
            file.path(),
            [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
        )
        .unwrap();
        assert_eq!(file.read::<Body>().unwrap(), Some(body));
    }

    #[tokio::test]
    async fn versioned_json_refuses_what_it_cannot_read_before_any_write() {
        let cases: &[(&[u8], &str)] = &[
            (b"{\"version\": 2, \"items\": []}", "TooNew"),
            (b"{\"version\": 0, \"items\": []}", "Corrupt"),
            (b"{\"items\": []}", "Corrupt"),
            (b"{\"version\": 1, \"items\": 3}", "Corrupt"),
            (b"{\"version\": 1, \"ite", "Corrupt"),
        ];
        for (bytes, expected) in cases {
            let dir = tempfile::tempdir().unwrap();
            let file = versioned(dir.path());
            fs::write(file.path(), bytes).unwrap();
            let err = file.lock::<Body>(LOCK_WAIT).await.unwrap_err();
            assert!(format!("{err:?}").starts_with(expected), "{err:?}");
            assert_eq!(&fs::read(file.path()).unwrap(), bytes);
        }
    }

    #[tokio::test]
    async fn second_lock_waits_then_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let _held = lock_exclusive(&path, LOCK_WAIT).await.unwrap();
        let second = lock_exclusive(&path, Duration::from_millis(50)).await;
        assert!(
            matches!(second, Ok(None)),
            "expected a timeout, got {second:?}"
        );
    }
}
