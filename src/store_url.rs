//! The store address: what a person pastes (flag, environment, prompt) or what the store itself
//! reports (a redirect target, the REST index `home`), normalized into one canonical form.
//!
//! This module owns the rules for that normalization and the wording of the notes and errors about
//! it. It is pure: it never touches the network. A [`StoreUrl`] always has an http(s) scheme, a
//! host, no user info, no query, no fragment, and a path that ends in `/` so that `Url::join`
//! resolves API paths under a subdirectory install. Nothing it prints repeats a query string,
//! user info or anything that looks like a consumer key or secret.

use std::fmt;
use std::str::FromStr;

use url::{Host, Url};

use crate::keys::trim_pasted;

/// What every refusal suggests instead.
const ADVICE: &str = "Enter the address of the store's home page, e.g. https://shop.example.com";
/// Error messages quote at most this much of the input, so a pasted paragraph stays readable.
const SHOWN_MAX: usize = 80;
/// Path segments that are WordPress internals rather than part of the store's home address. The
/// path is cut at the first of them (matched case-insensitively), with the note's description.
const CUT_SEGMENTS: &[(&str, &str)] = &[
    ("wp-json", "the REST API path"),
    ("wp-admin", "the admin page path"),
    ("wp-login.php", "the login page path"),
    ("index.php", "the WordPress file path"),
    ("xmlrpc.php", "the WordPress file path"),
    ("wp-content", "the WordPress file path"),
    ("wp-includes", "the WordPress file path"),
];
/// Schemes people paste without `//` that are certainly not a store (`mailto:a@b` would otherwise
/// be read as user info `mailto:a` on host `b`).
const OPAQUE_SCHEMES: &[&str] = &["mailto:", "javascript:", "file:", "data:", "tel:", "about:"];

/// A normalized store home address, e.g. `https://example.com/shop/`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoreUrl {
    url: Url,
}

/// Which rule refused an address; the message says the same thing in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreUrlErrorKind {
    Empty,
    LooksLikeCredential,
    UnsupportedScheme,
    UserInfo,
    Whitespace,
    MissingHost,
    InvalidHost,
    SingleLabelHost,
    InvalidPort,
    Malformed,
}

/// Why an address cannot be a store address. The message is a full sentence safe to print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StoreUrlError {
    kind: StoreUrlErrorKind,
    message: String,
}

impl StoreUrlError {
    pub fn kind(&self) -> StoreUrlErrorKind {
        self.kind
    }

    /// `"<shown>" is not a store address: <reason>`, with the common advice unless the reason
    /// carries its own.
    fn new(kind: StoreUrlErrorKind, shown: &str, reason: &str) -> Self {
        // These two reasons already say exactly what to enter instead.
        let advice = match kind {
            StoreUrlErrorKind::UserInfo | StoreUrlErrorKind::SingleLabelHost => "",
            _ => ADVICE,
        };
        let sep = if advice.is_empty() { "" } else { ". " };
        let message = format!("\"{shown}\" is not a store address: {reason}{sep}{advice}");
        Self { kind, message }
    }
}

impl StoreUrl {
    /// Normalizes what a person pastes, and says what was changed beyond cosmetics.
    pub fn parse_with_notes(input: &str) -> Result<(StoreUrl, Vec<String>), StoreUrlError> {
        let text = trim_pasted(input);
        if text.is_empty() {
            return Err(StoreUrlError {
                kind: StoreUrlErrorKind::Empty,
                message: format!("no store address was given. {ADVICE}"),
            });
        }
        if looks_like_credential(text) {
            // Not even a redacted excerpt: the whole input is the secret.
            return Err(StoreUrlError {
                kind: StoreUrlErrorKind::LooksLikeCredential,
                message: format!(
                    "this looks like a consumer key or secret, not a store address (it is not shown here). {ADVICE}; woolink asks for the consumer key and secret separately"
                ),
            });
        }
        let shown = shown(text);
        let mut notes = Vec::new();
        let (candidate, scheme_given) = with_scheme(text, &shown, &mut notes)?;
        let url = Url::parse(&candidate).map_err(|e| parse_error(e, &shown))?;
        // A bare `shop` is most likely a typo; `http://wordpress` or `wordpress:8080` is a
        // deliberate intranet or container name (docker compose), so those are allowed.
        let single_label_ok = scheme_given || url.port().is_some();
        let store = normalize(url, &shown, single_label_ok, &mut notes)?;
        Ok((store, notes))
    }

