//! Request heads pingora's HTTP/1 parser refuses get the gateway's own answer (branded page or
//! JSON, `no-store`, security headers, `Connection: close`, connection closed), never the proxy
//! library's bare 400; and the wrapper that does it leaves keep-alive and TLS alone.

mod common;

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use common::{GatewayOptions, Harness};

const SUPPORT_EMAIL: &str = "support@smartmls.com";
const JSON_400: &str = r#"{"error":"bad_request","message":"The request could not be read."}"#;

/// A head just over pingora's 1 MiB limit.
fn huge_header() -> Vec<u8> {
    let mut r = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    r.resize(r.len() + (1 << 20) + 4096, b'a');
    r.extend_from_slice(b"\r\n\r\n");
    r
}

/// More headers than pingora parses (256).
fn too_many_headers() -> Vec<u8> {
    let mut r = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..300 {
        r.extend_from_slice(format!("X-H{i}: {i}\r\n").as_bytes());
    }
    r.extend_from_slice(b"\r\n");
    r
}

/// The malformed heads, each with whether the answer must be JSON.
fn malformed() -> Vec<(&'static str, Vec<u8>, bool)> {
    let case = |name, bytes: &[u8], json| (name, bytes.to_vec(), json);
    vec![
        case(
            "obs-fold",
            b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n",
            false,
        ),
        case(
            "space before colon",
            b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
            false,
        ),
        case(
            "NUL in a value",
            b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n",
            false,
        ),
        case(
            "bare CR",
            b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
            false,
        ),
        case(
            "bad request line",
            b"G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n",
            false,
        ),
        case(
            "garbage",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
            false,
        ),
        case(
            "differing Content-Length list",
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello",
            false,
        ),
        case(
            "final coding not chunked",
            b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            false,
        ),
        case(
            "HTTP/1.0 with a fold",
            b"GET / HTTP/1.0\r\nX-A: 1\r\n\tfolded\r\n\r\n",
            false,
        ),
        ("huge header", huge_header(), false),
        ("too many headers", too_many_headers(), false),
        case(
            "JSON by Accept",
            b"GET /search HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nX-A : 1\r\n\r\n",
            true,
        ),
        case(
            "JSON by API path",
            b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 3\r\n\r\n{}",
            true,
        ),
        case(
            "JSON by gateway API path",
            b"POST /_mfa/api/verify HTTP/1.1\r\nHost: x\r\nX-A: a\0\r\n\r\n",
            true,
        ),
    ]
}

/// Sends `request` (from a task of its own: a huge head may not be read to its end) and reads
/// until the gateway closes the connection. Panics if it stays open.
async fn exchange<S>(stream: S, request: Vec<u8>) -> String
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut read, mut write) = tokio::io::split(stream);
    let writer = tokio::spawn(async move {
        let _ = write.write_all(&request).await;
        write
    });
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), read.read_to_end(&mut answer))
        .await
        .expect("the gateway closes the connection after its answer")
        .expect("the answer arrives (no reset)");
    drop(writer.await);
    String::from_utf8(answer).expect("a text answer")
}

/// Checks one answer to a malformed head.
fn assert_branded(name: &str, answer: &str, json: bool) {
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{name}: no complete head in {answer:?}"));
    assert!(
        head.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{name}: {head}"
    );
    assert!(
        !answer.to_ascii_lowercase().contains("pingora"),
        "{name}: the answer names the proxy library: {head}"
    );
    let headers: Vec<String> = head.lines().skip(1).map(str::to_ascii_lowercase).collect();
    for expected in [
        "cache-control: no-store",
        "connection: close",
        "x-content-type-options: nosniff",
        "referrer-policy: no-referrer",
    ] {
        assert!(
            headers.iter().any(|h| h == expected),
            "{name}: {expected} missing in {head}"
        );
    }
    assert!(
        headers.iter().any(|h| h.starts_with("date: ")),
        "{name}: {head}"
    );
    assert!(
        headers.contains(&format!("content-length: {}", body.len())),
        "{name}: Content-Length does not match the body: {head}"
    );
    if json {
        assert!(
            headers.contains(&"content-type: application/json".to_string()),
            "{name}: {head}"
        );
        assert_eq!(body, JSON_400, "{name}");
    } else {
        assert!(
            headers
                .iter()
                .any(|h| h.starts_with("content-type: text/html")),
            "{name}: {head}"
        );
        assert!(
            headers
                .iter()
                .any(|h| h.starts_with("content-security-policy: ")),
            "{name}: {head}"
        );
        assert!(
            body.contains(SUPPORT_EMAIL),
            "{name}: not the branded page: {body}"
        );
    }
}

