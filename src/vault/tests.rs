//! The save/remove transactions over keyring-core's mock store, with the index write made to
//! fail by putting a file where the config folder was (works as root too, unlike chmod).

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use keyring_core::{CredentialStore as CoreStore, Entry, Error as KeyringError, mock};

use super::*;
use crate::credstore::KeychainStore;
use crate::credstore::tests::{SECRET, SECRET2, creds};
use crate::index::INDEX_FILE;
use crate::index::tests::account;

/// A mock keychain; when armed, its next successful `set` breaks the config folder, so the
/// index write that follows fails.
struct Harness {
    core: Arc<CoreStore>,
    store: KeychainStore,
    dir: PathBuf,
    arm: AtomicBool,
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

    fn secret(&self, store_url: &str, name: &str) -> Option<String> {
        self.store
            .get(&EntryId::new(store_url, name))
            .ok()
            .map(|c| c.secret.expose().to_owned())
    }

    /// Links a new account `name` at `store_url` whose secret is `secret`, as connect does.
    fn link(&self, name: &str, store_url: &str, secret: &str) -> Saved {
        save(
            &self.dir,
            self,
            account(name, store_url),
            &creds(secret),
            Existing::Refuse,
        )
        .unwrap()
    }

    fn index_bytes(&self) -> Vec<u8> {
        fs::read(self.dir.join(INDEX_FILE)).unwrap()
    }
}

impl CredentialStore for Harness {
    fn storage(&self) -> SecretStorage {
        self.store.storage()
    }
    fn set(&self, id: &EntryId, creds: &Credentials) -> Result<(), CredStoreError> {
        self.store.set(id, creds)?;
        if self.arm.swap(false, Ordering::SeqCst) {
            fs::rename(&self.dir, self.moved()).unwrap();
            fs::write(&self.dir, b"not a folder").unwrap();
        }
        Ok(())
    }
    fn get(&self, id: &EntryId) -> Result<Credentials, CredStoreError> {
        self.store.get(id)
    }
    fn delete(&self, id: &EntryId) -> Result<(), CredStoreError> {
        self.store.delete(id)
    }
}

const URL: &str = "https://shop.example";
const NEW_URL: &str = "https://www.shop.example";

#[test]
fn save_stores_secret_and_records_account() {
    let h = Harness::new();
    let mut record = account("shop", URL);
    record.secret_storage = SecretStorage::PlaintextFile;
    let saved = save(&h.dir, &h, record, &creds(SECRET), Existing::Refuse).unwrap();
    assert_eq!(saved.account.secret_storage, SecretStorage::Keychain);
    assert!(saved.replaced.is_none());
    assert_eq!(h.secret(URL, "shop").as_deref(), Some(SECRET));
    assert_eq!(Index::load(&h.dir).unwrap(), vec![saved.account.clone()]);
    assert!(check_secret_present(&h, &saved.account).unwrap());
    assert_eq!(
        load_credentials(&h, &saved.account)
            .unwrap()
            .secret
            .expose(),
        SECRET
    );
}

#[test]
fn name_taken_writes_nothing() {
    let h = Harness::new();
    h.link("shop", URL, SECRET);
    let before = h.index_bytes();
    let err = save(
        &h.dir,
        &h,
        account("shop", NEW_URL),
        &creds(SECRET2),
        Existing::Refuse,
    )
    .unwrap_err();
    assert!(
        matches!(&err, SaveError::NameTaken { name } if name == "shop"),
        "{err:?}"
    );
    assert!(err.to_string().contains("--force"));
    assert_eq!(h.index_bytes(), before);
    assert_eq!(h.secret(URL, "shop").as_deref(), Some(SECRET));
    assert_eq!(h.secret(NEW_URL, "shop"), None);
}

#[test]
fn failed_index_write_removes_the_new_secret_again() {
    let h = Harness::new();
    h.link("other", URL, SECRET);
    let before = h.index_bytes();
    h.arm.store(true, Ordering::SeqCst);
    let err = save(
        &h.dir,
        &h,
        account("shop", URL),
        &creds(SECRET2),
        Existing::Refuse,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            SaveError::IndexWrite {
                ref undo,
                ..
            } if matches!(**undo, Undo::Removed)
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("removed again"), "{err}");
    h.repair();
    assert_eq!(h.secret(URL, "shop"), None);
    assert_eq!(h.index_bytes(), before);
}

