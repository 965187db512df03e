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

#![allow(dead_code)]

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// A JSON login endpoint (`POST` with `{"username":..,"password":..}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiLoginProfile {
    /// Path of the JSON login POST.
    pub path: &'static str,
    /// RFC 6901 pointer to the username in the request body.
    pub username_pointer: &'static str,
    /// RFC 6901 pointer to the password in the request body.
    pub password_pointer: &'static str,
}

/// What the gateway config and the tests need to know about a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// `php`, `express` or `tomcat`.
    pub name: &'static str,
    /// Path of the login form's POST: `/login`, or Tomcat's `/j_security_check`.
    pub login_path: &'static str,
    /// Page to GET first to obtain the login form: `/login`, or for Tomcat a protected page
    /// (`/home`), which the container answers with its login page and an anonymous session.
    pub login_page: &'static str,
    /// Form field of the username.
    pub username_field: &'static str,
    /// Form field of the password.
    pub password_field: &'static str,
    /// Form field (also accepted in the query string) naming where to go after the login; the
    /// app follows it only when it is a local path (starts with `/`, not `//`). Tomcat has none:
    /// it returns to the protected page that was asked for.
    pub next_field: Option<&'static str>,
    /// Name of the session cookie.
    pub session_cookie: &'static str,
    /// The login POST only works with the anonymous session made when the login form was
    /// shown (Tomcat FORM auth keeps the original request in it; without it: 408).
    pub needs_pre_login_session: bool,
    /// Statuses of a successful login answer (it also sets a new session cookie).
    pub success_status: &'static [u16],
    /// A `Location` starting with this marks a failed / not-signed-in answer (PHP and Express
    /// send anonymous visitors of members' pages to `/login?next=..`; a wrong password is a 200
    /// with the form). Caution: a *successful* login with `next=/login/` also redirects there.
    /// Tomcat answers a wrong password with a 200 forward to this error page, never a redirect.
    pub login_failure_prefix: &'static str,
    /// A members' page showing the member's name.
    pub home_path: &'static str,
    /// JSON `{"user":"jdoe"}` or `{"user":null}` (also at `/api/whoami`).
    pub whoami_path: &'static str,
    /// Ends the session and redirects to `/`.
    pub logout_path: &'static str,
    /// The JSON login endpoint, for the stacks that have one.
    pub api_login: Option<ApiLoginProfile>,
}

const API_LOGIN: ApiLoginProfile = ApiLoginProfile {
    path: "/api/login",
    username_pointer: "/username",
    password_pointer: "/password",
};

/// PHP native sessions (`php -S`, `tests/legacy/php/router.php`).
pub static PHP: Profile = Profile {
    name: "php",
    login_path: "/login",
    login_page: "/login",
    username_field: "username",
    password_field: "password",
    next_field: Some("next"),
    session_cookie: "PHPSESSID",
    needs_pre_login_session: false,
    success_status: &[302],
    login_failure_prefix: "/login",
    home_path: "/home",
    whoami_path: "/whoami",
    logout_path: "/logout",
    api_login: Some(API_LOGIN),
};

/// Express + express-session (`tests/legacy/express/app.js`).
pub static EXPRESS: Profile = Profile {
    name: "express",
    session_cookie: "connect.sid",
    ..PHP
};

/// Tomcat 10 FORM authentication (`tests/legacy/tomcat`).
pub static TOMCAT: Profile = Profile {
    name: "tomcat",
    login_path: "/j_security_check",
    login_page: "/home",
    username_field: "j_username",
    password_field: "j_password",
    next_field: None,
    session_cookie: "JSESSIONID",
    needs_pre_login_session: true,
    success_status: &[303, 302],
    login_failure_prefix: "/login-error.jsp",
    home_path: "/home",
    whoami_path: "/whoami",
    logout_path: "/logout",
    api_login: None,
};

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

