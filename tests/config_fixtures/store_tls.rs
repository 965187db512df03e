//! TLS to the stores (issue 15): `storage.durable.postgres.ca_file` goes only with an
//! `sslmode` that checks the server's certificate, `storage.ephemeral.redis.ca_file` only with
//! `rediss://`, and a bundle that is missing or holds no certificate is named — key and file —
//! by `check-config`. The one-line rules are broken fixtures beside the others; what those
//! cannot pin (the file's path sits inside the message) is checked here.

use std::path::Path;
use std::process::Command;

use mfa_gateway::config::load_file;
use mfa_gateway::config::validate::load_str_with_env;

/// The single error line of a broken fixture.
fn only_error(name: &str) -> String {
    let fixture = super::fixture_dir().join(name);
    let text = load_file(&fixture)
        .err()
        .unwrap_or_else(|| panic!("{name} loaded"))
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{name}: {text}");
    // Errors name the file the config came from first.
    let line = lines[0];
    line.split_once(": ")
        .filter(|(file, _)| Path::new(file).is_absolute())
        .map_or(line, |(_, rest)| rest)
        .to_string()
}

#[test]
fn a_missing_or_certificate_free_bundle_is_named_with_its_key() {
    for (fixture, key, file, problem) in [
        (
            "postgres-ca-missing.yaml",
            "storage.durable.postgres.ca_file",
            "support/no-such-ca.pem",
            "does not exist or is not a file",
        ),
        (
            "postgres-ca-not-pem.yaml",
            "storage.durable.postgres.ca_file",
            "support/pg-password.txt",
            "holds no PEM certificate",
        ),
        (
            "redis-ca-not-pem.yaml",
            "storage.ephemeral.redis.ca_file",
            "support/placeholder-cert.pem",
            "holds no PEM certificate",
        ),
    ] {
        let line = only_error(fixture);
        assert!(line.starts_with(&format!("{key}: /")), "{fixture}: {line}");
        assert!(
            line.contains(&format!("{file} {problem}")),
            "{fixture}: {line}"
        );
    }
}

/// `valid/minimal.yaml` with `storage:` replaced.
fn with_storage(storage: &str) -> Result<(), String> {
    let dir = super::fixture_dir().join("valid");
    let yaml = std::fs::read_to_string(dir.join("minimal.yaml")).unwrap();
    let start = yaml.find("storage:\n").expect("a storage section");
    let end = yaml[start..].find("\nkeys:").expect("keys after storage") + start + 1;
    let yaml = format!("{}{storage}{}", &yaml[..start], &yaml[end..]);
    load_str_with_env(&yaml, &dir, &|_| None)
        .map(|_| ())
        .map_err(|errors| errors.to_string())
}

fn postgres(url_query: &str) -> String {
    format!(
        "storage:\n  durable:\n    postgres:\n      url: postgres://mfa@db.example/mfa{url_query}\n      ca_file: ../support/test-only-ca.pem\n"
    )
}

#[test]
fn a_postgres_bundle_needs_an_sslmode_that_checks_the_certificate() {
    for verifying in [
        "?sslmode=verify-full",
        "?sslmode=verify-ca",
        "?sslmode=VERIFY-FULL",
    ] {
        assert_eq!(with_storage(&postgres(verifying)), Ok(()), "{verifying}");
    }
    for (query, named) in [
        ("", "prefer (the default)"),
        ("?sslmode=disable", "disable"),
        ("?sslmode=allow", "allow"),
        ("?sslmode=prefer", "prefer (the default)"),
        ("?sslmode=require", "require"),
        // sqlx reads parameter names as written: this one is ignored, and the mode is prefer.
        ("?SSLMODE=verify-full", "prefer (the default)"),
    ] {
        let text = with_storage(&postgres(query)).unwrap_err();
        assert!(
            text.contains(&format!(
                "storage.durable.postgres.ca_file: is only used when the server's certificate is checked, and sslmode {named} does not check it"
            )),
            "{query:?}: {text}"
        );
    }
}

#[test]
fn a_redis_bundle_goes_with_rediss_only() {
    let redis = |url: &str| {
        format!(
            "storage:\n  durable:\n    sqlite: ../support/test.sqlite\n  ephemeral:\n    redis:\n      url: {url}\n      ca_file: ../support/test-only-ca.pem\n"
        )
    };
    assert_eq!(
        with_storage(&redis("rediss://cache.example:6380/0")),
        Ok(())
    );
    let text = with_storage(&redis("redis://cache.example:6379/0")).unwrap_err();
    assert!(
        text.contains("storage.ephemeral.redis.ca_file: only used with TLS"),
        "{text}"
    );
}

#[test]
fn check_config_names_the_store_bundle() {
    let fixture = super::fixture_dir().join("postgres-ca-not-pem.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_mfa-gateway"))
        .args(["check-config", "--config"])
        .arg(&fixture)
        .env("MFA_LOG", "error")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "check-config accepted it");
    assert!(
        stderr.contains("storage.durable.postgres.ca_file: ")
            && stderr.contains("holds no PEM certificate"),
        "{stderr}"
    );
}
