//! The HTTP transport: the only module that talks to reqwest.
//!
//! It never follows redirects (callers decide, so credentials can never ride a redirect to
//! another origin), caps every body, bounds every request in time, and turns transport failures
//! into [`TransportError`] values that name no URL (a URL may carry query credentials).

mod dns;
mod proxy;
mod trust;

pub use proxy::{Proxies, ProxySetting};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use url::Url;

use crate::keys::{Credentials, SiteLogin};

/// Probes and API answers larger than this are refused; a store's answers to woolink's
/// requests are a few KB.
pub const MAX_BODY: usize = 1024 * 1024;

const USER_AGENT: &str = concat!("woolink/", env!("CARGO_PKG_VERSION"));

/// How to reach stores: trust and time limits.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// A PEM file with extra certificates to trust: private CAs, or a store's own certificate.
    pub extra_ca: Option<PathBuf>,
    /// Limit for one request, connection included.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    #[error("could not read the CA certificate file {path}: {source}")]
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

impl<'a> BasicLogin<'a> {
    fn user_and_password(self) -> (&'a str, &'a str) {
        match self {
            BasicLogin::Key(credentials) => (credentials.key.expose(), credentials.secret.expose()),
            BasicLogin::Site(site) => (site.user(), site.expose_password()),
        }
    }
}

/// Debug output shows the URL with credential values redacted, never the credentials.
impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let basic = self.basic.map(|login| match login {
            BasicLogin::Key(credentials) => credentials.key.masked(),
            BasicLogin::Site(site) => format!("site user {}", site.user()),
        });
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &redacted_url(&self.url))
            .field("basic", &basic)
            .finish()
    }
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
    pub fn get(url: Url) -> Self {
        Self {
            method: reqwest::Method::GET,
            url,
            basic: None,
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
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn is_json(&self) -> bool {
        is_json_type(&self.headers)
    }

    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308)
    }

    /// The JSON document of an answer labelled JSON, read past anything the store printed
    /// before it (see [`crate::store_json`]).
    pub fn json(&self) -> Option<serde_json::Value> {
        self.json_with_junk().map(|(value, _)| value)
    }

    /// What the store printed before the JSON of this answer, if anything.
    pub fn junk(&self) -> Option<crate::store_json::Junk> {
        self.json_with_junk().and_then(|(_, junk)| junk)
    }

    fn json_with_junk(&self) -> Option<(serde_json::Value, Option<crate::store_json::Junk>)> {
        if !self.is_json() {
            return None;
        }
        crate::store_json::parse(&self.body)
    }
}

/// Why a request got no answer. Messages name no URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("the store's host name could not be found (DNS)")]
    Dns,
    #[error("the connection was refused: nothing is listening on that address and port")]
    Refused,
    #[error("the store did not answer in time")]
    Timeout,
    /// Shown with its advice: `api` and `run` say no more than this.
    #[error("{0}. {advice}", advice = .0.advice())]
    Tls(TlsProblem),
    #[error("the store sent an answer larger than {}", size_in_words(*.limit))]
    TooLarge { limit: usize },
    #[error("the store sent more headers than woolink reads (hundreds of KiB)")]
    HeadersTooLarge,
    #[error("the store closed the connection before its answer was complete")]
    Cut,
    /// A plain http request went to a port that speaks HTTPS (checked by connecting to it with
    /// TLS). `https` is the same host and port with https://.
    #[error("this port speaks HTTPS, not plain http; use {https}")]
    HttpsPort { https: String },
    #[error("the connection failed: {0}")]
    Other(String),
    #[error("{0}")]
    Proxy(ProxyFailure),
}

fn is_json_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
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

