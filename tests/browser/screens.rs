//! Each gateway page at phone and desktop size: layout checks (no sideways scrolling, big
//! tap targets, stylesheets really applied under the CSP, nothing said twice on one
//! page), axe-core, and a full-page screenshot for `docs/screens.md`.
//!
//! Screenshots go to `target/tmp/screens/` on every run. `MFA_UPDATE_SCREENS=1` writes them to
//! `docs/screens/` instead, shrunk with `pngquant` (Debian package `pngquant`) so the
//! committed PNGs stay small.

use std::path::PathBuf;
use std::process::Command;

use base64::Engine;
use mfa_gateway::pages::Lang;
use serde_json::{json, Value};

use super::axe::Axe;
use super::chrome::Chrome;

/// A screen size the pages must work at.
#[derive(Debug, Clone, Copy)]
pub struct Viewport {
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
    /// Emulate a phone (viewport meta honoured, touch-style scrollbars).
    pub mobile: bool,
}

/// A small Android phone.
pub const PHONE: Viewport = Viewport {
    name: "phone",
    width: 360,
    height: 800,
    mobile: true,
};

/// A laptop browser window.
pub const DESKTOP: Viewport = Viewport {
    name: "desktop",
    width: 1280,
    height: 900,
    mobile: false,
};

/// Both sizes, phone first.
pub const VIEWPORTS: [Viewport; 2] = [PHONE, DESKTOP];

/// Every page the docs show: file-name stem and the one-line caption in `docs/screens.md`.
pub const PAGES: &[(&str, &str)] = &[
    ("enroll-choose", "Set-up: what MFA is and that it is required, then how to get codes (authenticator app, text message or email)."),
    ("enroll-app", "Set-up with an authenticator app: \"Open in authenticator app\" first on a phone, QR code, key in groups, store links folded."),
    ("enroll-app-wrong-code", "App set-up after a wrong code: the error is the first thing on the page, with a link to the code box, which has the focus."),
    ("enroll-email", "Set-up by email: a code was sent to the masked roster address."),
    ("enroll-text", "Set-up by text message, after a first send the provider refused: the code went out on the second try."),
    ("challenge-app", "Sign-in on a new browser: code from the app, or try another method."),
    ("challenge-email", "Sign-in with an emailed code: \"Resend code\" is shown disabled with the wait in words, and works by itself once the wait is over."),
    ("challenge-text", "Sign-in after choosing Try another method → text message."),
    ("challenge-wrong-code", "A wrong code: the error first, what to check, tries left, support address."),
    ("challenge-expired", "An expired code: ask for a new one."),
    ("locked", "Locked by the wrong code that locked it: contact support to unlock."),
    ("cancelled", "Sign-in cancelled: update the roster information, then sign in again on the login form's page."),
    ("session-expired", "Back at the gateway after Cancel: this sign-in was cancelled; sign in again."),
    ("fail-closed", "Fail closed: the roster is unreachable, so nobody gets in without verification."),
    ("upstream-down", "502: the legacy website is not answering."),
];

/// File name of one screenshot: `enroll-app-phone.png`, `enroll-app-phone-es.png`.
pub fn file_name(slug: &str, viewport: &Viewport, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{slug}-{}.png", viewport.name),
        other => format!("{slug}-{}-{}.png", viewport.name, other.code()),
    }
}

/// True when this run should refresh the committed screenshots.
fn updating_docs() -> bool {
    std::env::var_os("MFA_UPDATE_SCREENS").is_some_and(|v| v != "0")
}

/// Where this run writes screenshots.
pub fn output_dir() -> PathBuf {
    if updating_docs() {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screens")
    } else {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screens")
    }
}

/// Checks the current gateway page at both sizes and saves its screenshots as `slug` in
/// `lang` (the page must be in that language: `<html lang>` says so).
pub async fn capture(chrome: &Chrome, axe: &Axe, slug: &str, lang: Lang) {
    assert!(
        PAGES.iter().any(|(s, _)| *s == slug),
        "{slug} is not listed in PAGES (and so not in docs/screens.md)"
    );
    let page_lang = chrome.eval("return document.documentElement.lang;").await;
    assert_eq!(page_lang, lang.code(), "{slug}: <html lang>");
    for viewport in VIEWPORTS {
        let label = format!("{slug} ({}) at {}", lang.code(), viewport.name);
        set_viewport(chrome, &viewport).await;
        check_layout(chrome, &viewport, &label).await;
        axe.check(chrome, &label).await;
        save(&screenshot(chrome, &viewport).await, slug, &viewport, lang);
    }
    chrome
        .devtools("Emulation.clearDeviceMetricsOverride", json!({}))
        .await;
    let csp: Vec<String> = chrome
        .drain_log()
        .await
        .into_iter()
        .filter(|line| line.contains("Content Security Policy") || line.contains("Refused to"))
        .collect();
    assert!(
        csp.is_empty(),
        "{slug}: the page broke its own CSP: {csp:#?}"
    );
}

