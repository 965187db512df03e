//! Cross-instance revocation over Redis pub/sub: a support reset or "forget devices" made by
//! any process ends the member's live sessions on every gateway within about a second, instead
//! of within `mfa.revocation_check`.
//!
//! When the ephemeral store is Redis, every gateway keeps one dedicated pub/sub connection
//! subscribed to `<key prefix>epochs` ([`channel_name`]). Whoever changes a member's epoch (the
//! admin API of any instance, the `users` command) publishes the member's login there
//! ([`announce`]); every subscribed gateway then drops that member's cached epoch, so its next
//! request reads the new epoch from the durable store.
//!
//! Pub/sub delivers each message at most once, and only to connected subscribers. The
//! subscriber therefore reconnects with backoff when its connection ends or stops answering
//! pings, and clears the whole cache every time it is subscribed again: announcements made
//! while it was away are lost, so nothing cached before may be trusted. While it is
//! disconnected the cache's TTL (`mfa.revocation_check`) still bounds how long a revoked session
//! keeps working; a failed publish is no worse. The announcement only shortens that bound.

use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use redis::{AsyncConnectionConfig, Client, Msg, RedisError};

use super::EpochCache;
use crate::config::{EphemeralStore, StorageConfig};
use crate::store::redis::{client, tls_failure, ClientError};

/// Deadline for connecting and subscribing, for one publish, and for the answer to a ping.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// How often the subscriber pings Redis, so a server that froze (no FIN, no answer) is noticed
/// within `PING_EVERY + CALL_TIMEOUT` rather than never.
const PING_EVERY: Duration = Duration::from_secs(5);

/// First pause before reconnecting; it doubles after each failed attempt up to [`LAST_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(250);

/// Longest pause between reconnection attempts.
const LAST_RETRY: Duration = Duration::from_secs(5);

/// Why an announcement could not be sent or the channel could not be (or stay) subscribed.
/// Messages never quote the URL, which may hold the password.
#[derive(Debug, thiserror::Error)]
pub enum BroadcastError {
    /// The URL does not parse, or the CA bundle cannot be used.
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("{0}: no answer from Redis within {secs} s", secs = CALL_TIMEOUT.as_secs())]
    TimedOut(&'static str),
    #[error("{0}: {1}")]
    Redis(&'static str, String),
    #[error("the subscription ended (connection closed)")]
    Closed,
}

/// The channel every gateway sharing the key prefix `prefix` listens on.
pub fn channel_name(prefix: &str) -> String {
    format!("{prefix}epochs")
}

/// The Redis server and channel that carry epoch announcements for one configuration.
pub struct EpochChannel {
    client: Client,
    name: String,
}

impl std::fmt::Debug for EpochChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No URL: it may hold the password.
        f.debug_struct("EpochChannel")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl EpochChannel {
    /// The channel of `storage`, or `None` when the ephemeral store is not Redis (a single
    /// process then, or instances that rely on the TTL alone). Parses the URL and reads the
    /// CA bundle (the same trust as the store's own connection), connects to nothing.
    pub fn of(storage: &StorageConfig) -> Result<Option<EpochChannel>, BroadcastError> {
        let EphemeralStore::Redis { url, ca_file } = &storage.ephemeral else {
            return Ok(None);
        };
        let client = client(url, ca_file.as_deref())?;
        Ok(Some(EpochChannel {
            client,
            name: channel_name(&storage.redis_key_prefix),
        }))
    }

    /// Publishes `login` on a short connection of its own (support actions are rare) and
    /// returns how many gateways received it.
    pub async fn publish(&self, login: &str) -> Result<u64, BroadcastError> {
        let send = async {
            let config = AsyncConnectionConfig::new()
                .set_connection_timeout(Some(CALL_TIMEOUT))
                .set_response_timeout(Some(CALL_TIMEOUT));
            let mut connection = self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            redis::cmd("PUBLISH")
                .arg(&self.name)
                .arg(login)
                .query_async::<u64>(&mut connection)
                .await
        };
        within("publishing a revocation", send).await
    }

    /// Starts the subscriber on the current tokio runtime: it evicts announced members from
    /// `cache` until the runtime ends, reconnecting by itself after an outage.
    pub fn spawn_subscriber(self, cache: EpochCache) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.subscribe_forever(cache))
    }

    /// Subscribes, listens until the connection fails, and starts again after a pause that
    /// grows while Redis stays away. Every new subscription clears `cache`.
    async fn subscribe_forever(self, cache: EpochCache) {
        let mut retry = FIRST_RETRY;
        let mut failures: u32 = 0;
        loop {
            match self.subscribe().await {
                Ok((sink, stream)) => {
                    // Announcements may have been missed while not subscribed.
                    cache.forget_all();
                    tracing::info!(event = "epoch_channel_subscribed", channel = %self.name);
                    retry = FIRST_RETRY;
                    failures = 0;
                    let ended = listen(sink, stream, &cache).await;
                    tracing::warn!(
                        event = "epoch_channel_lost",
                        channel = %self.name,
                        error = %ended,
                        "revocations by other processes take up to mfa.revocation_check until Redis is back"
                    );
                }
                Err(err) => {
                    failures = failures.saturating_add(1);
                    report_failure(&self.name, &err, failures, retry);
                }
            }
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(LAST_RETRY);
        }
    }

    /// Opens a dedicated pub/sub connection subscribed to the channel.
    async fn subscribe(&self) -> Result<(PubSubSink, PubSubStream), BroadcastError> {
        let connect = async {
            let mut pubsub = self.client.get_async_pubsub().await?;
            pubsub.subscribe(&self.name).await?;
            Ok(pubsub.split())
        };
        within("subscribing to revocations", connect).await
    }
}

