//! [`DurableStore`] on a local SQLite file (the default for a single gateway instance).
//!
//! Every operation that enforces single use or a limit is one SQL statement, so SQLite's write
//! lock makes it atomic across the pool's connections and even across processes sharing the
//! file. TOTP secrets are stored sealed by [`SecretCipher`]; a secret sealed under an older key
//! is re-sealed with the current key the next time it is read (key rotation without a batch job).

mod rekey;
mod reseal;
mod schema;

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::Row;

use crate::store::crypto::SecretCipher;
use crate::store::{
    DurableStore, EnrolledMethod, Enrollment, MemberRecord, ResealSummary, StoreError, StoreResult,
};

use schema::unavailable;

/// Connections in the pool. The deployment target has 2 cores and SQLite serialises writers
/// anyway; a few connections let reads proceed while one write waits for the disk.
const POOL_SIZE: u32 = 4;

/// How long a statement waits for another connection's write lock before failing closed.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request waits for a free pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Columns read by [`SqliteStore::member`], in one place so the decoder matches the query.
const MEMBER_COLUMNS: &str = "epoch, method, totp_secret, trust_period_secs, enrolled_at, \
     consecutive_failures, locked_until, last_success_at";

/// SQLite-backed durable store.
pub struct SqliteStore {
    pool: SqlitePool,
    cipher: SecretCipher,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("cipher", &self.cipher)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed, parent directory included) the database at `path`, switches
    /// it to WAL mode and brings its schema up to date.
    pub async fn open(path: &Path, cipher: SecretCipher) -> StoreResult<SqliteStore> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent).await.map_err(|err| {
                StoreError::Unavailable(format!(
                    "cannot create directory {}: {}",
                    parent.display(),
                    err.kind()
                ))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Enrollment writes are rare (logins, not page views), so an fsync per commit is
            // cheap insurance that an accepted TOTP step is never forgotten after a power loss.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(unavailable("opening the SQLite database"))?;
        schema::migrate(&pool).await?;
        Ok(SqliteStore { pool, cipher })
    }

    /// Closes every pooled connection (graceful shutdown); later calls fail as unavailable.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Writes `resealed` over `previous` unless the row changed meanwhile (a concurrent
    /// re-enrollment must win). Best effort: the old key still opens the old value.
    async fn write_back_resealed(&self, login: &str, previous: &str, resealed: &str) {
        let outcome = sqlx::query(
            "UPDATE members SET totp_secret = ?1 WHERE login = ?2 AND totp_secret = ?3",
        )
        .bind(resealed)
        .bind(login)
        .bind(previous)
        .execute(&self.pool)
        .await;
        if let Err(err) = outcome {
            tracing::warn!(login, error = %unavailable("re-sealing a TOTP secret")(err), "secret re-seal skipped");
        }
    }

    /// Decodes the enrollment columns of a member row, opening the sealed secret.
    async fn decode_enrollment(
        &self,
        login: &str,
        row: &SqliteRow,
    ) -> StoreResult<Option<Enrollment>> {
        let Some(method_name) = row
            .try_get::<Option<String>, _>("method")
            .map_err(corrupt_column)?
        else {
            return Ok(None);
        };
        let method = EnrolledMethod::parse(&method_name).ok_or_else(|| {
            StoreError::Corrupt(format!("unknown enrollment method {method_name:?}"))
        })?;
        let trust_period: Option<i64> = row.try_get("trust_period_secs").map_err(corrupt_column)?;
        let enrolled_at: Option<i64> = row.try_get("enrolled_at").map_err(corrupt_column)?;
        let (Some(trust_period), Some(enrolled_at)) = (trust_period, enrolled_at) else {
            return Err(StoreError::Corrupt(
                "enrollment without trust period or date".into(),
            ));
        };
        let sealed: Option<String> = row.try_get("totp_secret").map_err(corrupt_column)?;
        let totp_secret = match sealed {
            None => None,
            Some(sealed) => {
                let secret = self.cipher.open(login, &sealed)?;
                if self.cipher.needs_reseal(&sealed) {
                    match self.cipher.seal(login, &secret) {
                        Ok(resealed) => self.write_back_resealed(login, &sealed, &resealed).await,
                        Err(err) => tracing::warn!(login, error = %err, "secret re-seal skipped"),
                    }
                }
                Some(secret)
            }
        };
        Ok(Some(Enrollment {
            method,
            totp_secret,
            trust_period_secs: from_db(trust_period, "trust_period_secs")?,
            enrolled_at,
        }))
    }

    /// Runs an upsert that returns the new epoch.
    async fn epoch_statement(
        &self,
        sql: &'static str,
        login: &str,
        context: &'static str,
    ) -> StoreResult<u64> {
        let epoch: i64 = sqlx::query_scalar(sql)
            .bind(login)
            .bind(unix_now())
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable(context))?;
        from_db(epoch, "epoch")
    }
}

