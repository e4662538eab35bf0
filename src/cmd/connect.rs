//! `woolink connect`: gather the input, prove the key against the store, keep the account.

use crate::face::term::Ui;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::accounts::config;
use crate::accounts::credstore::{self, CredentialStore};
use crate::accounts::index::Index;
use crate::accounts::vault::{Existing, Link, Saved};
use crate::cmd::env_file::{EnvFile, SecretLine};
use crate::cmd::error::Error;
use crate::cmd::input::{self, KeyPlan};
use crate::domain::account::{Access, Account, SecretStorage};
use crate::domain::keys::{ConsumerKey, Credentials, SiteLogin};
use crate::domain::store_url::StoreUrl;
use crate::face::cli::{ConnectArgs, NetArgs};
use crate::face::output;
use crate::face::term::{Paint, Progress};
use crate::woocommerce::probe::{self, ProbeOptions, ProbeReport, ProbeStep, Site};

/// Tries in all for a consumer key and secret typed at a terminal, as sudo gives for a password.
const TRIES: u32 = 3;

/// Everything connect was told, resolved once from the flags, their variables, `--env-file`
/// and the account linked again; the work runs from it and nothing changes it. What is still
/// missing is asked as the work reaches it (the key, for one, once the store is found).
struct Plan {
    /// The store's address as given, or the account's when it is linked again; `None`: typed.
    url: Option<String>,
    /// `url` is the account's, linked again by its name alone.
    url_from_account: bool,
    keys: KeyPlan,
    site_user: Option<String>,
    name: Option<String>,
    /// The account `--name` names, when it is already linked and connect is to save.
    relinking: Option<Account>,
    storage: SecretStorage,
    /// `--ca-cert`, or the copy kept with the account linked again at its own store.
    net: NetArgs,
    env_file: Option<EnvFile>,
    require: Access,
    no_save: bool,
    force: bool,
    allow_http: bool,
    open: bool,
    json: bool,
}

impl Plan {
    /// A file that cannot be used, or an account linked again without its key in a script,
    /// stops connect before anything is asked, sent or written.
    fn resolve(args: ConnectArgs) -> Result<Self, Error> {
        let env_file = args.env_file.as_deref().map(EnvFile::read).transpose()?;
        let interactive = input::can_prompt(args.output.no_input);
        let keys = KeyPlan::new(&args.key, env_file.as_ref(), interactive)?;
        if args.site_password.is_some() {
            return Err(Error::SitePasswordInArgv);
        }
        // Account names go into keychain entries, file contents and command lines: kept plain.
        if let Some(name) = &args.name {
            crate::domain::account::check_name(name)?;
        }
        let given_url = args.url.or_else(|| {
            let from_file = env_file.as_ref().and_then(|file| file.url.as_ref());
            from_file.map(|(_, url)| url.clone())
        });
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
            .filter(|account| (given_url.as_ref()).is_none_or(|url| url == &account.store_url));
        let ca_cert = match at_its_store {
            Some(account) => super::trusted_ca(&args.net, &config::config_dir()?, account)?,
            None => args.net.ca_cert.clone(),
        };
        if let Some(account) = &relinking
            && !interactive
            && !keys.given()
        {
            return Err(relink_needs_key(account));
        }
        let url_from_account = given_url.is_none() && relinking.is_some();
        Ok(Self {
            url: given_url.or_else(|| relinking.as_ref().map(|a| a.store_url.clone())),
            url_from_account,
            keys,
            site_user: args.site_user,
            name: args.name,
            relinking,
            storage: storage.unwrap_or(SecretStorage::Keychain),
            net: NetArgs {
                ca_cert,
                ..args.net
            },
            env_file,
            require: args.require,
            no_save: args.no_save,
            force: args.force,
            allow_http: args.allow_http,
            open: args.open,
            json: args.output.json,
        })
    }

    /// A person at a terminal is asked for something: some value has no flag, variable, file or
    /// stdin source.
    fn asks(&self) -> bool {
        self.keys.interactive && (self.url.is_none() || !self.keys.given())
    }
}

