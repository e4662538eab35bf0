//! URLs as woolink shows them. A request's URL may carry the key and secret (in the query
//! string, or as OAuth 1.0a parameters), so what is printed is a [`DisplaySafeUrl`]: a URL with
//! no credential left in it, whatever prints it. Debug lines mark where credentials were
//! instead ([`redacted`]), so a request can still be recognised.

use url::Url;

/// Query parameters that carry credentials, in any of the ways woolink sends them:
/// `consumer_key` and `consumer_secret` in the query string, `oauth_*` for OAuth 1.0a. Case
/// does not matter: whatever reads the URL after woolink may not care either.
pub fn is_credential_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "consumer_key" || name == "consumer_secret" || name.starts_with("oauth_")
}

/// `url` with every credential parameter, user name and password removed.
pub fn without_credentials(url: &Url) -> Url {
    let mut clean = url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !is_credential_param(name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    if kept.is_empty() {
        clean.set_query(None);
    } else {
        clean.query_pairs_mut().clear().extend_pairs(kept);
    }
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean
}

/// A URL to show: made [`without_credentials`], so its `Display` and `Debug` cannot show one
/// whatever prints it. Kept as text: it is only ever shown, and errors carry it.
#[derive(Clone, PartialEq, Eq)]
pub struct DisplaySafeUrl(String);

impl DisplaySafeUrl {
    pub fn new(url: &Url) -> Self {
        Self(without_credentials(url).into())
    }

    /// An address that may not parse, shown up to its query where it does not.
    pub fn shown(location: &str) -> Self {
        match Url::parse(location) {
            Ok(url) => Self::new(&url),
            Err(_) => Self(
                location
                    .split(['?', '#'])
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            ),
        }
    }
}

impl std::fmt::Display for DisplaySafeUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for DisplaySafeUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DisplaySafeUrl({})", self.0)
    }
}

/// `url` as debug lines show it: credential values in the query and any user name or password
/// replaced by `REDACTED`, the fragment dropped, the rest kept so a request can be recognised.
pub fn redacted(url: &Url) -> String {
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
                let value = if is_credential_param(&name) {
                    "REDACTED".into()
                } else {
                    value
                };
                (name.into_owned(), value.into_owned())
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.set_fragment(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_parameters_are_recognised_in_any_case() {
        for name in [
            "consumer_key",
            "Consumer_Secret",
            "oauth_signature",
            "OAUTH_CONSUMER_KEY",
            "oauth_nonce",
        ] {
            assert!(is_credential_param(name), "{name}");
        }
        for name in ["per_page", "key", "consumer", "woolink", "_fields"] {
            assert!(!is_credential_param(name), "{name}");
        }
    }

    #[test]
    fn a_safe_url_shows_no_credential_however_it_is_printed() {
        let url = Url::parse(
            "https://user:pw@shop.example/wp-json/wc/v3/orders?per_page=5&Consumer_Key=ck_1&consumer_secret=cs_2&oauth_signature=sig",
        )
        .unwrap();
        let safe = DisplaySafeUrl::new(&url);
        let expected = "https://shop.example/wp-json/wc/v3/orders?per_page=5";
        assert_eq!(safe.to_string(), expected);
        assert!(!format!("{safe:?}").contains("ck_1"));
        assert!(!format!("{safe:?}").contains("pw"));
        assert_eq!(without_credentials(&url).as_str(), expected);
        let only_credentials = Url::parse("https://shop.example/x?consumer_key=ck_1").unwrap();
        assert_eq!(
            DisplaySafeUrl::new(&only_credentials).to_string(),
            "https://shop.example/x"
        );
        assert_eq!(
            DisplaySafeUrl::shown("not a url?consumer_secret=cs_2").to_string(),
            "not a url"
        );
    }

    #[test]
    fn debug_urls_hide_every_credential() {
        let url = Url::parse(
            "https://u:pw@s.example/wp-json/wc/v3/products?per_page=1&consumer_key=ck_abc&Consumer_Secret=cs_def&oauth_consumer_key=ck_ghi&oauth_signature=c2ln%3D&oauth_nonce=n1#frag",
        )
        .unwrap();
        let shown = redacted(&url);
        for secret in ["pw", "ck_abc", "cs_def", "ck_ghi", "c2ln", "frag"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("per_page=1"), "{shown}");
        assert!(shown.contains("oauth_nonce=REDACTED"), "{shown}");
        assert!(shown.contains("consumer_key=REDACTED"), "{shown}");
        assert!(
            shown.starts_with("https://REDACTED:REDACTED@s.example/"),
            "{shown}"
        );
    }
}
