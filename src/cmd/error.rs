//! The one error type commands return, and the one place exit codes are decided (each
//! error's class, `Error::class`, which asks the probe's, the API's and the vault's errors for
//! theirs; the codes of each class: `exit.rs`).

use std::path::PathBuf;

use crate::accounts::ca_copy::CaCopyError;
use crate::accounts::config::ConfigError;
use crate::accounts::credstore::CredStoreError;
use crate::accounts::index::IndexError;
use crate::cmd::env_file::EnvFileError;
pub use crate::domain::exit::Failure;
use crate::domain::keys::KeyError;
use crate::domain::store_url::StoreUrlError;
use crate::http::HttpSetupError;
use crate::woocommerce::api::ApiError;
use crate::woocommerce::probe::ProbeError;

use crate::accounts::vault::VaultError;
use crate::domain::text::io_in_words;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    #[error("{what} is missing: {how}. (woolink only asks when it runs in a terminal.)")]
    MissingInput {
        what: &'static str,
        how: &'static str,
    },
    #[error(
        "woolink does not take the consumer secret as a flag value: it would be visible to other users in `ps` and kept in your shell history. Use --consumer-secret-stdin, --consumer-secret-file PATH or the WOOLINK_CONSUMER_SECRET variable. If that was a real secret, remove it from your shell history."
    )]
    SecretInArgv,
    #[error(
        "woolink does not take the site password as a flag value: it would be visible to other users in `ps` and kept in your shell history. Set WOOLINK_SITE_PASSWORD, or answer the prompt at a terminal. If that was a real password, remove it from your shell history."
    )]
    SitePasswordInArgv,
    #[error("invalid site login: {0}.")]
    InvalidSiteLogin(String),
    #[error("{0}")]
    InvalidUrl(#[from] StoreUrlError),
    #[error("invalid {source_name}: {error}.")]
    InvalidKey {
        source_name: String,
        error: KeyError,
    },
    #[error("could not read {what} from {}: {}", .path.display(), io_in_words(.source))]
    ReadInput {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    HttpSetup(#[from] HttpSetupError),
    #[error("{0}")]
    CaCopy(#[from] CaCopyError),
    #[error("{0}")]
    EnvFile(#[from] EnvFileError),
    #[error("{0}")]
    Probe(#[from] ProbeError),
    #[error(
        "the key {key} has read access only, and --require read-write was given. Edit the key at {admin} and set Permissions to Read/Write."
    )]
    NeedsWrite { key: String, admin: String },
    #[error(
        "the key {key} reads, but --require read-write could not be met: its write access was not checked, because {blocked}. Let write requests to /wp-json/wc/ through (the firewall or host's settings), then try again."
    )]
    WriteNotChecked { key: String, blocked: String },
    #[error(transparent)]
    InvalidName(#[from] crate::domain::account::InvalidName),
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    CredStore(#[from] CredStoreError),
    /// The keychain could not be reached by a command other than connect: what is wrong with
    /// it, and what works for that command (not connect's `--no-save` or `--store file`).
    #[error("{}. {advice}", .source.without_choices())]
    Keychain {
        source: CredStoreError,
        advice: String,
    },
    #[error("{0}")]
    Index(#[from] IndexError),
    #[error("{0}")]
    Vault(#[from] VaultError),
    #[error(
        "the secret of \"{name}\" is missing from the {storage}; {}",
        crate::domain::relink::Relink::same_key(.name)
    )]
    SecretMissing { name: String, storage: String },
    #[error("{0}")]
    Api(#[from] ApiError),
    /// The store refused a linked account's key: the way out is a new key for the account.
    #[error(
        "{source}{} The store refused the key: if it was revoked or changed, make a new key in the store's admin and link it with `woolink connect --name {name} --force`, which asks only for the new key.",
        crate::domain::text::full_stop_after_quote(&.source.to_string())
    )]
    KeyRefused { source: Box<ApiError>, name: String },
    #[error("could not start {program}: {}", io_in_words(.source))]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error(
        "{store} does not know the key {key}: it is not a key of this store (made on another store, or deleted), so \"{name}\" was not changed. Make the new key on this store, at {admin}"
    )]
    KeyOfAnotherStore {
        name: String,
        store: String,
        key: String,
        admin: String,
    },
    #[error(
        "{key} is the key \"{name}\" already uses: make a new key at {admin}, then give that one; nothing was changed"
    )]
    SameKey {
        name: String,
        key: String,
        admin: String,
    },
    #[error("cancelled")]
    Cancelled,
    #[error("could not use the terminal: {}", io_in_words(.0))]
    Terminal(std::io::Error),
    #[error(transparent)]
    Output(#[from] crate::face::output::OutputError),
}