/// A proxy that failed the request before the store was reached. Names the proxy as
/// `scheme://host:port`, never with its credentials, and the variable it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyFailure {
    pub proxy: String,
    pub variable: &'static str,
    pub problem: ProxyProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyProblem {
    Refused,
    Dns,
    /// A SOCKS proxy could not be connected to; reqwest does not say why.
    Unreachable,
    /// HTTP 407, or a SOCKS proxy refusing (or wanting) a user name and password.
    NeedsCredentials {
        given: bool,
    },
    /// An HTTP proxy answered the CONNECT request with something other than 200.
    TunnelRefused,
    /// A SOCKS proxy's reply, e.g. "host unreachable": it could not reach the store.
    SocksReply(String),
    /// Anything else, in words.
    Other(String),
}

impl std::fmt::Display for ProxyFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ProxyFailure {
            proxy,
            variable,
            problem,
        } = self;
        let unreached = format!("could not reach the proxy {proxy} (from {variable})");
        let reached = format!("the proxy {proxy} (from {variable})");
        match problem {
            ProxyProblem::Refused => write!(f, "{unreached}: the connection was refused"),
            ProxyProblem::Dns => write!(f, "{unreached}: its host name could not be found (DNS)"),
            ProxyProblem::Unreachable => write!(f, "{unreached}: no connection could be made"),
            ProxyProblem::NeedsCredentials { given: false } => write!(
                f,
                "{reached} wants a user name and password (HTTP 407); give them in {variable} as scheme://USER:PASSWORD@host:port"
            ),
            ProxyProblem::NeedsCredentials { given: true } => {
                write!(
                    f,
                    "{reached} did not accept the user name and password in {variable}"
                )
            }
            ProxyProblem::TunnelRefused => write!(
                f,
                "{reached} refused to open a connection to the store (it may block that address, or the store may be down)"
            ),
            ProxyProblem::SocksReply(reply) => {
                write!(f, "{reached} could not connect to the store: {reply}")
            }
            ProxyProblem::Other(words) => write!(f, "{reached} failed: {words}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    UnknownIssuer,
    /// A certificate that issued itself, which nobody vouched for with --ca-cert.
    SelfSigned,
    Expired,
    WrongName,
    /// The server refused every TLS version and cipher woolink offers (TLS 1.2 and 1.3 with
    /// authenticated encryption): it offers only outdated ones, such as TLS 1.0 or CBC ciphers.
    Outdated,
    /// The server answered the TLS handshake with something that is not TLS (plain http).
    NotTls,
    /// Anything else, already in words.
    Other(String),
}

impl std::fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsProblem::UnknownIssuer => f.write_str(
                "its HTTPS certificate was issued by an authority this computer does not trust (self-signed or private CA)",
            ),
            TlsProblem::SelfSigned => f.write_str(
                "its HTTPS certificate is self-signed, so nothing vouches for it",
            ),
            TlsProblem::Expired => f.write_str(
                "its HTTPS certificate has expired (or this computer's clock is wrong)",
            ),
            TlsProblem::WrongName => {
                f.write_str("its HTTPS certificate was issued for a different host name")
            }
            TlsProblem::Outdated => f.write_str(
                "the store refused every TLS version and cipher woolink offers (TLS 1.2 and 1.3 with modern ciphers), so it most likely offers only outdated ones such as TLS 1.0 or CBC ciphers",
            ),
            TlsProblem::NotTls => write!(
                f,
                "the secure connection failed: the server did not speak TLS as expected (is it serving plain http on this port?)"
            ),
            TlsProblem::Other(detail) => write!(f, "the secure connection failed: {detail}"),
        }
    }
}

