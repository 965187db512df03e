//! One trust store for code delivery (issue 15): the SMTP relay and the SMS provider are
//! reached over TLS with a certificate from a private CA. With `ca_file` naming that CA the
//! code is delivered; without it (the CA is not among the platform's roots) and with another
//! CA's file the connection is refused and nothing is delivered; and with no `ca_file` the
//! platform's roots are what is trusted — shown by a child test process whose `SSL_CERT_FILE`
//! (the platform store's override, honoured by rustls-native-certs) names the private CA.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mfa_gateway::config::{
    EmailConfig, EmailTransport, Mode, SmsConfig, SmsProvider, SmtpSecurity,
};
use mfa_gateway::delivery::{email_sender, sms_sender};

use super::support::sms_provider::FakeSmsProvider;
use super::support::smtp_receiver::{ReceiverTls, SmtpReceiver};
use super::support::tls::{tls_front_from_files, PrivateCa};
use super::{email_for, sms_config, smtp_config, text_for, MEMBER_EMAIL, MEMBER_PHONE};

/// How the child test process finds the certificate its servers present.
const CHILD_CERT_ENV: &str = "MFA_TEST_CHILD_SERVER_CERT";
const CHILD_KEY_ENV: &str = "MFA_TEST_CHILD_SERVER_KEY";

fn smtp_over_tls(port: u16, security: SmtpSecurity, ca_file: Option<PathBuf>) -> EmailConfig {
    let mut config = smtp_config(port, Duration::from_secs(10));
    let EmailTransport::Smtp {
        security: ref mut configured_security,
        ca_file: ref mut configured_ca,
        ..
    } = config.transport
    else {
        unreachable!("smtp_config builds an SMTP transport");
    };
    *configured_security = security;
    *configured_ca = ca_file;
    config
}

fn receiver(security: SmtpSecurity, cert: &Path, key: &Path) -> Option<SmtpReceiver> {
    let (cert, key) = (cert.to_path_buf(), key.to_path_buf());
    SmtpReceiver::start_with(match security {
        SmtpSecurity::StartTls => ReceiverTls::StartTls { cert, key },
        SmtpSecurity::Tls => ReceiverTls::Implicit { cert, key },
        SmtpSecurity::None => ReceiverTls::None,
    })
}

/// A webhook provider behind a TLS front presenting `ca`'s certificate.
async fn webhook_over_tls(
    ca: &PrivateCa,
    ca_file: Option<PathBuf>,
) -> (FakeSmsProvider, SmsConfig) {
    let provider = FakeSmsProvider::start("unused", "unused", Some("hook-token")).await;
    let plain: std::net::SocketAddr = provider
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("provider address");
    let front = ca.tls_front(plain).await;
    let url = provider
        .webhook_url()
        .replace(&format!("http://{plain}"), &format!("https://{front}"));
    let mut config = sms_config(SmsProvider::Webhook {
        url,
        bearer_token: Some("hook-token".into()),
    });
    config.ca_file = ca_file;
    (provider, config)
}

#[tokio::test]
async fn smtp_starttls_and_implicit_tls_trust_the_ca_file() {
    let ca = PrivateCa::new("Test mail CA");
    for security in [SmtpSecurity::StartTls, SmtpSecurity::Tls] {
        let Some(receiver) = receiver(security, &ca.cert_file(), &ca.key_file()) else {
            return;
        };
        let sender = email_sender(
            &smtp_over_tls(receiver.port(), security, Some(ca.ca_file())),
            Mode::Production,
        )
        .expect("sender");
        sender
            .send(&email_for(MEMBER_EMAIL))
            .await
            .unwrap_or_else(|e| panic!("{security:?}: not delivered: {e}"));
        let message = receiver.wait_for_message(Duration::from_secs(10));
        assert!(message.contains("SmartMLS"), "{security:?}: {message}");
    }
}

