//! The plaintext credentials file, used only when the user chooses it (`--store file`): a
//! versioned JSON map in the config folder, mode 0600, written atomically under
//! `credentials.lock` with the same discipline as the account index.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CredStoreError, CredentialStore, EntryId, StoreFuture, Stored};
use crate::accounts::private_file::{IndexError, LOCK_WAIT, VersionedJson};
use crate::domain::account::SecretStorage;
use crate::domain::keys::Credentials;

pub const CREDENTIALS_FILE: &str = "credentials.json";
const LOCK_FILE: &str = "credentials.lock";
const VERSION: u32 = 1;

/// The file's body, after its version. Keys are `"<service>\n<user>"`; values are what a
/// keychain entry would hold.
#[derive(Serialize, Deserialize, Default)]
struct CredentialsFile {
    entries: BTreeMap<String, Stored>,
}

/// Credentials in `credentials.json` in the config folder.
#[derive(Debug, Clone)]
pub struct PlaintextFileStore {
    file: VersionedJson,
}

impl PlaintextFileStore {
    pub fn new(config_dir: &Path) -> Self {
        let file = VersionedJson {
            dir: config_dir.to_path_buf(),
            file_name: CREDENTIALS_FILE,
            lock_name: LOCK_FILE,
            version: VERSION,
            holds_secrets: true,
        };
        Self { file }
    }

    pub fn path(&self) -> PathBuf {
        self.file.path()
    }

    fn read(&self) -> Result<CredentialsFile, CredStoreError> {
        self.file
            .read()
            .map(Option::unwrap_or_default)
            .map_err(failed)
    }

    /// Locked read-modify-write; `change` decides whether anything is written.
    async fn update<T>(
        &self,
        change: impl FnOnce(&mut CredentialsFile) -> Result<T, CredStoreError>,
    ) -> Result<T, CredStoreError> {
        let (_lock, file) = self.file.lock(LOCK_WAIT).await.map_err(failed)?;
        let mut file = file.unwrap_or_default();
        let value = change(&mut file)?;
        self.file.write(&file).map_err(failed)?;
        Ok(value)
    }
}

/// What went wrong with the file, in its own words (the error is worded for the account
/// index). A damaged file's detail (which never quotes it, see `holds_secrets`) is left out.
fn failed(err: IndexError) -> CredStoreError {
    let untouched = "woolink left it untouched";
    CredStoreError::Failed(match err {
        IndexError::Read { path, source } => format!("could not read {}: {source}", path.display()),
        IndexError::Corrupt { path, .. } => format!(
            "the credentials file {} is damaged; {untouched}: repair it or move it away and link the stores again",
            path.display()
        ),
        IndexError::TooNew { path, found, .. } => format!(
            "the credentials file {} was written by a newer woolink (format version {found}; this woolink reads up to {VERSION}); {untouched}: upgrade woolink",
            path.display()
        ),
        IndexError::CreateDir { path, source } => {
            format!("could not create the folder {}: {source}", path.display())
        }
        IndexError::Lock { path, source } => format!("could not lock {}: {source}", path.display()),
        IndexError::LockTimedOut { path, .. } => format!(
            "another woolink process holds {}; try again when it has finished",
            path.display()
        ),
        IndexError::Write { path, source } => {
            format!("could not save {}: {source}", path.display())
        }
    })
}

fn key(id: &EntryId) -> String {
    format!("{}\n{}", id.service, id.user)
}

impl CredentialStore for PlaintextFileStore {
    fn storage(&self) -> SecretStorage {
        SecretStorage::PlaintextFile
    }

