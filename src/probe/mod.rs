//! The probe: proves against the live store that a key authenticates and what it may do.
//!
//! Order of events on a well-configured HTTPS store, all in one round trip: the home page
//! (for the API root), the REST index (for WooCommerce), an authenticated read and a write to
//! a route that does not exist are sent at once. The credentialed pair goes only to the origin
//! the user named and never follows a redirect; if discovery finds the API elsewhere, the pair
//! is sent again to the canonical root. The probe prints nothing and prompts for nothing.

mod discover;
pub mod root;
pub mod verdict;

use reqwest::Method;
use url::Url;

use discover::{DiscoveryError, discover};
pub use discover::{IndexState, Site, SiteIndex};
pub use root::ApiRoot;
use verdict::{Challenge, Verdict, judge};

use crate::account::{Access, AuthMethod};
use crate::http::{Answer, HttpClient, TlsProblem, TransportError};
use crate::keys::Credentials;
use crate::store_url::StoreUrl;

/// The read check: the cheapest request that needs read permission and shop capability.
const READ_ROUTE: &str = "wc/v3/products";
/// The write check: a write method to a route that does not exist changes nothing on the
/// store; the key's write permission is judged before WordPress looks for the route.
const WRITE_ROUTE: &str = "wc/v3/woolink-write-check";

#[derive(Debug, Clone, Copy)]
pub struct ProbeOptions {
    /// Allow plain http to a host that is not loopback (OAuth 1.0a signatures only).
    pub allow_http: bool,
    /// The whole probe, every request included, ends with [`ProbeError::TimedOut`] after this.
    pub time_limit: std::time::Duration,
}

/// What the probe proved.
#[derive(Debug, Clone)]
pub struct ProbeReport {
    /// The canonical store address (may differ from what was typed).
    pub store: StoreUrl,
    pub typed: StoreUrl,
    pub api_root: ApiRoot,
    pub site_name: Option<String>,
    pub access: Access,
    pub auth_method: AuthMethod,
    /// Things the user should know although the key works.
    pub notes: Vec<String>,
}

impl ProbeReport {
    pub fn moved(&self) -> bool {
        self.store != self.typed
    }
}

/// The WooCommerce REST API keys page of a store.
pub fn keys_admin_url(store: impl std::fmt::Display) -> String {
    format!("{store}/wp-admin/admin.php?page=wc-settings&tab=advanced&section=keys")
}

/// The page that opens WooCommerce's "Add key" form directly.
pub fn new_key_admin_url(store: impl std::fmt::Display) -> String {
    format!("{}&create-key=1", keys_admin_url(store))
}

/// A step the probe has passed, for showing progress as it happens. The probe itself prints
/// nothing; [`probe_observed`] hands each step to its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeStep<'a> {
    /// The store answered and is WordPress; `store` is its canonical address.
    Reached {
        store: &'a StoreUrl,
        site_name: Option<&'a str>,
    },
    /// WooCommerce's `wc/v3` REST API is there.
    WooCommerceFound,
    /// The store accepted the key, sent this way.
    KeyAccepted { auth_method: AuthMethod },
    /// What the key may do.
    AccessDecided { access: Access },
}

