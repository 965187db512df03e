//! The browser steps most suites share: log in and set up the authenticator app, and submit a
//! code on the challenge page, with what an enrollment produced ([`Enrolled`]).

use std::time::Duration;

use mfa_gateway::demo::DemoUser;

use super::totp;
use super::{Browser, Resp};

/// What an enrollment produced.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub secret: Vec<u8>,
    /// Last TOTP step the gateway accepted for this member.
    pub last_step: u64,
}

impl Enrolled {
    /// A code the gateway has not accepted yet, waiting for the clock if every step within the
    /// ±1 window has been used (a correctness wait, not a speed assumption).
    pub async fn fresh_code(&mut self) -> String {
        loop {
            let now = totp::current_step();
            let candidate = (self.last_step + 1).max(now.saturating_sub(1));
            if candidate <= now + 1 {
                self.last_step = candidate;
                return totp::code_at_step(&self.secret, candidate);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// Logs in and completes authenticator-app enrollment choosing `remember_secs`; returns the
/// secret and the final response (the release redirect).
pub async fn enroll_app(b: &mut Browser, user: &DemoUser, remember_secs: u64) -> (Enrolled, Resp) {
    let login = b.login(&user.username, &user.password).await;
    assert_eq!(login.status, 303, "login should be held: {login:?}");
    assert_eq!(login.location.as_deref(), Some("/_mfa/"));
    enroll_held(b, remember_secs).await
}

/// With a login held (at `/_mfa/`): completes authenticator-app set-up choosing
/// `remember_secs`; returns the secret and the release response.
pub async fn enroll_held(b: &mut Browser, remember_secs: u64) -> (Enrolled, Resp) {
    let mut page = b.get("/_mfa/").await;
    assert_eq!(page.status, 200, "{}", page.body);
    if page.otpauth_uri().is_none() {
        // Several methods enabled: choose the authenticator app.
        let csrf = page.input_value("csrf").expect("csrf on the choice page");
        page = b
            .post_form("/_mfa/enroll", &[("csrf", &csrf), ("method", "app")])
            .await;
    }
    let uri = page
        .otpauth_uri()
        .unwrap_or_else(|| panic!("no otpauth uri: {}", page.body));
    let secret = totp::secret_from_uri(&uri);
    let csrf = page.input_value("csrf").expect("csrf");
    let step = totp::current_step();
    let code = totp::code_at_step(&secret, step);
    let remember = remember_secs.to_string();
    let done = b
        .post_form(
            "/_mfa/enroll/app",
            &[("csrf", &csrf), ("code", &code), ("remember", &remember)],
        )
        .await;
    (
        Enrolled {
            secret,
            last_step: step,
        },
        done,
    )
}

/// Submits a code on the challenge page of the current held login.
pub async fn submit_code(b: &mut Browser, code: &str) -> Resp {
    let page = b.get("/_mfa/").await;
    let csrf = page.input_value("csrf").unwrap_or_default();
    b.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", code)])
        .await
}

/// 30 days in seconds (the default trust period).
pub const THIRTY_DAYS: u64 = 30 * 86_400;
