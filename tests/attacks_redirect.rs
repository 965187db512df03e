//! Open redirect after MFA (issue 8, class 7; oauth2-proxy CVE-2020-5233 and CVE-2021-21291
//! classes). A hostile — or merely sloppy — legacy app redirects its successful login wherever
//! a `next` parameter says; after MFA the gateway must only ever send the member to a path on
//! its own origin.

mod common;
#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;

use axum::extract::Form;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use common::{GatewayOptions, Harness, THIRTY_DAYS, TWILIO_SID, TWILIO_TOKEN};
use support::sms_provider::FakeSmsProvider;

/// A legacy login that redirects to `next` verbatim (an open redirect of its own).
async fn sloppy_login(Form(form): Form<HashMap<String, String>>) -> impl IntoResponse {
    let next = form.get("next").cloned().unwrap_or_else(|| "/".into());
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, next),
            (
                header::SET_COOKIE,
                "MLSSESSION=s3ss10n; Path=/; HttpOnly".to_string(),
            ),
        ],
    )
}

async fn start_sloppy_site() -> String {
    let app = Router::new()
        .route("/login", post(sloppy_login))
        .route("/", get(|| async { "home" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr.to_string()
}

fn code_in(body: &str) -> String {
    body.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("code")
        .to_string()
}

#[tokio::test]
async fn redirect_targets_after_mfa_are_same_origin_only() {
    let sms = FakeSmsProvider::start(TWILIO_SID, TWILIO_TOKEN, None).await;
    let upstream = start_sloppy_site().await;
    let options = GatewayOptions {
        methods: vec!["text".into()],
        twilio_base_url: Some(sms.base_url()),
        upstream: Some(upstream.clone()),
        ..GatewayOptions::default()
    };
    let h = Harness::start(options).await;
    let cases = [
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("%2F%2Fevil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("/%5Cevil", "/"),
        ("/\t/evil.example", "/"),
        ("http://127.0.0.1@evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/listings/7?x=1", "/listings/7?x=1"),
        (&format!("http://{upstream}/search"), "/search"),
    ];
    for (i, (next, expected)) in cases.into_iter().enumerate() {
        // Rotate the three roster members: each may be sent only a few codes per 15 minutes.
        let user = h.user(i % 3).username.clone();
        let mut b = h.browser();
        let login = b
            .post_form(
                "/login",
                &[
                    ("username", user.as_str()),
                    ("password", "pw"),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(login.location.as_deref(), Some("/_mfa/"), "{next:?}");
        let page = b.get("/_mfa/").await;
        let mut code = None;
        for _ in 0..200 {
            if let Some(req) = sms.requests().get(i) {
                code = Some(code_in(&req.form()["Body"]));
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let code = code.unwrap_or_else(|| {
            panic!(
                "no text #{i} for {next:?} as {user} ({} texts so far): {}",
                sms.requests().len(),
                page.text()
                    .split("<main")
                    .nth(1)
                    .unwrap_or_default()
                    .chars()
                    .take(600)
                    .collect::<String>()
            )
        });
        let csrf = page.input_value("csrf").unwrap();
        let remember = THIRTY_DAYS.to_string();
        let path = if page.text().contains("/_mfa/enroll/contact") {
            "/_mfa/enroll/contact"
        } else {
            "/_mfa/verify"
        };
        let done = b
            .post_form(
                path,
                &[("csrf", &csrf), ("code", &code), ("remember", &remember)],
            )
            .await;
        assert_eq!(done.status, 303, "{next:?}: {}", done.body);
        assert_eq!(done.location.as_deref(), Some(expected), "{next:?}");
    }
}