pub async fn run(args: ConnectArgs, ui: Ui) -> Result<(), Error> {
    let plan = Plan::resolve(args)?;
    let interactive = plan.keys.interactive;
    // Status lines, which --json leaves out too.
    let said = ui.with_json(plan.json);
    let asks = plan.asks();
    // A keychain or index that cannot be used, or a name already taken, is reported before
    // the key is sent anywhere, and before a person types anything (a script's flags are
    // checked first: they cost nothing).
    let mut target = None;
    if !plan.no_save && interactive {
        target = Some(SaveTarget::open(&plan).await?);
    }
    if asks {
        said.status(&intro(Paint::stderr()));
    }
    if let (Some(account), true) = (&plan.relinking, plan.url_from_account) {
        said.status(&format!(
            "Linking \"{}\" again, at its store {}.",
            account.name, account.store_url
        ));
    }
    let (mut store, url_notes) = input::store(plan.url.as_deref(), interactive)?;
    if let Some(warning) = store.look_alike_warning() {
        crate::face::term::warning(&warning);
    }
    // What was assumed of the address matters once it is used, not before an error in the
    // rest of the input: shown just before the first request.
    let mut site_login = (plan.site_user.as_deref())
        .map(|user| input::site_login_for(user, interactive))
        .transpose()?;
    let http = super::http_client(&plan.net, ui)?;
    let options = ProbeOptions {
        allow_http: plan.allow_http,
        time_limit: Duration::from_secs(plan.net.timeout),
    };
    // A person about to make a key learns first whether the store is there and where.
    let found = if asks {
        show_notes(said, &url_notes);
        let url_typed = plan.url.is_none();
        let looked = look_up(
            &http,
            &mut store,
            &mut site_login,
            options,
            said,
            ui,
            url_typed,
        );
        Some(looked.await?)
    } else {
        None
    };
    // Where to make a key, only for a person about to type one (or who asked with --open).
    if plan.keys.key_typed() || plan.open {
        // Where WordPress's admin is, once the store was looked up.
        let admin = found.as_ref().map_or_else(|| store.clone(), Site::admin);
        let text = "Make a key for this store here (log in as an administrator or shop manager):";
        keys_page(text, &probe::new_key_admin_url(&admin), plan.open, said, ui);
    }
    let mut credentials = plan.keys.credentials(site_login)?;
    if !plan.no_save && target.is_none() {
        let opened = SaveTarget::open(&plan).await?;
        opened.refuse_another_key(&plan, &credentials.key)?;
        target = Some(opened);
    }
    if !asks {
        show_notes(said, &url_notes);
    }

    let mut tries = 1;
    let report = loop {
        said.status(&format!(
            "Checking the key {} against {} ...",
            credentials.key,
            store.shown()
        ));
        let progress = Progress::new(said.quiet);
        progress.start(&format!("Reaching {}", store.shown()));
        let proved = {
            let observe = |step: ProbeStep| show_step(&progress, &store, &credentials.key, step);
            probe::probe(
                &http,
                &store,
                &credentials,
                options,
                found.as_ref(),
                &observe,
            )
            .await
        };
        let err = match proved {
            Ok(report) => {
                progress.clear();
                break report;
            }
            Err(err) => {
                progress.fail();
                err
            }
        };
        // What was typed wrong is asked again, keeping everything that was right; what came
        // from a flag, a variable or a file is not the person's to retype.
        let unknown_key = matches!(err, probe::ProbeError::UnknownKey { .. });
        let wrong_secret = matches!(err, probe::ProbeError::WrongSecret { .. });
        if !(plan.keys.secret_typed() && tries < TRIES && (unknown_key || wrong_secret)) {
            return Err(err.into());
        }
        tries += 1;
        try_again(&err, tries);
        if unknown_key {
            credentials.key = input::ask_key()?;
        }
        credentials.secret = input::ask_secret()?;
    };
    match (plan.require, report.access) {
        (Access::ReadWrite, Access::Read) => {
            return Err(Error::NeedsWrite {
                key: credentials.key.masked(),
                admin: probe::keys_admin_url(report.admin()),
            });
        }
        (Access::ReadWrite, Access::ReadProven) => {
            return Err(Error::WriteNotChecked {
                key: credentials.key.masked(),
                blocked: report.write_blocked.clone().unwrap_or_default(),
            });
        }
        _ => {}
    }

    // A link kept for later learns the store's title (and where WordPress is), which a
    // scripted probe never needs for its verdict; a check alone (--no-save) asks nothing more.
    let mut report = report;
    if target.is_some() && report.site_name.is_none() {
        report.learn_site(&http, credentials.site.as_ref()).await;
    }
    let default_name = report.store.host_for_name();
    let saved = match target {
        Some(target) => Some(
            target
                .save(&plan, &default_name, &credentials, &report)
                .await?,
        ),
        None => None,
    };
    let saved = saved.as_ref();
    let name = match saved {
        Some(saved) => saved.account.name.clone(),
        None => plan.name.clone().unwrap_or(default_name),
    };
    // Only once the secret is kept elsewhere can its lines in the file go.
    let env_file = plan.env_file.as_ref().filter(|_| saved.is_some());
    let leftover = env_file.map(|file| file.secret_lines(credentials.secret.expose()));
    let storage = saved.map(|saved| saved.account.secret_storage);
    if !plan.json {
        let mut text = summary(&name, &credentials, &report, saved);
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
        "store_url": report.store.to_string(),
        "typed_url": report.typed.to_string(),
        "moved": report.moved(),
        "api_root": report.api_root.to_string(),
        "store_name": report.site_name,
        "key": credentials.key.masked(),
        "key_suffix": credentials.key.suffix(),
        "access": report.access,
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
            "key": crate::domain::keys::masked_key(&old.key_suffix),
            "key_suffix": old.key_suffix,
            "access": old.access,
            "store_url": old.store_url,
            "key_still_used": saved.old_key_still_used,
            "revoke_at": probe::keys_admin_url(old.admin()),
        });
    }
    Ok(output::json(&view)?)
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
    crate::face::term::stderr_line(&crate::domain::text::sentence(&err.to_string()));
    crate::face::term::stderr_line(&format!("Try again ({tries} of {TRIES} tries)."));
}

