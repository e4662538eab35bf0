//! An account's secret and its index record, changed together. Pure of UI: it prints and asks
//! nothing; callers decide what to say.
//!
//! Each account has a random id (`Account::id`), and its secret is the credential store entry
//! named by it (`EntryId::for_account`): renaming an account or giving it a new address touches
//! the index only, and an entry is written once, for one key (a new key is a new entry under a
//! new id).
//!
//! Writing an entry is one transaction with the index, under the index lock throughout:
//! 1. a [`Pending`] record naming the new entry (and the entry it replaces) is written into the
//!    index;
//! 2. the secret is stored under the new id;
//! 3. the index is written with the account naming the new id (the record cleared at once when
//!    nothing is replaced);
//! 4. the replaced entry is deleted, and the record cleared.
//!
//! A woolink killed anywhere in between leaves the record, and the next command ([`recover`])
//! finishes or undoes it: a record whose id no account has is undone (its entry deleted, so no
//! secret is left that no account lists); one whose id an account has is finished (the
//! replaced entry deleted). So the index and the store never name different keys: the entry
//! the index names is always the one written for the key it records.
//!
//! - remove: under the index lock, delete the secret first, then the index entry. A failure
//!   then leaves a visible, retryable "broken" account, never an orphaned secret nobody lists.
//! - reading ([`load_credentials`]) moves an entry from before account ids to one first
//!   ([`migrate`]) and checks that the stored key is the key the index names.

use std::path::Path;

use crate::accounts::credstore::{
    self, CredStoreError, CredentialStore, EntryId, Opener, PlaintextFileStore,
};
use crate::accounts::index::NoSuchAccount;
use crate::accounts::index::{Index, IndexError, LockedIndex, Pending, PendingEntry};
use crate::domain::account::{Account, SecretStorage};
use crate::domain::exit::Failure;
use crate::domain::keys::{Credentials, masked_key};

/// What [`save`] may do with an account that already has the name, decided under the index
/// lock so that a connect running at the same time cannot slip another account in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// A taken name is refused ([`VaultError::NameTaken`]).
    Refuse,
    /// Whatever account has the name is replaced.
    Replace,
    /// Only the same link (the same store URL and key) may hold the name; it is proven again
    /// and kept. Any other account there is refused.
    SameLink,
}

/// What [`save`] did with the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// A name no account had.
    New,
    /// The same name, store and key again: proven and kept, nothing else changed.
    AlreadyLinked,
    /// Another account had the name (another store or key): this one took its place.
    Replaced,
}

/// What [`save`] did.
#[derive(Debug)]
pub struct Saved {
    /// The account as recorded (its `secret_storage` set from the store used, its new id).
    pub account: Account,
    pub link: Link,
    /// The account this one took the place of (`Link::Replaced`).
    pub replaced: Option<Account>,
    /// Another account still uses the replaced account's key at its store.
    pub old_key_still_used: bool,
    /// The replaced account's entry could not be deleted: it is still there.
    pub old_left: Option<OldSecret>,
    /// The same link again, whose secret had gone missing from its store (its entry held
    /// nothing, nothing readable, or another key): it is kept there again.
    pub secret_restored: bool,
}

/// The replaced account's secret, which could not be deleted once the new one had landed.
#[derive(Debug)]
pub struct OldSecret {
    pub storage: SecretStorage,
    pub id: EntryId,
    pub error: CredStoreError,
}

/// How a failed save was undone in the credential store.
#[derive(Debug, thiserror::Error)]
pub enum Undo {
    /// The entry written a moment ago was deleted again.
    #[error("the credentials were removed again and nothing was saved")]
    Removed,
    /// Undoing failed: the store may still hold the new credentials under `id` (the pending
    /// record left in the index names it, and the next command deletes it).
    #[error(
        "undoing the credential store change failed too ({error}): it may still hold an entry for {id}, which the next woolink command deletes"
    )]
    Failed { id: EntryId, error: CredStoreError },
}

