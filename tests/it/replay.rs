//! Answers recorded from 22 real WordPress 6.8.8 + WooCommerce 9.9.5 stores
//! (`tests/fixtures/real-answers/`, whose README says where they come from), replayed through
//! woolink's classifier exactly as if the transport had returned them: the one oracle here
//! that woolink's authors did not write.
//!
//! How pairs are formed. Each exchange's `what` reads "<key and how it was sent>, read: GET
//! products<place>" or "<key and how it was sent>, write probe: POST {} to a route that does
//! not exist<place>", where the place names a variant (another host, the pretty URL, the
//! `_dummy` work-around) and may end in "; then the redirect target ...". A read is paired with
//! the write probe of the same file, key, `auth`, place and stage: the raw redirect answers are
//! judged together (GET redirect with POST redirect), and so are the target's answers. A read
//! with no write probe of its own (a key in the query string, the unknown key, a variant asked
//! only once) is judged alone, with [`no_write`] as the write answer: an answer no server sends,
//! which cannot decide anything (asserted below), so such a read can at most prove the key may
//! read. The GET a client would send after a 301 to a POST ("the redirect target as GET
//! without body") is no write probe (a read key gets the same 404 `rest_no_route`), so it is
//! never used as one: it is judged alone, like a read.
//!
//! What is expected. Every pair gets one named expectation from [`RULES`] (first match wins),
//! and on top of it, everywhere, no false verdict: nothing the verdict says about the key may
//! contradict what the key really is ([`contradicts`]).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use url::Url;
use woolink::testing::{
    Answer, Refusal, Verdict, WriteVerdict, error_code, judge, write_is_conclusive,
};

// ---------------------------------------------------------------------------------------------
// The recordings

/// One recorded exchange that carried a key.
struct Exchange {
    scenario: String,
    /// Its position in the fixture file, for the report.
    index: usize,
    what: String,
    auth: String,
    key: Key,
    method: String,
    url: String,
    answer: Answer,
    /// `what`, taken apart.
    step: Step,
}

struct Key {
    consumer_key: String,
    permissions: String,
    user_role: String,
    secret: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// `GET wc/v3/products`.
    Read,
    /// `POST {}` to a route that does not exist.
    Write,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Asked at the URL itself: the answer, or the raw redirect when it is one.
    Direct,
    /// The redirect target, asked with the same method, headers and body.
    Target,
    /// The redirect target of a POST, asked as a GET without body.
    TargetAsGet,
}

struct Step {
    /// The key and how it was sent: the part of `what` before ", read:" or ", write probe:".
    who: String,
    probe: Probe,
    /// The variant the exchange belongs to ("" for the store's own API root).
    place: String,
    stage: Stage,
}

const READ: &str = ", read: GET products";
const WRITE: &str = ", write probe: POST {} to a route that does not exist";
const THEN_TARGET: &str = "; then the redirect target";

fn step(what: &str) -> Step {
    let (who, probe, rest) = if let Some((who, rest)) = what.split_once(READ) {
        (who, Probe::Read, rest)
    } else if let Some((who, rest)) = what.split_once(WRITE) {
        (who, Probe::Write, rest)
    } else {
        panic!("a keyed exchange that is neither read nor write probe: {what}");
    };
    let (place, stage) = match rest.split_once(THEN_TARGET) {
        None => (rest, Stage::Direct),
        Some((place, tail)) if tail.starts_with(" as GET") => (place, Stage::TargetAsGet),
        Some((place, tail)) if tail.starts_with(", same method") => (place, Stage::Target),
        Some(_) => panic!("an unknown redirect stage: {what}"),
    };
    // " with ?rest_route= plus ..." (read) and ", ?rest_route= plus ..." (write) name one place.
    let place = place
        .trim_start_matches(',')
        .trim_start()
        .trim_start_matches("with ")
        .trim();
    Step {
        who: who.to_owned(),
        probe,
        place: place.to_owned(),
        stage,
    }
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-answers")
}

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no text field {field} in {value}"))
}

