//! Where a command's input comes from, and the prompts that ask for it. Each value comes from
//! exactly one place, in this order: flag (or its variable), then `--env-file`, then a prompt
//! when a person is at a terminal; otherwise woolink stops and names the flag that would have
//! supplied it. [`KeyPlan`] decides the places once; values are read and checked when used.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::cmd::env_file::EnvFile;
use crate::cmd::error::Error;
use crate::domain::keys::{ConsumerKey, ConsumerSecret, Credentials, KeyError, SiteLogin};
use crate::domain::store_url::StoreUrl;
use crate::domain::text::sentence;
use crate::domain::variables::{SECRET_VAR, SITE_PASSWORD_VAR};
use crate::face::cli::KeyArgs;
use crate::face::interrupt::PromptGuard;

/// A consumer secret is 43 bytes; anything much longer is not one.
const MAX_SECRET_INPUT: u64 = 64 * 1024;

/// Whether woolink may ask questions: only with a person at a terminal.
pub fn can_prompt(no_input: bool) -> bool {
    !no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Where the consumer secret comes from.
enum SecretSource {
    /// `--consumer-secret-stdin`: piped in, or typed hidden when standard input is a terminal.
    Stdin,
    File(PathBuf),
    /// WOOLINK_CONSUMER_SECRET, set and not empty (read and checked when used).
    Variable,
    /// The secret `--env-file` gave, checked as the file was read.
    EnvFile(ConsumerSecret),
    /// Nothing gives it: typed at a terminal, else missing.
    Unset,
}

/// Where connect's and rotate's consumer key and secret come from, decided once from the
/// flags, their variables and an `--env-file`. Nothing is read or asked until used.
pub struct KeyPlan {
    /// From `--consumer-key`, its variable or the env file; `None`: typed at a terminal.
    key: Option<String>,
    secret: SecretSource,
    /// A person is at a terminal to ask.
    pub interactive: bool,
}

impl KeyPlan {
    pub fn new(args: &KeyArgs, env_file: Option<&EnvFile>, no_input: bool) -> Result<Self, Error> {
        if args.consumer_secret.is_some() {
            return Err(Error::SecretInArgv);
        }
        let secret = if args.consumer_secret_stdin {
            SecretSource::Stdin
        } else if let Some(path) = &args.consumer_secret_file {
            SecretSource::File(path.clone())
        } else if std::env::var_os(SECRET_VAR).is_some_and(|text| !text.is_empty()) {
            SecretSource::Variable
        } else if let Some(secret) = env_file.and_then(|file| file.secret.as_ref()) {
            SecretSource::EnvFile(secret.clone())
        } else {
            SecretSource::Unset
        };
        Ok(Self {
            key: (args.consumer_key.clone())
                .or_else(|| Some(env_file?.key.as_ref()?.expose().to_owned())),
            secret,
            interactive: can_prompt(no_input),
        })
    }

    /// Both the key and the secret have a source other than a prompt.
    pub fn given(&self) -> bool {
        self.key.is_some() && !matches!(self.secret, SecretSource::Unset)
    }

    /// The consumer key will be typed at the prompt.
    pub fn key_typed(&self) -> bool {
        self.interactive && self.key.is_none()
    }

    /// The consumer secret will be typed at the hidden prompt.
    pub fn secret_typed(&self) -> bool {
        self.interactive
            && match self.secret {
                SecretSource::Stdin => std::io::stdin().is_terminal(),
                SecretSource::Unset => true,
                _ => false,
            }
    }

    /// The key and secret, read (or asked) now, with the site login if there is one.
    pub fn credentials(&self, site: Option<SiteLogin>) -> Result<Credentials, Error> {
        let key = match &self.key {
            Some(key) => ConsumerKey::parse(key)
                .map_err(|error| invalid("consumer key (from --consumer-key)", error))?,
            None if self.interactive => ask_key()?,
            None => {
                return Err(Error::MissingInput {
                    what: "the consumer key",
                    how: "pass --consumer-key KEY or set WOOLINK_CONSUMER_KEY",
                });
            }
        };
        let secret = self.secret()?;
        Ok(Credentials { key, secret, site })
    }

    fn secret(&self) -> Result<ConsumerSecret, Error> {
        let (text, source_name) = match &self.secret {
            // Typed at a terminal, standard input would echo the secret: ask without echo
            // instead, where asking is allowed at all.
            SecretSource::Stdin if std::io::stdin().is_terminal() && !self.interactive => {
                return Err(Error::MissingInput {
                    what: "the consumer secret",
                    how: "with --no-input it must be piped into --consumer-secret-stdin (standard input is a terminal here), e.g. `woolink connect ... --consumer-secret-stdin < secret.txt`",
                });
            }
            SecretSource::Stdin if std::io::stdin().is_terminal() => return ask_secret(),
            SecretSource::Stdin => (
                read_secret(None)?,
                "consumer secret (from stdin)".to_owned(),
            ),
            SecretSource::File(path) => (
                read_secret(Some(path))?,
                format!("consumer secret (in {})", path.display()),
            ),
            SecretSource::Variable => return secret_from_variable(),
            SecretSource::EnvFile(secret) => return Ok(secret.clone()),
            SecretSource::Unset if self.interactive => return ask_secret(),
            SecretSource::Unset => {
                return Err(Error::MissingInput {
                    what: "the consumer secret",
                    how: "pass --consumer-secret-stdin or --consumer-secret-file PATH, or set WOOLINK_CONSUMER_SECRET",
                });
            }
        };
        ConsumerSecret::parse(&text).map_err(|error| invalid(&source_name, error))
    }
}

/// The store, from `url` (given) or a prompt, with what normalizing the address changed.
pub fn store(url: Option<&str>, interactive: bool) -> Result<(StoreUrl, Vec<String>), Error> {
    match url {
        Some(url) => Ok(StoreUrl::parse_with_notes(url)?),
        None if interactive => ask_store(),
        None => Err(Error::MissingInput {
            what: "the store URL",
            how: "pass --url URL or set WOOLINK_STORE_URL",
        }),
    }
}

/// Asks for the store's address until it is one, with what was assumed of it.
pub fn ask_store() -> Result<(StoreUrl, Vec<String>), Error> {
    ask_until_valid("Store URL", false, |text| {
        StoreUrl::parse_with_notes(text).map_err(|err| err.to_string())
    })
}

/// Asks for the consumer key (none was given, or the store did not know the one given).
pub fn ask_key() -> Result<ConsumerKey, Error> {
    ask_until_valid("Consumer key (ck_...)", false, |text| {
        ConsumerKey::parse(text).map_err(|err| sentence(&err.to_string()))
    })
}

/// Asks for the consumer secret, hidden.
pub fn ask_secret() -> Result<ConsumerSecret, Error> {
    ask_until_valid("Consumer secret (cs_..., hidden)", true, |text| {
        ConsumerSecret::parse(text).map_err(|err| sentence(&err.to_string()))
    })
}

/// Asks for an account name until `check` accepts it; with a `default`, an empty answer
/// takes it.
pub fn ask_account_name(
    default: Option<&str>,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<String, Error> {
    let label = match default {
        Some(default) => format!("Account name [{default}]"),
        None => "Account name".to_owned(),
    };
    ask_until_valid(&label, false, |text| {
        let name = match (text.trim(), default) {
            ("", Some(default)) => default,
            (typed, _) => typed,
        };
        check(name).map(|()| name.to_owned())
    })
}

/// The site login of `user`, its password from WOOLINK_SITE_PASSWORD or a hidden prompt.
pub fn site_login_for(user: &str, interactive: bool) -> Result<SiteLogin, Error> {
    if let Some(password) = secret_var(SITE_PASSWORD_VAR)? {
        return SiteLogin::new(user, &password).map_err(Error::InvalidSiteLogin);
    }
    if !interactive {
        return Err(Error::MissingInput {
            what: "the site password",
            how: "set WOOLINK_SITE_PASSWORD",
        });
    }
    let label = format!("Site password for {user} (hidden)");
    ask_until_valid(&label, true, |password| {
        SiteLogin::new(user, password).map_err(|why| sentence(&why))
    })
}

/// Asks for the site user name, then its password: for a person at a terminal whose store
/// turned out to have one.
pub fn ask_site_login() -> Result<SiteLogin, Error> {
    let user = ask_until_valid("Site user name", false, |text| {
        let user = text.trim();
        SiteLogin::new(user, "-")
            .map(|_| user.to_owned())
            .map_err(|why| sentence(&why))
    })?;
    site_login_for(&user, true)
}

/// A yes/no question; anything but yes is no.
pub fn confirm(question: &str) -> Result<bool, Error> {
    Ok(matches!(answer(question, "[y/N]")?.as_str(), "y" | "yes"))
}

/// A yes/no question whose answer is yes unless the person says no.
pub fn confirm_yes(question: &str) -> Result<bool, Error> {
    Ok(!matches!(answer(question, "[Y/n]")?.as_str(), "n" | "no"))
}

/// The answer to a yes/no `question`, offering `choices`: trimmed, in lower case.
fn answer(question: &str, choices: &str) -> Result<String, Error> {
    let answer = ask_line(&format!("{question} {choices}"))?;
    Ok(answer.trim().to_ascii_lowercase())
}

/// A secret from the environment: `None` when unset or empty. The value is copied out of the
/// environment; that copy is zeroed when dropped.
fn secret_var(name: &str) -> Result<Option<Zeroizing<String>>, Error> {
    match std::env::var(name) {
        Ok(text) if !text.is_empty() => Ok(Some(Zeroizing::new(text))),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(bytes)) => {
            drop(Zeroizing::new(bytes.into_encoded_bytes()));
            Err(Error::Usage(format!(
                "{name} is set, but not to valid UTF-8 text (it is not shown here); set it again to the value as WordPress shows it"
            )))
        }
    }
}

/// The secret in WOOLINK_CONSUMER_SECRET, which the caller found set and not empty.
pub fn secret_from_variable() -> Result<ConsumerSecret, Error> {
    let text = secret_var(SECRET_VAR)?.expect("set and not empty");
    let source_name = format!("consumer secret (from {SECRET_VAR})");
    ConsumerSecret::parse(&text).map_err(|error| invalid(&source_name, error))
}

pub fn invalid(source_name: &str, error: KeyError) -> Error {
    Error::InvalidKey {
        source_name: source_name.to_owned(),
        error,
    }
}

/// The secret in the file at `path`, else on standard input. Secrets pass through these
/// strings, so they are zeroed when dropped.
fn read_secret(path: Option<&Path>) -> Result<Zeroizing<String>, Error> {
    let mut text = Zeroizing::new(String::new());
    let read = match path {
        Some(path) => std::fs::File::open(path)
            .and_then(|file| file.take(MAX_SECRET_INPUT).read_to_string(&mut text)),
        None => (std::io::stdin().lock().take(MAX_SECRET_INPUT)).read_to_string(&mut text),
    };
    read.map(|_| text).map_err(|source| Error::ReadInput {
        what: "the consumer secret",
        path: path.map_or_else(|| "standard input".into(), Path::to_owned),
        source,
    })
}

/// Asks on the terminal until `parse` accepts the answer, showing why it did not; a `hidden`
/// answer is not echoed.
fn ask_until_valid<T>(
    label: &str,
    hidden: bool,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, Error> {
    loop {
        let answer = match hidden {
            true => ask_hidden(label)?,
            false => Zeroizing::new(ask_line(label)?),
        };
        match parse(&answer) {
            Ok(value) => return Ok(value),
            Err(why) => eprintln!("  {why}"),
        }
    }
}

fn ask_line(label: &str) -> Result<String, Error> {
    let _ctrl_c = PromptGuard::new();
    let mut stderr = std::io::stderr();
    write!(stderr, "{label}: ").map_err(Error::Terminal)?;
    stderr.flush().map_err(Error::Terminal)?;
    let mut line = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(Error::Terminal)?;
    if read == 0 {
        // Ctrl-D: the person left.
        return Err(Error::Cancelled);
    }
    Ok(line)
}

/// A hidden prompt: nothing typed is echoed.
fn ask_hidden(label: &str) -> Result<Zeroizing<String>, Error> {
    let _ctrl_c = PromptGuard::new();
    rpassword::prompt_password(format!("{label}: "))
        .map(Zeroizing::new)
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::UnexpectedEof => Error::Cancelled,
            std::io::ErrorKind::Interrupted => {
                crate::face::interrupt::interrupted_at_hidden_prompt()
            }
            _ => Error::Terminal(err),
        })
}
