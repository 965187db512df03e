//! A private certificate authority for the trust tests (issue 15: `ca_file` on every TLS
//! client): a CA made with rcgen, a server certificate it signed for `127.0.0.1` and
//! `localhost`, the files the servers and the gateway read, and a TLS front that terminates TLS
//! with that certificate and relays the bytes to a plain test server (the fake SMS provider,
//! the fake RESO API), so those servers are reached over real TLS without a TLS stack of their
//! own.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tempfile::TempDir;
use tokio_rustls::rustls;

/// A CA and one server certificate it signed, written to files.
pub struct PrivateCa {
    ca_cert: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
    dir: TempDir,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key_der: Vec<u8>,
}

impl PrivateCa {
    /// A fresh CA named `name` and a server certificate for `127.0.0.1` and `localhost`.
    pub fn new(name: &str) -> Self {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name.push(rcgen::DnType::CommonName, name);
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let (server, server_key) = sign_server_certificate(&ca_cert, &ca_key);
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join("ca.pem"), ca_cert.pem()).expect("write CA");
        std::fs::write(dir.path().join("server.pem"), server.pem()).expect("write certificate");
        std::fs::write(dir.path().join("server.key"), server_key.serialize_pem()).expect("key");
        PrivateCa {
            chain: vec![server.der().clone()],
            key_der: server_key.serialize_der(),
            ca_cert,
            ca_key,
            dir,
        }
    }

    /// The CA certificate (PEM), what a `ca_file` or `SSL_CERT_FILE` holds.
    pub fn pem(&self) -> String {
        self.ca_cert.pem()
    }

    /// Writes the CA certificate to `dir/name` and returns the path.
    pub fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, self.pem()).expect("write the CA file");
        path
    }

    /// Another server certificate for `127.0.0.1` and `localhost` (PEM) and its key (PKCS#8
    /// PEM), for a server the test starts with files of its own.
    pub fn issue(&self) -> (String, String) {
        let (cert, key) = sign_server_certificate(&self.ca_cert, &self.ca_key);
        (cert.pem(), key.serialize_pem())
    }

    /// The CA certificate (PEM): what a client's `ca_file` names.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The server certificate (PEM).
    pub fn cert_file(&self) -> PathBuf {
        self.dir.path().join("server.pem")
    }

    /// The server's private key (PEM).
    pub fn key_file(&self) -> PathBuf {
        self.dir.path().join("server.key")
    }

    /// Listens on a loopback port, ends TLS with the server certificate and relays each
    /// connection to `backend` in the clear. Returns the TLS address; it serves until the
    /// test's runtime stops.
    pub async fn tls_front(&self, backend: SocketAddr) -> SocketAddr {
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.key_der.clone().into());
        tls_front(server_config(self.chain.clone(), key), backend).await
    }
}

/// A server certificate for `127.0.0.1` and `localhost`, signed by the CA, and its key.
fn sign_server_certificate(
    ca_cert: &rcgen::Certificate,
    ca_key: &rcgen::KeyPair,
) -> (rcgen::Certificate, rcgen::KeyPair) {
    let key = rcgen::KeyPair::generate().expect("server key");
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("server params")
        .signed_by(&key, ca_cert, ca_key)
        .expect("server certificate");
    (cert, key)
}

/// A rustls server configuration presenting `chain` with `key`.
fn server_config(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate and key")
}

/// [`PrivateCa::tls_front`] for a certificate and key read from PEM files (a child process
/// gets the paths, not the CA).
pub async fn tls_front_from_files(cert: &Path, key: &Path, backend: SocketAddr) -> SocketAddr {
    use rustls::pki_types::pem::PemObject as _;
    let chain = rustls::pki_types::CertificateDer::pem_file_iter(cert)
        .expect("certificate file")
        .collect::<Result<Vec<_>, _>>()
        .expect("PEM certificates");
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(key).expect("PEM key");
    tls_front(server_config(chain, key), backend).await
}

/// Serves TLS with `config` on a loopback port, relaying to `backend`.
async fn tls_front(config: rustls::ServerConfig, backend: SocketAddr) -> SocketAddr {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the TLS front");
    let address = listener.local_addr().expect("TLS front address");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends here, as it should.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    address
}
