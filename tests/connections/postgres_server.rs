//! A private PostgreSQL cluster a test starts itself (`initdb` + `postgres` from the newest
//! `/usr/lib/postgresql/<version>/bin`, as the `postgres` user when the test runs as root:
//! both refuse root), with `ssl=on`, a certificate from the test's private CA and a
//! `pg_hba.conf` that accepts TCP connections over TLS only. Stopped (fast shutdown) when
//! dropped.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr as _;

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::Connection as _;

use crate::common::free_port;
use crate::store_servers::{wait_until, PrivateCa, Process};

/// The uid and gid of `postgres` when this test runs as root (`initdb` and `postgres` refuse
/// to run as root), else `None`: the servers run as the current user.
fn unprivileged_account() -> Result<Option<(u32, u32)>, String> {
    // /proc/self belongs to the process's effective user.
    let euid = std::fs::metadata("/proc/self")
        .map_err(|e| format!("/proc/self: {e}"))?
        .uid();
    if euid != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| format!("/etc/passwd: {e}"))?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&"postgres"))
        .and_then(|fields| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
        .map(Some)
        .ok_or_else(|| "running as root and there is no postgres user to run the server as".into())
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb` and `postgres`.
fn postgres_bin() -> Result<PathBuf, String> {
    let root = Path::new("/usr/lib/postgresql");
    let entries = std::fs::read_dir(root).map_err(|_| {
        format!(
            "no PostgreSQL server binaries ({} is missing)",
            root.display()
        )
    })?;
    entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("postgres").is_file())
                .then_some((version, bin))
        })
        .max_by_key(|(version, _)| *version)
        .map(|(_, bin)| bin)
        .ok_or_else(|| format!("no initdb / postgres under {}", root.display()))
}

/// A file (or directory) made over to the server's account.
fn hand_over(path: &Path, account: Option<(u32, u32)>) {
    if let Some((uid, gid)) = account {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown");
    }
}

/// A command that runs as the server's account.
fn command_as(program: PathBuf, account: Option<(u32, u32)>) -> Command {
    let mut command = Command::new(program);
    if let Some((uid, gid)) = account {
        use std::os::unix::process::CommandExt as _;
        command.uid(uid).gid(gid);
    }
    command
}

/// A private PostgreSQL cluster that accepts TCP connections over TLS only (`hostssl` lines,
/// no `host` line), with trust authentication on 127.0.0.1, and plain connections on its
/// Unix socket for the test's own checks.
pub struct PrivatePostgres {
    pub port: u16,
    socket_dir: PathBuf,
    log: PathBuf,
    _server: Process,
    // Declared last: removed after the server stopped.
    _dir: tempfile::TempDir,
}

impl PrivatePostgres {
    /// Initialises and starts a cluster with a certificate from `ca`; `Err` when the
    /// PostgreSQL server is not installed.
    pub async fn start(ca: &PrivateCa) -> Result<PrivatePostgres, String> {
        let bin = postgres_bin()?;
        let account = unprivileged_account()?;
        let dir = tempfile::tempdir().expect("tempdir");
        hand_over(dir.path(), account);
        let data = dir.path().join("data");
        let init = command_as(bin.join("initdb"), account)
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"])
            .args(["--no-sync", "--no-instructions"])
            .output()
            .expect("run initdb");
        assert!(
            init.status.success(),
            "initdb failed:\n{}",
            String::from_utf8_lossy(&init.stderr)
        );
        // TLS only over TCP: a connection without it finds no pg_hba.conf line.
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
        )
        .expect("pg_hba.conf");
        let (cert, key) = ca.issue();
        let (cert_file, key_file) = (dir.path().join("server.crt"), dir.path().join("server.key"));
        std::fs::write(&cert_file, cert).expect("server.crt");
        std::fs::write(&key_file, key).expect("server.key");
        // PostgreSQL refuses a key others can read, or one its user does not own.
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        for file in [&cert_file, &key_file] {
            hand_over(file, account);
        }
        let log = dir.path().join("postgres.log");
        let mut last_log = String::new();
        // A port found free can be taken before the server binds it: then try another one.
        for _attempt in 0..3 {
            let port = free_port();
            let child = command_as(bin.join("postgres"), account)
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
                .arg("-c")
                .arg(format!("unix_socket_directories={}", dir.path().display()))
                .args(["-c", "ssl=on"])
                .arg("-c")
                .arg(format!("ssl_cert_file={}", cert_file.display()))
                .arg("-c")
                .arg(format!("ssl_key_file={}", key_file.display()))
                .args(["-c", "fsync=off", "-c", "shared_buffers=16MB"])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("log file"))
                .spawn()
                .expect("start postgres");
            let mut server = Process {
                child,
                // Fast shutdown: ends the gateway's sessions instead of waiting for them.
                stop_signal: "-INT",
            };
            let socket_dir = dir.path().to_path_buf();
            if wait_until(&mut server, &log, || admin_connect(&socket_dir, port)).await {
                return Ok(PrivatePostgres {
                    port,
                    socket_dir,
                    log,
                    _server: server,
                    _dir: dir,
                });
            }
            last_log = std::fs::read_to_string(&log).unwrap_or_default();
            if !last_log.contains("already in use") {
                break;
            }
        }
        panic!("postgres did not start:\n{last_log}")
    }

    /// A plain connection over the Unix socket, as the cluster's operator (`psql` would do).
    pub async fn admin(&self) -> sqlx::PgConnection {
        admin_connect(&self.socket_dir, self.port)
            .await
            .unwrap_or_else(|e| panic!("admin connection: {e}\n{}", self.log()))
    }

    /// What the server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

async fn admin_connect(socket_dir: &Path, port: u16) -> Result<sqlx::PgConnection, sqlx::Error> {
    let options = PgConnectOptions::new()
        .socket(socket_dir)
        .port(port)
        .username("postgres")
        .database("postgres")
        .ssl_mode(PgSslMode::Disable);
    sqlx::PgConnection::connect_with(&options).await
}

/// Whether a plain (non-TLS) TCP connection to the cluster is refused by its `pg_hba.conf`.
pub async fn plain_tcp_is_refused(port: u16) -> Result<(), String> {
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable");
    let options = PgConnectOptions::from_str(&url).expect("URL");
    match sqlx::PgConnection::connect_with(&options).await {
        Ok(_) => Err("a plain connection was accepted".into()),
        Err(err) if err.to_string().contains("no encryption") => Ok(()),
        Err(err) => Err(format!("refused, but not for want of TLS: {err}")),
    }
}
