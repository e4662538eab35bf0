//! `woolink accounts list | show | remove | rename | default` (`verify` and `rotate` have
//! modules of their own). `list` reads the index alone and never touches the keychain; `show`
//! also asks the credential store whether the secret is still there.

use crate::face::term::Ui;
use serde_json::{Value, json};

use crate::accounts::config;
use crate::accounts::credstore::{self, CredStoreError, EntryId};
use crate::accounts::index::Index;
use crate::accounts::linked;
use crate::accounts::vault::{self, VaultError};
use crate::cmd::error::{Error, Outcome};
use crate::cmd::input;
use crate::domain::account::{Account, SecretStorage};
use crate::domain::keys::masked_key;
use crate::domain::relink::Relink;
use crate::domain::store_url::shown_address;
use crate::face::cli::{AccountsCommand, OutputArgs};
use crate::face::output;
use crate::woocommerce::probe::keys_admin_url;

pub async fn run(command: AccountsCommand, ui: Ui) -> Result<Outcome, Error> {
    match command {
        AccountsCommand::List { wide, output } => list(wide, output.json, ui),
        AccountsCommand::Show { name, output } => show(&name, output.json).await,
        AccountsCommand::Remove {
            name,
            yes,
            index_only,
            output,
        } => remove(&name, yes, index_only, output).await,
        AccountsCommand::Rename { old, new, output } => rename(&old, &new, output.json).await,
        AccountsCommand::Default {
            name,
            clear,
            output,
        } => default(name.as_deref(), clear, output.json, ui).await,
        AccountsCommand::Verify(args) => return super::verify::run(args, ui).await,
        AccountsCommand::Rotate(args) => super::rotate::run(args, ui).await,
    }
    .map(Outcome::from)
}

/// Prints `document` with `--json`, else `text`.
fn print(json: bool, document: Value, text: &str) -> Result<(), Error> {
    Ok(if json {
        output::json(&document)
    } else {
        output::stdout(text)
    }?)
}

/// The `--json` shape of an account, built from the index record, which holds no secret.
/// `default`: whether this is the default account, used when a command is given no --account.
fn account_json(account: &Account, default: Option<&str>) -> Value {
    json!({
        "name": account.name,
        "store_url": account.store_url,
        "api_root": account.api_root,
        "store_name": account.store_name,
        "key": masked_key(&account.key_suffix),
        "key_suffix": account.key_suffix,
        "access": account.access,
        "auth_method": account.auth_method,
        "secret_storage": account.secret_storage,
        "linked_at": account.linked_at,
        "verified_at": account.verified_at,
        "default": default == Some(account.name.as_str()),
    })
}

fn list(wide: bool, json: bool, ui: Ui) -> Result<(), Error> {
    let dir = config::config_dir()?;
    let (accounts, default) = Index::load_with_default(&dir)?;
    if json {
        let views: Vec<Value> = accounts
            .iter()
            .map(|account| account_json(account, default.as_deref()))
            .collect();
        return Ok(output::json(&views)?);
    }
    if accounts.is_empty() {
        super::say_none_linked(ui, &dir);
        return Ok(());
    }
    Ok(output::stdout(&table(&accounts, default.as_deref(), wide))?)
}

/// The accounts as a table: by default the columns a person needs to tell the stores apart,
/// with relative times, fitted to the terminal; `wide`, every column with exact times.
fn table(accounts: &[Account], default: Option<&str>, wide: bool) -> String {
    let now = std::time::SystemTime::now();
    let when = |timestamp: &str| {
        if wide {
            timestamp.to_owned()
        } else {
            output::time_ago(timestamp, now)
        }
    };
    // Without --wide, what is said elsewhere or rarely needed is left out: the way the key
    // travels, when the account was made, where the secret is when that is the keychain for
    // every account, and the address when no account has a title.
    let plaintext = accounts
        .iter()
        .any(|a| a.secret_storage == SecretStorage::PlaintextFile);
    let titled = accounts.iter().any(|a| linked::store_title(a).is_some());
    // Ranks: what goes first when the terminal is narrow. A plaintext secret is a warning and
    // stays longest. STORE shows every address when no account has a title.
    let columns = [
        ("NAME", None, false, true),
        ("STORE", None, true, true),
        ("URL", Some(1), false, wide || titled),
        ("KEY", Some(2), false, true),
        ("ACCESS", Some(4), false, true),
        ("AUTH", Some(0), false, wide),
        ("SECRET", Some(5), false, wide || plaintext),
        ("LINKED", Some(0), false, wide),
        ("VERIFIED", Some(3), false, true),
    ];
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|account| {
            let name = if default == Some(account.name.as_str()) {
                format!("{} (default)", account.name)
            } else {
                account.name.clone()
            };
            let address = shown_address(&account.store_url);
            let store = linked::store_title(account).map_or_else(|| address.clone(), str::to_owned);
            let cells = [
                name,
                store,
                address,
                masked_key(&account.key_suffix),
                account.access.to_string(),
                account.auth_method.id().to_owned(),
                match account.secret_storage {
                    SecretStorage::Keychain => "keychain".to_owned(),
                    SecretStorage::PlaintextFile => "PLAINTEXT FILE".to_owned(),
                },
                when(&account.linked_at),
                when(&account.verified_at),
            ];
            let kept = cells.into_iter().zip(columns).filter(|(_, c)| c.3);
            kept.map(|(cell, _)| cell).collect()
        })
        .collect();
    let columns: Vec<output::Column> = columns
        .into_iter()
        .filter(|c| c.3)
        .map(|(header, drop_rank, shrinks, _)| output::Column {
            header,
            drop_rank,
            shrinks,
        })
        .collect();
    let width = if wide { None } else { output::stdout_width() };
    output::fitted_table(&columns, &rows, width)
}