/// Current unix time in seconds.
fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Converts a caller's unsigned value to SQLite's signed integer, refusing out-of-range input.
fn to_db(value: u64, what: &str) -> StoreResult<i64> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} {value} is out of range")))
}

/// Converts a stored signed integer back, treating negative values as corruption.
fn from_db<T: TryFrom<i64>>(value: i64, what: &str) -> StoreResult<T> {
    T::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("stored {what} {value} is out of range")))
}

/// A column that cannot be decoded means the row is not what this schema wrote.
fn corrupt_column(err: sqlx::Error) -> StoreError {
    StoreError::Corrupt(format!(
        "unreadable member column: {}",
        schema::describe(&err)
    ))
}

#[async_trait]
impl DurableStore for SqliteStore {
    async fn member(&self, login: &str) -> StoreResult<Option<MemberRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE login = ?1"
        ))
        .bind(login)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable("reading a member"))?;
        let Some(row) = row else { return Ok(None) };
        let enrollment = self.decode_enrollment(login, &row).await?;
        Ok(Some(MemberRecord {
            login: login.to_string(),
            epoch: from_db(row.try_get("epoch").map_err(corrupt_column)?, "epoch")?,
            enrollment,
            consecutive_failures: from_db(
                row.try_get("consecutive_failures")
                    .map_err(corrupt_column)?,
                "consecutive_failures",
            )?,
            locked_until: row.try_get("locked_until").map_err(corrupt_column)?,
            last_success_at: row.try_get("last_success_at").map_err(corrupt_column)?,
        }))
    }

    async fn save_enrollment(
        &self,
        login: &str,
        enrollment: &Enrollment,
        last_totp_step: Option<u64>,
    ) -> StoreResult<()> {
        let sealed = match &enrollment.totp_secret {
            Some(secret) => Some(self.cipher.seal(login, secret)?),
            None => None,
        };
        let step = last_totp_step.map(|s| to_db(s, "TOTP step")).transpose()?;
        // The last accepted step only ever grows: keeping the larger value means no code
        // accepted before this save can be replayed after it.
        sqlx::query(
            "INSERT INTO members (login, method, totp_secret, trust_period_secs, enrolled_at, last_totp_step, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT(login) DO UPDATE SET method = excluded.method, totp_secret = excluded.totp_secret, \
               trust_period_secs = excluded.trust_period_secs, enrolled_at = excluded.enrolled_at, \
               last_totp_step = MAX(COALESCE(members.last_totp_step, excluded.last_totp_step), \
                                    COALESCE(excluded.last_totp_step, members.last_totp_step)), \
               updated_at = excluded.updated_at",
        )
        .bind(login)
        .bind(enrollment.method.as_str())
        .bind(sealed)
        .bind(to_db(enrollment.trust_period_secs, "trust period")?)
        .bind(enrollment.enrolled_at)
        .bind(step)
        .bind(unix_now())
        .execute(&self.pool)
        .await
        .map_err(unavailable("saving an enrollment"))?;
        Ok(())
    }

    async fn advance_totp_step(&self, login: &str, step: u64) -> StoreResult<bool> {
        let step = to_db(step, "TOTP step")?;
        let done = sqlx::query(
            "UPDATE members SET last_totp_step = ?1, updated_at = ?2 \
             WHERE login = ?3 AND (last_totp_step IS NULL OR last_totp_step < ?1)",
        )
        .bind(step)
        .bind(unix_now())
        .bind(login)
        .execute(&self.pool)
        .await
        .map_err(unavailable("advancing the TOTP step"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_failure(&self, login: &str) -> StoreResult<u32> {
        let count: i64 = sqlx::query_scalar(
            "INSERT INTO members (login, consecutive_failures, updated_at) VALUES (?1, 1, ?2) \
             ON CONFLICT(login) DO UPDATE SET consecutive_failures = members.consecutive_failures + 1, \
               updated_at = excluded.updated_at \
             RETURNING consecutive_failures",
        )
        .bind(login)
        .bind(unix_now())
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable("recording a failure"))?;
        from_db(count, "consecutive_failures")
    }

    async fn lock_until(&self, login: &str, until: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO members (login, locked_until, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT(login) DO UPDATE SET \
               locked_until = MAX(COALESCE(members.locked_until, excluded.locked_until), excluded.locked_until), \
               updated_at = excluded.updated_at",
        )
        .bind(login)
        .bind(until)
        .bind(unix_now())
        .execute(&self.pool)
        .await
        .map_err(unavailable("locking a member"))?;
        Ok(())
    }

    async fn record_success(&self, login: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO members (login, last_success_at, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT(login) DO UPDATE SET consecutive_failures = 0, locked_until = NULL, \
               last_success_at = excluded.last_success_at, updated_at = excluded.updated_at",
        )
        .bind(login)
        .bind(now)
        .bind(unix_now())
        .execute(&self.pool)
        .await
        .map_err(unavailable("recording a success"))?;
        Ok(())
    }

    async fn reset(&self, login: &str) -> StoreResult<u64> {
        // A reset of a member never seen still yields epoch 1, so cookies minted for epoch 0
        // (before any row existed) are revoked too. `last_totp_step` is kept: it only grows.
        self.epoch_statement(
            "INSERT INTO members (login, epoch, updated_at) VALUES (?1, 1, ?2) \
             ON CONFLICT(login) DO UPDATE SET epoch = members.epoch + 1, method = NULL, totp_secret = NULL, \
               trust_period_secs = NULL, enrolled_at = NULL, updated_at = excluded.updated_at \
             RETURNING epoch",
            login,
            "resetting a member",
        )
        .await
    }

    async fn bump_epoch(&self, login: &str) -> StoreResult<u64> {
        self.epoch_statement(
            "INSERT INTO members (login, epoch, updated_at) VALUES (?1, 1, ?2) \
             ON CONFLICT(login) DO UPDATE SET epoch = members.epoch + 1, updated_at = excluded.updated_at \
             RETURNING epoch",
            login,
            "bumping the epoch",
        )
        .await
    }

    async fn unlock(&self, login: &str) -> StoreResult<()> {
        sqlx::query("UPDATE members SET consecutive_failures = 0, locked_until = NULL, updated_at = ?1 WHERE login = ?2")
            .bind(unix_now())
            .bind(login)
            .execute(&self.pool)
            .await
            .map_err(unavailable("unlocking a member"))?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(unavailable("ping"))?;
        Ok(())
    }

    async fn reseal_secrets(&self) -> StoreResult<ResealSummary> {
        reseal::reseal_all(&self.pool, &self.cipher).await
    }

    async fn rekey_logins(
        &self,
        canon: crate::store::Canonicalize<'_>,
    ) -> StoreResult<crate::store::RekeySummary> {
        rekey::rekey_all(&self.pool, &self.cipher, canon).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_conversions_refuse_out_of_range_values() {
        assert_eq!(to_db(5, "x").unwrap(), 5);
        assert!(matches!(to_db(u64::MAX, "x"), Err(StoreError::Corrupt(_))));
        assert_eq!(from_db::<u64>(7, "x").unwrap(), 7);
        assert!(matches!(
            from_db::<u64>(-1, "x"),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            from_db::<u32>(i64::MAX, "x"),
            Err(StoreError::Corrupt(_))
        ));
    }
}