/// The recorded response as the transport would have handed it over.
fn answer(response: &Value) -> Answer {
    let mut headers = HeaderMap::new();
    for pair in response["headers"].as_array().expect("response headers") {
        let name = pair[0].as_str().expect("header name");
        let value = pair[1].as_str().expect("header value");
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
            HeaderValue::from_bytes(value.as_bytes()).expect("a valid header value"),
        );
    }
    let body = match response.get("body_base64").and_then(Value::as_str) {
        Some(encoded) => STANDARD.decode(encoded).expect("body_base64"),
        None => text(response, "body").as_bytes().to_vec(),
    };
    Answer {
        status: u16::try_from(response["status"].as_u64().expect("status")).expect("a status"),
        headers,
        body,
    }
}

/// Every exchange that carried a key, in file order.
fn recorded() -> Vec<Exchange> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("tests/fixtures/real-answers")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        25,
        "S1-S22 with S3b, S6a/S6b and S12b: {files:?}"
    );
    let mut exchanges = Vec::new();
    for path in files {
        let file: Value = serde_json::from_slice(&std::fs::read(&path).expect("a fixture"))
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        for field in ["configuration", "recorded", "software"] {
            assert!(file[field].is_string(), "{}: {field}", path.display());
        }
        let scenario = text(&file, "scenario");
        for (index, exchange) in file["exchanges"]
            .as_array()
            .expect("exchanges")
            .iter()
            .enumerate()
        {
            let key = &exchange["key"];
            if key.is_null() {
                continue;
            }
            let what = text(exchange, "what");
            exchanges.push(Exchange {
                scenario: scenario.to_owned(),
                index,
                what: what.to_owned(),
                auth: text(exchange, "auth").to_owned(),
                key: Key {
                    consumer_key: text(key, "consumer_key").to_owned(),
                    permissions: text(key, "permissions").to_owned(),
                    user_role: key["user_role"].as_str().unwrap_or("").to_owned(),
                    secret: text(key, "secret").to_owned(),
                },
                method: text(&exchange["request"], "method").to_owned(),
                url: text(&exchange["request"], "url").to_owned(),
                answer: answer(&exchange["response"]),
                step: step(what),
            });
        }
    }
    exchanges
}

// ---------------------------------------------------------------------------------------------
// Pairs

/// The write answer for a read that has no write probe of its own: status 0, no headers, no
/// body. No server sends it, so it can be neither WooCommerce's "may write" nor its "may not".
fn no_write() -> Answer {
    Answer {
        status: 0,
        headers: HeaderMap::new(),
        body: Vec::new(),
    }
}

struct Pair<'a> {
    read: &'a Exchange,
    write: Option<&'a Exchange>,
    /// The read is a redirect that the recorder then followed.
    raw_redirect: bool,
}

impl Pair<'_> {
    fn oauth(&self) -> bool {
        self.read.auth == "oauth1"
    }

    fn verdict(&self) -> Verdict {
        match self.write {
            Some(write) => judge(&self.read.answer, &write.answer, self.oauth()),
            None => judge(&self.read.answer, &no_write(), self.oauth()),
        }
    }
}

fn pairs(exchanges: &[Exchange]) -> Vec<Pair<'_>> {
    let mut pairs = Vec::new();
    for read in exchanges {
        let reads = read.step.probe == Probe::Read || read.step.stage == Stage::TargetAsGet;
        if !reads {
            continue;
        }
        let write = (read.step.stage != Stage::TargetAsGet)
            .then(|| {
                exchanges.iter().find(|write| {
                    write.scenario == read.scenario
                        && write.step.probe == Probe::Write
                        && write.step.who == read.step.who
                        && write.step.place == read.step.place
                        && write.step.stage == read.step.stage
                })
            })
            .flatten();
        if let Some(write) = write {
            assert_eq!(write.method, "POST", "{}", write.what);
            assert_eq!(
                (&write.auth, &write.key.consumer_key, &write.key.secret),
                (&read.auth, &read.key.consumer_key, &read.key.secret),
                "{} #{} paired with #{}",
                read.scenario,
                read.index,
                write.index
            );
        }
        let raw_redirect = read.step.stage == Stage::Direct
            && exchanges.iter().any(|target| {
                target.scenario == read.scenario
                    && target.step.stage == Stage::Target
                    && target.step.who == read.step.who
                    && target.step.place == read.step.place
                    && target.step.probe == read.step.probe
            });
        if raw_redirect {
            assert!(
                read.answer.is_redirect(),
                "{} #{}",
                read.scenario,
                read.index
            );
        }
        pairs.push(Pair {
            read,
            write,
            raw_redirect,
        });
    }
    pairs
}

