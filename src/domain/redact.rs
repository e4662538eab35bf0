//! Everything woolink hides, and how it shows where it hid something. One spelling per place a
//! secret could show up, each held by a test:
//!
//! - **A URL** is shown as a [`DisplaySafeUrl`]: a URL with no credential left in it (query
//!   parameters that carry one, user name, password), whatever prints it.
//! - **A debug line** (`--verbose`) marks where a credential was with [`IN_DEBUG`] (`REDACTED`),
//!   so a request can still be recognised ([`debug_url`]; the proxy variables' user info too).
//! - **A message** that quotes what was typed or pasted shows a secret-shaped word cut to its
//!   prefix: `cs_…` ([`mask_secret_shapes`]), `ck_…`, or `…` for a long hex run
//!   ([`hide_credential_words`]). A key woolink knows is shown as `ck_…last7` (`keys.rs`).
//! - **What a store answered** (`woolink api`) has the account's own secret and site password
//!   replaced by [`IN_ANSWERS`] (`[redacted]`), and its key by `ck_…last7`, also when it
//!   arrives in pieces ([`Redactor`]).

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, MatchKind};
use url::Url;

use crate::domain::keys::{Credentials, HEX_LEN};

/// Query parameters that carry credentials, in any of the ways woolink sends them:
/// `consumer_key` and `consumer_secret` in the query string, `oauth_*` for OAuth 1.0a. Case
/// does not matter: whatever reads the URL after woolink may not care either.
pub fn is_credential_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "consumer_key" || name == "consumer_secret" || name.starts_with("oauth_")
}

/// `url` with every credential parameter, user name and password removed.
pub fn without_credentials(url: &Url) -> Url {
    credentials_as(url, None)
}

/// `url` with each credential (a query parameter that carries one, the user name, the
/// password) replaced by `mark`, or taken out for `None`.
fn credentials_as(url: &Url, mark: Option<&str>) -> Url {
    let pairs = url.query_pairs().filter_map(|(name, value)| {
        let value = if is_credential_param(&name) {
            mark?.into()
        } else {
            value
        };
        Some((name.into_owned(), value.into_owned()))
    });
    let pairs: Vec<(String, String)> = pairs.collect();
    let mut shown = url.clone();
    if pairs.is_empty() {
        shown.set_query(None);
    } else {
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    if !url.username().is_empty() {
        let _ = shown.set_username(mark.unwrap_or_default());
    }
    if url.password().is_some() {
        let _ = shown.set_password(mark);
    }
    shown
}

/// A URL to show: made [`without_credentials`], so its `Display` and `Debug` cannot show one
/// whatever prints it. Kept as text: it is only ever shown, and errors carry it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DisplaySafeUrl(String);

impl DisplaySafeUrl {
    pub fn new(url: &Url) -> Self {
        Self(without_credentials(url).into())
    }

    /// `url` without its query and fragment, which may hold anything: where a store redirects.
    pub fn without_query(url: &Url) -> Self {
        let mut shown = without_credentials(url);
        shown.set_query(None);
        shown.set_fragment(None);
        Self(shown.into())
    }

    /// An address that may not parse, shown where it does not up to its query and without
    /// the user name and password of its authority (`//user:pw@host`).
    pub fn shown(location: &str) -> Self {
        if let Ok(url) = Url::parse(location) {
            return Self::new(&url);
        }
        let before_query = location.split(['?', '#']).next().unwrap_or_default();
        let Some((scheme, rest)) = before_query.split_once("//") else {
            return Self(before_query.to_owned());
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        Self(format!("{scheme}//{host}{path}"))
    }
}

impl std::fmt::Display for DisplaySafeUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The mark of a hidden value in debug lines.
pub const IN_DEBUG: &str = "REDACTED";
/// The mark of the account's secret or site password in what `woolink api` prints.
pub const IN_ANSWERS: &str = "[redacted]";

/// `url` as debug lines show it: credential values in the query and any user name or password
/// replaced by [`IN_DEBUG`], the fragment dropped, the rest kept so a request can be recognised.
pub fn debug_url(url: &Url) -> String {
    let mut shown = credentials_as(url, Some(IN_DEBUG));
    shown.set_fragment(None);
    shown.to_string()
}

/// `text` with anything shaped like a consumer secret (`cs_` and 40 hex digits) cut to `cs_…`:
/// a secret pasted where another value belongs (a stray argument, a method, a field) must not
/// be echoed back by the error that refuses it.
pub fn mask_secret_shapes(text: &str) -> Cow<'_, str> {
    const PREFIX: &str = "cs_";
    let is_secret_at = |at: usize| {
        let hex = &text.as_bytes()[at + PREFIX.len()..];
        hex.len() >= HEX_LEN && hex[..HEX_LEN].iter().all(u8::is_ascii_hexdigit)
    };
    let mut masked = String::new();
    let mut from = 0;
    for (at, _) in text.match_indices(PREFIX) {
        if at >= from && is_secret_at(at) {
            masked.push_str(&text[from..at]);
            masked.push_str("cs_…");
            from = at + PREFIX.len() + HEX_LEN;
        }
    }
    if from == 0 {
        return Cow::Borrowed(text);
    }
    masked.push_str(&text[from..]);
    Cow::Owned(masked)
}

/// `text` with each word that looks like a consumer key or secret (or a long hex run) cut to
/// its prefix (`ck_…`, `cs_…`, `…`): for what was typed where a store address belongs.
pub fn hide_credential_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        let lower = word.get(..3).map(str::to_ascii_lowercase);
        let hexish = word.len() >= 32 && word.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
        match lower.as_deref() {
            Some(prefix @ ("ck_" | "cs_")) => out.push_str(&format!("{prefix}…")),
            _ if hexish => out.push('…'),
            _ => out.push_str(word),
        }
        let mut chars = after.chars();
        out.extend(chars.next());
        rest = chars.as_str();
    }
    out
}

