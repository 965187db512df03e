//! Graceful upgrade with the documented script (docs/mfa-gateway-upgrade.sh): a new process
//! takes over the listening sockets while a stream of requests runs; none is lost.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{enroll_app, GatewayOptions, Harness, THIRTY_DAYS};
use crate::tools::admin;

/// Upper bounds of the request stream (it stops by itself).
const MAX_REQUESTS: u64 = 20_000;
const MAX_STREAM: Duration = Duration::from_secs(60);

/// Sends SIGTERM to the upgraded gateway when the test ends (it is not the harness's child).
struct TerminateOnDrop(u32);

impl Drop for TerminateOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.to_string())
            .status();
    }
}

fn alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn upgrade_under_a_stream_of_requests_loses_none() {
    let mut h = Harness::start(GatewayOptions {
        admin: true,
        ..GatewayOptions::default()
    })
    .await;
    let user = h.user(0).clone();
    let mut member = h.browser();
    enroll_app(&mut member, &user, THIRTY_DAYS).await;
    let old_pid = h.gateway_pid().expect("running");
    let pid_file = h.dir.path().join("gateway.pid");
    std::fs::write(&pid_file, old_pid.to_string()).unwrap();

    // The stream: a fresh connection per request, so every request needs an accepting socket.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let stream = {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        let url = format!("{}/listings/1", h.url());
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let started = Instant::now();
            let mut errors = Vec::new();
            while !stop.load(Ordering::Relaxed)
                && started.elapsed() < MAX_STREAM
                && ok.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < MAX_REQUESTS
            {
                match client.get(&url).send().await {
                    Ok(resp) if resp.status().as_u16() < 500 => ok.fetch_add(1, Ordering::Relaxed),
                    Ok(resp) => {
                        errors.push(format!("status {}", resp.status()));
                        failed.fetch_add(1, Ordering::Relaxed)
                    }
                    Err(e) => {
                        errors.push(format!("{e:?}"));
                        failed.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
            errors
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    let log = std::fs::OpenOptions::new()
        .append(true)
        .open(h.log_path())
        .unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/mfa-gateway-upgrade.sh");
    let status = Command::new("sh")
        .arg(script)
        .arg(&pid_file)
        .arg(env!("CARGO_BIN_EXE_mfa-gateway"))
        .args(["run", "--config"])
        .arg(h.config_path())
        .env("MFA_LOG", "info")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .status()
        .unwrap();
    let new_pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _guard = TerminateOnDrop(new_pid);
    assert!(status.success(), "upgrade script failed:\n{}", h.log());
    assert_ne!(new_pid, old_pid);

    // The old process hands over, drains and exits; the stream keeps going meanwhile.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !h.gateway_exited() {
        assert!(
            Instant::now() < deadline,
            "old gateway did not exit:\n{}",
            h.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let at_exit = ok.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let errors = stream.await.unwrap();
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert_eq!(
        failed,
        0,
        "lost requests ({ok} ok): {:?}",
        &errors[..errors.len().min(5)]
    );
    assert!(
        ok > at_exit,
        "requests served by the new process after the old one left"
    );
    assert!(ok >= 50, "a real stream ran: {ok}");
    assert!(alive(new_pid));
    // pingora handed the listening sockets over (rather than the new process binding afresh).
    assert!(h.log().contains("listener sockets sent"), "{}", h.log());

    // The new process serves the bound member session and the admin API.
    let home = member.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains(&user.display_name));
    let health = admin(&h.admin_url(), "GET", "/healthz", None, None).await;
    assert_eq!(health.status, 200);
}
