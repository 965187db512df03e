//! One self-healing connection to Redis, with a deadline on every call.
//!
//! A multiplexed connection carries every concurrent command of the gateway. When a command
//! shows that the connection is broken (I/O error, dropped connection, no answer in time) it is
//! discarded and the next call opens a new one, so the gateway recovers by itself when Redis
//! comes back. Unlike a background retry loop, a failed *connection attempt* (refused, timed
//! out, or refused by the server with `LOADING` / `WRONGPASS`) is never remembered as final:
//! after a short pause the next call simply tries again.
//!
//! Every call, connecting included, must finish within [`CALL_TIMEOUT`]; otherwise it fails as
//! [`StoreError::Unavailable`] and the gateway fails closed instead of hanging.

use std::future::Future;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use ::redis::aio::MultiplexedConnection;
use ::redis::{AsyncConnectionConfig, Client, ErrorKind, RedisError, RedisResult};

use super::client::{client as build_client, tls_failure};
use crate::store::{StoreError, StoreResult};

/// Deadline for one whole call (connecting if needed, sending, reading the answer).
pub(super) const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// After a failed connection attempt, calls fail at once for this long instead of each trying
/// again: during an outage, thousands of requests must not become thousands of connects.
const RECONNECT_PAUSE: Duration = Duration::from_millis(250);

/// The live connection and the number that identifies it, so a failure reported by a call on
/// an old connection does not discard a newer one.
struct Current {
    generation: u64,
    connection: MultiplexedConnection,
}

/// Connection state guarded by the connect lock.
#[derive(Default)]
struct Attempts {
    generation: u64,
    last_failure: Option<Instant>,
}

/// A reconnecting connection to one Redis server.
pub(super) struct Link {
    client: Client,
    config: AsyncConnectionConfig,
    current: Mutex<Option<Current>>,
    /// Held while connecting, so concurrent callers wait for one attempt instead of racing.
    attempts: tokio::sync::Mutex<Attempts>,
}

