//! Which server certificates woolink trusts: whatever the platform's verifier trusts (what
//! reqwest uses by default, with the --ca-cert certificates added as roots), and also a server
//! certificate that is byte-for-byte one of the --ca-cert certificates.
//!
//! The second rule is for self-signed certificates as `openssl req -x509` makes them: marked
//! CA:TRUE, which webpki refuses as a server's own certificate (`CaUsedAsEndEntity`) even when it
//! is a trusted root. curl accepts them, and a user who hands woolink the exact certificate has
//! vouched for it; its host name and validity dates are still checked.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use x509_cert::{Certificate, der::Decode as _};

/// The marker error for a self-signed certificate nobody vouched for, so the message can say so
/// rather than "unknown issuer" or webpki's `CaUsedAsEndEntity`.
#[derive(Debug, thiserror::Error)]
#[error("the certificate is self-signed")]
pub(super) struct SelfSigned;

/// The TLS set-up reqwest 0.13 builds by default with rustls (the installed crypto provider,
/// TLS 1.2 and 1.3, the platform verifier, ALPN h2 and http/1.1), with [`StoreVerifier`] in
/// front of the platform verifier.
pub(super) fn client_config(
    extra: Vec<CertificateDer<'static>>,
) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let platform = if extra.is_empty() {
        rustls_platform_verifier::Verifier::new(provider.clone())?
    } else {
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra.clone(), provider.clone())?
    };
    let verifier = StoreVerifier {
        platform,
        pinned: extra,
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[derive(Debug)]
struct StoreVerifier {
    platform: rustls_platform_verifier::Verifier,
    /// The --ca-cert certificates (none without it).
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for StoreVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let platform = self.platform.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let Err(refused) = platform else {
            return platform;
        };
        if self.pinned.iter().any(|pinned| pinned == end_entity) {
            // The user vouched for this very certificate, so who issued it no longer matters
            // (whatever the platform said about that); its name and dates still do.
            check_dates(end_entity, now)?;
            let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_name(&parsed, server_name)?;
            return Ok(ServerCertVerified::assertion());
        }
        // A chain problem on a certificate that issued itself: name the real cause.
        let chain_problem = matches!(
            refused,
            rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer | CertificateError::Other(_)
            )
        );
        let self_issued = intermediates.is_empty()
            && Certificate::from_der(end_entity)
                .is_ok_and(|cert| cert.tbs_certificate.issuer == cert.tbs_certificate.subject);
        if chain_problem && self_issued {
            return Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(SelfSigned)),
            )));
        }
        Err(refused)
    }

    // The handshake signatures prove the server holds the certificate's key; pinned or not,
    // the platform verifier checks them.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.platform.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.platform.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.platform.supported_verify_schemes()
    }
}

fn check_dates(cert: &CertificateDer<'_>, now: UnixTime) -> Result<(), rustls::Error> {
    let validity = Certificate::from_der(cert)
        .map_err(|_| CertificateError::BadEncoding)?
        .tbs_certificate
        .validity;
    if now.as_secs() < validity.not_before.to_unix_duration().as_secs() {
        return Err(CertificateError::NotValidYet.into());
    }
    if now.as_secs() > validity.not_after.to_unix_duration().as_secs() {
        return Err(CertificateError::Expired.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use rcgen::{CertificateParams, KeyPair, date_time_ymd};

    fn cert(from: (i32, u8, u8), until: (i32, u8, u8)) -> (Vec<u8>, KeyPair) {
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_before = date_time_ymd(from.0, from.1, from.2);
        params.not_after = date_time_ymd(until.0, until.1, until.2);
        let key = KeyPair::generate().unwrap();
        (params.self_signed(&key).unwrap().der().to_vec(), key)
    }

    fn dates_at(der: &[u8], secs: u64) -> Result<(), rustls::Error> {
        check_dates(
            &CertificateDer::from(der),
            UnixTime::since_unix_epoch(Duration::from_secs(secs)),
        )
    }

    #[test]
    fn validity_dates_are_read_in_both_time_forms() {
        // rcgen writes UTCTime before 2050 and GeneralizedTime from 2050 on, as X.509 requires.
        let (der, _) = cert((2020, 1, 1), (2060, 3, 1));
        let (not_before, not_after) = (1_577_836_800, 2_845_324_800);
        assert!(dates_at(&der, not_before).is_ok());
        assert!(dates_at(&der, not_after).is_ok());
        let too_early = rustls::Error::from(CertificateError::NotValidYet);
        assert_eq!(dates_at(&der, not_before - 1), Err(too_early));
        let too_late = rustls::Error::from(CertificateError::Expired);
        assert_eq!(dates_at(&der, not_after + 1), Err(too_late.clone()));
        let (der, _) = cert((1999, 12, 31), (2049, 12, 31));
        assert!(dates_at(&der, 946_598_400).is_ok());
        assert_eq!(dates_at(&der, 2_524_521_601), Err(too_late));
    }

    #[test]
    fn broken_certificates_are_refused_not_misread() {
        let (der, _) = cert((2020, 1, 1), (2030, 1, 1));
        let bad = rustls::Error::from(CertificateError::BadEncoding);
        for cut in [0, 1, 2, 10, 40, der.len() / 2] {
            assert_eq!(
                dates_at(&der[..cut], 1_600_000_000),
                Err(bad.clone()),
                "cut at {cut}"
            );
        }
        assert_eq!(dates_at(b"not a certificate", 1_600_000_000), Err(bad));
    }
}
