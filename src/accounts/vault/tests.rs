//! The save/remove transactions over keyring-core's mock store, with the index write made to
//! fail by putting a file where the config folder was (works as root too, unlike chmod).

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use keyring_core::{CredentialStore as CoreStore, Entry, Error as KeyringError, mock};

use super::*;
use crate::accounts::credstore::tests::{KEY, SECRET, SECRET2, creds};
use crate::accounts::credstore::{KeychainStore, StoreFuture};
use crate::accounts::index::INDEX_FILE;
use crate::accounts::index::tests::account;

/// A mock keychain; when armed, its next successful `set` breaks the config folder, so the
/// index write that follows fails. When `late`, its next `set` lands but answers that it
/// timed out, as a keychain does that was unlocked after woolink stopped waiting.
struct Harness {
    core: Arc<CoreStore>,
    store: KeychainStore,
    dir: PathBuf,
    arm: AtomicBool,
    late: AtomicBool,
    _root: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let core: Arc<CoreStore> = mock::Store::new().unwrap();
        Self {
            store: KeychainStore::with_store(core.clone()),
            core,
            dir: root.path().join("woolink"),
            arm: AtomicBool::new(false),
            late: AtomicBool::new(false),
            _root: root,
        }
    }

    fn moved(&self) -> PathBuf {
        self.dir.with_extension("moved")
    }

    /// Undoes the sabotage so the test can look at the index again.
    fn repair(&self) {
        fs::remove_file(&self.dir).unwrap();
        fs::rename(self.moved(), &self.dir).unwrap();
    }

    /// The secret kept for the account `name` as the index records it now.
    async fn secret(&self, name: &str) -> Option<String> {
        let account = self.recorded(name)?;
        self.store
            .get(&EntryId::for_account(&account))
            .await
            .ok()
            .map(|c| c.secret.expose().to_owned())
    }

    fn recorded(&self, name: &str) -> Option<Account> {
        Index::load(&self.dir)
            .unwrap()
            .into_iter()
            .find(|a| a.name == name)
    }

    async fn entry(&self, id: &EntryId) -> Option<String> {
        self.store
            .get(id)
            .await
            .ok()
            .map(|c| c.secret.expose().to_owned())
    }

    async fn recover(&self) -> Recovered {
        let core = self.core.clone();
        let open: Opener = Box::new(move |_| {
            let store = KeychainStore::with_store(core.clone());
            Box::pin(async { Ok(Box::new(store) as Box<dyn CredentialStore>) })
        });
        recover_with(&self.dir, open).await.unwrap()
    }

    /// Links a new account `name` at `store_url` whose secret is `secret`, as connect does.
    async fn try_link(
        &self,
        name: &str,
        store_url: &str,
        secret: &str,
    ) -> Result<Saved, VaultError> {
        let account = account(name, store_url);
        save(
            &self.dir,
            self,
            account,
            &creds(secret),
            Existing::Refuse,
            None,
        )
        .await
    }

    async fn link(&self, name: &str, store_url: &str, secret: &str) -> Saved {
        self.try_link(name, store_url, secret).await.unwrap()
    }

    fn index_bytes(&self) -> Vec<u8> {
        fs::read(self.dir.join(INDEX_FILE)).unwrap()
    }
}

impl CredentialStore for Harness {
    fn storage(&self) -> SecretStorage {
        self.store.storage()
    }
    fn set<'a>(&'a self, id: &'a EntryId, creds: &'a Credentials) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.store.set(id, creds).await?;
            if self.arm.swap(false, Ordering::SeqCst) {
                fs::rename(&self.dir, self.moved()).unwrap();
                fs::write(&self.dir, b"not a folder").unwrap();
            }
            if self.late.swap(false, Ordering::SeqCst) {
                return Err(CredStoreError::TimedOut {
                    after: std::time::Duration::from_secs(10),
                });
            }
            Ok(())
        })
    }
    fn get<'a>(&'a self, id: &'a EntryId) -> StoreFuture<'a, Credentials> {
        self.store.get(id)
    }
    fn delete<'a>(&'a self, id: &'a EntryId) -> StoreFuture<'a, ()> {
        self.store.delete(id)
    }
}

