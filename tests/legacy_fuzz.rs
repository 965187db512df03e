//! Differential fuzzing of the gateway in front of the real legacy stacks (`tests/legacy/`).
//!
//! A legitimate member (jdoe) passes MFA in one browser, so a live, released session value `X`
//! exists at the app. Then seeded, randomly combined raw requests (method spellings, login path
//! spellings, members' pages, framing tricks, forged identity headers, spellings of the stolen
//! session cookie, login bodies with credential spellings and appended smuggled requests) are
//! sent on fresh connections. None of them passed MFA, so after every variant the app's own
//! oracle log must show no signed-in request, no answer may hand out a live member session,
//! the gateway never names itself and its 400s are `no-store`, and every connection ends.
//!
//! Reproduce a run with `MFA_FUZZ_SEED=<seed printed at the start>`; bounds with
//! `MFA_FUZZ_VARIANTS` (default 300 per stack) and `MFA_FUZZ_SECS` (default 25 per stack).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use common::legacy::Stack;
use common::zoo::Zoo;
use common::{enroll_held, THIRTY_DAYS};

const USER: &str = "jdoe";

fn password() -> String {
    mfa_gateway::demo::demo_users()
        .into_iter()
        .find(|u| u.username == USER)
        .map(|u| u.password)
        .expect("demo member")
}

/// splitmix64: tiny, seedable, good enough to pick among a few options.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The run's seed (one for every stack of the run): `MFA_FUZZ_SEED`, else the clock.
fn base_seed() -> u64 {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| {
        env_number("MFA_FUZZ_SEED").unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x5EED)
        })
    })
}