    /// The same normalization for an address learned from the store (redirect target, `home`).
    /// The store named its own host, so a single-label host is accepted.
    pub fn from_url(url: &Url) -> Result<StoreUrl, StoreUrlError> {
        normalize(url.clone(), &shown(url.as_str()), true, &mut Vec::new())
    }

    /// The home address with a path ending in `/`, ready for `join("wp-json/")`.
    pub fn as_url(&self) -> &Url {
        &self.url
    }

    /// `scheme://host[:port]`, the unit credentials must never leave.
    pub fn origin_string(&self) -> String {
        self.url.origin().ascii_serialization()
    }

    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// Loopback hosts may use plain http: nothing crosses a network.
    pub fn is_loopback(&self) -> bool {
        match self.url.host() {
            Some(Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }

    /// A default account name: the host without `www.`, then `-sub-path` for a subdirectory
    /// install, in `[a-z0-9.-]` only. The port is left out so names stay stable across dev ports.
    pub fn host_for_name(&self) -> String {
        let mut name = match self.url.host() {
            Some(Host::Ipv6(ip)) => format!("ipv6:{ip}"),
            _ => {
                let host = self.url.host_str().unwrap_or_default();
                host.strip_prefix("www.").unwrap_or(host).to_owned()
            }
        };
        for segment in self.url.path().split('/').filter(|s| !s.is_empty()) {
            // '/' joins the run mapping below, so `/%C3` gives one '-', not two.
            name.push('/');
            name.push_str(segment);
        }
        // Each run of other characters (`::`, `%`, `_`) becomes one '-'; existing "--" stays,
        // since punycode hosts (`xn--bcher-kva`) need it.
        let mut out = String::with_capacity(name.len());
        let mut in_run = false;
        for c in name.to_ascii_lowercase().chars() {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-' {
                out.push(c);
                in_run = false;
            } else if !in_run {
                out.push('-');
                in_run = true;
            }
        }
        out.trim_matches('-').to_owned()
    }
}

/// Puts a scheme on `text`: refuses non-web schemes and an empty host, assumes `https://`.
/// Returns the text to parse and whether the person typed a scheme.
fn with_scheme(
    text: &str,
    shown: &str,
    notes: &mut Vec<String>,
) -> Result<(String, bool), StoreUrlError> {
    let before_query = text.split(['?', '#']).next().unwrap_or_default();
    if before_query.chars().any(char::is_whitespace) {
        let reason = "it contains a space or line break";
        return Err(StoreUrlError::new(
            StoreUrlErrorKind::Whitespace,
            shown,
            reason,
        ));
    }
    let unsupported = || {
        let reason = "woolink needs an http:// or https:// address";
        StoreUrlError::new(StoreUrlErrorKind::UnsupportedScheme, shown, reason)
    };
    let lower = text.to_ascii_lowercase();
    if let Some((scheme, rest)) = split_scheme(text) {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(unsupported());
        }
        // The url crate reads `http:///x` as `http://x`; three slashes is a slip, not a host.
        if rest.starts_with(['/', '\\']) || rest.is_empty() {
            return Err(missing_host(shown));
        }
        return Ok((text.to_owned(), true));
    }
    if let Some(scheme) = OPAQUE_SCHEMES.iter().find(|s| lower.starts_with(*s)) {
        // Only the scheme: the rest of `mailto:a@b` would be mangled by the userinfo rule.
        let shown = format!("{scheme}…");
        let reason = "woolink needs an http:// or https:// address";
        return Err(StoreUrlError::new(
            StoreUrlErrorKind::UnsupportedScheme,
            &shown,
            reason,
        ));
    }
    if lower.starts_with("http:") || lower.starts_with("https:") {
        // `https:example.com`: the url crate reads it as intended.
        return Ok((text.to_owned(), true));
    }
    notes.push("assumed https:// (no scheme was given)".to_owned());
    Ok((format!("https://{text}"), false))
}

