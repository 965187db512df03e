//! Issue 13, class 4: a support reset or "forget devices" ends sessions that are already signed
//! in — the stolen-laptop case — on the instance that did it at once, and on every other
//! process (another instance, the `users` command) within `mfa.revocation_check`.
//!
//! Shared by `tests/revocation.rs` (demo site) and `tests/legacy_*.rs` (real legacy stacks).

use std::time::{Duration, Instant};

use crate::common::{enroll_app, GatewayOptions, Harness, ADMIN_TOKEN, THIRTY_DAYS};

/// How stale a cached epoch may be in these tests.
const STALENESS: Duration = Duration::from_secs(1);

fn options() -> GatewayOptions {
    GatewayOptions {
        admin: true,
        revocation_check: "1s".into(),
        ..GatewayOptions::default()
    }
}

async fn admin_action(admin_url: &str, action: &str) {
    let resp = reqwest::Client::new()
        .post(format!("{admin_url}/v1/users/jdoe/{action}"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({ "reason": "stolen laptop", "by": "support-desk" }))
        .send()
        .await
        .expect("admin API");
    assert_eq!(resp.status(), 200, "{action}");
}

#[tokio::test]
async fn reset_through_this_instance_ends_the_live_session_at_once() {
    let Some(h) = Harness::start_or_skip(options()).await else {
        return;
    };
    let mut b = h.browser();
    enroll_app(&mut b, h.user(0), THIRTY_DAYS).await;
    assert!(h.signed_in(&mut b).await, "signed in after MFA");
    admin_action(&h.admin_url(), "reset").await;
    assert!(
        !h.signed_in(&mut b).await,
        "the live session ended with the reset"
    );
    assert!(
        b.cookie(&h.gateway_cookie("mfa_bind")).is_none(),
        "the stale binding was cleared"
    );
    assert!(h.log().contains("bound_session_revoked"));
}

#[tokio::test]
async fn forget_devices_on_another_instance_ends_the_session_within_the_bound() {
    let Some(h) = Harness::start_or_skip(options()).await else {
        return;
    };
    let peer = h.start_peer().await;
    let mut b = h.browser();
    enroll_app(&mut b, h.user(0), THIRTY_DAYS).await;
    assert!(h.signed_in(&mut b).await);
    // The member's epoch is now cached on this instance; the change happens on the peer.
    admin_action(&peer.admin_url(), "forget-devices").await;
    let changed = Instant::now();
    while h.signed_in(&mut b).await {
        assert!(
            changed.elapsed() < STALENESS + Duration::from_secs(2),
            "still signed in {:?} after forget-devices elsewhere",
            changed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_support_command_ends_the_live_session_within_the_bound() {
    let Some(h) = Harness::start_or_skip(options()).await else {
        return;
    };
    let mut b = h.browser();
    enroll_app(&mut b, h.user(0), THIRTY_DAYS).await;
    assert!(h.signed_in(&mut b).await);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
        .args([
            "users",
            "forget-devices",
            "jdoe",
            "--reason",
            "stolen laptop",
            "--by",
            "support",
        ])
        .arg("--config")
        .arg(h.config_path())
        .status()
        .expect("users forget-devices");
    assert!(status.success());
    tokio::time::sleep(STALENESS + Duration::from_millis(300)).await;
    assert!(!h.signed_in(&mut b).await, "the live session ended");
    // Signing in again needs a code (the device is forgotten), not a new set-up.
    let login = b.login(&h.user(0).username, &h.user(0).password).await;
    assert_eq!(login.location.as_deref(), Some("/_mfa/"), "{login:?}");
    let page = b.get("/_mfa/").await;
    assert!(page.otpauth_uri().is_none(), "challenge, not set-up");
}
