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

/// The marker error for a self-signed certificate nobody vouched for, so the message can say so
/// rather than "unknown issuer" or webpki's `CaUsedAsEndEntity`.
#[derive(Debug)]
pub(super) struct SelfSigned;

impl std::fmt::Display for SelfSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the certificate is self-signed")
    }
}

impl std::error::Error for SelfSigned {}

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
        let refused = match self.platform.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(refused) => refused,
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
            && cert_fields(end_entity).is_some_and(|cert| cert.issuer == cert.subject);
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
    let fields = cert_fields(cert).ok_or(CertificateError::BadEncoding)?;
    if now.as_secs() < fields.not_before {
        return Err(CertificateError::NotValidYet.into());
    }
    if now.as_secs() > fields.not_after {
        return Err(CertificateError::Expired.into());
    }
    Ok(())
}

/// What the verifier reads from an X.509 certificate itself: the raw issuer and subject
/// names, and the validity dates as Unix seconds. webpki keeps these private.
#[derive(Debug, PartialEq, Eq)]
struct CertFields<'a> {
    issuer: &'a [u8],
    subject: &'a [u8],
    not_before: u64,
    not_after: u64,
}

const SEQUENCE: u8 = 0x30;

/// `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
/// signature, issuer, validity SEQUENCE { notBefore, notAfter }, subject, ... }, ... }`.
/// None when the DER is not shaped like that.
fn cert_fields(der: &[u8]) -> Option<CertFields<'_>> {
    let (cert, _) = der_element(der, SEQUENCE)?;
    let (mut tbs, _) = der_element(cert, SEQUENCE)?;
    if tbs.first() == Some(&0xa0) {
        tbs = der_element(tbs, 0xa0)?.1;
    }
    let (_serial, rest) = der_element(tbs, 0x02)?;
    let (_signature, rest) = der_element(rest, SEQUENCE)?;
    let (issuer, rest) = der_element(rest, SEQUENCE)?;
    let (validity, rest) = der_element(rest, SEQUENCE)?;
    let (subject, _) = der_element(rest, SEQUENCE)?;
    let (not_before, validity) = der_time(validity)?;
    let (not_after, _) = der_time(validity)?;
    Some(CertFields {
        issuer,
        subject,
        not_before,
        not_after,
    })
}

/// The content of the DER element with `tag` at the start of `input`, and what follows it.
fn der_element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    if found != tag {
        return None;
    }
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        // Long form: the low bits count the length bytes (DER has no indefinite length).
        let (bytes, after) = rest.split_at_checked(usize::from(first & 0x7f))?;
        if bytes.is_empty() || bytes.len() > 4 {
            return None;
        }
        rest = after;
        bytes.iter().fold(0, |len, &b| len << 8 | usize::from(b))
    };
    rest.split_at_checked(len)
}

/// A UTCTime (`YYMMDDHHMMSSZ`, 1950 to 2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`), the only
/// forms X.509 allows, as Unix seconds; and what follows it.
fn der_time(input: &[u8]) -> Option<(u64, &[u8])> {
    let (year, rest_of_time, after) = match input.first()? {
        0x17 => {
            let (time, after) = der_element(input, 0x17)?;
            let year = digits(time.get(..2)?)?;
            (
                if year < 50 { 2000 + year } else { 1900 + year },
                &time[2..],
                after,
            )
        }
        0x18 => {
            let (time, after) = der_element(input, 0x18)?;
            (digits(time.get(..4)?)?, &time[4..], after)
        }
        _ => return None,
    };
    let [month, day, hour, minute, second] = match rest_of_time {
        [fields @ .., b'Z'] if fields.len() == 10 => {
            [0, 2, 4, 6, 8].map(|i| digits(&fields[i..i + 2]))
        }
        _ => return None,
    };
    let days = days_since_epoch(year, month?, day?)?;
    let seconds = days * 86_400 + hour? * 3600 + minute? * 60 + second?;
    Some((u64::try_from(seconds).ok()?, after))
}

fn digits(text: &[u8]) -> Option<i64> {
    text.iter().try_fold(0, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
    })
}

/// Days from 1970-01-01 to a proleptic Gregorian date (the usual era arithmetic).
fn days_since_epoch(year: i64, month: i64, day: i64) -> Option<i64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, KeyPair, date_time_ymd};

    fn cert(from: (i32, u8, u8), until: (i32, u8, u8)) -> (Vec<u8>, KeyPair) {
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_before = date_time_ymd(from.0, from.1, from.2);
        params.not_after = date_time_ymd(until.0, until.1, until.2);
        let key = KeyPair::generate().unwrap();
        (params.self_signed(&key).unwrap().der().to_vec(), key)
    }

    #[test]
    fn validity_dates_are_read_in_both_time_forms() {
        // rcgen writes UTCTime before 2050 and GeneralizedTime from 2050 on, as X.509 requires.
        let (der, _) = cert((2020, 1, 1), (2060, 3, 1));
        let fields = cert_fields(&der).expect("parses");
        assert_eq!(fields.not_before, 1_577_836_800);
        assert_eq!(fields.not_after, 2_845_324_800);
        assert_eq!(fields.issuer, fields.subject);
        let (der, _) = cert((1999, 12, 31), (2049, 12, 31));
        let fields = cert_fields(&der).expect("parses");
        assert_eq!(
            (fields.not_before, fields.not_after),
            (946_598_400, 2_524_521_600)
        );
    }

    #[test]
    fn broken_certificates_are_refused_not_misread() {
        let (der, _) = cert((2020, 1, 1), (2030, 1, 1));
        for cut in [0, 1, 2, 10, 40, der.len() / 2] {
            assert_eq!(cert_fields(&der[..cut]), None, "cut at {cut}");
        }
        assert_eq!(cert_fields(b"not a certificate"), None);
    }
}
