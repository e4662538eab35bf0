//! The HTTP transport: the only module that talks to reqwest.
//!
//! It follows no redirect but one that only adds or removes a trailing slash on the same
//! origin (callers decide the rest, so credentials can never ride a redirect to another
//! origin), paces a store that limits requests (`pace`), caps every body, bounds every request in time, and turns transport failures
//! into [`TransportError`] values that name no URL (a URL may carry query credentials).

mod dns;
mod failure;
pub mod pace;
mod proxy;
pub mod store_json;
mod trust;

pub use failure::{ProxyFailure, TlsProblem, TransportError};
use failure::{answer_was_not_http, classify, tls_problem};
pub use proxy::Proxies;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use url::Url;

use crate::domain::keys::{Credentials, SiteLogin};

/// Probes and API answers larger than this are refused; a store's answers to woolink's
/// requests are a few KB.
pub const MAX_BODY: usize = 1024 * 1024;
/// The `limit` of a [`HttpClient::send`] that reads the status and headers only.
pub const HEADERS_ONLY: usize = 0;

const USER_AGENT: &str = concat!("woolink/", env!("CARGO_PKG_VERSION"));

/// A store that accepts no connection in this time will not do better later (within the
/// limit for the whole request).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    #[error("could not read the CA certificate file {}: {}", .path.display(), crate::domain::text::io_in_words(.source))]
    ReadCa {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the CA certificate file {path} holds no PEM certificate (expected \"-----BEGIN CERTIFICATE-----\" blocks)"
    )]
    BadCa { path: PathBuf },
    #[error("could not set up HTTPS: {0}")]
    Client(String),
    #[error(
        "{variable} is set to \"{value}\", which is not a proxy woolink can use: {why}. Fix or unset {variable}."
    )]
    BadProxy {
        variable: &'static str,
        /// With any user name and password replaced.
        value: String,
        why: &'static str,
    },
}

/// A request about to be sent. Credentials are attached here and nowhere else.
pub struct Request<'a> {
    pub method: reqwest::Method,
    pub url: Url,
    pub basic: Option<BasicLogin<'a>>,
}

/// What travels as HTTP Basic: the WooCommerce key itself, or the web server's own login in
/// front of the site (then the key, if any, is in the query string).
#[derive(Clone, Copy)]
pub enum BasicLogin<'a> {
    Key(&'a Credentials),
    Site(&'a SiteLogin),
}

/// Debug output names the headers but not their values: stores echo query credentials in
/// `Link` headers.
impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl<'a> Request<'a> {
    pub fn get(url: Url, basic: Option<BasicLogin<'a>>) -> Self {
        Self {
            method: reqwest::Method::GET,
            url,
            basic,
        }
    }
}

/// What came back, with the body already read (and capped).
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        header_text(&self.headers, name)
    }

    pub fn is_json(&self) -> bool {
        is_json_type(&self.headers)
    }

    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308)
    }

    /// The JSON document of an answer labelled JSON, read past anything the store printed
    /// before it (see [`crate::http::store_json`]).
    pub fn json(&self) -> Option<serde_json::Value> {
        self.json_with_junk().map(|(value, _)| value)
    }

    /// What the store printed before the JSON of this answer, if anything.
    pub fn junk(&self) -> Option<crate::http::store_json::Junk> {
        self.json_with_junk().and_then(|(_, junk)| junk)
    }

    /// [`json`](Self::json) and [`junk`](Self::junk) from one parse.
    pub fn json_with_junk(
        &self,
    ) -> Option<(serde_json::Value, Option<crate::http::store_json::Junk>)> {
        if !self.is_json() {
            return None;
        }
        crate::http::store_json::parse(&self.body)
    }
}

/// A header's value, when it is text.
pub fn header_text(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

pub fn is_json_type(headers: &HeaderMap) -> bool {
    header_text(headers, header::CONTENT_TYPE)
        .map(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.starts_with("application/json") || ct.contains("+json")
        })
        .unwrap_or(false)
}

/// A byte count as limits are stated: whole MiB where it is one, else KiB.
pub fn size_in_words(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= 2 * MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

/// The HTTP client used for every store request.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    request_timeout: Duration,
    proxies: Arc<Proxies>,
    pacer: Arc<pace::Pacer>,
    debug: bool,
}

