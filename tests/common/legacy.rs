//! A "zoo" of real third-party legacy web stacks to put behind the gateway: each is a small
//! members' site with its own login form, its own session mechanism and a "who am I" endpoint,
//! served by software installed from packages (never an HTTP server written for the tests).
//!
//! | [`Stack`] | server (package) | session cookie | login |
//! | --- | --- | --- | --- |
//! | [`Stack::Php`] | `php -S` built-in server (`php-cli`) | `PHPSESSID` | `POST /login`, `POST /api/login` (JSON) |
//! | [`Stack::Express`] | Node.js + Express 4 + express-session (npm, `tests/legacy/express`) | `connect.sid` | `POST /login`, `POST /api/login` (JSON) |
//! | [`Stack::Tomcat`] | Tomcat 10 with container-managed FORM auth (`tomcat10-common`) | `JSESSIONID` | `POST /j_security_check` |
//!
//! [`LegacyApp::start`] runs one on a free loopback port in a private temporary directory (the
//! sources in `tests/legacy` are only read), and [`LegacyApp::requests`] reads its *oracle*:
//! one line per request the app received, with the member it saw signed in. Tests use the
//! oracle to check what really reached the app through the gateway. See
//! `tests/legacy/README.md` for the apps themselves.
//!
//! Layout: the per-stack [`Profile`]s are in `legacy/profiles.rs`, the launching of the app
//! processes (PHP's built-in server, Node.js Express, Tomcat with a private `CATALINA_BASE`)
//! in `legacy/launch.rs`; this file keeps [`Stack`], [`LegacyApp`] and its oracle.

#![allow(dead_code)]

// Explicit paths: `tests/legacy_apps.rs` includes this file with `#[path]`, which would
// otherwise look for these next to it rather than in `legacy/`.
#[path = "legacy/launch.rs"]
mod launch;
#[path = "legacy/profiles.rs"]
mod profiles;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use launch::{check_installed, StartError};

// The public paths as before the split; not every test binary uses every item (as with
// `dead_code` above).
#[allow(unused_imports)]
pub use launch::free_port;
#[allow(unused_imports)]
pub use profiles::{ApiLoginProfile, Profile, EXPRESS, PHP, TOMCAT};

/// One of the legacy stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stack {
    /// PHP native sessions on PHP's built-in web server.
    Php,
    /// Node.js Express with express-session (MemoryStore).
    Express,
    /// Tomcat 10 with container-managed FORM authentication (JSP pages).
    Tomcat,
}

impl Stack {
    /// Every stack, in a fixed order.
    pub const ALL: [Stack; 3] = [Stack::Php, Stack::Express, Stack::Tomcat];

    /// What the gateway config and the tests need to know about this stack.
    pub fn profile(self) -> &'static Profile {
        match self {
            Stack::Php => &PHP,
            Stack::Express => &EXPRESS,
            Stack::Tomcat => &TOMCAT,
        }
    }

    /// The stack a test binary runs its suites against, from its name: `legacy_php…` → PHP,
    /// `legacy_express…` → Express, `legacy_tomcat…` → Tomcat; `None` for every other binary.
    pub fn of_this_binary() -> Option<Stack> {
        let name = env!("CARGO_CRATE_NAME");
        Stack::ALL
            .into_iter()
            .find(|stack| name.starts_with(&format!("legacy_{}", stack.name())))
    }

    /// Short name: `php`, `express` or `tomcat`.
    pub fn name(self) -> &'static str {
        self.profile().name
    }
}

/// One line of the oracle log: a request as the app received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRequest {
    /// The method exactly as received (`GET`, or `post` if a client sent that).
    pub method: String,
    /// Path with its query string, as received (not decoded). Tomcat writes `-` for a request
    /// it rejected before parsing the target (a 400).
    pub path: String,
    /// The member signed in on the session. PHP and Express: when the request arrived, before
    /// the handler ran. Tomcat: the request's principal when the access log was written, i.e.
    /// also the member whom this very request signed in (`POST /j_security_check`) or signed out
    /// (`/logout`).
    pub user: Option<String>,
}

/// The request the harness itself sends (readiness and [`LegacyApp::whoami_direct`]); left
/// out of [`LegacyApp::requests`].
const PROBE_PATH: &str = "/whoami?legacy-harness=probe";

/// A running legacy app: its process (group) and private temporary directory.
pub struct LegacyApp {
    stack: Stack,
    port: u16,
    log: PathBuf,
    stdout: PathBuf,
    stderr: PathBuf,
    child: Option<Child>,
    http: reqwest::Client,
    started_in: Duration,
    dir: tempfile::TempDir,
}

