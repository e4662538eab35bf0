//! woolink: link WooCommerce stores. The binary is a thin shell around [`run`].
//!
//! The layers are the folders, bottom to top; each module uses only its own layer and those
//! below it, and no two modules each other (`src/layers.rs` checks both from the source):
//! - `domain/` (no I/O): `account`, `keys` (secrets in types that cannot print), `store_url`,
//!   `text` (what others supplied, made safe to show), `redact` (every way a secret is hidden),
//!   `same_site`, `relink` (the advice to link again), `variables` (every `WOOLINK_*` name and
//!   `run`'s fields), `exit` (the exit-code table), `bom`, `crash`;
//! - `http/`: the only module that talks to reqwest (trust, proxies, pacing, the one redirect
//!   it follows), and `store_json` (JSON past what PHP printed before it);
//! - `woocommerce/`: `probe` (proves a key: `probe/verdict.rs` is the pure judge), `api` (what
//!   api paths mean), `oauth`, `json_check`, `jq`;
//! - `accounts/` (what is kept): `index`, `credstore` (keychain or plaintext file), `vault` (the
//!   index and the credential store as one transaction), `linked`, `ca_copy`, `config`,
//!   `private_file`, `session_bus`;
//! - `face/`: `cli` (clap), `output` (stdout data), `term` (stderr for people: status, warnings,
//!   progress, colour), `interrupt`;
//! - `cmd/`: one module a command, what they ask for and take from the environment (`input`,
//!   `env_creds`, `env_file`), and `error`.
//!
//! Where to look first:
//! - **An exit code**: every command returns `Result<Outcome, Error>` to [`run`], which is the
//!   one place that prints the `error:` line; the code comes from `Outcome::exit_code` and
//!   `Error::class` in `cmd/error.rs`, which gives each error its `kind` and class of failure
//!   (the probe's diagnoses: `ProbeError::class` in `woocommerce/probe/error.rs`; `woolink
//!   api`'s: `ApiError::class` in `woocommerce/api.rs`; each account of `accounts verify`: its
//!   `Problem`, in `cmd/verify.rs`). Each class's code, and the table `--help`, the man page and
//!   `docs/exit-codes.md` show: `domain/exit.rs`.
//! - **Where a secret travels**: `domain/keys.rs` holds it in types that cannot print; it leaves
//!   them only in `http/mod.rs` (Basic, query string or an OAuth signature,
//!   `woocommerce/oauth.rs`), in `accounts/credstore/` (keychain entry or `credentials.json`)
//!   and in `cmd/run.rs` (the child's environment). URLs are shown only as
//!   `redact::DisplaySafeUrl`; `domain/redact.rs` holds every way a secret is hidden in what
//!   woolink prints.
//! - **Where a secret is kept**: the entry named by the account's random id (`Account::id`,
//!   `credstore::EntryId`); storing it and recording it in the index is one transaction with a
//!   pending record in the index, which the next command finishes or undoes
//!   (`accounts/vault.rs`, `vault::recover`; `domain/crash.rs` is the test hook that kills
//!   woolink at each step); the index is written only under its lock, through the
//!   `index::LockedIndex` that holds it. Keychain calls run on tokio's blocking pool under a
//!   time-out, and lock waits sleep on the runtime's timer: nothing blocks the one runtime
//!   thread.
//! - **What connect was asked**: `cmd/connect.rs`, `Connect::resolve` (flags, variables,
//!   `--env-file`, the account linked again) and `cmd/input.rs`, `KeyPlan` (where the key and
//!   secret come from, for connect and `accounts rotate` alike); `--quiet` and `--verbose` are
//!   `face::term::Ui`, decided once in [`run`] and handed down.
//! - **A new way a store can fail**: model it in the test store (`crates/test-store/`), judge
//!   it in `woocommerce/probe/verdict.rs` (pure), name it as a `ProbeError` with its message
//!   (the variant's name, in snake case, is its `--json` kind) and its class in
//!   `ProbeError::class`, in `woocommerce/probe/error.rs`, and say how WooCommerce behaves in
//!   `docs/woocommerce.md`.

mod accounts;
mod cmd;
mod domain;

mod face;
mod http;
#[cfg(test)]
mod layers;
mod woocommerce;

/// What the integration tests, the benchmarks and the fuzz targets reach inside woolink: not an
/// API, and not kept stable. Everything else is private to the crate, so the compiler sees
/// what is unused.
#[doc(hidden)]
pub mod testing {
    pub use crate::accounts::credstore::{
        CredStoreError, CredentialStore, DEFAULT_TIMEOUT, EntryId, KeychainStore,
        PlaintextFileStore, Unavailability,
    };
    pub use crate::accounts::index::{INDEX_FILE, INDEX_VERSION, Index, IndexError};
    pub use crate::accounts::vault::{Existing, save};
    pub use crate::domain::account::{Access, Account, AuthMethod, SecretStorage};
    pub use crate::domain::keys::{ConsumerKey, ConsumerSecret, Credentials};
    pub use crate::domain::redact::debug_url as redacted;
    pub use crate::domain::store_url::StoreUrl;
    /// The command tree (`Cli::command()`), from which tests derive every command path.
    pub use crate::face::cli::Cli;
    pub use crate::http::Answer;
    pub use crate::http::store_json::parse;
    pub use crate::woocommerce::probe::verdict::{
        Refusal, Verdict, WriteVerdict, challenge, error_code, error_message, judge,
        key_was_judged, store_trouble, write_is_conclusive,
    };
}

