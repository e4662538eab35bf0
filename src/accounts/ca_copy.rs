//! The copy of a private CA certificate kept with an account, so that commands after
//! `connect --ca-cert PATH` trust the store without the flag.
//!
//! A certificate is public, not a secret: the copy lives in the config folder, as
//! `ca/<sha256 of its bytes>.pem`, written atomically and readable by the owner only, like the
//! folder's other files. Named by content, it never has to move when an account is renamed, and
//! accounts that share a CA share one file. The index records the copy's name for the account;
//! removing the last account that uses a copy deletes it.

use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::accounts::private_file;
use crate::domain::account::Account;

/// The folder, under the config folder, that holds the copies.
pub const CA_DIR: &str = "ca";

#[derive(Debug, thiserror::Error)]
pub enum CaCopyError {
    #[error("could not read the CA certificate file {}: {}", .path.display(), crate::domain::text::io_in_words(.source))]
    ReadSource { path: PathBuf, source: io::Error },
    #[error("could not keep a copy of the CA certificate in {}: {}", .path.display(), crate::domain::text::io_in_words(.source))]
    Write { path: PathBuf, source: io::Error },
    #[error(
        "the account \"{name}\" trusts the CA certificate woolink copied to {}, but that file {why}: {} (PATH: the CA's certificate), or pass --ca-cert PATH to this command",
        .path.display(), crate::domain::relink::Relink::same_key(.name).with_ca_cert()
    )]
    Unusable {
        name: String,
        path: PathBuf,
        why: String,
    },
}

/// Copies the certificate file `source` into `dir`'s CA folder (a copy with the same content is
/// kept as it is) and returns the name the index records for it: `ca/<sha256>.pem`.
pub fn keep(dir: &Path, source: &Path) -> Result<String, CaCopyError> {
    let bytes = std::fs::read(source).map_err(|err| CaCopyError::ReadSource {
        path: source.to_owned(),
        source: err,
    })?;
    let entry = entry_for(&bytes);
    let path = dir.join(&entry);
    let written = private_file::create_private_dir(&dir.join(CA_DIR))
        .and_then(|()| private_file::write_atomic(&path, &bytes));
    written.map_err(|source| CaCopyError::Write { path, source })?;
    Ok(entry)
}

/// The copy `account` trusts, checked to be there, readable, and unchanged since it was made;
/// `None` when the account was linked without a CA certificate.
pub fn path_for(dir: &Path, account: &Account) -> Result<Option<PathBuf>, CaCopyError> {
    let Some(entry) = &account.ca_cert else {
        return Ok(None);
    };
    let unusable = |path: PathBuf, why: String| CaCopyError::Unusable {
        name: account.name.clone(),
        path,
        why,
    };
    // Only a name connect writes is followed: a hand-edited index must not make woolink trust
    // some other file.
    if !is_copy_name(entry) {
        return Err(unusable(
            dir.join(CA_DIR),
            format!("is named \"{entry}\" in the account index, which is not a copy woolink made"),
        ));
    }
    let path = dir.join(entry);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(unusable(path, "is missing".to_owned()));
        }
        Err(err) => return Err(unusable(path, format!("could not be read ({err})"))),
    };
    if entry_for(&bytes) != *entry {
        return Err(unusable(
            path,
            "was changed after woolink copied it".to_owned(),
        ));
    }
    Ok(Some(path))
}

/// Deletes the copy `removed` trusted when none of `remaining` trusts it too. Called under the
/// index lock, once the index without `removed` has landed. A copy that cannot be deleted is
/// left: it holds no secret, and nothing reads a copy no account names.
pub fn release(dir: &Path, removed: &Account, remaining: &[Account]) {
    let Some(entry) = &removed.ca_cert else {
        return;
    };
    let shared = remaining
        .iter()
        .any(|account| account.ca_cert.as_ref() == Some(entry));
    if !shared && is_copy_name(entry) {
        let _ = std::fs::remove_file(dir.join(entry));
    }
}

fn entry_for(bytes: &[u8]) -> String {
    format!("{CA_DIR}/{:x}.pem", Sha256::digest(bytes))
}

/// Whether `entry` is a name [`keep`] gives: `ca/<64 lowercase hex digits>.pem`.
fn is_copy_name(entry: &str) -> bool {
    let digest =
        (entry.strip_prefix(CA_DIR)).and_then(|e| e.strip_prefix('/')?.strip_suffix(".pem"));
    digest
        .is_some_and(|d| d.len() == 64 && d.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str, ca_cert: Option<String>) -> Account {
        Account {
            ca_cert,
            ..crate::accounts::index::tests::account(name, "https://shop.example")
        }
    }

    #[test]
    fn copies_are_named_by_content_shared_and_released_with_the_last_user() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("given.pem");
        std::fs::write(&source, "-----BEGIN CERTIFICATE-----\n").unwrap();
        let entry = keep(dir.path(), &source).unwrap();
        assert_eq!(keep(dir.path(), &source).unwrap(), entry, "same content");
        assert!(is_copy_name(&entry), "{entry}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.path().join(&entry)), 0o600);
            assert_eq!(mode(&dir.path().join(CA_DIR)), 0o700);
        }
        let one = account("one", Some(entry.clone()));
        let two = account("two", Some(entry.clone()));
        assert_eq!(
            path_for(dir.path(), &one).unwrap(),
            Some(dir.path().join(&entry))
        );
        release(dir.path(), &one, std::slice::from_ref(&two));
        assert!(dir.path().join(&entry).exists(), "still used by two");
        release(dir.path(), &two, &[]);
        assert!(!dir.path().join(&entry).exists(), "released with the last");
        let err = path_for(dir.path(), &two).unwrap_err().to_string();
        assert!(
            err.contains("is missing") && err.contains("--ca-cert"),
            "{err}"
        );
    }

    #[test]
    fn only_unchanged_copies_woolink_made_are_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("given.pem");
        std::fs::write(&source, "a").unwrap();
        let entry = keep(dir.path(), &source).unwrap();
        std::fs::write(dir.path().join(&entry), "b").unwrap();
        let err = path_for(dir.path(), &account("x", Some(entry)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("was changed"), "{err}");
        for hand_edited in ["../given.pem", "ca/given.pem", "/etc/ssl/cert.pem"] {
            let err = path_for(dir.path(), &account("x", Some(hand_edited.to_owned())))
                .unwrap_err()
                .to_string();
            assert!(err.contains("not a copy woolink made"), "{err}");
        }
        assert_eq!(path_for(dir.path(), &account("x", None)).unwrap(), None);
    }
}
