//! Codes and the roster: Cancel explains where to update the roster, and a roster that cannot be
//! read (a broken file, a RESO Web API outage) fails closed; RESO `Member` records feed text codes.
//!
//! A child module of `suites/flow_codes_cases.rs`, whose helpers it uses, so it runs in every
//! binary that includes that suite (`tests/flow_codes.rs`, `tests/scaleout_flows.rs`).

use std::time::Duration;

use super::{confirm_contact, text_code};
use crate::common::{GatewayOptions, Harness, THIRTY_DAYS, TWILIO_SID, TWILIO_TOKEN};
use crate::fake_reso;
use crate::support::sms_provider::FakeSmsProvider;

#[tokio::test]
async fn cancel_voids_the_held_login_and_explains_the_roster_update() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let options = GatewayOptions {
        methods: vec!["text".into()],
        twilio_base_url: Some(sms.base_url()),
        ..GatewayOptions::default()
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let page = b.get("/_mfa/").await;
    let (code, _) = text_code(&sms, 0).await;
    let csrf = page.input_value("csrf").unwrap();
    let pending = b
        .cookie(&h.gateway_cookie("mfa_pending"))
        .unwrap()
        .to_string();
    let cancelled = b.post_form("/_mfa/cancel", &[("csrf", &csrf)]).await;
    assert_eq!(cancelled.status, 200);
    assert!(
        cancelled.text().contains("https://www.smartmls.com/roster"),
        "{}",
        cancelled.body
    );
    assert!(cancelled.body.contains("support@smartmls.com"));
    assert!(
        cancelled.text().contains("Sign-in cancelled"),
        "{}",
        cancelled.body
    );
    // Coming back (back button, another tab) says what happened, not "took too long".
    let again = b.get("/_mfa/").await;
    assert!(
        again.text().contains("This sign-in was cancelled"),
        "{}",
        again.body
    );
    // The held session can never be released afterwards, even with the right code.
    let remember = THIRTY_DAYS.to_string();
    // Replaying the old pending cookie (the later visit deleted it from the jar).
    b.jar.insert(h.gateway_cookie("mfa_pending"), pending);
    let late = b
        .post_form(
            "/_mfa/enroll/contact",
            &[("csrf", &csrf), ("code", &code), ("remember", &remember)],
        )
        .await;
    assert_ne!(late.status, 303);
    assert!(b.cookie("MLSSESSION").is_none());
    assert!(!h.site_saw_session_of(&user.username));
}

#[tokio::test]
async fn roster_down_fails_closed() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let options = GatewayOptions {
        methods: vec!["app".into(), "text".into()],
        twilio_base_url: Some(sms.base_url()),
        ..GatewayOptions::default()
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    std::fs::write(h.dir.path().join("roster.yaml"), "- login_id: [broken\n").unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    let login = b.login(&user.username, &user.password).await;
    assert_eq!(login.location.as_deref(), Some("/_mfa/"));
    let page = b.get("/_mfa/").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.body.contains("support@smartmls.com"));
    assert!(b.cookie("MLSSESSION").is_none());
    assert!(!h.site_saw_session_of(&user.username));
}

#[tokio::test]
async fn reso_roster_feeds_text_codes_and_its_outage_fails_closed() {
    let member = serde_json::json!({
        "MemberLoginId": "jdoe",
        "MemberEmail": "jane.doe@example.com",
        "MemberMobilePhone": "(203) 555-0199",
        "MemberFullName": "Jane Doe",
    });
    let reso = fake_reso::FakeReso::start("MemberLoginId", vec![member], 3600).await;
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let options = GatewayOptions {
        methods: vec!["text".into()],
        twilio_base_url: Some(sms.base_url()),
        reso: Some((reso.base_url(), fake_reso::STATIC_TOKEN.to_string())),
        ..GatewayOptions::default()
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let page = b.get("/_mfa/").await;
    assert!(
        page.body.contains("•••-0199"),
        "number from the RESO Member record: {}",
        page.body
    );
    let (code, form) = text_code(&sms, 0).await;
    assert_eq!(form["To"], "+12035550199");
    let query = &reso.member_requests()[0];
    assert_eq!(
        query.option("$filter").as_deref(),
        Some("MemberLoginId eq 'jdoe'")
    );
    assert_eq!(
        query.authorization.as_deref(),
        Some(format!("Bearer {}", fake_reso::STATIC_TOKEN).as_str())
    );
    assert_eq!(confirm_contact(&mut b, &page, &code).await.status, 303);

    // The roster goes down: nobody gets past the MFA step, and the page says so.
    reso.set_fault(fake_reso::Fault::Status(500));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut other = h.browser();
    other.login(&user.username, &user.password).await;
    let down = other.get("/_mfa/").await;
    assert_eq!(down.status, 503, "{}", down.body);
    assert!(other.cookie("MLSSESSION").is_none());
}
