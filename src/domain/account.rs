//! What woolink knows about a linked store, apart from the secret: the account record kept
//! in the index, and the small enums the probe decides.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a key may do on the store, as proven by the probe; and, but for `ReadProven`, what
/// `connect --require` asks of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    Read,
    ReadWrite,
    /// Read proven; the write check never reached WooCommerce (a firewall rule or a rate limit
    /// answered it), so whether the key may write is not known.
    #[value(skip)]
    ReadProven,
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::Read => "read",
            Access::ReadWrite => "read-write",
            Access::ReadProven => "read proven, write not checked",
        })
    }
}

impl Access {
    /// What was proven of a key, as the rest of a sentence that begins "the key ...".
    pub fn proven(self) -> &'static str {
        match self {
            Access::Read => "works with read access",
            Access::ReadWrite => "works with read-write access",
            Access::ReadProven => "reads (whether it may write was not checked)",
        }
    }
}

/// How the credentials travel to the store. Recorded per account because some stores only
/// work with one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    /// HTTP Basic over HTTPS: the normal way.
    Basic,
    /// `consumer_key`/`consumer_secret` in the query string over HTTPS, for servers that strip
    /// the Authorization header. The secret then appears in the store's access logs.
    QueryString,
    /// OAuth 1.0a one-legged signatures over plain HTTP: the secret never crosses the wire.
    #[serde(rename = "oauth1")]
    OAuth1,
}

impl AuthMethod {
    /// The short name scripts see: the same as in the index and in `--json` output.
    pub fn id(self) -> &'static str {
        match self {
            AuthMethod::Basic => "basic",
            AuthMethod::QueryString => "query-string",
            AuthMethod::OAuth1 => "oauth1",
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthMethod::Basic => "HTTP Basic over HTTPS",
            AuthMethod::QueryString => "query-string credentials over HTTPS",
            AuthMethod::OAuth1 => "OAuth 1.0a signatures over HTTP",
        })
    }
}

/// Where an account's secret is kept: what `connect --store` (or `WOOLINK_STORE`) chooses, and
/// what the index records (`keychain` / `plaintext-file`, as it always has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SecretStorage {
    /// The operating system's keychain (Keychain, Credential Manager, Secret Service).
    #[value(name = "keychain", help = "The operating system's keychain")]
    Keychain,
    /// woolink's plaintext credentials file, chosen explicitly with `--store file`.
    #[value(
        name = "file",
        help = "A plaintext file in woolink's config folder (0600); only when no keychain can be had"
    )]
    PlaintextFile,
}

impl fmt::Display for SecretStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecretStorage::Keychain => "OS keychain",
            SecretStorage::PlaintextFile => "plaintext file",
        })
    }
}

/// One linked store as kept in the index. Holds no secret by construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The user's name for the account, unique in the index.
    pub name: String,
    /// The account's own random id (128 bits in hex), which names its credential store entry
    /// (see `credstore::EntryId`), so that renaming it or moving it to a new address touches
    /// the index only, and two config folders never share an entry. Absent in indexes from
    /// before ids: such an account's entry is moved to one the first time its secret is used
    /// (`vault::migrate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Canonical store home URL, e.g. `https://shop.example.com/sub` (no trailing slash).
    pub store_url: String,
    /// The REST API root, e.g. `https://shop.example.com/wp-json/` or
    /// `https://shop.example.com/index.php?rest_route=/`.
    pub api_root: String,
    /// The last 7 characters of the consumer key, as WooCommerce admin shows them.
    pub key_suffix: String,
    pub access: Access,
    pub auth_method: AuthMethod,
    pub secret_storage: SecretStorage,
    /// The site name the store reported, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
    /// Where WordPress itself (and `wp-admin`) is, when it is installed in its own directory
    /// rather than at the store's home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wordpress_url: Option<String>,
    /// The copy of the CA certificate given with `--ca-cert` when the store was linked, as
    /// `ca/<sha256>.pem` under the config folder (see `ca_copy`); commands trust it for this
    /// account without the flag. Absent for stores with a public certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
    /// RFC 3339 UTC time the account was linked.
    pub linked_at: String,
    /// RFC 3339 UTC time the key was last proven against the store.
    pub verified_at: String,
}

impl Account {
    /// Whether `other` uses the same key at the same store: revoking it would break both.
    pub fn same_key(&self, other: &Account) -> bool {
        self.store_url == other.store_url && self.key_suffix == other.key_suffix
    }

    /// Whether `other` is this link again: the same name, and the same key at the same store.
    pub fn same_link(&self, other: &Account) -> bool {
        self.name == other.name && self.same_key(other)
    }

    /// Where the store's admin pages are.
    pub fn admin(&self) -> &str {
        self.wordpress_url.as_deref().unwrap_or(&self.store_url)
    }
}

/// Now, as `linked_at` and `verified_at` record it: RFC 3339 UTC, whole seconds.
pub fn timestamp_now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// A new account id: 128 random bits, in lower-case hex.
pub fn new_id() -> String {
    random_hex::<16>()
}

/// `N` bytes from the system's random number generator, in lower-case hex.
pub fn random_hex<const N: usize>() -> String {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).expect("the system's random number generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A name that cannot be an account's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" cannot be an account name: use 1 to 64 letters, digits, dots, dashes or underscores"
)]
pub struct InvalidName(pub String);

/// Account names go into keychain entries, file contents and command lines: they are kept
/// plain (checked by `connect --name` and `accounts rename`).
pub fn check_name(name: &str) -> Result<(), InvalidName> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    if name.is_empty()
        || name.len() > crate::domain::store_url::MAX_ACCOUNT_NAME_LEN
        || !name.chars().all(plain)
    {
        return Err(InvalidName(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_auth_names_are_the_serialized_ones() {
        for method in [
            AuthMethod::Basic,
            AuthMethod::QueryString,
            AuthMethod::OAuth1,
        ] {
            assert_eq!(serde_json::to_value(method).unwrap(), method.id());
        }
    }

    /// `--store file` is what people type; `plaintext-file` is what indexes already hold.
    #[test]
    fn storage_flag_names_and_recorded_names_stay_apart() {
        use clap::ValueEnum;
        for (storage, flag, recorded) in [
            (SecretStorage::Keychain, "keychain", "keychain"),
            (SecretStorage::PlaintextFile, "file", "plaintext-file"),
        ] {
            let value = storage.to_possible_value().unwrap();
            assert_eq!(value.get_name(), flag);
            assert_eq!(SecretStorage::from_str(flag, false), Ok(storage));
            assert_eq!(serde_json::to_value(storage).unwrap(), recorded);
            let read: SecretStorage = serde_json::from_value(recorded.into()).unwrap();
            assert_eq!(read, storage);
        }
        assert!(SecretStorage::from_str("plaintext-file", false).is_err());
    }
}
