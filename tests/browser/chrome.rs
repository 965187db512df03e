//! Debian's headless Chromium driven through chromedriver (WebDriver), one fresh profile per
//! browser, so every `Chrome` is a new device as far as the gateway's trust cookie goes.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use thirtyfour::prelude::*;
use thirtyfour::LoggingPrefsLogLevel;

/// What CI installs (`.ci/run`); named in the failure message when they are missing there.
pub const APT_PACKAGES: &str = "chromium chromium-driver";

/// Paths of the browser and its driver.
#[derive(Debug, Clone)]
pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// The Chromium and chromedriver to use: `$MFA_CHROMIUM` / `$MFA_CHROMEDRIVER`, else Debian's.
/// `None` after printing `SKIPPED` when absent; under `CI` a missing browser fails the test,
/// because CI is where these tests must really run.
pub fn tools() -> Option<Tools> {
    let pick = |var: &str, debian: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(debian))
    };
    let tools = Tools {
        chromium: pick("MFA_CHROMIUM", "/usr/bin/chromium"),
        chromedriver: pick("MFA_CHROMEDRIVER", "/usr/bin/chromedriver"),
    };
    if tools.chromium.exists() && tools.chromedriver.exists() {
        return Some(tools);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install the browser: apt-get install -y {APT_PACKAGES} (looked for {} and {})",
        tools.chromium.display(),
        tools.chromedriver.display()
    );
    println!("SKIPPED: chromium not installed (apt-get install -y {APT_PACKAGES})");
    None
}

/// One browser: a chromedriver process, one WebDriver session, one throw-away profile.
///
/// Fields drop in order: the session first (thirtyfour ends a session that was not quit,
/// so Chromium does not outlive a failed test), then chromedriver, then the profile.
pub struct Chrome {
    pub driver: WebDriver,
    /// The gateway origin, e.g. `https://localhost:8443`.
    pub base: String,
    _chromedriver: KillOnDrop,
    _profile: tempfile::TempDir,
}