/// Why the key could not be proven. Every message names the store, shows the key only as
/// `ck_…last7`, and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("Could not reach {store}: {cause}. Check the address, and that the store is online.")]
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
        "{store} did not answer in time. Check that the store is online, or allow more time with --timeout SECONDS."
    )]
    TimedOut { store: String },
    #[error("Could not connect securely to {store}: {problem}. {advice}")]
    Tls {
        store: String,
        problem: TlsProblem,
        advice: &'static str,
    },
    #[error(
        "{store} redirects in a loop. Check WordPress Address and Site Address in Settings > General, and the web server's redirect rules."
    )]
    RedirectLoop { store: String },
    #[error(
        "{store} redirects from https to plain http ({to}). woolink does not send credentials over plain http. Set WordPress Address and Site Address to https:// in Settings > General, or fix the web server's redirect."
    )]
    Downgrade { store: String, to: String },
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
    Challenge { store: String, challenge: Challenge },
    #[error(
        "{store} does not look like a WordPress site: its pages carry no REST API link and it has no REST index (HTTP {status}). Check the address: it should be the store's home page."
    )]
    NotWordPress { store: String, status: u16 },
    #[error(
        "{store} runs WordPress, but WooCommerce's REST API (wc/v3) is not there. Check in WordPress admin > Plugins that WooCommerce is installed and active."
    )]
    NoWooCommerce { store: String },
    #[error(
        "{store} uses \"Plain\" permalinks and did not accept the key {key}. Most likely its WooCommerce is older than 11.1, which ignores API keys with Plain permalinks: in WordPress admin open Settings > Permalinks, choose any structure except \"Plain\" (for example \"Post name\"), save, and try again. If the store runs WooCommerce 11.1 or later, the key is unknown or revoked: look for a key ending in {suffix} at {admin}."
    )]
    PlainPermalinks {
        store: String,
        key: String,
        suffix: String,
        admin: String,
    },
    #[error(
        "{store} ignored the key: WordPress believes it is served over plain http (it reports http:// addresses), as happens behind a proxy or load balancer that handles HTTPS. Make the server tell WordPress about HTTPS (for example in wp-config.php: if X-Forwarded-Proto is https, set $_SERVER['HTTPS'] = 'on'), then try again."
    )]
    BehindProxy { store: String },
    #[error(
        "{store} does not recognise the key {key}: it may have been revoked or deleted, or belong to another store.{plugin} Look for a key ending in {suffix} at {admin}, or create a new one there."
    )]
    UnknownKey {
        store: String,
        key: String,
        suffix: String,
        admin: String,
        plugin: String,
    },
    #[error(
        "{store} knows the key {key}, but the consumer secret does not match it. Copy the secret again; if it is lost (WooCommerce shows it only once), revoke the key and create a new one at {admin}."
    )]
    WrongSecret {
        store: String,
        key: String,
        admin: String,
    },
    #[error(
        "{store} refused the signed request for the key {key}: the key is unknown or revoked, the secret is wrong, or this computer's clock is more than 15 minutes off. The store said: \"{message}\". Check the key at {admin}."
    )]
    OAuthRejected {
        store: String,
        key: String,
        admin: String,
        message: String,
    },
    #[error(
        "The key {key} has Write permission only; woolink needs Read or Read/Write. Edit the key at {admin} and set Permissions to Read or Read/Write."
    )]
    WriteOnly { key: String, admin: String },
    #[error(
        "The key {key} is valid, but the WordPress user it belongs to may not view the shop's data (for example a Customer). Edit the key at {admin} and choose a user who is an Administrator or Shop Manager."
    )]
    NoCapability { key: String, admin: String },
    #[error(
        "{store} redirected the API request to {location}. woolink never sends credentials through a redirect. Use the store's canonical address, and check the web server's redirect rules for /wp-json/."
    )]
    ApiRedirected { store: String, location: String },
    #[error(
        "{store} gave an answer WooCommerce never gives: HTTP {status}{}. {}",
        if *.json { "" } else { " and not JSON" },
        if *.status >= 500 { "The store had an internal error; its PHP error log says why." } else { "A plugin, cache or security rule may be changing answers under /wp-json/." }
    )]
    Unexpected {
        store: String,
        status: u16,
        json: bool,
    },
}

impl ProbeError {
    /// A stable, machine-readable name for `--json` output.
    pub fn kind(&self) -> &'static str {
        match self {
            ProbeError::Unreachable { .. } => "unreachable",
            ProbeError::BrokenAnswer { .. } => "broken_answer",
            ProbeError::TimedOut { .. } => "timeout",
            ProbeError::Tls { .. } => "tls",
            ProbeError::RedirectLoop { .. } => "redirect_loop",
            ProbeError::Downgrade { .. } => "https_downgrade",
            ProbeError::MovedElsewhere { .. } => "moved_elsewhere",
            ProbeError::PlainHttpRefused { .. } => "plain_http_refused",
            ProbeError::Challenge { .. } => "firewall_challenge",
            ProbeError::NotWordPress { .. } => "not_wordpress",
            ProbeError::NoWooCommerce { .. } => "no_woocommerce",
            ProbeError::PlainPermalinks { .. } => "plain_permalinks",
            ProbeError::BehindProxy { .. } => "https_not_detected",
            ProbeError::UnknownKey { .. } => "unknown_key",
            ProbeError::WrongSecret { .. } => "wrong_secret",
            ProbeError::OAuthRejected { .. } => "oauth_rejected",
            ProbeError::WriteOnly { .. } => "write_only_key",
            ProbeError::NoCapability { .. } => "user_lacks_capability",
            ProbeError::ApiRedirected { .. } => "api_redirected",
            ProbeError::Unexpected { .. } => "unexpected_answer",
        }
    }

    /// PRODUCT.md's exit codes: 2 input, 3 store not usable, 4 credentials or access.
    pub fn exit_code(&self) -> u8 {
        match self {
            ProbeError::PlainHttpRefused { .. } => 2,
            ProbeError::UnknownKey { .. }
            | ProbeError::WrongSecret { .. }
            | ProbeError::OAuthRejected { .. }
            | ProbeError::WriteOnly { .. }
            | ProbeError::NoCapability { .. } => 4,
            _ => 3,
        }
    }
}

