//! Whose session it is, against a real third-party legacy stack: a stolen session value
//! without its binding (issue 12), and the issue-13 cases — username spellings the app folds,
//! the identity probe, session swaps in a signed-in browser, a probe that fails.
//!
//! Included by `tests/legacy_php.rs`, `tests/legacy_express.rs` and `tests/legacy_tomcat.rs`
//! next to `suites/zoo_cases.rs` (module `cases`), whose helpers it uses. The oracle is the app
//! itself, as there.

use super::cases::{password, raw, signed_in_member, USER};
use super::STACK;
use crate::common::zoo::Zoo;
use crate::common::{enroll_held, submit_code, THIRTY_DAYS};

/// Session swaps and borrowed sessions: a session value without its binding, or spelled so
/// the app reads it as its session cookie, never reaches the app as a signed-in request.
#[tokio::test]
async fn stolen_session_value_without_binding_is_anonymous_in_every_spelling() {
    let Some(zoo) = Zoo::start(STACK).await else {
        return;
    };
    let p = zoo.profile();
    let (mut member, _) = signed_in_member(&zoo).await;
    assert_eq!(zoo.whoami(&mut member).await.as_deref(), Some(USER));
    let value = member
        .cookie(p.session_cookie)
        .expect("released session")
        .to_string();
    assert_eq!(
        zoo.app
            .whoami_direct(&format!("{}={value}", p.session_cookie))
            .await
            .as_deref(),
        Some(USER),
        "the stolen value is a live session at the app"
    );
    zoo.app.clear_log();
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
    let spellings = [
        format!("{name}={value}"),
        format!("{name}=\"{value}\""),
        format!("{}={value}", name.to_ascii_lowercase()),
        format!("{encoded}={value}"),
        format!(" {name} = {value}"),
        format!("{name}=junk; {name}={value}"),
        format!("{name}={value}; mfa_bind=forged"),
    ];
    for cookie in &spellings {
        let req = format!(
            "GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n",
            p.whoami_path
        );
        let answer = raw(zoo.gw.port, req.as_bytes()).await;
        assert!(
            !answer.contains(&format!("\"{USER}\"")),
            "{cookie}: {answer}"
        );
    }
    zoo.assert_app_saw_nobody_signed_in("stolen session spellings");
}

/// Issue 13, class 1: a username spelling the app folds (`ｊdoe` full-width, `ʲdoe` modifier
/// letter) with jdoe's password must meet jdoe's challenge, never a fresh set-up that would let
/// a password thief enrol their own authenticator for jdoe.
#[tokio::test]
async fn regression_username_spellings_the_app_folds_meet_the_members_challenge() {
    let Some(zoo) = Zoo::start(STACK).await else {
        return;
    };
    let _member = signed_in_member(&zoo).await;
    zoo.app.clear_log();
    for spelling in ["ｊdoe", "ʲdoe", "JDOE", " jdoe", "ＪＤＯＥ"] {
        let mut thief = zoo.browser();
        let resp = zoo.login(&mut thief, spelling, &password(), None).await;
        if resp.location.as_deref() == Some("/_mfa/") {
            let page = thief.get("/_mfa/").await;
            assert!(
                page.otpauth_uri().is_none() && !page.body.contains("/_mfa/enroll"),
                "{spelling:?} was offered set-up instead of jdoe's challenge: {}",
                page.body
            );
        }
        assert_eq!(zoo.whoami(&mut thief).await, None, "{spelling:?}");
    }
    zoo.assert_app_saw_nobody_signed_in("username spellings");
    // Support finds the member by any spelling.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
        .args(["users", "show", "ＪＤｏｅ", "--config"])
        .arg(zoo.gw.config_path())
        .output()
        .expect("users show");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("jdoe") && text.contains("app"),
        "{text}"
    );
}

