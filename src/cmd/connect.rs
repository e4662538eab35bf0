//! `woolink connect`: gather the input, prove the key against the store, keep the account.

use std::path::{Path, PathBuf};

use crate::accounts::config;
use crate::accounts::credstore::{self, CredentialStore};
use crate::accounts::index::Index;
use crate::accounts::vault::{self, Existing, Link, Saved};
use crate::cmd::env_file::{EnvFile, SecretLine};
use crate::cmd::error::Error;
use crate::cmd::input::{self, KeyPlan};
use crate::domain::account::{Access, Account, SecretStorage};
use crate::domain::keys::{ConsumerKey, Credentials, SiteLogin, masked_key};
use crate::domain::store_url::StoreUrl;
use crate::face::cli::ConnectArgs;
use crate::face::output;
use crate::face::term::{self, Paint, Progress, Ui};
use crate::http::HttpClient;
use crate::woocommerce::probe::verdict::WriteVerdict;
use crate::woocommerce::probe::{self, ProbeError, ProbeReport, ProbeStep, Site};

/// Tries in all for a consumer key and secret typed at a terminal, as sudo gives for a password.
const TRIES: u32 = 3;

/// A connect under way: everything it was told, resolved once from the flags, their variables,
/// `--env-file` and the account linked again; nothing changes it. What is still missing is
/// asked as the work reaches it (the key, for one, once the store is found).
struct Connect {
    /// The flags, with `url` and `net.ca_cert` resolved: `url` is the store's address as given,
    /// or the account's when it is linked again (`None`: typed); `net.ca_cert` is `--ca-cert`,
    /// or the copy kept with the account linked again at its own store.
    args: ConnectArgs,
    /// `args.url` is the account's, linked again by its name alone.
    url_from_account: bool,
    keys: KeyPlan,
    env_file: Option<EnvFile>,
    /// The account `--name` names, when it is already linked and connect is to save.
    relinking: Option<Account>,
    storage: SecretStorage,
    /// Status lines, which --json leaves out too.
    said: Ui,
    ui: Ui,
}

impl Connect {
    /// A file that cannot be used, or an account linked again without its key in a script,
    /// stops connect before anything is asked, sent or written.
    fn resolve(mut args: ConnectArgs, ui: Ui) -> Result<Self, Error> {
        let env_file = args.env_file.as_deref().map(EnvFile::read).transpose()?;
        let keys = KeyPlan::new(&args.key, env_file.as_ref(), args.output.no_input)?;
        if args.site_password.is_some() {
            return Err(Error::SitePasswordInArgv);
        }
        // Account names go into keychain entries, file contents and command lines: kept plain.
        if let Some(name) = &args.name {
            crate::domain::account::check_name(name)?;
        }
        args.url = (args.url).or_else(|| env_file.as_ref().and_then(|file| file.url.clone()));
        // An account named again is linked again at its own store: only the key is new.
        let relinking = match (&args.name, args.no_save) {
            (Some(name), false) => Index::load(&config::config_dir()?)?
                .into_iter()
                .find(|account| &account.name == name),
            _ => None,
        };
        // Linked again, an account keeps what it was linked with unless told otherwise: where
        // its secret is kept (`--store file` stays a file), and, at its own store, the CA
        // certificate it trusts (the copy kept with it), so `connect --name NAME` works as it did.
        let storage = (args.store).or(relinking.as_ref().map(|account| account.secret_storage));
        let at_its_store = relinking
            .as_ref()
            .filter(|account| (args.url.as_ref()).is_none_or(|url| url == &account.store_url));
        if let Some(account) = at_its_store {
            args.net.ca_cert = super::trusted_ca(&args.net, &config::config_dir()?, account)?;
        }
        // A script named a linked account but did not give the key and secret to link it with.
        if let Some(account) = &relinking
            && !keys.interactive
            && !keys.given()
        {
            return Err(Error::Usage(format!(
                "an account named \"{name}\" is already linked ({url}, key {key}); to link it again (to keep its secret again, or to change its key), give the key with --consumer-key KEY or WOOLINK_CONSUMER_KEY and the secret with --consumer-secret-stdin, --consumer-secret-file PATH or WOOLINK_CONSUMER_SECRET. Its store URL is taken from the account unless --url is given. Another key than {key} also needs --force, or choose another name with --name",
                name = account.name,
                url = account.store_url,
                key = masked_key(&account.key_suffix),
            )));
        }
        let url_from_account = args.url.is_none() && relinking.is_some();
        if url_from_account {
            args.url = relinking.as_ref().map(|account| account.store_url.clone());
        }
        Ok(Self {
            said: ui.with_json(args.output.json),
            args,
            url_from_account,
            keys,
            env_file,
            relinking,
            storage: storage.unwrap_or(SecretStorage::Keychain),
            ui,
        })
    }
}

