//! Store decorators that time every call into `mfa_gateway_store_seconds{store, operation}`
//! and count failures into `mfa_gateway_store_errors_total{store}`.
//!
//! They wrap whatever backend the config chose, so latency is measured the same way for
//! SQLite, PostgreSQL, memory and Redis, and the backends stay free of metrics code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::metrics::{observe_store, StoreKind};
use crate::store::{
    DurableStore, Enrollment, EphemeralStore, MemberRecord, ResealSummary, StoreResult,
};

/// Runs `call`, recording its duration and outcome under `store` / `operation`.
async fn timed<T>(
    store: StoreKind,
    operation: &'static str,
    call: impl std::future::Future<Output = StoreResult<T>>,
) -> StoreResult<T> {
    let started = Instant::now();
    let result = call.await;
    observe_store(store, operation, started.elapsed(), result.is_err());
    result
}

/// A [`DurableStore`] that times each call of the store it wraps.
pub struct TimedDurable {
    inner: Arc<dyn DurableStore>,
}

impl TimedDurable {
    /// Wraps `inner`.
    pub fn wrap(inner: Arc<dyn DurableStore>) -> Arc<dyn DurableStore> {
        Arc::new(TimedDurable { inner })
    }
}

#[async_trait]
impl DurableStore for TimedDurable {
    async fn member(&self, login: &str) -> StoreResult<Option<MemberRecord>> {
        timed(StoreKind::Durable, "member", self.inner.member(login)).await
    }

    async fn save_enrollment(
        &self,
        login: &str,
        enrollment: &Enrollment,
        last_totp_step: Option<u64>,
    ) -> StoreResult<()> {
        let call = self
            .inner
            .save_enrollment(login, enrollment, last_totp_step);
        timed(StoreKind::Durable, "save_enrollment", call).await
    }

    async fn advance_totp_step(&self, login: &str, step: u64) -> StoreResult<bool> {
        let call = self.inner.advance_totp_step(login, step);
        timed(StoreKind::Durable, "advance_totp_step", call).await
    }

    async fn record_failure(&self, login: &str) -> StoreResult<u32> {
        timed(
            StoreKind::Durable,
            "record_failure",
            self.inner.record_failure(login),
        )
        .await
    }

    async fn lock_until(&self, login: &str, until: i64) -> StoreResult<()> {
        timed(
            StoreKind::Durable,
            "lock_until",
            self.inner.lock_until(login, until),
        )
        .await
    }

    async fn record_success(&self, login: &str, now: i64) -> StoreResult<()> {
        let call = self.inner.record_success(login, now);
        timed(StoreKind::Durable, "record_success", call).await
    }

    async fn reset(&self, login: &str) -> StoreResult<u64> {
        timed(StoreKind::Durable, "reset", self.inner.reset(login)).await
    }

    async fn bump_epoch(&self, login: &str) -> StoreResult<u64> {
        timed(
            StoreKind::Durable,
            "bump_epoch",
            self.inner.bump_epoch(login),
        )
        .await
    }

    async fn unlock(&self, login: &str) -> StoreResult<()> {
        timed(StoreKind::Durable, "unlock", self.inner.unlock(login)).await
    }

    async fn reseal_secrets(&self) -> StoreResult<ResealSummary> {
        timed(
            StoreKind::Durable,
            "reseal_secrets",
            self.inner.reseal_secrets(),
        )
        .await
    }

    async fn ping(&self) -> StoreResult<()> {
        timed(StoreKind::Durable, "ping", self.inner.ping()).await
    }

    async fn rekey_logins(
        &self,
        canon: crate::store::Canonicalize<'_>,
    ) -> StoreResult<crate::store::RekeySummary> {
        timed(
            StoreKind::Durable,
            "rekey_logins",
            self.inner.rekey_logins(canon),
        )
        .await
    }
}

/// An [`EphemeralStore`] that times each call of the store it wraps.
pub struct TimedEphemeral {
    inner: Arc<dyn EphemeralStore>,
}

impl TimedEphemeral {
    /// Wraps `inner`.
    pub fn wrap(inner: Arc<dyn EphemeralStore>) -> Arc<dyn EphemeralStore> {
        Arc::new(TimedEphemeral { inner })
    }
}

#[async_trait]
impl EphemeralStore for TimedEphemeral {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> StoreResult<()> {
        timed(StoreKind::Ephemeral, "put", self.inner.put(key, value, ttl)).await
    }

    async fn put_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> StoreResult<bool> {
        let call = self.inner.put_if_absent(key, value, ttl);
        timed(StoreKind::Ephemeral, "put_if_absent", call).await
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        timed(StoreKind::Ephemeral, "get", self.inner.get(key)).await
    }

    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        timed(StoreKind::Ephemeral, "take", self.inner.take(key)).await
    }

    async fn take_if_eq(&self, key: &str, expected: &[u8]) -> StoreResult<bool> {
        let call = self.inner.take_if_eq(key, expected);
        timed(StoreKind::Ephemeral, "take_if_eq", call).await
    }

    async fn incr(&self, key: &str, ttl: Duration) -> StoreResult<u64> {
        timed(StoreKind::Ephemeral, "incr", self.inner.incr(key, ttl)).await
    }

    async fn ttl(&self, key: &str) -> StoreResult<Option<Duration>> {
        timed(StoreKind::Ephemeral, "ttl", self.inner.ttl(key)).await
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        timed(StoreKind::Ephemeral, "delete", self.inner.delete(key)).await
    }

    async fn ping(&self) -> StoreResult<()> {
        timed(StoreKind::Ephemeral, "ping", self.inner.ping()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    #[tokio::test]
    async fn calls_pass_through_and_are_timed() {
        let store = TimedEphemeral::wrap(Arc::new(MemoryStore::new(100)));
        store.put("k", b"v", Duration::from_secs(60)).await.unwrap();
        assert_eq!(store.take("k").await.unwrap().as_deref(), Some(&b"v"[..]));
        assert_eq!(store.get("k").await.unwrap(), None);
        let text = super::super::metrics::render().unwrap();
        assert!(
            text.contains(
                "mfa_gateway_store_seconds_count{operation=\"take\",store=\"ephemeral\"}"
            ),
            "{text}"
        );
    }
}