const URL: &str = "https://shop.example";
const NEW_URL: &str = "https://www.shop.example";

#[tokio::test]
async fn save_stores_secret_under_a_new_id_and_records_account() {
    let h = Harness::new();
    let mut record = account("shop", URL);
    record.secret_storage = SecretStorage::PlaintextFile;
    let saved = save(&h.dir, &h, record, &creds(SECRET), Existing::Refuse, None)
        .await
        .unwrap();
    assert_eq!(saved.account.secret_storage, SecretStorage::Keychain);
    let id = saved.account.id.clone().unwrap();
    assert_eq!(id.len(), 32);
    assert!(saved.replaced.is_none());
    assert_eq!(
        h.entry(&EntryId::for_id(&id)).await.as_deref(),
        Some(SECRET)
    );
    assert_eq!(Index::load(&h.dir).unwrap(), vec![saved.account.clone()]);
    assert!(Index::read(&h.dir).unwrap().pending.is_empty());
    let kept = load_credentials(&h.dir, &h, &saved.account).await.unwrap();
    assert_eq!(kept.key.suffix(), saved.account.key_suffix);
    let loaded = load_credentials(&h.dir, &h, &saved.account).await.unwrap();
    assert_eq!(loaded.secret.expose(), SECRET);
}

#[tokio::test]
async fn name_taken_writes_nothing() {
    let h = Harness::new();
    h.link("shop", URL, SECRET).await;
    let before = h.index_bytes();
    let err = h.try_link("shop", NEW_URL, SECRET2).await.unwrap_err();
    assert!(
        matches!(&err, VaultError::NameTaken { name } if name == "shop"),
        "{err:?}"
    );
    assert!(err.to_string().contains("--force"));
    assert_eq!(h.index_bytes(), before);
    assert_eq!(h.secret("shop").await.as_deref(), Some(SECRET));
}

