//! Why a key could not be proven: one variant per diagnosis, each with the message a person
//! reads, and its class (`ProbeError::class`): a stable `kind` for `--json` (the variant's name
//! in snake case, so a renamed variant changes what scripts read) and its exit code.

use url::Url;

use super::verdict::{Challenge, StoreTrouble};
use crate::domain::exit::Failure;
use crate::domain::keys::ConsumerKey;
use crate::http::{ProxyFailure, TlsProblem, TransportError};

/// Why the key could not be proven. Every message names the store, shows the key only as
/// `ck_…last7`, and says what to do.
#[derive(
    Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr, strum::VariantNames,
)]
#[strum(serialize_all = "snake_case")]
pub enum ProbeError {
    #[error("could not reach {store}: {cause}. Check the address, and that the store is online.")]
    Unreachable {
        store: String,
        cause: TransportError,
    },
    #[error(
        "{store} sent an answer woolink cannot use: {cause}. Something between woolink and WordPress (a proxy, CDN, security plugin, or a PHP error) is damaging answers; the web server's error log may say why."
    )]
    BrokenAnswer {
        store: String,
        cause: TransportError,
    },
    #[error(
        "could not reach {store}: {failure}. Check the proxy, or the {} variable; to reach the store without it, add its host to NO_PROXY.",
        .failure.variable
    )]
    Proxy {
        store: String,
        failure: ProxyFailure,
    },
    #[error(
        "{store} speaks HTTPS on this port, not plain http: use {https} (the same address with https://) and try again."
    )]
    HttpsPort { store: String, https: String },
    #[error(
        "{store} did not answer in time. Check that the store is online, or allow more time with --timeout SECONDS."
    )]
    Timeout { store: String },
    #[error("could not connect securely to {store}: {problem}. {}", .problem.advice())]
    Tls { store: String, problem: TlsProblem },
    #[error(
        "{store} redirects in a loop. Check WordPress Address and Site Address in Settings > General, and the web server's redirect rules."
    )]
    RedirectLoop { store: String },
    #[error(
        "{store} answered, but redirects to {target}, which cannot be used: {cause}. The redirect is the store's (its WordPress Address and Site Address in Settings > General, or the web server's redirect rules): fix it there, or give the address the store is really at."
    )]
    RedirectTargetFailed {
        store: String,
        target: String,
        cause: String,
    },
    #[error(
        "{store} redirects from https to plain http ({to}). woolink does not send credentials over plain http. Set WordPress Address and Site Address to https:// in Settings > General, or fix the web server's redirect."
    )]
    HttpsDowngrade {
        store: String,
        to: crate::domain::redact::DisplaySafeUrl,
    },
    #[error(
        "{typed} sends visitors to {canonical}, another address. woolink sends credentials only to the store you name. If {canonical} is your store, run again with that address."
    )]
    MovedElsewhere { typed: String, canonical: String },
    #[error(
        "{store} is served over plain http, which would show your key and your shop's data to anyone on the network. Turn on HTTPS for the store (recommended), or pass --allow-http to sign requests with OAuth 1.0a (the secret is never sent, but everything else travels unencrypted)."
    )]
    PlainHttpRefused { store: String },
    #[error(
        "{store} answered with {} (HTTP {}) instead of WordPress. Allow requests to /wp-json/ in the firewall or CDN settings (for example a rule that skips the challenge for /wp-json/wc/), then try again.",
        .challenge.vendor.map(|v| format!("a {v} challenge page")).unwrap_or_else(|| "a firewall page".to_owned()),
        .challenge.status
    )]
    FirewallChallenge { store: String, challenge: Challenge },
    #[error(
        "{store} does not look like a WordPress site: its pages carry no REST API link and it has no REST index (HTTP {status}). Check the address: it should be the store's home page."
    )]
    NotWordpress { store: String, status: u16 },
    #[error(
        "{store} runs WordPress, but WooCommerce's REST API (wc/v3) is not there. Check in WordPress admin > Plugins that WooCommerce is installed and active."
    )]
    NoWoocommerce { store: String },
    #[error(
        "{store} uses \"Plain\" permalinks and did not accept the key {key}. Most likely its WooCommerce is older than 11.1, which ignores API keys with Plain permalinks: in WordPress admin open Settings > Permalinks, choose any structure except \"Plain\" (for example \"Post name\"), save, and try again. If the store runs WooCommerce 11.1 or later, the key is unknown or revoked: look for a key ending in {} at {admin}.",
        .key.suffix()
    )]
    PlainPermalinks {
        store: String,
        key: ConsumerKey,
        admin: String,
    },
    #[error(
        "{store} believes it is served over plain http, so WooCommerce ignores keys sent over HTTPS. This happens behind a proxy, load balancer or CDN that handles HTTPS without telling WordPress (for example Cloudflare's \"Flexible\" SSL). {}. Make WordPress see HTTPS: in wp-config.php, set $_SERVER['HTTPS'] = 'on' when the proxy's X-Forwarded-Proto header ($_SERVER['HTTP_X_FORWARDED_PROTO']) is 'https' (or use the CDN's \"Full\" TLS mode); then try again.",
        if *.key_works { "The key itself works (the store accepted it in a request signed for http://), but WordPress must see HTTPS before woolink links the store" } else { "The key could not be checked until this is fixed: WordPress's login page redirects to itself, the sign of this set-up, and the store accepted the key neither over HTTPS nor signed for http://" }
    )]
    HttpsNotDetected { store: String, key_works: bool },
    #[error(
        "{store} asks for the web server's own password{} before WordPress answers (a staging site's protection, not the WooCommerce key). Give its user name with --site-user NAME (or WOOLINK_SITE_USER) and its password in WOOLINK_SITE_PASSWORD or at the prompt.",
        .realm.as_ref().map(|realm| format!(" (\"{realm}\")")).unwrap_or_default()
    )]
    SitePasswordRequired {
        store: String,
        realm: Option<String>,
    },
    #[error(
        "{store} did not accept the site user name and password{} (the web server's own login, asked before WordPress). Check them with whoever runs the site (WOOLINK_SITE_USER / --site-user and WOOLINK_SITE_PASSWORD).",
        .realm.as_ref().map(|realm| format!(" for \"{realm}\"")).unwrap_or_default()
    )]
    SitePasswordRejected {
        store: String,
        realm: Option<String>,
    },
    #[error(
        "{store} answered the key check from a cache ({header}), so the answer was made for an earlier request and says nothing about this key. The REST API must not be cached: exclude /wp-json/ (or the store's REST prefix) in the CDN or caching plugin, then try again."
    )]
    CachedAnswer { store: String, header: String },
    #[error(
        "{store} is limiting requests (HTTP 429) and kept turning woolink's checks away, so the key was not checked. {}; if this goes on, ask the host to allow more requests to /wp-json/ from this address.",
        .when.as_ref().map_or_else(|| "Try again in a minute".to_owned(), |when| format!("The store asks to be asked again {when}"))
    )]
    RateLimited { store: String, when: Option<String> },
    #[error(
        "{store} refused the key check before WooCommerce saw the key: HTTP 403 \"{code}\" is not WooCommerce's answer, whether the key is sent as HTTP Basic or in the query string. A security, login or JWT plugin is refusing REST requests; allow /wp-json/wc/ requests with WooCommerce keys in its settings, then try again."
    )]
    RefusedBeforeWoocommerce { store: String, code: String },
    #[error(
        "{store} refused the key {key}: its consumer secret is wrong, or the key has no Read permission (WooCommerce gives both the same answer, and a firewall rule kept woolink's write checks from telling them apart). Check the secret, and the key's Permissions at {admin}."
    )]
    ReadRefused {
        store: String,
        key: ConsumerKey,
        admin: String,
    },
    #[error(
        "{store} is temporarily unavailable (HTTP 503, for example WordPress's maintenance mode during an update); try again {when}."
    )]
    StoreUnavailable { store: String, when: String },
    #[error(
        "{store} has an internal error (HTTP {status}): WordPress or a plugin failed before it could answer. The store's PHP error log says why (WordPress also emails the site admin about a critical error); try again once it is fixed."
    )]
    StoreError { store: String, status: u16 },
    #[error(
        "{store} does not recognise the key {key}: it may have been revoked or deleted, or belong to another store.{plugin} Look for a key ending in {} at {admin}, or create a new one there.",
        .key.suffix()
    )]
    UnknownKey {
        store: String,
        key: ConsumerKey,
        admin: String,
        plugin: String,
    },
    #[error(
        "{store} knows the key {key}, but the consumer secret does not match it. Copy the secret again; if it is lost (WooCommerce shows it only once), revoke the key and create a new one at {admin}."
    )]
    WrongSecret {
        store: String,
        key: ConsumerKey,
        admin: String,
    },
    #[error(
        "{store} refused the signed request for the key {key}: the key is unknown or revoked, the secret is wrong, or this computer's clock is more than 15 minutes off. The store said: \"{message}\"{} Check the key at {admin}.",
        crate::domain::text::full_stop_after_quote(.message)
    )]
    OauthRejected {
        store: String,
        key: ConsumerKey,
        admin: String,
        message: String,
    },
    #[error(
        "the key {key} has Write permission only; woolink needs Read or Read/Write. Edit the key at {admin} and set Permissions to Read or Read/Write."
    )]
    WriteOnlyKey { key: ConsumerKey, admin: String },
    #[error(
        "the key {key} is valid, but the WordPress user it belongs to may not view the shop's data (for example a Customer). Edit the key at {admin} and choose a user who is an Administrator or Shop Manager."
    )]
    UserLacksCapability { key: ConsumerKey, admin: String },
    #[error(
        "{store} redirected the API request to {location}. woolink never sends credentials through a redirect. Use the store's canonical address, and check the web server's redirect rules for /wp-json/."
    )]
    ApiRedirected { store: String, location: String },
    #[error(
        "{store} gave an answer WooCommerce never gives: HTTP {status}{}. {}",
        if *.json { " with JSON of another shape than WooCommerce's" } else { " and not JSON" },
        if *.status >= 500 { "The store had an internal error; its PHP error log says why." } else { "A plugin, cache or security rule may be changing answers under /wp-json/." }
    )]
    UnexpectedAnswer {
        store: String,
        status: u16,
        json: bool,
    },
}

