//! Proxies, read from the environment here and nowhere else: reqwest's own reading is turned
//! off, so the proxy a request goes through is always the one [`Proxies::for_url`] names, and a
//! failure can name it and the variable it came from.
//!
//! The variables, as curl reads them: `https_proxy`/`HTTPS_PROXY` for https stores,
//! `http_proxy`/`HTTP_PROXY` for http ones, `all_proxy`/`ALL_PROXY` for either when the
//! specific one is unset, and `no_proxy`/`NO_PROXY`. Where both spellings are set the lowercase
//! one wins, as in curl. An empty value counts as unset. `HTTP_PROXY` is ignored when
//! `REQUEST_METHOD` is set: in a CGI program it can come from a request's `Proxy:` header
//! ("httpoxy"). A value without `scheme://` means http, as in curl; http, https, socks5 and
//! socks5h (host names resolved by the proxy) are supported, anything else is an error rather
//! than silently ignored.
//!
//! `NO_PROXY` is a comma-separated list of host names (each also covering its subdomains, a
//! leading dot optional), IP addresses or networks (`10.0.0.0/8`), or `*` for every host.
//! Nothing is exempt unless listed, loopback addresses included. hyper-util's proxy `Matcher`
//! (reqwest's own) applies the list.

use hyper_util::client::proxy::matcher::Matcher;
use url::Url;

use super::HttpSetupError;

/// One proxy and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxySetting {
    /// The variable it came from, e.g. `HTTPS_PROXY`.
    pub variable: &'static str,
    /// As reqwest gets it, credentials included: never shown.
    pub(super) url: Url,
}

/// Shows only what [`ProxySetting::shown`] shows: the URL may carry a password.
impl std::fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (from {})", self.shown(), self.variable)
    }
}

impl ProxySetting {
    /// `scheme://host:port`, without any credentials.
    pub fn shown(&self) -> String {
        let host = self.url.host().map(|h| h.to_string()).unwrap_or_default();
        // The port woolink connects to: as given, else the scheme's usual one (the url crate
        // knows http's and https's; socks5 and socks5h, the other schemes allowed, use 1080).
        let port = self.url.port_or_known_default().unwrap_or(1080);
        format!("{}://{host}:{port}", self.url.scheme())
    }

    pub fn has_credentials(&self) -> bool {
        !self.url.username().is_empty() || self.url.password().is_some()
    }
}

#[derive(Debug)]
pub struct Proxies {
    https: Option<ProxySetting>,
    http: Option<ProxySetting>,
    /// Whether `NO_PROXY` exempts a request, as reqwest reads it. Which proxy it goes through is
    /// `https`/`http`: the matcher is given a stand-in, so that an address hyper-util would
    /// read differently can never make a request skip the proxy it was given.
    matcher: Matcher,
}

impl Proxies {
    /// The settings `get` (a variable's value by name, `std::env::var` but in tests) describes.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, HttpSetupError> {
        let first = |names: &[&'static str]| {
            names
                .iter()
                .find_map(|&name| get(name).filter(|v| !v.is_empty()).map(|v| (name, v)))
        };
        let setting = |names: &[&'static str]| {
            let found = first(names);
            found
                .map(|(variable, value)| parse_proxy(variable, &value))
                .transpose()
        };
        let all = setting(&["all_proxy", "ALL_PROXY"])?;
        let https = setting(&["https_proxy", "HTTPS_PROXY"])?;
        let http_names: &[&'static str] = if get("REQUEST_METHOD").is_some() {
            &["http_proxy"]
        } else {
            &["http_proxy", "HTTP_PROXY"]
        };
        let http = setting(http_names)?;
        let no_proxy = first(&["no_proxy", "NO_PROXY"]).map_or_else(String::new, |(_, v)| v);
        // hyper-util's `*` covers host names but not addresses, and it reads `[::1]` as a name.
        let no_proxy: Vec<&str> = no_proxy
            .split(',')
            .map(|entry| entry.trim().trim_start_matches('[').trim_end_matches(']'))
            .collect();
        let (https, http) = if no_proxy.contains(&"*") {
            (None, None)
        } else {
            (https.or_else(|| all.clone()), http.or(all))
        };
        let stand_in = |setting: &Option<ProxySetting>| match setting {
            Some(_) => "http://proxy.invalid",
            None => "",
        };
        let matcher = Matcher::builder()
            .https(stand_in(&https))
            .http(stand_in(&http))
            .no(no_proxy.join(","))
            .build();
        Ok(Proxies {
            https,
            http,
            matcher,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.https.is_none() && self.http.is_none()
    }

    /// The proxy a request to `url` goes through, if any.
    pub fn for_url(&self, url: &Url) -> Option<&ProxySetting> {
        let setting = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        }?;
        // An address the matcher cannot read is not exempt: it goes through the proxy.
        let exempt = (url.as_str().parse()).is_ok_and(|uri| self.matcher.intercept(&uri).is_none());
        (!exempt).then_some(setting)
    }
}

