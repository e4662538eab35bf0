//! The OS keychain through keyring-core, with the platform store chosen explicitly (libdbus
//! Secret Service on Linux, Keychain on macOS, Credential Manager on Windows).
//!
//! Every call, including connecting, runs on tokio's blocking pool and is awaited with a
//! timeout: a locked keyring with an unlock dialog would otherwise block forever, and the
//! runtime's one thread stays free for other work (e.g. `accounts verify`'s requests) meanwhile.
//! A call that times out leaves its thread behind, blocked; it holds no secret we still need and
//! dies with the process.
//!
//! Trusting "no entry": a Secret Service whose keyring was never unlocked (no default collection)
//! answers every lookup with `NoEntry`, exactly like a working, empty one. So before reporting
//! `NotFound` on Linux, the store must have been seen working in this process (any successful
//! call), or a probe proves it: writing and deleting a throw-away entry (`woolink:probe`), which
//! in that state fails with `NoStorageAccess` (reported as `Locked`) instead. `connect` asks for
//! the same probe before it sends the key anywhere, so a keyring that cannot keep the key is named
//! first; with a display, a locked keyring's unlock dialog then comes before the key check.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use keyring_core::{CredentialStore as CoreStore, Entry, Error as KeyringError};
use zeroize::{Zeroize, Zeroizing};

use super::{
    CredStoreError, CredentialStore, EntryId, StoreFuture, Unavailability, decode, encode,
};
use crate::domain::account::SecretStorage;
use crate::domain::keys::Credentials;

/// How long one keychain call may take before woolink gives up on it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

const PROBE_SERVICE: &str = "woolink:probe";

/// The throw-away entry that proves the store works. One per process: connects running at the
/// same time would otherwise write and delete the same item under each other.
fn probe_entry() -> EntryId {
    EntryId {
        service: PROBE_SERVICE.to_owned(),
        user: format!("woolink-{}", std::process::id()),
    }
}

/// The OS keychain (or any keyring-core store, for tests).
pub struct KeychainStore {
    store: Arc<CoreStore>,
    timeout: Duration,
    /// Whether a `NoEntry` answer must be confirmed by a probe before it counts as `NotFound`.
    verify_before_not_found: bool,
    seen_working: AtomicBool,
}

impl KeychainStore {
    /// Connects to this platform's keychain, within `timeout`. On Linux, `NotFound` is then
    /// reported only once the store is known to work (see the module docs).
    pub async fn open_platform(timeout: Duration) -> Result<Self, CredStoreError> {
        let connected = bounded(timeout, platform_store).await?;
        let store = connected.map_err(|err| match map_error(err) {
            CredStoreError::Failed(detail) => CredStoreError::Unavailable {
                why: Unavailability::Other(detail),
            },
            other => other,
        })?;
        Ok(Self {
            timeout,
            verify_before_not_found: cfg!(target_os = "linux"),
            ..Self::with_store(store)
        })
    }

    /// Wraps any keyring-core store (e.g. `keyring_core::mock::Store`), trusting `NoEntry`.
    pub fn with_store(store: Arc<CoreStore>) -> Self {
        Self {
            store,
            timeout: DEFAULT_TIMEOUT,
            verify_before_not_found: false,
            seen_working: AtomicBool::new(false),
        }
    }

    /// Runs `op` on the entry on the blocking pool, within the timeout, and gives its answer
    /// in woolink's terms (`NoEntry` as `NotFound`, trusted as it is: see [`confirmed`]).
    ///
    /// [`confirmed`]: Self::confirmed
    async fn call<T: Send + 'static>(
        &self,
        id: &EntryId,
        op: impl FnOnce(&Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<T, CredStoreError> {
        let store = Arc::clone(&self.store);
        let (service, user) = (id.service.clone(), id.user.clone());
        let result = bounded(self.timeout, move || {
            Entry::new_in_store(&store, &service, &user).and_then(|entry| op(&entry))
        })
        .await?;
        if result.is_ok() {
            self.seen_working.store(true, Ordering::Relaxed);
        }
        result.map_err(map_error)
    }

    /// An answer whose `NotFound` counts only if the store works; else why it does not.
    async fn confirmed<T>(&self, answer: Result<T, CredStoreError>) -> Result<T, CredStoreError> {
        if let Err(CredStoreError::NotFound) = answer {
            self.confirm_working().await?;
        }
        answer
    }

    /// Proves the store works unless it has been seen working (or need not be): the
    /// throw-away entry written and deleted, which a keyring never unlocked refuses.
    async fn confirm_working(&self) -> Result<(), CredStoreError> {
        if !self.verify_before_not_found || self.seen_working.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.call(&probe_entry(), |entry| {
            entry.set_password("probe")?;
            // The set proved the store works; a failed clean-up leaves a harmless entry.
            let _ = entry.delete_credential();
            Ok(())
        })
        .await
    }
}

impl CredentialStore for KeychainStore {
    fn storage(&self) -> SecretStorage {
        SecretStorage::Keychain
    }

