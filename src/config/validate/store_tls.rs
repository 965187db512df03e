//! TLS to the stores: `storage.durable.postgres.ca_file`, `storage.ephemeral.redis.ca_file` and
//! the URL settings they go with.
//!
//! A CA bundle only makes sense on a connection whose certificate is checked, so a `ca_file`
//! beside a URL that would not check it is refused rather than read as "and also verify":
//! an operator who wrote one expects verification, and a configuration that silently does
//! less than it says is the kind of ambiguity the gateway refuses everywhere else. The
//! bundles are read and parsed here, so `check-config` names the key of a missing file or of
//! one without a PEM certificate instead of the first login failing on a handshake.

use std::path::PathBuf;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgSslMode};

use super::network::existing_file;
use super::{Context, Report};
use crate::trust::CaBundle;

const PG_URL: &str = "storage.durable.postgres.url";
const PG_CA: &str = "storage.durable.postgres.ca_file";
const REDIS_CA: &str = "storage.ephemeral.redis.ca_file";

/// Query parameters that name a root certificate in a PostgreSQL URL (libpq's and sqlx's
/// spellings).
const ROOT_CERT_PARAMETERS: [&str; 3] = ["sslrootcert", "ssl-root-cert", "ssl-ca"];

/// Checks `storage.durable.postgres.ca_file` against the TLS mode of `url` (password already
/// merged in; never quoted) and returns the resolved path.
pub(super) fn postgres_ca_file(
    context: &mut Context,
    url: &str,
    ca_file: Option<&str>,
) -> Option<PathBuf> {
    if names_root_cert(url) {
        // sqlx would read that file at every connection, unchecked at start-up, and with
        // sslmode=require it would not verify against it at all (libpq would): one place only.
        context.report.error(
            PG_URL,
            format!("sslrootcert is not read from the url; name the CA bundle in {PG_CA}"),
        );
    }
    let file = ca_file?;
    let path = ca_bundle(context, PG_CA, file);
    // The mode sqlx will use: the URL's `sslmode`, else `PGSSLMODE`, else `prefer`. A URL it
    // cannot parse fails when the store opens; there is no mode to compare with here.
    if let Ok(options) = PgConnectOptions::from_str(url) {
        let mode = options.get_ssl_mode();
        if !matches!(mode, PgSslMode::VerifyCa | PgSslMode::VerifyFull) {
            context.report.error(
                PG_CA,
                format!(
                    "is only used when the server's certificate is checked, and sslmode {} does not check it; add sslmode=verify-full to {PG_URL}",
                    mode_name(mode)
                ),
            );
        }
    }
    Some(path)
}

/// Checks `storage.ephemeral.redis.ca_file` (only with a `rediss://` URL) and returns the
/// resolved path.
pub(super) fn redis_ca_file(
    context: &mut Context,
    url: &str,
    ca_file: Option<&str>,
) -> Option<PathBuf> {
    let file = ca_file?;
    if !url.starts_with("rediss://") {
        context.report.error(
            REDIS_CA,
            "only used with TLS: the url must start with rediss://",
        );
    }
    Some(ca_bundle(context, REDIS_CA, file))
}

/// Resolves `file` and, when it exists, reads it as the gateway's other CA bundles are read
/// ([`CaBundle`]), reporting a problem under `key`.
fn ca_bundle(context: &mut Context, key: &str, file: &str) -> PathBuf {
    let path = existing_file(context, key, file);
    if path.is_file() {
        if let Err(err) = CaBundle::read(key, &path) {
            report_without_key(&mut context.report, key, &err.to_string());
        }
    }
    path
}

/// Reports `message` under `key`, dropping the `key: ` that [`CaBundle`]'s messages start with.
fn report_without_key(report: &mut Report, key: &str, message: &str) {
    let message = message
        .strip_prefix(key)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(message);
    report.error(key, message);
}

/// Whether the URL's query names a root certificate.
fn names_root_cert(url: &str) -> bool {
    let Some((_, query)) = url.split_once('?') else {
        return false;
    };
    let query = query.split('#').next().unwrap_or_default();
    query.split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or_default();
        ROOT_CERT_PARAMETERS
            .iter()
            .any(|known| name.eq_ignore_ascii_case(known))
    })
}

/// libpq's name of `mode`, as written in a URL.
fn mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer (the default)",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_certificates_in_the_url_are_recognised() {
        for url in [
            "postgres://u@db/x?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            "postgres://u@db/x?SSL-CA=/etc/ca.pem",
            "postgres://u@db/x?ssl-root-cert=system",
        ] {
            assert!(names_root_cert(url), "{url}");
        }
        for url in [
            "postgres://u@db/x",
            "postgres://u@db/x?sslmode=verify-full",
            "postgres://u@db/x?application_name=sslrootcert",
        ] {
            assert!(!names_root_cert(url), "{url}");
        }
    }

    #[test]
    fn the_key_is_named_once() {
        let mut report = Report::default();
        report_without_key(&mut report, PG_CA, &format!("{PG_CA}: /x holds no PEM"));
        report_without_key(&mut report, REDIS_CA, "cannot read /y");
        assert_eq!(
            report.to_string(),
            format!("{PG_CA}: /x holds no PEM\n{REDIS_CA}: cannot read /y")
        );
    }
}
