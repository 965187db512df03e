//! Text codes through a Twilio-compatible Messages API and a generic JSON webhook.

use mfa_gateway::config::{Mode, SmsProvider};
use mfa_gateway::delivery::{sms_sender, DeliveryError};
use mfa_gateway::pages::Lang;

use super::support::sms_provider::FakeSmsProvider;
use super::support::smtp_receiver::free_port;
use super::{
    assert_discreet, code_message, sms_config, text_for, twilio_config, CODE, MEMBER_EMAIL,
    MEMBER_PHONE, SMS_FROM, TWILIO_SID, TWILIO_TOKEN,
};

#[tokio::test]
async fn twilio_receives_form_fields_with_basic_auth() {
    let provider = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let sender = sms_sender(&twilio_config(provider.base_url()), Mode::Production).expect("sender");
    assert_eq!(sender.provider(), "twilio");

    // A roster number in national format goes out as E.164.
    sender
        .send(&text_for("(203) 555-0142"))
        .await
        .expect("delivered");

    let requests = provider.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        request.path,
        format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")
    );
    assert_eq!(
        request.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let form = request.form();
    assert_eq!(form.get("To").map(String::as_str), Some(MEMBER_PHONE));
    assert_eq!(form.get("From").map(String::as_str), Some(SMS_FROM));
    let body = form.get("Body").expect("Body field");
    assert_eq!(extract_code(body).as_deref(), Some(CODE), "{body}");
    assert_eq!(
        body,
        "SmartMLS code: 482913. Valid 5 minutes. Don't share it."
    );
    assert!(body.chars().count() <= 160);
}