/// How long a stack may take to answer after its start (Tomcat compiles its JSPs first).
fn start_timeout(stack: Stack) -> Duration {
    match stack {
        Stack::Tomcat => Duration::from_secs(90),
        _ => Duration::from_secs(30),
    }
}

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

    async fn try_start(stack: Stack) -> Result<LegacyApp, StartError> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("legacy-{}-", stack.name()))
            .tempdir()
            .expect("temporary directory for a legacy app");
        let port = free_port();
        let log = dir.path().join("requests.log");
        std::fs::write(&log, "").expect("create the oracle log");
        let stdout = dir.path().join("app.stdout");
        let stderr = dir.path().join("app.stderr");
        let mut cmd = command(stack, port, dir.path(), &log);
        cmd.current_dir(dir.path())
            .env("LEGACY_LOG", &log)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("app stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("app stderr file"));
        // Its own process group, so that Drop ends PHP's workers / Tomcat's JVM with it.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let began = Instant::now();
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the legacy {} app: {e}", stack.name()));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("HTTP client");
        let mut app = LegacyApp {
            stack,
            port,
            log,
            stdout,
            stderr,
            child: Some(child),
            http,
            started_in: Duration::ZERO,
            dir,
        };
        app.wait_until_ready(began).await?;
        app.started_in = began.elapsed();
        eprintln!(
            "legacy {} app ready on {} in {} ms",
            stack.name(),
            app.addr(),
            app.started_in.as_millis()
        );
        Ok(app)
    }

    async fn wait_until_ready(&mut self, began: Instant) -> Result<(), StartError> {
        let deadline = began + start_timeout(self.stack);
        let url = format!("http://{}{PROBE_PATH}", self.addr());
        let probe = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("HTTP client");
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                let msg = format!(
                    "legacy {} app exited with {status} before answering on {}:\n{}",
                    self.stack.name(),
                    self.addr(),
                    self.output()
                );
                return Err(if looks_like_port_taken(&self.output()) {
                    StartError::PortTaken(msg)
                } else {
                    StartError::Failed(msg)
                });
            }
            if self.stack == Stack::Tomcat && looks_like_port_taken(&self.output()) {
                return Err(StartError::PortTaken(format!(
                    "legacy tomcat app could not bind {}:\n{}",
                    self.addr(),
                    self.output()
                )));
            }
            if let Ok(resp) = probe.get(&url).send().await {
                let ok = resp.status() == 200;
                if let Ok(json) = resp.json::<serde_json::Value>().await {
                    if ok && json.get("user").is_some() {
                        return Ok(());
                    }
                }
            }
            if Instant::now() > deadline {
                return Err(StartError::Failed(format!(
                    "legacy {} app did not answer on {} within {:?}:\n{}",
                    self.stack.name(),
                    self.addr(),
                    start_timeout(self.stack),
                    self.output()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
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

impl Drop for LegacyApp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // The whole process group: PHP's forked workers, the JVM behind catalina.sh.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

enum StartError {
    PortTaken(String),
    Failed(String),
}

fn looks_like_port_taken(output: &str) -> bool {
    let lower = output.to_ascii_lowercase();
    lower.contains("address already in use") || lower.contains("eaddrinuse")
}

/// `tests/legacy` in the source tree (read only).
fn sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/legacy")
}

fn catalina_home() -> PathBuf {
    std::env::var_os("CATALINA_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/tomcat10"))
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// `Err(what is missing)` when the stack cannot run here.
fn check_installed(stack: Stack) -> Result<(), String> {
    match stack {
        Stack::Php => {
            on_path("php").ok_or("php not found (Debian package php-cli)")?;
        }
        Stack::Express => {
            on_path("node").ok_or("node not found (Debian package nodejs)")?;
            let modules = sources().join("express/node_modules");
            for package in ["express", "express-session"] {
                if !modules.join(package).join("package.json").is_file() {
                    return Err(format!(
                        "{package} not installed (run `npm ci` in tests/legacy/express)"
                    ));
                }
            }
        }
        Stack::Tomcat => {
            on_path("java").ok_or("java not found (a JDK 17 is expected)")?;
            on_path("bash").ok_or("bash not found")?;
            let home = catalina_home();
            for file in [
                "bin/catalina.sh",
                "bin/bootstrap.jar",
                "lib/catalina.jar",
                "lib/jasper.jar",
            ] {
                if !home.join(file).is_file() {
                    return Err(format!(
                        "{} missing (Debian package tomcat10-common)",
                        home.join(file).display()
                    ));
                }
            }
        }
    }
    Ok(())
}

fn command(stack: Stack, port: u16, dir: &Path, _log: &Path) -> Command {
    let src = sources();
    match stack {
        Stack::Php => {
            let sessions = dir.join("sessions");
            std::fs::create_dir(&sessions).expect("PHP session directory");
            let mut cmd = Command::new("php");
            cmd.arg("-S")
                .arg(format!("127.0.0.1:{port}"))
                .arg("-d")
                .arg(format!("session.save_path={}", sessions.display()))
                .arg(src.join("php/router.php"))
                // Serve parallel requests (the built-in server forks this many workers).
                .env("PHP_CLI_SERVER_WORKERS", "4");
            cmd
        }
        Stack::Express => {
            let mut cmd = Command::new("node");
            cmd.arg(src.join("express/app.js"))
                .env("PORT", port.to_string())
                .env("HOST", "127.0.0.1")
                .env("NODE_ENV", "production");
            cmd
        }
        Stack::Tomcat => {
            let mut cmd = Command::new("bash");
            cmd.arg(src.join("tomcat/run.sh"))
                .env("PORT", port.to_string())
                .env("CATALINA_HOME", catalina_home())
                .env("CATALINA_BASE", dir.join("base"));
            cmd
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

/// A free TCP port on loopback, in 20000–32767 (below Linux's ephemeral range, so a port the
/// OS hands out for `bind(0)` or a client socket elsewhere is never the one an app is about to
/// bind). Same idea as the harness's `free_port`, but its counter starts half the range away
/// from the harness's so the two never hand out the same port in one test binary.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let seed = ((std::process::id() as u16).wrapping_mul(7919) % 12_000 + 6_000) % 12_000;
    for _ in 0..12_000 {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed).wrapping_add(seed) % 12_000;
        let port = 20_000 + offset;
        if StdListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 20000-32000")
}
