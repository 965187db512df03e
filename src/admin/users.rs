//! Support-desk actions on one member, shared by the CLI (`mfa-gateway users …`) and the admin
//! HTTP API: show, reset (remove the enrollment and void every trusted device), forget devices
//! (void trusted devices only) and unlock (clear failed-code lockout).
//!
//! Every action names who did it and why; both are validated here and written to the audit log
//! as a `support_action` event (`support_action_failed` when the store refused), whichever
//! channel the request came through.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::mfa::limits::LOCKED_UNTIL_UNLOCKED;
use crate::store::{DurableStore, StoreError};

/// Longest login accepted (logins are ids, not prose).
/// Longest `reason` / `by` accepted.
const MAX_NOTE_CHARS: usize = 500;

/// Why a support action was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    /// The request itself is wrong (blank login, missing reason …): fix and retry.
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: &'static str,
    },
    /// The durable store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who performed an action and why (both required, both audited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub by: String,
    pub reason: String,
}

impl Actor {
    /// Checks both notes: present, not blank, at most 500 characters, no control characters.
    pub fn new(by: &str, reason: &str) -> Result<Actor, SupportError> {
        Ok(Actor {
            by: note("by", by)?,
            reason: note("reason", reason)?,
        })
    }
}

fn note(field: &'static str, value: &str) -> Result<String, SupportError> {
    let value = value.trim();
    let invalid = |problem| SupportError::Invalid { field, problem };
    if value.is_empty() {
        return Err(invalid("is required"));
    }
    if value.chars().count() > MAX_NOTE_CHARS {
        return Err(invalid("is longer than 500 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid("must not contain control characters"));
    }
    Ok(value.to_string())
}

/// The member's login normalised exactly as the gateway does at login
/// ([`crate::mfa::login::normalize_user`]): its canonical form, so support finds a member by
/// any spelling (`JDoe`, `ｊdoe`). Blank, over-long or invisible-character logins are refused.
pub fn normalize_login(case_insensitive: bool, raw: &str) -> Result<String, SupportError> {
    crate::mfa::username::canonical(raw, case_insensitive).map_err(|why| SupportError::Invalid {
        field: "login",
        problem: match why {
            crate::mfa::username::UsernameError::Empty => "is required",
            crate::mfa::username::UsernameError::TooLong => "is longer than 256 characters",
            crate::mfa::username::UsernameError::Forbidden(_) => {
                "must not contain control or invisible characters"
            }
        },
    })
}

/// A member-changing support action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportAction {
    /// Remove the enrollment and bump the epoch: every trusted device is void and the next
    /// login goes through set-up again (lost or replaced phone).
    Reset,
    /// Bump the epoch only: every trusted device is void, the enrollment stays.
    ForgetDevices,
    /// Clear consecutive failures and any lock.
    Unlock,
}

impl SupportAction {
    /// Name used in the CLI, the API path and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            SupportAction::Reset => "reset",
            SupportAction::ForgetDevices => "forget-devices",
            SupportAction::Unlock => "unlock",
        }
    }

    /// Inverse of [`SupportAction::name`].
    pub fn parse(name: &str) -> Option<SupportAction> {
        [
            SupportAction::Reset,
            SupportAction::ForgetDevices,
            SupportAction::Unlock,
        ]
        .into_iter()
        .find(|action| action.name() == name)
    }
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionOutcome {
    pub login: String,
    pub action: &'static str,
    /// The member's new enrollment epoch (reset and forget-devices); trust cookies of older
    /// epochs no longer verify.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
}

/// Where an action came from, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Cli,
    Api,
}

impl Channel {
    fn name(self) -> &'static str {
        match self {
            Channel::Cli => "cli",
            Channel::Api => "api",
        }
    }
}

/// Performs `action` on `login` (already normalised) and audits it.
pub async fn apply(
    store: &dyn DurableStore,
    action: SupportAction,
    login: &str,
    actor: &Actor,
    channel: Channel,
) -> Result<ActionOutcome, SupportError> {
    let result = match action {
        SupportAction::Reset => store.reset(login).await.map(Some),
        SupportAction::ForgetDevices => store.bump_epoch(login).await.map(Some),
        SupportAction::Unlock => store.unlock(login).await.map(|()| None),
    };
    match result {
        Ok(epoch) => {
            tracing::info!(
                event = "support_action",
                action = action.name(),
                user = %login,
                by = %actor.by,
                reason = %actor.reason,
                via = channel.name(),
                epoch,
            );
            Ok(ActionOutcome {
                login: login.to_string(),
                action: action.name(),
                epoch,
            })
        }
        Err(error) => {
            tracing::error!(
                event = "support_action_failed",
                action = action.name(),
                user = %login,
                by = %actor.by,
                reason = %actor.reason,
                via = channel.name(),
                error = %error,
            );
            Err(error.into())
        }
    }
}

