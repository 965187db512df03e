//! The core flow end to end with the authenticator-app method, through the real gateway binary
//! in front of the demo legacy site (issue 2 acceptance).
//!
//! Shared by `tests/flow_app.rs` (SQLite + memory) and `tests/scaleout_flows.rs` (PostgreSQL +
//! Redis): the harness picks the stores from the test binary, so every case runs unchanged on
//! both backends (see `tests/common/backend.rs`). `tests/legacy_*.rs` run them in front of the real
//! legacy stacks of `tests/legacy/` (the harness picks the app from the binary's name), except the
//! few that rely on the demo site's own pages.
//!
//! The trust-cookie cases are in the child module `suites/flow_app_trust_cases.rs`, what the
//! set-up page says in `suites/flow_app_setup_cases.rs`.

use crate::common::{enroll_app, submit_code, totp, GatewayOptions, Harness, THIRTY_DAYS};

/// True (after a `SKIPPED` line) in the binaries that run these cases in front of a real legacy
/// stack: the case relies on the demo site's own pages, cookies or request log. The legacy
/// stacks' versions of those checks are in `suites/zoo_cases.rs`.
fn demo_site_only() -> bool {
    let stack = crate::common::legacy::Stack::of_this_binary();
    if let Some(stack) = stack {
        println!(
            "SKIPPED: demo-site specific case (not run for {})",
            stack.name()
        );
    }
    stack.is_some()
}

