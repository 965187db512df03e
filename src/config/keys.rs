//! Secrets and key material: read only from files or environment variables, never inline.
//!
//! A secret in `gateway.yaml` is `{file: PATH}` or `{env: NAME}`; keys come in lists with ids
//! (`keys.cookie: [{id: k2, file: ...}, {id: k1, env: ...}]`, first = current) so they can be
//! rotated without invalidating every cookie at once. Key files hold standard base64 of the key
//! bytes. Error messages name the file or variable but never contain secret material.
//!
//! [`generate_key_file`] / [`ensure_key_file`] create fresh key files (mode 0600) for operators
//! and for the demo.

mod generate;

pub use generate::{ensure_key_file, generate_key_file, GENERATED_KEY_BYTES};

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::raw::{RawNamedKey, RawSecret};
use super::validate::Report;
use super::NamedKey;

/// Shortest cookie (HMAC-SHA256) key accepted: the hash's own output size.
pub const COOKIE_KEY_MIN_BYTES: usize = 32;
/// Exact size of a secret-encryption key (AES-256-GCM).
pub const SECRET_KEY_BYTES: usize = 32;

/// Looks up an environment variable; injectable so tests need not touch the process environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The two kinds of key list and their size rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// HMAC keys for cookies and CSRF tokens: at least [`COOKIE_KEY_MIN_BYTES`].
    Cookie,
    /// AES-256-GCM keys for TOTP secrets at rest: exactly [`SECRET_KEY_BYTES`].
    SecretEncryption,
}

impl KeyKind {
    /// The size rule as a sentence fragment, or `None` when `len` is acceptable.
    fn size_problem(self, len: usize) -> Option<String> {
        match self {
            KeyKind::Cookie if len < COOKIE_KEY_MIN_BYTES => {
                Some(format!("cookie keys need at least {COOKIE_KEY_MIN_BYTES} bytes, this one has {len}"))
            }
            KeyKind::SecretEncryption if len != SECRET_KEY_BYTES => {
                Some(format!("secret-encryption keys must be exactly {SECRET_KEY_BYTES} bytes, this one has {len}"))
            }
            _ => None,
        }
    }
}

/// Where relative paths and environment variables are resolved while loading one config.
pub(crate) struct SecretResolver<'a> {
    /// Directory of the config file; relative paths are relative to it.
    pub(crate) base_dir: &'a Path,
    /// Environment lookup (the process environment outside tests).
    pub(crate) env: EnvLookup<'a>,
}

impl SecretResolver<'_> {
    /// Resolves `path` against the config file's directory (absolute paths stay as they are).
    pub(crate) fn path(&self, path: &str) -> PathBuf {
        self.base_dir.join(path)
    }

    /// Reads a text secret (password, token): trimmed, non-empty. Problems are recorded under
    /// `key` and yield `None`.
    pub(crate) fn text(
        &self,
        report: &mut Report,
        key: &str,
        secret: &RawSecret,
    ) -> Option<String> {
        let (file, env) = match secret {
            RawSecret::Inline => {
                report.error(
                    key,
                    "secrets are never written inline; use {file: PATH} or {env: NAME}",
                );
                return None;
            }
            RawSecret::Source { file, env } => (file.as_deref(), env.as_deref()),
        };
        self.read_source(report, key, file, env)
    }

    /// Reads `file:` or `env:` (exactly one), trimmed and non-empty.
    fn read_source(
        &self,
        report: &mut Report,
        key: &str,
        file: Option<&str>,
        env: Option<&str>,
    ) -> Option<String> {
        match (file, env) {
            (Some(file), None) => {
                let path = self.path(file);
                match fs::read_to_string(&path) {
                    Ok(text) if text.trim().is_empty() => {
                        report.error(
                            format!("{key}.file"),
                            format!("{} is empty", path.display()),
                        );
                        None
                    }
                    Ok(text) => Some(text.trim().to_string()),
                    Err(error) => {
                        report.error(
                            format!("{key}.file"),
                            format!("cannot read {}: {error}", path.display()),
                        );
                        None
                    }
                }
            }
            (None, Some(name)) => {
                if !is_env_name(name) {
                    report.error(
                        format!("{key}.env"),
                        format!("\"{name}\" is not an environment variable name"),
                    );
                    return None;
                }
                match (self.env)(name) {
                    Some(value) if !value.trim().is_empty() => Some(value.trim().to_string()),
                    Some(_) => {
                        report.error(
                            format!("{key}.env"),
                            format!("environment variable {name} is empty"),
                        );
                        None
                    }
                    None => {
                        report.error(
                            format!("{key}.env"),
                            format!("environment variable {name} is not set"),
                        );
                        None
                    }
                }
            }
            (Some(_), Some(_)) => {
                report.error(key, "give either file: or env:, not both");
                None
            }
            (None, None) => {
                report.error(key, "give file: PATH or env: NAME");
                None
            }
        }
    }

    /// Loads a key list (`keys.cookie`, `keys.secret`): at least one key, ids unique and
    /// well-formed, every key base64 of the right size. The first key is the current one.
    pub(crate) fn key_list(
        &self,
        report: &mut Report,
        key: &str,
        entries: &[RawNamedKey],
        kind: KeyKind,
    ) -> Vec<NamedKey> {
        if entries.is_empty() {
            report.error(
                key,
                "list at least one key, e.g. [{id: k1, file: keys/k1.key}]",
            );
        }
        let mut seen_ids = HashSet::new();
        let mut keys = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let entry_key = format!("{key}[{index}]");
            if !is_key_id(&entry.id) {
                report.error(
                    format!("{entry_key}.id"),
                    format!("\"{}\" is not a key id (1-16 of A-Z a-z 0-9 _ -)", entry.id),
                );
            } else if !seen_ids.insert(entry.id.as_str()) {
                report.error(
                    format!("{entry_key}.id"),
                    format!("key id \"{}\" is used twice", entry.id),
                );
            }
            let Some(encoded) = self.read_source(
                report,
                &entry_key,
                entry.file.as_deref(),
                entry.env.as_deref(),
            ) else {
                continue;
            };
            let origin = match &entry.file {
                Some(file) => format!("key file {}", self.path(file).display()),
                None => format!(
                    "environment variable {}",
                    entry.env.as_deref().unwrap_or_default()
                ),
            };
            // The decoder's own error quotes offending bytes, which are key material: say only
            // that the value is not base64.
            let Ok(bytes) = STANDARD.decode(encoded.as_bytes()) else {
                report.error(
                    &entry_key,
                    format!("{origin} does not hold standard base64"),
                );
                continue;
            };
            if let Some(problem) = kind.size_problem(bytes.len()) {
                report.error(&entry_key, format!("{origin}: {problem}"));
                continue;
            }
            keys.push(NamedKey {
                id: entry.id.clone(),
                bytes,
            });
        }
        keys
    }
}

