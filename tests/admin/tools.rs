//! Helpers shared by the admin tests: running the CLI, calling the admin API, reading the audit
//! log and the metrics, and re-enrolling a member whose MFA was reset.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use crate::common::{Browser, Enrolled, Harness, Resp, ADMIN_TOKEN, THIRTY_DAYS};

/// Runs `mfa-gateway <args> --config <the harness config>`.
pub fn cli(h: &Harness, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
        .args(args)
        .arg("--config")
        .arg(h.config_path())
        .env("MFA_LOG", "warn")
        .output()
        .expect("run mfa-gateway")
}

/// Runs a CLI command that must succeed; returns its stdout.
pub fn cli_ok(h: &Harness, args: &[&str]) -> String {
    let out = cli(h, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One admin API answer.
#[derive(Debug)]
pub struct AdminResp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl AdminResp {
    /// The body as JSON (panics with the body if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// Calls the admin API (`token` = bearer token to present, if any).
pub async fn admin(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> AdminResp {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client.request(method, format!("{base}{path}"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("admin request");
    AdminResp {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.text().await.unwrap_or_default(),
    }
}

/// Calls the harness's admin API with the right token.
pub async fn admin_ok(
    h: &Harness,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> AdminResp {
    admin(&h.admin_url(), method, path, Some(ADMIN_TOKEN), body).await
}

/// The audit log's lines, parsed.
pub fn audit_lines(h: &Harness) -> Vec<serde_json::Value> {
    std::fs::read_to_string(h.audit_path())
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// Audit lines whose `event` is `event`.
pub fn audit_events(h: &Harness, event: &str) -> Vec<serde_json::Value> {
    audit_lines(h)
        .into_iter()
        .filter(|line| line["event"] == event)
        .collect()
}

/// `/metrics` parsed into `name{labels}` → value.
pub async fn metrics(h: &Harness) -> BTreeMap<String, f64> {
    let resp = admin_ok(h, "GET", "/metrics", None).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            Some((series.to_string(), value.parse().ok()?))
        })
        .collect()
}

/// A metric's value (0 when the series does not exist yet).
pub fn value(metrics: &BTreeMap<String, f64>, series: &str) -> f64 {
    metrics.get(series).copied().unwrap_or(0.0)
}

/// After a login was held: goes through app set-up on the page shown and returns the new secret.
pub async fn enroll_after_login(b: &mut Browser) -> (Enrolled, Resp) {
    crate::common::enroll_held(b, THIRTY_DAYS).await
}

/// Logs `b` out (the trust cookie stays) and in again; returns the login answer.
pub async fn log_in_again(b: &mut Browser, username: &str, password: &str) -> Resp {
    b.get("/logout").await;
    b.login(username, password).await
}

/// True if the page is the challenge (code field, no set-up QR / link).
pub fn is_challenge(page: &Resp) -> bool {
    page.body.contains("name=\"code\"") && page.otpauth_uri().is_none()
}

/// RFC 4648 base32 without padding (how authenticator keys are written).
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}
