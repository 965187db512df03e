//! Versioned schema migrations for the SQLite store, and sqlx error mapping.
//!
//! Migrations are SQL files embedded in the binary (no files to ship next to it). Applied
//! versions are recorded in `schema_version`; all pending ones run in one `BEGIN IMMEDIATE`
//! transaction, so two gateway processes starting on the same file cannot both apply one.
//! A database written by a newer gateway is refused instead of being misread.

use sqlx::sqlite::SqlitePool;

use crate::store::StoreError;

/// Every migration in order: (version, SQL). Never edit a released entry; append a new one.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/sqlite/0001_members.sql"))];

/// Highest schema version this build understands.
pub(super) fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |(version, _)| *version)
}

/// Applies every migration newer than the database's recorded version.
pub(super) async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    let context = "migrating the SQLite schema";
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(unavailable(context))?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL)",
    )
    .execute(&mut *tx)
    .await
    .map_err(unavailable(context))?;
    let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable(context))?;
    let latest = latest_version();
    if current > latest {
        return Err(StoreError::Unavailable(format!(
            "database schema version {current} is newer than this gateway understands ({latest}); upgrade the gateway"
        )));
    }
    for &(version, sql) in MIGRATIONS {
        if version <= current {
            continue;
        }
        // Not `sqlx::raw_sql`: its future cannot be proven `Send` inside `#[async_trait]`
        // callers. The SQLite driver runs every statement of an unparameterised query anyway.
        sqlx::query(sql)
            .persistent(false)
            .execute(&mut *tx)
            .await
            .map_err(unavailable(context))?;
        sqlx::query("INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)")
            .bind(version)
            .bind(chrono::Utc::now().timestamp())
            .execute(&mut *tx)
            .await
            .map_err(unavailable(context))?;
    }
    tx.commit().await.map_err(unavailable(context))
}

/// Maps a sqlx error to [`StoreError::Unavailable`] prefixed with what was being done.
pub(super) fn unavailable(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |err| StoreError::Unavailable(format!("{context}: {}", describe(&err)))
}

/// A description of a sqlx error that never contains bound values or connection settings.
/// SQLite's own messages name tables and constraints, never parameter values; variants that
/// could carry configuration (a URL with a password, for PostgreSQL) are reduced to their kind.
pub(super) fn describe(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => format!("database error: {}", db.message()),
        sqlx::Error::Io(io) => format!("I/O error: {}", io.kind()),
        sqlx::Error::PoolTimedOut => "timed out waiting for a database connection".into(),
        sqlx::Error::PoolClosed => "the connection pool is closed".into(),
        sqlx::Error::RowNotFound => "row not found".into(),
        sqlx::Error::ColumnNotFound(name) => format!("column {name:?} not found"),
        sqlx::Error::ColumnDecode { index, .. } => format!("column {index} has an unexpected type"),
        sqlx::Error::Configuration(_) => "invalid database configuration".into(),
        sqlx::Error::Tls(_) => "TLS error".into(),
        sqlx::Error::Protocol(_) => "protocol error".into(),
        _ => "database driver error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    async fn pool_at(dir: &tempfile::TempDir) -> SqlitePool {
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("schema.db"))
            .create_if_missing(true);
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap()
    }

    async fn recorded_versions(pool: &SqlitePool) -> Vec<i64> {
        sqlx::query_scalar("SELECT version FROM schema_version ORDER BY version")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn migrating_twice_applies_each_version_once() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool_at(&dir).await;
        migrate(&pool).await.unwrap();
        migrate(&pool).await.unwrap();
        let expected: Vec<i64> = MIGRATIONS.iter().map(|(v, _)| *v).collect();
        assert_eq!(recorded_versions(&pool).await, expected);
        let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(members, 0);
    }

    #[tokio::test]
    async fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool_at(&dir).await;
        migrate(&pool).await.unwrap();
        sqlx::query("INSERT INTO schema_version (version, applied_at) VALUES (?1, 0)")
            .bind(latest_version() + 1)
            .execute(&pool)
            .await
            .unwrap();
        match migrate(&pool).await {
            Err(StoreError::Unavailable(msg)) => assert!(msg.contains("newer"), "{msg}"),
            other => panic!("expected refusal, got {other:?}"),
        }
    }

    #[test]
    fn configuration_errors_are_not_echoed() {
        let err = sqlx::Error::Configuration("postgres://user:hunter2@db/x".into());
        let shown = unavailable("opening")(err).to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("opening"));
    }
}
