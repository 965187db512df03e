//! Live-session revocation: a support reset, "forget devices" (both bump the member's epoch)
//! end sessions that are already signed in, not only future logins.
//!
//! Every binding carries the epoch the member had when it was issued. The hot path compares it
//! with the member's current epoch from an in-process cache whose entries live
//! `mfa.revocation_check` (5 s by default): a warm cache costs one hashed lookup and no store
//! round trip, and a change made by another process (the `users` command, another instance)
//! takes effect within that bound. Changes made through this process's admin API evict the
//! entry at once.

use std::time::Duration;

use crate::store::{DurableStore, StoreResult};

/// Members' current epochs, cached for a bounded time.
pub struct EpochCache {
    epochs: moka::future::Cache<String, u64>,
}

impl EpochCache {
    /// Entries are trusted for `staleness` at most; at most `capacity` members are cached
    /// (the least recently used leave first, and are simply read again).
    pub fn new(staleness: Duration, capacity: u64) -> Self {
        EpochCache {
            epochs: moka::future::Cache::builder()
                .time_to_live(staleness)
                .max_capacity(capacity)
                .build(),
        }
    }

    /// True when `epoch` is still `user`'s epoch. A miss reads the member from the store; a
    /// store error is returned, and the caller treats the session as revoked (fail closed).
    pub async fn is_current(
        &self,
        store: &dyn DurableStore,
        user: &str,
        epoch: u64,
    ) -> StoreResult<bool> {
        if let Some(current) = self.epochs.get(user).await {
            return Ok(current == epoch);
        }
        let current = store.member(user).await?.map_or(0, |m| m.epoch);
        self.epochs.insert(user.to_string(), current).await;
        Ok(current == epoch)
    }

    /// Drops the cached epoch of `user` (after this process changed it).
    pub async fn forget(&self, user: &str) {
        self.epochs.invalidate(user).await;
    }
}
