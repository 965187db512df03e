//! PostgreSQL schema migrations: applied once when many gateways start together, refused when
//! the database is newer than the gateway, and runnable on their own (`migrate`).

use std::collections::BTreeSet;

use mfa_gateway::store::postgres::{migrate, PgStore};
use mfa_gateway::store::{DurableStore, StoreError};
use sqlx::Executor as _;

use crate::harness::{key, race};
use crate::remote::{service_url, PostgresBackend, POSTGRES_URL_VAR};

async fn versions(backend: &PostgresBackend) -> Vec<i64> {
    sqlx::query_scalar("SELECT version FROM schema_version ORDER BY version")
        .fetch_all(backend.raw().await)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateways_starting_together_migrate_once() {
    let Some(url) = service_url(POSTGRES_URL_VAR) else {
        return;
    };
    let backend = std::sync::Arc::new(PostgresBackend::new(url));
    // Eight gateways open the same brand-new schema at once; all must start.
    let epochs = race(8, |i| {
        let backend = backend.clone();
        async move {
            let store = backend.store(&[key("k1", 1)]).await;
            store.bump_epoch(&format!("m{i}")).await.unwrap()
        }
    })
    .await;
    assert_eq!(epochs, vec![1; 8]);
    assert_eq!(versions(&backend).await, vec![1]);
    let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members")
        .fetch_one(backend.raw().await)
        .await
        .unwrap();
    assert_eq!(members, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_database_is_refused() {
    let Some(url) = service_url(POSTGRES_URL_VAR) else {
        return;
    };
    let backend = PostgresBackend::new(url);
    drop(backend.store(&[key("k1", 1)]).await);
    let newest = versions(&backend).await.into_iter().max().unwrap();
    sqlx::query("INSERT INTO schema_version (version, applied_at) VALUES ($1, 0)")
        .bind(newest + 1)
        .execute(backend.raw().await)
        .await
        .unwrap();
    let cipher = mfa_gateway::store::crypto::SecretCipher::new(&[key("k1", 1)]).unwrap();
    match PgStore::open_with_schema(&backend.url, &backend.schema, cipher).await {
        Err(StoreError::Unavailable(message)) => assert!(message.contains("newer"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_alone_prepares_the_schema_named_by_the_url() {
    let Some(url) = service_url(POSTGRES_URL_VAR) else {
        return;
    };
    let backend = PostgresBackend::new(url.clone());
    // `migrate` uses the server's search path; point it at this case's schema via the URL.
    backend
        .raw()
        .await
        .execute(format!("CREATE SCHEMA {}", backend.schema).as_str())
        .await
        .unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    let scoped = format!(
        "{url}{separator}options=-c%20search_path%3D{}",
        backend.schema
    );
    migrate(&scoped).await.unwrap();
    migrate(&scoped).await.unwrap();
    assert_eq!(versions(&backend).await, vec![1]);
    let tables: BTreeSet<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
    )
    .bind(&backend.schema)
    .fetch_all(backend.raw().await)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(
        tables,
        BTreeSet::from(["members".to_string(), "schema_version".to_string()])
    );
    let cipher = mfa_gateway::store::crypto::SecretCipher::new(&[key("k1", 1)]).unwrap();
    let store = PgStore::open_with_schema(&backend.url, &backend.schema, cipher)
        .await
        .unwrap();
    store.ping().await.unwrap();
}
