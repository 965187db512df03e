//! The support desk's CLI: reset, forget-devices, unlock, show, each audited with who and why.

use crate::common::{enroll_app, GatewayOptions, Harness, THIRTY_DAYS};
use crate::tools::{
    audit_events, audit_lines, cli, cli_ok, enroll_after_login, is_challenge, log_in_again,
};

fn with_admin() -> GatewayOptions {
    GatewayOptions {
        admin: true,
        ..GatewayOptions::default()
    }
}

#[tokio::test]
async fn reset_forces_re_enrollment_on_the_trusted_device_and_is_audited() {
    let h = Harness::start(with_admin()).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    let (old, done) = enroll_app(&mut b, &user, THIRTY_DAYS).await;
    assert_eq!(done.status, 303, "{}", done.body);
    // The device is trusted: logging in again passes straight through.
    let trusted = log_in_again(&mut b, &user.username, &user.password).await;
    assert_eq!(trusted.location.as_deref(), Some("/"), "{trusted:?}");

    // Support resets; the login is given in another case, as a member would say it.
    let out = cli_ok(
        &h,
        &[
            "users",
            "reset",
            &user.username.to_uppercase(),
            "--reason",
            "lost phone, ID checked",
            "--by",
            "alice",
        ],
    );
    assert!(out.contains("reset jdoe"), "{out}");

    // The same (formerly trusted) browser is held and sent through set-up again.
    let held = log_in_again(&mut b, &user.username, &user.password).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"), "{held:?}");
    assert!(b.cookie("MLSSESSION").is_none());
    let (new, released) = enroll_after_login(&mut b).await;
    assert_eq!(released.status, 303, "{}", released.body);
    assert_ne!(new.secret, old.secret, "a new authenticator secret");
    assert_eq!(b.get("/").await.status, 200);

    let resets = audit_events(&h, "support_action");
    let reset = resets
        .iter()
        .find(|line| line["action"] == "reset")
        .unwrap_or_else(|| panic!("no reset in {:?}", audit_lines(&h)));
    assert_eq!(reset["user"], "jdoe");
    assert_eq!(reset["by"], "alice");
    assert_eq!(reset["reason"], "lost phone, ID checked");
    assert_eq!(reset["via"], "cli");
    assert_eq!(reset["level"], "INFO");
    chrono::DateTime::parse_from_rfc3339(reset["timestamp"].as_str().unwrap()).expect("RFC 3339");
    // The gateway's own events are in the same file, in order: the first set-up, the reset,
    // the second set-up.
    let events: Vec<String> = audit_lines(&h)
        .iter()
        .map(|line| line["event"].as_str().unwrap_or_default().to_string())
        .collect();
    let first = events
        .iter()
        .position(|e| e == "enrollment_completed")
        .unwrap();
    let reset_at = events.iter().position(|e| e == "support_action").unwrap();
    let second = events
        .iter()
        .rposition(|e| e == "enrollment_completed")
        .unwrap();
    assert!(first < reset_at && reset_at < second, "{events:?}");
    assert!(events.iter().any(|e| e == "login_intercepted"));
    assert!(events.iter().any(|e| e == "trust_cookie_used"));
    // Events caused by a request carry its id, and the events of one verification share it.
    let completed = audit_events(&h, "enrollment_completed");
    let id = completed[0]["request_id"]
        .as_str()
        .expect("request_id on gateway events");
    // `<16 hex digits drawn at start>-<counter in hex>` (src/http/request_id.rs).
    let (prefix, counter) = id.split_once('-').expect("prefix-counter");
    assert!(
        prefix.len() == 16 && prefix.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert!(u64::from_str_radix(counter, 16).is_ok(), "{id}");
    let same_request: Vec<_> = audit_lines(&h)
        .into_iter()
        .filter(|l| l["request_id"] == id)
        .collect();
    assert!(
        same_request
            .iter()
            .any(|l| l["event"] == "trust_cookie_issued"),
        "{same_request:?}"
    );
    // Never a secret: neither authenticator key appears in any form.
    let raw = std::fs::read_to_string(h.audit_path()).unwrap();
    for secret in [&old.secret, &new.secret] {
        let base32 = crate::tools::base32(secret);
        assert_eq!(crate::common::totp::base32_decode(&base32), *secret);
        assert!(!raw.contains(&base32[..16]), "secret in the audit log");
    }
}

#[tokio::test]
async fn forget_devices_challenges_without_re_enrollment() {
    let h = Harness::start(with_admin()).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    let (mut enrolled, _) = enroll_app(&mut b, &user, THIRTY_DAYS).await;
    cli_ok(
        &h,
        &[
            "users",
            "forget-devices",
            &user.username,
            "--reason",
            "laptop stolen",
            "--by",
            "bob",
        ],
    );
    let held = log_in_again(&mut b, &user.username, &user.password).await;
    assert_eq!(held.location.as_deref(), Some("/_mfa/"), "{held:?}");
    let page = b.get("/_mfa/").await;
    assert!(is_challenge(&page), "challenge, not set-up: {}", page.body);
    let code = enrolled.fresh_code().await;
    let passed = crate::common::submit_code(&mut b, &code).await;
    assert_eq!(
        passed.status, 303,
        "the enrolled app still works: {}",
        passed.body
    );
    let line = audit_events(&h, "support_action")
        .into_iter()
        .find(|l| l["action"] == "forget-devices")
        .expect("audited");
    assert_eq!(
        (line["by"].as_str(), line["reason"].as_str()),
        (Some("bob"), Some("laptop stolen"))
    );
    assert!(line["epoch"].as_u64().is_some_and(|e| e >= 1));
}

#[tokio::test]
async fn a_member_locked_by_wrong_codes_can_verify_after_unlock() {
    let h = Harness::start(GatewayOptions {
        per_user_before_backoff: 3,
        per_user_lockout: 3,
        ..with_admin()
    })
    .await;
    let user = h.user(0).clone();
    let mut first = h.browser();
    let (mut enrolled, _) = enroll_app(&mut first, &user, THIRTY_DAYS).await;

    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let csrf = b.get("/_mfa/").await.input_value("csrf").unwrap();
    for _ in 0..3 {
        b.post_form("/_mfa/verify", &[("csrf", &csrf), ("code", "000000")])
            .await;
    }
    let good = enrolled.fresh_code().await;
    let locked = b
        .post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &good)])
        .await;
    assert_eq!(locked.status, 403, "{}", locked.body);
    assert!(locked.text().contains("MFA is locked"), "{}", locked.body);

    let shown = cli_ok(&h, &["users", "show", &user.username]);
    assert!(
        shown.contains("locked:               yes, until support unlocks"),
        "{shown}"
    );
    assert!(shown.contains("consecutive failures: 3"), "{shown}");
    assert!(shown.contains("enrolled:             yes"), "{shown}");

    let out = cli_ok(
        &h,
        &[
            "users",
            "unlock",
            &user.username,
            "--reason",
            "member called",
            "--by",
            "carol",
        ],
    );
    assert!(out.contains("unlock jdoe"), "{out}");
    let passed = b
        .post_form("/_mfa/verify", &[("csrf", &csrf), ("code", &good)])
        .await;
    assert_eq!(passed.status, 303, "{}", passed.body);
    assert!(b.cookie("MLSSESSION").is_some());
    let shown = cli_ok(&h, &["users", "show", &user.username]);
    assert!(shown.contains("locked:               no"), "{shown}");
    assert!(audit_events(&h, "member_locked")
        .iter()
        .any(|l| l["user"] == "jdoe"));
    assert!(audit_events(&h, "support_action")
        .iter()
        .any(|l| l["action"] == "unlock" && l["by"] == "carol"));
}