// ---------------------------------------------------------------------------------------------
// What the key really is, and what may be said of it

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    ReadWrite,
    Read,
    Write,
    /// A read_write key whose user may not see the shop (a customer).
    Customer,
    WrongSecret,
    Unknown,
}

fn truth(key: &Key) -> Truth {
    match (
        key.secret.as_str(),
        key.user_role.as_str(),
        key.permissions.as_str(),
    ) {
        ("wrong", _, _) => Truth::WrongSecret,
        ("unknown", _, _) => Truth::Unknown,
        ("correct", "customer", _) => Truth::Customer,
        ("correct", _, "read_write") => Truth::ReadWrite,
        ("correct", _, "read") => Truth::Read,
        ("correct", _, "write") => Truth::Write,
        other => panic!("an unknown key label: {other:?}"),
    }
}

/// The verdict the label asks for: with a write probe, what WooCommerce's answers to the pair
/// prove; without one, the most a single read can prove.
fn label_says(truth: Truth, with_write: bool, oauth: bool) -> &'static str {
    match (truth, with_write, oauth) {
        (Truth::ReadWrite, true, _) => "Granted { write: Allowed }",
        (Truth::Read, true, _) => "Granted { write: Refused }",
        (Truth::ReadWrite | Truth::Read, false, _) => "Granted { write: Unchecked(_) }",
        (Truth::Write, true, _) => "Refused(WriteOnly)",
        (Truth::Write | Truth::WrongSecret, false, false) => "Refused(ReadRefused)",
        (Truth::Write | Truth::WrongSecret, _, true) => "Refused(OAuthRejected)",
        (Truth::WrongSecret, true, false) => "Refused(WrongSecret)",
        (Truth::Customer, _, _) => "Refused(NoCapability)",
        (Truth::Unknown, _, _) => "NotSeen",
    }
}

fn is_label(truth: Truth, with_write: bool, oauth: bool, verdict: &Verdict) -> bool {
    let shape = match verdict {
        Verdict::Granted {
            write: WriteVerdict::Allowed,
        } => "Granted { write: Allowed }",
        Verdict::Granted {
            write: WriteVerdict::Refused,
        } => "Granted { write: Refused }",
        Verdict::Granted {
            write: WriteVerdict::Unchecked(_),
        } => "Granted { write: Unchecked(_) }",
        Verdict::NotSeen { .. } => "NotSeen",
        Verdict::Refused(Refusal::WriteOnly) => "Refused(WriteOnly)",
        Verdict::Refused(Refusal::ReadRefused) => "Refused(ReadRefused)",
        Verdict::Refused(Refusal::OAuthRejected { .. }) => "Refused(OAuthRejected)",
        Verdict::Refused(Refusal::WrongSecret) => "Refused(WrongSecret)",
        Verdict::Refused(Refusal::NoCapability) => "Refused(NoCapability)",
        Verdict::Refused(_) => "another refusal",
    };
    shape == label_says(truth, with_write, oauth)
}

/// An outcome that says the key was not seen, or what stands in front of the store, and
/// nothing about the key.
fn hidden(verdict: &Verdict) -> bool {
    matches!(
        verdict,
        Verdict::NotSeen { .. }
            | Verdict::Refused(
                Refusal::Trouble(_)
                    | Refusal::Redirected { .. }
                    | Refusal::Unexpected { .. }
                    | Refusal::NoWooCommerce
            )
    )
}

