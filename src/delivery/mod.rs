//! Delivery of one-time codes by email and text message.
//!
//! The login flow generates a 6-digit code, has its words written in the member's language
//! ([`message::Wording`]: templates and catalogue shared with the pages) and hands the message
//! to a [`CodeSender`], which only carries it:
//!
//! * [`smtp`]: email through an SMTP relay (plain for local relays, STARTTLS or implicit TLS).
//! * [`sms`]: text messages through a Twilio-compatible Messages API or a generic JSON webhook.
//! * [`outbox`]: demo only; writes each message to a folder and prints the code locally.
//!
//! Codes and full destinations are secrets as far as this module is concerned: errors
//! ([`DeliveryError`]), `Debug` output and log lines carry the provider, a masked destination
//! (see [`mask_email`], [`mask_phone`]) and the outcome, never the code or the full address.

pub mod mask;
pub mod message;
pub mod notice;
pub mod outbox;
pub mod phone;
pub mod segments;
pub mod sms;
pub mod smtp;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{EmailConfig, EmailTransport, Mode, SmsConfig, SmsProvider};

pub use mask::{mask_email, mask_phone};
pub use message::{CodeDetails, MessageBody, Wording};
pub use phone::normalize_phone;

/// One code on its way to one member.
#[derive(Clone)]
pub struct CodeMessage {
    /// Email address, or phone number (E.164, or a US number in a common national format).
    pub to: String,
    /// The one-time code exactly as the member has to type it (the demo outbox prints it).
    pub code: String,
    /// What the member reads, already in their language (it contains the code).
    pub body: MessageBody,
}

impl fmt::Debug for CodeMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug output ends up in logs and panic messages: mask the destination, hide the code.
        let to = if self.to.contains('@') {
            mask_email(&self.to)
        } else {
            mask_phone(&self.to)
        };
        f.debug_struct("CodeMessage")
            .field("to", &to)
            .field("code", &"<redacted>")
            .field("body", &self.body)
            .finish()
    }
}

/// Why a code could not be delivered. The flow fails closed on any of these.
///
/// The `Display` text never contains the code or a full destination: details that come from
/// a provider are scrubbed (digit runs, addresses) and truncated before they are stored here.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The provider answered and refused the message.
    #[error("{provider} refused the message{}: {detail}", status_suffix(*.status))]
    Rejected {
        /// Short provider name (`smtp`, `twilio`, `webhook`, `outbox`).
        provider: &'static str,
        /// SMTP reply code or HTTP status, when the provider gave one.
        status: Option<u16>,
        /// Scrubbed, truncated explanation.
        detail: String,
    },
    /// The provider could not be reached (connection refused, DNS, TLS, timeout).
    #[error("{provider} could not be reached: {detail}")]
    Unreachable {
        /// Short provider name.
        provider: &'static str,
        /// Scrubbed, truncated explanation.
        detail: String,
    },
    /// The destination cannot be used with this method (e.g. not an email address); the member
    /// has to correct their roster entry.
    #[error("cannot send by {provider}: the destination is not a valid {expected}")]
    InvalidDestination {
        /// Short provider name.
        provider: &'static str,
        /// What the destination should have been ("email address", "phone number").
        expected: &'static str,
    },
    /// The delivery configuration cannot work (bad `From`, outbox outside demo mode, ...).
    #[error("code delivery is misconfigured: {0}")]
    Misconfigured(String),
}

fn status_suffix(status: Option<u16>) -> String {
    status
        .map(|status| format!(" (status {status})"))
        .unwrap_or_default()
}

/// Sends one-time codes over one channel. Object safe, so the flow can hold
/// `Arc<dyn CodeSender>` without knowing the provider.
#[async_trait]
pub trait CodeSender: Send + Sync {
    /// Delivers `msg` or explains why not. Does not retry: the member has "Resend code".
    async fn send(&self, msg: &CodeMessage) -> Result<(), DeliveryError>;

    /// Short provider name for logs and metrics (`smtp`, `twilio`, `webhook`, `outbox`).
    fn provider(&self) -> &'static str;
}

/// Builds the email sender the configuration asks for.
///
/// Fails with [`DeliveryError::Misconfigured`] when the `From` address does not parse or when
/// the outbox is configured outside demo mode.
pub fn email_sender(cfg: &EmailConfig, mode: Mode) -> Result<Arc<dyn CodeSender>, DeliveryError> {
    match &cfg.transport {
        EmailTransport::Smtp { .. } => Ok(Arc::new(smtp::SmtpSender::new(cfg)?)),
        EmailTransport::Outbox { dir } => Ok(Arc::new(outbox::OutboxSender::email(
            dir.clone(),
            cfg,
            mode,
        )?)),
    }
}

/// Builds the text-message sender the configuration asks for.
///
/// Fails with [`DeliveryError::Misconfigured`] when the provider settings cannot work or when
/// the outbox is configured outside demo mode.
pub fn sms_sender(cfg: &SmsConfig, mode: Mode) -> Result<Arc<dyn CodeSender>, DeliveryError> {
    match &cfg.provider {
        SmsProvider::Twilio { .. } | SmsProvider::Webhook { .. } => {
            Ok(Arc::new(sms::HttpSmsSender::new(cfg)?))
        }
        SmsProvider::Outbox { dir } => Ok(Arc::new(outbox::OutboxSender::text(
            dir.clone(),
            cfg,
            mode,
        )?)),
    }
}

/// Records the outcome of one delivery attempt: provider, masked destination, outcome. The
/// code never reaches this function.
fn log_outcome(provider: &'static str, masked_to: &str, outcome: &Result<(), DeliveryError>) {
    match outcome {
        Ok(()) => tracing::info!(provider, to = masked_to, "one-time code delivered"),
        Err(error) => {
            tracing::warn!(provider, to = masked_to, %error, "one-time code not delivered")
        }
    }
}

/// An error and its causes on one line, skipping causes the outer message already quotes
/// (lettre and reqwest both print their immediate cause themselves).
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> CodeMessage {
        CodeMessage {
            to: "jdoe@example.com".into(),
            code: "482913".into(),
            body: MessageBody {
                subject: "Your SmartMLS verification code".into(),
                plain: "Hello Jane Doe, your code is 482913.".into(),
                html: Some("<p>Hello Jane Doe, your code is 482913.</p>".into()),
            },
        }
    }

    #[test]
    fn debug_output_hides_code_destination_and_name() {
        let text = format!("{:?}", message());
        assert!(!text.contains("482913"), "{text}");
        assert!(!text.contains("jdoe@"), "{text}");
        assert!(!text.contains("Jane"), "{text}");
        assert!(text.contains("j•••@example.com"), "{text}");
    }

    #[test]
    fn rejected_display_names_provider_and_status() {
        let error = DeliveryError::Rejected {
            provider: "twilio",
            status: Some(400),
            detail: "error 21211".into(),
        };
        assert_eq!(
            error.to_string(),
            "twilio refused the message (status 400): error 21211"
        );
        let without_status = DeliveryError::Rejected {
            provider: "smtp",
            status: None,
            detail: "no".into(),
        };
        assert_eq!(without_status.to_string(), "smtp refused the message: no");
    }
}