pub async fn run(args: ConnectArgs, ui: Ui) -> Result<(), Error> {
    let connect = Connect::resolve(args, ui)?;
    let (args, said) = (&connect.args, connect.said);
    let interactive = connect.keys.interactive;
    // A person at a terminal is asked for something: some value has no flag, variable, file or
    // stdin source.
    let asks = interactive && (args.url.is_none() || !connect.keys.given());
    // A keychain or index that cannot be used, or a name already taken, is reported before
    // the key is sent anywhere, and before a person types anything (a script's flags are
    // checked first: they cost nothing).
    let mut target = None;
    if !args.no_save && interactive {
        target = Some(SaveTarget::open(&connect, None).await?);
    }
    if asks {
        // What a person at a terminal reads before the first question.
        said.status(&format!(
            "{}\n\
             woolink needs the store's address and a REST API key: a consumer key (ck_...) and its\n\
             consumer secret (cs_...). Make one in WordPress admin: WooCommerce > Settings > Advanced >\n\
             REST API > Add key, with Read or Read/Write permission. WooCommerce shows the secret only\n\
             once, so keep that page open until woolink has checked the key.\n",
            Paint::stderr().bold("Link a WooCommerce store")
        ));
    }
    if let (Some(account), true) = (&connect.relinking, connect.url_from_account) {
        said.status(&format!(
            "Linking \"{}\" again, at its store {}.",
            account.name, account.store_url
        ));
    }
    let (mut store, url_notes) = input::store(args.url.as_deref(), interactive)?;
    if let Some(warning) = store.look_alike_warning() {
        term::warning(&warning);
    }
    // What was assumed of the address matters once it is used, not before an error in the
    // rest of the input: shown just before the first request.
    let mut site_login = (args.site_user.as_deref())
        .map(|user| input::site_login_for(user, interactive))
        .transpose()?;
    let http = super::client_trusting(&args.net, args.net.ca_cert.clone(), ui)?;
    // A person about to make a key learns first whether the store is there and where.
    let found = if asks {
        show_notes(said, &url_notes);
        let looked = connect.look_up(&http, &mut store, &mut site_login);
        Some(looked.await?)
    } else {
        None
    };
    // Where to make a key, only for a person about to type one (or who asked with --open).
    if connect.keys.key_typed() || args.open {
        // Where WordPress's admin is, once the store was looked up.
        let admin = found.as_ref().map_or_else(|| store.clone(), Site::admin);
        let text = "Make a key for this store here (log in as an administrator or shop manager):";
        keys_page(text, &probe::new_key_admin_url(&admin), args.open, said, ui);
    }
    let mut credentials = connect.keys.credentials(site_login)?;
    if !args.no_save && target.is_none() {
        target = Some(SaveTarget::open(&connect, Some(&credentials.key)).await?);
    }
    if !asks {
        show_notes(said, &url_notes);
    }
    let mut report = connect
        .prove(&http, &store, &mut credentials, found.as_ref())
        .await?;
    let key = credentials.key.masked();
    match (args.require, &report.write) {
        (Access::ReadWrite, WriteVerdict::Refused) => {
            let admin = probe::keys_admin_url(report.site.admin());
            return Err(Error::NeedsWrite { key, admin });
        }
        (Access::ReadWrite, WriteVerdict::Unchecked(blocked)) => {
            let blocked = blocked.clone();
            return Err(Error::WriteNotChecked { key, blocked });
        }
        _ => {}
    }
    // A link kept for later learns the store's title (and where WordPress is), which a
    // scripted probe never needs for its verdict; a check alone (--no-save) asks nothing more.
    if target.is_some() && report.site.name().is_none() {
        report.site.relearn(&http, credentials.site.as_ref()).await;
    }
    let default_name = report.site.store.host_for_name();
    let saved = match target {
        Some(target) => {
            let saving = target.save(&connect, &default_name, &credentials, &report);
            Some(saving.await?)
        }
        None => None,
    };
    let saved = saved.as_ref();
    let name = match saved {
        Some(saved) => saved.account.name.clone(),
        None => args.name.clone().unwrap_or(default_name),
    };
    // Only once the secret is kept elsewhere can its lines in the file go.
    let env_file = connect.env_file.as_ref().filter(|_| saved.is_some());
    let leftover = env_file.map(|file| file.secret_lines(credentials.secret.expose()));
    let storage = saved.map(|saved| saved.account.secret_storage);
    if !args.output.json {
        let mut text = summary(&name, &store, &credentials, &report, saved);
        if let (Some(file), Some(lines), Some(storage)) = (env_file, &leftover, storage) {
            text.push_str(&leftover_note(&file.path, lines, storage));
        }
        return Ok(output::stdout(&text)?);
    }
    // The `--json` document of a successful connect. It has no field that could hold a secret.
    let mut view = serde_json::json!({
        "name": name,
        "saved": saved.is_some(),
        // What saving did; `null` with --no-save.
        "link": saved.map(|saved| saved.link),
        "secret_restored": saved.is_some_and(|saved| saved.secret_restored),
        "store_url": report.site.store.to_string(),
        "typed_url": store.to_string(),
        "moved": report.site.store != store,
        "api_root": report.site.root.to_string(),
        "store_name": report.site.name(),
        "key": key,
        "key_suffix": credentials.key.suffix(),
        "access": report.access(),
        "auth_method": report.auth_method,
        // The user name of the web server's own login, if the site has one (never its password).
        "site_user": credentials.site.as_ref().map(SiteLogin::user),
        "secret_storage": storage,
        "notes": report.notes,
    });
    // With --env-file, once saved: the file's lines that still hold the secret.
    if let Some(lines) = &leftover {
        view["env_file_secret_lines"] = serde_json::json!(lines);
    }
    if let Some(saved) = saved
        && let Some(old) = &saved.replaced
    {
        view["replaced"] = serde_json::json!({
            "key": masked_key(&old.key_suffix),
            "key_suffix": old.key_suffix,
            "access": old.access,
            "store_url": old.store_url,
            "key_still_used": saved.old_key_still_used,
            "revoke_at": probe::keys_admin_url(old.admin()),
        });
    }
    Ok(output::json(&view)?)
}

