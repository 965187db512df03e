//! Signals ops send (issue 15): SIGHUP (logrotate's `postrotate`, `systemctl kill -s HUP`)
//! reopens the audit log and keeps the gateway serving — it used to end the gateway without
//! draining — and systemd's `Type=notify` readiness once the listener accepts connections.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{GatewayOptions, Harness};

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sighup_reopens_the_audit_log_and_the_gateway_keeps_serving() {
    let mut h = Harness::start(GatewayOptions {
        admin: true,
        ..GatewayOptions::default()
    })
    .await;
    let user = h.user(0).clone();
    let audit = h.audit_path();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    wait_for("the first audit line", || {
        std::fs::read_to_string(&audit).is_ok_and(|t| t.contains("login_intercepted"))
    })
    .await;
    // logrotate moves the file away, then signals.
    let rotated = audit.with_extension("log.1");
    std::fs::rename(&audit, &rotated).unwrap();
    let pid = h.gateway_pid().expect("running").to_string();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    wait_for("the reopened audit log", || {
        std::fs::read_to_string(&audit).is_ok_and(|t| t.contains("\"event\":\"reloaded\""))
    })
    .await;
    assert!(!h.gateway_exited(), "SIGHUP must not stop the gateway");
    let rotated_before = std::fs::read_to_string(&rotated).unwrap();
    // Still serving, and new events go to the new file only.
    let mut other = h.browser();
    let held = other.login(&user.username, &user.password).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"));
    wait_for("the new login in the new file", || {
        std::fs::read_to_string(&audit).is_ok_and(|t| t.contains("login_intercepted"))
    })
    .await;
    assert_eq!(std::fs::read_to_string(&rotated).unwrap(), rotated_before);
}

#[tokio::test]
async fn systemd_is_told_ready_once_the_listener_accepts() {
    let mut h = Harness::start(GatewayOptions::default()).await;
    // The harness's own process is replaced by one started as systemd would.
    h.stop_gateway();
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
        .args(["run", "--config"])
        .arg(h.config_path())
        .env("NOTIFY_SOCKET", &socket_path)
        .env("MFA_LOG", "error")
        .spawn()
        .unwrap();
    let mut buf = [0u8; 512];
    let received = socket.recv(&mut buf);
    let listening = std::net::TcpStream::connect(("127.0.0.1", h.port)).is_ok();
    let _ = child.kill();
    let _ = child.wait();
    let n = received.expect("a notification within 30 s");
    let message = String::from_utf8_lossy(&buf[..n]);
    assert!(message.contains("READY=1"), "{message}");
    assert!(
        message.contains(&format!("MAINPID={}", child.id())),
        "{message}"
    );
    assert!(listening, "READY=1 came before the listener accepted");
}
