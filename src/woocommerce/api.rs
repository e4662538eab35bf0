//! `woolink api` decisions, kept pure: what a PATH and fields mean, which URLs may carry
//! credentials, how a URL is shown without them, which `Link: rel="next"` may be followed, what
//! an HTTP answer means, when a busy store is asked again, and how a secret is kept out of what
//! is printed. The command in `cmd::api` only sends and prints.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use url::Url;

use crate::domain::redact::{DisplaySafeUrl, in_answer, is_credential_param, without_credentials};

use crate::domain::exit::Failure;
use crate::domain::keys::Credentials;
use crate::domain::text::visible_line;
use crate::http::pace::retry_after_wait;
use crate::http::{Answer, TransportError, store_json};
use crate::woocommerce::json_check::{self, Fault, FaultKind};
use crate::woocommerce::probe::ApiRoot;
use crate::woocommerce::probe::root::BadApiRoot;
use crate::woocommerce::probe::root::linked;
use crate::woocommerce::probe::verdict::error_field;

/// The namespace a PATH without a leading `/` lives under.
pub const NAMESPACE: &str = "wc/v3";
/// A loop guard for `--paginate`; a store with more pages than this needs a narrower query.
pub const MAX_PAGES: usize = 1000;
/// The most of one answer `woolink api` reads, decompressed: a page of 100 real products is
/// several MB, and a store's gzip must not unpack into all of memory. The probe keeps
/// [`crate::http::MAX_BODY`].
pub const MAX_ANSWER: usize = 64 * 1024 * 1024;
/// How often a busy store (429, 503 with `Retry-After`) is asked again.
pub const MAX_RETRIES: u32 = 3;
/// The waits before asking again a store that answered 429 without `Retry-After`: a host's
/// pacing that does not say when usually lets the next request through a second or two later.
pub const BACKOFF: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(2)];
/// The longest `Retry-After` woolink waits for; a store asking for longer is reported at once.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// Said after why an answer failed once part of it was printed.
pub const OUTPUT_INCOMPLETE: &str = "; the output printed is incomplete";

/// A request as errors name it: `GET https://store/wp-json/wc/v3/products`, credentials left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    pub method: String,
    pub url: DisplaySafeUrl,
}

impl RequestLine {
    pub fn new(method: &Method, url: &Url) -> Self {
        Self {
            method: method.to_string(),
            url: DisplaySafeUrl::new(url),
        }
    }
}

impl std::fmt::Display for RequestLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.url)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error(
        "\"{path}\" is not a WooCommerce API route: {why}. Give a wc/v3 route such as `products`, `orders/123` or `products?status=draft`, or a route from the API root such as `/wc/store/v1/cart` or `/wc-analytics/reports`"
    )]
    InvalidPath { path: String, why: &'static str },
    #[error("\"{0}\" is not a field: write KEY=VALUE")]
    InvalidField(String),
    #[error("the field \"{field}\" is refused: {why}")]
    OverridingField { field: String, why: &'static str },
    #[error("--jq: {0}")]
    InvalidJq(String),
    #[error("--jq: {message} (on the answer to {request}, which was not printed){}", applied_words(.request, 200))]
    JqFailed {
        request: RequestLine,
        message: String,
    },
    #[error(
        "\"{0}\" is not an HTTP method woolink sends: use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS"
    )]
    InvalidMethod(String),
    #[error(
        "\"{0}\" is a credential parameter; woolink adds the account's credentials itself, so leave it out"
    )]
    CredentialParam(String),
    #[error(transparent)]
    BadApiRoot(#[from] BadApiRoot),
    #[error("{request}: {cause}")]
    Transport {
        request: RequestLine,
        cause: TransportError,
    },
    #[error(
        "{request}: the store answered with a redirect to {}. woolink never sends credentials through a redirect; if the store moved, check it with `woolink accounts verify`"
    , .location.as_ref().map_or_else(|| "another address".to_owned(), DisplaySafeUrl::to_string))]
    Redirected {
        request: RequestLine,
        location: Option<DisplaySafeUrl>,
    },
    #[error("{request}: HTTP {status}{}{}", .code.as_ref().map(|c| format!(" {}", visible_line(c))).unwrap_or_default(), .message.as_ref().map(|m| format!(": {}", visible_line(m))).unwrap_or_default())]
    Status {
        request: RequestLine,
        status: u16,
        code: Option<String>,
        message: Option<String>,
    },
    #[error(
        "{request}: HTTP {status}, but the answer is not JSON (a firewall, cache or plugin may have answered instead of WooCommerce)"
    )]
    NotJson { request: RequestLine, status: u16 },
    #[error(
        "the store's next page ({next}) is refused: {why}. woolink sends credentials only to the account's WooCommerce API, as the request was asked for, so it stopped"
    )]
    OffSiteNextPage {
        next: DisplaySafeUrl,
        why: &'static str,
    },
    #[error(
        "stopped after {MAX_PAGES} pages; ask for fewer results (e.g. a filter or per_page=100)"
    )]
    TooManyPages,
    #[error(
        "the store's next page ({next}) is one woolink already fetched: its pages loop, so woolink stopped after {pages} pages"
    )]
    PageLoop { next: DisplaySafeUrl, pages: usize },
    #[error(
        "{request}: page {page} of the list is not a list (a JSON array), so the pages cannot be joined"
    )]
    PageNotAList { request: RequestLine, page: usize },
    /// The store answered, but its body could not be had whole or printed: lost on the way
    /// (`why` from [`lost_words`]), or labelled JSON and not one whole document (`broken_json`,
    /// on a 2xx). The status is still the truth about the request: a 201 means the product
    /// exists.
    #[error("{request}: the store answered {}, but {why}{}", status_text(*.status), applied_words(.request, *.status))]
    Unprinted {
        request: RequestLine,
        status: u16,
        why: String,
        broken_json: bool,
    },
    #[error("{request}: the store answered {}{}", status_text(*.status), .retry_after.as_ref().map(|r| format!(" and asks to be asked again {}", crate::woocommerce::probe::retry_when(r))).unwrap_or_default())]
    Busy {
        request: RequestLine,
        status: u16,
        retry_after: Option<String>,
    },
}

