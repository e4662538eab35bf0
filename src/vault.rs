//! Saving and removing an account as one transaction over the credential store and the index.
//! Pure of UI: it prints and asks nothing; callers decide what to say.
//!
//! Order of work, so that a failure at any step leaves nothing half-linked:
//! - save: under the index lock, check the name (what may happen to an account that has it is
//!   [`Existing`]), remember what the store held for the entry,
//!   write the secret, then the index. If the index write fails, the entry is put back as it
//!   was (removed, or the previous credentials restored). An entry under an old service (the
//!   store URL changed) is deleted only after the index has landed.
//! - remove: under the index lock, delete the secret first, then the index entry. A failure
//!   then leaves a visible, retryable "broken" account, never an orphaned secret nobody lists.

use std::path::Path;

use crate::account::{Account, SecretStorage};
use crate::credstore::{CredStoreError, CredentialStore, EntryId};
use crate::index::{Index, IndexError};
use crate::keys::Credentials;
use crate::linked::NoSuchAccount;

/// What [`save`] may do with an account that already has the name, decided under the index
/// lock so that a connect running at the same time cannot slip another account in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// A taken name is refused ([`SaveError::NameTaken`]).
    Refuse,
    /// Whatever account has the name is replaced.
    Replace,
    /// Only the same link (the same store URL and key) may hold the name; it is proven again
    /// and kept. Any other account there is refused.
    SameLink,
}

/// Whether `old` is the link `new` records again: the same name, store and key.
pub fn same_link(old: &Account, new: &Account) -> bool {
    old.name == new.name && old.store_url == new.store_url && old.key_suffix == new.key_suffix
}

/// What [`save`] did.
#[derive(Debug)]
pub struct Saved {
    /// The account as recorded (its `secret_storage` set from the store used).
    pub account: Account,
    /// The account it replaced, if any.
    pub replaced: Option<Account>,
    /// A previous secret that is still stored somewhere, if any.
    pub old_secret: Option<OldSecret>,
    /// Whether the credential store had nothing (or nothing readable) under the account's
    /// entry before: with a replaced account, its secret had gone missing and is kept again.
    pub entry_was_empty: bool,
}

impl Saved {
    /// Whether the account replaced was this same link, proven again.
    pub fn relinked(&self) -> bool {
        self.replaced
            .as_ref()
            .is_some_and(|old| same_link(old, &self.account))
    }
}

/// The replaced account's secret was not removed: it lives in another store than the one used
/// for saving (`error` is `None`; the caller may open that store and delete `id`), or deleting it
/// failed (`error`).
#[derive(Debug)]
pub struct OldSecret {
    pub storage: SecretStorage,
    pub id: EntryId,
    pub error: Option<CredStoreError>,
}

