//! `woolink connect --env-file PATH`: the store URL, key and secret from a dotenv file, under
//! the names projects give them. The file is parsed, never loaded into woolink's environment,
//! and never changed: once the secret is in the keychain, woolink says which lines of the
//! file still hold it, by number and variable name, never by value.

use std::io::Read;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::domain::keys::{ConsumerKey, ConsumerSecret, trim_pasted};
use crate::domain::store_url::StoreUrl;

/// The names each value is read under, in the order they are listed in messages and docs.
pub const URL_NAMES: [&str; 4] = [
    crate::domain::variables::STORE_URL_VAR,
    "WOOCOMMERCE_URL",
    "WC_URL",
    "WC_STORE_URL",
];
pub const KEY_NAMES: [&str; 3] = [
    crate::domain::variables::KEY_VAR,
    "WOOCOMMERCE_CONSUMER_KEY",
    "WC_CONSUMER_KEY",
];
pub const SECRET_NAMES: [&str; 3] = [
    crate::domain::variables::SECRET_VAR,
    "WOOCOMMERCE_CONSUMER_SECRET",
    "WC_CONSUMER_SECRET",
];

/// A dotenv file of a few variables is a few hundred bytes; a much larger file is not one.
const MAX_FILE: u64 = 1024 * 1024;

/// Why the file gives nothing usable. None of these messages quotes a value from the file.
#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    #[error("could not read the dotenv file {}: {}", .path.display(), crate::domain::text::io_in_words(.source))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `why`: "is larger than 1 MiB", "is not UTF-8 text".
    #[error("{} {why}: not a dotenv file", .path.display())]
    NotDotenv { path: PathBuf, why: &'static str },
    #[error(
        "{} is not a NAME=VALUE line woolink can read (the line is not shown: it may hold a secret); check its quotes",
        where_in(.path, *.line)
    )]
    Malformed { path: PathBuf, line: Option<usize> },
    #[error(
        "{} sets none of the variables woolink reads: the store URL as {}, the key as {}, the secret as {} (empty values count as unset)",
        .path.display(), URL_NAMES.join(", "), KEY_NAMES.join(", "), SECRET_NAMES.join(", ")
    )]
    NothingFound { path: PathBuf },
    #[error(
        "{} gives the {what} twice, differently: {first} and {second}. Keep one of them (their values are not shown)",
        .path.display()
    )]
    Disagree {
        path: PathBuf,
        what: &'static str,
        first: &'static str,
        second: &'static str,
    },
    #[error("invalid {what} ({name} in {}): {why}", .path.display())]
    Invalid {
        what: &'static str,
        path: PathBuf,
        name: &'static str,
        why: String,
    },
}

/// What a dotenv file gives.
pub struct EnvFile {
    pub path: PathBuf,
    pub url: Option<String>,
    pub key: Option<ConsumerKey>,
    pub secret: Option<ConsumerSecret>,
    /// The file's text, to find the lines that hold the secret; zeroed when dropped.
    text: Zeroizing<String>,
}

/// One line of the file that holds the secret: its number (from 1) and the variable it sets,
/// if it sets one (a comment can hold the secret too).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecretLine {
    pub line: usize,
    pub name: Option<String>,
}

impl EnvFile {
    /// Reads and checks the file at `path`.
    pub fn read(path: &Path) -> Result<EnvFile, EnvFileError> {
        parse(path, read_text(path)?)
    }

    /// The lines that hold `secret` (the one now saved), in order.
    pub fn secret_lines(&self, secret: &str) -> Vec<SecretLine> {
        self.text
            .lines()
            .enumerate()
            .filter(|(_, line)| line.contains(secret))
            .map(|(index, line)| SecretLine {
                line: index + 1,
                // A line whose "name" is the secret itself (`cs_…=x`) is named by number only.
                name: variable_name(line)
                    .filter(|name| !name.contains(secret))
                    .map(str::to_owned),
            })
            .collect()
    }
}

/// "line 3 of .env", or the file alone when the line cannot be told.
pub fn where_in(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("line {line} of {}", path.display()),
        None => path.display().to_string(),
    }
}

/// The variable a dotenv line sets (`NAME=`, `export NAME=`), if it sets one.
fn variable_name(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = line
        .strip_prefix("export")
        .filter(|rest| rest.starts_with(char::is_whitespace))
        .map_or(line, str::trim_start);
    let (name, _) = line.split_once('=')?;
    let name = name.trim_end();
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    (!name.is_empty() && name.chars().all(plain)).then_some(name)
}

