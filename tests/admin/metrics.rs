//! `/metrics` on the admin listener: the counters move with the flow, by exact amounts.

use serde_json::json;

use crate::common::{enroll_app, submit_code, GatewayOptions, Harness, THIRTY_DAYS};
use crate::tools::{admin_ok, log_in_again, metrics, value};

#[tokio::test]
async fn counters_move_as_the_flow_runs() {
    let h = Harness::start(GatewayOptions {
        admin: true,
        per_user_before_backoff: 2,
        ..GatewayOptions::default()
    })
    .await;
    let user = h.user(0).clone();
    let before = metrics(&h).await;
    for series in [
        "mfa_gateway_logins_intercepted_total",
        "mfa_gateway_trusted_logins_total",
        "mfa_gateway_lockouts_total",
    ] {
        assert_eq!(value(&before, series), 0.0, "{series} before any login");
    }

    // Set-up: one held login, one enrollment started and completed.
    let mut b = h.browser();
    let (mut enrolled, _) = enroll_app(&mut b, &user, THIRTY_DAYS).await;
    // A trusted login.
    log_in_again(&mut b, &user.username, &user.password).await;
    // A new browser: one wrong code, then the right one.
    let mut c = h.browser();
    c.login(&user.username, &user.password).await;
    submit_code(&mut c, "000000").await;
    let code = enrolled.fresh_code().await;
    assert_eq!(submit_code(&mut c, &code).await.status, 303);
    // Another: two wrong codes start the backoff (one lockout).
    let mut d = h.browser();
    d.login(&user.username, &user.password).await;
    submit_code(&mut d, "000000").await;
    submit_code(&mut d, "111111").await;
    // A support action over the API.
    let why = json!({"reason": "test", "by": "metrics"});
    assert_eq!(
        admin_ok(&h, "POST", "/v1/users/jdoe/unlock", Some(why))
            .await
            .status,
        200
    );

    let m = metrics(&h).await;
    let failures: f64 = m
        .iter()
        .filter(|(series, _)| {
            series.starts_with("mfa_gateway_verifications_total{")
                && series.contains("result=\"failure\"")
        })
        .map(|(_, v)| v)
        .sum();
    for (series, expected) in [
        ("mfa_gateway_logins_intercepted_total", 3.0),
        ("mfa_gateway_enrollments_started_total{method=\"app\"}", 1.0),
        ("mfa_gateway_enrollments_total{method=\"app\"}", 1.0),
        ("mfa_gateway_trusted_logins_total", 1.0),
        (
            "mfa_gateway_verifications_total{method=\"app\",result=\"success\",stage=\"challenge\"}",
            1.0,
        ),
        // The set-up's confirming code is a verification too (issue 15: it was not counted
        // while a wrong one was).
        (
            "mfa_gateway_verifications_total{method=\"app\",result=\"success\",stage=\"setup\"}",
            1.0,
        ),
        ("mfa_gateway_lockouts_total", 1.0),
        ("mfa_gateway_support_actions_total{action=\"unlock\"}", 1.0),
        ("mfa_gateway_events_total{event=\"login_intercepted\"}", 3.0),
        ("mfa_gateway_events_total{event=\"verify_failed\"}", 3.0),
    ] {
        assert_eq!(value(&m, series), expected, "{series}");
    }
    assert_eq!(failures, 3.0, "three wrong codes");
    // Store latency is measured for every durable read the flow made.
    let reads = value(
        &m,
        "mfa_gateway_store_seconds_count{operation=\"member\",store=\"durable\"}",
    );
    assert!(reads >= 4.0, "durable member reads timed: {reads}");
    assert!(
        value(
            &m,
            "mfa_gateway_store_seconds_count{operation=\"get\",store=\"ephemeral\"}"
        ) >= 1.0
    );
    assert_eq!(
        value(&m, "mfa_gateway_store_errors_total{store=\"durable\"}"),
        0.0
    );
}