impl HttpClient {
    /// A client trusting the certificates in the PEM file `extra_ca` (private CAs, or a store's
    /// own certificate) besides the system's, giving each request `request_timeout` in all,
    /// and showing each request and answer as a debug line when `debug`.
    pub fn new(
        extra_ca: Option<&Path>,
        request_timeout: Duration,
        debug: bool,
    ) -> Result<Self, HttpSetupError> {
        // reqwest is built without a default crypto provider (`rustls-no-provider`: rustls uses
        // ring, as Cargo.toml chooses, rather than aws-lc); installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let extra = extra_ca.map(read_ca).transpose()?.unwrap_or_default();
        // Errors here are the system's (no root certificates found, say): read_ca checked ours.
        let tls = trust::client_config(extra).map_err(|err| {
            HttpSetupError::Client(match tls_problem(&err) {
                TlsProblem::Other(words) => words,
                problem => problem.to_string(),
            })
        })?;
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT.min(request_timeout))
            .timeout(request_timeout)
            .retry(reqwest::retry::never())
            // The system's resolver, as reqwest's own; its failures have a type of their own.
            .dns_resolver(dns::SystemResolver)
            // reqwest would read the proxy variables itself, and ignore malformed ones.
            .no_proxy();
        let proxies = Arc::new(Proxies::from_lookup(|name| std::env::var(name).ok())?);
        if !proxies.is_empty() {
            // reqwest asks the same function that later names the proxy in a failure.
            let decide = proxies.clone();
            builder = builder.proxy(reqwest::Proxy::custom(move |url| {
                decide.for_url(url).map(|proxy| proxy.url.clone())
            }));
        }
        let client = builder
            .build()
            .map_err(|err| HttpSetupError::Client(err.without_url().to_string()))?;
        Ok(Self {
            client,
            request_timeout,
            proxies,
            pacer: Arc::default(),
            debug,
        })
    }

    /// How long one request may take in all; the probe gives all of its requests this limit too.
    pub fn time_limit(&self) -> Duration {
        self.request_timeout
    }

    /// Sends `request` with `body`, if any, as its JSON content, and reads at most `limit` of
    /// the answer; with [`HEADERS_ONLY`] only the status and headers are read and the body is
    /// never downloaded (a front page can be megabytes).
    pub async fn send(
        &self,
        request: Request<'_>,
        body: Option<Vec<u8>>,
        limit: usize,
    ) -> Result<Answer, TransportError> {
        let opened = self.open(request, body, limit).await?;
        match limit {
            HEADERS_ONLY => Ok(opened.headers_only()),
            _ => opened.read_after(Vec::new()).await,
        }
    }

    /// Sends `request` with `body`, if any, as its JSON content, and returns once the status
    /// and headers have come: the body is then read with [`Opened::chunk`] or
    /// [`Opened::read_after`], never more than `limit` bytes of it once decompressed (a small
    /// compressed answer may unpack to gigabytes). Every answer woolink reads goes through
    /// here; only the limit differs.
    pub async fn open(
        &self,
        request: Request<'_>,
        body: Option<Vec<u8>>,
        limit: usize,
    ) -> Result<Opened, TransportError> {
        let opened = self.open_once(&request, body.clone(), limit).await?;
        // Some stores want every URL with (or without) a trailing slash and say so with a
        // redirect, POST included. The same request to the same origin, method and body
        // kept, is what the store asked for; anything else is the caller's to decide.
        match slash_only_redirect(&request.url, &opened) {
            Some(url) => {
                if let Some(line) = &opened.shown {
                    print_debug(&format!(
                        "{line}: the store adds or removes a trailing slash; asking again there"
                    ));
                }
                self.open_once(&Request { url, ..request }, body, limit)
                    .await
            }
            None => Ok(opened),
        }
    }

    async fn open_once(
        &self,
        request: &Request<'_>,
        body: Option<Vec<u8>>,
        limit: usize,
    ) -> Result<Opened, TransportError> {
        self.pacer.wait_turn(&request.url).await;
        let started = Instant::now();
        // reqwest's own timeout covers the whole exchange too; this outer bound also covers a
        // body that drips forever between chunks.
        let deadline =
            tokio::time::Instant::now() + self.request_timeout + Duration::from_millis(100);
        let proxy = self.proxies.for_url(&request.url).cloned();
        let shown = self.debug.then(|| {
            let via = proxy.as_ref().map(|proxy| format!(" via {proxy:?}"));
            let url = crate::domain::redact::debug_url(&request.url);
            let line = format!("{} {url}{}", request.method, via.unwrap_or_default());
            let auth = request.basic.map(|_| {
                format!(
                    " (Authorization: Basic {})",
                    crate::domain::redact::IN_DEBUG
                )
            });
            print_debug(&format!("request {line}{}", auth.unwrap_or_default()));
            line
        });
        let mut builder = self
            .client
            .request(request.method.clone(), request.url.clone());
        if let Some(body) = body {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        builder = match request.basic {
            Some(BasicLogin::Key(key)) => {
                builder.basic_auth(key.key.expose(), Some(key.secret.expose()))
            }
            Some(BasicLogin::Site(site)) => {
                builder.basic_auth(site.user(), Some(site.expose_password()))
            }
            None => builder,
        };
        let mut not_http = false;
        let mut sent = match tokio::time::timeout_at(deadline, builder.send()).await {
            Err(_) => Err(TransportError::Timeout),
            Ok(result) => result.map_err(|err| {
                not_http = answer_was_not_http(&err);
                classify(err, proxy.as_ref())
            }),
        };
        // A plain http request is checked for having reached an HTTPS port, if it fails.
        if request.url.scheme() == "http" {
            // What a TLS port makes of a plain request: TLS bytes back (not HTTP), the
            // connection closed, or a web server's own 400 page ("The plain HTTP request was
            // sent to HTTPS port"). A WooCommerce 400 is JSON, and is left alone.
            let suspect = match &sent {
                Err(TransportError::Cut) => true,
                Err(_) => not_http,
                Ok(response) => response.status() == 400 && !is_json_type(response.headers()),
            };
            if suspect && let Some(https) = self.speaks_https(&request.url).await {
                sent = Err(TransportError::HttpsPort { https });
            }
        }
        let response = sent.inspect_err(|err| {
            if let Some(line) = &shown {
                let elapsed = started.elapsed().as_millis();
                print_debug(&format!("no answer to {line} after {elapsed} ms: {err}"));
            }
        })?;
        if matches!(response.status().as_u16(), 429 | 503) {
            let retry_after = header_text(response.headers(), header::RETRY_AFTER);
            let wait = pace::wait_asked(retry_after).unwrap_or(pace::SPACING);
            self.pacer.slow_down(&request.url, wait.min(pace::MAX_WAIT));
        }
        Ok(Opened {
            response,
            limit,
            read: 0,
            deadline,
            started,
            shown,
        })
    }

    /// `url`'s host and port with https://, when that port completes (or gets as far as
    /// judging certificates in) a TLS handshake: it speaks HTTPS. Nothing but a GET of `/`
    /// with no credentials is sent.
    async fn speaks_https(&self, url: &Url) -> Option<String> {
        let port = url.port_or_known_default()?;
        let https = Url::parse(&format!("https://{}:{port}/", url.host()?)).ok()?;
        let checked = Box::pin(self.open(Request::get(https.clone(), None), None, 0)).await;
        let spoke_tls = match checked {
            Ok(_) => true,
            Err(TransportError::Tls(problem)) => problem != TlsProblem::NotTls,
            Err(_) => false,
        };
        spoke_tls.then(|| https.origin().ascii_serialization())
    }
}

