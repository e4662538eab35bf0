//! `woolink connect`: gather the input, prove the key against the store, keep the account.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::account::{Access, Account, AuthMethod, SecretStorage};
use crate::cli::{ConnectArgs, Require, StoreArg};
use crate::config;
use crate::credstore::{self, CredentialStore, StoreChoice};
use crate::env_file::{EnvFile, SecretLine};
use crate::error::Error;
use crate::index::Index;
use crate::input::{self, ConnectInput};
use crate::keys::SiteLogin;
use crate::output;
use crate::probe::{self, ProbeOptions, ProbeReport, ProbeStep, Site};
use crate::store_url::StoreUrl;
use crate::term::{Paint, Progress};

pub async fn run(mut args: ConnectArgs) -> Result<(), Error> {
    // A file that cannot be used stops connect before anything is asked, sent or written.
    let env_file = match args.env_file.clone() {
        Some(path) => Some(apply_env_file(&mut args, &path)?),
        None => None,
    };
    let interactive = input::can_prompt(args.output.no_input);
    if let Some(name) = &args.name {
        check_name(name)?;
    }
    let quiet = args.output.json || output::is_quiet();
    let asks = interactive && input::asks_for_something(&args);
    // A keychain or index that cannot be used, or a name already taken, is reported before
    // the key is sent anywhere, and before a person types anything (a script's flags are
    // checked first: they cost nothing).
    let mut target = None;
    if !args.no_save && interactive {
        target = Some(SaveTarget::open(&args, interactive)?);
    }
    if asks && !quiet {
        output::status(&intro(Paint::stderr()));
    }
    let (mut store, url_notes) = input::store(&args, interactive)?;
    if !quiet {
        for note in url_notes {
            output::status(&format!("Note: {note}"));
        }
    }
    let mut site_login = input::site_login(&args, interactive)?;
    let http = super::http_client(&args.net)?;
    let options = ProbeOptions {
        allow_http: args.allow_http,
        time_limit: Duration::from_secs(args.net.timeout),
    };
    // A person about to make a key learns first whether the store is there and where.
    let found = if asks {
        Some(look_up(&http, &mut store, &mut site_login, options, quiet).await?)
    } else {
        None
    };
    if asks || args.open {
        keys_page(&store, args.open, quiet);
    }
    let credentials = input::credentials(&args, interactive, site_login)?;
    let input = ConnectInput { store, credentials };
    if !args.no_save && target.is_none() {
        target = Some(SaveTarget::open(&args, interactive)?);
    }
    if !quiet {
        output::status(&format!(
            "Checking the key {} against {} ...",
            input.credentials.key,
            input.store.shown()
        ));
    }

    let progress = Progress::new(quiet);
    progress.start(&format!("Reaching {}", input.store.shown()));
    let observe = |step: ProbeStep| show_step(&progress, &input, step);
    let proving = probe::probe_observed(
        &http,
        &input.store,
        &input.credentials,
        options,
        found.as_ref(),
        &observe,
    );
    let report = match proving.await {
        Ok(report) => report,
        Err(err) => {
            progress.fail();
            return Err(err.into());
        }
    };
    progress.clear();
    if args.require == Require::ReadWrite && report.access == Access::Read {
        return Err(Error::NeedsWrite {
            key: input.credentials.key.masked(),
            admin: probe::keys_admin_url(&report.store),
        });
    }

    let name = args
        .name
        .clone()
        .unwrap_or_else(|| report.store.host_for_name());
    let saved = match target {
        Some(target) => Some(target.save(&name, &input, &report)?),
        None => None,
    };
    // Only once the secret is kept elsewhere can its lines in the file go.
    let leftover = match (&env_file, saved) {
        (Some(file), Some(_)) => Some(file.secret_lines(input.credentials.secret.expose())),
        _ => None,
    };
    if args.output.json {
        output::json(&ConnectView::new(
            &name,
            &input,
            &report,
            saved,
            leftover.as_deref(),
        ))
    } else {
        let mut text = summary(&name, &input, &report, saved);
        if let (Some(file), Some(lines), Some(storage)) = (&env_file, &leftover, saved) {
            text.push_str(&leftover_note(&file.path, lines, storage));
        }
        output::stdout(&text)
    }
}

