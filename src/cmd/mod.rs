//! One module per subcommand. Each takes parsed arguments, does the work through the library
//! and prints through `output`.

pub mod accounts;
pub mod api;
pub mod connect;
pub mod docs;
pub mod run;
pub mod verify;

use std::time::Duration;

use crate::account::{Account, AuthMethod};
use crate::api::ApiError;
use crate::cli::NetArgs;
use crate::config;
use crate::credstore::CredStoreError;
use crate::env_creds;
use crate::error::Error;
use crate::http::{HttpClient, HttpConfig};
use crate::index::Index;
use crate::keys::Credentials;
use crate::linked;
use crate::probe::ApiRoot;

/// A store that accepts no connection in this time will not do better later.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a command uses the store it uses: `--account > environment credentials > default
/// account` (README, "Scripts and CI").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--account NAME` (or WOOLINK_ACCOUNT), from the index.
    Named(String),
    /// WOOLINK_STORE_URL, WOOLINK_CONSUMER_KEY and WOOLINK_CONSUMER_SECRET.
    Environment,
    /// The default account, from the index.
    Default(String),
    /// The only linked account, from the index.
    Only(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Named(name) => write!(f, "the account \"{name}\" from the index (--account)"),
            Source::Environment => write!(
                f,
                "environment variables ({}); no index or keychain is used",
                env_creds::CREDENTIAL_VARS.join(", ")
            ),
            Source::Default(name) => write!(f, "the default account \"{name}\" from the index"),
            Source::Only(name) => write!(f, "the only linked account, \"{name}\", from the index"),
        }
    }
}

/// The store a command talks to, and how it was chosen. Holds no secret.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub source: Source,
    /// The store's canonical address.
    pub store_url: String,
    pub auth_method: AuthMethod,
}

impl Chosen {
    /// The linked account's name; `None` for credentials from the environment.
    pub fn name(&self) -> Option<&str> {
        match &self.source {
            Source::Named(name) | Source::Default(name) | Source::Only(name) => Some(name),
            Source::Environment => None,
        }
    }
}

/// The store a command means, its checked API root, and its credentials: the account
/// `--account` names, else credentials from the environment, else the default account (or
/// the only one). `--verbose` says which.
async fn chosen_account(
    requested: Option<&str>,
    net: &NetArgs,
) -> Result<(Chosen, ApiRoot, Credentials), Error> {
    if requested.is_none()
        && let Some((store, credentials)) = env_creds::read()?
    {
        let located = env_creds::locate(
            &store,
            &credentials,
            || http_client(net),
            Duration::from_secs(net.timeout),
        )
        .await?;
        let chosen = Chosen {
            source: Source::Environment,
            store_url: located.store.to_string(),
            auth_method: located.auth_method,
        };
        crate::http::debug_line(&format!("credentials: {}", chosen.source));
        return Ok((chosen, located.root, credentials));
    }
    let (source, account, root, credentials) = linked_account(requested)?;
    crate::http::debug_line(&format!("credentials: {source}"));
    let chosen = Chosen {
        source,
        store_url: account.store_url,
        auth_method: account.auth_method,
    };
    Ok((chosen, root, credentials))
}

/// The linked account a command means (`--account`, else the default, else the only one), its
/// checked API root, and its credentials. The root is checked first: a hand-edited index must
/// not even get the keychain opened.
fn linked_account(
    requested: Option<&str>,
) -> Result<(Source, Account, ApiRoot, Credentials), Error> {
    let dir = config::config_dir()?;
    let (accounts, default) = Index::load_with_default(&dir)?;
    let account = linked::select(&accounts, default.as_deref(), requested)?.clone();
    let source = match requested {
        Some(_) => Source::Named(account.name.clone()),
        None if default.as_deref() == Some(account.name.as_str()) => {
            Source::Default(account.name.clone())
        }
        None => Source::Only(account.name.clone()),
    };
    let root = linked::api_root(&account, &Index::path(&dir)).map_err(ApiError::from)?;
    let credentials = match linked::credentials(&dir, &account) {
        Ok(credentials) => credentials,
        Err(CredStoreError::NotFound) => {
            return Err(Error::SecretMissing {
                name: account.name.clone(),
                storage: account.secret_storage.to_string(),
            });
        }
        Err(err) => return Err(err.into()),
    };
    Ok((source, account, root, credentials))
}

fn http_client(net: &NetArgs) -> Result<HttpClient, Error> {
    let total = Duration::from_secs(net.timeout);
    Ok(HttpClient::new(&HttpConfig {
        extra_ca: net.ca_cert.clone(),
        request_timeout: total,
        connect_timeout: CONNECT_TIMEOUT.min(total),
    })?)
}
