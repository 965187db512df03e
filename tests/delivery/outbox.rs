//! The demo outbox: refused in production, one file per message in demo mode.

use std::path::Path;

use mfa_gateway::config::{EmailConfig, EmailTransport, Mode, SmsProvider};
use mfa_gateway::delivery::{email_sender, sms_sender, DeliveryError};

use super::{email_for, sms_config, text_for, CODE, FROM, MEMBER_EMAIL, MEMBER_PHONE, SUBJECT};

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
        email_sender(&email, Mode::Production),
        Err(DeliveryError::Misconfigured(_))
    ));
    assert!(matches!(
        sms_sender(&text, Mode::Production),
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
    let email_sender = email_sender(&email, Mode::Demo).expect("email outbox");
    let text_sender = sms_sender(&text, Mode::Demo).expect("text outbox");
    assert_eq!(email_sender.provider(), "outbox");

    email_sender
        .send(&email_for(MEMBER_EMAIL))
        .await
        .expect("email written");
    text_sender
        .send(&text_for("203-555-0142"))
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
        .send(&text_for("not a number"))
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

/// The content of the only file in `dir` whose name ends with `suffix`.
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
