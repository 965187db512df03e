//! The whole core + codes suite (issues 2 and 3) on PostgreSQL + Redis: the very cases of
//! `tests/flow_app.rs` and `tests/flow_codes.rs`, compiled into a binary whose name starts with
//! `scaleout`, so the harness runs every gateway on the servers named by `MFA_TEST_POSTGRES_URL`
//! and `MFA_TEST_REDIS_URL`, each test in its own schema and key prefix (`tests/common/backend.rs`).
//! Unset variables skip the cases (`SKIPPED: …`), except under CI.

mod common;
#[path = "support/mod.rs"]
mod support;

#[allow(dead_code)]
#[path = "roster/fake_reso.rs"]
mod fake_reso;

#[path = "suites/flow_app_cases.rs"]
mod flow_app;
#[path = "suites/flow_codes_cases.rs"]
mod flow_codes;

use common::{enroll_app, Backend, GatewayOptions, Harness, THIRTY_DAYS};

/// Guards the mechanism itself: if this binary silently fell back to SQLite + memory, every case
/// above would still pass and prove nothing about the servers.
#[tokio::test]
async fn this_binary_runs_the_gateway_on_postgres_and_redis() {
    assert_eq!(Backend::of_this_binary(), Backend::Servers);
    let Some(h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let stores = h.stores.clone().expect("server stores");
    let config = std::fs::read_to_string(h.config_path()).unwrap();
    assert!(
        config.contains("postgres:") && config.contains("redis:") && !config.contains("sqlite"),
        "{config}"
    );
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    // The held login lives in Redis under this test's prefix...
    let keys = stores.redis_keys().await;
    assert!(keys.iter().any(|k| k.contains("pending")), "{keys:?}");
    b.get("/logout").await;
    let mut other = h.browser();
    enroll_app(&mut other, &user, THIRTY_DAYS).await;
    // ...and the enrollment in PostgreSQL, in this test's schema.
    let mut pg = stores.postgres().await;
    let method: Option<String> = sqlx::query_scalar("SELECT method FROM members WHERE login = $1")
        .bind(&user.username)
        .fetch_optional(&mut pg)
        .await
        .unwrap();
    assert_eq!(method.as_deref(), Some("app"));
    assert!(!h.dir.path().join("mfa.sqlite").exists());
}
