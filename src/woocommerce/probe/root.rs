//! The store's REST API root and how requests under it are addressed and authenticated.

use std::fmt;
use std::path::Path;

use reqwest::header::HeaderMap;
use url::Url;

use crate::domain::account::{Account, AuthMethod};
use crate::domain::keys::Credentials;
use crate::domain::relink::Relink;
use crate::http::{BasicLogin, Request};
use crate::woocommerce::oauth;

/// The `rel` WordPress gives the REST API root in its `Link` header.
const API_REL: &str = "https://api.w.org/";

/// A WordPress REST API root: `https://host/sub/wp-json/` with pretty permalinks or
/// `https://host/sub/index.php?rest_route=/` with plain ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRoot(Url);

impl ApiRoot {
    /// Accepts only what can be an API root: an http(s) URL that routes can hang under. A
    /// `Link` header or an index file could name anything else (`mailto:`, `data:`).
    pub fn new(url: Url) -> Option<Self> {
        let usable = matches!(url.scheme(), "http" | "https")
            && !url.cannot_be_a_base()
            && url.host().is_some();
        usable.then_some(Self(url))
    }

    /// The root a pretty-permalink store has under `store` (which ends with '/').
    pub fn pretty_under(store: &Url) -> Self {
        Self(store.join("wp-json/").expect("a relative path joins"))
    }

    pub fn url(&self) -> &Url {
        &self.0
    }

    /// Plain permalinks address routes through the `rest_route` query parameter.
    pub fn is_plain(&self) -> bool {
        self.0.query_pairs().any(|(name, _)| name == "rest_route")
    }

    /// The store home this root hangs under, e.g. `https://host/sub/`: WordPress puts the REST
    /// prefix (`wp-json`, or whatever a plugin renamed it to) as the last segment under home;
    /// a plain-permalinks root is home's own `index.php?rest_route=/`.
    pub fn store_base(&self) -> Url {
        let mut base = self.0.clone();
        let plain = self.is_plain();
        base.set_query(None);
        base.set_fragment(None);
        let path = base.path().to_owned();
        let trimmed = if plain {
            path.strip_suffix("index.php").unwrap_or(&path).to_owned()
        } else {
            let inner = path.trim_end_matches('/');
            match inner.rfind('/') {
                Some(at) => inner[..=at].to_owned(),
                None => "/".to_owned(),
            }
        };
        base.set_path(&trimmed);
        base
    }

    /// The URL of one of woolink's own routes (e.g. `wc/v3/products`, a constant) under this
    /// root, with `query` added. A route someone typed goes through [`ApiRoot::try_route`].
    pub fn route(&self, route: &str, query: &[(&str, &str)]) -> Url {
        self.try_route(route, query)
            .expect("woolink's own routes are relative paths, which always join")
    }

    /// The URL of `route` under this root, with `query` added; `None` when it cannot hang
    /// there. The route is always joined as a path (`./route`): `wc-x:1/y` is a segment
    /// `wc-x:1`, never a URL of the scheme `wc-x`.
    pub fn try_route(&self, route: &str, query: &[(&str, &str)]) -> Option<Url> {
        let mut url = if self.is_plain() {
            let mut url = self.0.clone();
            let others: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(name, _)| name != "rest_route")
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            url.query_pairs_mut()
                .clear()
                .append_pair("rest_route", &format!("/{route}"))
                .extend_pairs(others);
            url
        } else {
            let mut url = self.0.join(&format!("./{route}")).ok()?;
            url.set_query(None);
            url
        };
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Some(url)
    }
}

impl fmt::Display for ApiRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// The API root named in `headers`' `Link` values, resolved against `base`.
pub fn api_root_from_links(headers: &HeaderMap, base: &Url) -> Option<ApiRoot> {
    linked(headers, base, |rel| rel == API_REL).and_then(ApiRoot::new)
}

/// The first link in `headers`' `Link` values with a `rel` that `wanted` accepts, resolved
/// against `base`.
pub(crate) fn linked(
    headers: &HeaderMap,
    base: &Url,
    wanted: impl Fn(&str) -> bool,
) -> Option<Url> {
    headers
        .get_all("link")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(split_links)
        .find(|(_, params)| has_rel(params, &wanted))
        .and_then(|(target, _)| base.join(target).ok())
}

/// Splits one `Link` header value into `(target, params)` pairs. Targets are inside `<...>`,
/// so commas in them do not split; a piece with no `>` is no link.
fn split_links(value: &str) -> impl Iterator<Item = (&str, &str)> {
    value
        .split('<')
        .skip(1)
        .filter_map(|link| link.split_once('>'))
}