/// A read that proved the key, with a write probe that something in front of WooCommerce
/// answered: "may read, writing not checked".
fn write_blocked(pair: &Pair, verdict: &Verdict) -> bool {
    matches!(
        verdict,
        Verdict::Granted {
            write: WriteVerdict::Unchecked(_)
        }
    ) && pair
        .write
        .is_some_and(|write| !write_is_conclusive(&write.answer))
}

/// Whether the verdict says something about the key that its label contradicts.
fn contradicts(truth: Truth, oauth: bool, verdict: &Verdict) -> bool {
    if hidden(verdict) {
        return false;
    }
    let consistent = match verdict {
        Verdict::Granted {
            write: WriteVerdict::Allowed,
        } => truth == Truth::ReadWrite,
        Verdict::Granted {
            write: WriteVerdict::Refused,
        } => truth == Truth::Read,
        Verdict::Granted {
            write: WriteVerdict::Unchecked(_),
        } => matches!(truth, Truth::ReadWrite | Truth::Read),
        Verdict::Refused(Refusal::WrongSecret) => truth == Truth::WrongSecret,
        // "A wrong secret or a key without read permission."
        Verdict::Refused(Refusal::ReadRefused) => {
            matches!(truth, Truth::WrongSecret | Truth::Write)
        }
        // The signed request was refused: a statement about the request (over OAuth), which a
        // signature made for another URL earns whatever the key.
        Verdict::Refused(Refusal::OAuthRejected { .. }) => oauth,
        Verdict::Refused(Refusal::WriteOnly) => truth == Truth::Write,
        Verdict::Refused(Refusal::NoCapability) => truth == Truth::Customer,
        Verdict::NotSeen { .. }
        | Verdict::Refused(
            Refusal::Trouble(_)
            | Refusal::Redirected { .. }
            | Refusal::Unexpected { .. }
            | Refusal::NoWooCommerce,
        ) => true,
    };
    !consistent
}

/// Whether the redirect only adds or removes a trailing slash on the same origin, query kept
/// (the one redirect woolink's transport follows).
fn slash_only(exchange: &Exchange) -> bool {
    let Some(location) = exchange.answer.header("location") else {
        return false;
    };
    let from = Url::parse(&exchange.url).expect("a recorded URL");
    let Ok(to) = from.join(location) else {
        return false;
    };
    to.origin() == from.origin()
        && to.query() == from.query()
        && to.path() != from.path()
        && to.path().trim_end_matches('/') == from.path().trim_end_matches('/')
}

// ---------------------------------------------------------------------------------------------
// The expectations

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Exactly the label's verdict ([`label_says`]).
    Label,
    /// Exactly the label's verdict as far as the read alone proves it (the write probe never
    /// reached WooCommerce).
    LabelFromTheReadAlone,
    /// The label's verdict, or an outcome that only says the store's setup hid the key.
    LabelOrHidden,
    /// WooCommerce never saw the key.
    NotSeen,
    /// Something in front of WooCommerce answered.
    Trouble,
    /// No WooCommerce REST API at that root.
    NoWooCommerce,
    /// An answer that is not WooCommerce's.
    Unexpected,
    /// A 3xx to another origin: never followed with credentials.
    CrossOriginRedirect,
    /// A 301 that only adds a trailing slash on the same origin (read and write alike).
    SlashOnlyRedirect,
    /// Whatever it is, not Granted: a cache answered for someone else's request.
    NotGranted,
    /// Read proven; the write probe was answered by something in front: Granted { Unchecked }.
    WriteUnchecked,
    /// WooCommerce refused the OAuth signature.
    OAuthRejected,
}

/// Which pairs a rule applies to; `None` matches anything, text matches by containment.
#[derive(Clone, Copy)]
struct When {
    auth: Option<&'static str>,
    who: Option<&'static str>,
    place: Option<&'static str>,
    stage: Option<Stage>,
    raw_redirect: Option<bool>,
    secret: Option<&'static str>,
}

