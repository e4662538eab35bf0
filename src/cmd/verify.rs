//! `woolink accounts verify`: each account's key proven again against its store, up to
//! [`CONCURRENCY`] at once, with what changed since it was linked written back to the index.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};

use futures_util::future::{Either, OptionFuture};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};

use crate::accounts::config;
use crate::accounts::credstore::{self, CredStoreError};
use crate::accounts::index::{Index, IndexError};
use crate::accounts::linked;
use crate::accounts::vault;
use crate::cmd::error::{Error, Failure, Outcome};
use crate::domain::account::{Access, Account};
use crate::domain::keys::{Credentials, masked_key};
use crate::domain::relink::Relink;
use crate::domain::store_url::StoreUrl;
use crate::face::cli::{NetArgs, VerifyArgs};
use crate::face::output;
use crate::face::term::Ui;
use crate::http::HttpClient;
use crate::woocommerce::probe::verdict::WriteVerdict;
use crate::woocommerce::probe::{self, ProbeError, ProbeReport, Site};

/// Stores probed at the same time: enough that a typical set (20 stores) costs about as long
/// as the slowest one; a bound all the same, so a list of hundreds does not open hundreds of
/// connections at once.
const CONCURRENCY: usize = 32;

/// What is wrong with one account: its class (the `kind` for `--json`, spaced in the STATUS
/// column, and the class of failure), and why, in full.
#[derive(Debug)]
struct Problem {
    class: (&'static str, Failure),
    message: String,
}

impl Problem {
    fn new(class: (&'static str, Failure), message: String) -> Self {
        Self { class, message }
    }
}

/// One account's result.
#[derive(Debug)]
struct Checked {
    account: Account,
    /// `None` when healthy.
    problem: Option<Problem>,
    /// What changed and was recorded (or, for `moved`, where the store is now).
    changes: Vec<String>,
    /// The proof, when the key worked where the account says the store is.
    report: Option<ProbeReport>,
}

impl Checked {
    fn failed(account: Account, problem: Problem) -> Self {
        Self {
            account,
            problem: Some(problem),
            changes: Vec::new(),
            report: None,
        }
    }

    fn kind(&self) -> &'static str {
        self.problem
            .as_ref()
            .map_or("ok", |problem| problem.class.0)
    }

    /// What is wrong, in the classes of docs/exit-codes.md; `None` when healthy.
    fn failure(&self) -> Option<Failure> {
        self.problem.as_ref().map(|problem| problem.class.1)
    }

    fn notes(&self) -> &[String] {
        self.report.as_ref().map_or(&[], |report| &report.notes)
    }