/// `201 Created`: a status as people read it.
pub fn status_text(status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason());
    match reason {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// Why an answer was lost on the way, and what became of the output.
pub fn lost_words(cause: &TransportError, partly_printed: bool) -> String {
    let what = match cause {
        TransportError::TooLarge { limit } => format!(
            "its answer was larger than {}",
            crate::http::size_in_words(*limit)
        ),
        TransportError::Timeout => "its answer did not finish in time".to_owned(),
        TransportError::Cut => "the connection closed before its answer was complete".to_owned(),
        other => format!("its answer could not be read ({other})"),
    };
    let printed = match partly_printed {
        true => OUTPUT_INCOMPLETE,
        false => " and was not printed",
    };
    format!("{what}{printed}")
}

fn applied_words(request: &RequestLine, status: u16) -> &'static str {
    let read = matches!(request.method.as_str(), "GET" | "HEAD" | "OPTIONS");
    if (200..300).contains(&status) && !read {
        ". The request was carried out: check the store before sending it again"
    } else {
        ""
    }
}

impl ApiError {
    /// Its `kind` for `--json` and its class of failure (`exit.rs`). An answer's class is
    /// decided by its status: a 2xx whose answer was lost is 5 (the store did what was asked),
    /// a refused key 4, another 4xx 2, anything else 3.
    pub fn class(&self) -> (&'static str, Failure) {
        use Failure::{Credentials, Local, Store, Unprinted, Usage};
        let answered = |status: &u16| match status {
            200..=299 => Unprinted,
            401 | 403 => Credentials,
            400..=499 => Usage,
            _ => Store,
        };
        match self {
            ApiError::InvalidPath { .. } => ("invalid_path", Usage),
            ApiError::InvalidField(_) => ("invalid_field", Usage),
            ApiError::OverridingField { .. } => ("overriding_field", Usage),
            ApiError::InvalidJq(_) => ("invalid_jq", Usage),
            ApiError::JqFailed { .. } => ("jq_failed", Usage),
            ApiError::InvalidMethod(_) => ("invalid_method", Usage),
            ApiError::CredentialParam(_) => ("credential_param", Usage),
            ApiError::BadApiRoot(_) => ("index", Local),
            ApiError::PageLoop { .. } => ("page_loop", Store),
            ApiError::PageNotAList { .. } => ("page_not_a_list", Store),
            ApiError::Unprinted {
                broken_json: true, ..
            } => ("broken_json", Store),
            ApiError::Transport {
                cause: TransportError::HttpsPort { .. },
                ..
            } => ("https_port", Store),
            ApiError::Transport { .. } => ("unreachable", Store),
            ApiError::Redirected { .. } => ("api_redirected", Store),
            ApiError::Status { status, .. } => ("http_status", answered(status)),
            ApiError::NotJson { .. } => ("not_json", Store),
            ApiError::OffSiteNextPage { .. } => ("off_site_next_page", Store),
            ApiError::TooManyPages => ("too_many_pages", Store),
            ApiError::Unprinted { status, .. } => ("answer_unprinted", answered(status)),
            ApiError::Busy { .. } => ("store_busy", Store),
        }
    }

