//! Outages of the server backends: a store pointed at a closed port, a server that goes away
//! or freezes mid-run, a server that kills the store's connection. The store must answer
//! `Unavailable` within a few seconds (the gateway then fails closed) and work again, without
//! being reopened, once the server is back. Outages are caused through a relay on loopback so
//! the shared servers are never stopped.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mfa_gateway::store::crypto::SecretCipher;
use mfa_gateway::store::postgres::PgStore;
use mfa_gateway::store::redis::RedisStore;
use mfa_gateway::store::{DurableStore, EphemeralStore, StoreError, StoreResult};

use crate::harness::key;
use crate::proxy::{server_addr, with_address, Proxy};
use crate::remote::{
    raw_redis, service_url, PostgresBackend, RedisBackend, POSTGRES_URL_VAR, RECOVERY_LIMIT,
    REDIS_URL_VAR,
};

/// The longest a failing call may take: the stores' own deadlines (3 s to connect to
/// PostgreSQL, 5 s per operation; 2 s per Redis call) plus scheduling slack.
const FAIL_FAST: Duration = Duration::from_secs(7);

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address")
}

fn cipher() -> SecretCipher {
    SecretCipher::new(&[key("k1", 1)]).expect("key ring")
}

/// Runs `call`, asserts it fails as unavailable within [`FAIL_FAST`], and returns how long
/// it took.
async fn expect_unavailable<T: std::fmt::Debug>(
    what: &str,
    call: impl Future<Output = StoreResult<T>>,
) -> Duration {
    let started = Instant::now();
    let outcome = tokio::time::timeout(FAIL_FAST * 2, call)
        .await
        .unwrap_or_else(|_| panic!("{what}: still hanging after {:?}", FAIL_FAST * 2));
    let took = started.elapsed();
    match outcome {
        Err(StoreError::Unavailable(message)) => {
            assert!(!message.contains("hunter2"), "{what}: {message}");
            eprintln!("{what}: unavailable after {took:?} ({message})");
        }
        other => panic!("{what}: expected Unavailable, got {other:?}"),
    }
    assert!(took < FAIL_FAST, "{what}: took {took:?}");
    took
}

