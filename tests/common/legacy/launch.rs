//! Launching a legacy app: checking that its stack is installed, starting its process (PHP's
//! built-in server, Node.js Express, or Tomcat via `run.sh` with a private `CATALINA_BASE`) in
//! its own process group on a free port, waiting until it answers, and ending the whole group.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{LegacyApp, Stack, PROBE_PATH};

/// How long a stack may take to answer after its start (Tomcat compiles its JSPs first).
fn start_timeout(stack: Stack) -> Duration {
    match stack {
        Stack::Tomcat => Duration::from_secs(90),
        _ => Duration::from_secs(30),
    }
}

impl LegacyApp {
    /// One attempt at starting `stack`: [`StartError::PortTaken`] when the free port found
    /// was taken before the app bound it.
    pub(super) async fn try_start(stack: Stack) -> Result<LegacyApp, StartError> {
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

/// Why a start failed.
pub(super) enum StartError {
    /// Another process bound the port first: worth another attempt on another port.
    PortTaken(String),
    /// Anything else.
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
pub(super) fn check_installed(stack: Stack) -> Result<(), String> {
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
