//! In-process [`EphemeralStore`] on a moka cache, for a single gateway instance.
//!
//! Every entry carries its own deadline; moka's [`Expiry`] evicts it then, and every read checks
//! the deadline again so a value is never returned late even if moka has not evicted it yet.
//! Every write goes through `entry().and_compute_with`, which moka serialises per key, so
//! single-use and counting operations are atomic against each other and against `put`.
//!
//! Capacity is bounded (a flood of held logins cannot exhaust memory). When full, moka evicts
//! entries early; with the default of a million entries that only happens under attack, and an
//! evicted code or held login merely fails closed (the member asks for a new code).

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::future::Cache;
use moka::ops::compute::{CompResult, Op};
use moka::Expiry;

use crate::store::{EphemeralStore, StoreError, StoreResult};

/// Default bound on the number of live entries.
pub const DEFAULT_MAX_ENTRIES: u64 = 1_000_000;

/// A stored value and the instant it stops existing.
#[derive(Debug)]
struct Slot {
    value: Vec<u8>,
    deadline: Instant,
}

impl Slot {
    /// Whether the slot is still live at `now`.
    fn is_live(&self, now: Instant) -> bool {
        now < self.deadline
    }
}

/// Tells moka to evict each slot at its own deadline, also after an update (an `incr` keeps
/// the original deadline because the new slot copies it).
struct DeadlineExpiry;

impl Expiry<String, Arc<Slot>> for DeadlineExpiry {
    fn expire_after_create(
        &self,
        _key: &String,
        slot: &Arc<Slot>,
        created_at: Instant,
    ) -> Option<Duration> {
        Some(slot.deadline.saturating_duration_since(created_at))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        slot: &Arc<Slot>,
        updated_at: Instant,
        _remaining: Option<Duration>,
    ) -> Option<Duration> {
        Some(slot.deadline.saturating_duration_since(updated_at))
    }
}

/// Moka-backed ephemeral store.
#[derive(Clone)]
pub struct MemoryStore {
    cache: Cache<String, Arc<Slot>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values are codes and held sessions: never print them.
        f.debug_struct("MemoryStore")
            .field("entries", &self.cache.entry_count())
            .finish()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(DEFAULT_MAX_ENTRIES)
    }
}

impl MemoryStore {
    /// A store holding at most `max_entries` live entries.
    pub fn new(max_entries: u64) -> Self {
        let cache = Cache::builder()
            .max_capacity(max_entries)
            .expire_after(DeadlineExpiry)
            .build();
        MemoryStore { cache }
    }

    /// Deadline for a value stored now with `ttl`; an absurd TTL is capped rather than
    /// overflowing the clock (about a century is "forever" for ephemeral state).
    fn deadline(ttl: Duration) -> Instant {
        let now = Instant::now();
        now.checked_add(ttl)
            .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
            .unwrap_or(now)
    }

    /// The live slot under `key`, if any.
    async fn live(&self, key: &str) -> Option<Arc<Slot>> {
        self.cache
            .get(key)
            .await
            .filter(|slot| slot.is_live(Instant::now()))
    }
}

/// Parses a counter stored as ASCII decimal (the representation Redis uses too, so both
/// backends agree on what `get` returns for a counter).
fn parse_counter(value: &[u8]) -> StoreResult<u64> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .ok_or_else(|| StoreError::Corrupt("counter key holds a non-numeric value".into()))
}

