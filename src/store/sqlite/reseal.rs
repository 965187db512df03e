//! Bulk re-encryption of TOTP secrets with the current secret key (`mfa-gateway keys reseal`),
//! so an old key can leave `keys.secret` without waiting for every member to log in.

use sqlx::sqlite::SqlitePool;

use super::schema::unavailable;
use crate::store::crypto::SecretCipher;
use crate::store::{ResealSummary, StoreResult};

/// Re-seals every secret not sealed with the current key. Rows are read in one query and each
/// rewritten with a compare-and-swap on the old sealed value, so a member re-enrolling at the
/// same moment keeps their new secret. Secrets no listed key opens are reported by login.
pub(super) async fn reseal_all(
    pool: &SqlitePool,
    cipher: &SecretCipher,
) -> StoreResult<ResealSummary> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT login, totp_secret FROM members WHERE totp_secret IS NOT NULL ORDER BY login",
    )
    .fetch_all(pool)
    .await
    .map_err(unavailable("listing sealed secrets"))?;
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
        let done = sqlx::query(
            "UPDATE members SET totp_secret = ?1 WHERE login = ?2 AND totp_secret = ?3",
        )
        .bind(&resealed)
        .bind(&login)
        .bind(&sealed)
        .execute(pool)
        .await
        .map_err(unavailable("re-sealing a secret"))?;
        // Zero rows: the member re-enrolled meanwhile, and their new secret is already current.
        summary.resealed += done.rows_affected();
    }
    Ok(summary)
}