const ANY: When = When {
    auth: None,
    who: None,
    place: None,
    stage: None,
    raw_redirect: None,
    secret: None,
};
const RAW_REDIRECT: When = When {
    raw_redirect: Some(true),
    ..ANY
};
const TARGET: When = When {
    stage: Some(Stage::Target),
    ..ANY
};
const TARGET_AS_GET: When = When {
    stage: Some(Stage::TargetAsGet),
    ..ANY
};
/// The store's own API root, asked directly (not a redirecting host or another URL form).
const ROOT: When = When {
    place: Some(""),
    stage: Some(Stage::Direct),
    raw_redirect: Some(false),
    ..ANY
};

impl When {
    fn matches(&self, pair: &Pair) -> bool {
        let read = pair.read;
        self.auth.is_none_or(|auth| read.auth == auth)
            && self.who.is_none_or(|who| read.step.who.contains(who))
            && self.place.is_none_or(|place| {
                if place.is_empty() {
                    read.step.place.is_empty()
                } else {
                    read.step.place.contains(place)
                }
            })
            && self.stage.is_none_or(|stage| read.step.stage == stage)
            && self.raw_redirect.is_none_or(|raw| pair.raw_redirect == raw)
            && self.secret.is_none_or(|secret| read.key.secret == secret)
    }
}

struct Rule {
    scenario: &'static str,
    when: When,
    expect: Expect,
    name: &'static str,
}

const fn rule(scenario: &'static str, when: When, expect: Expect, name: &'static str) -> Rule {
    Rule {
        scenario,
        when,
        expect,
        name,
    }
}

