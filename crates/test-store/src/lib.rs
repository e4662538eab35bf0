//! A loopback HTTP(S) server that answers like a WordPress + WooCommerce store, following
//! `docs/woocommerce.md`. Each [`TestStore`] runs on its own tokio runtime, records every
//! request it sees, and fails the test on drop if nobody ever talked to it.

mod auth;
mod certs;
mod hostile;
mod wp;

pub use hostile::{Hostile, HostileScope};

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// What a key may do, as chosen on the store's "Add key" screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    Read,
    Write,
    ReadWrite,
}

impl Permission {
    fn can_read(self) -> bool {
        matches!(self, Permission::Read | Permission::ReadWrite)
    }

    fn can_write(self) -> bool {
        matches!(self, Permission::Write | Permission::ReadWrite)
    }
}

/// A REST API key the store knows about.
#[derive(Clone, Debug)]
pub struct TestKey {
    pub key: String,
    pub secret: String,
    pub permission: Permission,
    /// False when the key's user is a Customer: authenticated, but 403 on protected routes.
    pub user_can_view: bool,
}

impl TestKey {
    /// A fresh random key owned by a shop manager.
    pub fn new(permission: Permission) -> TestKey {
        TestKey {
            key: format!("ck_{}", random_hex()),
            secret: format!("cs_{}", random_hex()),
            permission,
            user_can_view: true,
        }
    }

    /// A fresh random key owned by a Customer, who may not list products.
    pub fn customer(permission: Permission) -> TestKey {
        TestKey {
            user_can_view: false,
            ..TestKey::new(permission)
        }
    }
}

fn random_hex() -> String {
    rand::random::<[u8; 20]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permalinks {
    Pretty,
    /// `key_auth_works: false` is WooCommerce older than 11.1: keys are ignored under `rest_route=`.
    Plain {
        key_auth_works: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    /// Plain http: only OAuth 1.0a authenticates.
    None,
    Valid,
    Expired,
    WrongName,
    /// One self-signed certificate (CA:TRUE, as `openssl req -x509` makes) for localhost and
    /// 127.0.0.1; [`TestStore::ca_cert_path`] is that certificate.
    SelfSigned,
    /// The same, for wrong.example.
    SelfSignedWrongName,
    /// The same, expired in 2021.
    SelfSignedExpired,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// 403 HTML with `cf-mitigated: challenge`.
    Cloudflare,
    /// 202 HTML with `sg-captcha: challenge`.
    SiteGround,
}

/// Text a store prints before the JSON of every answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Junk {
    /// A PHP deprecation notice, shown because `WP_DEBUG_DISPLAY` is on.
    PhpNotice,
    /// A UTF-8 byte-order mark from a plugin file saved with one.
    ByteOrderMark,
}

impl Junk {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Junk::PhpNotice => {
                b"<br />\n<b>Deprecated</b>:  Function create_function() is deprecated in <b>/var/www/html/wp-content/plugins/old-plugin/old.php</b> on line <b>12</b><br />\n"
            }
            Junk::ByteOrderMark => b"\xEF\xBB\xBF",
        }
    }
}

/// Front pages that hide a working REST API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrontPage {
    Normal,
    /// A performance or security plugin removed the api.w.org `Link` header and tag from
    /// pages; REST answers still carry it.
    NoDiscoveryHints,
    /// A private-site plugin: pages 302 to the login page without a Link header, the REST API
    /// answers 401 `rest_unauthorized` to anonymous requests; keys still work.
    PrivateSite,
    /// A coming-soon or maintenance plugin: pages answer 503 HTML; the REST API is open.
    ComingSoon,
    /// A page builder's front page of several MB.
    Huge,
    /// An uncached shop front that takes this long.
    Slow(Duration),
    /// A cache that refuses HEAD with 405.
    HeadRefused,
}

/// What a cache in front keys its copies by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cache {
    /// Path and query.
    ByUrl,
    /// Path alone ("ignore query string" caching).
    IgnoringQuery,
}

