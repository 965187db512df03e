//! The README's first command: `mfa-gateway demo` serves the whole flow on its own (legacy site,
//! gateway, SQLite, generated keys), here on free ports and a temporary data directory.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, totp, Browser, THIRTY_DAYS};

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn demo_command_serves_the_mfa_flow() {
    let dir = tempfile::tempdir().unwrap();
    let (gw, site) = (free_port(), free_port());
    let log = std::fs::File::create(dir.path().join("demo.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
        .arg("demo")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args([
            "--listen",
            &format!("127.0.0.1:{gw}"),
            "--site",
            &format!("127.0.0.1:{site}"),
        ])
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let _guard = KillOnDrop(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", gw))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "{}",
            std::fs::read_to_string(dir.path().join("demo.log")).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let banner = std::fs::read_to_string(dir.path().join("demo.log")).unwrap();
    assert!(
        banner.contains(&format!("http://127.0.0.1:{gw}/")),
        "{banner}"
    );
    assert!(
        banner.contains("jdoe"),
        "banner lists the demo members: {banner}"
    );
    assert!(dir.path().join("data/keys/cookie-k1.key").exists());

    let mut b = Browser::new(&format!("http://127.0.0.1:{gw}"));
    let login = b.login("jdoe", "listings2024").await;
    assert_eq!(login.location.as_deref(), Some("/_mfa/"));
    let page = b.get("/_mfa/").await;
    let page = if page.otpauth_uri().is_some() {
        page
    } else {
        // Several methods enabled: choose the authenticator app.
        let csrf = page.input_value("csrf").unwrap();
        b.post_form("/_mfa/enroll", &[("csrf", &csrf), ("method", "app")])
            .await
    };
    // The demo has a roster and email: the first set-up proves the email on file first
    // (`mfa.enrollment.verify_contact`); the demo's outbox holds the code.
    let page = if page.otpauth_uri().is_some() {
        page
    } else {
        let code = outbox_code(&dir.path().join("data/outbox"));
        let csrf = page.input_value("csrf").expect("csrf on the proof page");
        b.post_form(
            "/_mfa/enroll/contact",
            &[("csrf", &csrf), ("code", &code), ("remember", "2592000")],
        )
        .await
    };
    let secret = totp::secret_from_uri(&page.otpauth_uri().expect("app set-up page"));
    let csrf = page.input_value("csrf").unwrap();
    let code = totp::code_at_step(&secret, totp::current_step());
    let remember = THIRTY_DAYS.to_string();
    let done = b
        .post_form(
            "/_mfa/enroll/app",
            &[("csrf", &csrf), ("code", &code), ("remember", &remember)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Jane Doe"));
    assert!(dir.path().join("data/mfa.sqlite").exists());
}

/// The 6-digit code of the newest email in the demo's outbox.
fn outbox_code(dir: &std::path::Path) -> String {
    let mut mails: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("outbox {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("email"))
        .collect();
    mails.sort();
    let mail = std::fs::read_to_string(mails.last().expect("a code email in the outbox")).unwrap();
    let body = mail
        .split_once("\n\n")
        .map_or(mail.as_str(), |(_, body)| body);
    body.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .expect("a 6-digit code in the email")
        .to_string()
}