/// `^[A-Za-z][A-Za-z0-9+.-]*://`, split into the scheme and the rest. Unlike the url crate this
/// does not read `localhost:8080` as scheme `localhost`.
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'));
    (first_ok && rest_ok).then_some((scheme, rest))
}

fn missing_host(shown: &str) -> StoreUrlError {
    let reason = "it has no host name after the scheme";
    StoreUrlError::new(StoreUrlErrorKind::MissingHost, shown, reason)
}

/// Maps the url crate's refusal. Its messages never quote the input, so they are safe to add.
fn parse_error(error: url::ParseError, shown: &str) -> StoreUrlError {
    use url::ParseError as P;
    let (kind, reason) = match error {
        P::EmptyHost => return missing_host(shown),
        P::InvalidPort => (
            StoreUrlErrorKind::InvalidPort,
            "the port is not a number from 1 to 65535".to_owned(),
        ),
        P::InvalidIpv4Address | P::InvalidIpv6Address | P::InvalidDomainCharacter => (
            StoreUrlErrorKind::InvalidHost,
            format!("the host name is not valid ({error})"),
        ),
        P::IdnaError => (
            StoreUrlErrorKind::InvalidHost,
            "the host name is not a valid domain name".to_owned(),
        ),
        _ => (
            StoreUrlErrorKind::Malformed,
            format!("woolink could not read it as a web address ({error})"),
        ),
    };
    StoreUrlError::new(kind, shown, &reason)
}