#[test]
fn failed_replace_restores_the_previous_secret() {
    let h = Harness::new();
    h.link("shop", URL, SECRET);
    let before = h.index_bytes();
    h.arm.store(true, Ordering::SeqCst);
    let err = save(
        &h.dir,
        &h,
        account("shop", URL),
        &creds(SECRET2),
        Existing::Replace,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            SaveError::IndexWrite {
                ref undo,
                ..
            } if matches!(**undo, Undo::Restored)
        ),
        "{err:?}"
    );
    h.repair();
    assert_eq!(h.secret(URL, "shop").as_deref(), Some(SECRET));
    assert_eq!(h.index_bytes(), before);
}

#[test]
fn replace_with_a_new_store_url_deletes_the_old_entry_only_after_the_index_landed() {
    let h = Harness::new();
    h.link("shop", URL, SECRET);
    // The index write fails: the old entry must survive, the new one must go.
    h.arm.store(true, Ordering::SeqCst);
    save(
        &h.dir,
        &h,
        account("shop", NEW_URL),
        &creds(SECRET2),
        Existing::Replace,
    )
    .unwrap_err();
    h.repair();
    assert_eq!(h.secret(URL, "shop").as_deref(), Some(SECRET));
    assert_eq!(h.secret(NEW_URL, "shop"), None);
    // It lands: the old entry is gone.
    let saved = save(
        &h.dir,
        &h,
        account("shop", NEW_URL),
        &creds(SECRET2),
        Existing::Replace,
    )
    .unwrap();
    assert_eq!(saved.replaced.unwrap().store_url, URL);
    assert!(saved.old_secret.is_none());
    assert_eq!(h.secret(URL, "shop"), None);
    assert_eq!(h.secret(NEW_URL, "shop").as_deref(), Some(SECRET2));
    assert_eq!(Index::load(&h.dir).unwrap().len(), 1);
}

#[test]
fn an_unusable_keychain_saves_nothing() {
    let h = Harness::new();
    let id = EntryId::new(URL, "shop");
    let entry = Entry::new_in_store(&h.core, &id.service, &id.user).unwrap();
    let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
    cred.set_error(KeyringError::NoStorageAccess("prompt dismissed".into()));
    let err = save(
        &h.dir,
        &h,
        account("shop", URL),
        &creds(SECRET),
        Existing::Refuse,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        SaveError::Secret(CredStoreError::Unavailable { .. })
    ));
    assert!(Index::load(&h.dir).unwrap().is_empty());
    assert_eq!(h.secret(URL, "shop"), None);
}

#[test]
fn a_damaged_index_is_left_alone_and_no_secret_is_written() {
    let h = Harness::new();
    fs::create_dir_all(&h.dir).unwrap();
    fs::write(h.dir.join(INDEX_FILE), b"{\"version\": 7}").unwrap();
    let err = save(
        &h.dir,
        &h,
        account("shop", URL),
        &creds(SECRET),
        Existing::Refuse,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        SaveError::Index(IndexError::TooNew { found: 7, .. })
    ));
    assert_eq!(h.index_bytes(), b"{\"version\": 7}");
    assert_eq!(h.secret(URL, "shop"), None);
}

#[test]
fn remove_deletes_secret_and_entry_and_tolerates_a_missing_secret() {
    let h = Harness::new();
    h.link("a", URL, SECRET);
    h.link("b", URL, SECRET2);
    match remove(&h.dir, &h, "nope") {
        Err(RemoveError::NotFound(NoSuchAccount { name, existing })) => {
            assert_eq!(name, "nope");
            assert_eq!(existing, ["a", "b"]);
        }
        other => panic!("{other:?}"),
    }
    let removed = remove(&h.dir, &h, "a").unwrap();
    assert_eq!(removed.secret, SecretRemoval::Deleted);
    assert_eq!(h.secret(URL, "a"), None);
    h.store.delete(&EntryId::new(URL, "b")).unwrap();
    assert!(!check_secret_present(&h, &account("b", URL)).unwrap());
    let removed = remove(&h.dir, &h, "b").unwrap();
    assert_eq!(removed.secret, SecretRemoval::AlreadyGone);
    assert!(Index::load(&h.dir).unwrap().is_empty());
}

