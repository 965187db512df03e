//! Where emailed and texted codes go (the roster) and sending them.

use std::time::Duration;

use crate::config::Method;
use crate::delivery::{mask_email, mask_phone, CodeMessage, CodeSender};
use crate::mfa::codes::{self, Throttled};
use crate::roster::{RosterEntry, RosterError};
use crate::state::AppState;
use crate::store::StoreError;

/// One way a member can receive a code right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub method: Method,
    /// Email address or E.164 number (never shown or logged in full).
    pub to: String,
    /// What the page shows, e.g. `j•••@example.com`.
    pub masked: String,
    /// Roster name, for the greeting.
    pub name: Option<String>,
}

/// Stable form value of a method.
pub fn method_name(method: Method) -> &'static str {
    match method {
        Method::App => "app",
        Method::Email => "email",
        Method::Text => "text",
    }
}

/// Inverse of [`method_name`], limited to the methods the config enables.
pub fn parse_method(state: &AppState, name: &str) -> Option<Method> {
    let method = match name {
        "app" => Method::App,
        "email" => Method::Email,
        "text" => Method::Text,
        _ => return None,
    };
    state.config.mfa.methods.contains(&method).then_some(method)
}

/// The email / text destinations the roster has for `user`, for the enabled methods.
pub async fn destinations(state: &AppState, user: &str) -> Result<Vec<Destination>, RosterError> {
    let wants_contact = state.config.mfa.methods.iter().any(|m| *m != Method::App);
    if !wants_contact {
        return Ok(Vec::new());
    }
    let Some(entry) = state.roster.lookup(user).await? else {
        return Ok(Vec::new());
    };
    Ok(from_entry(state, &entry))
}

fn from_entry(state: &AppState, entry: &RosterEntry) -> Vec<Destination> {
    let mut out = Vec::new();
    for method in &state.config.mfa.methods {
        let (to, sender_ready) = match method {
            Method::App => continue,
            Method::Email => (entry.email.clone(), state.email.is_some()),
            Method::Text => (entry.mobile.clone(), state.sms.is_some()),
        };
        if let (Some(to), true) = (to, sender_ready) {
            let masked = if *method == Method::Email {
                mask_email(&to)
            } else {
                mask_phone(&to)
            };
            out.push(Destination {
                method: *method,
                to,
                masked,
                name: entry.name.clone(),
            });
        }
    }
    out
}

/// What happened when a code was requested.
#[derive(Debug)]
pub enum SendOutcome {
    Sent,
    /// Too soon: wait this long.
    Throttled(Duration),
    /// The provider refused or could not be reached (message safe to show: no code, no address).
    Failed(String),
}

fn sender(state: &AppState, method: Method) -> Option<&dyn CodeSender> {
    match method {
        Method::Email => state.email.as_deref(),
        Method::Text => state.sms.as_deref(),
        Method::App => None,
    }
}

/// Generates, stores and sends a new code for this held login (replacing any earlier one).
pub async fn send_code(
    state: &AppState,
    pending_id: &str,
    user: &str,
    dest: &Destination,
) -> Result<SendOutcome, StoreError> {
    let method = method_name(dest.method);
    let Some(sender) = sender(state, dest.method) else {
        return Ok(SendOutcome::Failed(
            "this delivery method is not configured".into(),
        ));
    };
    if let Err(Throttled::Wait(wait)) = codes::reserve_send(state, pending_id, method, user).await?
    {
        return Ok(SendOutcome::Throttled(wait));
    }
    let code = codes::generate()?;
    codes::store(state, pending_id, method, &code).await?;
    let message = CodeMessage {
        to: dest.to.clone(),
        code,
        valid_for: state.config.mfa.code_ttl,
        member_name: dest.name.clone(),
    };
    match sender.send(&message).await {
        Ok(()) => {
            tracing::info!(event = "code_sent", user = %user, method, destination = %dest.masked, provider = sender.provider());
            Ok(SendOutcome::Sent)
        }
        Err(e) => {
            tracing::warn!(event = "code_send_failed", user = %user, method, destination = %dest.masked, error = %e);
            Ok(SendOutcome::Failed(e.to_string()))
        }
    }
}

/// `+18336972963` → `(833) 697-2963`; other numbers unchanged (the FAQ's sender number).
pub fn display_phone(e164: &str) -> String {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    match digits
        .strip_prefix('1')
        .filter(|d| d.len() == 10 && e164.starts_with("+1"))
    {
        Some(d) => format!("({}) {}-{}", &d[..3], &d[3..6], &d[6..]),
        None => e164.to_string(),
    }
}

