//! Using a linked account: which one a command means (`--account`, the default, the only one),
//! and its credentials from the store the index names. Prints and asks nothing.

use std::path::Path;

use url::Url;

use crate::account::{Account, AuthMethod};
use crate::credstore;
use crate::keys::Credentials;
use crate::probe::ApiRoot;

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

/// Why no account could be chosen. All are usage errors (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("no stores are linked yet; link one with `woolink connect`")]
    NoneLinked,
    #[error(transparent)]
    NotFound(#[from] NoSuchAccount),
    #[error(
        "{} accounts are linked and none is the default: choose one with --account NAME (one of {}), or set a default with `woolink accounts default NAME`",
        .names.len(), .names.join(", ")
    )]
    Ambiguous { names: Vec<String> },
}

/// The advice to link an account again, as every message gives it: "link the store again with
/// `woolink connect --name NAME`". `connect --name` takes the store's address from the account
/// and keeps the same store with the same key without `--force` (the key and secret are asked
/// for, or given as usual); only another address or another key replaces the account, which
/// needs `--force`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relink<'a> {
    name: &'a str,
    /// The store's new address, when it moved.
    url: Option<&'a str>,
    /// The CA certificate has to be given again.
    ca_cert: bool,
    /// Another address or another key: connect replaces an account with it only when told.
    force: bool,
}

impl<'a> Relink<'a> {
    /// The same store and key again: the secret went missing, or the index was damaged.
    pub fn same_key(name: &'a str) -> Self {
        Self {
            name,
            url: None,
            ca_cert: false,
            force: false,
        }
    }

    /// A new key for the same store, replacing the one the store no longer knows.
    pub fn new_key(name: &'a str) -> Self {
        Self {
            force: true,
            ..Self::same_key(name)
        }
    }

    /// The store at another address (`url` may be a placeholder such as `URL`).
    pub fn at(name: &'a str, url: &'a str) -> Self {
        Self {
            url: Some(url),
            force: true,
            ..Self::same_key(name)
        }
    }

    /// Giving the CA certificate again, as `--ca-cert PATH`.
    pub fn with_ca_cert(self) -> Self {
        Self {
            ca_cert: true,
            ..self
        }
    }
}

impl std::fmt::Display for Relink<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("link the store again with `woolink connect")?;
        if let Some(url) = self.url {
            write!(f, " --url {url}")?;
        }
        write!(f, " --name {}", self.name)?;
        if self.ca_cert {
            f.write_str(" --ca-cert PATH")?;
        }
        if self.force {
            f.write_str(" --force")?;
        }
        f.write_str("`")
    }
}

/// Account names go into keychain entries, file contents and command lines: they are kept
/// plain (checked by `connect --name` and `accounts rename`).
pub fn check_name(name: &str) -> Result<(), crate::error::Error> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    if name.is_empty()
        || name.len() > crate::store_url::MAX_ACCOUNT_NAME_LEN
        || !name.chars().all(plain)
    {
        return Err(crate::error::Error::InvalidName(name.to_owned()));
    }
    Ok(())
}

/// What `STORE` (a table column) and `Store:` (a summary row) show everywhere: the store's
/// title, which is how a person recognises a client, or its address while no title is known.
pub fn store_label(account: &Account) -> String {
    match store_title(account) {
        Some(title) => title.to_owned(),
        None => crate::store_url::shown_address(&account.store_url),
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
        let Ok(accounts) = crate::config::config_dir()
            .map_err(drop)
            .and_then(|dir| crate::index::Index::load(&dir).map_err(drop))
        else {
            return Vec::new();
        };
        accounts
            .into_iter()
            .map(|account| {
                let address = crate::store_url::shown_address(&account.store_url);
                let store = store_label(&account);
                let help = if store == address {
                    address
                } else {
                    format!("{store} ({address})")
                };
                clap_complete::CompletionCandidate::new(account.name)
                    .help(Some(crate::output::visible_line(&help).into_owned().into()))
            })
            .collect()
    })
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
        return by_name(name).ok_or_else(|| NoSuchAccount::new(name, accounts).into());
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

/// The account's key and secret, from its credential store, once shown to be the key the
/// index names.
pub fn credentials(dir: &Path, account: &Account) -> Result<Credentials, crate::vault::LoadError> {
    let store = credstore::open(account.secret_storage, dir)?;
    crate::vault::load_credentials(dir, store.as_ref(), account)
}

/// Why an account's recorded API root cannot receive its credentials. The index holds what
/// the probe found, so any of these means the index was edited by hand (or by something else).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the account index {index} gives \"{name}\" the API root \"{api_root}\", which {why}; woolink sent nothing: {}",
    Relink::same_key(.name)
)]
pub struct BadApiRoot {
    pub index: String,
    pub name: String,
    pub api_root: String,
    pub why: &'static str,
}

