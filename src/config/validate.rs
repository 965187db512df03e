//! The second configuration layer: turns [`RawConfig`] into the checked [`Config`].
//!
//! Validation never stops at the first problem: every check records its error under the key
//! it concerns (`mfa.trust_periods[1]: "45x" is not a duration ...`) and carries on with a
//! stand-in value, so one `check-config` run lists everything wrong with a file. YAML syntax and
//! type errors come from serde_yaml (which already names the key and line) and are prefixed
//! with the file name. Sections live in the child modules; this file holds the entry points,
//! the error types and the top-level keys.

mod audit;
mod checks;
mod delivery;
mod edge;
mod identity;
mod network;
mod policy;
mod services;
mod site;
mod storage;
mod store_tls;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use super::keys::{EnvLookup, KeyKind, SecretResolver};
use super::raw::{RawConfig, RawSecret};
use super::{Config, KeyMaterial, Mode};

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    /// Dotted key path with list indexes, e.g. `mfa.trust_periods[1]` (or the file name for
    /// problems reading or parsing the file as a whole).
    pub key: String,
    /// What is wrong and, where it helps, what would be right.
    pub message: String,
}

/// Every problem found in a config file; `Display` prints one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", lines(.errors))]
pub struct ConfigErrors {
    errors: Vec<ConfigError>,
}

fn lines(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl ConfigErrors {
    /// The problems in the order they were found (file order, roughly).
    pub fn errors(&self) -> &[ConfigError] {
        &self.errors
    }

    /// How many problems were found (never zero for a returned error).
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Always false for an error returned by the loaders; present for API completeness.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    fn single(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigErrors {
            errors: vec![ConfigError {
                key: key.into(),
                message: message.into(),
            }],
        }
    }
}

/// Collects problems while validating (and while loading keys in [`super::keys`]).
#[derive(Debug, Default)]
pub(crate) struct Report {
    errors: Vec<ConfigError>,
}

impl Report {
    /// Records a problem with `key`.
    pub(crate) fn error(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ConfigError {
            key: key.into(),
            message: message.into(),
        });
    }

    /// True while nothing has been recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&lines(&self.errors))
    }
}

/// State shared by the section validators.
struct Context<'a> {
    report: Report,
    resolver: SecretResolver<'a>,
    mode: Mode,
}

impl Context<'_> {
    /// Reads an optional text secret; `None` when absent or unreadable (the latter recorded).
    fn secret(&mut self, key: &str, secret: Option<&RawSecret>) -> Option<String> {
        secret.and_then(|secret| self.resolver.text(&mut self.report, key, secret))
    }

    /// Demo-only features (outbox delivery, plain-http service URLs) are refused in production.
    fn is_demo(&self) -> bool {
        self.mode == Mode::Demo
    }
}

/// Loads and validates a config file. Relative paths inside it are resolved against the
/// file's directory; `{env: NAME}` secrets come from the process environment.
pub fn load_file(path: &Path) -> Result<Config, ConfigErrors> {
    let yaml = fs::read_to_string(path).map_err(|error| {
        ConfigErrors::single(
            path.display().to_string(),
            format!("cannot read the config file: {error}"),
        )
    })?;
    let env = |name: &str| std::env::var(name).ok();
    load_named(&yaml, &config_dir(path), &path.display().to_string(), &env)
}

/// Validates YAML text; relative paths are resolved against `base_dir` and `{env: NAME}`
/// secrets come from the process environment.
pub fn load_str(yaml: &str, base_dir: &Path) -> Result<Config, ConfigErrors> {
    let env = |name: &str| std::env::var(name).ok();
    load_named(yaml, base_dir, "config", &env)
}

/// Like [`load_str`] with an explicit environment lookup (tests, embedding), so no process
/// environment variables need to be set.
pub fn load_str_with_env(
    yaml: &str,
    base_dir: &Path,
    env: EnvLookup<'_>,
) -> Result<Config, ConfigErrors> {
    load_named(yaml, base_dir, "config", env)
}

/// The files holding generated key material named by a config file (`file:` entries of
/// `keys.cookie`, `keys.secret` and `admin.token`), resolved like [`load_file`] resolves them.
/// The demo passes each to [`super::keys::ensure_key_file`] before loading; passwords and API
/// tokens are deliberately not listed because a random value is useless for them.
pub fn key_file_paths(path: &Path) -> Result<Vec<PathBuf>, ConfigErrors> {
    let yaml = fs::read_to_string(path).map_err(|error| {
        ConfigErrors::single(
            path.display().to_string(),
            format!("cannot read the config file: {error}"),
        )
    })?;
    let raw = parse(&yaml, &path.display().to_string())?;
    let base_dir = absolute(&config_dir(path));
    let list_files = raw
        .keys
        .cookie
        .iter()
        .chain(&raw.keys.secret)
        .filter_map(|key| key.file.as_deref());
    let admin_file = raw.admin.as_ref().and_then(|admin| match &admin.token {
        Some(RawSecret::Source {
            file: Some(file), ..
        }) => Some(file.as_str()),
        _ => None,
    });
    Ok(list_files
        .chain(admin_file)
        .map(|file| base_dir.join(file))
        .collect())
}

