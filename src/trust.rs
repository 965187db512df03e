//! Which certificate authorities the gateway's outgoing TLS connections trust — one rule for
//! every client (the legacy site, SMTP, the SMS provider, the RESO API, PostgreSQL, Redis):
//!
//! - without a `ca_file` the platform's roots (Debian's `/etc/ssl/certs`, or the bundle named by
//!   `SSL_CERT_FILE`) — the same store pingora and the other clients use, so a company CA added
//!   to the host works for every connection or for none;
//! - with a `ca_file`, the certificates in that PEM bundle *instead of* the platform's roots: a
//!   private CA pins the service to that CA, and a public CA compromised elsewhere cannot
//!   stand in for it. One exception: PostgreSQL (`storage.durable.postgres.ca_file`), where
//!   sqlx can only add a bundle to the platform's roots (see `config/validate/store_tls.rs`).
//!
//! The bundle is read and parsed at start-up (and by `check-config`), so a wrong path or a file
//! without a certificate is an error naming the key, never a handshake failure at the first
//! login.

use std::path::{Path, PathBuf};

/// A CA bundle read from a configured `ca_file`.
#[derive(Clone)]
pub struct CaBundle {
    path: PathBuf,
    pem: Vec<u8>,
    certificates: Vec<reqwest::Certificate>,
}

/// Why a `ca_file` cannot be used. Messages name the configuration key and the file.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{key}: cannot read {path}: {source}")]
    Unreadable {
        key: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{key}: {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate { key: String, path: PathBuf },
}

impl CaBundle {
    /// Reads and parses the PEM bundle at `path`, configured under `key`.
    pub fn read(key: &str, path: &Path) -> Result<Self, TrustError> {
        let pem = std::fs::read(path).map_err(|source| TrustError::Unreadable {
            key: key.to_string(),
            path: path.to_path_buf(),
            source,
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|certificates| !certificates.is_empty())
            .ok_or_else(|| TrustError::NoCertificate {
                key: key.to_string(),
                path: path.to_path_buf(),
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            pem,
            certificates,
        })
    }

    /// Reads the bundle when one is configured.
    pub fn read_optional(key: &str, path: Option<&Path>) -> Result<Option<Self>, TrustError> {
        path.map(|path| Self::read(key, path)).transpose()
    }

    /// The bundle as read, for clients that parse PEM themselves (lettre, Redis).
    pub fn pem(&self) -> &[u8] {
        &self.pem
    }

    /// Where the bundle was read from (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Applies the trust rule to an HTTP client: the bundle's CAs only when one is given, else the
/// platform's roots only (reqwest would otherwise also carry a compiled-in Mozilla list, which
/// a host's own trust settings cannot change).
pub fn http_client_trust(
    builder: reqwest::ClientBuilder,
    ca: Option<&CaBundle>,
) -> reqwest::ClientBuilder {
    match ca {
        Some(bundle) => bundle
            .certificates
            .iter()
            .cloned()
            .fold(builder.tls_built_in_root_certs(false), |b, cert| {
                b.add_root_certificate(cert)
            }),
        None => builder
            .tls_built_in_webpki_certs(false)
            .tls_built_in_native_certs(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_a_certificate_is_refused_naming_the_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").expect("write");
        let error = CaBundle::read("sms.ca_file", &path)
            .err()
            .expect("refused")
            .to_string();
        assert!(error.starts_with("sms.ca_file: "), "{error}");
        assert!(error.contains("no PEM certificate"), "{error}");
    }

    #[test]
    fn a_missing_file_is_refused_naming_the_key() {
        let error = CaBundle::read("email.smtp.ca_file", Path::new("/nonexistent/ca.pem"))
            .err()
            .expect("refused")
            .to_string();
        assert!(
            error.starts_with("email.smtp.ca_file: cannot read"),
            "{error}"
        );
    }

    #[test]
    fn a_generated_ca_is_read() {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).expect("ca");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, ca.pem()).expect("write");
        let bundle = CaBundle::read("roster.reso.ca_file", &path).expect("read");
        assert_eq!(bundle.certificates.len(), 1);
        assert!(bundle.pem().starts_with(b"-----BEGIN CERTIFICATE-----"));
    }
}
