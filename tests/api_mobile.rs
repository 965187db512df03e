//! The mobile app and other API clients (issue 4): JSON login → `401` JSON challenge (never a
//! redirect or a page) → the JSON MFA API → the held answer released; every error is JSON
//! with a stable code; every response validates against `docs/openapi.yaml`.

mod common;

use serde_json::{json, Value};

use common::{totp, Browser, GatewayOptions, Harness, Resp, THIRTY_DAYS};

/// Validates a response against the OpenAPI document (JSON Schema 2020-12 inside OpenAPI 3.1).
struct Spec {
    doc: Value,
}

impl Spec {
    fn load() -> Spec {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.yaml"))
                .unwrap();
        Spec {
            doc: serde_yaml::from_str(&text).unwrap(),
        }
    }

    fn escape(segment: &str) -> String {
        segment.replace('~', "~0").replace('/', "~1")
    }

    /// Asserts `resp` is a documented answer of `method path` and matches its schema.
    fn check(&self, method: &str, path: &str, resp: &Resp) {
        let responses = &self.doc["paths"][path][method]["responses"];
        let status = resp.status.to_string();
        let mut response = responses[&status].clone();
        assert!(
            response.is_object(),
            "{method} {path} does not document status {status}: {}",
            resp.body
        );
        let mut pointer = format!("#/paths/{}/{method}/responses/{status}", Self::escape(path));
        if let Some(r) = response.get("$ref").and_then(Value::as_str) {
            pointer = r.to_string();
            let target = r.trim_start_matches('#');
            response = self.doc.pointer(target).unwrap().clone();
        }
        assert!(
            response["content"]["application/json"]["schema"].is_object(),
            "{pointer} has no JSON schema"
        );
        let ct = resp
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            ct.starts_with("application/json"),
            "{method} {path}: content-type {ct}"
        );
        let mut root = self.doc.clone();
        root["$ref"] = json!(format!("{pointer}/content/application~1json/schema"));
        let validator = jsonschema::draft202012::new(&root).expect("schema compiles");
        let instance = resp.json();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status} violates the spec: {errors:?}\n{instance}"
        );
    }
}

async fn api_login(b: &mut Browser, user: &str, password: &str) -> Resp {
    b.post_json(
        "/api/login",
        &json!({ "username": user, "password": password }),
    )
    .await
}