/// `text` from a store with the account's credentials taken out, as [`Redactor`] does.
pub fn in_answer(text: &str, credentials: &Credentials) -> String {
    Redactor::new(credentials).redact(text)
}

/// Takes the account's credentials out of what a store answered, for everything `woolink api`
/// prints (a store may echo any of them): the secret and the site password become
/// [`IN_ANSWERS`], the key `ck_…last7`. A body printed as it arrives goes through
/// [`Redactor::push`]: a credential split across two pieces is still caught, because the end of
/// each piece that could begin one is held back until the next piece (or the end) shows it.
pub struct Redactor {
    patterns: AhoCorasick,
    shown: Vec<String>,
    longest: usize,
    held: Vec<u8>,
}

impl Redactor {
    pub fn new(credentials: &Credentials) -> Self {
        let site_password = credentials.site.as_ref().map(|site| site.expose_password());
        let (secrets, shown): (Vec<&str>, Vec<String>) = [
            (Some(credentials.secret.expose()), IN_ANSWERS.to_owned()),
            (Some(credentials.key.expose()), credentials.key.masked()),
            (site_password, IN_ANSWERS.to_owned()),
        ]
        .into_iter()
        .filter_map(|(secret, shown)| secret.filter(|s| !s.is_empty()).map(|s| (s, shown)))
        .unzip();
        let patterns = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&secrets)
            .expect("a few short patterns");
        Self {
            longest: secrets.iter().map(|s| s.len()).max().unwrap_or(1),
            patterns,
            shown,
            held: Vec::new(),
        }
    }

    /// `text` whole.
    pub fn redact(&self, text: &str) -> String {
        self.patterns.replace_all(text, &self.shown)
    }

    /// What may be printed of everything pushed so far.
    pub fn push(&mut self, piece: &[u8]) -> Vec<u8> {
        self.held.extend_from_slice(piece);
        self.drain(false)
    }

    /// The rest, at the end of the body.
    pub fn finish(&mut self) -> Vec<u8> {
        self.drain(true)
    }

    fn drain(&mut self, end: bool) -> Vec<u8> {
        let text = std::mem::take(&mut self.held);
        // A match starting before `safe` fits in `text`, and so does any that starts earlier.
        let safe = if end {
            text.len()
        } else {
            text.len().saturating_sub(self.longest - 1)
        };
        let mut out = Vec::with_capacity(text.len());
        let mut at = 0;
        for found in self.patterns.find_iter(&text) {
            if found.start() >= safe {
                break;
            }
            out.extend_from_slice(&text[at..found.start()]);
            out.extend_from_slice(self.shown[found.pattern().as_usize()].as_bytes());
            at = found.end();
        }
        let printable = safe.max(at);
        out.extend_from_slice(&text[at..printable]);
        self.held = text[printable..].to_vec();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_parameters_are_recognised_in_any_case() {
        for name in [
            "consumer_key",
            "Consumer_Secret",
            "oauth_signature",
            "OAUTH_CONSUMER_KEY",
            "oauth_nonce",
        ] {
            assert!(is_credential_param(name), "{name}");
        }
        for name in ["per_page", "key", "consumer", "woolink", "_fields"] {
            assert!(!is_credential_param(name), "{name}");
        }
    }

    #[test]
    fn a_safe_url_shows_no_credential_however_it_is_printed() {
        let url = Url::parse(
            "https://user:pw@shop.example/wp-json/wc/v3/orders?per_page=5&Consumer_Key=ck_1&consumer_secret=cs_2&oauth_signature=sig",
        )
        .unwrap();
        let safe = DisplaySafeUrl::new(&url);
        let expected = "https://shop.example/wp-json/wc/v3/orders?per_page=5";
        assert_eq!(safe.to_string(), expected);
        assert!(!format!("{safe:?}").contains("ck_1"));
        assert!(!format!("{safe:?}").contains("pw"));
        assert_eq!(without_credentials(&url).as_str(), expected);
        let only_credentials = Url::parse("https://shop.example/x?consumer_key=ck_1").unwrap();
        assert_eq!(
            DisplaySafeUrl::new(&only_credentials).to_string(),
            "https://shop.example/x"
        );
        assert_eq!(
            DisplaySafeUrl::shown("not a url?consumer_secret=cs_2").to_string(),
            "not a url"
        );
        // An address that does not parse (a bad port) keeps no user name or password.
        assert_eq!(
            DisplaySafeUrl::shown("https://u:pw@shop.example:99999/x?consumer_secret=cs_2")
                .to_string(),
            "https://shop.example:99999/x"
        );
    }

    #[test]
    fn debug_urls_hide_every_credential() {
        let url = Url::parse(
            "https://u:pw@s.example/wp-json/wc/v3/products?per_page=1&consumer_key=ck_abc&Consumer_Secret=cs_def&oauth_consumer_key=ck_ghi&oauth_signature=c2ln%3D&oauth_nonce=n1#frag",
        )
        .unwrap();
        let shown = debug_url(&url);
        for secret in ["pw", "ck_abc", "cs_def", "ck_ghi", "c2ln", "frag"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("per_page=1"), "{shown}");
        assert!(shown.contains("oauth_nonce=REDACTED"), "{shown}");
        assert!(shown.contains("consumer_key=REDACTED"), "{shown}");
        assert!(
            shown.starts_with("https://REDACTED:REDACTED@s.example/"),
            "{shown}"
        );
    }
    #[test]
    fn secret_shapes_are_masked_wherever_they_stand() {
        let secret = "cs_0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            mask_secret_shapes("no secret here, cs_12"),
            "no secret here, cs_12"
        );
        assert_eq!(
            mask_secret_shapes(&format!("unexpected argument '{secret}' found")),
            "unexpected argument 'cs_…' found"
        );
        assert_eq!(
            mask_secret_shapes(&format!("{secret}{secret}x")),
            "cs_…cs_…x"
        );
        assert!(matches!(mask_secret_shapes("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn credential_words_are_cut_to_their_prefix() {
        let hex = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            hide_credential_words(&format!("shop.example/CK_1/{hex}?cs_2 é")),
            "shop.example/ck_…/…?cs_… é"
        );
        assert_eq!(hide_credential_words("shop.example/ck"), "shop.example/ck");
    }
}
