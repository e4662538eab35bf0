//! Credentials from the environment (WOOLINK_STORE_URL, WOOLINK_CONSUMER_KEY,
//! WOOLINK_CONSUMER_SECRET) for `woolink api` and `woolink run`: no config folder, no keychain,
//! nothing written; the store found without credentials first; the precedence
//! `--account > environment > default account`; and a partial set refused.

#![cfg(unix)] // the child commands are sh scripts, and the bus watcher is a Unix socket

use std::os::unix::net::UnixListener;

use crate::harness::{Outcome, Woolink};
use crate::linking::{follow, link, store_with_key};
use crate::store::{Permission, StoreConfig, TestKey, TestStore, Tls};

/// A session bus address that is a listening socket nobody answers on: any attempt to reach
/// the Secret Service (the keychain on Linux) shows as a connection.
struct BusWatcher {
    listener: UnixListener,
    dir: tempfile::TempDir,
}

impl BusWatcher {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = UnixListener::bind(dir.path().join("bus")).unwrap();
        listener.set_nonblocking(true).unwrap();
        Self { listener, dir }
    }

    fn address(&self) -> String {
        format!("unix:path={}", self.dir.path().join("bus").display())
    }

    fn assert_untouched(&self) {
        match self.listener.accept() {
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("the keychain's bus was contacted: {other:?}"),
        }
    }
}

/// A run with the store's credentials in the environment only, trusting its CA, with a
/// watched session bus and its own (never created) config folder.
fn from_env(store: &TestStore, key: &TestKey, bus: &BusWatcher) -> Woolink {
    let mut woolink = Woolink::new();
    woolink
        .env("WOOLINK_STORE_URL", store.url())
        .env("WOOLINK_CONSUMER_KEY", &key.key)
        .env("WOOLINK_CONSUMER_SECRET", &key.secret)
        .env("WOOLINK_CA_CERT", store.ca_cert_path().to_string_lossy())
        .env("DBUS_SESSION_BUS_ADDRESS", bus.address());
    woolink
}

/// Nothing under the run's home (config folder included) and no keychain contact.
fn assert_left_no_trace(woolink: &Woolink, bus: &BusWatcher, secret: &str) {
    assert!(
        !woolink.config_dir().exists(),
        "the config folder was created"
    );
    let written: Vec<_> = woolink
        .files_written()
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    assert!(written.is_empty(), "files were written: {written:?}");
    woolink.assert_secret_not_on_disk(secret);
    bus.assert_untouched();
}

