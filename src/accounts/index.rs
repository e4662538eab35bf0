//! The account index: `accounts.json` in the config folder, `{"version": 1, "accounts": [...]}`,
//! plus an optional `"default": NAME`, the account used when a command is given none, and
//! `"pending": [...]`, the credential store changes under way ([`Pending`]; see `vault`).
//!
//! It holds metadata only (no secret), so `accounts list` never needs the keychain. Reads take no
//! lock and create nothing. Writes go through [`Index::lock`] / [`Index::update`]: an exclusive
//! lock on `accounts.lock`, a fresh re-read, then an atomic replace (see `private_file`), so two
//! `woolink connect` at once both land. Only a [`LockedIndex`] can be written, so no write can
//! skip the lock. A file woolink cannot understand is never overwritten.

use std::fs::File;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::accounts::credstore::EntryId;
pub use crate::accounts::private_file::IndexError;
use crate::accounts::private_file::{LOCK_WAIT, VersionedJson};
use crate::domain::account::{Account, SecretStorage};

pub const INDEX_FILE: &str = "accounts.json";
pub const LOCK_FILE: &str = "accounts.lock";
/// The newest index format this woolink reads and the one it writes.
pub const INDEX_VERSION: u32 = 1;

/// A credential store entry being written for an account, recorded in the index (under its
/// lock) before the entry is written, and cleared once the entry and the index agree. One left
/// behind names what a killed woolink was doing; the next command finishes or undoes it
/// (`vault::recover`). Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The account id whose entry is written: the change happened once an account has it.
    pub id: String,
    /// Where that entry is written.
    pub storage: SecretStorage,
    /// The account's name, for messages.
    pub name: String,
    /// The entry the new one takes the place of, deleted once the index names `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<PendingEntry>,
}

/// An entry named in a [`Pending`] record: where it is, and its service and user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEntry {
    pub storage: SecretStorage,
    #[serde(flatten)]
    pub id: EntryId,
}

fn file(dir: &Path) -> VersionedJson {
    VersionedJson {
        dir: dir.to_path_buf(),
        file_name: INDEX_FILE,
        lock_name: LOCK_FILE,
        version: INDEX_VERSION,
        holds_secrets: false,
    }
}

/// The index, written as the file's body after its version. [`Index::lock`] reads it under
/// its lock into a [`LockedIndex`]: change its fields, then [`LockedIndex::write`].
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Index {
    /// The default account's name. Written only while it names an account, so removing the
    /// default account clears it. Added within version 1: older files have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    pub accounts: Vec<Account>,
    /// Credential store changes under way: kept as they are by whoever writes the index, and
    /// changed only by `vault`. Added within version 1: older files have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Pending>,
}

/// The index read under its lock, which is held until this is dropped: the only way to write
/// the index.
#[derive(Debug)]
pub struct LockedIndex {
    index: Index,
    file: VersionedJson,
    _lock: File,
}

impl Index {
    pub fn path(dir: &Path) -> PathBuf {
        file(dir).path()
    }

    /// The index as it is on disk (its `pending` records: changes a killed woolink left
    /// unfinished); a missing file (or folder) is an empty index. No lock, no writes, no folder
    /// creation.
    pub fn read(dir: &Path) -> Result<Index, IndexError> {
        let mut index: Index = file(dir).read()?.unwrap_or_default();
        index.default = live_default(&index.accounts, index.default.take());
        Ok(index)
    }

    /// All accounts, in file order (see [`read`](Self::read)).
    pub fn load(dir: &Path) -> Result<Vec<Account>, IndexError> {
        Self::read(dir).map(|index| index.accounts)
    }

    /// All accounts and the default account's name (only when it names one of them).
    pub fn load_with_default(dir: &Path) -> Result<(Vec<Account>, Option<String>), IndexError> {
        Self::read(dir).map(|index| (index.accounts, index.default))
    }

    /// Takes the index lock (creating the folder, 0700, if needed) and re-reads the file. Keep
    /// the [`LockedIndex`] while you read-modify-write; dropping it releases the lock.
    pub async fn lock(dir: &Path) -> Result<LockedIndex, IndexError> {
        Self::lock_within(dir, LOCK_WAIT).await
    }