/// Proves `credentials` against the store at `typed`.
pub async fn probe(
    http: &HttpClient,
    typed: &StoreUrl,
    credentials: &Credentials,
    options: ProbeOptions,
) -> Result<ProbeReport, ProbeError> {
    probe_observed(http, typed, credentials, options, &|_| {}).await
}

/// [`probe`], calling `observe` at each step boundary as it is passed.
pub async fn probe_observed(
    http: &HttpClient,
    typed: &StoreUrl,
    credentials: &Credentials,
    options: ProbeOptions,
    observe: &impl Fn(ProbeStep),
) -> Result<ProbeReport, ProbeError> {
    let probing = probe_unbounded(http, typed, credentials, options, observe);
    tokio::time::timeout(options.time_limit, probing)
        .await
        .unwrap_or_else(|_| {
            Err(ProbeError::TimedOut {
                store: typed.to_string(),
            })
        })
}

async fn probe_unbounded(
    http: &HttpClient,
    typed: &StoreUrl,
    credentials: &Credentials,
    options: ProbeOptions,
    observe: &impl Fn(ProbeStep),
) -> Result<ProbeReport, ProbeError> {
    let guess = ApiRoot::pretty_under(typed.as_url());
    let early_auth = auth_method(typed, options).ok();
    let (site, early) = tokio::join!(discover(http, typed), async {
        match early_auth {
            Some(auth) => Some(check(http, &guess, credentials, auth).await),
            None => None,
        }
    });
    let site = site.map_err(|err| discovery_error(typed, err))?;
    let store = site.store.to_string();
    if !same_site(typed, &site.store) {
        return Err(ProbeError::MovedElsewhere {
            typed: typed.to_string(),
            canonical: store,
        });
    }
    observe(ProbeStep::Reached {
        store: &site.store,
        site_name: site.index.site_name(),
    });
    if let IndexState::Found(index) = &site.index {
        if !index.has_woocommerce() {
            return Err(ProbeError::NoWooCommerce { store });
        }
        observe(ProbeStep::WooCommerceFound);
    }
    let auth = auth_method(&site.store, options)?;
    let answers = match early {
        Some(Ok(answers)) if site.root == guess && early_auth == Some(auth) => answers,
        _ => check(http, &site.root, credentials, auth)
            .await
            .map_err(|cause| transport_error(&site.store, cause))?,
    };
    conclude(http, typed, &site, credentials, auth, answers, observe).await
}

/// Whether the canonical store is the one the user named: the same host (give or take
/// "www."), with http upgraded to https at most. Anything else could hand the key to a
/// stranger, so it needs the user's explicit word.
fn same_site(typed: &StoreUrl, canonical: &StoreUrl) -> bool {
    let (typed, canonical) = (typed.as_url(), canonical.as_url());
    let host = |url: &Url| {
        let host = url.host_str().unwrap_or_default();
        host.strip_prefix("www.").unwrap_or(host).to_owned()
    };
    let same_port = typed.port() == canonical.port();
    let upgraded = typed.scheme() == canonical.scheme()
        || (typed.scheme() == "http" && canonical.scheme() == "https");
    host(typed) == host(canonical) && same_port && upgraded
}