/// The app signs in and completes set-up with the authenticator app through the JSON API.
async fn enroll_via_api(h: &Harness, b: &mut Browser, spec: &Spec) -> Vec<u8> {
    let user = h.user(0).clone();
    let login = api_login(b, &user.username, &user.password).await;
    assert_eq!(login.status, 401, "{}", login.body);
    assert!(login.location.is_none());
    let www = login
        .headers
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let challenge = login.json()["challenge"].as_str().unwrap().to_string();
    assert!(
        www.starts_with("MFA realm=\"SmartMLS\"") && www.contains(&challenge),
        "{www}"
    );
    assert_eq!(login.json()["enrollment_required"], true);
    let start = b
        .post_json(
            "/_mfa/api/enroll",
            &json!({ "challenge": challenge, "method": "app" }),
        )
        .await;
    spec.check("post", "/_mfa/api/enroll", &start);
    let secret = totp::secret_from_uri(start.json()["otpauth_uri"].as_str().unwrap());
    let code = totp::code_at_step(&secret, totp::current_step());
    let done = b
        .post_json(
            "/_mfa/api/enroll/confirm",
            &json!({ "challenge": challenge, "code": code, "remember_secs": THIRTY_DAYS }),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    spec.check("post", "/_mfa/api/enroll/confirm", &done);
    assert!(
        done.json()["token"].as_str().is_some_and(|t| !t.is_empty()),
        "held token released: {}",
        done.body
    );
    secret
}

#[tokio::test]
async fn mobile_app_login_mfa_and_trusted_next_login() {
    let spec = Spec::load();
    let h = Harness::start(GatewayOptions::default()).await;
    let user = h.user(0).clone();
    let mut app = h.browser();

    let login = api_login(&mut app, &user.username, &user.password).await;
    assert_eq!(login.status, 401);
    assert_eq!(login.json()["error"], "mfa_required");
    spec.check("post", "/api/login", &login);
    let read = app
        .get_with(
            "/_mfa/api/challenge",
            &[(
                "x-mfa-challenge",
                login.json()["challenge"].as_str().unwrap(),
            )],
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.body);
    spec.check("get", "/_mfa/api/challenge", &read);
    assert!(app.cookie("MLSSESSION").is_none(), "session held");
    assert!(!login.body.contains("\"token\""), "token held");
    // Before MFA, the app's API calls are answered with the challenge, not forwarded.
    let early = app
        .get_with("/api/listings", &[("accept", "application/json")])
        .await;
    assert_eq!(early.status, 401);
    assert_eq!(early.json()["error"], "mfa_required");
    assert!(!h.site_saw_session_of(&user.username));

    let mut app = h.browser();
    let secret = enroll_via_api(&h, &mut app, &spec).await;
    assert!(app.cookie("MLSSESSION").is_some() && app.cookie("mfa_trust").is_some());
    let listings = app
        .get_with("/api/listings", &[("accept", "application/json")])
        .await;
    assert_eq!(listings.status, 200, "{}", listings.body);

    // Next login from the same app: trusted, no challenge; the token comes straight back.
    let again = api_login(&mut app, &user.username, &user.password).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.json()["token"].is_string());

    // Signing out of the app forgets the device: the next login is challenged.
    let out = app.post_json("/api/logout", &json!({})).await;
    assert_eq!(out.status, 200);
    assert!(app.cookie("mfa_trust").is_none());
    let challenged = api_login(&mut app, &user.username, &user.password).await;
    assert_eq!(challenged.status, 401);
    assert_eq!(challenged.json()["enrollment_required"], false);
    let id = challenged.json()["challenge"].as_str().unwrap().to_string();
    let code = totp::code_at_step(&secret, totp::current_step() + 1);
    let ok = app
        .post_json(
            "/_mfa/api/verify",
            &json!({ "challenge": id, "code": code }),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    spec.check("post", "/_mfa/api/verify", &ok);
}

#[tokio::test]
async fn every_api_error_is_json_with_a_stable_code() {
    let spec = Spec::load();
    let h = Harness::start(GatewayOptions {
        per_challenge: 3,
        ..GatewayOptions::default()
    })
    .await;
    let mut first = h.browser();
    enroll_via_api(&h, &mut first, &spec).await;
    let user = h.user(0).clone();
    let mut app = h.browser();
    let login = api_login(&mut app, &user.username, &user.password).await;
    let id = login.json()["challenge"].as_str().unwrap().to_string();

    let cases: Vec<(&str, Resp, u16, &str)> = vec![
        (
            "/_mfa/api/verify",
            app.post_raw("/_mfa/api/verify", "text/plain", b"{}".to_vec())
                .await,
            415,
            "unsupported_media_type",
        ),
        (
            "/_mfa/api/verify",
            app.post_raw("/_mfa/api/verify", "application/json", b"{nope".to_vec())
                .await,
            400,
            "invalid_json",
        ),
        (
            "/_mfa/api/verify",
            app.post_raw("/_mfa/api/verify", "application/json", vec![b' '; 40_000])
                .await,
            413,
            "body_too_large",
        ),
        (
            "/_mfa/api/verify",
            app.post_json("/_mfa/api/verify", &json!({ "code": "123456" }))
                .await,
            400,
            "missing_field",
        ),
        (
            "/_mfa/api/verify",
            app.post_json(
                "/_mfa/api/verify",
                &json!({ "challenge": "x".repeat(43), "code": "123456" }),
            )
            .await,
            403,
            "challenge_mismatch",
        ),
        (
            "/_mfa/api/send",
            app.post_json(
                "/_mfa/api/send",
                &json!({ "challenge": id, "method": "fax" }),
            )
            .await,
            // Outside the spec's enum: refused as a field of the wrong value, before any step.
            400,
            "invalid_field",
        ),
        (
            "/_mfa/api/verify",
            app.post_json(
                "/_mfa/api/verify",
                &json!({ "challenge": id, "code": "000000" }),
            )
            .await,
            401,
            "wrong_code",
        ),
        (
            "/_mfa/api/enroll",
            app.post_json(
                "/_mfa/api/enroll",
                &json!({ "challenge": id, "method": "app" }),
            )
            .await,
            409,
            "already_enrolled",
        ),
    ];
    for (path, resp, status, code) in &cases {
        assert_eq!(resp.status, *status, "{path}: {}", resp.body);
        assert_eq!(resp.json()["error"], *code, "{path}");
        spec.check("post", path, resp);
    }
    // Two more wrong codes exhaust the challenge (limit 3), after which it is gone.
    app.post_json(
        "/_mfa/api/verify",
        &json!({ "challenge": id, "code": "000001" }),
    )
    .await;
    let exhausted = app
        .post_json(
            "/_mfa/api/verify",
            &json!({ "challenge": id, "code": "000002" }),
        )
        .await;
    assert_eq!(exhausted.status, 403, "{}", exhausted.body);
    assert_eq!(exhausted.json()["error"], "challenge_exhausted");
    spec.check("post", "/_mfa/api/verify", &exhausted);
    // Still refused afterwards (the counter only grows), whatever the code.
    let still = app
        .post_json(
            "/_mfa/api/verify",
            &json!({ "challenge": id, "code": "000003" }),
        )
        .await;
    assert_eq!(still.status, 403);
    assert_eq!(still.json()["error"], "challenge_exhausted");
    // An unknown (or expired) challenge from a client without the pending cookie.
    let mut stranger = h.browser();
    let gone = stranger
        .post_json(
            "/_mfa/api/verify",
            &json!({ "challenge": "A".repeat(43), "code": "000003" }),
        )
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.json()["error"], "challenge_not_found");
    spec.check("post", "/_mfa/api/verify", &gone);

    let spec_doc = app.get("/_mfa/api/openapi.json").await;
    assert_eq!(spec_doc.json()["openapi"], "3.1.0");
    let unknown = app.get("/_mfa/api/nothing").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"], "not_found");
}

