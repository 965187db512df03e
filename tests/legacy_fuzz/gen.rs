//! The variant generator: a seedable PRNG and the dimensions a raw request is combined from
//! (method, target, body, `Host`, forged headers, cookie spellings, framing, header order).
//!
//! The order of the random draws is part of what `MFA_FUZZ_SEED` reproduces: keep it when
//! adding a dimension (append new draws at the end).

use super::common::zoo::Zoo;
use super::{password, USER};

/// splitmix64: tiny, seedable, good enough to pick among a few options.
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed` (the same seed gives the same variants).
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
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

/// One generated request.
pub struct Variant {
    /// The raw bytes sent on a fresh connection.
    pub bytes: Vec<u8>,
    /// Carries the stolen session value `X` in some spelling.
    pub carries_x: bool,
    /// The visitor cookies it carried (then a follow-up whoami with them is checked).
    pub visitor: Vec<(String, String)>,
}

const METHODS: &[&str] = &[
    "POST", "POST", "POST", "post", "Post", "pOST", " POST", "POST ", "GET", "get", "PUT", "PATCH",
    "TRACE",
];

/// Assembles one random request from `rng`: the target (login path spellings, members'
/// pages, a query-string login), method, login body, `Host`, forged identity headers, the
/// stolen session value `x` in some cookie spelling, the `visitor` cookies, the framing (with
/// an appended smuggled request at times) and the header order.
pub fn generate(
    rng: &mut Rng,
    zoo: &Zoo,
    x: &str,
    visitor: &[(String, String)],
    port: u16,
) -> Variant {
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