impl TlsProblem {
    /// What the user can do about it, as a sentence.
    pub fn advice(&self) -> &'static str {
        match self {
            TlsProblem::UnknownIssuer => {
                "Install a certificate from a public authority (for example Let's Encrypt) on the server or, if you trust this store's private CA, pass its certificate with --ca-cert PATH (needed once: the account remembers it once linked with `woolink connect --ca-cert PATH`)."
            }
            TlsProblem::SelfSigned => {
                "Install a certificate from a public authority (for example Let's Encrypt) on the server or, if this is your own server, pass its certificate with --ca-cert PATH (a PEM file holding the server's certificate; its host name and dates are still checked; the account remembers it once linked with `woolink connect --ca-cert PATH`)."
            }
            TlsProblem::Expired => {
                "Renew the certificate on the server (or correct this computer's clock)."
            }
            TlsProblem::WrongName => {
                "Use the address the certificate was issued for, or install a certificate for this one."
            }
            TlsProblem::Outdated => {
                "Ask the host to enable TLS 1.2 or 1.3 with current ciphers (ECDHE with AES-GCM or ChaCha20-Poly1305); browsers are dropping the old ones too."
            }
            TlsProblem::NotTls | TlsProblem::Other(_) => {
                "Check the server's HTTPS set-up (for example with an online SSL checker)."
            }
        }
    }
}

/// The HTTP client used for every store request.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    request_timeout: Duration,
    proxies: Arc<Proxies>,
}

impl HttpClient {
    pub fn new(config: &HttpConfig) -> Result<Self, HttpSetupError> {
        // reqwest is built without a default crypto provider (ring instead of aws-lc, see the
        // README); installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let extra = match &config.extra_ca {
            Some(path) => read_ca(path)?,
            None => Vec::new(),
        };
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
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .retry(reqwest::retry::never())
            // The system's resolver, as reqwest's own; its failures have a type of their own.
            .dns_resolver(dns::SystemResolver)
            // reqwest would read the proxy variables itself, and ignore malformed ones.
            .no_proxy();
        let proxies = Arc::new(Proxies::from_env()?);
        if !proxies.is_empty() {
            // reqwest asks the same function that later names the proxy in a failure.
            let decide = proxies.clone();
            builder = builder.proxy(reqwest::Proxy::custom(move |url| {
                decide.for_url(url).map(|proxy| proxy.url().clone())
            }));
        }
        let client = builder
            .build()
            .map_err(|err| HttpSetupError::Client(err.without_url().to_string()))?;
        Ok(Self {
            client,
            request_timeout: config.request_timeout,
            proxies,
        })
    }

    pub async fn send(&self, request: Request<'_>) -> Result<Answer, TransportError> {
        self.send_json(request, None).await
    }

    /// Sends `request` and reads only the status and headers: the body is never downloaded
    /// (a front page can be megabytes), and `body` of the answer is empty.
    pub async fn send_for_headers(&self, request: Request<'_>) -> Result<Answer, TransportError> {
        let opened = self.open(request, None, 0).await?;
        Ok(opened.headers_only())
    }

    /// Sends `request` with `body`, if any, as its JSON content, and reads at most [`MAX_BODY`]
    /// of the answer.
    pub async fn send_json(
        &self,
        request: Request<'_>,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, TransportError> {
        let opened = self.open(request, body, MAX_BODY).await?;
        opened.read_all().await.map_err(|unread| unread.cause)
    }

    /// Sends `request` with `body`, if any, as its JSON content, and returns once the status
    /// and headers have come: the body is then read with [`Opened::chunk`] or
    /// [`Opened::read_all`], never more than `limit` bytes of it once decompressed (a small
    /// compressed answer may unpack to gigabytes). Every answer woolink reads goes through
    /// here; only the limit differs.
    pub async fn open(
        &self,
        request: Request<'_>,
        body: Option<Vec<u8>>,
        limit: usize,
    ) -> Result<Opened, TransportError> {
        let started = Instant::now();
        // reqwest's own timeout covers the whole exchange too; this outer bound also covers a
        // body that drips forever between chunks.
        let deadline =
            tokio::time::Instant::now() + self.request_timeout + Duration::from_millis(100);
        let proxy = self.proxies.for_url(&request.url).cloned();
        let shown = debug_enabled().then(|| {
            let mut line = format!("{} {}", request.method, redacted_url(&request.url));
            if let Some(proxy) = &proxy {
                line.push_str(&format!(" via {proxy:?}"));
            }
            let auth = if request.basic.is_some() {
                " (Authorization: Basic REDACTED)"
            } else {
                ""
            };
            debug(&format!("request {line}{auth}"));
            line
        });
        // A plain http request is checked for having reached an HTTPS port, if it fails.
        let plain_url = (request.url.scheme() == "http").then(|| request.url.clone());
        let mut builder = self.client.request(request.method, request.url);
        if let Some(body) = body {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        if let Some(login) = request.basic {
            let (user, password) = login.user_and_password();
            builder = builder.basic_auth(user, Some(password));
        }
        let mut not_http = false;
        let mut sent = match tokio::time::timeout_at(deadline, builder.send()).await {
            Err(_) => Err(TransportError::Timeout),
            Ok(result) => result.map_err(|err| {
                not_http = answer_was_not_http(&err);
                classify(err, proxy.as_ref())
            }),
        };
        if let Some(url) = plain_url {
            // What a TLS port makes of a plain request: TLS bytes back (not HTTP), the
            // connection closed, or a web server's own 400 page ("The plain HTTP request was
            // sent to HTTPS port"). A WooCommerce 400 is JSON, and is left alone.
            let suspect = match &sent {
                Err(TransportError::Cut) => true,
                Err(_) => not_http,
                Ok(response) => response.status() == 400 && !is_json_type(response.headers()),
            };
            if suspect && let Some(https) = self.speaks_https(&url).await {
                sent = Err(TransportError::HttpsPort { https });
            }
        }
        let response = match sent {
            Ok(response) => response,
            Err(err) => {
                if let Some(line) = &shown {
                    let elapsed = started.elapsed().as_millis();
                    debug(&format!("no answer to {line} after {elapsed} ms: {err}"));
                }
                return Err(err);
            }
        };
        Ok(Opened {
            version: response.version(),
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            response,
            limit,
            read: 0,
            deadline,
            started,
            shown,
        })
    }
}

