//! The exit codes, written once: each class of failure and its code ([`Failure`]), and the
//! table ([`CODES`]) that `--help`, the man page and `docs/exit-codes.md` are made from (a test
//! holds the docs to it). Which error is of which class: `Error::class` (`error.rs`),
//! `ProbeError::class` (`probe/error.rs`) and `ApiError::class` (`api.rs`).

/// The classes of failure. Ordered from least to most severe for the first four, so the worst
/// of several results (`accounts verify`) is their `max`: a check that could not be made at all
/// outweighs a rejected key, which outweighs a store that cannot be used, which outweighs a
/// usage problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    /// Usage or invalid input (2).
    Usage,
    /// The store cannot be used as it is (3).
    Store,
    /// Credentials rejected or not enough access (4).
    Credentials,
    /// Unexpected failure on this computer (1).
    Local,
    /// `woolink api`: carried out, but the answer could not be read whole (5).
    Unprinted,
    /// `woolink run`: the command could not be started (126).
    NotExecutable,
    /// `woolink run`: the command was not found (127).
    NotFound,
    /// Cancelled at a prompt (130).
    Cancelled,
}

impl Failure {
    pub fn exit_code(self) -> u8 {
        match self {
            Failure::Local => 1,
            Failure::Usage => 2,
            Failure::Store => 3,
            Failure::Credentials => 4,
            Failure::Unprinted => 5,
            Failure::NotExecutable => 126,
            Failure::NotFound => 127,
            Failure::Cancelled => 130,
        }
    }
}

/// The exit-code table, one line a code (or two, for `woolink run`'s): the codes, what they
/// mean on one line, and examples.
pub const CODES: &[(&str, &str, &str)] = &[
    ("0", "success", ""),
    (
        "1",
        "unexpected failure on this computer (file system, keychain)",
        "an account's CA certificate copy missing or changed (`ca_cert_copy`)",
    ),
    (
        "2",
        "usage or invalid input; nothing was sent or written",
        "a malformed URL, key, proxy variable or dotenv file; a secret as a flag value; a partial set of WOOLINK_STORE_URL/CONSUMER_KEY/CONSUMER_SECRET; plain http refused; the key an account already uses given to `accounts rotate` (`same_key`); a 4xx answer to `woolink api` other than 401 and 403 (the request was sent)",
    ),
    (
        "3",
        "the store cannot be used as it is",
        "DNS, TLS, an `http://` address whose port speaks HTTPS (`https_port`), timeouts, proxies, firewalls, redirects, no WooCommerce, maintenance, PHP errors, WordPress not seeing https, a rate limit that did not let up (`rate_limited`), a plugin's refusal before WooCommerce saw the key (`refused_before_woocommerce`), a write check a firewall answered when read-write was required (`write_not_checked`)",
    ),
    (
        "4",
        "credentials rejected or not enough access",
        "unknown key, wrong secret, a read refused when a firewall hides which of the two (`read_refused`), write-only key, a Customer's key, read access where `--require read-write` was given (`needs_write`), a refused site password, a new key that is not one of the account's store (`key_of_another_store`)",
    ),
    (
        "5",
        "`woolink api` only: carried out (2xx), but the answer could not be read whole",
        "larger than 64 MiB, cut off, too slow: check before sending a write again",
    ),
    (
        "126, 127",
        "`woolink run` only: its command could not be started, or was not found",
        "as shells and env(1) do; otherwise `woolink run` exits with its command's code",
    ),
    (
        "130",
        "cancelled at a prompt (128+N for other signals at a prompt)",
        "Ctrl-C, Ctrl-D, SIGTERM, SIGHUP",
    ),
];

/// The table as `--help` ends: one line a code.
pub fn help() -> String {
    let width = CODES
        .iter()
        .map(|(codes, ..)| codes.len())
        .max()
        .unwrap_or(0)
        + 2;
    let lines: Vec<String> = CODES
        .iter()
        .map(|(codes, meaning, _)| format!("  {codes:<width$}{}", meaning.replace('`', "")))
        .collect();
    format!("Exit codes:\n{}", lines.join("\n"))
}

/// The table as the man page's EXIT STATUS lists it: the codes, what they mean, and the
/// examples as a sentence.
pub fn man() -> Vec<(&'static str, String)> {
    CODES
        .iter()
        .map(|&(codes, meaning, examples)| {
            let mut text = format!("{meaning}.");
            let mut examples = examples.chars();
            if let Some(first) = examples.next() {
                text.push_str(&format!(
                    " {}{}.",
                    first.to_ascii_uppercase(),
                    examples.as_str()
                ));
            }
            (codes, text.replace('`', ""))
        })
        .collect()
}

/// The table as `docs/exit-codes.md` has it, in Markdown.
#[cfg(test)]
fn markdown() -> String {
    let mut table = "| code | meaning | examples |\n|---|---|---|\n".to_owned();
    for (codes, meaning, examples) in CODES {
        let line = format!("| {codes} | {meaning} | {examples} |");
        table.push_str(&format!("{}\n", line.replace("|  |", "| |")));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_its_line_in_the_table() {
        let listed: Vec<u8> = CODES
            .iter()
            .flat_map(|(codes, ..)| codes.split(", "))
            .map(|code| code.parse().unwrap())
            .collect();
        for failure in [
            Failure::Usage,
            Failure::Store,
            Failure::Credentials,
            Failure::Local,
            Failure::Unprinted,
            Failure::NotExecutable,
            Failure::NotFound,
            Failure::Cancelled,
        ] {
            assert!(listed.contains(&failure.exit_code()), "{failure:?}");
        }
    }

    #[test]
    fn the_docs_have_the_table_of_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/exit-codes.md");
        let docs = std::fs::read_to_string(path).unwrap();
        let expected = markdown();
        assert!(
            docs.contains(&expected),
            "docs/exit-codes.md must hold the exit-code table of src/domain/exit.rs; put this in it:\n\n{expected}"
        );
    }

    #[test]
    fn the_most_severe_failure_is_the_greatest() {
        let cases: &[(&[Failure], u8)] = &[
            (&[], 0),
            (&[Failure::Usage], 2),
            (&[Failure::Usage, Failure::Store], 3),
            (&[Failure::Store, Failure::Credentials, Failure::Usage], 4),
            (&[Failure::Credentials, Failure::Local, Failure::Store], 1),
        ];
        for (failures, code) in cases {
            let worst = failures.iter().copied().max();
            assert_eq!(worst.map_or(0, Failure::exit_code), *code, "{failures:?}");
        }
    }
}