/// One named expectation for every pair: the first rule of its scenario that matches.
const RULES: &[Rule] = &[
    rule("S1", ANY, Expect::Label, "ordinary store"),
    rule(
        "S2",
        When {
            auth: Some("basic"),
            ..ANY
        },
        Expect::NotSeen,
        "nginx empties the Authorization header: the key never reaches WooCommerce",
    ),
    rule(
        "S2",
        When {
            auth: Some("query"),
            ..ANY
        },
        Expect::Label,
        "key in the query string reaches WooCommerce",
    ),
    rule(
        "S3",
        When {
            place: Some("dummy parameter"),
            ..ANY
        },
        Expect::Label,
        "?rest_route= with the _dummy=wp-json/wc/ work-around",
    ),
    rule(
        "S3",
        When {
            place: Some("pretty"),
            ..RAW_REDIRECT
        },
        Expect::SlashOnlyRedirect,
        "pretty URL on plain permalinks: WordPress adds a slash",
    ),
    rule(
        "S3",
        When {
            place: Some("pretty"),
            ..TARGET
        },
        Expect::Unexpected,
        "pretty URL on plain permalinks: the home page's HTML",
    ),
    rule(
        "S3",
        ROOT,
        Expect::NotSeen,
        "?rest_route= without wp-json/wc/ in the URI: WooCommerce 9.9.5 ignores the key",
    ),
    rule(
        "S3b",
        When {
            place: Some("dummy parameter"),
            ..ANY
        },
        Expect::Label,
        "?rest_route= with the _dummy=wp-json/wc/ work-around",
    ),
    rule(
        "S3b",
        When {
            place: Some("pretty"),
            ..ANY
        },
        Expect::Unexpected,
        "pretty URL: nginx's own HTML 404",
    ),
    rule(
        "S3b",
        ROOT,
        Expect::NotSeen,
        "?rest_route= without wp-json/wc/ in the URI: WooCommerce 9.9.5 ignores the key",
    ),
    rule(
        "S4",
        When {
            auth: Some("oauth1"),
            ..ANY
        },
        Expect::Label,
        "plain http, OAuth 1.0a signed for the URL sent",
    ),
    rule(
        "S4",
        ANY,
        Expect::NotSeen,
        "plain http: WooCommerce ignores keys sent without OAuth",
    ),
    rule("S5", ANY, Expect::Label, "ordinary store in /shop"),
    rule(
        "S6a",
        RAW_REDIRECT,
        Expect::CrossOriginRedirect,
        "http → https://127.0.0.1:8441: another origin",
    ),
    rule(
        "S6a",
        TARGET,
        Expect::Label,
        "the redirect target is the S1 store",
    ),
    rule(
        "S6a",
        TARGET_AS_GET,
        Expect::LabelOrHidden,
        "a POST turned into a GET after the 301: no write probe, judged alone",
    ),
    rule(
        "S6b",
        RAW_REDIRECT,
        Expect::CrossOriginRedirect,
        "localhost:8446 → 127.0.0.1:8441: another origin",
    ),
    rule(
        "S6b",
        TARGET,
        Expect::Label,
        "the redirect target is the S1 store",
    ),
    rule(
        "S6b",
        TARGET_AS_GET,
        Expect::LabelOrHidden,
        "a POST turned into a GET after the 301: no write probe, judged alone",
    ),
    rule(
        "S7",
        ANY,
        Expect::NoWooCommerce,
        "WordPress without WooCommerce",
    ),
    rule(
        "S8",
        ANY,
        Expect::Label,
        "REST closed to anonymous visitors; keys pass",
    ),
    rule("S9", ANY, Expect::Unexpected, "a static site's HTML 404"),
    rule("S10", ROOT, Expect::Label, "the canonical host"),
    rule(
        "S10",
        RAW_REDIRECT,
        Expect::CrossOriginRedirect,
        "http:// or www. → https://shop.test: another origin",
    ),
    rule(
        "S10",
        TARGET,
        Expect::Label,
        "the redirect target is the canonical host",
    ),
    rule(
        "S10",
        TARGET_AS_GET,
        Expect::LabelOrHidden,
        "a POST turned into a GET after the 301: no write probe, judged alone",
    ),
    rule(
        "S11",
        When {
            who: Some("signed for http://"),
            ..ANY
        },
        Expect::Label,
        "OAuth signed for the http:// WordPress believes in",
    ),
    rule(
        "S11",
        When {
            who: Some("signed for https://"),
            ..ANY
        },
        Expect::OAuthRejected,
        "OAuth signed for the https:// URL actually used: the signature does not verify",
    ),
    rule(
        "S11",
        ANY,
        Expect::NotSeen,
        "TLS proxy hides https from PHP: keys without OAuth are ignored",
    ),
    rule(
        "S12",
        ANY,
        Expect::Label,
        "a PHP notice before every answer",
    ),
    rule(
        "S12b",
        ANY,
        Expect::Label,
        "a byte-order mark before every answer",
    ),
    rule(
        "S13",
        When {
            auth: Some("site-basic+query"),
            ..ANY
        },
        Expect::Label,
        "site password in HTTP Basic, key in the query string",
    ),
    rule(
        "S13",
        ANY,
        Expect::Trouble,
        "nginx asks for the site password first",
    ),
    rule(
        "S14",
        When {
            place: Some("/wp-json/"),
            ..ANY
        },
        Expect::Unexpected,
        "/wp-json/ is not the REST prefix: WordPress's HTML 404",
    ),
    rule("S14", ROOT, Expect::Label, "the REST prefix /api/"),
    rule(
        "S15",
        ANY,
        Expect::Label,
        "REST discovery removed, /wp-json/ works",
    ),
    rule(
        "S16",
        ANY,
        Expect::Trouble,
        "a bot challenge answers everything: never a key verdict",
    ),
    rule(
        "S17",
        ANY,
        Expect::Label,
        "slow front end, REST at normal speed",
    ),
    rule(
        "S18",
        When {
            place: Some("main site"),
            ..ANY
        },
        Expect::NoWooCommerce,
        "the network's main site has no WooCommerce",
    ),
    rule("S18", ROOT, Expect::Label, "the sub-site /store2/"),
    rule("S19", ANY, Expect::Label, "WordPress in its own directory"),
    rule(
        "S20",
        When {
            secret: Some("wrong"),
            ..ANY
        },
        Expect::NotGranted,
        "a cache that ignores Authorization: a wrong secret must not pass",
    ),
    rule(
        "S20",
        When {
            secret: Some("unknown"),
            ..ANY
        },
        Expect::NotGranted,
        "a cache that ignores Authorization: an unknown key must not pass",
    ),
    rule(
        "S20",
        ANY,
        Expect::LabelOrHidden,
        "a cache that ignores Authorization",
    ),
    rule(
        "S21",
        When {
            auth: Some("basic"),
            who: Some("read_write key (administrator)"),
            ..ANY
        },
        Expect::WriteUnchecked,
        "a firewall answers the write probe with 406",
    ),
    rule(
        "S21",
        ANY,
        Expect::LabelFromTheReadAlone,
        "a firewall answers the write probe with 406: only the read counts",
    ),
    rule(
        "S22",
        RAW_REDIRECT,
        Expect::SlashOnlyRedirect,
        "nginx adds a trailing slash",
    ),
    rule(
        "S22",
        TARGET,
        Expect::Label,
        "the URL with its trailing slash",
    ),
    rule(
        "S22",
        TARGET_AS_GET,
        Expect::LabelOrHidden,
        "a POST turned into a GET after the 301: no write probe, judged alone",
    ),
];

