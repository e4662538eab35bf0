//! `woolink accounts rotate NAME`: the guided replacement of an account's key. The new key is
//! proven against the account's own store, swapped in with the vault's save transaction (the
//! old key stays if anything fails), and the old key is named for revoking; at a terminal
//! woolink waits while the person revokes it and then checks that the store refuses it.

use crate::face::term::Ui;

use crate::accounts::credstore::{self, CredStoreError};
use crate::accounts::vault::{self, Existing};
use crate::cmd::connect::AccessChange;
use crate::cmd::error::Error;
use crate::cmd::input::{self, KeyPlan};
use crate::domain::account::{Account, SecretStorage};
use crate::domain::keys::{ConsumerKey, Credentials, masked_key};
use crate::domain::store_url::StoreUrl;
use crate::face::cli::RotateArgs;
use crate::face::output;
use crate::http::HttpClient;
use crate::woocommerce::probe::{self, ProbeError, ProbeReport};

pub async fn run(args: RotateArgs, ui: Ui) -> Result<(), Error> {
    let keys = KeyPlan::new(&args.key, None, args.output.no_input)?;
    let said = ui.with_json(args.output.json);
    let (dir, old, _) = super::find(&args.name)?;
    let store_url = old.store_url.parse::<StoreUrl>().map_err(|err| {
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
            vault::VaultError::ReadSecret(CredStoreError::NotFound | CredStoreError::Corrupt)
            | vault::VaultError::Mismatch { .. },
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
    let allow_http = probe::http_allowed_for(&old);
    said.status(&format!(
        "Checking the new key {} against {} ...",
        new.key.masked(),
        store_url.shown()
    ));
    let report = match probe::probe(&http, &store_url, &new, allow_http, None, &|_| {}).await {
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
    if report.site.store.to_string() != old.store_url {
        return Err(ProbeError::MovedElsewhere {
            typed: store_url.shown(),
            canonical: report.site.store.shown(),
        }
        .into());
    }
    let mut account = old.clone();
    account.key_suffix = new.key.suffix().to_owned();
    let now = crate::domain::account::timestamp_now();
    // The key changed, not where the store's WordPress is.
    super::record_proven(&mut account, &report, report.access(), &now, false);
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
    let storage = saved.account.secret_storage;
    if !args.output.json {
        output::stdout(&summary(&old, &new.key, &report, storage, &admin))?;
    }
    let old_key_revoked = match (&old_credentials, keys.interactive) {
        (Some(old_credentials), true) => {
            wait_for_revoking(&http, &store_url, allow_http, old_credentials, &admin).await
        }
        _ => None,
    };
    let old_key = masked_key(&old.key_suffix);
    if args.output.json {
        // What rotate did. No field can hold a secret.
        return Ok(output::json(&serde_json::json!({
            "name": old.name,
            "store_url": old.store_url,
            "key": new.key.masked(),
            "key_suffix": new.key.suffix(),
            "old_key": old_key,
            "old_key_suffix": old.key_suffix,
            "access": report.access(),
            "old_access": old.access,
            "access_change": super::connect::access_change(old.access, report.access()),
            "auth_method": report.auth_method,
            "secret_storage": storage,
            // The store's keys page, where the old key is revoked.
            "revoke_at": admin,
            // Whether the store refuses the old key now: `null` when it was not checked.
            "old_key_revoked": old_key_revoked,
        }))?);
    }
    let verdict = match old_key_revoked {
        Some(true) => format!("The store refuses the old key {old_key}: it is revoked.\n"),
        Some(false) => format!("The old key {old_key} still works: revoke it at {admin}\n"),
        None => return Ok(()),
    };
    Ok(output::stdout(&verdict)?)
}

/// At a terminal: offers to wait while the old key is revoked, then checks that the store
/// refuses it, as often as the person asks. `None` when it was not checked.
async fn wait_for_revoking(
    http: &HttpClient,
    store: &StoreUrl,
    allow_http: bool,
    old: &Credentials,
    revoke_at: &str,
) -> Option<bool> {
    let old_key = &old.key;
    let question = format!(
        "Wait here while you revoke {old_key} at {revoke_at}, then check that the store refuses it?"
    );
    if !input::confirm_yes(&question).ok()? {
        return None;
    }
    loop {
        if !input::confirm_yes(&format!("Revoked {old_key}? Check now")).ok()? {
            return None;
        }
        match probe::probe(http, store, old, allow_http, None, &|_| {}).await {
            Ok(_) => {
                crate::face::term::stderr_line(&format!(
                    "The store still accepts {old_key}: it is not revoked yet."
                ));
                if !input::confirm_yes("Check again?").ok()? {
                    return Some(false);
                }
            }
            Err(err) if revoked(&err) => return Some(true),
            Err(err) => {
                crate::face::term::warning(&format!("could not check the old key: {err}"));
                return None;
            }
        }
    }
}

/// Whether the store's refusal of the old key shows it revoked: WooCommerce deletes a revoked
/// key, and then no longer knows it. A refused OAuth signature may also be a clock that is
/// off, and the other refusals (the site's own login, a key kept but narrowed or its user
/// demoted) are not revocation.
fn revoked(err: &ProbeError) -> bool {
    matches!(err, ProbeError::UnknownKey { .. })
}

/// What rotate did, for a person: the new key, how its access changed, and where to revoke
/// the old one.
fn summary(
    old: &Account,
    key: &ConsumerKey,
    report: &ProbeReport,
    storage: SecretStorage,
    revoke_at: &str,
) -> String {
    let (old_access, access) = (old.access, report.access());
    let mut text = format!(
        "\"{}\" now uses the new key {key}, kept in the {storage}: the key {}.\n",
        old.name,
        access.proven()
    );
    match super::connect::access_change(old_access, access) {
        AccessChange::Widened => text.push_str(&format!(
            "  Access WIDENED: {old_access} -> {access}. The new key may also change the store (orders, products, customers), which the old one could not.\n"
        )),
        AccessChange::Narrowed => text.push_str(&format!(
            "  Access narrowed: {old_access} -> {access}. Tools that change the store will now be refused.\n"
        )),
        AccessChange::Unchanged => {}
    }
    for note in &report.notes {
        text.push_str(&format!("  Note: {note}\n"));
    }
    text.push_str(&format!(
        "Now revoke the old key {} (WooCommerce lists it by its last 7 characters, {}) at\n  {revoke_at}\n",
        masked_key(&old.key_suffix),
        old.key_suffix
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_store_that_no_longer_knows_the_key_shows_it_revoked() {
        let key = || ConsumerKey::parse("ck_0123456789abcdef0123456789abcdef01234567").unwrap();
        let (store, admin) = (
            "https://s.example".to_owned(),
            "https://s.example/wp-admin/".to_owned(),
        );
        let unknown = ProbeError::UnknownKey {
            store: store.clone(),
            key: key(),
            admin: admin.clone(),
            plugin: String::new(),
        };
        assert!(revoked(&unknown));
        // Each refused the old key (exit code 4), and none shows it revoked.
        let not_revoked = [
            ProbeError::SitePasswordRejected {
                store: store.clone(),
                realm: None,
            },
            ProbeError::WrongSecret {
                store: store.clone(),
                key: key(),
                admin: admin.clone(),
            },
            ProbeError::ReadRefused {
                store: store.clone(),
                key: key(),
                admin: admin.clone(),
            },
            ProbeError::OauthRejected {
                store,
                key: key(),
                admin: admin.clone(),
                message: "Invalid timestamp.".to_owned(),
            },
            ProbeError::WriteOnlyKey {
                key: key(),
                admin: admin.clone(),
            },
            ProbeError::UserLacksCapability { key: key(), admin },
        ];
        for err in not_revoked {
            assert_eq!(err.class().1.exit_code(), 4, "{err}");
            assert!(!revoked(&err), "{err}");
        }
    }
}