impl HttpClient {
    /// `url`'s host and port with https://, when that port completes (or gets as far as
    /// judging certificates in) a TLS handshake: it speaks HTTPS. Nothing but a GET of `/`
    /// with no credentials is sent.
    async fn speaks_https(&self, url: &Url) -> Option<String> {
        let port = url.port_or_known_default()?;
        let mut https = url.clone();
        https.set_scheme("https").ok()?;
        https.set_port(Some(port)).ok()?;
        https.set_path("/");
        https.set_query(None);
        https.set_fragment(None);
        let _ = https.set_username("");
        let _ = https.set_password(None);
        let checked = Box::pin(self.open(Request::get(https.clone()), None, 0)).await;
        let spoke_tls = match checked {
            Ok(_) => true,
            Err(TransportError::Tls(problem)) => problem != TlsProblem::NotTls,
            Err(_) => false,
        };
        spoke_tls.then(|| https.origin().ascii_serialization())
    }
}

/// An answer whose status and headers came; its body is read piece by piece, decompressed,
/// within the limit and the deadline it was opened with.
pub struct Opened {
    pub version: reqwest::Version,
    pub status: u16,
    pub headers: HeaderMap,
    response: reqwest::Response,
    limit: usize,
    read: usize,
    deadline: tokio::time::Instant,
    started: Instant,
    /// The request as debug lines name it, when they are on.
    shown: Option<String>,
}

/// A body that could not be read whole: the status and headers that did come, and why.
#[derive(Debug)]
pub struct Unread {
    pub answer: Answer,
    pub cause: TransportError,
}

