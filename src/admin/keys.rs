//! Key rotation tools: `mfa-gateway keys generate` (new key files) and `keys reseal`
//! (re-encrypt every stored TOTP secret with the current secret key).
//!
//! Rotation, as docs/operations.md tells it: generate a new pair, list the new keys *first* in
//! `keys.cookie` / `keys.secret` (first = current; the old ones stay listed so existing cookies
//! and secrets keep working), restart or upgrade the gateway, run `keys reseal`, and once the
//! longest trust period has passed remove the old cookie key (that voids its cookies).

use std::path::{Path, PathBuf};

use super::users::Actor;
use crate::config::keys::generate_key_file;
use crate::store::{DurableStore, ResealSummary, StoreError};

/// Why `keys generate` wrote nothing (or not everything).
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("--id: {0:?} must be 1-32 letters, digits, '-' or '_'")]
    BadId(String),
    #[error("{0} already exists; refusing to overwrite a key (pick another --id)")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The files `keys generate` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedKeys {
    pub id: String,
    pub cookie_key: PathBuf,
    pub secret_key: PathBuf,
}

impl GeneratedKeys {
    /// The config lines to add (first in each list, so the new keys become current).
    pub fn config_snippet(&self) -> String {
        format!(
            "keys:\n  cookie:\n    - id: {id}\n      file: {cookie}\n    # ...previous cookie keys stay listed below until their cookies expired\n  secret:\n    - id: {id}\n      file: {secret}\n    # ...previous secret keys stay listed until `mfa-gateway keys reseal` reported 0 unreadable\n",
            id = self.id,
            cookie = self.cookie_key.display(),
            secret = self.secret_key.display(),
        )
    }
}

/// Default key id: `k` + today's UTC date, e.g. `k20250105`.
pub fn default_key_id() -> String {
    format!("k{}", chrono::Utc::now().format("%Y%m%d"))
}

/// Writes `cookie-<id>.key` and `secret-<id>.key` (32 random bytes each, base64, mode 0600) into
/// `out`. Refuses before writing anything if either file exists.
pub fn generate(out: &Path, id: &str) -> Result<GeneratedKeys, GenerateError> {
    let id_ok = !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !id_ok {
        return Err(GenerateError::BadId(id.to_string()));
    }
    let keys = GeneratedKeys {
        id: id.to_string(),
        cookie_key: out.join(format!("cookie-{id}.key")),
        secret_key: out.join(format!("secret-{id}.key")),
    };
    for path in [&keys.cookie_key, &keys.secret_key] {
        if path.exists() {
            return Err(GenerateError::Exists(path.clone()));
        }
    }
    for path in [&keys.cookie_key, &keys.secret_key] {
        generate_key_file(path).map_err(|source| GenerateError::Io {
            path: path.clone(),
            source,
        })?;
    }
    tracing::info!(event = "keys_generated", id = %id, dir = %out.display());
    Ok(keys)
}

/// Re-encrypts stored TOTP secrets with the current key and audits the run.
pub async fn reseal(store: &dyn DurableStore, actor: &Actor) -> Result<ResealSummary, StoreError> {
    match store.reseal_secrets().await {
        Ok(summary) => {
            tracing::info!(
                event = "support_action",
                action = "reseal-secrets",
                by = %actor.by,
                reason = %actor.reason,
                via = "cli",
                examined = summary.examined,
                resealed = summary.resealed,
                unreadable = summary.unreadable.len(),
            );
            Ok(summary)
        }
        Err(error) => {
            tracing::error!(
                event = "support_action_failed",
                action = "reseal-secrets",
                by = %actor.by,
                reason = %actor.reason,
                via = "cli",
                error = %error,
            );
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_a_pair_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let keys = generate(dir.path(), "k2").unwrap();
        let cookie = std::fs::read_to_string(&keys.cookie_key).unwrap();
        let secret = std::fs::read_to_string(&keys.secret_key).unwrap();
        assert_ne!(cookie, secret);
        assert!(keys.config_snippet().contains("- id: k2"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&keys.secret_key)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            generate(dir.path(), "k2"),
            Err(GenerateError::Exists(_))
        ));
        assert_eq!(std::fs::read_to_string(&keys.cookie_key).unwrap(), cookie);
    }

    #[test]
    fn a_partial_pair_is_not_completed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret-k3.key"), "x").unwrap();
        assert!(matches!(
            generate(dir.path(), "k3"),
            Err(GenerateError::Exists(_))
        ));
        assert!(!dir.path().join("cookie-k3.key").exists());
    }

    #[test]
    fn key_ids_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", "a:b", "../x", &"k".repeat(33)] {
            assert!(
                matches!(generate(dir.path(), bad), Err(GenerateError::BadId(_))),
                "{bad}"
            );
        }
        assert!(default_key_id().starts_with('k'));
    }
}
