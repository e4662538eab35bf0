//! The credential-store boundary: where an account's consumer key and secret are kept.
//!
//! Two implementations: [`KeychainStore`], the OS keychain through keyring-core and a platform
//! store chosen explicitly (the normal case), and [`PlaintextFileStore`], a 0600 JSON file used
//! only when the user asks for it. No other module talks to keyring-core.
//!
//! The key and the secret are stored together, as one JSON value in one entry, so they can never
//! get out of step. Error messages never contain a secret.

mod file;
mod keychain;

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::domain::account::{Account, SecretStorage};
use crate::domain::keys::{ConsumerKey, ConsumerSecret, Credentials, SiteLogin};

pub use file::PlaintextFileStore;
pub use keychain::{DEFAULT_TIMEOUT, KeychainStore};

/// The service of every account's entry; the user is the account's id.
pub const SERVICE: &str = "woolink";

/// One entry in a credential store: service [`SERVICE`], user the account's random id. Entries
/// from before account ids are named [`EntryId::legacy`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntryId {
    pub service: String,
    pub user: String,
}

impl EntryId {
    /// The entry of the account with this id.
    pub fn for_id(id: &str) -> Self {
        Self {
            service: SERVICE.to_owned(),
            user: id.to_owned(),
        }
    }

    /// How entries were named before account ids: service `woolink:<store URL>`, user the
    /// account name (shared by every config folder that linked the store under that name).
    pub fn legacy(store_url: &str, account_name: &str) -> Self {
        Self {
            service: format!("woolink:{store_url}"),
            user: account_name.to_owned(),
        }
    }

    /// The entry that holds the account's secret: by its id, or by the old naming while it
    /// has none.
    pub fn for_account(account: &Account) -> Self {
        match &account.id {
            Some(id) => Self::for_id(id),
            None => Self::legacy(&account.store_url, &account.name),
        }
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "service \"{}\", user \"{}\"", self.service, self.user)
    }
}

/// What a store call returns: a boxed future, so that the store can be chosen at run time
/// (`Box<dyn CredentialStore>`) and a slow keychain is waited for without holding up the
/// runtime's one thread.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, CredStoreError>> + Send + 'a>>;

/// Where woolink keeps credentials. Implementations bound every call in time.
pub trait CredentialStore: Send + Sync {
    /// What the account record should say about where its secret lives.
    fn storage(&self) -> SecretStorage;
    /// Creates or replaces the entry.
    fn set<'a>(&'a self, id: &'a EntryId, creds: &'a Credentials) -> StoreFuture<'a, ()>;
    /// `Err(NotFound)` only when the store is known to work and has no such entry.
    fn get<'a>(&'a self, id: &'a EntryId) -> StoreFuture<'a, Credentials>;
    /// `Err(NotFound)` when there was no such entry.
    fn delete<'a>(&'a self, id: &'a EntryId) -> StoreFuture<'a, ()>;
    /// Whether an entry could be written now, asked before a key is sent anywhere so that a
    /// store that cannot keep it fails first. Only stores that can be unusable while answering
    /// (a keyring never unlocked) check anything.
    fn check_writable(&self) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}

/// Opens the chosen store. For the keychain this connects to it (bounded by [`DEFAULT_TIMEOUT`]),
/// so an unusable keychain is reported here, before anything is asked or written.
pub async fn open(
    storage: SecretStorage,
    config_dir: &Path,
) -> Result<Box<dyn CredentialStore>, CredStoreError> {
    Ok(match storage {
        SecretStorage::Keychain => Box::new(KeychainStore::open_platform(DEFAULT_TIMEOUT).await?),
        SecretStorage::PlaintextFile => Box::new(PlaintextFileStore::new(config_dir)),
    })
}

/// Opens a credential store when it is first needed (a fake one in tests).
pub type Opener =
    Box<dyn Fn(SecretStorage) -> StoreFuture<'static, Box<dyn CredentialStore>> + Send + Sync>;

/// The [`Opener`] of the stores kept for the config folder `dir`: [`open`].
pub fn opener(dir: &Path) -> Opener {
    let dir = dir.to_owned();
    Box::new(move |storage| {
        let dir = dir.clone();
        Box::pin(async move { open(storage, &dir).await })
    })
}

/// Each credential store opened at most once, when first needed, for a command that reads
/// several accounts' entries. One that could not be opened, or was found out of reach, is
/// given up on: its other entries would only wait for the same answer, and are reported with
/// the `E` it was given up with (verify's own words by default, else the store's error).
pub struct Opened<E = String> {
    open: Opener,
    stores: Vec<(SecretStorage, OpenedStore<E>)>,
}