/// Why a change to an account (saving it, moving its secret to its id, removing or renaming
/// it) failed, each message saying what was left as it was; why its secret could not be used;
/// or why no account could be chosen (`linked::select`).
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    NotFound(#[from] NoSuchAccount),
    #[error("no stores are linked yet; link one with `woolink connect`")]
    NoneLinked,
    #[error(
        "{} accounts are linked and none is the default: choose one with --account NAME (one of {}), or set a default with `woolink accounts default NAME`",
        .names.len(), .names.join(", ")
    )]
    Ambiguous { names: Vec<String> },
    #[error(
        "an account named \"{name}\" already exists; choose another name with --name, or replace it with --force"
    )]
    NameTaken { name: String },
    #[error(
        "an account named \"{name}\" already exists; choose another name, or remove that account first with `woolink accounts remove {name}`"
    )]
    NewNameTaken { name: String },
    #[error("{0}; nothing was saved")]
    SaveIndex(#[source] IndexError),
    #[error("could not save the credentials: {0}; nothing was saved")]
    SaveSecret(#[source] CredStoreError),
    #[error("{source}; {undo}")]
    SaveIndexWrite { source: IndexError, undo: Box<Undo> },
    #[error("{0}; nothing was saved")]
    CaCopy(#[source] crate::accounts::ca_copy::CaCopyError),
    /// An entry from before account ids could not be moved to the account's id; nothing was
    /// lost: the old entry is still there.
    #[error("{0}; the secret of this account was not moved to its new entry, and is still kept")]
    MoveIndex(#[source] IndexError),
    #[error(
        "could not move the secret of \"{name}\" to an entry of its own in the {storage}: {source}; it is still kept where it was"
    )]
    MoveSecret {
        name: String,
        storage: SecretStorage,
        source: CredStoreError,
    },
    #[error(
        "could not move the secret of \"{name}\" to an entry of its own in the {storage}: what was read back is not what was written; it is still kept where it was"
    )]
    ReadBack {
        name: String,
        storage: SecretStorage,
    },
    #[error(
        "the secret of \"{name}\" is kept in the {account_storage}, but woolink opened the {store_storage} to remove it (a bug in woolink); nothing was removed"
    )]
    WrongStore {
        name: String,
        account_storage: SecretStorage,
        store_storage: SecretStorage,
    },
    #[error("{0}; nothing was removed")]
    RemoveIndex(#[source] IndexError),
    #[error("could not delete the saved credentials of \"{name}\": {source}; nothing was removed")]
    RemoveSecret {
        name: String,
        source: CredStoreError,
    },
    #[error(
        "deleted the saved credentials of \"{name}\", but {source}; the account is still listed: run `woolink accounts remove {name}` again"
    )]
    RemoveIndexWrite { name: String, source: IndexError },
    #[error(
        "the account \"{name}\" was linked before account ids and its secret could not be moved to an entry of its own, so it cannot be renamed yet: {source}"
    )]
    NoId {
        name: String,
        source: Box<VaultError>,
    },
    #[error("{0}; nothing was renamed")]
    RenameIndex(#[source] IndexError),
    /// The account's secret could not be read from its store.
    #[error(transparent)]
    ReadSecret(CredStoreError),
    /// The entry holds another key than the one the index names (an entry written by something
    /// else, or by another config folder before account ids): not used.
    #[error(
        "the {storage} holds the key {stored} for \"{name}\", but the account index names the key {recorded}; woolink did not use it: {}",
        crate::domain::relink::Relink::new_key(.name)
    )]
    Mismatch {
        name: String,
        storage: SecretStorage,
        /// The stored key, masked.
        stored: String,
        /// The key the index names, masked.
        recorded: String,
    },
}

