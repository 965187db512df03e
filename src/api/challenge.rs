//! The `mfa_required` challenge document: what an API client needs to complete MFA for one held
//! login (methods, masked destinations, links), returned with `401` at login and by
//! `GET /_mfa/api/challenge`.

use serde_json::{json, Value};

use crate::mfa::contact::{self, method_name, SetupGate, SetupRefusal};
use crate::mfa::pending::{self, PendingLogin};
use crate::state::AppState;

use super::ApiError;

/// The set-up rule for held login `id` (see [`contact::setup_gate`]): a login that gets no
/// set-up is refused with a stable code (`not_in_roster`, `no_contact_on_file`), audited, and
/// its held login voided. An enrolled member's login is always [`SetupGate::Open`].
pub async fn gate(state: &AppState, id: &str, login: &PendingLogin) -> Result<SetupGate, ApiError> {
    if !login.must_enroll {
        return Ok(SetupGate::Open);
    }
    let gate = contact::setup_gate(state, login).await.map_err(|e| {
        tracing::error!(event = "roster_unavailable", error = %e);
        ApiError::unavailable()
    })?;
    let SetupGate::Refused(why) = gate else {
        return Ok(gate);
    };
    contact::audit_refusal(&login.user, why);
    if let Err(e) = pending::void(state.ephemeral.as_ref(), id).await {
        tracing::error!(event = "store_error", error = %e);
        return Err(ApiError::unavailable());
    }
    let support = json!({
        "email": state.config.branding.support_email,
        "phone": state.config.branding.support_phone,
        "hours": state.config.branding.support_hours,
    });
    let error = match why {
        SetupRefusal::NotInRoster => ApiError::new(
            403,
            "not_in_roster",
            "We couldn't find your membership record, so MFA can't be set up. Contact support.",
        ),
        SetupRefusal::NoContactOnFile => ApiError::new(
            409,
            "no_contact_on_file",
            "Your roster record has no email address or mobile number to confirm before set-up. Update your roster information or contact support.",
        )
        .with("roster_update_url", json!(state.config.branding.roster_update_url)),
    };
    Err(error.with("support", support))
}

/// Builds the challenge body for held login `id`.
pub async fn body(state: &AppState, id: &str, login: &PendingLogin) -> Result<Value, ApiError> {
    let setup = gate(state, id, login).await?;
    let available = contact::available(state, &login.user, login.must_enroll)
        .await
        .map_err(|e| {
            tracing::error!(event = "roster_unavailable", error = %e);
            ApiError::unavailable()
        })?;
    let methods: Vec<&str> = available
        .methods(state)
        .into_iter()
        .map(method_name)
        .collect();
    let destinations: serde_json::Map<String, Value> = available
        .destinations
        .iter()
        .map(|d| {
            (
                method_name(d.method).to_string(),
                Value::String(d.masked.clone()),
            )
        })
        .collect();
    let active = available
        .active(state, login.method.as_deref())
        .map(method_name);
    let periods: Vec<u64> = state
        .config
        .mfa
        .trust_periods
        .iter()
        .map(|p| p.as_secs())
        .collect();
    Ok(json!({
        "error": "mfa_required",
        "message": if login.must_enroll { "Set up MFA to finish signing in." } else { "Enter a verification code to finish signing in." },
        "challenge": id,
        "user": login.user,
        "enrollment_required": login.must_enroll,
        "methods": methods,
        "active_method": active,
        "destinations": destinations,
        "code_ttl_secs": state.config.mfa.code_ttl.as_secs(),
        "trust_periods_secs": periods,
        "default_trust_period_secs": state.config.mfa.default_trust_period.as_secs(),
        "contact_verification": contact_verification(&setup, login),
        "links": {
            "challenge": "/_mfa/api/challenge",
            "send": "/_mfa/api/send",
            "verify": "/_mfa/api/verify",
            "enroll": "/_mfa/api/enroll",
            "confirm_enrollment": "/_mfa/api/enroll/confirm",
            "verify_contact": "/_mfa/api/enroll/contact",
            "spec": "/_mfa/api/openapi.json",
        },
    }))
}

/// What set-up still needs: `required` = the contact on file must be proven (with one of
/// `methods`) before the app is set up; `verified` = it was, for this login.
fn contact_verification(setup: &SetupGate, login: &PendingLogin) -> Value {
    match setup {
        SetupGate::ProveContact(destinations) => json!({
            "required": true,
            "verified": false,
            "methods": destinations.iter().map(|d| method_name(d.method)).collect::<Vec<_>>(),
        }),
        _ => json!({
            "required": false,
            "verified": contact::contact_proven(login),
            "methods": [],
        }),
    }
}

/// `WWW-Authenticate` value for a challenge (RFC 9110 §11.6.1 syntax).
pub fn www_authenticate(state: &AppState, id: &str) -> String {
    let realm = state.config.branding.name.replace(['"', '\\'], "");
    format!("MFA realm=\"{realm}\", challenge=\"{id}\"")
}
