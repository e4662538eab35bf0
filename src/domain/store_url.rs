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

use crate::domain::keys::trim_pasted;
use crate::domain::redact::hide_credential_words;

mod look_alike;

/// What every refusal suggests instead.
const ADVICE: &str = "Enter the address of the store's home page, e.g. https://shop.example.com";
const BAD_PORT: &str = "the port is not a number from 1 to 65535";
const NOT_WEB: &str = "woolink needs an http:// or https:// address";
const NO_HOST: &str = "it has no host name after the scheme";
/// Error messages quote at most this much of the input, so a pasted paragraph stays readable.
const SHOWN_MAX: usize = 80;
/// Longer than any store's home page address (browsers and servers stop near 2,000-8,000);
/// a longer text is pasted by mistake, and would fill every message that names the store.
const MAX_LEN: usize = 2048;
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

/// Why an address cannot be a store address. The message is a full sentence safe to print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreUrlError(String);

impl StoreUrlError {
    /// `"<shown>" is not a store address: <reason>`, and the common advice.
    fn new(shown: &str, reason: &str) -> Self {
        Self::with_own_advice(shown, &format!("{reason}. {ADVICE}"))
    }

    /// The same for a reason that already says exactly what to enter instead.
    fn with_own_advice(shown: &str, reason: &str) -> Self {
        Self(format!("\"{shown}\" is not a store address: {reason}"))
    }
}

impl StoreUrl {
    /// Normalizes what a person pastes, and says what was changed beyond cosmetics.
    pub fn parse_with_notes(input: &str) -> Result<(StoreUrl, Vec<String>), StoreUrlError> {
        let text = trim_pasted(input);
        if text.is_empty() {
            return Err(StoreUrlError(format!(
                "no store address was given. {ADVICE}"
            )));
        }
        if looks_like_credential(text) {
            // Not even a redacted excerpt: the whole input is the secret.
            return Err(StoreUrlError(format!(
                "this looks like a consumer key or secret, not a store address (it is not shown here). {ADVICE}; woolink asks for the consumer key and secret separately"
            )));
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

    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// Loopback hosts may use plain http: nothing crosses a network.
    pub fn is_loopback(&self) -> bool {
        match self.url.host() {
            Some(Host::Domain(d)) => d == "localhost" || is_under_localhost(d),
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }

    /// A default account name: the host without `www.`, then `-PORT` for a port other than the
    /// scheme's own (two stores on one host are two accounts), then `-sub-path` for a
    /// subdirectory install, in `[a-z0-9.-]` only and at most [`MAX_ACCOUNT_NAME_LEN`] characters,
    /// so that it is always a valid account name. A `:` cannot be used: account names appear
    /// in keychain entries and command lines, so they keep to letters, digits, `.`, `-`, `_`.
    pub fn host_for_name(&self) -> String {
        let host = match self.url.host() {
            Some(Host::Ipv6(ip)) => format!("ipv6:{ip}"),
            _ => {
                let host = self.url.host_str().unwrap_or_default();
                host.strip_prefix("www.").unwrap_or(host).to_owned()
            }
        };
        // `Url::port` is `None` for the scheme's default port, even when it was typed.
        let port = self.url.port().map(|port| format!(":{port}"));
        let name = format!("{host}{}{}", port.unwrap_or_default(), self.url.path());
        // Each run of other characters (`::`, `/%C3`, `_`) becomes one '-'; existing "--"
        // stays, since punycode hosts (`xn--bcher-kva`) need it.
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
        let lower = name.to_ascii_lowercase();
        let runs: Vec<&str> = lower
            .split(|c| !allowed(c))
            .filter(|s| !s.is_empty())
            .collect();
        let mut out: String = runs
            .join("-")
            .trim_matches('-')
            .chars()
            .take(MAX_ACCOUNT_NAME_LEN)
            .collect();
        // Cut short, a name should not end in the middle of a separator.
        out.truncate(out.trim_end_matches(['-', '.']).len());
        out
    }

    /// The address as a person reads it: an internationalized host in its Unicode form
    /// (`https://bücher.example`), where [`Display`](fmt::Display) keeps the ASCII form that
    /// is the account's identity (`https://xn--bcher-kva.example`). For messages only.
    pub fn shown(&self) -> String {
        shown_address(&self.to_string())
    }

    /// Why the store's host could pass for another (mixed scripts, look-alike letters), in
    /// words; such a host is shown as punycode, never in its Unicode form.
    pub fn look_alike(&self) -> Option<String> {
        match self.url.host() {
            Some(Host::Domain(domain)) => look_alike::look_alike(domain),
            _ => None,
        }
    }

    /// The warning for a store whose host could pass for another: the address as shown
    /// (punycode), why, and what to check. `None` for any other store.
    pub fn look_alike_warning(&self) -> Option<String> {
        self.look_alike().map(|why| {
            format!(
                "{} is shown in its punycode form: its host {why}, as look-alike addresses do (a Cyrillic \"о\" for a Latin \"o\", say). Make sure it is the store you mean.",
                self.shown()
            )
        })
    }
}

/// The longest account name (checked for a typed name by connect).
pub const MAX_ACCOUNT_NAME_LEN: usize = 64;

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
        return Err(StoreUrlError::new(shown, reason));
    }
    let lower = text.to_ascii_lowercase();
    if let Some((scheme, rest)) = split_scheme(text) {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(StoreUrlError::new(shown, NOT_WEB));
        }
        // The url crate reads `http:///x` as `http://x`; three slashes is a slip, not a host.
        if rest.starts_with(['/', '\\']) || rest.is_empty() {
            return Err(StoreUrlError::new(shown, NO_HOST));
        }
        return Ok((text.to_owned(), true));
    }
    if let Some(scheme) = OPAQUE_SCHEMES.iter().find(|s| lower.starts_with(*s)) {
        // Only the scheme: the rest of `mailto:a@b` would be mangled by the userinfo rule.
        return Err(StoreUrlError::new(&format!("{scheme}…"), NOT_WEB));
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

/// Maps the url crate's refusal. Its messages never quote the input, so they are safe to add.
fn parse_error(error: url::ParseError, shown: &str) -> StoreUrlError {
    use url::ParseError as P;
    let refused = |reason: &str| StoreUrlError::new(shown, reason);
    match error {
        P::EmptyHost => StoreUrlError::new(shown, NO_HOST),
        P::InvalidPort => refused(BAD_PORT),
        P::InvalidIpv4Address | P::InvalidIpv6Address | P::InvalidDomainCharacter => {
            refused(&format!("the host name is not valid ({error})"))
        }
        P::IdnaError => refused("the host name is not a valid domain name"),
        _ => refused(&format!(
            "woolink could not read it as a web address ({error})"
        )),
    }
}

/// The rules that apply to any parsed URL, typed or learned from the store.
fn normalize(
    mut url: Url,
    shown: &str,
    single_label_ok: bool,
    notes: &mut Vec<String>,
) -> Result<StoreUrl, StoreUrlError> {
    if url.as_str().len() > MAX_LEN {
        let reason = format!(
            "it is {} characters long, and a store's address is at most {MAX_LEN}",
            url.as_str().len()
        );
        return Err(StoreUrlError::new(shown, &reason));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(StoreUrlError::new(shown, NOT_WEB));
    }
    if !url.username().is_empty() || url.password().is_some() {
        let reason = "it contains a user name or password. Remove them; woolink asks for the consumer key and secret separately.";
        return Err(StoreUrlError::with_own_advice(shown, reason));
    }
    normalize_host(&mut url, shown, single_label_ok, notes)?;
    if url.port() == Some(0) {
        return Err(StoreUrlError::new(shown, BAD_PORT));
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
        None => return Err(StoreUrlError::new(shown, NO_HOST)),
        Some(Host::Domain(d)) => d.to_owned(),
        Some(_) => return Ok(()),
    };
    let host = domain.strip_suffix('.').filter(|h| !h.is_empty());
    let host = host.unwrap_or(&domain);
    if host.split('.').any(str::is_empty) {
        let reason = format!("the host \"{domain}\" has an empty part between dots");
        return Err(StoreUrlError::new(shown, &reason));
    }
    if !host.contains('.') && host != "localhost" && !single_label_ok {
        let reason = format!(
            "the host \"{host}\" has no dot, so it is not a full host name; enter the full name (e.g. https://{host}.example.com), or write http://{host} if it really is a local network name"
        );
        return Err(StoreUrlError::with_own_advice(shown, &reason));
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
                truncate(&hide_credential_words(&removed), 60)
            ));
            &segments[..i]
        }
        None => &segments[..],
    };
    let kept: String = kept.iter().map(|segment| format!("{segment}/")).collect();
    format!("/{kept}")
}

