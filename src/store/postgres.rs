//! [`DurableStore`] on PostgreSQL, for several gateway instances sharing one database.
//!
//! Same data and meaning as the SQLite store. Every operation that enforces single use or a
//! limit is one SQL statement: PostgreSQL's row locks plus its re-check of the `WHERE` clause
//! on the newest row version (READ COMMITTED) make each one atomic across connections and
//! gateways. TOTP secrets are stored sealed by [`SecretCipher`]; a secret sealed under an older
//! key is re-sealed with the current key the next time it is read.
//!
//! The schema is brought up to date when the store opens ([`migrate`] does only that, for a
//! `migrate` command run before a rollout).

mod connect;
mod open;
mod rekey;
mod reseal;
mod schema;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::Row;

use crate::store::crypto::SecretCipher;
use crate::store::{
    DurableStore, EnrolledMethod, Enrollment, MemberRecord, ResealSummary, StoreError, StoreResult,
};

use connect::{bounded, describe};
pub use open::{migrate, migrate_with_ca};

/// Columns read by [`PgStore::member`], in one place so the decoder matches the query.
const MEMBER_COLUMNS: &str = "epoch, method, totp_secret, trust_period_secs, enrolled_at, \
     consecutive_failures, locked_until, last_success_at";

/// PostgreSQL-backed durable store (a pool of connections; cheap to share behind an `Arc`).
pub struct PgStore {
    pool: PgPool,
    cipher: SecretCipher,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No URL: it may hold the password.
        f.debug_struct("PgStore")
            .field("cipher", &self.cipher)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Closes every pooled connection (graceful shutdown); later calls fail as unavailable.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Writes `resealed` over `previous` unless the row changed meanwhile (a concurrent
    /// re-enrollment must win). Best effort: the old key still opens the old value.
    async fn write_back_resealed(&self, login: &str, previous: &str, resealed: &str) {
        let outcome = bounded(
            "re-sealing a TOTP secret",
            sqlx::query(
                "UPDATE members SET totp_secret = $1 WHERE login = $2 AND totp_secret = $3",
            )
            .bind(resealed)
            .bind(login)
            .bind(previous)
            .execute(&self.pool),
        )
        .await;
        if let Err(err) = outcome {
            tracing::warn!(login, error = %err, "secret re-seal skipped");
        }
    }

    /// Decodes the enrollment columns of a member row, opening the sealed secret.
    async fn decode_enrollment(&self, login: &str, row: &PgRow) -> StoreResult<Option<Enrollment>> {
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
        let epoch: i64 = bounded(
            context,
            sqlx::query_scalar(sql)
                .bind(login)
                .bind(unix_now())
                .fetch_one(&self.pool),
        )
        .await?;
        from_db(epoch, "epoch")
    }

    /// Runs a statement that returns nothing.
    async fn run(&self, context: &'static str, query: PgQuery<'_>) -> StoreResult<()> {
        bounded(context, query.execute(&self.pool)).await?;
        Ok(())
    }
}

/// A statement with its bound arguments.
type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Current unix time in seconds.
fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Converts a caller's unsigned value to PostgreSQL's `BIGINT`, refusing out-of-range input.
fn to_db(value: u64, what: &str) -> StoreResult<i64> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} {value} is out of range")))
}

/// Converts a stored `BIGINT` back, treating negative or oversized values as corruption.
fn from_db<T: TryFrom<i64>>(value: i64, what: &str) -> StoreResult<T> {
    T::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("stored {what} {value} is out of range")))
}

/// A column that cannot be decoded means the row is not what this schema wrote.
fn corrupt_column(err: sqlx::Error) -> StoreError {
    StoreError::Corrupt(format!("unreadable member column: {}", describe(&err)))
}

