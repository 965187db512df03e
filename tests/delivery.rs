//! Code delivery against real network peers: an SMTP server (aiosmtpd) that stores what it
//! receives, a refusing SMTP server, a local Twilio-compatible API, a JSON webhook, and the
//! demo outbox. Each test checks what the member would receive and that failures explain
//! themselves without leaking the code or the full destination. `delivery/gateway.rs` goes
//! through the real gateway: the member's language, and what a failed send leaves behind.

mod common;
mod support;

#[path = "delivery/email.rs"]
mod email;
#[path = "delivery/gateway.rs"]
mod gateway;
#[path = "delivery/outbox.rs"]
mod outbox;
#[path = "delivery/text.rs"]
mod text;
#[path = "delivery/tls.rs"]
mod tls;

use std::time::Duration;

use mfa_gateway::config::{
    Branding, EmailConfig, EmailTransport, SmsConfig, SmsProvider, SmtpSecurity,
};
use mfa_gateway::delivery::{CodeDetails, CodeMessage, DeliveryError, Wording};
use mfa_gateway::pages::{Lang, Pages};

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

/// The code email (subject, plain text, HTML) or the code text in `lang`, as the flow writes it.
fn code_message(to: &str, lang: Lang, email: bool) -> CodeMessage {
    let branding = branding();
    let pages = Pages::new(&branding, None).expect("pages");
    let wording = Wording::new(&pages, &branding);
    let details = CodeDetails {
        code: CODE,
        valid_for: Duration::from_secs(300),
        member_name: Some("Zoë Doe"),
    };
    let body = if email {
        wording.code_email(lang, &details, Some(SUBJECT))
    } else {
        wording.code_text(lang, &details)
    };
    CodeMessage {
        to: to.into(),
        code: CODE.into(),
        body: body.expect("message renders"),
    }
}

/// The English code email to `to`.
fn email_for(to: &str) -> CodeMessage {
    code_message(to, Lang::En, true)
}

/// The English code text to `to`.
fn text_for(to: &str) -> CodeMessage {
    code_message(to, Lang::En, false)
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
            ca_file: None,
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
        ca_file: None,
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