/// A store that is down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Down {
    /// WordPress maintenance mode (during updates): 503 with `Retry-After: 600` everywhere.
    Maintenance,
    /// A PHP fatal error: 500 `internal_server_error` on REST routes, "critical error" pages.
    Fatal,
}

#[derive(Clone, Debug)]
pub struct StoreConfig {
    pub tls: Tls,
    pub keys: Vec<TestKey>,
    pub permalinks: Permalinks,
    /// WordPress installed in a subdirectory, e.g. `"/shop"`.
    pub subdir: Option<String>,
    pub strip_authorization: bool,
    pub woocommerce_active: bool,
    /// False: some non-WordPress site answering 200 HTML everywhere.
    pub wordpress: bool,
    pub rest_blocked_for_anonymous: bool,
    pub challenge: Option<Challenge>,
    /// Every request answers 301 to this origin, same path and query.
    pub redirect_to: Option<String>,
    /// Every request answers 302 to itself, toggling a trailing slash.
    pub redirect_loop: bool,
    /// TLS terminated in front of a WordPress that believes it is on http (`is_ssl()` false)
    /// although its home and site URLs are https: keys are judged by OAuth 1.0a only, signed
    /// for the http:// form of the URL, and the login page redirects to itself.
    pub behind_tls_proxy: bool,
    /// Printed before every answer's body, as PHP notices or a byte-order mark are.
    pub junk: Option<Junk>,
    /// The web server's own password in front of the whole site: `(user, password, realm)`.
    pub site_password: Option<(String, String, String)>,
    /// The REST prefix (`rest_url_prefix`), `wp-json` unless a filter changed it.
    pub rest_prefix: String,
    /// What the front page (and other pages) look like.
    pub front_page: FrontPage,
    /// The whole store is down: maintenance mode or a PHP fatal error.
    pub down: Option<Down>,
    /// A CDN or page cache in front that keeps 200 answers to GETs under the REST API, whoever
    /// asks (credentials in headers ignored), and serves them again with `X-Cache: HIT`.
    pub cache: Option<Cache>,
    /// Slept before every answer.
    pub latency: Duration,
    /// PHP-FPM: this many workers, each answer costing this much CPU time on one of them.
    /// Requests beyond the pool wait for a worker, as on real hosting.
    pub workers: Option<(usize, Duration)>,
    pub site_name: String,
    /// A misbehaving store: how, and on which answers.
    pub hostile: Option<(Hostile, HostileScope)>,
    /// How many products the catalogue holds: the first three are Hoodie, Beanie and Album,
    /// the rest generated with a real product's fields (description, images, attributes).
    pub products: usize,
    /// The length of each generated product's description: a real one is 1-3 KB of HTML.
    pub description_bytes: usize,
    /// The web server compresses answers with this, when the request's Accept-Encoding
    /// names it (as nginx's `gzip on` does); `None` answers uncompressed.
    pub compression: Option<Encoding>,
    /// The description of the product a POST to products creates, echoed in the 201 answer:
    /// this many bytes of it (a page builder's markup pasted into the editor).
    pub created_description_bytes: usize,
    /// With TLS: what a plain http request to the port gets.
    pub plain_http_on_tls: PlainHttpOnTls,
    /// A web application firewall (mod_security on shared hosting) in front of REST writes;
    /// [`TestStore::set_firewall`] changes it at run time.
    pub firewall: Option<Firewall>,
    /// nginx's `limit_req` in front of the whole store; [`TestStore::set_rate_limit`] changes it
    /// at run time.
    pub rate_limit: Option<RateLimit>,
    /// A JWT or other token plugin that owns the `Authorization` header: every REST request
    /// carrying one (HTTP Basic included) gets 403 `jwt_auth_bad_auth_header` before
    /// WooCommerce sees the key; keys in the query string work.
    pub auth_header_plugin: bool,
    /// A trailing-slash rule (SEO plugin or server rewrite): every URL whose path does not end
    /// in `/` and whose last segment has no dot answers 301 to the same URL with a slash, query
    /// kept, REST and POST included.
    pub trailing_slash: bool,
    /// WordPress in its own directory under the home, e.g. `"/wp"`: the REST index's `url`
    /// (site URL) is home + this, `wp-admin` lives there and `/wp-admin/` on the home answers
    /// 302 to it; REST stays at the home's `/wp-json/`.
    pub wordpress_dir: Option<String>,
    /// Without TLS: the host name the store believes it has (its home, the URL OAuth
    /// signatures are made for) instead of `127.0.0.1`, e.g. a name under `localhost`, which
    /// woolink resolves to this computer.
    pub host: Option<String>,
}