async fn show(name: &str, json: bool) -> Result<(), Error> {
    let (dir, account, is_default) = super::find(name)?;
    let storage = account.secret_storage;
    // Whether the credential store still holds the secret (read, and dropped at once).
    let mut stores = credstore::Opened::new(credstore::opener(&dir));
    let present = linked::credentials(&dir, &account, &mut stores).await;
    let mut view = account_json(&account, is_default.then_some(name));
    // `null` when the store could not be asked; another key than the account's is not its
    // secret.
    view["secret_present"] = match &present {
        Ok(_) => json!(true),
        Err(VaultError::ReadSecret(CredStoreError::NotFound) | VaultError::Mismatch { .. }) => {
            json!(false)
        }
        Err(_) => Value::Null,
    };
    let secret = match &present {
        Ok(_) => format!("kept in the {storage}"),
        Err(VaultError::ReadSecret(CredStoreError::NotFound)) => format!(
            "MISSING from the {storage}: this account is broken; {}",
            Relink::same_key(&account.name)
        ),
        Err(err @ VaultError::Mismatch { .. }) => format!("NOT this account's key: {err}"),
        Err(VaultError::ReadSecret(err)) if err.is_unreachable() => format!(
            "could not be checked: {}. Start or unlock the keychain, then run `woolink accounts show {}` again",
            err.without_choices(),
            account.name
        ),
        Err(err) => format!("could not be checked: {err}"),
    };
    let default = if is_default {
        "yes: used when a command is given no --account"
    } else {
        "no"
    };
    let mut text = String::new();
    let mut row = |label: &str, value: &str| output::push_row(&mut text, "", label, value);
    row("Name:", &account.name);
    row("Default:", default);
    row("Store:", &linked::store_label(&account));
    row("URL:", &shown_address(&account.store_url));
    row("API root:", &account.api_root);
    row("Key:", &masked_key(&account.key_suffix));
    row("Access:", &account.access.to_string());
    row("Auth:", &account.auth_method.to_string());
    row("Secret:", &secret);
    if let Some(copy) = &account.ca_cert {
        // The CA certificate given to connect, trusted for this store only.
        row("CA cert:", &dir.join(copy).display().to_string());
    }
    row("Linked:", &account.linked_at);
    row("Verified:", &account.verified_at);
    print(json, view, &text)
}

async fn remove(
    name: &str,
    yes: bool,
    index_only: bool,
    output_args: OutputArgs,
) -> Result<(), Error> {
    let (dir, account, was_default) = super::find(name)?;
    if !yes {
        if !input::can_prompt(output_args.no_input) {
            return Err(Error::Usage(format!(
                "removing \"{name}\" needs a confirmation: pass --yes (woolink only asks when it runs in a terminal)"
            )));
        }
        let question = format!(
            "Remove \"{name}\" ({}, key {}) from this computer?",
            shown_address(&account.store_url),
            masked_key(&account.key_suffix)
        );
        if !input::confirm(&question)? {
            return Err(Error::Cancelled);
        }
    }
    let storage = account.secret_storage;
    // What to run instead when the keychain cannot be reached: the same, index entry only.
    let unreachable = |source: CredStoreError| Error::Keychain {
        source,
        advice: format!(
            "Nothing was removed. Start or unlock the keychain, then run `woolink accounts remove {name}{yes}` again; or remove only the account's entry from the index, leaving its secret in the {storage} for you to delete there, with `woolink accounts remove {name} --index-only{yes}`",
            yes = if yes { " --yes" } else { "" },
        ),
    };
    let store = match index_only {
        true => None,
        false => match credstore::open(storage, &dir).await {
            Err(err) if err.is_unreachable() => return Err(unreachable(err)),
            store => Some(store?),
        },
    };
    let removed = match vault::remove(&dir, store.as_deref(), name).await {
        Err(VaultError::RemoveSecret { source, .. }) if source.is_unreachable() => {
            return Err(unreachable(source));
        }
        removed => removed?,
    };
    let account = removed.account;
    if index_only {
        crate::face::term::warning(&format!(
            "the secret of \"{name}\" was left in the {storage} ({id}), as --index-only asks; no account lists it now: delete it with the {storage}'s own tools.",
            id = EntryId::for_account(&account),
        ));
    }
    let revoke_at = keys_admin_url(account.admin());
    let key = masked_key(&account.key_suffix);
    // Revoking a key another account still uses would break that account: advised only when
    // no account left uses it.
    let used_by = removed.key_used_by;
    // `secret_left`: --index-only left the secret where it is kept; `key_used_by`: other
    // accounts that use the same key at the same store (then it is not to be revoked).
    let document = json!({
        "removed": name,
        "secret_was_present": removed.secret_deleted,
        "secret_left": index_only,
        "plaintext_copy_removed": removed.plaintext_copy,
        "was_default": was_default,
        "key": key,
        "revoke_at": revoke_at,
        "key_used_by": used_by,
    });
    let secret = match removed.secret_deleted {
        _ if index_only => format!("its secret was left in the {storage}"),
        true => format!("deleted its secret from the {storage}"),
        false => format!("its secret was already gone from the {storage}"),
    };
    let copy = if removed.plaintext_copy {
        " (and a plaintext copy from credentials.json)"
    } else {
        ""
    };
    let default = if was_default {
        "It was the default account: no account is the default now; choose one with `woolink accounts default NAME`.\n"
    } else {
        ""
    };
    // Whether the key still works was not checked: not said.
    let key_advice = if used_by.is_empty() {
        format!(
            "The key {key} was not revoked on the store. If nothing else uses it, revoke it at {revoke_at} (the key ending in {}).\n",
            account.key_suffix
        )
    } else {
        let users: Vec<String> = used_by.iter().map(|other| format!("\"{other}\"")).collect();
        format!(
            "The key {key} is also the key of {}: it is not to be revoked while that account uses it.\n",
            users.join(", ")
        )
    };
    let text = format!(
        "Removed \"{name}\": {secret}{copy} and its entry from the account index.\n{default}{key_advice}"
    );
    print(output_args.json, document, &text)
}