fn rule_for(pair: &Pair) -> Option<(usize, &'static Rule)> {
    RULES
        .iter()
        .enumerate()
        .find(|(_, rule)| rule.scenario == pair.read.scenario && rule.when.matches(pair))
}

/// Whether the verdict is what the expectation asks (the no-false rule is checked apart).
fn meets(expect: Expect, pair: &Pair, truth: Truth, verdict: &Verdict) -> bool {
    let with_write = pair.write.is_some();
    let oauth = pair.oauth();
    let redirect_pair = || std::iter::once(pair.read).chain(pair.write);
    match expect {
        Expect::Label => is_label(truth, with_write, oauth, verdict),
        Expect::LabelFromTheReadAlone => is_label(truth, false, oauth, verdict),
        Expect::LabelOrHidden => {
            is_label(truth, with_write, oauth, verdict)
                || hidden(verdict)
                || write_blocked(pair, verdict)
        }
        Expect::NotSeen => matches!(verdict, Verdict::NotSeen { .. }),
        Expect::Trouble => matches!(verdict, Verdict::Refused(Refusal::Trouble(_))),
        Expect::NoWooCommerce => matches!(verdict, Verdict::Refused(Refusal::NoWooCommerce)),
        Expect::Unexpected => matches!(verdict, Verdict::Refused(Refusal::Unexpected { .. })),
        Expect::CrossOriginRedirect => {
            matches!(
                verdict,
                Verdict::Refused(Refusal::Redirected { location: Some(_) })
            ) && redirect_pair().all(|exchange| !slash_only(exchange))
        }
        Expect::SlashOnlyRedirect => {
            matches!(
                verdict,
                Verdict::Refused(Refusal::Redirected { location: Some(_) })
            ) && redirect_pair()
                .all(|exchange| exchange.answer.status == 301 && slash_only(exchange))
        }
        Expect::NotGranted => !matches!(verdict, Verdict::Granted { .. }),
        Expect::WriteUnchecked => matches!(
            verdict,
            Verdict::Granted {
                write: WriteVerdict::Unchecked(_)
            }
        ),
        Expect::OAuthRejected => matches!(verdict, Verdict::Refused(Refusal::OAuthRejected { .. })),
    }
}

// ---------------------------------------------------------------------------------------------
// The report

fn shown(exchange: &Exchange) -> String {
    let code = error_code(&exchange.answer).unwrap_or_default();
    let mut line = format!(
        "#{} {} {}",
        exchange.index, exchange.method, exchange.answer.status
    );
    if !code.is_empty() {
        let _ = write!(line, " {code}");
    }
    if let Some(cache) = exchange.answer.header("x-cache") {
        let _ = write!(line, " (X-Cache: {cache})");
    }
    line
}