/// The text of the dotenv file at `path`: at most 1 MiB of UTF-8, a byte-order mark dropped.
/// Zeroed when dropped.
pub fn read_text(path: &Path) -> Result<Zeroizing<String>, EnvFileError> {
    let read_error = |source| EnvFileError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    let not_dotenv = |why| EnvFileError::NotDotenv {
        path: path.to_owned(),
        why,
    };
    if bytes.len() as u64 > MAX_FILE {
        return Err(not_dotenv("is larger than 1 MiB"));
    }
    let text = std::str::from_utf8(crate::domain::bom::strip(&bytes))
        .map_err(|_| not_dotenv("is not UTF-8 text"))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// One variable a dotenv file sets, as dotenv reads it (quotes, escapes and `${VAR}` done).
pub struct Entry {
    pub name: String,
    pub value: Zeroizing<String>,
    /// The line that sets it (from 1), when it can be told.
    pub line: Option<usize>,
}

/// Every variable `text` (the file at `path`) sets, in order, empty values included.
pub fn entries(path: &Path, text: &str) -> Result<Vec<Entry>, EnvFileError> {
    let mut found = Vec::new();
    // Where the search for the line of each name goes on from: a name set twice is found on
    // its second line the second time.
    let mut searched_from = std::collections::HashMap::<String, usize>::new();
    // dotenvy reads the file the way the projects that keep it read it: quotes, comments,
    // `export`, escapes. Its own errors quote the line, so they are never shown.
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        let (name, value) = match item {
            Ok((name, value)) => (name, Zeroizing::new(value)),
            Err(err) => {
                let line = match err {
                    dotenvy::Error::LineParse(bad, _) => {
                        let bad = Zeroizing::new(bad);
                        let first = bad.lines().next().unwrap_or_default().trim_end();
                        let mut lines = text.lines();
                        lines.position(|line| line.trim_end() == first)
                    }
                    _ => None,
                };
                return Err(EnvFileError::Malformed {
                    path: path.to_owned(),
                    line: line.map(|index| index + 1),
                });
            }
        };
        let from = searched_from.entry(name.clone()).or_default();
        let mut lines = text.lines().enumerate().skip(*from);
        let line = lines
            .find(|(_, line)| variable_name(line) == Some(name.as_str()))
            .map(|(index, _)| index + 1);
        *from = line.unwrap_or(*from);
        found.push(Entry { name, value, line });
    }
    Ok(found)
}

fn parse(path: &Path, text: Zeroizing<String>) -> Result<EnvFile, EnvFileError> {
    let entries = entries(path, &text)?;
    let url = agreed(path, "store URL", &URL_NAMES, &entries)?;
    let key = agreed(path, "consumer key", &KEY_NAMES, &entries)?;
    let secret = agreed(path, "consumer secret", &SECRET_NAMES, &entries)?;
    if url.is_none() && key.is_none() && secret.is_none() {
        return Err(EnvFileError::NothingFound {
            path: path.to_owned(),
        });
    }
    let url = checked(path, "store URL", url, |value| {
        StoreUrl::parse_with_notes(value)
            .map(|_| value.trim().to_owned())
            .map_err(|err| err.to_string())
    })?;
    let key = checked(path, "consumer key", key, |value| {
        ConsumerKey::parse(value).map_err(|err| format!("{err}."))
    })?;
    let secret = checked(path, "consumer secret", secret, |value| {
        ConsumerSecret::parse(value).map_err(|err| format!("{err}."))
    })?;
    Ok(EnvFile {
        path: path.to_owned(),
        url,
        key,
        secret,
        text,
    })
}

/// The one value set under any of `names` (empty values count as unset), however many times,
/// as long as they all agree (compared as pasting would leave them), with the first name.
fn agreed<'a>(
    path: &Path,
    what: &'static str,
    names: &[&'static str],
    entries: &'a [Entry],
) -> Result<Option<(&'static str, &'a str)>, EnvFileError> {
    let mut set = entries.iter().filter_map(|entry| {
        let name = names.iter().find(|name| **name == entry.name)?;
        Some((*name, entry.value.as_str())).filter(|(_, value)| !value.trim().is_empty())
    });
    let Some((first_name, first)) = set.next() else {
        return Ok(None);
    };
    match set.find(|(_, value)| trim_pasted(value) != trim_pasted(first)) {
        Some((second, _)) => Err(EnvFileError::Disagree {
            path: path.to_owned(),
            what,
            first: first_name,
            second,
        }),
        None => Ok(Some((first_name, first))),
    }
}

