//! Trusted browsers across the core flow: the trust cookie skips the challenge only for its own
//! member and only while it is genuine and unexpired, and enrollments and trust cookies survive a
//! gateway restart.
//!
//! A child module of `suites/flow_app_cases.rs`, so it runs in every binary that includes that
//! suite (`tests/flow_app.rs`, `tests/scaleout_flows.rs`, `tests/legacy_*.rs`).

use crate::common::{enroll_app, submit_code, GatewayOptions, Harness, THIRTY_DAYS};

#[tokio::test]
async fn trusted_browser_skips_the_challenge_and_new_browser_does_not() {
    let Some(h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    let (_, done) = enroll_app(&mut b, &user, THIRTY_DAYS).await;
    assert_eq!(done.status, 303);

    // Log out and in again on the same browser: no challenge.
    let out = b.get("/logout").await;
    assert!(
        b.cookie(&h.gateway_cookie("mfa_bind")).is_none(),
        "logout ends the binding: {:?}",
        out.set_cookies
    );
    assert!(
        b.cookie(&h.gateway_cookie("mfa_trust")).is_some(),
        "plain logout keeps the device trusted"
    );
    let again = b.login(&user.username, &user.password).await;
    assert!(matches!(again.status, 302 | 303), "{again:?}");
    assert_eq!(again.location.as_deref(), Some(h.after_login_path()));
    assert!(b.cookie(h.session_cookie()).is_some());
    assert!(h.signed_in(&mut b).await);

    // A new browser has no trust cookie: challenge.
    let mut other = h.browser();
    let held = other.login(&user.username, &user.password).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"));
    let page = other.get("/_mfa/").await;
    assert!(page.body.contains("name=\"code\""));
    assert!(
        page.otpauth_uri().is_none(),
        "enrolled members get the challenge, not set-up"
    );
}

#[tokio::test]
async fn trust_cookie_of_another_member_does_not_skip_the_challenge() {
    let Some(h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let (a, bu) = (h.user(0).clone(), h.user(1).clone());
    let mut browser_b = h.browser();
    enroll_app(&mut browser_b, &bu, THIRTY_DAYS).await;
    let mut browser_a = h.browser();
    enroll_app(&mut browser_a, &a, THIRTY_DAYS).await;
    // B's browser presents A's trust cookie at B's login.
    let mut mixed = h.browser();
    mixed.jar.insert(
        h.gateway_cookie("mfa_trust"),
        browser_a
            .cookie(&h.gateway_cookie("mfa_trust"))
            .unwrap()
            .to_string(),
    );
    let login = mixed.login(&bu.username, &bu.password).await;
    assert_eq!(login.location.as_deref(), Some("/_mfa/"));
}

#[tokio::test]
async fn tampered_foreign_key_and_expired_trust_cookies_are_challenged() {
    let Some(h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    enroll_app(&mut b, &user, THIRTY_DAYS).await;
    let good = b
        .cookie(&h.gateway_cookie("mfa_trust"))
        .unwrap()
        .to_string();

    let mut flipped = good.clone().into_bytes();
    let i = flipped.len() / 2;
    flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(flipped).unwrap();

    // Same format, signed with a key the gateway does not have.
    let foreign_keys = mfa_gateway::mfa::tokens::KeyRing::new(&[mfa_gateway::config::NamedKey {
        id: "k1".into(),
        bytes: vec![42; 32],
    }]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = |expires| mfa_gateway::mfa::claims::TrustClaims {
        user: user.username.clone(),
        device_id: [1; 16],
        issued: now - 100,
        expires,
        epoch: 0,
    };
    let forged = claims(now + 3600).seal(&foreign_keys);

    for (label, cookie) in [
        ("tampered", tampered),
        ("foreign key", forged),
        ("truncated", good[..good.len() - 5].to_string()),
    ] {
        let mut other = h.browser();
        other.jar.insert(h.gateway_cookie("mfa_trust"), cookie);
        let login = other.login(&user.username, &user.password).await;
        assert_eq!(login.location.as_deref(), Some("/_mfa/"), "{label}");
    }
}

#[tokio::test]
async fn enrollments_and_trust_cookies_survive_a_restart() {
    let Some(mut h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    let (mut enrolled, _) = enroll_app(&mut b, &user, THIRTY_DAYS).await;
    h.restart_gateway().await;
    // Trusted browser: straight in.
    b.get("/logout").await;
    let again = b.login(&user.username, &user.password).await;
    assert_eq!(again.location.as_deref(), Some(h.after_login_path()));
    // New browser: challenged, and the enrolled secret still works.
    let mut other = h.browser();
    other.login(&user.username, &user.password).await;
    let code = enrolled.fresh_code().await;
    assert_eq!(submit_code(&mut other, &code).await.status, 303);
}

#[tokio::test]
async fn trust_period_expiry_asks_again() {
    let options = GatewayOptions {
        trust_periods: vec!["2s".into(), "30d".into()],
        default_trust_period: "30d".into(),
        ..GatewayOptions::default()
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    let (_, done) = enroll_app(&mut b, &user, 2).await;
    assert_eq!(done.status, 303, "{}", done.body);
    // Within the period the session works; after it, the binding and trust cookie are void.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert!(
        !h.signed_in(&mut b).await,
        "binding lives no longer than the trust period"
    );
    let again = b.login(&user.username, &user.password).await;
    assert_eq!(again.location.as_deref(), Some("/_mfa/"));
}