/// Where `opened` redirects, when that is `from` with a trailing slash added or removed and
/// nothing else changed (origin, the rest of the path, query).
fn slash_only_redirect(from: &Url, opened: &Opened) -> Option<Url> {
    if !matches!(opened.status(), 301 | 302 | 307 | 308) {
        return None;
    }
    let location = header_text(opened.headers(), header::LOCATION)?;
    let to = from.join(location).ok()?;
    let same_but_slash = crate::domain::same_site::origin(&to, from)
        && to.query() == from.query()
        && to.path() != from.path()
        && to.path().trim_end_matches('/') == from.path().trim_end_matches('/');
    same_but_slash.then_some(to)
}

/// An answer whose status and headers came; its body is read piece by piece, decompressed,
/// within the limit and the deadline it was opened with.
pub struct Opened {
    response: reqwest::Response,
    limit: usize,
    read: usize,
    deadline: tokio::time::Instant,
    started: Instant,
    /// The request as debug lines name it, when they are on.
    shown: Option<String>,
}

impl Opened {
    pub fn status(&self) -> u16 {
        self.response.status().as_u16()
    }

    pub fn headers(&self) -> &HeaderMap {
        self.response.headers()
    }

    pub fn version(&self) -> reqwest::Version {
        self.response.version()
    }

