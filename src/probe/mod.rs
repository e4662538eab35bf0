//! The probe: proves against the live store that a key authenticates and what it may do.
//!
//! Order of events on a well-configured HTTPS store, all in one round trip: the home page
//! (for the API root), the REST index (for WooCommerce), an authenticated read and a write to
//! a route that does not exist are sent at once. The credentialed pair goes only to the origin
//! the user named and never follows a redirect; if discovery finds the API elsewhere, the pair
//! is sent again to the canonical root. The probe prints nothing and prompts for nothing.

mod discover;
mod error;
pub mod root;
pub mod verdict;

use reqwest::Method;
use url::Url;

use discover::{DiscoveryError, discover};
pub use discover::{IndexState, Site, SiteIndex};
pub use error::ProbeError;
pub use root::ApiRoot;
use verdict::{Verdict, judge};

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
            let advice = match problem {
                TlsProblem::UnknownIssuer => {
                    "Install a certificate from a public authority (for example Let's Encrypt) on the server or, if you trust this store's private CA, pass its certificate with --ca-cert PATH."
                }
                TlsProblem::Expired => {
                    "Renew the certificate on the server (or correct this computer's clock)."
                }
                TlsProblem::WrongName => {
                    "Use the address the certificate was issued for, or install a certificate for this one."
                }
                TlsProblem::Other(_) => {
                    "Check the server's HTTPS set-up (for example with an online SSL checker)."
                }
            };
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