#[test]
fn remove_keeps_the_account_when_the_keychain_fails() {
    let h = Harness::new();
    h.link("shop", URL, SECRET);
    let before = h.index_bytes();
    let id = EntryId::new(URL, "shop");
    let entry = Entry::new_in_store(&h.core, &id.service, &id.user).unwrap();
    let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
    cred.set_error(KeyringError::PlatformFailure(
        "org.freedesktop.DBus.Error.ServiceUnknown".into(),
    ));
    let err = remove(&h.dir, &h, "shop").unwrap_err();
    assert!(matches!(err, RemoveError::Secret { .. }), "{err:?}");
    assert_eq!(h.index_bytes(), before);
    assert_eq!(h.secret(URL, "shop").as_deref(), Some(SECRET));
}

#[test]
fn the_same_link_proven_again_is_kept_with_its_first_link_date() {
    let h = Harness::new();
    h.link("shop", URL, SECRET);
    let again = Account {
        linked_at: "2026-06-01T00:00:00Z".to_owned(),
        verified_at: "2026-06-01T00:00:00Z".to_owned(),
        ..account("shop", URL)
    };
    let saved = save(&h.dir, &h, again, &creds(SECRET), Existing::SameLink).unwrap();
    assert!(saved.relinked());
    assert!(!saved.entry_was_empty);
    assert!(saved.old_secret.is_none());
    let recorded = Index::load(&h.dir).unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].linked_at, "2025-01-01T00:00:00Z");
    assert_eq!(recorded[0].verified_at, "2026-06-01T00:00:00Z");
}

#[test]
fn the_same_link_puts_back_a_secret_that_went_missing() {
    let h = Harness::new();
    h.link("shop", URL, SECRET);
    h.store.delete(&EntryId::new(URL, "shop")).unwrap();
    let saved = save(
        &h.dir,
        &h,
        account("shop", URL),
        &creds(SECRET),
        Existing::SameLink,
    )
    .unwrap();
    assert!(saved.relinked() && saved.entry_was_empty);
    assert_eq!(h.secret(URL, "shop").as_deref(), Some(SECRET));
}

#[test]
fn same_link_refuses_another_store_or_another_key_and_writes_nothing() {
    let h = Harness::new();
    h.link("shop", URL, SECRET);
    let before = h.index_bytes();
    let other_key = Account {
        key_suffix: "7654321".to_owned(),
        ..account("shop", URL)
    };
    for other in [account("shop", NEW_URL), other_key] {
        let err = save(&h.dir, &h, other, &creds(SECRET2), Existing::SameLink).unwrap_err();
        assert!(matches!(err, SaveError::NameTaken { .. }), "{err}");
    }
    assert_eq!(h.index_bytes(), before);
    assert_eq!(h.secret(URL, "shop").as_deref(), Some(SECRET));
    assert_eq!(h.secret(NEW_URL, "shop"), None);
}

#[test]
fn a_replaced_key_is_a_new_link() {
    let h = Harness::new();
    h.link("shop", URL, SECRET);
    let new_key = Account {
        key_suffix: "7654321".to_owned(),
        linked_at: "2026-06-01T00:00:00Z".to_owned(),
        ..account("shop", URL)
    };
    let saved = save(&h.dir, &h, new_key, &creds(SECRET2), Existing::Replace).unwrap();
    assert!(!saved.relinked() && saved.replaced.is_some());
    assert_eq!(
        Index::load(&h.dir).unwrap()[0].linked_at,
        "2026-06-01T00:00:00Z"
    );
    assert_eq!(h.secret(URL, "shop").as_deref(), Some(SECRET2));
}

#[test]
fn linking_the_same_store_again_keeps_its_title_when_none_was_learnt() {
    let h = Harness::new();
    let titled = Account {
        store_name: Some("Acme Shop".to_owned()),
        ..account("shop", URL)
    };
    save(&h.dir, &h, titled, &creds(SECRET), Existing::Refuse).unwrap();
    // Again from a script: the same store, no title learnt.
    save(
        &h.dir,
        &h,
        account("shop", URL),
        &creds(SECRET),
        Existing::SameLink,
    )
    .unwrap();
    assert_eq!(
        Index::load(&h.dir).unwrap()[0].store_name.as_deref(),
        Some("Acme Shop")
    );
    // Another store under the name does not inherit it.
    let elsewhere = account("shop", "https://other.example");
    save(&h.dir, &h, elsewhere, &creds(SECRET2), Existing::Replace).unwrap();
    assert_eq!(Index::load(&h.dir).unwrap()[0].store_name, None);
}