    fn set<'a>(&'a self, id: &'a EntryId, creds: &'a Credentials) -> StoreFuture<'a, ()> {
        Box::pin(self.update(|file| {
            file.entries.insert(key(id), Stored::new(creds));
            Ok(())
        }))
    }

    fn get<'a>(&'a self, id: &'a EntryId) -> StoreFuture<'a, Credentials> {
        Box::pin(async move {
            let file = self.read()?;
            let entry = file.entries.get(&key(id)).ok_or(CredStoreError::NotFound)?;
            entry.credentials()
        })
    }

    fn delete<'a>(&'a self, id: &'a EntryId) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            // Absent: report it without rewriting the file.
            if !self.read()?.entries.contains_key(&key(id)) {
                return Err(CredStoreError::NotFound);
            }
            let absent = || CredStoreError::NotFound;
            self.update(|file| file.entries.remove(&key(id)).map(drop).ok_or_else(absent))
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::accounts::credstore::tests::{SECRET, SECRET2, creds};

    #[tokio::test]
    async fn round_trip_in_a_private_file() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("woolink");
        let store = PlaintextFileStore::new(&dir);
        let a = EntryId::legacy("https://a.example", "a");
        let b = EntryId::legacy("https://b.example", "b");
        assert!(matches!(store.get(&a).await, Err(CredStoreError::NotFound)));
        assert!(matches!(
            store.delete(&a).await,
            Err(CredStoreError::NotFound)
        ));
        assert!(!dir.exists(), "reads create nothing");
        store.set(&a, &creds(SECRET)).await.unwrap();
        store.set(&b, &creds(SECRET2)).await.unwrap();
        assert_eq!(store.get(&a).await.unwrap().secret.expose(), SECRET);
        store.delete(&a).await.unwrap();
        assert!(matches!(store.get(&a).await, Err(CredStoreError::NotFound)));
        assert_eq!(store.get(&b).await.unwrap().secret.expose(), SECRET2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[tokio::test]
    async fn damaged_file_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = PlaintextFileStore::new(dir.path());
        fs::write(store.path(), b"{\"version\": 1, \"entr").unwrap();
        let id = EntryId::legacy("https://a.example", "a");
        let err = store.set(&id, &creds(SECRET)).await.unwrap_err();
        assert!(err.to_string().contains("untouched"), "{err}");
        assert_eq!(fs::read(store.path()).unwrap(), b"{\"version\": 1, \"entr");
    }

    /// serde's own words would quote the secret (`invalid type: string "cs_…"`); no error
    /// from reading the file does.
    #[tokio::test]
    async fn damage_that_serde_would_quote_is_never_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let store = PlaintextFileStore::new(dir.path());
        let id = EntryId::legacy("https://a.example", "a");
        let entry = format!("{:?}", key(&id));
        for body in [
            format!("{{\"version\": 1, \"entries\": {{{entry}: \"{SECRET}\"}}}}"),
            format!("{{\"version\": 1, \"entries\": \"{SECRET}\"}}"),
        ] {
            fs::write(store.path(), &body).unwrap();
            let quoting = VersionedJson {
                holds_secrets: false,
                ..store.file.clone()
            };
            let quoted = quoting.read::<CredentialsFile>().err().unwrap();
            assert!(quoted.to_string().contains(SECRET), "{body}: {quoted}");
            let corrupt = store.file.read::<CredentialsFile>().err().unwrap();
            assert!(matches!(corrupt, IndexError::Corrupt { .. }), "{corrupt:?}");
            let said = corrupt.to_string();
            assert!(said.contains("wrong type at line 1 column"), "{said}");
            let from_get = store.get(&id).await.unwrap_err();
            let from_set = store.set(&id, &creds(SECRET2)).await.unwrap_err();
            let from_delete = store.delete(&id).await.unwrap_err();
            for text in [
                corrupt.to_string(),
                format!("{corrupt:?}"),
                format!("{from_get} {from_get:?}"),
                format!("{from_set} {from_set:?}"),
                format!("{from_delete} {from_delete:?}"),
            ] {
                assert!(!text.contains(SECRET), "{body}: {text}");
                assert!(!text.contains(&SECRET[3..13]), "{body}: {text}");
            }
            assert_eq!(fs::read(store.path()).unwrap(), body.as_bytes());
        }
    }

    #[tokio::test]
    async fn a_file_from_a_newer_woolink_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = PlaintextFileStore::new(dir.path());
        let newer = b"{\"version\": 2, \"entries\": {}}";
        fs::write(store.path(), newer).unwrap();
        let id = EntryId::legacy("https://a.example", "a");
        let err = store.set(&id, &creds(SECRET)).await.unwrap_err();
        assert!(err.to_string().contains("newer woolink"), "{err}");
        assert!(err.to_string().contains("untouched"), "{err}");
        assert_eq!(fs::read(store.path()).unwrap(), newer);
    }
}
