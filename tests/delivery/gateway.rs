//! Through the real gateway: a code goes out in the language the member reads at the moment it
//! is sent, and a text the provider refused uses up neither the resend wait nor one of the
//! member's sends, and the page says only that it failed (issue 16, point 4).

use serde_json::json;

use crate::common::{
    Browser, GatewayOptions, Harness, Resp, THIRTY_DAYS, TWILIO_SID, TWILIO_TOKEN,
};
use crate::support::sms_provider::FakeSmsProvider;

/// What Twilio answers when it accepted a message.
const ACCEPTED: &str = r#"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"}"#;
/// What it answers when it is down.
const DOWN: &str = r#"{"code":20500,"message":"Internal Server Error"}"#;

fn options(sms: &FakeSmsProvider) -> GatewayOptions {
    GatewayOptions {
        methods: vec!["app".into(), "text".into()],
        twilio_base_url: Some(sms.base_url()),
        ..GatewayOptions::default()
    }
}

/// The code in the `n`-th text the provider received.
fn text(sms: &FakeSmsProvider, n: usize) -> String {
    sms.requests()[n].form()["Body"].clone()
}

/// The first run of exactly six digits.
fn six_digits(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text:?}"))
        .to_string()
}

/// Set-up: chooses the text method on the choice page.
async fn choose_text(b: &mut Browser) -> Resp {
    let page = b.get("/_mfa/").await;
    let csrf = page.input_value("csrf").expect("csrf on the choice page");
    b.post_form("/_mfa/enroll", &[("csrf", &csrf), ("method", "text")])
        .await
}

/// "Resend code" (or "Send code") from `page`.
async fn resend(b: &mut Browser, page: &Resp) -> Resp {
    let csrf = page.input_value("csrf").expect("csrf");
    b.post_form("/_mfa/resend", &[("csrf", &csrf)]).await
}

/// The page after a failed send: the failure, and nothing that says a code went out or makes
/// the member wait before trying again.
fn assert_only_the_failure(page: &Resp) {
    assert_eq!(page.status, 200, "{}", page.body);
    let text = page.text();
    assert!(
        page.body.contains("role=\"alert\""),
        "the failure is shown: {text}"
    );
    assert!(!text.contains("We sent"), "no code went out: {text}");
    assert!(
        text.contains("action=\"/_mfa/resend\"") && !text.contains("id=\"resend-wait\""),
        "sending again is possible right away: {text}"
    );
}

