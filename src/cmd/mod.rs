//! One module per subcommand. Each takes parsed arguments, does the work through the library
//! and prints through `output`.

pub mod accounts;
pub mod api;
pub mod connect;
pub mod docs;
pub mod run;
pub mod verify;

use std::time::Duration;

use crate::account::Account;
use crate::api::ApiError;
use crate::cli::NetArgs;
use crate::config;
use crate::credstore::CredStoreError;
use crate::error::Error;
use crate::http::{HttpClient, HttpConfig};
use crate::index::Index;
use crate::keys::Credentials;
use crate::linked;
use crate::probe::ApiRoot;

/// A store that accepts no connection in this time will not do better later.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The account a command means (`--account`, else the default, else the only one), its
/// checked API root, and its credentials. The root is checked first: a hand-edited index must
/// not even get the keychain opened.
fn chosen_account(requested: Option<&str>) -> Result<(Account, ApiRoot, Credentials), Error> {
    let dir = config::config_dir()?;
    let (accounts, default) = Index::load_with_default(&dir)?;
    let account = linked::select(&accounts, default.as_deref(), requested)?.clone();
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
    Ok((account, root, credentials))
}

fn http_client(net: &NetArgs) -> Result<HttpClient, Error> {
    let total = Duration::from_secs(net.timeout);
    Ok(HttpClient::new(&HttpConfig {
        extra_ca: net.ca_cert.clone(),
        request_timeout: total,
        connect_timeout: CONNECT_TIMEOUT.min(total),
    })?)
}