impl VaultError {
    /// The `--json` kind and class of failure (see `cmd/error.rs`): the change that failed
    /// names it, unless the account or its name was the problem.
    pub fn class(&self) -> (&'static str, Failure) {
        use VaultError::*;
        match self {
            NotFound(_) => ("no_such_account", Failure::Usage),
            NoneLinked => ("no_accounts", Failure::Usage),
            Ambiguous { .. } => ("ambiguous_account", Failure::Usage),
            NameTaken { .. } | NewNameTaken { .. } => ("name_taken", Failure::Usage),
            CaCopy(_) => ("ca_cert_copy", Failure::Local),
            SaveIndex(_) | SaveSecret(_) | SaveIndexWrite { .. } => ("save", Failure::Local),
            MoveIndex(_) | MoveSecret { .. } | ReadBack { .. } => ("secret_move", Failure::Local),
            WrongStore { .. } | RemoveIndex(_) | RemoveSecret { .. } | RemoveIndexWrite { .. } => {
                ("remove", Failure::Local)
            }
            NoId { .. } | RenameIndex(_) => ("rename", Failure::Local),
            ReadSecret(_) => ("credential_store", Failure::Local),
            Mismatch { .. } => ("secret_mismatch", Failure::Local),
        }
    }
}

/// Stores `creds` under a new account id and records `account` with it, doing with an account
/// of the same name what `existing` allows (see the module docs for the steps).
/// `account.secret_storage` is set to `store.storage()`. The same link proven again keeps the
/// date it was first linked. `ca_cert`, the CA certificate connect was given, is copied into
/// the config folder under the lock, and the copy is deleted again if the account is not saved
/// (unless another account uses it), so a failed save leaves none behind.
pub async fn save(
    dir: &Path,
    store: &dyn CredentialStore,
    mut account: Account,
    creds: &Credentials,
    existing: Existing,
    ca_cert: Option<&Path>,
) -> Result<Saved, VaultError> {
    account.secret_storage = store.storage();
    account.id = Some(crate::domain::account::new_id());
    let mut index = Index::lock(dir).await.map_err(VaultError::SaveIndex)?;
    let mut link = Link::New;
    let mut secret_restored = false;
    if let Some(old) = index.accounts.iter().find(|a| a.name == account.name) {
        let same = old.same_link(&account);
        let allowed = match existing {
            Existing::Refuse => false,
            Existing::Replace => true,
            Existing::SameLink => same,
        };
        if !allowed {
            return Err(VaultError::NameTaken { name: account.name });
        }
        link = Link::Replaced;
        if same {
            link = Link::AlreadyLinked;
            account.linked_at = old.linked_at.clone();
            // Whether the secret had gone missing, and is kept again.
            if old.secret_storage == store.storage() {
                secret_restored = match store.get(&EntryId::for_account(old)).await {
                    Ok(kept) => kept.key.suffix() != old.key_suffix,
                    Err(CredStoreError::NotFound | CredStoreError::Corrupt) => true,
                    Err(err) => return Err(VaultError::SaveSecret(err)),
                };
            }
        }
        // A scripted link does not learn the store's title (that would cost another request):
        // the title known for the same store is kept.
        if old.store_url == account.store_url && account.store_name.is_none() {
            account.store_name = old.store_name.clone();
        }
    }
    if let Some(source) = ca_cert {
        account.ca_cert =
            Some(crate::accounts::ca_copy::keep(dir, source).map_err(VaultError::CaCopy)?);
    }
    // What the index holds on disk until the new one lands: a copy none of them uses is ours.
    let saved_before = ca_cert.map(|_| index.accounts.clone());
    let stored = store_entry(&mut index, store, "save", &account, creds, false).await;
    let replaced = stored.map_err(|err| {
        if let Some(saved_before) = &saved_before {
            crate::accounts::ca_copy::release(dir, &account, saved_before);
        }
        match err {
            StoreError::Pending(err) => VaultError::SaveIndex(err),
            StoreError::Secret(err) => VaultError::SaveSecret(err),
            StoreError::ReadBack => VaultError::SaveSecret(CredStoreError::Corrupt),
            StoreError::Index { source, undo } => VaultError::SaveIndexWrite { source, undo },
        }
    })?;
    let mut old_left = None;
    if let Some(old) = &replaced {
        crate::accounts::ca_copy::release(dir, old, &index.accounts);
        let left = delete_replaced(dir, store, &index, &pending_entry(old)).await;
        // Done either way: what could not be deleted is said, not retried on every command
        // (the keychain may be the store that cannot be reached any more).
        drop_record(&mut index, &account);
        old_left = left.err().map(|error| OldSecret {
            storage: old.secret_storage,
            id: EntryId::for_account(old),
            error,
        });
    }
    let replaced = replaced.filter(|_| link == Link::Replaced);
    let old_key_still_used = (replaced.as_ref())
        .is_some_and(|old| index.accounts.iter().any(|other| other.same_key(old)));
    Ok(Saved {
        account,
        link,
        replaced,
        old_key_still_used,
        old_left,
        secret_restored,
    })
}