/// Proves the browser enforces the page's CSP and that [`capture`] would see a violation: an
/// inline `<style>` added by hand is refused and the refusal shows up in the browser log.
pub async fn assert_csp_enforced(chrome: &Chrome) {
    chrome.drain_log().await;
    let applied = chrome
        .eval(
            r#"const style = document.createElement("style");
               style.textContent = "body { background-color: rgb(1, 2, 3) !important; }";
               document.head.appendChild(style);
               return getComputedStyle(document.body).backgroundColor;"#,
        )
        .await;
    assert_ne!(
        applied, "rgb(1, 2, 3)",
        "an inline style was applied: no CSP"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let log = chrome.drain_log().await;
        if log
            .iter()
            .any(|line| line.contains("Content Security Policy"))
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the refused inline style never reached the browser log: {log:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Emulates `viewport` exactly (a window size would include browser chrome).
pub async fn set_viewport(chrome: &Chrome, viewport: &Viewport) {
    chrome
        .devtools(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": viewport.width,
                "height": viewport.height,
                "deviceScaleFactor": 1,
                "mobile": viewport.mobile,
            }),
        )
        .await;
}

/// No sideways scrolling, stylesheets applied, and tap targets at least 44 px tall.
async fn check_layout(chrome: &Chrome, viewport: &Viewport, label: &str) {
    let facts = chrome
        .eval(
            r#"const small = [...document.querySelectorAll(
                   "button, .button, summary, .code-input, .choice, .contact-list a, .store-link")]
                 .filter(e => e.getClientRects().length > 0)
                 .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect().height])
                 .filter(([, h]) => h < 44);
               const main = document.querySelector("main").textContent;
               const repeated = ["Be sure", "If it still does not work", "We sent",
                                 "ask for a new code in", "Asegúrese", "Enviamos un código",
                                 "pedir un código nuevo"]
                 .filter(phrase => main.split(phrase).length > 2);
               return {
                 repeated: repeated,
                 scrollWidth: document.documentElement.scrollWidth,
                 innerWidth: window.innerWidth,
                 sheets: [...document.styleSheets].map(s => s.cssRules.length),
                 background: getComputedStyle(document.body).backgroundColor,
                 small: small,
               };"#,
        )
        .await;
    assert_eq!(
        facts["innerWidth"].as_u64(),
        Some(u64::from(viewport.width)),
        "{label}: viewport emulation"
    );
    let scroll_width = facts["scrollWidth"].as_u64().unwrap_or(u64::MAX);
    assert!(
        scroll_width <= u64::from(viewport.width),
        "{label}: the page scrolls sideways ({scroll_width}px wide in a {}px screen)",
        viewport.width
    );
    let sheets: Vec<u64> = facts["sheets"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    assert!(
        sheets.len() == 2 && sheets.iter().all(|rules| *rules > 0),
        "{label}: gateway.css and brand.css must both load under the CSP: {facts}"
    );
    assert_eq!(
        facts["background"], "rgb(242, 244, 247)",
        "{label}: gateway.css is applied"
    );
    assert_eq!(
        facts["small"],
        json!([]),
        "{label}: tap targets under 44px tall"
    );
    assert_eq!(
        facts["repeated"],
        json!([]),
        "{label}: the page says the same thing twice"
    );
}

/// A PNG of the whole page (not just the viewport) at 1 CSS px = 1 image px.
async fn screenshot(chrome: &Chrome, viewport: &Viewport) -> Vec<u8> {
    let height = chrome
        .eval("return document.documentElement.scrollHeight;")
        .await
        .as_u64()
        .unwrap_or(u64::from(viewport.height))
        .max(u64::from(viewport.height));
    let shot = chrome
        .devtools(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": viewport.width, "height": height, "scale": 1 },
            }),
        )
        .await;
    let data = shot["data"].as_str().expect("screenshot data");
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("screenshot PNG")
}

/// Writes one screenshot; when refreshing the docs, shrinks it with pngquant.
fn save(png: &[u8], slug: &str, viewport: &Viewport, lang: Lang) {
    let dir = output_dir();
    std::fs::create_dir_all(&dir).expect("screens dir");
    let path = dir.join(file_name(slug, viewport, lang));
    std::fs::write(&path, png).expect("write screenshot");
    if updating_docs() {
        let status = Command::new("pngquant")
            // 16 colours: 4 bits a pixel, which these flat text pages survive unharmed, and
            // about a third the size of 17 or more colours.
            .args(["--force", "--skip-if-larger", "--strip", "--speed=1", "16"])
            .arg("--output")
            .arg(&path)
            .arg("--")
            .arg(&path)
            .status();
        // 98 = "not smaller", 99 = "quality too low": the original is kept, which is fine.
        assert!(
            status
                .as_ref()
                .is_ok_and(|s| s.success() || s.code() == Some(98) || s.code() == Some(99)),
            "pngquant (apt-get install pngquant) failed on {}: {status:?}",
            path.display()
        );
    }
}