/// A web application firewall's rule for REST writes (POST, PUT, PATCH, DELETE): 406 with
/// `Server: Apache` and mod_security's "Not Acceptable!" page; reads always pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Firewall {
    /// Writes to `wc/v3/<x>` where `<x>` is not products, orders, customers or coupons (or
    /// below them) are refused.
    UnknownWriteRoutes,
    /// Every REST write is refused.
    AllWrites,
}

/// nginx `limit_req` with no burst: at most `per_second` requests (any path) in any one-second
/// window; the rest get 429 with nginx's page and, if set, `Retry-After`. `per_second: 0`
/// refuses everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
    pub retry_after: Option<u32>,
}

/// What an HTTPS store's port does with a plain http request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlainHttpOnTls {
    /// What a TLS stack alone does (rustls here, OpenSSL alike): the request is a broken TLS
    /// record, answered with a TLS alert, and the connection closed.
    TlsAlert,
    /// nginx's `listen 443 ssl`: an HTTP 400 page, "The plain HTTP request was sent to HTTPS
    /// port" (Apache and Go's servers answer likewise).
    ErrorPage,
}

/// A `Content-Encoding` the test store can answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Gzip,
    Brotli,
    Zstd,
}

impl Encoding {
    fn token(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
        }
    }

    fn compress(self, bytes: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        match self {
            Encoding::Gzip => {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                encoder.write_all(bytes).unwrap();
                encoder.finish().unwrap()
            }
            Encoding::Brotli => {
                let mut out = Vec::new();
                {
                    let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 1, 22);
                    writer.write_all(bytes).unwrap();
                }
                out
            }
            Encoding::Zstd => zstd::encode_all(bytes, 1).unwrap(),
        }
    }
}

/// A host or WordPress turning REST requests away for a while, before any PHP runs: the next
/// `times` REST requests answer `status` (429 or 503) with `Retry-After: retry_after` (none
/// when it is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Busy {
    pub status: u16,
    pub times: usize,
    pub retry_after: String,
}

impl StoreConfig {
    pub fn new(tls: Tls) -> Self {
        StoreConfig {
            tls,
            keys: Vec::new(),
            permalinks: Permalinks::Pretty,
            subdir: None,
            strip_authorization: false,
            woocommerce_active: true,
            wordpress: true,
            rest_blocked_for_anonymous: false,
            challenge: None,
            redirect_to: None,
            redirect_loop: false,
            behind_tls_proxy: false,
            junk: None,
            site_password: None,
            rest_prefix: "wp-json".to_owned(),
            front_page: FrontPage::Normal,
            down: None,
            cache: None,
            latency: Duration::ZERO,
            workers: None,
            site_name: "Test Store".to_owned(),
            hostile: None,
            products: 3,
            description_bytes: 1500,
            compression: None,
            created_description_bytes: 0,
            plain_http_on_tls: PlainHttpOnTls::TlsAlert,
            firewall: None,
            rate_limit: None,
            auth_header_plugin: false,
            trailing_slash: false,
            wordpress_dir: None,
            host: None,
        }
    }
}

/// One request as the server saw it on the wire (before any header stripping).
#[derive(Clone, Debug)]
pub struct SeenRequest {
    pub method: String,
    pub path_and_query: String,
    pub authorization: Option<String>,
    pub accept_encoding: Option<String>,
    pub started: Instant,
    /// Equal to `started` until the answer is ready.
    pub finished: Instant,
}

