//! Plain notice emails that carry no code ("your sign-in verification method was changed"),
//! sent through the same configured transport as the code emails.

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncTransport, Message};

use super::mask::mask_email;
use crate::config::{EmailConfig, EmailTransport};

/// Sends one plain-text notice to `to`. Errors never quote the full address.
pub async fn send_notice(
    cfg: &EmailConfig,
    to: &str,
    subject: &str,
    text: &str,
) -> Result<(), String> {
    let from: Mailbox = cfg
        .from
        .parse()
        .map_err(|_| "email.from is not an address".to_string())?;
    let to_box: Mailbox = to
        .trim()
        .parse()
        .map_err(|_| "the address on file is not an email address".to_string())?;
    match &cfg.transport {
        EmailTransport::Smtp {
            host,
            port,
            security,
            username,
            password,
            timeout,
        } => {
            let message = Message::builder()
                .from(from)
                .to(to_box)
                .subject(subject)
                .date_now()
                .header(ContentType::TEXT_PLAIN)
                .body(text.to_string())
                .map_err(|e| format!("cannot build the notice: {e}"))?;
            let transport =
                super::smtp::transport(host, *port, *security, username, password, *timeout)
                    .map_err(|e| e.to_string())?;
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
            let body = format!("From: {}\nTo: {to}\nSubject: {subject}\n\n{text}", cfg.from);
            tokio::fs::write(dir.join(format!("{stamp}-notice.txt")), body)
                .await
                .map_err(|e| format!("outbox: {e}"))
        }
    }
}
