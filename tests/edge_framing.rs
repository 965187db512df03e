//! The strict edge (issue 12) seen from the demo site and from a hostile upstream: ambiguous
//! upstream answers are never returned nor pooled, identity headers are stripped in every
//! spelling, `X-Forwarded-For` follows the trusted-proxy rule, HSTS on TLS, a session
//! cookie set outside a login never reaches an unbound client, and `edge.server_header`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use common::{GatewayOptions, Harness};

/// A raw upstream answering every request with `answer(path)`; counts connections.
struct HostileUpstream {
    addr: String,
    connections: Arc<AtomicUsize>,
}

impl HostileUpstream {
    async fn start(answer: fn(&str) -> String) -> HostileUpstream {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        let Ok(n) = stream.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                            buf.drain(..end + 4);
                            let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                            if stream.write_all(answer(&path).as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        HostileUpstream { addr, connections }
    }
}

fn hostile(path: &str) -> String {
    let body = "hello";
    match path {
        "/cl-list" => format!("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n{body}"),
        "/cl-twice" => format!("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n{body}"),
        "/te-gzip" => format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\n{body}\r\n0\r\n\r\n"),
        "/folded" => format!("HTTP/1.1 200 OK\r\nSet-Cookie: pref=a;\r\n Path=/\r\nContent-Length: 5\r\n\r\n{body}"),
        "/server" => format!(
            "HTTP/1.1 200 OK\r\nServer: Apache/2.2.3 (CentOS) PHP/5.1.6\r\nContent-Length: 5\r\n\r\n{body}"
        ),
        "/sets-session" => format!(
            "HTTP/1.1 200 OK\r\nSet-Cookie: MLSSESSION=planted; Path=/\r\nSet-Cookie: pref=kept\r\nContent-Length: 5\r\n\r\n{body}"
        ),
        _ => format!("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{body}"),
    }
}

#[tokio::test]
async fn regression_ambiguous_upstream_answers_are_never_returned_nor_pooled() {
    let up = HostileUpstream::start(hostile).await;
    let h = Harness::start(GatewayOptions {
        upstream: Some(up.addr.clone()),
        ..GatewayOptions::default()
    })
    .await;
    let mut b = h.browser();
    assert_eq!(b.get("/fine").await.status, 200);
    // pingora replaces an obs-fold in an answer by a space (RFC 9112 §5.2): the client gets the
    // one canonical value the gateway judged.
    let folded = b.get("/folded").await;
    assert_eq!(folded.set_cookies, ["pref=a; Path=/"]);
    for path in ["/cl-list", "/cl-twice", "/te-gzip"] {
        let before = up.connections.load(Ordering::SeqCst);
        let resp = b.get(path).await;
        assert_eq!(resp.status, 502, "{path}: {resp:?}");
        // The gateway closes this connection: the answer must say so, or a client reuses a
        // closing socket (seen as a flaky `IncompleteMessage` on the next request).
        assert_eq!(
            resp.headers.get("connection").and_then(|v| v.to_str().ok()),
            Some("close"),
            "{path}"
        );
        assert!(
            resp.body.contains("support@smartmls.com"),
            "branded page: {path}"
        );
        assert!(!resp.body.contains("hello"), "{path}");
        // The next request must not ride the connection that carried the ambiguous answer.
        let fine = b.get("/fine").await;
        assert_eq!(fine.status, 200);
        assert!(
            up.connections.load(Ordering::SeqCst) > before,
            "{path}: its connection was pooled and reused"
        );
    }
    assert!(h.log().contains("upstream_answer_refused"));
}

#[tokio::test]
async fn regression_session_cookie_outside_a_login_is_removed_and_audited() {
    let up = HostileUpstream::start(hostile).await;
    let h = Harness::start(GatewayOptions {
        upstream: Some(up.addr.clone()),
        admin: true,
        ..GatewayOptions::default()
    })
    .await;
    let mut b = h.browser();
    let resp = b.get("/sets-session").await;
    assert_eq!(resp.status, 200);
    assert!(b.cookie("MLSSESSION").is_none(), "{:?}", resp.set_cookies);
    assert_eq!(b.cookie("pref"), Some("kept"), "other cookies pass");
    let audit = std::fs::read_to_string(h.audit_path()).unwrap_or_default();
    assert!(
        audit.contains("session_cookie_refused") && audit.contains("/sets-session"),
        "{audit}"
    );
    let metrics = reqwest::Client::new()
        .get(format!("{}/metrics", h.admin_url()))
        .bearer_auth(common::ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.contains("event=\"session_cookie_refused\"") && !l.ends_with(" 0")),
        "{metrics}"
    );
}