/// Fills what flags and their variables left unset from the dotenv file at `path`.
fn apply_env_file(args: &mut ConnectArgs, path: &Path) -> Result<EnvFile, Error> {
    let file = EnvFile::read(path)?;
    if args.url.is_none() {
        args.url = file.url.as_ref().map(|(_, url)| url.clone());
    }
    if args.consumer_key.is_none() {
        args.consumer_key = file.key.as_ref().map(|(_, key)| key.expose().to_owned());
    }
    args.env_file_secret = file.secret.clone();
    Ok(file)
}

/// Which lines of the dotenv file still hold the saved secret: numbers and names, no value.
fn leftover_note(path: &Path, lines: &[SecretLine], storage: SecretStorage) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut text = format!(
        "  The secret is now kept in the {storage}. These lines of {} still hold it and can be deleted (woolink does not change the file):\n",
        path.display()
    );
    for line in lines {
        let what = line.name.as_deref().unwrap_or("a comment or other text");
        text.push_str(&format!(
            "    line {}: {}\n",
            line.line,
            output::visible_line(what)
        ));
    }
    text
}

/// Where and how the account will be kept, prepared before the probe.
struct SaveTarget {
    dir: PathBuf,
    store: Box<dyn CredentialStore>,
    existing: Vec<Account>,
    force: bool,
    interactive: bool,
}

impl SaveTarget {
    fn open(args: &ConnectArgs, interactive: bool) -> Result<Self, Error> {
        let dir = config::config_dir()?;
        let existing = Index::load(&dir)?;
        if let Some(name) = &args.name
            && !args.force
            && !interactive
            && existing.iter().any(|account| &account.name == name)
        {
            return Err(crate::vault::SaveError::NameTaken { name: name.clone() }.into());
        }
        let choice = match args.store {
            StoreArg::Keychain => StoreChoice::Keychain,
            StoreArg::File => StoreChoice::PlaintextFile,
        };
        let store = credstore::open(choice, &dir)?;
        Ok(Self {
            dir,
            store,
            existing,
            force: args.force,
            interactive,
        })
    }

    fn save(
        self,
        name: &str,
        input: &ConnectInput,
        report: &ProbeReport,
    ) -> Result<SecretStorage, Error> {
        let taken = self.existing.iter().find(|account| account.name == name);
        // With --force the name is replaced whoever took it, even a connect running at the
        // same time: the index is decided under its lock, not from this earlier read.
        let replace = match taken {
            _ if self.force => true,
            None => false,
            Some(old) if self.interactive => {
                let question = format!(
                    "An account named \"{name}\" already exists ({}, key {}). Replace it?",
                    old.store_url,
                    crate::keys::masked_key(&old.key_suffix)
                );
                if !input::confirm(&question)? {
                    return Err(Error::Cancelled);
                }
                true
            }
            Some(_) => false,
        };
        let now = crate::account::timestamp_now();
        let account = Account {
            name: name.to_owned(),
            store_url: report.store.to_string(),
            api_root: report.api_root.to_string(),
            key_suffix: input.credentials.key.suffix().to_owned(),
            access: report.access,
            auth_method: report.auth_method,
            secret_storage: self.store.storage(),
            store_name: report.site_name.clone(),
            linked_at: now.clone(),
            verified_at: now,
        };
        let saved = crate::vault::save(
            &self.dir,
            self.store.as_ref(),
            account,
            &input.credentials,
            replace,
        )?;
        if saved.account.secret_storage == SecretStorage::PlaintextFile {
            output::warning(&format!(
                "Warning: the secret is kept in a plaintext file in {} (readable only by you), because --store file was chosen. Anyone with access to your user account can read it.",
                self.dir.display()
            ));
        }
        if let Some(old) = saved.old_secret {
            delete_moved_secret(&self.dir, &old);
        }
        Ok(saved.account.secret_storage)
    }
}