#[tokio::test]
async fn failed_index_write_removes_the_new_secret_again() {
    let h = Harness::new();
    h.link("other", URL, SECRET).await;
    let before = h.index_bytes();
    h.arm.store(true, Ordering::SeqCst);
    let err = h.try_link("shop", URL, SECRET2).await.unwrap_err();
    assert!(
        matches!(
            err,
            VaultError::SaveIndexWrite {
                ref undo,
                ..
            } if matches!(**undo, Undo::Removed)
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("removed again"), "{err}");
    h.repair();
    // The pending record written first is still there; the next command clears it.
    assert_eq!(Index::read(&h.dir).unwrap().pending.len(), 1);
    let recovered = h.recover().await;
    assert_eq!(recovered.undone, ["shop"]);
    assert_eq!(h.index_bytes(), before);
    assert_eq!(h.secret("other").await.as_deref(), Some(SECRET));
}

#[tokio::test]
async fn a_secret_stored_after_its_write_timed_out_is_deleted_by_the_next_command() {
    let h = Harness::new();
    h.late.store(true, Ordering::SeqCst);
    let err = h.try_link("shop", URL, SECRET).await.unwrap_err();
    assert!(
        matches!(err, VaultError::SaveSecret(CredStoreError::TimedOut { .. })),
        "{err:?}"
    );
    assert!(Index::load(&h.dir).unwrap().is_empty());
    // The write may still land: the record of it stays, naming the entry.
    let pending = Index::read(&h.dir).unwrap().pending;
    assert_eq!(pending.len(), 1);
    let entry = EntryId::for_id(&pending[0].id);
    assert_eq!(h.entry(&entry).await.as_deref(), Some(SECRET));
    let recovered = h.recover().await;
    assert_eq!(recovered.undone, ["shop"]);
    assert_eq!(h.entry(&entry).await, None);
    assert!(Index::read(&h.dir).unwrap().pending.is_empty());
}

#[tokio::test]
async fn failed_replace_keeps_the_previous_secret() {
    let h = Harness::new();
    h.link("shop", URL, SECRET).await;
    let before = h.index_bytes();
    h.arm.store(true, Ordering::SeqCst);
    save(
        &h.dir,
        &h,
        account("shop", NEW_URL),
        &creds(SECRET2),
        Existing::Replace,
        None,
    )
    .await
    .unwrap_err();
    h.repair();
    h.recover().await;
    assert_eq!(h.index_bytes(), before);
    assert_eq!(h.secret("shop").await.as_deref(), Some(SECRET));
}

#[tokio::test]
async fn a_replace_deletes_the_old_entry_once_the_index_landed() {
    let h = Harness::new();
    let first = h.link("shop", URL, SECRET).await.account;
    let saved = save(
        &h.dir,
        &h,
        account("shop", NEW_URL),
        &creds(SECRET2),
        Existing::Replace,
        None,
    )
    .await
    .unwrap();
    assert_eq!(saved.replaced.unwrap().store_url, URL);
    assert!(saved.old_left.is_none());
    assert_ne!(saved.account.id, first.id);
    assert_eq!(h.entry(&EntryId::for_account(&first)).await, None);
    assert_eq!(h.secret("shop").await.as_deref(), Some(SECRET2));
    assert_eq!(Index::load(&h.dir).unwrap().len(), 1);
    assert!(Index::read(&h.dir).unwrap().pending.is_empty());
}

/// A crash between the steps, as the pending record and the store show it: undone before the
/// index names the new entry, finished after.
#[tokio::test]
async fn recover_undoes_an_unrecorded_entry_and_finishes_a_recorded_one() {
    let h = Harness::new();
    let first = h.link("shop", URL, SECRET).await.account;
    // Killed after storing the new secret, before the index: undone.
    let id = crate::domain::account::new_id();
    let mut index = Index::lock(&h.dir).await.unwrap();
    index.pending.push(Pending {
        id: id.clone(),
        storage: SecretStorage::Keychain,
        name: "shop".to_owned(),
        replaces: Some(pending_entry(&first)),
    });
    index.write().unwrap();
    drop(index);
    h.store
        .set(&EntryId::for_id(&id), &creds(SECRET2))
        .await
        .unwrap();
    let recovered = h.recover().await;
    assert_eq!(recovered.undone, ["shop"]);
    assert_eq!(h.entry(&EntryId::for_id(&id)).await, None);
    assert_eq!(h.secret("shop").await.as_deref(), Some(SECRET));
    // Killed after the index named it, before the old entry went: finished.
    let mut index = Index::lock(&h.dir).await.unwrap();
    index.pending.push(Pending {
        id: id.clone(),
        storage: SecretStorage::Keychain,
        name: "shop".to_owned(),
        replaces: Some(pending_entry(&first)),
    });
    index.accounts[0].id = Some(id.clone());
    index.write().unwrap();
    drop(index);
    h.store
        .set(&EntryId::for_id(&id), &creds(SECRET2))
        .await
        .unwrap();
    let recovered = h.recover().await;
    assert_eq!(recovered.finished, ["shop"]);
    assert_eq!(h.entry(&EntryId::for_account(&first)).await, None);
    assert_eq!(h.secret("shop").await.as_deref(), Some(SECRET2));
    assert!(Index::read(&h.dir).unwrap().pending.is_empty());
}

#[tokio::test]
async fn an_unusable_keychain_saves_nothing() {
    let h = Harness::new();
    let failing = KeychainStore::with_store(h.core.clone());
    struct Refusing(KeychainStore);
    impl CredentialStore for Refusing {
        fn storage(&self) -> SecretStorage {
            self.0.storage()
        }
        fn set<'a>(&'a self, _: &'a EntryId, _: &'a Credentials) -> StoreFuture<'a, ()> {
            Box::pin(async {
                Err(CredStoreError::Unavailable {
                    why: crate::accounts::credstore::Unavailability::Locked,
                })
            })
        }
        fn get<'a>(&'a self, id: &'a EntryId) -> StoreFuture<'a, Credentials> {
            self.0.get(id)
        }
        fn delete<'a>(&'a self, id: &'a EntryId) -> StoreFuture<'a, ()> {
            self.0.delete(id)
        }
    }
    let err = save(
        &h.dir,
        &Refusing(failing),
        account("shop", URL),
        &creds(SECRET),
        Existing::Refuse,
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        VaultError::SaveSecret(CredStoreError::Unavailable { .. })
    ));
    assert!(Index::load(&h.dir).unwrap().is_empty());
    assert!(Index::read(&h.dir).unwrap().pending.is_empty());
}

