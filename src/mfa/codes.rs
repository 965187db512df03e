//! Emailed and texted one-time codes: 6 random digits, valid `code_ttl`, single use, stored
//! only as a keyed hash, replaced by a resend, and throttled.
//!
//! Every code belongs to one held login and one method, so a code can never release another
//! login. Consuming it is one atomic compare-and-delete in the ephemeral store.

use std::time::Duration;

use crate::mfa::tokens::Purpose;
use crate::state::AppState;
use crate::store::{StoreError, StoreResult};

/// Minimum wait between two sends for one held login and method.
pub const RESEND_INTERVAL: Duration = Duration::from_secs(30);
/// Window of the per-member send cap.
pub const SEND_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Codes a member may be sent per [`SEND_WINDOW`] (across all their held logins).
pub const SENDS_PER_WINDOW: u64 = 5;

/// A fresh code: 6 uniformly random digits from the system CSPRNG.
pub fn generate() -> Result<String, StoreError> {
    let rng = ring::rand::SystemRandom::new();
    loop {
        let mut bytes = [0u8; 4];
        ring::rand::SecureRandom::fill(&rng, &mut bytes)
            .map_err(|_| StoreError::Unavailable("system random generator failed".into()))?;
        let n = u32::from_be_bytes(bytes);
        // Rejection sampling: drop the top partial range so every code is equally likely.
        if n < u32::MAX - (u32::MAX % 1_000_000) {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

fn code_key(pending_id: &str, method: &str) -> String {
    format!("code:{pending_id}:{method}")
}

fn sent_key(pending_id: &str, method: &str) -> String {
    format!("code-sent:{pending_id}:{method}")
}

fn wait_key(pending_id: &str, method: &str) -> String {
    format!("code-wait:{pending_id}:{method}")
}

fn digest(state: &AppState, pending_id: &str, method: &str, code: &str) -> Vec<u8> {
    state
        .keys
        .digest(
            Purpose::CodeHash,
            format!("{pending_id}:{method}:{code}").as_bytes(),
        )
        .into_bytes()
}

/// Why a code may not be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    /// Wait this long before "Resend code" works again.
    Wait(Duration),
}

/// Reserves a send slot for this held login and member; `Err(Throttled)` says how long to wait.
pub async fn reserve_send(
    state: &AppState,
    pending_id: &str,
    method: &str,
    user: &str,
) -> StoreResult<Result<(), Throttled>> {
    let store = state.ephemeral.as_ref();
    if !store
        .put_if_absent(&wait_key(pending_id, method), b"1", RESEND_INTERVAL)
        .await?
    {
        let left = store
            .ttl(&wait_key(pending_id, method))
            .await?
            .unwrap_or(RESEND_INTERVAL);
        return Ok(Err(Throttled::Wait(round_up(left))));
    }
    let sends = store
        .incr(&format!("code-sends:{user}"), SEND_WINDOW)
        .await?;
    if sends > SENDS_PER_WINDOW {
        let left = store
            .ttl(&format!("code-sends:{user}"))
            .await?
            .unwrap_or(SEND_WINDOW);
        return Ok(Err(Throttled::Wait(round_up(left))));
    }
    Ok(Ok(()))
}

/// Seconds left before another send is allowed (`None` = now).
pub async fn resend_wait(
    state: &AppState,
    pending_id: &str,
    method: &str,
) -> StoreResult<Option<Duration>> {
    Ok(state
        .ephemeral
        .ttl(&wait_key(pending_id, method))
        .await?
        .map(round_up))
}

fn round_up(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

/// Stores a new code (replacing any previous one for this login and method).
pub async fn store(
    state: &AppState,
    pending_id: &str,
    method: &str,
    code: &str,
) -> StoreResult<()> {
    let store = state.ephemeral.as_ref();
    store
        .put(
            &code_key(pending_id, method),
            &digest(state, pending_id, method, code),
            state.config.mfa.code_ttl,
        )
        .await?;
    store
        .put(
            &sent_key(pending_id, method),
            b"1",
            state.config.mfa.pending_ttl,
        )
        .await
}

/// True when a code was sent for this login and method (even if it has expired since).
pub async fn was_sent(state: &AppState, pending_id: &str, method: &str) -> StoreResult<bool> {
    Ok(state
        .ephemeral
        .get(&sent_key(pending_id, method))
        .await?
        .is_some())
}

/// Result of checking a submitted code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Correct, and now consumed.
    Valid,
    Wrong,
    /// The code's time ran out (or none was sent): request a new one.
    Expired,
}

/// Atomically consumes the code if `submitted` matches.
pub async fn consume(
    state: &AppState,
    pending_id: &str,
    method: &str,
    submitted: &str,
) -> StoreResult<CodeCheck> {
    let submitted = submitted.trim();
    let key = code_key(pending_id, method);
    if submitted.len() == 6 && submitted.bytes().all(|b| b.is_ascii_digit()) {
        let expected = digest(state, pending_id, method, submitted);
        if state.ephemeral.take_if_eq(&key, &expected).await? {
            return Ok(CodeCheck::Valid);
        }
    }
    if state.ephemeral.get(&key).await?.is_none() {
        return Ok(CodeCheck::Expired);
    }
    Ok(CodeCheck::Wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: Vec<String> = (0..50).map(|_| generate().unwrap()).collect();
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert!(distinct.len() > 40);
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(round_up(Duration::from_millis(1)), Duration::from_secs(1));
        assert_eq!(round_up(Duration::from_secs(3)), Duration::from_secs(3));
    }
}
