//! Which stores the gateway under test runs on, chosen per test binary.
//!
//! One suite, two backends: the flow cases live in `tests/suites/` and are compiled into two
//! binaries. A binary whose name starts with `scaleout` (e.g. `tests/scaleout_flows.rs`) runs
//! every gateway on PostgreSQL (`MFA_TEST_POSTGRES_URL`) + Redis (`MFA_TEST_REDIS_URL`); every
//! other binary on SQLite + memory. The choice is made at compile time from the binary's crate
//! name, so the case code is identical on both backends.
//!
//! On the servers each harness gets a corner of its own, a PostgreSQL schema and a Redis key
//! prefix ([`ServerStores`]), removed when the last gateway using it is gone, so tests run in
//! parallel against one server. When a URL variable is unset the test prints `SKIPPED: …` and
//! passes, except under CI (`CI` set), where that fails: the scale-out suite must not vanish.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection as _, Executor as _};

/// Variable naming the PostgreSQL server for the scale-out tests.
pub const POSTGRES_URL_VAR: &str = "MFA_TEST_POSTGRES_URL";
/// Variable naming the Redis server for the scale-out tests.
pub const REDIS_URL_VAR: &str = "MFA_TEST_REDIS_URL";

/// The stores behind a gateway under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file in the test directory + in-process memory (the single-instance default).
    Local,
    /// PostgreSQL + Redis servers shared by several gateway instances.
    Servers,
}

impl Backend {
    /// The backend of the test binary this code is compiled into: `Servers` for binaries named
    /// `scaleout*`, `Local` for all others.
    pub fn of_this_binary() -> Backend {
        if env!("CARGO_CRATE_NAME").starts_with("scaleout") {
            Backend::Servers
        } else {
            Backend::Local
        }
    }
}

/// The PostgreSQL and Redis URLs from the environment; `None` (after printing `SKIPPED`) when
/// either is unset outside CI.
pub fn server_urls() -> Option<(String, String)> {
    let read = |var: &str| std::env::var(var).ok().filter(|url| !url.trim().is_empty());
    match (read(POSTGRES_URL_VAR), read(REDIS_URL_VAR)) {
        (Some(postgres), Some(redis)) => Some((postgres, redis)),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{POSTGRES_URL_VAR} and {REDIS_URL_VAR} must be set when CI is set \
             (the scale-out tests would be skipped)"
        ),
        _ => {
            eprintln!("SKIPPED: {POSTGRES_URL_VAR} or {REDIS_URL_VAR} not set");
            None
        }
    }
}

/// One test's private part of the shared servers: a PostgreSQL schema and a Redis key prefix.
/// Dropping it removes both (also when the test panicked).
#[derive(Debug)]
pub struct ServerStores {
    /// The server URL as configured (no schema option).
    pub postgres_url: String,
    pub redis_url: String,
    /// Schema holding this test's tables (created empty by [`ServerStores::create`]).
    pub schema: String,
    /// Prefix of every Redis key this test's gateways write.
    pub key_prefix: String,
}

impl ServerStores {
    /// Creates a fresh schema; `None` when the servers are not configured (see
    /// [`server_urls`]).
    pub async fn create() -> Option<ServerStores> {
        let (postgres_url, redis_url) = server_urls()?;
        let stem = unique_stem();
        let stores = ServerStores {
            schema: format!("mfa_flow_{stem}"),
            key_prefix: format!("mfa-flow-{stem}:"),
            postgres_url,
            redis_url,
        };
        let mut connection = sqlx::PgConnection::connect(&stores.postgres_url)
            .await
            .expect("connect to the test PostgreSQL server");
        // The gateway migrates into the first schema of its search path, which must exist.
        connection
            .execute(format!("CREATE SCHEMA {}", stores.schema).as_str())
            .await
            .expect("create the test schema");
        connection.close().await.expect("close");
        Some(stores)
    }

    /// The URL a gateway uses: every table in this test's schema, reached through `via` (a
    /// relay the test can cut) when given. Returns (URL without password, password if any):
    /// the gateway refuses a password inside the URL.
    pub fn gateway_postgres_url(&self, via: Option<SocketAddr>) -> (String, Option<String>) {
        let (url, password) = split_password(&with_address(&self.postgres_url, via));
        let joiner = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{joiner}options=-c%20search_path%3D{}", self.schema);
        (url, password)
    }

    /// The Redis URL a gateway uses, through `via` when given (URL, password if any).
    pub fn gateway_redis_url(&self, via: Option<SocketAddr>) -> (String, Option<String>) {
        split_password(&with_address(&self.redis_url, via))
    }

    /// A direct connection to the test schema, as an operator's `psql` would be.
    pub async fn postgres(&self) -> sqlx::PgConnection {
        let options = std::str::FromStr::from_str(&self.postgres_url)
            .map(|o: sqlx::postgres::PgConnectOptions| {
                o.options([("search_path", self.schema.as_str())])
            })
            .expect("test PostgreSQL URL");
        sqlx::PgConnection::connect_with(&options)
            .await
            .expect("connect to the test schema")
    }