impl Connect {
    /// Proves the key against `store`. What was typed wrong is asked again, keeping everything
    /// that was right; what came from a flag, a variable or a file is not the person's to retype.
    async fn prove(
        &self,
        http: &HttpClient,
        store: &StoreUrl,
        credentials: &mut Credentials,
        found: Option<&Site>,
    ) -> Result<ProbeReport, Error> {
        // The number the next try would have: the first is the one already made.
        let mut next_try = 2;
        loop {
            let key = &credentials.key;
            self.said.status(&format!(
                "Checking the key {key} against {} ...",
                store.shown()
            ));
            let progress = Progress::new(self.said.quiet);
            progress.start(&format!("Reaching {}", store.shown()));
            let observe = |step: ProbeStep| show_step(&progress, store, key, step);
            let allow_http = self.args.allow_http;
            let proved = probe::probe(http, store, credentials, allow_http, found, &observe);
            let err = match proved.await {
                Ok(report) => {
                    progress.clear();
                    return Ok(report);
                }
                Err(err) => err,
            };
            progress.fail();
            let unknown_key = matches!(err, ProbeError::UnknownKey { .. });
            let wrong_secret = matches!(err, ProbeError::WrongSecret { .. });
            let retyped = unknown_key || wrong_secret;
            if !(self.keys.secret_typed() && next_try <= TRIES && retyped) {
                return Err(err.into());
            }
            try_again(&err, next_try);
            if unknown_key {
                credentials.key = input::ask_key()?;
            }
            credentials.secret = input::ask_secret()?;
            next_try += 1;
        }
    }