impl SeenRequest {
    /// Authorization header, `consumer_key`/`consumer_secret` or `oauth_*` in the query.
    pub fn carries_credentials(&self) -> bool {
        let query = self.path_and_query.split_once('?').map_or("", |(_, q)| q);
        self.authorization.is_some()
            || url::form_urlencoded::parse(query.as_bytes()).any(|(k, _)| {
                k == "consumer_key" || k == "consumer_secret" || k.starts_with("oauth_")
            })
    }
}

/// The largest number of requests the server was handling at the same instant.
pub fn max_concurrent_requests(reqs: &[SeenRequest]) -> usize {
    // Ends sort before starts at the same instant: touching intervals do not overlap.
    let mut events: Vec<(Instant, i32)> = reqs
        .iter()
        .flat_map(|r| [(r.started, 1), (r.finished, -1)])
        .collect();
    events.sort();
    let (mut now, mut max) = (0i32, 0i32);
    for (_, step) in events {
        now += step;
        max = max.max(now);
    }
    max as usize
}

/// The requests grouped into rounds: a round is a run of requests whose `[started, finished]`
/// intervals overlap one another (directly or through others in it), in order of start.
pub fn rounds(reqs: &[SeenRequest]) -> Vec<Vec<SeenRequest>> {
    let mut sorted = reqs.to_vec();
    sorted.sort_by_key(|r| r.started);
    let mut rounds: Vec<Vec<SeenRequest>> = Vec::new();
    let mut end: Option<Instant> = None;
    for r in sorted {
        match (rounds.last_mut(), end) {
            (Some(round), Some(e)) if r.started < e => {
                end = Some(e.max(r.finished));
                round.push(r);
            }
            _ => {
                end = Some(r.finished);
                rounds.push(vec![r]);
            }
        }
    }
    rounds
}

/// State shared by the connection tasks and the test.
struct Shared {
    config: StoreConfig,
    /// Where the server really is: `scheme://host:port`.
    origin: String,
    /// WordPress's home URL (the `home` option), with the subdir.
    wp_home: String,
    /// PHP-FPM's workers, when the store models them.
    workers: Option<Arc<tokio::sync::Semaphore>>,
    index_routes: serde_json::Value,
    connections: AtomicUsize,
    /// [`TestStore::gather`]: how many GETs with credentials have arrived, and their wake-up.
    gathered: AtomicUsize,
    all_gathered: tokio::sync::Notify,
    state: Mutex<State>,
}

struct State {
    keys: Vec<TestKey>,
    revoked: HashSet<String>,
    redirect_to: Option<String>,
    nonces: HashMap<String, HashSet<String>>,
    requests: Vec<SeenRequest>,
    /// Set by [`TestStore::gather`].
    gather: Option<(usize, Duration)>,
    /// What the cache in front keeps, by path and query.
    cache: HashMap<String, (hyper::http::response::Parts, Bytes)>,
    /// REST requests still to turn away, see [`Busy`].
    busy: Option<Busy>,
    /// Names of the products POST requests created, in order.
    created: Vec<String>,
    /// The site's title (`blogname`), as the REST index and pages show it.
    site_name: String,
    firewall: Option<Firewall>,
    rate_limit: Option<RateLimit>,
    /// When the requests the rate limit let through arrived, the last second's worth.
    passed: std::collections::VecDeque<Instant>,
}

impl Shared {
    fn is_ssl(&self) -> bool {
        self.config.tls != Tls::None && !self.config.behind_tls_proxy
    }

    /// `get_home_url(null, $path, is_ssl() ? 'https' : 'http')`: the home URL with the scheme
    /// WordPress believes the request came in with.
    fn home_as_seen(&self) -> String {
        match self.wp_home.split_once("://") {
            Some((_, rest)) if !self.is_ssl() => format!("http://{rest}"),
            _ => self.wp_home.clone(),
        }
    }