impl ProbeError {
    /// Its `kind` for `--json` (the variant's name in snake case) and its class of failure
    /// (`exit.rs`): 2 input, 3 store not usable, 4 credentials or access.
    pub fn class(&self) -> (&'static str, Failure) {
        let failure = match self {
            ProbeError::PlainHttpRefused { .. } => Failure::Usage,
            ProbeError::SitePasswordRejected { .. }
            | ProbeError::ReadRefused { .. }
            | ProbeError::UnknownKey { .. }
            | ProbeError::WrongSecret { .. }
            | ProbeError::OauthRejected { .. }
            | ProbeError::WriteOnlyKey { .. }
            | ProbeError::UserLacksCapability { .. } => Failure::Credentials,
            // Code 4 needs evidence that the credentials themselves were judged
            // (docs/exit-codes.md): every other diagnosis, and any new one, is the store's.
            _ => Failure::Store,
        };
        (self.into(), failure)
    }

    /// The error for a store that answered with `trouble` instead of WordPress.
    /// `site_login_given`: the web server's own login was sent (and so refused, if asked for).
    pub(super) fn from_trouble(
        store: String,
        trouble: StoreTrouble,
        site_login_given: bool,
    ) -> ProbeError {
        // Header values quoted from the store, shown as one line of visible text.
        let shown = |text: &str| crate::domain::text::visible_line(text).into_owned();
        match trouble {
            StoreTrouble::Challenge(challenge) => {
                ProbeError::FirewallChallenge { store, challenge }
            }
            StoreTrouble::SitePassword { realm } => {
                let realm = realm.as_deref().map(shown);
                if site_login_given {
                    ProbeError::SitePasswordRejected { store, realm }
                } else {
                    ProbeError::SitePasswordRequired { store, realm }
                }
            }
            StoreTrouble::Unavailable { retry_after } => ProbeError::StoreUnavailable {
                store,
                when: retry_after
                    .as_deref()
                    .map_or_else(|| "in a few minutes".to_owned(), retry_when),
            },
            StoreTrouble::Limited { retry_after } => ProbeError::RateLimited {
                store,
                when: retry_after.as_deref().map(retry_when),
            },
            StoreTrouble::ServerError { status } => ProbeError::StoreError { store, status },
            StoreTrouble::Cached { header } => ProbeError::CachedAnswer {
                store,
                header: shown(&header),
            },
        }
    }

