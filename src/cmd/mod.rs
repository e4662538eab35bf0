//! One module per subcommand. Each takes parsed arguments, does the work through the library
//! and prints through `output`.

pub mod accounts;
pub mod api;
pub mod connect;
pub mod docs;
pub mod env_creds;
pub mod env_file;
pub mod error;
pub mod input;
pub mod rotate;
pub mod run;
pub mod verify;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::accounts::config;
use crate::accounts::credstore::{self, CredStoreError};
use crate::accounts::index::Index;
use crate::accounts::linked;
use crate::accounts::vault::VaultError;
use crate::cmd::error::Error;
use crate::domain::account::{Access, Account, AuthMethod};
use crate::domain::keys::Credentials;
use crate::domain::variables::CREDENTIAL_VARS;
use crate::face::cli::NetArgs;
use crate::face::term::Ui;
use crate::http::HttpClient;
use crate::woocommerce::api::ApiError;
use crate::woocommerce::probe::{ApiRoot, ProbeReport};

/// The store a command talks to. Holds no secret.
#[derive(Debug, Clone)]
pub struct Chosen {
    /// The linked account's name; `None` for credentials from the environment.
    pub name: Option<String>,
    /// The store's canonical address.
    pub store_url: String,
    pub auth_method: AuthMethod,
    /// The certificate file trusted for this store: `--ca-cert` (or WOOLINK_CA_CERT) when
    /// given, else the copy kept with the linked account, if any.
    pub ca_cert: Option<PathBuf>,
}

/// The config folder and its credential stores, for a command that reads linked accounts:
/// the folder found once, each store opened once, when first needed.
struct ConfigFolder {
    dir: PathBuf,
    stores: credstore::Opened<CredStoreError>,
}

impl ConfigFolder {
    /// `folder`, found now if it was not yet. Credentials from the environment never ask, so
    /// a CI job needs no config folder.
    fn found(folder: &mut Option<ConfigFolder>) -> Result<&mut ConfigFolder, Error> {
        match folder {
            Some(found) => Ok(found),
            None => {
                let dir = config::config_dir()?;
                let stores = credstore::Opened::new(credstore::opener(&dir));
                Ok(folder.insert(ConfigFolder { dir, stores }))
            }
        }
    }
}

/// The store a command means, its checked API root, and its credentials: the account
/// `--account` names, else credentials from the environment, else the default account (or
/// the only one). `--verbose` says which. For a linked account, the root and the CA copy are
/// checked first: a hand-edited index must not even get the keychain opened. A linked account
/// is read through `folder`, which the command keeps for any other account it reads.
async fn chosen_account(
    requested: Option<&str>,
    net: &NetArgs,
    ui: Ui,
    folder: &mut Option<ConfigFolder>,
) -> Result<(Chosen, ApiRoot, Credentials), Error> {
    let (chosen, source) = if requested.is_none()
        && let Some((store, credentials)) = env_creds::read()?
    {
        let source = format!(
            "environment variables ({}); no index or keychain is used",
            CREDENTIAL_VARS.join(", ")
        );
        (
            env_creds::locate(&store, credentials, net, ui).await?,
            source,
        )
    } else {
        let folder = ConfigFolder::found(folder)?;
        let (account, is_default) = lookup(&folder.dir, requested)?;
        let name = &account.name;
        let source = match (requested, is_default) {
            (Some(_), _) => format!("the account \"{name}\" from the index (--account)"),
            (None, true) => format!("the default account \"{name}\" from the index"),
            (None, false) => format!("the only linked account, \"{name}\", from the index"),
        };
        (account_in(folder, account, net).await?, source)
    };
    ui.debug(&format!("credentials: {source}"));
    Ok(chosen)
}

/// The chosen store, root and credentials for an `account` already read from the index in
/// `folder.dir`, its credential store opened unless `folder` holds it.
async fn account_in(
    folder: &mut ConfigFolder,
    account: Account,
    net: &NetArgs,
) -> Result<(Chosen, ApiRoot, Credentials), Error> {
    let dir = &folder.dir;
    let root = crate::woocommerce::probe::root::api_root(&account, &Index::path(dir))
        .map_err(ApiError::from)?;
    let ca_cert = trusted_ca(net, dir, &account)?;
    let name = &account.name;
    let credentials = linked::credentials(dir, &account, &mut folder.stores).await;
    let credentials = credentials.map_err(|err| match err {
        VaultError::ReadSecret(CredStoreError::NotFound) => Error::SecretMissing {
            name: name.clone(),
            storage: account.secret_storage.to_string(),
        },
        VaultError::ReadSecret(source) if source.is_unreachable() => Error::Keychain {
            source,
            advice: format!(
                "The secret of \"{name}\" is kept there: start or unlock the keychain and try again. To use the store without the keychain, give no --account (nor WOOLINK_ACCOUNT) and set WOOLINK_STORE_URL, WOOLINK_CONSUMER_KEY and WOOLINK_CONSUMER_SECRET: then nothing is read from the index or the keychain"
            ),
        },
        err => err.into(),
    })?;
    let chosen = Chosen {
        name: Some(account.name),
        store_url: account.store_url,
        auth_method: account.auth_method,
        ca_cert,
    };
    Ok((chosen, root, credentials))
}

