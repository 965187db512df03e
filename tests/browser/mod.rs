//! Kit for the browser tests: the demo site and real gateway over HTTPS, a real SMTP receiver
//! and the Twilio-shaped provider behind it, and Chromium in front of it.

pub mod axe;
pub mod chrome;
pub mod qr;
pub mod screens;
pub mod words;

use std::time::{Duration, Instant};

use crate::common::{GatewayOptions, Harness, TWILIO_SID, TWILIO_TOKEN};
use crate::support::mail::Mail;
use crate::support::sms_provider::FakeSmsProvider;
use crate::support::smtp_receiver::SmtpReceiver;

use self::axe::Axe;
use self::chrome::{Chrome, Tools};

/// Everything one scenario runs against.
pub struct Stack {
    pub harness: Harness,
    pub smtp: SmtpReceiver,
    pub sms: FakeSmsProvider,
    pub tools: Tools,
    pub axe: Axe,
}

impl Stack {
    /// Starts the gateway over HTTPS with app, email and text codes enabled (plus whatever
    /// `options` change). `None` when the browser or the SMTP receiver is missing outside CI
    /// (each prints `SKIPPED`; under `CI` they fail instead).
    pub async fn start(options: GatewayOptions) -> Option<Stack> {
        Stack::start_with(GatewayOptions {
            methods: vec!["app".into(), "text".into(), "email".into()],
            ..options
        })
        .await
    }

    /// [`Stack::start`] with `options.methods` as given (e.g. an app-only deployment).
    pub async fn start_with(options: GatewayOptions) -> Option<Stack> {
        let tools = chrome::tools()?;
        let smtp = SmtpReceiver::start();
        if smtp.is_none() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must provide python3-aiosmtpd"
            );
        }
        let smtp = smtp?;
        let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
        let options = GatewayOptions {
            tls: true,
            smtp_port: Some(smtp.port()),
            twilio_base_url: Some(sms.base_url()),
            ..options
        };
        let harness = Harness::start(options).await;
        Some(Stack {
            harness,
            smtp,
            sms,
            tools,
            axe: Axe::load(),
        })
    }

    /// A new browser with an empty profile (a "new device").
    pub async fn browser(&self) -> Chrome {
        Chrome::start(&self.tools, &self.harness.url()).await
    }

    /// A new browser whose member reads `lang`: for Spanish, the member has followed the
    /// "Español" link once (the language cookie), as the pages offer.
    pub async fn browser_in(&self, lang: mfa_gateway::pages::Lang) -> Chrome {
        let chrome = self.browser().await;
        if lang != mfa_gateway::pages::Lang::En {
            chrome.goto(&format!("/_mfa/lang/{}", lang.code())).await;
        }
        chrome
    }

    /// The code in the `n`-th email the receiver got (waits up to 10 s for it).
    pub async fn email_code(&self, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(raw) = self.smtp.messages().get(n) {
                let mail = Mail::parse(raw);
                let body = mail
                    .part_text("text/plain")
                    .unwrap_or_else(|| mail.decoded_body());
                return six_digits(&body).expect("a 6-digit code in the email");
            }
            assert!(Instant::now() < deadline, "email #{n} did not arrive");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The code in the `n`-th text message the provider got (waits up to 10 s for it).
    pub async fn text_code(&self, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(request) = self.sms.requests().get(n) {
                let form = request.form();
                return six_digits(&form["Body"]).expect("a 6-digit code in the text");
            }
            assert!(Instant::now() < deadline, "text #{n} did not arrive");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The first run of exactly six digits in `text`.
pub fn six_digits(text: &str) -> Option<String> {
    let digits: Vec<(usize, char)> = text.char_indices().collect();
    let mut run_start = None;
    for (i, &(_, c)) in digits
        .iter()
        .chain(std::iter::once(&(text.len(), ' ')))
        .enumerate()
    {
        match (c.is_ascii_digit(), run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(start)) => {
                if i - start == 6 {
                    return Some(digits[start..i].iter().map(|(_, c)| *c).collect());
                }
                run_start = None;
            }
            _ => {}
        }
    }
    None
}

/// Types a code into the page's code field and presses `button`.
pub async fn enter_code(chrome: &Chrome, code: &str, button: &str) {
    chrome.type_into("#code", code).await;
    chrome.press(button).await;
}

/// Asserts the browser is on the legacy site's member page for `display_name`.
pub async fn assert_on_legacy_page(chrome: &Chrome, display_name: &str) {
    let text = chrome.text().await;
    assert!(
        text.contains(&format!("Welcome, {display_name}")),
        "expected the legacy member page at {}, got:\n{text}",
        chrome.path().await
    );
}

/// Asserts the gateway's cookies are in the browser's own store as the browser keeps them:
/// `__Host-` names (so `Secure`, `Path=/`, no `Domain`), HttpOnly, SameSite=Lax, and the
/// upstream session cookie released.
pub async fn assert_gateway_cookies(chrome: &Chrome) {
    let cookies = chrome.cookies().await;
    let names: Vec<&str> = cookies.iter().map(|c| c.name.as_str()).collect();
    for name in ["__Host-mfa_trust", "__Host-mfa_bind"] {
        let cookie = cookies
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name} missing from the browser's cookies: {names:?}"));
        assert_eq!(cookie.secure, Some(true), "{name} is Secure");
        assert_eq!(cookie.http_only, Some(true), "{name} is HttpOnly");
        assert_eq!(cookie.path.as_deref(), Some("/"), "{name} has Path=/");
        assert_eq!(
            cookie.same_site,
            Some(thirtyfour::SameSite::Lax),
            "{name} is SameSite=Lax"
        );
        assert!(
            cookie
                .domain
                .as_deref()
                .is_some_and(|d| !d.starts_with('.')),
            "{name} is host-only: {:?}",
            cookie.domain
        );
    }
    assert!(names.contains(&"MLSSESSION"), "session released: {names:?}");
    assert!(
        !names.iter().any(|n| n.contains("mfa_pending")),
        "held login cleared: {names:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::six_digits;

    #[test]
    fn six_digits_finds_only_a_run_of_exactly_six() {
        assert_eq!(six_digits("Your code is 123456."), Some("123456".into()));
        assert_eq!(six_digits("1234567 then 654321"), Some("654321".into()));
        assert_eq!(six_digits("code:042042"), Some("042042".into()));
        assert_eq!(six_digits("12345"), None);
    }
}