/// The replaced account's secret in another store (moving from `--store file` to the keychain,
/// or back): deleted now that the new entry has landed, so no copy outlives the move; what
/// cannot be deleted is said whatever `--quiet` says.
fn delete_moved_secret(dir: &std::path::Path, old: &crate::vault::OldSecret) {
    let deleted = match &old.error {
        Some(err) => Err(err.to_string()),
        None => crate::linked::open_store(old.storage, dir)
            .and_then(|store| match store.delete(&old.id) {
                Ok(()) | Err(crate::credstore::CredStoreError::NotFound) => Ok(()),
                Err(err) => Err(err),
            })
            .map_err(|err| err.to_string()),
    };
    match deleted {
        Ok(()) => output::status(&format!(
            "Removed the replaced account's secret from the {}.",
            old.storage
        )),
        Err(why) => output::warning(&format!(
            "Warning: the replaced account's secret is still kept in the {} under {} ({why}). `woolink accounts remove` cannot reach it there; delete it with the {}'s own tools.",
            old.storage, old.id, old.storage
        )),
    }
}

/// Account names go into keychain entries, file contents and command lines: keep them plain.
fn check_name(name: &str) -> Result<(), Error> {
    crate::linked::check_name(name)
}

/// What a person at a terminal reads before the first question.
fn intro(paint: Paint) -> String {
    format!(
        "{}\n\
         woolink needs the store's address and a REST API key: a consumer key (ck_...) and its\n\
         consumer secret (cs_...). Make one in WordPress admin: WooCommerce > Settings > Advanced >\n\
         REST API > Add key, with Read or Read/Write permission. WooCommerce shows the secret only\n\
         once, so keep that page open until woolink has checked the key.\n",
        paint.bold("Link a WooCommerce store")
    )
}

/// Once the store is known: where to make a key for it, and with `--open` the browser.
fn keys_page(store: &StoreUrl, open: bool, quiet: bool) {
    let url = probe::new_key_admin_url(store);
    if !quiet {
        let paint = Paint::stderr();
        output::status(&format!(
            "Make a key for this store here (log in as an administrator or shop manager):\n  {}",
            paint.bold(&url)
        ));
    }
    if open {
        match crate::browser::open(&url) {
            Ok(_) => output::status("Opened that page in your web browser."),
            Err(why) => output::warning(&format!(
                "Could not open a web browser ({why}); open the page above yourself."
            )),
        }
    }
}

/// One probe step, as the person sees it.
fn show_step(progress: &Progress, input: &ConnectInput, step: ProbeStep) {
    match step {
        ProbeStep::Reached { store, site_name } => {
            let shown = store.shown();
            let moved = if *store == input.store {
                String::new()
            } else {
                format!(" (you typed {})", input.store.shown())
            };
            match site_name {
                Some(name) => progress.done(&format!("Reached \"{name}\" at {shown}{moved}")),
                None => progress.done(&format!("Reached {shown}{moved}")),
            }
            progress.start(&format!("Checking the key {}", input.credentials.key));
        }
        ProbeStep::WooCommerceFound => progress.done("WooCommerce REST API found (wc/v3)"),
        ProbeStep::KeyAccepted { auth_method } => {
            progress.done(&format!("Key accepted ({auth_method})"));
        }
        ProbeStep::AccessDecided { access } => {
            progress.done(&format!("Access: {access}"));
            progress.start("");
        }
    }
}