impl Opened {
    /// The status and headers, the body left unread.
    pub fn headers_only(self) -> Answer {
        self.log(Ok(0));
        Answer {
            status: self.status,
            headers: self.headers,
            body: Vec::new(),
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

    /// The whole body.
    pub async fn read_all(mut self) -> Result<Answer, Unread> {
        let too_large = self
            .response
            .content_length()
            .is_some_and(|len| len > self.limit as u64);
        let mut body = Vec::new();
        let mut failure = too_large.then_some(TransportError::TooLarge { limit: self.limit });
        if failure.is_none() {
            loop {
                match self.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) => break,
                    Err(err) => {
                        failure = Some(err);
                        break;
                    }
                }
            }
        } else if let Some(err) = &failure {
            self.log(Err(err));
        }
        let answer = Answer {
            status: self.status,
            headers: self.headers,
            body,
        };
        match failure {
            None => Ok(answer),
            Some(cause) => Err(Unread {
                answer: Answer {
                    body: Vec::new(),
                    ..answer
                },
                cause,
            }),
        }
    }

    fn log(&self, outcome: Result<usize, &TransportError>) {
        if let Some(line) = &self.shown {
            let elapsed = self.started.elapsed().as_millis();
            let status = self.status;
            match outcome {
                Ok(bytes) => debug(&format!(
                    "answer {status} to {line}: {bytes} bytes in {elapsed} ms"
                )),
                Err(err) => debug(&format!(
                    "answer {status} to {line}, body unread after {elapsed} ms: {err}"
                )),
            }
        }
    }
}

/// Whether debug lines go to stderr: `WOOLINK_DEBUG` set to anything but empty or `0`, or
/// `RUST_LOG` enabling debug or trace for woolink (`debug`, `trace`, `woolink`,
/// `woolink=debug`, `info,woolink=trace`, ...). Read once per process.
pub fn debug_enabled() -> bool {
    static ENABLED: LazyLock<bool> = LazyLock::new(|| {
        debug_wanted(
            std::env::var("WOOLINK_DEBUG").ok().as_deref(),
            std::env::var("RUST_LOG").ok().as_deref(),
        )
    });
    *ENABLED || VERBOSE.load(std::sync::atomic::Ordering::Relaxed)
}

/// `--verbose`: debug lines whatever the environment says.
static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_verbose(verbose: bool) {
    VERBOSE.store(verbose, std::sync::atomic::Ordering::Relaxed);
}

/// The decision behind [`debug_enabled`], pure for tests.
pub fn debug_wanted(woolink_debug: Option<&str>, rust_log: Option<&str>) -> bool {
    if woolink_debug.is_some_and(|value| !matches!(value.trim(), "" | "0" | "false" | "off")) {
        return true;
    }
    let verbose = |level: &str| {
        matches!(
            level.trim().to_ascii_lowercase().as_str(),
            "debug" | "trace"
        )
    };
    rust_log.unwrap_or_default().split(',').any(|directive| {
        let directive = directive.trim();
        match directive.split_once('=') {
            Some((target, level)) => {
                let target = target.trim();
                (target == "woolink" || target.starts_with("woolink::")) && verbose(level)
            }
            None => directive == "woolink" || verbose(directive),
        }
    })
}

/// One `--verbose` line on stderr, when debug lines are on.
pub fn debug_line(line: &str) {
    if debug_enabled() {
        debug(line);
    }
}

fn debug(line: &str) {
    let _ = writeln!(std::io::stderr(), "woolink debug: {line}");
}

/// Query parameters whose values are credentials (or, for the OAuth key, the full key).
const CREDENTIAL_PARAMS: [&str; 4] = [
    "consumer_key",
    "consumer_secret",
    "oauth_signature",
    "oauth_consumer_key",
];