/// Basic over https; OAuth 1.0a over http, where it is allowed at all.
fn auth_method(store: &StoreUrl, options: ProbeOptions) -> Result<AuthMethod, ProbeError> {
    if store.is_https() {
        Ok(AuthMethod::Basic)
    } else if store.is_loopback() || options.allow_http {
        Ok(AuthMethod::OAuth1)
    } else {
        Err(ProbeError::PlainHttpRefused {
            store: store.to_string(),
        })
    }
}

/// The authenticated read and the write check, sent together.
async fn check(
    http: &HttpClient,
    root: &ApiRoot,
    credentials: &Credentials,
    auth: AuthMethod,
) -> Result<(Answer, Answer), TransportError> {
    let read_url = root.route(READ_ROUTE, &[("per_page", "1"), ("_fields", "id")]);
    let write_url = root.route(WRITE_ROUTE, &[]);
    let read = root::authenticated(Method::GET, read_url, credentials, auth);
    let write = root::authenticated(Method::POST, write_url, credentials, auth);
    let (read, write) = tokio::join!(http.send(read), http.send(write));
    Ok((read?, write?))
}

async fn conclude(
    http: &HttpClient,
    typed: &StoreUrl,
    site: &Site,
    credentials: &Credentials,
    auth: AuthMethod,
    (read, write): (Answer, Answer),
    observe: &impl Fn(ProbeStep),
) -> Result<ProbeReport, ProbeError> {
    let mut auth = auth;
    let mut verdict = judge(&read, &write, auth == AuthMethod::OAuth1);
    let mut notes = Vec::new();
    if matches!(verdict, Verdict::Anonymous { .. }) && auth == AuthMethod::Basic {
        // Some servers drop the Authorization header before PHP sees it; the same
        // credentials in the query string then work. Only then are they sent that way.
        let answers = check(http, &site.root, credentials, AuthMethod::QueryString)
            .await
            .map_err(|cause| transport_error(&site.store, cause))?;
        let retried = judge(&answers.0, &answers.1, false);
        // Any answer but "anonymous" proves the key reached WooCommerce this way, so it is the
        // one to judge: a wrong secret or a write-only key is named as such.
        if !matches!(retried, Verdict::Anonymous { .. }) {
            auth = AuthMethod::QueryString;
            if matches!(retried, Verdict::Granted { .. }) {
                notes.push(
                    "The web server removes the Authorization header before WordPress sees it, so woolink sends the key in the query string; it then appears in the store's access logs. To fix the server: on Apache add `CGIPassAuth On` (or a rewrite rule passing HTTP_AUTHORIZATION) to .htaccess.".to_owned(),
                );
            }
            verdict = retried;
        }
    }

    let store = site.store.to_string();
    let key = credentials.key.masked();
    let admin = keys_admin_url(&site.store);
    let access = match verdict {
        Verdict::Granted {
            access,
            write_unclear,
        } => {
            if let Some(status) = write_unclear {
                notes.push(format!(
                    "Write access could not be checked: the store answered the write check with HTTP {status} (a firewall rule may block POST requests to /wp-json/). Reporting read access only."
                ));
            }
            if !matches!(site.index, IndexState::Found(_)) {
                // A closed index hid WooCommerce; the authenticated wc/v3 read just found it.
                observe(ProbeStep::WooCommerceFound);
            }
            observe(ProbeStep::KeyAccepted { auth_method: auth });
            observe(ProbeStep::AccessDecided { access });
            access
        }
        Verdict::Anonymous { code } => {
            return Err(anonymous_error(site, &credentials.key, &code));
        }
        Verdict::WrongSecret => return Err(ProbeError::WrongSecret { store, key, admin }),
        Verdict::OAuthRejected { message } => {
            return Err(ProbeError::OAuthRejected {
                store,
                key,
                admin,
                message: message.unwrap_or_default(),
            });
        }
        Verdict::WriteOnly => return Err(ProbeError::WriteOnly { key, admin }),
        Verdict::NoCapability => return Err(ProbeError::NoCapability { key, admin }),
        Verdict::NoWooCommerce => return Err(ProbeError::NoWooCommerce { store }),
        Verdict::Challenge(challenge) => return Err(ProbeError::Challenge { store, challenge }),
        Verdict::Redirected { location } => {
            return Err(ProbeError::ApiRedirected {
                store,
                location: location
                    .map(|location| without_query(&location))
                    .unwrap_or_else(|| "another address".to_owned()),
            });
        }
        Verdict::Unexpected { status, json } => {
            return Err(ProbeError::Unexpected {
                store,
                status,
                json,
            });
        }
    };
    if let IndexState::Closed { code, .. } = &site.index {
        notes.push(format!(
            "The store's REST index is closed to anonymous requests ({}), probably by a security plugin; the key works all the same.",
            code.as_deref().unwrap_or("no code")
        ));
    }
    Ok(ProbeReport {
        store: site.store.clone(),
        typed: typed.clone(),
        api_root: site.root.clone(),
        site_name: site.index.site_name().map(str::to_owned),
        access,
        auth_method: auth,
        notes,
    })
}

