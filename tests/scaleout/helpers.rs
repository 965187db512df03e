//! Helpers shared by the scale-out tests: moving a browser between instances, reading texted
//! codes, polling `/readyz`, recognising the fail-closed answers, and bounding every step in
//! time so a hung gateway fails the test instead of stalling the run.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::common::{totp, Browser, Resp};
use crate::support::sms_provider::FakeSmsProvider;

/// Longest one step (a request, an enrollment) may take.
pub const STEP_LIMIT: Duration = Duration::from_secs(30);

/// How long an instance may take to notice an outage or a recovery on `/readyz`.
pub const NOTICE_LIMIT: Duration = Duration::from_secs(15);

/// Runs `work`, failing the test if it takes longer than [`STEP_LIMIT`].
pub async fn bounded<T>(what: &str, work: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP_LIMIT, work)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {STEP_LIMIT:?}"))
}

/// The same browser (cookie jar) sending its next request to `base`, as a load balancer may.
/// Cookies are host-only for `127.0.0.1`, and browsers do not separate them by port.
pub fn on(b: &Browser, base: &str) -> Browser {
    let mut moved = Browser::new(base);
    moved.jar = b.jar.clone();
    moved
}

/// The first run of exactly six digits in `text`.
pub fn six_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|i| {
        let run = &bytes[i..i + 6];
        let digit_before = i.checked_sub(1).is_some_and(|j| bytes[j].is_ascii_digit());
        let digit_after = bytes.get(i + 6).is_some_and(u8::is_ascii_digit);
        (run.iter().all(u8::is_ascii_digit) && !digit_before && !digit_after)
            .then(|| String::from_utf8_lossy(run).into_owned())
    })
}

/// The code of text number `n` (0-based) sent to `mobile`, waiting up to 10 s for it.
pub async fn nth_text_code(sms: &FakeSmsProvider, mobile: &str, n: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let codes: Vec<String> = sms
            .requests()
            .iter()
            .map(|request| request.form())
            .filter(|form| form.get("To").is_some_and(|to| to == mobile))
            .filter_map(|form| six_digits(form.get("Body")?))
            .collect();
        if let Some(code) = codes.get(n) {
            return code.clone();
        }
        assert!(
            Instant::now() < deadline,
            "text #{n} to {mobile} never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A six-digit code that matches none of the steps the gateway accepts now for `secret`.
pub fn wrong_code(secret: &[u8]) -> String {
    let now = totp::current_step();
    let valid: Vec<String> = (now.saturating_sub(2)..=now + 2)
        .map(|step| totp::code_at_step(secret, step))
        .collect();
    (0..)
        .map(|n: u32| format!("{:06}", (n * 7919) % 1_000_000))
        .find(|candidate| !valid.contains(candidate))
        .expect("an unused code exists")
}

/// The status of `GET /readyz` on an admin listener.
pub async fn readyz(admin_url: &str) -> u16 {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    client
        .get(format!("{admin_url}/readyz"))
        .send()
        .await
        .expect("the admin listener answers /readyz")
        .status()
        .as_u16()
}

/// Polls `/readyz` until it answers `want`, within [`NOTICE_LIMIT`].
pub async fn wait_for_readyz(admin_url: &str, want: u16) {
    let deadline = Instant::now() + NOTICE_LIMIT;
    loop {
        let status = readyz(admin_url).await;
        if status == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz still answers {status}, not {want}, after {NOTICE_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Asserts `resp` is the fail-closed page for a browser: 503 HTML saying nobody gets in, with
/// the support contact.
pub fn assert_fail_closed_page(resp: &Resp, what: &str) {
    assert_eq!(resp.status, 503, "{what}: {}", resp.body);
    let content_type = resp
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("text/html"),
        "{what}: {content_type}"
    );
    let text = resp.text();
    assert!(
        text.contains("Nobody can get in without verification")
            && text.contains("support@smartmls.com"),
        "{what}: {text}"
    );
}

/// Asserts a login answered while a store is down: sent to the fail-closed page (which is then
/// shown), with no upstream session cookie released to the browser.
pub async fn assert_login_fails_closed(b: &mut Browser, login: Resp, what: &str) {
    assert_eq!(login.status, 303, "{what}: {login:?}");
    assert_eq!(
        login.location.as_deref(),
        Some("/_mfa/unavailable"),
        "{what}"
    );
    assert!(
        b.cookie("MLSSESSION").is_none(),
        "{what}: upstream session released"
    );
    let page = bounded(what, b.follow(login)).await;
    assert_fail_closed_page(&page, what);
}

/// Asserts the JSON fail-closed answer an API client gets.
pub fn assert_fail_closed_json(resp: &Resp, what: &str) {
    assert_eq!(resp.status, 503, "{what}: {}", resp.body);
    let content_type = resp
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{what}: {content_type}"
    );
    assert_eq!(resp.json()["error"], "unavailable", "{what}: {}", resp.body);
}