fn names(outcome: &Outcome) -> Vec<String> {
    outcome
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Requests sent before the first that carries credentials carry none, and one does.
fn assert_found_before_credentials(store: &TestStore) {
    let requests = store.requests();
    let first = requests
        .iter()
        .position(|r| r.carries_credentials())
        .expect("a request carried the credentials");
    assert!(first > 0, "credentials went out before the store was found");
}

const CHILD: &str = r#"
    printf 'url=%s\nroot=%s\napi=%s\nkey=%s\nauth=%s\n' "$WOOCOMMERCE_URL" \
        "$WOOCOMMERCE_API_ROOT" "$WOOCOMMERCE_API_URL" "$WOOCOMMERCE_CONSUMER_KEY" \
        "$WOOCOMMERCE_AUTH_METHOD"
    for name in WOOLINK_CONSUMER_SECRET WOOLINK_CONSUMER_KEY WOOLINK_STORE_URL WOOLINK_ACCOUNT WOOLINK_API_ROOT; do
        eval "[ -z \"\${$name+set}\" ]" && echo "$name=unset"
    done
    [ "$WOOCOMMERCE_CONSUMER_SECRET" = "$EXPECTED_SECRET" ] && echo secret=match
    true
"#;

#[test]
fn api_and_run_use_the_environment_and_write_nothing() {
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let bus = BusWatcher::new();

    let mut api = from_env(&store, &key, &bus);
    let outcome = api.args(["api", "products", "--verbose"]).run();
    outcome
        .assert_code(0)
        .assert_stderr_contains("credentials: environment variables")
        .assert_no_secret(&key.secret);
    assert_eq!(names(&outcome), ["Hoodie", "Beanie", "Album"]);
    assert_found_before_credentials(&store);
    assert_left_no_trace(&api, &bus, &key.secret);

    let mut run = from_env(&store, &key, &bus);
    let outcome = run
        .env("EXPECTED_SECRET", &key.secret)
        .args(["run", "--", "sh", "-c", CHILD])
        .run();
    crate::run::assert_child_saw_the_store(&outcome, &store, &key);
    for name in [
        "WOOLINK_CONSUMER_SECRET",
        "WOOLINK_CONSUMER_KEY",
        "WOOLINK_STORE_URL",
        "WOOLINK_ACCOUNT",
        "WOOLINK_API_ROOT",
    ] {
        outcome.assert_stdout_contains(&format!("{name}=unset\n"));
    }
    assert_left_no_trace(&run, &bus, &key.secret);
}

#[test]
fn loopback_http_signs_with_oauth() {
    let (store, key) = store_with_key(Tls::None, Permission::Read);
    let bus = BusWatcher::new();
    let mut api = from_env(&store, &key, &bus);
    let outcome = api.args(["api", "products?per_page=2", "--paginate"]).run();
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(names(&outcome), ["Hoodie", "Beanie", "Album"]);
    let mut run = from_env(&store, &key, &bus);
    run.env("EXPECTED_SECRET", &key.secret)
        .args(["run", "--", "sh", "-c", CHILD])
        .run()
        .assert_code(0)
        .assert_stdout_contains("auth=oauth1\n")
        .assert_stdout_contains("secret=match\n")
        .assert_no_secret(&key.secret);
    assert_left_no_trace(&run, &bus, &key.secret);
}

#[test]
fn a_given_api_root_is_used_without_looking_the_store_up_once_checked() {
    let (store, key) = store_with_key(Tls::Valid, Permission::Read);
    let (mut elsewhere, _) = store_with_key(Tls::Valid, Permission::Read);
    elsewhere.expect_no_requests();
    let bus = BusWatcher::new();
    let mut api = from_env(&store, &key, &bus);
    let outcome = api
        .env("WOOLINK_API_ROOT", format!("{}/wp-json/", store.url()))
        .args(["api", "products"])
        .run();
    outcome.assert_code(0).assert_no_secret(&key.secret);
    let requests = store.requests();
    assert_eq!(
        requests.len(),
        1,
        "only the request asked for: {requests:?}"
    );

    for (root, why) in [
        (
            format!("{}/wp-json/", elsewhere.url()),
            "store's own address",
        ),
        ("mailto:x@y".to_owned(), "not an http(s) address"),
        (
            format!(
                "{}/wp-json/",
                store.url().replace("https://", "https://u:p@")
            ),
            "user name or password",
        ),
    ] {
        let mut api = from_env(&store, &key, &bus);
        api.env("WOOLINK_API_ROOT", &root)
            .args(["api", "products"])
            .run()
            .assert_code(2)
            .assert_stderr_contains("WOOLINK_API_ROOT")
            .assert_stderr_contains(why)
            .assert_no_secret(&key.secret);
        assert_left_no_trace(&api, &bus, &key.secret);
    }
    // Plain http to another computer would show the key to the network.
    let mut api = from_env(&store, &key, &bus);
    api.env("WOOLINK_STORE_URL", "http://shop.example")
        .env("WOOLINK_API_ROOT", "http://shop.example/wp-json/")
        .args(["api", "products"])
        .run()
        .assert_code(2)
        .assert_stderr_contains("plain http")
        .assert_no_secret(&key.secret);
    assert_eq!(store.requests().len(), 1, "a refused root was used");
    assert!(elsewhere.requests().is_empty());
}

#[test]
fn account_beats_environment_beats_default() {
    let (linked_store, linked_key) = store_with_key(Tls::Valid, Permission::Read);
    let (env_store, env_key) = store_with_key(Tls::Valid, Permission::Read);
    let home = Woolink::new();
    link(&home, &linked_store, &linked_key, "shop");
    let bus = BusWatcher::new();
    // Each test store has its own CA: trust both.
    let cas = tempfile::tempdir().unwrap();
    let both_cas = cas.path().join("cas.pem");
    let mut pem = std::fs::read(linked_store.ca_cert_path()).unwrap();
    pem.extend(std::fs::read(env_store.ca_cert_path()).unwrap());
    std::fs::write(&both_cas, pem).unwrap();
    let run = |setup: &dyn Fn(&mut Woolink)| {
        let mut woolink = follow(&home, &linked_store);
        woolink
            .env("WOOLINK_CA_CERT", both_cas.to_string_lossy())
            .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
            .env("EXPECTED_SECRET", &linked_key.secret);
        setup(&mut woolink);
        woolink.args(["--verbose", "run", "--", "sh", "-c", CHILD]);
        let outcome = woolink.run();
        outcome
            .assert_code(0)
            .assert_no_secret(&linked_key.secret)
            .assert_no_secret(&env_key.secret);
        outcome
    };
    let with_env = |w: &mut Woolink| {
        w.env("WOOLINK_STORE_URL", env_store.url())
            .env("WOOLINK_CONSUMER_KEY", &env_key.key)
            .env("WOOLINK_CONSUMER_SECRET", &env_key.secret);
    };
    let linked_url = format!("url={}\n", linked_store.url());
    let env_url = format!("url={}\n", env_store.url());

    // The only linked account, when nothing else is given.
    run(&|_| {})
        .assert_stdout_contains(&linked_url)
        .assert_stderr_contains("the only linked account, \"shop\"");
    // The environment wins over the only account, and over the default one.
    run(&with_env)
        .assert_stdout_contains(&env_url)
        .assert_stderr_contains("credentials: environment variables");
    follow(&home, &linked_store)
        .args(["accounts", "default", "shop"])
        .run()
        .assert_code(0);
    run(&|_| {}).assert_stderr_contains("the default account \"shop\"");
    run(&with_env).assert_stdout_contains(&env_url);
    // --account, or WOOLINK_ACCOUNT, wins over the environment.
    let outcome = {
        let mut woolink = follow(&home, &linked_store);
        woolink
            .env("WOOLINK_CA_CERT", both_cas.to_string_lossy())
            .env("EXPECTED_SECRET", &linked_key.secret);
        with_env(&mut woolink);
        woolink
            .args([
                "--verbose",
                "run",
                "--account",
                "shop",
                "--",
                "sh",
                "-c",
                CHILD,
            ])
            .run()
    };
    outcome
        .assert_code(0)
        .assert_stdout_contains(&linked_url)
        .assert_stdout_contains("secret=match\n")
        .assert_stderr_contains("the account \"shop\" from the index (--account)")
        .assert_no_secret(&env_key.secret)
        .assert_no_secret(&linked_key.secret);
    run(&|w| {
        with_env(w);
        w.env("WOOLINK_ACCOUNT", "shop");
    })
    .assert_stdout_contains(&linked_url)
    .assert_stdout_contains("secret=match\n");
    bus.assert_untouched();
}

#[test]
fn a_partial_set_names_what_is_missing() {
    let (mut store, key) = store_with_key(Tls::Valid, Permission::Read);
    store.expect_no_requests();
    let bus = BusWatcher::new();
    let all = [
        ("WOOLINK_STORE_URL", store.url()),
        ("WOOLINK_CONSUMER_KEY", key.key.clone()),
        ("WOOLINK_CONSUMER_SECRET", key.secret.clone()),
    ];
    for left_out in 0..all.len() {
        for command in [&["api", "products"][..], &["run", "--", "true"][..]] {
            let mut woolink = Woolink::new();
            woolink.env("DBUS_SESSION_BUS_ADDRESS", bus.address());
            for (i, (name, value)) in all.iter().enumerate() {
                if i != left_out {
                    woolink.env(name, value.clone());
                }
            }
            let missing = all[left_out].0;
            woolink
                .args(command.iter().copied())
                .run()
                .assert_code(2)
                .assert_stderr_contains(&format!("but {missing} is not"))
                .assert_no_secret(&key.secret);
            assert_left_no_trace(&woolink, &bus, &key.secret);
        }
    }
    // One of three is as partial as two.
    let mut woolink = Woolink::new();
    woolink
        .env("WOOLINK_CONSUMER_SECRET", &key.secret)
        .args(["api", "products"])
        .run()
        .assert_code(2)
        .assert_stderr_contains("WOOLINK_STORE_URL and WOOLINK_CONSUMER_KEY are not")
        .assert_no_secret(&key.secret);
    assert_left_no_trace(&woolink, &bus, &key.secret);
    // A malformed secret is named, never shown.
    let mut woolink = Woolink::new();
    let damaged = format!("{}x", &key.secret[..key.secret.len() - 1]);
    woolink
        .env("WOOLINK_STORE_URL", store.url())
        .env("WOOLINK_CONSUMER_KEY", &key.key)
        .env("WOOLINK_CONSUMER_SECRET", &damaged)
        .args(["api", "products"])
        .run()
        .assert_code(2)
        .assert_stderr_contains("invalid consumer secret (from WOOLINK_CONSUMER_SECRET)")
        .assert_no_secret(&damaged);
    assert!(store.requests().is_empty());
}

#[test]
fn a_site_login_from_the_environment_is_used() {
    let key = TestKey::new(Permission::Read);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.site_password = Some(("stage".into(), "staging-pw".into(), "Staging".into()));
    let store = TestStore::start(config);
    let bus = BusWatcher::new();
    let mut run = from_env(&store, &key, &bus);
    run.env("WOOLINK_SITE_USER", "stage")
        .env("WOOLINK_SITE_PASSWORD", "staging-pw")
        .env("EXPECTED_SECRET", &key.secret)
        .args(["run", "--", "sh", "-c", CHILD])
        .run()
        .assert_code(0)
        .assert_stdout_contains("auth=query-string\n")
        .assert_stdout_contains("secret=match\n")
        .assert_no_secret(&key.secret);
    let mut api = from_env(&store, &key, &bus);
    let outcome = api
        .env("WOOLINK_SITE_USER", "stage")
        .env("WOOLINK_SITE_PASSWORD", "staging-pw")
        .args(["api", "products"])
        .run();
    outcome.assert_code(0).assert_no_secret(&key.secret);
    assert_eq!(names(&outcome), ["Hoodie", "Beanie", "Album"]);
    assert_left_no_trace(&api, &bus, &key.secret);
    // Without its password the site login is named as missing; nothing is sent.
    let before = store.requests().len();
    let mut api = from_env(&store, &key, &bus);
    api.env("WOOLINK_SITE_USER", "stage")
        .args(["api", "products"])
        .run()
        .assert_code(2)
        .assert_stderr_contains("WOOLINK_SITE_PASSWORD")
        .assert_no_secret(&key.secret);
    assert_eq!(store.requests().len(), before);
}
