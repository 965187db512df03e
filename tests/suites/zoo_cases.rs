//! The flow and the MFA-bypass classes against a real third-party legacy stack (issue 12).
//!
//! Included by `tests/legacy_php.rs`, `tests/legacy_express.rs` and `tests/legacy_tomcat.rs`,
//! each defining `STACK`. The oracle of every attack is the app itself: its request log must
//! show no signed-in request that did not pass MFA, and its `/whoami` must answer nobody for
//! the attacker's cookies.
//!
//! Whose session it is — a stolen session value, username spellings the app folds, the identity
//! probe, session swaps (issue 13) — is in `suites/zoo_identity_cases.rs`, which shares this
//! file's helpers.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::STACK;
use crate::common::zoo::Zoo;
use crate::common::{enroll_held, submit_code, GatewayOptions, THIRTY_DAYS};

pub(super) const USER: &str = "jdoe";

/// The zoo apps know the demo members with the demo passwords.
pub(super) fn password() -> String {
    mfa_gateway::demo::demo_users()
        .into_iter()
        .find(|u| u.username == USER)
        .map(|u| u.password)
        .expect("demo member")
}

/// A browser in which jdoe signed in and set up the authenticator app (MFA passed, session
/// released), and what the set-up produced.
pub(super) async fn signed_in_member(
    zoo: &Zoo,
) -> (crate::common::Browser, crate::common::Enrolled) {
    let mut b = zoo.browser();
    let held = zoo.login(&mut b, USER, &password(), None).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"), "held: {held:?}");
    let (enrolled, done) = enroll_held(&mut b, THIRTY_DAYS).await;
    assert_eq!(done.status, 303, "released: {done:?}");
    (b, enrolled)
}

