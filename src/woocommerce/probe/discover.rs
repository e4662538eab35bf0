//! Finding the store when the API is not where it usually is: its canonical address and REST
//! API root, without sending any credential.
//!
//! The REST API is asked first: its index (with `_fields`, so it stays small) says where the
//! API is, whether WooCommerce is active and where the store's home is. Where it is not at
//! `/wp-json/`, the answer there (WordPress's 404 page, or the home page under Plain
//! permalinks) names the root in its `Link rel="https://api.w.org/"` header. Only when neither
//! does is the front page asked, and only its headers are read: front pages can be megabytes,
//! slow, or replaced by private-site and coming-soon plugins.

use url::Url;

use super::ProbeError;
use super::root::{ApiRoot, api_root_from_links};
use super::verdict::{StoreTrouble, error_code, store_trouble};
use crate::domain::keys::SiteLogin;
use crate::domain::redact::DisplaySafeUrl;
use crate::domain::store_url::StoreUrl;
use crate::http::{Answer, BasicLogin, HEADERS_ONLY, HttpClient, MAX_BODY, Request};

/// Enough for http→https, apex→www and a trailing-slash fix, with room to spare.
const MAX_REDIRECTS: usize = 10;
/// The index is 1.5 MB on a plain store; these fields are under 1 KB.
const INDEX_FIELDS: &str = "name,url,home,namespaces";

/// A store found: where its API is and what is known of it.
#[derive(Debug, Clone)]
pub struct Site {
    /// The store's address: its home, where admin pages hang.
    pub store: StoreUrl,
    pub root: ApiRoot,
    pub index: IndexState,
}

impl Site {
    /// A store whose API root is known (kept with an account); nothing asked yet.
    pub fn known(store: StoreUrl, root: ApiRoot) -> Site {
        Site {
            store,
            root,
            index: IndexState::NotAsked,
        }
    }

    /// Where the API of a store at `typed` usually is; nothing asked yet.
    pub fn guessed(typed: &StoreUrl) -> Site {
        Site::known(typed.clone(), ApiRoot::pretty_under(typed.as_url()))
    }

    /// The store's title, as its index gives it.
    pub fn name(&self) -> Option<&str> {
        match &self.index {
            IndexState::Found(index) => index.name.as_deref().filter(|name| !name.is_empty()),
            _ => None,
        }
    }

    /// Where WordPress itself (and so `wp-admin`) is, when the index says it is somewhere
    /// else than the store's home on the same origin: WordPress in its own directory. An
    /// index naming another origin is not followed, not even for a link.
    pub fn wordpress_url(&self) -> Option<StoreUrl> {
        let IndexState::Found(SiteIndex { url: Some(url), .. }) = &self.index else {
            return None;
        };
        address_on(url, self.store.as_url()).filter(|wordpress| *wordpress != self.store)
    }

    /// Where the store's admin pages are: WordPress's own address, else the store's home.
    pub fn admin(&self) -> StoreUrl {
        self.wordpress_url().unwrap_or_else(|| self.store.clone())
    }

    /// This site with its index read, if it was not yet: its title and where WordPress is.
    pub async fn with_index(self, http: &HttpClient, site_login: Option<&SiteLogin>) -> Site {
        if self.index != IndexState::NotAsked {
            return self;
        }
        let ask = Asker {
            http,
            start: &self.store,
            site_login,
        };
        let index = fetch_index(&ask, &self.root).await;
        Site { index, ..self }
    }

    /// [`ProbeError::MovedElsewhere`] when this site is at another address than the store at
    /// `typed` (see [`crate::domain::same_site::store`]): credentials go only to the store the
    /// user named.
    pub fn named_by(&self, typed: &StoreUrl) -> Result<(), ProbeError> {
        if crate::domain::same_site::store(typed.as_url(), self.store.as_url()) {
            return Ok(());
        }
        Err(ProbeError::MovedElsewhere {
            typed: typed.shown(),
            canonical: self.store.shown(),
        })
    }

    /// This site, unless its index shows WordPress without WooCommerce's REST API.
    pub fn with_woocommerce(self) -> Result<Site, ProbeError> {
        match &self.index {
            IndexState::Found(index) if !index.namespaces.iter().any(|ns| ns == "wc/v3") => {
                Err(ProbeError::NoWoocommerce {
                    store: self.store.shown(),
                })
            }
            _ => Ok(self),
        }
    }