    /// Finds the store before anything secret is typed, says what was found, and asks before
    /// going on with a store at another address (then `store` becomes that address).
    async fn look_up(
        &self,
        http: &HttpClient,
        store: &mut StoreUrl,
        site_login: &mut Option<SiteLogin>,
    ) -> Result<Site, Error> {
        let said = self.said;
        let (mut tries, mut url_tries) = (0, 1);
        let site = loop {
            let progress = Progress::new(said.quiet);
            progress.start(&format!("Looking up {}", store.shown()));
            let looked = probe::look_up(http, store, site_login.as_ref()).await;
            match looked {
                Ok(site) => break site,
                // The web server's own password: ask for it (again), as sudo does, three times.
                Err(
                    ProbeError::SitePasswordRequired { realm, .. }
                    | ProbeError::SitePasswordRejected { realm, .. },
                ) if tries < TRIES => {
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
                    self.ui.status(&format!(
                        "{} {why}{realm} before WordPress answers: a staging site's login, not the WooCommerce key.",
                        store.shown()
                    ));
                    *site_login = Some(input::ask_site_login()?);
                }
                // A typed address that does not resolve or answer is most likely mistyped: it
                // is asked again, as a wrong secret is. One from a flag or variable is not.
                Err(err @ (ProbeError::Unreachable { .. } | ProbeError::Timeout { .. }))
                    if self.args.url.is_none() && url_tries < TRIES =>
                {
                    progress.fail();
                    url_tries += 1;
                    try_again(&err, url_tries);
                    let (typed, notes) = input::ask_store()?;
                    show_notes(said, &notes);
                    if let Some(warning) = typed.look_alike_warning() {
                        term::warning(&warning);
                    }
                    *store = typed;
                }
                Err(err) => {
                    progress.fail();
                    return Err(err.into());
                }
            }
        };
        let progress = Progress::new(said.quiet);
        let found = site.store.shown();
        let title = (site.name())
            .map(|name| format!(" \"{name}\""))
            .unwrap_or_default();
        progress.done(&format!("Found WooCommerce store{title} at {found}"));
        progress.clear();
        if let Err(moved) = site.named_by(store) {
            // A host that could pass for another is never the default answer: the key would go
            // to it on a single Enter.
            let look_alike = site.store.look_alike();
            let whose_host = (look_alike.as_ref())
                .map(|why| format!(", whose host {why} (it could pass for another's)"))
                .unwrap_or_default();
            let question = format!(
                "{} sends visitors to {found}, another address{whose_host}. Use {found} instead?",
                store.shown()
            );
            if let Some(warning) = site.store.look_alike_warning() {
                term::warning(&warning);
            }
            let ask = match look_alike {
                Some(_) => input::confirm,
                None => input::confirm_yes,
            };
            if !ask(&question)? {
                return Err(moved.into());
            }
        }
        *store = site.store.clone();
        Ok(site)
    }
}

/// What was assumed of an address as it was read.
fn show_notes(said: Ui, notes: &[String]) {
    for note in notes {
        said.status(&format!("Note: {note}"));
    }
}

/// A typed value was wrong: the error's own text, begun with a capital (here it stands alone,
/// not after `error:`), and which try comes next.
fn try_again(err: &impl std::fmt::Display, tries: u32) {
    term::stderr_line(&crate::domain::text::sentence(&err.to_string()));
    term::stderr_line(&format!("Try again ({tries} of {TRIES} tries)."));
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
        let what = crate::domain::text::visible_line(what);
        text.push_str(&format!("    line {}: {what}\n", line.line));
    }
    text
}

/// Where and how the account will be kept, prepared before the probe.
struct SaveTarget {
    dir: PathBuf,
    store: Box<dyn CredentialStore>,
    existing: Vec<Account>,
}

impl SaveTarget {
    /// With the `key` a script gave: an account it names that is linked with another key is
    /// refused before the key is sent anywhere (without --force). The same key goes on to be
    /// proven; another store can only be told once the store has said where it lives.
    async fn open(connect: &Connect, key: Option<&ConsumerKey>) -> Result<Self, Error> {
        let dir = config::config_dir()?;
        let existing = Index::load(&dir)?;
        let store = credstore::open(connect.storage, &dir).await?;
        store.check_writable().await?;
        let named = existing
            .iter()
            .find(|old| connect.args.name.as_ref() == Some(&old.name));
        if let (Some(old), Some(key)) = (named, key)
            && !connect.args.force
            && old.key_suffix != key.suffix()
        {
            let name = old.name.clone();
            return Err(vault::VaultError::NameTaken { name }.into());
        }
        Ok(Self {
            dir,
            store,
            existing,
        })
    }