/// The directory relative paths in `path` are resolved against.
fn config_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Absolute form of `dir`, so resolved paths stay valid whatever the process's working
/// directory later becomes; falls back to `dir` itself if the current directory is unknown.
fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

fn parse(yaml: &str, source_name: &str) -> Result<RawConfig, ConfigErrors> {
    // serde_yaml's message already carries the key path and line ("site.login: unknown field
    // `usernme` ... at line 12 column 5"); the file name completes it.
    serde_yaml::from_str(yaml).map_err(|error| ConfigErrors::single(source_name, error.to_string()))
}

fn load_named(
    yaml: &str,
    base_dir: &Path,
    source_name: &str,
    env: EnvLookup<'_>,
) -> Result<Config, ConfigErrors> {
    let raw = parse(yaml, source_name)?;
    let base_dir = absolute(base_dir);
    let mut context = Context {
        report: Report::default(),
        resolver: SecretResolver {
            base_dir: &base_dir,
            env,
        },
        mode: Mode::Production,
    };
    let config = build(&mut context, &raw);
    if context.report.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors {
            errors: context.report.errors,
        })
    }
}

/// Largest `threads` value: beyond this, more workers only add contention.
const MAX_THREADS: usize = 256;

fn build(context: &mut Context, raw: &RawConfig) -> Config {
    context.mode = match raw.mode.as_deref() {
        None | Some("production") => Mode::Production,
        Some("demo") => Mode::Demo,
        Some(other) => {
            context.report.error(
                "mode",
                format!("\"{other}\" is not a mode (production or demo)"),
            );
            // Checking the rest as a demo avoids a cascade of production-only complaints that
            // may not apply once the mode is fixed; the load fails on this error anyway.
            Mode::Demo
        }
    };
    let listen = network::listen(context, raw);
    let threads = raw.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map_or(1, |count| count.get())
            .min(MAX_THREADS)
    });
    if !(1..=MAX_THREADS).contains(&threads) {
        context.report.error(
            "threads",
            format!("{threads} is out of range: use 1 to {MAX_THREADS}"),
        );
    }
    let upstream = network::upstream(context, raw, &listen);
    let cookies = network::cookies(context, raw, &listen);
    let edge = edge::edge(context, &raw.edge, &listen);
    let site = site::site(context, &raw.site, &cookies);
    let mfa = policy::mfa(context, &raw.mfa);
    let storage = storage::storage(context, &raw.storage);
    let keys = KeyMaterial {
        cookie_keys: context.resolver.key_list(
            &mut context.report,
            "keys.cookie",
            &raw.keys.cookie,
            KeyKind::Cookie,
        ),
        secret_keys: context.resolver.key_list(
            &mut context.report,
            "keys.secret",
            &raw.keys.secret,
            KeyKind::SecretEncryption,
        ),
    };
    let branding = services::branding(context, &raw.branding);
    let roster = services::roster(context, raw.roster.as_ref());
    let mfa = policy::enrollment(context, mfa, &raw.mfa.enrollment, &roster);
    let email = raw
        .email
        .as_ref()
        .map(|email| delivery::email(context, email, &branding.name));
    let sms = raw.sms.as_ref().map(|sms| delivery::sms(context, sms));
    policy::methods_have_services(context, &mfa.methods, &email, &sms, &roster);
    let admin = raw
        .admin
        .as_ref()
        .map(|admin| services::admin(context, admin, &listen));
    let audit = raw.audit.as_ref().map(|audit| audit::audit(context, audit));
    let access_log = raw
        .access_log
        .as_ref()
        .map(|log| audit::access_log(context, log));
    let static_dir = raw.static_dir.as_ref().map(|dir| {
        let path = context.resolver.path(dir);
        if !path.is_dir() {
            context.report.error(
                "static_dir",
                format!("{} is not a directory", path.display()),
            );
        }
        path
    });
    Config {
        mode: context.mode,
        listen,
        threads,
        upstream,
        site,
        // Sections for disabled methods are validated (typos surface early) but not handed on.
        email: email.filter(|_| mfa.methods.contains(&super::Method::Email)),
        sms: sms.filter(|_| mfa.methods.contains(&super::Method::Text)),
        mfa,
        cookies,
        storage,
        keys,
        branding,
        roster,
        admin,
        audit,
        access_log,
        static_dir,
        edge,
    }
}
