//! Live-session revocation: a support reset, "forget devices" (both bump the member's epoch)
//! end sessions that are already signed in, not only future logins.
//!
//! Every binding carries the epoch the member had when it was issued. The hot path compares it
//! with the member's current epoch from an in-process cache whose entries live
//! `mfa.revocation_check` (5 s by default): a warm cache costs one hashed lookup and no store
//! round trip, and a change made by another process (the `users` command, another instance)
//! takes effect within that bound. Changes made through this process's admin API evict the
//! entry at once; with a Redis ephemeral store, changes made anywhere are announced to every
//! instance over pub/sub ([`broadcast`]) and evict their entries within about a second.

pub mod broadcast;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::store::{DurableStore, StoreResult};

/// Members' current epochs, cached for a bounded time. Clones share one cache (the pub/sub
/// subscriber holds one).
#[derive(Clone)]
pub struct EpochCache {
    epochs: moka::future::Cache<String, u64>,
    /// Counts evictions ([`EpochCache::forget`], [`EpochCache::forget_all`]), so a miss whose
    /// store read raced with one does not keep the epoch it read, which may predate the change.
    evictions: Arc<AtomicU64>,
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
            evictions: Arc::new(AtomicU64::new(0)),
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
        // Epochs only grow. A binding newer than the cached epoch was issued after a change
        // this cache has not seen yet (a member re-enrolled after a reset made elsewhere):
        // the cached value is stale, so the store is asked rather than the binding refused.
        match self.epochs.get(user).await {
            Some(current) if current >= epoch => return Ok(current == epoch),
            _ => {}
        }
        let evictions = self.evictions.load(Ordering::SeqCst);
        let current = store.member(user).await?.map_or(0, |m| m.epoch);
        self.epochs.insert(user.to_string(), current).await;
        if self.evictions.load(Ordering::SeqCst) != evictions {
            // An eviction ran while the store was read: the value may be older than the change
            // it announced, so it is not kept (the next request reads the store again).
            self.epochs.invalidate(user).await;
        }
        Ok(current == epoch)
    }

    /// Drops the cached epoch of `user` (after this process changed it, or another process
    /// announced a change).
    pub async fn forget(&self, user: &str) {
        self.evictions.fetch_add(1, Ordering::SeqCst);
        self.epochs.invalidate(user).await;
    }

    /// Drops every cached epoch (after announcements may have been missed, e.g. when the
    /// pub/sub connection comes back after an outage). Entries inserted later are kept.
    pub fn forget_all(&self) {
        self.evictions.fetch_add(1, Ordering::SeqCst);
        self.epochs.invalidate_all();
    }
}
