//! The Redis client for the configured server, built in one place for the store's connection
//! ([`super::RedisStore`]) and the revocation channel (`mfa::revocation::broadcast`), so the
//! two connections to one server can never disagree about whom they trust.
//!
//! `rediss://` connections check the server's certificate against the platform's roots (the
//! redis crate's rustls support loads them through `rustls-native-certs`, which honours
//! `SSL_CERT_FILE`) or, with `storage.ephemeral.redis.ca_file`, against that bundle's CAs
//! instead.

use std::error::Error;
use std::path::Path;
use std::sync::Arc;

use ::redis::{Client, IntoConnectionInfo, RedisError, TlsCertificates};
// The rustls the whole process links (one version), re-exported by pingora.
use pingora::tls::RusTlsError;

use crate::trust::CaBundle;

/// The configuration key of the CA bundle, for messages.
const CA_KEY: &str = "storage.ephemeral.redis.ca_file";

/// Why a Redis client could not be built. Messages never quote the URL (it may hold the
/// password).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL does not parse (the parser's own message is dropped: it may quote the URL).
    #[error("invalid Redis URL")]
    InvalidUrl,
    /// The CA bundle cannot be used; the message names `storage.ephemeral.redis.ca_file`.
    #[error("{0}")]
    CaFile(String),
}

/// A client for `url` that trusts the CAs in `ca_file` instead of the platform's roots when
/// one is given (only with `rediss://`). Connects to nothing; the bundle is read now, once.
pub fn client(url: &str, ca_file: Option<&Path>) -> Result<Client, ClientError> {
    let Some(path) = ca_file else {
        return Client::open(url).map_err(|_| ClientError::InvalidUrl);
    };
    if !url.starts_with("rediss://") {
        // Config validation refuses this too; a bundle must never be silently unused.
        return Err(ClientError::CaFile(format!(
            "{CA_KEY}: only used with TLS: the url must start with rediss://"
        )));
    }
    let bundle =
        CaBundle::read(CA_KEY, path).map_err(|err| ClientError::CaFile(err.to_string()))?;
    let info = url
        .into_connection_info()
        .map_err(|_| ClientError::InvalidUrl)?;
    let certificates = TlsCertificates {
        client_tls: None,
        root_cert: Some(bundle.pem().to_vec()),
    };
    Client::build_with_tls(info, certificates).map_err(|err| {
        // Only the bundle can be wrong here (the URL parsed): say so without the URL.
        ClientError::CaFile(format!(
            "{CA_KEY}: {} cannot be used as trust anchors: {}",
            path.display(),
            err.detail().unwrap_or("not a valid certificate")
        ))
    })
}

/// The TLS failure behind `err`, if a handshake failed (unknown issuer, wrong name, expired
/// certificate…): operators need that text, where the generic "connection problem" would
/// send them looking at the network. rustls messages name certificates and names, never
/// credentials.
pub fn tls_failure(err: &RedisError) -> Option<String> {
    let mut cause: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(current) = cause {
        if let Some(tls) = rustls_error(current) {
            return Some(format!(
                "TLS error: {tls} (the server's certificate is checked against {CA_KEY}, else the platform's roots)"
            ));
        }
        cause = current.source();
    }
    None
}

/// The rustls error `err` is or wraps. The redis crate keeps an I/O error in an
/// `Arc<dyn Error>`, and an I/O error keeps the handshake's error as its payload; neither
/// shows up through `source()`, so both wrappers are opened here.
fn rustls_error<'a>(err: &'a (dyn Error + 'static)) -> Option<&'a RusTlsError> {
    if let Some(tls) = err.downcast_ref::<RusTlsError>() {
        return Some(tls);
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        return io.get_ref().and_then(|inner| rustls_error(inner));
    }
    if let Some(shared) = err.downcast_ref::<Arc<dyn Error + Send + Sync>>() {
        return rustls_error(shared.as_ref());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_needs_rediss_and_a_certificate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "no certificate here\n").expect("write");
        let plain = client("redis://:hunter2@127.0.0.1:6379", Some(&path)).unwrap_err();
        assert!(plain.to_string().contains("rediss://"), "{plain}");
        let not_pem = client("rediss://:hunter2@127.0.0.1:6379", Some(&path)).unwrap_err();
        let text = not_pem.to_string();
        assert!(
            text.starts_with(CA_KEY) && text.contains("no PEM certificate"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn a_private_ca_builds_a_client() {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).expect("ca");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, ca.pem()).expect("write");
        assert!(client("rediss://127.0.0.1:6380", Some(&path)).is_ok());
        assert!(client("rediss://127.0.0.1:6380", None).is_ok());
        assert!(matches!(
            client("rediss://:hunter2@[bad", Some(&path)),
            Err(ClientError::InvalidUrl)
        ));
    }

    #[test]
    fn handshake_failures_are_recognised() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            RusTlsError::InvalidCertificate(pingora::tls::CertificateError::UnknownIssuer),
        );
        let text = tls_failure(&RedisError::from(io)).expect("a TLS failure");
        assert!(
            text.starts_with("TLS error: invalid peer certificate"),
            "{text}"
        );
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(tls_failure(&RedisError::from(refused)), None);
    }
}
