//! `woolink api` in pipelines: stdout holds the store's whole JSON or the exit is not 0, a
//! failed request leaves stdout empty, `--paginate` streams valid JSON and stops at a loop,
//! `--jq` filters in-process, a read can never be turned into a write, and a store that
//! paces without saying when is asked again after a short wait.

use std::time::{Duration, Instant};

use crate::api::names;
use crate::harness::{Outcome, Woolink};
use crate::linking::{assert_secret_only_in_credentials_file, follow, link};
use crate::store::{Busy, Hostile, HostileScope, Permission, StoreConfig, TestKey, TestStore, Tls};

/// A store with a read-write key, and how `woolink api` reaches it.
struct Shop {
    store: TestStore,
    key: TestKey,
    home: Woolink,
    /// The key given in WOOLINK_STORE_URL, WOOLINK_CONSUMER_KEY and WOOLINK_CONSUMER_SECRET
    /// rather than linked: a store hostile to product lists would fail connect's probe.
    from_env: bool,
}

impl Shop {
    fn api(&self, args: &[&str]) -> Outcome {
        let mut woolink = follow(&self.home, &self.store);
        if self.from_env {
            woolink
                .env("WOOLINK_STORE_URL", self.store.url())
                .env("WOOLINK_CONSUMER_KEY", &self.key.key)
                .env("WOOLINK_CONSUMER_SECRET", &self.key.secret);
        }
        woolink.args(["api"]).args(args.iter().copied()).run()
    }

    /// The secret is on disk only where the user chose to keep it.
    fn assert_secret_kept_safe(&self) {
        if self.from_env {
            self.home.assert_secret_not_on_disk(&self.key.secret);
        } else {
            assert_secret_only_in_credentials_file(&self.home, &self.key.secret);
        }
    }
}

/// A store with a read-write key linked as "shop", or misbehaving as `hostile` with the key
/// given in the environment.
fn shop(hostile: Option<(Hostile, HostileScope)>) -> Shop {
    let key = TestKey::new(Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.hostile = hostile;
    let store = TestStore::start(config);
    let home = Woolink::new();
    if hostile.is_none() {
        link(&home, &store, &key, "shop");
    }
    Shop {
        store,
        key,
        home,
        from_env: hostile.is_some(),
    }
}

#[test]
fn an_answer_that_is_not_one_whole_json_document_fails_in_a_pipe() {
    let cases = [
        (Hostile::NoticeAfterJson, "after its JSON"),
        (Hostile::ShortContentLength, "ends before its JSON does"),
        (Hostile::InvalidJson, "ends before its JSON does"),
        (Hostile::InvalidUtf8, "not UTF-8"),
    ];
    for (mode, said) in cases {
        let shop = shop(Some((mode, HostileScope::Products)));
        for args in [
            &["products"][..],
            &["products?per_page=2", "--paginate"],
            &["products", "--jq", ".[].id"],
        ] {
            let outcome = shop.api(args);
            outcome
                .assert_code(3)
                .assert_stderr_contains(said)
                .assert_no_secret(&shop.key.secret);
            // Nothing past the point where the answer went wrong was printed.
            assert!(
                !outcome.stdout.contains("Notice"),
                "{mode:?}: {}",
                outcome.stdout
            );
            assert!(
                !outcome.stdout.contains('\u{fffd}'),
                "{mode:?}: {}",
                outcome.stdout
            );
            if args.len() > 1 {
                assert!(
                    outcome.stdout.is_empty(),
                    "{mode:?} {args:?}: {}",
                    outcome.stdout
                );
            }
        }
        shop.assert_secret_kept_safe();
    }
}

#[test]
fn paginated_output_is_valid_json_whatever_control_characters_names_hold() {
    let shop = shop(Some((Hostile::ControlCharacters, HostileScope::Products)));
    for args in [
        &["products?per_page=1", "--paginate"][..],
        &["products"],
        &["-i", "products"],
    ] {
        let outcome = shop.api(args);
        outcome.assert_code(0).assert_no_secret(&shop.key.secret);
        let body = match args[0] {
            "-i" => outcome.stdout.split_once("\n\n").unwrap().1.to_owned(),
            _ => outcome.stdout.clone(),
        };
        let value: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|err| panic!("{args:?}: not JSON ({err}): {body}"));
        assert_eq!(names(&value)[0], "Hoo\u{7f}die\u{85}", "{args:?}");
    }
}