/// Key ids appear inside cookie values, so they are short and use a cookie-safe alphabet.
fn is_key_id(id: &str) -> bool {
    (1..=16).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `[A-Za-z_][A-Za-z0-9_]*`, the portable shell variable name.
fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn entry(id: &str, file: Option<&str>, env: Option<&str>) -> RawNamedKey {
        RawNamedKey {
            id: id.into(),
            file: file.map(Into::into),
            env: env.map(Into::into),
        }
    }

    fn write_key(dir: &Path, name: &str, len: usize) {
        fs::write(
            dir.join(name),
            format!("  {}\n", STANDARD.encode(vec![7u8; len])),
        )
        .unwrap();
    }

    #[test]
    fn key_lists_load_from_files_and_env() {
        let dir = tempfile::tempdir().unwrap();
        write_key(dir.path(), "k2.key", 48);
        let env = |name: &str| (name == "K1").then(|| STANDARD.encode([1u8; 32]));
        let resolver = SecretResolver {
            base_dir: dir.path(),
            env: &env,
        };
        let mut report = Report::default();
        let entries = [
            entry("k2", Some("k2.key"), None),
            entry("k1", None, Some("K1")),
        ];
        let keys = resolver.key_list(&mut report, "keys.cookie", &entries, KeyKind::Cookie);
        assert!(report.is_empty(), "{:?}", report);
        assert_eq!(
            keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
            ["k2", "k1"]
        );
        assert_eq!(keys[0].bytes.len(), 48);
        assert_eq!(keys[1].bytes, vec![1u8; 32]);
    }

    #[test]
    fn key_list_problems_name_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        write_key(dir.path(), "short.key", 16);
        write_key(dir.path(), "long.key", 48);
        fs::write(dir.path().join("junk.key"), "not*base64!").unwrap();
        let resolver = SecretResolver {
            base_dir: dir.path(),
            env: &no_env,
        };
        let mut report = Report::default();
        let entries = [
            entry("k1", Some("short.key"), None),
            entry("k1", Some("long.key"), None),
            entry("bad id!", Some("junk.key"), None),
            entry("k4", None, Some("MISSING_KEY")),
            entry("k5", Some("absent.key"), None),
            entry("k6", Some("long.key"), Some("ALSO")),
        ];
        let keys = resolver.key_list(
            &mut report,
            "keys.secret",
            &entries,
            KeyKind::SecretEncryption,
        );
        assert!(keys.is_empty());
        let text = report.to_string();
        for expected in [
            "keys.secret[0]: key file",
            "exactly 32 bytes, this one has 16",
            "keys.secret[1].id: key id \"k1\" is used twice",
            "has 48",
            "keys.secret[2].id: \"bad id!\" is not a key id",
            "keys.secret[2]: key file",
            "does not hold standard base64",
            "keys.secret[3].env: environment variable MISSING_KEY is not set",
            "keys.secret[4].file: cannot read",
            "keys.secret[5]: give either file: or env:, not both",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        assert!(!text.contains("not*base64"), "key material leaked:\n{text}");
    }

    #[test]
    fn empty_key_list_is_an_error() {
        let resolver = SecretResolver {
            base_dir: Path::new("."),
            env: &no_env,
        };
        let mut report = Report::default();
        resolver.key_list(&mut report, "keys.cookie", &[], KeyKind::Cookie);
        assert!(report
            .to_string()
            .starts_with("keys.cookie: list at least one key"));
    }

    #[test]
    fn text_secrets_refuse_inline_values() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
        let resolver = SecretResolver {
            base_dir: dir.path(),
            env: &no_env,
        };
        let mut report = Report::default();
        let from_file = RawSecret::Source {
            file: Some("pw".into()),
            env: None,
        };
        assert_eq!(
            resolver
                .text(&mut report, "email.smtp.password", &from_file)
                .as_deref(),
            Some("s3cret")
        );
        assert!(report.is_empty());
        assert_eq!(
            resolver.text(&mut report, "email.smtp.password", &RawSecret::Inline),
            None
        );
        assert!(report
            .to_string()
            .starts_with("email.smtp.password: secrets are never written inline"));
    }
}
