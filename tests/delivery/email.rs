//! Email codes over SMTP: a real receiver, a refusing relay, and a relay that is not there.

use std::time::{Duration, Instant};

use mfa_gateway::config::Mode;
use mfa_gateway::delivery::{email_sender, DeliveryError};
use mfa_gateway::pages::Lang;

use super::support::mail::Mail;
use super::support::smtp_receiver::{free_port, start_refusing_smtp, SmtpReceiver};
use super::{
    assert_discreet, code_message, email_for, smtp_config, CODE, FROM, MEMBER_EMAIL, SUBJECT,
};

#[tokio::test]
async fn smtp_delivers_a_code_email_to_a_real_receiver() {
    let Some(receiver) = SmtpReceiver::start() else {
        return;
    };
    let sender = email_sender(
        &smtp_config(receiver.port(), Duration::from_secs(10)),
        Mode::Production,
    )
    .expect("smtp sender");
    assert_eq!(sender.provider(), "smtp");

    sender
        .send(&email_for(MEMBER_EMAIL))
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
        Mode::Production,
    )
    .expect("smtp sender");
    let error = sender
        .send(&email_for("jdoe at example.com"))
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
    let sender = email_sender(&smtp_config(port, Duration::from_secs(2)), Mode::Production)
        .expect("smtp sender");
    let started = Instant::now();
    let error = sender
        .send(&email_for(MEMBER_EMAIL))
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
    let sender = email_sender(&smtp_config(port, Duration::from_secs(5)), Mode::Production)
        .expect("smtp sender");
    let error = sender
        .send(&email_for(MEMBER_EMAIL))
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
async fn smtp_delivers_the_spanish_email_with_its_own_subject() {
    let Some(receiver) = SmtpReceiver::start() else {
        return;
    };
    let sender = email_sender(
        &smtp_config(receiver.port(), Duration::from_secs(10)),
        Mode::Production,
    )
    .expect("smtp sender");
    sender
        .send(&code_message(MEMBER_EMAIL, Lang::Es, true))
        .await
        .expect("delivered");
    let mail = Mail::parse(&receiver.wait_for_message(Duration::from_secs(10)));
    // Not gateway.yaml's English subject: the catalogue's Spanish one (MIME-encoded).
    let subject = mail.header("Subject").expect("Subject header");
    assert_ne!(subject, SUBJECT);
    assert!(
        subject.starts_with("Su =?utf-8?") && subject.ends_with(" de SmartMLS"),
        "{subject}"
    );
    let plain = mail.part_text("text/plain").expect("plain-text part");
    let html = mail.part_text("text/html").expect("html part");
    for body in [&plain, &html] {
        assert!(body.contains("Hola, Zoë Doe:"), "{body}");
        assert!(body.contains("Su código MFA de SmartMLS es:"), "{body}");
        assert!(body.contains(CODE), "{body}");
        assert!(
            body.contains("Este código es válido por 5 minutos."),
            "{body}"
        );
    }
    assert!(html.contains("<html lang=\"es\">"), "{html}");
}
