//! Set-up proves the contact on file (`mfa.enrollment.verify_contact`), the roster is the member
//! list (`mfa.enrollment.allow_unlisted`), and a replaced method is announced by email. Oracle:
//! what the demo site saw (`site_saw_session_of`), the mail the real SMTP receiver got, the
//! texts the Twilio-shaped provider got, and the audit log.
//!
//! The roster-as-member-list cases are in the child module `suites/enrollment_policy_roster_cases.rs`,
//! the change notice in `suites/enrollment_policy_notice_cases.rs`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{
    totp, Browser, GatewayOptions, Harness, Resp, THIRTY_DAYS, TWILIO_SID, TWILIO_TOKEN,
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

/// The first run of exactly six digits in `text`.
fn six_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|i| {
        let run = &bytes[i..i + 6];
        let before = i.checked_sub(1).is_some_and(|j| bytes[j].is_ascii_digit());
        let after = bytes.get(i + 6).is_some_and(u8::is_ascii_digit);
        (run.iter().all(u8::is_ascii_digit) && !before && !after)
            .then(|| String::from_utf8_lossy(run).into_owned())
    })
}

/// The `n`-th email (waits for it), parsed, with its plain-text body.
fn nth_mail(smtp: &SmtpReceiver, n: usize) -> (Mail, String) {
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
    (mail, body)
}

fn email_code(smtp: &SmtpReceiver, n: usize) -> String {
    six_digits(&nth_mail(smtp, n).1).expect("a 6-digit code in the email")
}

