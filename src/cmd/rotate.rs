//! `woolink accounts rotate NAME`: the guided replacement of an account's key. The new key is
//! proven against the account's own store, swapped in with the vault's save transaction (the
//! old key stays if anything fails), and the old key is named for revoking; at a terminal
//! woolink waits while the person revokes it and then checks that the store refuses it.

use crate::face::term::Ui;
use std::time::Duration;

use serde::Serialize;

use crate::accounts::credstore::{self, CredStoreError};
use crate::accounts::vault::{self, Existing};
use crate::cmd::error::Error;
use crate::cmd::input::{self, KeyPlan};
use crate::domain::account::{Access, Account, AuthMethod, SecretStorage};
use crate::domain::keys::{Credentials, masked_key};
use crate::domain::store_url::StoreUrl;
use crate::face::cli::RotateArgs;
use crate::face::output;
use crate::http::HttpClient;
use crate::woocommerce::probe::{self, ProbeError, ProbeOptions, ProbeReport};

pub async fn run(args: RotateArgs, ui: Ui) -> Result<(), Error> {
    let keys = KeyPlan::new(&args.key, None, args.output.no_input)?;
    let said = ui.with_json(args.output.json);
    let (dir, old, _) = super::find(&args.name)?;
    let store_url = StoreUrl::parse_with_notes(&old.store_url)
        .map(|(url, _)| url)
        .map_err(|err| {
            Error::Usage(format!(
                "the account index gives \"{}\" the store address \"{}\", which {err}",
                old.name, old.store_url
            ))
        })?;
    // A credential store that cannot keep the new key is named before anything is typed.
    let credstore = credstore::open(old.secret_storage, &dir).await?;
    credstore.check_writable().await?;
    // The old key, to check once it is revoked; the site login is the store's, not the key's.
    // One that is missing, damaged or holds another key is not the old key: not used.
    let old_credentials = match vault::load_credentials(&dir, credstore.as_ref(), &old).await {
        Ok(credentials) => Some(credentials),
        Err(
            vault::LoadError::Store(CredStoreError::NotFound | CredStoreError::Corrupt)
            | vault::LoadError::Mismatch { .. },
        ) => None,
        Err(err) => return Err(err.into()),
    };
    if keys.key_typed() || args.open {
        let text = format!(
            "Make a new key for \"{}\" here (log in as an administrator or shop manager), with the access it needs:",
            old.name
        );
        let url = probe::new_key_admin_url(old.admin());
        super::connect::keys_page(&text, &url, args.open, said, ui);
    }
    let new = keys.credentials(old_credentials.as_ref().and_then(|c| c.site.clone()))?;
    let admin = probe::keys_admin_url(old.admin());
    let same = match &old_credentials {
        Some(old_credentials) => old_credentials.key.expose() == new.key.expose(),
        None => new.key.suffix() == old.key_suffix,
    };
    if same {
        return Err(Error::SameKey {
            name: old.name.clone(),
            key: new.key.masked(),
            admin,
        });
    }
    let http = super::client_trusting(&args.net, super::trusted_ca(&args.net, &dir, &old)?, ui)?;
    // Proven the way `accounts verify` proves an account's key.
    let options = ProbeOptions::for_account(&old, Duration::from_secs(args.net.timeout));
    said.status(&format!(
        "Checking the new key {} against {} ...",
        new.key.masked(),
        store_url.shown()
    ));
    let report = match probe::probe(&http, &store_url, &new, options, None).await {
        Ok(report) => report,
        Err(ProbeError::UnknownKey { .. }) => {
            return Err(Error::KeyOfAnotherStore {
                name: old.name.clone(),
                store: store_url.shown(),
                key: new.key.masked(),
                admin: probe::new_key_admin_url(old.admin()),
            });
        }
        Err(err) => return Err(err.into()),
    };
    if report.store.to_string() != old.store_url {
        return Err(ProbeError::MovedElsewhere {
            typed: store_url.shown(),
            canonical: report.store.shown(),
        }
        .into());
    }
    let account = Account {
        key_suffix: new.key.suffix().to_owned(),
        access: report.access,
        auth_method: report.auth_method,
        api_root: report.api_root.to_string(),
        store_name: report.site_name.clone().or_else(|| old.store_name.clone()),
        verified_at: crate::domain::account::timestamp_now(),
        ..old.clone()
    };
    // One transaction: the entry is overwritten and the index written under its lock; if the
    // index cannot be written the old credentials are put back.
    let saved = vault::save(
        &dir,
        credstore.as_ref(),
        account,
        &new,
        Existing::Replace,
        None,
    )
    .await?;
    if let Some(left) = &saved.old_left {
        super::connect::warn_old_left(left);
    }
    let mut rotated = Rotated {
        name: &old.name,
        store_url: &old.store_url,
        key: new.key.masked(),
        key_suffix: new.key.suffix(),
        old_key: masked_key(&old.key_suffix),
        old_key_suffix: &old.key_suffix,
        access: report.access,
        old_access: old.access,
        access_change: super::connect::access_change(old.access, report.access),
        auth_method: report.auth_method,
        secret_storage: saved.account.secret_storage,
        revoke_at: admin,
        old_key_revoked: None,
    };
    if !args.output.json {
        output::stdout(&summary(&rotated, &report))?;
    }
    if let (Some(old_credentials), true) = (&old_credentials, keys.interactive) {
        rotated.old_key_revoked =
            wait_for_revoking(&http, &store_url, options, old_credentials, &rotated).await;
    }
    if args.output.json {
        return Ok(output::json(&rotated)?);
    }
    let verdict = match rotated.old_key_revoked {
        Some(true) => format!(
            "The store refuses the old key {}: it is revoked.\n",
            rotated.old_key
        ),
        Some(false) => format!(
            "The old key {} still works: revoke it at {}\n",
            rotated.old_key, rotated.revoke_at
        ),
        None => return Ok(()),
    };
    Ok(output::stdout(&verdict)?)
}

