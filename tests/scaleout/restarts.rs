//! No enrollment is lost when the instances restart, gracefully or by a crash: enrollments live
//! in PostgreSQL and held logins in Redis, not in any gateway process. (The same property on
//! SQLite is covered by the shared flow cases, which run on both backends.)

use crate::common::{
    enroll_app, Browser, GatewayOptions, Harness, THIRTY_DAYS, TWILIO_SID, TWILIO_TOKEN,
};
use crate::helpers::{bounded, nth_text_code, on};
use crate::support::sms_provider::FakeSmsProvider;

/// The challenge page's CSRF token, asserting it is the challenge (not a set-up page).
async fn challenge_csrf(b: &mut Browser, who: &str) -> String {
    let page = bounded("challenge page", b.get("/_mfa/")).await;
    assert!(
        page.body.contains("name=\"code\"") && page.otpauth_uri().is_none(),
        "{who} must still be enrolled: {}",
        page.body
    );
    page.input_value("csrf").expect("csrf")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_enrollment_or_held_login_is_lost_when_every_instance_restarts() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let options = GatewayOptions {
        methods: vec!["app".into(), "text".into()],
        twilio_base_url: Some(sms.base_url()),
        ..GatewayOptions::default()
    };
    let Some(mut h) = Harness::start_or_skip(options).await else {
        return;
    };
    let mut peer = h.start_peer().await;
    let (jdoe, asmith, bkumar) = (h.user(0).clone(), h.user(1).clone(), h.user(2).clone());
    let remember = THIRTY_DAYS.to_string();

    // jdoe: authenticator app on A (this browser is now trusted).
    let mut trusted = h.browser();
    let (mut jdoe_app, done) =
        bounded("enroll jdoe", enroll_app(&mut trusted, &jdoe, THIRTY_DAYS)).await;
    assert_eq!(done.status, 303, "{}", done.body);
    // asmith: text messages on B.
    let mut b = peer.browser();
    bounded("login", b.login(&asmith.username, &asmith.password)).await;
    let choice = bounded("choice", b.get("/_mfa/")).await;
    let csrf = choice.input_value("csrf").expect("csrf");
    let sent = bounded(
        "choose text",
        b.post_form("/_mfa/enroll", &[("csrf", &csrf), ("method", "text")]),
    )
    .await;
    let code = nth_text_code(&sms, &asmith.mobile, 0).await;
    let csrf = sent.input_value("csrf").expect("csrf");
    let done = bounded(
        "confirm text",
        b.post_form(
            "/_mfa/enroll/contact",
            &[("csrf", &csrf), ("code", &code), ("remember", &remember)],
        ),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    // bkumar: authenticator app on B.
    let mut other = peer.browser();
    let (mut bkumar_app, done) = bounded(
        "enroll bkumar",
        enroll_app(&mut other, &bkumar, THIRTY_DAYS),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    // A login of jdoe's held by A just before the restarts.
    let mut held = h.browser();
    bounded("login", held.login(&jdoe.username, &jdoe.password)).await;
    let held_csrf = challenge_csrf(&mut held, "jdoe").await;

    // A crashes (no graceful shutdown at all), B stops gracefully; both start again.
    h.kill_gateway();
    peer.stop();
    h.start_gateway().await;
    peer.start().await;

    // The held login survived in Redis; B releases it.
    let code = jdoe_app.fresh_code().await;
    let mut held_at_b = on(&held, &peer.url());
    let released = bounded(
        "release held login",
        held_at_b.post_form("/_mfa/verify", &[("csrf", &held_csrf), ("code", &code)]),
    )
    .await;
    assert_eq!(released.status, 303, "{}", released.body);
    // Every member is still enrolled with the same factor, on either instance.
    let mut fresh = h.browser();
    bounded("login", fresh.login(&bkumar.username, &bkumar.password)).await;
    let csrf = challenge_csrf(&mut fresh, "bkumar").await;
    let code = bkumar_app.fresh_code().await;
    let ok = bounded(
        "bkumar verify",
        fresh.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &code)]),
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let mut fresh = peer.browser();
    bounded("login", fresh.login(&asmith.username, &asmith.password)).await;
    let csrf = challenge_csrf(&mut fresh, "asmith").await;
    let code = nth_text_code(&sms, &asmith.mobile, 1).await;
    let ok = bounded(
        "asmith verify",
        fresh.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &code)]),
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    // The device trusted before the restarts is still trusted, on both instances.
    for base in [h.url(), peer.url()] {
        let mut again = on(&trusted, &base);
        bounded("logout", again.get("/logout")).await;
        let login = bounded("trusted login", again.login(&jdoe.username, &jdoe.password)).await;
        assert_eq!(login.location.as_deref(), Some("/"), "{base}: {login:?}");
    }
    let stores = h.stores.clone().expect("server stores");
    let mut db = stores.postgres().await;
    let methods: Vec<(String, String)> =
        sqlx::query_as("SELECT login, method FROM members WHERE method IS NOT NULL ORDER BY login")
            .fetch_all(&mut db)
            .await
            .expect("members");
    let expected = [("asmith", "text"), ("bkumar", "app"), ("jdoe", "app")];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(login, method)| (login.to_string(), method.to_string()))
        .collect();
    assert_eq!(methods, expected);
}