#[async_trait]
impl EphemeralStore for MemoryStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> StoreResult<()> {
        let slot = Arc::new(Slot {
            value: value.to_vec(),
            deadline: Self::deadline(ttl),
        });
        self.cache
            .entry_by_ref(key)
            .and_compute_with(|_| std::future::ready(Op::Put(slot)))
            .await;
        Ok(())
    }

    async fn put_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> StoreResult<bool> {
        let slot = Arc::new(Slot {
            value: value.to_vec(),
            deadline: Self::deadline(ttl),
        });
        let result = self
            .cache
            .entry_by_ref(key)
            .and_compute_with(|existing| {
                let occupied = existing.is_some_and(|e| e.value().is_live(Instant::now()));
                std::future::ready(if occupied { Op::Nop } else { Op::Put(slot) })
            })
            .await;
        Ok(matches!(
            result,
            CompResult::Inserted(_) | CompResult::ReplacedWith(_)
        ))
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.live(key).await.map(|slot| slot.value.clone()))
    }

    async fn take(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let result = self
            .cache
            .entry_by_ref(key)
            .and_compute_with(|existing| {
                std::future::ready(if existing.is_some() {
                    Op::Remove
                } else {
                    Op::Nop
                })
            })
            .await;
        Ok(match result {
            CompResult::Removed(entry) if entry.value().is_live(Instant::now()) => {
                Some(entry.value().value.clone())
            }
            _ => None,
        })
    }

    async fn take_if_eq(&self, key: &str, expected: &[u8]) -> StoreResult<bool> {
        let result = self
            .cache
            .entry_by_ref(key)
            .and_compute_with(|existing| {
                let matches = existing.is_some_and(|e| {
                    let slot = e.value();
                    slot.is_live(Instant::now()) && slot.value == expected
                });
                std::future::ready(if matches { Op::Remove } else { Op::Nop })
            })
            .await;
        Ok(matches!(result, CompResult::Removed(_)))
    }

    async fn incr(&self, key: &str, ttl: Duration) -> StoreResult<u64> {
        // The closure cannot return an error through moka, so it reports one on the side.
        let mut failure: Option<StoreError> = None;
        let result = self
            .cache
            .entry_by_ref(key)
            .and_compute_with(|existing| {
                let now = Instant::now();
                let op = match existing
                    .map(|e| e.into_value())
                    .filter(|slot| slot.is_live(now))
                {
                    Some(slot) => match parse_counter(&slot.value) {
                        Ok(count) => {
                            let next = count.saturating_add(1).to_string().into_bytes();
                            Op::Put(Arc::new(Slot {
                                value: next,
                                deadline: slot.deadline,
                            }))
                        }
                        Err(err) => {
                            failure = Some(err);
                            Op::Nop
                        }
                    },
                    None => Op::Put(Arc::new(Slot {
                        value: b"1".to_vec(),
                        deadline: Self::deadline(ttl),
                    })),
                };
                std::future::ready(op)
            })
            .await;
        if let Some(err) = failure {
            return Err(err);
        }
        match result {
            CompResult::Inserted(entry) | CompResult::ReplacedWith(entry) => {
                parse_counter(&entry.value().value)
            }
            _ => Err(StoreError::Unavailable(
                "counter update did not apply".into(),
            )),
        }
    }

    async fn ttl(&self, key: &str) -> StoreResult<Option<Duration>> {
        let now = Instant::now();
        Ok(self
            .live(key)
            .await
            .map(|slot| slot.deadline.saturating_duration_since(now)))
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.cache
            .entry_by_ref(key)
            .and_compute_with(|_| std::future::ready(Op::Remove))
            .await;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_liveness_follows_its_deadline() {
        let now = Instant::now();
        let slot = Slot {
            value: vec![1],
            deadline: now + Duration::from_millis(10),
        };
        assert!(slot.is_live(now));
        assert!(!slot.is_live(now + Duration::from_millis(10)));
        assert!(!slot.is_live(now + Duration::from_secs(1)));
    }

    #[test]
    fn counters_parse_as_decimal_text() {
        assert_eq!(parse_counter(b"42").unwrap(), 42);
        assert!(matches!(parse_counter(b"x"), Err(StoreError::Corrupt(_))));
        assert!(matches!(
            parse_counter(&[0xff]),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn huge_ttl_does_not_overflow() {
        let deadline = MemoryStore::deadline(Duration::MAX);
        assert!(deadline > Instant::now() + Duration::from_secs(3600));
    }

    #[tokio::test]
    async fn incr_on_a_non_counter_is_corrupt() {
        let store = MemoryStore::new(100);
        store
            .put("k", b"not a number", Duration::from_secs(60))
            .await
            .unwrap();
        assert!(matches!(
            store.incr("k", Duration::from_secs(60)).await,
            Err(StoreError::Corrupt(_))
        ));
        assert_eq!(
            store.get("k").await.unwrap().as_deref(),
            Some(&b"not a number"[..])
        );
    }

    #[tokio::test]
    async fn counters_read_back_as_text() {
        let store = MemoryStore::new(100);
        store.incr("c", Duration::from_secs(60)).await.unwrap();
        store.incr("c", Duration::from_secs(60)).await.unwrap();
        assert_eq!(store.get("c").await.unwrap().as_deref(), Some(&b"2"[..]));
    }

    #[tokio::test]
    async fn capacity_is_bounded() {
        let store = MemoryStore::new(10);
        for i in 0..200 {
            store
                .put(&format!("k{i}"), b"v", Duration::from_secs(60))
                .await
                .unwrap();
        }
        store.cache.run_pending_tasks().await;
        assert!(
            store.cache.entry_count() <= 10,
            "{} entries",
            store.cache.entry_count()
        );
    }

    #[test]
    fn debug_hides_values() {
        let store = MemoryStore::new(10);
        assert!(format!("{store:?}").starts_with("MemoryStore"));
    }
}
