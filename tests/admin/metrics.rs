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
            "mfa_gateway_verifications_total{method=\"app\",result=\"success\"}",
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
