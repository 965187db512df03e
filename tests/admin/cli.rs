//! The command line ops expect (issue 15): the config path from `MFA_GATEWAY_CONFIG`, shell
//! completions and the manual page generated from the CLI itself, and the operator log as JSON
//! lines with `MFA_LOG_FORMAT=json`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn gateway(args: &[&str], env: &[(&str, &Path)], dir: &Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mfa-gateway"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("MFA_GATEWAY_CONFIG")
        .env_remove("MFA_LOG_FORMAT");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

#[test]
fn the_config_path_comes_from_mfa_gateway_config_unless_given() {
    // An empty working directory: the default `gateway.yaml` is not there.
    let dir = tempfile::tempdir().unwrap();
    let good = fixture("valid/minimal.yaml");
    let bad = fixture("bad-duration.yaml");
    let out = gateway(
        &["check-config"],
        &[("MFA_GATEWAY_CONFIG", &good)],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    let out = gateway(
        &["check-config"],
        &[("MFA_GATEWAY_CONFIG", &bad)],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mfa.trust_periods[1]"));
    // --config wins over the variable.
    let good_arg = good.display().to_string();
    let out = gateway(
        &["check-config", "--config", &good_arg],
        &[("MFA_GATEWAY_CONFIG", &bad)],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Neither: the default file, which is missing here, is named.
    let out = gateway(&["check-config"], &[], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gateway.yaml"));
}

#[test]
fn completions_for_three_shells_and_a_manual_page() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F _mfa__gateway"),
        ("zsh", "#compdef mfa-gateway"),
        ("fish", "complete -c mfa-gateway"),
    ] {
        let out = gateway(&["completions", shell], &[], dir.path());
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(
            text.contains("check-config") && text.contains("forget-devices"),
            "{shell}"
        );
    }
    let out = gateway(&["completions", "tcsh"], &[], dir.path());
    assert!(!out.status.success(), "an unknown shell is refused");
    let out = gateway(&["man"], &[], dir.path());
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH mfa-gateway"), "{page}");
    assert!(
        page.contains("MFA_GATEWAY_CONFIG"),
        "the variable is documented: {page}"
    );
}

#[test]
fn the_operator_log_is_json_lines_with_mfa_log_format_json() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["cookie.key", "secret.key"] {
        mfa_gateway::config::keys::ensure_key_file(&dir.path().join(name)).unwrap();
    }
    // PostgreSQL with an in-memory ephemeral store logs a warning at start; the server named
    // here does not exist (port 1), so the gateway then stops by itself.
    let config = dir.path().join("gateway.yaml");
    std::fs::write(
        &config,
        "mode: demo\nlisten: {address: 127.0.0.1:1}\nupstream: {address: 127.0.0.1:2}\n\
         site: {login: {path: /login}, session_cookies: [S]}\n\
         storage: {durable: {postgres: {url: 'postgres://nobody@127.0.0.1:1/none'}}, ephemeral: memory}\n\
         keys:\n  cookie: [{id: k1, file: cookie.key}]\n  secret: [{id: k1, file: secret.key}]\n\
         branding: {name: X, support_email: s@example.com, support_phone: '1'}\n",
    )
    .unwrap();
    let json = Path::new("json");
    let out = gateway(
        &["run"],
        &[("MFA_GATEWAY_CONFIG", &config), ("MFA_LOG_FORMAT", json)],
        dir.path(),
    );
    assert!(
        !out.status.success(),
        "no store: the gateway must not start"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warning = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| {
            line["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("PostgreSQL with an in-memory ephemeral store"))
        })
        .unwrap_or_else(|| panic!("no JSON warning line in:\n{stderr}"));
    assert_eq!(warning["level"], "WARN");
    assert!(warning["timestamp"].is_string());
    // A format the gateway does not know is refused by name, not ignored.
    let yaml = Path::new("yaml");
    let out = gateway(
        &["run"],
        &[("MFA_GATEWAY_CONFIG", &config), ("MFA_LOG_FORMAT", yaml)],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("MFA_LOG_FORMAT: \"yaml\" is neither text nor json"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