use std::ffi::OsString;

/// Called first, before anything else happens: with no `DBUS_SESSION_BUS_ADDRESS` but the
/// user's session bus found where desktops put it, woolink starts itself again with the
/// address set (see `session_bus.rs`), so the keychain is reachable from a minimal environment.
pub fn find_session_bus() {
    accounts::session_bus::restart_with_found_bus();
}

use clap::{CommandFactory, FromArgMatches};

use cmd::error::{self, Error, Outcome};
use domain::redact;
use face::cli::{Cli, Command};
use face::term;

/// Runs one woolink command line and returns the process exit code. Errors are printed here
/// and nowhere else: the human message on stderr and, with `--json`, a JSON document on stdout.
pub async fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let args: Vec<OsString> = args.into_iter().collect();
    // A shell asking for completions (COMPLETE=SHELL, README on `woolink completions`) gets
    // them, and nothing else happens.
    let completing = clap_complete::CompleteEnv::with_factory(Cli::command)
        .try_complete(&args, std::env::current_dir().ok().as_deref());
    let parsed = match completing {
        Ok(true) => return 0,
        Ok(false) => Cli::command()
            .try_get_matches_from(&args)
            .and_then(|matches| Ok((Cli::from_arg_matches(&matches)?, wants_json(&matches)))),
        Err(err) => Err(err),
    };
    let (cli, json) = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            // clap prints help and version on stdout and exits 0, usage errors on stderr with 2.
            let code = u8::try_from(err.exit_code()).unwrap_or(2);
            if code == 0 {
                let _ = err.print();
            } else {
                // A usage error quotes what was typed, which may be a pasted secret.
                let rendered = err.render().ansi().to_string();
                anstream::eprint!("{}", redact::mask_secret_shapes(&rendered));
            }
            // A script that asked for JSON gets its one document even when the command line
            // itself is wrong.
            if code == 2 && args.iter().any(|arg| arg == "--json") {
                let message = usage_message(&err);
                let _ =
                    error::json_error(&Error::Usage(format!("{message}; see `woolink --help`")));
            }
            return code;
        }
    };
    let ui = term::Ui::new(cli.quiet, cli.verbose);
    if !matches!(cli.command, Command::Completions { .. } | Command::Man) {
        cmd::recover_interrupted(ui).await;
    }
    let result: Result<Outcome, Error> = match cli.command {
        Command::Connect(args) => cmd::connect::run(args, ui).await.map(Outcome::from),
        Command::Accounts(command) => cmd::accounts::run(command, ui).await,
        Command::Completions { shell } => cmd::docs::completions(shell),
        Command::Man => cmd::docs::man(),
        Command::Api(args) => cmd::api::run(args, ui).await.map(Outcome::from),
        Command::Run(args) => cmd::run::run(args, ui).await,
    };
    match result {
        Ok(Outcome::Unhealthy {
            failed,
            checked,
            worst,
        }) => {
            print_error(&format!("{failed} of {checked} accounts are not healthy"));
            worst.exit_code()
        }
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            // Errors may quote what a store or the index said: shown, never obeyed.
            print_error(&err.to_string());
            if json {
                let _ = error::json_error(&err);
            }
            err.exit_code()
        }
    }
}

/// What clap says of a wrong command line, as one line for JSON: its rendered message without
/// the `error:` prefix, the "For more information" tail or styling (its possible values kept).
fn usage_message(err: &clap::Error) -> String {
    // `StyledStr`'s `Display` is the plain text.
    let rendered = err.render().to_string();
    let rendered = redact::mask_secret_shapes(&rendered);
    let message = rendered.split("\n\n").next().unwrap_or_default();
    let message = message.trim().trim_start_matches("error:");
    let words: Vec<&str> = message.split_whitespace().collect();
    if words.is_empty() {
        "invalid command line".to_owned()
    } else {
        words.join(" ")
    }
}

/// Whether the command line asks for `--json`, which every command that prints data takes.
fn wants_json(mut matches: &clap::ArgMatches) -> bool {
    while let Some((_, sub)) = matches.subcommand() {
        matches = sub;
    }
    matches.try_get_one::<bool>("json").ok().flatten() == Some(&true)
}

/// The one `error:` line of a failed command, on stderr.
fn print_error(message: &str) {
    let paint = term::Paint::stderr();
    crate::face::term::stderr_line(&format!(
        "{} {}",
        paint.red(&paint.bold("error:")),
        crate::domain::text::visible(&redact::mask_secret_shapes(message))
    ));
}