#[tokio::test]
async fn a_text_the_provider_refused_leaves_no_wait_and_uses_no_send() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    sms.reply_with(500, "application/json", DOWN);
    let Some(h) = Harness::start_or_skip(options(&sms)).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;

    let failed = choose_text(&mut b).await;
    assert_only_the_failure(&failed);
    // More failures in a row than the member's sends per window (5): none waits, none counts.
    for _ in 0..6 {
        assert_only_the_failure(&resend(&mut b, &failed).await);
    }
    assert_eq!(sms.requests().len(), 7);

    // The provider is back: the next "Send code" goes out at once, and only now the page says
    // a code was sent and the resend wait starts.
    sms.reply_with(201, "application/json", ACCEPTED);
    let sent = resend(&mut b, &failed).await;
    assert_eq!(sms.requests().len(), 8);
    assert!(sent.text().contains("We sent"), "{}", sent.body);
    assert!(!sent.body.contains("role=\"alert\""), "{}", sent.body);
    assert!(sent.body.contains("id=\"resend-wait\""), "{}", sent.body);
    let too_soon = resend(&mut b, &sent).await;
    assert!(
        too_soon.body.contains("id=\"resend-wait\""),
        "{}",
        too_soon.body
    );
    assert_eq!(sms.requests().len(), 8, "the wait holds after a sent code");

    let code = six_digits(&text(&sms, 7));
    let csrf = sent.input_value("csrf").expect("csrf");
    let remember = THIRTY_DAYS.to_string();
    let done = b
        .post_form(
            "/_mfa/enroll/contact",
            &[("csrf", &csrf), ("code", &code), ("remember", &remember)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
}

#[tokio::test]
async fn a_code_is_written_in_the_language_the_member_reads_when_it_is_sent() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let Some(h) = Harness::start_or_skip(options(&sms)).await else {
        return;
    };

    // A member who switched to Spanish gets the Spanish text, and its code works.
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    b.get("/_mfa/lang/es").await;
    let sent = choose_text(&mut b).await;
    assert!(sent.body.contains("lang=\"es\""), "{}", sent.body);
    let body = text(&sms, 0);
    assert!(body.starts_with("Código de SmartMLS: "), "{body}");
    assert!(
        body.ends_with(". Vence en 5 minutos. No lo comparta."),
        "{body}"
    );
    let csrf = sent.input_value("csrf").expect("csrf");
    let remember = THIRTY_DAYS.to_string();
    let done = b
        .post_form(
            "/_mfa/enroll/contact",
            &[
                ("csrf", &csrf),
                ("code", &six_digits(&body)),
                ("remember", &remember),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);

    // The language is the one of the request that sends: Spanish when the send failed, then
    // English when the member switched back and sent again.
    sms.reply_with(500, "application/json", DOWN);
    let other = h.user(1).clone();
    let mut b = h.browser();
    b.login(&other.username, &other.password).await;
    b.get("/_mfa/lang/es").await;
    let failed = choose_text(&mut b).await;
    assert!(failed.body.contains("lang=\"es\""), "{}", failed.body);
    b.get("/_mfa/lang/en").await;
    sms.reply_with(201, "application/json", ACCEPTED);
    resend(&mut b, &failed).await;
    let body = text(&sms, 2);
    assert!(body.starts_with("SmartMLS code: "), "{body}");
}

#[tokio::test]
async fn the_json_api_sends_in_the_clients_language_and_a_refusal_costs_nothing() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    sms.reply_with(500, "application/json", DOWN);
    let Some(h) = Harness::start_or_skip(options(&sms)).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut app = h.browser();
    // The pages' language cookie counts for the API too (else `Accept-Language`).
    app.get("/_mfa/lang/es").await;
    let login = app
        .post_json(
            "/api/login",
            &json!({ "username": user.username, "password": user.password }),
        )
        .await;
    assert_eq!(login.status, 401, "{}", login.body);
    let challenge = login.json()["challenge"]
        .as_str()
        .expect("challenge")
        .to_string();
    let send = json!({ "challenge": challenge, "method": "text" });
    for _ in 0..2 {
        let failed = app.post_json("/_mfa/api/send", &send).await;
        assert_eq!(failed.status, 502, "{}", failed.body);
        assert_eq!(failed.json()["error"], "delivery_failed");
    }
    sms.reply_with(201, "application/json", ACCEPTED);
    let sent = app.post_json("/_mfa/api/send", &send).await;
    assert_eq!(
        sent.status, 200,
        "not throttled by the failures: {}",
        sent.body
    );
    assert!(
        text(&sms, 2).starts_with("Código de SmartMLS: "),
        "{}",
        text(&sms, 2)
    );
    let again = app.post_json("/_mfa/api/send", &send).await;
    assert_eq!(again.status, 429, "{}", again.body);
}

/// Review of issue 16's point 4: refused sends give back the wait and the send, but only up to
/// `FAILED_SENDS_PER_WINDOW` (10) per member and window. Past that a refused send keeps its
/// wait, so a provider that keeps failing is not called on every press of "Send code".
#[tokio::test]
async fn a_provider_that_keeps_refusing_is_not_called_without_limit() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    sms.reply_with(500, "application/json", DOWN);
    let Some(h) = Harness::start_or_skip(options(&sms)).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let failed = choose_text(&mut b).await;
    assert_only_the_failure(&failed);
    for _ in 0..9 {
        assert_only_the_failure(&resend(&mut b, &failed).await);
    }
    assert_eq!(sms.requests().len(), 10);
    // The 11th refused send is past the allowance: it keeps its wait.
    let past = resend(&mut b, &failed).await;
    assert_eq!(sms.requests().len(), 11);
    assert!(past.body.contains("id=\"resend-wait\""), "{}", past.body);
    let held_back = resend(&mut b, &failed).await;
    assert!(
        held_back.body.contains("id=\"resend-wait\""),
        "{}",
        held_back.body
    );
    assert_eq!(
        sms.requests().len(),
        11,
        "no provider call while the wait runs"
    );
}