#[tokio::test]
async fn twilio_wrong_credentials_are_a_rejection() {
    let provider = FakeSmsProvider::start(TWILIO_SID, "another-token", None).await;
    let sender = sms_sender(&twilio_config(provider.base_url()), Mode::Production).expect("sender");
    let error = sender.send(&text_for(MEMBER_PHONE)).await.expect_err("401");
    match &error {
        DeliveryError::Rejected {
            provider: "twilio",
            status: Some(401),
            detail,
        } => {
            assert_eq!(detail, "Twilio error 20003: Authenticate");
        }
        other => panic!("expected a 401 rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn twilio_error_json_gives_code_and_scrubbed_message() {
    let provider = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    provider.reply_with(
        400,
        "application/json",
        serde_json::json!({
            "code": 21211,
            "message": "The 'To' number +12035550142 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        })
        .to_string(),
    );
    let sender = sms_sender(&twilio_config(provider.base_url()), Mode::Production).expect("sender");
    let error = sender.send(&text_for(MEMBER_PHONE)).await.expect_err("400");
    match &error {
        DeliveryError::Rejected {
            provider: "twilio",
            status: Some(400),
            detail,
        } => {
            assert!(
                detail.starts_with("Twilio error 21211: The 'To' number"),
                "{detail}"
            );
        }
        other => panic!("expected a 400 rejection, got {other:?}"),
    }
    assert_discreet(&error, MEMBER_PHONE);
}

#[tokio::test]
async fn twilio_server_error_never_echoes_the_body() {
    let provider = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    provider.reply_with(
        500,
        "text/plain",
        "internal error while sending 'SmartMLS code: 482913' to +12035550142",
    );
    let sender = sms_sender(&twilio_config(provider.base_url()), Mode::Production).expect("sender");
    let error = sender.send(&text_for(MEMBER_PHONE)).await.expect_err("500");
    match &error {
        DeliveryError::Rejected {
            provider: "twilio",
            status: Some(500),
            detail,
        } => {
            assert_eq!(detail, "HTTP 500 Internal Server Error");
        }
        other => panic!("expected a 500 rejection, got {other:?}"),
    }
    assert_discreet(&error, MEMBER_PHONE);
}

#[tokio::test]
async fn sms_provider_not_listening_is_unreachable() {
    let base_url = format!("http://127.0.0.1:{}", free_port());
    let sender = sms_sender(&twilio_config(base_url), Mode::Production).expect("sender");
    let error = sender
        .send(&text_for(MEMBER_PHONE))
        .await
        .expect_err("nobody listens");
    assert!(
        matches!(
            error,
            DeliveryError::Unreachable {
                provider: "twilio",
                ..
            }
        ),
        "{error:?}"
    );
    assert_discreet(&error, MEMBER_PHONE);
}

#[tokio::test]
async fn sms_refuses_a_destination_that_is_not_a_phone_number() {
    let provider = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let sender = sms_sender(&twilio_config(provider.base_url()), Mode::Production).expect("sender");
    let error = sender
        .send(&text_for(MEMBER_EMAIL))
        .await
        .expect_err("not a phone");
    assert!(
        matches!(
            error,
            DeliveryError::InvalidDestination {
                provider: "twilio",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(provider.requests().is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn webhook_receives_json_with_bearer_token() {
    let provider = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, Some("hook-token")).await;
    let config = sms_config(SmsProvider::Webhook {
        url: provider.webhook_url(),
        bearer_token: Some("hook-token".into()),
    });
    let sender = sms_sender(&config, Mode::Production).expect("sender");
    assert_eq!(sender.provider(), "webhook");

    sender
        .send(&text_for(MEMBER_PHONE))
        .await
        .expect("delivered");

    let requests = provider.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some("Bearer hook-token")
    );
    assert_eq!(
        requests[0].content_type.as_deref(),
        Some("application/json")
    );
    let json = requests[0].json();
    assert_eq!(json["to"], MEMBER_PHONE);
    assert_eq!(json["from"], SMS_FROM);
    let body = json["body"].as_str().expect("body string");
    assert_eq!(extract_code(body).as_deref(), Some(CODE), "{body}");
}

#[tokio::test]
async fn webhook_without_token_sends_no_authorization_and_reports_failures() {
    let provider = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let config = sms_config(SmsProvider::Webhook {
        url: provider.webhook_url(),
        bearer_token: None,
    });
    let sender = sms_sender(&config, Mode::Production).expect("sender");
    sender
        .send(&text_for(MEMBER_PHONE))
        .await
        .expect("delivered");
    assert_eq!(provider.requests()[0].authorization, None);

    provider.reply_with(
        503,
        "application/json",
        r#"{"error":"carrier down for +12035550142"}"#,
    );
    let error = sender.send(&text_for(MEMBER_PHONE)).await.expect_err("503");
    match &error {
        DeliveryError::Rejected {
            provider: "webhook",
            status: Some(503),
            detail,
        } => {
            assert!(detail.starts_with("carrier down for"), "{detail}");
        }
        other => panic!("expected a 503 rejection, got {other:?}"),
    }
    assert_discreet(&error, MEMBER_PHONE);
}

/// The 6-digit code in a text message body.
fn extract_code(body: &str) -> Option<String> {
    body.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .map(str::to_string)
}

#[tokio::test]
async fn huge_error_answers_are_not_buffered_or_echoed() {
    let provider = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    provider.reply_with(
        400,
        "application/json",
        format!("{{\"message\":\"{}\"}}", "x".repeat(1 << 20)),
    );
    let sender = sms_sender(&twilio_config(provider.base_url()), Mode::Production).expect("sender");
    let error = sender.send(&text_for(MEMBER_PHONE)).await.expect_err("400");
    match &error {
        DeliveryError::Rejected {
            status: Some(400),
            detail,
            ..
        } => {
            assert_eq!(detail, "HTTP 400 Bad Request");
        }
        other => panic!("expected a 400 rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn twilio_receives_the_spanish_text_as_written() {
    let provider = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let sender = sms_sender(&twilio_config(provider.base_url()), Mode::Production).expect("sender");
    sender
        .send(&code_message(MEMBER_PHONE, Lang::Es, false))
        .await
        .expect("delivered");
    let form = provider.requests()[0].form();
    assert_eq!(
        form.get("Body").map(String::as_str),
        Some("Código de SmartMLS: 482913. Vence en 5 minutos. No lo comparta.")
    );
}
