//! Emailed and texted one-time codes: 6 random digits, valid `code_ttl`, single use, stored
//! only as a keyed hash, replaced by a resend, and throttled.
//!
//! A send counts only once the provider accepted it: the code is stored, the login marked
//! "sent", the resend wait started and the member's send counted for good only then
//! ([`record_sent`]); a failed send leaves no wait and uses up none of the member's sends
//! ([`release_send`]).
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
/// Sends a provider may refuse per member and [`SEND_WINDOW`] before a refused send counts
/// like a delivered one (wait and send used up). Without it, a failing provider turned every
/// "Send code" into an unthrottled provider call, a server-side limit lost (DESIGN.md).
pub const FAILED_SENDS_PER_WINDOW: u64 = 2 * SENDS_PER_WINDOW;

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

fn sends_key(user: &str) -> String {
    format!("code-sends:{user}")
}

fn refunds_key(user: &str) -> String {
    format!("code-sends-refunded:{user}")
}

fn failed_sends_key(user: &str) -> String {
    format!("code-sends-failed:{user}")
}

/// A send in progress for one held login, method and member, from [`reserve_send`] until
/// [`record_sent`] (the provider accepted the message) or [`release_send`] (it did not).
#[derive(Debug)]
pub struct SendSlot {
    pending_id: String,
    method: String,
    user: String,
}

/// Reserves a send for this held login and member; `Err(Throttled)` says how long to wait.
///
/// The resend wait of the login and method doubles as a lock against a second send in
/// parallel; the member's send counter is counted up here, atomically, so parallel sends from
/// several held logins cannot pass the cap. Nothing here is final: a send the provider does
/// not accept is given back with [`release_send`], and the code is stored and marked sent only
/// by [`record_sent`].
pub async fn reserve_send(
    state: &AppState,
    pending_id: &str,
    method: &str,
    user: &str,
) -> StoreResult<Result<SendSlot, Throttled>> {
    let store = state.ephemeral.as_ref();
    let wait = wait_key(pending_id, method);
    if !store.put_if_absent(&wait, b"1", RESEND_INTERVAL).await? {
        let left = store.ttl(&wait).await?.unwrap_or(RESEND_INTERVAL);
        return Ok(Err(Throttled::Wait(round_up(left))));
    }
    let sends = store.incr(&sends_key(user), SEND_WINDOW).await?;
    let refunded = refunded_sends(state, user).await?;
    if sends.saturating_sub(refunded) > SENDS_PER_WINDOW {
        refund_send(state, user).await?;
        let left = store.ttl(&sends_key(user)).await?.unwrap_or(SEND_WINDOW);
        // The page shows the wait of this login and method: make it the cap's.
        store.put(&wait, b"1", left).await?;
        return Ok(Err(Throttled::Wait(round_up(left))));
    }
    Ok(Ok(SendSlot {
        pending_id: pending_id.to_string(),
        method: method.to_string(),
        user: user.to_string(),
    }))
}

/// The provider accepted the message: stores its code (replacing any earlier one for this
/// login and method), marks a code sent, and starts the resend wait from now.
pub async fn record_sent(state: &AppState, slot: SendSlot, code: &str) -> StoreResult<()> {
    let store = state.ephemeral.as_ref();
    let (pending_id, method) = (slot.pending_id.as_str(), slot.method.as_str());
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
        .await?;
    store
        .put(&wait_key(pending_id, method), b"1", RESEND_INTERVAL)
        .await
}

/// The message was not accepted: no resend wait, the member's send given back, and any code
/// sent earlier for this login and method still valid — up to [`FAILED_SENDS_PER_WINDOW`]
/// refused sends per member and window; past that a refused send keeps its wait and its count.
pub async fn release_send(state: &AppState, slot: SendSlot) -> StoreResult<()> {
    let store = state.ephemeral.as_ref();
    let failed = store
        .incr(&failed_sends_key(&slot.user), SEND_WINDOW)
        .await?;
    if failed > FAILED_SENDS_PER_WINDOW {
        return Ok(());
    }
    store
        .delete(&wait_key(&slot.pending_id, &slot.method))
        .await?;
    refund_send(state, &slot.user).await
}

/// Sends given back in the member's current window (the store has no decrement).
async fn refunded_sends(state: &AppState, user: &str) -> StoreResult<u64> {
    let Some(value) = state.ephemeral.get(&refunds_key(user)).await? else {
        return Ok(0);
    };
    std::str::from_utf8(&value)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| StoreError::Corrupt("send refund counter is not a number".into()))
}

/// Gives one send back. The refund counter ends a second before the window it belongs to, so
/// it can never credit the next window.
async fn refund_send(state: &AppState, user: &str) -> StoreResult<()> {
    let store = state.ephemeral.as_ref();
    let Some(left) = store.ttl(&sends_key(user)).await? else {
        return Ok(());
    };
    let ttl = left.saturating_sub(Duration::from_secs(1));
    if !ttl.is_zero() {
        store.incr(&refunds_key(user), ttl).await?;
    }
    Ok(())
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

/// True when the provider accepted a code for this login and method (even if it has expired
/// since); a send that failed leaves this as it was.
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
