//! `cargo bench --bench cli`: woolink's speed and memory goals, measured on the real (release)
//! binary with a scrubbed environment, against the loopback store the integration tests use.
//!
//! These are benchmarks, not timed tests: a missed goal is printed as MISSED and the process
//! still exits 0. It exits non-zero only when the harness itself cannot do its work.
//!
//! Settings (environment):
//! - `WOOLINK_BENCH_RUNS`: timed runs per benchmark (default 10);
//! - `WOOLINK_BENCH_QUICK=1`: 3 runs and a store latency L of 50 ms instead of 200 ms.
//!
//! Without cargo's `--bench` argument (`cargo test --all-targets` runs this binary too) it does
//! one short smoke pass, so the harness is checked without making the test suite slow.
//!
//! Peak memory comes from GNU time (`/usr/bin/time -f %M`, the child's `ru_maxrss` as `wait4`
//! reports it). std cannot read a child's rusage and `libc` is not a dependency, so where GNU
//! time is missing the column says "n/a". That run is separate from the timed ones (time's own
//! fork and exec would be counted in millisecond-sized figures) and doubles as the warm-up.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use woolink::testing::PlaintextFileStore;
use woolink::testing::{Access, Account, AuthMethod, SecretStorage};
use woolink::testing::{ConsumerKey, ConsumerSecret, Credentials};
use woolink::testing::{INDEX_FILE, INDEX_VERSION};

use woolink_test_store::{
    self as store, Permission, StoreConfig, TestKey, TestStore, Tls, max_concurrent_requests,
};
use woolink_test_store::{Firewall, FrontPage, Junk, Permalinks};

const WOOLINK: &str = env!("CARGO_BIN_EXE_woolink");
const GNU_TIME: &str = "/usr/bin/time";
const LIST_ACCOUNTS: usize = 1_000;
const VERIFY_STORES: usize = 20;

type Harness<T> = Result<T, String>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench harness error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Harness<()> {
    let settings = Settings::from_env()?;
    eprintln!(
        "woolink cli benchmarks: {} runs each, store latency L = {} ms, binary {WOOLINK}",
        settings.runs,
        settings.latency.as_millis()
    );
    let mut rows = Vec::new();
    rows.push(bench_connect(&settings)?);
    rows.extend(bench_worker_store(&settings)?);
    let linking = bench_linking(&settings)?;
    rows.extend(bench_list(&settings)?);
    rows.push(bench_verify_all(&settings)?);
    rows.push(measure(
        &settings,
        "`--version` (start-up)",
        &Sandbox::new()?,
        &["--version".into()],
        Goal::None,
    )?);
    print!("{}", table(&rows));
    print!("{}", linking_table(&linking));
    Ok(())
}

struct Settings {
    runs: usize,
    latency: Duration,
    memory: bool,
}

impl Settings {
    fn from_env() -> Harness<Settings> {
        let cargo_bench = std::env::args().any(|arg| arg == "--bench");
        if !cargo_bench {
            eprintln!(
                "smoke run (no --bench argument): one run, L = 20 ms; the figures mean nothing"
            );
        }
        let quick = std::env::var_os("WOOLINK_BENCH_QUICK").is_some_and(|v| v != "0");
        let (mut runs, latency) = match (cargo_bench, quick) {
            (false, _) => (1, Duration::from_millis(20)),
            (true, true) => (3, Duration::from_millis(50)),
            (true, false) => (10, Duration::from_millis(200)),
        };
        if let Some(value) = std::env::var_os("WOOLINK_BENCH_RUNS") {
            runs = value
                .to_str()
                .and_then(|v| v.parse().ok())
                .filter(|&n| n > 0)
                .ok_or_else(|| {
                    format!("WOOLINK_BENCH_RUNS must be a whole number above 0, not {value:?}")
                })?;
        }
        Ok(Settings {
            runs,
            latency,
            memory: Path::new(GNU_TIME).exists(),
        })
    }
}

