//! Revocations announced over Redis pub/sub: a reset or "forget devices" made through one
//! instance's admin API, or by the `users` command, ends a live session held on another
//! instance within a second. `mfa.revocation_check` is 30 s or more here, so only the
//! announcement can explain a prompt end; after a Redis outage the subscriber comes back by
//! itself and clears its cache, so a change made meanwhile still ends the session early.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::backend::server_urls;
use crate::common::{enroll_app, Browser, GatewayOptions, Harness, ADMIN_TOKEN, THIRTY_DAYS};
use crate::helpers::bounded;
use crate::relay::{server_addr, Proxy};

/// How soon an announced revocation must end a session on another instance.
const PROMPTLY: Duration = Duration::from_secs(1);

fn options(revocation_check: &str) -> GatewayOptions {
    GatewayOptions {
        admin: true,
        revocation_check: revocation_check.into(),
        ..GatewayOptions::default()
    }
}

/// Posts a support action for `login` to an admin API.
async fn admin_action(admin_url: &str, login: &str, action: &str) {
    let resp = bounded(
        action,
        reqwest::Client::new()
            .post(format!("{admin_url}/v1/users/{login}/{action}"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({ "reason": "stolen laptop", "by": "support-desk" }))
            .send(),
    )
    .await
    .expect("admin API");
    assert_eq!(resp.status(), 200, "{action}");
}

/// Runs `mfa-gateway users forget-devices` with `config`; returns its stderr.
fn forget_devices_by_command(config: &std::path::Path, login: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
        .args(["users", "forget-devices", login])
        .args(["--reason", "stolen laptop", "--by", "support", "--config"])
        .arg(config)
        .env("MFA_LOG", "warn")
        .output()
        .expect("run mfa-gateway");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

/// Waits until `b`'s session is ended (not 200, and not the 503 of a store outage: the
/// binding cookie is cleared), failing after `bound`.
async fn ends_within(b: &mut Browser, bound: Duration, what: &str) {
    let changed = Instant::now();
    loop {
        let status = bounded("home", b.get("/")).await.status;
        if status != 200 && status != 503 {
            assert!(b.cookie("mfa_bind").is_none(), "{what}: binding cleared");
            return;
        }
        assert!(
            changed.elapsed() < bound,
            "{what}: still signed in {:?} later",
            changed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_elsewhere_ends_the_session_on_this_instance_within_a_second() {
    let Some(h) = Harness::start_or_skip(options("30s")).await else {
        return;
    };
    let peer = h.start_peer().await;
    let user = h.user(0).clone();

    // Signed in through B: B has cached the member's epoch for 30 s.
    let mut at_b = peer.browser();
    let (_, done) = bounded("enroll on B", enroll_app(&mut at_b, &user, THIRTY_DAYS)).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(h.signed_in(&mut at_b).await, "signed in on B");

    // Reset through A's admin API.
    admin_action(&h.admin_url(), &user.username, "reset").await;
    ends_within(&mut at_b, PROMPTLY, "reset through A").await;
    assert!(peer.log().contains("bound_session_revoked"));

    // Set up again on B, then "forget devices" by the command with A's config.
    let mut at_b = peer.browser();
    let (_, done) = bounded(
        "enroll again on B",
        enroll_app(&mut at_b, &user, THIRTY_DAYS),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(h.signed_in(&mut at_b).await, "signed in on B again");
    let stderr = forget_devices_by_command(&h.config_path(), &user.username);
    assert!(!stderr.contains("warning"), "announced: {stderr}");
    ends_within(&mut at_b, PROMPTLY, "users forget-devices").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_redis_outage_the_subscriber_returns_and_forgets_what_it_may_have_missed() {
    let Some((_, redis_url)) = server_urls() else {
        return;
    };
    let mut relay = Proxy::start(server_addr(&redis_url, 6379).await).await;
    let options = GatewayOptions {
        redis_via: Some(relay.addr()),
        ..options("120s")
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    let (_, done) = bounded("enroll", enroll_app(&mut b, &user, THIRTY_DAYS)).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(h.signed_in(&mut b).await, "signed in");

    // Redis goes away: the command's announcement cannot be sent (a warning, not a failure),
    // the change itself is made in PostgreSQL.
    relay.cut().await;
    let stderr = forget_devices_by_command(&h.config_path(), &user.username);
    assert!(stderr.contains("warning"), "the publish failed: {stderr}");
    relay.restore().await;

    // The subscriber reconnects (backoff of at most 5 s) and clears the cache, so the session
    // ends long before the 120 s TTL would have ended it.
    ends_within(&mut b, Duration::from_secs(15), "after the outage").await;
    let log = h.log();
    assert!(log.contains("epoch_channel_lost"), "{log}");
    assert!(
        log.matches("epoch_channel_subscribed").count() >= 2,
        "{log}"
    );
}
