//! The oracles checked after every variant, and reading raw answers: the app saw nobody
//! signed in, no answer hands out a live member session, the gateway never names itself and
//! its 400s are `no-store`, and every connection ends with an answer or a close.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::common::zoo::Zoo;
use super::gen::Variant;
use super::USER;

/// How a raw exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The gateway closed (or reset) the connection.
    Closed,
    /// A complete answer, then the connection stayed open and quiet.
    QuietAfterAnswer,
    /// Nothing (or an incomplete answer) and the connection stayed open and quiet.
    QuietWithoutAnswer,
    /// Still sending after the hard bound.
    Deadline,
}

/// Whether `out` holds at least one complete HTTP/1.1 answer.
fn complete_answer(out: &[u8]) -> bool {
    let Some(end) = out.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&out[..end]).to_ascii_lowercase();
    let body = &out[end + 4..];
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if status == 204 || status == 304 || (100..200).contains(&status) {
        return true;
    }
    for line in head.lines() {
        if let Some(v) = line.strip_prefix("content-length:") {
            return v.trim().parse::<usize>().is_ok_and(|n| body.len() >= n);
        }
        if line.starts_with("transfer-encoding:") && line.contains("chunked") {
            return body.windows(5).any(|w| w == b"0\r\n\r\n");
        }
    }
    false
}

/// Sends raw bytes on a fresh loopback connection; reads until close, quiet (250 ms after a
/// complete answer, 1.5 s without one) or a hard 5 s bound.
pub async fn exchange(port: u16, bytes: &[u8]) -> (Vec<u8>, End) {
    let began = Instant::now();
    let mut stream = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(("127.0.0.1", port)),
    )
    .await
    .expect("connect timed out")
    .expect("connect");
    // The gateway may refuse and close before reading all of it: that is fine.
    let _ = stream.write_all(bytes).await;
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if began.elapsed() > Duration::from_secs(5) {
            return (out, End::Deadline);
        }
        let complete = complete_answer(&out);
        let quiet = if complete {
            Duration::from_millis(250)
        } else {
            Duration::from_millis(1500)
        };
        match tokio::time::timeout(quiet, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (out, End::Closed),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) if complete => return (out, End::QuietAfterAnswer),
            Err(_) => return (out, End::QuietWithoutAnswer),
        }
    }
}

/// Status and headers (lower-cased names) of the first answer in `out`.
fn first_head(out: &[u8]) -> Option<(u16, Vec<(String, String)>)> {
    let text = String::from_utf8_lossy(out);
    let head = text.split("\r\n\r\n").next()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some((status, headers))
}

