//! Why a request got no answer, told by the types in reqwest's error chain (hyper, rustls,
//! io, the resolver), never by matching the words of a message where a type can tell.

use super::proxy::ProxySetting;
use super::{dns, size_in_words, trust};

/// Why a request got no answer. Messages name no URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("the store's host name could not be found (DNS)")]
    Dns,
    #[error("the connection was refused (nothing is listening on that address and port)")]
    Refused,
    #[error("the store did not answer in time")]
    Timeout,
    /// Shown with its advice: `api` and `run` say no more than this.
    #[error("{0}. {advice}", advice = .0.advice())]
    Tls(TlsProblem),
    #[error("the store sent an answer larger than {}", size_in_words(*.limit))]
    TooLarge { limit: usize },
    #[error("the store sent more headers than woolink reads (hundreds of KiB)")]
    HeadersTooLarge,
    #[error("the store closed the connection before its answer was complete")]
    Cut,
    /// A plain http request went to a port that speaks HTTPS (checked by connecting to it with
    /// TLS). `https` is the same host and port with https://.
    #[error("this port speaks HTTPS, not plain http; use {https}")]
    HttpsPort { https: String },
    #[error("the connection failed: {0}")]
    Other(String),
    #[error("{0}")]
    Proxy(ProxyFailure),
}

/// A proxy that failed the request before the store was reached: the variable it came from,
/// and the message, which names the proxy as `scheme://host:port`, never with its credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProxyFailure {
    pub variable: &'static str,
    message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsProblem {
    #[error(
        "its HTTPS certificate was issued by an authority this computer does not trust (self-signed or private CA)"
    )]
    UnknownIssuer,
    /// A certificate that issued itself, which nobody vouched for with --ca-cert.
    #[error("its HTTPS certificate is self-signed, so nothing vouches for it")]
    SelfSigned,
    #[error("its HTTPS certificate has expired (or this computer's clock is wrong)")]
    Expired,
    #[error("its HTTPS certificate was issued for a different host name")]
    WrongName,
    /// The server refused every TLS version and cipher woolink offers (TLS 1.2 and 1.3 with
    /// authenticated encryption): it offers only outdated ones, such as TLS 1.0 or CBC ciphers.
    #[error(
        "the store refused every TLS version and cipher woolink offers (TLS 1.2 and 1.3 with modern ciphers), so it most likely offers only outdated ones such as TLS 1.0 or CBC ciphers"
    )]
    Outdated,
    /// The server answered the TLS handshake with something that is not TLS (plain http).
    #[error(
        "the secure connection failed: the server did not speak TLS as expected (is it serving plain http on this port?)"
    )]
    NotTls,
    /// Anything else, already in words.
    #[error("the secure connection failed: {0}")]
    Other(String),
}

impl TlsProblem {
    /// What the user can do about it, as a sentence.
    pub fn advice(&self) -> &'static str {
        match self {
            TlsProblem::UnknownIssuer => {
                "Install a certificate from a public authority (for example Let's Encrypt) on the server or, if you trust this store's private CA, pass its certificate with --ca-cert PATH (needed once: the account remembers it once linked with `woolink connect --ca-cert PATH`)."
            }
            TlsProblem::SelfSigned => {
                "Install a certificate from a public authority (for example Let's Encrypt) on the server or, if this is your own server, pass its certificate with --ca-cert PATH (a PEM file holding the server's certificate; its host name and dates are still checked; the account remembers it once linked with `woolink connect --ca-cert PATH`)."
            }
            TlsProblem::Expired => {
                "Renew the certificate on the server (or correct this computer's clock)."
            }
            TlsProblem::WrongName => {
                "Use the address the certificate was issued for, or install a certificate for this one."
            }
            TlsProblem::Outdated => {
                "Ask the host to enable TLS 1.2 or 1.3 with current ciphers (ECDHE with AES-GCM or ChaCha20-Poly1305); browsers are dropping the old ones too."
            }
            TlsProblem::NotTls | TlsProblem::Other(_) => {
                "Check the server's HTTPS set-up (for example with an online SSL checker)."
            }
        }
    }
}

/// Reads the cause out of reqwest's error chain. Only the cause: the URL is dropped. `proxy` is
/// the proxy the request went through, if any.
pub(super) fn classify(err: reqwest::Error, proxy: Option<&ProxySetting>) -> TransportError {
    match proxy {
        // Connecting includes the proxy's part; what fails after that is the store's.
        Some(proxy) if err.is_connect() => proxy_failure(err, proxy),
        _ => classify_direct(err),
    }
}