/// The rules that apply to any parsed URL, typed or learned from the store.
fn normalize(
    mut url: Url,
    shown: &str,
    single_label_ok: bool,
    notes: &mut Vec<String>,
) -> Result<StoreUrl, StoreUrlError> {
    if !matches!(url.scheme(), "http" | "https") {
        let reason = "woolink needs an http:// or https:// address";
        return Err(StoreUrlError::new(
            StoreUrlErrorKind::UnsupportedScheme,
            shown,
            reason,
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        let reason = "it contains a user name or password; remove the user name and password from the address; woolink asks for the consumer key and secret separately";
        return Err(StoreUrlError::new(
            StoreUrlErrorKind::UserInfo,
            shown,
            reason,
        ));
    }
    normalize_host(&mut url, shown, single_label_ok, notes)?;
    if url.port() == Some(0) {
        let reason = "the port is not a number from 1 to 65535";
        return Err(StoreUrlError::new(
            StoreUrlErrorKind::InvalidPort,
            shown,
            reason,
        ));
    }
    // Notes say that something was removed, never what: a query may hold `consumer_secret=`.
    if url.query().is_some_and(|q| !q.is_empty()) {
        notes.push("removed the query string (the part after ?)".to_owned());
    }
    if url.fragment().is_some_and(|f| !f.is_empty()) {
        notes.push("removed the fragment (the part after #)".to_owned());
    }
    url.set_query(None);
    url.set_fragment(None);
    let path = store_path(url.path(), notes);
    url.set_path(&path);
    Ok(StoreUrl { url })
}

/// Checks a domain host: drops a sentence-ending dot, refuses empty labels and (unless allowed)
/// a single label. IP hosts were already checked by the url crate.
fn normalize_host(
    url: &mut Url,
    shown: &str,
    single_label_ok: bool,
    notes: &mut Vec<String>,
) -> Result<(), StoreUrlError> {
    let domain = match url.host() {
        None => return Err(missing_host(shown)),
        Some(Host::Domain(d)) => d.to_owned(),
        Some(_) => return Ok(()),
    };
    let mut host = domain.as_str();
    if let Some(stripped) = host.strip_suffix('.').filter(|h| !h.is_empty()) {
        host = stripped;
    }
    if host.split('.').any(str::is_empty) {
        let reason = format!("the host \"{domain}\" has an empty part between dots");
        return Err(StoreUrlError::new(
            StoreUrlErrorKind::InvalidHost,
            shown,
            &reason,
        ));
    }
    if !host.contains('.') && host != "localhost" && !single_label_ok {
        let reason = format!(
            "the host \"{host}\" has no dot, so it is not a full host name; enter the full name (e.g. https://{host}.example.com), or write http://{host} if it really is a local network name"
        );
        return Err(StoreUrlError::new(
            StoreUrlErrorKind::SingleLabelHost,
            shown,
            &reason,
        ));
    }
    if host != domain {
        notes.push("removed the dot after the host name".to_owned());
        // Cannot fail: `host` is a non-empty prefix of a host the url crate accepted.
        let _ = url.set_host(Some(host));
    }
    Ok(())
}

/// The store's home path: cut at the first WordPress-internal segment, repeated slashes
/// collapsed, ending in `/`. Segment case is kept (paths are case-sensitive).
fn store_path(path: &str, notes: &mut Vec<String>) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let cut = segments.iter().enumerate().find_map(|(i, segment)| {
        CUT_SEGMENTS
            .iter()
            .find(|(name, _)| segment.eq_ignore_ascii_case(name))
            .map(|(_, what)| (i, *what))
    });
    let kept = match cut {
        Some((i, what)) => {
            let removed = format!("/{}", segments[i..].join("/"));
            notes.push(format!(
                "removed {what} {}",
                truncate(&redact(&removed), 60)
            ));
            &segments[..i]
        }
        None => &segments[..],
    };
    if kept.is_empty() {
        "/".to_owned()
    } else {
        format!("/{}/", kept.join("/"))
    }
}

/// A consumer key or secret pasted into the address prompt (`ck_…`, `cs_…`, or 40+ hex digits).
fn looks_like_credential(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.starts_with("ck_")
        || lower.starts_with("cs_")
        || (text.len() >= 40 && text.chars().all(|c| c.is_ascii_hexdigit() || c == '_'))
}

/// The input as an error may quote it: without user info, query and fragment, with
/// credential-looking words hidden, at most [`SHOWN_MAX`] characters.
fn shown(text: &str) -> String {
    let before_query = text.split(['?', '#']).next().unwrap_or_default();
    // The authority ends where the url crate ends it: at the first '/' or '\' after `://`.
    let start = split_scheme(before_query).map_or(0, |(scheme, _)| scheme.len() + 3);
    let authority_len = before_query[start..]
        .find(['/', '\\'])
        .unwrap_or(before_query.len() - start);
    let authority = &before_query[start..start + authority_len];
    let without_userinfo = match authority.rfind('@') {
        Some(at) => format!(
            "{}{}",
            &before_query[..start],
            &before_query[start + at + 1..]
        ),
        None => before_query.to_owned(),
    };
    truncate(&redact(&without_userinfo), SHOWN_MAX)
}

/// Hides words that look like a consumer key or secret (or a long hex run) in text woolink prints.
fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let lower = word.to_ascii_lowercase();
        let hexish = word.len() >= 32 && word.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
        if lower.starts_with("ck_") || lower.starts_with("cs_") || hexish {
            out.push_str("[hidden]");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

impl FromStr for StoreUrl {
    type Err = StoreUrlError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse_with_notes(input).map(|(store, _)| store)
    }
}

/// `https://example.com/shop`: the path without its trailing slash, as people write it.
impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.url.as_str();
        f.write_str(s.strip_suffix('/').unwrap_or(s))
    }
}

