//! Host names resolved as reqwest does by default (the system's `getaddrinfo`, off the async
//! threads), but failing with [`DnsFailure`], a type of woolink's own: hyper-util's wrapper
//! for resolver errors is private, and a failure is recognised by its type, not its words.

use crate::domain::store_url::is_under_localhost;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A host name that could not be resolved, with the system's reason.
#[derive(Debug, thiserror::Error)]
#[error("could not resolve the host name: {0}")]
pub(super) struct DnsFailure(std::io::Error);

pub(super) struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // A name under `localhost` is this computer (RFC 6761, 6.3), and woolink treats it
            // so (`StoreUrl::is_loopback` allows plain http to it): it goes to the loopback
            // address, never to whatever a DNS server says. `localhost` itself is the system's.
            let addrs: Vec<SocketAddr> = if is_under_localhost(&host) {
                vec![
                    (Ipv4Addr::LOCALHOST, 0).into(),
                    (Ipv6Addr::LOCALHOST, 0).into(),
                ]
            } else {
                // tokio runs `getaddrinfo` on its blocking threads, as reqwest's own resolver.
                let found = tokio::net::lookup_host((host.as_str(), 0)).await;
                found.map_err(DnsFailure)?.collect()
            };
            if addrs.is_empty() {
                let none = std::io::Error::other("no addresses found");
                return Err(DnsFailure(none).into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::store_url::is_under_localhost;

    #[test]
    fn only_names_under_localhost_are_this_computer() {
        for host in ["shop.localhost", "xn--shp-ted.localhost", "A.B.LOCALHOST."] {
            assert!(is_under_localhost(host), "{host}");
        }
        for host in [
            "localhost",
            "shop.localhost.example",
            "notlocalhost",
            ".localhost",
        ] {
            assert!(!is_under_localhost(host), "{host}");
        }
    }
}