#[tokio::test]
async fn locked_member_gets_423_json() {
    let spec = Spec::load();
    let options = GatewayOptions {
        per_challenge: 10,
        per_user_before_backoff: 2,
        ..GatewayOptions::default()
    };
    let h = Harness::start(options).await;
    let mut first = h.browser();
    enroll_via_api(&h, &mut first, &spec).await;
    let user = h.user(0).clone();
    let mut app = h.browser();
    let id = api_login(&mut app, &user.username, &user.password)
        .await
        .json()["challenge"]
        .as_str()
        .unwrap()
        .to_string();
    for code in ["000000", "000001"] {
        app.post_json(
            "/_mfa/api/verify",
            &json!({ "challenge": id, "code": code }),
        )
        .await;
    }
    let locked = app
        .post_json(
            "/_mfa/api/verify",
            &json!({ "challenge": id, "code": "000002" }),
        )
        .await;
    assert_eq!(locked.status, 423, "{}", locked.body);
    assert_eq!(locked.json()["error"], "locked");
    assert!(locked.json()["retry_after"].as_u64().is_some());
    spec.check("post", "/_mfa/api/verify", &locked);
}

#[tokio::test]
async fn wrong_credentials_and_browsers_are_unchanged() {
    let h = Harness::start(GatewayOptions::default()).await;
    let user = h.user(0).clone();
    let mut app = h.browser();
    let bad = api_login(&mut app, &user.username, "wrong").await;
    assert_eq!(bad.status, 401);
    assert_eq!(
        bad.json()["error"],
        "invalid_credentials",
        "the legacy answer is relayed as is"
    );
    // A browser on the same site still gets the HTML flow.
    let mut browser = h.browser();
    let login = browser.login(&user.username, &user.password).await;
    assert_eq!(login.status, 303);
    assert_eq!(login.location.as_deref(), Some("/_mfa/"));
    let page = browser.get("/_mfa/").await;
    assert!(page
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

/// Issue 17 (schemathesis ST204): undeclared methods on the API paths and on the JSON login
/// were answered without `Allow` — 405 from the router, or 400 from the edge for methods it
/// does not let through (TRACE). Each is now `405` with the path's own methods (RFC 9110
/// §15.5.6), JSON for API clients, and the JSON login is never relayed for them.
#[tokio::test]
async fn regression_405_without_allow_on_api_paths_and_the_json_login() {
    let h = Harness::start(GatewayOptions::default()).await;
    let client = reqwest::Client::new();
    let cases = [
        ("PUT", "/_mfa/api/send", "POST"),
        ("DELETE", "/_mfa/api/verify", "POST"),
        ("TRACE", "/_mfa/api/enroll", "POST"),
        ("PATCH", "/_mfa/api/challenge", "GET, POST"),
        ("POST", "/_mfa/api/openapi.json", "GET"),
        ("PUT", "/api/login", "POST"),
        ("TRACE", "/api/login", "POST"),
        ("GET", "/api/login", "POST"),
    ];
    for (method, path, allow) in cases {
        let resp = client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", h.url()),
            )
            .header("accept", "application/json")
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 405, "{method} {path}");
        assert_eq!(
            resp.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
        let body: Value = resp.json().await.expect("JSON body");
        assert_eq!(body["error"], "method_not_allowed", "{method} {path}");
    }
    assert!(
        h.site.seen().iter().all(|r| r.path != "/api/login"),
        "undeclared methods never reach the legacy login: {:?}",
        h.site.seen()
    );
}
