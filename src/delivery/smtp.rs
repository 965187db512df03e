//! Email delivery through an SMTP relay (lettre, tokio, rustls).
//!
//! One connection per code: codes are rare (a few per login that needs MFA), and a fresh
//! connection never fails on a relay that silently dropped an idle pooled one. The whole
//! exchange is bounded by the configured timeout, so a stuck relay turns into a clear
//! "try again" for the member instead of a hanging page.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use ring::rand::{SecureRandom, SystemRandom};

use super::mask::{mask_email, scrub_detail};
use super::message::email_body;
use super::{error_chain, log_outcome, CodeMessage, CodeSender, DeliveryError};
use crate::config::{Branding, EmailConfig, EmailTransport, SmtpSecurity};

/// Provider name in errors and logs.
const PROVIDER: &str = "smtp";

/// The SMTP transport for the configured relay (shared with the change notices of
/// [`super::notice`]).
pub(crate) fn transport(
    host: &str,
    port: u16,
    security: SmtpSecurity,
    username: &Option<String>,
    password: &Option<String>,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, DeliveryError> {
    let builder = match security {
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
            .map_err(|error| tls_misconfigured(host, &error))?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
            .map_err(|error| tls_misconfigured(host, &error))?,
    };
    let mut builder = builder.port(port).timeout(Some(timeout));
    if let Some(username) = username {
        builder = builder.credentials(Credentials::new(
            username.clone(),
            password.clone().unwrap_or_default(),
        ));
    }
    Ok(builder.build())
}

/// Sends code emails through one SMTP relay.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    subject: String,
    branding: Branding,
    timeout: Duration,
}

impl SmtpSender {
    /// Builds the sender from validated config. Fails with [`DeliveryError::Misconfigured`]
    /// when the transport is not SMTP, the `From` value is not a mailbox, or the relay host
    /// cannot be used for TLS.
    pub fn new(cfg: &EmailConfig, branding: &Branding) -> Result<Self, DeliveryError> {
        let EmailTransport::Smtp {
            host,
            port,
            security,
            username,
            password,
            timeout,
        } = &cfg.transport
        else {
            return Err(DeliveryError::Misconfigured(
                "email transport is not smtp".into(),
            ));
        };
        let from: Mailbox = cfg.from.parse().map_err(|_| {
            DeliveryError::Misconfigured(format!(
                "email.from {:?} is not an address or Name <address>",
                cfg.from
            ))
        })?;
        Ok(Self {
            transport: transport(host, *port, *security, username, password, *timeout)?,
            from,
            subject: cfg.subject.clone(),
            branding: branding.clone(),
            timeout: *timeout,
        })
    }

    /// Builds the MIME message: From, To, Subject, Date, Message-ID and a plain-text + HTML
    /// alternative body.
    fn compose(&self, to: Address, msg: &CodeMessage) -> Result<Message, DeliveryError> {
        let body = email_body(msg, &self.branding);
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(self.subject.clone())
            .date_now()
            .message_id(Some(message_id(self.from.email.domain())))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(body.plain),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(body.html),
                    ),
            )
            .map_err(|error| {
                let detail = scrub_detail(&error.to_string(), &msg.to);
                DeliveryError::Misconfigured(format!("cannot build the code email: {detail}"))
            })
    }
}

#[async_trait]
impl CodeSender for SmtpSender {
    async fn send(&self, msg: &CodeMessage) -> Result<(), DeliveryError> {
        let masked = mask_email(&msg.to);
        let outcome = async {
            let to: Address =
                msg.to
                    .trim()
                    .parse()
                    .map_err(|_| DeliveryError::InvalidDestination {
                        provider: PROVIDER,
                        expected: "email address",
                    })?;
            let email = self.compose(to, msg)?;
            match tokio::time::timeout(self.timeout, self.transport.send(email)).await {
                Ok(Ok(_response)) => Ok(()),
                Ok(Err(error)) => Err(classify(&error, &msg.to)),
                Err(_elapsed) => Err(DeliveryError::Unreachable {
                    provider: PROVIDER,
                    detail: format!("no answer within {} ms", self.timeout.as_millis()),
                }),
            }
        }
        .await;
        log_outcome(PROVIDER, &masked, &outcome);
        outcome
    }