/// Links `shop` and `other` at URL and makes `shop` the default.
fn two_accounts(h: &Harness) {
    save(
        &h.dir,
        h,
        account("shop", URL),
        &creds(SECRET),
        Existing::Refuse,
    )
    .unwrap();
    save(
        &h.dir,
        h,
        account("other", URL),
        &creds(SECRET2),
        Existing::Refuse,
    )
    .unwrap();
    let mut index = Index::lock(&h.dir).unwrap();
    index.default = Some("shop".to_owned());
    index.write().unwrap();
}

#[test]
fn rename_moves_the_secret_and_the_default_follows() {
    let h = Harness::new();
    two_accounts(&h);
    let renamed = rename(&h.dir, &h, "shop", "client-shop").unwrap();
    assert!(matches!(renamed.secret, SecretMove::Moved), "{renamed:?}");
    assert!(renamed.default);
    assert_eq!(h.secret(URL, "client-shop").as_deref(), Some(SECRET));
    assert_eq!(h.secret(URL, "shop"), None, "the old entry is deleted");
    assert_eq!(h.secret(URL, "other").as_deref(), Some(SECRET2));
    let (accounts, default) = Index::load_with_default(&h.dir).unwrap();
    let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["client-shop", "other"], "the order is kept");
    assert_eq!(default.as_deref(), Some("client-shop"));
    assert_eq!(accounts[0], renamed.account);
}

#[test]
fn rename_to_a_taken_name_or_from_an_unknown_one_changes_nothing() {
    let h = Harness::new();
    two_accounts(&h);
    let before = h.index_bytes();
    let err = rename(&h.dir, &h, "shop", "other").unwrap_err();
    assert!(
        matches!(&err, RenameError::NameTaken { name } if name == "other"),
        "{err:?}"
    );
    let err = rename(&h.dir, &h, "nope", "new").unwrap_err();
    assert!(matches!(&err, RenameError::NotFound(_)), "{err:?}");
    assert_eq!(h.index_bytes(), before);
    assert_eq!(h.secret(URL, "shop").as_deref(), Some(SECRET));
    assert_eq!(h.secret(URL, "new"), None);
}

#[test]
fn rename_whose_index_write_fails_keeps_the_secret_under_the_old_name_only() {
    let h = Harness::new();
    two_accounts(&h);
    let before = h.index_bytes();
    h.arm.store(true, Ordering::SeqCst);
    let err = rename(&h.dir, &h, "shop", "client-shop").unwrap_err();
    assert!(
        matches!(&err, RenameError::IndexWrite { undo, .. } if matches!(**undo, Undo::Removed)),
        "{err:?}"
    );
    assert!(err.to_string().contains("nothing was renamed"), "{err}");
    h.repair();
    assert_eq!(h.index_bytes(), before);
    assert_eq!(h.secret(URL, "shop").as_deref(), Some(SECRET));
    assert_eq!(
        h.secret(URL, "client-shop"),
        None,
        "no orphan under the new name"
    );
}

#[test]
fn rename_puts_back_what_an_interrupted_rename_left_under_the_new_name() {
    let h = Harness::new();
    two_accounts(&h);
    // An earlier rename that died before its index write left this entry.
    h.store
        .set(&EntryId::new(URL, "client-shop"), &creds(SECRET2))
        .unwrap();
    h.arm.store(true, Ordering::SeqCst);
    let err = rename(&h.dir, &h, "shop", "client-shop").unwrap_err();
    assert!(
        matches!(&err, RenameError::IndexWrite { undo, .. } if matches!(**undo, Undo::Restored)),
        "{err:?}"
    );
    h.repair();
    assert_eq!(h.secret(URL, "client-shop").as_deref(), Some(SECRET2));
    assert_eq!(h.secret(URL, "shop").as_deref(), Some(SECRET));
    // And once the index can be written, the rename goes through over it.
    rename(&h.dir, &h, "shop", "client-shop").unwrap();
    assert_eq!(h.secret(URL, "client-shop").as_deref(), Some(SECRET));
    assert_eq!(h.secret(URL, "shop"), None);
}

#[test]
fn renaming_an_account_whose_secret_is_gone_renames_it_still_broken() {
    let h = Harness::new();
    two_accounts(&h);
    h.store.delete(&EntryId::new(URL, "shop")).unwrap();
    let renamed = rename(&h.dir, &h, "shop", "client-shop").unwrap();
    assert!(matches!(renamed.secret, SecretMove::Missing), "{renamed:?}");
    assert_eq!(h.secret(URL, "client-shop"), None);
    assert_eq!(Index::load(&h.dir).unwrap()[0].name, "client-shop");
}