#[test]
fn real_answers_replayed_through_the_classifier_give_no_false_verdict() {
    let exchanges = recorded();
    let pairs = pairs(&exchanges);

    // Every exchange that carried a key is replayed: as a read, or as the write probe of one.
    let mut replayed = BTreeSet::new();
    for pair in &pairs {
        replayed.insert((pair.read.scenario.as_str(), pair.read.index));
        if let Some(write) = pair.write {
            replayed.insert((write.scenario.as_str(), write.index));
        }
    }
    let left_out: Vec<String> = exchanges
        .iter()
        .filter(|exchange| !replayed.contains(&(exchange.scenario.as_str(), exchange.index)))
        .map(|exchange| {
            format!(
                "{} #{} {}",
                exchange.scenario, exchange.index, exchange.what
            )
        })
        .collect();
    assert!(left_out.is_empty(), "never replayed: {left_out:#?}");
    assert_eq!(exchanges.len(), 329, "keyed exchanges in the fixtures");
    assert_eq!(pairs.len(), 227, "pairs replayed");

    let mut report = String::new();
    let mut failures = Vec::new();
    let mut used_rules = BTreeSet::new();
    let mut scenario = "";
    for pair in &pairs {
        let read = pair.read;
        if read.scenario != scenario {
            scenario = &read.scenario;
            let _ = writeln!(report, "\n== {scenario}");
        }
        let truth = truth(&read.key);
        let verdict = pair.verdict();
        let mut problems = Vec::new();
        let label = label_says(truth, pair.write.is_some(), pair.oauth());
        if contradicts(truth, pair.oauth(), &verdict) {
            problems.push(format!("FALSE VERDICT (the key is {truth:?}: {label})"));
        }
        let expectation = match rule_for(pair) {
            Some((index, rule)) => {
                used_rules.insert(index);
                if !meets(rule.expect, pair, truth, &verdict) {
                    problems.push(format!("expected {:?} (label: {label})", rule.expect));
                }
                format!("{:?}: {}", rule.expect, rule.name)
            }
            None => {
                problems.push("no expectation for this pair".to_owned());
                "(none)".to_owned()
            }
        };
        let answers = match pair.write {
            Some(write) => format!("{} + {}", shown(read), shown(write)),
            None => format!("{} alone", shown(read)),
        };
        let status = if problems.is_empty() { "ok  " } else { "FAIL" };
        let _ = writeln!(
            report,
            "{status} {}\n     answers: {answers}\n     verdict: {verdict:?}\n     expected: {expectation}",
            read.what,
        );
        for problem in &problems {
            let _ = writeln!(report, "     !! {problem}");
            failures.push(format!(
                "{} #{} {}: {answers} => {verdict:?} — {problem}",
                read.scenario, read.index, read.what,
            ));
        }
    }
    let unused: Vec<String> = RULES
        .iter()
        .enumerate()
        .filter(|(index, _)| !used_rules.contains(index))
        .map(|(_, rule)| format!("{} {:?}: {}", rule.scenario, rule.expect, rule.name))
        .collect();
    assert!(
        failures.is_empty() && unused.is_empty(),
        "{report}\n\n{} pair(s) failed:\n{}\n\nrules that matched no pair: {unused:#?}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_stand_in_write_answer_decides_nothing() {
    assert!(!write_is_conclusive(&no_write()));
}

#[test]
fn a_firewalls_406_is_not_conclusive_and_woocommerces_own_answers_are() {
    let exchanges = recorded();
    let writes = |scenario: &str| -> Vec<&Exchange> {
        exchanges
            .iter()
            .filter(|exchange| exchange.scenario == scenario && exchange.method == "POST")
            .collect()
    };
    let s21 = writes("S21");
    assert_eq!(s21.len(), 3);
    for write in s21 {
        assert_eq!(write.answer.status, 406, "{}", write.what);
        assert!(!write_is_conclusive(&write.answer), "S21: {}", write.what);
    }
    let s1 = writes("S1");
    assert_eq!(s1.len(), 6);
    for write in s1 {
        assert!(write_is_conclusive(&write.answer), "S1: {}", write.what);
    }
}