/// `Err` holds what every entry of a store given up on is reported with.
type OpenedStore<E> = Result<Box<dyn CredentialStore>, E>;

impl<E: Clone> Opened<E> {
    pub fn new(open: Opener) -> Self {
        Self {
            open,
            stores: Vec::new(),
        }
    }

    /// The store `storage`, opened now if it was not yet; `failed` words why it could not be.
    pub async fn get(
        &mut self,
        storage: SecretStorage,
        failed: impl FnOnce(CredStoreError) -> E,
    ) -> Result<&dyn CredentialStore, E> {
        if !self.stores.iter().any(|(s, _)| *s == storage) {
            let opened = (self.open)(storage).await.map_err(failed);
            self.stores.push((storage, opened));
        }
        let (_, opened) = self
            .stores
            .iter()
            .find(|(s, _)| *s == storage)
            .expect("opened");
        opened.as_deref().map_err(E::clone)
    }

    /// Gives up on the store `storage`: its entries are reported with `why` from now on.
    pub fn give_up(&mut self, storage: SecretStorage, why: E) {
        self.stores.retain(|(s, _)| *s != storage);
        self.stores.push((storage, Err(why)));
    }
}

/// Why a credential store operation failed. Callers branch on the variant; messages say which
/// case it is and what the user can do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CredStoreError {
    #[error("no saved credentials for this account in the credential store")]
    NotFound,
    #[error("{}. {}", self.without_choices(), choices())]
    Unavailable { why: Unavailability },
    #[error("{}. {}", self.without_choices(), choices())]
    TimedOut { after: Duration },
    #[error("the credential store failed: {0}")]
    Failed(String),
    #[error(
        "the credential store entry for this account does not hold a WooCommerce key and secret saved by woolink; {}",
        crate::domain::relink::Relink::same_key("NAME")
    )]
    Corrupt,
}

impl CredStoreError {
    /// Whether the keychain cannot be reached at all (not a missing or damaged entry).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            CredStoreError::Unavailable { .. } | CredStoreError::TimedOut { .. }
        )
    }

    /// The error without the choices `connect` has (`--no-save`, `--store file`), for the
    /// commands that do not take them.
    pub fn without_choices(&self) -> String {
        match self {
            CredStoreError::Unavailable { why } => {
                format!("the OS keychain cannot be used: {why}")
            }
            CredStoreError::TimedOut { after } => format!(
                "the OS keychain did not answer within {}: it may be locked and waiting for someone to unlock it in a dialog",
                humantime::format_duration(*after)
            ),
            other => other.to_string(),
        }
    }
}

/// Why the OS keychain cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailability {
    /// No D-Bus session bus: `DBUS_SESSION_BUS_ADDRESS` unset or pointing at nothing.
    #[error(
        "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS points to nothing, or it is unset and no bus socket of yours is at $XDG_RUNTIME_DIR/bus or /run/user/UID/bus), so no Secret Service keychain can be reached"
    )]
    NoSessionBus,
    /// A session bus, but nothing on it provides `org.freedesktop.secrets`.
    #[error(
        "no Secret Service is running on the D-Bus session bus (nothing provides org.freedesktop.secrets)"
    )]
    NoSecretService,
    /// The keychain is locked (or was never unlocked) and could not be unlocked from here.
    #[error(
        "the keychain is locked, or was never unlocked and has no default collection, and it could not be unlocked from here"
    )]
    Locked,
    #[error("{0}")]
    Other(String),
}

/// The user's ways out, in one place so every keychain message offers the same ones.
pub fn choices() -> &'static str {
    if cfg!(target_os = "linux") {
        "Choices: start a Secret Service (e.g. `gnome-keyring-daemon --unlock` inside a D-Bus session, or KeePassXC with Secret Service integration enabled); use `--no-save` to only check the key; or use `--store file` (WOOLINK_STORE=file) to keep it in a plaintext file readable only by you"
    } else if cfg!(target_os = "macos") {
        "Choices: unlock your login keychain (Keychain Access); use `--no-save` to only check the key; or use `--store file` (WOOLINK_STORE=file) to keep it in a plaintext file readable only by you"
    } else if cfg!(target_os = "windows") {
        "Choices: check that Windows Credential Manager works for your account; use `--no-save` to only check the key; or use `--store file` (WOOLINK_STORE=file) to keep it in a plaintext file readable only by you"
    } else {
        "Choices: use `--no-save` to only check the key, or `--store file` (WOOLINK_STORE=file) to keep it in a plaintext file readable only by you"
    }
}