/// `url` as debug lines show it: credential values in the query and any user name or password
/// replaced by `REDACTED`, the rest kept so a request can still be recognised.
pub fn redacted_url(url: &Url) -> String {
    let mut shown = url.clone();
    if !shown.username().is_empty() {
        let _ = shown.set_username("REDACTED");
    }
    if shown.password().is_some() {
        let _ = shown.set_password(Some("REDACTED"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let secret = CREDENTIAL_PARAMS
                    .iter()
                    .any(|p| name.eq_ignore_ascii_case(p));
                let value = if secret { "REDACTED".into() } else { value };
                (name.into_owned(), value.into_owned())
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.set_fragment(None);
    shown.to_string()
}

fn read_ca(path: &Path) -> Result<Vec<CertificateDer<'static>>, HttpSetupError> {
    let pem = std::fs::read(path).map_err(|source| HttpSetupError::ReadCa {
        path: path.to_owned(),
        source,
    })?;
    match CertificateDer::pem_slice_iter(crate::bom::strip(&pem)).collect::<Result<Vec<_>, _>>() {
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

/// Reads the cause out of reqwest's error chain. Only the cause: the URL is dropped. `proxy` is
/// the proxy the request went through, if any.
fn classify(err: reqwest::Error, proxy: Option<&ProxySetting>) -> TransportError {
    match proxy {
        // Connecting includes the proxy's part; what fails after that is the store's.
        Some(proxy) if err.is_connect() => proxy_failure(err, proxy),
        _ => classify_direct(err),
    }
}

fn classify_direct(err: reqwest::Error) -> TransportError {
    if err.is_timeout() {
        return TransportError::Timeout;
    }
    for cause in causes(&err) {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return TransportError::Tls(tls_problem(tls));
        }
        if cause.is::<dns::DnsFailure>() {
            return TransportError::Dns;
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            // A response head over hyper's limit (about 400 KiB or 100 headers).
            if hyper.is_parse_too_large() {
                return TransportError::HeadersTooLarge;
            }
            if hyper.is_incomplete_message() {
                return TransportError::Cut;
            }
            if hyper.is_timeout() {
                return TransportError::Timeout;
            }
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return TransportError::Refused,
                std::io::ErrorKind::TimedOut => return TransportError::Timeout,
                _ => {}
            }
        }
    }
    TransportError::Other(innermost_message(err))
}

/// Whether the server answered with bytes that are not HTTP (hyper could not parse them).
fn answer_was_not_http(err: &reqwest::Error) -> bool {
    causes(err).any(|cause| {
        cause
            .downcast_ref::<hyper::Error>()
            .is_some_and(|hyper| hyper.is_parse() && !hyper.is_parse_too_large())
    })
}

/// `err` and its causes, outermost first. `io::Error::source()` skips the error it wraps (and
/// rustls' error may be wrapped twice), so the walk descends into the wrapped error instead.
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |current| {
        match current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        }
    })
}

/// A failure to connect through `proxy`: the proxy's, unless it got as far as the store.
fn proxy_failure(err: reqwest::Error, proxy: &ProxySetting) -> TransportError {
    // hyper-util's and reqwest's words for each stage; their error types are private.
    let texts: Vec<String> = error_texts(&err)
        .into_iter()
        .map(|text| match text.strip_prefix("tunnel error: ") {
            Some(rest) => rest.to_owned(),
            None => text,
        })
        .collect();
    let said = |words: &str| texts.iter().any(|text| text == words);
    // An HTTP proxy's CONNECT fails with this around the cause when the proxy is not reached.
    let proxy_unreached = said("failed to create underlying connection");
    let failure = |problem| {
        TransportError::Proxy(ProxyFailure {
            proxy: proxy.shown(),
            variable: proxy.variable,
            problem,
        })
    };
    let socks = texts
        .iter()
        .find_map(|text| text.strip_prefix("SOCKS error: "));
    let direct = classify_direct(err);
    match direct {
        // The tunnel stands and the store's certificate failed; or an https proxy's did.
        TransportError::Tls(problem) if proxy_unreached => failure(ProxyProblem::Other(format!(
            "the secure connection to the proxy failed: {problem}"
        ))),
        TransportError::Tls(_) | TransportError::Timeout => direct,
        // socks5:// resolves the store's name here, before asking the proxy.
        TransportError::Dns if said("error resolving for socks proxy") => direct,
        TransportError::Dns => failure(ProxyProblem::Dns),
        TransportError::Refused => failure(ProxyProblem::Refused),
        _ if said("proxy authorization required") => failure(ProxyProblem::NeedsCredentials {
            given: proxy.has_credentials(),
        }),
        _ if said("unsuccessful") => failure(ProxyProblem::TunnelRefused),
        _ => match socks {
            Some("failed to create underlying connection") => failure(ProxyProblem::Unreachable),
            Some(
                "credentials not accepted" | "server does not support user/pass authentication",
            ) => failure(ProxyProblem::NeedsCredentials {
                given: proxy.has_credentials(),
            }),
            Some(
                reply @ ("general server failure"
                | "connection not allowed"
                | "network unreachable"
                | "host unreachable"
                | "connection refused"
                | "ttl expired"),
            ) => failure(ProxyProblem::SocksReply(reply.to_owned())),
            Some(other) => failure(ProxyProblem::Other(other.to_owned())),
            None => match direct {
                TransportError::Other(words) => failure(ProxyProblem::Other(words)),
                TransportError::Cut => {
                    failure(ProxyProblem::Other("it closed the connection".to_owned()))
                }
                other => other,
            },
        },
    }
}