/// The value `parse` makes of the one `found`, if any; why not, named by where it was found.
fn checked<T>(
    path: &Path,
    what: &'static str,
    found: Option<(&'static str, &str)>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, EnvFileError> {
    let Some((name, value)) = found else {
        return Ok(None);
    };
    let invalid = |why| EnvFileError::Invalid {
        what,
        path: path.to_owned(),
        name,
        why,
    };
    parse(value).map(Some).map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ck_0123456789abcdef0123456789abcdef01234567";
    const SECRET: &str = "cs_89abcdef0123456789abcdef0123456789abcdef";

    fn parsed(text: &str) -> Result<EnvFile, EnvFileError> {
        parse(Path::new(".env"), Zeroizing::new(text.to_owned()))
    }

    #[test]
    fn reads_each_spelling_with_quotes_comments_and_export() {
        let text = format!(
            "# the shop\nexport WC_STORE_URL=\"https://shop.example\" # live\n\nWOOCOMMERCE_CONSUMER_KEY='{KEY}'\n  WC_CONSUMER_SECRET = {SECRET}\nOTHER=1\n"
        );
        let file = parsed(&text).unwrap();
        assert_eq!(file.url.as_deref(), Some("https://shop.example"));
        assert_eq!(file.key.as_ref().unwrap().expose(), KEY);
        assert_eq!(file.secret.as_ref().unwrap().expose(), SECRET);
        assert_eq!(
            file.secret_lines(SECRET),
            [SecretLine {
                line: 5,
                name: Some("WC_CONSUMER_SECRET".to_owned())
            }]
        );
    }

    #[test]
    fn agreeing_spellings_are_one_value_and_disagreeing_ones_are_named() {
        let same = format!("WOOLINK_CONSUMER_SECRET={SECRET}\nWC_CONSUMER_SECRET=\"{SECRET}\"\n");
        let file = parsed(&same).unwrap();
        assert_eq!(file.secret_lines(SECRET).len(), 2);
        let other = SECRET.replace("cs_8", "cs_0");
        let differ = format!("WOOLINK_CONSUMER_SECRET={SECRET}\nWC_CONSUMER_SECRET={other}\n");
        let message = parsed(&differ).err().unwrap().to_string();
        assert!(
            message.contains("WOOLINK_CONSUMER_SECRET and WC_CONSUMER_SECRET"),
            "{message}"
        );
        assert!(!message.contains(&SECRET[3..]) && !message.contains(&other[3..]));
    }

    #[test]
    fn errors_never_quote_the_file() {
        let broken = format!("WC_URL=https://shop.example\nWC_CONSUMER_SECRET=\"{SECRET}\n");
        let message = parsed(&broken).err().unwrap().to_string();
        assert!(message.contains("line 2 of .env"), "{message}");
        assert!(!message.contains(&SECRET[3..]), "{message}");
        let damaged = format!("WC_CONSUMER_SECRET={}x\n", &SECRET[..SECRET.len() - 1]);
        let message = parsed(&damaged).err().unwrap().to_string();
        assert!(
            message.starts_with("invalid consumer secret (WC_CONSUMER_SECRET in .env)"),
            "{message}"
        );
        assert!(!message.contains(&SECRET[3..20]), "{message}");
        assert!(matches!(
            parsed("# nothing\nOTHER=1\nWC_CONSUMER_KEY=\n"),
            Err(EnvFileError::NothingFound { .. })
        ));
    }

    #[test]
    fn a_line_whose_name_is_the_secret_is_not_named() {
        let secret = "cs_0123456789abcdef0123456789abcdef01234567";
        let file = EnvFile {
            path: PathBuf::from(".env"),
            url: None,
            key: None,
            secret: None,
            text: Zeroizing::new(format!("WC_CONSUMER_SECRET={secret}\n{secret}=x\n")),
        };
        let lines = file.secret_lines(secret);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].name.as_deref(), Some("WC_CONSUMER_SECRET"));
        assert_eq!(lines[1].name, None);
    }

    #[test]
    fn finds_variable_names_the_way_dotenv_lines_set_them() {
        assert_eq!(variable_name("export  WC_URL = x"), Some("WC_URL"));
        assert_eq!(variable_name("exported=1"), Some("exported"));
        assert_eq!(variable_name("# WC_URL=x"), None);
        assert_eq!(variable_name("just text"), None);
    }
}