/// The outcome labels of `mfa_gateway_requests_total`.
const OUTCOMES: [&str; 7] = [
    "passed",
    "bound",
    "intercepted",
    "stripped",
    "portal",
    "refused",
    "failed",
];

fn requests(m: &std::collections::BTreeMap<String, f64>, outcome: &str) -> f64 {
    value(
        m,
        &format!("mfa_gateway_requests_total{{outcome=\"{outcome}\"}}"),
    )
}

/// Runs `action` (one request through the public listener) and asserts that exactly one request
/// was counted, under `outcome`, with its duration. The count happens in the `logging` hook,
/// after the answer went out, so the metrics are read until it shows (at most 2 s).
async fn counted_once_as<F>(h: &Harness, outcome: &str, action: F)
where
    F: std::future::Future<Output = ()>,
{
    let before = metrics(h).await;
    action.await;
    let total = |m: &std::collections::BTreeMap<String, f64>| -> f64 {
        OUTCOMES.iter().map(|o| requests(m, o)).sum()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let after = loop {
        let now = metrics(h).await;
        if total(&now) > total(&before) || std::time::Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    for other in OUTCOMES {
        let expected = if other == outcome { 1.0 } else { 0.0 };
        assert_eq!(
            requests(&after, other) - requests(&before, other),
            expected,
            "{outcome} request: outcome {other}"
        );
    }
    let durations = format!("mfa_gateway_request_duration_seconds_count{{outcome=\"{outcome}\"}}");
    assert_eq!(
        value(&after, &durations) - value(&before, &durations),
        1.0,
        "{durations}"
    );
}

#[tokio::test]
async fn every_request_is_counted_once_under_its_outcome() {
    let h = Harness::start(GatewayOptions {
        admin: true,
        ..GatewayOptions::default()
    })
    .await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    let (_, done) = enroll_app(&mut b, &user, THIRTY_DAYS).await;
    assert_eq!(done.status, 303);

    counted_once_as(&h, "bound", async {
        assert_eq!(b.get("/listings/1").await.status, 200);
    })
    .await;
    let mut anonymous = h.browser();
    counted_once_as(&h, "passed", async {
        anonymous.get("/").await;
    })
    .await;
    // Held form login: counted once (two hooks counted it before).
    let mut other = h.browser();
    counted_once_as(&h, "intercepted", async {
        let held = other.login(&user.username, &user.password).await;
        assert_eq!(held.location.as_deref(), Some("/_mfa/"));
    })
    .await;
    counted_once_as(&h, "portal", async {
        assert_eq!(other.get("/_mfa/").await.status, 200);
    })
    .await;
    // Held JSON login: intercepted, not passed.
    let mut app = h.browser();
    counted_once_as(&h, "intercepted", async {
        let held = app
            .post_json(
                "/api/login",
                &json!({"username": user.username, "password": user.password}),
            )
            .await;
        assert_eq!(held.status, 401, "{}", held.body);
    })
    .await;
    let stolen = h.site.login_direct_session("jdoe").expect("a session");
    let mut thief = h.browser();
    thief.jar.insert("MLSSESSION".into(), stolen);
    counted_once_as(&h, "stripped", async {
        thief.get("/").await;
    })
    .await;
    counted_once_as(&h, "refused", async {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", h.port))
            .await
            .unwrap();
        stream
            .write_all(b"get / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        // A method the edge does not let through: refused with 405 and `Allow`.
        assert!(
            answer.starts_with(b"HTTP/1.1 405"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    })
    .await;
    // The upstream's answer time, the build and the process are exposed too.
    let m = metrics(&h).await;
    assert!(value(&m, "mfa_gateway_upstream_response_seconds_count") >= 3.0);
    assert!(m
        .keys()
        .any(|series| series.starts_with("mfa_gateway_build_info{version=")));
    assert!(value(&m, "process_resident_memory_bytes") > 0.0);
}
