//! Harnesses for the store contract: what a case needs beyond the trait object (reopening
//! after a restart, the raw sealed column, the bytes at rest), and one harness per backend.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use mfa_gateway::config::NamedKey;
use mfa_gateway::store::crypto::SecretCipher;
use mfa_gateway::store::memory::MemoryStore;
use mfa_gateway::store::sqlite::SqliteStore;
use mfa_gateway::store::{DurableStore, EphemeralStore};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

/// A durable backend under test, holding its data location for the whole case.
#[async_trait]
pub trait DurableBackend: Send + Sync {
    /// Opens the store on this backend's data with `keys` (calling it again = a restart).
    async fn open(&self, keys: &[NamedKey]) -> Arc<dyn DurableStore>;
    /// The sealed secret column of `login`, read behind the store's back.
    async fn sealed_secret(&self, login: &str) -> Option<String>;
    /// Overwrites the sealed secret column of `login` behind the store's back.
    async fn set_sealed_secret(&self, login: &str, sealed: &str);
    /// Every byte the backend keeps at rest that a test can reach: the local files, or for a
    /// server the stored rows as read back raw; `None` if there is nothing to inspect.
    async fn bytes_at_rest(&self) -> Option<Vec<u8>>;
}

/// An ephemeral backend under test.
#[async_trait]
pub trait EphemeralBackend: Send + Sync {
    /// A fresh, empty store.
    async fn open(&self) -> Arc<dyn EphemeralStore>;
}

/// A 32-byte test key filled with `fill`.
pub fn key(id: &str, fill: u8) -> NamedKey {
    NamedKey {
        id: id.to_string(),
        bytes: vec![fill; 32],
    }
}

/// Runs `n` copies of a task released together by a barrier, and collects their results.
pub async fn race<T, F, Fut>(n: usize, make: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (task, barrier) = (make(i), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                task.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for task in tasks {
        results.push(task.await.expect("racing task panicked"));
    }
    results
}

/// SQLite in a temporary directory; the database sits in a not-yet-existing subdirectory so
/// every case also checks that `open` creates it.
pub struct SqliteBackend {
    dir: tempfile::TempDir,
}

impl SqliteBackend {
    fn path(&self) -> PathBuf {
        self.dir.path().join("state").join("gateway.db")
    }

    /// A separate pool on the same file, as an operator's `sqlite3` shell would be.
    async fn raw(&self) -> SqlitePool {
        SqlitePool::connect_with(SqliteConnectOptions::new().filename(self.path()))
            .await
            .expect("raw connection")
    }
}

#[async_trait]
impl DurableBackend for SqliteBackend {
    async fn open(&self, keys: &[NamedKey]) -> Arc<dyn DurableStore> {
        let cipher = SecretCipher::new(keys).expect("test key ring");
        Arc::new(
            SqliteStore::open(&self.path(), cipher)
                .await
                .expect("open SQLite store"),
        )
    }

    async fn sealed_secret(&self, login: &str) -> Option<String> {
        sqlx::query_scalar("SELECT totp_secret FROM members WHERE login = ?1")
            .bind(login)
            .fetch_optional(&self.raw().await)
            .await
            .expect("read sealed secret")
            .flatten()
    }

    async fn set_sealed_secret(&self, login: &str, sealed: &str) {
        let done = sqlx::query("UPDATE members SET totp_secret = ?1 WHERE login = ?2")
            .bind(sealed)
            .bind(login)
            .execute(&self.raw().await)
            .await
            .expect("write sealed secret");
        assert_eq!(done.rows_affected(), 1);
    }

    async fn bytes_at_rest(&self) -> Option<Vec<u8>> {
        // The database file and its WAL / shared-memory companions.
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(self.dir.path().join("state")).expect("state dir") {
            bytes.extend(std::fs::read(entry.expect("dir entry").path()).expect("read db file"));
        }
        Some(bytes)
    }
}

pub async fn sqlite_backend() -> Option<Box<dyn DurableBackend>> {
    Some(Box::new(SqliteBackend {
        dir: tempfile::tempdir().expect("temp dir"),
    }))
}

/// The in-process moka store.
pub struct MemoryBackend;

#[async_trait]
impl EphemeralBackend for MemoryBackend {
    async fn open(&self) -> Arc<dyn EphemeralStore> {
        Arc::new(MemoryStore::default())
    }
}

pub async fn memory_backend() -> Option<Box<dyn EphemeralBackend>> {
    Some(Box::new(MemoryBackend))
}