/// Steps 1 to 3 of a change (see the module docs), each followed by the crash point
/// `{step}:pending`, `{step}:secret`, `{step}:index`: a [`Pending`] record for `account`'s new
/// entry (replacing the entry of the account of its name) written into the index, `creds`
/// stored in that entry (and, with `read_back`, read back and compared), and the index written
/// with `account` in the place of the account of its name, which is returned. A record left
/// only for the replaced entry is the caller's to clear once that entry is deleted
/// ([`delete_replaced`]).
async fn store_entry(
    index: &mut LockedIndex,
    store: &dyn CredentialStore,
    step: &str,
    account: &Account,
    creds: &Credentials,
    read_back: bool,
) -> Result<Option<Account>, StoreError> {
    let crash_point = |at: &str| crate::domain::crash::point(&format!("{step}:{at}"));
    let id = account
        .id
        .clone()
        .expect("a new entry is named by the account's id");
    let entry = EntryId::for_id(&id);
    let position = index.accounts.iter().position(|a| a.name == account.name);
    let replaces = position.map(|i| pending_entry(&index.accounts[i]));
    index.pending.push(Pending {
        id: id.clone(),
        storage: store.storage(),
        name: account.name.clone(),
        replaces: replaces.clone(),
    });
    index.write().map_err(StoreError::Pending)?;
    crash_point("pending");
    if let Err(err) = store.set(&entry, creds).await {
        // Nothing was stored, and the record goes (if it cannot, the next command clears it);
        // unless woolink only stopped waiting: the write may still land (a keychain unlocked
        // late), so the record stays and the next command deletes what it finds.
        if !matches!(err, CredStoreError::TimedOut { .. }) {
            drop_record(index, account);
        }
        return Err(StoreError::Secret(err));
    }
    crash_point("secret");
    if read_back {
        let error = match store.get(&entry).await {
            // The same down to the site login.
            Ok(back) if *credstore::encode(&back) == *credstore::encode(creds) => None,
            Ok(_) | Err(CredStoreError::NotFound | CredStoreError::Corrupt) => {
                Some(StoreError::ReadBack)
            }
            Err(err) => Some(StoreError::Secret(err)),
        };
        if let Some(error) = error {
            // The record goes once the copy is known gone; else the next command deletes it.
            if matches!(undo(store, entry).await, Undo::Removed) {
                drop_record(index, account);
            }
            return Err(error);
        }
    }
    let replaced = match position {
        Some(i) => Some(std::mem::replace(&mut index.accounts[i], account.clone())),
        None => {
            index.accounts.push(account.clone());
            None
        }
    };
    if replaces.is_none() {
        index.pending.retain(|p| p.id != id);
    }
    if let Err(source) = index.write() {
        // The record written in step 1 stays on disk and names the entry, so what this cannot
        // delete, the next command does.
        let undo = Box::new(undo(store, entry).await);
        return Err(StoreError::Index { source, undo });
    }
    crash_point("index");
    Ok(replaced)
}

/// Why [`store_entry`] failed, by step; [`save`] and [`migrate`] each say it in their words.
#[derive(Debug)]
enum StoreError {
    /// The index could not be written with the pending record: nothing was stored.
    Pending(IndexError),
    /// The entry could not be written, or read back.
    Secret(CredStoreError),
    /// What was read back is not what was written (or nothing was): the entry was undone.
    ReadBack,
    /// The index could not be written with the account; `undo` says what became of the entry.
    Index { source: IndexError, undo: Box<Undo> },
}

/// Deletes the entry just written, as a failed change is undone.
async fn undo(store: &dyn CredentialStore, entry: EntryId) -> Undo {
    match store.delete(&entry).await {
        Ok(()) | Err(CredStoreError::NotFound) => Undo::Removed,
        Err(error) => Undo::Failed { id: entry, error },
    }
}