/// Renames an account: the index alone changes, as its secret is kept under its id. An account
/// linked before account ids first gets one (its secret moved to it), which needs its store.
async fn rename(old: &str, new: &str, json: bool) -> Result<(), Error> {
    crate::domain::account::check_name(new)?;
    if old == new {
        return Err(Error::Usage(format!(
            "\"{old}\" is already the account's name: give the new name after the old one"
        )));
    }
    let (dir, account, _) = super::find(old)?;
    let storage = account.secret_storage;
    if account.id.is_none() {
        let moved = match credstore::open(storage, &dir).await {
            Ok(store) => vault::migrate(&dir, store.as_ref(), old).await,
            Err(source) => Err(VaultError::MoveSecret {
                name: old.to_owned(),
                storage,
                source,
            }),
        };
        match moved {
            Err(VaultError::MoveSecret { source, .. }) if source.is_unreachable() => {
                return Err(Error::Keychain {
                    source,
                    advice: format!(
                        "Nothing was renamed: \"{old}\" was linked before account ids, and its secret must first move to an entry of its own in the {storage}. Start or unlock it, then run `woolink accounts rename {old} {new}` again"
                    ),
                });
            }
            Err(source) => {
                let name = old.to_owned();
                let source = Box::new(source);
                return Err(VaultError::NoId { name, source }.into());
            }
            Ok(_) => {}
        }
    }
    let is_default = vault::rename(&dir, old, new).await?;
    let default = if is_default {
        "\nIt is still the default account."
    } else {
        ""
    };
    // `default`: the account is the default (it was under its old name).
    print(
        json,
        json!({"renamed": old, "to": new, "default": is_default}),
        &format!(
            "Renamed \"{old}\" to \"{new}\" in the account index (its secret stays where it is, in the {storage}).{default}\n"
        ),
    )
}

/// Shows, sets or clears the default account (kept in the index).
async fn default(name: Option<&str>, clear: bool, json: bool, ui: Ui) -> Result<(), Error> {
    let dir = config::config_dir()?;
    let (accounts, default) = if clear || name.is_some() {
        let mut index = Index::lock(&dir).await?;
        if let Some(name) = name {
            index.position(name).map_err(VaultError::from)?;
        }
        index.default = name.map(str::to_owned);
        index.write()?;
        (std::mem::take(&mut index.accounts), index.default.take())
    } else {
        Index::load_with_default(&dir)?
    };
    let names: Vec<String> = accounts.into_iter().map(|a| a.name).collect();
    if json {
        // `accounts`: every linked account's name, to choose from.
        return Ok(output::json(
            &json!({"default": default, "accounts": names}),
        )?);
    }
    match (&default, name, clear) {
        (Some(name), Some(_), _) => ui.status(&format!(
            "\"{name}\" is now the default account, used when a command is given no --account."
        )),
        (None, _, true) => ui.status("No default account any more."),
        (Some(name), None, _) => output::stdout(&format!("{name}\n"))?,
        (None, _, _) => match names.as_slice() {
            [] => ui.status(
                "No default account is set, and no stores are linked yet. Link one with `woolink connect`.",
            ),
            [only] => ui.status(&format!(
                "No default account is set; \"{only}\", the only linked account, is used. Set one with `woolink accounts default NAME`."
            )),
            several => ui.status(&format!(
                "No default account is set, and {} accounts are linked: {}. Choose one with `woolink accounts default NAME`.",
                several.len(),
                several.join(", ")
            )),
        },
    }
    Ok(())
}
