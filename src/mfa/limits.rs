//! Per-member attempt limits with backoff (DESIGN.md invariant 3; NIST SP 800-63B §5.2.2 caps
//! consecutive failed attempts at 100).

use crate::config::AttemptLimits;

/// Sentinel "locked until support unlocks" (stored as an ordinary timestamp).
pub const LOCKED_UNTIL_UNLOCKED: i64 = i64::MAX;

/// After `failures` consecutive failures at `now`, until when is the member locked (if at all)?
///
/// Below the backoff threshold: no lock. From it, the lock doubles with every further failure
/// (base, 2×base, 4×base … capped at max). At the hard limit: locked until support unlocks.
pub fn lock_after_failures(limits: &AttemptLimits, failures: u32, now: i64) -> Option<i64> {
    if failures >= limits.per_user_lockout {
        return Some(LOCKED_UNTIL_UNLOCKED);
    }
    if failures < limits.per_user_before_backoff {
        return None;
    }
    let doublings = (failures - limits.per_user_before_backoff).min(30);
    let base = limits.backoff_base.as_secs().max(1);
    let secs = base
        .saturating_mul(1u64 << doublings)
        .min(limits.backoff_max.as_secs().max(base));
    Some(now.saturating_add(secs as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits() -> AttemptLimits {
        AttemptLimits {
            per_challenge: 5,
            per_user_before_backoff: 5,
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            per_user_lockout: 100,
        }
    }

    #[test]
    fn backoff_doubles_then_caps_then_locks() {
        let l = limits();
        assert_eq!(lock_after_failures(&l, 4, 0), None);
        assert_eq!(lock_after_failures(&l, 5, 0), Some(30));
        assert_eq!(lock_after_failures(&l, 6, 0), Some(60));
        assert_eq!(lock_after_failures(&l, 50, 0), Some(3600));
        assert_eq!(lock_after_failures(&l, 100, 0), Some(LOCKED_UNTIL_UNLOCKED));
    }
}