impl LegacyApp {
    /// Starts the stack on a free loopback port and waits until it answers (bounded wait, clear
    /// panic with the app's stderr on failure).
    ///
    /// `None` after printing a line starting `SKIPPED:` when the stack is not installed and env
    /// `CI` is not `true`; under CI a missing stack panics.
    pub async fn start(stack: Stack) -> Option<LegacyApp> {
        if let Err(missing) = check_installed(stack) {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "legacy {} app cannot run under CI: {missing} (.ci/run installs it)",
                    stack.name()
                );
            }
            println!("SKIPPED: legacy {} app: {missing}", stack.name());
            return None;
        }
        let mut last_error = String::new();
        // A port found free can be taken before the app binds it: then try another one.
        for _attempt in 0..3 {
            match Self::try_start(stack).await {
                Ok(app) => return Some(app),
                Err(StartError::PortTaken(msg)) => last_error = msg,
                Err(StartError::Failed(msg)) => panic!("{msg}"),
            }
        }
        panic!("{last_error}")
    }

    /// Which stack this is.
    pub fn stack(&self) -> Stack {
        self.stack
    }

    /// What the gateway config and the tests need to know about it.
    pub fn profile(&self) -> &'static Profile {
        self.stack.profile()
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port it listens on (loopback).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// How long the start took until the app answered.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// The oracle log file (one line per request).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The app's stdout and stderr so far (for assertion messages).
    pub fn output(&self) -> String {
        let tail = |p: &Path| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            let cut = text.len().saturating_sub(6000);
            let cut = (cut..text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            text[cut..].to_string()
        };
        format!(
            "--- stderr\n{}\n--- stdout\n{}",
            tail(&self.stderr),
            tail(&self.stdout)
        )
    }

    /// Every request the app received since the start or the last [`LegacyApp::clear_log`],
    /// in order, from the oracle log (without the harness's own probes).
    pub fn requests(&self) -> Vec<AppRequest> {
        self.settle_log();
        let text = std::fs::read_to_string(&self.log).expect("read the oracle log");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| parse_line(self.stack, l))
            .filter(|r| r.path != PROBE_PATH)
            .collect()
    }

    /// The requests that arrived on a signed-in session.
    pub fn authenticated_requests(&self) -> Vec<AppRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.user.is_some())
            .collect()
    }

    /// Whether any request arrived on a session signed in as `user`.
    pub fn saw_session_of(&self, user: &str) -> bool {
        self.requests()
            .iter()
            .any(|r| r.user.as_deref() == Some(user))
    }

    /// Forgets the requests logged so far.
    pub fn clear_log(&self) {
        self.settle_log();
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&self.log)
            .expect("truncate the oracle log");
    }

    /// Asks the app itself (bypassing any proxy) whom a `Cookie` header belongs to: the member
    /// its whoami endpoint answers, `None` for anonymous. Panics if the app does not answer.
    pub async fn whoami_direct(&self, cookie_header: &str) -> Option<String> {
        let mut req = self.http.get(format!("http://{}{PROBE_PATH}", self.addr()));
        if !cookie_header.is_empty() {
            req = req.header(reqwest::header::COOKIE, cookie_header);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("legacy {} whoami: {e}", self.stack.name()));
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| {
            panic!(
                "legacy {} whoami answered {status} with non-JSON ({e}): {body}",
                self.stack.name()
            )
        });
        assert_eq!(status, 200, "legacy {} whoami: {body}", self.stack.name());
        match json.get("user") {
            Some(serde_json::Value::String(user)) => Some(user.clone()),
            Some(serde_json::Value::Null) => None,
            _ => panic!("legacy {} whoami answered {body}", self.stack.name()),
        }
    }

    /// Tomcat writes its access log line after the response went out: wait until the file has
    /// stopped growing (briefly; PHP and Express log before they answer).
    fn settle_log(&self) {
        if self.stack != Stack::Tomcat {
            return;
        }
        let size = || std::fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0);
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut last = size();
        loop {
            std::thread::sleep(Duration::from_millis(30));
            let now = size();
            if now == last || Instant::now() > deadline {
                return;
            }
            last = now;
        }
    }
}

/// Parses one oracle line: PHP / Express `{"method","path","user"}` (user null when
/// anonymous); Tomcat's access log `{"method","path","query","user"}` with `-` for none.
fn parse_line(stack: Stack, line: &str) -> AppRequest {
    let json: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "legacy {} oracle line is not JSON ({e}): {line}",
            stack.name()
        )
    });
    let field = |name: &str| json.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let method = field("method")
        .unwrap_or_else(|| panic!("legacy {} oracle line without method: {line}", stack.name()));
    let mut path = field("path")
        .unwrap_or_else(|| panic!("legacy {} oracle line without path: {line}", stack.name()));
    let mut user = field("user");
    if stack == Stack::Tomcat {
        if let Some(query) = field("query").filter(|q| q != "-") {
            path.push_str(&query);
        }
        user = user.filter(|u| u != "-");
    }
    AppRequest { method, path, user }
}
