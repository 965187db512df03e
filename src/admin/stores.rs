//! Opening the configured durable store for the command line (`users`, `keys reseal`,
//! `migrate`), without the rest of the gateway's state.
//!
//! The commands work while the gateway runs: SQLite in WAL mode takes concurrent readers and
//! serialised writers across processes; PostgreSQL is shared by design. The ephemeral store
//! (pending logins, per-challenge counters) lives in the gateway, and nothing here needs it:
//! member locks live in the durable store.

use std::sync::Arc;

use crate::config::{Config, DurableStore as DurableChoice};
use crate::store::crypto::SecretCipher;
use crate::store::postgres::PgStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{DurableStore, StoreError};

/// Why the durable store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("keys.secret: {0}")]
    SecretKeys(String),
    #[error("storage.durable: {0}")]
    Store(#[from] StoreError),
}

/// Opens (and migrates, as the gateway does) the durable store the config names.
pub async fn open_durable(config: &Config) -> Result<Arc<dyn DurableStore>, OpenError> {
    let cipher = SecretCipher::new(&config.keys.secret_keys)
        .map_err(|e| OpenError::SecretKeys(e.to_string()))?;
    Ok(match &config.storage.durable {
        DurableChoice::Sqlite { path } => Arc::new(SqliteStore::open(path, cipher).await?),
        DurableChoice::Postgres { url, ca_file } => {
            Arc::new(PgStore::open_with_ca(url, ca_file.as_deref(), cipher).await?)
        }
    })
}

/// Brings the durable store's schema up to date, moves members to the canonical form of their
/// login, and closes it (`mfa-gateway migrate`).
pub async fn migrate(config: &Config) -> Result<crate::store::RekeySummary, OpenError> {
    if let DurableChoice::Postgres { url, ca_file } = &config.storage.durable {
        crate::store::postgres::migrate_with_ca(url, ca_file.as_deref()).await?;
    }
    // Opening a SQLite store applies pending migrations in one transaction.
    let store = open_durable(config).await?;
    let fold_case = config.site.login.username_case_insensitive;
    Ok(crate::mfa::username::rekey_members(store.as_ref(), fold_case).await?)
}