impl serde::Serialize for StoreUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for StoreUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::StoreUrlErrorKind as K;
    use super::*;
    use proptest::prelude::*;

    const KEY: &str = "ck_0123456789abcdef0123456789abcdef01234567";
    const SECRET: &str = "cs_89abcdef0123456789abcdef0123456789abcdef";

    fn parse(input: &str) -> Result<StoreUrl, StoreUrlError> {
        input.parse()
    }

    /// Every normalization rule, one row each: input → Display, or input → error kind.
    #[test]
    fn normalizes_what_people_paste() {
        // One row per line reads as a table; rustfmt would break the long rows.
        #[rustfmt::skip]
        let ok: &[(&str, &str)] = &[
            // Surrounding whitespace, quotes, angle brackets.
            ("  https://s.example \n", "https://s.example"),
            ("\"https://s.example\"", "https://s.example"),
            ("'s.example'", "https://s.example"),
            ("`https://s.example/`", "https://s.example"),
            ("<https://s.example>", "https://s.example"),
            // Scheme: assumed, case-insensitive, and never `localhost:` as a scheme.
            ("s.example", "https://s.example"),
            ("HTTPS://S.Example", "https://s.example"),
            ("http://s.example", "http://s.example"),
            ("localhost:8080", "https://localhost:8080"),
            ("s.example:8443/x", "https://s.example:8443/x"),
            ("https:s.example", "https://s.example"),
            // Hosts: IDN to punycode, IPv4, IPv6, localhost, a sentence-ending dot.
            ("bücher.example", "https://xn--bcher-kva.example"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("https://[::1]:8443", "https://[::1]:8443"),
            ("http://localhost", "http://localhost"),
            ("localhost", "https://localhost"),
            ("https://s.example.", "https://s.example"),
            // Single-label hosts: allowed when a scheme or port shows intent (docker compose).
            ("http://wordpress", "http://wordpress"),
            ("wordpress:8080", "https://wordpress:8080"),
            // Ports: kept, default dropped.
            ("https://s.example:443", "https://s.example"),
            ("http://s.example:80/", "http://s.example"),
            ("https://s.example:80", "https://s.example:80"),
            // Query and fragment.
            ("https://s.example/?consumer_secret=cs_x", "https://s.example"),
            ("https://s.example/#top", "https://s.example"),
            // Slashes.
            ("https://s.example///", "https://s.example"),
            ("https://x.example//shop//", "https://x.example/shop"),
            // REST API paths, with and without a subdirectory.
            ("https://s.example/wp-json", "https://s.example"),
            ("https://s.example/wp-json/", "https://s.example"),
            ("https://s.example/wp-json/wc/v3", "https://s.example"),
            ("https://s.example/wp-json/wc/v2/products", "https://s.example"),
            ("https://x.example/shop/wp-json/wc/v3", "https://x.example/shop"),
            ("https://x.example/Shop/WP-JSON/wc/v3", "https://x.example/Shop"),
            ("https://s.example/index.php?rest_route=/wc/v3", "https://s.example"),
            ("https://s.example/?rest_route=/wc/v3", "https://s.example"),
            // Admin and other WordPress internals.
            ("https://s.example/wp-admin/", "https://s.example"),
            ("https://s.example/wp-admin/admin.php?page=wc-settings&tab=advanced&section=keys", "https://s.example"),
            ("https://x.example/shop/wp-login.php", "https://x.example/shop"),
            ("https://s.example/xmlrpc.php", "https://s.example"),
            ("https://s.example/wp-content/uploads/a.png", "https://s.example"),
            ("https://s.example/wp-includes/js/x.js", "https://s.example"),
            // Deeper subdirectories keep their case.
            ("https://x.example/EU/Shop/", "https://x.example/EU/Shop"),
        ];
        for (input, expected) in ok {
            match parse(input) {
                Ok(store) => assert_eq!(store.to_string(), *expected, "input {input:?}"),
                Err(e) => panic!("input {input:?} refused: {e}"),
            }
        }
        #[rustfmt::skip]
        let refused: &[(&str, K)] = &[
            ("", K::Empty),
            ("  \"\"  ", K::Empty),
            (KEY, K::LooksLikeCredential),
            (SECRET, K::LooksLikeCredential),
            (
                "0123456789abcdef0123456789abcdef01234567",
                K::LooksLikeCredential,
            ),
            ("ftp://s.example", K::UnsupportedScheme),
            ("file:///etc/passwd", K::UnsupportedScheme),
            ("javascript:alert(1)", K::UnsupportedScheme),
            ("mailto:owner@s.example", K::UnsupportedScheme),
            ("https://user:pass@s.example", K::UserInfo),
            ("admin@s.example", K::UserInfo),
            ("not a url", K::Whitespace),
            ("https://exa mple.com", K::Whitespace),
            ("https://", K::MissingHost),
            ("http:///x", K::MissingHost),
            ("..", K::InvalidHost),
            ("https://shop..example.com", K::InvalidHost),
            ("https://exa<mple.com", K::InvalidHost),
            ("https://[::1", K::InvalidHost),
            // A bare word is most likely a typo for the full name.
            ("shop", K::SingleLabelHost),
            ("https://x.example:99999", K::InvalidPort),
            ("https://x.example:0", K::InvalidPort),
            ("localhost:abc", K::InvalidPort),
        ];
        for (input, expected) in refused {
            match parse(input) {
                Ok(store) => panic!("input {input:?} accepted as {store}"),
                Err(e) => assert_eq!(e.kind(), *expected, "input {input:?}: {e}"),
            }
        }
    }

    fn notes_for(input: &str) -> Vec<String> {
        StoreUrl::parse_with_notes(input).unwrap().1
    }

    #[test]
    fn notes_say_what_was_changed_and_nothing_when_nothing_was() {
        assert!(notes_for("https://shop.example.com/").is_empty());
        assert_eq!(
            notes_for("shop.example.com"),
            ["assumed https:// (no scheme was given)"]
        );
        assert_eq!(
            notes_for("https://example.com/shop/wp-json/wc/v3"),
            ["removed the REST API path /wp-json/wc/v3"]
        );
        let admin = notes_for("https://x.example/wp-admin/admin.php?page=wc-settings&tab=advanced");
        assert_eq!(
            admin,
            [
                "removed the query string (the part after ?)",
                "removed the admin page path /wp-admin/admin.php",
            ]
        );
        assert_eq!(notes_for("x.example/#a").len(), 2);
        let secret_query = format!("https://x.example/wp-json/wc/v3?consumer_secret={SECRET}");
        assert!(notes_for(&secret_query).iter().all(|n| !n.contains("cs_")));
    }

    #[test]
    fn errors_show_what_was_understood_and_what_to_enter() {
        let e = parse("ftp://shop.example").unwrap_err().to_string();
        assert_eq!(
            e,
            "\"ftp://shop.example\" is not a store address: woolink needs an http:// or https:// address. Enter the address of the store's home page, e.g. https://shop.example.com"
        );
        let e = parse("mailto:owner@shop.example").unwrap_err().to_string();
        assert!(e.starts_with("\"mailto:…\" is not a store address"), "{e}");
        let e = parse("..").unwrap_err().to_string();
        assert!(e.contains("the host \"..\" has an empty part"), "{e}");
        let e = parse("shop").unwrap_err().to_string();
        assert!(e.contains("the host \"shop\" has no dot"), "{e}");
        assert!(e.contains("https://shop.example.com"), "{e}");
        let long = format!("https://exa mple.com/{}", "x".repeat(200));
        let e = parse(&long).unwrap_err().to_string();
        assert!(e.len() < 250 && e.contains("…\""), "{e}");
    }

    #[test]
    fn errors_never_repeat_a_query_userinfo_or_credential() {
        let cases = [
            ("https://owner:hunter2@shop.example.com/", "hunter2"),
            ("owner:hunter2@shop.example.com", "hunter2"),
            ("https:owner:hunter2@shop", "hunter2"),
            (
                "https://exa mple.com/?consumer_secret=cs_abc",
                "consumer_secret",
            ),
            ("ftp://shop.example/#hunter2", "hunter2"),
            (KEY, "0123456789"),
            (SECRET, "89abcdef"),
            (&format!("https://exa mple.com/{KEY}"), "0123456789"),
        ];
        for (input, secret) in cases {
            let e = parse(input).unwrap_err();
            assert!(!e.to_string().contains(secret), "{input:?}: {e}");
            assert!(!format!("{e:?}").contains(secret), "{input:?}: {e:?}");
        }
        let e = parse("https://owner:hunter2@shop.example.com").unwrap_err();
        assert!(
            e.to_string().contains("\"https://shop.example.com\""),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("asks for the consumer key and secret separately")
        );
    }

    #[test]
    fn accessors() {
        let sub = parse("https://www.Example.com:8443/Shop/EU/wp-json").unwrap();
        assert_eq!(
            sub.as_url().as_str(),
            "https://www.example.com:8443/Shop/EU/"
        );
        assert_eq!(
            sub.as_url().join("wp-json/wc/v3/").unwrap().as_str(),
            "https://www.example.com:8443/Shop/EU/wp-json/wc/v3/"
        );
        assert_eq!(sub.origin_string(), "https://www.example.com:8443");
        assert_eq!(sub.host_for_name(), "example.com-shop-eu");
        assert!(sub.is_https() && !sub.is_loopback());
        let v6 = parse("http://[::1]:8080").unwrap();
        assert_eq!(v6.to_string(), "http://[::1]:8080");
        assert_eq!(v6.origin_string(), "http://[::1]:8080");
        assert_eq!(v6.host_for_name(), "ipv6-1");
        assert!(!v6.is_https() && v6.is_loopback());
        for loopback in [
            "localhost",
            "http://app.localhost",
            "127.0.0.2",
            "http://127.0.0.1:9",
        ] {
            assert!(parse(loopback).unwrap().is_loopback(), "{loopback}");
        }
        for remote in ["localhost.example.com", "10.0.0.1", "http://[2001:db8::1]"] {
            assert!(!parse(remote).unwrap().is_loopback(), "{remote}");
        }
        assert_eq!(
            parse("bücher.example/ü").unwrap().host_for_name(),
            "xn--bcher-kva.example-c3-bc"
        );
    }

    #[test]
    fn from_url_applies_the_same_rules_and_accepts_store_named_hosts() {
        let learned = Url::parse("https://Example.com/shop/?lang=en#x").unwrap();
        let store = StoreUrl::from_url(&learned).unwrap();
        assert_eq!(store, parse("https://example.com/shop").unwrap());
        assert!(StoreUrl::from_url(&Url::parse("http://wordpress/").unwrap()).is_ok());
        let ftp = StoreUrl::from_url(&Url::parse("ftp://example.com/").unwrap()).unwrap_err();
        assert_eq!(ftp.kind(), K::UnsupportedScheme);
        let userinfo = Url::parse("https://a:hunter2@example.com/").unwrap();
        let e = StoreUrl::from_url(&userinfo).unwrap_err();
        assert!(e.kind() == K::UserInfo && !e.to_string().contains("hunter2"));
    }

    #[test]
    fn serializes_as_the_display_string() {
        let store = parse("example.com/shop/").unwrap();
        let json = serde_json::to_string(&store).unwrap();
        assert_eq!(json, "\"https://example.com/shop\"");
        assert_eq!(serde_json::from_str::<StoreUrl>(&json).unwrap(), store);
    }

    fn host() -> impl Strategy<Value = String> {
        let label = "[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?";
        (prop::collection::vec(label, 1..3), "[a-zA-Z]{2,6}")
            .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
    }

    proptest! {
        #[test]
        fn never_panics(input in ".{0,60}") {
            let _ = StoreUrl::parse_with_notes(&input);
        }

        #[test]
        fn never_panics_on_url_like_input(input in "[a-z:/@?#\\[\\]%.0-9 \\\\-]{0,30}") {
            let _ = StoreUrl::parse_with_notes(&input);
        }

        #[test]
        fn errors_and_notes_never_repeat_a_query(prefix in ".{0,40}") {
            let input = format!("{prefix}?consumer_secret=SECRETVALUE#SECRETFRAG");
            let text = match StoreUrl::parse_with_notes(&input) {
                Ok((_, notes)) => notes.join("\n"),
                Err(e) => e.to_string(),
            };
            prop_assert!(!text.contains("SECRETVALUE") && !text.contains("SECRETFRAG"), "{}", text);
        }

        #[test]
        fn errors_never_repeat_userinfo(rest in ".{0,40}") {
            let input = format!("https://owner:SECRETPASS@{rest}");
            let e = parse(&input).unwrap_err();
            prop_assert!(!e.to_string().contains("SECRETPASS"), "{}", e);
        }

        #[test]
        fn normalizing_again_changes_nothing(
            scheme in prop::sample::select(vec!["", "http://", "https://", "HTTPS://"]),
            host in host(),
            port in prop::option::of(1u16..),
            path in prop::collection::vec("[A-Za-z0-9._~-]{1,8}", 0..4),
            tail in prop::sample::select(vec!["", "/", "//", "/wp-json/wc/v3", "?a=b", "#f"]),
        ) {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let input = format!("{scheme}{host}{port}/{}{tail}", path.join("/"));
            let first = parse(&input).unwrap();
            let again = parse(&first.to_string()).unwrap();
            prop_assert_eq!(&again, &first);
            let host = host.to_ascii_lowercase();
            prop_assert_eq!(again.as_url().host_str(), Some(host.as_str()));
            prop_assert!(again.as_url().path().ends_with('/'));
        }
    }
}