#[tokio::test]
async fn a_damaged_index_is_left_alone_and_no_secret_is_written() {
    let h = Harness::new();
    fs::create_dir_all(&h.dir).unwrap();
    fs::write(h.dir.join(INDEX_FILE), b"{\"version\": 7}").unwrap();
    let err = h.try_link("shop", URL, SECRET).await.unwrap_err();
    assert!(matches!(
        err,
        VaultError::SaveIndex(IndexError::TooNew { found: 7, .. })
    ));
    assert_eq!(h.index_bytes(), b"{\"version\": 7}");
}

#[tokio::test]
async fn remove_deletes_secret_and_entry_and_tolerates_a_missing_secret() {
    let h = Harness::new();
    let a = h.link("a", URL, SECRET).await.account;
    let b = h.link("b", URL, SECRET2).await.account;
    match remove(&h.dir, Some(&h), "nope").await {
        Err(VaultError::NotFound(NoSuchAccount { name, existing })) => {
            assert_eq!(name, "nope");
            assert_eq!(existing, ["a", "b"]);
        }
        other => panic!("{other:?}"),
    }
    let removed = remove(&h.dir, Some(&h), "a").await.unwrap();
    assert!(removed.secret_deleted);
    assert_eq!(h.entry(&EntryId::for_account(&a)).await, None);
    // "b" uses the same key at the same store: it is not to be revoked.
    assert_eq!(removed.key_used_by, ["b"]);
    h.store.delete(&EntryId::for_account(&b)).await.unwrap();
    let missing = load_credentials(&h.dir, &h, &b).await.unwrap_err();
    assert!(matches!(
        missing,
        VaultError::ReadSecret(CredStoreError::NotFound)
    ));
    let removed = remove(&h.dir, Some(&h), "b").await.unwrap();
    assert!(!removed.secret_deleted);
    assert!(removed.key_used_by.is_empty());
    assert!(Index::load(&h.dir).unwrap().is_empty());
}

#[tokio::test]
async fn remove_keeps_the_account_when_the_keychain_fails() {
    let h = Harness::new();
    let shop = h.link("shop", URL, SECRET).await.account;
    let before = h.index_bytes();
    let id = EntryId::for_account(&shop);
    let entry = Entry::new_in_store(&h.core, &id.service, &id.user).unwrap();
    let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
    cred.set_error(KeyringError::PlatformFailure(
        "org.freedesktop.DBus.Error.ServiceUnknown".into(),
    ));
    let err = remove(&h.dir, Some(&h), "shop").await.unwrap_err();
    assert!(matches!(err, VaultError::RemoveSecret { .. }), "{err:?}");
    assert_eq!(h.index_bytes(), before);
    assert_eq!(h.secret("shop").await.as_deref(), Some(SECRET));
}