/// How a failed save was undone in the credential store.
#[derive(Debug)]
pub enum Undo {
    /// The entry written a moment ago was deleted again.
    Removed,
    /// The entry holds the previous credentials again.
    Restored,
    /// Undoing failed: the store may still hold the new credentials under `id`.
    Failed { id: EntryId, error: CredStoreError },
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(
        "an account named \"{name}\" already exists; choose another name with --name, or replace it with --force"
    )]
    NameTaken { name: String },
    #[error("{0}; nothing was saved")]
    Index(#[source] IndexError),
    #[error("could not save the credentials: {0}; nothing was saved")]
    Secret(#[source] CredStoreError),
    #[error("{source}; {}", undo_text(.undo))]
    IndexWrite { source: IndexError, undo: Box<Undo> },
    #[error("{0}; nothing was saved")]
    CaCopy(#[source] crate::ca_copy::CaCopyError),
}

fn undo_text(undo: &Undo) -> String {
    match undo {
        Undo::Removed => "the credentials were removed again and nothing was saved".to_owned(),
        Undo::Restored => {
            "the previous credentials were restored and nothing was changed".to_owned()
        }
        Undo::Failed { id, error } => format!(
            "undoing the credential store change failed too ({error}): it may still hold an entry for {id}"
        ),
    }
}

/// [`save_with_ca_cert`] for an account that trusts no CA certificate of its own.
pub fn save(
    dir: &Path,
    store: &dyn CredentialStore,
    account: Account,
    creds: &Credentials,
    existing: Existing,
) -> Result<Saved, SaveError> {
    save_with_ca_cert(dir, store, account, creds, existing, None)
}

/// Stores `creds` and records `account`, doing with an account of the same name what
/// `existing` allows. `account.secret_storage` is set to `store.storage()`. The same link
/// proven again keeps the date it was first linked. `ca_cert`, the CA certificate connect was
/// given, is copied into the config folder under the lock, and the copy is deleted again if the
/// account is not saved (unless another account uses it), so a failed save leaves none behind.
pub fn save_with_ca_cert(
    dir: &Path,
    store: &dyn CredentialStore,
    mut account: Account,
    creds: &Credentials,
    existing: Existing,
    ca_cert: Option<&Path>,
) -> Result<Saved, SaveError> {
    account.secret_storage = store.storage();
    let mut index = Index::lock(dir).map_err(SaveError::Index)?;
    let position = index.accounts.iter().position(|a| a.name == account.name);
    if let Some(i) = position {
        let old = &index.accounts[i];
        let same = same_link(old, &account);
        let allowed = match existing {
            Existing::Refuse => false,
            Existing::Replace => true,
            Existing::SameLink => same,
        };
        if !allowed {
            return Err(SaveError::NameTaken { name: account.name });
        }
        if same {
            account.linked_at = old.linked_at.clone();
        }
        // A scripted link does not learn the store's title (that would cost another request):
        // the title known for the same store is kept.
        if old.store_url == account.store_url && account.store_name.is_none() {
            account.store_name = old.store_name.clone();
        }
    }
    if let Some(source) = ca_cert {
        account.ca_cert = Some(crate::ca_copy::keep(dir, source).map_err(SaveError::CaCopy)?);
    }
    // What the index holds on disk until the new one lands: a copy none of them uses is ours.
    let saved_before = if ca_cert.is_some() {
        index.accounts.clone()
    } else {
        Vec::new()
    };
    let unsaved = |err: SaveError| {
        if ca_cert.is_some() {
            crate::ca_copy::release(dir, &account, &saved_before);
        }
        err
    };
    let id = EntryId::for_account(&account);
    // What to put back if the index cannot be written. Something that is not ours is not kept.
    let previous = previous_entry(store, &id).map_err(|err| unsaved(SaveError::Secret(err)))?;
    let entry_was_empty = previous.is_none();
    store
        .set(&id, creds)
        .map_err(|err| unsaved(SaveError::Secret(err)))?;
    let replaced = match position {
        Some(i) => Some(std::mem::replace(&mut index.accounts[i], account.clone())),
        None => {
            index.accounts.push(account.clone());
            None
        }
    };
    if let Err(source) = index.write() {
        let undo = put_back(store, id, previous.as_ref());
        return Err(unsaved(SaveError::IndexWrite {
            source,
            undo: Box::new(undo),
        }));
    }
    if let Some(old) = &replaced {
        crate::ca_copy::release(dir, old, &index.accounts);
    }
    let old_secret = replaced
        .as_ref()
        .and_then(|old| remove_old_secret(store, old, &id));
    Ok(Saved {
        account,
        replaced,
        old_secret,
        entry_was_empty,
    })
}

/// What the store holds under `id` before it is written, to be put back if the index cannot
/// be: nothing, or something unreadable (not ours to keep), is `None`.
fn previous_entry(
    store: &dyn CredentialStore,
    id: &EntryId,
) -> Result<Option<Credentials>, CredStoreError> {
    match store.get(id) {
        Ok(previous) => Ok(Some(previous)),
        Err(CredStoreError::NotFound | CredStoreError::Corrupt) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Undoes a write under `id` after the index could not be written: `previous` is put back, or
/// the entry removed when there was none.
fn put_back(store: &dyn CredentialStore, id: EntryId, previous: Option<&Credentials>) -> Undo {
    let undone = match previous {
        Some(previous) => store.set(&id, previous).map(|()| Undo::Restored),
        None => match store.delete(&id) {
            Ok(()) | Err(CredStoreError::NotFound) => Ok(Undo::Removed),
            Err(err) => Err(err),
        },
    };
    undone.unwrap_or_else(|error| Undo::Failed { id, error })
}

/// After a replace has landed: the old account's entry, unless the new one overwrote it.
fn remove_old_secret(
    store: &dyn CredentialStore,
    old: &Account,
    new_id: &EntryId,
) -> Option<OldSecret> {
    let old_id = EntryId::for_account(old);
    let left = |error| OldSecret {
        storage: old.secret_storage,
        id: old_id.clone(),
        error,
    };
    if old.secret_storage != store.storage() {
        return Some(left(None));
    }
    if old_id == *new_id {
        return None;
    }
    match store.delete(&old_id) {
        Ok(()) | Err(CredStoreError::NotFound) => None,
        Err(err) => Some(left(Some(err))),
    }
}

/// What [`remove`] did.
#[derive(Debug)]
pub struct Removed {
    pub account: Account,
    pub secret: SecretRemoval,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretRemoval {
    Deleted,
    /// The store had no entry for the account any more.
    AlreadyGone,
}

#[derive(Debug, thiserror::Error)]
pub enum RemoveError {
    #[error(transparent)]
    NotFound(NoSuchAccount),
    #[error(
        "the secret of \"{name}\" is kept in the {account_storage}, but woolink opened the {store_storage} to remove it (a bug in woolink); nothing was removed"
    )]
    WrongStore {
        name: String,
        account_storage: SecretStorage,
        store_storage: SecretStorage,
    },
    #[error("{0}; nothing was removed")]
    Index(#[source] IndexError),
    #[error("could not delete the saved credentials of \"{name}\": {source}; nothing was removed")]
    Secret {
        name: String,
        source: CredStoreError,
    },
    #[error(
        "deleted the saved credentials of \"{name}\", but {source}; the account is still listed: run `woolink accounts remove {name}` again"
    )]
    IndexWrite { name: String, source: IndexError },
}

/// Deletes the account's secret (absent is fine: reported as [`SecretRemoval::AlreadyGone`]),
/// then its index entry. `store` must be the store the account's `secret_storage` names.
pub fn remove(dir: &Path, store: &dyn CredentialStore, name: &str) -> Result<Removed, RemoveError> {
    let mut index = Index::lock(dir).map_err(RemoveError::Index)?;
    let Some(position) = index.accounts.iter().position(|a| a.name == name) else {
        return Err(RemoveError::NotFound(NoSuchAccount::new(
            name,
            &index.accounts,
        )));
    };
    let account = &index.accounts[position];
    if account.secret_storage != store.storage() {
        return Err(RemoveError::WrongStore {
            name: name.to_owned(),
            account_storage: account.secret_storage,
            store_storage: store.storage(),
        });
    }
    let secret = match store.delete(&EntryId::for_account(account)) {
        Ok(()) => SecretRemoval::Deleted,
        Err(CredStoreError::NotFound) => SecretRemoval::AlreadyGone,
        Err(source) => {
            return Err(RemoveError::Secret {
                name: name.to_owned(),
                source,
            });
        }
    };
    let account = index.accounts.remove(position);
    index.write().map_err(|source| RemoveError::IndexWrite {
        name: name.to_owned(),
        source,
    })?;
    crate::ca_copy::release(dir, &account, &index.accounts);
    Ok(Removed { account, secret })
}

/// Whether the store still holds the account's secret (for `accounts show`; `accounts list`
/// never calls this). `Err` when the store cannot tell.
pub fn check_secret_present(
    store: &dyn CredentialStore,
    account: &Account,
) -> Result<bool, CredStoreError> {
    match store.get(&EntryId::for_account(account)) {
        Ok(_) => Ok(true),
        Err(CredStoreError::NotFound) => Ok(false),
        Err(err) => Err(err),
    }
}

/// The account's credentials, for commands that talk to the store.
pub fn load_credentials(
    store: &dyn CredentialStore,
    account: &Account,
) -> Result<Credentials, CredStoreError> {
    store.get(&EntryId::for_account(account))
}

#[cfg(test)]
mod tests;

/// What [`rename`] did.
#[derive(Debug)]
pub struct Renamed {
    /// The account as recorded now, under its new name.
    pub account: Account,
    /// It is the default account, as it was under its old name.
    pub default: bool,
    pub secret: SecretMove,
}

/// What became of the secret in a [`rename`].
#[derive(Debug)]
pub enum SecretMove {
    /// Kept under the new name, and gone from the old one.
    Moved,
    /// The store had no entry for the account: the account is renamed, still without secret.
    Missing,
    /// Kept under the new name, but deleting the old entry failed: the same secret is also
    /// still under `id`.
    OldLeft { id: EntryId, error: CredStoreError },
}

#[derive(Debug, thiserror::Error)]
pub enum RenameError {
    #[error(transparent)]
    NotFound(NoSuchAccount),
    #[error(
        "an account named \"{name}\" already exists; choose another name, or remove that account first with `woolink accounts remove {name}`"
    )]
    NameTaken { name: String },
    #[error(
        "the secret of \"{name}\" is kept in the {account_storage}, but woolink opened the {store_storage} to move it (a bug in woolink); nothing was renamed"
    )]
    WrongStore {
        name: String,
        account_storage: SecretStorage,
        store_storage: SecretStorage,
    },
    #[error("{0}; nothing was renamed")]
    Index(#[source] IndexError),
    #[error("could not move the saved credentials of \"{name}\": {source}; nothing was renamed")]
    Secret {
        name: String,
        source: CredStoreError,
    },
    #[error("{source}; {}", rename_undo_text(.undo))]
    IndexWrite { source: IndexError, undo: Box<Undo> },
}

