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
//! Nothing is exempt unless listed, loopback addresses included.

use std::net::IpAddr;

use url::{Host, Url};

use super::HttpSetupError;

/// One proxy and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxySetting {
    /// The variable it came from, e.g. `HTTPS_PROXY`.
    pub variable: &'static str,
    /// As reqwest gets it, credentials included: never shown.
    url: Url,
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
        format!("{}://{host}:{}", self.url.scheme(), self.port())
    }

    /// The port woolink connects to: as given, else the scheme's usual one.
    fn port(&self) -> u16 {
        self.url
            .port_or_known_default()
            .unwrap_or(if self.is_socks() { 1080 } else { 80 })
    }

    pub fn is_socks(&self) -> bool {
        self.url.scheme().starts_with("socks")
    }

    pub fn has_credentials(&self) -> bool {
        !self.url.username().is_empty() || self.url.password().is_some()
    }

    pub(super) fn url(&self) -> &Url {
        &self.url
    }
}

#[derive(Debug, Clone, Default)]
pub struct Proxies {
    https: Option<ProxySetting>,
    http: Option<ProxySetting>,
    no_proxy: NoProxy,
}

impl Proxies {
    pub fn from_env() -> Result<Self, HttpSetupError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings `get` (a variable's value by name) describes.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, HttpSetupError> {
        let first = |names: &[&'static str]| {
            names
                .iter()
                .find_map(|&name| get(name).filter(|v| !v.is_empty()).map(|v| (name, v)))
        };
        let parse = |found: Option<(&'static str, String)>| {
            found
                .map(|(variable, value)| parse_proxy(variable, &value))
                .transpose()
        };
        let all = parse(first(&["all_proxy", "ALL_PROXY"]))?;
        let https = parse(first(&["https_proxy", "HTTPS_PROXY"]))?;
        let http_names: &[&'static str] = if get("REQUEST_METHOD").is_some() {
            &["http_proxy"]
        } else {
            &["http_proxy", "HTTP_PROXY"]
        };
        let http = parse(first(http_names))?;
        let no_proxy = first(&["no_proxy", "NO_PROXY"]).map(|(_, value)| value);
        Ok(Proxies {
            https: https.or_else(|| all.clone()),
            http: http.or(all),
            no_proxy: NoProxy::parse(no_proxy.as_deref().unwrap_or_default()),
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
        let exempt = url.host().is_some_and(|host| self.no_proxy.covers(&host));
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

#[derive(Debug, Clone, Default)]
struct NoProxy {
    everything: bool,
    /// Lowercase, without a leading dot.
    domains: Vec<String>,
    networks: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    fn parse(list: &str) -> Self {
        let mut no_proxy = NoProxy::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let network = match entry.split_once('/') {
                Some((addr, bits)) => addr.parse().ok().zip(bits.parse().ok()),
                None => entry
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .ok()
                    .map(|ip| (ip, if ip.is_ipv4() { 32 } else { 128 })),
            };
            match network {
                _ if entry == "*" => no_proxy.everything = true,
                Some(network) => no_proxy.networks.push(network),
                None => no_proxy
                    .domains
                    .push(entry.trim_start_matches('.').to_ascii_lowercase()),
            }
        }
        no_proxy
    }

    fn covers(&self, host: &Host<&str>) -> bool {
        let ip: IpAddr = match host {
            Host::Domain(name) => {
                let name = name.to_ascii_lowercase();
                return self.everything
                    || self.domains.iter().any(|domain| {
                        name == *domain
                            || name
                                .strip_suffix(domain.as_str())
                                .is_some_and(|rest| rest.ends_with('.'))
                    });
            }
            Host::Ipv4(ip) => (*ip).into(),
            Host::Ipv6(ip) => (*ip).into(),
        };
        self.everything
            || self
                .networks
                .iter()
                .any(|&(network, bits)| in_network(ip, network, bits))
    }
}

fn in_network(ip: IpAddr, network: IpAddr, bits: u8) -> bool {
    // Both as 128-bit numbers whose top `bits` must agree.
    let (ip, network, bits) = match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => (
            u128::from(u32::from(ip)) << 96,
            u128::from(u32::from(net)) << 96,
            bits.min(32),
        ),
        (IpAddr::V6(ip), IpAddr::V6(net)) => (u128::from(ip), u128::from(net), bits.min(128)),
        _ => return false,
    };
    bits == 0 || (ip ^ network) >> (128 - u32::from(bits)) == 0
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