/// A child process killed when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Chrome {
    /// Starts chromedriver and a headless Chromium with a fresh profile, pointed at `base`.
    pub async fn start(tools: &Tools, base: &str) -> Chrome {
        let profile = tempfile::tempdir().expect("profile dir");
        let (chromedriver, port) = spawn_chromedriver(&tools.chromedriver, profile.path());
        let chromedriver = KillOnDrop(chromedriver);
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&tools.chromium.to_string_lossy())
            .expect("binary");
        let profile_arg = format!(
            "--user-data-dir={}",
            profile.path().join("chrome").display()
        );
        for arg in [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // The test certificate is self-signed for `localhost`.
            "--ignore-certificate-errors",
            // The gateway listens on IPv4 loopback only; skip the IPv6 attempt.
            "--host-resolver-rules=MAP localhost 127.0.0.1",
            "--window-size=1280,900",
            profile_arg.as_str(),
        ] {
            caps.add_arg(arg).expect("chromium flag");
        }
        caps.accept_insecure_certs(true).expect("insecure certs");
        // CSP violations and failed loads land in the browser log, which the pages check.
        caps.set_browser_log_level(LoggingPrefsLogLevel::All)
            .expect("log prefs");
        let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps)
            .await
            .expect("WebDriver session with Chromium");
        Chrome {
            driver,
            base: base.to_string(),
            _chromedriver: chromedriver,
            _profile: profile,
        }
    }

    /// Opens a gateway path (or an absolute URL).
    pub async fn goto(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        self.driver.goto(&url).await.expect("navigate");
    }

    /// The path (and query) of the current page.
    pub async fn path(&self) -> String {
        let url = self.driver.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Visible text of the page.
    pub async fn text(&self) -> String {
        self.driver
            .find(By::Tag("body"))
            .await
            .expect("body")
            .text()
            .await
            .expect("body text")
    }

    /// The page's `<h1>`.
    pub async fn heading(&self) -> String {
        self.find("h1").await.text().await.expect("h1 text")
    }

    /// The element matching a CSS selector (fails the test if absent).
    pub async fn find(&self, css: &str) -> WebElement {
        match self.driver.find(By::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!(
                "no element {css:?} on {} ({e}):\n{}",
                self.path().await,
                self.text().await
            ),
        }
    }

    /// Types `text` into the field matching `css`, as a person would (key by key).
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear field");
        field.send_keys(text).await.expect("type");
    }

    /// Clicks the button whose visible text contains `label` and waits for the next page.
    pub async fn press(&self, label: &str) {
        let xpath = format!(
            "//button[contains(normalize-space(.), {})]",
            xpath_literal(label)
        );
        // The first one a member could press: shown and enabled (a page may hold a disabled
        // twin, e.g. "Resend code" while its wait runs).
        let mut usable = None;
        for button in self
            .driver
            .find_all(By::XPath(&xpath))
            .await
            .unwrap_or_default()
        {
            if button.is_displayed().await.unwrap_or(false)
                && button.is_enabled().await.unwrap_or(false)
            {
                usable = Some(button);
                break;
            }
        }
        let Some(button) = usable else {
            panic!(
                "no usable button {label:?} on {}:\n{}",
                self.path().await,
                self.text().await
            )
        };
        self.click_and_wait(button).await;
    }

    /// Follows the link whose visible text contains `label`.
    pub async fn follow(&self, label: &str) {
        let xpath = format!(
            "//a[contains(normalize-space(.), {})]",
            xpath_literal(label)
        );
        let link = self
            .driver
            .find(By::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no link {label:?} ({e})"));
        self.click_and_wait(link).await;
    }

    /// Clicks `element`, then waits until the old page is gone and the new one has loaded
    /// (chromedriver usually waits by itself; this makes the wait explicit).
    async fn click_and_wait(&self, element: WebElement) {
        self.driver
            .execute("window.__mfaOldPage = true;", Vec::<Value>::new())
            .await
            .expect("mark page");
        element.click().await.expect("click");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let state = self
                .driver
                .execute(
                    "return [window.__mfaOldPage === true, document.readyState];",
                    Vec::<Value>::new(),
                )
                .await;
            if let Ok(ret) = state {
                if ret.json() == &json!([false, "complete"]) {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "no new page after the click");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Signs in on the legacy site's own login form, through the gateway.
    pub async fn sign_in(&self, username: &str, password: &str) {
        self.goto("/login").await;
        self.type_into("#username", username).await;
        self.type_into("#password", password).await;
        let submit = self.find("input[type=submit]").await;
        self.click_and_wait(submit).await;
    }

    /// Presses Tab once, as a keyboard user would.
    pub async fn tab(&self) {
        self.driver
            .action_chain()
            .send_keys(Key::Tab)
            .perform()
            .await
            .expect("press Tab");
    }

    /// Whether the focused element matches the CSS selector `css`.
    pub async fn focused_matches(&self, css: &str) -> bool {
        let script = format!(
            "return document.activeElement !== null && document.activeElement.matches({});",
            Value::from(css)
        );
        self.eval(&script).await == Value::Bool(true)
    }

    /// Whether the element matching `css` gets the focus within 3 s of the page loading: the
    /// browser applies `autofocus` after the load, later when the machine is busy.
    pub async fn gets_focus(&self, css: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            if self.focused_matches(css).await {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every cookie the browser stores for the current origin (HttpOnly ones included).
    pub async fn cookies(&self) -> Vec<Cookie> {
        self.driver.get_all_cookies().await.expect("cookies")
    }

    /// Browser log entries since the last call (console errors, CSP reports, failed loads).
    pub async fn drain_log(&self) -> Vec<String> {
        self.driver
            .browser_log()
            .await
            .expect("browser log")
            .into_iter()
            .map(|e| format!("{} {}", e.level, e.message))
            .collect()
    }

    /// Sends a Chrome DevTools command through chromedriver.
    pub async fn devtools(&self, method: &str, params: Value) -> Value {
        self.driver
            .cdp()
            .send_raw(method, params)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Runs a script and returns its JSON result.
    pub async fn eval(&self, script: &str) -> Value {
        self.driver
            .execute(script, Vec::<Value>::new())
            .await
            .unwrap_or_else(|e| panic!("script failed ({e}): {script}"))
            .json()
            .clone()
    }

    /// Ends the session (Chromium exits), then chromedriver.
    pub async fn quit(self) {
        let _ = self.driver.clone().quit().await;
    }
}

/// Starts chromedriver on a free port (retrying if another process grabbed it first).
fn spawn_chromedriver(binary: &Path, dir: &Path) -> (Child, u16) {
    for _ in 0..3 {
        let port = crate::common::free_port();
        let log = std::fs::File::create(dir.join("chromedriver.log")).expect("driver log");
        let mut child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (child, port);
            }
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!(
        "chromedriver did not start:\n{}",
        std::fs::read_to_string(dir.join("chromedriver.log")).unwrap_or_default()
    );
}

/// `text` as an XPath string literal (labels contain apostrophes such as "Can't").
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}
