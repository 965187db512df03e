//! Plain notice emails that carry no code ("your sign-in verification method was changed"):
//! their words (template `notice_<kind>.txt`, subject `notice-<kind>-subject` in the catalogue)
//! and sending them through the same configured transport as the code emails.

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncTransport, Message};
use serde::Serialize;

use super::mask::mask_email;
use super::message::{one_line, MessageBody, Wording};
use crate::config::{EmailConfig, EmailTransport, Method};
use crate::pages::{Lang, PageError};

/// A change a member is told about by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Set-up replaced the member's verification method (after a support reset or a change):
    /// they now sign in with this one.
    MethodChanged(Method),
}

impl Notice {
    /// The template of the notice's text.
    pub fn template(self) -> &'static str {
        match self {
            Notice::MethodChanged(_) => "notice_method_changed.txt",
        }
    }

    /// The catalogue message of the notice's subject.
    fn subject_id(self) -> &'static str {
        match self {
            Notice::MethodChanged(_) => "notice-method-changed-subject",
        }
    }

    /// The method the notice names, as the templates see it (`app`, `email`, `text`).
    fn method(self) -> &'static str {
        match self {
            Notice::MethodChanged(Method::App) => "app",
            Notice::MethodChanged(Method::Email) => "email",
            Notice::MethodChanged(Method::Text) => "text",
        }
    }
}

/// The variables of the notice templates: data, never a code or a secret.
#[derive(Serialize)]
struct NoticeContext {
    method: &'static str,
    member_name: String,
}

/// Renders `notice` in `lang` (see [`Wording::notice`]).
pub(super) fn notice_email(
    wording: &Wording<'_>,
    lang: Lang,
    notice: Notice,
    member_name: Option<&str>,
) -> Result<MessageBody, PageError> {
    let subject = wording.words(
        lang,
        notice.subject_id(),
        &[("brand", &wording.branding.name)],
    )?;
    let ctx = NoticeContext {
        method: notice.method(),
        member_name: member_name.map(one_line).unwrap_or_default(),
    };
    Ok(MessageBody {
        subject: one_line(&subject),
        plain: wording.render(notice.template(), lang, &ctx)?,
        html: None,
    })
}

/// Sends one plain-text notice to `to`. Errors never quote the full address.
pub async fn send_notice(cfg: &EmailConfig, to: &str, body: &MessageBody) -> Result<(), String> {
    let from: Mailbox = cfg
        .from
        .parse()
        .map_err(|_| "email.from is not an address".to_string())?;
    let to_box: Mailbox = to
        .trim()
        .parse()
        .map_err(|_| "the address on file is not an email address".to_string())?;
    match &cfg.transport {
        EmailTransport::Smtp { timeout, .. } => {
            let message = Message::builder()
                .from(from)
                .to(to_box)
                .subject(body.subject.clone())
                .date_now()
                .header(ContentType::TEXT_PLAIN)
                .body(body.plain.clone())
                .map_err(|e| format!("cannot build the notice: {e}"))?;
            let transport = super::smtp::transport(&cfg.transport).map_err(|e| e.to_string())?;
            match tokio::time::timeout(*timeout, transport.send(message)).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(format!(
                    "smtp: {}",
                    e.to_string().replace(to.trim(), &mask_email(to))
                )),
                Err(_) => Err("smtp: no answer in time".into()),
            }
        }
        EmailTransport::Outbox { dir } => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            let text = format!(
                "From: {}\nTo: {to}\nSubject: {}\n\n{}",
                cfg.from, body.subject, body.plain
            );
            tokio::fs::write(dir.join(format!("{stamp}-notice.txt")), text)
                .await
                .map_err(|e| format!("outbox: {e}"))
        }
    }
}
