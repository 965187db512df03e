//! Opening the PostgreSQL store: connecting (with the TLS trust of
//! `storage.durable.postgres.ca_file`), bringing the schema up to date, and the `migrate`
//! command's connect-migrate-disconnect.

use std::path::Path;

use super::connect::{connect_options, open_pool};
use super::{schema, PgStore};
use crate::store::crypto::SecretCipher;
use crate::store::StoreResult;

/// Connects to `url`, applies pending schema migrations in the server's default schema and
/// disconnects. Errors never quote the URL.
pub async fn migrate(url: &str) -> StoreResult<()> {
    migrate_with_ca(url, None).await
}

/// Like [`migrate`], also trusting the CA bundle `ca_file` (`storage.durable.postgres.ca_file`)
/// for the server's certificate.
pub async fn migrate_with_ca(url: &str, ca_file: Option<&Path>) -> StoreResult<()> {
    let pool = open_pool(connect_options(url, None, ca_file)?).await?;
    let outcome = schema::migrate(&pool, None).await;
    pool.close().await;
    outcome
}

impl PgStore {
    /// Connects to `url` (tables in the server's default schema) and brings the schema up to
    /// date. Fails with [`crate::store::StoreError::Unavailable`] within a few seconds if the
    /// server is down.
    pub async fn open(url: &str, cipher: SecretCipher) -> StoreResult<PgStore> {
        Self::open_in(url, None, None, cipher).await
    }

    /// Like [`PgStore::open`], also trusting the CA bundle `ca_file`
    /// (`storage.durable.postgres.ca_file`) for the server's certificate when the URL's
    /// `sslmode` checks it.
    pub async fn open_with_ca(
        url: &str,
        ca_file: Option<&Path>,
        cipher: SecretCipher,
    ) -> StoreResult<PgStore> {
        Self::open_in(url, None, ca_file, cipher).await
    }

    /// Like [`PgStore::open`], with every table in `schema` (created if missing), e.g. one
    /// schema per deployment or per test. `schema` must be a plain lower-case identifier.
    pub async fn open_with_schema(
        url: &str,
        schema: &str,
        cipher: SecretCipher,
    ) -> StoreResult<PgStore> {
        Self::open_in(url, Some(schema), None, cipher).await
    }

    async fn open_in(
        url: &str,
        schema: Option<&str>,
        ca_file: Option<&Path>,
        cipher: SecretCipher,
    ) -> StoreResult<Self> {
        let pool = open_pool(connect_options(url, schema, ca_file)?).await?;
        schema::migrate(&pool, schema).await?;
        Ok(PgStore { pool, cipher })
    }
}