    /// [`Site::with_index`], given a few seconds: a store that does not answer in time keeps
    /// what was known.
    pub async fn learnt(self, http: &HttpClient, site_login: Option<&SiteLogin>) -> Site {
        let fallback = self.clone();
        tokio::time::timeout(LEARNING_TIME, self.with_index(http, site_login))
            .await
            .unwrap_or(fallback)
    }

    /// Takes the index `learnt` found, when it was read at this site's API root: its title and
    /// where WordPress is.
    pub fn learn(&mut self, learnt: Site) {
        if learnt.root == self.root && matches!(learnt.index, IndexState::Found(_)) {
            self.index = learnt.index;
        }
    }

    /// Reads the index again, given a few seconds, for its title and where WordPress is: one
    /// small request after the probe's verdict, for what is kept with an account.
    pub async fn relearn(&mut self, http: &HttpClient, site_login: Option<&SiteLogin>) {
        let fresh = Site::known(self.store.clone(), self.root.clone());
        self.learn(fresh.learnt(http, site_login).await);
    }
}

/// How long [`Site::learnt`] waits for the index.
const LEARNING_TIME: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexState {
    /// The probe went straight to the API and did not need the index.
    NotAsked,
    Found(SiteIndex),
    /// The index answered with a JSON error, e.g. 401 `rest_not_logged_in` from a plugin that
    /// closes the REST API to anonymous requests.
    Closed {
        code: String,
    },
    /// No JSON came back.
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiteIndex {
    pub name: Option<String>,
    /// WordPress's own address (its site URL, where `wp-admin` is): the home, or a folder
    /// under it when WordPress is installed in its own directory.
    pub url: Option<String>,
    pub home: Option<String>,
    pub namespaces: Vec<String>,
}

/// Finds the store's API root, home and index. Sends no credentials.
/// `site_login` is the web server's own login, sent only where [`site_login_for`] allows.
pub async fn discover(
    http: &HttpClient,
    typed: &StoreUrl,
    site_login: Option<&SiteLogin>,
) -> Result<Site, ProbeError> {
    let ask = Asker {
        http,
        start: typed,
        site_login,
    };
    let guess = ApiRoot::pretty_under(typed.as_url());
    let (url, answer) = ask.follow(index_url(&guess), MAX_BODY).await?;
    let mut index = index_state(&answer);
    let root = if matches!(index, IndexState::Found(_) | IndexState::Closed { .. }) {
        // A REST index (or a REST error) where it should be is proof enough.
        let mut root = url.clone();
        root.set_query(None);
        ApiRoot::new(root)
    } else {
        index = IndexState::Unavailable;
        api_root_from_links(&answer.headers, &url)
    };
    let root = match root {
        Some(root) => root,
        None => {
            if let Some(trouble) = store_trouble(&answer) {
                return Err(ask.trouble(trouble));
            }
            front_page_root(&ask).await?
        }
    };
    if index == IndexState::Unavailable {
        index = fetch_index(&ask, &root).await;
    }
    let store = home(&index, &root).ok_or(ProbeError::NotWordpress {
        store: typed.shown(),
        status: answer.status,
    })?;
    Ok(Site { store, root, index })
}

/// The store's address: the index's `home` when it is on the API's own origin (where the key
/// goes), else the folder the root hangs under.
fn home(index: &IndexState, root: &ApiRoot) -> Option<StoreUrl> {
    let from_index = match index {
        IndexState::Found(SiteIndex {
            home: Some(home), ..
        }) => address_on(home, root.url()),
        _ => None,
    };
    from_index.or_else(|| StoreUrl::from_url(&root.store_base()).ok())
}

/// An address the index names, when it is on `origin`'s origin: one the index may move the
/// store (or its admin pages) to.
fn address_on(address: &str, origin: &Url) -> Option<StoreUrl> {
    let url = Url::parse(address).ok()?;
    crate::domain::same_site::origin(&url, origin)
        .then(|| StoreUrl::from_url(&url).ok())
        .flatten()
}

/// The API root named in the front page's headers; its body is never read.
async fn front_page_root(ask: &Asker<'_>) -> Result<ApiRoot, ProbeError> {
    let (url, answer) = ask.follow(ask.start.as_url().clone(), HEADERS_ONLY).await?;
    if let Some(root) = api_root_from_links(&answer.headers, &url) {
        return Ok(same_scheme_as_page(root, &url));
    }
    Err(match store_trouble(&answer) {
        Some(trouble) => ask.trouble(trouble),
        None => ProbeError::NotWordpress {
            store: ask.start.shown(),
            status: answer.status,
        },
    })
}

/// WordPress behind a proxy that terminates TLS may name an http:// root on a page it served
/// over https. The API is where the page is; whether WordPress knows it is on https is judged
/// later, from how it answers the key.
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

fn index_url(root: &ApiRoot) -> Url {
    let mut url = root.url().clone();
    url.query_pairs_mut().append_pair("_fields", INDEX_FIELDS);
    url
}

async fn fetch_index(ask: &Asker<'_>, root: &ApiRoot) -> IndexState {
    match ask.follow(index_url(root), MAX_BODY).await {
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
        // A REST error from WordPress (a plugin closing the API); a server error is not that,
        // and a 200 that is not an index is no sign of a plugin closing the API: just unusable.
        _ => match error_code(answer) {
            Some(code) if answer.status != 200 && answer.status < 500 => {
                IndexState::Closed { code }
            }
            _ => IndexState::Unavailable,
        },
    }
}

/// Asks the store without WooCommerce credentials; the web server's own login, if given,
/// goes only to the host the user named, over https (or to this computer).
struct Asker<'a> {
    http: &'a HttpClient,
    /// The address the user named, which errors name too.
    start: &'a StoreUrl,
    site_login: Option<&'a SiteLogin>,
}

