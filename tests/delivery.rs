//! Code delivery against real network peers: an SMTP server (aiosmtpd) that stores what it
//! receives, a refusing SMTP server, a local Twilio-compatible API, a JSON webhook, and the
//! demo outbox. Each test checks what the member would receive and that failures explain
//! themselves without leaking the code or the full destination.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use mfa_gateway::config::{
    Branding, EmailConfig, EmailTransport, Mode, SmsConfig, SmsProvider, SmtpSecurity,
};
use mfa_gateway::delivery::{email_sender, sms_sender, CodeMessage, DeliveryError};

use support::mail::Mail;
use support::sms_provider::FakeSmsProvider;
use support::smtp_receiver::{free_port, start_refusing_smtp, SmtpReceiver};

const FROM: &str = "SmartMLS <no-reply@connectmls.com>";
const SUBJECT: &str = "Your SmartMLS verification code";
const MEMBER_EMAIL: &str = "jdoe@example.com";
const MEMBER_PHONE: &str = "+12035550142";
const SMS_FROM: &str = "+18336972963";
const CODE: &str = "482913";
const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
const TWILIO_TOKEN: &str = "test-auth-token";

fn branding() -> Branding {
    Branding {
        name: "SmartMLS".into(),
        support_email: "support@smartmls.com".into(),
        support_phone: "(203) 750-6000".into(),
        support_hours: "Monday-Thursday 8:30am-7:00pm".into(),
        roster_update_url: None,
        primary_color: "#005a9c".into(),
        logo: None,
    }
}

fn code_for(to: &str) -> CodeMessage {
    CodeMessage {
        to: to.into(),
        code: CODE.into(),
        valid_for: Duration::from_secs(300),
        member_name: Some("Zoë Doe".into()),
    }
}

fn smtp_config(port: u16, timeout: Duration) -> EmailConfig {
    EmailConfig {
        transport: EmailTransport::Smtp {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            timeout,
        },
        from: FROM.into(),
        subject: SUBJECT.into(),
    }
}

fn sms_config(provider: SmsProvider) -> SmsConfig {
    SmsConfig {
        provider,
        from: SMS_FROM.into(),
        timeout: Duration::from_secs(5),
    }
}

fn twilio_config(base_url: String) -> SmsConfig {
    sms_config(SmsProvider::Twilio {
        base_url,
        account_sid: TWILIO_SID.into(),
        auth_token: TWILIO_TOKEN.into(),
    })
}

/// An error's text must explain the failure without the code or the full destination.
fn assert_discreet(error: &DeliveryError, destination: &str) {
    let text = error.to_string();
    assert!(!text.contains(CODE), "code leaked: {text}");
    assert!(
        !text
            .to_ascii_lowercase()
            .contains(&destination.to_ascii_lowercase()),
        "destination leaked: {text}"
    );
    assert!(!text.contains("2035550142"), "phone leaked: {text}");
    let debug = format!("{error:?}");
    assert!(
        !debug.contains(CODE) && !debug.contains("2035550142"),
        "leak in debug: {debug}"
    );
}

