//! The plaintext credentials file, used only when the user chooses it (`--store file`): a
//! versioned JSON map in the config folder, mode 0600, written atomically under
//! `credentials.lock` with the same discipline as the account index.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{CredStoreError, CredentialStore, EntryId, Stored};
use crate::account::SecretStorage;
use crate::keys::Credentials;
use crate::private_file::{self, LockError};

pub const CREDENTIALS_FILE: &str = "credentials.json";
const LOCK_FILE: &str = "credentials.lock";
const VERSION: u64 = 1;

/// Keys are `"<service>\n<user>"`; values are what a keychain entry would hold.
#[derive(Serialize, Deserialize, Default)]
struct CredentialsFile {
    version: u64,
    entries: BTreeMap<String, Stored>,
}

/// Credentials in `credentials.json` in the config folder.
#[derive(Debug, Clone)]
pub struct PlaintextFileStore {
    dir: PathBuf,
}

impl PlaintextFileStore {
    pub fn new(config_dir: &Path) -> Self {
        Self {
            dir: config_dir.to_path_buf(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(CREDENTIALS_FILE)
    }

    fn read(&self) -> Result<CredentialsFile, CredStoreError> {
        let path = self.path();
        let bytes = match private_file::read_optional(&path) {
            Ok(Some(bytes)) => Zeroizing::new(bytes),
            Ok(None) => {
                return Ok(CredentialsFile {
                    version: VERSION,
                    ..Default::default()
                });
            }
            Err(err) => return Err(failed(format!("could not read {}: {err}", path.display()))),
        };
        let untouched = "; woolink left it untouched";
        let file: CredentialsFile = serde_json::from_slice(&bytes).map_err(|_| {
            failed(format!(
                "the credentials file {} is damaged{untouched}: repair it or move it away and link the stores again",
                path.display()
            ))
        })?;
        if file.version != VERSION {
            return Err(failed(format!(
                "the credentials file {} has format version {} (this woolink reads {VERSION}){untouched}: upgrade woolink",
                path.display(),
                file.version
            )));
        }
        Ok(file)
    }

    /// Locked read-modify-write; `change` decides whether anything is written.
    fn update<T>(
        &self,
        change: impl FnOnce(&mut CredentialsFile) -> Result<T, CredStoreError>,
    ) -> Result<T, CredStoreError> {
        private_file::create_private_dir(&self.dir).map_err(|err| {
            failed(format!(
                "could not create the folder {}: {err}",
                self.dir.display()
            ))
        })?;
        let lock_path = self.dir.join(LOCK_FILE);
        let _lock =
            private_file::lock_exclusive(&lock_path, private_file::LOCK_WAIT).map_err(|err| {
                match err {
                    LockError::Io(err) => {
                        failed(format!("could not lock {}: {err}", lock_path.display()))
                    }
                    LockError::TimedOut(_) => failed(format!(
                        "another woolink process holds {}; try again when it has finished",
                        lock_path.display()
                    )),
                }
            })?;
        let mut file = self.read()?;
        let value = change(&mut file)?;
        let bytes = Zeroizing::new(serde_json::to_vec_pretty(&file).expect("serializes"));
        let path = self.path();
        private_file::write_atomic(&path, &bytes)
            .map_err(|err| failed(format!("could not save {}: {err}", path.display())))?;
        Ok(value)
    }
}

fn key(id: &EntryId) -> String {
    format!("{}\n{}", id.service, id.user)
}

fn failed(message: String) -> CredStoreError {
    CredStoreError::Failed(message)
}

impl CredentialStore for PlaintextFileStore {
    fn storage(&self) -> SecretStorage {
        SecretStorage::PlaintextFile
    }

    fn set(&self, id: &EntryId, creds: &Credentials) -> Result<(), CredStoreError> {
        self.update(|file| {
            file.entries.insert(key(id), Stored::new(creds));
            Ok(())
        })
    }

    fn get(&self, id: &EntryId) -> Result<Credentials, CredStoreError> {
        let file = self.read()?;
        let entry = file.entries.get(&key(id)).ok_or(CredStoreError::NotFound)?;
        entry.credentials()
    }

    fn delete(&self, id: &EntryId) -> Result<(), CredStoreError> {
        // Absent: report it without rewriting the file.
        if !self.read()?.entries.contains_key(&key(id)) {
            return Err(CredStoreError::NotFound);
        }
        self.update(|file| match file.entries.remove(&key(id)) {
            Some(_) => Ok(()),
            None => Err(CredStoreError::NotFound),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::credstore::tests::{SECRET, SECRET2, creds};

    #[test]
    fn round_trip_in_a_private_file() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("woolink");
        let store = PlaintextFileStore::new(&dir);
        let a = EntryId::new("https://a.example", "a");
        let b = EntryId::new("https://b.example", "b");
        assert!(matches!(store.get(&a), Err(CredStoreError::NotFound)));
        assert!(matches!(store.delete(&a), Err(CredStoreError::NotFound)));
        assert!(!dir.exists(), "reads create nothing");
        store.set(&a, &creds(SECRET)).unwrap();
        store.set(&b, &creds(SECRET2)).unwrap();
        assert_eq!(store.get(&a).unwrap().secret.expose(), SECRET);
        store.delete(&a).unwrap();
        assert!(matches!(store.get(&a), Err(CredStoreError::NotFound)));
        assert_eq!(store.get(&b).unwrap().secret.expose(), SECRET2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn damaged_file_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = PlaintextFileStore::new(dir.path());
        fs::write(store.path(), b"{\"version\": 1, \"entr").unwrap();
        let id = EntryId::new("https://a.example", "a");
        let err = store.set(&id, &creds(SECRET)).unwrap_err();
        assert!(err.to_string().contains("untouched"), "{err}");
        assert_eq!(fs::read(store.path()).unwrap(), b"{\"version\": 1, \"entr");
    }
}