/// Writes onto `account` what `report` proved at `now`, with the `access` the caller decided
/// (verify keeps what a check could not measure). Title, and with `wordpress_too` the
/// WordPress address, only when the store's index gave a title.
fn record_proven(
    account: &mut Account,
    report: &ProbeReport,
    access: Access,
    now: &str,
    wordpress_too: bool,
) {
    account.verified_at = now.to_owned();
    account.access = access;
    account.auth_method = report.auth_method;
    account.api_root = report.site.root.to_string();
    if let Some(title) = report.site.name() {
        account.store_name = Some(title.to_owned());
        if wordpress_too {
            account.wordpress_url = report.site.wordpress_url().map(|url| url.to_string());
        }
    }
}

/// What `accounts list` and `accounts verify` say when there is no account.
fn say_none_linked(ui: Ui, dir: &Path) {
    ui.status(&format!(
        "No stores are linked yet (no accounts in {}). Link one with `woolink connect`.",
        Index::path(dir).display()
    ));
}

/// The config folder, the account named `name`, and whether it is the default.
pub fn find(name: &str) -> Result<(PathBuf, Account, bool), Error> {
    let dir = config::config_dir()?;
    let (account, is_default) = lookup(&dir, Some(name))?;
    Ok((dir, account, is_default))
}

/// The account `requested` names, else the default (or the only) one, from the index in
/// `dir`; and whether it is the default.
fn lookup(dir: &Path, requested: Option<&str>) -> Result<(Account, bool), Error> {
    let (accounts, default) = Index::load_with_default(dir)?;
    let account = linked::select(&accounts, default.as_deref(), requested)?.clone();
    let is_default = default.as_ref() == Some(&account.name);
    Ok((account, is_default))
}

/// Finishes or undoes what a woolink killed in the middle of a change left (see
/// `vault::recover`), before any command uses the index. Best effort: an index that cannot be
/// read is the command's to report, and a credential store that cannot be reached now is
/// tried again by the next command.
pub async fn recover_interrupted(ui: Ui) {
    let Ok(dir) = config::config_dir() else {
        return;
    };
    let Ok(recovered) = crate::accounts::vault::recover(&dir).await else {
        return;
    };
    for name in &recovered.finished {
        ui.status(&format!(
            "Finished a change to \"{name}\" that an interrupted woolink left: its replaced secret is deleted."
        ));
    }
    for name in &recovered.undone {
        ui.status(&format!(
            "Undid a change to \"{name}\" that an interrupted woolink left: the secret it had stored, which no account lists, is deleted."
        ));
    }
    for (name, err) in &recovered.left {
        crate::face::term::warning(&format!(
            "an interrupted woolink left a change to \"{name}\" unfinished, and it cannot be finished now ({err}); the next woolink command tries again."
        ));
    }
}

/// A client trusting `extra_ca` besides the system's roots: the chosen store's certificate, or
/// `net.ca_cert` (`--ca-cert`, WOOLINK_CA_CERT) for connect and stores not yet linked.
fn client_trusting(net: &NetArgs, extra_ca: Option<PathBuf>, ui: Ui) -> Result<HttpClient, Error> {
    let timeout = Duration::from_secs(net.timeout);
    Ok(HttpClient::new(extra_ca.as_deref(), timeout, ui.debug)?)
}

/// What to trust for a linked account: an explicit `--ca-cert` wins over the copy kept with
/// the account, so a store that changed CA can be reached before it is linked again.
fn trusted_ca(net: &NetArgs, dir: &Path, account: &Account) -> Result<Option<PathBuf>, Error> {
    match &net.ca_cert {
        Some(given) => Ok(Some(given.clone())),
        None => Ok(crate::accounts::ca_copy::path_for(dir, account)?),
    }
}