fn parse_proxy(variable: &'static str, value: &str) -> Result<ProxySetting, HttpSetupError> {
    let bad = |why: &'static str| HttpSetupError::BadProxy {
        variable,
        value: redacted_value(value),
        why,
    };
    let text = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    let url = Url::parse(&text).map_err(|_| bad("it is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
        return Err(bad(
            "woolink supports http://, https://, socks5:// and socks5h:// proxies",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host"));
    }
    Ok(ProxySetting { variable, url })
}

/// `value` with everything between `scheme://` and the last `@` replaced, so no user name or
/// password shows. Works on text: the value may not even parse.
fn redacted_value(value: &str) -> String {
    let start = value.find("://").map_or(0, |i| i + 3);
    match value[start..].rfind('@') {
        Some(at) => format!("{}REDACTED@{}", &value[..start], &value[start + at + 1..]),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(vars: &[(&str, &str)]) -> Result<Proxies, HttpSetupError> {
        Proxies::from_lookup(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    fn via(proxies: &Proxies, url: &str) -> Option<String> {
        proxies
            .for_url(&Url::parse(url).unwrap())
            .map(|p| format!("{} {}", p.variable, p.shown()))
    }

    #[test]
    fn lowercase_wins_and_all_proxy_fills_in() {
        let p = proxies(&[
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2"),
            ("ALL_PROXY", "socks5h://all"),
        ])
        .unwrap();
        assert_eq!(
            via(&p, "https://shop.example").as_deref(),
            Some("https_proxy http://lower:2")
        );
        assert_eq!(
            via(&p, "http://shop.example").as_deref(),
            Some("ALL_PROXY socks5h://all:1080")
        );
        let p = proxies(&[("HTTPS_PROXY", "proxy.corp:3128"), ("https_proxy", "")]).unwrap();
        assert_eq!(
            via(&p, "https://shop.example").as_deref(),
            Some("HTTPS_PROXY http://proxy.corp:3128")
        );
        assert!(proxies(&[]).unwrap().is_empty());
    }

    #[test]
    fn http_proxy_in_upper_case_is_ignored_under_cgi() {
        let vars = [("HTTP_PROXY", "http://from-a-header:1")];
        assert!(via(&proxies(&vars).unwrap(), "http://shop.example").is_some());
        let cgi = [vars[0], ("REQUEST_METHOD", "GET")];
        assert_eq!(via(&proxies(&cgi).unwrap(), "http://shop.example"), None);
    }

    #[test]
    fn no_proxy_follows_curl() {
        let p = proxies(&[
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("NO_PROXY", " .internal.example, localhost,10.0.0.0/8,::1 "),
        ])
        .unwrap();
        for direct in [
            "https://internal.example",
            "https://shop.INTERNAL.example",
            "https://localhost:8443",
            "https://10.1.2.3",
            "https://[::1]:8443",
        ] {
            assert_eq!(via(&p, direct), None, "{direct}");
        }
        for proxied in [
            "https://notinternal.example",
            "https://127.0.0.1",
            "https://11.0.0.1",
            "https://localhost.example",
        ] {
            assert!(via(&p, proxied).is_some(), "{proxied}");
        }
        let p = proxies(&[("HTTPS_PROXY", "http://proxy"), ("no_proxy", "*")]).unwrap();
        assert_eq!(via(&p, "https://anything.example"), None);
        assert_eq!(via(&p, "https://10.0.0.1"), None);
        let p = proxies(&[("HTTPS_PROXY", "http://proxy"), ("no_proxy", "[::1]")]).unwrap();
        assert_eq!(via(&p, "https://[::1]:8443"), None);
    }

    #[test]
    fn malformed_values_are_errors_that_hide_credentials() {
        for value in [
            "ftp://user:hunter2@proxy.example:21",
            "http://user:hunter2@[not-an-address",
            "socks4://user:hunter2@proxy.example",
            "http://user:hunter2@",
        ] {
            let err = proxies(&[("HTTPS_PROXY", value)]).unwrap_err().to_string();
            assert!(err.contains("HTTPS_PROXY"), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
            assert!(!err.contains("user"), "{err}");
        }
    }

    #[test]
    fn a_proxy_shows_without_its_credentials() {
        let p = proxies(&[("https_proxy", "http://me:hunter2@proxy.example:8080/")]).unwrap();
        let setting = p.for_url(&Url::parse("https://shop.example").unwrap());
        let setting = setting.unwrap();
        assert_eq!(setting.shown(), "http://proxy.example:8080");
        assert!(setting.has_credentials());
        assert!(!format!("{setting:?}").contains("hunter2"));
    }
}