/// A change is over (done, undone, or given up on): the [`Pending`] record of `account`'s
/// entry goes. If the index cannot be written now, the next command finds the record and
/// deals with it.
fn drop_record(index: &mut LockedIndex, account: &Account) {
    index.pending.retain(|p| Some(&p.id) != account.id.as_ref());
    let _ = index.write();
}

/// The entry `account` keeps its secret in, as a pending record names it.
fn pending_entry(account: &Account) -> PendingEntry {
    PendingEntry {
        storage: account.secret_storage,
        id: EntryId::for_account(account),
    }
}

/// Deletes the entry a finished change replaced (absent is fine), in `store` when it is kept
/// there, else in the store it names. Never one an account in `index` still names.
async fn delete_replaced(
    dir: &Path,
    store: &dyn CredentialStore,
    index: &Index,
    old: &PendingEntry,
) -> Result<(), CredStoreError> {
    let id = &old.id;
    let named = index
        .accounts
        .iter()
        .any(|a| a.secret_storage == old.storage && EntryId::for_account(a) == *id);
    if named {
        return Ok(());
    }
    let deleted = if old.storage == store.storage() {
        store.delete(id).await
    } else {
        match credstore::open(old.storage, dir).await {
            Ok(other) => other.delete(id).await,
            Err(err) => Err(err),
        }
    };
    match deleted {
        Err(CredStoreError::NotFound) => Ok(()),
        deleted => deleted,
    }
}

/// What [`recover`] did with the records a killed woolink left.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Changes finished: the accounts (by name) that had landed in the index, whose replaced
    /// entry is now deleted.
    pub finished: Vec<String>,
    /// Changes undone: the accounts (by name) whose entry had been written (or was about to
    /// be) but never recorded, now deleted.
    pub undone: Vec<String>,
    /// Records that could not be dealt with now (their store failed): kept for the next
    /// command.
    pub left: Vec<(String, CredStoreError)>,
}

/// Finishes or undoes what [`Pending`] records left in the index name (see the module docs).
/// Reads the index without a lock first, so it costs nothing when there are none. A record is
/// read under the index lock, which every change holds from writing its record to clearing
/// it, so any record seen there is one its writer left when it died. The lock is only tried,
/// never waited for: another woolink holding it finishes, or leaves the record for later.
pub async fn recover(dir: &Path) -> Result<Recovered, IndexError> {
    recover_with(dir, credstore::opener(dir)).await
}

/// [`recover`], opening each store it needs with `open`.
async fn recover_with(dir: &Path, open: Opener) -> Result<Recovered, IndexError> {
    let mut recovered = Recovered::default();
    if Index::read(dir)?.pending.is_empty() {
        return Ok(recovered);
    }
    // Held, it is held by a woolink at work, whose record this may be: left for later.
    let mut index = match Index::lock_within(dir, std::time::Duration::ZERO).await {
        Err(IndexError::LockTimedOut { .. }) => return Ok(recovered),
        index => index?,
    };
    let mut stores = credstore::Opened::<CredStoreError>::new(open);
    let mut kept = Vec::new();
    for record in std::mem::take(&mut index.pending) {
        let committed = index
            .accounts
            .iter()
            .any(|a| a.id.as_deref() == Some(record.id.as_str()));
        let target = if committed {
            record.replaces.clone()
        } else {
            Some(PendingEntry {
                storage: record.storage,
                id: EntryId::for_id(&record.id),
            })
        };
        let result = match &target {
            None => Ok(()),
            Some(target) => {
                let opened = stores.get(target.storage, |err| {
                    CredStoreError::Failed(err.to_string())
                });
                match opened.await {
                    Ok(store) => delete_replaced(dir, store, &index, target).await,
                    Err(err) => Err(err),
                }
            }
        };
        // A keychain that did not answer is not asked again for the next record: each would
        // wait out its own time-out before the command could start.
        if let (Some(target), Err(err)) = (&target, &result)
            && err.is_unreachable()
        {
            stores.give_up(target.storage, err.clone());
        }
        match result {
            Ok(()) if committed => recovered.finished.push(record.name.clone()),
            Ok(()) => recovered.undone.push(record.name.clone()),
            Err(err) => {
                recovered.left.push((record.name.clone(), err));
                kept.push(record);
            }
        }
    }
    index.pending = kept;
    // Every record kept as it was (its store still out of reach): the file is not rewritten
    // at each command's start.
    if !(recovered.finished.is_empty() && recovered.undone.is_empty()) {
        index.write()?;
    }
    Ok(recovered)
}

