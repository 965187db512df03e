//! Downstream connections with the gateway's small buffers (issue 14): the listener reads
//! unbuffered and idle keep-alive connections are parked outside pingora
//! (`src/server/keepalive.rs`), so these pin that large heads and bodies still work, that a
//! kept-alive connection serves again after idling, and that a graceful shutdown closes parked
//! connections instead of waiting for them. Upstream connections over TLS with a private CA:
//! `connections/upstream_tls.rs`; connections to PostgreSQL and Redis over TLS, against
//! servers the tests start (`connections/{postgres_server,store_servers}.rs`):
//! `connections/store_tls.rs`.

mod common;

#[path = "connections/postgres_server.rs"]
mod postgres_server;
#[path = "connections/store_servers.rs"]
mod store_servers;
#[path = "connections/store_tls.rs"]
mod store_tls;
#[path = "connections/upstream_tls.rs"]
mod upstream_tls;
// Shared with the delivery and roster tests; not every helper is used here.
#[allow(dead_code)]
#[path = "support/tls.rs"]
mod tls_support;

use std::time::{Duration, Instant};

use common::{GatewayOptions, Harness};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Reads one answer with a `Content-Length` body from `stream`; returns the head and body.
async fn read_answer(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).into_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return (head, got[end + 4..end + 4 + length].to_vec());
            }
        }
        assert!(Instant::now() < deadline, "no whole answer: {got:?}");
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("answer in time")
            .expect("read");
        assert!(n > 0, "closed before a whole answer: {got:?}");
        got.extend_from_slice(&buf[..n]);
    }
}

async fn connect(h: &Harness) -> TcpStream {
    TcpStream::connect(("127.0.0.1", h.port))
        .await
        .expect("connect")
}

/// The largest head the gateway accepts is 32 KiB (`proxy::local::MAX_HEADER_BYTES`, 431
/// beyond): a header just under it crosses pingora's 4 KiB initial header buffer many times.
#[tokio::test]
async fn a_31_kib_header_reaches_the_app_whole() {
    let h = Harness::start(GatewayOptions::default()).await;
    let padding = "p".repeat(31 * 1024);
    let mut s = connect(&h).await;
    let request =
        format!("GET /search?q=elm HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: {padding}\r\n\r\n");
    // In several writes, so the head arrives in several reads.
    for part in request.as_bytes().chunks(7000) {
        s.write_all(part).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (head, _) = read_answer(&mut s).await;
    assert!(head.starts_with("HTTP/1.1 "), "{head}");
    let seen = h.site.seen();
    let last = seen
        .last()
        .unwrap_or_else(|| panic!("the app saw nothing; the gateway answered {head}"));
    let forwarded = last
        .headers
        .iter()
        .find(|(name, _)| name == "x-padding")
        .map(|(_, value)| value.len());
    assert_eq!(forwarded, Some(padding.len()), "{}", last.path);
}

#[tokio::test]
async fn a_large_login_body_is_read_whole_and_held() {
    let h = Harness::start(GatewayOptions::default()).await;
    let user = h.user(0).clone();
    let body = format!(
        "username={}&password={}&padding={}",
        user.username,
        user.password,
        "x".repeat(50 * 1024)
    );
    let mut s = connect(&h).await;
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    for part in body.as_bytes().chunks(9000) {
        tokio::time::sleep(Duration::from_millis(5)).await;
        s.write_all(part).await.unwrap();
    }
    let (answer, _) = read_answer(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    assert!(answer.contains("location: /_mfa/") || answer.contains("Location: /_mfa/"));
}

#[tokio::test]
async fn a_kept_alive_connection_serves_again_after_idling() {
    let h = Harness::start(GatewayOptions::default()).await;
    let mut s = connect(&h).await;
    for round in 0..3 {
        // The head in two writes with a pause: the wait that parks the connection hands the
        // first part to pingora, which reads the rest from the socket.
        s.write_all(b"GET /login HTTP/1.1\r\nHo").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        s.write_all(b"st: 127.0.0.1\r\n\r\n").await.unwrap();
        let (head, body) = read_answer(&mut s).await;
        assert!(head.starts_with("HTTP/1.1 200"), "round {round}: {head}");
        assert!(!body.is_empty());
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
}

#[tokio::test]
async fn graceful_shutdown_closes_idle_kept_alive_connections() {
    let mut h = Harness::start(GatewayOptions::default()).await;
    let mut idle = Vec::new();
    for _ in 0..20 {
        let mut s = connect(&h).await;
        s.write_all(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let (head, _) = read_answer(&mut s).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        idle.push(s);
    }
    let pid = h.gateway_pid().expect("running");
    let started = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    for mut s in idle {
        let mut buf = [0u8; 64];
        let closed = tokio::time::timeout(Duration::from_secs(8), s.read(&mut buf)).await;
        assert!(
            matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
            "an idle connection stayed open after SIGTERM: {closed:?}"
        );
    }
    // pingora waits its grace period (1 s in the harness config) before it stops listening
    // and tells connections; parked ones close then, not after the 10 s drain timeout.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while !h.gateway_exited() {
        assert!(Instant::now() < deadline, "the gateway did not exit");
        std::thread::sleep(Duration::from_millis(100));
    }
}