fn rename_undo_text(undo: &Undo) -> String {
    match undo {
        Undo::Removed | Undo::Restored => {
            "the credentials stay under the old name and nothing was renamed".to_owned()
        }
        Undo::Failed { id, error } => format!(
            "nothing was renamed, and removing the copy of the credentials made for the new name failed ({error}): the credential store may still hold it under {id}"
        ),
    }
}

/// Renames the account `old` to `new`, the default following it. Under the index lock: the
/// secret is written under the new name first, then the index (atomically), and only then is
/// the old entry deleted. So at any moment the index names an entry that holds the secret: a
/// crash between the steps leaves at worst a second copy (under the new name before the index
/// lands, under the old name after), never a lost secret. If the index cannot be written, the
/// new entry is taken back (or what it held before is put back). `store` must be the store
/// the account's `secret_storage` names.
pub fn rename(
    dir: &Path,
    store: &dyn CredentialStore,
    old: &str,
    new: &str,
) -> Result<Renamed, RenameError> {
    let mut index = Index::lock(dir).map_err(RenameError::Index)?;
    let Some(position) = index.accounts.iter().position(|a| a.name == old) else {
        return Err(RenameError::NotFound(NoSuchAccount::new(
            old,
            &index.accounts,
        )));
    };
    if index.accounts.iter().any(|a| a.name == new) {
        return Err(RenameError::NameTaken {
            name: new.to_owned(),
        });
    }
    let account = &index.accounts[position];
    if account.secret_storage != store.storage() {
        return Err(RenameError::WrongStore {
            name: old.to_owned(),
            account_storage: account.secret_storage,
            store_storage: store.storage(),
        });
    }
    let old_id = EntryId::for_account(account);
    let renamed = Account {
        name: new.to_owned(),
        ..account.clone()
    };
    let new_id = EntryId::for_account(&renamed);
    let secret_error = |source| RenameError::Secret {
        name: old.to_owned(),
        source,
    };
    let credentials = match store.get(&old_id) {
        Ok(credentials) => Some(credentials),
        Err(CredStoreError::NotFound) => None,
        Err(err) => return Err(secret_error(err)),
    };
    // No account has the new name, so an entry under it was left by an interrupted command;
    // it is put back if the index cannot be written, all the same.
    let previous = match &credentials {
        None => None,
        Some(credentials) => {
            let previous = previous_entry(store, &new_id).map_err(secret_error)?;
            store.set(&new_id, credentials).map_err(secret_error)?;
            previous
        }
    };
    index.accounts[position] = renamed.clone();
    let default = index.default.as_deref() == Some(old);
    if default {
        index.default = Some(new.to_owned());
    }
    if let Err(source) = index.write() {
        let undo = match credentials {
            // Nothing was written under the new name.
            None => Undo::Removed,
            Some(_) => put_back(store, new_id, previous.as_ref()),
        };
        return Err(RenameError::IndexWrite {
            source,
            undo: Box::new(undo),
        });
    }
    let secret = match credentials {
        None => SecretMove::Missing,
        Some(_) => match store.delete(&old_id) {
            Ok(()) | Err(CredStoreError::NotFound) => SecretMove::Moved,
            Err(error) => SecretMove::OldLeft { id: old_id, error },
        },
    };
    Ok(Renamed {
        account: renamed,
        default,
        secret,
    })
}