/// At a terminal: offers to wait while the old key is revoked, then checks that the store
/// refuses it, as often as the person asks. `None` when it was not checked.
async fn wait_for_revoking(
    http: &HttpClient,
    store: &StoreUrl,
    options: ProbeOptions,
    old: &Credentials,
    rotated: &Rotated<'_>,
) -> Option<bool> {
    let question = format!(
        "Wait here while you revoke {} at {}, then check that the store refuses it?",
        rotated.old_key, rotated.revoke_at
    );
    if !input::confirm_yes(&question).ok()? {
        return None;
    }
    loop {
        if !input::confirm_yes(&format!("Revoked {}? Check now", rotated.old_key)).ok()? {
            return None;
        }
        match probe::probe(http, store, old, options, None).await {
            Ok(_) => {
                crate::face::term::stderr_line(&format!(
                    "The store still accepts {}: it is not revoked yet.",
                    rotated.old_key
                ));
                if !input::confirm_yes("Check again?").ok()? {
                    return Some(false);
                }
            }
            // Refused: the key is unknown now, or no longer works.
            Err(err) if err.class().1.exit_code() == 4 => return Some(true),
            Err(err) => {
                crate::face::term::warning(&format!("could not check the old key: {err}"));
                return None;
            }
        }
    }
}

/// What rotate did; also its `--json` document. No field can hold a secret.
#[derive(Serialize)]
struct Rotated<'a> {
    name: &'a str,
    store_url: &'a str,
    key: String,
    key_suffix: &'a str,
    old_key: String,
    old_key_suffix: &'a str,
    access: Access,
    old_access: Access,
    /// "unchanged", "widened" (read -> read-write: the new key may change the store) or
    /// "narrowed" (read-write -> read).
    access_change: &'static str,
    auth_method: AuthMethod,
    secret_storage: SecretStorage,
    /// The store's keys page, where the old key is revoked.
    revoke_at: String,
    /// Whether the store refuses the old key now: `null` when it was not checked.
    old_key_revoked: Option<bool>,
}

fn summary(rotated: &Rotated, report: &ProbeReport) -> String {
    let mut text = format!(
        "\"{}\" now uses the new key {}, kept in the {}: the key {}.\n",
        rotated.name,
        rotated.key,
        rotated.secret_storage,
        rotated.access.proven()
    );
    match rotated.access_change {
        "widened" => text.push_str(&format!(
            "  Access WIDENED: {} -> {}. The new key may also change the store (orders, products, customers), which the old one could not.\n",
            rotated.old_access, rotated.access
        )),
        "narrowed" => text.push_str(&format!(
            "  Access narrowed: {} -> {}. Tools that change the store will now be refused.\n",
            rotated.old_access, rotated.access
        )),
        _ => {}
    }
    for note in &report.notes {
        text.push_str(&format!("  Note: {note}\n"));
    }
    text.push_str(&format!(
        "Now revoke the old key {} (WooCommerce lists it by its last 7 characters, {}) at\n  {}\n",
        rotated.old_key, rotated.old_key_suffix, rotated.revoke_at
    ));
    text
}
