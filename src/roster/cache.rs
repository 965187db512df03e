//! A time-limited cache in front of any roster source.
//!
//! A member typically triggers several lookups within a minute (challenge page, resend, another
//! method); only the first should reach RESO. Both "found" and "not on the roster" answers are
//! cached for `roster.cache_ttl`, so a corrected roster entry shows up within that time. Errors
//! are never cached: the next lookup tries the source again. Concurrent lookups of one member
//! share a single request to the source.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use moka::future::Cache;

use super::normalize::login_key;
use super::{Roster, RosterEntry, RosterError};

/// Most members remembered at once; well above any MLS's concurrent logins within a TTL.
const MAX_CACHED_MEMBERS: u64 = 100_000;

/// A roster source with its answers cached by lower-cased login id.
pub struct CachedRoster {
    source: Arc<dyn Roster>,
    answers: Cache<String, Option<RosterEntry>>,
}

impl CachedRoster {
    /// `source` behind a cache of `ttl`; a zero `ttl` means no caching, so `source` is returned
    /// as it is.
    pub fn wrap(source: Arc<dyn Roster>, ttl: Duration) -> Arc<dyn Roster> {
        if ttl.is_zero() {
            return source;
        }
        let answers = Cache::builder()
            .max_capacity(MAX_CACHED_MEMBERS)
            .time_to_live(ttl)
            .build();
        Arc::new(Self { source, answers })
    }
}

#[async_trait]
impl Roster for CachedRoster {
    async fn lookup(&self, login_id: &str) -> Result<Option<RosterEntry>, RosterError> {
        let key = login_key(login_id);
        if key.is_empty() {
            return Ok(None);
        }
        // `try_get_with` stores only `Ok` answers and lets concurrent callers of one key await
        // the same source lookup.
        self.answers
            .try_get_with(key, self.source.lookup(login_id))
            .await
            .map_err(|error: Arc<RosterError>| RosterError::clone(&error))
    }

    async fn reload(&self) {
        self.answers.invalidate_all();
        self.source.reload().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts lookups; fails while `failing` is set.
    struct CountingRoster {
        calls: AtomicUsize,
        failing: std::sync::atomic::AtomicBool,
    }

    #[async_trait]
    impl Roster for CountingRoster {
        async fn lookup(&self, login_id: &str) -> Result<Option<RosterEntry>, RosterError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            if self.failing.load(Ordering::SeqCst) {
                return Err(RosterError::Unavailable("down".into()));
            }
            Ok(
                (login_id.trim().eq_ignore_ascii_case("jdoe")).then(|| RosterEntry {
                    login_id: "jdoe".into(),
                    name: None,
                    email: Some("j@example.com".into()),
                    mobile: None,
                }),
            )
        }
    }

    fn counting(failing: bool) -> Arc<CountingRoster> {
        Arc::new(CountingRoster {
            calls: AtomicUsize::new(0),
            failing: failing.into(),
        })
    }

    #[tokio::test]
    async fn found_and_missing_answers_are_cached_case_insensitively() {
        let source = counting(false);
        let roster = CachedRoster::wrap(source.clone(), Duration::from_secs(60));
        assert!(roster.lookup("jdoe").await.expect("ok").is_some());
        assert!(roster.lookup(" JDoe ").await.expect("ok").is_some());
        assert_eq!(roster.lookup("nobody").await, Ok(None));
        assert_eq!(roster.lookup("NOBODY").await, Ok(None));
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn reload_forgets_cached_answers() {
        let source = counting(false);
        let roster = CachedRoster::wrap(source.clone(), Duration::from_secs(3600));
        assert!(roster.lookup("jdoe").await.expect("ok").is_some());
        assert!(roster.lookup("jdoe").await.expect("ok").is_some());
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        roster.reload().await;
        assert!(roster.lookup("jdoe").await.expect("ok").is_some());
        assert_eq!(
            source.calls.load(Ordering::SeqCst),
            2,
            "asked the source again"
        );
    }

    #[tokio::test]
    async fn errors_are_not_cached() {
        let source = counting(true);
        let roster = CachedRoster::wrap(source.clone(), Duration::from_secs(60));
        assert!(matches!(
            roster.lookup("jdoe").await,
            Err(RosterError::Unavailable(_))
        ));
        source.failing.store(false, Ordering::SeqCst);
        assert!(roster.lookup("jdoe").await.expect("recovered").is_some());
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn concurrent_lookups_share_one_source_call() {
        let source = counting(false);
        let roster = CachedRoster::wrap(source.clone(), Duration::from_secs(60));
        let mut lookups = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let roster = roster.clone();
            lookups.spawn(async move { roster.lookup("jdoe").await });
        }
        while let Some(answer) = lookups.join_next().await {
            assert!(answer.expect("task ran").expect("ok").is_some());
        }
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn zero_ttl_disables_the_cache() {
        let source = counting(false);
        let roster = CachedRoster::wrap(source.clone(), Duration::ZERO);
        roster.lookup("jdoe").await.expect("ok");
        roster.lookup("jdoe").await.expect("ok");
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn blank_login_ids_never_reach_the_source() {
        let source = counting(false);
        let roster = CachedRoster::wrap(source.clone(), Duration::from_secs(60));
        assert_eq!(roster.lookup("  ").await, Ok(None));
        assert_eq!(source.calls.load(Ordering::SeqCst), 0);
    }
}