    /// The live, unrevoked key with this consumer key.
    fn find_key(&self, key: &str) -> Option<TestKey> {
        let state = self.state.lock().unwrap();
        if state.revoked.contains(key) {
            return None;
        }
        state.keys.iter().find(|k| k.key == key).cloned()
    }

    /// Records the nonce; false when it was already used with this key.
    fn use_nonce(&self, key: &str, nonce: &str) -> bool {
        let mut state = self.state.lock().unwrap();
        state
            .nonces
            .entry(key.to_owned())
            .or_default()
            .insert(nonce.to_owned())
    }
}

pub struct TestStore {
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
    _dir: tempfile::TempDir,
    ca_path: PathBuf,
    server_cert_path: PathBuf,
    expect_no_requests: bool,
}

impl TestStore {
    pub fn start(config: StoreConfig) -> TestStore {
        let dir = tempfile::tempdir().expect("temp dir for the store's CA");
        let certs = certs::generate(config.tls);
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, &certs.ca_pem).expect("write CA certificate");
        let server_cert_path = dir.path().join("server.pem");
        if let Some(pem) = &certs.server_pem {
            std::fs::write(&server_cert_path, pem).expect("write server certificate");
        }

        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        let port = listener.local_addr().unwrap().port();
        // "localhost" may resolve to ::1 first; answer there too when the port is free.
        let listener6 = std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, port)).ok();
        let origin = match config.tls {
            Tls::None => format!(
                "http://{}:{port}",
                config.host.as_deref().unwrap_or("127.0.0.1")
            ),
            _ => format!("https://localhost:{port}"),
        };
        let subdir = config.subdir.clone().unwrap_or_default();
        let subdir = subdir.trim_end_matches('/').to_owned();
        let wp_home = format!("{origin}{subdir}");
        let shared = Arc::new(Shared {
            workers: config
                .workers
                .map(|(count, _)| Arc::new(tokio::sync::Semaphore::new(count))),
            index_routes: wp::filler_routes(config.woocommerce_active),
            origin,
            wp_home,
            connections: AtomicUsize::new(0),
            gathered: AtomicUsize::new(0),
            all_gathered: tokio::sync::Notify::new(),
            state: Mutex::new(State {
                keys: config.keys.clone(),
                revoked: HashSet::new(),
                redirect_to: config.redirect_to.clone(),
                nonces: HashMap::new(),
                requests: Vec::new(),
                gather: None,
                cache: HashMap::new(),
                busy: None,
                created: Vec::new(),
                site_name: config.site_name.clone(),
                firewall: config.firewall,
                rate_limit: config.rate_limit,
                passed: std::collections::VecDeque::new(),
            }),
            config: StoreConfig {
                subdir: (!subdir.is_empty()).then_some(subdir),
                ..config
            },
        });

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime for the test store");
        let acceptor = certs.server_config.map(TlsAcceptor::from);
        for listener in std::iter::once(listener).chain(listener6) {
            listener.set_nonblocking(true).unwrap();
            let _guard = runtime.enter();
            let listener = TcpListener::from_std(listener).unwrap();
            runtime.spawn(accept_loop(listener, acceptor.clone(), shared.clone()));
        }
        TestStore {
            shared,
            runtime: Some(runtime),
            _dir: dir,
            ca_path,
            server_cert_path,
            expect_no_requests: false,
        }
    }

    /// The home URL: origin plus subdir.
    pub fn url(&self) -> String {
        let subdir = self.shared.config.subdir.as_deref().unwrap_or("");
        format!("{}{subdir}", self.shared.origin)
    }

    pub fn origin(&self) -> String {
        self.shared.origin.clone()
    }

    /// PEM of the CA that signed the server's certificate (the certificate itself when it is
    /// self-signed).
    pub fn ca_cert_path(&self) -> PathBuf {
        self.ca_path.clone()
    }

    /// PEM of the certificate the server presents (https only).
    pub fn server_cert_path(&self) -> PathBuf {
        self.server_cert_path.clone()
    }

    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.state.lock().unwrap().requests.clone()
    }

    /// The requests seen so far that carried a key, in any of the ways woolink sends one.
    pub fn credentialed_requests(&self) -> Vec<SeenRequest> {
        let mut requests = self.requests();
        requests.retain(SeenRequest::carries_credentials);
        requests
    }

    /// The key stops working, as if deleted in the store's admin.
    pub fn revoke(&self, key: &str) {
        let mut state = self.shared.state.lock().unwrap();
        state.revoked.insert(key.to_owned());
    }

    pub fn set_permission(&self, key: &str, permission: Permission) {
        let mut state = self.shared.state.lock().unwrap();
        let found = state.keys.iter_mut().find(|k| k.key == key);
        found.expect("set_permission: unknown key").permission = permission;
    }

    pub fn set_redirect_to(&self, to: Option<String>) {
        self.shared.state.lock().unwrap().redirect_to = to;
    }

    /// The next REST requests are turned away, see [`Busy`].
    pub fn set_busy(&self, busy: Option<Busy>) {
        self.shared.state.lock().unwrap().busy = busy;
    }

    /// Names of the products created by POST requests, in order.
    pub fn created(&self) -> Vec<String> {
        self.shared.state.lock().unwrap().created.clone()
    }

    /// The firewall in front of REST writes from now on.
    pub fn set_firewall(&self, firewall: Option<Firewall>) {
        self.shared.state.lock().unwrap().firewall = firewall;
    }

    /// The rate limit in front of the store from now on, its window started afresh.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        let mut state = self.shared.state.lock().unwrap();
        state.rate_limit = limit;
        state.passed.clear();
    }

    /// From now on, GETs carrying credentials (key checks, api reads) are held until `count`
    /// of them have arrived (or `wait` passes), then answered together; once that many have
    /// gathered, none is held again. Shows, without timing anything, that a client sends them
    /// side by side.
    pub fn gather(&self, count: usize, wait: Duration) {
        self.shared.gathered.store(0, Ordering::SeqCst);
        self.shared.state.lock().unwrap().gather = Some((count, wait));
    }

    /// The site's title (Settings > General > Site Title) from now on.
    pub fn set_site_name(&self, name: &str) {
        self.shared.state.lock().unwrap().site_name = name.to_owned();
    }

    /// This test means never to reach the store; skip the drop check.
    pub fn expect_no_requests(&mut self) {
        self.expect_no_requests = true;
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
        // A refused TLS handshake counts as contact: the client reached the store.
        let contacted = self.shared.connections.load(Ordering::SeqCst) > 0;
        if !contacted && !self.expect_no_requests && !std::thread::panicking() {
            panic!(
                "the test store at {} never received a request: the test is not testing it",
                self.url()
            );
        }
    }
}

