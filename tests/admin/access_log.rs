//! The access log and request ids (issue 15): one line per request with its id, member,
//! outcome, statuses and duration, never cookies or codes; an incoming `X-Request-Id` believed
//! only from a trusted proxy; the id reaches the legacy app and the audit lines of the request.

use std::time::{Duration, Instant};

use crate::common::{enroll_app, Browser, GatewayOptions, Harness, THIRTY_DAYS};

/// The access log's lines once one of them satisfies `wanted` (lines are flushed every second).
async fn lines_once(h: &Harness, wanted: impl Fn(&str) -> bool) -> Vec<String> {
    let path = h.dir.path().join("access.log");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.lines().any(&wanted) {
            return text.lines().map(String::from).collect();
        }
        assert!(Instant::now() < deadline, "no such line in:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get_with_id(b: &mut Browser, h: &Harness, path: &str, id: &str) -> u16 {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookies: String = b.jar.iter().map(|(k, v)| format!("{k}={v}; ")).collect();
    client
        .get(format!("{}{path}", h.url()))
        .header("cookie", cookies)
        .header("x-request-id", id)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn upstream_request_id(h: &Harness, path: &str) -> Option<String> {
    h.site
        .seen()
        .into_iter()
        .rev()
        .find(|seen| seen.path == path)
        .and_then(|seen| {
            seen.headers
                .into_iter()
                .find(|(name, _)| name == "x-request-id")
                .map(|(_, value)| value)
        })
}

#[tokio::test]
async fn json_lines_carry_the_trusted_request_id_member_and_outcome() {
    let h = Harness::start(GatewayOptions {
        admin: true,
        access_log: Some("json"),
        edge_yaml: Some("edge:\n  trusted_proxies: [127.0.0.1/32]\n".into()),
        ..GatewayOptions::default()
    })
    .await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    enroll_app(&mut b, &user, THIRTY_DAYS).await;
    assert_eq!(get_with_id(&mut b, &h, "/listings/1", "lb-42").await, 200);
    assert_eq!(
        upstream_request_id(&h, "/listings/1").as_deref(),
        Some("lb-42")
    );
    let lines = lines_once(&h, |l| l.contains("\"request_id\":\"lb-42\"")).await;
    let bound: serde_json::Value = lines
        .iter()
        .find(|l| l.contains("lb-42"))
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap();
    assert_eq!(bound["member"], "jdoe");
    assert_eq!(bound["outcome"], "bound");
    assert_eq!(bound["status"], 200);
    assert_eq!(bound["upstream_status"], 200);
    assert_eq!(bound["method"], "GET");
    assert_eq!(bound["target"], "/listings/1");
    assert!(bound["duration_ms"].as_f64().unwrap() > 0.0);
    // A malformed id, even from a trusted proxy, is replaced by one of the gateway's.
    get_with_id(&mut b, &h, "/search?q=elm", "two words\"").await;
    let made = upstream_request_id(&h, "/search?q=elm").expect("an id upstream");
    assert!(made.len() > 10 && !made.contains(' '), "{made}");
    // The held login's line and its audit line share one id.
    let mut other = h.browser();
    other.login(&user.username, &user.password).await;
    let lines = lines_once(&h, |l| l.contains("\"outcome\":\"intercepted\"")).await;
    let held: serde_json::Value = lines
        .iter()
        .find(|l| l.contains("\"outcome\":\"intercepted\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap();
    assert_eq!(held["status"], 303);
    let id = held["request_id"].as_str().unwrap().to_string();
    let audit = std::fs::read_to_string(h.audit_path()).unwrap();
    assert!(
        audit
            .lines()
            .any(|l| l.contains("login_intercepted")
                && l.contains(&format!("\"request_id\":\"{id}\""))),
        "{id} not on the audit line:\n{audit}"
    );
    // Nothing secret: no cookie values, no gateway cookie names, no password.
    let text = lines.join("\n");
    // (Values long enough to be secrets: the session, binding and trust cookies.)
    for secret in b
        .jar
        .values()
        .filter(|v| v.len() >= 16)
        .chain([&user.password])
    {
        assert!(
            !text.contains(secret.as_str()),
            "{secret} in the access log"
        );
    }
    assert!(!text.contains("mfa_"), "{text}");
}

#[tokio::test]
async fn combined_lines_and_untrusted_ids_are_replaced() {
    let h = Harness::start(GatewayOptions {
        access_log: Some("combined"),
        ..GatewayOptions::default()
    })
    .await;
    let mut b = h.browser();
    get_with_id(&mut b, &h, "/search?q=oak", "client-chosen-id").await;
    let upstream = upstream_request_id(&h, "/search?q=oak").expect("an id upstream");
    assert_ne!(
        upstream, "client-chosen-id",
        "only trusted proxies choose the id"
    );
    let lines = lines_once(&h, |l| l.contains("/search?q=oak")).await;
    let line = lines.iter().find(|l| l.contains("/search?q=oak")).unwrap();
    let combined = regex::Regex::new(
        r#"^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /search\?q=oak HTTP/1\.1" (\d{3}) \d+ "-" "-" rid=(\S+) outcome=passed upstream=(\d{3}) ms=[\d.]+$"#,
    )
    .unwrap();
    let captures = combined.captures(line).unwrap_or_else(|| panic!("{line}"));
    assert_eq!(
        &captures[2], upstream,
        "the logged id is the one sent upstream"
    );
    // The demo site asks an anonymous visitor to sign in; the client got what the app said.
    assert_eq!(&captures[1], &captures[3]);
}
