//! A key the store treated as absent with every way of sending it: unknown, or hidden from
//! WooCommerce by something on the way. Only evidence decides which; this module gathers it.

use super::{READ_ROUTE, Site, keys_admin_url, read_query, root, unique, verdict};
use crate::domain::keys::Credentials;
use crate::http::{BasicLogin, HEADERS_ONLY, HttpClient};
use crate::woocommerce::probe::ProbeError;

/// The store treated the key as absent with every way of sending it: the key is unknown, or
/// something on the way hides it from WooCommerce. Only evidence decides which.
pub(super) async fn key_not_seen(
    http: &HttpClient,
    site: &Site,
    credentials: &Credentials,
    status: u16,
    code: &str,
) -> ProbeError {
    let store = site.store.shown();
    let (key, admin) = (credentials.key.clone(), keys_admin_url(site.admin()));
    // WooCommerce answers an unknown key with 401; a 403 with another code came from
    // something that refused the request before WooCommerce judged the key.
    if status == 403 {
        return ProbeError::RefusedBeforeWoocommerce {
            store,
            code: crate::domain::text::visible_line(code).into_owned(),
        };
    }
    if site.root.is_plain() {
        return ProbeError::PlainPermalinks { store, key, admin };
    }
    if site.root.url().scheme() == "https"
        && let Some(key_works) = https_hidden(http, site, credentials).await
    {
        return ProbeError::HttpsNotDetected { store, key_works };
    }
    let plugin = if code == "woocommerce_rest_cannot_view" {
        String::new()
    } else {
        let code = crate::domain::text::visible_line(code);
        format!(
            " (The store's REST API is also closed to anonymous requests by a plugin, which answered \"{code}\".)"
        )
    };
    ProbeError::UnknownKey {
        store,
        key,
        admin,
        plugin,
    }
}

/// Whether the store hides HTTPS from WordPress (behind a TLS-terminating proxy), rather than
/// not knowing the key, and if so whether the key works. WordPress with `is_ssl()` false
/// ignores Basic and query keys exactly as it ignores an unknown key, but judges OAuth 1.0a
/// signatures against the http:// form of the URL (a read signed so is accepted: the key
/// works), and its login page redirects to itself (siteurl is https).
async fn https_hidden(http: &HttpClient, site: &Site, credentials: &Credentials) -> Option<bool> {
    let read = site.root.route(READ_ROUTE, &read_query(&unique()));
    let signed = root::signed_for_plain_http(read, credentials);
    let login = site
        .store
        .as_url()
        .join("wp-login.php")
        .expect("a relative path joins");
    let site_login = credentials.site.as_ref().map(BasicLogin::Site);
    let login_request = crate::http::Request::get(login.clone(), site_login);
    let (read, login_answer) = tokio::join!(
        http.send(signed, None, crate::http::MAX_BODY),
        http.send(login_request, None, HEADERS_ONLY)
    );
    let key_works = read.is_ok_and(|answer| {
        answer.status == 200
            && answer.json().is_some_and(|body| body.is_array())
            && verdict::cache_hit(&answer).is_none()
    });
    let login_loops = login_answer.is_ok_and(|answer| {
        answer.is_redirect()
            && answer
                .header("location")
                .and_then(|location| login.join(location).ok())
                .is_some_and(|target| target == login)
    });
    (key_works || login_loops).then_some(key_works)
}
