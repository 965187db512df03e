//! Demo-only delivery: each message becomes a file in a folder and the code is printed locally.
//!
//! This is how the demo "sends" codes without a mail relay or SMS account. It writes codes in
//! clear text, so it refuses to exist outside [`Mode::Demo`]; config validation refuses it too,
//! this is the second lock in case a caller builds config by hand.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use lettre::Address;
use tokio::io::AsyncWriteExt;

use super::mask::{mask_destination, scrub_detail};
use super::phone::normalize_phone;
use super::{log_outcome, CodeMessage, CodeSender, DeliveryError};
use crate::config::{EmailConfig, Mode, SmsConfig};

/// Provider name in errors and logs.
const PROVIDER: &str = "outbox";

/// Attempts at finding an unused file name before giving up (two messages in one microsecond
/// are already unlikely).
const NAME_ATTEMPTS: u32 = 100;

/// What kind of message the outbox records.
enum Channel {
    Email { from: String },
    Text { from: String },
}

/// Writes code messages to `<dir>/<timestamp>-<email|text>.txt` and prints the code.
pub struct OutboxSender {
    dir: PathBuf,
    channel: Channel,
}

impl OutboxSender {
    /// An outbox for code emails. [`DeliveryError::Misconfigured`] unless `mode` is demo.
    pub fn email(dir: PathBuf, cfg: &EmailConfig, mode: Mode) -> Result<Self, DeliveryError> {
        let channel = Channel::Email {
            from: cfg.from.clone(),
        };
        Self::new(dir, channel, mode)
    }

    /// An outbox for code texts. [`DeliveryError::Misconfigured`] unless `mode` is demo.
    pub fn text(dir: PathBuf, cfg: &SmsConfig, mode: Mode) -> Result<Self, DeliveryError> {
        let channel = Channel::Text {
            from: cfg.from.clone(),
        };
        Self::new(dir, channel, mode)
    }

    fn new(dir: PathBuf, channel: Channel, mode: Mode) -> Result<Self, DeliveryError> {
        if mode != Mode::Demo {
            return Err(DeliveryError::Misconfigured(
                "the outbox writes codes to a local folder and is only allowed in demo mode".into(),
            ));
        }
        Ok(Self { dir, channel })
    }

    /// The file text and the file-name suffix for `msg`, or why its destination is unusable.
    fn render(&self, msg: &CodeMessage) -> Result<(String, &'static str), DeliveryError> {
        let date = chrono::Utc::now().to_rfc2822();
        match &self.channel {
            Channel::Email { from } => {
                let to: Address =
                    msg.to
                        .trim()
                        .parse()
                        .map_err(|_| DeliveryError::InvalidDestination {
                            provider: PROVIDER,
                            expected: "email address",
                        })?;
                let (subject, body) = (&msg.body.subject, &msg.body.plain);
                Ok((
                    format!("From: {from}\nTo: {to}\nSubject: {subject}\nDate: {date}\n\n{body}"),
                    "email",
                ))
            }
            Channel::Text { from } => {
                let to = normalize_phone(&msg.to).ok_or(DeliveryError::InvalidDestination {
                    provider: PROVIDER,
                    expected: "phone number",
                })?;
                let body = &msg.body.plain;
                Ok((
                    format!("From: {from}\nTo: {to}\nDate: {date}\n\n{body}\n"),
                    "text",
                ))
            }
        }
    }
}

#[async_trait]
impl CodeSender for OutboxSender {
    async fn send(&self, msg: &CodeMessage) -> Result<(), DeliveryError> {
        let masked = mask_destination(&msg.to);
        let outcome = async {
            let (text, kind) = self.render(msg)?;
            write_new_file(&self.dir, kind, &text)
                .await
                .map_err(|error| DeliveryError::Unreachable {
                    provider: PROVIDER,
                    detail: scrub_detail(
                        &format!("cannot write to {}: {error}", self.dir.display()),
                        &msg.to,
                    ),
                })?;
            // The demo's "codes shown locally": demo mode only, enforced in `new`.
            println!("[demo outbox] code for {masked}: {}", msg.code);
            Ok(())
        }
        .await;
        log_outcome(PROVIDER, &masked, &outcome);
        outcome
    }

    fn provider(&self) -> &'static str {
        PROVIDER
    }
}

/// Creates `dir` if needed and writes `text` to a file name that did not exist before, so two
/// messages never overwrite each other.
async fn write_new_file(dir: &Path, kind: &str, text: &str) -> std::io::Result<PathBuf> {
    tokio::fs::create_dir_all(dir).await?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    for attempt in 1..=NAME_ATTEMPTS {
        let name = if attempt == 1 {
            format!("{stamp}-{kind}.txt")
        } else {
            format!("{stamp}-{kind}-{attempt}.txt")
        };
        let path = dir.join(name);
        match tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
        {
            Ok(mut file) => {
                file.write_all(text.as_bytes()).await?;
                file.flush().await?;
                return Ok(path);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "no unused outbox file name",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_never_overwrite_each_other() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut paths = Vec::new();
        for index in 0..5 {
            paths.push(
                write_new_file(dir.path(), "text", &format!("message {index}"))
                    .await
                    .expect("written"),
            );
        }
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), 5);
        for path in &paths {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            assert!(name.contains("-text") && name.ends_with(".txt"), "{name}");
        }
    }
}