/// Whether a link's parameters (`; rel="a b"; type=...`) hold a `rel` that `wanted` accepts.
fn has_rel(params: &str, wanted: impl Fn(&str) -> bool) -> bool {
    let mut pairs = params.split(';').filter_map(|param| param.split_once('='));
    pairs.any(|(name, value)| {
        name.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_end_matches(',')
                .trim()
                .trim_matches('"')
                .split_whitespace()
                .any(&wanted)
    })
}

/// Builds a request that carries the credentials the way `method` says. The web server's own
/// login, where the site has one, rides as HTTP Basic beside a key in the query string or an
/// OAuth signature.
pub fn authenticated<'a>(
    method: reqwest::Method,
    mut url: Url,
    credentials: &'a Credentials,
    auth: AuthMethod,
) -> Request<'a> {
    let site_login = credentials.site.as_ref().map(BasicLogin::Site);
    let basic = match auth {
        AuthMethod::Basic => Some(BasicLogin::Key(credentials)),
        AuthMethod::QueryString => {
            url.query_pairs_mut()
                .append_pair("consumer_key", credentials.key.expose())
                .append_pair("consumer_secret", credentials.secret.expose());
            site_login
        }
        AuthMethod::OAuth1 => {
            url = oauth::sign(method.as_str(), &url, credentials, &oauth::Freshness::now());
            site_login
        }
    };
    Request { method, url, basic }
}

/// A read signed with OAuth 1.0a for the http:// form of `url`, sent to `url` itself: what
/// WordPress behind a TLS-terminating proxy, believing it is on plain http, verifies.
pub fn signed_for_plain_http(url: Url, credentials: &Credentials) -> Request<'_> {
    let mut as_http = url.clone();
    let _ = as_http.set_scheme("http");
    let mut signed = authenticated(
        reqwest::Method::GET,
        as_http,
        credentials,
        AuthMethod::OAuth1,
    );
    let _ = signed.url.set_scheme(url.scheme());
    let _ = signed.url.set_port(url.port());
    signed
}

/// Why an account's recorded API root cannot receive its credentials. The index holds what
/// the probe found, so any of these means the index was edited by hand (or by something else).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the account index {index} gives \"{name}\" the API root \"{api_root}\", which {why}; woolink sent nothing: {}",
    Relink::same_key(.name)
)]
pub struct BadApiRoot {
    pub index: String,
    pub name: String,
    pub api_root: String,
    pub why: &'static str,
}

/// The account's REST API root, once it is shown fit to receive the account's credentials
/// (see [`checked_api_root`]). `index` names the file in errors.
pub fn api_root(account: &Account, index: &Path) -> Result<ApiRoot, BadApiRoot> {
    checked_api_root(&account.api_root, &account.store_url, account.auth_method).map_err(|why| {
        BadApiRoot {
            index: index.display().to_string(),
            name: account.name.clone(),
            api_root: account.api_root.clone(),
            why,
        }
    })
}