async fn accept_loop(listener: TcpListener, acceptor: Option<TlsAcceptor>, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let shared = shared.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            match acceptor {
                None => serve(stream, shared).await,
                Some(acceptor) => {
                    if shared.config.plain_http_on_tls == PlainHttpOnTls::ErrorPage
                        && !starts_tls(&stream).await
                    {
                        plain_http_error_page(stream).await;
                        return;
                    }
                    // The client refusing the certificate ends the connection here.
                    if let Ok(tls) = acceptor.accept(stream).await {
                        serve(tls, shared).await;
                    }
                }
            }
        });
    }
}

/// Whether the client's first byte opens a TLS handshake record (content type 22).
async fn starts_tls(stream: &tokio::net::TcpStream) -> bool {
    let mut first = [0u8; 1];
    matches!(stream.peek(&mut first).await, Ok(1) if first[0] == 0x16)
}

/// nginx's answer to plain http on an HTTPS port, after reading the request head.
async fn plain_http_error_page(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let body = "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP request was sent to HTTPS port</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(io: S, shared: Arc<Shared>) {
    let service = service_fn(move |req| handle(shared.clone(), req));
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// A request with its body read, as the routing code sees it.
pub(crate) struct Req {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Req {
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    /// Decoded query pairs, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let query = self.query.as_deref().unwrap_or("");
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    /// The last value of a query parameter, like PHP's `$_GET`.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub(crate) type Answer = Response<Full<Bytes>>;

/// What goes on the wire: a whole body, or pieces from a channel (for hostile modes), where an
/// `Err` piece makes hyper drop the connection.
pub(crate) struct StoreBody(BodyKind);

enum BodyKind {
    Full(Option<Bytes>),
    Stream(tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>),
}

impl StoreBody {
    pub(crate) fn full(bytes: Bytes) -> Self {
        StoreBody(BodyKind::Full(Some(bytes)))
    }

    pub(crate) fn stream(pieces: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>) -> Self {
        StoreBody(BodyKind::Stream(pieces))
    }
}

impl hyper::body::Body for StoreBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match &mut self.get_mut().0 {
            BodyKind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            BodyKind::Stream(pieces) => pieces
                .poll_recv(cx)
                .map(|piece| piece.map(|piece| piece.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(&self.0, BodyKind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            BodyKind::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            BodyKind::Stream(_) => SizeHint::default(),
        }
    }
}

/// Holds a GET until `count` GETs with credentials have arrived, at most `wait`.
async fn gather(shared: &Shared, count: usize, wait: Duration) {
    let all_gathered = shared.all_gathered.notified();
    tokio::pin!(all_gathered);
    // Registered before counting, so a wake-up between the two is not missed.
    all_gathered.as_mut().enable();
    if shared.gathered.fetch_add(1, Ordering::SeqCst) + 1 >= count {
        shared.all_gathered.notify_waiters();
        return;
    }
    let _ = tokio::time::timeout(wait, all_gathered).await;
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<StoreBody>, Infallible> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let seen = SeenRequest {
        method: parts.method.to_string(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map_or("/".to_owned(), |pq| pq.to_string()),
        authorization: parts
            .headers
            .get(hyper::header::AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        accept_encoding: parts
            .headers
            .get(hyper::header::ACCEPT_ENCODING)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        started,
        finished: started,
    };
    let authenticated_read = seen.method == "GET" && seen.carries_credentials();
    let (index, limited) = {
        let mut state = shared.state.lock().unwrap();
        state.requests.push(seen);
        let limited = over_rate_limit(&mut state, started);
        (state.requests.len() - 1, limited)
    };
    if let Some(limit) = limited {
        // nginx answers before reading the body or asking PHP anything.
        let answer = rate_limited(limit);
        shared.state.lock().unwrap().requests[index].finished = Instant::now();
        return Ok(answer.map(StoreBody::full));
    }
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let req = Req {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    };
    let gathering = shared.state.lock().unwrap().gather;
    if let (Some((count, wait)), true) = (gathering, authenticated_read) {
        gather(&shared, count, wait).await;
    }
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    if let FrontPage::Slow(delay) = shared.config.front_page
        && !wp::is_rest(&shared, &req)
    {
        tokio::time::sleep(delay).await;
    }
    let cache_key = match shared.config.cache {
        Some(cache) if req.method == "GET" && wp::is_rest(&shared, &req) => Some(match cache {
            Cache::ByUrl => req.path_and_query(),
            Cache::IgnoringQuery => req.path.clone(),
        }),
        _ => None,
    };
    let cached = cache_key
        .as_ref()
        .and_then(|key| shared.state.lock().unwrap().cache.get(key).cloned());
    if let Some((mut parts, body)) = cached {
        parts.headers.insert("x-cache", "HIT".parse().unwrap());
        shared.state.lock().unwrap().requests[index].finished = Instant::now();
        let answer = Response::from_parts(parts, Full::new(body));
        return Ok(hostile::apply(shared.config.hostile, &req, answer).await);
    }
    let (req, answer) = match (&shared.workers, shared.config.workers) {
        (Some(pool), Some((_, cost))) => {
            // Wait for a free worker, then spend its CPU time, as PHP-FPM does.
            let _worker = pool.acquire().await.expect("worker pool open");
            let shared = shared.clone();
            tokio::task::spawn_blocking(move || {
                burn_cpu(cost);
                let answer = wp::respond(&shared, &req);
                (req, answer)
            })
            .await
            .expect("worker thread")
        }
        _ => {
            let answer = wp::respond(&shared, &req);
            (req, answer)
        }
    };
    let answer = with_junk(shared.config.junk, answer);
    let answer = compressed(shared.config.compression, &req, answer);
    let answer = match cache_key {
        Some(key) if answer.status() == 200 => {
            let (parts, body) = answer.into_parts();
            let body = futures_body(body);
            let kept = (parts.clone(), body.clone());
            shared.state.lock().unwrap().cache.insert(key, kept);
            Response::from_parts(parts, Full::new(body))
        }
        _ => answer,
    };
    let answer = hostile::apply(shared.config.hostile, &req, answer).await;
    shared.state.lock().unwrap().requests[index].finished = Instant::now();
    Ok(answer)
}

/// The rate limit a request arriving `now` is over, if any; a request let through is counted.
fn over_rate_limit(state: &mut State, now: Instant) -> Option<RateLimit> {
    let limit = state.rate_limit?;
    while state
        .passed
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        state.passed.pop_front();
    }
    if state.passed.len() < limit.per_second as usize {
        state.passed.push_back(now);
        return None;
    }
    Some(limit)
}

/// nginx's own 429 page (`limit_req_status 429`).
fn rate_limited(limit: RateLimit) -> Response<Bytes> {
    let body = "<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let mut answer = Response::builder()
        .status(429)
        .header("server", "nginx")
        .header("content-type", "text/html");
    if let Some(seconds) = limit.retry_after {
        answer = answer.header("retry-after", seconds.to_string());
    }
    answer.body(Bytes::from_static(body.as_bytes())).unwrap()
}

/// Keeps one core busy for `cost`: PHP's time is CPU time, not a sleep.
fn burn_cpu(cost: Duration) {
    let started = Instant::now();
    let mut x: u64 = 1;
    while started.elapsed() < cost {
        for _ in 0..10_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
}

/// The answer with the store's junk printed before its body; status and headers unchanged.
fn with_junk(junk: Option<Junk>, answer: Answer) -> Answer {
    let Some(junk) = junk else {
        return answer;
    };
    let (parts, body) = answer.into_parts();
    let body = futures_body(body);
    let mut bytes = junk.bytes().to_vec();
    bytes.extend_from_slice(&body);
    Response::from_parts(parts, Full::new(Bytes::from(bytes)))
}

/// The answer compressed as the web server in front compresses it: only with an encoding the
/// request accepts, saying so in `Content-Encoding` and `Vary`.
fn compressed(encoding: Option<Encoding>, req: &Req, answer: Answer) -> Answer {
    let Some(encoding) = encoding else {
        return answer;
    };
    let accepted = req.header("accept-encoding").is_some_and(|value| {
        value
            .split(',')
            .any(|token| token.split(';').next().unwrap_or("").trim() == encoding.token())
    });
    if !accepted {
        return answer;
    }
    let (mut parts, body) = answer.into_parts();
    let body = encoding.compress(&futures_body(body));
    parts
        .headers
        .insert("content-encoding", encoding.token().parse().unwrap());
    parts
        .headers
        .insert("vary", "Accept-Encoding".parse().unwrap());
    Response::from_parts(parts, Full::new(Bytes::from(body)))
}

/// The bytes of a whole `Full` body.
fn futures_body(body: Full<Bytes>) -> Bytes {
    use hyper::body::Body as _;
    let mut body = std::pin::pin!(body);
    let waker = std::task::Waker::noop();
    let mut cx = Context::from_waker(waker);
    match body.as_mut().poll_frame(&mut cx) {
        Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
        _ => Bytes::new(),
    }
}
