//! Attacks on the session: skipping MFA after the password step, replaying or forging the
//! upstream session, and header tricks (issue 8, classes 1, 2 and 9). Each test asserts the
//! attack fails *and* that the legacy app never saw an authenticated request for the victim.

mod common;

use common::{enroll_app, GatewayOptions, Harness, THIRTY_DAYS};
use mfa_gateway::config::NamedKey;
use mfa_gateway::mfa::claims::{session_digest, BindingClaims};
use mfa_gateway::mfa::tokens::KeyRing;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The gateway's cookie key, read from the harness's key file (what an insider could not do:
/// used here only to mint *otherwise valid* bindings for the wrong value or member).
fn gateway_keys(h: &Harness) -> KeyRing {
    use base64::Engine as _;
    let text = std::fs::read_to_string(h.dir.path().join("keys/cookie-k1.key")).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .unwrap();
    KeyRing::new(&[NamedKey {
        id: "k1".into(),
        bytes,
    }])
}

#[tokio::test]
async fn force_browse_after_password_step_wstg_athn_11() {
    let h = Harness::start(GatewayOptions::default()).await;
    let user = h.user(0).clone();
    let mut attacker = h.browser();
    let held = attacker.login(&user.username, &user.password).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"));
    assert!(attacker.cookie("mfa_pending").is_some());
    for path in [
        "/",
        "/listings/1",
        "/search?q=a",
        "/account/rotate",
        "/api/listings",
    ] {
        let resp = attacker.get(path).await;
        assert_ne!(resp.status, 200, "{path} served without MFA: {}", resp.body);
    }
    assert!(!h.site_saw_session_of(&user.username));
}

#[tokio::test]
async fn binding_minted_for_another_session_value_or_member_is_useless() {
    let h = Harness::start(GatewayOptions::default()).await;
    let victim = h.user(0).clone();
    let attacker_user = h.user(1).clone();
    // The attacker passes MFA for their own account and keeps their valid binding cookie.
    let mut attacker = h.browser();
    enroll_app(&mut attacker, &attacker_user, THIRTY_DAYS).await;
    let own_binding = attacker.cookie("mfa_bind").unwrap().to_string();
    // The victim's session value, stolen somehow (e.g. from the legacy site directly).
    let stolen = h.site.login_direct_session(&victim.username).unwrap();

    let mut replay = h.browser();
    replay.jar.insert("MLSSESSION".into(), stolen.clone());
    replay.jar.insert("mfa_bind".into(), own_binding);
    let resp = replay.get("/listings/1").await;
    assert_eq!(
        resp.status, 302,
        "binding for another cookie value must not count"
    );

    // A binding for the victim's *user name* but another session value.
    let keys = gateway_keys(&h);
    let forged = BindingClaims {
        user: victim.username.clone(),
        session_digest: session_digest([("MLSSESSION", "some-other-value")]),
        expires: now() + 3600,
        epoch: 0,
    }
    .seal(&keys);
    let mut replay2 = h.browser();
    replay2.jar.insert("MLSSESSION".into(), stolen);
    replay2.jar.insert("mfa_bind".into(), forged);
    assert_eq!(replay2.get("/").await.status, 302);
    assert!(!h.site_saw_session_of(&victim.username));
}

#[tokio::test]
async fn duplicate_cookie_headers_cannot_smuggle_an_unbound_session() {
    let h = Harness::start(GatewayOptions::default()).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    enroll_app(&mut b, &user, THIRTY_DAYS).await;
    let good_session = b.cookie("MLSSESSION").unwrap().to_string();
    let good_binding = b.cookie("mfa_bind").unwrap().to_string();
    let victim = h.user(1).clone();
    let stolen = h.site.login_direct_session(&victim.username).unwrap();
    // Two MLSSESSION values (one bound, one stolen) in two Cookie headers.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client
        .get(format!("{}/listings/1", h.url()))
        .header(
            "cookie",
            format!("MLSSESSION={good_session}; mfa_bind={good_binding}"),
        )
        .header("cookie", format!("MLSSESSION={stolen}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        302,
        "ambiguous session cookies are stripped, not forwarded"
    );
    assert!(!h.site_saw_session_of(&victim.username));
}

#[tokio::test]
async fn client_identity_headers_and_spoofed_forwarding_never_reach_the_app_as_given() {
    let h = Harness::start(GatewayOptions::default()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    client
        .get(format!("{}/", h.url()))
        .header("x-mfa-user", "jdoe")
        .header("x-remote-user", "jdoe")
        .header("x-forwarded-for", "10.9.8.7")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let seen = h.site.seen().pop().unwrap();
    let get = |name: &str| {
        seen.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("x-mfa-user"), None);
    assert_eq!(get("x-remote-user"), None);
    assert_eq!(
        get("x-forwarded-for").as_deref(),
        Some("127.0.0.1"),
        "an untrusted client's list is dropped (edge.trusted_proxies is empty; the appended \
         form is tested in tests/edge_framing.rs)"
    );
    assert_eq!(
        get("x-forwarded-proto").as_deref(),
        Some("http"),
        "the gateway states the real scheme"
    );
}

#[tokio::test]
async fn login_path_spellings_are_all_intercepted() {
    let h = Harness::start(GatewayOptions::default()).await;
    let user = h.user(0).clone();
    // The demo site only answers /login, but every spelling must at least be inspected: the
    // ones it accepts are held, and none can yield a session without MFA.
    for path in [
        "/login",
        "//login",
        "/./login",
        "/x/../login",
        "/login;jsessionid=1",
        "/%6Cogin",
        "/LOGIN",
        "/login/",
    ] {
        let mut b = h.browser();
        let resp = b
            .post_form(
                path,
                &[("username", &user.username), ("password", &user.password)],
            )
            .await;
        assert!(
            b.cookie("MLSSESSION").is_none(),
            "{path}: session leaked ({})",
            resp.status
        );
        assert!(
            resp.status == 303 || resp.status >= 400 || resp.status == 302,
            "{path}: {}",
            resp.status
        );
        if resp.status == 302 {
            assert_ne!(
                resp.location.as_deref(),
                Some("/"),
                "{path} logged in without MFA"
            );
        }
    }
    assert!(!h.site_saw_session_of(&user.username));
}

#[tokio::test]
async fn duplicate_username_fields_cannot_confuse_who_is_verified() {
    let h = Harness::start(GatewayOptions::default()).await;
    let victim = h.user(0).clone();
    let attacker = h.user(1).clone();
    let mut b = h.browser();
    // The attacker knows the victim's password but enrolled their own factor: sending their own
    // username first and the victim's second must not make the gateway verify the attacker.
    let resp = b
        .post_form(
            "/login",
            &[
                ("username", &attacker.username),
                ("username", &victim.username),
                ("password", &victim.password),
            ],
        )
        .await;
    assert!(b.cookie("MLSSESSION").is_none());
    if resp.status == 303 {
        assert_ne!(
            resp.location.as_deref(),
            Some("/_mfa/"),
            "a duplicate field must fail closed, not be held for someone"
        );
    }
    assert!(!h.site_saw_session_of(&victim.username));
}
