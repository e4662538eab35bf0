//! `woolink run -- CMD`: CMD with the account in its environment. The child's environment is
//! the one place the secret goes; woolink prints it nowhere and writes it nowhere.
//!
//! On Unix woolink execs CMD, so stdin/stdout/stderr, the terminal, signals and the exit
//! status are CMD's own with nothing in between. Elsewhere it waits for CMD and exits with its
//! code.

use crate::face::term::Ui;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use super::{Chosen, ConfigFolder};
use crate::accounts::index::Index;
use crate::accounts::index::NoSuchAccount;
use crate::cmd::env_file::{self, Entry};
use crate::cmd::error::{Error, Outcome};
use crate::domain::account::Account;
use crate::domain::keys::Credentials;
use crate::domain::variables::{CA_CERT_VARIABLE, Field, field_names, unknown_field};
use crate::face::cli::RunArgs;
use crate::woocommerce::api::NAMESPACE;
use crate::woocommerce::probe::ApiRoot;

/// Runs CMD; returns its exit code where woolink outlives it (not on Unix).
pub async fn run(args: RunArgs, ui: Ui) -> Result<Outcome, Error> {
    let mut command = prepared(args, &mut None, ui).await?;
    let program = command.get_program().to_string_lossy().into_owned();
    let spawn_error = |source| Error::Spawn { program, source };
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

/// CMD with its environment: the chosen account's fields, the `--env-file` lines and the
/// `--env` mappings. Linked accounts are read through `folder`.
async fn prepared(
    args: RunArgs,
    folder: &mut Option<ConfigFolder>,
    ui: Ui,
) -> Result<Command, Error> {
    // Everything the command line and the env file can get wrong is found before any
    // keychain is opened or CMD started.
    let path = args.env_file.as_deref();
    let file = path.map(|path| read_env_file(path, folder)).transpose()?;
    let (account, root, credentials) =
        super::chosen_account(args.account.as_deref(), &args.net, ui, folder).await?;
    let mut parts = args.command.into_iter();
    let mut command = Command::new(parts.next().expect("clap requires CMD"));
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
    let chosen_values = values(&account, &root, &credentials);
    for (field, value) in &chosen_values {
        command.env(field.variable(), value);
    }
    if let Some(lines) = &file {
        // Each account the file names is read once, through the credential stores the chosen
        // account was read through; the account chosen above is not read again.
        let mut read: HashMap<String, Vec<(Field, OsString)>> = HashMap::new();
        if let Some(name) = account.name.as_deref() {
            read.insert(name.to_owned(), chosen_values.clone());
        }
        for (entry, reference) in lines {
            let Some((account, field)) = reference else {
                command.env(&entry.name, entry.value.as_str());
                continue;
            };
            if !read.contains_key(&account.name) {
                let folder = ConfigFolder::found(folder)?;
                let (chosen, root, credentials) =
                    super::account_in(folder, account.clone(), &args.net).await?;
                read.insert(account.name.clone(), values(&chosen, &root, &credentials));
            }
            set_field(&mut command, &entry.name, &read[&account.name], *field);
        }
    }
    for mapping in &args.env {
        set_field(&mut command, &mapping.name, &chosen_values, mapping.field);
    }
    Ok(command)
}

/// `name` set to the account's `field`; unset when the account has none (no site login, no
/// CA certificate of its own), so that a value woolink inherited cannot stand in for it.
fn set_field(command: &mut Command, name: &str, values: &[(Field, OsString)], field: Field) {
    match values.iter().find(|(have, _)| *have == field) {
        Some((_, value)) => command.env(name, value),
        None => command.env_remove(name),
    };
}

const REFERENCE: &str = "woolink://";

/// A `--env-file` line: the variable it sets, and the linked account and field it names when
/// its value is a reference (`woolink://ACCOUNT/FIELD`) rather than exported as written.
type Line = (Entry, Option<(Account, Field)>);

/// Reads the file and checks each reference, then that every account one names is linked: in
/// the index, read once, before any keychain is opened.
fn read_env_file(path: &Path, folder: &mut Option<ConfigFolder>) -> Result<Vec<Line>, Error> {
    let refused = |entry: &Entry, why: String| {
        let line = env_file::where_in(path, entry.line);
        Error::Usage(format!(
            "{line} ({}): {why}; the command was not started",
            entry.name
        ))
    };
    let text = env_file::read_text(path)?;
    let mut lines = Vec::new();
    for entry in env_file::entries(path, &text)? {
        let Some(reference) = entry.value.trim().strip_prefix(REFERENCE) else {
            lines.push((entry, None));
            continue;
        };
        let Some((account, field)) = reference.split_once('/') else {
            let why = format!(
                "a reference is {REFERENCE}ACCOUNT/FIELD, with FIELD one of {}",
                field_names()
            );
            return Err(refused(&entry, why));
        };
        if account.is_empty() {
            let why =
                format!("a reference is {REFERENCE}ACCOUNT/FIELD: the account's name is missing");
            return Err(refused(&entry, why));
        }
        let Some(field) = Field::parse(field) else {
            return Err(refused(&entry, unknown_field(field)));
        };
        let reference = (account.to_owned(), field);
        lines.push((entry, Some(reference)));
    }
    let accounts = match lines.iter().any(|(_, reference)| reference.is_some()) {
        true => Index::load(&ConfigFolder::found(folder)?.dir)?,
        false => Vec::new(),
    };
    let resolved = |(entry, reference): (Entry, Option<(String, Field)>)| {
        let Some((name, field)) = reference else {
            return Ok((entry, None));
        };
        match accounts.iter().find(|account| account.name == name) {
            Some(account) => Ok((entry, Some((account.clone(), field)))),
            None => Err(refused(
                &entry,
                NoSuchAccount::new(&name, &accounts).to_string(),
            )),
        }
    };
    lines.into_iter().map(resolved).collect()
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

/// The account's fields CMD gets, each under its variable (see [`FIELDS`]), added to
/// woolink's own environment. Fields an account does not have are left out.
fn values(account: &Chosen, root: &ApiRoot, credentials: &Credentials) -> Vec<(Field, OsString)> {
    let api_url = root.route(&format!("{NAMESPACE}/"), &[]).to_string();
    let auth = account.auth_method.id();
    let mut variables = vec![
        (Field::Url, account.store_url.clone().into()),
        (Field::ApiRoot, root.to_string().into()),
        (Field::ApiUrl, api_url.into()),
        (Field::Key, credentials.key.expose().to_owned().into()),
        (Field::Secret, credentials.secret.expose().to_owned().into()),
        (Field::AuthMethod, auth.into()),
    ];
    if let Some(name) = account.name.as_deref() {
        variables.push((Field::Account, name.to_owned().into()));
    }
    if let Some(ca) = &account.ca_cert {
        // Absolute, so a child that changes folder still finds it.
        let ca = std::path::absolute(ca).unwrap_or_else(|_| ca.clone());
        variables.push((Field::CaCert, ca.into_os_string()));
    }
    // The web server's own login, for a site behind one: sent as HTTP Basic, the key then
    // in the query string (WOOCOMMERCE_AUTH_METHOD says so).
    if let Some(site) = &credentials.site {
        variables.push((Field::SiteUser, site.user().to_owned().into()));
        variables.push((
            Field::SitePassword,
            site.expose_password().to_owned().into(),
        ));
    }
    variables
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::credstore::{self, CredentialStore, EntryId, PlaintextFileStore};
    use crate::accounts::index::IndexError;
    use crate::domain::account::SecretStorage;
    use crate::domain::keys::{ConsumerKey, ConsumerSecret};
    use crate::domain::variables::FIELDS;
    use crate::face::cli::NetArgs;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn accounts_an_env_file_names_are_read_through_the_stores_the_chosen_one_was() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let mut accounts = Vec::new();
        for (name, key, secret) in [
            (
                "shop",
                "ck_0123456789abcdef0123456789abcdef01234567",
                "cs_89abcdef0123456789abcdef0123456789abcdef",
            ),
            (
                "staging",
                "ck_fedcba9876543210fedcba9876543210fedcba98",
                "cs_fedcba9876543210fedcba9876543210fedcba98",
            ),
        ] {
            let credentials = Credentials {
                key: ConsumerKey::parse(key).unwrap(),
                secret: ConsumerSecret::parse(secret).unwrap(),
                site: None,
            };
            let account = Account {
                secret_storage: SecretStorage::PlaintextFile,
                key_suffix: credentials.key.suffix().to_owned(),
                ..crate::accounts::index::tests::account(name, &format!("https://{name}.example"))
            };
            let entry = EntryId::for_account(&account);
            PlaintextFileStore::new(dir)
                .set(&entry, &credentials)
                .await
                .unwrap();
            accounts.push(account);
        }
        Index::update(dir, |linked| {
            *linked = accounts;
            Ok::<_, IndexError>(())
        })
        .await
        .unwrap();
        let file = dir.join("tool.env");
        let text = "SHOP_KEY=woolink://shop/key\nSHOP_SECRET=woolink://shop/secret\nSTAGING_URL=woolink://staging/url\n";
        std::fs::write(&file, text).unwrap();
        let opened = Arc::new(AtomicUsize::new(0));
        let count = opened.clone();
        let store_dir = dir.to_owned();
        let opener: credstore::Opener = Box::new(move |storage| {
            count.fetch_add(1, Ordering::SeqCst);
            let dir = store_dir.clone();
            Box::pin(async move { credstore::open(storage, &dir).await })
        });
        let mut folder = Some(ConfigFolder {
            dir: dir.to_owned(),
            stores: credstore::Opened::new(opener),
        });
        let args = RunArgs {
            account: Some("staging".to_owned()),
            env: Vec::new(),
            env_file: Some(file),
            command: vec!["true".into()],
            net: NetArgs {
                ca_cert: None,
                timeout: 30,
            },
        };
        let command = prepared(args, &mut folder, Ui::default()).await.unwrap();
        let env = |name: &str| {
            let mut envs = command.get_envs();
            let value = envs
                .find(|(have, _)| *have == name)
                .and_then(|(_, value)| value);
            value.map(|value| value.to_str().unwrap().to_owned())
        };
        assert_eq!(
            env("SHOP_KEY").unwrap(),
            "ck_0123456789abcdef0123456789abcdef01234567"
        );
        assert_eq!(
            env("SHOP_SECRET").unwrap(),
            "cs_89abcdef0123456789abcdef0123456789abcdef"
        );
        assert_eq!(env("STAGING_URL").unwrap(), "https://staging.example");
        assert_eq!(env("WOOLINK_ACCOUNT").unwrap(), "staging");
        assert_eq!(
            opened.load(Ordering::SeqCst),
            1,
            "the file store opened once"
        );
    }

    #[test]
    fn help_and_man_page_list_every_field_and_variable() {
        let man = crate::cmd::docs::ENVIRONMENT
            .iter()
            .map(|(names, _)| *names)
            .collect::<Vec<_>>()
            .join(", ");
        for (_, name, variable) in FIELDS {
            assert!(
                crate::face::cli::RUN_HELP.contains(&format!("  {name} ")),
                "{name}"
            );
            assert!(crate::face::cli::RUN_HELP.contains(variable), "{variable}");
            assert!(man.contains(variable), "{variable}");
        }
        for scrubbed in SCRUBBED.iter().filter(|name| name.starts_with("WOOLINK_")) {
            assert!(crate::face::cli::RUN_HELP.contains(scrubbed), "{scrubbed}");
        }
    }
}