#[test]
fn paginate_prints_each_page_as_it_comes() {
    // Page 2 is cut off: page 1 was already printed, and the array is left open.
    let shop = shop(Some((Hostile::CloseMidResponse, HostileScope::LaterPages)));
    let outcome = shop.api(&["products?per_page=1", "--paginate"]);
    assert_ne!(outcome.code, 0, "{}", outcome.stderr);
    outcome
        .assert_stderr_contains("the output printed is incomplete")
        .assert_no_secret(&shop.key.secret);
    assert!(
        outcome.stdout.starts_with(r#"[{"id":11,"name":"Hoodie""#),
        "{}",
        outcome.stdout
    );
    assert!(
        serde_json::from_str::<serde_json::Value>(&outcome.stdout).is_err(),
        "an incomplete list passes for a whole one: {}",
        outcome.stdout
    );
}

#[test]
fn paginate_stops_at_the_first_page_fetched_twice() {
    let shop = shop(Some((Hostile::NextLinkLoops, HostileScope::Products)));
    let outcome = shop.api(&["products?per_page=1", "--paginate"]);
    outcome
        .assert_code(3)
        .assert_stderr_contains("loop")
        .assert_stderr_contains("page=1")
        .assert_no_secret(&shop.key.secret);
    let pages = shop.store.requests();
    let pages = pages
        .iter()
        .filter(|r| r.path_and_query.contains("/products"));
    assert_eq!(pages.count(), 3, "pages fetched");
}

#[test]
fn a_failed_request_leaves_stdout_empty() {
    let shop = shop(None);
    for args in [
        &["products/999"][..],
        &["products?per_page=500", "--paginate"],
        &["products/999", "--jq", ".code"],
    ] {
        let outcome = shop.api(args);
        outcome
            .assert_code(2)
            .assert_stderr_contains("HTTP 400")
            .assert_no_secret(&shop.key.secret);
        assert!(outcome.stdout.is_empty(), "{args:?}: {}", outcome.stdout);
    }
    // The store's own error document is still there to read, on stderr.
    shop.api(&["products/999"])
        .assert_stderr_contains(r#"{"code":"woocommerce_rest_product_invalid_id""#);
    shop.assert_secret_kept_safe();
}

#[test]
fn jq_filters_the_answer_in_process() {
    let shop = shop(None);
    let outcome = shop.api(&["products", "--jq", ".[].name"]);
    outcome.assert_code(0).assert_no_secret(&shop.key.secret);
    assert_eq!(outcome.stdout, "Hoodie\nBeanie\nAlbum\n");
    let outcome = shop.api(&["products", "--jq", ".[0] | {id, name}"]);
    assert_eq!(
        outcome.assert_code(0).stdout,
        "{\"id\":11,\"name\":\"Hoodie\"}\n"
    );
    // With --paginate, the filter runs on each page, as `gh api` does.
    let outcome = shop.api(&["products?per_page=2", "--paginate", "--jq", ".[].id"]);
    assert_eq!(outcome.assert_code(0).stdout, "11\n12\n13\n");
    let outcome = shop.api(&["products", "--jq", "map(.id) | add"]);
    assert_eq!(outcome.assert_code(0).stdout, "36\n");

    // An invalid filter is refused before anything is sent.
    let before = shop.store.requests().len();
    for bad in [".[", "nosuchfilter", ".a |"] {
        shop.api(&["products", "--jq", bad])
            .assert_code(2)
            .assert_stderr_contains("--jq")
            .assert_no_secret(&shop.key.secret);
    }
    assert_eq!(
        shop.store.requests().len(),
        before,
        "an invalid filter was sent"
    );
    // A filter that fails on the answer: exit 2, nothing printed.
    let outcome = shop.api(&["products", "--jq", ".name"]);
    outcome
        .assert_code(2)
        .assert_stderr_contains("--jq")
        .assert_no_secret(&shop.key.secret);
    assert!(outcome.stdout.is_empty(), "{}", outcome.stdout);
}

#[test]
fn a_method_override_is_refused_before_anything_is_sent() {
    let shop = shop(None);
    shop.api(&["products"]).assert_code(0);
    let before = shop.store.requests().len();
    for args in [
        &["products?_method=POST"][..],
        &["products?.method=DELETE"],
        &["products?%5Fmethod=DELETE"],
        &["products?_method[]=DELETE"],
        &["products", "-f", "_method=POST"],
        &["products", "-F", "_method=DELETE"],
        &["-X", "POST", "products", "-f", "_method=DELETE"],
    ] {
        shop.api(args)
            .assert_code(2)
            .assert_stderr_contains("`_method` would make WordPress carry out another method")
            .assert_no_secret(&shop.key.secret);
    }
    // `rest_route` is refused as a field as it is in PATH, also spelt as PHP reads it.
    for args in [
        &["products", "-f", "rest_route=/wp/v2/users"][..],
        &["products?rest.route=/wp/v2/users"],
    ] {
        shop.api(args)
            .assert_code(2)
            .assert_stderr_contains("`rest_route` would choose another route")
            .assert_no_secret(&shop.key.secret);
    }
    assert_eq!(
        shop.store.requests().len(),
        before,
        "an override reached the store"
    );
    assert!(shop.store.created().is_empty());
}

#[test]
fn a_store_that_paces_without_saying_when_is_asked_again_shortly() {
    let shop = shop(None);
    let busy = |status, times| {
        shop.store.set_busy(Some(Busy {
            status,
            times,
            retry_after: String::new(),
        }))
    };
    busy(429, 2);
    let before = shop.store.requests().len();
    let started = Instant::now();
    let outcome = shop.api(&["products"]);
    let took = started.elapsed();
    outcome
        .assert_code(0)
        .assert_stderr_contains("retrying in 1 s (1 of 2)")
        .assert_stderr_contains("retrying in 2 s (2 of 2)")
        .assert_no_secret(&shop.key.secret);
    assert_eq!(shop.store.requests().len() - before, 3);
    assert!(took >= Duration::from_secs(3), "{took:?}");

    // Still busy after that: the 429 is the answer, within a few seconds.
    busy(429, 10);
    let before = shop.store.requests().len();
    let started = Instant::now();
    shop.api(&["products"])
        .assert_code(3)
        .assert_stderr_contains("429 Too Many Requests")
        .assert_no_secret(&shop.key.secret);
    assert!(started.elapsed() < Duration::from_secs(8));
    assert_eq!(shop.store.requests().len() - before, 3);
    busy(0, 0);

    // A 503 without Retry-After is not asked again, a write least of all.
    busy(503, 1);
    let before = shop.store.requests().len();
    shop.api(&["-X", "POST", "products", "-F", "name=Once"])
        .assert_code(3)
        .assert_no_secret(&shop.key.secret);
    assert_eq!(shop.store.requests().len() - before, 1);
    assert!(shop.store.created().is_empty());
}

/// `woolink api ... > file` on a full disk (`/dev/full`): the error says the output could not
/// be written, and where to, never that the terminal could not be written to.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_named_as_the_output_not_the_terminal() {
    let shop = shop(None);
    for args in [
        &["api", "products"][..],
        &["api", "products", "--jq", ".[].name"],
        &["api", "products?per_page=1", "--paginate"],
        &["api", "-i", "products"],
        &["accounts", "list", "--json"],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let mut command = follow(&shop.home, &shop.store)
            .args(args.iter().copied())
            .std_command();
        let output = command
            .stdin(std::process::Stdio::null())
            .stdout(full)
            .output()
            .expect("woolink runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("could not write the output to standard output (/dev/full)"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("terminal"), "{args:?}: {stderr}");
        assert!(
            !stderr.contains(&shop.key.secret[3..]),
            "{args:?}: {stderr}"
        );
    }
    shop.assert_secret_kept_safe();
}

/// A cut answer says the output is incomplete only when something was printed: with --jq a
/// page may print nothing, and then nothing is incomplete; what was printed is the filter's
/// results, never a list left open.
#[test]
fn a_cut_answer_says_incomplete_only_when_something_was_printed() {
    let shop = shop(Some((Hostile::CloseMidResponse, HostileScope::LaterPages)));
    // Page 1 (Hoodie, id 11) has no match: nothing is printed before page 2 is cut.
    let outcome = shop.api(&[
        "products?per_page=1",
        "--paginate",
        "--jq",
        ".[] | select(.id == 12) | .name",
    ]);
    assert_ne!(outcome.code, 0, "{}", outcome.stderr);
    outcome
        .assert_stderr_contains("was not printed")
        .assert_no_secret(&shop.key.secret);
    assert!(outcome.stdout.is_empty(), "{}", outcome.stdout);
    assert!(
        !outcome.stderr.contains("incomplete"),
        "nothing was printed: {}",
        outcome.stderr
    );
    // Page 1 printed a result: incomplete, but no list was left open.
    let outcome = shop.api(&["products?per_page=1", "--paginate", "--jq", ".[].name"]);
    assert_ne!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(outcome.stdout, "Hoodie\n");
    outcome
        .assert_stderr_contains("the output printed is incomplete")
        .assert_no_secret(&shop.key.secret);
    assert!(!outcome.stderr.contains("left open"), "{}", outcome.stderr);
    shop.assert_secret_kept_safe();
    // One answer streamed to a pipe, cut before any of it could be printed.
    let one = self::shop(Some((Hostile::CloseMidResponse, HostileScope::Products)));
    let outcome = one.api(&["products/11?_fields=id"]);
    assert!(outcome.stdout.is_empty(), "{}", outcome.stdout);
    outcome
        .assert_code(5)
        .assert_stderr_contains("and was not printed")
        .assert_no_secret(&one.key.secret);
    assert!(!outcome.stderr.contains("incomplete"), "{}", outcome.stderr);
    one.assert_secret_kept_safe();
}