/// The store treated the request as anonymous with every way of sending the key: the key is
/// unknown, or something on the way hides it from WooCommerce.
fn anonymous_error(site: &Site, key: &crate::keys::ConsumerKey, code: &str) -> ProbeError {
    let store = site.store.to_string();
    if site.root.is_plain() {
        return ProbeError::PlainPermalinks {
            store,
            key: key.masked(),
            suffix: key.suffix().to_owned(),
            admin: keys_admin_url(&site.store),
        };
    }
    if let IndexState::Found(index) = &site.index
        && site.store.is_https()
        && index.believes_plain_http()
    {
        return ProbeError::BehindProxy { store };
    }
    let plugin = if code == "woocommerce_rest_cannot_view" {
        String::new()
    } else {
        format!(
            " (The store's REST API is also closed to anonymous requests by a plugin, which answered \"{code}\".)"
        )
    };
    ProbeError::UnknownKey {
        store,
        key: key.masked(),
        suffix: key.suffix().to_owned(),
        admin: keys_admin_url(&site.store),
        plugin,
    }
}

fn discovery_error(typed: &StoreUrl, err: DiscoveryError) -> ProbeError {
    let store = typed.to_string();
    match err {
        DiscoveryError::Transport(cause) => transport_error(typed, cause),
        DiscoveryError::RedirectLoop => ProbeError::RedirectLoop { store },
        DiscoveryError::Downgrade { to } => ProbeError::Downgrade { store, to },
        DiscoveryError::Challenge(challenge) => ProbeError::Challenge { store, challenge },
        DiscoveryError::NotWordPress { status } => ProbeError::NotWordPress { store, status },
    }
}

fn transport_error(store: &StoreUrl, cause: TransportError) -> ProbeError {
    let store_text = store.to_string();
    match cause {
        TransportError::Timeout => ProbeError::TimedOut { store: store_text },
        cause @ (TransportError::TooLarge
        | TransportError::HeadersTooLarge
        | TransportError::Cut) => ProbeError::BrokenAnswer {
            store: store_text,
            cause,
        },
        TransportError::Tls(problem) => {
            let advice = problem.advice();
            ProbeError::Tls {
                store: store_text,
                problem,
                advice,
            }
        }
        cause => ProbeError::Unreachable {
            store: store_text,
            cause,
        },
    }
}

fn without_query(location: &str) -> String {
    match Url::parse(location) {
        Ok(mut url) => {
            url.set_query(None);
            url.to_string()
        }
        Err(_) => location
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_go_only_to_the_site_the_user_named() {
        let cases = [
            ("https://shop.example", "https://shop.example/sub", true),
            ("http://shop.example", "https://shop.example", true),
            ("https://shop.example", "https://www.shop.example", true),
            ("https://www.shop.example", "https://shop.example", true),
            ("https://shop.example", "http://shop.example", false),
            ("https://shop.example", "https://shop.example:8443", false),
            ("https://shop.example", "https://evil.example", false),
            (
                "https://shop.example",
                "https://shop.example.evil.example",
                false,
            ),
        ];
        for (typed, canonical, expected) in cases {
            let typed: StoreUrl = typed.parse().unwrap();
            let canonical: StoreUrl = canonical.parse().unwrap();
            assert_eq!(
                same_site(&typed, &canonical),
                expected,
                "{typed} -> {canonical}"
            );
        }
    }
}
