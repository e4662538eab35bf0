//! WooCommerce's REST key authentication, after `includes/class-wc-rest-authentication.php`:
//! which URIs it looks at, Basic and query credentials over https, OAuth 1.0a, key permissions.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::Sha256;

use super::wp::WpError;
use super::{Permalinks, Req, Shared, TestKey};

pub(super) enum Auth {
    Anonymous,
    Key(TestKey),
    /// WooCommerce's own error, answered before any route is looked at.
    Failed(WpError),
}

/// PHP's `rawurlencode`: everything but `A-Za-z0-9-_.~`.
const RAWURLENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn rawurlencode(s: &str) -> String {
    utf8_percent_encode(s, RAWURLENCODE).to_string()
}

fn auth_error(message: &str) -> WpError {
    WpError::new(401, "woocommerce_rest_authentication_error", message)
}

/// Whether WooCommerce's key authentication looks at this request at all.
pub(super) fn is_wc_uri(s: &Shared, r: &Req) -> bool {
    let uri = r.path_and_query();
    let prefix = &s.config.rest_prefix;
    if uri.contains(&format!("{prefix}/wc/")) || uri.contains(&format!("{prefix}/wc-")) {
        return true;
    }
    // WooCommerce 11.1 learned to recognise `rest_route=`; pretty-permalink stores are taken as current.
    let rest_route_counts = match s.config.permalinks {
        Permalinks::Pretty => true,
        Permalinks::Plain { key_auth_works } => key_auth_works,
    };
    rest_route_counts
        && r.query_param("rest_route")
            .is_some_and(|route| route.starts_with("/wc/") || route.starts_with("/wc-"))
}

/// WooCommerce's `authenticate()`: Basic/query over https, then OAuth 1.0a.
pub(super) fn authenticate(s: &Shared, r: &Req) -> Auth {
    let mut failure = None;
    if s.is_ssl() {
        match basic(s, r) {
            Ok(Some(key)) => return Auth::Key(key),
            Ok(None) => {}
            Err(e) => failure = Some(e),
        }
    }
    match oauth(s, r) {
        Ok(None) => failure.map_or(Auth::Anonymous, Auth::Failed),
        // An earlier error stays set in WooCommerce and wins.
        Ok(Some(key)) => failure.map_or(Auth::Key(key), Auth::Failed),
        Err(e) => Auth::Failed(e),
    }
}

/// Query `consumer_key`/`consumer_secret` first, else Basic. `Ok(None)`: nothing usable, anonymous.
fn basic(s: &Shared, r: &Req) -> Result<Option<TestKey>, WpError> {
    let from_query = match (
        r.query_param("consumer_key"),
        r.query_param("consumer_secret"),
    ) {
        (Some(k), Some(v)) if !k.is_empty() && !v.is_empty() => Some((k, v)),
        _ => None,
    };
    let Some((key, secret)) = from_query.or_else(|| basic_header(s, r)) else {
        return Ok(None);
    };
    let Some(found) = s.find_key(&key) else {
        return Ok(None);
    };
    if found.secret != secret {
        return Err(auth_error("Consumer secret is invalid."));
    }
    Ok(Some(found))
}

fn basic_header(s: &Shared, r: &Req) -> Option<(String, String)> {
    if s.config.strip_authorization {
        return None;
    }
    basic_login(r)
}

/// The user and password of an `Authorization: Basic` header, both non-empty.
pub(super) fn basic_login(r: &Req) -> Option<(String, String)> {
    let value = r.header("authorization")?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    (!user.is_empty() && !password.is_empty()).then(|| (user.to_owned(), password.to_owned()))
}

const OAUTH_PARAMS: [&str; 5] = [
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
];

/// PHP's `array_merge($_GET, $_POST)`: later values win.
fn request_params(r: &Req) -> BTreeMap<String, String> {
    let mut params: BTreeMap<String, String> = r.query_pairs().into_iter().collect();
    let form = r
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if r.method == "POST" && form {
        params.extend(url::form_urlencoded::parse(&r.body).into_owned());
    }
    params
}

