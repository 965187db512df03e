//! `storage:` the durable store (SQLite or PostgreSQL) and the ephemeral one (memory or Redis).

use std::path::PathBuf;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::super::raw::{RawEphemeral, RawStorage};
use super::super::{DurableStore, EphemeralStore, StorageConfig};
use super::{checks, store_tls, Context, Report};
use crate::store::redis::DEFAULT_KEY_PREFIX;

pub(super) fn storage(context: &mut Context, raw: &RawStorage) -> StorageConfig {
    let durable = match (&raw.durable.sqlite, &raw.durable.postgres) {
        (Some(path), None) => {
            let path = checks::non_empty(&mut context.report, "storage.durable.sqlite", path);
            let resolved = context.resolver.path(&path);
            if resolved.is_dir() {
                context.report.error(
                    "storage.durable.sqlite",
                    format!(
                        "{} is a directory; name the database file",
                        resolved.display()
                    ),
                );
            }
            DurableStore::Sqlite { path: resolved }
        }
        (None, Some(postgres)) => {
            let password = context.secret(
                "storage.durable.postgres.password",
                postgres.password.as_ref(),
            );
            let url = service_url(
                &mut context.report,
                "storage.durable.postgres.url",
                &postgres.url,
                &["postgres", "postgresql"],
                password.as_deref(),
            );
            let ca_file = store_tls::postgres_ca_file(context, &url, postgres.ca_file.as_deref());
            DurableStore::Postgres { url, ca_file }
        }
        (Some(_), Some(_)) => {
            context
                .report
                .error("storage.durable", "set only one of sqlite or postgres");
            DurableStore::Sqlite {
                path: PathBuf::new(),
            }
        }
        (None, None) => {
            context.report.error(
                "storage.durable",
                "set sqlite: PATH or postgres: {url: ...}",
            );
            DurableStore::Sqlite {
                path: PathBuf::new(),
            }
        }
    };
    let mut redis_key_prefix = DEFAULT_KEY_PREFIX.to_string();
    let ephemeral = match &raw.ephemeral {
        None | Some(RawEphemeral::Memory) => EphemeralStore::Memory,
        Some(RawEphemeral::Redis(redis)) => {
            let password =
                context.secret("storage.ephemeral.redis.password", redis.password.as_ref());
            let url = service_url(
                &mut context.report,
                "storage.ephemeral.redis.url",
                &redis.url,
                &["redis", "rediss"],
                password.as_deref(),
            );
            redis_key_prefix = key_prefix(&mut context.report, redis.key_prefix.as_deref());
            let ca_file = store_tls::redis_ca_file(context, &url, redis.ca_file.as_deref());
            EphemeralStore::Redis { url, ca_file }
        }
    };
    StorageConfig {
        durable,
        ephemeral,
        redis_key_prefix,
    }
}

/// `storage.ephemeral.redis.key_prefix`: 1-64 visible ASCII characters (it ends up in every
/// key, where spaces or control bytes would only confuse `redis-cli`), default
/// [`DEFAULT_KEY_PREFIX`]. Two deployments sharing a Redis database need different prefixes,
/// or they would see each other's held logins and counters.
fn key_prefix(report: &mut Report, configured: Option<&str>) -> String {
    let Some(prefix) = configured else {
        return DEFAULT_KEY_PREFIX.to_string();
    };
    let valid = (1..=64).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        report.error(
            "storage.ephemeral.redis.key_prefix",
            "must be 1 to 64 visible ASCII characters (no spaces), e.g. \"mfa-gateway:\"",
        );
    }
    prefix.to_string()
}

/// Checks a database URL's scheme, refuses a password written inside it (secrets come from
/// files or the environment only) and merges `password` in when given. Messages never quote
/// the URL, which may end up holding the password.
fn service_url(
    report: &mut Report,
    key: &str,
    url: &str,
    schemes: &[&str],
    password: Option<&str>,
) -> String {
    let expected = schemes
        .iter()
        .map(|s| format!("{s}://"))
        .collect::<Vec<_>>()
        .join(" or ");
    let Some((scheme, rest)) = url
        .split_once("://")
        .filter(|(scheme, _)| schemes.contains(scheme))
    else {
        report.error(key, format!("must start with {expected}"));
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, host) = authority
        .rsplit_once('@')
        .map_or((None, authority), |(user, host)| (Some(user), host));
    if host.is_empty() {
        report.error(key, "names no host");
    }
    let lower_tail = tail.to_ascii_lowercase();
    if userinfo.is_some_and(|user| user.contains(':')) || lower_tail.contains("password=") {
        report.error(
            key,
            "holds a password; move it to password: {file: PATH} or {env: NAME} next to url",
        );
        return url.to_string();
    }
    let Some(password) = password else {
        return url.to_string();
    };
    let encoded = utf8_percent_encode(password, NON_ALPHANUMERIC);
    match userinfo {
        Some(user) if !user.is_empty() => format!("{scheme}://{user}:{encoded}@{host}{tail}"),
        // Redis accepts a password without a user name; PostgreSQL needs to know who logs in.
        _ if scheme.starts_with("redis") => format!("{scheme}://:{encoded}@{host}{tail}"),
        _ => {
            report.error(key, format!("name the user ({scheme}://USER@host/...) when the password comes from password:"));
            url.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str, schemes: &[&str], password: Option<&str>) -> (String, String) {
        let mut report = Report::default();
        let merged = service_url(&mut report, "k", raw, schemes, password);
        (merged, report.to_string())
    }

    #[test]
    fn passwords_are_merged_percent_encoded() {
        let pg = ["postgres", "postgresql"];
        assert_eq!(
            url("postgres://app@db:5432/mfa", &pg, Some("a:b@c")),
            (
                "postgres://app:a%3Ab%40c@db:5432/mfa".to_string(),
                String::new()
            )
        );
        assert_eq!(
            url("redis://cache:6379/0", &["redis", "rediss"], Some("pw")),
            ("redis://:pw@cache:6379/0".to_string(), String::new())
        );
        assert_eq!(url("postgres://db/mfa", &pg, None).1, "");
    }

    #[test]
    fn key_prefixes_default_and_are_checked() {
        let mut report = Report::default();
        assert_eq!(key_prefix(&mut report, None), DEFAULT_KEY_PREFIX);
        assert_eq!(key_prefix(&mut report, Some("mls-a:")), "mls-a:");
        assert_eq!(report.to_string(), "");
        for bad in ["", "a b", "tab\t", &"x".repeat(65), "é"] {
            let mut report = Report::default();
            key_prefix(&mut report, Some(bad));
            assert!(
                report
                    .to_string()
                    .starts_with("storage.ephemeral.redis.key_prefix: must be"),
                "{bad:?}: {report}"
            );
        }
    }

    #[test]
    fn url_problems_never_quote_the_url() {
        let pg = ["postgres", "postgresql"];
        let (_, text) = url("postgres://db/mfa", &pg, Some("pw"));
        assert_eq!(
            text,
            "k: name the user (postgres://USER@host/...) when the password comes from password:"
        );
        for inline in [
            "postgres://app:hunter2@db/mfa",
            "postgres://app@db/mfa?Password=hunter2",
        ] {
            let (_, text) = url(inline, &pg, None);
            assert!(text.starts_with("k: holds a password"), "{text}");
            assert!(!text.contains("hunter2"), "{text}");
        }
        assert_eq!(
            url("mysql://db/mfa", &pg, None).1,
            "k: must start with postgres:// or postgresql://"
        );
        assert_eq!(url("postgres:///mfa", &pg, None).1, "k: names no host");
    }
}