/// A home and config folder of its own; no way to reach the developer's keychain or config.
struct Sandbox {
    home: TempDir,
    envs: Vec<(String, OsString)>,
}

impl Sandbox {
    fn new() -> Harness<Sandbox> {
        let home = tempfile::tempdir().map_err(|err| format!("temp home: {err}"))?;
        Ok(Sandbox {
            home,
            envs: Vec::new(),
        })
    }

    fn config_dir(&self) -> PathBuf {
        self.home.path().join("config")
    }

    fn env(&mut self, name: &str, value: impl Into<OsString>) {
        self.envs.push((name.to_owned(), value.into()));
    }

    fn command(&self, program: &str) -> Command {
        let home = self.home.path();
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .env("WOOLINK_CONFIG_DIR", self.config_dir())
            // A bus that does not exist: any keychain access fails at once instead of unlocking.
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/woolink-bench-bus",
            )
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        command
    }
}

/// One run: wall time from spawn to exit, and how it ended.
struct Sample {
    wall: Duration,
    code: Option<i32>,
    stderr: String,
}

fn run_once(sandbox: &Sandbox, args: &[OsString]) -> Harness<Sample> {
    let mut command = sandbox.command(WOOLINK);
    command.args(args);
    let start = Instant::now();
    let output = command
        .output()
        .map_err(|err| format!("could not run {WOOLINK}: {err}"))?;
    Ok(Sample {
        wall: start.elapsed(),
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// Peak resident set size in KiB, from GNU time; `None` when it is missing or says nothing.
fn peak_rss_kib(sandbox: &Sandbox, args: &[OsString]) -> Harness<Option<u64>> {
    let report = sandbox.home.path().join("time-report");
    let mut command = sandbox.command(GNU_TIME);
    command
        .args(["-f", "%M", "-o"])
        .arg(&report)
        .arg(WOOLINK)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
        .status()
        .map_err(|err| format!("could not run {GNU_TIME}: {err}"))?;
    // On a non-zero exit GNU time writes "Command exited with non-zero status N" first.
    let text = fs::read_to_string(&report).unwrap_or_default();
    Ok(text.lines().last().and_then(|l| l.trim().parse().ok()))
}

#[derive(Clone, Copy)]
enum Goal {
    None,
    Under(Duration),
    /// Under this many times the store latency L.
    UnderLatency(f64, Duration),
    /// Under this many times G, one authenticated GET against the same store.
    UnderGet(f64, Duration),
}

enum Outcome {
    Measured {
        samples: Vec<Duration>,
        failed: Option<String>,
        rss_kib: Option<u64>,
    },
    Skipped(String),
}

struct Row {
    name: String,
    runs: usize,
    goal: Goal,
    outcome: Outcome,
}

/// A memory run (which is also the warm-up), then `settings.runs` timed runs.
fn measure(
    settings: &Settings,
    name: &str,
    sandbox: &Sandbox,
    args: &[OsString],
    goal: Goal,
) -> Harness<Row> {
    measure_each(settings, name, sandbox, args, goal, |_| {})
}

/// [`measure`], calling `after` after every run, the memory run first (whose wall time, taken
/// through GNU time, is not a sample).
fn measure_each(
    settings: &Settings,
    name: &str,
    sandbox: &Sandbox,
    args: &[OsString],
    goal: Goal,
    mut after: impl FnMut(Duration),
) -> Harness<Row> {
    eprintln!("running {name} ...");
    let start = Instant::now();
    let rss_kib = if settings.memory {
        peak_rss_kib(sandbox, args)?
    } else {
        run_once(sandbox, args)?;
        None
    };
    after(start.elapsed());
    let mut samples = Vec::with_capacity(settings.runs);
    let mut failed = None;
    for _ in 0..settings.runs {
        let sample = run_once(sandbox, args)?;
        after(sample.wall);
        if sample.code != Some(0) && failed.is_none() {
            let code = sample.code.map_or("a signal".to_owned(), |c| c.to_string());
            eprintln!("  {name} exited with {code}:\n{}", sample.stderr.trim_end());
            failed = Some(format!("FAILED (exit {code})"));
        }
        samples.push(sample.wall);
    }
    Ok(Row {
        name: name.to_owned(),
        runs: settings.runs,
        goal,
        outcome: Outcome::Measured {
            samples,
            failed,
            rss_kib,
        },
    })
}

/// (a) `connect --no-save` over TLS against a store whose every answer takes L.
fn bench_connect(settings: &Settings) -> Harness<Row> {
    let key = TestKey::new(Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.latency = settings.latency;
    let store = TestStore::start(config);

    let sandbox = Sandbox::new()?;
    let mut args = connect_args(&sandbox, &store, &key)?;
    args.extend(["--ca-cert".into(), store.ca_cert_path().into()]);
    let name = "`connect --no-save` (TLS, read-write key)";
    let goal = Goal::UnderLatency(1.5, settings.latency);
    let row = measure(settings, name, &sandbox, &args, goal)?;
    // One more run, only to show where the time goes.
    let first = store.requests().len();
    let sample = run_once(&sandbox, &args)?;
    eprint!("{}", timeline(&store.requests()[first..], sample.wall));
    Ok(row)
}

/// `connect --no-save --no-input` of `key` at `store`, the secret in a file in the sandbox.
fn connect_args(sandbox: &Sandbox, store: &TestStore, key: &TestKey) -> Harness<Vec<OsString>> {
    let secret_file = sandbox.home.path().join("secret");
    fs::write(&secret_file, &key.secret).map_err(|err| format!("write secret file: {err}"))?;
    Ok(vec![
        "connect".into(),
        "--url".into(),
        store.url().into(),
        "--consumer-key".into(),
        key.key.clone().into(),
        "--consumer-secret-file".into(),
        secret_file.into(),
        "--no-save".into(),
        "--no-input".into(),
    ])
}

/// PHP time per request on the worker-bound store: 100 ms as measured on real hosting (60 ms
/// in quick mode, 20 ms in a smoke run).
fn php_cost(settings: &Settings) -> Duration {
    match settings.latency.as_millis() {
        200 => Duration::from_millis(100),
        50 => Duration::from_millis(60),
        _ => Duration::from_millis(20),
    }
}

/// (d) Entry hosting: a store with 2 PHP workers, each answer costing CPU time on one of them
/// (requests beyond two wait), and a 2 s uncached front page. G is one authenticated GET
/// (`woolink api`, the same process start and TLS set-up as connect) against that store;
/// `connect --no-save` is measured against G.
fn bench_worker_store(settings: &Settings) -> Harness<Vec<Row>> {
    let key = TestKey::new(Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.workers = Some((2, php_cost(settings)));
    config.front_page = store::FrontPage::Slow(Duration::from_secs(2));
    let store = TestStore::start(config);

    let mut sandbox = Sandbox::new()?;
    sandbox.env("WOOLINK_CA_CERT", store.ca_cert_path());
    let dir = sandbox.config_dir();
    let account = Account {
        store_url: store.url(),
        api_root: format!("{}/wp-json/", store.url()),
        key_suffix: key.key[key.key.len() - 7..].to_owned(),
        auth_method: AuthMethod::Basic,
        secret_storage: SecretStorage::PlaintextFile,
        ..sample_account(0)
    };
    let creds = Credentials {
        key: ConsumerKey::parse(&key.key).map_err(|err| err.to_string())?,
        secret: ConsumerSecret::parse(&key.secret).map_err(|err| err.to_string())?,
        site: None,
    };
    block_on(woolink::testing::save(
        &dir,
        &PlaintextFileStore::new(&dir),
        account,
        &creds,
        woolink::testing::Existing::Refuse,
        None,
    ))
    .map_err(|err| format!("link the worker-bound store: {err}"))?;
    let cost = php_cost(settings).as_millis();
    let get_args: Vec<OsString> = ["api", "products?per_page=1&_fields=id", "--account"]
        .map(OsString::from)
        .into_iter()
        .chain([OsString::from(sample_account(0).name)])
        .collect();
    let get_name = format!("G: one authenticated GET (`api`), 2 PHP workers x {cost} ms");
    let get = measure(settings, &get_name, &sandbox, &get_args, Goal::None)?;
    let Outcome::Measured { samples, .. } = &get.outcome else {
        return Err("the GET baseline was not measured".into());
    };
    let mut sorted = samples.clone();
    sorted.sort();
    let baseline = median(&sorted);

    let connect_args = connect_args(&sandbox, &store, &key)?;
    let name = format!("`connect --no-save`, 2 PHP workers x {cost} ms, 2 s front page");
    let connect = measure(
        settings,
        &name,
        &sandbox,
        &connect_args,
        Goal::UnderGet(1.3, baseline),
    )?;
    let first = store.requests().len();
    let sample = run_once(&sandbox, &connect_args)?;
    eprint!("{}", timeline(&store.requests()[first..], sample.wall));
    Ok(vec![get, connect])
}

/// One store set-up of the linking table: how it differs from an ordinary store, and the one
/// GET a client that already knew the store would send.
struct LinkCase {
    name: &'static str,
    adjust: fn(&mut StoreConfig),
    /// The products route under the store's API root, relative to the store URL (the home).
    get_path: &'static str,
    /// The key in the query string instead of HTTP Basic: the store does not let Basic through.
    query_auth: bool,
}

const fn case(name: &'static str, adjust: fn(&mut StoreConfig)) -> LinkCase {
    LinkCase {
        name,
        adjust,
        get_path: "/wp-json/wc/v3/products?per_page=1",
        query_auth: false,
    }
}

/// The stores of docs/woocommerce.md that link, each on 2 PHP workers. The first is the
/// ordinary store (goal 1.2 G, one round); the others may take two rounds (2.2 G).
const LINK_CASES: &[LinkCase] = &[
    case("ordinary store", |_| {}),
    LinkCase {
        get_path: "/api/wc/v3/products?per_page=1",
        ..case("REST prefix `api`", |c| c.rest_prefix = "api".into())
    },
    case("subdirectory install (`/shop`)", |c| {
        c.subdir = Some("/shop".into())
    }),
    LinkCase {
        get_path: "/index.php?rest_route=/wc/v3/products&per_page=1",
        ..case("Plain permalinks, key auth works", |c| {
            c.permalinks = Permalinks::Plain {
                key_auth_works: true,
            }
        })
    },
    LinkCase {
        query_auth: true,
        ..case("Authorization header stripped (query-string auth)", |c| {
            c.strip_authorization = true
        })
    },
    LinkCase {
        query_auth: true,
        ..case("a plugin owns the Authorization header", |c| {
            c.auth_header_plugin = true
        })
    },
    LinkCase {
        get_path: "/wp-json/wc/v3/products/?per_page=1",
        ..case("trailing-slash redirects", |c| c.trailing_slash = true)
    },
    case("firewall on unknown write routes", |c| {
        c.firewall = Some(Firewall::UnknownWriteRoutes)
    }),
    case("WordPress in its own directory (`/wp`)", |c| {
        c.wordpress_dir = Some("/wp".into())
    }),
    case("REST closed to anonymous visitors", |c| {
        c.rest_blocked_for_anonymous = true
    }),
    case("discovery hints removed", |c| {
        c.front_page = FrontPage::NoDiscoveryHints
    }),
    case("private-site front page", |c| {
        c.front_page = FrontPage::PrivateSite
    }),
    case("coming-soon front page (503)", |c| {
        c.front_page = FrontPage::ComingSoon
    }),
    case("PHP notice before the JSON", |c| {
        c.junk = Some(Junk::PhpNotice)
    }),
    case("byte-order mark before the JSON", |c| {
        c.junk = Some(Junk::ByteOrderMark)
    }),
];

/// One row of the linking table.
struct LinkRow {
    name: String,
    runs: usize,
    /// Median of one authenticated GET.
    get: Duration,
    connect: Row,
    /// The fewest and most rounds a timed connect run took, and its requests then.
    rounds: (usize, usize),
    requests: (usize, usize),
    max_rounds: usize,
}

/// (e) Linking on entry hosting: for each store set-up that links, `connect --no-save` (TLS,
/// read-write key, secret from a file) on 2 PHP workers x `php_cost`, against G, one GET of
/// `products?per_page=1` with the key by a plain HTTP client in this process (a new
/// connection, TLS included) against the same store.
fn bench_linking(settings: &Settings) -> Harness<Vec<LinkRow>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("tokio runtime for the GET baseline: {err}"))?;
    let cost = php_cost(settings);
    let mut rows = Vec::new();
    for (i, case) in LINK_CASES.iter().enumerate() {
        let ordinary = i == 0;
        let key = TestKey::new(Permission::ReadWrite);
        let mut config = StoreConfig::new(Tls::Valid);
        config.keys = vec![key.clone()];
        config.workers = Some((2, cost));
        (case.adjust)(&mut config);
        let store = TestStore::start(config);

        eprintln!("linking: {} ...", case.name);
        let get = runtime.block_on(one_get_median(settings, &store, &key, case))?;

        let sandbox = Sandbox::new()?;
        let mut args = connect_args(&sandbox, &store, &key)?;
        args.extend(["--ca-cert".into(), store.ca_cert_path().into()]);
        let factor = if ordinary { 1.2 } else { 2.2 };
        let max_rounds = if ordinary { 1 } else { 2 };
        let name = format!("`connect --no-save`: {}", case.name);
        // After each run (the memory run first): how many requests the store has seen by then.
        let mut ends = Vec::new();
        let connect = measure_each(
            settings,
            &name,
            &sandbox,
            &args,
            Goal::UnderGet(factor, get),
            |wall| ends.push((store.requests().len(), wall)),
        )?;
        let seen = store.requests();
        let runs: Vec<(&[store::SeenRequest], usize, Duration)> = ends
            .windows(2)
            .map(|pair| {
                let ((start, _), (end, wall)) = (pair[0], pair[1]);
                let reqs = &seen[start..end];
                (reqs, store::rounds(reqs).len(), wall)
            })
            .collect();
        let rounds = (
            runs.iter().map(|r| r.1).min().unwrap_or(0),
            runs.iter().map(|r| r.1).max().unwrap_or(0),
        );
        let requests = (
            runs.iter().map(|r| r.0.len()).min().unwrap_or(0),
            runs.iter().map(|r| r.0.len()).max().unwrap_or(0),
        );
        // The run with the most rounds (the slowest of those) shows where the time goes.
        if let Some((reqs, _, wall)) = runs.iter().max_by_key(|(_, rounds, wall)| (*rounds, *wall))
        {
            eprint!("{}", timeline(reqs, *wall));
        }
        rows.push(LinkRow {
            name: case.name.to_owned(),
            runs: settings.runs,
            get,
            connect,
            rounds,
            requests,
            max_rounds,
        });
    }
    eprintln!("linking: http:// → https:// redirect: skipped, {HTTP_TO_HTTPS}");
    Ok(rows)
}

/// The median of `settings.runs` single GETs (after one warm-up), each on a new connection.
async fn one_get_median(
    settings: &Settings,
    store: &TestStore,
    key: &TestKey,
    case: &LinkCase,
) -> Harness<Duration> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let pem = fs::read(store.ca_cert_path()).map_err(|err| format!("read the test CA: {err}"))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|err| format!("parse the test CA: {err}"))?;
        roots
            .add(cert)
            .map_err(|err| format!("trust the test CA: {err}"))?;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("TLS set-up: {err}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .no_proxy()
        .build()
        .map_err(|err| format!("HTTP client: {err}"))?;
    let mut url = format!("{}{}", store.url(), case.get_path);
    if case.query_auth {
        url.push_str(&format!(
            "&consumer_key={}&consumer_secret={}",
            key.key, key.secret
        ));
    }
    let mut samples = Vec::with_capacity(settings.runs);
    for run in 0..=settings.runs {
        let mut request = client.get(&url);
        if !case.query_auth {
            request = request.basic_auth(&key.key, Some(&key.secret));
        }
        let start = Instant::now();
        let answer = request
            .send()
            .await
            .map_err(|err| format!("{}: the GET baseline failed: {err}", case.name))?;
        let status = answer.status();
        let body = answer
            .bytes()
            .await
            .map_err(|err| format!("{}: the GET baseline's body: {err}", case.name))?;
        let wall = start.elapsed();
        if status != 200 {
            return Err(format!(
                "{}: the GET baseline answered {status}, not 200: {}",
                case.name,
                String::from_utf8_lossy(&body)
            ));
        }
        if run > 0 {
            samples.push(wall);
        }
    }
    samples.sort();
    Ok(median(&samples))
}

fn linking_table(rows: &[LinkRow]) -> String {
    let mut text = String::from(
        "\n| store (2 PHP workers) | runs | G: one GET | `connect --no-save` | goal | rounds (requests) |\n|---|---:|---:|---:|---|---|\n",
    );
    for row in rows {
        let Outcome::Measured {
            samples, failed, ..
        } = &row.connect.outcome
        else {
            continue;
        };
        let mut sorted = samples.clone();
        sorted.sort();
        let median = median(&sorted);
        let goal = match failed {
            Some(failed) => failed.clone(),
            None => format_goal(row.connect.goal, Some(median)),
        };
        let span = |(low, high): (usize, usize)| {
            if low == high {
                low.to_string()
            } else {
                format!("{low}-{high}")
            }
        };
        let mut rounds = format!("{} ({})", span(row.rounds), span(row.requests));
        if row.rounds.1 > row.max_rounds {
            let _ = write!(rounds, ": MISSED (goal ≤ {})", row.max_rounds);
        }
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {goal} | {rounds} |",
            row.name,
            row.runs,
            format_time(row.get, Goal::None),
            format_time(median, row.connect.goal),
        );
    }
    let _ = writeln!(
        text,
        "| http:// → https:// redirect | 0 | — | — | not measured: {HTTP_TO_HTTPS} | — |"
    );
    text
}

/// Why the linking table has no http:// → https:// row.
const HTTP_TO_HTTPS: &str = "the test store cannot model it (its TLS port answers plain http \
    with a TLS alert or nginx's 400 page, and a redirect from an http store on another port is \
    another origin, which `--no-input` refuses as moved_elsewhere)";

/// The requests of one connect, as offsets from the first request's arrival.
fn timeline(requests: &[store::SeenRequest], wall: Duration) -> String {
    let mut text = format!(
        "  one connect run: wall {:.1} ms, {} requests, at most {} at once:\n",
        ms(wall),
        requests.len(),
        max_concurrent_requests(requests)
    );
    let Some(zero) = requests.iter().map(|r| r.started).min() else {
        return text;
    };
    for r in requests {
        let _ = writeln!(
            text,
            "    {:>7.1} -> {:>7.1} ms  {} {}",
            ms(r.started - zero),
            ms(r.finished - zero),
            r.method,
            r.path_and_query
        );
    }
    text
}

/// (b) `accounts list` and `accounts list --json` over an index of 1,000 accounts.
fn bench_list(settings: &Settings) -> Harness<Vec<Row>> {
    let sandbox = Sandbox::new()?;
    let accounts: Vec<Account> = (0..LIST_ACCOUNTS).map(sample_account).collect();
    write_index(&sandbox.config_dir(), &accounts)?;
    let goal = Goal::Under(Duration::from_millis(10));
    let mut rows = Vec::new();
    for (name, args) in [
        (
            "`accounts list` (1,000 accounts)",
            &["accounts", "list"][..],
        ),
        (
            "`accounts list --json` (1,000 accounts)",
            &["accounts", "list", "--json"][..],
        ),
    ] {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        rows.push(measure(settings, name, &sandbox, &args, goal)?);
    }
    Ok(rows)
}

fn sample_account(i: usize) -> Account {
    let store_url = format!("https://shop{i:04}.example.com");
    Account {
        name: format!("shop{i:04}.example.com"),
        id: None,
        api_root: format!("{store_url}/wp-json/"),
        store_url,
        key_suffix: format!("{:07x}", i * 7919),
        access: if i.is_multiple_of(3) {
            Access::Read
        } else {
            Access::ReadWrite
        },
        auth_method: if i.is_multiple_of(10) {
            AuthMethod::QueryString
        } else {
            AuthMethod::Basic
        },
        secret_storage: if i.is_multiple_of(50) {
            SecretStorage::PlaintextFile
        } else {
            SecretStorage::Keychain
        },
        store_name: i.is_multiple_of(2).then(|| format!("Shop number {i}")),
        wordpress_url: None,
        ca_cert: None,
        linked_at: "2025-01-01T00:00:00Z".to_owned(),
        verified_at: "2025-06-01T12:00:00Z".to_owned(),
    }
}

/// Writes `accounts.json` the way woolink does: a 0700 folder, a 0600 file, pretty JSON.
fn write_index(dir: &Path, accounts: &[Account]) -> Harness<()> {
    let document = serde_json::json!({ "version": INDEX_VERSION, "accounts": accounts });
    let mut bytes = serde_json::to_vec_pretty(&document).map_err(|err| err.to_string())?;
    bytes.push(b'\n');
    let path = dir.join(INDEX_FILE);
    fs::create_dir_all(dir)
        .and_then(|()| fs::write(&path, bytes))
        .map_err(|err| format!("write {}: {err}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
        let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o600));
    }
    Ok(())
}

