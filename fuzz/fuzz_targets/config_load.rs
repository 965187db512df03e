//! Fuzzes the configuration loader (`config::load_str`) with arbitrary and YAML-shaped text.
//!
//! The corpus starts from the shipped `gateway.yaml` and the test fixtures, so mutations stay
//! close to real files. Relative paths resolve against the fixtures' directory, where the
//! `support/` key files and certificates they name exist, so the valid seeds load and
//! validation runs to the end.
//! The loader must never panic; an error must list at least one problem, each naming a key and
//! saying what is wrong (the promise `check-config` makes to ops); and a config that loads must
//! hold the invariants the gateway relies on without re-checking.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mfa_gateway::config::{self, Config};

/// Where the relative paths of the seeds resolve (`support/…`).
const BASE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/config");

fn check_loaded(config: &Config) {
    assert!(!config.keys.cookie_keys.is_empty(), "no cookie key");
    assert!(
        config.keys.cookie_keys.iter().all(|k| k.bytes.len() >= 32),
        "short cookie key accepted"
    );
    assert!(!config.keys.secret_keys.is_empty(), "no secret key");
    assert!(
        config.keys.secret_keys.iter().all(|k| k.bytes.len() == 32),
        "secret key that is not 32 bytes accepted"
    );
    assert!(!config.site.session_cookies.is_empty(), "no session cookie");
    assert!(!config.mfa.methods.is_empty(), "no MFA method");
    assert!(
        config
            .mfa
            .trust_periods
            .contains(&config.mfa.default_trust_period),
        "default trust period not offered"
    );
    assert!((1..=256).contains(&config.threads), "threads out of range");
    assert!(
        config.mfa.attempts.per_user_lockout <= 100,
        "lockout above 100"
    );
    assert!(
        config.mfa.code_ttl <= config.mfa.pending_ttl,
        "code outlives its held login"
    );
    assert!(
        config.site.login.path.starts_with('/'),
        "relative login path"
    );
    assert!(
        !config.site.login.path.starts_with("/_mfa/"),
        "login path in the gateway's space"
    );
    assert!(
        !config.branding.support_phone.trim().is_empty(),
        "empty support phone"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match config::load_str(text, Path::new(BASE_DIR)) {
        Ok(config) => check_loaded(&config),
        Err(errors) => {
            assert!(!errors.is_empty(), "error without problems");
            for error in errors.errors() {
                assert!(
                    !error.key.trim().is_empty(),
                    "problem without a key: {error:?}"
                );
                assert!(
                    !error.message.trim().is_empty(),
                    "problem without a message: {error:?}"
                );
            }
        }
    }
});
