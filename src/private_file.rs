//! Private files written atomically under a lock: the one discipline shared by the account index
//! and the plaintext credentials file.
//!
//! Writers take an exclusive lock on a sibling `.lock` file, re-read, write a temp file in the
//! same folder, `sync_all`, rename it over the target and (on unix) fsync the folder. Readers
//! take no lock: a rename is atomic, so they see the old or the new file, never half of one. A
//! writer killed mid-way leaves at most a `.<name>.*.tmp` file, which nothing ever reads.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

/// Why a lock could not be taken.
#[derive(Debug)]
pub(crate) enum LockError {
    Io(io::Error),
    TimedOut(Duration),
}

/// An exclusive lock on `path` (created if missing), held until the `File` is dropped.
/// Polls instead of blocking so that a stuck writer cannot hang this one forever.
pub(crate) fn lock_exclusive(path: &Path, wait: Duration) -> Result<File, LockError> {
    let mut options = private_options();
    options.read(true).write(true).create(true).truncate(false);
    // A lock file that is a symbolic link is not followed: it could point anywhere.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let no_follow = rustix::fs::OFlags::NOFOLLOW.bits();
        options.custom_flags(i32::try_from(no_follow).expect("O_NOFOLLOW fits an int"));
    }
    let file = options.open(path).map_err(LockError::Io)?;
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(2);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(fs::TryLockError::WouldBlock) => return Err(LockError::TimedOut(wait)),
            Err(fs::TryLockError::Error(err)) => return Err(LockError::Io(err)),
        }
    }
}

/// The file's bytes, or `None` when it does not exist. A leading byte-order mark (a hand edit
/// in Notepad) is dropped in place, so no copy of the bytes is left behind.
pub(crate) fn read_optional(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(mut bytes) => {
            if crate::bom::starts(&bytes) {
                bytes.drain(..3);
            }
            Ok(Some(bytes))
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// Replaces `path` with `bytes` atomically, mode 0600. The caller holds the lock.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent(path);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o600));
    }
    let mut temp = builder.tempfile_in(&dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|err| err.error)?;
    sync_dir(&dir)
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes the rename itself durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
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

    #[test]
    fn second_lock_waits_then_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let _held = lock_exclusive(&path, LOCK_WAIT).unwrap();
        match lock_exclusive(&path, Duration::from_millis(50)) {
            Err(LockError::TimedOut(_)) => {}
            other => panic!("expected a timeout, got {other:?}"),
        }
    }
}
