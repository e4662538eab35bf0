//! The one error type commands return, and the one place exit codes are decided.

use std::path::PathBuf;

use crate::api::ApiError;
use crate::ca_copy::CaCopyError;
use crate::config::ConfigError;
use crate::credstore::CredStoreError;
use crate::env_file::EnvFileError;
use crate::http::HttpSetupError;
use crate::index::IndexError;
use crate::keys::KeyError;
use crate::linked::SelectError;
use crate::probe::ProbeError;
use crate::store_url::StoreUrlError;
use crate::vault::{RemoveError, SaveError};

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
    #[error("Invalid site login: {0}.")]
    InvalidSiteLogin(String),
    #[error("{0}")]
    InvalidUrl(#[from] StoreUrlError),
    #[error("Invalid {source_name}: {error}.")]
    InvalidKey {
        source_name: String,
        error: KeyError,
    },
    #[error("could not read {what} from {path}: {source}")]
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
        "The key {key} has read access only, and --require read-write was given. Edit the key at {admin} and set Permissions to Read/Write."
    )]
    NeedsWrite { key: String, admin: String },
    #[error(
        "\"{0}\" cannot be an account name: use 1 to 64 letters, digits, dots, dashes or underscores"
    )]
    InvalidName(String),
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    CredStore(#[from] CredStoreError),
    #[error("{0}")]
    Index(#[from] IndexError),
    #[error("{0}")]
    Save(#[from] SaveError),
    #[error("{0}")]
    Remove(#[from] RemoveError),
    #[error("{0}")]
    Select(#[from] SelectError),
    #[error(
        "the secret of \"{name}\" is missing from the {storage}; link the store again with `woolink connect --name {name} --force`"
    )]
    SecretMissing { name: String, storage: String },
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("{failed} of {checked} accounts are not healthy")]
    Unhealthy {
        failed: usize,
        checked: usize,
        code: u8,
    },
    #[error("could not start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("cancelled")]
    Cancelled,
    #[error("could not write to the terminal: {0}")]
    Terminal(std::io::Error),
}

impl Error {
    /// docs/exit-codes.md: 1 unexpected, 2 usage or input, 3 store, 4 credentials, 130 cancelled.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_)
            | Error::MissingInput { .. }
            | Error::SecretInArgv
            | Error::SitePasswordInArgv
            | Error::InvalidSiteLogin(_)
            | Error::InvalidUrl(_)
            | Error::InvalidKey { .. }
            | Error::ReadInput { .. }
            | Error::HttpSetup(_)
            | Error::EnvFile(_)
            | Error::InvalidName(_)
            | Error::Save(SaveError::NameTaken { .. })
            | Error::Remove(RemoveError::NotFound { .. }) => 2,
            Error::Config(_)
            | Error::CaCopy(_)
            | Error::CredStore(_)
            | Error::Index(_)
            | Error::Save(_)
            | Error::Remove(_) => 1,
            Error::Probe(err) => err.exit_code(),
            Error::NeedsWrite { .. } => 4,
            Error::Select(_) => 2,
            Error::SecretMissing { .. } => 1,
            Error::Api(err) => err.exit_code(),
            Error::Unhealthy { code, .. } => *code,
            // As env(1) and shells do.
            Error::Spawn { source, .. } if source.kind() == std::io::ErrorKind::NotFound => 127,
            Error::Spawn { .. } => 126,
            Error::Cancelled => 130,
            Error::Terminal(_) => 1,
        }
    }

    /// Whether the command already printed its own `--json` document for this failure.
    pub fn json_printed(&self) -> bool {
        matches!(self, Error::Unhealthy { .. })
    }

    /// A stable, machine-readable name for `--json` output.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Usage(_) => "usage",
            Error::MissingInput { .. } => "missing_input",
            Error::SecretInArgv => "secret_in_argv",
            Error::SitePasswordInArgv => "secret_in_argv",
            Error::InvalidSiteLogin(_) => "invalid_site_login",
            Error::InvalidUrl(_) => "invalid_url",
            Error::InvalidKey { .. } => "invalid_key",
            Error::ReadInput { .. } => "read_input",
            Error::HttpSetup(HttpSetupError::BadProxy { .. }) => "proxy_setup",
            Error::HttpSetup(_) => "tls_setup",
            Error::CaCopy(_) => "ca_cert_copy",
            Error::EnvFile(_) => "env_file",
            Error::Probe(err) => err.kind(),
            Error::NeedsWrite { .. } => "needs_write",
            Error::InvalidName(_) => "invalid_name",
            Error::Config(_) => "config",
            Error::CredStore(_) => "credential_store",
            Error::Index(_) => "index",
            Error::Save(SaveError::NameTaken { .. }) => "name_taken",
            Error::Save(_) => "save",
            Error::Remove(RemoveError::NotFound { .. }) => "no_such_account",
            Error::Remove(_) => "remove",
            Error::Select(SelectError::NoneLinked) => "no_accounts",
            Error::Select(SelectError::NotFound { .. }) => "no_such_account",
            Error::Select(SelectError::Ambiguous { .. }) => "ambiguous_account",
            Error::SecretMissing { .. } => "secret_missing",
            Error::Api(err) => err.kind(),
            Error::Unhealthy { .. } => "unhealthy",
            Error::Spawn { .. } => "spawn",
            Error::Cancelled => "cancelled",
            Error::Terminal(_) => "terminal",
        }
    }
}
