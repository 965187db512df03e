//! What a member who has never seen MFA meets (issue 16, points 1–6), checked in the browser
//! at phone and desktop width, in English and Spanish: "Sign in again" leads to the login
//! form, errors are the first thing on the screen with the code box in reach, "Resend code"
//! waits visibly and then works by itself, a failed send says only that, the code that locks
//! says so, and an app-only deployment says what MFA is and that it is required.
//!
//! The scenarios in `browser.rs` call the checks here on the pages they reach; the app-only
//! deployment has its own test below.

use std::time::{Duration, Instant};

use fluent_bundle::FluentValue;
use mfa_gateway::pages::Lang;
use serde_json::json;

use crate::common::GatewayOptions;
use crate::kit::chrome::Chrome;
use crate::kit::screens::{set_viewport, VIEWPORTS};
use crate::kit::words::Words;
use crate::kit::{enter_code, Stack};

/// Runs `check` on the current page at each width (the page re-lays itself out; no reload,
/// so pages answering a POST can be checked too).
async fn at_both_widths(chrome: &Chrome, script: &str) -> Vec<serde_json::Value> {
    let mut facts = Vec::new();
    for viewport in VIEWPORTS {
        set_viewport(chrome, &viewport).await;
        let mut fact = chrome.eval(script).await;
        fact["viewport"] = json!(viewport.name);
        facts.push(fact);
    }
    chrome
        .devtools("Emulation.clearDeviceMetricsOverride", json!({}))
        .await;
    facts
}

/// Point 2: after a wrong code the error is on the first screen (scrolled to the top), it
/// links to the code box, and the code box has the focus.
pub async fn assert_error_first_at_both_widths(chrome: &Chrome, label: &str) {
    let facts = at_both_widths(
        chrome,
        r##"window.scrollTo(0, 0);
           const error = document.querySelector("#code-error");
           const box = error ? error.getBoundingClientRect() : null;
           const cardTop = document.querySelector("main").getBoundingClientRect().top;
           const h1 = document.querySelector("main h1").getBoundingClientRect().bottom;
           const first = [...document.querySelectorAll("main > *")]
             .find(e => e.getClientRects().length > 0 && e.tagName !== "H1");
           return {
             shown: !!box && box.height > 0,
             onFirstScreen: !!box && box.top >= cardTop && box.bottom <= window.innerHeight,
             rightUnderTheHeading: !!box && box.top - h1 < 80,
             firstAfterHeading: !!first && (first.id === "code-error" || first.contains(error)),
             linksToTheBox: !!error && !!error.querySelector("a[href='#code']"),
             focused: document.activeElement && document.activeElement.id === "code",
           };"##,
    )
    .await;
    for fact in facts {
        for check in [
            "shown",
            "onFirstScreen",
            "rightUnderTheHeading",
            "firstAfterHeading",
            "linksToTheBox",
            "focused",
        ] {
            assert_eq!(fact[check], json!(true), "{label}: {check}: {fact}");
        }
    }
}

/// Point 3: "Resend code" is on the page from the start — disabled, with the wait in words —
/// and once the wait is over it works without reloading: pressing it sends a new code
/// (message number `next_email` at the receiver).
pub async fn resend_waits_then_works(
    chrome: &Chrome,
    stack: &Stack,
    words: &Words,
    shown: Instant,
    next_email: usize,
) {
    let resend = words.t("resend-code");
    // The swap is by `visibility` (both buttons take the same cell), so "shown" is the
    // computed visibility, as for a sighted member and for a screen reader alike.
    let visible_buttons = r##"return [...document.querySelectorAll(".resend button")]
        .filter(b => b.getClientRects().length > 0 && getComputedStyle(b).visibility === "visible")
        .map(b => ({ text: b.textContent.trim(), disabled: b.disabled }));"##;
    let waiting = format!(
        r##"const wait = document.querySelector("#resend-wait");
           return {{ buttons: (() => {{ {visible_buttons} }})(),
                    wait: wait && getComputedStyle(wait).visibility === "visible" ? wait.textContent : null }};"##
    );
    for fact in at_both_widths(chrome, &waiting).await {
        assert_eq!(
            fact["buttons"],
            json!([{ "text": resend, "disabled": true }]),
            "the disabled button while waiting: {fact}"
        );
        let wait = fact["wait"].as_str().unwrap_or_default();
        assert!(
            wait.chars().any(|c| c.is_ascii_digit()),
            "the wait in words: {fact}"
        );
    }
    // The wait is 30 s from the send; the page swaps the button by itself (CSS, no script).
    let over = shown + Duration::from_secs(31);
    tokio::time::sleep(over.saturating_duration_since(Instant::now())).await;
    for fact in at_both_widths(chrome, &waiting).await {
        assert_eq!(
            fact["buttons"],
            json!([{ "text": resend, "disabled": false }]),
            "the working button after the wait: {fact}"
        );
        assert_eq!(fact["wait"], json!(null), "the wait is gone: {fact}");
    }
    chrome.press(&resend).await;
    assert!(
        chrome
            .text()
            .await
            .contains(&words.lead("challenge-sent-html", "destination")),
        "a new code was sent"
    );
    stack.email_code(next_email).await;
}