/// What one entry holds: `{"consumer_key": "ck_…", "consumer_secret": "cs_…"}`, plus
/// `site_user` and `site_password` for a site behind the web server's own password. The
/// plaintext file store keeps entries of the same shape.
#[derive(Serialize, Deserialize)]
pub(crate) struct Stored {
    consumer_key: String,
    consumer_secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    site_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    site_password: Option<String>,
}

impl Drop for Stored {
    fn drop(&mut self) {
        self.consumer_secret.zeroize();
        if let Some(password) = &mut self.site_password {
            password.zeroize();
        }
    }
}

impl Stored {
    pub(crate) fn new(creds: &Credentials) -> Stored {
        Stored {
            consumer_key: creds.key.expose().to_owned(),
            consumer_secret: creds.secret.expose().to_owned(),
            site_user: creds.site.as_ref().map(|site| site.user().to_owned()),
            site_password: creds
                .site
                .as_ref()
                .map(|site| site.expose_password().to_owned()),
        }
    }

    /// The stored credentials, checked again: what is read back must be what woolink would
    /// accept; anything else is `Corrupt`.
    pub(crate) fn credentials(&self) -> Result<Credentials, CredStoreError> {
        let site = match (&self.site_user, &self.site_password) {
            (None, None) => None,
            (Some(user), Some(password)) => {
                Some(SiteLogin::new(user, password).map_err(|_| CredStoreError::Corrupt)?)
            }
            _ => return Err(CredStoreError::Corrupt),
        };
        let key = ConsumerKey::parse(&self.consumer_key).map_err(|_| CredStoreError::Corrupt)?;
        let secret =
            ConsumerSecret::parse(&self.consumer_secret).map_err(|_| CredStoreError::Corrupt)?;
        Ok(Credentials { key, secret, site })
    }
}

/// An entry's text, as the keychain keeps it.
pub(crate) fn encode(creds: &Credentials) -> Zeroizing<String> {
    Zeroizing::new(serde_json::to_string(&Stored::new(creds)).expect("strings serialize to JSON"))
}

/// Parses an entry; anything that is not our JSON with well-formed credentials is `Corrupt`.
fn decode(text: &str) -> Result<Credentials, CredStoreError> {
    let stored: Stored = serde_json::from_str(text).map_err(|_| CredStoreError::Corrupt)?;
    stored.credentials()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const KEY: &str = "ck_0123456789abcdef0123456789abcdef01234567";
    pub(crate) const SECRET: &str = "cs_89abcdef0123456789abcdef0123456789abcdef";
    pub(crate) const SECRET2: &str = "cs_fedcba9876543210fedcba9876543210fedcba98";

    pub(crate) fn creds(secret: &str) -> Credentials {
        Credentials {
            key: ConsumerKey::parse(KEY).unwrap(),
            secret: ConsumerSecret::parse(secret).unwrap(),
            site: None,
        }
    }

    #[test]
    fn encodes_key_and_secret_together_and_back() {
        let text = encode(&creds(SECRET));
        assert_eq!(
            *text,
            format!("{{\"consumer_key\":\"{KEY}\",\"consumer_secret\":\"{SECRET}\"}}")
        );
        let back = decode(&text).unwrap();
        assert_eq!(back.key.expose(), KEY);
        assert_eq!(back.secret.expose(), SECRET);
    }

    #[test]
    fn anything_else_is_corrupt() {
        for text in [
            "",
            "hunter2",
            "{}",
            "{\"consumer_key\":\"ck_1\",\"consumer_secret\":\"cs_2\"}",
            &format!("{{\"consumer_key\":\"{SECRET}\",\"consumer_secret\":\"{KEY}\"}}"),
        ] {
            assert!(
                matches!(decode(text), Err(CredStoreError::Corrupt)),
                "{text}"
            );
        }
    }

    #[test]
    fn unavailable_messages_say_which_case_and_the_choices() {
        for (why, needle) in [
            (Unavailability::NoSessionBus, "no D-Bus session bus"),
            (Unavailability::NoSecretService, "no Secret Service"),
            (Unavailability::Locked, "locked"),
        ] {
            let message = CredStoreError::Unavailable { why }.to_string();
            assert!(message.contains(needle), "{message}");
            assert!(message.contains("--no-save"), "{message}");
            assert!(message.contains("--store file"), "{message}");
            assert!(message.contains("WOOLINK_STORE=file"), "{message}");
        }
    }
}