#[tokio::test]
async fn smtp_delivers_a_code_email_to_a_real_receiver() {
    let Some(receiver) = SmtpReceiver::start() else {
        return;
    };
    let sender = email_sender(
        &smtp_config(receiver.port(), Duration::from_secs(10)),
        &branding(),
        Mode::Production,
    )
    .expect("smtp sender");
    assert_eq!(sender.provider(), "smtp");

    sender
        .send(&code_for(MEMBER_EMAIL))
        .await
        .expect("delivered");

    let mail = Mail::parse(&receiver.wait_for_message(Duration::from_secs(10)));
    assert_eq!(mail.header("From"), Some(FROM));
    assert_eq!(mail.header("To"), Some(MEMBER_EMAIL));
    assert_eq!(mail.header("Subject"), Some(SUBJECT));
    assert_eq!(
        mail.header("X-MailFrom"),
        Some("no-reply@connectmls.com"),
        "envelope sender"
    );
    assert_eq!(
        mail.header("X-RcptTo"),
        Some(MEMBER_EMAIL),
        "envelope recipient"
    );
    let date = mail.header("Date").expect("Date header");
    let sent = chrono::DateTime::parse_from_rfc2822(date).expect("RFC 2822 date");
    assert!(
        (chrono::Utc::now() - sent.to_utc()).num_seconds().abs() < 60,
        "date {date}"
    );
    let message_id = mail.header("Message-ID").expect("Message-ID header");
    assert!(
        message_id.starts_with('<') && message_id.ends_with("@connectmls.com>"),
        "{message_id}"
    );
    assert!(mail
        .header("Content-Type")
        .expect("content type")
        .starts_with("multipart/alternative"));

    let plain = mail.part_text("text/plain").expect("plain-text part");
    let html = mail.part_text("text/html").expect("html part");
    for body in [&plain, &html] {
        assert!(body.contains(CODE), "{body}");
        assert!(body.contains("This code is good for 5 minutes."), "{body}");
        assert!(
            body.contains("If you did not try to sign in to SmartMLS"),
            "{body}"
        );
        assert!(
            body.contains("support@smartmls.com") && body.contains("(203) 750-6000"),
            "{body}"
        );
        assert!(body.contains("Zoë Doe"), "{body}");
    }
    assert!(html.contains("mailto:support@smartmls.com"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("<img"),
        "{html}"
    );
    assert_eq!(receiver.message_count(), 1);
}

#[tokio::test]
async fn smtp_refuses_an_address_that_is_not_one() {
    let Some(receiver) = SmtpReceiver::start() else {
        return;
    };
    let sender = email_sender(
        &smtp_config(receiver.port(), Duration::from_secs(10)),
        &branding(),
        Mode::Production,
    )
    .expect("smtp sender");
    let error = sender
        .send(&code_for("jdoe at example.com"))
        .await
        .expect_err("invalid address");
    assert!(
        matches!(
            error,
            DeliveryError::InvalidDestination {
                provider: "smtp",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(receiver.message_count(), 0);
}

#[tokio::test]
async fn smtp_server_not_listening_is_unreachable_quickly() {
    let port = free_port();
    let sender = email_sender(
        &smtp_config(port, Duration::from_secs(2)),
        &branding(),
        Mode::Production,
    )
    .expect("smtp sender");
    let started = Instant::now();
    let error = sender
        .send(&code_for(MEMBER_EMAIL))
        .await
        .expect_err("nobody listens");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            error,
            DeliveryError::Unreachable {
                provider: "smtp",
                ..
            }
        ),
        "{error:?}"
    );
    assert_discreet(&error, MEMBER_EMAIL);
}

#[tokio::test]
async fn smtp_refusal_keeps_the_reply_code_and_scrubs_the_echoed_recipient() {
    let port = start_refusing_smtp(
        "550 5.1.1 <jdoe@example.com>: Recipient address rejected (ref 482913)",
    )
    .await;
    let sender = email_sender(
        &smtp_config(port, Duration::from_secs(5)),
        &branding(),
        Mode::Production,
    )
    .expect("smtp sender");
    let error = sender
        .send(&code_for(MEMBER_EMAIL))
        .await
        .expect_err("refused");
    match &error {
        DeliveryError::Rejected {
            provider: "smtp",
            status: Some(550),
            detail,
        } => {
            assert!(
                detail.contains("Recipient address rejected")
                    && detail.contains("j•••@example.com"),
                "{detail}"
            );
        }
        other => panic!("expected a 550 rejection, got {other:?}"),
    }
    assert_discreet(&error, MEMBER_EMAIL);
}

#[tokio::test]
async fn twilio_receives_form_fields_with_basic_auth() {
    let provider = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let sender = sms_sender(
        &twilio_config(provider.base_url()),
        &branding(),
        Mode::Production,
    )
    .expect("sender");
    assert_eq!(sender.provider(), "twilio");

    // A roster number in national format goes out as E.164.
    sender
        .send(&code_for("(203) 555-0142"))
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
    let sender = sms_sender(
        &twilio_config(provider.base_url()),
        &branding(),
        Mode::Production,
    )
    .expect("sender");
    let error = sender.send(&code_for(MEMBER_PHONE)).await.expect_err("401");
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
        r#"{"code":21211,"message":"The 'To' number +12035550142 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}"#,
    );
    let sender = sms_sender(
        &twilio_config(provider.base_url()),
        &branding(),
        Mode::Production,
    )
    .expect("sender");
    let error = sender.send(&code_for(MEMBER_PHONE)).await.expect_err("400");
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
    let sender = sms_sender(
        &twilio_config(provider.base_url()),
        &branding(),
        Mode::Production,
    )
    .expect("sender");
    let error = sender.send(&code_for(MEMBER_PHONE)).await.expect_err("500");
    assert!(
        matches!(&error, DeliveryError::Rejected { provider: "twilio", status: Some(500), detail } if detail == "HTTP 500 Internal Server Error"),
        "{error:?}"
    );
    assert_discreet(&error, MEMBER_PHONE);
}

#[tokio::test]
async fn sms_provider_not_listening_is_unreachable() {
    let base_url = format!("http://127.0.0.1:{}", free_port());
    let sender =
        sms_sender(&twilio_config(base_url), &branding(), Mode::Production).expect("sender");
    let error = sender
        .send(&code_for(MEMBER_PHONE))
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
    let sender = sms_sender(
        &twilio_config(provider.base_url()),
        &branding(),
        Mode::Production,
    )
    .expect("sender");
    let error = sender
        .send(&code_for(MEMBER_EMAIL))
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
    let sender = sms_sender(&config, &branding(), Mode::Production).expect("sender");
    assert_eq!(sender.provider(), "webhook");

    sender
        .send(&code_for(MEMBER_PHONE))
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
    let sender = sms_sender(&config, &branding(), Mode::Production).expect("sender");
    sender
        .send(&code_for(MEMBER_PHONE))
        .await
        .expect("delivered");
    assert_eq!(provider.requests()[0].authorization, None);

    provider.reply_with(
        503,
        "application/json",
        r#"{"error":"carrier down for +12035550142"}"#,
    );
    let error = sender.send(&code_for(MEMBER_PHONE)).await.expect_err("503");
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

#[tokio::test]
async fn outbox_is_refused_in_production() {
    let dir = tempfile::tempdir().expect("tempdir");
    let email = EmailConfig {
        transport: EmailTransport::Outbox {
            dir: dir.path().to_path_buf(),
        },
        from: FROM.into(),
        subject: SUBJECT.into(),
    };
    let text = sms_config(SmsProvider::Outbox {
        dir: dir.path().to_path_buf(),
    });
    assert!(matches!(
        email_sender(&email, &branding(), Mode::Production),
        Err(DeliveryError::Misconfigured(_))
    ));
    assert!(matches!(
        sms_sender(&text, &branding(), Mode::Production),
        Err(DeliveryError::Misconfigured(_))
    ));
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

#[tokio::test]
async fn outbox_writes_one_file_per_message_in_demo_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = dir.path().join("outbox");
    let email = EmailConfig {
        transport: EmailTransport::Outbox {
            dir: outbox.clone(),
        },
        from: FROM.into(),
        subject: SUBJECT.into(),
    };
    let text = sms_config(SmsProvider::Outbox {
        dir: outbox.clone(),
    });
    let email_sender = email_sender(&email, &branding(), Mode::Demo).expect("email outbox");
    let text_sender = sms_sender(&text, &branding(), Mode::Demo).expect("text outbox");
    assert_eq!(email_sender.provider(), "outbox");

    email_sender
        .send(&code_for(MEMBER_EMAIL))
        .await
        .expect("email written");
    text_sender
        .send(&code_for("203-555-0142"))
        .await
        .expect("text written");

    let email_file = single_file_ending(&outbox, "-email.txt");
    assert!(
        email_file.contains(&format!("To: {MEMBER_EMAIL}")),
        "{email_file}"
    );
    assert!(
        email_file.contains(&format!("Subject: {SUBJECT}")),
        "{email_file}"
    );
    assert!(
        email_file.contains(CODE) && email_file.contains("This code is good for 5 minutes."),
        "{email_file}"
    );
    let text_file = single_file_ending(&outbox, "-text.txt");
    assert!(
        text_file.contains(&format!("To: {MEMBER_PHONE}")),
        "{text_file}"
    );
    assert!(
        text_file.contains("SmartMLS code: 482913. Valid 5 minutes."),
        "{text_file}"
    );

    let error = text_sender
        .send(&code_for("not a number"))
        .await
        .expect_err("invalid destination");
    assert!(
        matches!(
            error,
            DeliveryError::InvalidDestination {
                provider: "outbox",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(std::fs::read_dir(&outbox).expect("outbox").count(), 2);
}

/// The 6-digit code in a text message body.
fn extract_code(body: &str) -> Option<String> {
    body.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .map(str::to_string)
}

fn single_file_ending(dir: &Path, suffix: &str) -> String {
    let matching: Vec<_> = std::fs::read_dir(dir)
        .expect("outbox dir")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(matching.len(), 1, "files ending {suffix}: {matching:?}");
    std::fs::read_to_string(&matching[0]).expect("read outbox file")
}