    /// The account in `--json`; built from the index record and the probe, which hold no
    /// secret. `notes` is what the user should know although the key works (e.g. what the
    /// store prints before its JSON).
    fn json(&self) -> Value {
        let account = &self.account;
        json!({
            "name": account.name,
            "store_url": account.store_url,
            "healthy": self.problem.is_none(),
            "status": self.kind(),
            "exit_code": self.failure().map_or(0, Failure::exit_code),
            "message": self.problem.as_ref().map(|problem| &problem.message),
            "changes": self.changes,
            "notes": self.notes(),
            "key": masked_key(&account.key_suffix),
            "access": account.access,
            "auth_method": account.auth_method,
            "verified_at": account.verified_at,
        })
    }
}

pub async fn run(args: VerifyArgs, ui: Ui) -> Result<Outcome, Error> {
    let dir = config::config_dir()?;
    let chosen = choose(&Index::load(&dir)?, &args)?;
    let json = args.output.json;
    if chosen.is_empty() {
        if !json {
            super::say_none_linked(ui, &dir);
        }
        return finish(&[], json);
    }
    // `--ca-cert` and the proxy variables are checked before any account is looked at.
    let http = super::client_trusting(&args.net, args.net.ca_cert.clone(), ui)?;
    if !json {
        let plural = if chosen.len() == 1 { "" } else { "s" };
        ui.status(&format!("Checking {} account{plural} ...", chosen.len()));
    }
    let mut results = check_all(&dir, chosen, &args.net, &http, ui).await;
    record(&dir, &mut results).await?;
    finish(&results, json)
}

/// The named accounts (each once, in the order given) or, with none named, all of them.
fn choose(accounts: &[Account], args: &VerifyArgs) -> Result<Vec<Account>, Error> {
    if args.all || args.names.is_empty() {
        return Ok(accounts.to_vec());
    }
    if accounts.is_empty() {
        return Err(vault::VaultError::NoneLinked.into());
    }
    let mut chosen: Vec<Account> = Vec::new();
    for name in &args.names {
        let account = linked::select(accounts, None, Some(name))?;
        if !chosen.iter().any(|a| a.name == *name) {
            chosen.push(account.clone());
        }
    }
    Ok(chosen)
}

/// Loads every secret (the credential store is asked one at a time), then probes the stores
/// concurrently, at most [`CONCURRENCY`] at once. Results keep the accounts' order.
async fn check_all(
    dir: &Path,
    accounts: Vec<Account>,
    net: &NetArgs,
    http: &HttpClient,
    ui: Ui,
) -> Vec<Checked> {
    let mut stores = credstore::Opened::new(credstore::opener(dir));
    // One client a CA to trust: CA copies are named by their content, so accounts linked with
    // one CA share its copy and its client.
    let mut clients = HashMap::from([(net.ca_cert.clone(), http.clone())]);
    // One check an account, in the accounts' order; one that cannot be probed is already checked.
    let mut checks = Vec::new();
    for account in accounts {
        let (store, http, credentials) =
            match ready(dir, &account, net, &mut clients, ui, &mut stores).await {
                Ok(ready) => ready,
                Err(problem) => {
                    let checked = Checked::failed(account, problem);
                    checks.push(Either::Left(std::future::ready(checked)));
                    continue;
                }
            };
        // The key goes first where the account says the API is (a root the index cannot have
        // pointed elsewhere: it must be on the store's own address), found again if it moved.
        let start = probe::root::api_root(&account, &Index::path(dir))
            .ok()
            .map(|root| Site::known(store.clone(), root));
        let allow_http = probe::http_allowed_for(&account);
        checks.push(Either::Right(async move {
            // The title may have changed since the link, and a scripted link never learnt it:
            // the index is read beside the key checks, where the account says the API is, so
            // it costs no extra round trip.
            let site_login = credentials.site.as_ref();
            let learning =
                OptionFuture::from(start.clone().map(|site| site.learnt(&http, site_login)));
            let probing = probe::probe(
                &http,
                &store,
                &credentials,
                allow_http,
                start.as_ref(),
                &|_| {},
            );
            let (mut proven, learnt) = tokio::join!(probing, learning);
            if let Ok(report) = &mut proven {
                match learnt {
                    Some(site) if site.root == report.site.root => report.site.learn(site),
                    _ => report.site.relearn(&http, site_login).await,
                }
            }
            judge(account, proven)
        }));
    }
    stream::iter(checks).buffered(CONCURRENCY).collect().await
}

/// What probing an account takes: its store's address, a client trusting its CA copy (or
/// --ca-cert), from `clients` or added to it, and its credentials; or what is wrong when one
/// of them cannot be had.
async fn ready(
    dir: &Path,
    account: &Account,
    net: &NetArgs,
    clients: &mut HashMap<Option<PathBuf>, HttpClient>,
    ui: Ui,
    stores: &mut credstore::Opened,
) -> Result<(StoreUrl, HttpClient, Credentials), Problem> {
    // The index holds the address connect normalized; one that no longer parses was edited by
    // hand.
    let store = account.store_url.parse::<StoreUrl>().map_err(|_| {
        let message = format!(
            "the account index holds \"{}\", which is not a store address; {}",
            account.store_url,
            Relink::at(&account.name, "URL")
        );
        Problem::new(("invalid_store_url", Failure::Local), message)
    })?;
    let problem = |err: Error| Problem::new(err.class(), err.to_string());
    let http = match clients.entry(super::trusted_ca(net, dir, account).map_err(problem)?) {
        Entry::Occupied(known) => known.get().clone(),
        Entry::Vacant(new) => {
            let client = super::client_trusting(net, new.key().clone(), ui).map_err(problem)?;
            new.insert(client).clone()
        }
    };
    Ok((store, http, credentials(dir, stores, account).await?))
}

/// The account's credentials, from its store (see [`credstore::Opened`]). `dir`: the config
/// folder, where an account from before ids is given one as its secret is read.
async fn credentials(
    dir: &Path,
    stores: &mut credstore::Opened,
    account: &Account,
) -> Result<Credentials, Problem> {
    const CREDENTIAL_STORE: (&str, Failure) = ("credential_store", Failure::Local);
    let storage = account.secret_storage;
    let opened = stores.get(storage, |err| {
        format!("could not open the {storage}: {err}")
    });
    let store = opened
        .await
        .map_err(|message| Problem::new(CREDENTIAL_STORE, message))?;
    let err = match vault::load_credentials(dir, store, account).await {
        Ok(credentials) => return Ok(credentials),
        Err(err) => err,
    };
    let class = match &err {
        vault::VaultError::Mismatch { .. } => ("secret_mismatch", Failure::Local),
        vault::VaultError::ReadSecret(CredStoreError::NotFound) => {
            let message = format!(
                "its secret is missing from the {storage}; {}",
                Relink::same_key(&account.name)
            );
            return Err(Problem::new(("secret_missing", Failure::Local), message));
        }
        // The whole store is out of reach, not this entry.
        vault::VaultError::ReadSecret(store_err) if store_err.is_unreachable() => {
            stores.give_up(storage, err.to_string());
            CREDENTIAL_STORE
        }
        _ => CREDENTIAL_STORE,
    };
    Err(Problem::new(class, err.to_string()))
}

/// Compares what the probe found with what the account says.
fn judge(account: Account, proven: Result<ProbeReport, ProbeError>) -> Checked {
    let report = match proven {
        Ok(report) => report,
        Err(ProbeError::MovedElsewhere { canonical, .. }) => return moved(account, canonical),
        // The key once worked through this very Plain-permalinks root, so the store's
        // WooCommerce does accept keys that way: the key itself is no longer known.
        Err(ProbeError::PlainPermalinks { key, .. })
            if account.api_root.contains("rest_route=") =>
        {
            let message = format!(
                "the store no longer recognises the key {key}: it was revoked or deleted. Look for a key ending in {} at {}, or make a new key there and {}.",
                key.suffix(),
                probe::keys_admin_url(account.admin()),
                Relink::new_key(&account.name)
            );
            let problem = Problem::new(("unknown_key", Failure::Credentials), message);
            return Checked::failed(account, problem);
        }
        Err(err) => {
            let class = err.class();
            // A key the store refuses is replaced by linking the account again, which asks
            // only for the new key.
            let message = if class.1 == Failure::Credentials {
                format!("{err} Then {}.", Relink::new_key(&account.name))
            } else {
                err.to_string()
            };
            return Checked::failed(account, Problem::new(class, message));
        }
    };
    if report.site.store.to_string() != account.store_url {
        return moved(account, report.site.store.to_string());
    }
    if let WriteVerdict::Unchecked(blocked) = &report.write
        && account.access == Access::ReadWrite
    {
        let message = format!(
            "the key {} still reads, but its write access could not be checked: {blocked}. The account stays read-write; run verify again once the store lets the check through.",
            masked_key(&account.key_suffix),
        );
        // Inconclusive: nothing measured is written back.
        let problem = Problem::new(("write_not_checked", Failure::Store), message);
        return Checked::failed(account, problem);
    }
    let mut problem = None;
    let mut changes = Vec::new();
    let access = proven_access(account.access, report.access());
    if access != account.access {
        changes.push(format!("{} → {}", account.access, access));
        if access == Access::Read && account.access == Access::ReadWrite {
            let message = format!(
                "the key {} now has read access only (it had read-write). If that was not meant, edit the key at {} and set Permissions to Read/Write.",
                masked_key(&account.key_suffix),
                probe::keys_admin_url(account.admin())
            );
            problem = Some(Problem::new(("access_lost", Failure::Credentials), message));
        }
    }
    if let Some(title) = report.site.name()
        && account.store_name.as_deref() != Some(title)
    {
        let visible = crate::domain::text::visible_line;
        changes.push(match &account.store_name {
            Some(old) => format!("title: \"{}\" → \"{}\"", visible(old), visible(title)),
            None => format!("title: \"{}\"", visible(title)),
        });
    }
    if report.auth_method != account.auth_method {
        changes.push(format!(
            "auth: {} → {}",
            account.auth_method, report.auth_method
        ));
    }
    if report.site.root.to_string() != account.api_root {
        changes.push(format!(
            "API root: {} → {}",
            account.api_root, report.site.root
        ));
    }
    Checked {
        account,
        problem,
        changes,
        report: Some(report),
    }
}

fn moved(account: Account, to: String) -> Checked {
    let message = format!(
        "{} now sends visitors to {to}. woolink sends the key only to the address it was linked with; if {to} is the store, {}",
        crate::domain::store_url::shown_address(&account.store_url),
        Relink::at(&account.name, &to)
    );
    let problem = Problem::new(("moved", Failure::Store), message);
    let mut checked = Checked::failed(account, problem);
    checked.changes.push(format!("moved to {to}"));
    checked
}

/// What the index should say the key may do after a check proved `proven`: a check whose
/// write half never reached WooCommerce leaves what was recorded.
fn proven_access(recorded: Access, proven: Access) -> Access {
    match proven {
        Access::ReadProven if recorded != Access::ReadProven => recorded,
        proven => proven,
    }
}

/// Writes what was proven back to the index, under its lock and re-read, by name (and only
/// while the account is still the one that was checked, so a concurrent relink wins). Only
/// what the check measured is written, onto the record as it is now: a CA copy or a site
/// login a relink gave meanwhile stays.
async fn record(dir: &Path, results: &mut [Checked]) -> Result<(), Error> {
    if results.iter().all(|checked| checked.report.is_none()) {
        return Ok(());
    }
    let now = crate::domain::account::timestamp_now();
    let measured = |account: &mut Account, report: &ProbeReport| {
        let access = proven_access(account.access, report.access());
        super::record_proven(account, report, access, &now, true);
    };
    for checked in results.iter_mut() {
        if let Some(report) = &checked.report {
            measured(&mut checked.account, report);
        }
    }
    Index::update(dir, |accounts| {
        for current in accounts.iter_mut() {
            let checked = results.iter().find(|c| c.account.same_link(current));
            if let Some(report) = checked.and_then(|c| c.report.as_ref()) {
                measured(current, report);
            }
        }
        Ok::<_, IndexError>(())
    })
    .await?;
    Ok(())
}

/// How the command ends: unhealthy, with the most severe problem found, if any account is.
fn outcome(results: &[Checked]) -> Outcome {
    let failures = results.iter().filter_map(Checked::failure);
    match failures.clone().max() {
        None => Outcome::Success,
        Some(worst) => Outcome::Unhealthy {
            failed: failures.count(),
            checked: results.len(),
            worst,
        },
    }
}

/// Prints the report.
fn finish(results: &[Checked], json: bool) -> Result<Outcome, Error> {
    let outcome = outcome(results);
    if json {
        let accounts: Vec<Value> = results.iter().map(Checked::json).collect();
        output::json(&json!({
            "healthy": outcome == Outcome::Success,
            "exit_code": outcome.exit_code(),
            "accounts": accounts,
        }))?;
    } else if !results.is_empty() {
        output::stdout(&human(results))?;
    }
    Ok(outcome)
}

fn human(results: &[Checked]) -> String {
    let header = ["NAME", "STORE", "STATUS", "ACCESS", "CHANGES"];
    let rows: Vec<[String; 5]> = results
        .iter()
        .map(|c| {
            [
                c.account.name.clone(),
                linked::store_label(&c.account),
                c.kind().replace('_', " "),
                c.account.access.to_string(),
                c.changes.join("; "),
            ]
        })
        .collect();
    let mut text = output::table(header, &rows);
    for checked in results {
        if let Some(problem) = &checked.problem {
            let message = &problem.message;
            text.push_str(&format!("\n{}: {message}\n", checked.account.name));
        }
        for note in checked.notes() {
            text.push_str(&format!("\n{}: Note: {note}\n", checked.account.name));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::credstore::{CredentialStore, EntryId, StoreFuture};
    use crate::accounts::index::tests::account;
    use crate::domain::account::SecretStorage;
    use std::sync::Arc;

    fn with_problem(class: Option<(&'static str, Failure)>) -> Checked {
        let problem = |class| Problem::new(class, String::new());
        let mut checked = Checked::failed(
            account("a", "https://a.example"),
            problem(("", Failure::Local)),
        );
        checked.problem = class.map(problem);
        checked
    }

    #[test]
    fn a_check_whose_write_half_never_reached_woocommerce_keeps_what_was_recorded() {
        use Access::{Read, ReadProven, ReadWrite};
        for (recorded, proven, kept) in [
            (ReadWrite, ReadProven, ReadWrite),
            (Read, ReadProven, Read),
            (ReadProven, ReadProven, ReadProven),
            (ReadProven, Read, Read),
            (ReadProven, ReadWrite, ReadWrite),
            (ReadWrite, Read, Read),
        ] {
            assert_eq!(
                proven_access(recorded, proven),
                kept,
                "{recorded:?} {proven:?}"
            );
        }
    }

    #[test]
    fn the_most_severe_status_decides_the_outcome() {
        let unhealthy = |failed, checked, worst| Outcome::Unhealthy {
            failed,
            checked,
            worst,
        };
        type Class = Option<(&'static str, Failure)>;
        const OK: Class = None;
        const MOVED: Class = Some(("moved", Failure::Store));
        const ACCESS_LOST: Class = Some(("access_lost", Failure::Credentials));
        const UNKNOWN_KEY: Class = Some(("unknown_key", Failure::Credentials));
        const SECRET_MISSING: Class = Some(("secret_missing", Failure::Local));
        let cases: Vec<(Vec<Class>, Outcome, u8)> = vec![
            (vec![], Outcome::Success, 0),
            (vec![OK, OK], Outcome::Success, 0),
            (vec![OK, MOVED], unhealthy(1, 2, Failure::Store), 3),
            (
                vec![MOVED, ACCESS_LOST, OK],
                unhealthy(2, 3, Failure::Credentials),
                4,
            ),
            (
                vec![UNKNOWN_KEY, SECRET_MISSING, MOVED],
                unhealthy(3, 3, Failure::Local),
                1,
            ),
        ];
        for (problems, expected, code) in cases {
            let results: Vec<Checked> = problems.iter().copied().map(with_problem).collect();
            let kinds: Vec<&str> = results.iter().map(Checked::kind).collect();
            let outcome = outcome(&results);
            assert_eq!(
                (outcome, outcome.exit_code()),
                (expected, code),
                "{kinds:?}"
            );
        }
    }

    /// A credential store that answers every `get` the same way and counts the calls.
    struct Fake {
        gets: Arc<std::sync::atomic::AtomicUsize>,
        answer: fn() -> CredStoreError,
    }

    impl CredentialStore for Fake {
        fn storage(&self) -> SecretStorage {
            SecretStorage::Keychain
        }
        fn set<'a>(&'a self, _: &'a EntryId, _: &'a Credentials) -> StoreFuture<'a, ()> {
            Box::pin(async { Ok(()) })
        }
        fn get<'a>(&'a self, _: &'a EntryId) -> StoreFuture<'a, Credentials> {
            self.gets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async { Err((self.answer)()) })
        }
        fn delete<'a>(&'a self, _: &'a EntryId) -> StoreFuture<'a, ()> {
            Box::pin(async { Ok(()) })
        }
    }

    /// Five accounts, three in the keychain (which answers `keychain`) and two in the file
    /// (whose entries are missing): the statuses, and how often each store was asked.
    async fn load_all(keychain: fn() -> CredStoreError) -> (Vec<Checked>, usize, usize) {
        let keychain_gets = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let file_gets = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (k, f) = (keychain_gets.clone(), file_gets.clone());
        // The accounts have ids: nothing is moved, the folder is never used.
        let dir = std::path::Path::new("/nonexistent/woolink");
        let opener: credstore::Opener = Box::new(move |storage| {
            let (gets, answer): (_, fn() -> CredStoreError) = match storage {
                SecretStorage::Keychain => (k.clone(), keychain),
                SecretStorage::PlaintextFile => (f.clone(), || CredStoreError::NotFound),
            };
            let store = Box::new(Fake { gets, answer }) as Box<dyn CredentialStore>;
            Box::pin(async { Ok(store) })
        });
        let mut stores = credstore::Opened::new(opener);
        let storages = [
            SecretStorage::Keychain,
            SecretStorage::PlaintextFile,
            SecretStorage::Keychain,
            SecretStorage::PlaintextFile,
            SecretStorage::Keychain,
        ];
        let mut results = Vec::new();
        for (i, secret_storage) in storages.into_iter().enumerate() {
            let account = Account {
                secret_storage,
                ..account(&format!("s{i}"), &format!("https://s{i}.example"))
            };
            let problem = credentials(dir, &mut stores, &account)
                .await
                .expect_err("no store has credentials");
            results.push(Checked::failed(account, problem));
        }
        let count =
            |gets: &std::sync::atomic::AtomicUsize| gets.load(std::sync::atomic::Ordering::SeqCst);
        (results, count(&keychain_gets), count(&file_gets))
    }

    #[tokio::test]
    async fn a_keychain_that_times_out_is_asked_once_for_all_its_accounts() {
        let unreachable: [fn() -> CredStoreError; 2] = [
            || CredStoreError::TimedOut {
                after: std::time::Duration::from_secs(10),
            },
            || CredStoreError::Unavailable {
                why: crate::accounts::credstore::Unavailability::Locked,
            },
        ];
        for answer in unreachable {
            let (results, keychain_gets, file_gets) = load_all(answer).await;
            assert_eq!(keychain_gets, 1, "the keychain was asked again");
            assert_eq!(file_gets, 2, "the file store is another store");
            let expected = answer().to_string();
            for checked in results.iter().step_by(2) {
                let problem = checked.problem.as_ref().unwrap();
                assert_eq!(problem.class.0, "credential_store");
                assert_eq!(problem.class.1.exit_code(), 1);
                assert_eq!(problem.message, expected);
            }
            for checked in results.iter().skip(1).step_by(2) {
                assert_eq!(checked.kind(), "secret_missing");
            }
        }
    }

    #[tokio::test]
    async fn a_keychain_error_about_one_entry_does_not_stop_the_others() {
        let (results, keychain_gets, _) = load_all(|| CredStoreError::Corrupt).await;
        assert_eq!(keychain_gets, 3);
        assert!(
            results
                .iter()
                .step_by(2)
                .all(|c| c.kind() == "credential_store")
        );
    }
}