    fn provider(&self) -> &'static str {
        PROVIDER
    }
}

/// Sorts a lettre error: an SMTP reply is the relay refusing (with its reply code), a client
/// error is a protocol mismatch the relay caused, anything else (connect, TLS, timeout) means
/// the relay was not reached.
fn classify(error: &lettre::transport::smtp::Error, destination: &str) -> DeliveryError {
    let detail = scrub_detail(&error_chain(error), destination);
    if let Some(code) = error.status() {
        DeliveryError::Rejected {
            provider: PROVIDER,
            status: Some(u16::from(code)),
            detail,
        }
    } else if error.is_response() || error.is_client() {
        DeliveryError::Rejected {
            provider: PROVIDER,
            status: None,
            detail,
        }
    } else {
        DeliveryError::Unreachable {
            provider: PROVIDER,
            detail,
        }
    }
}

fn tls_misconfigured(host: &str, error: &lettre::transport::smtp::Error) -> DeliveryError {
    DeliveryError::Misconfigured(format!(
        "email.smtp.host {host:?} cannot be used for TLS: {error}"
    ))
}

/// A globally unique Message-ID under the sender's domain (`<hex.hex@connectmls.com>`), rather
/// than the container's meaningless hostname that lettre would pick.
fn message_id(domain: &str) -> String {
    let mut random = [0u8; 16];
    // SystemRandom only fails when the OS has no randomness source; a Message-ID only has to be
    // unique, so the timestamp below still keeps it unique in that case.
    let _ = SystemRandom::new().fill(&mut random);
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let hex: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("<{nanos:x}.{hex}@{domain}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(from: &str, security: SmtpSecurity) -> EmailConfig {
        EmailConfig {
            transport: EmailTransport::Smtp {
                host: "mail.example.com".into(),
                port: 2525,
                security,
                username: Some("relay".into()),
                password: Some("pw".into()),
                timeout: Duration::from_secs(5),
            },
            from: from.into(),
            subject: "Your SmartMLS verification code".into(),
        }
    }

    fn branding() -> Branding {
        Branding {
            name: "SmartMLS".into(),
            support_email: "support@smartmls.com".into(),
            support_phone: "(203) 750-6000".into(),
            support_hours: String::new(),
            roster_update_url: None,
            primary_color: "#005a9c".into(),
            logo: None,
        }
    }

    #[test]
    fn every_security_mode_builds() {
        for security in [
            SmtpSecurity::None,
            SmtpSecurity::StartTls,
            SmtpSecurity::Tls,
        ] {
            let sender = SmtpSender::new(
                &config("SmartMLS <no-reply@connectmls.com>", security),
                &branding(),
            );
            assert!(sender.is_ok(), "{security:?}");
        }
    }

    #[test]
    fn unparsable_from_is_misconfigured() {
        let error = SmtpSender::new(
            &config("not an address", SmtpSecurity::StartTls),
            &branding(),
        )
        .err();
        assert!(
            matches!(error, Some(DeliveryError::Misconfigured(_))),
            "{error:?}"
        );
    }

    #[test]
    fn composed_message_has_required_headers() {
        let sender = SmtpSender::new(
            &config("SmartMLS <no-reply@connectmls.com>", SmtpSecurity::None),
            &branding(),
        )
        .expect("valid config");
        let msg = CodeMessage {
            to: "jdoe@example.com".into(),
            code: "482913".into(),
            valid_for: Duration::from_secs(300),
            member_name: None,
        };
        let to: Address = "jdoe@example.com".parse().expect("valid address");
        let raw = String::from_utf8(sender.compose(to, &msg).expect("composes").formatted())
            .expect("utf-8");
        for header in [
            "From: SmartMLS <no-reply@connectmls.com>",
            "To: jdoe@example.com",
            "Date: ",
            "Message-ID: <",
        ] {
            assert!(raw.contains(header), "missing {header:?} in\n{raw}");
        }
        assert!(raw.contains("@connectmls.com>\r\n"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
    }

    #[test]
    fn message_ids_are_unique() {
        assert_ne!(message_id("connectmls.com"), message_id("connectmls.com"));
    }
}