    /// Whether WooCommerce refused the key itself: unknown or revoked (401
    /// `woocommerce_rest_cannot_view`, as for no key at all), or a read refused by its key
    /// check (a wrong secret). A refused write may only lack write permission.
    pub fn key_refused(&self) -> bool {
        let ApiError::Status {
            status: 401,
            code: Some(code),
            request,
            ..
        } = self
        else {
            return false;
        };
        code == "woocommerce_rest_cannot_view"
            || (code == "woocommerce_rest_authentication_error" && request.method == "GET")
    }

    /// The error with what the store said in it passed through [`in_answer`]: its error
    /// document, the text around broken JSON, and what jq quoted of the answer.
    pub fn redacted(mut self, credentials: &Credentials) -> Self {
        match &mut self {
            ApiError::Status { code, message, .. } => {
                *code = code.take().map(|code| in_answer(&code, credentials));
                *message = message
                    .take()
                    .map(|message| in_answer(&message, credentials));
            }
            ApiError::Unprinted { why: text, .. } | ApiError::JqFailed { message: text, .. } => {
                *text = in_answer(text, credentials);
            }
            _ => {}
        }
        self
    }
}

/// Whether `route` (no leading `/`) is in one of WooCommerce's namespaces: `wc/...` (`wc/v3`,
/// `wc/v2`, `wc/store/v1`) or `wc-...` (`wc-analytics`, `wc-admin`). WooCommerce's key
/// authentication looks at these only, so the key is sent nowhere else.
pub fn in_woocommerce_namespace(route: &str) -> bool {
    let first = route.split('/').next().unwrap_or("");
    (first == "wc" && route.len() > 3) || (first.starts_with("wc-") && first.len() > 3)
}

/// The route under the API root and the query that `products`, `wc/v3/products?status=draft`
/// (both under wc/v3) and `/wc/v2/orders`, `/wc/store/v1/cart`, `/wc-analytics/reports` (a
/// route from the API root, in any WooCommerce namespace) name.
pub fn parse_path(path: &str) -> Result<(String, Vec<(String, String)>), ApiError> {
    let invalid = |why| ApiError::InvalidPath {
        path: path.to_owned(),
        why,
    };
    let text = path.trim();
    if text.contains("://") || text.starts_with("//") {
        return Err(invalid(
            "woolink sends requests only to the account's store, so give a route, not a URL",
        ));
    }
    if text.contains('#') {
        return Err(invalid("it has a fragment (#)"));
    }
    let (route, query) = text.split_once('?').unwrap_or((text, ""));
    let from_root = route.starts_with('/');
    let route = route.trim_start_matches('/');
    let route = route.strip_prefix("wp-json/").unwrap_or(route);
    if route.is_empty() {
        return Err(invalid("it names no route"));
    }
    if from_root
        && route
            .split('/')
            .next()
            .is_some_and(|first| first.contains(':'))
    {
        return Err(invalid(
            "its first segment has a `:`, which would make it read as a URL of another scheme; WooCommerce namespaces have none",
        ));
    }
    let route = if in_woocommerce_namespace(route) {
        route.to_owned()
    } else if from_root {
        return Err(invalid(
            "a PATH starting with `/` is a route from the API root, and this one is in no WooCommerce namespace (wc/..., wc-...)",
        ));
    } else {
        format!("{NAMESPACE}/{route}")
    };
    if route.contains('\\') {
        return Err(invalid("it has a backslash, which URLs read as `/`"));
    }
    if has_dot_segment(&route) {
        return Err(invalid(
            "it has a `.` or `..` segment (perhaps percent-encoded, like %2e%2e)",
        ));
    }
    let query: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if let Some((name, _)) = query.iter().find(|(name, _)| is_credential_param(name)) {
        return Err(ApiError::CredentialParam(name.clone()));
    }
    if let Some(why) = query.iter().find_map(|(name, _)| overriding_param(name)) {
        return Err(invalid(why));
    }
    Ok((route, query))
}