    /// Keeps the account under the name given, else (at a terminal) one the person chooses,
    /// offering `default_name`, else `default_name`.
    async fn save(
        self,
        connect: &Connect,
        default_name: &str,
        credentials: &Credentials,
        report: &ProbeReport,
    ) -> Result<Saved, Error> {
        let interactive = connect.keys.interactive;
        let name = match connect.args.name.clone() {
            Some(name) => name,
            None if interactive => input::ask_account_name(Some(default_name), name_problem)?,
            None => default_name.to_owned(),
        };
        let now = crate::domain::account::timestamp_now();
        let mut account = Account {
            name,
            // Set as the account is saved: every link is a new entry.
            id: None,
            store_url: report.site.store.to_string(),
            api_root: report.site.root.to_string(),
            key_suffix: credentials.key.suffix().to_owned(),
            access: report.access(),
            auth_method: report.auth_method,
            secret_storage: self.store.storage(),
            store_name: report.site.name().map(str::to_owned),
            wordpress_url: report.site.wordpress_url().map(|url| url.to_string()),
            // Set as the account is saved, when a copy is made.
            ca_cert: None,
            linked_at: now.clone(),
            verified_at: now,
        };
        // With --force the name is replaced whoever took it, even a connect running at the
        // same time: the index is decided under its lock, not from this earlier read.
        let existing = loop {
            let name = &account.name;
            let existing = match self.existing.iter().find(|old| &old.name == name) {
                _ if connect.args.force => Existing::Replace,
                None => Existing::Refuse,
                Some(old) if old.same_link(&account) => Existing::SameLink,
                Some(old) if interactive => {
                    let question = format!(
                        "An account named \"{name}\" already exists ({}, key {}). Replace it?",
                        old.store_url,
                        masked_key(&old.key_suffix)
                    );
                    if input::confirm(&question)? {
                        Existing::Replace
                    } else {
                        // The key is proven: keep it under another name rather than lose it.
                        term::stderr_line(&format!(
                            "Keeping \"{name}\" as it is. Choose another name for this store."
                        ));
                        account.name = input::ask_account_name(None, name_problem)?;
                        continue;
                    }
                }
                Some(_) => Existing::Refuse,
            };
            break existing;
        };
        // The CA certificate given is kept beside the index, named by its content.
        let ca_cert = connect.args.net.ca_cert.as_deref();
        let store = self.store.as_ref();
        let saved = vault::save(&self.dir, store, account, credentials, existing, ca_cert).await?;
        if saved.account.secret_storage == SecretStorage::PlaintextFile {
            term::warning(&format!(
                "the secret is kept in a plaintext file in {} (readable only by you), because --store file was chosen. Anyone with access to your user account can read it.",
                self.dir.display()
            ));
        }
        if let Some(left) = &saved.old_left {
            warn_old_left(left);
        }
        Ok(saved)
    }
}

/// The replaced account's secret could not be deleted once the new one had landed: said
/// whatever `--quiet` says, as no command lists it.
pub(super) fn warn_old_left(left: &vault::OldSecret) {
    term::warning(&format!(
        "the replaced account's secret is still kept in the {} under {} (deleting it failed: {}). No account lists it: delete it with the {}'s own tools.",
        left.storage, left.id, left.error, left.storage
    ));
}

/// Why a typed account name cannot be used, for asking again.
fn name_problem(name: &str) -> Result<(), String> {
    crate::domain::account::check_name(name).map_err(|err| err.to_string())
}

/// Where to make a key (`text`, then the page's `url`), and with `--open` the browser (said
/// even with `--json`: the person asked for it).
pub(super) fn keys_page(text: &str, url: &str, open: bool, said: Ui, ui: Ui) {
    said.status(&format!("{text}\n  {}", Paint::stderr().bold(url)));
    if open {
        // webbrowser: $BROWSER (with %s for the address), else the platform's opener (WSL and
        // Flatpak included), never waiting for the browser.
        match webbrowser::open(url) {
            Ok(_) => ui.status("Opened that page in your web browser."),
            Err(why) => term::warning(&format!(
                "could not open a web browser ({why}); open the page above yourself."
            )),
        }
    }
}