    /// [`lock`](Self::lock), waiting at most `wait` for another woolink to release it.
    pub async fn lock_within(dir: &Path, wait: Duration) -> Result<LockedIndex, IndexError> {
        let file = file(dir);
        let (lock, index) = file.lock::<Index>(wait).await?;
        Ok(LockedIndex {
            index: index.unwrap_or_default(),
            file,
            _lock: lock,
        })
    }

    /// Locks, re-reads, applies `change` and, if it returns `Ok`, writes the result atomically.
    /// When `change` fails nothing is written.
    pub async fn update<T, E>(
        dir: &Path,
        change: impl FnOnce(&mut Vec<Account>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<IndexError>,
    {
        let mut index = Self::lock(dir).await?;
        let value = change(&mut index.accounts)?;
        index.write()?;
        Ok(value)
    }

    /// Where the account `name` is in `accounts`.
    pub fn position(&self, name: &str) -> Result<usize, NoSuchAccount> {
        let position = self.accounts.iter().position(|a| a.name == name);
        position.ok_or_else(|| NoSuchAccount::new(name, &self.accounts))
    }
}

impl LockedIndex {
    /// Replaces the file (temp file, sync, rename, folder sync), mode 0600.
    pub fn write(&mut self) -> Result<(), IndexError> {
        self.index.default = live_default(&self.index.accounts, self.index.default.take());
        self.file.write(&self.index)
    }
}

impl Deref for LockedIndex {
    type Target = Index;

    fn deref(&self) -> &Index {
        &self.index
    }
}

impl DerefMut for LockedIndex {
    fn deref_mut(&mut self) -> &mut Index {
        &mut self.index
    }
}

/// `default` if it names one of `accounts`.
fn live_default(accounts: &[Account], default: Option<String>) -> Option<String> {
    default.filter(|name| accounts.iter().any(|account| &account.name == name))
}

/// A command named an account the index does not have. Every command says so with this one
/// error (kind `no_such_account`, exit 2), which lists the names it could have used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no account named \"{name}\"; {}", linked_names(.existing))]
pub struct NoSuchAccount {
    pub name: String,
    /// The names in the index, in its order.
    pub existing: Vec<String>,
}

impl NoSuchAccount {
    pub fn new(name: &str, accounts: &[Account]) -> Self {
        Self {
            name: name.to_owned(),
            existing: accounts.iter().map(|a| a.name.clone()).collect(),
        }
    }
}

fn linked_names(names: &[String]) -> String {
    if names.is_empty() {
        "no stores are linked".to_owned()
    } else {
        format!("linked accounts: {}", names.join(", "))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::fs;

    use super::*;
    use crate::domain::account::{Access, AuthMethod, SecretStorage};

    pub(crate) fn account(name: &str, store_url: &str) -> Account {
        Account {
            name: name.to_owned(),
            id: Some(crate::domain::account::new_id()),
            store_url: store_url.to_owned(),
            api_root: format!("{store_url}/wp-json/"),
            key_suffix: "1234567".to_owned(),
            access: Access::ReadWrite,
            auth_method: AuthMethod::Basic,
            secret_storage: SecretStorage::Keychain,
            store_name: None,
            wordpress_url: None,
            ca_cert: None,
            linked_at: "2025-01-01T00:00:00Z".to_owned(),
            verified_at: "2025-01-01T00:00:00Z".to_owned(),
        }
    }

    async fn add(dir: &Path, account: Account) -> Result<(), IndexError> {
        Index::update(dir, |accounts| {
            accounts.push(account);
            Ok::<_, IndexError>(())
        })
        .await
    }

    #[test]
    fn missing_file_is_empty_and_load_creates_nothing() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("woolink");
        assert!(Index::load(&dir).unwrap().is_empty());
        assert!(!dir.exists());
    }

    #[tokio::test]
    async fn update_creates_private_dir_and_file_and_round_trips() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/woolink");
        add(&dir, account("shop", "https://shop.example"))
            .await
            .unwrap();
        add(&dir, account("other", "https://other.example"))
            .await
            .unwrap();
        let names: Vec<_> = Index::load(&dir)
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["shop", "other"]);
        let text = fs::read_to_string(dir.join(INDEX_FILE)).unwrap();
        assert!(text.contains("\"version\": 1"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&dir.join(INDEX_FILE)), 0o600);
        }
    }

    #[tokio::test]
    async fn failing_change_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let result: Result<(), IndexError> = Index::update(dir.path(), |accounts| {
            accounts.push(account("shop", "https://shop.example"));
            Err(IndexError::Corrupt {
                path: PathBuf::new(),
                detail: "test".into(),
            })
        })
        .await;
        assert!(result.is_err());
        assert!(!dir.path().join(INDEX_FILE).exists());
    }

    #[tokio::test]
    async fn damaged_or_newer_index_is_reported_and_never_overwritten() {
        let cases: &[&[u8]] = &[
            b"{\"version\": 1, \"accounts\": [",
            b"",
            b"[]",
            b"{\"accounts\": []}",
            b"{\"version\": 0, \"accounts\": []}",
            b"{\"version\": 1, \"accounts\": [{\"name\": 3}]}",
            b"{\"version\": 2, \"accounts\": [], \"new\": true}",
        ];
        for bytes in cases {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(INDEX_FILE);
            fs::write(&path, bytes).unwrap();
            let err = Index::load(dir.path()).unwrap_err();
            let too_new = bytes.starts_with(b"{\"version\": 2");
            match &err {
                IndexError::TooNew { found: 2, .. } if too_new => {}
                IndexError::Corrupt { .. } if !too_new => {}
                other => panic!("{bytes:?}: unexpected {other:?}"),
            }
            let message = err.to_string();
            assert!(message.contains(&path.display().to_string()), "{message}");
            assert!(message.contains("untouched"), "{message}");
            let err = add(dir.path(), account("shop", "https://shop.example"))
                .await
                .unwrap_err();
            assert!(matches!(
                err,
                IndexError::TooNew { .. } | IndexError::Corrupt { .. }
            ));
            assert_eq!(&fs::read(&path).unwrap(), bytes, "file was changed");
        }
    }

    #[tokio::test]
    async fn leftover_temp_file_from_a_killed_writer_is_harmless() {
        let dir = tempfile::tempdir().unwrap();
        add(dir.path(), account("shop", "https://shop.example"))
            .await
            .unwrap();
        let leftover = dir.path().join(".accounts.json.Ab12Cd.tmp");
        fs::write(&leftover, b"{\"version\": 1, \"acc").unwrap();
        assert_eq!(Index::load(dir.path()).unwrap().len(), 1);
        add(dir.path(), account("other", "https://other.example"))
            .await
            .unwrap();
        assert_eq!(Index::load(dir.path()).unwrap().len(), 2);
        assert!(
            leftover.exists(),
            "woolink does not touch files it did not create"
        );
    }

    #[tokio::test]
    async fn default_is_optional_kept_and_cleared_with_its_account() {
        let dir = tempfile::tempdir().unwrap();
        add(dir.path(), account("shop", "https://shop.example"))
            .await
            .unwrap();
        add(dir.path(), account("other", "https://other.example"))
            .await
            .unwrap();
        assert_eq!(Index::load_with_default(dir.path()).unwrap().1, None);
        let text = fs::read_to_string(dir.path().join(INDEX_FILE)).unwrap();
        assert!(!text.contains("default"), "{text}");

        let mut index = Index::lock(dir.path()).await.unwrap();
        index.default = Some("other".to_owned());
        index.write().unwrap();
        drop(index);
        add(dir.path(), account("third", "https://third.example"))
            .await
            .unwrap();
        let (accounts, default) = Index::load_with_default(dir.path()).unwrap();
        assert_eq!((accounts.len(), default.as_deref()), (3, Some("other")));

        let mut index = Index::lock(dir.path()).await.unwrap();
        index.accounts.retain(|a| a.name != "other");
        index.write().unwrap();
        drop(index);
        assert_eq!(Index::load_with_default(dir.path()).unwrap().1, None);
        let text = fs::read_to_string(dir.path().join(INDEX_FILE)).unwrap();
        assert!(!text.contains("default"), "{text}");
    }

    #[test]
    fn twenty_concurrent_updates_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().join("woolink");
        std::thread::scope(|scope| {
            for i in 0..20 {
                let dir = &dir;
                scope.spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_time()
                        .build()
                        .unwrap();
                    let shop = account(&format!("shop{i}"), "https://shop.example");
                    runtime.block_on(add(dir, shop)).unwrap();
                });
            }
        });
        let mut names: Vec<_> = Index::load(&dir)
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        names.sort();
        let mut expected: Vec<_> = (0..20).map(|i| format!("shop{i}")).collect();
        expected.sort();
        assert_eq!(names, expected);
    }
}