#[async_trait]
impl DurableStore for PgStore {
    async fn member(&self, login: &str) -> StoreResult<Option<MemberRecord>> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE login = $1");
        let row = bounded(
            "reading a member",
            sqlx::query(&sql).bind(login).fetch_optional(&self.pool),
        )
        .await?;
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
        // The last accepted step only ever grows (GREATEST ignores NULLs): no code accepted
        // before this save can be replayed after it.
        let query = sqlx::query(
            "INSERT INTO members (login, method, totp_secret, trust_period_secs, enrolled_at, last_totp_step, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (login) DO UPDATE SET method = EXCLUDED.method, totp_secret = EXCLUDED.totp_secret, \
               trust_period_secs = EXCLUDED.trust_period_secs, enrolled_at = EXCLUDED.enrolled_at, \
               last_totp_step = GREATEST(members.last_totp_step, EXCLUDED.last_totp_step), \
               updated_at = EXCLUDED.updated_at",
        )
        .bind(login)
        .bind(enrollment.method.as_str())
        .bind(sealed)
        .bind(to_db(enrollment.trust_period_secs, "trust period")?)
        .bind(enrollment.enrolled_at)
        .bind(step)
        .bind(unix_now());
        self.run("saving an enrollment", query).await
    }

    async fn advance_totp_step(&self, login: &str, step: u64) -> StoreResult<bool> {
        let step = to_db(step, "TOTP step")?;
        let done = bounded(
            "advancing the TOTP step",
            sqlx::query(
                "UPDATE members SET last_totp_step = $1, updated_at = $2 \
                 WHERE login = $3 AND (last_totp_step IS NULL OR last_totp_step < $1)",
            )
            .bind(step)
            .bind(unix_now())
            .bind(login)
            .execute(&self.pool),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_failure(&self, login: &str) -> StoreResult<u32> {
        let count: i64 = bounded(
            "recording a failure",
            sqlx::query_scalar(
                "INSERT INTO members (login, consecutive_failures, updated_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (login) DO UPDATE SET consecutive_failures = members.consecutive_failures + 1, \
                   updated_at = EXCLUDED.updated_at \
                 RETURNING consecutive_failures",
            )
            .bind(login)
            .bind(unix_now())
            .fetch_one(&self.pool),
        )
        .await?;
        from_db(count, "consecutive_failures")
    }

    async fn lock_until(&self, login: &str, until: i64) -> StoreResult<()> {
        let query = sqlx::query(
            "INSERT INTO members (login, locked_until, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (login) DO UPDATE SET \
               locked_until = GREATEST(members.locked_until, EXCLUDED.locked_until), \
               updated_at = EXCLUDED.updated_at",
        )
        .bind(login)
        .bind(until)
        .bind(unix_now());
        self.run("locking a member", query).await
    }

    async fn record_success(&self, login: &str, now: i64) -> StoreResult<()> {
        let query = sqlx::query(
            "INSERT INTO members (login, last_success_at, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (login) DO UPDATE SET consecutive_failures = 0, locked_until = NULL, \
               last_success_at = EXCLUDED.last_success_at, updated_at = EXCLUDED.updated_at",
        )
        .bind(login)
        .bind(now)
        .bind(unix_now());
        self.run("recording a success", query).await
    }

    async fn reset(&self, login: &str) -> StoreResult<u64> {
        // A reset of a member never seen still yields epoch 1, so cookies minted for epoch 0
        // (before any row existed) are revoked too. `last_totp_step` and the failure count are
        // kept: the step only grows, and a reset must not hand a guesser fresh attempts.
        self.epoch_statement(
            "INSERT INTO members (login, epoch, updated_at) VALUES ($1, 1, $2) \
             ON CONFLICT (login) DO UPDATE SET epoch = members.epoch + 1, method = NULL, totp_secret = NULL, \
               trust_period_secs = NULL, enrolled_at = NULL, updated_at = EXCLUDED.updated_at \
             RETURNING epoch",
            login,
            "resetting a member",
        )
        .await
    }

    async fn bump_epoch(&self, login: &str) -> StoreResult<u64> {
        self.epoch_statement(
            "INSERT INTO members (login, epoch, updated_at) VALUES ($1, 1, $2) \
             ON CONFLICT (login) DO UPDATE SET epoch = members.epoch + 1, updated_at = EXCLUDED.updated_at \
             RETURNING epoch",
            login,
            "bumping the epoch",
        )
        .await
    }

    async fn unlock(&self, login: &str) -> StoreResult<()> {
        let query = sqlx::query(
            "UPDATE members SET consecutive_failures = 0, locked_until = NULL, updated_at = $1 WHERE login = $2",
        )
        .bind(unix_now())
        .bind(login);
        self.run("unlocking a member", query).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.run("ping", sqlx::query("SELECT 1")).await
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

    #[tokio::test]
    async fn an_invalid_url_fails_without_echoing_it() {
        let cipher = SecretCipher::new(&[crate::config::NamedKey {
            id: "k".into(),
            bytes: vec![7; 32],
        }])
        .unwrap();
        let err = PgStore::open("postgres://u:hunter2@db:port/x", cipher)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