/// Finds the store before anything secret is typed, says what was found, and asks before
/// going on with a store at another address (then `store` becomes that address).
async fn look_up(
    http: &crate::http::HttpClient,
    store: &mut StoreUrl,
    site_login: &mut Option<SiteLogin>,
    options: ProbeOptions,
    quiet: bool,
) -> Result<Site, Error> {
    let mut tries = 0;
    let site = loop {
        let progress = Progress::new(quiet);
        progress.start(&format!("Looking up {}", store.shown()));
        let looked = probe::look_up(http, store, site_login.as_ref(), options.time_limit).await;
        match looked {
            Ok(site) => break site,
            // The web server's own password: ask for it (again), as sudo does, three times.
            Err(
                probe::ProbeError::SitePassword { realm, .. }
                | probe::ProbeError::SitePasswordRejected { realm, .. },
            ) if tries < 3 => {
                progress.clear();
                tries += 1;
                let realm = realm
                    .map(|realm| format!(" (\"{realm}\")"))
                    .unwrap_or_default();
                let why = if site_login.is_some() {
                    "did not accept that site user name and password"
                } else {
                    "asks for the web server's own password"
                };
                output::status(&format!(
                    "{} {why}{realm} before WordPress answers: a staging site's login, not the WooCommerce key.",
                    store.shown()
                ));
                *site_login = Some(input::ask_site_login()?);
            }
            Err(err) => {
                progress.fail();
                return Err(err.into());
            }
        }
    };
    let progress = Progress::new(quiet);
    let what = match site.index.site_name() {
        Some(name) => format!("WooCommerce store \"{name}\""),
        None => "WooCommerce store".to_owned(),
    };
    progress.done(&format!("Found {what} at {}", site.store.shown()));
    progress.clear();
    if !probe::same_site(store, &site.store) {
        let question = format!(
            "{} sends visitors to {}, another address. Use {} instead?",
            store.shown(),
            site.store.shown(),
            site.store.shown()
        );
        if !input::confirm_yes(&question)? {
            return Err(probe::ProbeError::MovedElsewhere {
                typed: store.shown(),
                canonical: site.store.shown(),
            }
            .into());
        }
    }
    *store = site.store.clone();
    Ok(site)
}

fn summary(
    name: &str,
    input: &ConnectInput,
    report: &ProbeReport,
    saved: Option<SecretStorage>,
) -> String {
    let mut text = String::new();
    let headline = match saved {
        Some(_) => format!(
            "Linked \"{name}\": the key works with {} access.\n",
            report.access
        ),
        None => format!(
            "The key works with {} access (not saved: --no-save).\n",
            report.access
        ),
    };
    text.push_str(&headline);
    if report.moved() {
        text.push_str(&format!(
            "  Note: {} is the store's canonical address (you typed {}).\n",
            report.store.shown(),
            report.typed.shown()
        ));
    }
    let mut row = |label: &str, value: &str| output::push_row(&mut text, "  ", label, value);
    if let Some(site_name) = &report.site_name {
        row("Store:", site_name);
    }
    row("URL:", &report.store.shown());
    row("API root:", &report.api_root.to_string());
    row("Key:", &input.credentials.key.masked());
    row("Access:", &report.access.to_string());
    row("Auth:", &report.auth_method.to_string());
    if let Some(site) = &input.credentials.site {
        row(
            "Site user:",
            &format!("{} (kept with the secret)", site.user()),
        );
    }
    if let Some(storage) = saved {
        row("Secret:", &storage.to_string());
    }
    for note in &report.notes {
        text.push_str(&format!("  Note: {note}\n"));
    }
    text
}

/// The `--json` document of a successful connect. It has no field that could hold a secret.
#[derive(Serialize)]
struct ConnectView<'a> {
    name: &'a str,
    saved: bool,
    store_url: String,
    typed_url: String,
    moved: bool,
    api_root: String,
    store_name: Option<&'a str>,
    key: String,
    key_suffix: &'a str,
    access: Access,
    auth_method: AuthMethod,
    /// The user name of the web server's own login, if the site has one (never its password).
    site_user: Option<&'a str>,
    secret_storage: Option<SecretStorage>,
    notes: &'a [String],
    /// With --env-file, once saved: the file's lines that still hold the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    env_file_secret_lines: Option<&'a [SecretLine]>,
}

impl<'a> ConnectView<'a> {
    fn new(
        name: &'a str,
        input: &'a ConnectInput,
        report: &'a ProbeReport,
        saved: Option<SecretStorage>,
        env_file_secret_lines: Option<&'a [SecretLine]>,
    ) -> Self {
        Self {
            name,
            saved: saved.is_some(),
            store_url: report.store.to_string(),
            typed_url: report.typed.to_string(),
            moved: report.moved(),
            api_root: report.api_root.to_string(),
            store_name: report.site_name.as_deref(),
            key: input.credentials.key.masked(),
            key_suffix: input.credentials.key.suffix(),
            access: report.access,
            auth_method: report.auth_method,
            site_user: input.credentials.site.as_ref().map(SiteLogin::user),
            secret_storage: saved,
            notes: &report.notes,
            env_file_secret_lines,
        }
    }
}