/// The text of each error in the chain below reqwest's own (whose text names the URL):
/// hyper-util's and reqwest's proxy errors are private types, known only by their words.
fn error_texts(err: &reqwest::Error) -> Vec<String> {
    causes(err).skip(1).map(|cause| cause.to_string()).collect()
}

fn tls_problem(err: &rustls::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    let words = match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer | C::BadSignature => return TlsProblem::UnknownIssuer,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => return TlsProblem::Expired,
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                return TlsProblem::WrongName;
            }
            C::Other(other) if other.0.downcast_ref::<trust::SelfSigned>().is_some() => {
                return TlsProblem::SelfSigned;
            }
            C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
                Some(webpki::Error::CaUsedAsEndEntity) => {
                    "the server presented a CA certificate instead of its own".to_owned()
                }
                // The platform verifiers' own errors are sentences; webpki's are identifiers.
                Some(other) => format!("its certificate was refused ({})", identifier_words(other)),
                None => format!("its certificate was refused: {other}"),
            },
            C::BadEncoding => "its certificate is malformed".to_owned(),
            C::Revoked => "its certificate has been revoked".to_owned(),
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                "its certificate is not meant for web servers".to_owned()
            }
            other => format!("its certificate was refused ({})", identifier_words(other)),
        },
        // A server that knows none of TLS 1.2/1.3 answers "protocol version"; one whose ciphers
        // are all outdated (CBC, RC4, 3DES) answers "handshake failure".
        rustls::Error::AlertReceived(
            rustls::AlertDescription::ProtocolVersion
            | rustls::AlertDescription::HandshakeFailure
            | rustls::AlertDescription::InsufficientSecurity,
        ) => return TlsProblem::Outdated,
        rustls::Error::AlertReceived(alert) => format!(
            "the server ended the handshake ({})",
            identifier_words(alert)
        ),
        rustls::Error::PeerIncompatible(why) => format!(
            "the server's TLS settings do not match woolink's ({})",
            identifier_words(why)
        ),
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => return TlsProblem::NotTls,
        rustls::Error::PeerMisbehaved(why) => format!(
            "the server broke the TLS protocol ({})",
            identifier_words(why)
        ),
        rustls::Error::NoCertificatesPresented => "the server presented no certificate".to_owned(),
        // These carry text meant for people.
        rustls::Error::General(text) => text.clone(),
        rustls::Error::Other(other) => other.to_string(),
        other => identifier_words(other),
    };
    TlsProblem::Other(words)
}

/// rustls and webpki describe many errors only by their variant's name; this turns a name such
/// as `HandshakeFailure` into "handshake failure". Anything with fields is not shown at all:
/// `Debug` text like `Other(OtherError(..))` means nothing to a user.
fn identifier_words(value: &impl std::fmt::Debug) -> String {
    let name = format!("{value:?}");
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return "an unexpected TLS error".to_owned();
    }
    let mut words = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
    }
    words
}