/// `(name, value)` of every `Set-Cookie` in every answer in `out`.
pub fn set_cookies(out: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(out)
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| {
            let pair = v.trim().split(';').next()?;
            let (n, v) = pair.split_once('=')?;
            Some((n.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// A fresh anonymous visitor's cookies (the login page through the gateway), as a client
/// that never signed in holds them: the attacker's own pre-login session and binding.
pub async fn visitor_cookies(zoo: &Zoo) -> Vec<(String, String)> {
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        zoo.profile().login_page
    );
    let (out, _) = exchange(zoo.gw.port, req.as_bytes()).await;
    let mut jar = BTreeMap::new();
    for (n, v) in set_cookies(&out) {
        jar.insert(n, v);
    }
    jar.into_iter().collect()
}

/// The last lines of the gateway's log (for failure messages).
fn gw_tail(zoo: &Zoo) -> String {
    let log = zoo.gw.log();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(12)..].join("\n")
}

/// A 400 the app's HTTP server writes itself before any app code runs (so it is not in the
/// oracle log), relayed by the gateway: Node's answer to an HTTP/1.1 request without `Host`
/// (`Connection: close`, chunked, empty), PHP's built-in server's "Bad Request" page.
fn app_rejects_itself(answer: &str) -> bool {
    let lower = answer.to_ascii_lowercase();
    let head = lower.split("\r\n\r\n").next().unwrap_or("");
    let body = lower.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (head.contains("transfer-encoding: chunked") && body.trim() == "0")
        || head.contains("x-powered-by")
        || body.contains("<title>400 bad request</title>")
}

/// Records a failed oracle (the run goes on, so one run reports every variant that failed).
macro_rules! check {
    ($failures:ident, $cond:expr, $($msg:tt)*) => {
        if !$cond {
            let msg = format!($($msg)*);
            eprintln!("FUZZ FAILURE: {msg}");
            $failures.push(msg);
        }
    };
}

/// What one variant did, for the run's summary.
pub struct Outcome {
    /// Status of the first answer, or `none/<how the exchange ended>`.
    pub status: String,
    /// The app received at least one request.
    pub reached_app: bool,
}

/// Sends `variant` on a fresh connection and checks every oracle on what followed (see the
/// crate docs); `ctx` starts each message. Failed oracles go to `failures`, forwarded targets
/// worth a look to `notes`: the run goes on either way.
pub async fn check_variant(
    zoo: &Zoo,
    variant: &Variant,
    ctx: &str,
    failures: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Outcome {
    let p = zoo.profile();
    let name = p.session_cookie;
    zoo.app.clear_log();
    let gw_log_len = zoo.gw.log().len();
    let (out, end) = exchange(zoo.gw.port, &variant.bytes).await;
    let text = String::from_utf8_lossy(&out).into_owned();

    // (4) An answer or a clean close within the bound.
    check!(
        failures,
        end != End::Deadline,
        "{ctx}: still answering after 5 s: {text}"
    );
    check!(
        failures,
        end != End::QuietWithoutAnswer || !out.is_empty(),
        "{ctx}: no answer and the connection left open: {end:?}"
    );

    // Follow-up with the attacker's own visitor cookies: did the variant sign them in?
    let mut follow_text = String::new();
    if !variant.visitor.is_empty() {
        let jar: Vec<String> = variant
            .visitor
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        let req = format!(
            "GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nCookie: {}\r\nConnection: close\r\n\r\n",
            p.whoami_path,
            jar.join("; ")
        );
        let (follow, _) = exchange(zoo.gw.port, req.as_bytes()).await;
        follow_text = String::from_utf8_lossy(&follow).into_owned();
    }

    // (1) The app saw nobody signed in.
    let log = zoo.app.requests();
    let signed_in: Vec<_> = if variant.carries_x {
        // The login POST is no exception when it rode on the stolen session.
        zoo.app.authenticated_requests()
    } else {
        zoo.authenticated_requests()
    };
    check!(
        failures,
        signed_in.is_empty(),
        "{ctx}: the app saw signed-in requests that never passed MFA: {signed_in:?}\nanswer: {text}\nfollow-up: {follow_text}"
    );
    for answer in [&text, &follow_text] {
        check!(
            failures,
            !answer.contains("Jane Doe") && !answer.contains(&format!("\"user\":\"{USER}\"")),
            "{ctx}: an answer shows the member: {answer}"
        );
    }

    // (2) No answer hands out a live member session.
    for (n, v) in set_cookies(&out)
        .into_iter()
        .chain(set_cookies(follow_text.as_bytes()))
    {
        if n == name || n.eq_ignore_ascii_case(name) {
            let who = zoo.app.whoami_direct(&format!("{name}={v}")).await;
            check!(
                failures,
                who.is_none(),
                "{ctx}: the answer set {n}={v}, a session of {who:?} at the app\nanswer: {text}"
            );
        }
    }

    // (3) The gateway never names itself; its own 400s are not cached.
    check!(
        failures,
        !text.to_ascii_lowercase().contains("pingora"),
        "{ctx}: the answer names pingora: {text}"
    );
    let status = first_head(&out).map(|(s, _)| s);
    if let Some((400, headers)) = first_head(&out) {
        // The gateway's answer: it logged refusing the request, its own head (security
        // headers), or its own error body (e.g. glued onto an upstream head).
        let own_head = headers.iter().any(|(n, _)| n == "x-content-type-options");
        let own_body = text.contains("\"error\":\"") || text.contains("mfa-gateway");
        let gw_log = zoo.gw.log();
        let refused = gw_log[gw_log_len.min(gw_log.len())..]
            .lines()
            .any(|l| l.contains("request_refused") || l.contains("request_unparsable"));
        if own_head || own_body || refused || log.is_empty() && !app_rejects_itself(&text) {
            check!(
                failures,
                headers
                    .iter()
                    .any(|(n, v)| n == "cache-control" && v.contains("no-store")),
                "{ctx}: the gateway's 400 is not no-store: {text}\ngateway log: {}",
                gw_tail(zoo)
            );
        }
    }
    // A target the gateway forwarded in a form the app may read differently from the
    // gateway's own classification (not origin-form): worth a look, not a failure.
    for r in &log {
        if !r.path.starts_with('/') && r.path != "-" && notes.len() < 20 {
            notes.push(format!(
                "{ctx}: the app received target {:?} ({} {:?}); answer {status:?}, Set-Cookie {:?}",
                r.path,
                r.method,
                r.user,
                set_cookies(&out)
            ));
        }
    }
    Outcome {
        status: status.map_or_else(|| format!("none/{end:?}"), |s| s.to_string()),
        reached_app: !log.is_empty(),
    }
}