impl Error {
    /// The error's `kind` (a stable, machine-readable name for `--json`) and its class of
    /// failure, which decides the exit code (`exit.rs`): one line a variant.
    pub fn class(&self) -> (&'static str, Failure) {
        use Failure::{Cancelled, Credentials, Local, NotExecutable, NotFound, Store, Usage};
        match self {
            Error::Usage(_) => ("usage", Usage),
            Error::MissingInput { .. } => ("missing_input", Usage),
            Error::SecretInArgv | Error::SitePasswordInArgv => ("secret_in_argv", Usage),
            Error::InvalidSiteLogin(_) => ("invalid_site_login", Usage),
            Error::InvalidUrl(_) => ("invalid_url", Usage),
            Error::InvalidKey { .. } => ("invalid_key", Usage),
            Error::ReadInput { .. } => ("read_input", Usage),
            Error::HttpSetup(HttpSetupError::BadProxy { .. }) => ("proxy_setup", Usage),
            Error::HttpSetup(_) => ("tls_setup", Usage),
            Error::CaCopy(_) => ("ca_cert_copy", Local),
            Error::EnvFile(_) => ("env_file", Usage),
            Error::Probe(err) => err.class(),
            Error::NeedsWrite { .. } => ("needs_write", Credentials),
            Error::WriteNotChecked { .. } => ("write_not_checked", Store),
            Error::InvalidName(_) => ("invalid_name", Usage),
            Error::Config(_) => ("config", Local),
            Error::CredStore(_) | Error::Keychain { .. } => ("credential_store", Local),
            Error::Index(_) => ("index", Local),
            Error::Vault(err) => err.class(),
            Error::SecretMissing { .. } => ("secret_missing", Local),
            Error::Api(err) => err.class(),
            Error::KeyRefused { source, .. } => source.class(),
            // As env(1) and shells do.
            Error::Spawn { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                ("spawn", NotFound)
            }
            Error::Spawn { .. } => ("spawn", NotExecutable),
            Error::KeyOfAnotherStore { .. } => ("key_of_another_store", Credentials),
            Error::SameKey { .. } => ("same_key", Usage),
            Error::Cancelled => ("cancelled", Cancelled),
            Error::Terminal(_) => ("terminal", Local),
            Error::Output(_) => ("output", Local),
        }
    }

    pub fn exit_code(&self) -> u8 {
        self.class().1.exit_code()
    }
}

/// How a command that ran to its end finished. What it printed is its own; `lib::run` turns
/// this into the exit code and, for a failure, the `error:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// `accounts verify`: `failed` of the `checked` accounts are not healthy (the report, and
    /// with `--json` its document, is printed); `worst` is the most severe problem found.
    Unhealthy {
        failed: usize,
        checked: usize,
        worst: Failure,
    },
    /// `woolink run` waited for its command (not on Unix, where woolink becomes the command):
    /// the command's own exit code, passed on as it is.
    #[cfg_attr(unix, allow(dead_code))]
    Exited(u8),
}

/// A command that can only succeed one way says so with `Ok(())`.
impl From<()> for Outcome {
    fn from((): ()) -> Self {
        Outcome::Success
    }
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Unhealthy { worst, .. } => worst.exit_code(),
            Outcome::Exited(code) => code,
        }
    }
}

/// The `--json` shape of a failure: `{"error": {"kind", "exit_code", "message"}}`.
pub fn json_error(err: &Error) -> Result<(), Error> {
    let message = crate::domain::redact::mask_secret_shapes(&err.to_string()).into_owned();
    let (kind, failure) = err.class();
    let document = serde_json::json!({
        "error": {"kind": kind, "exit_code": failure.exit_code(), "message": message}
    });
    Ok(crate::face::output::json(&document)?)
}