/// A consumer key or secret pasted into the address prompt (`ck_…`, `cs_…`, or 40+ hex digits).
fn looks_like_credential(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.starts_with("ck_")
        || lower.starts_with("cs_")
        || (text.len() >= 40 && text.chars().all(|c| c.is_ascii_hexdigit() || c == '_'))
}

/// The input as an error may quote it: user info replaced by "…", without query and fragment, with
/// credential-looking words hidden, at most [`SHOWN_MAX`] characters.
fn shown(text: &str) -> String {
    let before_query = text.split(['?', '#']).next().unwrap_or_default();
    // The authority ends where the url crate ends it: at the first '/' or '\' after `://`.
    let start = split_scheme(before_query).map_or(0, |(scheme, _)| scheme.len() + 3);
    let authority = before_query[start..].split(['/', '\\']).next();
    // A login in the address is never echoed, but its place is marked: the person sees what
    // the message is about.
    let without_userinfo = match authority.unwrap_or_default().rfind('@') {
        Some(at) => format!(
            "{}…@{}",
            &before_query[..start],
            &before_query[start + at + 1..]
        ),
        None => before_query.to_owned(),
    };
    truncate(&hide_credential_words(&without_userinfo), SHOWN_MAX)
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

/// `address` (a URL) with an internationalized host in its Unicode form; anything else as it
/// is. A host that could pass for another (see `look_alike.rs`) keeps its punycode form, as
/// browsers show it.
pub fn shown_address(address: &str) -> String {
    let unicode = || {
        let url = Url::parse(address).ok()?;
        let punycode = |host: &&str| host.split('.').any(|label| label.starts_with("xn--"));
        let host = url.host_str().filter(punycode)?;
        if look_alike::look_alike(host).is_some() {
            return None;
        }
        let (unicode, result) = idna::domain_to_unicode(host);
        result.ok()?;
        Some(address.replacen(host, &unicode, 1))
    };
    // Only a punycode label is shown otherwise; most addresses have none and need no parsing.
    let shown = address.contains("xn--").then(unicode).flatten();
    shown.unwrap_or_else(|| address.to_owned())
}

/// `https://example.com/shop`: the path without its trailing slash, as people write it.
impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.url.as_str();
        f.write_str(s.strip_suffix('/').unwrap_or(s))
    }
}

/// `*.localhost`, in any case, with or without a final dot: names of this computer (RFC 6761),
/// for the loopback rule here and for the resolver, which sees hosts as they were written.
pub fn is_under_localhost(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    host.strip_suffix(".localhost")
        .is_some_and(|sub| !sub.is_empty() && !sub.ends_with('.'))
}

#[cfg(test)]
mod tests;
