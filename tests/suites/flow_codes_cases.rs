//! Codes by email (real SMTP server) and text message (Twilio-shaped HTTP provider), with
//! Resend code, Try another method, Cancel, expiry and single use (issue 3 acceptance).
//!
//! Shared by `tests/flow_codes.rs` (SQLite + memory) and `tests/scaleout_flows.rs` (PostgreSQL +
//! Redis), like `flow_app_cases.rs`. The including binary provides the `common`, `support` and
//! `fake_reso` modules.
//!
//! The roster cases (Cancel, a roster that is down, RESO) are in the child module
//! `suites/flow_codes_roster_cases.rs`.

use std::time::Duration;

use crate::common::{
    enroll_app, Browser, GatewayOptions, Harness, Resp, THIRTY_DAYS, TWILIO_SID, TWILIO_TOKEN,
};
use crate::support::mail::Mail;
use crate::support::sms_provider::FakeSmsProvider;
use crate::support::smtp_receiver::SmtpReceiver;

/// A real SMTP receiver, or `None` (test skipped, said loudly) when aiosmtpd is missing outside CI.
fn smtp() -> Option<SmtpReceiver> {
    let receiver = SmtpReceiver::start();
    if receiver.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must provide python3-aiosmtpd"
        );
        eprintln!("SKIPPED: python3-aiosmtpd is not installed, so no SMTP receiver can run");
    }
    receiver
}

fn all_methods() -> Vec<String> {
    vec!["app".into(), "email".into(), "text".into()]
}

/// The first run of exactly six digits in `text`.
fn six_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|i| {
        let run = &bytes[i..i + 6];
        let before = i
            .checked_sub(1)
            .map(|j| bytes[j].is_ascii_digit())
            .unwrap_or(false);
        let after = bytes.get(i + 6).is_some_and(u8::is_ascii_digit);
        (run.iter().all(u8::is_ascii_digit) && !before && !after)
            .then(|| String::from_utf8_lossy(run).into_owned())
    })
}

