//! Configuration loading end to end: every broken fixture in `tests/fixtures/config/` fails with
//! the error its `.expected` file names (and with nothing else, so each fixture tests exactly
//! one rule), the valid fixtures load with the documented defaults, and the shipped
//! `gateway.yaml` loads once its key files exist.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mfa_gateway::config::keys::ensure_key_file;
use mfa_gateway::config::validate::{key_file_paths, load_str_with_env};
use mfa_gateway::config::{
    load_file, DurableStore, EmailTransport, EphemeralStore, Method, Mode, ResoAuth, RosterSource,
    SmsProvider,
};

const DAY: Duration = Duration::from_secs(86_400);

/// Configs that load but that `run` (and so `check-config`) must refuse.
#[path = "config_fixtures/runtime.rs"]
mod runtime;

/// `ca_file` of the stores and the TLS settings it goes with.
#[path = "config_fixtures/store_tls.rs"]
mod store_tls;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config")
}

/// The broken fixtures: `*.yaml` directly in the fixture directory, sorted for stable output.
fn broken_fixtures() -> Vec<PathBuf> {
    yaml_files_in(&fixture_dir())
}

/// The `*.yaml` files directly in `dir`, sorted for stable output.
fn yaml_files_in(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    paths
}

fn expected_text(fixture: &Path) -> String {
    let path = fixture.with_extension("expected");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.trim_end_matches('\n').to_string()
}

