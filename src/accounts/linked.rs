//! Using a linked account: which one a command means (`--account`, the default, the only one),
//! and its credentials from the store the index names. Prints and asks nothing.

use std::path::Path;

use crate::accounts::credstore::{self, CredStoreError};
use crate::accounts::index::NoSuchAccount;
use crate::accounts::vault::VaultError;
use crate::domain::account::Account;
use crate::domain::keys::Credentials;

/// What `STORE` (a table column) and `Store:` (a summary row) show everywhere: the store's
/// title, which is how a person recognises a client, or its address while no title is known.
pub fn store_label(account: &Account) -> String {
    match store_title(account) {
        Some(title) => title.to_owned(),
        None => crate::domain::store_url::shown_address(&account.store_url),
    }
}

/// The store's title as WordPress gave it, when one is known.
pub fn store_title(account: &Account) -> Option<&str> {
    account
        .store_name
        .as_deref()
        .filter(|title| !title.trim().is_empty())
}

/// Completes an argument that names a linked account (shell completion, `COMPLETE=SHELL
/// woolink`): the names in the index, each with its store's title or address as help. Reads the
/// index only, never the keychain; a missing or unreadable index completes nothing.
pub fn complete_account_names() -> clap_complete::ArgValueCandidates {
    clap_complete::ArgValueCandidates::new(|| {
        let Ok(accounts) = crate::accounts::config::config_dir()
            .map_err(drop)
            .and_then(|dir| crate::accounts::index::Index::load(&dir).map_err(drop))
        else {
            return Vec::new();
        };
        accounts
            .into_iter()
            .map(|account| {
                let address = crate::domain::store_url::shown_address(&account.store_url);
                let store = store_label(&account);
                let help = if store == address {
                    address
                } else {
                    format!("{store} ({address})")
                };
                clap_complete::CompletionCandidate::new(account.name).help(Some(
                    crate::domain::text::visible_line(&help).into_owned().into(),
                ))
            })
            .collect()
    })
}

/// The account `requested` names; without a name, the default account, else the only one.
/// Failing, a usage error (exit 2): no such account, none linked, or no way to choose.
pub fn select<'a>(
    accounts: &'a [Account],
    default: Option<&str>,
    requested: Option<&str>,
) -> Result<&'a Account, VaultError> {
    let names = || accounts.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    let by_name = |name: &str| accounts.iter().find(|a| a.name == name);
    if let Some(name) = requested {
        return by_name(name).ok_or_else(|| NoSuchAccount::new(name, accounts).into());
    }
    if let Some(account) = default.and_then(by_name) {
        return Ok(account);
    }
    match accounts {
        [] => Err(VaultError::NoneLinked),
        [only] => Ok(only),
        _ => Err(VaultError::Ambiguous { names: names() }),
    }
}

/// The account's key and secret, from its credential store (opened unless `stores` holds it),
/// once shown to be the key the index names.
pub async fn credentials(
    dir: &Path,
    account: &Account,
    stores: &mut credstore::Opened<CredStoreError>,
) -> Result<Credentials, VaultError> {
    let opened = stores.get(account.secret_storage, |err| err).await;
    let store = opened.map_err(VaultError::ReadSecret)?;
    crate::accounts::vault::load_credentials(dir, store, account).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::index::tests::account;

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
        assert_eq!(chosen(&one, None, None).unwrap(), "a");
        assert_eq!(chosen(&two, None, Some("b")).unwrap(), "b");
        assert_eq!(chosen(&two, Some("b"), None).unwrap(), "b");
        assert_eq!(chosen(&two, Some("b"), Some("a")).unwrap(), "a");
        assert!(matches!(
            chosen(&two, None, None),
            Err(VaultError::Ambiguous { .. })
        ));
        assert!(matches!(
            chosen(&two, Some("gone"), None),
            Err(VaultError::Ambiguous { .. })
        ));
        assert!(matches!(
            chosen(&one, None, Some("x")),
            Err(VaultError::NotFound(NoSuchAccount { .. }))
        ));
        assert!(matches!(
            chosen(&[], None, None),
            Err(VaultError::NoneLinked)
        ));
    }
}
