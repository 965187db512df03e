//! Store servers a test starts itself, on their own ports, with a certificate from a private CA
//! made for the test: a `redis-server` listening on a TLS port only here, a PostgreSQL cluster
//! in `postgres_server.rs`. Each is stopped when dropped. A missing server binary skips the
//! test (`SKIPPED: …`) unless `CI=true`, where it fails, as the legacy stacks do
//! (`tests/common/legacy.rs`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::free_port;

/// How long a server may take to accept connections.
const START_LIMIT: Duration = Duration::from_secs(60);

/// `Some(found)`, or `None` after printing `SKIPPED: …` when what a test needs is missing;
/// under CI (`CI=true`) a missing piece fails the test instead of hiding it.
pub fn or_skip<T>(what: &str, found: Result<T, String>) -> Option<T> {
    match found {
        Ok(found) => Some(found),
        Err(missing) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{what} cannot run under CI: {missing} (install postgresql and redis-server)")
        }
        Err(missing) => {
            println!("SKIPPED: {what}: {missing}");
            None
        }
    }
}

/// The private CA of the trust tests (`tests/support/tls.rs`), shared with the delivery and
/// roster tests.
pub use crate::tls_support::PrivateCa;

/// A server process, stopped with `stop_signal` (then killed) when dropped.
pub struct Process {
    pub child: Child,
    pub stop_signal: &'static str,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args([self.stop_signal, &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `ready` until it succeeds (true) or the server exits (false: the caller reads its
/// log); panics with the log when [`START_LIMIT`] passes first.
pub async fn wait_until<T, E, F, Fut>(server: &mut Process, log: &Path, mut ready: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + START_LIMIT;
    while Instant::now() < deadline {
        if ready().await.is_ok() {
            return true;
        }
        if let Ok(Some(_)) = server.child.try_wait() {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the server did not answer within {START_LIMIT:?}:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// A `redis-server` with a TLS port only (`--port 0`), no client certificates asked for.
pub struct PrivateRedis {
    pub port: u16,
    ca_pem: String,
    _server: Process,
    _dir: tempfile::TempDir,
}

impl PrivateRedis {
    /// Starts a server with a certificate from `ca`; `Err` when `redis-server` is missing or
    /// was built without TLS.
    pub async fn start(ca: &PrivateCa) -> Result<PrivateRedis, String> {
        let program = find_in_path("redis-server").ok_or("redis-server is not installed")?;
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = ca.issue();
        let files = [
            ("server.crt", cert),
            ("server.key", key),
            ("ca.pem", ca.pem()),
        ];
        for (name, content) in &files {
            std::fs::write(dir.path().join(name), content).expect("TLS file");
        }
        let log = dir.path().join("redis.log");
        let mut last_log = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let child = Command::new(&program)
                .args(["--port", "0", "--tls-port", &port.to_string()])
                .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .arg("--tls-cert-file")
                .arg(dir.path().join("server.crt"))
                .arg("--tls-key-file")
                .arg(dir.path().join("server.key"))
                .arg("--tls-ca-cert-file")
                .arg(dir.path().join("ca.pem"))
                .args(["--tls-auth-clients", "no"])
                .arg("--dir")
                .arg(dir.path())
                .stdout(std::fs::File::create(&log).expect("log file"))
                .stderr(Stdio::null())
                .spawn()
                .expect("start redis-server");
            let mut server = Process {
                child,
                stop_signal: "-TERM",
            };
            let client = tls_client(port, &ca.pem());
            let ping = || async {
                let mut connection = client.get_multiplexed_async_connection().await?;
                redis::cmd("PING")
                    .query_async::<String>(&mut connection)
                    .await
            };
            if wait_until(&mut server, &log, ping).await {
                return Ok(PrivateRedis {
                    port,
                    ca_pem: ca.pem(),
                    _server: server,
                    _dir: dir,
                });
            }
            last_log = std::fs::read_to_string(&log).unwrap_or_default();
            if last_log.contains("TLS") && last_log.contains("not supported") {
                return Err("redis-server was built without TLS support".into());
            }
            if !last_log.contains("already in use") {
                break;
            }
        }
        panic!("redis-server did not start:\n{last_log}")
    }

    /// A connection over TLS trusting the private CA, as `redis-cli --tls --cacert` would be.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        tls_client(self.port, &self.ca_pem)
            .get_multiplexed_async_connection()
            .await
            .expect("connect to the private Redis")
    }
}

fn tls_client(port: u16, ca_pem: &str) -> redis::Client {
    let info =
        redis::IntoConnectionInfo::into_connection_info(format!("rediss://127.0.0.1:{port}"))
            .expect("Redis URL");
    redis::Client::build_with_tls(
        info,
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(ca_pem.as_bytes().to_vec()),
        },
    )
    .expect("TLS client")
}

/// `name` in a directory of `PATH`.
fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    })
}
