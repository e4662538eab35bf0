//! Turns flags, environment variables, files, standard input and prompts into a validated
//! connect input. Each value comes from exactly one place, in this order: flag (or its
//! variable), then `--env-file`, then a prompt when a person is at a terminal; otherwise
//! woolink stops and names the flag that would have supplied it.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::Path;

use zeroize::Zeroizing;

use crate::cmd::error::Error;
use crate::domain::keys::{ConsumerKey, ConsumerSecret, Credentials, KeyError, SiteLogin};
use crate::domain::store_url::StoreUrl;
use crate::domain::variables::{SECRET_VAR, SITE_PASSWORD_VAR};
use crate::face::cli::ConnectArgs;
use crate::face::interrupt::PromptGuard;

/// A consumer secret is 43 bytes; anything much longer is not one.
const MAX_SECRET_INPUT: u64 = 64 * 1024;

/// Whether woolink may ask questions: only with a person at a terminal.
pub fn can_prompt(no_input: bool) -> bool {
    !no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

pub struct ConnectInput {
    pub store: StoreUrl,
    pub credentials: Credentials,
}

/// Whether a person at a terminal would be asked for anything: some value has no flag,
/// variable, file or stdin source.
pub fn asks_for_something(args: &ConnectArgs) -> bool {
    let secret_given = args.key.consumer_secret_stdin
        || args.key.consumer_secret_file.is_some()
        || args.env_file_secret.is_some()
        || std::env::var(SECRET_VAR).is_ok_and(|text| !text.is_empty());
    args.url.is_none() || args.key.consumer_key.is_none() || !secret_given
}

/// Whether the consumer key will be typed at the prompt (no flag, variable or file gives it).
pub fn key_is_typed(args: &ConnectArgs, interactive: bool) -> bool {
    interactive && args.key.consumer_key.is_none()
}

/// Whether the consumer secret will be typed at the hidden prompt: the same order of sources
/// as [`credentials`] reads them in.
pub fn secret_is_typed(args: &ConnectArgs, interactive: bool) -> bool {
    if !interactive {
        return false;
    }
    if args.key.consumer_secret_stdin {
        return std::io::stdin().is_terminal();
    }
    args.key.consumer_secret_file.is_none()
        && args.env_file_secret.is_none()
        && !std::env::var(SECRET_VAR).is_ok_and(|text| !text.is_empty())
}

/// Asks for the consumer key again (the store did not know the one given).
pub fn ask_key() -> Result<ConsumerKey, Error> {
    ask_until_valid("Consumer key (ck_...)", |text| {
        ConsumerKey::parse(text).map_err(|err| capitalized(&err))
    })
}

/// Asks for the consumer secret again, hidden (the store did not accept the one typed).
pub fn ask_secret() -> Result<ConsumerSecret, Error> {
    ask_secret_until_valid()
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
    ask_until_valid(&label, |text| {
        let name = match (text.trim(), default) {
            ("", Some(default)) => default,
            (typed, _) => typed,
        };
        check(name).map(|()| name.to_owned())
    })
}

/// The store, from `--url` (or its variable) or a prompt, with what normalizing the typed
/// address changed.
pub fn store(args: &ConnectArgs, interactive: bool) -> Result<(StoreUrl, Vec<String>), Error> {
    if args.key.consumer_secret.is_some() {
        return Err(Error::SecretInArgv);
    }
    if args.site_password.is_some() {
        return Err(Error::SitePasswordInArgv);
    }
    match &args.url {
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
    ask_until_valid("Store URL", |text| {
        StoreUrl::parse_with_notes(text).map_err(|err| err.to_string())
    })
}

/// The web server's own login in front of the site, when `--site-user` (or its variable)
/// names a user: the password from WOOLINK_SITE_PASSWORD, else a hidden prompt.
pub fn site_login(args: &ConnectArgs, interactive: bool) -> Result<Option<SiteLogin>, Error> {
    match &args.site_user {
        Some(user) => site_login_for(user, interactive).map(Some),
        None => Ok(None),
    }
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
    loop {
        let password = ask_hidden(&format!("Site password for {user} (hidden): "))?;
        match SiteLogin::new(user, &password) {
            Ok(login) => return Ok(login),
            Err(why) => eprintln!("  {}", capitalized(&why)),
        }
    }
}

/// Asks for the site user name, then its password: for a person at a terminal whose store
/// turned out to have one.
pub fn ask_site_login() -> Result<SiteLogin, Error> {
    let user = ask_until_valid("Site user name", |text| {
        let user = text.trim();
        SiteLogin::new(user, "-")
            .map(|_| user.to_owned())
            .map_err(|why| capitalized(&why))
    })?;
    site_login_for(&user, true)
}

/// The key and secret, from wherever each is given, with the site login if there is one.
pub fn credentials(
    args: &ConnectArgs,
    interactive: bool,
    site: Option<SiteLogin>,
) -> Result<Credentials, Error> {
    let key = match &args.key.consumer_key {
        Some(key) => ConsumerKey::parse(key)
            .map_err(|error| invalid("consumer key (from --consumer-key)", error))?,
        None if interactive => ask_key()?,
        None => {
            return Err(Error::MissingInput {
                what: "the consumer key",
                how: "pass --consumer-key KEY or set WOOLINK_CONSUMER_KEY",
            });
        }
    };
    let secret = read_secret(args, interactive)?;
    Ok(Credentials { key, secret, site })
}

/// A yes/no question whose answer is yes unless the person says no.
pub fn confirm_yes(question: &str) -> Result<bool, Error> {
    let answer = ask_line(&format!("{question} [Y/n]"))?;
    Ok(!matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "n" | "no"
    ))
}

fn read_secret(args: &ConnectArgs, interactive: bool) -> Result<ConsumerSecret, Error> {
    if args.key.consumer_secret_stdin {
        // Typed at a terminal, standard input would echo the secret: ask without echo instead,
        // where asking is allowed at all.
        if std::io::stdin().is_terminal() {
            if !interactive {
                return Err(Error::MissingInput {
                    what: "the consumer secret",
                    how: "with --no-input it must be piped into --consumer-secret-stdin (standard input is a terminal here), e.g. `woolink connect ... --consumer-secret-stdin < secret.txt`",
                });
            }
            return ask_secret_until_valid();
        }
        let text = read_limited(std::io::stdin().lock()).map_err(|source| Error::ReadInput {
            what: "the consumer secret",
            path: "standard input".into(),
            source,
        })?;
        return ConsumerSecret::parse(&text)
            .map_err(|error| invalid("consumer secret (from stdin)", error));
    }
    if let Some(path) = &args.key.consumer_secret_file {
        let text = read_file(path)?;
        return ConsumerSecret::parse(&text)
            .map_err(|error| invalid(&format!("consumer secret (in {})", path.display()), error));
    }
    if let Some(text) = secret_var(SECRET_VAR)? {
        return ConsumerSecret::parse(&text)
            .map_err(|error| invalid(&format!("consumer secret (from {SECRET_VAR})"), error));
    }
    // Checked when the file was read; everything above outranks the file.
    if let Some((_, secret)) = &args.env_file_secret {
        return Ok(secret.clone());
    }
    if interactive {
        return ask_secret_until_valid();
    }
    Err(Error::MissingInput {
        what: "the consumer secret",
        how: "pass --consumer-secret-stdin or --consumer-secret-file PATH, or set WOOLINK_CONSUMER_SECRET",
    })
}

/// A secret from the environment: `None` when unset or empty. The value is copied out of the
/// environment; that copy is zeroed when dropped.
pub(crate) fn secret_var(name: &str) -> Result<Option<Zeroizing<String>>, Error> {
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

fn invalid(source_name: &str, error: KeyError) -> Error {
    Error::InvalidKey {
        source_name: source_name.to_owned(),
        error,
    }
}

fn capitalized(err: &impl std::fmt::Display) -> String {
    let text = err.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

fn read_file(path: &Path) -> Result<Zeroizing<String>, Error> {
    let file = std::fs::File::open(path).map_err(|source| Error::ReadInput {
        what: "the consumer secret",
        path: path.to_owned(),
        source,
    })?;
    read_limited(file).map_err(|source| Error::ReadInput {
        what: "the consumer secret",
        path: path.to_owned(),
        source,
    })
}

/// Secrets pass through these strings, so they are zeroed when dropped.
fn read_limited(reader: impl Read) -> std::io::Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    reader.take(MAX_SECRET_INPUT).read_to_string(&mut text)?;
    Ok(text)
}

/// Asks on the terminal until `parse` accepts the answer, showing why it did not.
fn ask_until_valid<T>(label: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<T, Error> {
    loop {
        let answer = ask_line(label)?;
        match parse(&answer) {
            Ok(value) => return Ok(value),
            Err(why) => eprintln!("  {why}"),
        }
    }
}

/// A yes/no question; anything but yes is no.
pub fn confirm(question: &str) -> Result<bool, Error> {
    let answer = ask_line(&format!("{question} [y/N]"))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
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
fn ask_hidden(prompt: &str) -> Result<Zeroizing<String>, Error> {
    let _ctrl_c = PromptGuard::new();
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::UnexpectedEof => Error::Cancelled,
            std::io::ErrorKind::Interrupted => {
                crate::face::interrupt::interrupted_at_hidden_prompt()
            }
            _ => Error::Terminal(err),
        })
}

fn ask_secret_until_valid() -> Result<ConsumerSecret, Error> {
    loop {
        let answer = ask_hidden("Consumer secret (cs_..., hidden): ")?;
        match ConsumerSecret::parse(&answer) {
            Ok(secret) => return Ok(secret),
            Err(err) => eprintln!("  {}", capitalized(&err)),
        }
    }
}