impl Asker<'_> {
    /// The error for a store that answered with `trouble` instead of WordPress.
    fn trouble(&self, trouble: StoreTrouble) -> ProbeError {
        ProbeError::from_trouble(self.start.shown(), trouble, self.site_login.is_some())
    }

    /// GETs `start`, following redirects by hand so that loops and a downgrade to plain http
    /// are caught and named, and reads at most `limit` of the last answer (see
    /// [`HttpClient::send`]).
    async fn follow(&self, start: Url, limit: usize) -> Result<(Url, Answer), ProbeError> {
        let mut url = start;
        let mut visited: Vec<Url> = Vec::new();
        for _ in 0..=MAX_REDIRECTS {
            // What fails at a redirect's target is the target's failure, not the store's.
            if !visited.is_empty() && !matches!(url.scheme(), "http" | "https") {
                return Err(ProbeError::redirect_scheme(self.start.shown(), &url));
            }
            let login = site_login_for(&url, self.start.as_url(), self.site_login);
            let request = Request::get(url.clone(), login.map(BasicLogin::Site));
            let answer = match self.http.send(request, None, limit).await {
                Ok(answer) => answer,
                Err(cause) if !visited.is_empty() => {
                    return Err(ProbeError::redirect_target(self.start.shown(), &url, cause));
                }
                Err(cause) => return Err(ProbeError::transport(self.start.shown(), cause)),
            };
            let location = answer.header("location").filter(|_| answer.is_redirect());
            let Some(next) = location.and_then(|location| url.join(location).ok()) else {
                return Ok((url, answer));
            };
            if url.scheme() == "https" && next.scheme() == "http" {
                return Err(ProbeError::HttpsDowngrade {
                    store: self.start.shown(),
                    to: DisplaySafeUrl::without_query(&next),
                });
            }
            if visited.contains(&next) || next == url {
                return Err(self.redirect_loop());
            }
            visited.push(std::mem::replace(&mut url, next));
        }
        Err(self.redirect_loop())
    }

    fn redirect_loop(&self) -> ProbeError {
        ProbeError::RedirectLoop {
            store: self.start.shown(),
        }
    }
}

/// The site login for a request to `url` when the user named `start`: only where
/// [`crate::domain::same_site::login`] allows, and only where it cannot be read on the way: https, or
/// this computer.
fn site_login_for<'a>(
    url: &Url,
    start: &Url,
    login: Option<&'a SiteLogin>,
) -> Option<&'a SiteLogin> {
    let private =
        url.scheme() == "https" || StoreUrl::from_url(url).is_ok_and(|store| store.is_loopback());
    login.filter(|_| crate::domain::same_site::login(start, url) && private)
}
