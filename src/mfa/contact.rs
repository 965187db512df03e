//! Where emailed and texted codes go (the roster) and sending them.
//!
//! Set-up under `mfa.enrollment` (the gate and the contact proof) is in `contact/setup.rs`.

use std::time::Duration;

use crate::config::Method;
use crate::delivery::{
    mask_email, mask_phone, CodeDetails, CodeMessage, CodeSender, MessageBody, Wording,
};
use crate::mfa::codes::{self, Throttled};
use crate::pages::{Lang, PageError};
use crate::roster::{RosterEntry, RosterError};
use crate::state::AppState;
use crate::store::StoreError;

mod setup;

pub use setup::{
    audit_refusal, confirm_setup, contact_proven, prove_contact, setup_gate, ProofOutcome,
    SetupGate, SetupRefusal,
};

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

/// Generates and sends a new code for this held login, written in `lang` (the member's
/// language now). Only once the provider accepted it is the code stored (replacing any earlier
/// one), the login marked "sent", the resend wait started and the send counted; a failed send
/// leaves none of these (see [`codes::record_sent`], [`codes::release_send`]).
pub async fn send_code(
    state: &AppState,
    pending_id: &str,
    user: &str,
    dest: &Destination,
    lang: Lang,
) -> Result<SendOutcome, StoreError> {
    let method = method_name(dest.method);
    let Some(sender) = sender(state, dest.method) else {
        return Ok(SendOutcome::Failed(
            "this delivery method is not configured".into(),
        ));
    };
    let slot = match codes::reserve_send(state, pending_id, method, user).await? {
        Ok(slot) => slot,
        Err(Throttled::Wait(wait)) => return Ok(SendOutcome::Throttled(wait)),
    };
    let code = match codes::generate() {
        Ok(code) => code,
        Err(error) => {
            codes::release_send(state, slot).await?;
            return Err(error);
        }
    };
    let body = match compose(state, dest, &code, lang) {
        Ok(body) => body,
        Err(error) => {
            // Start-up renders every message, so this is a bug; log only the template's
            // name: the engine's detail may quote the code.
            let template = match &error {
                PageError::Template { name, .. } => name.clone(),
                other => other.to_string(),
            };
            tracing::error!(event = "code_message_failed", user = %user, method, template);
            codes::release_send(state, slot).await?;
            return Ok(SendOutcome::Failed(
                "the code message could not be written".into(),
            ));
        }
    };
    let message = CodeMessage {
        to: dest.to.clone(),
        code,
        body,
    };
    match sender.send(&message).await {
        Ok(()) => {
            codes::record_sent(state, slot, &message.code).await?;
            tracing::info!(event = "code_sent", user = %user, method, destination = %dest.masked, provider = sender.provider(), lang = lang.code());
            Ok(SendOutcome::Sent)
        }
        Err(e) => {
            codes::release_send(state, slot).await?;
            tracing::warn!(event = "code_send_failed", user = %user, method, destination = %dest.masked, error = %e);
            Ok(SendOutcome::Failed(e.to_string()))
        }
    }
}

/// The email or text for `code`, in `lang`. In English the email's subject is gateway.yaml's
/// `email.subject`; in other languages the catalogue's.
fn compose(
    state: &AppState,
    dest: &Destination,
    code: &str,
    lang: Lang,
) -> Result<MessageBody, PageError> {
    let wording = Wording::new(&state.pages, &state.config.branding);
    let details = CodeDetails {
        code,
        valid_for: state.config.mfa.code_ttl,
        member_name: dest.name.as_deref(),
    };
    match dest.method {
        Method::Email => {
            let subject = state.config.email.as_ref().map(|e| e.subject.as_str());
            wording.code_email(lang, &details, subject)
        }
        Method::Text | Method::App => wording.code_text(lang, &details),
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