impl Link {
    /// Parses `url` (and reads the CA bundle `ca_file`) without connecting. The parser's
    /// message is not passed on: it may quote the URL, which may hold the password.
    pub(super) fn new(url: &str, ca_file: Option<&Path>) -> StoreResult<Link> {
        let client =
            build_client(url, ca_file).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT));
        Ok(Link {
            client,
            config,
            current: Mutex::new(None),
            attempts: tokio::sync::Mutex::new(Attempts::default()),
        })
    }

    /// Runs `command` on the connection within [`CALL_TIMEOUT`]. `context` says what was being
    /// done, for the error message.
    pub(super) async fn call<T, F, Fut>(&self, context: &'static str, command: F) -> StoreResult<T>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let deadline = tokio::time::Instant::now() + CALL_TIMEOUT;
        let (generation, connection) =
            match tokio::time::timeout_at(deadline, self.connection(context)).await {
                Ok(connected) => connected?,
                Err(_) => return Err(timed_out(context)),
            };
        match tokio::time::timeout_at(deadline, command(connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => {
                if breaks_connection(&err) {
                    self.discard(generation);
                }
                Err(classify(context, &err))
            }
            Err(_) => {
                // No answer in time: the connection may be half-open; start afresh next call.
                self.discard(generation);
                Err(timed_out(context))
            }
        }
    }

    /// The live connection, opening one if there is none.
    async fn connection(&self, context: &'static str) -> StoreResult<(u64, MultiplexedConnection)> {
        if let Some(found) = self.live() {
            return Ok(found);
        }
        let mut attempts = self.attempts.lock().await;
        // Another caller may have connected while this one waited for the lock.
        if let Some(found) = self.live() {
            return Ok(found);
        }
        if attempts
            .last_failure
            .is_some_and(|at| at.elapsed() < RECONNECT_PAUSE)
        {
            return Err(StoreError::Unavailable(format!(
                "{context}: not connected to Redis; the last attempt failed moments ago"
            )));
        }
        match self
            .client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await
        {
            Ok(connection) => {
                attempts.generation += 1;
                attempts.last_failure = None;
                *self.lock_current() = Some(Current {
                    generation: attempts.generation,
                    connection: connection.clone(),
                });
                Ok((attempts.generation, connection))
            }
            Err(err) => {
                attempts.last_failure = Some(Instant::now());
                Err(unavailable(context, &err))
            }
        }
    }

    /// A clone of the live connection, if any (clones share one socket).
    fn live(&self) -> Option<(u64, MultiplexedConnection)> {
        self.lock_current()
            .as_ref()
            .map(|current| (current.generation, current.connection.clone()))
    }

    /// Forgets connection `generation` if it is still the live one.
    fn discard(&self, generation: u64) {
        let mut current = self.lock_current();
        if current
            .as_ref()
            .is_some_and(|live| live.generation == generation)
        {
            *current = None;
        }
    }

    fn lock_current(&self) -> std::sync::MutexGuard<'_, Option<Current>> {
        // The guarded value is replaced whole, never left half-written, so a panic elsewhere
        // while it was held cannot have corrupted it.
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether `err` means the connection itself is unusable (as opposed to a command error such
/// as a wrong type, after which the connection is fine).
fn breaks_connection(err: &RedisError) -> bool {
    err.is_io_error()
        || err.is_connection_dropped()
        || err.is_timeout()
        || err.is_unrecoverable_error()
}

/// Maps a command error: a counter holding something else is corrupt data; anything else
/// means the store cannot serve the request.
fn classify(context: &'static str, err: &RedisError) -> StoreError {
    let wrong_data = err.code() == Some("WRONGTYPE")
        || err
            .detail()
            .is_some_and(|detail| detail.contains("not an integer"));
    if wrong_data {
        StoreError::Corrupt(format!("{context}: {}", describe(err)))
    } else {
        unavailable(context, err)
    }
}

fn unavailable(context: &'static str, err: &RedisError) -> StoreError {
    StoreError::Unavailable(format!("{context}: {}", describe(err)))
}

fn timed_out(context: &'static str) -> StoreError {
    StoreError::Unavailable(format!(
        "{context}: no answer from Redis within {} s",
        CALL_TIMEOUT.as_secs()
    ))
}

/// A description of a Redis error that never holds the URL or the password: I/O errors are
/// reduced to their kind, server errors to their code (`NOAUTH`, `LOADING`, `READONLY`...)
/// and the server's short explanation (Redis never echoes credentials in it).
fn describe(err: &RedisError) -> String {
    if err.is_timeout() {
        return "timed out".into();
    }
    if err.is_connection_refusal() {
        return "connection refused".into();
    }
    if err.is_connection_dropped() {
        return "connection lost".into();
    }
    if let Some(tls) = tls_failure(err) {
        return tls;
    }
    match err.kind() {
        ErrorKind::Io => "connection problem".into(),
        ErrorKind::AuthenticationFailed => "authentication failed".into(),
        ErrorKind::Server(_) => {
            let code = err.code().unwrap_or("ERR");
            match err.detail() {
                Some(detail) => format!("Redis answered {code}: {}", shorten(detail)),
                None => format!("Redis answered {code}"),
            }
        }
        ErrorKind::UnexpectedReturnType | ErrorKind::Parse => "unexpected answer from Redis".into(),
        ErrorKind::InvalidClientConfig => "invalid Redis configuration".into(),
        _ => "Redis client error".into(),
    }
}

/// Bounds a server-supplied message so a log line stays a line.
fn shorten(text: &str) -> String {
    const LIMIT: usize = 160;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_urls_are_not_echoed() {
        for url in ["http://:hunter2@x", "redis://:hunter2@[bad"] {
            match Link::new(url, None) {
                Err(err) => assert!(!err.to_string().contains("hunter2"), "{err}"),
                Ok(_) => panic!("{url} accepted"),
            }
        }
    }

    #[test]
    fn wrong_data_is_corrupt_and_the_rest_unavailable() {
        let not_integer = RedisError::from((
            ErrorKind::Server(::redis::ServerErrorKind::ResponseError),
            "An error was signalled by the server",
            "value is not an integer or out of range".to_string(),
        ));
        assert!(matches!(
            classify("counting", &not_integer),
            StoreError::Corrupt(_)
        ));
        assert!(!breaks_connection(&not_integer));
        let dropped = RedisError::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(matches!(
            classify("counting", &dropped),
            StoreError::Unavailable(_)
        ));
        assert!(breaks_connection(&dropped));
    }

    #[test]
    fn long_messages_are_shortened() {
        assert_eq!(shorten("short"), "short");
        let long = "é".repeat(500);
        assert_eq!(shorten(&long).chars().count(), 161);
    }
}
