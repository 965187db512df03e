//! The `mfa_required` challenge document: what an API client needs to complete MFA for one held
//! login (methods, masked destinations, links), returned with `401` at login and by
//! `GET /_mfa/api/challenge`.

use serde_json::{json, Value};

use crate::mfa::contact::{self, method_name};
use crate::mfa::pending::PendingLogin;
use crate::state::AppState;

use super::ApiError;

/// Builds the challenge body for held login `id`.
pub async fn body(state: &AppState, id: &str, login: &PendingLogin) -> Result<Value, ApiError> {
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
        "message": if login.must_enroll { "Set up two-step verification to finish signing in." } else { "Enter a verification code to finish signing in." },
        "challenge": id,
        "user": login.user,
        "enrollment_required": login.must_enroll,
        "methods": methods,
        "active_method": active,
        "destinations": destinations,
        "code_ttl_secs": state.config.mfa.code_ttl.as_secs(),
        "trust_periods_secs": periods,
        "default_trust_period_secs": state.config.mfa.default_trust_period.as_secs(),
        "links": {
            "challenge": "/_mfa/api/challenge",
            "send": "/_mfa/api/send",
            "verify": "/_mfa/api/verify",
            "enroll": "/_mfa/api/enroll",
            "confirm_enrollment": "/_mfa/api/enroll/confirm",
            "spec": "/_mfa/api/openapi.json",
        },
    }))
}

/// `WWW-Authenticate` value for a challenge (RFC 9110 §11.6.1 syntax).
pub fn www_authenticate(state: &AppState, id: &str) -> String {
    let realm = state.config.branding.name.replace(['"', '\\'], "");
    format!("MFA realm=\"{realm}\", challenge=\"{id}\"")
}
