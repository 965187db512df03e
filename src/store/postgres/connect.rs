//! Connecting to PostgreSQL: pool settings, per-operation deadlines and error mapping.
//!
//! An outage must fail closed quickly rather than hold a member's request (and a pingora
//! worker) until TCP gives up, so connecting, waiting for a pooled connection and every whole
//! operation have short deadlines. Error texts never carry the URL (it may hold the password)
//! nor bound values.

use std::future::Future;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::store::{StoreError, StoreResult};

/// Connections per gateway instance. PostgreSQL's default limit is 100 connections; a few
/// gateways with ten each leave room for operators and other services, and every statement the
/// gateway runs is short.
const POOL_SIZE: u32 = 10;

/// How long a request waits for a pooled connection (including opening a new one) before the
/// gateway answers "unavailable".
pub(super) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Upper bound on one whole store operation (acquire + statement), so a server that accepts
/// connections but stops answering cannot hang a request.
pub(super) const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle connections are closed after this long, so a pool does not keep connections a
/// restarted server has already forgotten.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Checks a schema name before it is put into `search_path` and `CREATE SCHEMA`: a plain
/// lower-case identifier of at most 63 bytes (PostgreSQL's limit), so no quoting is needed.
pub(super) fn check_schema_name(schema: &str) -> StoreResult<()> {
    let mut chars = schema.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if starts_well && rest_ok && schema.len() <= 63 {
        Ok(())
    } else {
        Err(StoreError::Unavailable(
            "PostgreSQL schema names must be lower-case letters, digits and '_' (at most 63)"
                .into(),
        ))
    }
}

/// Parses `url` and applies the gateway's session settings (`search_path` for `schema`) and
/// the CA bundle of `ca_file`, read once here: later connections of the pool then trust what
/// was checked at start-up, whatever happens to the file meanwhile.
pub(super) fn connect_options(
    url: &str,
    schema: Option<&str>,
    ca_file: Option<&Path>,
) -> StoreResult<PgConnectOptions> {
    // sqlx's parser ignores the scheme; a `mysql://` URL here is a configuration mistake.
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(StoreError::Unavailable(
            "the PostgreSQL URL must start with postgres:// or postgresql://".into(),
        ));
    }
    // The parser's message may quote the URL, so only say that it failed.
    let mut options = PgConnectOptions::from_str(url)
        .map_err(|_| StoreError::Unavailable("invalid PostgreSQL URL".into()))?
        .application_name("mfa-gateway");
    if let Some(path) = ca_file {
        // sqlx trusts these besides the platform's roots (it has no way to replace them);
        // config validation allows a bundle only with sslmode verify-ca / verify-full.
        let bundle = crate::trust::CaBundle::read("storage.durable.postgres.ca_file", path)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        options = options.ssl_root_cert_from_pem(bundle.pem().to_vec());
    }
    Ok(match schema {
        Some(schema) => {
            check_schema_name(schema)?;
            options.options([("search_path", schema)])
        }
        None => options,
    })
}

/// Opens a pool and checks that one connection can be made, within [`ACQUIRE_TIMEOUT`].
pub(super) async fn open_pool(options: PgConnectOptions) -> StoreResult<PgPool> {
    bounded(
        "connecting to PostgreSQL",
        PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .idle_timeout(IDLE_TIMEOUT)
            // A pooled connection is checked before use, so after a server restart the first
            // requests get fresh connections instead of errors from dead ones.
            .test_before_acquire(true)
            .connect_with(options),
    )
    .await
}

/// Runs one database operation with the [`OPERATION_TIMEOUT`] deadline, mapping failures to
/// [`StoreError::Unavailable`] prefixed with `context`.
pub(super) async fn bounded<T>(
    context: &'static str,
    work: impl Future<Output = Result<T, sqlx::Error>>,
) -> StoreResult<T> {
    match tokio::time::timeout(OPERATION_TIMEOUT, work).await {
        Ok(result) => result.map_err(unavailable(context)),
        Err(_) => Err(StoreError::Unavailable(format!(
            "{context}: no answer within {} s",
            OPERATION_TIMEOUT.as_secs()
        ))),
    }
}