/// The bare address of a `Name <addr>` From header.
pub fn bare_address(from: &str) -> String {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => from[a + 1..b].trim().to_string(),
        _ => from.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_identities_for_the_help_text() {
        assert_eq!(display_phone("+18336972963"), "(833) 697-2963");
        assert_eq!(display_phone("+442071838750"), "+442071838750");
        assert_eq!(
            bare_address("SmartMLS <no-reply@connectmls.com>"),
            "no-reply@connectmls.com"
        );
        assert_eq!(
            bare_address("no-reply@connectmls.com"),
            "no-reply@connectmls.com"
        );
    }
}

/// The methods a member can use for one held login.
#[derive(Debug, Clone, Default)]
pub struct Available {
    /// The authenticator app can be used (enrolled secret, or set-up allowed).
    pub app: bool,
    pub destinations: Vec<Destination>,
    /// The member's own method (enrolled), or `None` during set-up.
    pub preferred: Option<Method>,
}

impl Available {
    /// The destination of an email / text method.
    pub fn destination(&self, method: Method) -> Option<&Destination> {
        self.destinations.iter().find(|d| d.method == method)
    }

    /// True when `method` can be used.
    pub fn has(&self, method: Method) -> bool {
        (method == Method::App && self.app) || self.destination(method).is_some()
    }

    /// Every usable method, in the configured order.
    pub fn methods(&self, state: &AppState) -> Vec<Method> {
        state
            .config
            .mfa
            .methods
            .iter()
            .copied()
            .filter(|m| self.has(*m))
            .collect()
    }

    /// The method in use: the one chosen for this login, else the member's own, else the first.
    pub fn active(&self, state: &AppState, chosen: Option<&str>) -> Option<Method> {
        let chosen = chosen.and_then(|m| parse_method(state, m));
        [chosen, self.preferred]
            .into_iter()
            .flatten()
            .chain(self.methods(state))
            .find(|m| self.has(*m))
    }
}

/// Why the available methods could not be worked out (the caller fails closed).
#[derive(Debug, thiserror::Error)]
pub enum AvailableError {
    #[error("roster: {0}")]
    Roster(#[from] RosterError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// What an enrolled member (or, with `enrolling`, a member setting up) can use now.
pub async fn available(
    state: &AppState,
    user: &str,
    enrolling: bool,
) -> Result<Available, AvailableError> {
    let app_enabled = state.config.mfa.methods.contains(&Method::App);
    let destinations = destinations(state, user).await?;
    if enrolling {
        return Ok(Available {
            app: app_enabled,
            destinations,
            preferred: None,
        });
    }
    let enrollment = state.durable.member(user).await?.and_then(|m| m.enrollment);
    let app = app_enabled && enrollment.as_ref().is_some_and(|e| e.totp_secret.is_some());
    let preferred = enrollment.map(|e| match e.method {
        crate::store::EnrolledMethod::App => Method::App,
        crate::store::EnrolledMethod::Email => Method::Email,
        crate::store::EnrolledMethod::Text => Method::Text,
    });
    Ok(Available {
        app,
        destinations,
        preferred,
    })
}

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
            if let Some(until) =
                limits::lock_after_failures(&state.config.mfa.attempts, failures, now)
            {
                state.durable.lock_until(&login.user, until).await?;
                tracing::warn!(event = "member_locked", user = %login.user, until);
            }
            if attempt >= limit {
                return Ok(ProofOutcome::Refused(VerifyOutcome::ChallengeExhausted));
            }
            return Ok(ProofOutcome::Refused(VerifyOutcome::Wrong {
                attempts_left,
            }));
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
/// change notice to the address on file.
pub async fn confirm_setup(
    state: &AppState,
    pending_id: &str,
    user: &str,
    method: Method,
    code: &str,
    trust_period_secs: u64,
) -> Result<crate::mfa::verify::VerifyOutcome, StoreError> {
    let before = state.durable.member(user).await?;
    let outcome =
        crate::mfa::verify::confirm_enrollment(state, pending_id, method, code, trust_period_secs)
            .await?;
    let had_mfa = before.is_some_and(|m| m.last_success_at.is_some());
    if had_mfa && matches!(outcome, crate::mfa::verify::VerifyOutcome::Passed { .. }) {
        crate::mfa::notice::notify_method_changed(state, user, method).await;
    }
    Ok(outcome)
}