#[tokio::test]
async fn the_same_link_proven_again_is_kept_with_its_first_link_date() {
    let h = Harness::new();
    h.link("shop", URL, SECRET).await;
    let again = Account {
        linked_at: "2026-06-01T00:00:00Z".to_owned(),
        verified_at: "2026-06-01T00:00:00Z".to_owned(),
        ..account("shop", URL)
    };
    let saved = save(&h.dir, &h, again, &creds(SECRET), Existing::SameLink, None)
        .await
        .unwrap();
    assert_eq!(saved.link, Link::AlreadyLinked);
    assert!(!saved.secret_restored);
    assert!(saved.old_left.is_none());
    let recorded = Index::load(&h.dir).unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].linked_at, "2025-01-01T00:00:00Z");
    assert_eq!(recorded[0].verified_at, "2026-06-01T00:00:00Z");
}

#[tokio::test]
async fn the_same_link_puts_back_a_secret_that_went_missing() {
    let h = Harness::new();
    let first = h.link("shop", URL, SECRET).await.account;
    h.store.delete(&EntryId::for_account(&first)).await.unwrap();
    let saved = save(
        &h.dir,
        &h,
        account("shop", URL),
        &creds(SECRET),
        Existing::SameLink,
        None,
    )
    .await
    .unwrap();
    assert!(saved.link == Link::AlreadyLinked && saved.secret_restored);
    assert_eq!(h.secret("shop").await.as_deref(), Some(SECRET));
}

#[tokio::test]
async fn same_link_refuses_another_store_or_another_key_and_writes_nothing() {
    let h = Harness::new();
    h.link("shop", URL, SECRET).await;
    let before = h.index_bytes();
    let other_key = Account {
        key_suffix: "7654321".to_owned(),
        ..account("shop", URL)
    };
    for other in [account("shop", NEW_URL), other_key] {
        let err = save(&h.dir, &h, other, &creds(SECRET2), Existing::SameLink, None)
            .await
            .unwrap_err();
        assert!(matches!(err, VaultError::NameTaken { .. }), "{err}");
    }
    assert_eq!(h.index_bytes(), before);
    assert_eq!(h.secret("shop").await.as_deref(), Some(SECRET));
}

#[tokio::test]
async fn linking_the_same_store_again_keeps_its_title_when_none_was_learnt() {
    let h = Harness::new();
    let titled = Account {
        store_name: Some("Acme Shop".to_owned()),
        ..account("shop", URL)
    };
    save(&h.dir, &h, titled, &creds(SECRET), Existing::Refuse, None)
        .await
        .unwrap();
    save(
        &h.dir,
        &h,
        account("shop", URL),
        &creds(SECRET),
        Existing::SameLink,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        Index::load(&h.dir).unwrap()[0].store_name.as_deref(),
        Some("Acme Shop")
    );
    let elsewhere = account("shop", "https://other.example");
    save(
        &h.dir,
        &h,
        elsewhere,
        &creds(SECRET2),
        Existing::Replace,
        None,
    )
    .await
    .unwrap();
    assert_eq!(Index::load(&h.dir).unwrap()[0].store_name, None);
}

#[tokio::test]
async fn rename_touches_the_index_only_and_the_default_follows() {
    let h = Harness::new();
    let shop = h.link("shop", URL, SECRET).await.account;
    h.link("other", URL, SECRET2).await;
    let mut index = Index::lock(&h.dir).await.unwrap();
    index.default = Some("shop".to_owned());
    index.write().unwrap();
    drop(index);
    assert!(rename(&h.dir, "shop", "client-shop").await.unwrap());
    assert_eq!(h.secret("client-shop").await.as_deref(), Some(SECRET));
    let (accounts, default) = Index::load_with_default(&h.dir).unwrap();
    let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["client-shop", "other"], "the order is kept");
    assert_eq!(accounts[0].id, shop.id);
    assert_eq!(default.as_deref(), Some("client-shop"));
    let before = h.index_bytes();
    let err = rename(&h.dir, "client-shop", "other").await.unwrap_err();
    assert!(matches!(&err, VaultError::NewNameTaken { .. }), "{err:?}");
    let err = rename(&h.dir, "nope", "new").await.unwrap_err();
    assert!(matches!(&err, VaultError::NotFound(_)), "{err:?}");
    assert_eq!(h.index_bytes(), before);
}

