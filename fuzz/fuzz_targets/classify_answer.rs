//! The response classifier on any pair of answers: status, headers and body from fuzz bytes.
//! `judge`, `store_trouble`, `challenge`, the error-code readers and the JSON reader that
//! skips what stores print before their JSON must never panic.
#![no_main]

use std::sync::LazyLock;

use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use woolink::testing::{Answer, ConsumerKey, ConsumerSecret, Credentials};
use woolink::testing::{
    Verdict, WriteVerdict, challenge, error_code, error_message, judge, key_was_judged,
    store_trouble, write_is_conclusive,
};

/// The account a note about a store's junk is written for (its credentials are taken out).
static CREDENTIALS: LazyLock<Credentials> = LazyLock::new(|| Credentials {
    key: ConsumerKey::parse(&format!("ck_{}", "0a".repeat(20))).expect("a valid key"),
    secret: ConsumerSecret::parse(&format!("cs_{}", "0b".repeat(20))).expect("a valid secret"),
    site: None,
});

/// Interesting header names, so the fuzzer does not have to guess them byte by byte.
const NAMES: [&str; 9] = [
    "content-type",
    "server",
    "location",
    "cf-mitigated",
    "sg-captcha",
    "link",
    "retry-after",
    "www-authenticate",
    "x-other",
];

/// Reads one answer off the front of `data`: status (2 bytes), up to 3 headers (name index,
/// value length, value), then a body length and the body.
fn answer(data: &mut &[u8]) -> Answer {
    let mut take = |n: usize| -> &[u8] {
        let n = n.min(data.len());
        let (head, rest) = data.split_at(n);
        *data = rest;
        head
    };
    let status = match take(2) {
        [a, b] => u16::from_be_bytes([*a, *b]) % 600,
        _ => 200,
    };
    let mut headers = HeaderMap::new();
    let count = take(1).first().copied().unwrap_or(0) % 4;
    for _ in 0..count {
        let name = NAMES[usize::from(take(1).first().copied().unwrap_or(0)) % NAMES.len()];
        let len = usize::from(take(1).first().copied().unwrap_or(0)) % 48;
        let value = take(len);
        let value = match HeaderValue::from_bytes(value) {
            Ok(value) => value,
            Err(_) => HeaderValue::from_static("application/json"),
        };
        headers.append(HeaderName::from_static(name), value);
    }
    let len = match take(2) {
        [a, b] => usize::from(u16::from_be_bytes([*a, *b])),
        _ => 0,
    };
    let body = take(len).to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    let oauth = rest.first().is_some_and(|b| b & 1 == 1);
    let read = answer(&mut rest);
    let write = answer(&mut rest);
    let verdict = judge(&read, &write, oauth);
    let _ = judge(&write, &read, !oauth);
    // A verdict on writing rests on WooCommerce's own word, and only once the read proved the
    // key was judged.
    if let Verdict::Granted { write: decided } = &verdict {
        assert!(key_was_judged(&read));
        let conclusive = !matches!(decided, WriteVerdict::Unchecked(_));
        assert_eq!(conclusive, write_is_conclusive(&write));
    }
    let _ = challenge(&read);
    let _ = error_code(&write);
    let _ = error_message(&read);
    let _ = store_trouble(&write);
    let _ = read.junk().map(|junk| junk.note(&CREDENTIALS));
    let _ = woolink::testing::parse(data);
});