/// Gives the account `name`, from an index written before account ids, its id, moving its
/// secret from the entry named by store URL and account name to the entry named by the id:
/// a pending record, the secret copied, read back and compared, the index written with the
/// id, the old entry deleted, the record cleared (a crash anywhere leaves the secret readable,
/// and [`recover`] tidies up). An old entry that holds another key than the account's (a
/// second config folder that linked the same store under the same name overwrote it) is left
/// where it is, for that folder, and the account keeps no id: reading it then reports the
/// mismatch. With no old entry at all, the account simply gets its id.
pub async fn migrate(
    dir: &Path,
    store: &dyn CredentialStore,
    name: &str,
) -> Result<(Account, Option<Credentials>), VaultError> {
    let mut index = Index::lock(dir).await.map_err(VaultError::MoveIndex)?;
    let position = index.position(name)?;
    let account = index.accounts[position].clone();
    if account.id.is_some() {
        return Ok((account, None));
    }
    let storage = account.secret_storage;
    let secret_error = |source| VaultError::MoveSecret {
        name: name.to_owned(),
        storage,
        source,
    };
    let moved = Account {
        id: Some(crate::domain::account::new_id()),
        ..account.clone()
    };
    let creds = match store.get(&EntryId::for_account(&account)).await {
        Ok(creds) if creds.key.suffix() == account.key_suffix => creds,
        Ok(_) | Err(CredStoreError::Corrupt) => return Ok((account, None)),
        Err(CredStoreError::NotFound) => {
            index.accounts[position] = moved.clone();
            index.write().map_err(VaultError::MoveIndex)?;
            return Ok((moved, None));
        }
        Err(err) => return Err(secret_error(err)),
    };
    let stored = store_entry(&mut index, store, "migrate", &moved, &creds, true).await;
    stored.map_err(|err| match err {
        StoreError::ReadBack => VaultError::ReadBack {
            name: name.to_owned(),
            storage,
        },
        StoreError::Secret(err) => secret_error(err),
        StoreError::Pending(err) | StoreError::Index { source: err, .. } => {
            VaultError::MoveIndex(err)
        }
    })?;
    // Once the old entry is gone the record is done; if it cannot be deleted now the record
    // stays, and the next command tries again.
    if (delete_replaced(dir, store, &index, &pending_entry(&account)).await).is_ok() {
        drop_record(&mut index, &moved);
    }
    drop_legacy_plaintext_copy(dir, &account).await;
    Ok((moved, Some(creds)))
}

/// Before account ids, a keychain account could keep a plaintext copy of its secret from an
/// earlier `--store file` link under the same (old-style) entry name in `credentials.json`:
/// deleted with the account's move to an id, or its removal. Whether one was deleted.
async fn drop_legacy_plaintext_copy(dir: &Path, account: &Account) -> bool {
    let file = PlaintextFileStore::new(dir);
    if account.secret_storage == SecretStorage::PlaintextFile || !file.path().exists() {
        return false;
    }
    let id = EntryId::legacy(&account.store_url, &account.name);
    file.delete(&id).await.is_ok()
}

/// What [`remove`] did.
#[derive(Debug)]
pub struct Removed {
    pub account: Account,
    /// The store held the account's secret, now deleted (else it had no entry for it any
    /// more).
    pub secret_deleted: bool,
    /// A plaintext copy of a keychain account's secret from before account ids was deleted
    /// too.
    pub plaintext_copy: bool,
    /// The accounts left that use the same key at the same store (then it is not to be
    /// revoked), from the index as written.
    pub key_used_by: Vec<String>,
}