/// `Ok(None)`: no OAuth parameter at all, the request is not trying OAuth.
fn oauth(s: &Shared, r: &Req) -> Result<Option<TestKey>, WpError> {
    let mut params = request_params(r);
    let missing: Vec<&str> = OAUTH_PARAMS
        .into_iter()
        .filter(|name| params.get(*name).is_none_or(|v| v.is_empty()))
        .collect();
    if missing.len() == OAUTH_PARAMS.len() {
        return Ok(None);
    }
    if !missing.is_empty() {
        let message = format!("Missing OAuth parameter(s) {}", missing.join(", "));
        let code = "woocommerce_rest_authentication_missing_parameter";
        return Err(WpError::new(401, code, message));
    }
    let Some(key) = s.find_key(&params["oauth_consumer_key"]) else {
        return Err(auth_error("Consumer key is invalid."));
    };

    let provided = params.remove("oauth_signature").unwrap().replace(' ', "+");
    let provided = percent_decode_str(&provided)
        .decode_utf8_lossy()
        .into_owned();
    if params["oauth_signature_method"] != "HMAC-SHA256" {
        // HMAC-SHA1 is valid in WooCommerce too, but this server has no SHA-1.
        return Err(auth_error(
            "Invalid signature - signature method is invalid.",
        ));
    }
    let base = string_to_sign(s, &r.method, &r.path, &params);
    let mut mac = Hmac::<Sha256>::new_from_slice(format!("{}&", key.secret).as_bytes()).unwrap();
    mac.update(base.as_bytes());
    if STANDARD.encode(mac.finalize().into_bytes()) != provided {
        return Err(auth_error(
            "Invalid signature - provided signature does not match.",
        ));
    }

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let timestamp: Option<i64> = params["oauth_timestamp"].parse().ok();
    if timestamp.is_none_or(|t| (t - now).abs() > 15 * 60) {
        return Err(auth_error("Invalid timestamp."));
    }
    if !s.use_nonce(&key.key, &params["oauth_nonce"]) {
        return Err(auth_error("Invalid nonce - nonce has already been used."));
    }
    Ok(Some(key))
}

/// `check_oauth_signature`'s string: METHOD & rawurlencode(home-based URL) & params, where the
/// params are sorted by key, each key and value rawurlencoded, each `k=v` rawurlencoded again
/// and joined with `%26`.
fn string_to_sign(
    s: &Shared,
    method: &str,
    path: &str,
    params: &BTreeMap<String, String>,
) -> String {
    let wp_base = format!("{}/", s.config.subdir.as_deref().unwrap_or(""));
    let relative = path.strip_prefix(&wp_base).unwrap_or(path);
    // get_home_url(null, $path, scheme) appends '/' . ltrim($path, '/') only for a non-empty path.
    let home = s.home_as_seen();
    let url = if relative.is_empty() {
        home
    } else {
        format!("{home}/{}", relative.trim_start_matches('/'))
    };
    let joined: Vec<String> = params
        .iter()
        .map(|(k, v)| rawurlencode(&format!("{}={}", rawurlencode(k), rawurlencode(v))))
        .collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        rawurlencode(&url),
        joined.join("%26")
    )
}

/// The method WordPress dispatches: `?_method=` or `X-HTTP-Method-Override` win over the verb.
pub(super) fn effective_method(r: &Req) -> String {
    r.query_param("_method")
        .or_else(|| r.header("x-http-method-override").map(str::to_owned))
        .unwrap_or_else(|| r.method.clone())
        .to_ascii_uppercase()
}

/// WooCommerce checks the key's permission before WordPress looks for the route.
pub(super) fn check_permissions(method: &str, key: &TestKey) -> Result<(), WpError> {
    match method {
        "HEAD" | "GET" if !key.permission.can_read() => Err(auth_error(
            "The API key provided does not have read permissions.",
        )),
        "POST" | "PUT" | "PATCH" | "DELETE" if !key.permission.can_write() => Err(auth_error(
            "The API key provided does not have write permissions.",
        )),
        "HEAD" | "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => Ok(()),
        _ => Err(auth_error("Unknown request method.")),
    }
}