    /// The error for a request to `store` (as shown) that got no answer.
    pub(super) fn transport(store: String, cause: TransportError) -> ProbeError {
        match cause {
            TransportError::Timeout => ProbeError::Timeout { store },
            TransportError::HttpsPort { https } => ProbeError::HttpsPort { store, https },
            cause @ (TransportError::TooLarge { .. }
            | TransportError::HeadersTooLarge
            | TransportError::Cut) => ProbeError::BrokenAnswer { store, cause },
            TransportError::Tls(problem) => ProbeError::Tls { store, problem },
            TransportError::Proxy(failure) => ProbeError::Proxy { store, failure },
            cause => ProbeError::Unreachable { store, cause },
        }
    }

    /// The store redirected to `target`, which got no answer: the message names the redirect
    /// and its target, never the store the person typed as the address that failed.
    pub(super) fn redirect_target(
        store: String,
        target: &Url,
        cause: TransportError,
    ) -> ProbeError {
        let target = shown_target(target);
        let cause = match cause {
            // TLS and proxy failures at the target keep their own advice, for the target.
            cause @ (TransportError::Tls(_) | TransportError::Proxy(_)) => {
                return ProbeError::transport(target, cause);
            }
            TransportError::Dns => "its host name could not be found (DNS)".to_owned(),
            TransportError::Refused => {
                "the connection to it was refused (nothing is listening on that address and port)"
                    .to_owned()
            }
            TransportError::Timeout => "it did not answer in time".to_owned(),
            TransportError::HttpsPort { https } => {
                format!("its port speaks HTTPS, not plain http ({https})")
            }
            cause => cause.to_string(),
        };
        ProbeError::RedirectTargetFailed {
            store,
            target,
            cause,
        }
    }