/// (c) SLOT, not built yet: `accounts verify --all` over 20 stores of latency L (goal < 2 L).
/// Skipped with a printed line until `woolink accounts verify --help` exits 0. The set-up links
/// the stores through the library (plaintext file store, since the sandbox has no keychain) and
/// trusts the test CA through `WOOLINK_CA_CERT`; check both when the command lands.
fn bench_verify_all(settings: &Settings) -> Harness<Row> {
    let name = format!("`accounts verify --all` ({VERIFY_STORES} stores)");
    let goal = Goal::UnderLatency(2.0, settings.latency);
    let probe = run_once(
        &Sandbox::new()?,
        &["accounts".into(), "verify".into(), "--help".into()],
    )?;
    if probe.code != Some(0) {
        eprintln!("{name}: not built yet (`woolink accounts verify --help` fails); skipped");
        return Ok(Row {
            name,
            runs: 0,
            goal,
            outcome: Outcome::Skipped("not built yet".into()),
        });
    }

    let mut sandbox = Sandbox::new()?;
    let dir = sandbox.config_dir();
    let secrets = PlaintextFileStore::new(&dir);
    let mut stores = Vec::with_capacity(VERIFY_STORES);
    for i in 0..VERIFY_STORES {
        let key = TestKey::new(Permission::ReadWrite);
        let mut config = StoreConfig::new(Tls::Valid);
        config.keys = vec![key.clone()];
        config.latency = settings.latency;
        let store = TestStore::start(config);
        let account = Account {
            store_url: store.url(),
            api_root: format!("{}/wp-json/", store.url()),
            key_suffix: key.key[key.key.len() - 7..].to_owned(),
            ..sample_account(i)
        };
        let creds = Credentials {
            key: ConsumerKey::parse(&key.key).map_err(|err| err.to_string())?,
            secret: ConsumerSecret::parse(&key.secret).map_err(|err| err.to_string())?,
            site: None,
        };
        block_on(woolink::testing::save(
            &dir,
            &secrets,
            account,
            &creds,
            woolink::testing::Existing::Refuse,
            None,
        ))
        .map_err(|err| format!("link test store {i}: {err}"))?;
        stores.push(store);
    }
    // Every store was made by the same test CA.
    sandbox.env("WOOLINK_CA_CERT", stores[0].ca_cert_path());
    let args: Vec<OsString> = ["accounts", "verify", "--all"].map(OsString::from).into();
    let mut row = measure(settings, &name, &sandbox, &args, goal)?;
    // A store nobody asked would panic on drop; here it is a finding, not a crash.
    let silent = stores.iter().filter(|s| s.requests().is_empty()).count();
    if silent > 0 {
        eprintln!("  {silent} of {VERIFY_STORES} stores never received a request");
        if let Outcome::Measured { failed, .. } = &mut row.outcome {
            failed.get_or_insert(format!("FAILED ({silent} stores not verified)"));
        }
    }
    stores.iter_mut().for_each(TestStore::expect_no_requests);
    Ok(row)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(sorted: &[Duration]) -> Duration {
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2
    } else {
        sorted[mid]
    }
}

