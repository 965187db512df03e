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

#[cfg(test)]
mod tests {
    use crate::config::NamedKey;
    use crate::store::crypto::SecretCipher;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{DurableStore, EnrolledMethod, Enrollment};

    fn cipher(ids: &[&str]) -> SecretCipher {
        let keys: Vec<NamedKey> = ids
            .iter()
            .map(|id| NamedKey {
                id: id.to_string(),
                bytes: vec![id.len() as u8 + id.as_bytes()[1]; 32],
            })
            .collect();
        SecretCipher::new(&keys).unwrap()
    }

    fn app(secret: u8) -> Enrollment {
        Enrollment {
            method: EnrolledMethod::App,
            totp_secret: Some(vec![secret; 20]),
            trust_period_secs: 86_400,
            enrolled_at: 1,
        }
    }

    #[tokio::test]
    async fn secrets_move_to_the_current_key_and_unopenable_ones_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let old = SqliteStore::open(&path, cipher(&["k1"])).await.unwrap();
        old.save_enrollment("a", &app(1), None).await.unwrap();
        old.save_enrollment("b", &app(2), None).await.unwrap();
        old.close().await;
        let other = SqliteStore::open(&path, cipher(&["k9"])).await.unwrap();
        other.save_enrollment("c", &app(3), None).await.unwrap();
        other.close().await;

        let rotated = SqliteStore::open(&path, cipher(&["k2", "k1"]))
            .await
            .unwrap();
        let summary = rotated.reseal_secrets().await.unwrap();
        assert_eq!((summary.examined, summary.resealed), (3, 2));
        assert_eq!(summary.unreadable, ["c"]);
        let again = rotated.reseal_secrets().await.unwrap();
        assert_eq!((again.examined, again.resealed), (3, 0));
        rotated.close().await;

        let only_new = SqliteStore::open(&path, cipher(&["k2"])).await.unwrap();
        let a = only_new.member("a").await.unwrap().unwrap();
        assert_eq!(a.enrollment.unwrap().totp_secret, Some(vec![1; 20]));
        let b = only_new.member("b").await.unwrap().unwrap();
        assert_eq!(b.enrollment.unwrap().totp_secret, Some(vec![2; 20]));
    }
}
