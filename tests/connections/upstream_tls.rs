//! One trust for both roads to a TLS legacy site (issue 15): the proxy (pingora) and the
//! JSON-login relay (reqwest) connect to `upstream.address`, send `upstream.sni`, and verify the
//! site's certificate against `upstream.ca_file` — a private CA, as companies run. The relay used
//! to connect to `https://<address>` (no SNI, certificate checked for the IP) while the proxy used
//! the SNI name, so the mobile app's logins failed where the browser's worked.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_rustls::rustls;

use crate::common::{GatewayOptions, Harness};

/// The name the legacy site's certificate is issued for.
const SITE_NAME: &str = "mls.internal.test";

/// A private CA (PEM) and a certificate for [`SITE_NAME`] it signed (DER chain, PKCS#8 key).
fn private_ca() -> (
    String,
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Test MLS internal CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let site_key = rcgen::KeyPair::generate().unwrap();
    let site = rcgen::CertificateParams::new(vec![SITE_NAME.to_string()])
        .unwrap()
        .signed_by(&site_key, &ca_cert, &ca_key)
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(site_key.serialize_der().into());
    (ca_cert.pem(), vec![site.der().clone()], key)
}

/// A TLS legacy site: `GET /` answers a page, `POST /api/login` a JSON token; it records the
/// server name every client sent.
struct TlsSite {
    addr: SocketAddr,
    names: Arc<Mutex<Vec<Option<String>>>>,
}

impl TlsSite {
    async fn start(
        chain: Vec<rustls::pki_types::CertificateDer<'static>>,
        key: rustls::pki_types::PrivateKeyDer<'static>,
    ) -> TlsSite {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let names = Arc::new(Mutex::new(Vec::new()));
        let seen = names.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let name = tls.get_ref().1.server_name().map(String::from);
                    seen.lock().unwrap().push(name);
                    serve(&mut tls).await;
                });
            }
        });
        TlsSite { addr, names }
    }

    fn names(&self) -> Vec<Option<String>> {
        self.names.lock().unwrap().clone()
    }
}

/// Answers requests on one connection until it closes.
async fn serve<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(stream: &mut S) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < end + 4 + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..end + 4 + length);
        let (content_type, body) = if head.starts_with("post /api/login") {
            ("application/json", r#"{"token":"t-secure-1"}"#)
        } else {
            ("text/html", "<p>secure listings</p>")
        };
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn gateway_in_front(site: &TlsSite, ca_file: Option<&std::path::Path>) -> Harness {
    let mut upstream = format!("  tls: true\n  sni: {SITE_NAME}\n");
    if let Some(path) = ca_file {
        upstream.push_str(&format!("  ca_file: {}\n", path.display()));
    }
    Harness::start(GatewayOptions {
        upstream: Some(site.addr.to_string()),
        upstream_yaml: Some(upstream),
        ..GatewayOptions::default()
    })
    .await
}

#[tokio::test]
async fn proxy_and_json_login_relay_trust_the_private_ca_and_send_the_sni() {
    let (ca_pem, chain, key) = private_ca();
    let site = TlsSite::start(chain, key).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("internal-ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let h = gateway_in_front(&site, Some(&ca_file)).await;
    let mut b = h.browser();
    let page = b.get("/").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("secure listings"));
    // The JSON login reached the site (its token answer is held for MFA: 401 mfa_required).
    let login = b
        .post_json(
            "/api/login",
            &serde_json::json!({"username": "jdoe", "password": "listings2024"}),
        )
        .await;
    assert_eq!(login.status, 401, "{}", login.body);
    assert_eq!(login.json()["error"], "mfa_required");
    let names = site.names();
    assert!(names.len() >= 2, "both roads connected: {names:?}");
    assert!(
        names.iter().all(|n| n.as_deref() == Some(SITE_NAME)),
        "every connection named the site: {names:?}"
    );
}

#[tokio::test]
async fn without_the_private_ca_both_roads_refuse_the_site() {
    let (_, chain, key) = private_ca();
    let site = TlsSite::start(chain, key).await;
    let h = gateway_in_front(&site, None).await;
    let mut b = h.browser();
    // Fail closed: the platform's roots do not know the private CA.
    assert_eq!(b.get("/").await.status, 502);
    let login = b
        .post_json(
            "/api/login",
            &serde_json::json!({"username": "jdoe", "password": "listings2024"}),
        )
        .await;
    assert_eq!(login.status, 502, "{}", login.body);
    assert_eq!(login.json()["error"], "upstream_unavailable");
}
