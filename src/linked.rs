//! Using a linked account: which one a command means (`--account`, the default, the only one),
//! and its credentials from the store the index names. Prints and asks nothing.

use std::path::Path;

use url::Url;

use crate::account::{Account, SecretStorage};
use crate::credstore::{self, CredStoreError, CredentialStore, StoreChoice};
use crate::keys::Credentials;
use crate::probe::ApiRoot;

/// Why no account could be chosen. All are usage errors (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("no stores are linked yet; link one with `woolink connect`")]
    NoneLinked,
    #[error("no account named \"{name}\"; linked accounts: {}", .existing.join(", "))]
    NotFound { name: String, existing: Vec<String> },
    #[error(
        "{} accounts are linked and none is the default: choose one with --account NAME (one of {}), or set a default with `woolink accounts default NAME`",
        .names.len(), .names.join(", ")
    )]
    Ambiguous { names: Vec<String> },
}

/// The account `requested` names; without a name, the default account, else the only one.
pub fn select<'a>(
    accounts: &'a [Account],
    default: Option<&str>,
    requested: Option<&str>,
) -> Result<&'a Account, SelectError> {
    let names = || accounts.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    let by_name = |name: &str| accounts.iter().find(|a| a.name == name);
    if let Some(name) = requested {
        return by_name(name).ok_or_else(|| SelectError::NotFound {
            name: name.to_owned(),
            existing: names(),
        });
    }
    if let Some(account) = default.and_then(by_name) {
        return Ok(account);
    }
    match accounts {
        [] => Err(SelectError::NoneLinked),
        [only] => Ok(only),
        _ => Err(SelectError::Ambiguous { names: names() }),
    }
}

/// The credential store an account's secret lives in.
pub fn open_store(
    storage: SecretStorage,
    dir: &Path,
) -> Result<Box<dyn CredentialStore>, CredStoreError> {
    let choice = match storage {
        SecretStorage::Keychain => StoreChoice::Keychain,
        SecretStorage::PlaintextFile => StoreChoice::PlaintextFile,
    };
    credstore::open(choice, dir)
}

/// The account's key and secret, from its credential store.
pub fn credentials(dir: &Path, account: &Account) -> Result<Credentials, CredStoreError> {
    let store = open_store(account.secret_storage, dir)?;
    crate::vault::load_credentials(store.as_ref(), account)
}

/// The account's REST API root. The index holds what the probe found, so a value that does
/// not parse means the index was edited by hand.
pub fn api_root(account: &Account) -> Option<ApiRoot> {
    Url::parse(&account.api_root).ok().and_then(ApiRoot::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tests::account;

    #[test]
    fn chooses_the_named_then_the_default_then_the_only_account() {
        let one = [account("a", "https://a.example")];
        let two = [
            account("a", "https://a.example"),
            account("b", "https://b.example"),
        ];
        let chosen = |accounts: &[Account], default, requested| {
            select(accounts, default, requested).map(|a| a.name.clone())
        };
        assert_eq!(chosen(&one, None, None), Ok("a".to_owned()));
        assert_eq!(chosen(&two, None, Some("b")), Ok("b".to_owned()));
        assert_eq!(chosen(&two, Some("b"), None), Ok("b".to_owned()));
        assert_eq!(chosen(&two, Some("b"), Some("a")), Ok("a".to_owned()));
        assert!(matches!(
            chosen(&two, None, None),
            Err(SelectError::Ambiguous { .. })
        ));
        assert!(matches!(
            chosen(&two, Some("gone"), None),
            Err(SelectError::Ambiguous { .. })
        ));
        assert!(matches!(
            chosen(&one, None, Some("x")),
            Err(SelectError::NotFound { .. })
        ));
        assert_eq!(chosen(&[], None, None), Err(SelectError::NoneLinked));
    }
}
