//! The `audit:` config section: validated, errors name the key.

use std::path::Path;

use mfa_gateway::config::{load_str_with_env, AuditConfig};

/// A minimal valid config (keys from the environment lookup) plus `extra`.
fn load(extra: &str, dir: &Path) -> Result<mfa_gateway::config::Config, String> {
    let yaml = format!(
        "mode: demo\nlisten: {{address: 127.0.0.1:8080}}\nupstream: {{address: 127.0.0.1:8081}}\nsite: {{login: {{path: /login}}, session_cookies: [S]}}\nstorage: {{durable: {{sqlite: db.sqlite}}}}\nkeys:\n  cookie: [{{id: k1, env: COOKIE}}]\n  secret: [{{id: k1, env: SECRET}}]\nbranding: {{name: X, support_email: s@example.com, support_phone: \"1\"}}\n{extra}"
    );
    // 32 bytes of base64 for both keys.
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string();
    let env = move |_: &str| Some(key.clone());
    load_str_with_env(&yaml, dir, &env).map_err(|e| e.to_string())
}

#[test]
fn audit_section_is_optional_and_resolves_its_file() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(load("", dir.path()).unwrap().audit, None);
    let config = load("audit: {file: logs/audit.log, stdout: true}\n", dir.path()).unwrap();
    assert_eq!(
        config.audit,
        Some(AuditConfig {
            file: Some(dir.path().join("logs/audit.log")),
            stdout: true
        })
    );
}

#[test]
fn audit_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let no_destination = load("audit: {stdout: false}\n", dir.path()).unwrap_err();
    assert!(
        no_destination.starts_with("audit: has no destination"),
        "{no_destination}"
    );
    let directory = load(
        &format!("audit: {{file: {}}}\n", dir.path().display()),
        dir.path(),
    )
    .unwrap_err();
    assert!(directory.starts_with("audit.file: "), "{directory}");
    let typo = load("audit: {fiel: x.log}\n", dir.path()).unwrap_err();
    assert!(typo.contains("audit") && typo.contains("fiel"), "{typo}");
}
