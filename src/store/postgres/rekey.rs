//! Moves members to the canonical form of their login on PostgreSQL (the same semantics as
//! SQLite's: one transaction per move, refused when the canonical key already has a row).

use sqlx::postgres::PgPool;

use super::connect::bounded;
use crate::store::crypto::SecretCipher;
use crate::store::{Canonicalize, RekeySummary, RowMove, StoreResult};

/// Re-keys every row whose login is not canonical, re-sealing its TOTP secret for the new key.
pub(super) async fn rekey_all(
    pool: &PgPool,
    cipher: &SecretCipher,
    canon: Canonicalize<'_>,
) -> StoreResult<RekeySummary> {
    let rows: Vec<(String, Option<String>)> = bounded(
        "listing members",
        sqlx::query_as("SELECT login, totp_secret FROM members ORDER BY login").fetch_all(pool),
    )
    .await?;
    let mut summary = RekeySummary::default();
    for (login, sealed) in rows {
        let planned = RowMove::plan(&login, sealed.as_deref(), cipher, canon)?;
        let Some((login, key, resealed)) = planned.note(login, &mut summary) else {
            continue;
        };
        let mut tx = bounded("re-keying a member", pool.begin()).await?;
        let copied = bounded(
            "re-keying a member",
            sqlx::query(
                "INSERT INTO members (login, epoch, method, totp_secret, trust_period_secs, enrolled_at, \
                   last_totp_step, consecutive_failures, locked_until, last_success_at, updated_at) \
                 SELECT $1, epoch, method, $2, trust_period_secs, enrolled_at, last_totp_step, \
                   consecutive_failures, locked_until, last_success_at, updated_at \
                 FROM members WHERE login = $3 \
                 ON CONFLICT (login) DO NOTHING",
            )
            .bind(&key)
            .bind(&resealed)
            .bind(&login)
            .execute(&mut *tx),
        )
        .await?;
        if copied.rows_affected() == 0 {
            summary.conflicts.push((login, key));
            continue; // the transaction rolls back on drop
        }
        bounded(
            "re-keying a member",
            sqlx::query("DELETE FROM members WHERE login = $1")
                .bind(&login)
                .execute(&mut *tx),
        )
        .await?;
        bounded("re-keying a member", tx.commit()).await?;
        summary.rekeyed.push((login, key));
    }
    Ok(summary)
}
