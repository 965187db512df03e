//! Harnesses for the server backends: PostgreSQL (`MFA_TEST_POSTGRES_URL`) and Redis
//! (`MFA_TEST_REDIS_URL`). Each case gets its own schema / key prefix, removed when the harness
//! is dropped (also when the case panics), so cases run in parallel against one server.
//!
//! When a variable is unset the case prints `SKIPPED: <VAR> not set` and passes, except under
//! CI (`CI` set), where a missing service must fail the run rather than hide the suite.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mfa_gateway::config::NamedKey;
use mfa_gateway::store::crypto::SecretCipher;
use mfa_gateway::store::postgres::PgStore;
use mfa_gateway::store::redis::RedisStore;
use mfa_gateway::store::{DurableStore, EphemeralStore};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection as _, Executor as _};

use crate::harness::{DurableBackend, EphemeralBackend};

pub const POSTGRES_URL_VAR: &str = "MFA_TEST_POSTGRES_URL";
pub const REDIS_URL_VAR: &str = "MFA_TEST_REDIS_URL";

/// The service URL in `var`; `None` (with a SKIPPED line) when unset outside CI.
pub fn service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{var} must be set when CI is set (the scale-out suite would be skipped)")
        }
        _ => {
            eprintln!("SKIPPED: {var} not set");
            None
        }
    }
}

