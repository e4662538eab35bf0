//! Credentials from the environment, for `woolink api` and `woolink run` in scripts and CI:
//! WOOLINK_STORE_URL, WOOLINK_CONSUMER_KEY and WOOLINK_CONSUMER_SECRET used as they are. No
//! index is read, no keychain is opened and nothing is written, so a CI job needs no config
//! folder and no Secret Service.
//!
//! The API root is found as `connect` finds it, without credentials, or taken from
//! WOOLINK_API_ROOT once it passes the check an account's recorded root passes. The way the
//! key is sent follows connect's rule for the store's address; it is not probed.

use crate::face::term::Ui;

use crate::cmd::Chosen;
use crate::cmd::error::Error;
use crate::cmd::input;
use crate::domain::keys::{ConsumerKey, Credentials};
use crate::domain::store_url::StoreUrl;
use crate::domain::variables::{
    API_ROOT_VAR, CREDENTIAL_VARS, KEY_VAR, SITE_PASSWORD_VAR, SITE_USER_VAR, STORE_URL_VAR,
};
use crate::face::cli::NetArgs;
use crate::woocommerce::probe::{self, ApiRoot, ProbeError};

/// The credential variables `is_set` says are not set, in [`CREDENTIAL_VARS`] order.
fn missing(is_set: impl Fn(&str) -> bool) -> Vec<&'static str> {
    CREDENTIAL_VARS
        .into_iter()
        .filter(|name| !is_set(name))
        .collect()
}

/// Set and not empty, as clap and `input` read variables.
fn is_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| !value.is_empty())
}

/// The usage error for a partial set: using the default account instead could send a script's
/// work to another store than the one it names.
fn partial_error(missing: &[&str]) -> Error {
    let set: Vec<&str> = CREDENTIAL_VARS
        .into_iter()
        .filter(|name| !missing.contains(name))
        .collect();
    let verb = |names: &[&str]| if names.len() == 1 { "is" } else { "are" };
    Error::Usage(format!(
        "{} {} set but {} {} not: credentials from the environment need all three of {}. Set {}, or unset {} to use a linked account (or pass --account NAME)",
        set.join(" and "),
        verb(&set),
        missing.join(" and "),
        verb(missing),
        CREDENTIAL_VARS.join(", "),
        missing.join(" and "),
        set.join(" and "),
    ))
}

/// The store and credentials the environment gives, if it gives all three; `None` when it
/// gives none of them. Checks each value; sends nothing.
pub fn read() -> Result<Option<(StoreUrl, Credentials)>, Error> {
    let missing = missing(is_set);
    if missing.len() == CREDENTIAL_VARS.len() {
        return Ok(None);
    } else if !missing.is_empty() {
        return Err(partial_error(&missing));
    }
    let url = plain_var(STORE_URL_VAR)?;
    let store = url
        .parse::<StoreUrl>()
        .map_err(|err| Error::Usage(format!("{STORE_URL_VAR}: {err}")))?;
    let key = ConsumerKey::parse(&plain_var(KEY_VAR)?)
        .map_err(|error| input::invalid(&format!("consumer key (from {KEY_VAR})"), error))?;
    let secret = input::secret_from_variable()?;
    let site = match std::env::var(SITE_USER_VAR) {
        Ok(user) if !user.is_empty() => Some(input::site_login_for(&user, false)?),
        _ if is_set(SITE_PASSWORD_VAR) => {
            return Err(Error::Usage(format!(
                "{SITE_PASSWORD_VAR} is set but {SITE_USER_VAR} is not: the site login needs its user name too"
            )));
        }
        _ => None,
    };
    Ok(Some((store, Credentials { key, secret, site })))
}

fn plain_var(name: &str) -> Result<String, Error> {
    std::env::var(name)
        .map_err(|_| Error::Usage(format!("{name} is set, but not to valid UTF-8 text")))
}

/// Where the credentials from the environment go, and how: the store chosen at its canonical
/// address (the one found, or the one given with WOOLINK_API_ROOT) with the way to send
/// `credentials` there, and its API root. With WOOLINK_API_ROOT set, that root once checked, and no request;
/// otherwise the store is found as `connect` finds it, sending no credential, with a client
/// made only then.
pub async fn locate(
    store: &StoreUrl,
    credentials: Credentials,
    net: &NetArgs,
    ui: Ui,
) -> Result<(Chosen, ApiRoot, Credentials), Error> {
    let given = std::env::var(API_ROOT_VAR)
        .ok()
        .filter(|root| !root.is_empty());
    let (store, root) = match &given {
        Some(given) => (store.clone(), given.clone()),
        None => {
            let http = super::client_trusting(net, net.ca_cert.clone(), ui)?;
            let site = probe::look_up(&http, store, credentials.site.as_ref()).await?;
            // No person is here to agree to another address, as connect asks one to.
            site.named_by(store)?;
            (site.store, site.root.to_string())
        }
    };
    // connect's rule, with a message that names the variable: api and run have no --allow-http,
    // so plain http goes only to this computer.
    let auth_method = probe::auth_method(&store, false, &credentials).map_err(|err| match err {
        ProbeError::PlainHttpRefused { store } => Error::Usage(format!(
            "{STORE_URL_VAR} is {store}, plain http: the key would travel unprotected. Use the store's https address; plain http is used only with this computer (loopback), signed with OAuth 1.0a"
        )),
        other => other.into(),
    })?;
    // What discovery found passes the check a recorded root passes before any key follows.
    let checked = probe::root::checked_api_root(&root, &store.to_string(), auth_method)
        .map_err(|why| {
            Error::Usage(match &given {
                Some(given) => format!(
                    "{API_ROOT_VAR} \"{}\" {why}; woolink sent nothing. Unset it to have woolink find the API root of {}",
                    crate::domain::text::visible_line(given),
                    store.shown()
                ),
                None => format!(
                    "{} gives its API root as \"{root}\", which {why}; woolink sent nothing. Set {API_ROOT_VAR} to the store's API root",
                    store.shown()
                ),
            })
        })?;
    ui.debug(&match given {
        Some(_) => format!("API root {checked} from {API_ROOT_VAR}"),
        None => format!(
            "API root {checked} found at {} without credentials",
            store.shown()
        ),
    });
    let chosen = Chosen {
        name: None,
        store_url: store.to_string(),
        auth_method,
        ca_cert: net.ca_cert.clone(),
    };
    Ok((chosen, checked, credentials))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::variables::SECRET_VAR;

    #[test]
    fn all_three_or_none_else_the_missing_are_named() {
        let with = |set: &[&str]| missing(|name| set.contains(&name));
        assert_eq!(with(&[]), CREDENTIAL_VARS);
        assert!(with(&CREDENTIAL_VARS).is_empty());
        assert_eq!(with(&[STORE_URL_VAR, KEY_VAR]), [SECRET_VAR]);
        assert_eq!(with(&[SECRET_VAR]), [STORE_URL_VAR, KEY_VAR]);
        let message = partial_error(&[SECRET_VAR]).to_string();
        assert!(
            message.starts_with(
                "WOOLINK_STORE_URL and WOOLINK_CONSUMER_KEY are set but WOOLINK_CONSUMER_SECRET is not"
            ),
            "{message}"
        );
        assert_eq!(partial_error(&[KEY_VAR]).exit_code(), 2);
    }
}