    fn set<'a>(&'a self, id: &'a EntryId, creds: &'a Credentials) -> StoreFuture<'a, ()> {
        let text = encode(creds);
        Box::pin(self.call(id, move |entry| entry.set_password(&text)))
    }

    fn get<'a>(&'a self, id: &'a EntryId) -> StoreFuture<'a, Credentials> {
        Box::pin(async move {
            let answer = self.call(id, |entry| entry.get_password().map(Zeroizing::new));
            decode(&self.confirmed(answer.await).await?)
        })
    }

    fn delete<'a>(&'a self, id: &'a EntryId) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let answer = self.call(id, |entry| entry.delete_credential()).await;
            self.confirmed(answer).await
        })
    }

    /// The same throw-away entry that confirms a `NoEntry`: a keyring that was never unlocked
    /// (or is locked with nobody to unlock it) is named before the key is checked, not after.
    fn check_writable(&self) -> StoreFuture<'_, ()> {
        Box::pin(self.confirm_working())
    }
}

/// Runs `work` on tokio's blocking pool and waits at most `timeout` for it.
async fn bounded<T: Send + 'static>(
    timeout: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CredStoreError> {
    match tokio::time::timeout(timeout, tokio::task::spawn_blocking(work)).await {
        Ok(Ok(value)) => Ok(value),
        Err(_elapsed) => Err(CredStoreError::TimedOut { after: timeout }),
        Ok(Err(_panicked)) => Err(CredStoreError::Failed(
            "the keychain call stopped without an answer".to_owned(),
        )),
    }
}

/// This platform's keychain (keyring-core's store for it), or why there is none.
fn platform_store() -> keyring_core::Result<Arc<CoreStore>> {
    #[cfg(target_os = "linux")]
    return Ok(dbus_secret_service_keyring_store::Store::new()?);
    #[cfg(target_os = "macos")]
    return Ok(apple_native_keyring_store::keychain::Store::new()?);
    #[cfg(target_os = "windows")]
    return Ok(windows_native_keyring_store::Store::new()?);
    #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
    Err(KeyringError::NotSupportedByStore(
        "woolink has no OS keychain support on this system".to_owned(),
    ))
}

/// Maps keyring-core's answer to what callers branch on (table in docs/keychain.md).
/// Never carries secret bytes: encoding errors hold the raw entry, which is wiped here.
fn map_error(err: KeyringError) -> CredStoreError {
    match err {
        KeyringError::NoEntry => CredStoreError::NotFound,
        KeyringError::PlatformFailure(source) => classify_platform_failure(&error_text(&*source)),
        KeyringError::NoStorageAccess(_) => CredStoreError::Unavailable {
            why: Unavailability::Locked,
        },
        KeyringError::BadEncoding(mut bytes) | KeyringError::BadDataFormat(mut bytes, _) => {
            bytes.zeroize();
            CredStoreError::Corrupt
        }
        KeyringError::Ambiguous(entries) => CredStoreError::Failed(format!(
            "{} keychain entries match this account where woolink expects one; remove the extra ones with your keychain tool, then link the store again",
            entries.len()
        )),
        other => CredStoreError::Failed(other.to_string()),
    }
}

/// What a platform failure's text says of the keychain: the first case one of whose words it
/// holds.
const PLATFORM_FAILURES: [(&str, Unavailability); 6] = [
    ("Failed to connect to", Unavailability::NoSessionBus),
    ("autolaunch", Unavailability::NoSessionBus),
    ("DBUS_SESSION_BUS_ADDRESS", Unavailability::NoSessionBus),
    ("ServiceUnknown", Unavailability::NoSecretService),
    ("org.freedesktop.secrets", Unavailability::NoSecretService),
    ("NameHasNoOwner", Unavailability::NoSecretService),
];

fn classify_platform_failure(text: &str) -> CredStoreError {
    match PLATFORM_FAILURES
        .iter()
        .find(|(word, _)| text.contains(word))
    {
        Some((_, why)) => CredStoreError::Unavailable { why: why.clone() },
        None => CredStoreError::Failed(format!("the OS keychain reported: {text}")),
    }
}

/// The error and its sources, joined: D-Bus details often sit in a source.
fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests;