/// Calls `attempt` until it succeeds (at most [`RECOVERY_LIMIT`]); returns the number of
/// failed attempts before the first success.
async fn until_recovered<F, Fut>(what: &str, attempt: F) -> usize
where
    F: Fn() -> Fut,
    Fut: Future<Output = StoreResult<()>>,
{
    let started = Instant::now();
    let mut failures = 0;
    loop {
        match attempt().await {
            Ok(()) => {
                eprintln!(
                    "{what}: recovered after {:?} and {failures} failed calls",
                    started.elapsed()
                );
                return failures;
            }
            Err(err) if started.elapsed() < RECOVERY_LIMIT => {
                failures += 1;
                eprintln!("{what}: still failing: {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => panic!("{what}: not recovered after {RECOVERY_LIMIT:?}: {err}"),
        }
    }
}

#[tokio::test]
async fn postgres_at_a_closed_port_is_unavailable_quickly() {
    let url = format!("postgres://mfa:hunter2@{}/mfa", closed_port());
    expect_unavailable("PgStore::open", PgStore::open(&url, cipher())).await;
    expect_unavailable(
        "postgres::migrate",
        mfa_gateway::store::postgres::migrate(&url),
    )
    .await;
}

#[tokio::test]
async fn redis_at_a_closed_port_is_unavailable_quickly() {
    let url = format!("redis://:hunter2@{}/0", closed_port());
    expect_unavailable("RedisStore::open", RedisStore::open(&url, "p:")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_fails_closed_and_recovers_through_outages() {
    let Some(url) = service_url(POSTGRES_URL_VAR) else {
        return;
    };
    let mut proxy = Proxy::start(server_addr(&url, 5432).await).await;
    let backend =
        PostgresBackend::new(url.clone()).with_store_url(with_address(&url, proxy.addr()));
    let store = backend.store(&[key("k1", 1)]).await;
    store.record_failure("olga").await.unwrap();

    proxy.cut().await;
    expect_unavailable("PostgreSQL down: member", store.member("olga")).await;
    expect_unavailable(
        "PostgreSQL down: record_failure",
        store.record_failure("olga"),
    )
    .await;
    proxy.restore().await;
    until_recovered("PostgreSQL back", || async {
        store.member("olga").await.map(|_| ())
    })
    .await;
    assert_eq!(
        store
            .member("olga")
            .await
            .unwrap()
            .unwrap()
            .consecutive_failures,
        1,
        "the failed write did not apply"
    );

    proxy.hang().await;
    // Pooled connections go silent and new ones never finish their handshake: the pool's
    // check before lending a connection and the acquire deadline must both give up.
    let took = expect_unavailable("PostgreSQL frozen: bump_epoch", store.bump_epoch("olga")).await;
    assert!(
        took >= Duration::from_secs(2),
        "frozen path not exercised: {took:?}"
    );
    expect_unavailable("PostgreSQL frozen: member", store.member("olga")).await;
    proxy.restore().await;
    until_recovered("PostgreSQL unfrozen", || store.ping()).await;
    assert_eq!(store.bump_epoch("olga").await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replaces_a_connection_the_server_terminated() {
    let Some(url) = service_url(POSTGRES_URL_VAR) else {
        return;
    };
    let proxy = Proxy::start(server_addr(&url, 5432).await).await;
    let backend =
        PostgresBackend::new(url.clone()).with_store_url(with_address(&url, proxy.addr()));
    let store = backend.store(&[key("k1", 1)]).await;
    store.ping().await.unwrap();
    let ports: Vec<i32> = proxy
        .upstream_addrs()
        .iter()
        .map(|addr| i32::from(addr.port()))
        .collect();
    // Terminate exactly the store's server processes (found by the relay's client ports).
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE client_port = ANY($1)",
    )
    .bind(&ports)
    .fetch_all(backend.raw().await)
    .await
    .unwrap();
    assert!(
        killed.iter().any(|done| *done),
        "nothing terminated: {ports:?}"
    );
    // The pool checks a connection before lending it, so no call sees the dead one.
    let failures = until_recovered("PostgreSQL after terminate", || store.ping()).await;
    assert_eq!(failures, 0, "a call failed on a terminated connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_fails_closed_and_recovers_through_outages() {
    let Some(url) = service_url(REDIS_URL_VAR) else {
        return;
    };
    let mut proxy = Proxy::start(server_addr(&url, 6379).await).await;
    let backend = RedisBackend::new(url.clone()).with_store_url(with_address(&url, proxy.addr()));
    let store = backend.store().await;
    store
        .put("held", b"login", RECOVERY_LIMIT * 6)
        .await
        .unwrap();

    proxy.cut().await;
    expect_unavailable("Redis down: take", store.take("held")).await;
    expect_unavailable("Redis down: incr", store.incr("n", RECOVERY_LIMIT)).await;
    proxy.restore().await;
    until_recovered("Redis back", || store.ping()).await;
    assert_eq!(
        store.get("held").await.unwrap().as_deref(),
        Some(&b"login"[..]),
        "nothing was consumed during the outage"
    );

    proxy.hang().await;
    // The open connection goes silent: the call gives up at the 2 s deadline...
    let took = expect_unavailable("Redis frozen: get", store.get("held")).await;
    assert_redis_deadline(took);
    // ...and so does the next one, whose new connection is accepted but never answered.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let took = expect_unavailable("Redis frozen: reconnecting ping", store.ping()).await;
    assert_redis_deadline(took);
    proxy.restore().await;
    until_recovered("Redis unfrozen", || store.ping()).await;
    assert!(store.take_if_eq("held", b"login").await.unwrap());
}

/// A call to a frozen Redis must have waited for (and stopped at) the 2 s deadline.
fn assert_redis_deadline(took: Duration) {
    assert!(
        took >= Duration::from_millis(1_500) && took < Duration::from_secs(3),
        "Redis deadline is 2 s, took {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_reconnects_after_the_server_kills_the_connection() {
    let Some(url) = service_url(REDIS_URL_VAR) else {
        return;
    };
    let proxy = Proxy::start(server_addr(&url, 6379).await).await;
    let backend = RedisBackend::new(url.clone()).with_store_url(with_address(&url, proxy.addr()));
    let store = backend.store().await;
    store.put("k", b"v", RECOVERY_LIMIT * 6).await.unwrap();
    let mut raw = backend.raw().await;
    let mut killed = 0;
    for addr in proxy.upstream_addrs() {
        // Only the store's own connection (found by the relay's client address) is killed.
        let count: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ADDR")
            .arg(addr.to_string())
            .arg("SKIPME")
            .arg("yes")
            .query_async(&mut raw)
            .await
            .unwrap();
        killed += count;
    }
    assert_eq!(killed, 1, "the store uses one multiplexed connection");
    let failures = until_recovered("Redis after CLIENT KILL", || async {
        store
            .get("k")
            .await
            .map(|value| assert_eq!(value.as_deref(), Some(&b"v"[..])))
    })
    .await;
    assert!(failures <= 1, "{failures} calls failed after the kill");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_keys_stay_under_the_prefix_and_are_removed() {
    let Some(url) = service_url(REDIS_URL_VAR) else {
        return;
    };
    let backend = RedisBackend::new(url.clone());
    let store = backend.store().await;
    store.put("a", b"1", RECOVERY_LIMIT).await.unwrap();
    store.incr("b", RECOVERY_LIMIT).await.unwrap();
    let mut keys = backend.keys().await;
    keys.sort();
    assert_eq!(
        keys,
        vec![
            format!("{}a", backend.prefix),
            format!("{}b", backend.prefix)
        ]
    );
    let prefix = backend.prefix.clone();
    drop(backend);
    let mut raw = raw_redis(&url).await;
    let left: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}