/// Publishes `login` when `storage` uses Redis; `Ok(false)` when it does not (nothing to do).
pub async fn announce(storage: &StorageConfig, login: &str) -> Result<bool, BroadcastError> {
    match EpochChannel::of(storage)? {
        Some(channel) => channel.publish(login).await.map(|_| true),
        None => Ok(false),
    }
}

/// Hands each message to the cache and pings between them; returns why the subscription
/// ended.
async fn listen(
    mut sink: PubSubSink,
    mut stream: PubSubStream,
    cache: &EpochCache,
) -> BroadcastError {
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(message) => evict(cache, &message).await,
                None => return BroadcastError::Closed,
            },
            _ = pings.tick() => {
                if let Err(err) = within("pinging", sink.ping::<redis::Value>()).await {
                    return err;
                }
            }
        }
    }
}

/// Drops the announced member's epoch; a payload that is not a login (not UTF-8) drops them
/// all, which is always safe.
async fn evict(cache: &EpochCache, message: &Msg) {
    match std::str::from_utf8(message.get_payload_bytes()) {
        Ok(login) => {
            tracing::debug!(event = "epoch_announced", user = %login);
            cache.forget(login).await;
        }
        Err(_) => cache.forget_all(),
    }
}

/// Logs a failed (re)subscription: a warning the first time, then quietly while the outage
/// lasts (the gateway's own store calls already report it).
fn report_failure(channel: &str, err: &BroadcastError, failures: u32, retry: Duration) {
    let retry_ms = u64::try_from(retry.as_millis()).unwrap_or(u64::MAX);
    if failures == 1 {
        tracing::warn!(
            event = "epoch_channel_unavailable",
            channel,
            error = %err,
            retry_ms,
            "revocations by other processes take up to mfa.revocation_check until Redis is back"
        );
    } else {
        tracing::debug!(event = "epoch_channel_unavailable", channel, error = %err, retry_ms);
    }
}

/// Runs `call` within [`CALL_TIMEOUT`], converting its error.
async fn within<T>(
    context: &'static str,
    call: impl std::future::Future<Output = Result<T, RedisError>>,
) -> Result<T, BroadcastError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(BroadcastError::Redis(context, describe(&err))),
        Err(_) => Err(BroadcastError::TimedOut(context)),
    }
}

/// A description of a Redis error without the URL or password: the kind of failure, or the
/// server's error code.
fn describe(err: &RedisError) -> String {
    if err.is_timeout() {
        "timed out".into()
    } else if err.is_connection_refusal() {
        "connection refused".into()
    } else if err.is_connection_dropped() {
        "connection lost".into()
    } else if let Some(tls) = tls_failure(err) {
        tls
    } else if err.is_io_error() {
        "connection problem".into()
    } else if let Some(code) = err.code() {
        format!("Redis answered {code}")
    } else {
        "Redis client error".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DurableStore;

    fn storage(ephemeral: EphemeralStore) -> StorageConfig {
        StorageConfig {
            durable: DurableStore::Sqlite {
                path: "unused.db".into(),
            },
            ephemeral,
            redis_key_prefix: "gw:".into(),
        }
    }

    #[test]
    fn the_channel_is_named_from_the_key_prefix() {
        assert_eq!(channel_name("mfa-gateway:"), "mfa-gateway:epochs");
        let redis = storage(EphemeralStore::Redis {
            url: "redis://127.0.0.1:6379".into(),
            ca_file: None,
        });
        let channel = EpochChannel::of(&redis).unwrap().expect("redis configured");
        assert_eq!(channel.name, "gw:epochs");
    }

    #[tokio::test]
    async fn without_redis_nothing_is_announced() {
        let memory = storage(EphemeralStore::Memory);
        assert!(EpochChannel::of(&memory).unwrap().is_none());
        assert!(!announce(&memory, "jdoe").await.unwrap());
    }

    #[tokio::test]
    async fn an_unreachable_server_fails_without_echoing_the_password() {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let unreachable = storage(EphemeralStore::Redis {
            url: "redis://:hunter2@127.0.0.1:1/".into(),
            ca_file: None,
        });
        let err = announce(&unreachable, "jdoe").await.unwrap_err();
        assert!(matches!(err, BroadcastError::Redis(..)), "{err:?}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let invalid = storage(EphemeralStore::Redis {
            url: "redis://:hunter2@[bad".into(),
            ca_file: None,
        });
        let err = EpochChannel::of(&invalid).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