#[tokio::test]
async fn smtp_refuses_a_relay_whose_ca_is_neither_in_ca_file_nor_the_platform_roots() {
    let ca = PrivateCa::new("Test mail CA");
    let other = PrivateCa::new("Someone else's CA");
    for (security, ca_file) in [
        (SmtpSecurity::StartTls, None),
        (SmtpSecurity::Tls, None),
        (SmtpSecurity::StartTls, Some(other.ca_file())),
        (SmtpSecurity::Tls, Some(other.ca_file())),
    ] {
        let Some(receiver) = receiver(security, &ca.cert_file(), &ca.key_file()) else {
            return;
        };
        let sender = email_sender(
            &smtp_over_tls(receiver.port(), security, ca_file.clone()),
            Mode::Production,
        )
        .expect("sender");
        let error = sender
            .send(&email_for(MEMBER_EMAIL))
            .await
            .expect_err("an untrusted relay must not get the code");
        let text = error.to_string().to_ascii_lowercase();
        assert!(
            text.contains("certificate") || text.contains("tls"),
            "{security:?} {ca_file:?}: the error should say why: {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(receiver.message_count(), 0, "{security:?} {ca_file:?}");
    }
}

#[tokio::test]
async fn sms_provider_over_tls_trusts_the_ca_file_and_nothing_else() {
    let ca = PrivateCa::new("Test SMS CA");
    let (provider, config) = webhook_over_tls(&ca, Some(ca.ca_file())).await;
    let sender = sms_sender(&config, Mode::Production).expect("sender");
    sender
        .send(&text_for(MEMBER_PHONE))
        .await
        .expect("delivered over TLS");
    assert_eq!(provider.requests().len(), 1);

    let other = PrivateCa::new("Someone else's CA");
    for ca_file in [None, Some(other.ca_file())] {
        let (provider, config) = webhook_over_tls(&ca, ca_file.clone()).await;
        let sender = sms_sender(&config, Mode::Production).expect("sender");
        let error = sender
            .send(&text_for(MEMBER_PHONE))
            .await
            .expect_err("an untrusted provider must not get the code");
        assert!(provider.requests().is_empty(), "{ca_file:?}: {error}");
    }
}

#[test]
fn a_ca_file_without_a_certificate_is_refused_when_the_sender_is_built() {
    let dir = tempfile::tempdir().expect("tempdir");
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "not a certificate").expect("write");
    let smtp = email_sender(
        &smtp_over_tls(2525, SmtpSecurity::StartTls, Some(not_pem.clone())),
        Mode::Production,
    )
    .err()
    .expect("refused")
    .to_string();
    assert!(smtp.contains("email.smtp.ca_file"), "{smtp}");
    let mut sms = sms_config(SmsProvider::Webhook {
        url: "https://sms.example.com/hook".into(),
        bearer_token: None,
    });
    sms.ca_file = Some(not_pem);
    let sms = sms_sender(&sms, Mode::Production)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        sms.contains("sms.ca_file") && sms.contains("no PEM certificate"),
        "{sms}"
    );
}

/// Without `ca_file` the platform's store is trusted: a child process of this test binary with
/// `SSL_CERT_FILE` naming the private CA delivers over both roads. (The variable must be set
/// before the process starts, hence the child.)
#[test]
fn without_ca_file_the_platform_roots_are_trusted() {
    let ca = PrivateCa::new("Test platform CA");
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "tls::child_delivers_over_tls_with_the_platform_roots",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SSL_CERT_FILE", ca.ca_file())
        .env(CHILD_CERT_ENV, ca.cert_file())
        .env(CHILD_KEY_ENV, ca.key_file())
        .output()
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child test failed:\n{stdout}\n{stderr}"
    );
}

/// Run only by [`without_ca_file_the_platform_roots_are_trusted`], with `SSL_CERT_FILE` set.
#[tokio::test]
#[ignore = "run by without_ca_file_the_platform_roots_are_trusted with SSL_CERT_FILE set"]
async fn child_delivers_over_tls_with_the_platform_roots() {
    let cert = PathBuf::from(std::env::var_os(CHILD_CERT_ENV).expect(CHILD_CERT_ENV));
    let key = PathBuf::from(std::env::var_os(CHILD_KEY_ENV).expect(CHILD_KEY_ENV));
    if let Some(receiver) = receiver(SmtpSecurity::StartTls, &cert, &key) {
        let sender = email_sender(
            &smtp_over_tls(receiver.port(), SmtpSecurity::StartTls, None),
            Mode::Production,
        )
        .expect("sender");
        sender
            .send(&email_for(MEMBER_EMAIL))
            .await
            .expect("delivered with the platform's roots");
        receiver.wait_for_message(Duration::from_secs(10));
    }
    let provider = FakeSmsProvider::start("unused", "unused", None).await;
    let plain: std::net::SocketAddr = provider
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("provider address");
    let front = tls_front_from_files(&cert, &key, plain).await;
    let config = sms_config(SmsProvider::Webhook {
        url: provider
            .webhook_url()
            .replace(&format!("http://{plain}"), &format!("https://{front}")),
        bearer_token: None,
    });
    sms_sender(&config, Mode::Production)
        .expect("sender")
        .send(&text_for(MEMBER_PHONE))
        .await
        .expect("delivered with the platform's roots");
}