/// Why a query or field name is refused because WordPress would let it override what woolink
/// sends: `rest_route` chooses another route than PATH, and `_method` another method than the
/// one woolink sends, judges and retries as (`-f _method=POST` on a GET is a write that a 503
/// would have had sent again). Names are read as PHP reads them (`.method` is `_method`).
pub fn overriding_param(name: &str) -> Option<&'static str> {
    match php_name(name).as_str() {
        "rest_route" => Some(
            "`rest_route` would choose another route than PATH; give the route as PATH instead",
        ),
        "_method" => Some(
            "`_method` would make WordPress carry out another method than the one woolink sends; give the method with -X instead",
        ),
        _ => None,
    }
}

/// The name PHP gives a query or form variable in `$_GET`: leading spaces dropped, ` ` and `.`
/// made `_`, an array's `[...]` left off, and a `[` that opens no array made `_` (the rest
/// then kept as it is).
fn php_name(name: &str) -> String {
    let name = name.trim_start_matches(' ');
    let mut php = String::with_capacity(name.len());
    for (at, c) in name.char_indices() {
        match c {
            ' ' | '.' => php.push('_'),
            '[' if name[at..].contains(']') => break,
            '[' => {
                php.push('_');
                php.push_str(&name[at + 1..]);
                break;
            }
            c => php.push(c),
        }
    }
    php
}

/// How often a route is percent-decoded while looking for dot segments: more layers than any
/// server decodes, fewer than would let a crafted PATH cost anything.
const DECODE_ROUNDS: usize = 4;

/// Whether `text` holds a `.` or `..` segment once percent-decoded, however often it was
/// encoded: the URL parser resolves `%2e%2e` as `..`, and a server may decode again. `/` and
/// `\` both separate segments (`%2f` too, once decoded). Text that is still encoded after
/// [`DECODE_ROUNDS`] counts as one: no honest route is.
fn has_dot_segment(text: &str) -> bool {
    let mut text = text.to_owned();
    for _ in 0..DECODE_ROUNDS {
        if text
            .split(['/', '\\'])
            .any(|part| part == "." || part == "..")
        {
            return true;
        }
        let decoded = percent_encoding::percent_decode_str(&text)
            .decode_utf8_lossy()
            .into_owned();
        if decoded == text {
            return false;
        }
        text = decoded;
    }
    true
}

/// Why `url` may not carry the account's credentials, if it may not: they go only to routes in
/// WooCommerce's namespaces under `root`, on its origin. The last check before a request is sent, whatever PATH
/// or a store's `Link` header said, so a trick [`parse_path`] missed still stops here.
pub fn outside_namespace(root: &ApiRoot, url: &Url) -> Option<&'static str> {
    if !crate::domain::same_site::origin(root.url(), url) {
        return Some("it leads away from the account's store");
    }
    let under = |route: &str| in_woocommerce_namespace(route) && !has_dot_segment(route);
    if url
        .query_pairs()
        .any(|(name, _)| php_name(&name) == "_method")
    {
        return Some("it would have WordPress carry out another method (`_method`)");
    }
    let routes: Vec<String> = url
        .query_pairs()
        .filter(|(name, _)| php_name(name) == "rest_route")
        .map(|(_, value)| value.into_owned())
        .collect();
    let inside = if root.is_plain() {
        url.path() == root.url().path()
            && matches!(routes.as_slice(), [route] if route.strip_prefix('/').is_some_and(under))
    } else {
        // Where routes hang, as `ApiRoot::route` joins them; and WordPress lets a
        // `rest_route` query parameter override the pretty path.
        let base = root.url().join(".").map(|u| u.path().to_owned());
        routes.is_empty()
            && base.is_ok_and(|base| url.path().strip_prefix(&base).is_some_and(under))
    };
    (!inside).then_some("it leads outside the store's WooCommerce API")
}