#[tokio::test]
async fn actions_without_reason_or_actor_change_nothing() {
    let h = Harness::start(with_admin()).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    enroll_app(&mut b, &user, THIRTY_DAYS).await;
    // Missing flag: refused by the argument parser.
    let out = cli(&h, &["users", "reset", &user.username, "--by", "alice"]);
    assert_eq!(out.status.code(), Some(2));
    // Blank reason: refused before the store is touched.
    let out = cli(
        &h,
        &[
            "users",
            "reset",
            &user.username,
            "--reason",
            "  ",
            "--by",
            "alice",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("reason: is required"));
    let shown = cli_ok(&h, &["users", "show", &user.username]);
    assert!(shown.contains("enrolled:             yes"), "{shown}");
    assert!(audit_events(&h, "support_action").is_empty());
    // The trusted device still passes.
    let again = log_in_again(&mut b, &user.username, &user.password).await;
    assert_eq!(again.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn show_reports_the_enrollment() {
    let h = Harness::start(with_admin()).await;
    let user = h.user(0).clone();
    let unknown = cli_ok(&h, &["users", "show", "nobody-here"]);
    assert!(unknown.contains("never seen"), "{unknown}");
    let mut b = h.browser();
    enroll_app(&mut b, &user, 86_400).await;
    let shown = cli_ok(&h, &["users", "show", &user.username]);
    for expected in [
        "login:                jdoe",
        "enrolled:             yes",
        "method:               app",
        "trust period:         24h",
        "consecutive failures: 0",
        "locked:               no",
        "epoch:                0",
    ] {
        assert!(shown.contains(expected), "{expected:?} in {shown}");
    }
    assert!(!shown.contains("last success:         never"), "{shown}");
}