/// The deepest cause's text. reqwest's own Display names the URL, which may carry query
/// credentials, so the URL is dropped first.
fn innermost_message(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(current) = source {
        message = current.to_string();
        source = current.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_opt_in() {
        let cases: &[(Option<&str>, Option<&str>, bool)] = &[
            (None, None, false),
            (Some(""), None, false),
            (Some("0"), None, false),
            (Some("1"), None, true),
            (None, Some("debug"), true),
            (None, Some("TRACE"), true),
            (None, Some("info"), false),
            (None, Some("woolink"), true),
            (None, Some("woolink=debug"), true),
            (None, Some("warn, woolink=trace"), true),
            (None, Some("woolink=info"), false),
            (None, Some("hyper=debug"), false),
        ];
        for (woolink, rust_log, expected) in cases {
            assert_eq!(
                debug_wanted(*woolink, *rust_log),
                *expected,
                "{woolink:?} {rust_log:?}"
            );
        }
    }

    #[test]
    fn debug_urls_hide_every_credential() {
        let url = Url::parse(
            "https://u:pw@s.example/wp-json/wc/v3/products?per_page=1&consumer_key=ck_abc&Consumer_Secret=cs_def&oauth_consumer_key=ck_ghi&oauth_signature=c2ln%3D&oauth_nonce=n1#frag",
        )
        .unwrap();
        let shown = redacted_url(&url);
        for secret in ["pw", "ck_abc", "cs_def", "ck_ghi", "c2ln", "frag"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("per_page=1"), "{shown}");
        assert!(shown.contains("oauth_nonce=n1"), "{shown}");
        assert!(shown.contains("consumer_key=REDACTED"), "{shown}");
        assert!(
            shown.starts_with("https://REDACTED:REDACTED@s.example/"),
            "{shown}"
        );
    }

    #[test]
    fn tls_failures_are_told_in_words() {
        use rustls::{AlertDescription, CertificateError, OtherError, PeerIncompatible};
        use std::sync::Arc;
        let other = |err: webpki::Error| {
            rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(err))))
        };
        let cases = [
            (other(webpki::Error::CaUsedAsEndEntity), "a CA certificate"),
            (
                other(webpki::Error::PathLenConstraintViolated),
                "path len constraint violated",
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
                "outdated",
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::ProtocolVersion),
                "such as TLS 1.0",
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::Unknown(250)),
                "unexpected",
            ),
            (
                rustls::Error::PeerIncompatible(PeerIncompatible::Tls12NotOffered),
                "tls12 not offered",
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::UnhandledCriticalExtension),
                "unhandled critical extension",
            ),
            (rustls::Error::DecryptError, "decrypt error"),
            (
                rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
                "plain http on this port",
            ),
        ];
        for (err, needle) in cases {
            let shown = TransportError::Tls(tls_problem(&err)).to_string();
            assert!(shown.contains(needle), "{err:?}: {shown}");
            assert!(!shown.contains('(') || !shown.contains("Error"), "{shown}");
            assert!(!shown.contains("Other"), "{shown}");
        }
        assert_eq!(
            tls_problem(&rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(trust::SelfSigned))
            ))),
            TlsProblem::SelfSigned
        );
    }

    #[test]
    fn the_cause_walk_reaches_the_error_an_io_error_wraps() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let outer = Outer(std::io::Error::other(rustls::Error::DecryptError));
        let is_tls = |cause: &(dyn std::error::Error + 'static)| cause.is::<rustls::Error>();
        // `source()` alone skips it: io::Error's source is its wrapped error's source.
        let by_source = std::iter::successors(
            Some(&outer as &(dyn std::error::Error + 'static)),
            |cause| cause.source(),
        );
        assert!(!by_source.into_iter().any(is_tls));
        assert!(causes(&outer).any(is_tls));
        assert_eq!(causes(&outer).count(), 3, "outer, io, rustls");
    }

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