/// One probe step, as the person sees it.
fn show_step(progress: &Progress, typed: &StoreUrl, key: &ConsumerKey, step: ProbeStep) {
    match step {
        ProbeStep::Reached(site) => {
            let store = &site.store;
            let title = (site.name())
                .map(|name| format!("\"{name}\" at "))
                .unwrap_or_default();
            let moved = if store == typed {
                String::new()
            } else {
                format!(" (you typed {})", typed.shown())
            };
            progress.done(&format!("Reached {title}{}{moved}", store.shown()));
            progress.start(&format!("Checking the key {key}"));
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

/// What connect proved (and kept) for a person; `typed` is the address the key was proven at.
fn summary(
    name: &str,
    typed: &StoreUrl,
    credentials: &Credentials,
    report: &ProbeReport,
    saved: Option<&Saved>,
) -> String {
    let proven = report.access().proven();
    let mut text = match saved.map(|saved| saved.link) {
        Some(Link::New) => format!("Linked \"{name}\": the key {proven}.\n"),
        Some(Link::AlreadyLinked) => {
            format!("\"{name}\" was already linked; verified: the key {proven}.\n")
        }
        Some(Link::Replaced) => {
            format!("Linked \"{name}\" in place of the account of that name: the key {proven}.\n")
        }
        None => format!("The key {proven} (not saved: --no-save).\n"),
    };
    if let Some(saved) = saved {
        if let Some(old) = &saved.replaced {
            let still_used = saved.old_key_still_used;
            text.push_str(&replaced_note(old, still_used, &credentials.key, report));
        }
        if saved.secret_restored {
            text.push_str(&format!(
                "  Its secret had gone missing from the {}; it is kept there again.\n",
                saved.account.secret_storage
            ));
        }
    }
    if report.site.store != *typed {
        text.push_str(&format!(
            "  Note: {} is the store's canonical address (you typed {}).\n",
            report.site.store.shown(),
            typed.shown()
        ));
    }
    let mut row = |label: &str, value: &str| output::push_row(&mut text, "  ", label, value);
    if let Some(site_name) = report.site.name() {
        row("Store:", site_name);
    }
    row("URL:", &report.site.store.shown());
    row("API root:", &report.site.root.to_string());
    row("Key:", &credentials.key.masked());
    row("Access:", &report.access().to_string());
    row("Auth:", &report.auth_method.to_string());
    if let Some(site) = &credentials.site {
        row(
            "Site user:",
            &format!("{} (kept with the secret)", site.user()),
        );
    }
    if let Some(saved) = saved {
        row("Secret:", &saved.account.secret_storage.to_string());
    }
    for note in &report.notes {
        text.push_str(&format!("  Note: {note}\n"));
    }
    text
}

/// What `--force` replaced: the old key and access (and store, if another), and whether to
/// revoke the old key. Whether it still works was not checked, so that is not said.
fn replaced_note(
    old: &Account,
    still_used: bool,
    key: &ConsumerKey,
    report: &ProbeReport,
) -> String {
    let old_key = masked_key(&old.key_suffix);
    let access = match access_change(old.access, report.access()) {
        AccessChange::Unchanged => format!("{}, as before", old.access),
        change => format!("{} -> {} ({change})", old.access, report.access()),
    };
    let mut text = format!(
        "  Replaced: key {old_key} -> {}; access {access}",
        key.masked()
    );
    if old.store_url != report.site.store.to_string() {
        text.push_str(&format!(
            "; store {} -> {}",
            old.store_url,
            report.site.store.shown()
        ));
    }
    text.push('\n');
    if old.key_suffix == key.suffix() && old.store_url == report.site.store.to_string() {
        return text;
    }
    if still_used {
        text.push_str(&format!(
            "  The old key {old_key} is still the key of another account: not to be revoked while that one uses it.\n"
        ));
    } else {
        text.push_str(&format!(
            "  If nothing else uses the old key {old_key}, revoke it at {}\n",
            probe::keys_admin_url(old.admin())
        ));
    }
    text
}

/// How a key's access changed, as `--json` and the summaries say it.
#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, strum::Display)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub(super) enum AccessChange {
    Unchanged,
    /// Read -> read-write: the new key may change the store.
    Widened,
    /// Read-write -> read.
    Narrowed,
}

/// How a key's access changed from `old` to `new`.
pub(super) fn access_change(old: Access, new: Access) -> AccessChange {
    match (old, new) {
        (Access::Read, Access::ReadWrite) => AccessChange::Widened,
        (Access::ReadWrite, Access::Read) => AccessChange::Narrowed,
        _ => AccessChange::Unchanged,
    }
}