/// Percent-encodes everything but unreserved characters (form values).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// How a raw exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
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
async fn exchange(port: u16, bytes: &[u8]) -> (Vec<u8>, End) {
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
fn set_cookies(out: &[u8]) -> Vec<(String, String)> {
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
async fn visitor_cookies(zoo: &Zoo) -> Vec<(String, String)> {
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

/// One generated request.
struct Variant {
    bytes: Vec<u8>,
    /// Carries the stolen session value `X` in some spelling.
    carries_x: bool,
    /// The visitor cookies it carried (then a follow-up whoami with them is checked).
    visitor: Vec<(String, String)>,
}

const METHODS: &[&str] = &[
    "POST", "POST", "POST", "post", "Post", "pOST", " POST", "POST ", "GET", "get", "PUT", "PATCH",
    "TRACE",
];

fn generate(rng: &mut Rng, zoo: &Zoo, x: &str, visitor: &[(String, String)], port: u16) -> Variant {
    let p = zoo.profile();
    let login = p.login_path;
    let rest = login.trim_start_matches('/');
    let first = rest.chars().next().unwrap_or('l');
    let pw = password();

    // Target.
    let login_spellings = [
        login.to_string(),
        login.to_string(),
        login.to_ascii_uppercase(),
        format!("/%{:02x}{}", first as u32, &rest[1..]),
        format!("{login}/"),
        format!("/{login}"),
        format!("/.{login}"),
        format!("{login};x=1"),
        format!("/x/..{login}"),
        format!("{login}?next=/login/"),
        format!("http://127.0.0.1{login}"),
        format!("http://127.0.0.1:{port}{login}"),
        // The other stacks' login path (e.g. `/login` at Tomcat, `/j_security_check` at PHP).
        if login == "/login" {
            "/j_security_check".to_string()
        } else {
            "/login".to_string()
        },
    ];
    let members = ["/home", "/whoami", "/api/whoami", "/listings", "/members/"];
    let query_login = format!(
        "/j_security_check?{}={USER}&{}={}",
        p.username_field,
        p.password_field,
        enc(&pw)
    );
    let target_kind = rng.below(10);
    let (target, loginish) = match target_kind {
        0..=5 => (rng.pick(&login_spellings).clone(), true),
        6..=8 => (rng.pick(&members).to_string(), false),
        _ => (query_login, false),
    };
    let method = if loginish && rng.chance(60) {
        "POST"
    } else {
        rng.pick(METHODS)
    };

    // Body.
    let mut body = String::new();
    if loginish || rng.chance(20) {
        let user = *rng.pick(&[
            USER, USER, USER, "JDOE", " jdoe", "j%64oe", "jdoe%00", "Jdoe",
        ]);
        let uf = p.username_field;
        let pf = p.password_field;
        let pass = if rng.chance(90) {
            enc(&pw)
        } else {
            "wrong".into()
        };
        body = match rng.below(5) {
            0 => format!("{uf}=nobody&{uf}={user}&{pf}={pass}"),
            1 => format!("{uf}={user}&{uf}=nobody&{pf}={pass}"),
            _ => format!("{uf}={user}&{pf}={pass}"),
        };
        if let Some(next) = p.next_field {
            if rng.chance(30) {
                body.push_str(&format!(
                    "&{next}={}",
                    rng.pick(&["/login/", "/home", "//x"])
                ));
            }
        }
    }
    let smuggle = rng.chance(20);
    let smuggle_cookie = if rng.chance(50) {
        format!("Cookie: {}={x}\r\n", p.session_cookie)
    } else {
        String::new()
    };
    let smuggled = format!(
        "GET {}?smuggled=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n{smuggle_cookie}\r\n",
        p.whoami_path
    );

    let mut headers: Vec<String> = Vec::new();
    // Host.
    match rng.below(10) {
        0 => {}
        1 => {
            headers.push("Host: 127.0.0.1".into());
            headers.push(
                rng.pick(&["Host: 127.0.0.1", "Host: evil.example"])
                    .to_string(),
            );
        }
        2 => headers.push(format!("Host: 127.0.0.1:{port}")),
        _ => headers.push("Host: 127.0.0.1".into()),
    }
    if !body.is_empty() {
        headers.push("Content-Type: application/x-www-form-urlencoded".into());
    }
    headers.push("Accept: application/json".into());

    // Forged identity headers.
    for forged in ["X-MFA-User: jdoe", "X_MFA_User: jdoe", "Remote-User: jdoe"] {
        if rng.chance(15) {
            headers.push(forged.into());
        }
    }

    // Cookies.
    let name = p.session_cookie;
    let encoded: String = name
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 1 {
                format!("%{:02X}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect();
    let mut cookie_headers: Vec<String> = Vec::new();
    let mut carries_x = true;
    match rng.below(10) {
        0 | 1 => carries_x = false,
        2 => cookie_headers.push(format!("{name}={x}")),
        3 => cookie_headers.push(format!("{}={x}", name.to_ascii_lowercase())),
        4 => cookie_headers.push(format!("{encoded}={x}")),
        5 => cookie_headers.push(format!("{name}=\"{x}\"")),
        6 => cookie_headers.push(format!("{name}=junk; {name}={x}")),
        7 => {
            cookie_headers.push(format!("{name}=junk"));
            cookie_headers.push(format!("{name}={x}"));
        }
        8 => {
            cookie_headers.push("theme=dark".into());
            cookie_headers.push(format!("{name}={x}"));
        }
        _ => cookie_headers.push(format!("{name}={x}; mfa_bind=forged")),
    }
    // The attacker's own visitor cookies (pre-login session and binding) alongside.
    let mut with_visitor = Vec::new();
    if rng.chance(35) && !visitor.is_empty() {
        with_visitor = visitor.to_vec();
        let jar: Vec<String> = visitor.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let jar = jar.join("; ");
        if carries_x && rng.chance(50) {
            // Visitor cookies first, the stolen value after (a duplicate name).
            cookie_headers.insert(0, jar);
        } else {
            cookie_headers.push(jar);
        }
    }
    if cookie_headers.len() > 1 && rng.chance(40) {
        // Sometimes one header after all.
        let joined = cookie_headers.join("; ");
        cookie_headers = vec![joined];
    }
    for c in &cookie_headers {
        headers.push(format!("Cookie: {c}"));
    }

    // Framing.
    let payload = if smuggle {
        format!("{body}{smuggled}")
    } else {
        body.clone()
    };
    let n = body.len();
    let chunked = format!("{n:x}\r\n{body}\r\n0\r\n\r\n");
    let chunked = if smuggle {
        format!("{chunked}{smuggled}")
    } else {
        chunked
    };
    let mut bare_lf_after: Option<usize> = None;
    let framing = if body.is_empty() && !smuggle {
        rng.below(3) // mostly no body, sometimes a `Content-Length: 0`, sometimes TE
    } else {
        rng.below(14)
    };
    let send_body: String = match framing {
        0 => {
            // No framing headers: any bytes after the head are a pipelined request.
            payload.clone()
        }
        1 => {
            headers.push(format!("Content-Length: {n}"));
            payload.clone()
        }
        2 => {
            headers.push("Transfer-Encoding: chunked".into());
            chunked.clone()
        }
        3 => {
            headers.push(format!("Content-Length: {n}, {n}"));
            payload.clone()
        }
        4 => {
            headers.push(format!("Content-Length: {n}"));
            headers.push(format!("Content-Length: {n}"));
            payload.clone()
        }
        5 => {
            headers.push("Content-Length: 0".into());
            headers.push(format!("Content-Length: {n}"));
            payload.clone()
        }
        6 => {
            headers.push(format!("Content-Length: +{n}"));
            payload.clone()
        }
        7 => {
            headers.push("Transfer-Encoding: chunked".into());
            headers.push(format!("Content-Length: {}", chunked.len()));
            chunked.clone()
        }
        8 => {
            headers.push("Transfer-Encoding: chunked, chunked".into());
            chunked.clone()
        }
        9 => {
            headers.push("Transfer-Encoding: gzip".into());
            payload.clone()
        }
        10 => {
            headers.push("X-Folded: a".into());
            headers.push(" b".into());
            headers.push(format!("Content-Length: {n}"));
            payload.clone()
        }
        11 => {
            headers.push(format!("Content-Length : {n}"));
            payload.clone()
        }
        12 => {
            headers.push(format!("Content-Length: {n}"));
            bare_lf_after = Some(rng.below(headers.len()));
            payload.clone()
        }
        _ => {
            headers.push("X-Note: a\0b".into());
            headers.push(format!("Content-Length: {n}"));
            payload.clone()
        }
    };
    // Mostly close after the answer (fast); sometimes keep-alive (a pipelined request then
    // runs, and the quiet period ends the read).
    if rng.chance(80) {
        headers.push("Connection: close".into());
    }
    // Shuffle the header order a little (framing headers are not always last).
    if headers.len() > 2 && rng.chance(30) && bare_lf_after.is_none() {
        let i = rng.below(headers.len());
        let j = rng.below(headers.len());
        // Keep an obs-fold continuation right after its header.
        if !headers[i].starts_with(' ') && !headers[j].starts_with(' ') {
            headers.swap(i, j);
        }
    }

    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    for (i, h) in headers.iter().enumerate() {
        head.push_str(h);
        head.push_str(if bare_lf_after == Some(i) {
            "\n"
        } else {
            "\r\n"
        });
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(send_body.as_bytes());
    Variant {
        bytes,
        carries_x,
        visitor: with_visitor,
    }
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

async fn fuzz(stack: Stack) {
    let Some(zoo) = Zoo::start(stack).await else {
        return;
    };
    let p = zoo.profile();
    let stack_index = Stack::ALL.iter().position(|s| *s == stack).unwrap_or(0) as u64;
    let seed = base_seed();
    let max_variants = env_number("MFA_FUZZ_VARIANTS").unwrap_or(300) as usize;
    let max_time = Duration::from_secs(env_number("MFA_FUZZ_SECS").unwrap_or(25));
    println!(
        "legacy_fuzz {}: MFA_FUZZ_SEED={seed} (at most {max_variants} variants, {max_time:?})",
        p.name
    );
    let mut rng = Rng(seed ^ (stack_index + 1).wrapping_mul(0xA076_1D64_78BD_642F));

    // The legitimate member passes MFA: their released session is the value to steal.
    let mut member = zoo.browser();
    let held = zoo.login(&mut member, USER, &password(), None).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"), "held: {held:?}");
    let (_enrolled, done) = enroll_held(&mut member, THIRTY_DAYS).await;
    assert_eq!(done.status, 303, "released: {done:?}");
    assert_eq!(zoo.whoami(&mut member).await.as_deref(), Some(USER));
    let x = member
        .cookie(p.session_cookie)
        .expect("released session")
        .to_string();
    let name = p.session_cookie;
    assert_eq!(
        zoo.app
            .whoami_direct(&format!("{name}={x}"))
            .await
            .as_deref(),
        Some(USER),
        "the stolen value is a live session at the app"
    );

    let began = Instant::now();
    let mut ran = 0usize;
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut reached_app = 0usize;
    let mut visitor = visitor_cookies(&zoo).await;
    let mut failures: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    while ran < max_variants && began.elapsed() < max_time {
        if ran.is_multiple_of(25) {
            visitor = visitor_cookies(&zoo).await;
        }
        let variant = generate(&mut rng, &zoo, &x, &visitor, zoo.gw.port);
        let ctx = format!(
            "[{} MFA_FUZZ_SEED={seed} variant #{ran}] {:?}",
            p.name,
            String::from_utf8_lossy(&variant.bytes)
        );
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
        if !log.is_empty() {
            reached_app += 1;
        }
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
                    gw_tail(&zoo)
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
        *statuses
            .entry(status.map_or_else(|| format!("none/{end:?}"), |s| s.to_string()))
            .or_default() += 1;
        ran += 1;
    }
    println!(
        "legacy_fuzz {}: MFA_FUZZ_SEED={seed}: {ran} variants in {:?} ({reached_app} reached the app); statuses {statuses:?}",
        p.name,
        began.elapsed()
    );
    for note in &notes {
        println!("NOTE: {note}");
    }
    assert!(ran > 0, "no variant ran");
    assert!(
        failures.is_empty(),
        "[{} MFA_FUZZ_SEED={seed}] {} of {ran} variants failed the oracle:\n{}",
        p.name,
        failures.len(),
        failures
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );

    // The pool was never desynchronised: the member still gets their own answers, a fresh
    // browser nobody's.
    let ctx = format!("[{} MFA_FUZZ_SEED={seed} after {ran} variants]", p.name);
    for _ in 0..3 {
        assert_eq!(
            zoo.whoami(&mut member).await.as_deref(),
            Some(USER),
            "{ctx}: the member"
        );
        assert_eq!(
            zoo.whoami(&mut zoo.browser()).await,
            None,
            "{ctx}: a fresh browser"
        );
    }
}

#[tokio::test]
async fn fuzz_php() {
    fuzz(Stack::Php).await;
}

#[tokio::test]
async fn fuzz_express() {
    fuzz(Stack::Express).await;
}

#[tokio::test]
async fn fuzz_tomcat() {
    fuzz(Stack::Tomcat).await;
}

#[test]
fn every_stack_has_a_fuzz_test() {
    assert_eq!(Stack::ALL.len(), 3, "add a fuzz_* test for the new stack");
}
