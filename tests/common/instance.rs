//! Gateway processes: starting the real binary, waiting until it listens, stopping it, and
//! [`Peer`], a second instance beside the harness's own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Browser, ServerStores};

/// A second gateway instance started by [`super::Harness::start_peer`]: same stores, keys, roster and
/// upstream, its own ports, config file and log.
pub struct Peer {
    pub port: u16,
    pub admin_port: u16,
    /// Serves HTTPS (the harness's `tls` option): the same certificate as the harness.
    pub(super) tls: bool,
    pub(super) config: PathBuf,
    pub(super) log: PathBuf,
    pub(super) child: Option<Child>,
    /// Keeps the servers' schema and key prefix alive while this instance may use them.
    pub(super) _stores: Option<Arc<ServerStores>>,
}

impl Peer {
    /// Base URL (HTTPS for `localhost` when the harness serves TLS, else plain HTTP).
    pub fn url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.port)
        } else {
            format!("http://127.0.0.1:{}", self.port)
        }
    }

    /// Base URL of its admin listener (when the harness options enable it).
    pub fn admin_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.admin_port)
    }

    /// A new browser pointed at this instance.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.url())
    }

    /// Path of this instance's config.
    pub fn config_path(&self) -> &Path {
        &self.config
    }

    /// Everything this instance logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Starts the instance and waits until it accepts connections.
    pub async fn start(&mut self) {
        let mut child = spawn_gateway(&self.config, &self.log);
        wait_for_port(self.port, &mut child, &self.log).await;
        self.child = Some(child);
    }

    /// Stops the instance (SIGTERM, then waits).
    pub fn stop(&mut self) {
        if let Some(child) = self.child.take() {
            terminate(child);
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts `mfa-gateway run --config <config>`, appending its output to `log`.
pub(super) fn spawn_gateway(config: &Path, log: &Path) -> Child {
    spawn_gateway_with_env(config, log, &[])
}

/// [`spawn_gateway`] with more environment variables for the process.
pub(super) fn spawn_gateway_with_env(config: &Path, log: &Path, env: &[(String, String)]) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
        .args(["run", "--config"])
        .arg(config)
        .env("MFA_LOG", "info")
        .envs(env.iter().map(|(name, value)| (name, value)))
        .stdout(Stdio::from(log.try_clone().expect("log clone")))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("spawn gateway")
}

/// SIGTERM, then waits up to 15 s for a graceful exit before killing.
pub(super) fn terminate(mut child: Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

pub(super) async fn wait_for_port(port: u16, child: &mut Child, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            // Someone listens; make sure it is our gateway and not another process that got
            // the port while ours failed to bind.
            tokio::time::sleep(Duration::from_millis(100)).await;
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "gateway exited with {status} (port {port} taken?):\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "gateway exited with {status}:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "gateway did not listen on {port}:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}
