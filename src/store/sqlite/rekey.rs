//! Moves members to the canonical form of their login (`mfa::username`), for rows written by
//! versions that keyed members on a weaker normalisation. See [`crate::store::RekeySummary`].

use sqlx::sqlite::SqlitePool;

use super::schema::unavailable;
use crate::store::crypto::SecretCipher;
use crate::store::{Canonicalize, RekeySummary, RowMove, StoreResult};

/// Re-keys every row whose login is not canonical. Each move is one transaction: the row is
/// copied under the new key (its TOTP secret re-sealed, because the login is bound into the
/// ciphertext) only if no row has that key yet, then the old row is deleted.
pub(super) async fn rekey_all(
    pool: &SqlitePool,
    cipher: &SecretCipher,
    canon: Canonicalize<'_>,
) -> StoreResult<RekeySummary> {
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT login, totp_secret FROM members ORDER BY login")
            .fetch_all(pool)
            .await
            .map_err(unavailable("listing members"))?;
    let mut summary = RekeySummary::default();
    for (login, sealed) in rows {
        let planned = RowMove::plan(&login, sealed.as_deref(), cipher, canon)?;
        let Some((login, key, resealed)) = planned.note(login, &mut summary) else {
            continue;
        };
        let mut tx = pool
            .begin()
            .await
            .map_err(unavailable("re-keying a member"))?;
        let copied = sqlx::query(
            "INSERT INTO members (login, epoch, method, totp_secret, trust_period_secs, enrolled_at, \
               last_totp_step, consecutive_failures, locked_until, last_success_at, updated_at) \
             SELECT ?1, epoch, method, ?2, trust_period_secs, enrolled_at, last_totp_step, \
               consecutive_failures, locked_until, last_success_at, updated_at \
             FROM members WHERE login = ?3 AND NOT EXISTS (SELECT 1 FROM members WHERE login = ?1)",
        )
        .bind(&key)
        .bind(&resealed)
        .bind(&login)
        .execute(&mut *tx)
        .await
        .map_err(unavailable("re-keying a member"))?;
        if copied.rows_affected() == 0 {
            summary.conflicts.push((login, key));
            continue; // the transaction rolls back on drop
        }
        sqlx::query("DELETE FROM members WHERE login = ?1")
            .bind(&login)
            .execute(&mut *tx)
            .await
            .map_err(unavailable("re-keying a member"))?;
        tx.commit()
            .await
            .map_err(unavailable("re-keying a member"))?;
        summary.rekeyed.push((login, key));
    }
    Ok(summary)
}
