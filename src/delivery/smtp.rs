//! Email delivery through an SMTP relay (lettre, tokio, rustls).
//!
//! One connection per code: codes are rare (a few per login that needs MFA), and a fresh
//! connection never fails on a relay that silently dropped an idle pooled one. The whole
//! exchange is bounded by the configured timeout, so a stuck relay turns into a clear
//! "try again" for the member instead of a hanging page.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use ring::rand::{SecureRandom, SystemRandom};

use super::mask::{mask_email, scrub_detail};
use super::{error_chain, log_outcome, CodeMessage, CodeSender, DeliveryError};
use crate::config::{EmailConfig, EmailTransport, SmtpSecurity};
use crate::trust::CaBundle;

/// Provider name in errors and logs.
const PROVIDER: &str = "smtp";

/// The SMTP transport for the configured relay (shared with the change notices of
/// [`super::notice`]). TLS trusts `email.smtp.ca_file` when set, else the platform's roots
/// ([`crate::trust`]); the certificate must name `host` either way.
pub(crate) fn transport(
    cfg: &EmailTransport,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, DeliveryError> {
    let EmailTransport::Smtp {
        host,
        port,
        security,
        username,
        password,
        timeout,
        ca_file,
    } = cfg
    else {
        return Err(DeliveryError::Misconfigured(
            "email transport is not smtp".into(),
        ));
    };
    let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str());
    let builder = match security {
        SmtpSecurity::None => builder,
        SmtpSecurity::StartTls => builder.tls(Tls::Required(tls_parameters(host, ca_file)?)),
        SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls_parameters(host, ca_file)?)),
    };
    let mut builder = builder.port(*port).timeout(Some(*timeout));
    if let Some(username) = username {
        builder = builder.credentials(Credentials::new(
            username.clone(),
            password.clone().unwrap_or_default(),
        ));
    }
    Ok(builder.build())
}

/// TLS settings for the relay `host`: the CAs of `ca_file` only, or the platform's roots.
fn tls_parameters(host: &str, ca_file: &Option<PathBuf>) -> Result<TlsParameters, DeliveryError> {
    let ca = CaBundle::read_optional("email.smtp.ca_file", ca_file.as_deref())
        .map_err(|error| DeliveryError::Misconfigured(error.to_string()))?;
    let builder = TlsParameters::builder(host.to_string());
    let builder = match &ca {
        Some(bundle) => {
            let certificate = Certificate::from_pem(bundle.pem()).map_err(|error| {
                DeliveryError::Misconfigured(format!(
                    "email.smtp.ca_file: {}: {error}",
                    bundle.path().display()
                ))
            })?;
            builder
                .certificate_store(CertificateStore::None)
                .add_root_certificate(certificate)
        }
        // lettre's default store is the platform's (its `rustls-native-certs` feature).
        None => builder.certificate_store(CertificateStore::Default),
    };
    builder
        .build_rustls()
        .map_err(|error| tls_misconfigured(host, &error))
}

/// Sends code emails through one SMTP relay (subject and bodies come with each message).
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
}

impl SmtpSender {
    /// Builds the sender from validated config. Fails with [`DeliveryError::Misconfigured`]
    /// when the transport is not SMTP, the `From` value is not a mailbox, or the relay host
    /// cannot be used for TLS.
    pub fn new(cfg: &EmailConfig) -> Result<Self, DeliveryError> {
        let EmailTransport::Smtp { timeout, .. } = &cfg.transport else {
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
            transport: transport(&cfg.transport)?,
            from,
            timeout: *timeout,
        })
    }

    /// Builds the MIME message: From, To, Subject, Date, Message-ID and a plain-text body, or a
    /// plain-text + HTML alternative when the message has an HTML part.
    fn compose(&self, to: Address, msg: &CodeMessage) -> Result<Message, DeliveryError> {
        let body = &msg.body;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(body.subject.clone())
            .date_now()
            .message_id(Some(message_id(self.from.email.domain())));
        let plain = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(body.plain.clone());
        let built = match &body.html {
            Some(html) => builder.multipart(
                MultiPart::alternative().singlepart(plain).singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.clone()),
                ),
            ),
            None => builder.singlepart(plain),
        };
        built.map_err(|error| {
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
                ca_file: None,
            },
            from: from.into(),
            subject: "Your SmartMLS verification code".into(),
        }
    }

    fn message(html: Option<&str>) -> CodeMessage {
        CodeMessage {
            to: "jdoe@example.com".into(),
            code: "482913".into(),
            body: crate::delivery::MessageBody {
                subject: "Su código de verificación de SmartMLS".into(),
                plain: "Su código MFA de SmartMLS es: 482913".into(),
                html: html.map(str::to_string),
            },
        }
    }

    #[test]
    fn every_security_mode_builds() {
        for security in [
            SmtpSecurity::None,
            SmtpSecurity::StartTls,
            SmtpSecurity::Tls,
        ] {
            let sender = SmtpSender::new(&config("SmartMLS <no-reply@connectmls.com>", security));
            assert!(sender.is_ok(), "{security:?}");
        }
    }

    #[test]
    fn unparsable_from_is_misconfigured() {
        let error = SmtpSender::new(&config("not an address", SmtpSecurity::StartTls)).err();
        assert!(
            matches!(error, Some(DeliveryError::Misconfigured(_))),
            "{error:?}"
        );
    }

    #[test]
    fn composed_message_has_required_headers() {
        let sender = SmtpSender::new(&config(
            "SmartMLS <no-reply@connectmls.com>",
            SmtpSecurity::None,
        ))
        .expect("valid config");
        let to: Address = "jdoe@example.com".parse().expect("valid address");
        let compose = |html| {
            let msg = message(html);
            String::from_utf8(
                sender
                    .compose(to.clone(), &msg)
                    .expect("composes")
                    .formatted(),
            )
            .expect("utf-8")
        };
        let raw = compose(Some("<p>482913</p>"));
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
        // The subject is the message's own, in its language (encoded: it is not ASCII).
        assert!(raw.contains("Subject: Su =?utf-8?"), "{raw}");
        let plain_only = compose(None);
        assert!(!plain_only.contains("multipart"), "{plain_only}");
        assert!(
            plain_only.contains("Content-Type: text/plain"),
            "{plain_only}"
        );
    }

    #[test]
    fn message_ids_are_unique() {
        assert_ne!(message_id("connectmls.com"), message_id("connectmls.com"));
    }
}
