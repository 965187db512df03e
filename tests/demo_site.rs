//! Integration tests of the built-in legacy "MLS" site over a real socket.

use std::time::Duration;

use mfa_gateway::demo::{demo_users, DemoSite};
use reqwest::header::{AUTHORIZATION, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{json, Value};

/// A running site plus a client that never follows redirects and keeps no cookies.
struct Harness {
    site: DemoSite,
    client: Client,
}

/// Credentials a request carries.
enum Auth<'a> {
    None,
    Session(&'a str),
    Bearer(&'a str),
}

impl Harness {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let site = DemoSite::start(listener, demo_users())
            .await
            .expect("start");
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build();
        Harness {
            site,
            client: client.expect("client"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.site.addr(), path)
    }

    async fn send(&self, method: Method, path: &str, auth: Auth<'_>) -> Response {
        let request = self.client.request(method, self.url(path));
        let request = match auth {
            Auth::None => request,
            Auth::Session(value) => request.header(COOKIE, format!("MLSSESSION={value}")),
            Auth::Bearer(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
        };
        request.send().await.expect("request")
    }

    async fn get(&self, path: &str, auth: Auth<'_>) -> Response {
        self.send(Method::GET, path, auth).await
    }

    async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let request = self.client.post(self.url(path)).form(fields);
        request.send().await.expect("post")
    }

    async fn api_login(&self, body: Value) -> Response {
        let request = self.client.post(self.url("/api/login")).json(&body);
        request.send().await.expect("post")
    }

    /// Logs `jdoe` in through the form and returns the session cookie value.
    async fn login(&self) -> String {
        let fields = [("username", "jdoe"), ("password", "listings2024")];
        session_from(&self.post_form("/login", &fields).await).expect("session cookie")
    }
}

fn location(response: &Response) -> &str {
    let value = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok());
    value.unwrap_or("")
}

fn set_cookies(response: &Response) -> Vec<String> {
    let values = response.headers().get_all(SET_COOKIE).iter();
    values
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

/// The MLSSESSION value set by `response`, if any (an empty value means "expire").
fn session_from(response: &Response) -> Option<String> {
    let cookies = set_cookies(response);
    let rest = cookies.iter().find_map(|c| c.strip_prefix("MLSSESSION="))?;
    rest.split(';').next().map(str::to_owned)
}

async fn body(response: Response) -> String {
    response.text().await.expect("body")
}

#[tokio::test]
async fn anonymous_home_redirects_to_login_and_is_recorded() {
    let h = Harness::start().await;
    let response = h.get("/", Auth::None).await;
    assert_eq!(
        (response.status(), location(&response)),
        (StatusCode::FOUND, "/login")
    );
    assert_eq!(response.headers()["x-demo-site"], "1");
    let seen = h.site.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("GET", "/")
    );
    assert_eq!(
        (&seen[0].session_user, &seen[0].cookie_header),
        (&None, &None)
    );

    let form = h.get("/login", Auth::None).await;
    assert_eq!(form.status(), StatusCode::OK);
    let html = body(form).await;
    for needle in [
        "action=\"/login\"",
        "name=\"username\"",
        "name=\"password\"",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
}

#[tokio::test]
async fn successful_login_sets_session_and_pref_cookies() {
    let h = Harness::start().await;
    let fields = [("username", "JDoe"), ("password", "listings2024")];
    let response = h.post_form("/login", &fields).await;
    assert_eq!(
        (response.status(), location(&response)),
        (StatusCode::FOUND, "/")
    );
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    let session = session_from(&response).expect("session cookie");
    assert_eq!(session.len(), 32);
    assert!(session.chars().all(|c| c.is_ascii_hexdigit()));
    for attribute in ["; Path=/", "; HttpOnly", "; SameSite=Lax"] {
        assert!(cookies[0].contains(attribute), "{attribute}");
    }
    assert_eq!(cookies[1], "mls_pref=list; Path=/");
    assert_ne!(
        session,
        h.login().await,
        "each login gets a fresh random id"
    );

    let home = h.get("/", Auth::Session(&session)).await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(body(home).await.contains("Welcome, Jane Doe"));
    let last = h.site.seen().pop().expect("recorded");
    assert_eq!(last.session_user.as_deref(), Some("jdoe"));
    assert_eq!(last.cookie_header, Some(format!("MLSSESSION={session}")));
}

#[tokio::test]
async fn failed_login_sets_no_session() {
    let h = Harness::start().await;
    let attempts = [
        ("jdoe", "wrong"),
        ("nobody", "listings2024"),
        ("jdoe", "LISTINGS2024"),
    ];
    for (username, password) in attempts {
        let response = h
            .post_form("/login", &[("username", username), ("password", password)])
            .await;
        assert_eq!(
            (response.status(), location(&response)),
            (StatusCode::FOUND, "/login?error=1")
        );
        assert!(set_cookies(&response).is_empty());
    }
    let missing_fields = h.post_form("/login", &[("user", "jdoe")]).await;
    assert_eq!(location(&missing_fields), "/login?error=1");
    let page = h.get("/login?error=1", Auth::None).await;
    assert!(body(page).await.contains("Invalid username or password"));
}

#[tokio::test]
async fn login_follows_only_local_next_paths() {
    let h = Harness::start().await;
    let cases = [
        ("/listings/2", "/listings/2"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
    ];
    for (next, expected) in cases {
        let fields = [
            ("username", "asmith"),
            ("password", "openhouse99"),
            ("next", next),
        ];
        let response = h.post_form("/login", &fields).await;
        assert_eq!(location(&response), expected, "next={next}");
    }
    let form = h.get("/login?next=%2Fsearch%3Fq%3Delm", Auth::None).await;
    assert!(body(form)
        .await
        .contains("name=\"next\" value=\"/search?q=elm\""));
}

#[tokio::test]
async fn member_pages_need_a_valid_session() {
    let h = Harness::start().await;
    let unknown = "0123456789abcdef0123456789abcdef";
    for path in ["/listings/1", "/search?q=elm", "/account/rotate"] {
        for auth in [Auth::None, Auth::Session(unknown)] {
            let response = h.get(path, auth).await;
            assert_eq!(
                (response.status(), location(&response)),
                (StatusCode::FOUND, "/login"),
                "{path}"
            );
        }
    }
    assert!(h.site.seen().iter().all(|seen| seen.session_user.is_none()));

    let session = h.login().await;
    let listing = h.get("/listings/1", Auth::Session(&session)).await;
    assert_eq!(listing.status(), StatusCode::OK);
    let html = body(listing).await;
    assert!(html.contains("42 Elm Street") && html.contains("$389,900") && html.len() > 1_500);
    let search = h.get("/search?q=stamford", Auth::Session(&session)).await;
    assert!(body(search).await.contains("7 Harbor View Lane"));
    let missing = h.get("/listings/999", Auth::Session(&session)).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers()["x-demo-site"], "1");
    let last = h.site.seen().pop().expect("recorded");
    assert_eq!(
        (last.path.as_str(), last.session_user.as_deref()),
        ("/listings/999", Some("jdoe"))
    );
}

#[tokio::test]
async fn public_assets_need_no_session() {
    let h = Harness::start().await;
    let css = h.get("/static/site.css", Auth::None).await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/css"));
    assert_eq!(
        h.get("/favicon.ico", Auth::None).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn rotation_invalidates_the_old_cookie() {
    let h = Harness::start().await;
    let old = h.login().await;
    let rotated = h.get("/account/rotate", Auth::Session(&old)).await;
    assert_eq!(
        (rotated.status(), location(&rotated)),
        (StatusCode::FOUND, "/")
    );
    let new = session_from(&rotated).expect("new session cookie");
    assert_ne!(new, old);
    assert_eq!(location(&h.get("/", Auth::Session(&old)).await), "/login");
    assert_eq!(h.site.seen().pop().expect("recorded").session_user, None);
    assert_eq!(
        h.get("/", Auth::Session(&new)).await.status(),
        StatusCode::OK
    );
    let last = h.site.seen().pop().expect("recorded");
    assert_eq!(last.session_user.as_deref(), Some("jdoe"));
}

#[tokio::test]
async fn logout_ends_the_session_for_get_and_post() {
    let h = Harness::start().await;
    for method in [Method::GET, Method::POST] {
        let session = h.login().await;
        let response = h
            .send(method.clone(), "/logout", Auth::Session(&session))
            .await;
        assert_eq!(
            (response.status(), location(&response)),
            (StatusCode::FOUND, "/login"),
            "{method}"
        );
        let expired = |c: &String| c.starts_with("MLSSESSION=;") && c.contains("Max-Age=0");
        assert!(set_cookies(&response).iter().any(expired), "{method}");
        assert_eq!(
            location(&h.get("/", Auth::Session(&session)).await),
            "/login",
            "{method}"
        );
    }
}

#[tokio::test]
async fn json_api_logs_in_lists_and_logs_out() {
    let h = Harness::start().await;
    let wrong = h
        .api_login(json!({"username": "jdoe", "password": "nope"}))
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookies(&wrong).is_empty());
    let error: Value = wrong.json().await.expect("json");
    assert_eq!(error, json!({"ok": false, "error": "invalid_credentials"}));

    let login = h
        .api_login(json!({"username": "BKUMAR", "password": "escrow#Close7"}))
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    let session = session_from(&login).expect("session cookie");
    let reply: Value = login.json().await.expect("json");
    assert_eq!(
        (&reply["ok"], &reply["user"]["username"]),
        (&json!(true), &json!("bkumar"))
    );
    let token = reply["token"].as_str().expect("token").to_owned();

    let anonymous = h.get("/api/listings", Auth::None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.json::<Value>().await.expect("json")["error"],
        "not_authenticated"
    );
    assert_eq!(
        h.get("/api/listings", Auth::Session(&session))
            .await
            .status(),
        StatusCode::OK
    );
    let by_token: Value = h
        .get("/api/listings", Auth::Bearer(&token))
        .await
        .json()
        .await
        .expect("json");
    assert!(by_token.as_array().is_some_and(|all| all.len() >= 3));
    let last = h.site.seen().pop().expect("recorded");
    assert_eq!(last.session_user.as_deref(), Some("bkumar"));

    let logout = h
        .send(Method::POST, "/api/logout", Auth::Bearer(&token))
        .await;
    assert_eq!(logout.status(), StatusCode::OK);
    assert_eq!(logout.json::<Value>().await.expect("json")["ok"], true);
    let after_token = h.get("/api/listings", Auth::Bearer(&token)).await;
    assert_eq!(after_token.status(), StatusCode::UNAUTHORIZED);
    let after_cookie = h.get("/api/listings", Auth::Session(&session)).await;
    assert_eq!(
        after_cookie.status(),
        StatusCode::UNAUTHORIZED,
        "token logout ends its cookie session"
    );

    let malformed = h
        .client
        .post(h.url("/api/login"))
        .body("{not json")
        .send()
        .await;
    assert_eq!(malformed.expect("post").status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn direct_sessions_and_the_request_log() {
    let h = Harness::start().await;
    assert_eq!(h.site.login_direct_session("nobody"), None);
    let session = h.site.login_direct_session("ASmith").expect("known user");
    let request = h.client.get(h.url("/search?q=elm&page=2"));
    let request = request.header(COOKIE, format!("theme=dark; MLSSESSION={session}"));
    let response = request
        .header("x-mfa-user", "spoofed")
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::OK);
    let seen = h.site.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/search?q=elm&page=2");
    assert_eq!(seen[0].session_user.as_deref(), Some("asmith"));
    assert_eq!(
        seen[0].cookie_header,
        Some(format!("theme=dark; MLSSESSION={session}"))
    );
    assert!(seen[0]
        .headers
        .contains(&("x-mfa-user".to_owned(), "spoofed".to_owned())));
    h.site.clear_seen();
    assert!(h.site.seen().is_empty());
}

#[tokio::test]
async fn shutdown_stops_serving_even_pooled_connections() {
    let h = Harness::start().await;
    // This leaves an idle keep-alive connection in the client's pool.
    assert_eq!(
        h.get("/favicon.ico", Auth::None).await.status(),
        StatusCode::NO_CONTENT
    );
    h.site.clone().shutdown();
    let stopped = tokio::time::timeout(Duration::from_secs(5), h.site.stopped()).await;
    stopped.expect("stops promptly");
    assert!(h.client.get(h.url("/favicon.ico")).send().await.is_err());
    assert!(Client::new().get(h.url("/")).send().await.is_err());
    assert!(tokio::net::TcpStream::connect(h.site.addr()).await.is_err());
}
