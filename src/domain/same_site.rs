//! The "same site" rules, in one place: where woolink may send something because it is the
//! store the person named. Three relations, from the strictest:
//!
//! - [`origin`]: the same scheme, host and port. The only place the account's key may go (an
//!   API root, a next page, a redirect woolink follows by itself, WordPress's own address).
//! - [`login`]: where the web server's own login may go, for a person who named `named`: the
//!   same host and port, or http upgraded to https on default ports.
//! - [`store`]: whether a store found at `found` is the one the person named: the same host
//!   give or take "www.", the same port, and the same scheme or http upgraded to https.
//!   Anything else could hand the key to a stranger, so it needs the person's explicit word.

use url::Url;

/// The same scheme, host and port.
pub fn origin(a: &Url, b: &Url) -> bool {
    a.origin() == b.origin()
}

/// Whether the web server's login for `named` may go to `to`: the same host, on the same port
/// or upgraded from http to https on the default ports.
pub fn login(named: &Url, to: &Url) -> bool {
    to.host() == named.host()
        && (to.port_or_known_default() == named.port_or_known_default()
            || (upgraded(named, to) && named.port().is_none() && to.port().is_none()))
}

/// Whether `found` is the store the person named as `named`.
pub fn store(named: &Url, found: &Url) -> bool {
    let host = |url: &Url| {
        let host = url.host_str().unwrap_or_default();
        host.strip_prefix("www.").unwrap_or(host).to_owned()
    };
    host(named) == host(found)
        && named.port() == found.port()
        && (named.scheme() == found.scheme() || upgraded(named, found))
}

/// From plain http to https.
fn upgraded(from: &Url, to: &Url) -> bool {
    from.scheme() == "http" && to.scheme() == "https"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_site_rules() {
        // named, other, origin, login, store
        let table = [
            (
                "https://a.example/",
                "https://a.example/x",
                true,
                true,
                true,
            ),
            (
                "https://a.example/",
                "https://www.a.example/",
                false,
                false,
                true,
            ),
            (
                "https://www.a.example/",
                "https://a.example/",
                false,
                false,
                true,
            ),
            ("http://a.example/", "https://a.example/", false, true, true),
            (
                "https://a.example/",
                "http://a.example/",
                false,
                false,
                false,
            ),
            (
                "http://a.example:8080/",
                "https://a.example:8080/",
                false,
                true,
                true,
            ),
            (
                "http://a.example:8080/",
                "https://a.example/",
                false,
                false,
                false,
            ),
            (
                "http://a.example:443/",
                "https://a.example/",
                false,
                true,
                false,
            ),
            (
                "https://a.example:8443/",
                "https://a.example/",
                false,
                false,
                false,
            ),
            (
                "https://a.example/",
                "https://b.example/",
                false,
                false,
                false,
            ),
            (
                "https://a.example/",
                "https://shop.a.example/",
                false,
                false,
                false,
            ),
            (
                "https://a.example/",
                "https://a.example.evil.example/",
                false,
                false,
                false,
            ),
            ("https://a.example/", "https://A.EXAMPLE/", true, true, true),
        ];
        for (named, other, same_origin, same_login, same_store) in table {
            let (named, other) = (Url::parse(named).unwrap(), Url::parse(other).unwrap());
            assert_eq!(
                origin(&named, &other),
                same_origin,
                "origin {named} {other}"
            );
            assert_eq!(login(&named, &other), same_login, "login {named} {other}");
            assert_eq!(store(&named, &other), same_store, "store {named} {other}");
        }
    }
}