/// Deletes the account's secret (absent is fine: `secret_deleted` is then false),
/// then its index entry. `store` must be the store the account's `secret_storage` names; with
/// none (`accounts remove --index-only`) the secret is left where it is. An old-style entry
/// that holds another key than the account's belongs to another config folder and is left
/// alone.
pub async fn remove(
    dir: &Path,
    store: Option<&dyn CredentialStore>,
    name: &str,
) -> Result<Removed, VaultError> {
    let mut index = Index::lock(dir).await.map_err(VaultError::RemoveIndex)?;
    let position = index.position(name)?;
    let account = &index.accounts[position];
    let id = EntryId::for_account(account);
    let deleted = match store {
        None => Err(CredStoreError::NotFound),
        Some(store) if account.secret_storage != store.storage() => {
            return Err(VaultError::WrongStore {
                name: name.to_owned(),
                account_storage: account.secret_storage,
                store_storage: store.storage(),
            });
        }
        Some(store)
            if account.id.is_none()
                && matches!(store.get(&id).await, Ok(kept) if kept.key.suffix() != account.key_suffix) =>
        {
            Err(CredStoreError::NotFound)
        }
        Some(store) => store.delete(&id).await,
    };
    let secret_deleted = match deleted {
        Ok(()) => true,
        Err(CredStoreError::NotFound) => false,
        Err(source) => {
            return Err(VaultError::RemoveSecret {
                name: name.to_owned(),
                source,
            });
        }
    };
    let account = index.accounts.remove(position);
    index
        .write()
        .map_err(|source| VaultError::RemoveIndexWrite {
            name: name.to_owned(),
            source,
        })?;
    crate::accounts::ca_copy::release(dir, &account, &index.accounts);
    let key_used_by = (index.accounts.iter())
        .filter(|other| other.same_key(&account))
        .map(|other| other.name.clone())
        .collect();
    let plaintext_copy = account.id.is_none() && drop_legacy_plaintext_copy(dir, &account).await;
    Ok(Removed {
        account,
        secret_deleted,
        plaintext_copy,
        key_used_by,
    })
}

/// The account's credentials, for commands that talk to the store: moved to an entry of the
/// account's own first if it has no id yet ([`migrate`]), and only when the stored key is the
/// key the index names. `store` must be the store the account's `secret_storage` names.
pub async fn load_credentials(
    dir: &Path,
    store: &dyn CredentialStore,
    account: &Account,
) -> Result<Credentials, VaultError> {
    let (account, moved) = match account.id {
        None => migrate(dir, store, &account.name).await?,
        Some(_) => (account.clone(), None),
    };
    let credentials = match moved {
        Some(moved) => moved,
        None => {
            (store.get(&EntryId::for_account(&account)).await).map_err(VaultError::ReadSecret)?
        }
    };
    if credentials.key.suffix() != account.key_suffix {
        return Err(VaultError::Mismatch {
            name: account.name.clone(),
            storage: account.secret_storage,
            stored: credentials.key.masked(),
            recorded: masked_key(&account.key_suffix),
        });
    }
    Ok(credentials)
}

/// Renames the account `old` to `new`, the default following it: the index alone changes, as
/// the secret is kept under the account's id. An account from before ids must have been given
/// one first ([`migrate`]); one that still has none (its old entry holds another key) is
/// given one here, as that entry is not its own. Whether it is the default account (as it was
/// under its old name).
pub async fn rename(dir: &Path, old: &str, new: &str) -> Result<bool, VaultError> {
    let mut index = Index::lock(dir).await.map_err(VaultError::RenameIndex)?;
    let position = index.position(old)?;
    if index.accounts.iter().any(|a| a.name == new) {
        return Err(VaultError::NewNameTaken {
            name: new.to_owned(),
        });
    }
    let account = &mut index.accounts[position];
    account.name = new.to_owned();
    account
        .id
        .get_or_insert_with(crate::domain::account::new_id);
    let default = index.default.as_deref() == Some(old);
    if default {
        index.default = Some(new.to_owned());
    }
    index.write().map_err(VaultError::RenameIndex)?;
    Ok(default)
}

#[cfg(test)]
mod tests;
