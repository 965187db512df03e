//! Checking a code for a held login, with every server-side limit, in one place shared by the
//! pages and (later) the JSON API.
//!
//! Order matters: the member lock is checked first, the per-login attempt is counted *before*
//! the code is looked at (so parallel guesses cannot exceed the limit), the code is consumed
//! atomically (TOTP: the step only moves forward; email/text: compare-and-delete), and the held
//! login is consumed atomically (released once).

use tracing::{info, warn};

use super::codes::{self, CodeCheck};
use super::limits::lock_after_failures;
use super::pending::{self, PendingLogin};
use super::totp;
use crate::config::Method;
use crate::state::AppState;
use crate::store::{EnrolledMethod, Enrollment, MemberRecord, StoreResult};

/// `stage` of a verification event: the code that confirms a set-up, or one that answers the
/// challenge of an enrolled member (`mfa_gateway_verifications_total{stage}`).
const SETUP: &str = "setup";
/// See [`SETUP`].
const CHALLENGE: &str = "challenge";

/// The result of one code submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// Correct: the held login has been consumed and must now be released.
    Passed {
        login: Box<PendingLogin>,
        member: Box<MemberRecord>,
    },
    /// Wrong or reused code.
    Wrong { attempts_left: u32 },
    /// The emailed / texted code ran out of time (or none was sent): request a new one.
    CodeExpired { attempts_left: u32 },
    /// Too many wrong codes for this held login: no further code is checked; sign in again.
    ChallengeExhausted,
    /// The member is in backoff or locked until support unlocks (`until` = unix seconds).
    Locked { until: i64 },
    /// The held login no longer exists (expired, cancelled or already used).
    Expired,
    /// The factor does not apply (no app enrolled, or already enrolled when confirming set-up).
    NotApplicable,
}

/// Verifies a code for an enrolled member with `method` (the app, or a code sent by email/text).
pub async fn verify_code(
    state: &AppState,
    pending_id: &str,
    method: Method,
    code: &str,
) -> StoreResult<VerifyOutcome> {
    let Some(login) = pending::load(state.ephemeral.as_ref(), pending_id).await? else {
        return Ok(VerifyOutcome::Expired);
    };
    let now = state.now();
    let Some(member) = state.durable.member(&login.user).await? else {
        return Ok(VerifyOutcome::NotApplicable);
    };
    let Some(enrollment) = member.enrollment.as_ref() else {
        return Ok(VerifyOutcome::NotApplicable);
    };
    if let Some(until) = member.locked_until.filter(|u| *u > now) {
        return Ok(VerifyOutcome::Locked { until });
    }
    let secret = enrollment.totp_secret.clone();
    if method == Method::App && secret.is_none() {
        return Ok(VerifyOutcome::NotApplicable);
    }
    let attempt = match count_attempt(state, pending_id).await? {
        Ok(n) => n,
        Err(outcome) => return Ok(outcome),
    };
    let check = match (method, secret) {
        (Method::App, Some(secret)) => {
            let skew = state.config.mfa.totp_skew_steps;
            match totp::matching_step(&secret, code.trim(), now as u64, skew, totp::DIGITS) {
                Some(step) if state.durable.advance_totp_step(&login.user, step).await? => {
                    CodeCheck::Valid
                }
                _ => CodeCheck::Wrong,
            }
        }
        (Method::App, None) => CodeCheck::Wrong,
        (contact, _) => {
            codes::consume(
                state,
                pending_id,
                super::contact::method_name(contact),
                code,
            )
            .await?
        }
    };
    match check {
        CodeCheck::Valid => finish(state, pending_id, &login.user, member, method).await,
        CodeCheck::Wrong => failure(state, &login.user, method, attempt, CHALLENGE).await,
        CodeCheck::Expired => Ok(VerifyOutcome::CodeExpired {
            attempts_left: attempts_left(state, attempt),
        }),
    }
}

/// Confirms a set-up with its first code — from the draft authenticator secret, or a code sent
/// by email / text — then saves the enrollment with the member's chosen trust period.
pub async fn confirm_enrollment(
    state: &AppState,
    pending_id: &str,
    method: Method,
    code: &str,
    trust_period_secs: u64,
) -> StoreResult<VerifyOutcome> {
    let Some(login) = pending::load(state.ephemeral.as_ref(), pending_id).await? else {
        return Ok(VerifyOutcome::Expired);
    };
    let now = state.now();
    let existing = state.durable.member(&login.user).await?;
    // Enrolling once enrolled needs a passed MFA (DESIGN.md invariant 6): a held login may only
    // enroll if the member still has no enrollment.
    if !login.must_enroll || existing.as_ref().is_some_and(|m| m.enrollment.is_some()) {
        return Ok(VerifyOutcome::NotApplicable);
    }
    if let Some(until) = existing
        .as_ref()
        .and_then(|m| m.locked_until)
        .filter(|u| *u > now)
    {
        return Ok(VerifyOutcome::Locked { until });
    }
    let secret = match (method, login.draft_secret.as_deref()) {
        (Method::App, Some(sealed)) => Some(state.cipher.open(&login.user, sealed)?),
        (Method::App, None) => return Ok(VerifyOutcome::NotApplicable),
        _ => None,
    };
    let attempt = match count_attempt(state, pending_id).await? {
        Ok(n) => n,
        Err(outcome) => return Ok(outcome),
    };
    let (check, step) = match &secret {
        Some(secret) => {
            let skew = state.config.mfa.totp_skew_steps;
            match totp::matching_step(secret, code.trim(), now as u64, skew, totp::DIGITS) {
                Some(step) => (CodeCheck::Valid, Some(step)),
                None => (CodeCheck::Wrong, None),
            }
        }
        None => (
            codes::consume(state, pending_id, super::contact::method_name(method), code).await?,
            None,
        ),
    };
    match check {
        CodeCheck::Valid => {}
        CodeCheck::Wrong => return failure(state, &login.user, method, attempt, SETUP).await,
        CodeCheck::Expired => {
            return Ok(VerifyOutcome::CodeExpired {
                attempts_left: attempts_left(state, attempt),
            })
        }
    }
    // Consume the held login before saving, so two parallel confirmations cannot both win.
    let Some(login) = pending::take(state.ephemeral.as_ref(), pending_id).await? else {
        return Ok(VerifyOutcome::Expired);
    };
    let enrollment = Enrollment {
        method: enrolled_method(method),
        totp_secret: secret,
        trust_period_secs,
        enrolled_at: now,
    };
    state
        .durable
        .save_enrollment(&login.user, &enrollment, step)
        .await?;
    state.durable.record_success(&login.user, now).await?;
    // One event, two counters: the set-up is complete and its code was a verification.
    info!(event = "enrollment_completed", user = %login.user, method = super::contact::method_name(method), stage = SETUP);
    let member = state
        .durable
        .member(&login.user)
        .await?
        .unwrap_or(MemberRecord {
            login: login.user.clone(),
            epoch: 0,
            enrollment: Some(enrollment),
            consecutive_failures: 0,
            locked_until: None,
            last_success_at: Some(now),
        });
    Ok(VerifyOutcome::Passed {
        login: Box::new(login),
        member: Box::new(member),
    })
}