/// Writes an index from before account ids, with the secret under the old entry name.
async fn legacy_account(h: &Harness, name: &str, secret: &str) -> Account {
    let mut old = account(name, URL);
    old.id = None;
    old.key_suffix = KEY[KEY.len() - 7..].to_owned();
    Index::update(&h.dir, |accounts| {
        accounts.push(old.clone());
        Ok::<_, IndexError>(())
    })
    .await
    .unwrap();
    h.store
        .set(&EntryId::legacy(URL, name), &creds(secret))
        .await
        .unwrap();
    old
}

#[tokio::test]
async fn an_account_from_before_ids_is_moved_to_its_id_once() {
    let h = Harness::new();
    let old = legacy_account(&h, "shop", SECRET).await;
    let loaded = load_credentials(&h.dir, &h, &old).await.unwrap();
    assert_eq!(loaded.secret.expose(), SECRET);
    let now = h.recorded("shop").unwrap();
    assert!(now.id.is_some());
    assert_eq!(h.secret("shop").await.as_deref(), Some(SECRET));
    assert_eq!(
        h.entry(&EntryId::legacy(URL, "shop")).await,
        None,
        "moved, not copied"
    );
    assert!(Index::read(&h.dir).unwrap().pending.is_empty());
    // Again: nothing moves.
    let (again, _) = migrate(&h.dir, &h, "shop").await.unwrap();
    assert_eq!(again.id, now.id);
}

/// Each way moving an entry can fail is said as a move that failed (kind `secret_move`), the
/// old entry kept: a failed index write after the copy, and a copy that does not read back.
#[tokio::test]
async fn a_failed_move_keeps_the_old_entry_and_says_so() {
    let h = Harness::new();
    legacy_account(&h, "shop", SECRET).await;
    h.arm.store(true, Ordering::SeqCst);
    let err = migrate(&h.dir, &h, "shop").await.unwrap_err();
    h.repair();
    assert!(matches!(err, VaultError::MoveIndex(_)), "{err:?}");
    assert_eq!(err.class().0, "secret_move");
    assert!(err.to_string().contains("is still kept"), "{err}");
    assert_eq!(h.recorded("shop").unwrap().id, None);
    let old = EntryId::legacy(URL, "shop");
    assert_eq!(h.entry(&old).await.as_deref(), Some(SECRET));
    // The record the failed write could not clear is the next command's.
    assert_eq!(h.recover().await.undone, ["shop"]);

    /// A store that loses what is written to it.
    struct Forgetful<'a>(&'a Harness);
    impl CredentialStore for Forgetful<'_> {
        fn storage(&self) -> SecretStorage {
            self.0.storage()
        }
        fn set<'a>(&'a self, _: &'a EntryId, _: &'a Credentials) -> StoreFuture<'a, ()> {
            Box::pin(async { Ok(()) })
        }
        fn get<'a>(&'a self, id: &'a EntryId) -> StoreFuture<'a, Credentials> {
            self.0.get(id)
        }
        fn delete<'a>(&'a self, id: &'a EntryId) -> StoreFuture<'a, ()> {
            self.0.delete(id)
        }
    }
    let err = migrate(&h.dir, &Forgetful(&h), "shop").await.unwrap_err();
    assert!(matches!(err, VaultError::ReadBack { .. }), "{err:?}");
    assert_eq!(err.class().0, "secret_move");
    assert_eq!(h.recorded("shop").unwrap().id, None);
    assert_eq!(h.entry(&old).await.as_deref(), Some(SECRET));
    assert!(Index::read(&h.dir).unwrap().pending.is_empty());
}