/// The code in the `n`-th email (waits for it).
fn email_code(smtp: &SmtpReceiver, n: usize) -> (String, Mail) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while smtp.messages().len() <= n {
        assert!(
            std::time::Instant::now() < deadline,
            "email #{n} did not arrive"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mail = Mail::parse(&smtp.messages()[n]);
    let body = mail
        .part_text("text/plain")
        .unwrap_or_else(|| mail.decoded_body());
    (
        six_digits(&body).expect("a 6-digit code in the email"),
        mail,
    )
}

/// The code in the `n`-th text message received by the provider (waits for it).
async fn text_code(
    sms: &FakeSmsProvider,
    n: usize,
) -> (String, std::collections::HashMap<String, String>) {
    for _ in 0..200 {
        if let Some(req) = sms.requests().get(n) {
            let form = req.form();
            return (six_digits(&form["Body"]).expect("code in the text"), form);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("text #{n} did not arrive");
}

async fn choose(b: &mut Browser, method: &str) -> Resp {
    let page = b.get("/_mfa/").await;
    let csrf = page.input_value("csrf").expect("csrf on the choice page");
    b.post_form("/_mfa/enroll", &[("csrf", &csrf), ("method", method)])
        .await
}

async fn confirm_contact(b: &mut Browser, page: &Resp, code: &str) -> Resp {
    let csrf = page.input_value("csrf").expect("csrf");
    let remember = THIRTY_DAYS.to_string();
    b.post_form(
        "/_mfa/enroll/contact",
        &[("csrf", &csrf), ("code", code), ("remember", &remember)],
    )
    .await
}

async fn post(b: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Resp {
    let page = b.get("/_mfa/").await;
    let csrf = page.input_value("csrf").expect("csrf");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    b.post_form(path, &form).await
}

#[tokio::test]
async fn email_codes_enroll_and_challenge_through_a_real_smtp_server() {
    let Some(smtp) = smtp() else { return };
    let options = GatewayOptions {
        methods: vec!["app".into(), "email".into()],
        smtp_port: Some(smtp.port()),
        ..GatewayOptions::default()
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let choice = b.get("/_mfa/").await;
    assert!(
        choice.body.contains("Authenticator app") && choice.body.contains("Email"),
        "{}",
        choice.body
    );
    assert!(
        choice.body.contains("j•••@example.com"),
        "masked email on the choice page"
    );

    let sent = choose(&mut b, "email").await;
    assert!(sent.body.contains("j•••@example.com"), "{}", sent.body);
    assert!(
        sent.body.contains("no-reply@connectmls.com"),
        "sender address to unblock (FAQ)"
    );
    let (code, mail) = email_code(&smtp, 0);
    assert!(mail
        .header("From")
        .unwrap()
        .contains("no-reply@connectmls.com"));
    assert_eq!(mail.header("To").unwrap().trim(), user.email);
    assert!(!h.site_saw_session_of(&user.username));
    let done = confirm_contact(&mut b, &sent, &code).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(b.get("/").await.status, 200);

    // A new browser: the challenge sends a fresh email code by itself.
    let mut other = h.browser();
    other.login(&user.username, &user.password).await;
    let challenge = other.get("/_mfa/").await;
    assert!(
        challenge.body.contains("j•••@example.com"),
        "{}",
        challenge.body
    );
    // Just sent: "Resend code" is shown disabled with the wait in words; the working button
    // takes its place when the wait is over (gateway.css, class resend-in-N).
    let text = challenge.text();
    assert!(
        text.contains("disabled aria-describedby=\"resend-wait\">Resend code</button>"),
        "{text}"
    );
    assert!(text.contains("You can ask for a new code in "), "{text}");
    assert!(text.contains("<div class=\"resend resend-in-"), "{text}");
    assert!(text.contains("Codes come from <strong>no-reply@connectmls.com</strong>."));
    let (code2, _) = email_code(&smtp, 1);
    // The enrollment code is single use: it cannot release this login.
    let reuse = post(&mut other, "/_mfa/verify", &[("code", &code)]).await;
    assert_ne!(reuse.status, 303);
    let ok = post(&mut other, "/_mfa/verify", &[("code", &code2)]).await;
    assert_eq!(ok.status, 303, "{}", ok.body);

    let log = h.log();
    for secret in [&code, &code2, &user.email] {
        assert!(
            !log.contains(secret.as_str()),
            "{secret} leaked into the log"
        );
    }
}

#[tokio::test]
async fn text_codes_through_a_twilio_shaped_provider() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let options = GatewayOptions {
        methods: vec!["app".into(), "text".into()],
        twilio_base_url: Some(sms.base_url()),
        ..GatewayOptions::default()
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let sent = choose(&mut b, "text").await;
    assert!(sent.body.contains("(•••) •••-0142"), "{}", sent.body);
    assert!(
        sent.body.contains("(833) 697-2963"),
        "sender number to unblock (FAQ)"
    );
    let (code, form) = text_code(&sms, 0).await;
    assert_eq!(form["To"], user.mobile);
    assert_eq!(form["From"], "+18336972963");
    let done = confirm_contact(&mut b, &sent, &code).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let log = h.log();
    assert!(
        !log.contains(&code) && !log.contains(&user.mobile),
        "code or number in the log"
    );
}

#[tokio::test]
async fn provider_failure_is_explained_and_another_method_offered() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    sms.reply_with(
        500,
        "application/json",
        r#"{"code":20500,"message":"Internal Server Error"}"#,
    );
    let options = GatewayOptions {
        methods: vec!["app".into(), "text".into()],
        twilio_base_url: Some(sms.base_url()),
        ..GatewayOptions::default()
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut first = h.browser();
    let (mut enrolled, _) = enroll_app(&mut first, &user, THIRTY_DAYS).await;
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let switched = post(&mut b, "/_mfa/method", &[("method", "text")]).await;
    assert!(
        switched.text().contains("could not send"),
        "{}",
        switched.body
    );
    assert!(
        switched.body.contains("value=\"app\""),
        "the app is offered instead"
    );
    let back = post(&mut b, "/_mfa/method", &[("method", "app")]).await;
    assert_eq!(back.status, 200);
    let code = enrolled.fresh_code().await;
    assert_eq!(
        post(&mut b, "/_mfa/verify", &[("code", &code)])
            .await
            .status,
        303
    );
}

#[tokio::test]
async fn try_another_method_switches_app_email_text_in_one_login() {
    let Some(smtp) = smtp() else { return };
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let options = GatewayOptions {
        methods: all_methods(),
        smtp_port: Some(smtp.port()),
        twilio_base_url: Some(sms.base_url()),
        ..GatewayOptions::default()
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    let user = h.user(1).clone();
    let mut first = h.browser();
    let mut page = first.login(&user.username, &user.password).await;
    page = first.follow(page).await;
    let csrf = page.input_value("csrf").unwrap();
    let app_page = first
        .post_form("/_mfa/enroll", &[("csrf", &csrf), ("method", "app")])
        .await;
    let secret = crate::common::totp::secret_from_uri(&app_page.otpauth_uri().unwrap());
    let code = crate::common::totp::code_at_step(&secret, crate::common::totp::current_step());
    let remember = THIRTY_DAYS.to_string();
    let done = first
        .post_form(
            "/_mfa/enroll/app",
            &[("csrf", &csrf), ("code", &code), ("remember", &remember)],
        )
        .await;
    assert_eq!(done.status, 303);

    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let challenge = b.get("/_mfa/").await;
    assert!(
        challenge.body.contains("authenticator app") || challenge.body.contains("Authenticator")
    );
    let email = post(&mut b, "/_mfa/method", &[("method", "email")]).await;
    assert!(email.body.contains("a•••@example.com"), "{}", email.body);
    email_code(&smtp, 0);
    let text = post(&mut b, "/_mfa/method", &[("method", "text")]).await;
    assert!(text.body.contains("•••-0187"), "{}", text.body);
    let (code, _) = text_code(&sms, 0).await;
    let ok = post(&mut b, "/_mfa/verify", &[("code", &code)]).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
}

#[tokio::test]
async fn expired_codes_resend_replaces_the_old_code_and_is_throttled() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let options = GatewayOptions {
        methods: vec!["text".into()],
        twilio_base_url: Some(sms.base_url()),
        code_ttl: "2s".into(),
        ..GatewayOptions::default()
    };
    let Some(h) = Harness::start_or_skip(options).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let sent = b.get("/_mfa/").await;
    assert!(
        sent.body.contains("•••-0142"),
        "text is the only method: sent straight away: {}",
        sent.body
    );
    let (first_code, _) = text_code(&sms, 0).await;

    // Resend right away is throttled.
    let early = post(&mut b, "/_mfa/resend", &[]).await;
    assert!(
        early.text().contains("ask for a new code in"),
        "{}",
        early.body
    );

    assert_eq!(sms.requests().len(), 1);

    // After the TTL the code is refused as expired.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let page = b.get("/_mfa/").await;
    let expired = confirm_contact(&mut b, &page, &first_code).await;
    assert!(expired.body.contains("expired"), "{}", expired.body);

    // Once the resend interval has passed, a resend sends a new code; the old one stays dead.
    // (Polls the resend until the 30 s interval is over: a correctness wait, bounded at 60 s.)
    let started = std::time::Instant::now();
    let resent = loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let resp = post(&mut b, "/_mfa/resend", &[]).await;
        if sms.requests().len() == 2 {
            break resp;
        }
        assert!(
            resp.text().contains("ask for a new code in"),
            "{}",
            resp.body
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "resend never allowed again"
        );
    };
    assert!(sms.requests().len() == 2, "{}", resent.body);
    let (new_code, _) = text_code(&sms, 1).await;
    assert_ne!(new_code, first_code);
    let page = b.get("/_mfa/").await;
    assert_ne!(
        confirm_contact(&mut b, &page, &first_code).await.status,
        303
    );
    let page = b.get("/_mfa/").await;
    let ok = confirm_contact(&mut b, &page, &new_code).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
}

#[path = "flow_codes_roster_cases.rs"]
mod roster;