fn classify_direct(err: reqwest::Error) -> TransportError {
    if err.is_timeout() {
        return TransportError::Timeout;
    }
    for cause in causes(&err) {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return TransportError::Tls(tls_problem(tls));
        }
        if cause.is::<dns::DnsFailure>() {
            return TransportError::Dns;
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            // A response head over hyper's limit (about 400 KiB or 100 headers).
            if hyper.is_parse_too_large() {
                return TransportError::HeadersTooLarge;
            }
            if hyper.is_incomplete_message() {
                return TransportError::Cut;
            }
            if hyper.is_timeout() {
                return TransportError::Timeout;
            }
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return TransportError::Refused,
                std::io::ErrorKind::TimedOut => return TransportError::Timeout,
                _ => {}
            }
        }
    }
    // The deepest cause's text. reqwest's own names the URL, which may carry query
    // credentials, so the URL is dropped first.
    let err = err.without_url();
    let words = causes(&err).last().map(|cause| cause.to_string());
    TransportError::Other(words.unwrap_or_default())
}

/// Whether the server answered with bytes that are not HTTP (hyper could not parse them).
pub(super) fn answer_was_not_http(err: &reqwest::Error) -> bool {
    causes(err).any(|cause| {
        cause
            .downcast_ref::<hyper::Error>()
            .is_some_and(|hyper| hyper.is_parse() && !hyper.is_parse_too_large())
    })
}

/// `err` and its causes, outermost first. `io::Error::source()` skips the error it wraps (and
/// rustls' error may be wrapped twice), so the walk descends into the wrapped error instead.
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |current| {
        match current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        }
    })
}

/// A failure to connect through `proxy`: the proxy's, unless it got as far as the store.
fn proxy_failure(err: reqwest::Error, proxy: &ProxySetting) -> TransportError {
    // hyper-util's and reqwest's words for each stage, below reqwest's own error (whose text
    // names the URL); their error types are private, known only by their words.
    let texts: Vec<String> = causes(&err)
        .skip(1)
        .map(|cause| cause.to_string())
        .collect();
    let texts: Vec<&str> = texts
        .iter()
        .map(|text| text.strip_prefix("tunnel error: ").unwrap_or(text))
        .collect();
    let said = |words: &str| texts.contains(&words);
    // An HTTP proxy's CONNECT fails with this around the cause when the proxy is not reached.
    let proxy_unreached = said("failed to create underlying connection");
    let socks = texts
        .iter()
        .find_map(|text| text.strip_prefix("SOCKS error: "));
    let variable = proxy.variable;
    let reached = format!("the proxy {} (from {variable})", proxy.shown());
    let failed = |words: &str| format!("{reached} failed: {words}");
    // HTTP 407, or a SOCKS proxy refusing (or wanting) a user name and password.
    let needs_credentials = if proxy.has_credentials() {
        format!("{reached} did not accept the user name and password in {variable}")
    } else {
        format!(
            "{reached} wants a user name and password (HTTP 407); give them in {variable} as scheme://USER:PASSWORD@host:port"
        )
    };
    let direct = classify_direct(err);
    let message = match direct {
        // The tunnel stands and the store's certificate failed; or an https proxy's did.
        TransportError::Tls(problem) if proxy_unreached => failed(&format!(
            "the secure connection to the proxy failed: {problem}"
        )),
        TransportError::Tls(_) | TransportError::Timeout => return direct,
        // socks5:// resolves the store's name here, before asking the proxy.
        TransportError::Dns if said("error resolving for socks proxy") => return direct,
        TransportError::Dns => format!("the host name of {reached} could not be found (DNS)"),
        TransportError::Refused => format!("{reached} refused the connection"),
        _ if said("proxy authorization required") => needs_credentials,
        // An HTTP proxy answered the CONNECT request with something other than 200.
        _ if said("unsuccessful") => format!(
            "{reached} refused to open a connection to the store (it may block that address, or the store may be down)"
        ),
        _ => match socks {
            // A SOCKS proxy that could not be connected to; reqwest does not say why.
            Some("failed to create underlying connection") => {
                format!("no connection could be made to {reached}")
            }
            Some(
                "credentials not accepted" | "server does not support user/pass authentication",
            ) => needs_credentials,
            // A SOCKS proxy's reply: it could not reach the store.
            Some(
                reply @ ("general server failure"
                | "connection not allowed"
                | "network unreachable"
                | "host unreachable"
                | "connection refused"
                | "ttl expired"),
            ) => format!("{reached} could not connect to the store: {reply}"),
            Some(other) => failed(other),
            None => match direct {
                TransportError::Other(words) => failed(&words),
                TransportError::Cut => failed("it closed the connection"),
                other => return other,
            },
        },
    };
    TransportError::Proxy(ProxyFailure { variable, message })
}