/// `api_root` once it is shown fit to receive credentials sent by `auth`: an http(s) base URL
/// on the store's own origin, and https unless they are signed with OAuth 1.0a (the one way
/// whose secret never crosses the wire). The error says why not, to follow "which".
pub fn checked_api_root(
    api_root: &str,
    store_url: &str,
    auth: AuthMethod,
) -> Result<ApiRoot, &'static str> {
    let url = Url::parse(api_root).map_err(|_| "is not a URL")?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("carries a user name or password");
    }
    let root = ApiRoot::new(url).ok_or("is not an http(s) address")?;
    let store = Url::parse(store_url)
        .map_err(|_| "cannot be checked against its store address, which is not a URL")?;
    if !crate::domain::same_site::origin(root.url(), &store) {
        return Err(
            "is not on the store's own address (scheme, host and port must match its store URL)",
        );
    }
    if root.url().scheme() != "https" && auth != AuthMethod::OAuth1 {
        return Err(
            "is plain http while the key and secret would be sent as they are: they would cross the wire in clear",
        );
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::index::tests::account;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn finds_the_api_root_among_links() {
        let base = url("https://shop.example/");
        let cases: &[(&str, Option<&str>)] = &[
            (
                "<https://shop.example/wp-json/>; rel=\"https://api.w.org/\"",
                Some("https://shop.example/wp-json/"),
            ),
            (
                "<https://shop.example/?p=1>; rel=shortlink, <https://shop.example/sub/wp-json/>; rel=\"https://api.w.org/\"",
                Some("https://shop.example/sub/wp-json/"),
            ),
            (
                "<https://shop.example/index.php?rest_route=/>; rel=\"https://api.w.org/\"",
                Some("https://shop.example/index.php?rest_route=/"),
            ),
            (
                "</wp-json/>; rel=\"https://api.w.org/\"",
                Some("https://shop.example/wp-json/"),
            ),
            ("<https://shop.example/?p=1>; rel=shortlink", None),
            ("garbage", None),
            (
                "<broken; rel=shortlink, </wp-json/>; rel=\"https://api.w.org/\"",
                Some("https://shop.example/wp-json/"),
            ),
            ("<mailto:a@b.example>; rel=\"https://api.w.org/\"", None),
            ("<data:text/plain,x>; rel=\"https://api.w.org/\"", None),
            (
                "<ftp://shop.example/wp-json/>; rel=\"https://api.w.org/\"",
                None,
            ),
        ];
        for (header, expected) in cases {
            let headers = HeaderMap::from_iter([(
                reqwest::header::LINK,
                reqwest::header::HeaderValue::from_str(header).unwrap(),
            )]);
            let found = api_root_from_links(&headers, &base).map(|root| root.to_string());
            assert_eq!(found.as_deref(), *expected, "header {header}");
        }
    }

    #[test]
    fn a_route_with_a_colon_stays_a_path_under_the_root() {
        let root = ApiRoot::new(Url::parse("https://s.example/wp-json/").unwrap()).unwrap();
        let url = root.try_route("wc-x:1/y", &[]).unwrap();
        assert_eq!(url.as_str(), "https://s.example/wp-json/wc-x:1/y");
    }

    #[test]
    fn routes_hang_under_pretty_and_plain_roots() {
        let pretty = ApiRoot::new(url("https://h.example/sub/wp-json/")).unwrap();
        assert_eq!(
            pretty
                .route("wc/v3/products", &[("per_page", "1")])
                .as_str(),
            "https://h.example/sub/wp-json/wc/v3/products?per_page=1"
        );
        assert_eq!(pretty.store_base().as_str(), "https://h.example/sub/");
        assert!(!pretty.is_plain());
        // A REST prefix a plugin renamed is the last segment all the same.
        let renamed = ApiRoot::new(url("https://h.example/api/")).unwrap();
        assert_eq!(renamed.store_base().as_str(), "https://h.example/");

        let plain = ApiRoot::new(url("https://h.example/index.php?rest_route=/")).unwrap();
        assert!(plain.is_plain());
        assert_eq!(
            plain.route("wc/v3/products", &[("per_page", "1")]).as_str(),
            "https://h.example/index.php?rest_route=%2Fwc%2Fv3%2Fproducts&per_page=1"
        );
        assert_eq!(plain.store_base().as_str(), "https://h.example/");
    }

    #[test]
    fn an_api_root_must_be_https_on_the_stores_own_origin() {
        let index = Path::new("/config/accounts.json");
        let with = |store: &str, root: &str, auth| Account {
            api_root: root.to_owned(),
            auth_method: auth,
            ..account("shop", store)
        };
        let ok = [
            (
                "https://s.example",
                "https://s.example/wp-json/",
                AuthMethod::Basic,
            ),
            (
                "https://s.example/sub",
                "https://s.example/sub/wp-json/",
                AuthMethod::QueryString,
            ),
            (
                "https://s.example",
                "https://s.example:443/index.php?rest_route=/",
                AuthMethod::Basic,
            ),
            (
                "http://127.0.0.1:8080",
                "http://127.0.0.1:8080/wp-json/",
                AuthMethod::OAuth1,
            ),
            (
                "https://s.example",
                "https://s.example/wp-json/",
                AuthMethod::OAuth1,
            ),
        ];
        for (store, root, auth) in ok {
            let found = api_root(&with(store, root, auth), index);
            assert_eq!(
                found.map(|r| r.to_string()),
                Ok(root.replace(":443", "")),
                "{root}"
            );
        }
        let bad = [
            ("https://s.example", "mailto:x@y", AuthMethod::Basic),
            ("https://s.example", "not a url", AuthMethod::Basic),
            ("https://s.example", "data:text/plain,x", AuthMethod::OAuth1),
            (
                "https://s.example",
                "https://evil.example/wp-json/",
                AuthMethod::Basic,
            ),
            (
                "https://s.example",
                "https://s.example:8443/wp-json/",
                AuthMethod::Basic,
            ),
            (
                "https://s.example",
                "http://s.example/wp-json/",
                AuthMethod::OAuth1,
            ),
            (
                "https://s.example",
                "https://u:p@s.example/wp-json/",
                AuthMethod::Basic,
            ),
            (
                "http://s.example",
                "http://s.example/wp-json/",
                AuthMethod::Basic,
            ),
            (
                "http://s.example",
                "http://s.example/wp-json/",
                AuthMethod::QueryString,
            ),
            ("not a url", "https://s.example/wp-json/", AuthMethod::Basic),
        ];
        for (store, root, auth) in bad {
            let err = api_root(&with(store, root, auth), index).unwrap_err();
            let message = err.to_string();
            assert!(message.contains("/config/accounts.json"), "{message}");
            assert!(
                message.contains("link the store again with `woolink connect --name shop`"),
                "{message}"
            );
        }
    }
}