#[test]
fn every_broken_fixture_fails_with_exactly_its_expected_error() {
    let fixtures = broken_fixtures();
    assert!(
        fixtures.len() >= 15,
        "only {} broken fixtures",
        fixtures.len()
    );
    let mut problems = Vec::new();
    for fixture in &fixtures {
        let expected = expected_text(fixture);
        assert!(
            !expected.is_empty(),
            "{}: empty .expected file",
            fixture.display()
        );
        match load_file(fixture) {
            Ok(_) => problems.push(format!(
                "{}: loaded, expected an error containing {expected:?}",
                fixture.display()
            )),
            Err(errors) => {
                let text = errors.to_string();
                if !text.contains(&expected) {
                    problems.push(format!(
                        "{}: expected {expected:?} in:\n{text}",
                        fixture.display()
                    ));
                }
                if errors.len() != 1 {
                    problems.push(format!(
                        "{}: expected exactly one problem, got {}:\n{text}",
                        fixture.display(),
                        errors.len()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn parse_errors_name_the_file_and_line() {
    let fixture = fixture_dir().join("unknown-key.yaml");
    let text = load_file(&fixture).unwrap_err().to_string();
    assert!(
        text.starts_with(&format!("{}: site.login: unknown field", fixture.display())),
        "{text}"
    );
    assert!(text.contains(" at line "), "{text}");
}

#[test]
fn inline_secrets_never_appear_in_errors() {
    let text = load_file(&fixture_dir().join("inline-secret.yaml"))
        .unwrap_err()
        .to_string();
    assert!(!text.contains("hunter2"), "{text}");
    let text = load_file(&fixture_dir().join("postgres-inline-password.yaml"))
        .unwrap_err()
        .to_string();
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn all_problems_are_reported_one_per_line() {
    let yaml = fs::read_to_string(fixture_dir().join("valid/minimal.yaml"))
        .unwrap()
        .replace(
            "mode: demo",
            "mode: demo\nthreads: 0\nmfa:\n  code_ttl: 2h\n  trust_periods: [24h, 45x]",
        )
        .replace("session_cookies: [SESSION]", "session_cookies: []");
    let errors = load_str_with_env(&yaml, &fixture_dir().join("valid"), &|_| None).unwrap_err();
    let text = errors.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(errors.len(), 4);
    for key in [
        "threads: ",
        "site.session_cookies: ",
        "mfa.code_ttl: ",
        "mfa.trust_periods[1]: ",
    ] {
        assert!(
            lines.iter().any(|line| line.starts_with(key)),
            "no line for {key:?} in:\n{text}"
        );
    }
}

#[test]
fn minimal_config_gets_documented_defaults() {
    let config = load_file(&fixture_dir().join("valid/minimal.yaml")).unwrap();
    assert_eq!(config.mode, Mode::Demo);
    assert!((1..=256).contains(&config.threads));
    assert_eq!(config.upstream.connect_timeout, Duration::from_secs(5));
    assert_eq!(config.upstream.read_timeout, Duration::from_secs(60));
    assert_eq!(config.upstream.keepalive_pool_size, 128);
    assert!(!config.upstream.tls && config.upstream.sni.is_empty() && config.upstream.verify_cert);

    let login = &config.site.login;
    assert_eq!(login.username_field, "username");
    assert!(login.username_case_insensitive);
    assert_eq!(login.max_body_bytes, 65_536);
    assert!(login.success.status.is_empty());
    assert!(login.success.sets_session_cookie);
    assert_eq!(login.success.location_not_prefix, ["/login"]);
    assert_eq!(config.site.default_after_login, "/");
    assert!(
        config.site.logout.is_empty()
            && config.site.public_paths.is_empty()
            && config.site.api_paths.is_empty()
    );

    let mfa = &config.mfa;
    assert_eq!(
        mfa.enforce_from.timestamp(),
        0,
        "enforced from the start by default"
    );
    assert_eq!(mfa.methods, [Method::App]);
    assert_eq!(mfa.code_ttl, Duration::from_secs(300));
    assert_eq!(mfa.pending_ttl, Duration::from_secs(600));
    assert_eq!(mfa.totp_skew_steps, 1);
    assert_eq!(mfa.attempts.per_challenge, 5);
    assert_eq!(mfa.attempts.per_user_before_backoff, 5);
    assert_eq!(mfa.attempts.backoff_base, Duration::from_secs(30));
    assert_eq!(mfa.attempts.backoff_max, Duration::from_secs(900));
    assert_eq!(mfa.attempts.per_user_lockout, 20);
    assert_eq!(mfa.trust_periods, [DAY, 30 * DAY]);
    assert_eq!(mfa.default_trust_period, 30 * DAY);

    assert_eq!(config.cookies.secure, None);
    assert_eq!(config.cookies.name_prefix, "mfa");
    assert!(matches!(config.storage.ephemeral, EphemeralStore::Memory));
    match &config.storage.durable {
        DurableStore::Sqlite { path } => {
            assert!(
                path.is_absolute() && path.ends_with("support/test.sqlite"),
                "{path:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(config.roster.source, RosterSource::None));
    assert_eq!(config.roster.cache_ttl, Duration::from_secs(300));
    assert!(
        config.email.is_none()
            && config.sms.is_none()
            && config.admin.is_none()
            && config.static_dir.is_none()
    );
    assert_eq!(config.branding.primary_color, "#1f4e79");
    assert_eq!(config.branding.support_hours, "");
    assert_eq!(config.keys.cookie_keys.len(), 1);
    assert_eq!(config.keys.secret_keys[0].bytes.len(), 32);
}

#[test]
fn production_config_merges_secrets_and_picks_real_backends() {
    let config = load_file(&fixture_dir().join("valid/production.yaml")).unwrap();
    assert_eq!(config.mode, Mode::Production);
    assert!(config.listen.tls.is_some());
    assert_eq!(config.upstream.sni, "mls.internal.example");
    assert_eq!(
        config.mfa.enforce_from.to_rfc3339(),
        "2025-11-05T11:00:00+00:00"
    );
    match &config.storage.durable {
        DurableStore::Postgres { url, ca_file } => {
            assert_eq!(
                url,
                "postgres://mfa_gateway:p%40ss%20word%2F1@db.internal.example:5432/mfa?sslmode=verify-full"
            );
            assert!(ca_file
                .as_ref()
                .is_some_and(|f| f.is_absolute() && f.ends_with("support/test-only-ca.pem")));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&config.storage.ephemeral, EphemeralStore::Redis { url, ca_file: Some(ca) } if url == "rediss://cache.internal.example:6380/0" && ca.ends_with("support/test-only-ca.pem"))
    );
    assert_eq!(
        config
            .keys
            .cookie_keys
            .iter()
            .map(|k| k.id.as_str())
            .collect::<Vec<_>>(),
        ["k2", "k1"]
    );
    match &config.roster.source {
        RosterSource::Reso(reso) => {
            assert_eq!(reso.base_url, "https://api.test-mls.example/reso/odata");
            assert_eq!(reso.login_id_field, "MemberLoginId");
            assert!(
                matches!(&reso.auth, ResoAuth::ClientCredentials { client_secret, .. } if client_secret == "test-admin-token-0123456789")
            );
        }
        other => panic!("{other:?}"),
    }
    let email = config.email.as_ref().unwrap();
    assert_eq!(email.subject, "Your Test MLS verification code");
    assert!(matches!(
        &email.transport,
        EmailTransport::Smtp { port: 587, password: Some(password), .. } if password == "smtp-test-password"
    ));
    assert!(matches!(
        &config.sms.as_ref().unwrap().provider,
        SmsProvider::Webhook {
            bearer_token: None,
            ..
        }
    ));
    assert_eq!(
        config.admin.as_ref().unwrap().token.as_deref(),
        Some(&b"test-admin-token-0123456789"[..])
    );
}

/// Copies the shipped gateway.yaml into a temporary directory and creates the key files it
/// names there, so the test never writes into the repository.
fn shipped_config_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("gateway.yaml");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("gateway.yaml"),
        &copy,
    )
    .unwrap();
    for key_file in key_file_paths(&copy).unwrap() {
        assert!(
            key_file.starts_with(dir.path()),
            "{key_file:?} escapes the copy's directory"
        );
        ensure_key_file(&key_file).unwrap();
    }
    (dir, copy)
}

#[test]
fn shipped_gateway_yaml_loads_with_the_demo_values() {
    let (dir, copy) = shipped_config_copy();
    let key_files = key_file_paths(&copy).unwrap();
    let names: Vec<_> = key_files
        .iter()
        .map(|p| p.strip_prefix(dir.path()).unwrap().to_path_buf())
        .collect();
    assert_eq!(
        names,
        [
            "demo-data/keys/cookie-k1.key",
            "demo-data/keys/secret-k1.key",
            "demo-data/keys/admin.token"
        ]
        .map(PathBuf::from)
    );
    let config = load_file(&copy)
        .unwrap_or_else(|errors| panic!("shipped gateway.yaml is invalid:\n{errors}"));
    assert_eq!(config.mode, Mode::Demo);
    assert_eq!(config.listen.address.to_string(), "127.0.0.1:8080");
    assert_eq!(config.upstream.address, "127.0.0.1:8081");
    assert_eq!(config.site.login.path, "/login");
    assert_eq!(config.site.login.success.status, [302, 303]);
    assert_eq!(config.site.session_cookies, ["MLSSESSION"]);
    let logout: Vec<_> = config
        .site
        .logout
        .iter()
        .map(|l| (l.path.as_str(), l.forget_device))
        .collect();
    assert_eq!(logout, [("/logout", false), ("/api/logout", true)]);
    assert_eq!(config.site.public_paths, ["/static/", "/favicon.ico"]);
    assert_eq!(config.site.api_paths, ["/api/"]);
    assert_eq!(
        config.mfa.enforce_from.to_rfc3339(),
        "2025-11-05T00:00:00+00:00"
    );
    assert_eq!(
        config.mfa.methods,
        [Method::App, Method::Email, Method::Text]
    );
    assert_eq!(config.mfa.code_ttl, Duration::from_secs(300));
    assert_eq!(config.mfa.trust_periods, [DAY, 30 * DAY]);
    assert_eq!(config.mfa.default_trust_period, 30 * DAY);
    assert!(
        matches!(&config.storage.durable, DurableStore::Sqlite { path } if *path == dir.path().join("demo-data/mfa.sqlite"))
    );
    assert!(matches!(config.storage.ephemeral, EphemeralStore::Memory));
    assert!(
        matches!(&config.roster.source, RosterSource::File { path } if path.ends_with("demo-data/roster.yaml"))
    );
    assert_eq!(config.branding.name, "SmartMLS");
    assert_eq!(config.branding.support_email, "support@smartmls.com");
    assert_eq!(config.branding.support_phone, "(203) 750-6000");
    let email = config.email.as_ref().unwrap();
    assert_eq!(email.from, "SmartMLS <no-reply@connectmls.com>");
    assert!(
        matches!(&email.transport, EmailTransport::Outbox { dir: outbox } if outbox.ends_with("demo-data/outbox"))
    );
    assert_eq!(config.sms.as_ref().unwrap().from, "+18336972963");
    let admin = config.admin.as_ref().unwrap();
    assert_eq!(admin.address.to_string(), "127.0.0.1:9090");
    assert!(admin.token.as_ref().is_some_and(|token| token.len() >= 16));
}

#[test]
fn shipped_gateway_yaml_refuses_production_mode_as_is() {
    let (_dir, copy) = shipped_config_copy();
    let yaml = fs::read_to_string(&copy)
        .unwrap()
        .replacen("mode: demo", "mode: production", 1);
    fs::write(&copy, yaml).unwrap();
    let text = load_file(&copy).unwrap_err().to_string();
    for key in ["email.outbox: ", "sms.outbox: ", "cookies.secure: "] {
        assert!(
            text.lines().any(|line| line.starts_with(key)),
            "no {key:?} in:\n{text}"
        );
    }
}

/// Depends on the `check-config` subcommand wired in `src/main.rs` (it prints `ok` or the
/// ConfigErrors lines on stderr and exits non-zero).
#[test]
fn check_config_cli_names_the_key() {
    let run = |fixture: &Path| {
        Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
            .args(["check-config", "--config"])
            .arg(fixture)
            .env("MFA_LOG", "error")
            .output()
            .unwrap()
    };
    let bad = run(&fixture_dir().join("bad-duration.yaml"));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success(),
        "check-config accepted a broken config"
    );
    assert!(
        stderr.contains("mfa.trust_periods[1]: \"45x\" is not a duration"),
        "{stderr}"
    );
    let good = run(&fixture_dir().join("valid/minimal.yaml"));
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&good.stdout).trim(), "ok");
}
