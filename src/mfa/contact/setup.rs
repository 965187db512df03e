//! Set-up under `mfa.enrollment`: whether a held login that must enrol may set up now, the
//! proof of the contact on file that comes first, and confirming set-up (with the change
//! notice when a method is replaced).

use std::time::Duration;

use super::{from_entry, method_name, Destination};
use crate::config::Method;
use crate::mfa::codes;
use crate::roster::RosterError;
use crate::state::AppState;
use crate::store::StoreError;

/// Whether a held login that must enrol may set up now (`mfa.enrollment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupGate {
    /// Set-up may go on: the contact was proven for this login, or no proof is asked.
    Open,
    /// The member first proves one of these (a code sent there must be entered).
    ProveContact(Vec<Destination>),
    /// No set-up for this login.
    Refused(SetupRefusal),
}

/// Why a login gets no set-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupRefusal {
    /// A roster is configured and does not list this login (`allow_unlisted` is false).
    NotInRoster,
    /// The proof is required and the roster has no email / mobile a code can be sent to.
    NoContactOnFile,
}

impl SetupRefusal {
    /// Stable reason for the audit line and the API's `error` code.
    pub fn code(self) -> &'static str {
        match self {
            SetupRefusal::NotInRoster => "not_in_roster",
            SetupRefusal::NoContactOnFile => "no_contact_on_file",
        }
    }
}

/// True when this held login has proven the contact on file.
pub fn contact_proven(login: &crate::mfa::pending::PendingLogin) -> bool {
    login.contact_proof.as_ref().is_some_and(|p| p.proven)
}

/// Decides whether `login` (not yet enrolled) may set up, or must prove its contact first, or
/// gets no set-up at all. Roster errors are returned: the caller fails closed.
pub async fn setup_gate(
    state: &AppState,
    login: &crate::mfa::pending::PendingLogin,
) -> Result<SetupGate, RosterError> {
    if matches!(
        state.config.roster.source,
        crate::config::RosterSource::None
    ) {
        return Ok(SetupGate::Open);
    }
    let policy = state.config.mfa.enrollment;
    let Some(entry) = state.roster.lookup(&login.user).await? else {
        if policy.allow_unlisted {
            // The operator chose to let logins the roster does not know set up. There is no
            // contact on file to prove, so such a login sets up with the password alone (as
            // without a roster): the documented price of `allow_unlisted: true`.
            return Ok(SetupGate::Open);
        }
        return Ok(SetupGate::Refused(SetupRefusal::NotInRoster));
    };
    if !policy.verify_contact || contact_proven(login) {
        return Ok(SetupGate::Open);
    }
    let destinations = from_entry(state, &entry);
    if destinations.is_empty() {
        return Ok(SetupGate::Refused(SetupRefusal::NoContactOnFile));
    }
    Ok(SetupGate::ProveContact(destinations))
}

/// Records the audit line of a refused set-up (once per held login: callers void it).
pub fn audit_refusal(user: &str, refusal: SetupRefusal) {
    tracing::warn!(event = "enrollment_refused", user = %user, reason = refusal.code());
}

/// What entering a proof code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofOutcome {
    /// The contact is proven; the held login (returned, saved) may now set up any method.
    Proven(Box<crate::mfa::pending::PendingLogin>),
    /// The code was not accepted; never [`crate::mfa::verify::VerifyOutcome::Passed`].
    Refused(crate::mfa::verify::VerifyOutcome),
}

/// Checks a proof code sent to the contact `method` for held login `pending_id`, with the same
/// limits as every other code: member lock, per-login attempts counted before the code is
/// looked at, the code consumed atomically, failures counted towards backoff and lockout.
pub async fn prove_contact(
    state: &AppState,
    pending_id: &str,
    method: Method,
    code: &str,
) -> Result<ProofOutcome, StoreError> {
    use crate::mfa::verify::VerifyOutcome;
    use crate::mfa::{limits, pending};
    let Some(mut login) = pending::load(state.ephemeral.as_ref(), pending_id).await? else {
        return Ok(ProofOutcome::Refused(VerifyOutcome::Expired));
    };
    let now = state.now();
    let member = state.durable.member(&login.user).await?;
    if !login.must_enroll || member.as_ref().is_some_and(|m| m.enrollment.is_some()) {
        return Ok(ProofOutcome::Refused(VerifyOutcome::NotApplicable));
    }
    if let Some(until) = member
        .as_ref()
        .and_then(|m| m.locked_until)
        .filter(|u| *u > now)
    {
        return Ok(ProofOutcome::Refused(VerifyOutcome::Locked { until }));
    }
    let limit = u64::from(state.config.mfa.attempts.per_challenge);
    let attempt = pending::count_attempt(
        state.ephemeral.as_ref(),
        pending_id,
        state.config.mfa.pending_ttl,
    )
    .await?;
    if attempt > limit {
        return Ok(ProofOutcome::Refused(VerifyOutcome::ChallengeExhausted));
    }
    let attempts_left = limit.saturating_sub(attempt) as u32;
    let name = method_name(method);
    match codes::consume(state, pending_id, name, code).await? {
        codes::CodeCheck::Valid => {}
        codes::CodeCheck::Expired => {
            return Ok(ProofOutcome::Refused(VerifyOutcome::CodeExpired {
                attempts_left,
            }))
        }
        codes::CodeCheck::Wrong => {
            let failures = state.durable.record_failure(&login.user).await?;
            tracing::warn!(event = "contact_proof_failed", user = %login.user, method = name, consecutive_failures = failures);
            let lock = limits::lock_after_failures(&state.config.mfa.attempts, failures, now);
            if let Some(until) = lock {
                state.durable.lock_until(&login.user, until).await?;
                tracing::warn!(event = "member_locked", user = %login.user, until);
            }
            return Ok(ProofOutcome::Refused(crate::mfa::verify::failure_outcome(
                &state.config.mfa.attempts,
                lock,
                attempt >= limit,
                attempts_left,
                failures,
            )));
        }
    }
    login.contact_proof = Some(crate::mfa::pending::ContactProof {
        method: name.to_string(),
        proven: true,
    });
    let remaining = (login.created + state.config.mfa.pending_ttl.as_secs() as i64 - now).max(1);
    pending::save(
        state.ephemeral.as_ref(),
        pending_id,
        &login,
        Duration::from_secs(remaining as u64),
    )
    .await?;
    tracing::info!(event = "contact_proven", user = %login.user, method = name);
    Ok(ProofOutcome::Proven(Box::new(login)))
}

/// Confirms set-up (see [`crate::mfa::verify::confirm_enrollment`]) and, when the member had
/// completed MFA before (a method replaced after a support reset, or changed), emails the
/// change notice to the address on file, in `lang` (the language of this request).
pub async fn confirm_setup(
    state: &AppState,
    pending_id: &str,
    user: &str,
    method: Method,
    code: &str,
    trust_period_secs: u64,
    lang: crate::pages::Lang,
) -> Result<crate::mfa::verify::VerifyOutcome, StoreError> {
    let before = state.durable.member(user).await?;
    let outcome =
        crate::mfa::verify::confirm_enrollment(state, pending_id, method, code, trust_period_secs)
            .await?;
    let had_mfa = before.is_some_and(|m| m.last_success_at.is_some());
    if had_mfa && matches!(outcome, crate::mfa::verify::VerifyOutcome::Passed { .. }) {
        crate::mfa::notice::notify_method_changed(state, user, method, lang).await;
    }
    Ok(outcome)
}