/// Maps a sqlx error to [`StoreError::Unavailable`] prefixed with what was being done.
pub(super) fn unavailable(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |err| StoreError::Unavailable(format!("{context}: {}", describe(&err)))
}

/// A description of a sqlx error that never contains bound values or connection settings.
/// PostgreSQL's primary messages name objects, not parameter values (those go to the
/// `DETAIL` field, which is left out); variants that could carry configuration are reduced to
/// their kind.
pub(super) fn describe(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => format!("database error {code}: {}", db.message()),
            None => format!("database error: {}", db.message()),
        },
        // A failed handshake arrives as an I/O error carrying rustls' error (the rustls the
        // whole process links, re-exported by pingora).
        sqlx::Error::Io(io) => match io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<pingora::tls::RusTlsError>())
        {
            Some(tls) => tls_failure(tls),
            None => format!("I/O error: {}", io.kind()),
        },
        sqlx::Error::PoolTimedOut => "timed out waiting for a database connection".into(),
        sqlx::Error::PoolClosed => "the connection pool is closed".into(),
        sqlx::Error::RowNotFound => "row not found".into(),
        sqlx::Error::ColumnNotFound(name) => format!("column {name:?} not found"),
        sqlx::Error::ColumnDecode { index, .. } => format!("column {index} has an unexpected type"),
        sqlx::Error::Configuration(_) => "invalid database configuration".into(),
        sqlx::Error::Tls(tls) => tls_failure(tls),
        sqlx::Error::Protocol(_) => "protocol error".into(),
        _ => "database driver error".into(),
    }
}

/// A TLS failure as operators need it. TLS messages name certificates and hosts, never
/// credentials.
fn tls_failure(error: &dyn std::fmt::Display) -> String {
    format!(
        "TLS error: {error} (the server's certificate is checked against the platform's roots and storage.durable.postgres.ca_file)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for good in ["mfa", "_x", "mfa_gateway_2", &"a".repeat(63)] {
            assert!(check_schema_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "1abc",
            "Mfa",
            "a-b",
            "a;drop",
            "a b",
            "\"q\"",
            &"a".repeat(64),
        ] {
            assert!(check_schema_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_urls_are_not_echoed() {
        let err = connect_options("postgres://u:hunter2@db:notaport/x", None, None).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = connect_options("mysql://u:hunter2@db/x", None, None).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn search_path_is_set_for_a_schema() {
        let options = connect_options("postgres://u@db/x", Some("tenant_a"), None).unwrap();
        assert_eq!(options.get_options(), Some("-c search_path=tenant_a"));
        assert!(connect_options("postgres://u@db/x", Some("Bad"), None).is_err());
    }

    #[test]
    fn configuration_errors_are_not_echoed() {
        let err = sqlx::Error::Configuration("postgres://user:hunter2@db/x".into());
        let shown = unavailable("opening")(err).to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("opening"));
    }

    #[test]
    fn a_failed_handshake_is_named() {
        let handshake = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            pingora::tls::RusTlsError::InvalidCertificate(
                pingora::tls::CertificateError::UnknownIssuer,
            ),
        );
        let shown = describe(&sqlx::Error::Io(handshake));
        assert!(
            shown.starts_with("TLS error: invalid peer certificate: UnknownIssuer"),
            "{shown}"
        );
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            describe(&sqlx::Error::Io(refused)),
            "I/O error: connection refused"
        );
    }

    #[tokio::test]
    async fn a_hung_operation_is_cut_off() {
        tokio::time::pause();
        let never = std::future::pending::<Result<(), sqlx::Error>>();
        match bounded("waiting", never).await {
            Err(StoreError::Unavailable(msg)) => assert!(msg.starts_with("waiting"), "{msg}"),
            other => panic!("expected a timeout, got {other:?}"),
        }
    }
}