/// Issue 13, the identity probe: MFA is keyed on the member the app signed in. A spelling the
/// app folds is challenged as that member, and a "failed-looking" answer that set a session is
/// held for the member the app names (DESIGN.md login step 2) — or, when the app says the
/// session is anonymous (PHP's wrong-password answer), not held at all.
#[tokio::test]
async fn identity_probe_keys_mfa_on_the_member_the_app_signed_in() {
    let Some(zoo) = Zoo::start_with_probe(STACK).await else {
        return;
    };
    let p = zoo.profile();
    let mut member = zoo.browser();
    let held = zoo.login(&mut member, USER, &password(), None).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"), "{held:?}");
    let (mut enrolled, _) = enroll_held(&mut member, THIRTY_DAYS).await;
    assert_eq!(zoo.whoami(&mut member).await.as_deref(), Some(USER));

    // A wrong password: the app's session (if it made one) is anonymous, nothing is held.
    let mut stranger = zoo.browser();
    let wrong = zoo.login(&mut stranger, USER, "wrong-password", None).await;
    assert_ne!(wrong.location.as_deref(), Some("/_mfa/"), "{wrong:?}");
    assert_eq!(zoo.whoami(&mut stranger).await, None);

    // Another spelling: whatever the app makes of it, jdoe's own challenge or nothing.
    let mut thief = zoo.browser();
    let resp = zoo.login(&mut thief, "ＪＤＯＥ", &password(), None).await;
    if resp.location.as_deref() == Some("/_mfa/") {
        let page = thief.get("/_mfa/").await;
        assert!(
            page.otpauth_uri().is_none(),
            "challenge, not set-up: {}",
            page.body
        );
    }
    assert_eq!(zoo.whoami(&mut thief).await, None);

    // next= back to the login page: held for jdoe, released by jdoe's code.
    if p.next_field.is_some() {
        let mut other = zoo.browser();
        let resp = zoo
            .login(&mut other, USER, &password(), Some("/login/"))
            .await;
        assert_eq!(resp.location.as_deref(), Some("/_mfa/"), "held: {resp:?}");
        assert_eq!(zoo.whoami(&mut other).await, None);
        let code = enrolled.fresh_code().await;
        let ok = submit_code(&mut other, &code).await;
        assert_eq!(ok.status, 303, "{ok:?}");
        assert_eq!(zoo.whoami(&mut other).await.as_deref(), Some(USER));
    }
    zoo.app.clear_log();
    let mut last = zoo.browser();
    let _ = zoo.login(&mut last, USER, &password(), None).await;
    assert_eq!(zoo.whoami(&mut last).await, None);
    zoo.assert_app_saw_nobody_signed_in("identity probe");
}

/// Issue 13, session swaps: a member who passed their own MFA signs in as another member in
/// the same browser. The new session is a new login for the other member — held, challenged —
/// never re-bound to the binding the browser already has.
#[tokio::test]
async fn regression_session_swap_in_a_signed_in_browser_is_a_new_login() {
    let Some(zoo) = Zoo::start(STACK).await else {
        return;
    };
    let p = zoo.profile();
    let other_password = mfa_gateway::demo::demo_users()
        .into_iter()
        .find(|u| u.username == "asmith")
        .map(|u| u.password)
        .expect("asmith");
    let (mut b, _) = signed_in_member(&zoo).await;
    assert_eq!(zoo.whoami(&mut b).await.as_deref(), Some(USER));
    zoo.app.clear_log();
    // The form login (with next= back to the login page where the stack has one).
    let next = p.next_field.map(|_| "/login/");
    let resp = zoo.login(&mut b, "asmith", &other_password, next).await;
    assert_ne!(
        zoo.whoami(&mut b).await.as_deref(),
        Some("asmith"),
        "{resp:?}"
    );
    assert!(
        !zoo.app.saw_session_of("asmith")
            || zoo.app.requests().iter().all(|r| {
                r.user.as_deref() != Some("asmith")
                    || (r.method == "POST" && r.path.starts_with(p.login_path))
            }),
        "asmith's session reached the app without asmith's MFA: {:?}",
        zoo.app.requests()
    );
    // The JSON login, where the stack has one.
    if let Some(api) = p.api_login {
        let mut app = zoo.browser();
        let _ = zoo.login(&mut app, USER, &password(), None).await;
        let body = serde_json::json!({ "username": USER, "password": password() });
        let _ = app.post_json(api.path, &body).await;
        let swap = serde_json::json!({ "username": "asmith", "password": other_password });
        let resp = app.post_json(api.path, &swap).await;
        assert_ne!(resp.status, 200, "{resp:?}");
        assert_ne!(
            Zoo::whoami_at(&mut app, "/api/whoami").await.as_deref(),
            Some("asmith")
        );
    }
}

/// A probe that cannot be read fails closed: nobody passes, the member is told to try again.
#[tokio::test]
async fn an_identity_probe_that_fails_fails_closed() {
    let Some(zoo) = Zoo::start_with_site(STACK, |p| {
        crate::common::zoo::site_yaml(p, false)
            + "  identity:\n    path: /no-such-page?source=mfa-gateway-probe\n    json_pointer: /user\n"
    })
    .await
    else {
        return;
    };
    let mut b = zoo.browser();
    let resp = zoo.login(&mut b, USER, &password(), None).await;
    assert_eq!(
        resp.location.as_deref(),
        Some("/_mfa/unavailable"),
        "{resp:?}"
    );
    assert_eq!(zoo.whoami(&mut b).await, None);
    zoo.assert_app_saw_nobody_signed_in("probe failure");
    assert!(zoo.gw.log().contains("identity_probe_failed"));
}
