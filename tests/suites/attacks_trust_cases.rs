//! Attacks on the trust cookie (issue 8, class 6): every altered, borrowed, outdated or
//! duplicated trust cookie leads to a challenge, never to a released session.
//!
//! Shared by `tests/attacks_trust.rs` (demo site) and `tests/legacy_*.rs` (the real legacy
//! stacks of `tests/legacy/`): the harness picks the app from the test binary's name.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::common::{enroll_app, Browser, GatewayOptions, Harness, THIRTY_DAYS};

/// Logs in with the given Cookie header (after the app's own session cookies, for an app whose
/// login needs the session its form made) and says whether the login was held for MFA.
async fn challenged_with(h: &Harness, cookie: &str) -> bool {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // The h2 binaries serve HTTPS with a certificate made for the test run.
        .danger_accept_invalid_certs(h.options.tls)
        .build()
        .unwrap();
    let user = h.user(0);
    let mut b = h.browser();
    let (path, user_field, password_field) = match b.login_profile {
        Some(p) => {
            if p.needs_pre_login_session {
                let _ = b.get(p.login_page).await;
            }
            (p.login_path, p.username_field, p.password_field)
        }
        None => ("/login", "username", "password"),
    };
    let app_cookies: String = b.jar.iter().map(|(k, v)| format!("{k}={v}; ")).collect();
    let resp = client
        .post(format!("{}{path}", h.url()))
        .header("cookie", format!("{app_cookies}{cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "{user_field}={}&{password_field}={}",
            user.username,
            urlencode(&user.password)
        ))
        .send()
        .await
        .unwrap();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let session = format!("{}=", h.session_cookie());
    let sets_session = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap_or_default().starts_with(&session));
    assert!(
        !(location == "/_mfa/" && sets_session),
        "held login leaked its session"
    );
    location == "/_mfa/"
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn enrolled(h: &Harness) -> (Browser, String) {
    let user = h.user(0).clone();
    let mut b = h.browser();
    enroll_app(&mut b, &user, THIRTY_DAYS).await;
    let trust = b
        .cookie(&h.gateway_cookie("mfa_trust"))
        .unwrap()
        .to_string();
    (b, trust)
}

#[tokio::test]
async fn altered_trust_cookies_are_challenged() {
    let h = Harness::start(GatewayOptions::default()).await;
    let (_, trust) = enrolled(&h).await;
    assert!(
        !challenged_with(&h, &format!("{}={trust}", h.gateway_cookie("mfa_trust"))).await,
        "the genuine cookie is honoured"
    );
    let parts: Vec<&str> = trust.split('.').collect();
    let payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
    // Re-encoded with padding / standard alphabet: same bytes, different spelling.
    let padded = format!("{}.{}==.{}", parts[0], parts[1], parts[2]);
    let std_alpha = format!(
        "{}.{}.{}",
        parts[0],
        base64::engine::general_purpose::STANDARD.encode(&payload),
        parts[2]
    );
    // Expiry pushed a century ahead without re-signing.
    let mut longer = payload.clone();
    longer[25] ^= 0x40;
    let extended = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(&longer),
        parts[2]
    );
    let other_kid = format!("k0.{}.{}", parts[1], parts[2]);
    // (Only a different spelling when the payload happens to contain `-` or `_`.)
    let std_alpha = if std_alpha == trust {
        format!("{std_alpha}=")
    } else {
        std_alpha
    };
    for (label, value) in [
        ("padded", padded),
        ("standard base64", std_alpha),
        ("extended expiry", extended),
        ("other key id", other_kid),
        ("truncated", trust[..trust.len() / 2].to_string()),
        ("empty", String::new()),
    ] {
        assert!(
            challenged_with(&h, &format!("{}={value}", h.gateway_cookie("mfa_trust"))).await,
            "{label}"
        );
    }
}

#[tokio::test]
async fn duplicated_trust_cookie_names_and_foreign_spellings_do_not_help() {
    let h = Harness::start(GatewayOptions::default()).await;
    let (_, trust) = enrolled(&h).await;
    // A garbage cookie listed first, the genuine one second: the gateway reads one name once.
    let name = h.gateway_cookie("mfa_trust");
    let twice = format!("{name}=garbage; {name}={trust}");
    // Either answer is safe; it must not leak (asserted inside).
    let _ = challenged_with(&h, &twice).await;
    // The __Host- spelling is not honoured on a plain-HTTP gateway, nor the bare name on HTTPS.
    let foreign = if h.options.tls {
        "mfa_trust"
    } else {
        "__Host-mfa_trust"
    };
    assert!(challenged_with(&h, &format!("{foreign}={trust}")).await);
    // A binding cookie is not a trust cookie.
    let mut b = h.browser();
    enroll_app(&mut b, h.user(1), THIRTY_DAYS).await;
    let binding = b.cookie(&h.gateway_cookie("mfa_bind")).unwrap().to_string();
    assert!(challenged_with(&h, &format!("{name}={binding}")).await);
}

#[tokio::test]
async fn support_reset_voids_every_trust_cookie_of_the_member() {
    let h = Harness::start(GatewayOptions::default()).await;
    let (_, trust) = enrolled(&h).await;
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
        .args([
            "users",
            "forget-devices",
            "jdoe",
            "--reason",
            "lost phone",
            "--by",
            "support-desk",
            "--config",
        ])
        .arg(h.config_path())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        challenged_with(&h, &format!("{}={trust}", h.gateway_cookie("mfa_trust"))).await,
        "old epoch must not be honoured"
    );
}

#[tokio::test]
async fn trust_cookies_signed_with_a_removed_key_are_challenged() {
    let mut h = Harness::start(GatewayOptions::default()).await;
    let (_, trust) = enrolled(&h).await;
    // Rotate: a new key k2 replaces k1 entirely (k1 removed from the ring).
    let k2 = h.dir.path().join("keys/cookie-k2.key");
    mfa_gateway::config::keys::ensure_key_file(&k2).unwrap();
    let config = std::fs::read_to_string(h.config_path()).unwrap();
    let rotated = config
        .replacen("    - id: k1\n      file:", "    - id: k2\n      file:", 1)
        .replacen(
            &format!("{}/keys/cookie-k1.key", h.dir.path().display()),
            &k2.display().to_string(),
            1,
        );
    assert_ne!(config, rotated);
    std::fs::write(h.config_path(), rotated).unwrap();
    h.restart_gateway().await;
    assert!(challenged_with(&h, &format!("{}={trust}", h.gateway_cookie("mfa_trust"))).await);
}