fn format_time(d: Duration, goal: Goal) -> String {
    let text = if d < Duration::from_millis(100) {
        format!("{:.2} ms", ms(d))
    } else {
        format!("{:.0} ms", ms(d))
    };
    match goal {
        Goal::UnderLatency(_, latency) => {
            format!("{text} ({:.2} L)", d.as_secs_f64() / latency.as_secs_f64())
        }
        Goal::UnderGet(_, get) => {
            format!("{text} ({:.2} G)", d.as_secs_f64() / get.as_secs_f64())
        }
        _ => text,
    }
}

/// The goal, and whether `median` (if measured) met it.
fn format_goal(goal: Goal, median: Option<Duration>) -> String {
    let (wanted, limit) = match goal {
        Goal::None => return "—".to_owned(),
        Goal::Under(limit) => (format!("< {:.0} ms", ms(limit)), limit),
        Goal::UnderLatency(factor, latency) => (format!("< {factor} L"), latency.mul_f64(factor)),
        Goal::UnderGet(factor, get) => (format!("< {factor} G"), get.mul_f64(factor)),
    };
    match median {
        None => wanted,
        Some(median) if median < limit => format!("{wanted}: ok"),
        Some(_) => format!("{wanted}: MISSED"),
    }
}

fn table(rows: &[Row]) -> String {
    let mut text = String::from(
        "\n| benchmark | runs | median | min | goal | peak RSS |\n|---|---:|---:|---:|---|---:|\n",
    );
    for row in rows {
        let cells = match &row.outcome {
            Outcome::Skipped(why) => [
                why.clone(),
                "—".into(),
                format!("{} (not measured)", format_goal(row.goal, None)),
                "—".into(),
            ],
            Outcome::Measured {
                samples,
                failed,
                rss_kib,
            } => {
                let mut sorted = samples.clone();
                sorted.sort();
                let median = median(&sorted);
                let goal = match failed {
                    Some(failed) => failed.clone(),
                    None => format_goal(row.goal, Some(median)),
                };
                let rss = rss_kib.map_or("n/a".to_owned(), |kib| {
                    format!("{:.1} MiB", kib as f64 / 1024.0)
                });
                [
                    format_time(median, row.goal),
                    format_time(sorted[0], row.goal),
                    goal,
                    rss,
                ]
            }
        };
        let [median, min, goal, rss] = cells;
        let _ = writeln!(
            text,
            "| {} | {} | {median} | {min} | {goal} | {rss} |",
            row.name, row.runs
        );
    }
    text
}

/// Runs `future` (woolink's saving, which waits for the index lock on tokio's timer) to its end.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build();
    runtime.expect("a runtime").block_on(future)
}
