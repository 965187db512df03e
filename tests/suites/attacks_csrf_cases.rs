//! Cross-site request forgery on the gateway's forms (issue 8, class 8; DESIGN.md invariant 5):
//! a post without the token, with another login's token, or from another origin is refused and
//! releases nothing.
//!
//! Shared by `tests/attacks_csrf.rs` (demo site) and `tests/legacy_*.rs` (the real legacy
//! stacks of `tests/legacy/`): the harness picks the app from the test binary's name.

use crate::common::{enroll_app, GatewayOptions, Harness, THIRTY_DAYS};

#[tokio::test]
async fn forged_mfa_posts_are_refused() {
    let h = Harness::start(GatewayOptions::default()).await;
    let user = h.user(0).clone();
    let mut first = h.browser();
    let (mut enrolled, _) = enroll_app(&mut first, &user, THIRTY_DAYS).await;

    let mut victim = h.browser();
    victim.login(&user.username, &user.password).await;
    let page = victim.get("/_mfa/").await;
    let csrf = page.input_value("csrf").unwrap();
    let mut other = h.browser();
    other.login(&user.username, &user.password).await;
    let other_csrf = other.get("/_mfa/").await.input_value("csrf").unwrap();
    assert_ne!(csrf, other_csrf);

    let code = enrolled.fresh_code().await;
    for (label, token) in [
        ("missing", ""),
        ("other login's", other_csrf.as_str()),
        ("garbage", "x"),
    ] {
        let resp = victim
            .post_form("/_mfa/verify", &[("csrf", token), ("code", &code)])
            .await;
        assert_eq!(resp.status, 403, "{label} token: {}", resp.body);
    }
    // Right token, but the browser says the post came from another site.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // The h2 binaries serve HTTPS with a certificate made for the test run.
        .danger_accept_invalid_certs(h.options.tls)
        .build()
        .unwrap();
    let pending = h.gateway_cookie("mfa_pending");
    let cookie = format!("{pending}={}", victim.cookie(&pending).unwrap());
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "null"),
    ] {
        let resp = client
            .post(format!("{}/_mfa/verify", h.url()))
            .header("cookie", &cookie)
            .header(name, value)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}&code={code}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 403, "{name}: {value}");
    }
    // The forged attempts released nothing, and the member can still finish normally.
    assert!(!h.signed_in(&mut victim).await);
    let ok = victim
        .post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
}

#[tokio::test]
async fn cancel_cannot_be_forged_either() {
    let h = Harness::start(GatewayOptions::default()).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let resp = b.post_form("/_mfa/cancel", &[("csrf", "nope")]).await;
    assert_eq!(resp.status, 403);
    // The held login is still there.
    let page = b.get("/_mfa/").await;
    assert_eq!(page.status, 200);
    assert!(page.otpauth_uri().is_some());
}
