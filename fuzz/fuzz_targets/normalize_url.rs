//! URL normalization on any input: never panics, normalizing twice changes nothing, the host
//! is kept, and the debug redaction never panics on what came out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use woolink::testing::StoreUrl;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((url, _notes)) = StoreUrl::parse_with_notes(text) else {
        return;
    };
    let again: StoreUrl = url
        .to_string()
        .parse()
        .expect("a normalized URL parses again");
    assert_eq!(again, url, "normalizing is idempotent for {text:?}");
    assert_eq!(again.as_url().host_str(), url.as_url().host_str());
    let _ = woolink::testing::redacted(url.as_url());
});