async fn text_code(sms: &FakeSmsProvider, n: usize) -> String {
    for _ in 0..200 {
        if let Some(req) = sms.requests().get(n) {
            return six_digits(&req.form()["Body"]).expect("code in the text");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("text #{n} did not arrive");
}

fn proof_options(smtp: &SmtpReceiver) -> GatewayOptions {
    GatewayOptions {
        methods: vec!["app".into(), "email".into()],
        smtp_port: Some(smtp.port()),
        // The product default with a roster and email enabled.
        verify_contact: None,
        admin: true,
        ..GatewayOptions::default()
    }
}

fn audit(h: &Harness) -> Vec<Value> {
    std::fs::read_to_string(h.audit_path())
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn audited(h: &Harness, event: &str, user: &str) -> Vec<Value> {
    audit(h)
        .into_iter()
        .filter(|e| e["event"] == event && e["user"] == user)
        .collect()
}

async fn csrf(b: &mut Browser) -> String {
    let page = b.get("/_mfa/").await;
    page.input_value("csrf")
        .unwrap_or_else(|| panic!("no csrf: {}", page.body))
}

fn assert_not_released(resp: &Resp, h: &Harness) {
    assert_ne!(resp.status, 303, "released? {resp:?}");
    assert!(
        !resp
            .set_cookies
            .iter()
            .any(|c| c.starts_with(h.session_cookie())),
        "upstream session cookie leaked: {:?}",
        resp.set_cookies
    );
}

/// With the login held: choose the app, prove the emailed code (`mail_index`-th email), scan
/// the QR and confirm; returns the secret and the release.
async fn enroll_app_with_email_proof(
    h: &Harness,
    b: &mut Browser,
    smtp: &SmtpReceiver,
    mail_index: usize,
) -> (Vec<u8>, Resp) {
    let token = csrf(b).await;
    let proof = b
        .post_form("/_mfa/enroll", &[("csrf", &token), ("method", "app")])
        .await;
    assert_eq!(proof.status, 200, "{}", proof.body);
    assert!(proof.otpauth_uri().is_none(), "QR before the proof");
    assert!(
        proof
            .text()
            .contains("Before you set up an authenticator app"),
        "{}",
        proof.body
    );
    let code = email_code(smtp, mail_index);
    let token = proof.input_value("csrf").unwrap();
    let remember = THIRTY_DAYS.to_string();
    let qr = b
        .post_form(
            "/_mfa/enroll/contact",
            &[("csrf", &token), ("code", &code), ("remember", &remember)],
        )
        .await;
    let uri = qr
        .otpauth_uri()
        .unwrap_or_else(|| panic!("no QR after the proof: {}", qr.body));
    assert!(!h.site_saw_session_of("jdoe") || mail_index > 0);
    let secret = totp::secret_from_uri(&uri);
    let token = qr.input_value("csrf").unwrap();
    let code = totp::code_at_step(&secret, totp::current_step());
    let done = b
        .post_form(
            "/_mfa/enroll/app",
            &[("csrf", &token), ("code", &code), ("remember", &remember)],
        )
        .await;
    (secret, done)
}

#[tokio::test]
async fn the_app_is_registered_only_after_the_emailed_code() {
    let Some(smtp) = smtp() else { return };
    let h = Harness::start(proof_options(&smtp)).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    assert_eq!(b.login(&user.username, &user.password).await.status, 303);

    // Straight to the app's confirmation, no proof: refused, nothing released or saved.
    let token = csrf(&mut b).await;
    let direct = b
        .post_form(
            "/_mfa/enroll/app",
            &[
                ("csrf", &token),
                ("code", "123456"),
                ("remember", "2592000"),
            ],
        )
        .await;
    assert_eq!(direct.status, 403, "{}", direct.body);
    assert!(
        direct.text().contains("confirm it's you"),
        "{}",
        direct.body
    );
    assert_not_released(&direct, &h);

    // Choosing the app sends the proof code first; a wrong one does not open the QR.
    let token = csrf(&mut b).await;
    let proof = b
        .post_form("/_mfa/enroll", &[("csrf", &token), ("method", "app")])
        .await;
    assert!(proof.otpauth_uri().is_none());
    let code = email_code(&smtp, 0);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let token = proof.input_value("csrf").unwrap();
    let refused = b
        .post_form(
            "/_mfa/enroll/contact",
            &[("csrf", &token), ("code", wrong), ("remember", "2592000")],
        )
        .await;
    assert!(refused.otpauth_uri().is_none(), "{}", refused.body);
    assert!(refused.text().contains("didn't work"), "{}", refused.body);
    // Still no QR on a fresh GET, and posting the app code is still refused.
    let again = b.get("/_mfa/").await;
    assert!(again.otpauth_uri().is_none(), "{}", again.body);
    let token = again.input_value("csrf").unwrap();
    let direct = b
        .post_form(
            "/_mfa/enroll/app",
            &[
                ("csrf", &token),
                ("code", "123456"),
                ("remember", "2592000"),
            ],
        )
        .await;
    assert_eq!(direct.status, 403);
    assert!(!h.site_saw_session_of(&user.username));

    // The right code opens the QR; the app's code finishes set-up.
    let token = again.input_value("csrf").unwrap();
    let qr = b
        .post_form(
            "/_mfa/enroll/contact",
            &[("csrf", &token), ("code", &code), ("remember", "2592000")],
        )
        .await;
    let secret = totp::secret_from_uri(&qr.otpauth_uri().expect("QR after the proof"));
    assert!(!h.site_saw_session_of(&user.username));
    let token = qr.input_value("csrf").unwrap();
    let done = b
        .post_form(
            "/_mfa/enroll/app",
            &[
                ("csrf", &token),
                ("code", &totp::code_at_step(&secret, totp::current_step())),
                ("remember", "2592000"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(h.signed_in(&mut b).await);
    assert!(h.site_saw_session_of(&user.username));
    // A first set-up sends no change notice: the one email is the proof code.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(audited(&h, "enrollment_proof_missing", "jdoe").len(), 2);
    assert_eq!(audited(&h, "contact_proven", "jdoe").len(), 1);
}

#[tokio::test]
async fn choosing_email_needs_no_second_code() {
    let Some(smtp) = smtp() else { return };
    let h = Harness::start(proof_options(&smtp)).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let token = csrf(&mut b).await;
    let page = b
        .post_form("/_mfa/enroll", &[("csrf", &token), ("method", "email")])
        .await;
    let token = page.input_value("csrf").unwrap();
    let done = b
        .post_form(
            "/_mfa/enroll/contact",
            &[
                ("csrf", &token),
                ("code", &email_code(&smtp, 0)),
                ("remember", "2592000"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(h.signed_in(&mut b).await);
    assert_eq!(smtp.messages().len(), 1);
}

async fn api_login(b: &mut Browser, user: &str, password: &str) -> Resp {
    b.post_json(
        "/api/login",
        &json!({ "username": user, "password": password }),
    )
    .await
}

#[tokio::test]
async fn the_api_asks_for_the_texted_proof_before_the_app() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let options = GatewayOptions {
        methods: vec!["app".into(), "text".into()],
        twilio_base_url: Some(sms.base_url()),
        verify_contact: Some(true),
        ..GatewayOptions::default()
    };
    let h = Harness::start(options).await;
    if h.legacy
        .as_ref()
        .is_some_and(|app| app.profile().api_login.is_none())
    {
        println!("SKIPPED: {} has no JSON login", h.stack_name());
        return;
    }
    let user = h.user(0).clone();
    let mut app = h.browser();
    let login = api_login(&mut app, &user.username, &user.password).await;
    assert_eq!(login.status, 401, "{}", login.body);
    let challenge = login.json()["challenge"].as_str().unwrap().to_string();
    assert_eq!(
        login.json()["contact_verification"],
        json!({ "required": true, "verified": false, "methods": ["text"] })
    );

    let enroll = app
        .post_json(
            "/_mfa/api/enroll",
            &json!({ "challenge": challenge, "method": "app" }),
        )
        .await;
    assert_eq!(enroll.status, 403, "{}", enroll.body);
    assert_eq!(enroll.json()["error"], "contact_unverified");
    assert!(enroll.json().get("otpauth_uri").is_none());
    let confirm = app
        .post_json(
            "/_mfa/api/enroll/confirm",
            &json!({ "challenge": challenge, "code": "123456" }),
        )
        .await;
    assert!(confirm.status >= 400, "{}", confirm.body);
    assert!(sms.requests().is_empty(), "no code sent yet");

    let sent = app
        .post_json(
            "/_mfa/api/enroll/contact",
            &json!({ "challenge": challenge, "method": "text" }),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.json()["sent"], true);
    let code = text_code(&sms, 0).await;
    let proven = app
        .post_json(
            "/_mfa/api/enroll/contact",
            &json!({ "challenge": challenge, "code": code }),
        )
        .await;
    assert_eq!(proven.status, 200, "{}", proven.body);
    assert_eq!(proven.json()["contact_verified"], true);
    // Single use: the same code proves nothing twice (and the login is already proven).
    let start = app
        .post_json(
            "/_mfa/api/enroll",
            &json!({ "challenge": challenge, "method": "app" }),
        )
        .await;
    assert_eq!(start.status, 200, "{}", start.body);
    let secret = totp::secret_from_uri(start.json()["otpauth_uri"].as_str().unwrap());
    assert!(!h.site_saw_session_of(&user.username));
    let done = app
        .post_json(
            "/_mfa/api/enroll/confirm",
            &json!({ "challenge": challenge,
                     "code": totp::code_at_step(&secret, totp::current_step()),
                     "remember_secs": THIRTY_DAYS }),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    match &h.legacy {
        // The demo site's JSON login answers with a token, released now.
        None => assert!(done.json()["token"].as_str().is_some_and(|t| !t.is_empty())),
        // A zoo app's JSON login answers with its session cookie: the app now knows the member.
        Some(_) => assert!(h.signed_in(&mut app).await, "{}", done.body),
    }
}

#[path = "enrollment_policy_notice_cases.rs"]
mod notice;

#[path = "enrollment_policy_roster_cases.rs"]
mod roster;
