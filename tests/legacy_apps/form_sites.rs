//! PHP and Express, the two stacks with a login form of their own (`POST /login` with `next`)
//! and a JSON login: the same flows run against each, then how each matches user names.

use super::client::{has, login_as, Client};
use super::legacy::{LegacyApp, Stack};

/// The sign-in flow of PHP and Express: form with `next`, wrong then right password, members'
/// pages, whoami, oracle log, logout.
async fn form_site_flow(stack: Stack) {
    let Some(app) = LegacyApp::start(stack).await else {
        return;
    };
    let profile = app.profile();
    let cookie = profile.session_cookie;
    let mut c = Client::new(&app);

    // Anonymous: members' pages send to the login form, which carries `next`.
    let r = c.get("/home").await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/login?next=%2Fhome"));
    let r = c.get("/login?next=/listings").await;
    assert_eq!(r.status, 200);
    for field in ["name=\"username\"", "name=\"password\"", "name=\"next\""] {
        assert!(
            r.body.contains(field),
            "login form lacks {field}: {}",
            r.body
        );
    }
    assert!(r.body.contains("value=\"/listings\""), "{}", r.body);
    assert_eq!(c.whoami().await, None);
    let anonymous_id = c.cookie(cookie);

    // Wrong password: the form again with an error, not signed in.
    let r = c
        .post_form(
            "/login",
            &[
                ("username", "jdoe"),
                ("password", "wrong"),
                ("next", "/listings"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "wrong password must not redirect");
    assert!(r.body.contains("Wrong username or password"), "{}", r.body);
    assert_eq!(c.whoami().await, None);
    assert!(!app.saw_session_of("jdoe"), "{:?}", app.requests());

    // Right password: redirect to the local `next`, a new session id, signed in.
    let r = c
        .post_form(
            "/login",
            &[
                ("username", "jdoe"),
                ("password", "listings2024"),
                ("next", "/listings"),
            ],
        )
        .await;
    assert!(profile.success_status.contains(&r.status), "{}", r.status);
    assert_eq!(r.location.as_deref(), Some("/listings"));
    assert!(
        r.set_cookies.iter().any(|(n, _)| n == cookie),
        "login sets {cookie}"
    );
    let signed_in_id = c.cookie(cookie).expect("session cookie after login");
    assert_ne!(
        Some(&signed_in_id),
        anonymous_id.as_ref(),
        "session id changes on login"
    );
    let r = c.get("/listings").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Jane Doe"), "{}", r.body);
    let r = c.get("/home").await;
    assert!(r.body.contains("Welcome back, Jane Doe"), "{}", r.body);
    assert_eq!(c.whoami().await.as_deref(), Some("jdoe"));
    let r = c.get("/api/whoami").await;
    assert_eq!(r.body, r#"{"user":"jdoe"}"#);
    let header = c.cookie_header();
    assert_eq!(app.whoami_direct(&header).await.as_deref(), Some("jdoe"));
    assert_eq!(app.whoami_direct("").await, None);

    // A foreign `next` is not followed.
    let mut other = Client::new(&app);
    let r = other
        .post_form(
            "/login?next=//evil.example/",
            &[("username", "asmith"), ("password", "openhouse99")],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/home"));
    assert_eq!(other.whoami().await.as_deref(), Some("asmith"));

    // The oracle: anonymous requests first, then the signed-in ones; the harness's own
    // whoami_direct probes are not in it.
    let seen = app.requests();
    assert!(has(&seen, "GET", "/home", None), "{seen:?}");
    assert!(has(&seen, "GET", "/login?next=/listings", None), "{seen:?}");
    assert!(has(&seen, "POST", "/login", None), "{seen:?}");
    assert!(has(&seen, "GET", "/listings", Some("jdoe")), "{seen:?}");
    assert!(has(&seen, "GET", "/whoami", Some("jdoe")), "{seen:?}");
    assert!(has(&seen, "GET", "/api/whoami", Some("jdoe")), "{seen:?}");
    assert!(has(&seen, "GET", "/whoami", Some("asmith")), "{seen:?}");
    let first_signed_in = seen.iter().position(|r| r.user.is_some()).unwrap();
    assert!(seen[..first_signed_in].iter().all(|r| r.user.is_none()));
    assert!(
        seen.iter().all(|r| !r.path.contains("legacy-harness")),
        "{seen:?}"
    );
    assert!(app.saw_session_of("jdoe") && app.saw_session_of("asmith"));
    assert!(!app.saw_session_of("bkumar"));
    assert!(app
        .authenticated_requests()
        .iter()
        .all(|r| r.user.as_deref() == Some("jdoe") || r.user.as_deref() == Some("asmith")));
    app.clear_log();
    assert!(app.requests().is_empty());

    // Logout ends the session, also for the old cookie.
    let r = c.get("/logout").await;
    assert_eq!(r.status, 302);
    assert_eq!(r.location.as_deref(), Some("/"));
    assert_eq!(c.whoami().await, None);
    assert_eq!(
        app.whoami_direct(&format!("{cookie}={signed_in_id}")).await,
        None
    );
    let r = c.get("/home").await;
    assert_eq!(r.status, 302);
    assert!(has(&app.requests(), "GET", "/logout", Some("jdoe")));
}

/// `next=/login/`: the successful login redirects back to a login-looking path, yet signs in.
async fn next_back_to_login(stack: Stack) {
    let Some(app) = LegacyApp::start(stack).await else {
        return;
    };
    for next in ["/login/", "/login"] {
        let mut c = Client::new(&app);
        let r = c
            .post_form(
                &format!("/login?next={next}"),
                &[("username", "bkumar"), ("password", "escrow#Close7")],
            )
            .await;
        assert_eq!(r.status, 302);
        assert_eq!(r.location.as_deref(), Some(next));
        assert!(r
            .location
            .unwrap()
            .starts_with(app.profile().login_failure_prefix));
        assert_eq!(c.whoami().await.as_deref(), Some("bkumar"));
        let r = c.get(next).await;
        assert_eq!(r.status, 200, "the login form is still served at {next}");
        assert_eq!(c.whoami().await.as_deref(), Some("bkumar"));
        assert!(has(&app.requests(), "GET", next, Some("bkumar")));
    }
    // `next` in the body wins over none in the query.
    let mut c = Client::new(&app);
    let r = c
        .post_form(
            "/login",
            &[
                ("username", "bkumar"),
                ("password", "escrow#Close7"),
                ("next", "/login/"),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/login/"));
    assert_eq!(c.whoami().await.as_deref(), Some("bkumar"));
}

/// The JSON login sets the session just like the form.
async fn json_login(stack: Stack) {
    let Some(app) = LegacyApp::start(stack).await else {
        return;
    };
    let api = app.profile().api_login.expect("JSON login");
    let mut c = Client::new(&app);
    let r = c
        .post_json(
            api.path,
            serde_json::json!({"username": "asmith", "password": "nope"}),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&r.body).unwrap(),
        serde_json::json!({"ok": false})
    );
    assert_eq!(c.whoami().await, None);

    let r = c
        .post_json(
            api.path,
            serde_json::json!({"username": "asmith", "password": "openhouse99"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&r.body).unwrap(),
        serde_json::json!({"ok": true, "user": "asmith"})
    );
    assert!(r
        .set_cookies
        .iter()
        .any(|(n, _)| n == app.profile().session_cookie));
    assert_eq!(c.whoami().await.as_deref(), Some("asmith"));
    let r = c.get("/api/whoami").await;
    assert_eq!(r.body, r#"{"user":"asmith"}"#);
    let seen = app.requests();
    assert!(has(&seen, "POST", api.path, None), "{seen:?}");
    assert!(has(&seen, "GET", "/api/whoami", Some("asmith")), "{seen:?}");
}

#[tokio::test]
async fn php_form_login_session_and_oracle() {
    form_site_flow(Stack::Php).await;
}

#[tokio::test]
async fn express_form_login_session_and_oracle() {
    form_site_flow(Stack::Express).await;
}

#[tokio::test]
async fn php_next_back_to_login_still_signs_in() {
    next_back_to_login(Stack::Php).await;
}

#[tokio::test]
async fn express_next_back_to_login_still_signs_in() {
    next_back_to_login(Stack::Express).await;
}

#[tokio::test]
async fn php_json_login_sets_the_session() {
    json_login(Stack::Php).await;
}

#[tokio::test]
async fn express_json_login_sets_the_session() {
    json_login(Stack::Express).await;
}

/// PHP: trim + ASCII lower-case; anything else is another (unknown) username.
#[tokio::test]
async fn php_username_matching() {
    let Some(app) = LegacyApp::start(Stack::Php).await else {
        return;
    };
    assert_eq!(
        login_as(&app, "  JDoe ", "listings2024").await.as_deref(),
        Some("jdoe")
    );
    assert_eq!(login_as(&app, "\u{ff4a}doe", "listings2024").await, None);
    assert_eq!(login_as(&app, "jdoe", "LISTINGS2024").await, None);
}

/// Express: NFKC + trim + lower-case, so the full-width `ｊdoe` is jdoe.
#[tokio::test]
async fn express_username_matching_is_nfkc() {
    let Some(app) = LegacyApp::start(Stack::Express).await else {
        return;
    };
    assert_eq!(
        login_as(&app, "\u{ff4a}doe", "listings2024")
            .await
            .as_deref(),
        Some("jdoe")
    );
    assert_eq!(
        login_as(&app, " JDOE", "listings2024").await.as_deref(),
        Some("jdoe")
    );
    assert_eq!(login_as(&app, "jdoe", "LISTINGS2024").await, None);
    assert!(app
        .authenticated_requests()
        .iter()
        .all(|r| r.user.as_deref() == Some("jdoe")));
}
