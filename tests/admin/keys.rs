//! Key rotation: new keys from `keys generate`, old cookies verify while their key is listed
//! and fail once it is removed; `keys reseal` moves stored secrets to the new key so the old
//! secret key can go too.

use crate::common::{enroll_app, submit_code, GatewayOptions, Harness, THIRTY_DAYS};
use crate::tools::{audit_events, cli, cli_ok, log_in_again};

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn rotated_keys_keep_old_cookies_until_removed_and_reseal_moves_secrets() {
    let mut h = Harness::start(GatewayOptions {
        admin: true,
        ..GatewayOptions::default()
    })
    .await;
    let (jdoe, other) = (h.user(0).clone(), h.user(1).clone());
    // Before rotation: jdoe's browser holds a k1 trust cookie; the other member has enrolled
    // and will not log in until the old secret key is gone.
    let mut old_device = h.browser();
    let (mut jdoe_app, _) = enroll_app(&mut old_device, &jdoe, THIRTY_DAYS).await;
    assert!(old_device.cookie("mfa_trust").unwrap().starts_with("k1."));
    let mut other_browser = h.browser();
    let (mut other_app, _) = enroll_app(&mut other_browser, &other, THIRTY_DAYS).await;

    let keys_dir = h.dir.path().join("keys");
    let keys_dir = keys_dir.to_str().unwrap();
    let out = cli_ok(&h, &["keys", "generate", "--out", keys_dir, "--id", "k2"]);
    assert!(out.contains("- id: k2"), "{out}");
    for kind in ["cookie", "secret"] {
        let path = h.dir.path().join(format!("keys/{kind}-k2.key"));
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&path).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "{path:?}");
    }
    let again = cli(&h, &["keys", "generate", "--out", keys_dir, "--id", "k2"]);
    assert_eq!(again.status.code(), Some(2), "refuses to overwrite");

    // New keys first, old ones still listed.
    h.options.cookie_key_ids = ids(&["k2", "k1"]);
    h.options.secret_key_ids = ids(&["k2", "k1"]);
    h.write_config();
    h.restart_gateway().await;
    let trusted = log_in_again(&mut old_device, &jdoe.username, &jdoe.password).await;
    assert_eq!(
        trusted.location.as_deref(),
        Some("/"),
        "k1 cookie verifies while k1 is listed"
    );
    let mut new_device = h.browser();
    new_device.login(&jdoe.username, &jdoe.password).await;
    let code = jdoe_app.fresh_code().await;
    assert_eq!(submit_code(&mut new_device, &code).await.status, 303);
    assert!(
        new_device.cookie("mfa_trust").unwrap().starts_with("k2."),
        "signed with the new key"
    );

    // jdoe's secret was re-sealed when read; the other member's is moved by the command.
    let out = cli_ok(
        &h,
        &[
            "keys",
            "reseal",
            "--reason",
            "yearly rotation",
            "--by",
            "ops",
        ],
    );
    assert!(
        out.contains("examined 2 secrets, re-sealed 1 with key k2"),
        "{out}"
    );
    assert!(out.contains("older secret keys may be removed"), "{out}");
    let line = audit_events(&h, "support_action")
        .into_iter()
        .find(|l| l["action"] == "reseal-secrets")
        .expect("reseal audited");
    assert_eq!(
        (line["by"].as_str(), line["resealed"].as_u64()),
        (Some("ops"), Some(1))
    );

    // Old keys removed: the k1 cookie no longer verifies, the k2 one does, and the other
    // member's secret opens with k2 alone.
    h.options.cookie_key_ids = ids(&["k2"]);
    h.options.secret_key_ids = ids(&["k2"]);
    h.write_config();
    h.restart_gateway().await;
    let challenged = log_in_again(&mut old_device, &jdoe.username, &jdoe.password).await;
    assert_eq!(
        challenged.location.as_deref(),
        Some("/_mfa/"),
        "k1 cookie is void"
    );
    let still = log_in_again(&mut new_device, &jdoe.username, &jdoe.password).await;
    assert_eq!(still.location.as_deref(), Some("/"));
    let mut fresh = h.browser();
    fresh.login(&other.username, &other.password).await;
    let code = other_app.fresh_code().await;
    let passed = submit_code(&mut fresh, &code).await;
    assert_eq!(
        passed.status, 303,
        "re-sealed secret opens with k2: {}",
        passed.body
    );
    let out = cli_ok(&h, &["keys", "reseal", "--reason", "check", "--by", "ops"]);
    assert!(out.contains("examined 2 secrets, re-sealed 0"), "{out}");
}