#[tokio::test]
async fn full_flow_enrolls_and_lands_on_the_legacy_page() {
    if demo_site_only() {
        return;
    }
    let Some(h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();

    let login = b.login(&user.username, &user.password).await;
    assert_eq!(login.status, 303);
    assert_eq!(login.location.as_deref(), Some("/_mfa/"));
    assert!(
        b.cookie(h.session_cookie()).is_none(),
        "upstream session must be held: {:?}",
        login.set_cookies
    );
    assert!(
        b.cookie("mls_pref").is_none(),
        "every upstream Set-Cookie is held"
    );
    assert!(login
        .headers
        .get("cache-control")
        .is_some_and(|v| v == "no-store"));

    let page = b.get("/_mfa/").await;
    assert!(page.body.contains("inputmode=\"numeric\""));
    assert!(page.body.contains("one-time-code"));
    assert!(page.body.contains("support@smartmls.com"));
    let uri = page.otpauth_uri().expect("otpauth link");
    assert!(uri.starts_with("otpauth://totp/SmartMLS:jdoe?"), "{uri}");
    assert!(page.body.contains("<svg"), "QR code rendered inline");
    // 30 days is pre-selected.
    let thirty = format!("value=\"{THIRTY_DAYS}\"");
    let at = page.body.find(&thirty).expect("30 day option");
    let tag_end = at + page.body[at..].find('>').unwrap();
    assert!(
        page.body[at..tag_end].contains("checked"),
        "30 days pre-selected"
    );

    // An independent implementation computes the code from the enrolled secret.
    let secret = totp::secret_from_uri(&uri);
    let code = totp::code_at_step(&secret, totp::current_step());
    if let Some(oath) = uri
        .split("secret=")
        .nth(1)
        .and_then(|s| totp::oathtool_code(s.split('&').next().unwrap()))
    {
        // oathtool and our arithmetic agree unless the step ticked over between the two.
        let now = totp::current_step();
        assert!(
            oath == code || oath == totp::code_at_step(&secret, now),
            "oathtool disagrees"
        );
    }
    assert!(
        !h.site_saw_session_of(&user.username),
        "no authenticated request before MFA"
    );

    let csrf = page.input_value("csrf").unwrap();
    let remember = THIRTY_DAYS.to_string();
    let done = b
        .post_form(
            "/_mfa/enroll/app",
            &[("csrf", &csrf), ("code", &code), ("remember", &remember)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/"));
    assert!(b.cookie(h.session_cookie()).is_some());
    assert!(b.cookie("mls_pref").is_some());
    assert!(b.cookie(&h.gateway_cookie("mfa_trust")).is_some());
    assert!(b.cookie(&h.gateway_cookie("mfa_bind")).is_some());
    assert!(b.cookie(&h.gateway_cookie("mfa_pending")).is_none());
    let trust_header = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{}=", h.gateway_cookie("mfa_trust"))))
        .unwrap();
    assert!(
        trust_header.contains(&format!("Max-Age={THIRTY_DAYS}")),
        "{trust_header}"
    );
    assert!(trust_header.contains("HttpOnly") && trust_header.contains("SameSite=Lax"));

    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains(&user.display_name),
        "legacy page with the member's session"
    );
    let listing = b.get("/listings/1").await;
    assert_eq!(listing.status, 200);
    assert!(h.site_saw_session_of(&user.username));
    // The gateway's cookies never reach the legacy app.
    assert!(h.site.seen().iter().all(|r| !r
        .cookie_header
        .clone()
        .unwrap_or_default()
        .contains("mfa_")));
}

#[tokio::test]
async fn pre_existing_upstream_session_cookie_is_stripped() {
    if demo_site_only() {
        return;
    }
    let Some(h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let value = h.site.login_direct_session("jdoe").expect("direct session");
    let mut b = h.browser();
    b.jar.insert("MLSSESSION".into(), value);
    let resp = b.get("/listings/1").await;
    assert_eq!(
        resp.status, 302,
        "the app sees an anonymous request and asks to log in"
    );
    assert!(resp.location.unwrap_or_default().contains("/login"));
    assert!(!h.site_saw_session_of("jdoe"));
    let last = h.site.seen().pop().unwrap();
    assert!(last.cookie_header.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn a_totp_code_is_single_use_even_across_pending_logins() {
    let Some(h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut first = h.browser();
    let (mut enrolled, _) = enroll_app(&mut first, &user, THIRTY_DAYS).await;
    let code = enrolled.fresh_code().await;

    let mut a = h.browser();
    let mut b = h.browser();
    a.login(&user.username, &user.password).await;
    b.login(&user.username, &user.password).await;
    let ok = submit_code(&mut a, &code).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let replay = submit_code(&mut b, &code).await;
    assert_eq!(replay.status, 200);
    assert!(
        replay.body.contains("entered the code correctly"),
        "{}",
        replay.body
    );
    assert!(!h.signed_in(&mut b).await);
    // The same browser reusing the code it just used is refused too.
    a.get("/logout").await;
    a.jar.remove(&h.gateway_cookie("mfa_trust"));
    a.login(&user.username, &user.password).await;
    let again = submit_code(&mut a, &code).await;
    assert!(!h.signed_in(&mut a).await, "{}", again.body);
}

#[tokio::test]
async fn parallel_submissions_of_one_valid_code_release_exactly_one_login() {
    let Some(h) = Harness::start_or_skip(GatewayOptions {
        per_challenge: 5,
        ..GatewayOptions::default()
    })
    .await
    else {
        return;
    };
    let user = h.user(0).clone();
    let mut first = h.browser();
    let (mut enrolled, _) = enroll_app(&mut first, &user, THIRTY_DAYS).await;
    let code = enrolled.fresh_code().await;
    // Twenty browsers each hold a login; all submit the same code at once.
    let mut browsers = Vec::new();
    for _ in 0..20 {
        let mut b = h.browser();
        b.login(&user.username, &user.password).await;
        let page = b.get("/_mfa/").await;
        let csrf = page.input_value("csrf").unwrap();
        browsers.push((b, csrf));
    }
    let tasks: Vec<_> = browsers
        .into_iter()
        .map(|(mut b, csrf)| {
            let code = code.clone();
            tokio::spawn(async move {
                b.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &code)])
                    .await
            })
        })
        .collect();
    let mut released = 0;
    for t in tasks {
        if t.await.unwrap().status == 303 {
            released += 1;
        }
    }
    assert_eq!(released, 1);
}

#[tokio::test]
async fn attempt_limit_voids_the_pending_login() {
    let Some(h) = Harness::start_or_skip(GatewayOptions {
        per_challenge: 3,
        ..GatewayOptions::default()
    })
    .await
    else {
        return;
    };
    let user = h.user(0).clone();
    let mut first = h.browser();
    let (mut enrolled, _) = enroll_app(&mut first, &user, THIRTY_DAYS).await;
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let page = b.get("/_mfa/").await;
    let csrf = page.input_value("csrf").unwrap();
    for _ in 0..3 {
        b.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", "000000")])
            .await;
    }
    let good = enrolled.fresh_code().await;
    let after = b
        .post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &good)])
        .await;
    assert_ne!(after.status, 303, "a void login is never released");
    assert!(!h.signed_in(&mut b).await);
}