    /// A direct connection to Redis, as `redis-cli` would be.
    pub async fn redis(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.redis_url.as_str())
            .expect("test Redis URL")
            .get_multiplexed_async_connection()
            .await
            .expect("connect to Redis")
    }

    /// Every Redis key under this test's prefix.
    pub async fn redis_keys(&self) -> Vec<String> {
        redis::cmd("KEYS")
            .arg(format!("{}*", self.key_prefix))
            .query_async(&mut self.redis().await)
            .await
            .expect("list Redis keys")
    }

    /// The socket address of the PostgreSQL server (for a relay in front of it).
    pub async fn postgres_addr(&self) -> SocketAddr {
        resolve(&self.postgres_url, 5432).await
    }

    /// The socket address of the Redis server (for a relay in front of it).
    pub async fn redis_addr(&self) -> SocketAddr {
        resolve(&self.redis_url, 6379).await
    }
}

impl Drop for ServerStores {
    fn drop(&mut self) {
        let (postgres_url, redis_url) = (self.postgres_url.clone(), self.redis_url.clone());
        let (schema, prefix) = (self.schema.clone(), self.key_prefix.clone());
        // Drop may run inside (or while unwinding out of) the test's runtime, where blocking on
        // a future is not allowed: clean up on a runtime of its own in another thread.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async {
                if let Err(err) = drop_schema(&postgres_url, &schema).await {
                    eprintln!("could not drop test schema {schema}: {err}");
                }
                if let Err(err) = delete_keys(&redis_url, &prefix).await {
                    eprintln!("could not delete test keys {prefix}*: {err}");
                }
            });
        });
        if cleanup.join().is_err() {
            eprintln!("test store cleanup panicked");
        }
    }
}

/// The gateway config's `storage:` section: SQLite in `dir` + memory without `stores`, else
/// this test's PostgreSQL schema and Redis prefix, reached through the relays when given.
/// Passwords go to files in `dir` (the gateway refuses them inside URLs).
pub fn storage_yaml(
    stores: Option<&ServerStores>,
    dir: &Path,
    postgres_via: Option<SocketAddr>,
    redis_via: Option<SocketAddr>,
) -> String {
    let Some(stores) = stores else {
        return format!(
            "storage:\n  durable:\n    sqlite: {}/mfa.sqlite\n",
            dir.display()
        );
    };
    let password_entry = |name: &str, password: Option<String>| match password {
        Some(password) => {
            let file = dir.join(name);
            std::fs::write(&file, password).expect("password file");
            format!("      password: {{file: {}}}\n", file.display())
        }
        None => String::new(),
    };
    let (pg_url, pg_password) = stores.gateway_postgres_url(postgres_via);
    let (redis_url, redis_password) = stores.gateway_redis_url(redis_via);
    format!(
        "storage:\n  durable:\n    postgres:\n      url: \"{pg_url}\"\n{}  ephemeral:\n    redis:\n      url: \"{redis_url}\"\n      key_prefix: \"{}\"\n{}",
        password_entry("postgres.password", pg_password),
        stores.key_prefix,
        password_entry("redis.password", redis_password),
    )
}

async fn drop_schema(url: &str, schema: &str) -> Result<(), sqlx::Error> {
    let mut connection = sqlx::PgConnection::connect(url).await?;
    connection
        .execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE").as_str())
        .await?;
    connection.close().await
}

async fn delete_keys(url: &str, prefix: &str) -> redis::RedisResult<()> {
    let mut connection = redis::Client::open(url)?
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

/// `<pid>_<n>_<nanos>`: unique across the test processes sharing the servers.
fn unique_stem() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000_000_000);
    format!(
        "{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// (start of the authority, the authority) of `scheme://authority/...`.
fn authority(url: &str) -> (usize, &str) {
    let start = url.find("://").expect("URL with a scheme") + 3;
    let tail = &url[start..];
    let end = tail.find(['/', '?', '#']).unwrap_or(tail.len());
    (start, &tail[..end])
}

/// `url` with its host and port replaced by `via` when given (user, path and query kept).
pub fn with_address(url: &str, via: Option<SocketAddr>) -> String {
    let Some(via) = via else {
        return url.to_string();
    };
    let (start, auth) = authority(url);
    let userinfo = auth
        .rsplit_once('@')
        .map_or(String::new(), |(user, _)| format!("{user}@"));
    format!(
        "{}{userinfo}{via}{}",
        &url[..start],
        &url[start + auth.len()..]
    )
}

/// Moves a password out of `url` (percent-decoded), as the gateway's config requires.
pub fn split_password(url: &str) -> (String, Option<String>) {
    let (start, auth) = authority(url);
    let Some((userinfo, host)) = auth.rsplit_once('@') else {
        return (url.to_string(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_string(), None);
    };
    let password = percent_encoding::percent_decode_str(password)
        .decode_utf8_lossy()
        .into_owned();
    let user = if user.is_empty() {
        String::new()
    } else {
        format!("{user}@")
    };
    let rebuilt = format!(
        "{}{user}{host}{}",
        &url[..start],
        &url[start + auth.len()..]
    );
    (rebuilt, Some(password))
}

/// The socket address `url` names.
async fn resolve(url: &str, default_port: u16) -> SocketAddr {
    let (_, auth) = authority(url);
    let host = auth.rsplit_once('@').map_or(auth, |(_, host)| host);
    let with_port = match host.rsplit_once(':') {
        Some((_, port)) if port.parse::<u16>().is_ok() => host.to_string(),
        _ => format!("{host}:{default_port}"),
    };
    tokio::net::lookup_host(with_port)
        .await
        .expect("resolve the test server")
        .next()
        .expect("an address for the test server")
}
