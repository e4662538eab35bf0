//! Finding the store: its canonical address and REST API root, without sending any credential.
//!
//! The home page's `Link rel="https://api.w.org/"` header names the API root (it is there even
//! when WooCommerce is inactive or the REST index is closed); the REST index, asked for with
//! `_fields` so it stays small, says whether WooCommerce is active. Both are asked at once.

use reqwest::Method;
use url::Url;

use super::root::{ApiRoot, api_root_from_links};
use super::verdict::{Challenge, challenge, error_code};
use crate::http::{Answer, HttpClient, Request, TransportError};
use crate::store_url::StoreUrl;

/// Enough for http→https, apex→www and a trailing-slash fix, with room to spare.
const MAX_REDIRECTS: usize = 10;
/// The index is 1.5 MB on a plain store; these fields are under 1 KB.
const INDEX_FIELDS: &str = "name,description,url,home,namespaces";

/// A store found, before any credential was sent.
#[derive(Debug, Clone)]
pub struct Site {
    /// Canonical store address: where the API root hangs.
    pub store: StoreUrl,
    pub root: ApiRoot,
    pub index: IndexState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexState {
    Found(SiteIndex),
    /// The index answered with a JSON error, e.g. 401 `rest_not_logged_in` from a plugin that
    /// closes the REST API to anonymous requests.
    Closed {
        status: u16,
        code: Option<String>,
    },
    /// No JSON came back.
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiteIndex {
    pub name: Option<String>,
    pub url: Option<String>,
    pub home: Option<String>,
    pub namespaces: Vec<String>,
}

impl SiteIndex {
    pub fn has_woocommerce(&self) -> bool {
        self.namespaces.iter().any(|ns| ns == "wc/v3")
    }

    /// WordPress reports http:// addresses while answering over https: it does not know it is
    /// behind a TLS-terminating proxy, and then ignores keys sent over https.
    pub fn believes_plain_http(&self) -> bool {
        [&self.url, &self.home]
            .into_iter()
            .flatten()
            .any(|url| url.starts_with("http://"))
    }
}

impl IndexState {
    pub fn site_name(&self) -> Option<&str> {
        match self {
            IndexState::Found(index) => index.name.as_deref().filter(|name| !name.is_empty()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("redirect loop")]
    RedirectLoop,
    #[error("redirect from https to http")]
    Downgrade { to: String },
    #[error("firewall challenge")]
    Challenge(Challenge),
    #[error("not WordPress")]
    NotWordPress { status: u16 },
}

/// Finds the canonical store and its API root. Sends no credentials.
pub async fn discover(http: &HttpClient, typed: &StoreUrl) -> Result<Site, DiscoveryError> {
    let guessed_index = index_url(&ApiRoot::pretty_under(typed.as_url()));
    let (home, guess) = tokio::join!(
        follow(http, Method::HEAD, typed.as_url().clone()),
        follow(http, Method::GET, guessed_index),
    );
    let (home_url, home_answer) = home?;
    if let Some(found) = challenge(&home_answer) {
        return Err(DiscoveryError::Challenge(found));
    }
    let guess = guess.ok();

    let mut root = link_root(&home_answer, &home_url);
    if root.is_none() {
        // Some servers refuse HEAD or drop headers on it: ask once more with GET.
        let (url, answer) = follow(http, Method::GET, home_url.clone()).await?;
        if let Some(found) = challenge(&answer) {
            return Err(DiscoveryError::Challenge(found));
        }
        root = link_root(&answer, &url);
    }
    // A cache or proxy may strip the Link header; a REST index where it should be is proof
    // enough.
    let index_root = || match &guess {
        Some((url, answer)) if matches!(index_state(answer), IndexState::Found(_)) => {
            let mut root = url.clone();
            root.set_query(None);
            ApiRoot::new(root)
        }
        _ => None,
    };
    let root = match root
        .map(|root| same_scheme_as_page(root, &home_url))
        .or_else(index_root)
    {
        Some(root) => root,
        None => {
            return Err(DiscoveryError::NotWordPress {
                status: home_answer.status,
            });
        }
    };

    let index = match guess {
        Some((url, answer)) if url == index_url(&root) => index_state(&answer),
        _ => fetch_index(http, &root).await,
    };
    let store =
        StoreUrl::from_url(&root.store_base()).map_err(|_| DiscoveryError::NotWordPress {
            status: home_answer.status,
        })?;
    Ok(Site { store, root, index })
}

/// WordPress behind a proxy that terminates TLS may name an http:// root on a page it served
/// over https. The API is where the page is; that WordPress does not know it is on https is
/// judged later, from how it answers the key.
fn same_scheme_as_page(root: ApiRoot, page: &Url) -> ApiRoot {
    let url = root.url();
    if url.scheme() != "http" || page.scheme() != "https" || url.host() != page.host() {
        return root;
    }
    let mut upgraded = url.clone();
    let _ = upgraded.set_scheme("https");
    let _ = upgraded.set_port(page.port());
    ApiRoot::new(upgraded).unwrap_or(root)
}

fn link_root(answer: &Answer, base: &Url) -> Option<ApiRoot> {
    let values = answer
        .headers
        .get_all("link")
        .iter()
        .filter_map(|value| value.to_str().ok());
    api_root_from_links(values, base)
}

fn index_url(root: &ApiRoot) -> Url {
    let mut url = root.url().clone();
    url.query_pairs_mut().append_pair("_fields", INDEX_FIELDS);
    url
}

async fn fetch_index(http: &HttpClient, root: &ApiRoot) -> IndexState {
    match follow(http, Method::GET, index_url(root)).await {
        Ok((_, answer)) => index_state(&answer),
        Err(_) => IndexState::Unavailable,
    }
}

fn index_state(answer: &Answer) -> IndexState {
    let Some(json) = answer.json() else {
        return IndexState::Unavailable;
    };
    match json.get("namespaces").and_then(|ns| ns.as_array()) {
        Some(namespaces) if answer.status == 200 => {
            let text = |field: &str| json.get(field).and_then(|v| v.as_str()).map(str::to_owned);
            IndexState::Found(SiteIndex {
                name: text("name"),
                url: text("url"),
                home: text("home"),
                namespaces: namespaces
                    .iter()
                    .filter_map(|ns| ns.as_str().map(str::to_owned))
                    .collect(),
            })
        }
        // A 200 that is not an index is no sign of a plugin closing the API: just unusable.
        _ if answer.status == 200 => IndexState::Unavailable,
        _ => IndexState::Closed {
            status: answer.status,
            code: error_code(answer),
        },
    }
}

/// Follows redirects by hand (no credentials ride on these requests) so that loops and a
/// downgrade to plain http are caught and named.
async fn follow(
    http: &HttpClient,
    method: Method,
    start: Url,
) -> Result<(Url, Answer), DiscoveryError> {
    let mut url = start;
    let mut visited: Vec<Url> = Vec::new();
    for _ in 0..=MAX_REDIRECTS {
        let answer = http.send(Request {
            method: method.clone(),
            url: url.clone(),
            basic: None,
        });
        let answer = answer.await?;
        let location = answer.header("location").filter(|_| answer.is_redirect());
        let Some(next) = location.and_then(|location| url.join(location).ok()) else {
            return Ok((url, answer));
        };
        if url.scheme() == "https" && next.scheme() == "http" {
            let mut shown = next.clone();
            shown.set_query(None);
            return Err(DiscoveryError::Downgrade {
                to: shown.to_string(),
            });
        }
        if visited.contains(&next) || next == url {
            return Err(DiscoveryError::RedirectLoop);
        }
        visited.push(std::mem::replace(&mut url, next));
    }
    Err(DiscoveryError::RedirectLoop)
}