    /// The store redirected to `target`, an address that is not http:// or https://.
    pub(super) fn redirect_scheme(store: String, target: &Url) -> ProbeError {
        ProbeError::RedirectTargetFailed {
            store,
            target: shown_target(target),
            cause: format!(
                "it is a {}: address, and woolink follows redirects only to http:// and https://",
                crate::domain::text::visible_line(target.scheme())
            ),
        }
    }
}

/// A redirect's target as messages show it: without its query, as one line.
fn shown_target(target: &Url) -> String {
    let target = crate::domain::redact::DisplaySafeUrl::without_query(target).to_string();
    crate::domain::text::visible_line(&crate::domain::store_url::shown_address(&target))
        .into_owned()
}

/// `Retry-After` in words: seconds ("in 10 minutes", "at once" for 0) or an HTTP date
/// ("after <date>"), as one line of visible text. Also how `woolink api` words a busy store's
/// answer.
pub fn retry_when(value: &str) -> String {
    let Ok(seconds) = value.trim().parse::<u64>() else {
        // A date, as a store sent it; a hostile store gets no more than a line.
        let date: String = value.trim().chars().take(40).collect();
        return format!("after {}", crate::domain::text::visible_line(&date));
    };
    let (count, unit) = match seconds {
        0 => return "at once".to_owned(),
        1..60 => (seconds, "second"),
        60..3600 => (seconds.div_ceil(60), "minute"),
        _ => (seconds.div_ceil(3600), "hour"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("in {count} {unit}{plural}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kind is what scripts read, and it is the variant's name: a variant renamed without
    /// its kind being documented fails here, where nothing else would notice.
    #[test]
    fn every_kind_is_documented() {
        use strum::VariantNames;
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reference.md");
        let reference = std::fs::read_to_string(path).unwrap();
        for kind in ProbeError::VARIANTS {
            assert!(
                reference.contains(&format!("`{kind}`")),
                "the kind `{kind}` is not in docs/reference.md"
            );
        }
    }

    #[test]
    fn kinds_are_the_variant_names_in_snake_case() {
        let store = || "https://s.example".to_owned();
        let key = || ConsumerKey::parse("ck_0123456789abcdef0123456789abcdef01234567").unwrap();
        let admin = || "admin".to_owned();
        let cases = [
            (
                ProbeError::PlainHttpRefused { store: store() },
                "plain_http_refused",
            ),
            (
                ProbeError::RefusedBeforeWoocommerce {
                    store: store(),
                    code: "x".into(),
                },
                "refused_before_woocommerce",
            ),
            (
                ProbeError::ReadRefused {
                    store: store(),
                    key: key(),
                    admin: admin(),
                },
                "read_refused",
            ),
            (
                ProbeError::ApiRedirected {
                    store: store(),
                    location: "x".into(),
                },
                "api_redirected",
            ),
            (
                ProbeError::NotWordpress {
                    store: store(),
                    status: 404,
                },
                "not_wordpress",
            ),
            (
                ProbeError::OauthRejected {
                    store: store(),
                    key: key(),
                    admin: admin(),
                    message: String::new(),
                },
                "oauth_rejected",
            ),
        ];
        for (err, kind) in cases {
            assert_eq!(err.class().0, kind);
        }
        assert_eq!(
            ProbeError::PlainHttpRefused { store: store() }.class().1,
            Failure::Usage
        );
    }

    #[test]
    fn retry_after_in_words() {
        let cases = [
            ("600", "in 10 minutes"),
            ("0", "at once"),
            ("1", "in 1 second"),
            ("90", "in 2 minutes"),
            ("7200", "in 2 hours"),
            (
                "Wed, 21 Oct 2026 07:28:00 GMT",
                "after Wed, 21 Oct 2026 07:28:00 GMT",
            ),
            ("soon\x1b[2J", "after soon\\x1b[2J"),
        ];
        for (value, expected) in cases {
            assert_eq!(retry_when(value), expected);
        }
    }
}
