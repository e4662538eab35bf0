//! Host names resolved as reqwest does by default (the system's `getaddrinfo`, off the async
//! threads), but failing with [`DnsFailure`], a type of woolink's own: hyper-util's wrapper
//! for resolver errors is private, and a failure is recognised by its type, not its words.

use crate::domain::store_url::is_under_localhost;
use std::net::ToSocketAddrs;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A host name that could not be resolved, with the system's reason.
#[derive(Debug, thiserror::Error)]
#[error("could not resolve the host name: {0}")]
pub(super) struct DnsFailure(std::io::Error);

pub(super) struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        // A name under `localhost` is this computer (RFC 6761, 6.3), and woolink treats it so
        // (`StoreUrl::is_loopback` allows plain http to it): it goes to the loopback address,
        // never to whatever a DNS server says. `localhost` itself is the system's to resolve.
        if is_under_localhost(&host) {
            let loopback: Vec<std::net::SocketAddr> = vec![
                (std::net::Ipv4Addr::LOCALHOST, 0).into(),
                (std::net::Ipv6Addr::LOCALHOST, 0).into(),
            ];
            return Box::pin(async move { Ok(Box::new(loopback.into_iter()) as Addrs) });
        }
        Box::pin(async move {
            let looked_up = tokio::task::spawn_blocking(move || {
                (host.as_str(), 0)
                    .to_socket_addrs()
                    .map(|addrs| addrs.collect::<Vec<_>>())
            })
            .await
            .map_err(std::io::Error::other)
            .and_then(|result| result);
            match looked_up {
                Ok(addrs) if !addrs.is_empty() => Ok(Box::new(addrs.into_iter()) as Addrs),
                Ok(_) => Err(DnsFailure(std::io::Error::other("no addresses found")).into()),
                Err(err) => Err(DnsFailure(err).into()),
            }
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
