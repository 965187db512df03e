//! The admin HTTP API: token checks, the same effects as the CLI, health and readiness, and
//! never on the public listener.

use serde_json::json;

use crate::common::{enroll_app, GatewayOptions, Harness, ADMIN_TOKEN, THIRTY_DAYS};
use crate::tools::{admin, admin_ok, audit_events, enroll_after_login, is_challenge, log_in_again};

fn with_admin() -> GatewayOptions {
    GatewayOptions {
        admin: true,
        ..GatewayOptions::default()
    }
}

fn why() -> serde_json::Value {
    json!({"reason": "replaced phone, ID checked", "by": "dave"})
}

#[tokio::test]
async fn without_or_with_a_wrong_token_every_protected_endpoint_answers_401() {
    let h = Harness::start(with_admin()).await;
    let base = h.admin_url();
    let protected = [
        ("GET", "/metrics", None),
        ("GET", "/v1/users/jdoe", None),
        ("POST", "/v1/users/jdoe/reset", Some(why())),
        ("POST", "/v1/users/jdoe/forget-devices", Some(why())),
        ("POST", "/v1/users/jdoe/unlock", Some(why())),
    ];
    for (method, path, body) in protected {
        for token in [
            None,
            Some("wrong-token-wrong-token"),
            Some(&ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1]),
        ] {
            let resp = admin(&base, method, path, token, body.clone()).await;
            assert_eq!(
                resp.status, 401,
                "{method} {path} with {token:?}: {}",
                resp.body
            );
            assert!(resp.json()["error"]
                .as_str()
                .is_some_and(|e| e.contains("token")));
            assert!(resp.headers.contains_key("www-authenticate"));
        }
    }
    assert!(
        audit_events(&h, "support_action").is_empty(),
        "nothing was done"
    );
    // Liveness and readiness need no token.
    let health = admin(&base, "GET", "/healthz", None, None).await;
    assert_eq!(
        (health.status, health.json()["status"].as_str()),
        (200, Some("ok"))
    );
    let ready = admin(&base, "GET", "/readyz", None, None).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(
        ready.json(),
        json!({"status": "ready", "durable": "ok", "ephemeral": "ok"})
    );
}

#[tokio::test]
async fn with_the_token_the_api_has_the_cli_effects() {
    let h = Harness::start(GatewayOptions {
        per_user_before_backoff: 2,
        per_user_lockout: 2,
        ..with_admin()
    })
    .await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    let (mut enrolled, _) = enroll_app(&mut b, &user, THIRTY_DAYS).await;

    let shown = admin_ok(&h, "GET", "/v1/users/JDoe", None).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let status = shown.json();
    assert_eq!(status["login"], "jdoe");
    assert_eq!(status["enrolled"], true);
    assert_eq!(status["method"], "app");
    assert_eq!(status["trust_period_secs"], THIRTY_DAYS);
    assert_eq!(status["locked"], false);

    // forget-devices: challenged, no set-up.
    let forgot = admin_ok(&h, "POST", "/v1/users/jdoe/forget-devices", Some(why())).await;
    assert_eq!(forgot.status, 200, "{}", forgot.body);
    assert_eq!(forgot.json()["epoch"], 1);
    let request_id = forgot.headers["x-request-id"].to_str().unwrap().to_string();
    log_in_again(&mut b, &user.username, &user.password).await;
    let page = b.get("/_mfa/").await;
    assert!(is_challenge(&page), "{}", page.body);

    // Two wrong codes lock the member; unlock over the API lets them verify.
    let csrf = page.input_value("csrf").unwrap();
    for _ in 0..2 {
        b.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", "000000")])
            .await;
    }
    assert_eq!(
        admin_ok(&h, "GET", "/v1/users/jdoe", None).await.json()["locked_until_unlocked"],
        true
    );
    let good = enrolled.fresh_code().await;
    let refused = b
        .post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &good)])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let unlocked = admin_ok(&h, "POST", "/v1/users/jdoe/unlock", Some(why())).await;
    assert_eq!(unlocked.status, 200, "{}", unlocked.body);
    let passed = b
        .post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &good)])
        .await;
    assert_eq!(passed.status, 303, "{}", passed.body);

    // reset: the trusted browser goes through set-up again.
    let reset = admin_ok(&h, "POST", "/v1/users/jdoe/reset", Some(why())).await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_eq!(
        reset.json(),
        json!({"login": "jdoe", "action": "reset", "epoch": 2})
    );
    let held = log_in_again(&mut b, &user.username, &user.password).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"));
    let (_, released) = enroll_after_login(&mut b).await;
    assert_eq!(released.status, 303, "{}", released.body);

    // Each action is audited with who, why, the channel and the request id it answered with.
    let actions = audit_events(&h, "support_action");
    let names: Vec<_> = actions
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["forget-devices", "unlock", "reset"]);
    for line in &actions {
        assert_eq!(
            (line["by"].as_str(), line["via"].as_str()),
            (Some("dave"), Some("api"))
        );
        assert_eq!(line["reason"], "replaced phone, ID checked");
    }
    assert_eq!(actions[0]["request_id"], request_id.as_str());
}

#[tokio::test]
async fn bad_requests_are_refused_with_json_errors() {
    let h = Harness::start(with_admin()).await;
    for (body, field) in [
        (json!({"by": "dave"}), "reason"),
        (json!({"reason": "why"}), "by"),
        (json!({"reason": "", "by": "dave"}), "reason"),
    ] {
        let resp = admin_ok(&h, "POST", "/v1/users/jdoe/reset", Some(body)).await;
        assert_eq!(resp.status, 400, "{}", resp.body);
        assert!(
            resp.json()["error"].as_str().unwrap().starts_with(field),
            "{}",
            resp.body
        );
    }
    let no_body = admin_ok(&h, "POST", "/v1/users/jdoe/reset", None).await;
    assert_eq!(no_body.status, 400);
    assert!(no_body.json()["error"].as_str().unwrap().contains("JSON"));
    let unknown = admin_ok(&h, "POST", "/v1/users/jdoe/delete", Some(why())).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["error"].is_string());
    let blank = admin_ok(&h, "GET", "/v1/users/%20", None).await;
    assert_eq!(blank.status, 400, "{}", blank.body);
    assert!(audit_events(&h, "support_action").is_empty());
}

#[tokio::test]
async fn the_admin_api_is_not_served_on_the_public_listener() {
    let h = Harness::start(with_admin()).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    enroll_app(&mut b, &user, THIRTY_DAYS).await;
    let client = reqwest::Client::new();
    for (method, path) in [
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/v1/users/jdoe"),
        ("POST", "/v1/users/jdoe/reset"),
    ] {
        let resp = client
            .request(method.parse().unwrap(), format!("{}{path}", h.url()))
            .bearer_auth(ADMIN_TOKEN)
            .json(&why())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap();
        assert!(
            !body.contains("\"status\":\"ok\"")
                && !body.contains("mfa_gateway_")
                && !body.contains("\"enrolled\""),
            "{path} answered by the admin API on the public port: {status} {body}"
        );
        // It went to the legacy site like any other path.
        assert!(
            h.site.seen().iter().any(|r| r.path == path),
            "{path} not forwarded"
        );
    }
    // The member is untouched: the trusted browser still passes.
    let again = log_in_again(&mut b, &user.username, &user.password).await;
    assert_eq!(again.location.as_deref(), Some("/"));
    assert!(audit_events(&h, "support_action").is_empty());
}