#[tokio::test]
async fn an_old_entry_holding_another_key_is_not_taken_and_not_used() {
    let h = Harness::new();
    let mut old = legacy_account(&h, "shop", SECRET).await;
    old.key_suffix = "zzzzzzz".to_owned();
    Index::update(&h.dir, |accounts| {
        accounts[0] = old.clone();
        Ok::<_, IndexError>(())
    })
    .await
    .unwrap();
    let err = load_credentials(&h.dir, &h, &old).await.unwrap_err();
    assert!(matches!(err, VaultError::Mismatch { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("\"shop\"") && message.contains("--force"),
        "{message}"
    );
    assert!(!message.contains(SECRET), "{message}");
    assert_eq!(
        h.entry(&EntryId::legacy(URL, "shop")).await.as_deref(),
        Some(SECRET)
    );
    // Removing the account leaves that entry to whoever it belongs to.
    remove(&h.dir, Some(&h), "shop").await.unwrap();
    assert_eq!(
        h.entry(&EntryId::legacy(URL, "shop")).await.as_deref(),
        Some(SECRET)
    );
}

#[tokio::test]
async fn a_stored_key_that_is_not_the_recorded_one_is_refused() {
    let h = Harness::new();
    let shop = h.link("shop", URL, SECRET).await.account;
    let edited = Account {
        key_suffix: "7654321".to_owned(),
        ..shop
    };
    let err = load_credentials(&h.dir, &h, &edited).await.unwrap_err();
    assert!(matches!(err, VaultError::Mismatch { .. }), "{err:?}");
}

#[tokio::test]
async fn a_keychain_that_times_out_at_start_up_is_asked_once_for_all_its_records() {
    let h = Harness::new();
    for name in ["shop", "other"] {
        h.late.store(true, Ordering::SeqCst);
        h.try_link(name, URL, SECRET).await.unwrap_err();
    }
    assert_eq!(Index::read(&h.dir).unwrap().pending.len(), 2);
    /// A keychain that no longer answers: every delete times out, and is counted.
    struct Hanging(Arc<std::sync::atomic::AtomicUsize>);
    impl CredentialStore for Hanging {
        fn storage(&self) -> SecretStorage {
            SecretStorage::Keychain
        }
        fn set<'a>(&'a self, _: &'a EntryId, _: &'a Credentials) -> StoreFuture<'a, ()> {
            unreachable!("recovery never stores")
        }
        fn get<'a>(&'a self, _: &'a EntryId) -> StoreFuture<'a, Credentials> {
            unreachable!("recovery never reads")
        }
        fn delete<'a>(&'a self, _: &'a EntryId) -> StoreFuture<'a, ()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            let after = std::time::Duration::from_secs(10);
            Box::pin(async move { Err(CredStoreError::TimedOut { after }) })
        }
    }
    let deletes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = deletes.clone();
    let open: Opener = Box::new(move |_| {
        let store = Hanging(counted.clone());
        Box::pin(async { Ok(Box::new(store) as Box<dyn CredentialStore>) })
    });
    // Laid out otherwise than woolink writes it, so a rewrite would show.
    let mut before = h.index_bytes();
    before.extend_from_slice(b"\n\n");
    fs::write(h.dir.join(INDEX_FILE), &before).unwrap();
    let recovered = recover_with(&h.dir, open).await.unwrap();
    assert_eq!(deletes.load(Ordering::SeqCst), 1);
    let left: Vec<&str> = recovered
        .left
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(left, ["shop", "other"]);
    assert!(
        recovered.left[1].1.to_string().contains("did not answer"),
        "{:?}",
        recovered.left
    );
    // The record given up on is said in the same words as the one that waited.
    assert!(
        matches!(recovered.left[1].1, CredStoreError::TimedOut { .. }),
        "{:?}",
        recovered.left
    );
    let said: Vec<String> = recovered
        .left
        .iter()
        .map(|(_, err)| err.to_string())
        .collect();
    assert_eq!(said[0], said[1]);
    assert_eq!(Index::read(&h.dir).unwrap().pending.len(), 2);
    // Nothing was finished or undone, so the index was not written again.
    assert_eq!(h.index_bytes(), before);
}
