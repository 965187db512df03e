//! Redis or PostgreSQL unreachable mid-run. The gateway reaches the server through a loopback
//! relay the test cuts (port closed, connections dropped) or freezes (nothing answers), and
//! later restores on the same port. Meanwhile every request that needs the lost state gets the
//! fail-closed answer (503 page for browsers, JSON for API clients), the legacy app sees no
//! authenticated request, `/readyz` says 503; afterwards the same process recovers by itself.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::backend::server_urls;
use crate::common::{enroll_app, totp, Browser, GatewayOptions, Harness, THIRTY_DAYS};
use crate::helpers::{
    assert_fail_closed_json, assert_fail_closed_page, assert_login_fails_closed, bounded, readyz,
    wait_for_readyz,
};
use crate::relay::{server_addr, Proxy};

/// How long a login may take to fail closed against a frozen store: the stores' own deadlines
/// (Redis 2 s per call, PostgreSQL 5 s per operation) plus slack for a loaded machine.
const FROZEN_ANSWER_LIMIT: Duration = Duration::from_secs(20);

/// Which server the relay stands in front of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Redis,
    Postgres,
}

/// A gateway with its admin listener whose connection to `server` goes through a relay.
async fn gateway_behind_relay(server: Server) -> Option<(Harness, Proxy)> {
    let (postgres_url, redis_url) = server_urls()?;
    let target = match server {
        Server::Redis => server_addr(&redis_url, 6379).await,
        Server::Postgres => server_addr(&postgres_url, 5432).await,
    };
    let relay = Proxy::start(target).await;
    let options = GatewayOptions {
        admin: true,
        redis_via: (server == Server::Redis).then(|| relay.addr()),
        postgres_via: (server == Server::Postgres).then(|| relay.addr()),
        ..GatewayOptions::default()
    };
    let h = Harness::start_or_skip(options).await?;
    Some((h, relay))
}

/// Logs `username` in on a new browser and asserts the login fails closed.
async fn new_login_fails_closed(h: &Harness, username: &str, password: &str, what: &str) {
    let mut b = h.browser();
    let login = bounded(what, b.login(username, password)).await;
    assert_login_fails_closed(&mut b, login, what).await;
}

/// The mobile app's JSON login fails closed with JSON, releasing no token.
async fn api_login_fails_closed(h: &Harness, username: &str, password: &str) {
    let mut app = h.browser();
    let resp = bounded(
        "API login",
        app.post_json(
            "/api/login",
            &json!({ "username": username, "password": password }),
        ),
    )
    .await;
    assert_fail_closed_json(&resp, "API login");
    assert!(resp.json().get("token").is_none(), "{}", resp.body);
}

/// The mobile app signs in and is held for MFA: (the client, its challenge id).
async fn held_api_login(h: &Harness, username: &str, password: &str) -> (Browser, String) {
    let mut app = h.browser();
    let resp = bounded(
        "API login",
        app.post_json(
            "/api/login",
            &json!({ "username": username, "password": password }),
        ),
    )
    .await;
    assert_eq!(resp.status, 401, "{}", resp.body);
    let challenge = resp.json()["challenge"]
        .as_str()
        .expect("challenge id")
        .to_string();
    (app, challenge)
}

/// Submits `code` for a held API login through the JSON MFA API.
async fn api_verify(app: &mut Browser, challenge: &str, code: &str) -> crate::common::Resp {
    bounded(
        "API verify",
        app.post_json(
            "/_mfa/api/verify",
            &json!({ "challenge": challenge, "code": code }),
        ),
    )
    .await
}

