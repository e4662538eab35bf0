//! Hostile stores through the real binary: answers that never end, drip, carry huge headers,
//! are cut off, or are not the JSON WooCommerce sends. Each must end quickly with a clear
//! message and exit code 3, write nothing, and print no secret. (Redirect loops, redirects to
//! another origin or to plain http, and bad certificates are in `connect.rs`.)

use std::time::{Duration, Instant};

use crate::harness::{Outcome, Woolink};
use crate::store::{Hostile, HostileScope, Permission, StoreConfig, TestKey, TestStore, Tls};

/// How long any of these may take: well under the default 30 s `--timeout`.
const QUICK: Duration = Duration::from_secs(15);

/// `connect` against a store that misbehaves as `mode` on `scope`. Saving is on (`--store
/// file`), so "nothing written" means something.
fn connect_to(mode: Hostile, scope: HostileScope, extra: &[&str]) -> (Outcome, Duration) {
    let key = TestKey::new(Permission::ReadWrite);
    let mut config = StoreConfig::new(Tls::Valid);
    config.keys = vec![key.clone()];
    config.hostile = Some((mode, scope));
    let store = TestStore::start(config);
    let mut woolink = Woolink::new();
    woolink
        .connect_args(&store.url(), &key.key, &key.secret)
        .args(["--store", "file", "--json", "--ca-cert"])
        .args([store.ca_cert_path().to_string_lossy().into_owned()])
        .args(extra.iter().copied());
    let started = Instant::now();
    let outcome = woolink.run();
    let took = started.elapsed();
    outcome.assert_no_secret(&key.secret);
    if outcome.code == 0 {
        let credentials = woolink.config_dir().join("credentials.json");
        woolink.assert_secret_only_in(&key.secret, &[credentials]);
    } else {
        woolink.assert_nothing_written();
    }
    (outcome, took)
}

fn assert_refused(outcome: &Outcome, kind: &str, took: Duration) {
    outcome.assert_code(3);
    assert_eq!(outcome.json()["error"]["kind"], kind, "{}", outcome.stderr);
    assert!(took < QUICK, "took {took:?}:\n{}", outcome.stderr);
}

#[test]
fn an_endless_body_is_cut_off_at_the_cap() {
    let (outcome, took) = connect_to(Hostile::EndlessBody, HostileScope::Everything, &[]);
    assert_refused(&outcome, "broken_answer", took);
    outcome.assert_stderr_contains("larger than 1024 KiB");
}

#[test]
fn a_slow_drip_is_bounded_by_the_total_timeout() {
    let drip = Hostile::SlowDrip {
        every: Duration::from_millis(200),
    };
    let (outcome, took) = connect_to(drip, HostileScope::Everything, &["--timeout", "2"]);
    assert_refused(&outcome, "timeout", took);
    assert!(took < Duration::from_secs(6), "took {took:?}");
    outcome.assert_stderr_contains("did not answer in time");
}

#[test]
fn huge_headers_are_refused() {
    let huge = Hostile::HugeHeaders { bytes: 1024 * 1024 };
    let (outcome, took) = connect_to(huge, HostileScope::Everything, &[]);
    assert_refused(&outcome, "broken_answer", took);
    outcome.assert_stderr_contains("headers");
}

#[test]
fn a_connection_closed_mid_answer_is_named() {
    let (outcome, took) = connect_to(Hostile::CloseMidResponse, HostileScope::Everything, &[]);
    assert_refused(&outcome, "broken_answer", took);
    outcome.assert_stderr_contains("closed the connection");
}

#[test]
fn invalid_json_where_the_products_should_be() {
    let (outcome, took) = connect_to(Hostile::InvalidJson, HostileScope::Products, &[]);
    assert_refused(&outcome, "unexpected_answer", took);
    outcome.assert_stderr_contains("and not JSON");
}

#[test]
fn json_of_the_wrong_shape_where_the_products_should_be() {
    let (outcome, took) = connect_to(Hostile::WrongShapeJson, HostileScope::Products, &[]);
    assert_refused(&outcome, "unexpected_answer", took);
    outcome.assert_stderr_contains("HTTP 200");
}

#[test]
fn invalid_json_in_every_rest_answer() {
    let (outcome, took) = connect_to(Hostile::InvalidJson, HostileScope::Everything, &[]);
    assert_refused(&outcome, "unexpected_answer", took);
    outcome.assert_stderr_contains("and not JSON");
}

/// The REST index only says whether WooCommerce is there; the key is proven on wc/v3 routes. A
/// broken index must neither stop a working key nor produce a false note.
#[test]
fn a_broken_rest_index_does_not_stop_a_working_key() {
    for mode in [Hostile::InvalidJson, Hostile::WrongShapeJson] {
        let (outcome, _) = connect_to(mode, HostileScope::RestIndex, &[]);
        outcome.assert_code(0);
        let json = outcome.json();
        assert_eq!(json["access"], "read-write");
        assert_eq!(json["notes"], serde_json::json!([]), "{mode:?}");
    }
}