/// What support sees about a member (`users show`, `GET /v1/users/{login}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberStatus {
    pub login: String,
    /// False when the gateway has never stored anything about this login.
    pub known: bool,
    pub enrolled: bool,
    /// `app`, `email` or `text`.
    pub method: Option<&'static str>,
    /// The trust period the member chose, in seconds.
    pub trust_period_secs: Option<u64>,
    /// RFC 3339 instants.
    pub enrolled_at: Option<String>,
    pub last_success_at: Option<String>,
    pub consecutive_failures: u32,
    pub locked: bool,
    /// End of a temporary lock; absent when not locked or locked until support unlocks.
    pub locked_until: Option<String>,
    /// Locked until support unlocks (too many wrong codes).
    pub locked_until_unlocked: bool,
    /// Enrollment epoch; trust cookies carry it, reset and forget-devices bump it.
    pub epoch: u64,
}

/// Reads the member's status at `now` (unix seconds).
pub async fn show(
    store: &dyn DurableStore,
    login: &str,
    now: i64,
) -> Result<MemberStatus, SupportError> {
    let record = store.member(login).await?;
    let Some(record) = record else {
        return Ok(MemberStatus {
            login: login.to_string(),
            known: false,
            enrolled: false,
            method: None,
            trust_period_secs: None,
            enrolled_at: None,
            last_success_at: None,
            consecutive_failures: 0,
            locked: false,
            locked_until: None,
            locked_until_unlocked: false,
            epoch: 0,
        });
    };
    let lock = record.locked_until.filter(|until| *until > now);
    let enrollment = record.enrollment.as_ref();
    Ok(MemberStatus {
        login: record.login.clone(),
        known: true,
        enrolled: enrollment.is_some(),
        method: enrollment.map(|e| e.method.as_str()),
        trust_period_secs: enrollment.map(|e| e.trust_period_secs),
        enrolled_at: enrollment.and_then(|e| rfc3339(e.enrolled_at)),
        last_success_at: record.last_success_at.and_then(rfc3339),
        consecutive_failures: record.consecutive_failures,
        locked: lock.is_some(),
        locked_until: lock
            .filter(|until| *until != LOCKED_UNTIL_UNLOCKED)
            .and_then(rfc3339),
        locked_until_unlocked: lock == Some(LOCKED_UNTIL_UNLOCKED),
        epoch: record.epoch,
    })
}

fn rfc3339(unix_secs: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp(unix_secs, 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

impl std::fmt::Display for MemberStatus {
    /// The plain-text form `users show` prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let or = |value: &Option<String>, none: &str| value.clone().unwrap_or(none.to_string());
        writeln!(f, "login:                {}", self.login)?;
        if !self.known {
            writeln!(f, "known:                no (never seen by the gateway)")?;
        }
        writeln!(
            f,
            "enrolled:             {}",
            if self.enrolled { "yes" } else { "no" }
        )?;
        writeln!(f, "method:               {}", self.method.unwrap_or("-"))?;
        let period = self.trust_period_secs.map(human_period);
        writeln!(f, "trust period:         {}", or(&period, "-"))?;
        writeln!(f, "enrolled at:          {}", or(&self.enrolled_at, "-"))?;
        writeln!(
            f,
            "last success:         {}",
            or(&self.last_success_at, "never")
        )?;
        writeln!(f, "consecutive failures: {}", self.consecutive_failures)?;
        let lock = if self.locked_until_unlocked {
            "yes, until support unlocks".to_string()
        } else if let Some(until) = &self.locked_until {
            format!("yes, until {until}")
        } else {
            "no".to_string()
        };
        writeln!(f, "locked:               {lock}")?;
        writeln!(f, "epoch:                {}", self.epoch)?;
        write!(
            f,
            "trusted devices:      not tracked (trust cookies live in browsers; forget-devices voids them all)"
        )
    }
}

/// `86400` → `24h`, `2592000` → `30d`.
fn human_period(secs: u64) -> String {
    match secs {
        s if s % 86_400 == 0 && s >= 2 * 86_400 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests;