/// A name no other case (in this or another test process) uses: `<stem><pid>_<n>_<nanos>`.
pub fn unique_name(stem: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000_000_000);
    format!(
        "{stem}{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs `work` to completion on a fresh runtime in its own thread: cleanup happens in `Drop`,
/// which may run inside (or while unwinding out of) the test's runtime, where blocking on a
/// future directly is not allowed.
fn run_detached<F>(work: impl FnOnce() -> F + Send + 'static)
where
    F: std::future::Future<Output = ()>,
{
    let thread = std::thread::spawn(move || {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(work()),
            Err(err) => eprintln!("cleanup runtime: {err}"),
        }
    });
    if thread.join().is_err() {
        eprintln!("cleanup thread panicked");
    }
}

/// PostgreSQL with one schema per case.
pub struct PostgresBackend {
    /// Where the store under test connects (maybe through an outage relay).
    pub url: String,
    /// Direct to the server: inspection and cleanup must work during a simulated outage.
    admin_url: String,
    pub schema: String,
    raw: tokio::sync::OnceCell<PgPool>,
}

impl PostgresBackend {
    pub fn new(url: String) -> Self {
        PostgresBackend {
            admin_url: url.clone(),
            url,
            schema: unique_name("mfa_test_"),
            raw: tokio::sync::OnceCell::new(),
        }
    }

    /// The same case data, with the store under test connecting to `store_url` instead.
    pub fn with_store_url(mut self, store_url: String) -> Self {
        self.url = store_url;
        self
    }

    /// A separate pool on this case's schema, as an operator's `psql` would be.
    pub async fn raw(&self) -> &PgPool {
        self.raw
            .get_or_init(|| async {
                let options = PgConnectOptions::from_str(&self.admin_url)
                    .expect("test URL")
                    .options([("search_path", self.schema.as_str())]);
                PgPoolOptions::new()
                    .max_connections(2)
                    .connect_with(options)
                    .await
                    .expect("raw PostgreSQL connection")
            })
            .await
    }

    /// Opens the store under test on this case's schema.
    pub async fn store(&self, keys: &[NamedKey]) -> PgStore {
        let cipher = SecretCipher::new(keys).expect("test key ring");
        PgStore::open_with_schema(&self.url, &self.schema, cipher)
            .await
            .expect("open PostgreSQL store")
    }
}

impl Drop for PostgresBackend {
    fn drop(&mut self) {
        let (url, schema) = (self.admin_url.clone(), self.schema.clone());
        run_detached(move || async move {
            let outcome = async {
                let mut connection = sqlx::PgConnection::connect(&url).await?;
                connection
                    .execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE").as_str())
                    .await?;
                connection.close().await
            };
            if let Err(err) = outcome.await {
                eprintln!("could not drop test schema {schema}: {err}");
            }
        });
    }
}

#[async_trait]
impl DurableBackend for PostgresBackend {
    async fn open(&self, keys: &[NamedKey]) -> Arc<dyn DurableStore> {
        Arc::new(self.store(keys).await)
    }

    async fn sealed_secret(&self, login: &str) -> Option<String> {
        sqlx::query_scalar("SELECT totp_secret FROM members WHERE login = $1")
            .bind(login)
            .fetch_optional(self.raw().await)
            .await
            .expect("read sealed secret")
            .flatten()
    }

    async fn set_sealed_secret(&self, login: &str, sealed: &str) {
        let done = sqlx::query("UPDATE members SET totp_secret = $1 WHERE login = $2")
            .bind(sealed)
            .bind(login)
            .execute(self.raw().await)
            .await
            .expect("write sealed secret");
        assert_eq!(done.rows_affected(), 1);
    }

    async fn bytes_at_rest(&self) -> Option<Vec<u8>> {
        // The server's files are not ours to read; instead prove the column holds no
        // plaintext, which is what the at-rest case is after.
        let stored: Vec<Option<String>> = sqlx::query_scalar("SELECT totp_secret FROM members")
            .fetch_all(self.raw().await)
            .await
            .expect("read secrets");
        let logins: Vec<String> = sqlx::query_scalar("SELECT login FROM members")
            .fetch_all(self.raw().await)
            .await
            .expect("read logins");
        let mut bytes = Vec::new();
        for text in stored.into_iter().flatten().chain(logins) {
            bytes.extend(text.into_bytes());
        }
        Some(bytes)
    }
}

pub async fn postgres_backend() -> Option<Box<dyn DurableBackend>> {
    let url = service_url(POSTGRES_URL_VAR)?;
    Some(Box::new(PostgresBackend::new(url)))
}

/// Redis with one key prefix per case.
pub struct RedisBackend {
    /// Where the store under test connects (maybe through an outage relay).
    pub url: String,
    /// Direct to the server: inspection and cleanup must work during a simulated outage.
    admin_url: String,
    pub prefix: String,
}

impl RedisBackend {
    pub fn new(url: String) -> Self {
        RedisBackend {
            admin_url: url.clone(),
            url,
            prefix: format!("{}:", unique_name("mfa-test:")),
        }
    }

    /// The same case data, with the store under test connecting to `store_url` instead.
    pub fn with_store_url(mut self, store_url: String) -> Self {
        self.url = store_url;
        self
    }

    /// Opens the store under test with this case's prefix.
    pub async fn store(&self) -> RedisStore {
        RedisStore::open(&self.url, &self.prefix)
            .await
            .expect("open Redis store")
    }

    /// A plain connection beside the store, as `redis-cli` would be.
    pub async fn raw(&self) -> redis::aio::MultiplexedConnection {
        raw_redis(&self.admin_url).await
    }

    /// Every key under this case's prefix.
    pub async fn keys(&self) -> Vec<String> {
        let pattern = format!("{}*", self.prefix);
        redis::cmd("KEYS")
            .arg(pattern)
            .query_async(&mut self.raw().await)
            .await
            .expect("list keys")
    }
}

impl Drop for RedisBackend {
    fn drop(&mut self) {
        let (url, prefix) = (self.admin_url.clone(), self.prefix.clone());
        run_detached(move || async move {
            let outcome: redis::RedisResult<()> = async {
                let mut connection = redis::Client::open(url.as_str())?
                    .get_multiplexed_async_connection()
                    .await?;
                let keys: Vec<String> = redis::cmd("KEYS")
                    .arg(format!("{prefix}*"))
                    .query_async(&mut connection)
                    .await?;
                if !keys.is_empty() {
                    redis::cmd("DEL")
                        .arg(keys)
                        .query_async::<()>(&mut connection)
                        .await?;
                }
                Ok(())
            }
            .await;
            if let Err(err) = outcome {
                eprintln!("could not delete test keys {prefix}*: {err}");
            }
        });
    }
}

#[async_trait]
impl EphemeralBackend for RedisBackend {
    async fn open(&self) -> Arc<dyn EphemeralStore> {
        Arc::new(self.store().await)
    }
}

/// A plain connection to the Redis server at `url`.
pub async fn raw_redis(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("test URL")
        .get_multiplexed_async_connection()
        .await
        .expect("raw Redis connection")
}

pub async fn redis_backend() -> Option<Box<dyn EphemeralBackend>> {
    let url = service_url(REDIS_URL_VAR)?;
    Some(Box::new(RedisBackend::new(url)))
}

/// How long a test waits for a recovering store before declaring it stuck.
pub const RECOVERY_LIMIT: Duration = Duration::from_secs(10);