/// Point 4: a text that could not be sent at set-up: the page says only that (no "we sent a
/// code", no wait), and the member can ask again at once.
pub async fn a_failed_send_says_only_that(chrome: &Chrome, words: &Words) {
    let text = chrome.text().await;
    let sent = words.lead("challenge-sent-html", "destination");
    let failed = words.t("enroll-error-send-failed-choose");
    let failed_alone = words.t("enroll-error-send-failed");
    assert!(
        text.contains(&failed) || text.contains(&failed_alone),
        "the failure is said: {text}"
    );
    assert!(
        !text.contains(&sent),
        "no 'we sent a code' after a failure: {text}"
    );
    let send = words.t("enroll-send-code");
    let facts = at_both_widths(
        chrome,
        r##"return { buttons: [...document.querySelectorAll("button")]
             .filter(b => b.getClientRects().length > 0 && getComputedStyle(b).visibility === "visible")
             .map(b => ({ text: b.textContent.trim(), disabled: b.disabled })) };"##,
    )
    .await;
    for fact in facts {
        let buttons = fact["buttons"].as_array().cloned().unwrap_or_default();
        assert!(
            buttons
                .iter()
                .any(|b| b["text"] == json!(send) && b["disabled"] == json!(false)),
            "a working {send:?} button right away: {fact}"
        );
    }
}

/// Point 1: the "Sign in again" link leads to the page the login form was on (the demo
/// site's `/login`), visible at both widths; with `follow`, it is followed and the form is
/// there (not a 404 at `/`).
pub async fn sign_in_again_leads_to_the_login_form(chrome: &Chrome, words: &Words, follow: bool) {
    let label = words.t("sign-in-again");
    let script = format!(
        r##"const link = [...document.querySelectorAll("main a")]
             .find(a => a.textContent.trim() === {label});
           return link ? {{ href: link.getAttribute("href"),
                            height: link.getBoundingClientRect().height }} : null;"##,
        label = serde_json::to_string(&label).expect("json")
    );
    for fact in at_both_widths(chrome, &script).await {
        assert_eq!(fact["href"], json!("/login"), "{label:?} link: {fact}");
        assert!(
            fact["height"].as_f64().unwrap_or(0.0) >= 44.0,
            "a tap target: {fact}"
        );
    }
    if follow {
        chrome.follow(&label).await;
        assert_eq!(chrome.path().await, "/login");
        chrome.find("#username").await;
    }
}

/// Point 5: wrong codes until the member is locked: every answer before says how many tries
/// are left, the answer to the code that locks is the locked page with the support contact,
/// and "1 more time" was the last promise made.
pub async fn the_locking_code_says_locked(
    chrome: &Chrome,
    words: &Words,
    secret: &[u8],
    at_most: usize,
) {
    let wrong = super::wrong_code(secret);
    let locked = words.t("locked-title");
    let one_more = words.with("attempts-left", &[("count", FluentValue::from(1))]);
    let mut last_promise = None;
    for _ in 0..at_most {
        enter_code(chrome, &wrong, &words.t("verify-button")).await;
        if chrome.heading().await == locked {
            let text = chrome.text().await;
            assert!(text.contains(&words.t("locked-details")), "{text}");
            assert!(
                text.contains("support@smartmls.com"),
                "support contact: {text}"
            );
            assert_eq!(
                last_promise.as_deref(),
                Some(one_more.as_str()),
                "the answer before the lock said how many tries were left"
            );
            return;
        }
        let text = chrome.text().await;
        last_promise = (0..=10)
            .map(|n| words.with("attempts-left", &[("count", FluentValue::from(n))]))
            .find(|promise| text.contains(promise.as_str()));
        assert!(last_promise.is_some(), "tries left are said: {text}");
    }
    panic!("not locked after {at_most} wrong codes");
}

/// Point 6: an app-only deployment opens on the app set-up with one word of why — what MFA is
/// and that it is required from the configured date — at both widths, in both languages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_only_deployment_says_what_mfa_is_and_that_it_is_required() {
    let Some(stack) = Stack::start_with(GatewayOptions {
        methods: vec!["app".into()],
        ..GatewayOptions::default()
    })
    .await
    else {
        return;
    };
    for lang in Lang::ALL {
        let words = Words::new(lang);
        let user = stack.harness.user(0).clone();
        let chrome = stack.browser_in(lang).await;
        chrome.sign_in(&user.username, &user.password).await;
        assert_eq!(chrome.heading().await, words.t("enroll-app-title"));
        let what = words.with(
            "enroll-intro-what-app",
            &[("brand", FluentValue::from("SmartMLS"))],
        );
        let facts = at_both_widths(
            &chrome,
            r##"window.scrollTo(0, 0);
               const intro = document.querySelector(".mfa-intro");
               const box = intro ? intro.getBoundingClientRect() : null;
               return { text: intro ? intro.textContent : "",
                        onFirstScreen: !!box && box.top >= 0 && box.top < window.innerHeight };"##,
        )
        .await;
        for fact in facts {
            let text = fact["text"].as_str().unwrap_or_default();
            assert!(text.contains(&what), "{lang:?}: what MFA is: {fact}");
            assert!(
                text.contains("MFA") && text.contains("2025"),
                "{lang:?}: required from the date: {fact}"
            );
            assert_eq!(fact["onFirstScreen"], json!(true), "{lang:?}: {fact}");
        }
        chrome.quit().await;
    }
}