    /// The status and headers, the body left unread.
    pub fn headers_only(self) -> Answer {
        self.log(Ok(0));
        self.answer(Vec::new())
    }

    fn answer(&self, body: Vec<u8>) -> Answer {
        Answer {
            status: self.status(),
            headers: self.headers().clone(),
            body,
        }
    }

    /// The next piece of the body, `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        // The status and headers came; whatever stops the body now cut the answer short.
        let cut = |err| match classify(err, None) {
            TransportError::Timeout => TransportError::Timeout,
            _ => TransportError::Cut,
        };
        let result = match tokio::time::timeout_at(self.deadline, self.response.chunk()).await {
            Err(_) => Err(TransportError::Timeout),
            Ok(Err(err)) => Err(cut(err)),
            Ok(Ok(None)) => Ok(None),
            Ok(Ok(Some(chunk))) if self.read + chunk.len() > self.limit => {
                Err(TransportError::TooLarge { limit: self.limit })
            }
            Ok(Ok(Some(chunk))) => {
                self.read += chunk.len();
                Ok(Some(chunk.to_vec()))
            }
        };
        match &result {
            Ok(None) => self.log(Ok(self.read)),
            Err(err) => self.log(Err(err)),
            Ok(Some(_)) => {}
        }
        result
    }

    /// The body, of which `head` was already read with [`Opened::chunk`]. An answer whose
    /// Content-Length is over the limit is refused before any more is read.
    pub async fn read_after(mut self, head: Vec<u8>) -> Result<Answer, TransportError> {
        if self
            .response
            .content_length()
            .is_some_and(|len| len > self.limit as u64)
        {
            let err = TransportError::TooLarge { limit: self.limit };
            self.log(Err(&err));
            return Err(err);
        }
        let mut body = head;
        while let Some(chunk) = self.chunk().await? {
            body.extend_from_slice(&chunk);
        }
        Ok(self.answer(body))
    }

    fn log(&self, outcome: Result<usize, &TransportError>) {
        if let Some(line) = &self.shown {
            let elapsed = self.started.elapsed().as_millis();
            let status = self.status();
            match outcome {
                Ok(bytes) => print_debug(&format!(
                    "answer {status} to {line}: {bytes} bytes in {elapsed} ms"
                )),
                Err(err) => print_debug(&format!(
                    "answer {status} to {line}, body unread after {elapsed} ms: {err}"
                )),
            }
        }
    }
}

/// One debug line on stderr (`--verbose`, `WOOLINK_DEBUG`, `RUST_LOG`; see `face::term::Ui`).
pub fn print_debug(line: &str) {
    let _ = writeln!(std::io::stderr(), "woolink debug: {line}");
}

/// The certificates of a `--ca-cert` PEM file, each usable as a root.
fn read_ca(path: &Path) -> Result<Vec<CertificateDer<'static>>, HttpSetupError> {
    let pem = std::fs::read(path).map_err(|source| HttpSetupError::ReadCa {
        path: path.to_owned(),
        source,
    })?;
    match CertificateDer::pem_slice_iter(crate::domain::bom::strip(&pem))
        .collect::<Result<Vec<_>, _>>()
    {
        // Each must also do as a root, which is what the platform verifier makes of them.
        Ok(certs)
            if !certs.is_empty()
                && certs
                    .iter()
                    .all(|cert| webpki::anchor_from_trusted_cert(cert).is_ok()) =>
        {
            Ok(certs)
        }
        _ => Err(HttpSetupError::BadCa {
            path: path.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_recognised_by_content_type_only() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "application/json; charset=UTF-8".parse().unwrap(),
        );
        let answer = Answer {
            status: 200,
            headers,
            body: b"[]".to_vec(),
        };
        assert!(answer.is_json());
        assert_eq!(answer.json(), Some(serde_json::json!([])));

        let html = Answer {
            status: 200,
            headers: HeaderMap::new(),
            body: b"[]".to_vec(),
        };
        assert_eq!(html.json(), None);
    }
}
