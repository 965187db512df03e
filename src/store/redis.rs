//! [`EphemeralStore`] on Redis, so held logins, codes, attempt counters and resend throttles
//! are shared by every gateway instance.
//!
//! Each trait operation is one atomic Redis command or script, so single use and limits hold
//! across instances: `SET … NX PX` for put-if-absent, `GETDEL` for take (Redis ≥ 6.2), a
//! compare-and-delete script for `take_if_eq`, and an `INCR` script that sets the expiry only
//! on a counter that has none (later increments never extend it, as in the memory store).
//! Counters are stored as decimal text, so `get` returns the same bytes on both backends.
//!
//! Every key is prefixed (by default [`DEFAULT_KEY_PREFIX`]) so the gateway can share a Redis
//! database with other applications, and tests can isolate themselves.

mod client;
mod link;

use std::path::Path;
use std::time::Duration;

use ::redis::aio::MultiplexedConnection;
use ::redis::{Cmd, Script};
use async_trait::async_trait;

use crate::store::{EphemeralStore, StoreError, StoreResult};

pub use client::{client, tls_failure, ClientError};
use link::Link;

/// Key prefix used by the gateway when the configuration names none.
pub const DEFAULT_KEY_PREFIX: &str = "mfa-gateway:";

/// The longest TTL sent to Redis: about a century, the memory store's "forever".
const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Deletes KEYS[1] only if it holds exactly ARGV[1]; returns 1 when deleted. Lua strings are
/// byte strings, so binary values compare exactly.
const TAKE_IF_EQ_LUA: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Increments KEYS[1] and gives it a TTL of ARGV[1] ms only if it has no expiry yet (it was
/// just created), so the window of an attempt counter is fixed by its first increment.
const INCR_LUA: &str = r"
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
";

/// Redis-backed ephemeral store. One multiplexed connection serves all concurrent calls.
pub struct RedisStore {
    link: Link,
    prefix: String,
    take_if_eq_script: Script,
    incr_script: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No URL (it may hold the password) and no values (codes, held sessions).
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://` or `rediss://`) and checks the server answers, failing
    /// with [`StoreError::Unavailable`] within about two seconds if it does not. Every key is
    /// stored as `prefix` + key. After a later outage the store reconnects by itself.
    pub async fn open(url: &str, prefix: &str) -> StoreResult<RedisStore> {
        Self::open_with_ca(url, None, prefix).await
    }

    /// Like [`RedisStore::open`]; a `rediss://` server's certificate is checked against the CAs
    /// in `ca_file` (`storage.ephemeral.redis.ca_file`) instead of the platform's roots.
    pub async fn open_with_ca(
        url: &str,
        ca_file: Option<&Path>,
        prefix: &str,
    ) -> StoreResult<RedisStore> {
        let store = RedisStore {
            link: Link::new(url, ca_file)?,
            prefix: prefix.to_string(),
            take_if_eq_script: Script::new(TAKE_IF_EQ_LUA),
            incr_script: Script::new(INCR_LUA),
        };
        store.ping().await?;
        store.require_getdel().await?;
        Ok(store)
    }

    /// Refuses a server older than Redis 6.2 at start: without `GETDEL` every single-use
    /// `take` would fail later, one member at a time.
    async fn require_getdel(&self) -> StoreResult<()> {
        let mut probe = ::redis::cmd("GETDEL");
        // A key of ours that nothing else uses; deleting it is harmless.
        probe.arg(self.key("\0getdel-probe"));
        match self
            .query::<Option<Vec<u8>>>("checking the Redis version", probe)
            .await
        {
            Ok(_) => Ok(()),
            Err(StoreError::Unavailable(message)) if message.contains("unknown command") => Err(
                StoreError::Unavailable("Redis 6.2 or newer is needed (GETDEL is missing)".into()),
            ),
            Err(err) => Err(err),
        }
    }

    /// The Redis key for a caller's key.
    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Sends one command and converts its answer.
    async fn query<T: ::redis::FromRedisValue>(
        &self,
        context: &'static str,
        command: Cmd,
    ) -> StoreResult<T> {
        self.link
            .call(
                context,
                |mut connection: MultiplexedConnection| async move {
                    command.query_async(&mut connection).await
                },
            )
            .await
    }
}

/// A TTL in whole milliseconds for `PX` / `PEXPIRE`: at least 1 (Redis refuses 0) and at most
/// [`MAX_TTL`].
fn ttl_millis(ttl: Duration) -> u64 {
    let capped = ttl.min(MAX_TTL).as_millis();
    // `MAX_TTL` in milliseconds fits in a u64, so the conversion cannot fail.
    u64::try_from(capped).unwrap_or(u64::MAX).max(1)
}

/// Interprets a `PTTL` answer: -2 = no such key, -1 = no expiry (never written so by this
/// store; reported as [`MAX_TTL`]), otherwise milliseconds left.
fn remaining(pttl: i64) -> Option<Duration> {
    match u64::try_from(pttl) {
        Ok(millis) => Some(Duration::from_millis(millis)),
        Err(_) if pttl == -1 => Some(MAX_TTL),
        Err(_) => None,
    }
}

#[async_trait]
impl EphemeralStore for RedisStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> StoreResult<()> {
        let mut command = ::redis::cmd("SET");
        command
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(ttl_millis(ttl));
        self.query::<()>("storing a value", command).await
    }

    async fn put_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> StoreResult<bool> {
        let mut command = ::redis::cmd("SET");
        command
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ttl_millis(ttl));
        // `OK` when stored, nil when the key already existed.
        let stored: Option<String> = self.query("storing a value if absent", command).await?;
        Ok(stored.is_some())
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut command = ::redis::cmd("GET");
        command.arg(self.key(key));
        self.query("reading a value", command).await
    }

    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut command = ::redis::cmd("GETDEL");
        command.arg(self.key(key));
        self.query("taking a value", command).await
    }

    async fn take_if_eq(&self, key: &str, expected: &[u8]) -> StoreResult<bool> {
        let mut invocation = self.take_if_eq_script.prepare_invoke();
        invocation.key(self.key(key)).arg(expected);
        let deleted: i64 = self
            .link
            .call("taking a matching value", |mut connection| async move {
                invocation.invoke_async(&mut connection).await
            })
            .await?;
        Ok(deleted == 1)
    }

    async fn incr(&self, key: &str, ttl: Duration) -> StoreResult<u64> {
        let mut invocation = self.incr_script.prepare_invoke();
        invocation.key(self.key(key)).arg(ttl_millis(ttl));
        let count: i64 = self
            .link
            .call("counting", |mut connection| async move {
                invocation.invoke_async(&mut connection).await
            })
            .await?;
        u64::try_from(count)
            .map_err(|_| StoreError::Corrupt(format!("counter {key:?} is negative")))
    }

    async fn ttl(&self, key: &str) -> StoreResult<Option<Duration>> {
        let mut command = ::redis::cmd("PTTL");
        command.arg(self.key(key));
        let pttl: i64 = self.query("reading a TTL", command).await?;
        Ok(remaining(pttl))
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let mut command = ::redis::cmd("DEL");
        command.arg(self.key(key));
        self.query::<()>("deleting a value", command).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.query::<()>("ping", ::redis::cmd("PING")).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_are_clamped_for_redis() {
        assert_eq!(ttl_millis(Duration::ZERO), 1);
        assert_eq!(ttl_millis(Duration::from_micros(10)), 1);
        assert_eq!(ttl_millis(Duration::from_millis(1500)), 1500);
        assert_eq!(
            ttl_millis(Duration::MAX),
            u64::try_from(MAX_TTL.as_millis()).unwrap()
        );
    }

    #[test]
    fn pttl_answers_are_interpreted() {
        assert_eq!(remaining(-2), None);
        assert_eq!(remaining(-1), Some(MAX_TTL));
        assert_eq!(remaining(0), Some(Duration::ZERO));
        assert_eq!(remaining(250), Some(Duration::from_millis(250)));
    }

    #[tokio::test]
    async fn an_unreachable_server_fails_as_unavailable() {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let err = RedisStore::open("redis://:hunter2@127.0.0.1:1/", "p:")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