/// The account's REST API root, once it is shown fit to receive the account's credentials
/// (see [`checked_api_root`]). `index` names the file in errors.
pub fn api_root(account: &Account, index: &Path) -> Result<ApiRoot, BadApiRoot> {
    checked_api_root(&account.api_root, &account.store_url, account.auth_method).map_err(|why| {
        BadApiRoot {
            index: index.display().to_string(),
            name: account.name.clone(),
            api_root: account.api_root.clone(),
            why,
        }
    })
}

/// `api_root` once it is shown fit to receive credentials sent by `auth`: an http(s) base URL
/// on the store's own origin, and https unless they are signed with OAuth 1.0a (the one way
/// whose secret never crosses the wire). The error says why not, to follow "which".
pub fn checked_api_root(
    api_root: &str,
    store_url: &str,
    auth: AuthMethod,
) -> Result<ApiRoot, &'static str> {
    let url = Url::parse(api_root).map_err(|_| "is not a URL")?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("carries a user name or password");
    }
    let root = ApiRoot::new(url).ok_or("is not an http(s) address")?;
    let store = Url::parse(store_url)
        .map_err(|_| "cannot be checked against its store address, which is not a URL")?;
    if !crate::same_site::origin(root.url(), &store) {
        return Err(
            "is not on the store's own address (scheme, host and port must match its store URL)",
        );
    }
    if root.url().scheme() != "https" && auth != AuthMethod::OAuth1 {
        return Err(
            "is plain http while the key and secret would be sent as they are: they would cross the wire in clear",
        );
    }
    Ok(root)
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
            Err(SelectError::NotFound(NoSuchAccount { .. }))
        ));
        assert_eq!(chosen(&[], None, None), Err(SelectError::NoneLinked));
    }

    #[test]
    fn an_api_root_must_be_https_on_the_stores_own_origin() {
        let index = Path::new("/config/accounts.json");
        let with = |store: &str, root: &str, auth| Account {
            api_root: root.to_owned(),
            auth_method: auth,
            ..account("shop", store)
        };
        let ok = [
            (
                "https://s.example",
                "https://s.example/wp-json/",
                AuthMethod::Basic,
            ),
            (
                "https://s.example/sub",
                "https://s.example/sub/wp-json/",
                AuthMethod::QueryString,
            ),
            (
                "https://s.example",
                "https://s.example:443/index.php?rest_route=/",
                AuthMethod::Basic,
            ),
            (
                "http://127.0.0.1:8080",
                "http://127.0.0.1:8080/wp-json/",
                AuthMethod::OAuth1,
            ),
            (
                "https://s.example",
                "https://s.example/wp-json/",
                AuthMethod::OAuth1,
            ),
        ];
        for (store, root, auth) in ok {
            let found = api_root(&with(store, root, auth), index);
            assert_eq!(
                found.map(|r| r.to_string()),
                Ok(root.replace(":443", "")),
                "{root}"
            );
        }
        let bad = [
            ("https://s.example", "mailto:x@y", AuthMethod::Basic),
            ("https://s.example", "not a url", AuthMethod::Basic),
            ("https://s.example", "data:text/plain,x", AuthMethod::OAuth1),
            (
                "https://s.example",
                "https://evil.example/wp-json/",
                AuthMethod::Basic,
            ),
            (
                "https://s.example",
                "https://s.example:8443/wp-json/",
                AuthMethod::Basic,
            ),
            (
                "https://s.example",
                "http://s.example/wp-json/",
                AuthMethod::OAuth1,
            ),
            (
                "https://s.example",
                "https://u:p@s.example/wp-json/",
                AuthMethod::Basic,
            ),
            (
                "http://s.example",
                "http://s.example/wp-json/",
                AuthMethod::Basic,
            ),
            (
                "http://s.example",
                "http://s.example/wp-json/",
                AuthMethod::QueryString,
            ),
            ("not a url", "https://s.example/wp-json/", AuthMethod::Basic),
        ];
        for (store, root, auth) in bad {
            let err = api_root(&with(store, root, auth), index).unwrap_err();
            let message = err.to_string();
            assert!(message.contains("/config/accounts.json"), "{message}");
            assert!(
                message.contains("link the store again with `woolink connect --name shop`"),
                "{message}"
            );
        }
    }

    /// `--force` only where connect would otherwise refuse: another address or another key.
    #[test]
    fn relink_advice_asks_for_force_only_for_another_address_or_key() {
        let cases = [
            (Relink::same_key("shop"), "`woolink connect --name shop`"),
            (
                Relink::same_key("shop").with_ca_cert(),
                "`woolink connect --name shop --ca-cert PATH`",
            ),
            (
                Relink::new_key("shop"),
                "`woolink connect --name shop --force`",
            ),
            (
                Relink::at("shop", "https://new.example"),
                "`woolink connect --url https://new.example --name shop --force`",
            ),
        ];
        for (relink, command) in cases {
            assert_eq!(
                relink.to_string(),
                format!("link the store again with {command}")
            );
        }
    }
}