/// Asserts the legacy app received no authenticated request after the first `from` requests.
fn site_saw_no_session_since(h: &Harness, from: usize) {
    let seen = h.site.seen();
    let authenticated: Vec<_> = seen[from..]
        .iter()
        .filter(|r| r.session_user.is_some())
        .map(|r| format!("{} {} as {:?}", r.method, r.path, r.session_user))
        .collect();
    assert!(
        authenticated.is_empty(),
        "passed without MFA: {authenticated:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_fails_closed_and_the_gateway_recovers_without_restart() {
    let Some((h, mut relay)) = gateway_behind_relay(Server::Redis).await else {
        return;
    };
    let (jdoe, asmith, bkumar) = (h.user(0).clone(), h.user(1).clone(), h.user(2).clone());
    let mut trusted = h.browser();
    let (mut jdoe_app, _) = bounded("enroll", enroll_app(&mut trusted, &jdoe, THIRTY_DAYS)).await;
    let mut first = h.browser();
    let (mut enrolled, _) = bounded("enroll", enroll_app(&mut first, &asmith, THIRTY_DAYS)).await;
    // Logins held (in Redis) just before the outage: the mobile app's and a browser's.
    let (mut app, challenge) = held_api_login(&h, &jdoe.username, &jdoe.password).await;
    let mut held = h.browser();
    bounded("login", held.login(&asmith.username, &asmith.password)).await;
    let csrf = bounded("challenge", held.get("/_mfa/"))
        .await
        .input_value("csrf")
        .expect("csrf");
    assert_eq!(readyz(&h.admin_url()).await, 200);

    relay.cut().await;
    wait_for_readyz(&h.admin_url(), 503).await;
    let seen_before = h.site.seen().len();
    new_login_fails_closed(&h, &bkumar.username, &bkumar.password, "not enrolled").await;
    new_login_fails_closed(&h, &asmith.username, &asmith.password, "enrolled").await;
    // The held login cannot be read: its page and even its right code fail closed. (The code
    // is not marked used: the gateway never looked at it.)
    let right_code = totp::code_at_step(&enrolled.secret, enrolled.last_step + 1);
    let page = bounded("held page", held.get("/_mfa/")).await;
    assert_fail_closed_page(&page, "held login's page");
    let refused = bounded(
        "held verify",
        held.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &right_code)]),
    )
    .await;
    assert_fail_closed_page(&refused, "held login's right code");
    assert!(held.cookie("MLSSESSION").is_none());
    api_login_fails_closed(&h, &bkumar.username, &bkumar.password).await;
    let app_code = totp::code_at_step(&jdoe_app.secret, jdoe_app.last_step + 1);
    let resp = api_verify(&mut app, &challenge, &app_code).await;
    assert_fail_closed_json(&resp, "held API login's right code");
    assert!(resp.json().get("token").is_none(), "{}", resp.body);
    site_saw_no_session_since(&h, seen_before);
    // A session that passed MFA before the outage keeps working: the hot path needs no store.
    assert_eq!(bounded("bound session", trusted.get("/")).await.status, 200);

    // Frozen instead of closed: answers still come, within the store's deadline.
    relay.hang().await;
    let seen_before = h.site.seen().len();
    let started = Instant::now();
    new_login_fails_closed(&h, &bkumar.username, &bkumar.password, "frozen Redis").await;
    assert!(
        started.elapsed() < FROZEN_ANSWER_LIMIT,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(readyz(&h.admin_url()).await, 503);
    site_saw_no_session_since(&h, seen_before);

    // Redis is back: the same process is ready again and every flow works.
    relay.restore().await;
    wait_for_readyz(&h.admin_url(), 200).await;
    let code = enrolled.fresh_code().await;
    let released = bounded(
        "held verify after recovery",
        held.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &code)]),
    )
    .await;
    assert_eq!(released.status, 303, "{}", released.body);
    assert_eq!(bounded("home", held.get("/")).await.status, 200);
    let code = jdoe_app.fresh_code().await;
    let resp = api_verify(&mut app, &challenge, &code).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.json()["token"].as_str().is_some(), "{}", resp.body);
    let mut newcomer = Browser::new(&h.url());
    let (_, done) = bounded(
        "enroll after recovery",
        enroll_app(&mut newcomer, &bkumar, THIRTY_DAYS),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_fails_closed_and_the_gateway_recovers_without_restart() {
    let Some((h, mut relay)) = gateway_behind_relay(Server::Postgres).await else {
        return;
    };
    let (jdoe, asmith, bkumar) = (h.user(0).clone(), h.user(1).clone(), h.user(2).clone());
    let mut trusted = h.browser();
    let (mut jdoe_app, _) = bounded("enroll", enroll_app(&mut trusted, &jdoe, THIRTY_DAYS)).await;
    let mut first = h.browser();
    let (mut enrolled, _) = bounded("enroll", enroll_app(&mut first, &asmith, THIRTY_DAYS)).await;
    let (mut app, challenge) = held_api_login(&h, &jdoe.username, &jdoe.password).await;
    let mut held = h.browser();
    bounded("login", held.login(&asmith.username, &asmith.password)).await;
    let csrf = bounded("challenge", held.get("/_mfa/"))
        .await
        .input_value("csrf")
        .expect("csrf");
    bounded("logout", trusted.get("/logout")).await;
    assert_eq!(readyz(&h.admin_url()).await, 200);

    relay.cut().await;
    wait_for_readyz(&h.admin_url(), 503).await;
    let seen_before = h.site.seen().len();
    // A trusted device's cookie cannot be checked against the member's current epoch (a reset
    // may have revoked it): the login fails closed instead of being waved through.
    trusted.jar.remove("MLSSESSION");
    let login = bounded(
        "trusted login",
        trusted.login(&jdoe.username, &jdoe.password),
    )
    .await;
    assert_login_fails_closed(&mut trusted, login, "trusted device").await;
    new_login_fails_closed(&h, &bkumar.username, &bkumar.password, "not enrolled").await;
    // The held login (still in Redis) cannot check its code without the member's record.
    let right_code = totp::code_at_step(&enrolled.secret, enrolled.last_step + 1);
    let refused = bounded(
        "held verify",
        held.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &right_code)]),
    )
    .await;
    assert_fail_closed_page(&refused, "held login's right code");
    assert!(held.cookie("MLSSESSION").is_none());
    api_login_fails_closed(&h, &bkumar.username, &bkumar.password).await;
    let app_code = totp::code_at_step(&jdoe_app.secret, jdoe_app.last_step + 1);
    let resp = api_verify(&mut app, &challenge, &app_code).await;
    assert_fail_closed_json(&resp, "held API login's right code");
    assert!(resp.json().get("token").is_none(), "{}", resp.body);
    site_saw_no_session_since(&h, seen_before);

    // Frozen: a login waits at most for the store's deadline, then fails closed.
    relay.hang().await;
    let started = Instant::now();
    new_login_fails_closed(&h, &jdoe.username, &jdoe.password, "frozen PostgreSQL").await;
    assert!(
        started.elapsed() < FROZEN_ANSWER_LIMIT,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(readyz(&h.admin_url()).await, 503);
    site_saw_no_session_since(&h, seen_before);

    // PostgreSQL is back: ready again without a restart; the held login, the trusted device
    // and a new member's set-up all work.
    relay.restore().await;
    wait_for_readyz(&h.admin_url(), 200).await;
    let code = enrolled.fresh_code().await;
    let released = bounded(
        "held verify after recovery",
        held.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &code)]),
    )
    .await;
    assert_eq!(released.status, 303, "{}", released.body);
    let code = jdoe_app.fresh_code().await;
    let resp = api_verify(&mut app, &challenge, &code).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.json()["token"].as_str().is_some(), "{}", resp.body);
    let again = bounded(
        "trusted login",
        trusted.login(&jdoe.username, &jdoe.password),
    )
    .await;
    assert_eq!(again.location.as_deref(), Some("/"), "{again:?}");
    let mut newcomer = Browser::new(&h.url());
    let (_, done) = bounded(
        "enroll after recovery",
        enroll_app(&mut newcomer, &bkumar, THIRTY_DAYS),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
}