/// Sends raw bytes to the gateway on a new connection and reads the answer until the
/// gateway closes it or a short quiet period passes.
pub(super) async fn raw(port: u16, bytes: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(Duration::from_millis(1500), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) | Ok(Err(_)) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn form_body(zoo: &Zoo, user: &str) -> String {
    let p = zoo.profile();
    format!(
        "{}={user}&{}={}",
        p.username_field,
        p.password_field,
        password()
    )
}

#[tokio::test]
async fn enrols_challenges_trusts_and_signs_out() {
    let Some(zoo) = Zoo::start(STACK).await else {
        return;
    };
    let mut b = zoo.browser();
    let login = zoo.login(&mut b, USER, &password(), None).await;
    assert_eq!(login.status, 303, "held: {login:?}");
    assert_eq!(login.location.as_deref(), Some("/_mfa/"));
    assert!(
        b.cookie(zoo.profile().session_cookie).is_none() || zoo.profile().needs_pre_login_session
    );
    assert_eq!(
        zoo.whoami(&mut b).await,
        None,
        "nobody is signed in before MFA"
    );
    zoo.assert_app_saw_nobody_signed_in("before MFA");

    let (mut enrolled, done) = enroll_held(&mut b, THIRTY_DAYS).await;
    assert_eq!(done.status, 303, "released: {done:?}");
    assert_eq!(zoo.whoami(&mut b).await.as_deref(), Some(USER));
    let home = b.get(zoo.profile().home_path).await;
    assert_eq!(home.status, 200, "{home:?}");
    assert!(home.body.contains("Jane Doe"), "{}", home.body);

    // Sign out, sign in again from the trusted browser: no challenge.
    let out = b.get(zoo.profile().logout_path).await;
    assert!(out.status < 400, "{out:?}");
    assert_eq!(zoo.whoami(&mut b).await, None);
    let again = zoo.login(&mut b, USER, &password(), None).await;
    assert_ne!(
        again.location.as_deref(),
        Some("/_mfa/"),
        "trusted device: {again:?}"
    );
    assert_eq!(zoo.whoami(&mut b).await.as_deref(), Some(USER));

    // Another browser is challenged, and the code releases the session there.
    let mut other = zoo.browser();
    let held = zoo.login(&mut other, USER, &password(), None).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"), "{held:?}");
    assert_eq!(zoo.whoami(&mut other).await, None);
    let code = enrolled.fresh_code().await;
    let ok = submit_code(&mut other, &code).await;
    assert_eq!(ok.status, 303, "{ok:?}");
    assert_eq!(zoo.whoami(&mut other).await.as_deref(), Some(USER));
}

#[tokio::test]
async fn wrong_password_is_the_apps_own_answer_and_signs_nobody_in() {
    let Some(zoo) = Zoo::start(STACK).await else {
        return;
    };
    let mut b = zoo.browser();
    let resp = zoo.login(&mut b, USER, "wrong-password", None).await;
    assert_ne!(resp.location.as_deref(), Some("/_mfa/"), "{resp:?}");
    assert_eq!(zoo.whoami(&mut b).await, None);
    zoo.assert_app_saw_nobody_signed_in("wrong password");
}

#[tokio::test]
async fn json_login_is_held_and_released_by_the_json_api() {
    let Some(zoo) = Zoo::start(STACK).await else {
        return;
    };
    let Some(api) = zoo.profile().api_login else {
        println!("SKIPPED: {} has no JSON login", zoo.profile().name);
        return;
    };
    let mut b = zoo.browser();
    let held = zoo.login(&mut b, USER, &password(), None).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"));
    let (mut enrolled, _) = enroll_held(&mut b, THIRTY_DAYS).await;

    let mut app = zoo.browser();
    let body = serde_json::json!({ "username": USER, "password": password() });
    let login = app.post_json(api.path, &body).await;
    assert_eq!(login.status, 401, "{login:?}");
    assert_eq!(login.json()["error"], "mfa_required");
    assert!(app.cookie(zoo.profile().session_cookie).is_none());
    assert_eq!(Zoo::whoami_at(&mut app, "/api/whoami").await, None);
    let id = login.json()["challenge"]
        .as_str()
        .expect("challenge")
        .to_string();
    let code = enrolled.fresh_code().await;
    let ok = app
        .post_json(
            "/_mfa/api/verify",
            &serde_json::json!({ "challenge": id, "code": code }),
        )
        .await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(
        Zoo::whoami_at(&mut app, "/api/whoami").await.as_deref(),
        Some(USER)
    );
}

/// Bypass 1: `post /login` is not the login POST to the gateway, but frameworks that
/// upper-case the method sign the member in.
#[tokio::test]
async fn regression_method_case_bypass() {
    let Some(zoo) = Zoo::start(STACK).await else {
        return;
    };
    let p = zoo.profile();
    let body = form_body(&zoo, USER);
    for method in ["post", "Post", "pOST", "get", "TRACE"] {
        let request = format!(
            "{method} {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            p.login_path,
            body.len()
        );
        let answer = raw(zoo.gw.port, request.as_bytes()).await;
        // Refused before routing: 405 with the methods the edge lets through.
        assert!(answer.starts_with("HTTP/1.1 405"), "{method}: {answer}");
        assert!(
            answer.to_ascii_lowercase().contains("\r\nallow: "),
            "{method}: {answer}"
        );
        assert!(!answer.contains(p.session_cookie), "{method}: {answer}");
        assert!(
            answer.contains("no-store"),
            "{method}: the gateway's own answer: {answer}"
        );
    }
    assert!(
        zoo.app.requests().iter().all(|r| r.path != p.login_path),
        "refused requests never reach the app: {:?}",
        zoo.app.requests()
    );
    zoo.assert_app_saw_nobody_signed_in("method spellings");
    assert!(zoo.gw.log().contains("request_refused"));
}

/// Bypass 2: a login answer the success rule judges "failed" (`next=/login/` makes a
/// successful login redirect back to the login path; a success rule that does not fit the app)
/// still set a session. It must never reach the client, and nothing is held for MFA either:
/// the app may have refused the password (PHP sets a fresh session on a wrong password too).
fn assert_session_never_left(zoo: &Zoo, resp: &crate::common::Resp, context: &str) {
    let cookie = zoo.profile().session_cookie;
    assert!(
        !resp
            .set_cookies
            .iter()
            .any(|c| c.starts_with(&format!("{cookie}=")) && !c.starts_with(&format!("{cookie}=;"))),
        "{context}: {resp:?}"
    );
    assert_ne!(
        resp.location.as_deref(),
        Some("/_mfa/"),
        "{context}: nothing held: {resp:?}"
    );
}

#[tokio::test]
async fn regression_failed_looking_login_that_sets_a_session() {
    let Some(zoo) = Zoo::start(STACK).await else {
        return;
    };
    let p = zoo.profile();
    if p.next_field.is_none() {
        println!("SKIPPED: {} has no next field (regression_wrong_success_rule_never_fails_open covers it)", p.name);
        return;
    }
    let mut b = zoo.browser();
    let resp = zoo.login(&mut b, USER, &password(), Some("/login/")).await;
    assert_session_never_left(&zoo, &resp, "next=/login/");
    assert_eq!(zoo.whoami(&mut b).await, None);
    let home = b.get(p.home_path).await;
    assert!(!home.body.contains("Jane Doe"), "{home:?}");
    zoo.assert_app_saw_nobody_signed_in("next back to the login page");
    assert!(zoo.gw.log().contains("login_answer_refused"));
}

/// Bypass 2 with a success rule that is simply wrong for the app (ops error): never fails open.
#[tokio::test]
async fn regression_wrong_success_rule_never_fails_open() {
    let Some(zoo) = Zoo::start_with_site(STACK, |p| {
        crate::common::zoo::site_yaml(p, false)
            .replace("status: [302, 303]", "status: [201]")
            .replace(
                &format!("location_not_prefix: [{}]", p.login_failure_prefix),
                "location_not_prefix: [/]",
            )
    })
    .await
    else {
        return;
    };
    let mut b = zoo.browser();
    let resp = zoo.login(&mut b, USER, &password(), None).await;
    assert_session_never_left(&zoo, &resp, "wrong success rule");
    assert_eq!(zoo.whoami(&mut b).await, None);
    zoo.assert_app_saw_nobody_signed_in("wrong success rule");
    assert!(zoo.gw.log().contains("login_answer_refused"));
}

/// Bypass 2, elsewhere: a session cookie set by an answer that is not a login's (here: the
/// app's JSON login, which this gateway was not told about) never reaches the client.
#[tokio::test]
async fn regression_session_cookie_outside_the_login_is_refused() {
    let Some(zoo) = Zoo::start_with(
        STACK,
        GatewayOptions {
            admin: true,
            ..GatewayOptions::default()
        },
        false,
    )
    .await
    else {
        return;
    };
    let p = zoo.profile();
    let mut b = zoo.browser();
    if let Some(api) = p.api_login {
        let body = serde_json::json!({ "username": USER, "password": password() });
        let resp = b.post_json(api.path, &body).await;
        assert!(
            !resp
                .set_cookies
                .iter()
                .any(|c| c.starts_with(p.session_cookie)),
            "{resp:?}"
        );
    } else {
        // Tomcat: a FORM login sent as a GET with the credentials in the query string.
        let path = format!(
            "{}?{}={USER}&{}={}",
            p.login_path,
            p.username_field,
            p.password_field,
            password().replace('#', "%23")
        );
        let _ = b.get(p.login_page).await;
        let resp = b.get(&path).await;
        assert!(resp.status < 500, "{resp:?}");
    }
    assert_eq!(zoo.whoami(&mut b).await, None);
    let home = b.get(p.home_path).await;
    assert!(!home.body.contains("Jane Doe"), "{home:?}");
    zoo.assert_app_saw_nobody_signed_in("session set outside the login");
}

/// Bypass 3: request smuggling. Framing the app could read differently from the gateway is
/// refused, so no hidden request runs on the upstream connection.
#[tokio::test]
async fn regression_content_length_list_smuggling() {
    let Some(zoo) = Zoo::start(STACK).await else {
        return;
    };
    // A member who passed MFA: their session is what a smuggled request would ride on.
    let (mut member, _) = signed_in_member(&zoo).await;
    assert_eq!(zoo.whoami(&mut member).await.as_deref(), Some(USER));
    zoo.app.clear_log();

    let smuggled = "GET /whoami?smuggled=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    let n = smuggled.len();
    let attacks = [
        format!("POST /search HTTP/1.1\r\nHost: a\r\nContent-Length: {n}, {n}\r\n\r\n{smuggled}"),
        format!("POST /search HTTP/1.1\r\nHost: a\r\nContent-Length: {n}\r\nContent-Length: {n}\r\n\r\n{smuggled}"),
        format!("POST /search HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: {n}\r\n\r\n{smuggled}"),
        format!("POST /search HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n{smuggled}"),
        format!("POST /search HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n{smuggled}"),
        format!("POST /search HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n{smuggled}"),
        format!("POST /search HTTP/1.1\r\nHost: a\r\nContent-Length: +{n}\r\n\r\n{smuggled}"),
        format!("POST /search HTTP/1.1\r\nHost: a\nContent-Length: {n}\r\n\r\n{smuggled}"),
        format!("POST /search HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\nContent-Length: {n}\r\n\r\n{smuggled}"),
        format!("POST /search HTTP/1.1\r\nHost: a\r\nContent-Length : {n}\r\n\r\n{smuggled}"),
    ];
    for attack in &attacks {
        let answer = raw(zoo.gw.port, attack.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{attack:?}: {answer}");
        assert!(!answer.to_ascii_lowercase().contains("pingora"), "{answer}");
    }
    let reached: Vec<_> = zoo
        .app
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("smuggled") || r.path.starts_with("/search"))
        .collect();
    assert!(
        reached.is_empty(),
        "refused requests reached the app: {reached:?}"
    );
    // The pool is not desynchronised: the member still gets their own answers.
    for _ in 0..5 {
        assert_eq!(zoo.whoami(&mut member).await.as_deref(), Some(USER));
        assert_eq!(zoo.whoami(&mut zoo.browser()).await, None);
    }
}

/// A held login's pending cookie is not a session: force-browsing with it shows nothing.
#[tokio::test]
async fn force_browsing_while_held_is_anonymous() {
    let Some(zoo) = Zoo::start(STACK).await else {
        return;
    };
    let p = zoo.profile();
    let mut b = zoo.browser();
    let held = zoo.login(&mut b, USER, &password(), None).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"));
    for path in [p.home_path, "/listings", p.whoami_path] {
        let resp = b.get(path).await;
        assert!(
            !resp.body.contains("Jane Doe") && !resp.body.contains(&format!("\"{USER}\"")),
            "{path}: {resp:?}"
        );
    }
    zoo.assert_app_saw_nobody_signed_in("force browsing");
}
