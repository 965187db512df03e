//! Bulk re-encryption of TOTP secrets with the current secret key on PostgreSQL (the same
//! semantics as SQLite's: compare-and-swap per row, unreadable secrets reported by login).

use sqlx::postgres::PgPool;

use super::connect::bounded;
use crate::store::crypto::SecretCipher;
use crate::store::{ResealSummary, StoreResult};

/// Re-seals every secret not sealed with the current key.
pub(super) async fn reseal_all(pool: &PgPool, cipher: &SecretCipher) -> StoreResult<ResealSummary> {
    let rows: Vec<(String, String)> = bounded(
        "listing sealed secrets",
        sqlx::query_as(
            "SELECT login, totp_secret FROM members WHERE totp_secret IS NOT NULL ORDER BY login",
        )
        .fetch_all(pool),
    )
    .await?;
    let mut summary = ResealSummary::default();
    for (login, sealed) in rows {
        summary.examined += 1;
        if !cipher.needs_reseal(&sealed) {
            continue;
        }
        let Ok(secret) = cipher.open(&login, &sealed) else {
            summary.unreadable.push(login);
            continue;
        };
        let resealed = cipher.seal(&login, &secret)?;
        let done = bounded(
            "re-sealing a secret",
            sqlx::query(
                "UPDATE members SET totp_secret = $1 WHERE login = $2 AND totp_secret = $3",
            )
            .bind(&resealed)
            .bind(&login)
            .bind(&sealed)
            .execute(pool),
        )
        .await?;
        // Zero rows: the member re-enrolled meanwhile, and their new secret is already current.
        summary.resealed += done.rows_affected();
    }
    Ok(summary)
}
