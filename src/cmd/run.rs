//! `woolink run -- CMD`: CMD with the account in its environment. The child's environment is
//! the one place the secret goes; woolink prints it nowhere and writes it nowhere.
//!
//! On Unix woolink execs CMD, so stdin/stdout/stderr, the terminal, signals and the exit
//! status are CMD's own with nothing in between. Elsewhere it waits for CMD and exits with its
//! code.

use std::ffi::OsString;
use std::process::Command;

use super::Chosen;
use crate::api::NAMESPACE;
use crate::cli::RunArgs;
use crate::error::{Error, Outcome};
use crate::keys::Credentials;
use crate::probe::ApiRoot;

/// Runs CMD; returns its exit code where woolink outlives it (not on Unix).
pub async fn run(args: RunArgs) -> Result<Outcome, Error> {
    let (account, root, credentials) =
        super::chosen_account(args.account.as_deref(), &args.net).await?;
    let mut parts = args.command.into_iter();
    let program = parts.next().expect("clap requires CMD");
    let mut command = Command::new(&program);
    command.args(parts);
    // woolink's own input variables may name another store's key and secret; the child
    // gets the account's, as WOOCOMMERCE_*, and nothing else.
    for name in SCRUBBED {
        command.env_remove(name);
    }
    // With credentials from the environment there is no account to name; without a CA to
    // trust, a WOOCOMMERCE_CA_CERT woolink inherited would name another store's.
    command.env_remove("WOOLINK_ACCOUNT");
    command.env_remove(CA_CERT_VARIABLE);
    for (name, value) in environment(&account, &root, &credentials) {
        command.env(name, value);
    }
    let spawn_error = |source| Error::Spawn {
        program: program.to_string_lossy().into_owned(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Only returns when CMD could not be started.
        Err(spawn_error(command.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = command.status().map_err(spawn_error)?;
        // Windows codes are 32 bits: one that does not fit (256, an NTSTATUS) must not
        // become 0 by truncation.
        Ok(Outcome::Exited(
            status
                .code()
                .map_or(1, |code| u8::try_from(code).unwrap_or(1)),
        ))
    }
}

/// Variables of woolink's environment CMD does not inherit: `connect`'s inputs and the
/// environment credentials, which may be another store's than the one chosen.
const SCRUBBED: [&str; 8] = [
    "WOOLINK_API_ROOT",
    "WOOLINK_CONSUMER_SECRET",
    "WOOLINK_CONSUMER_KEY",
    "WOOLINK_STORE_URL",
    "WOOLINK_SITE_USER",
    "WOOLINK_SITE_PASSWORD",
    "WOOCOMMERCE_SITE_USER",
    "WOOCOMMERCE_SITE_PASSWORD",
];

/// The certificate file the store's HTTPS certificate is checked against, when it needs one
/// (a private CA, or the store's own self-signed certificate). Only this: `SSL_CERT_FILE` and
/// the like would replace the child's whole trust store (every other host would fail) or
/// make it trust the store's CA for every host.
pub const CA_CERT_VARIABLE: &str = "WOOCOMMERCE_CA_CERT";

/// The variables CMD gets, added to woolink's own environment.
fn environment(
    account: &Chosen,
    root: &ApiRoot,
    credentials: &Credentials,
) -> Vec<(&'static str, OsString)> {
    let api_url = root.route(&format!("{NAMESPACE}/"), &[]).to_string();
    let auth = account.auth_method.id();
    let mut variables = vec![
        ("WOOCOMMERCE_URL", account.store_url.clone().into()),
        ("WOOCOMMERCE_API_ROOT", root.to_string().into()),
        ("WOOCOMMERCE_API_URL", api_url.into()),
        (
            "WOOCOMMERCE_CONSUMER_KEY",
            credentials.key.expose().to_owned().into(),
        ),
        (
            "WOOCOMMERCE_CONSUMER_SECRET",
            credentials.secret.expose().to_owned().into(),
        ),
        ("WOOCOMMERCE_AUTH_METHOD", auth.into()),
    ];
    if let Some(name) = account.name() {
        variables.push(("WOOLINK_ACCOUNT", name.to_owned().into()));
    }
    if let Some(ca) = &account.ca_cert {
        // Absolute, so a child that changes folder still finds it.
        let ca = std::path::absolute(ca).unwrap_or_else(|_| ca.clone());
        variables.push((CA_CERT_VARIABLE, ca.into_os_string()));
    }
    // The web server's own login, for a site behind one: sent as HTTP Basic, the key then
    // in the query string (WOOCOMMERCE_AUTH_METHOD says so).
    if let Some(site) = &credentials.site {
        variables.push(("WOOCOMMERCE_SITE_USER", site.user().to_owned().into()));
        variables.push((
            "WOOCOMMERCE_SITE_PASSWORD",
            site.expose_password().to_owned().into(),
        ));
    }
    variables
}
