//! Smoke tests of the legacy "zoo" (`tests/legacy`, launched by `tests/common/legacy.rs`),
//! directly against each app with no gateway in front: each real stack signs in through its own
//! flow, keeps its own session, and its oracle log tells who it saw.

#[path = "common/legacy.rs"]
mod legacy;

use std::collections::BTreeMap;

use legacy::{AppRequest, LegacyApp, Stack};

/// A client with redirects off and a small cookie jar of its own.
struct Client {
    http: reqwest::Client,
    base: String,
    jar: BTreeMap<String, String>,
}

/// One answer, read whole.
struct Resp {
    status: u16,
    location: Option<String>,
    /// `name=value` of each `Set-Cookie`.
    set_cookies: Vec<(String, String)>,
    body: String,
}

impl Client {
    fn new(app: &LegacyApp) -> Client {
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .timeout(std::time::Duration::from_secs(20))
                .build()
                .unwrap(),
            base: app.url(),
            jar: BTreeMap::new(),
        }
    }

    /// The `Cookie` header this client sends.
    fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.jar.get(name).cloned()
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Resp {
        let req = if self.jar.is_empty() {
            req
        } else {
            req.header(reqwest::header::COOKIE, self.cookie_header())
        };
        let resp = req.send().await.expect("request to the legacy app");
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        let mut set_cookies = Vec::new();
        for value in resp.headers().get_all(reqwest::header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap_or_default();
            let (name, val) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, val) = (name.trim().to_string(), val.trim().to_string());
            let lower = value.to_ascii_lowercase();
            let expired = val.is_empty()
                || lower.contains("max-age=0")
                || lower.contains("expires=thu, 01 jan 1970");
            if expired {
                self.jar.remove(&name);
            } else {
                self.jar.insert(name.clone(), val.clone());
            }
            set_cookies.push((name, val));
        }
        let body = resp.text().await.unwrap_or_default();
        Resp {
            status,
            location,
            set_cookies,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Resp {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        self.send(req).await
    }

    async fn post_json(&mut self, path: &str, value: serde_json::Value) -> Resp {
        let req = self.http.post(format!("{}{path}", self.base)).json(&value);
        self.send(req).await
    }

    /// Who the app says this client is (through its whoami endpoint).
    async fn whoami(&mut self) -> Option<String> {
        let resp = self.get("/whoami").await;
        assert_eq!(resp.status, 200, "whoami: {}", resp.body);
        let json: serde_json::Value = serde_json::from_str(&resp.body).expect("whoami JSON");
        json["user"].as_str().map(str::to_owned)
    }
}

/// Form encoding (`application/x-www-form-urlencoded`), UTF-8.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn has(requests: &[AppRequest], method: &str, path: &str, user: Option<&str>) -> bool {
    requests
        .iter()
        .any(|r| r.method == method && r.path == path && r.user.as_deref() == user)
}

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

/// Signs in with `username` and returns whom the app then sees.
async fn login_as(app: &LegacyApp, username: &str, password: &str) -> Option<String> {
    let mut c = Client::new(app);
    let r = c
        .post_form("/login", &[("username", username), ("password", password)])
        .await;
    if r.status == 302 {
        assert_eq!(r.location.as_deref(), Some("/home"));
    }
    c.whoami().await
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

/// Several apps of each kind run side by side, each with its own port, log and sessions.
#[tokio::test]
async fn apps_run_in_parallel_with_separate_oracles() {
    let (a, b) = tokio::join!(
        LegacyApp::start(Stack::Php),
        LegacyApp::start(Stack::Express)
    );
    let (Some(a), Some(b)) = (a, b) else {
        return;
    };
    assert_ne!(a.addr(), b.addr());
    assert_eq!(
        login_as(&a, "jdoe", "listings2024").await.as_deref(),
        Some("jdoe")
    );
    assert_eq!(
        login_as(&b, "asmith", "openhouse99").await.as_deref(),
        Some("asmith")
    );
    assert!(a.saw_session_of("jdoe") && !a.saw_session_of("asmith"));
    assert!(b.saw_session_of("asmith") && !b.saw_session_of("jdoe"));
}