fn enrolled_method(method: Method) -> EnrolledMethod {
    match method {
        Method::App => EnrolledMethod::App,
        Method::Email => EnrolledMethod::Email,
        Method::Text => EnrolledMethod::Text,
    }
}

fn attempts_left(state: &AppState, attempt: u64) -> u32 {
    u64::from(state.config.mfa.attempts.per_challenge).saturating_sub(attempt) as u32
}

/// Counts the attempt before the code is looked at; `Err(outcome)` when the held login has
/// already used all its attempts (it is then void).
async fn count_attempt(
    state: &AppState,
    pending_id: &str,
) -> StoreResult<Result<u64, VerifyOutcome>> {
    let attempt = pending::count_attempt(
        state.ephemeral.as_ref(),
        pending_id,
        state.config.mfa.pending_ttl,
    )
    .await?;
    // Past the limit the login is void for good: the counter only grows, so no later attempt
    // is ever evaluated. The record itself is not deleted here, so that an attempt within the
    // limit that is already past its code check (in a parallel request) still releases it.
    if attempt > u64::from(state.config.mfa.attempts.per_challenge) {
        return Ok(Err(VerifyOutcome::ChallengeExhausted));
    }
    Ok(Ok(attempt))
}

/// Records a wrong code: member failure counter (with backoff / lockout) and this login's
/// attempt number `attempt`; `stage` is [`SETUP`] or [`CHALLENGE`].
async fn failure(
    state: &AppState,
    user: &str,
    method: Method,
    attempt: u64,
    stage: &'static str,
) -> StoreResult<VerifyOutcome> {
    let now = state.now();
    let failures = state.durable.record_failure(user).await?;
    let method = super::contact::method_name(method);
    warn!(event = "verify_failed", user = %user, method, stage, consecutive_failures = failures);
    let lock = lock_after_failures(&state.config.mfa.attempts, failures, now);
    if let Some(until) = lock {
        state.durable.lock_until(user, until).await?;
        warn!(event = "member_locked", user = %user, until);
    }
    let exhausted = attempt >= u64::from(state.config.mfa.attempts.per_challenge);
    Ok(failure_outcome(
        &state.config.mfa.attempts,
        lock,
        exhausted,
        attempts_left(state, attempt),
        failures,
    ))
}

/// The answer to a wrong code (at sign-in and in set-up's contact proof alike). The code that
/// locks the member says so on its own answer, not "try again": the lock that needs support
/// first, then the end of this sign-in, then a backoff. "You can try N more times" counts the
/// member's lock too: with a lockout below the per-sign-in limit the page would otherwise
/// promise tries that the lock takes away.
pub(crate) fn failure_outcome(
    limits: &crate::config::AttemptLimits,
    lock: Option<i64>,
    exhausted: bool,
    challenge_left: u32,
    failures: u32,
) -> VerifyOutcome {
    match lock {
        Some(until) if until == super::limits::LOCKED_UNTIL_UNLOCKED => {
            VerifyOutcome::Locked { until }
        }
        _ if exhausted => VerifyOutcome::ChallengeExhausted,
        Some(until) => VerifyOutcome::Locked { until },
        None => VerifyOutcome::Wrong {
            attempts_left: challenge_left.min(limits.per_user_lockout.saturating_sub(failures)),
        },
    }
}

async fn finish(
    state: &AppState,
    pending_id: &str,
    user: &str,
    member: MemberRecord,
    method: Method,
) -> StoreResult<VerifyOutcome> {
    let Some(login) = pending::take(state.ephemeral.as_ref(), pending_id).await? else {
        return Ok(VerifyOutcome::Expired);
    };
    state.durable.record_success(user, state.now()).await?;
    info!(event = "verify_succeeded", user = %user, method = super::contact::method_name(method), stage = CHALLENGE);
    Ok(VerifyOutcome::Passed {
        login: Box::new(login),
        member: Box::new(member),
    })
}
