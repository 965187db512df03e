//! Versioned schema migrations for the PostgreSQL store.
//!
//! Migrations are SQL files embedded in the binary. Applied versions are recorded in
//! `schema_version`. Everything runs in one transaction that first takes a transaction-scoped
//! advisory lock, so two gateways starting together against the same schema take turns: the
//! second one finds the work done. (Without the lock, two concurrent `CREATE TABLE IF NOT
//! EXISTS` can still collide on PostgreSQL's catalog and fail one start.) A database written by
//! a newer gateway is refused instead of being misread.

use sqlx::postgres::PgPool;
use sqlx::Executor as _;

use super::connect::unavailable;
use crate::store::{StoreError, StoreResult};

/// Every migration in order: (version, SQL). Never edit a released entry; append a new one.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/postgres/0001_members.sql"))];

/// Highest schema version this build understands.
pub(super) fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |(version, _)| *version)
}

/// Advisory lock id for migrating `schema` (`None` = the server's default search path).
/// Different schemas get different ids so separate deployments (or tests) sharing one database
/// do not wait for each other. FNV-1a: stable across builds, unlike std's hasher.
fn lock_id(schema: Option<&str>) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let name = format!("mfa-gateway schema migration:{}", schema.unwrap_or(""));
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // Same 64 bits reinterpreted as PostgreSQL's signed bigint.
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Creates `schema` if given and applies every migration newer than its recorded version.
/// `schema` must already have passed `check_schema_name` (it is spliced into SQL).
pub(super) async fn migrate(pool: &PgPool, schema: Option<&str>) -> StoreResult<()> {
    let context = "migrating the PostgreSQL schema";
    let mut tx = pool.begin().await.map_err(unavailable(context))?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(lock_id(schema))
        .execute(&mut *tx)
        .await
        .map_err(unavailable(context))?;
    if let Some(schema) = schema {
        // Safe to splice: the name is a checked plain identifier.
        tx.execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
            .await
            .map_err(unavailable(context))?;
    }
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
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
        // A plain string runs through the simple query protocol, which accepts the several
        // statements a migration file may hold (a prepared statement takes only one).
        tx.execute(sql).await.map_err(unavailable(context))?;
        sqlx::query("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(chrono::Utc::now().timestamp())
            .execute(&mut *tx)
            .await
            .map_err(unavailable(context))?;
    }
    tx.commit().await.map_err(unavailable(context))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_ids_are_stable_and_per_schema() {
        assert_eq!(lock_id(Some("a")), lock_id(Some("a")));
        assert_ne!(lock_id(Some("a")), lock_id(Some("b")));
        assert_ne!(lock_id(None), lock_id(Some("public")));
    }

    #[test]
    fn migrations_are_in_increasing_order() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|(v, _)| *v).collect();
        assert!(versions.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(latest_version(), *versions.last().unwrap());
    }
}
