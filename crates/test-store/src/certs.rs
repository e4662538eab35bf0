//! A throwaway CA and the leaf certificate the store presents, valid, expired or for the wrong name;
//! or one self-signed certificate, as `openssl req -x509` makes.

use std::sync::{Arc, OnceLock};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use super::Tls;

pub(super) struct Certs {
    /// What a user would pass to --ca-cert: the CA, or the self-signed certificate itself.
    pub ca_pem: String,
    /// The certificate the server presents (None for plain http).
    pub server_pem: Option<String>,
    /// None for plain http.
    pub server_config: Option<Arc<ServerConfig>>,
}

/// One CA for the whole test binary: a client that trusts one store trusts them all, so a
/// redirect from one store to another can be followed.
struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

fn ca() -> &'static Ca {
    static CA: OnceLock<Ca> = OnceLock::new();
    CA.get_or_init(|| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "woolink test CA");
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
        ];
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Ca { params, key, pem }
    })
}

pub(super) fn generate(tls: Tls) -> Certs {
    let ca = ca();
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    let ca_pem = ca.pem.clone();

    let names: Vec<String> = match tls {
        Tls::None => {
            return Certs {
                ca_pem,
                server_pem: None,
                server_config: None,
            };
        }
        Tls::WrongName | Tls::SelfSignedWrongName => vec!["wrong.example".into()],
        Tls::Valid | Tls::Expired => vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        Tls::SelfSigned | Tls::SelfSignedExpired => vec!["localhost".into(), "127.0.0.1".into()],
    };
    let self_signed = matches!(
        tls,
        Tls::SelfSigned | Tls::SelfSignedWrongName | Tls::SelfSignedExpired
    );
    let mut leaf = CertificateParams::new(names.clone()).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, names[0].clone());
    if self_signed {
        // What `openssl req -x509` makes: basic constraints CA:TRUE, no key usages.
        leaf.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    } else {
        leaf.use_authority_key_identifier_extension = true;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    }
    if matches!(tls, Tls::Expired | Tls::SelfSignedExpired) {
        leaf.not_before = date_time_ymd(2020, 1, 1);
        leaf.not_after = date_time_ymd(2021, 1, 1);
    }
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = if self_signed {
        leaf.self_signed(&leaf_key).unwrap()
    } else {
        leaf.signed_by(&leaf_key, &issuer).unwrap()
    };
    let server_pem = leaf_cert.pem();
    let ca_pem = if self_signed {
        server_pem.clone()
    } else {
        ca_pem
    };

    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf_cert.der().clone()], key)
        .expect("server certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Certs {
        ca_pem,
        server_pem: Some(server_pem),
        server_config: Some(Arc::new(config)),
    }
}
