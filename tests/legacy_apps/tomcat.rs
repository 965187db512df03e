//! Tomcat 10 with container-managed FORM authentication: the protected page answers with the
//! login page and an anonymous session, `j_security_check` signs in on that session only.

use super::client::{has, Client};
use super::legacy::{AppRequest, LegacyApp, Stack};

/// Tomcat FORM auth: protected page → login page + anonymous JSESSIONID → j_security_check →
/// 303 back to the page with a new session id; whoami, oracle, logout.
#[tokio::test]
async fn tomcat_form_auth_session_and_oracle() {
    let Some(app) = LegacyApp::start(Stack::Tomcat).await else {
        return;
    };
    let profile = app.profile();
    let cookie = profile.session_cookie;
    let mut c = Client::new(&app);
    assert_eq!(c.whoami().await, None);

    // Anonymous: the container answers the protected page with its login page.
    let r = c.get(profile.login_page).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("action=\"/j_security_check\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("name=\"j_username\"") && r.body.contains("name=\"j_password\""));
    assert!(!r.body.contains("Welcome back"));
    let anonymous_id = c
        .cookie(cookie)
        .expect("anonymous JSESSIONID with the login page");

    // Wrong password: the error page, still anonymous.
    let r = c
        .post_form(
            profile.login_path,
            &[("j_username", "jdoe"), ("j_password", "wrong")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Wrong username or password"), "{}", r.body);
    assert_eq!(c.whoami().await, None);
    // The realm compares user names exactly.
    let r = c
        .post_form(
            profile.login_path,
            &[("j_username", "JDoe"), ("j_password", "listings2024")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(c.whoami().await, None);

    // Right password: back to the page first asked for, with a new session id.
    let r = c
        .post_form(
            profile.login_path,
            &[("j_username", "jdoe"), ("j_password", "listings2024")],
        )
        .await;
    assert!(
        profile.success_status.contains(&r.status),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(r.location.as_deref(), Some("/home"));
    let signed_in_id = c.cookie(cookie).expect("JSESSIONID after login");
    assert_ne!(
        signed_in_id, anonymous_id,
        "the session id changes on login"
    );
    let r = c.get("/home").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Welcome back, Jane Doe"), "{}", r.body);
    let r = c.get("/listings").await;
    assert!(r.body.contains("Member: Jane Doe"), "{}", r.body);
    let r = c.get("/members/area").await;
    assert!(r.body.contains("Member: Jane Doe"), "{}", r.body);
    assert_eq!(c.whoami().await.as_deref(), Some("jdoe"));
    let r = c.get("/api/whoami").await;
    assert_eq!(r.body, r#"{"user":"jdoe"}"#);
    assert_eq!(
        app.whoami_direct(&format!("{cookie}={signed_in_id}"))
            .await
            .as_deref(),
        Some("jdoe")
    );
    assert_eq!(
        app.whoami_direct(&format!("{cookie}={anonymous_id}")).await,
        None,
        "the pre-login id is dead"
    );

    // The oracle (%u): anonymous before, the member after, on unprotected pages too.
    let seen = app.requests();
    assert!(has(&seen, "GET", "/whoami", None), "{seen:?}");
    assert!(has(&seen, "GET", "/home", None), "{seen:?}");
    assert!(has(&seen, "POST", "/j_security_check", None), "{seen:?}");
    // The successful login POST is logged with the member it signed in.
    assert!(
        has(&seen, "POST", "/j_security_check", Some("jdoe")),
        "{seen:?}"
    );
    assert!(has(&seen, "GET", "/home", Some("jdoe")), "{seen:?}");
    assert!(has(&seen, "GET", "/members/area", Some("jdoe")), "{seen:?}");
    assert!(has(&seen, "GET", "/whoami", Some("jdoe")), "{seen:?}");
    assert!(has(&seen, "GET", "/api/whoami", Some("jdoe")), "{seen:?}");
    assert!(
        seen.iter().all(|r| !r.path.contains("legacy-harness")),
        "{seen:?}"
    );
    assert!(app.saw_session_of("jdoe") && !app.saw_session_of("asmith"));
    app.clear_log();
    let r = c.get("/whoami?x=1").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        app.requests(),
        vec![AppRequest {
            method: "GET".into(),
            path: "/whoami?x=1".into(),
            user: Some("jdoe".into()),
        }]
    );

    // Logout invalidates the session.
    let r = c.get(profile.logout_path).await;
    assert_eq!(r.status, 302);
    assert!(
        r.location.as_deref().unwrap_or_default().ends_with('/'),
        "{:?}",
        r.location
    );
    assert_eq!(c.whoami().await, None);
    let r = c.get("/home").await;
    assert!(r.body.contains("j_security_check"), "{}", r.body);
}

/// Tomcat: the login POST without the anonymous session of the login page does not sign in.
#[tokio::test]
async fn tomcat_login_needs_the_pre_login_session() {
    let Some(app) = LegacyApp::start(Stack::Tomcat).await else {
        return;
    };
    assert!(app.profile().needs_pre_login_session);
    let mut c = Client::new(&app);
    let r = c
        .post_form(
            "/j_security_check",
            &[("j_username", "jdoe"), ("j_password", "listings2024")],
        )
        .await;
    assert!(
        !app.profile().success_status.contains(&r.status),
        "{}",
        r.status
    );
    assert_eq!(c.whoami().await, None);
    assert!(!app.saw_session_of("jdoe"), "{:?}", app.requests());
}
