//! Host names resolved as reqwest does by default (the system's `getaddrinfo`, off the async
//! threads), but failing with [`DnsFailure`], a type of woolink's own: hyper-util's wrapper
//! for resolver errors is private, and a failure is recognised by its type, not its words.

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