/// Reads one response with a `Content-Length` body from a kept-alive connection.
async fn read_response<S: AsyncRead + Unpin>(stream: &mut S) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte))
            .await
            .expect("a response")
            .expect("read");
        assert_eq!(n, 1, "connection closed mid-head: {buf:?}");
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).expect("text head");
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .expect("a Content-Length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.expect("body");
    (head, body)
}

/// Two requests in a row on one connection, both answered and the connection kept.
async fn assert_keep_alive<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) {
    for path in ["/_mfa/static/gateway.css", "/static/site.css"] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let (head, body) = read_response(stream).await;
        assert!(head.starts_with("HTTP/1.1 200 "), "{path}: {head}");
        assert!(
            !head.to_ascii_lowercase().contains("connection: close"),
            "{path}: {head}"
        );
        assert!(!body.is_empty(), "{path}");
    }
}

#[tokio::test]
async fn unparsable_heads_get_the_gateways_own_answer() {
    let h = Harness::start(GatewayOptions::default()).await;
    h.site.clear_seen();
    for (name, request, json) in malformed() {
        let stream = TcpStream::connect(("127.0.0.1", h.port)).await.unwrap();
        let answer = exchange(stream, request).await;
        assert_branded(name, &answer, json);
    }
    // A malformed head on a kept-alive connection, after a good request.
    let mut stream = TcpStream::connect(("127.0.0.1", h.port)).await.unwrap();
    assert_keep_alive(&mut stream).await;
    h.site.clear_seen();
    let answer = exchange(stream, b"GET / HTTP/1.1\r\nHost : x\r\n\r\n".to_vec()).await;
    assert_branded("after keep-alive", &answer, false);
    assert!(
        h.site.seen().is_empty(),
        "the legacy site saw a malformed request: {:?}",
        h.site.seen()
    );
    // CONNECT: refused by pingora before any hook, so branded the same way.
    let stream = TcpStream::connect(("127.0.0.1", h.port)).await.unwrap();
    let answer = exchange(
        stream,
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n".to_vec(),
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
        "{answer}"
    );
    assert!(!answer.to_ascii_lowercase().contains("pingora"), "{answer}");
    assert!(answer.contains(SUPPORT_EMAIL), "{answer}");
    assert!(h.site.seen().is_empty());
    let log = h.log();
    assert!(log.contains("request_unparsable"), "no log line: {log}");
    assert!(!log.contains("folded"), "request contents reached the log");
}

#[tokio::test]
async fn keep_alive_still_serves_requests_in_a_row() {
    let h = Harness::start(GatewayOptions::default()).await;
    let mut stream = TcpStream::connect(("127.0.0.1", h.port)).await.unwrap();
    assert_keep_alive(&mut stream).await;
    assert_keep_alive(&mut stream).await;
    assert!(
        h.site
            .seen()
            .iter()
            .filter(|r| r.path == "/static/site.css")
            .count()
            >= 2,
        "{:?}",
        h.site.seen()
    );
}

/// A TLS client trusting the harness's self-signed certificate.
fn tls_connector(h: &Harness) -> pingora::tls::TlsConnector {
    pingora::tls::install_default_crypto_provider();
    let mut roots = pingora::tls::RootCertStore::empty();
    pingora::tls::load_ca_file_into_store(h.dir.path().join("cert.pem"), &mut roots)
        .expect("harness certificate");
    let config = pingora::tls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    pingora::tls::TlsConnector::from(Arc::new(config))
}

async fn tls_connect(
    h: &Harness,
    connector: &pingora::tls::TlsConnector,
) -> pingora::tls::ClientTlsStream<TcpStream> {
    let tcp = TcpStream::connect(("127.0.0.1", h.port)).await.unwrap();
    let name = pingora::tls::ServerName::try_from("localhost").unwrap();
    connector.connect(name, tcp).await.expect("TLS handshake")
}

#[tokio::test]
async fn tls_keeps_working_and_gets_the_same_answers() {
    let h = Harness::start(GatewayOptions {
        tls: true,
        ..Default::default()
    })
    .await;
    let connector = tls_connector(&h);
    let mut stream = tls_connect(&h, &connector).await;
    assert_keep_alive(&mut stream).await;
    assert_keep_alive(&mut stream).await;
    h.site.clear_seen();
    for (name, request, json) in malformed()
        .into_iter()
        .filter(|(name, ..)| !name.starts_with("huge"))
    {
        let stream = tls_connect(&h, &connector).await;
        let answer = exchange(stream, request).await;
        assert_branded(name, &answer, json);
    }
    assert!(h.site.seen().is_empty(), "{:?}", h.site.seen());
    // And an ordinary HTTPS client (reqwest, its own connection pool) is served as before.
    let mut browser = h.browser();
    for _ in 0..2 {
        let resp = browser.get("/_mfa/static/gateway.css").await;
        assert_eq!(resp.status, 200);
    }
}