#[tokio::test]
async fn identity_headers_are_stripped_in_every_spelling() {
    let h = Harness::start(GatewayOptions::default()).await;
    let mut b = h.browser();
    let forged = [
        ("X-MFA-User", "jdoe"),
        ("X_MFA_User", "jdoe"),
        ("X-Forwarded-User", "jdoe"),
        ("X-Forwarded-Email", "jane.doe@example.com"),
        ("X-Forwarded-Groups", "admins"),
        ("X-Remote-User", "jdoe"),
        ("Remote-User", "jdoe"),
        ("Remote_User", "jdoe"),
        ("X-Original-URL", "/admin"),
        ("X-Rewrite-URL", "/admin"),
    ];
    let resp = b.get_with("/search?q=identity", &forged).await;
    assert!(resp.status < 500);
    let seen = h.site.seen();
    let request = seen
        .iter()
        .rev()
        .find(|r| r.path.contains("q=identity"))
        .expect("seen");
    for (name, _) in forged {
        let key = name.to_ascii_lowercase().replace('_', "-");
        assert!(
            !request
                .headers
                .iter()
                .any(|(n, _)| n.replace('_', "-") == key),
            "{name} reached the app: {:?}",
            request.headers
        );
    }
}

#[tokio::test]
async fn forwarded_for_keeps_an_incoming_list_only_from_trusted_proxies() {
    let seen_xff = |h: &Harness, marker: &str| {
        h.site
            .seen()
            .iter()
            .rev()
            .find(|r| r.path.contains(marker))
            .and_then(|r| {
                r.headers
                    .iter()
                    .find(|(n, _)| n == "x-forwarded-for")
                    .map(|(_, v)| v.clone())
            })
    };
    let untrusted = Harness::start(GatewayOptions::default()).await;
    let _ = untrusted
        .browser()
        .get_with("/search?q=a1", &[("X-Forwarded-For", "203.0.113.9")])
        .await;
    assert_eq!(seen_xff(&untrusted, "q=a1").as_deref(), Some("127.0.0.1"));
    drop(untrusted);

    let trusted = Harness::start(GatewayOptions {
        edge_yaml: Some("edge:\n  trusted_proxies: [127.0.0.0/8]\n".into()),
        ..GatewayOptions::default()
    })
    .await;
    let _ = trusted
        .browser()
        .get_with("/search?q=a2", &[("X-Forwarded-For", "203.0.113.9")])
        .await;
    assert_eq!(
        seen_xff(&trusted, "q=a2").as_deref(),
        Some("203.0.113.9, 127.0.0.1")
    );
    drop(trusted);

    let replace = Harness::start(GatewayOptions {
        edge_yaml: Some(
            "edge:\n  x_forwarded_for: replace\n  trusted_proxies: [127.0.0.1]\n".into(),
        ),
        ..GatewayOptions::default()
    })
    .await;
    let _ = replace
        .browser()
        .get_with("/search?q=a3", &[("X-Forwarded-For", "203.0.113.9")])
        .await;
    assert_eq!(seen_xff(&replace, "q=a3").as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn hsts_on_every_answer_of_a_tls_listener_only() {
    let tls = Harness::start(GatewayOptions {
        tls: true,
        ..GatewayOptions::default()
    })
    .await;
    let mut b = tls.browser();
    for path in ["/", "/_mfa/unavailable", "/search?q=x"] {
        let resp = b.get(path).await;
        assert_eq!(
            resp.headers
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok()),
            Some("max-age=31536000"),
            "{path}"
        );
    }
    drop(tls);
    let plain = Harness::start(GatewayOptions::default()).await;
    let resp = plain.browser().get("/").await;
    assert!(resp.headers.get("strict-transport-security").is_none());
}

#[tokio::test]
async fn regression_method_case_on_the_demo_site() {
    let h = Harness::start(GatewayOptions::default()).await;
    let body = "username=jdoe&password=listings2024";
    for method in ["post", "Post", "pOST"] {
        let req = format!(
            "{method} /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", h.port))
            .await
            .unwrap();
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(3),
            stream.read_to_end(&mut out),
        )
        .await;
        let answer = String::from_utf8_lossy(&out);
        // Refused with 405 and the methods the edge lets through (RFC 9110 §15.5.6).
        assert!(answer.starts_with("HTTP/1.1 405"), "{method}: {answer}");
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("\r\nallow: get, head, post"),
            "{method}: {answer}"
        );
        assert!(!answer.contains("MLSSESSION"), "{answer}");
    }
    assert!(!h.site_saw_session_of("jdoe"));
    assert!(h.site.seen().iter().all(|r| !r.path.starts_with("/login")));
}

#[tokio::test]
async fn server_header_is_passed_removed_or_replaced_on_every_answer() {
    let upstream = HostileUpstream::start(hostile).await;
    for (policy, upstream_answer, own_answer) in [
        (None, Some("Apache/2.2.3 (CentOS) PHP/5.1.6"), None),
        (Some("server_header: remove"), None, None),
        (
            Some("server_header: {replace: SmartMLS}"),
            Some("SmartMLS"),
            Some("SmartMLS"),
        ),
    ] {
        let h = Harness::start(GatewayOptions {
            upstream: Some(upstream.addr.clone()),
            edge_yaml: policy.map(|p| format!("edge:\n  {p}\n")),
            ..GatewayOptions::default()
        })
        .await;
        let mut b = h.browser();
        let proxied = b.get("/server").await;
        assert_eq!(proxied.status, 200);
        let server = |r: &common::Resp| {
            r.headers
                .get("server")
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        assert_eq!(server(&proxied).as_deref(), upstream_answer, "{policy:?}");
        // The gateway's own pages follow the same policy.
        let page = b.get("/_mfa/unavailable").await;
        assert_eq!(server(&page).as_deref(), own_answer, "{policy:?}");
    }
}