/// `KEY=VALUE`; `typed` turns numbers, `true`, `false` and `null` into JSON values.
pub fn parse_field(field: &str, typed: bool) -> Result<(String, Value), ApiError> {
    let Some((key, value)) = field.split_once('=').filter(|(key, _)| !key.is_empty()) else {
        return Err(ApiError::InvalidField(field.to_owned()));
    };
    if is_credential_param(key) {
        return Err(ApiError::CredentialParam(key.to_owned()));
    }
    if let Some(why) = overriding_param(key) {
        return Err(ApiError::OverridingField {
            field: key.to_owned(),
            why,
        });
    }
    let value = match value {
        _ if !typed => Value::String(value.to_owned()),
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        number => match number.parse::<serde_json::Number>() {
            Ok(n) if !number.starts_with('+') => Value::Number(n),
            _ => Value::String(number.to_owned()),
        },
    };
    Ok((key.to_owned(), value))
}

/// `-X`, or GET, or POST when a body is sent with `--input`. Fields never choose the method:
/// `woolink api products -F per_page=2` is a read, and a write always says so.
pub fn method(given: Option<&str>, has_input: bool) -> Result<Method, ApiError> {
    let Some(given) = given else {
        return Ok(if has_input { Method::POST } else { Method::GET });
    };
    let upper = given.trim().to_ascii_uppercase();
    match upper.as_str() {
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => {
            Ok(Method::from_bytes(upper.as_bytes()).expect("a standard method"))
        }
        _ => Err(ApiError::InvalidMethod(given.to_owned())),
    }
}

