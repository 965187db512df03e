//! What the gateway does with signals beyond pingora's own (SIGTERM: graceful stop; SIGINT:
//! fast stop; SIGQUIT: hand the listening sockets to an upgrading process), and telling systemd
//! when it is ready.
//!
//! SIGHUP is what logrotate's `postrotate` and `systemctl kill -s HUP` send. Without a handler
//! its default action ended the gateway at once, without draining, and with a status systemd
//! took for a clean exit. Now it reopens the audit and access log files by their paths and
//! re-reads the roster
//! (dropping cached lookups), and the gateway keeps serving. What SIGHUP does not reload: the
//! rest of `gateway.yaml` and the key files — those take a graceful upgrade
//! (`systemctl reload`), which replaces the process without losing a connection.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::state::AppState;

/// Installs the SIGHUP handler on the current tokio runtime (the store runtime, which lives
/// as long as the process).
pub fn handle_hangup(state: &Arc<AppState>) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups = signal(SignalKind::hangup())?;
    let state = Arc::clone(state);
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            let audit = crate::admin::logging::reopen_audit_log().map_err(|e| e.to_string());
            let access = match &state.access_log {
                Some(log) => log.reopen().map_err(|e| e.to_string()),
                None => Ok(()),
            };
            state.roster.reload().await;
            match audit.and(access) {
                Ok(()) => tracing::info!(
                    event = "reloaded",
                    what = "audit and access logs reopened, roster re-read"
                ),
                // The old file handle is kept: nothing is lost, and the next SIGHUP retries.
                Err(error) => tracing::error!(
                    event = "reload_failed",
                    %error,
                    "a log could not be reopened; still writing to the old file"
                ),
            }
        }
    });
    Ok(())
}

/// With `Type=notify` (systemd sets `NOTIFY_SOCKET`), says `READY=1` once the public listener
/// accepts connections, with `MAINPID` set to this process so that after a graceful upgrade
/// the new process becomes the service's main process (the unit sets `NotifyAccess=all`).
/// pingora binds the listener in its own threads after `run_forever` starts, so a watcher
/// thread waits for the port (at most 30 s). Without `NOTIFY_SOCKET` it does nothing.
pub fn notify_ready_when_listening(listen: SocketAddr) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    let target = reachable(listen);
    let spawned = std::thread::Builder::new()
        .name("mfa-notify".into())
        .spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if TcpStream::connect_timeout(&target, Duration::from_millis(200)).is_ok() {
                    let states = [
                        sd_notify::NotifyState::MainPid(std::process::id()),
                        sd_notify::NotifyState::Ready,
                    ];
                    if let Err(error) = sd_notify::notify(false, &states) {
                        tracing::warn!(%error, "could not notify systemd of readiness");
                    }
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            tracing::error!(listen = %listen, "the listener did not come up within 30 s; systemd was not told the gateway is ready");
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "could not start the readiness watcher");
    }
}

/// The address to connect to for `listen`: a wildcard listener is reached on loopback.
fn reachable(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_listeners_are_reached_on_loopback() {
        let v4: SocketAddr = "0.0.0.0:8443".parse().unwrap();
        assert_eq!(reachable(v4), "127.0.0.1:8443".parse().unwrap());
        let v6: SocketAddr = "[::]:8443".parse().unwrap();
        assert_eq!(reachable(v6), "[::1]:8443".parse().unwrap());
        let own: SocketAddr = "10.1.2.3:443".parse().unwrap();
        assert_eq!(reachable(own), own);
    }
}