#[tokio::test]
async fn before_enforcement_logins_pass_and_are_bound() {
    let Some(h) = Harness::start_or_skip(GatewayOptions {
        enforce_from: "2999-01-01".into(),
        ..GatewayOptions::default()
    })
    .await
    else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    let login = b.login(&user.username, &user.password).await;
    assert!(matches!(login.status, 302 | 303), "{login:?}");
    assert!(b.cookie(&h.gateway_cookie("mfa_bind")).is_some());
    assert!(h.signed_in(&mut b).await);
}

#[tokio::test]
async fn rotated_upstream_session_is_rebound_and_mobile_sign_out_forgets_the_device() {
    if demo_site_only() {
        return;
    }
    let Some(h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    enroll_app(&mut b, &user, THIRTY_DAYS).await;
    let before = b.cookie(h.session_cookie()).unwrap().to_string();
    let rotated = b.get("/account/rotate").await;
    assert_ne!(b.cookie(h.session_cookie()).unwrap(), before, "{rotated:?}");
    assert_eq!(b.get("/").await.status, 200, "rotated session is re-bound");
    b.post_form("/api/logout", &[]).await;
    assert!(
        b.cookie(&h.gateway_cookie("mfa_trust")).is_none(),
        "mobile sign-out forgets the device"
    );
    let again = b.login(&user.username, &user.password).await;
    assert_eq!(again.location.as_deref(), Some("/_mfa/"));
}

#[tokio::test]
async fn upstream_down_gives_a_clear_502_page() {
    if demo_site_only() {
        return;
    }
    let Some(h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    h.site.shutdown();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut b = h.browser();
    let resp = b.get("/").await;
    assert_eq!(resp.status, 502);
    assert!(resp
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(resp.body.contains("support@smartmls.com"));
}

#[tokio::test]
async fn https_listener_sets_secure_host_prefixed_cookies() {
    if demo_site_only() {
        return;
    }
    let Some(h) = Harness::start_or_skip(GatewayOptions {
        tls: true,
        ..GatewayOptions::default()
    })
    .await
    else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    let (_, done) = enroll_app(&mut b, &user, THIRTY_DAYS).await;
    assert_eq!(done.status, 303, "{}", done.body);
    for name in ["__Host-mfa_trust", "__Host-mfa_bind"] {
        let header = done
            .set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .expect(name);
        assert!(
            header.contains("; Secure") && header.contains("Path=/") && !header.contains("Domain"),
            "{header}"
        );
    }
    assert_eq!(b.get("/").await.status, 200);
    let seen = h.site.seen().pop().unwrap();
    let proto = seen
        .headers
        .iter()
        .find(|(k, _)| k == "x-forwarded-proto")
        .map(|(_, v)| v.clone());
    assert_eq!(proto.as_deref(), Some("https"));
}

#[tokio::test]
async fn enrollments_survive_a_crash_right_after_they_are_confirmed() {
    let Some(mut h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let users: Vec<_> = h.users.clone();
    let mut enrolled = Vec::new();
    for user in &users {
        let mut b = h.browser();
        let (e, done) = enroll_app(&mut b, user, THIRTY_DAYS).await;
        assert_eq!(done.status, 303, "{}", done.body);
        enrolled.push(e);
    }
    // Killed outright (no graceful shutdown) as soon as the last confirmation was answered.
    h.kill_gateway();
    h.start_gateway().await;
    for (user, e) in users.iter().zip(enrolled.iter_mut()) {
        let mut b = h.browser();
        let held = b.login(&user.username, &user.password).await;
        assert_eq!(held.location.as_deref(), Some("/_mfa/"));
        let page = b.get("/_mfa/").await;
        assert!(
            page.body.contains("name=\"code\"") && page.otpauth_uri().is_none(),
            "{} must still be enrolled: {}",
            user.username,
            page.body
        );
        let code = e.fresh_code().await;
        assert_eq!(submit_code(&mut b, &code).await.status, 303);
    }
}

#[path = "flow_app_trust_cases.rs"]
mod trust;

#[path = "flow_app_setup_cases.rs"]
mod setup;
