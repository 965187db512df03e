//! Issue 13 regressions against the demo site: who signed in is the member the site signed in,
//! whatever spelling was typed, and a login in a browser that already passed MFA is a new login.
//!
//! The zoo runs the same classes against PHP, Express and Tomcat (`tests/suites/zoo_cases.rs`);
//! here the oracle is the demo site's own request log (`Harness::site_saw_session_of`).

mod common;

use common::{enroll_app, Browser, GatewayOptions, Harness, THIRTY_DAYS};
use serde_json::json;

/// The demo site folds ASCII case and trims (`DemoState::find_user`), so some of these sign in
/// jdoe there and some sign in nobody; none may open a set-up for jdoe's account.
const SPELLINGS: [&str; 6] = ["JDOE", " jdoe", "jdoe ", "ｊdoe", "ʲdoe", "ＪＤＯＥ"];

#[tokio::test]
async fn regression_username_spellings_meet_the_members_challenge_on_the_demo_site() {
    let h = Harness::start(GatewayOptions {
        admin: true,
        ..GatewayOptions::default()
    })
    .await;
    let jdoe = h.user(0).clone();
    let mut member = h.browser();
    let (_, done) = enroll_app(&mut member, &jdoe, THIRTY_DAYS).await;
    assert_eq!(done.status, 303, "{done:?}");
    h.site.clear_seen();
    for spelling in SPELLINGS {
        let mut thief = h.browser();
        let resp = thief.login(spelling, &jdoe.password).await;
        if resp.location.as_deref() == Some("/_mfa/") {
            let page = thief.get("/_mfa/").await;
            assert!(
                page.otpauth_uri().is_none() && !page.body.contains("/_mfa/enroll"),
                "{spelling:?} was offered set-up instead of jdoe's challenge: {}",
                page.body
            );
        }
        assert!(!h.signed_in(&mut thief).await, "{spelling:?}");
    }
    assert!(
        !h.site_saw_session_of(&jdoe.username),
        "a spelling reached the site signed in as jdoe: {:?}",
        h.site.seen()
    );
    // The three spellings the site folds were held for jdoe (not refused as unknown), besides
    // the set-up login: the audit names the canonical member.
    let audit = std::fs::read_to_string(h.audit_path()).unwrap_or_default();
    let held_for_jdoe = audit
        .lines()
        .filter(|l| l.contains("login_intercepted") && l.contains("\"jdoe\""))
        .count();
    assert!(held_for_jdoe >= 4, "{audit}");
}

/// A member signed in (MFA passed) in this browser; returns it.
async fn signed_in(h: &Harness) -> Browser {
    let mut b = h.browser();
    let (_, done) = enroll_app(&mut b, h.user(0), THIRTY_DAYS).await;
    assert_eq!(done.status, 303, "{done:?}");
    assert!(h.signed_in(&mut b).await);
    b
}

#[tokio::test]
async fn regression_form_session_swap_in_a_signed_in_browser_is_a_new_login_on_the_demo_site() {
    let h = Harness::start(GatewayOptions::default()).await;
    let asmith = h.user(1).clone();
    let mut b = signed_in(&h).await;
    h.site.clear_seen();
    // asmith's password in jdoe's browser, `next=` back to the login page: the success rule
    // calls the answer failed, and without `site.identity` the gateway cannot tell whose
    // session it set, so the session cookie is removed (docs/security.md, row 14).
    let refused = b
        .post_form(
            "/login",
            &[
                ("username", asmith.username.as_str()),
                ("password", asmith.password.as_str()),
                ("next", "/login"),
            ],
        )
        .await;
    assert!(
        !refused
            .set_cookies
            .iter()
            .any(|c| c.starts_with(h.session_cookie())),
        "{refused:?}"
    );
    // A plain login: held for asmith, whose own set-up opens — never re-bound to jdoe's binding.
    let held = b.login(&asmith.username, &asmith.password).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"), "{held:?}");
    let page = b.get("/_mfa/").await;
    assert!(
        page.otpauth_uri().is_some(),
        "asmith's own set-up: {}",
        page.body
    );
    let _ = b.get("/").await;
    let _ = b.get("/search?q=a").await;
    assert!(
        !h.site_saw_session_of(&asmith.username),
        "asmith's session reached the site without asmith's MFA: {:?}",
        h.site.seen()
    );
}

#[tokio::test]
async fn regression_json_session_swap_in_a_signed_in_app_is_a_new_login_on_the_demo_site() {
    let h = Harness::start(GatewayOptions::default()).await;
    let (jdoe, asmith) = (h.user(0).clone(), h.user(1).clone());
    let mut app = signed_in(&h).await;
    // This device is trusted for jdoe: jdoe's JSON login comes straight back with a token.
    let again = app
        .post_json(
            "/api/login",
            &json!({ "username": jdoe.username, "password": jdoe.password }),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    h.site.clear_seen();
    let swap = app
        .post_json(
            "/api/login",
            &json!({ "username": asmith.username, "password": asmith.password }),
        )
        .await;
    assert_eq!(swap.status, 401, "challenged for asmith: {}", swap.body);
    assert!(swap.json()["token"].is_null(), "{}", swap.body);
    assert_eq!(swap.json()["enrollment_required"], true, "{}", swap.body);
    let listings = app
        .get_with("/api/listings", &[("accept", "application/json")])
        .await;
    assert!(!listings.body.contains("asmith"), "{}", listings.body);
    assert!(
        !h.site_saw_session_of(&asmith.username),
        "asmith's session reached the site without asmith's MFA: {:?}",
        h.site.seen()
    );
}
