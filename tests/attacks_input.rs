//! Bad input (issue 8, class 10) and secrets in logs (class 12): every malformed request gets a
//! clear answer, nothing panics, the gateway keeps serving, and nothing secret is logged.

mod common;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::{enroll_app, GatewayOptions, Harness, THIRTY_DAYS};

/// Sends raw bytes and returns the status line (or "" if the gateway closed the connection).
async fn raw(h: &Harness, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", h.port)).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
        .await
        .unwrap_or(Ok(0))
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

async fn still_serving(h: &Harness) {
    let mut b = h.browser();
    assert_eq!(
        b.get("/_mfa/static/gateway.css").await.status,
        200,
        "gateway stopped serving"
    );
}

#[tokio::test]
async fn malformed_and_oversized_requests_get_clear_answers() {
    let h = Harness::start(GatewayOptions::default()).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let csrf = b.get("/_mfa/").await.input_value("csrf").unwrap();

    // Oversized form on a gateway page: 413 page.
    let big = "x".repeat(40_000);
    let resp = b
        .post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &big)])
        .await;
    assert_eq!(resp.status, 413);
    assert!(resp.body.contains("support@smartmls.com"));
    // Invalid UTF-8 and broken percent-encoding in a form: a clear 400 page or a refusal, no crash.
    let resp = b
        .post_raw(
            "/_mfa/verify",
            "application/x-www-form-urlencoded",
            b"csrf=%ZZ&code=\xff\xfe".to_vec(),
        )
        .await;
    assert!(resp.status == 400 || resp.status == 403, "{}", resp.status);
    // A login whose username is invalid UTF-8: never held for someone, never released.
    let mut other = h.browser();
    let resp = other
        .post_raw(
            "/login",
            "application/x-www-form-urlencoded",
            b"username=%FF%FE&password=x".to_vec(),
        )
        .await;
    assert!(other.cookie("MLSSESSION").is_none(), "{}", resp.status);
    // Huge request headers: refused by the HTTP layer with a 4xx (or the connection closed).
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    let line = raw(&h, huge.as_bytes()).await;
    assert!(line.is_empty() || line.contains(" 4"), "{line}");
    // Garbage instead of HTTP.
    let line = raw(&h, b"\x16\x03\x01 this is not http\r\n\r\n").await;
    assert!(line.is_empty() || line.contains(" 400"), "{line}");
    // A path that climbs out of /_mfa/ is just an ordinary (anonymous) request upstream.
    let resp = h.browser().get("/_mfa/../listings/1").await;
    assert_ne!(resp.status, 200);
    still_serving(&h).await;
    assert!(!h.site_saw_session_of(&user.username));
}

#[tokio::test]
async fn slow_bodies_do_not_hold_the_gateway() {
    let h = Harness::start(GatewayOptions::default()).await;
    // Slowloris on a gateway page: announce a body and send it a byte at a time, forever.
    let mut stream = TcpStream::connect(("127.0.0.1", h.port)).await.unwrap();
    stream
        .write_all(b"POST /_mfa/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n")
        .await
        .unwrap();
    for _ in 0..5 {
        let _ = stream.write_all(b"a").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Meanwhile everybody else is served.
    still_serving(&h).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    let (_, done) = enroll_app(&mut b, &user, THIRTY_DAYS).await;
    assert_eq!(done.status, 303);
}

#[tokio::test]
async fn codes_secrets_and_contacts_never_reach_the_log() {
    let h = Harness::start(GatewayOptions::default()).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    let (mut enrolled, done) = enroll_app(&mut b, &user, THIRTY_DAYS).await;
    assert_eq!(done.status, 303);
    let mut other = h.browser();
    other.login(&user.username, &user.password).await;
    let code = enrolled.fresh_code().await;
    common::submit_code(&mut other, "999999").await;
    common::submit_code(&mut other, &code).await;
    let log = h.log();
    assert!(
        log.contains("verify_succeeded"),
        "the log is being captured: {log}"
    );
    let secret_b32: String = {
        let page_secret = &enrolled.secret;
        base32(page_secret)
    };
    let cookie_key = std::fs::read_to_string(h.dir.path().join("keys/cookie-k1.key")).unwrap();
    let secret_key = std::fs::read_to_string(h.dir.path().join("keys/secret-k1.key")).unwrap();
    for (label, needle) in [
        ("code", code.as_str()),
        ("wrong code", "999999"),
        ("TOTP secret", secret_b32.as_str()),
        ("cookie key", cookie_key.trim()),
        ("secret key", secret_key.trim()),
        ("email", user.email.as_str()),
        ("mobile", user.mobile.as_str()),
        ("trust cookie", b.cookie("mfa_trust").unwrap()),
        ("session cookie", b.cookie("MLSSESSION").unwrap()),
    ] {
        assert!(!log.contains(needle), "{label} appears in the gateway log");
    }
}

fn base32(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(A[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(A[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}