/// Whether fields travel in a JSON body (rather than in the query) with this method.
pub fn fields_in_body(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

/// What a page's URL is as a page of a list: its query sorted, and `page=1` where it names no
/// page (WordPress's default), so a `next` link back to a page already fetched is seen.
pub fn page_key(url: &Url) -> String {
    let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if !pairs.iter().any(|(name, _)| name == "page") {
        pairs.push(("page".to_owned(), "1".to_owned()));
    }
    pairs.sort();
    let mut key = url.clone();
    key.set_fragment(None);
    key.query_pairs_mut().clear().extend_pairs(pairs);
    key.to_string()
}

/// The next page to ask for: a same-origin `rel="next"` rebuilt from its non-credential
/// parameters (stores echo query credentials there), ready to be authenticated again.
pub fn next_page(root: &ApiRoot, answer: &Answer, current: &Url) -> Result<Option<Url>, ApiError> {
    let Some(next) = linked(&answer.headers, current, |rel| {
        rel.eq_ignore_ascii_case("next")
    }) else {
        return Ok(None);
    };
    let next = without_credentials(&next);
    if let Some(why) = outside_namespace(root, &next) {
        return Err(ApiError::OffSiteNextPage {
            next: DisplaySafeUrl::new(&next),
            why,
        });
    }
    Ok(Some(next))
}

/// Whether an answer may be printed, given its JSON `document` (`None` for an empty body, a
/// 204 say, or one that is not JSON), or the error it is.
pub fn judge(
    method: &Method,
    url: &Url,
    answer: &Answer,
    document: Option<&Value>,
) -> Result<(), ApiError> {
    let request = RequestLine::new(method, url);
    if answer.is_redirect() {
        let location = answer.header("location").map(DisplaySafeUrl::shown);
        return Err(ApiError::Redirected { request, location });
    }
    let status = answer.status;
    if (200..300).contains(&status) {
        return match document {
            Some(_) => Ok(()),
            None if answer.body.iter().all(u8::is_ascii_whitespace) => Ok(()),
            None if answer.is_json() => Err(ApiError::Unprinted {
                request,
                status,
                why: why_not_json(&answer.body),
                broken_json: true,
            }),
            None => Err(ApiError::NotJson { request, status }),
        };
    }
    if document.is_none() && matches!(status, 429 | 503) {
        let retry_after = answer.header("retry-after").map(str::to_owned);
        return Err(ApiError::Busy {
            request,
            status,
            retry_after,
        });
    }
    if document.is_none() && status != 401 && status != 403 {
        return Err(ApiError::NotJson { request, status });
    }
    Err(ApiError::Status {
        request,
        status,
        code: error_field(document, "code"),
        message: error_field(document, "message"),
    })
}

/// How long to wait before asking a busy store again, if it should be asked again: a 429, or
/// a 503, with `Retry-After` in seconds up to [`MAX_RETRY_WAIT`] and `timeout`, at most
/// [`MAX_RETRIES`] times; a 429 without `Retry-After` after each wait of [`BACKOFF`]. A write
/// is retried only on 429: hosts and WordPress rate limits answer 429 before any PHP runs, so
/// nothing was done; a 503 may come from a proxy that gave up on a store still working on the
/// request, and a second POST would create a duplicate. (A read stays a read: `_method`, which
/// would make it a write, is refused by [`overriding_param`].)
pub fn retry_wait(
    method: &Method,
    status: u16,
    retry_after: Option<&str>,
    retries_so_far: u32,
    timeout: Duration,
) -> Option<Duration> {
    let idempotent = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if status != 429 && !(status == 503 && idempotent) {
        return None;
    }
    if retries_so_far >= retries_allowed(retry_after) {
        return None;
    }
    let wait = match retry_after {
        Some(value) => retry_after_wait(value, std::time::SystemTime::now())?,
        None if status == 429 => *BACKOFF.get(retries_so_far as usize)?,
        None => return None,
    };
    (wait <= MAX_RETRY_WAIT && wait <= timeout).then_some(wait)
}

/// How many times a busy store is asked again: [`MAX_RETRIES`] when it says when, else once
/// after each wait of [`BACKOFF`].
pub fn retries_allowed(retry_after: Option<&str>) -> u32 {
    retry_after.map_or(BACKOFF.len() as u32, |_| MAX_RETRIES)
}

/// Why `body`, labelled JSON, is not one whole JSON document, in words: judged from where its
/// JSON starts (after a byte-order mark or a notice, which [`crate::http::store_json`] reads past).
pub fn why_not_json(body: &[u8]) -> String {
    let text = crate::domain::bom::strip(body);
    // The start from which the most of the body is JSON.
    let judged = std::iter::once(0)
        .chain(store_json::json_starts(text))
        .filter_map(|start| {
            json_check::check(&text[start..])
                .err()
                .map(|fault| (start, fault))
        })
        .max_by_key(|(start, fault)| start + fault.at);
    match judged {
        Some((start, fault)) => {
            let at = start + fault.at;
            let fault = Fault { at, ..fault };
            fault_words(fault, &text[at.min(text.len())..])
        }
        // JSON by its grammar that serde_json still refused (a number beyond f64).
        None => "its answer is JSON woolink cannot read".to_owned(),
    }
}

/// What went wrong with an answer that is not one whole JSON document; `after` is what came
/// from the fault on.
pub fn fault_words(fault: Fault, after: &[u8]) -> String {
    match fault.kind {
        FaultKind::Ended => {
            "its answer ends before its JSON does (cut short, or a wrong Content-Length)".to_owned()
        }
        FaultKind::Trailing => match store_json::describe(after) {
            Some(text) => format!(
                "it printed \"{}\" after its JSON (PHP notices are shown when WP_DEBUG_DISPLAY is on: in wp-config.php set define('WP_DEBUG_DISPLAY', false);)",
                visible_line(&text)
            ),
            None => "it printed something after its JSON".to_owned(),
        },
        FaultKind::NotUtf8 => format!("its answer is not UTF-8 (byte {})", fault.at),
        FaultKind::Invalid => format!(
            "its answer is not valid JSON (it goes wrong at byte {})",
            fault.at
        ),
    }
}

/// What a list's header says: `X-WP-TotalPages` its pages, `X-WP-Total` its items.
pub fn list_count(answer: &Answer, name: &str) -> Option<u64> {
    answer.header(name)?.trim().parse().ok()
}

/// "page 1 of 3, 30 items; use --paginate for all": what a first page's headers say about the
/// rest of a list, when there is more.
pub fn more_pages(answer: &Answer) -> Option<String> {
    let pages = list_count(answer, "x-wp-totalpages")?;
    if pages < 2 {
        return None;
    }
    let items = list_count(answer, "x-wp-total")
        .map(|total| format!(", {total} items"))
        .unwrap_or_default();
    Some(format!("page 1 of {pages}{items}; use --paginate for all"))
}

/// The status line and headers as `-i` prints them, each header on one visible line and the
/// account's key and secret taken out (stores echo query credentials in `Link`).
pub fn head_text(
    version: &str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    credentials: &Credentials,
) -> String {
    let mut text = format!("{version} {}\n", status_text(status));
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        let value = in_answer(&value, credentials);
        text.push_str(&format!("{name}: {}\n", visible_line(&value)));
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests;