/// A script named a linked account but did not give the key and secret to link it again with.
fn relink_needs_key(account: &Account) -> Error {
    Error::Usage(format!(
        "an account named \"{name}\" is already linked ({url}, key {key}); to link it again (to keep its secret again, or to change its key), give the key with --consumer-key KEY or WOOLINK_CONSUMER_KEY and the secret with --consumer-secret-stdin, --consumer-secret-file PATH or WOOLINK_CONSUMER_SECRET. Its store URL is taken from the account unless --url is given. Another key than {key} also needs --force, or choose another name with --name",
        name = account.name,
        url = account.store_url,
        key = crate::domain::keys::masked_key(&account.key_suffix),
    ))
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
            crate::domain::text::visible_line(what)
        ));
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
    async fn open(plan: &Plan) -> Result<Self, Error> {
        let dir = config::config_dir()?;
        let existing = Index::load(&dir)?;
        let store = credstore::open(plan.storage, &dir).await?;
        store.check_writable().await?;
        Ok(Self {
            dir,
            store,
            existing,
        })
    }

    /// A script that names a linked account with another key is refused before the key is
    /// sent anywhere (without --force). The same key goes on to be proven; another store
    /// can only be told once the store has said where it lives.
    fn refuse_another_key(&self, plan: &Plan, key: &ConsumerKey) -> Result<(), Error> {
        let named = |account: &&Account| plan.name.as_ref() == Some(&account.name);
        match self.existing.iter().find(named) {
            Some(old) if !plan.force && old.key_suffix != key.suffix() => {
                let name = old.name.clone();
                Err(crate::accounts::vault::SaveError::NameTaken { name }.into())
            }
            _ => Ok(()),
        }
    }

    /// Keeps the account under the name given, else (at a terminal) one the person chooses,
    /// offering `default_name`, else `default_name`.
    async fn save(
        self,
        plan: &Plan,
        default_name: &str,
        credentials: &Credentials,
        report: &ProbeReport,
    ) -> Result<Saved, Error> {
        let name = match plan.name.clone() {
            Some(name) => name,
            None if plan.keys.interactive => {
                input::ask_account_name(Some(default_name), name_problem)?
            }
            None => default_name.to_owned(),
        };
        let mut account = self.account(name, credentials, report);
        let existing = loop {
            let name = &account.name;
            let taken = self.existing.iter().find(|old| &old.name == name);
            // With --force the name is replaced whoever took it, even a connect running at
            // the same time: the index is decided under its lock, not from this earlier read.
            let existing = match taken {
                _ if plan.force => Existing::Replace,
                None => Existing::Refuse,
                Some(old) if crate::accounts::vault::same_link(old, &account) => Existing::SameLink,
                Some(old) if plan.keys.interactive => {
                    let question = format!(
                        "An account named \"{name}\" already exists ({}, key {}). Replace it?",
                        old.store_url,
                        crate::domain::keys::masked_key(&old.key_suffix)
                    );
                    if input::confirm(&question)? {
                        Existing::Replace
                    } else {
                        // The key is proven: keep it under another name rather than lose it.
                        crate::face::term::stderr_line(&format!(
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
        let saved = crate::accounts::vault::save(
            &self.dir,
            self.store.as_ref(),
            account,
            credentials,
            existing,
            plan.net.ca_cert.as_deref(),
        )
        .await?;
        if saved.account.secret_storage == SecretStorage::PlaintextFile {
            crate::face::term::warning(&format!(
                "the secret is kept in a plaintext file in {} (readable only by you), because --store file was chosen. Anyone with access to your user account can read it.",
                self.dir.display()
            ));
        }
        if let Some(left) = &saved.old_left {
            warn_old_left(left);
        }
        Ok(saved)
    }

    /// The account record for what the probe proved, as `name`.
    fn account(&self, name: String, credentials: &Credentials, report: &ProbeReport) -> Account {
        let now = crate::domain::account::timestamp_now();
        Account {
            name,
            // Set as the account is saved: every link is a new entry.
            id: None,
            store_url: report.store.to_string(),
            api_root: report.api_root.to_string(),
            key_suffix: credentials.key.suffix().to_owned(),
            access: report.access,
            auth_method: report.auth_method,
            secret_storage: self.store.storage(),
            store_name: report.site_name.clone(),
            wordpress_url: report.wordpress_url.as_ref().map(ToString::to_string),
            // Set as the account is saved, when a copy is made.
            ca_cert: None,
            linked_at: now.clone(),
            verified_at: now,
        }
    }
}

/// The replaced account's secret could not be deleted once the new one had landed: said
/// whatever `--quiet` says, as no command lists it.
pub(super) fn warn_old_left(left: &crate::accounts::vault::OldSecret) {
    crate::face::term::warning(&format!(
        "the replaced account's secret is still kept in the {} under {} (deleting it failed: {}). No account lists it: delete it with the {}'s own tools.",
        left.storage, left.id, left.error, left.storage
    ));
}

/// Why a typed account name cannot be used, for asking again.
fn name_problem(name: &str) -> Result<(), String> {
    crate::domain::account::check_name(name).map_err(|err| err.to_string())
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

/// Where to make a key (`text`, then the page's `url`), and with `--open` the browser (said
/// even with `--json`: the person asked for it).
pub(super) fn keys_page(text: &str, url: &str, open: bool, said: Ui, ui: Ui) {
    said.status(&format!("{text}\n  {}", Paint::stderr().bold(url)));
    if open {
        // webbrowser: $BROWSER (with %s for the address), else the platform's opener (WSL and
        // Flatpak included), never waiting for the browser.
        match webbrowser::open(url) {
            Ok(_) => ui.status("Opened that page in your web browser."),
            Err(why) => crate::face::term::warning(&format!(
                "could not open a web browser ({why}); open the page above yourself."
            )),
        }
    }
}

/// One probe step, as the person sees it.
fn show_step(progress: &Progress, typed: &StoreUrl, key: &ConsumerKey, step: ProbeStep) {
    match step {
        ProbeStep::Reached { store, site_name } => {
            let title = (site_name.as_ref())
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

/// Finds the store before anything secret is typed, says what was found, and asks before
/// going on with a store at another address (then `store` becomes that address).
async fn look_up(
    http: &crate::http::HttpClient,
    store: &mut StoreUrl,
    site_login: &mut Option<SiteLogin>,
    options: ProbeOptions,
    said: Ui,
    ui: Ui,
    url_typed: bool,
) -> Result<Site, Error> {
    let mut tries = 0;
    let mut url_tries = 1;
    let site = loop {
        let progress = Progress::new(said.quiet);
        progress.start(&format!("Looking up {}", store.shown()));
        let looked = probe::look_up(http, store, site_login.as_ref(), options.time_limit).await;
        match looked {
            Ok(site) => break site,
            // The web server's own password: ask for it (again), as sudo does, three times.
            Err(
                probe::ProbeError::SitePasswordRequired { realm, .. }
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
                ui.status(&format!(
                    "{} {why}{realm} before WordPress answers: a staging site's login, not the WooCommerce key.",
                    store.shown()
                ));
                *site_login = Some(input::ask_site_login()?);
            }
            // A typed address that does not resolve or answer is most likely mistyped: it is
            // asked again, as a wrong secret is. One from a flag or variable is not.
            Err(
                err @ (probe::ProbeError::Unreachable { .. } | probe::ProbeError::Timeout { .. }),
            ) if url_typed && url_tries < TRIES => {
                progress.fail();
                url_tries += 1;
                try_again(&err, url_tries);
                let (typed, notes) = input::ask_store()?;
                show_notes(said, &notes);
                if let Some(warning) = typed.look_alike_warning() {
                    crate::face::term::warning(&warning);
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
    let title = (site.index.site_name())
        .map(|name| format!(" \"{name}\""))
        .unwrap_or_default();
    progress.done(&format!("Found WooCommerce store{title} at {found}"));
    progress.clear();
    if !crate::domain::same_site::store(store.as_url(), site.store.as_url()) {
        // A host that could pass for another is never the default answer: the key would go
        // to it on a single Enter.
        let look_alike = site.store.look_alike();
        let whose_host = (look_alike.as_ref())
            .map(|why| format!(", whose host {why} (it could pass for another's)"))
            .unwrap_or_default();
        let typed = store.shown();
        let question = format!(
            "{typed} sends visitors to {found}, another address{whose_host}. Use {found} instead?"
        );
        if let Some(warning) = site.store.look_alike_warning() {
            crate::face::term::warning(&warning);
        }
        let ask = if look_alike.is_some() {
            input::confirm
        } else {
            input::confirm_yes
        };
        if !ask(&question)? {
            return Err(probe::ProbeError::MovedElsewhere {
                typed,
                canonical: found,
            }
            .into());
        }
    }
    *store = site.store.clone();
    Ok(site)
}

fn summary(
    name: &str,
    credentials: &Credentials,
    report: &ProbeReport,
    saved: Option<&Saved>,
) -> String {
    let mut text = String::new();
    let proven = report.access.proven();
    let headline = match saved.map(|saved| saved.link) {
        Some(Link::New) => format!("Linked \"{name}\": the key {proven}.\n"),
        Some(Link::AlreadyLinked) => {
            format!("\"{name}\" was already linked; verified: the key {proven}.\n")
        }
        Some(Link::Replaced) => {
            format!("Linked \"{name}\" in place of the account of that name: the key {proven}.\n")
        }
        None => format!("The key {proven} (not saved: --no-save).\n"),
    };
    text.push_str(&headline);
    if let Some(saved) = saved
        && let Some(old) = &saved.replaced
    {
        let still_used = saved.old_key_still_used;
        text.push_str(&replaced_note(old, still_used, &credentials.key, report));
    }
    if let Some(saved) = saved
        && saved.secret_restored
    {
        text.push_str(&format!(
            "  Its secret had gone missing from the {}; it is kept there again.\n",
            saved.account.secret_storage
        ));
    }
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
    row("Key:", &credentials.key.masked());
    row("Access:", &report.access.to_string());
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
    let old_key = crate::domain::keys::masked_key(&old.key_suffix);
    let access = match (old.access, report.access) {
        (Access::Read, Access::ReadWrite) => {
            format!("{} -> {} (widened)", old.access, report.access)
        }
        (Access::ReadWrite, Access::Read) => {
            format!("{} -> {} (narrowed)", old.access, report.access)
        }
        (same, _) => format!("{same}, as before"),
    };
    let mut text = format!(
        "  Replaced: key {old_key} -> {}; access {access}",
        key.masked()
    );
    if old.store_url != report.store.to_string() {
        text.push_str(&format!(
            "; store {} -> {}",
            old.store_url,
            report.store.shown()
        ));
    }
    text.push('\n');
    if old.key_suffix == key.suffix() && old.store_url == report.store.to_string() {
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