pub(super) fn tls_problem(err: &rustls::Error) -> TlsProblem {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    let words = match err {
        E::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer | C::BadSignature => return TlsProblem::UnknownIssuer,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => return TlsProblem::Expired,
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                return TlsProblem::WrongName;
            }
            C::Other(other) if other.0.is::<trust::SelfSigned>() => return TlsProblem::SelfSigned,
            C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
                Some(webpki::Error::CaUsedAsEndEntity) => {
                    "the server presented a CA certificate instead of its own".to_owned()
                }
                // The platform verifiers' own errors are sentences; webpki's are identifiers.
                Some(other) => told("its certificate was refused", other),
                None => format!("its certificate was refused: {other}"),
            },
            C::BadEncoding => "its certificate is malformed".to_owned(),
            C::Revoked => "its certificate has been revoked".to_owned(),
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                "its certificate is not meant for web servers".to_owned()
            }
            other => told("its certificate was refused", other),
        },
        // A server that knows none of TLS 1.2/1.3 answers "protocol version"; one whose ciphers
        // are all outdated (CBC, RC4, 3DES) answers "handshake failure".
        E::AlertReceived(A::ProtocolVersion | A::HandshakeFailure | A::InsufficientSecurity) => {
            return TlsProblem::Outdated;
        }
        E::AlertReceived(alert) => told("the server ended the handshake", alert),
        E::PeerIncompatible(why) => told("the server's TLS settings do not match woolink's", why),
        E::InvalidMessage(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. } => return TlsProblem::NotTls,
        E::PeerMisbehaved(why) => told("the server broke the TLS protocol", why),
        E::NoCertificatesPresented => "the server presented no certificate".to_owned(),
        // These carry text meant for people.
        E::General(text) => text.clone(),
        E::Other(other) => other.to_string(),
        other => identifier_words(other),
    };
    TlsProblem::Other(words)
}

/// `what`, then in parentheses the words of `value`'s name (see [`identifier_words`]).
fn told(what: &str, value: &impl std::fmt::Debug) -> String {
    format!("{what} ({})", identifier_words(value))
}

/// rustls and webpki describe many errors only by their variant's name; this turns a name such
/// as `HandshakeFailure` into "handshake failure". Anything with fields is not shown at all:
/// `Debug` text like `Other(OtherError(..))` means nothing to a user.
fn identifier_words(value: &impl std::fmt::Debug) -> String {
    let name = format!("{value:?}");
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return "an unexpected TLS error".to_owned();
    }
    let mut words = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_are_told_in_words() {
        use rustls::{AlertDescription, CertificateError, OtherError, PeerIncompatible};
        use std::sync::Arc;
        let other = |err: webpki::Error| {
            rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(err))))
        };
        let cases = [
            (other(webpki::Error::CaUsedAsEndEntity), "a CA certificate"),
            (
                other(webpki::Error::PathLenConstraintViolated),
                "path len constraint violated",
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
                "outdated",
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::ProtocolVersion),
                "such as TLS 1.0",
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::Unknown(250)),
                "unexpected",
            ),
            (
                rustls::Error::PeerIncompatible(PeerIncompatible::Tls12NotOffered),
                "tls12 not offered",
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::UnhandledCriticalExtension),
                "unhandled critical extension",
            ),
            (rustls::Error::DecryptError, "decrypt error"),
            (
                rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
                "plain http on this port",
            ),
        ];
        for (err, needle) in cases {
            let shown = TransportError::Tls(tls_problem(&err)).to_string();
            assert!(shown.contains(needle), "{err:?}: {shown}");
            assert!(!shown.contains('(') || !shown.contains("Error"), "{shown}");
            assert!(!shown.contains("Other"), "{shown}");
        }
        assert_eq!(
            tls_problem(&rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(trust::SelfSigned))
            ))),
            TlsProblem::SelfSigned
        );
    }

    #[test]
    fn the_cause_walk_reaches_the_error_an_io_error_wraps() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let outer = Outer(std::io::Error::other(rustls::Error::DecryptError));
        let is_tls = |cause: &(dyn std::error::Error + 'static)| cause.is::<rustls::Error>();
        // `source()` alone skips it: io::Error's source is its wrapped error's source.
        let by_source = std::iter::successors(
            Some(&outer as &(dyn std::error::Error + 'static)),
            |cause| cause.source(),
        );
        assert!(!by_source.into_iter().any(is_tls));
        assert!(causes(&outer).any(is_tls));
        assert_eq!(causes(&outer).count(), 3, "outer, io, rustls");
    }
}
