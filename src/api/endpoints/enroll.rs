//! The set-up endpoints: `POST /_mfa/api/enroll` (start a method; the authenticator app's
//! secret), `POST /_mfa/api/enroll/confirm` (the first code and the trust period) and
//! `POST /_mfa/api/enroll/contact` (the proof of the contact on file before an app set-up).

use serde_json::{json, Value};

use super::send_verify::{request_lang, send, send_answer};
use super::{field, method_field, save, setup_gate, Held};
use crate::api::ApiError;
use crate::config::Method;
use crate::http::response::GatewayResponse;
use crate::mfa::contact::{self, method_name, parse_method, Destination, ProofOutcome, SetupGate};
use crate::mfa::pending::ContactProof;
use crate::mfa::totp;
use crate::mfa::verify::VerifyOutcome;
use crate::state::AppState;

pub(super) async fn enroll(
    state: &AppState,
    held: Held<'_, '_>,
) -> Result<GatewayResponse, ApiError> {
    if !held.login.must_enroll {
        return Err(ApiError::new(
            409,
            "already_enrolled",
            "This member is enrolled; verify a code instead.",
        ));
    }
    let method = method_field(state, &held.body)?;
    if method != Method::App {
        return send(state, held).await;
    }
    if let SetupGate::ProveContact(destinations) = setup_gate(state, &held).await? {
        tracing::warn!(event = "enrollment_proof_missing", user = %held.login.user, method = "app");
        return Err(proof_required(&destinations));
    }
    let mut login = held.login.clone();
    let secret = match login.draft_secret.as_deref() {
        Some(sealed) => state
            .cipher
            .open(&login.user, sealed)
            .map_err(|_| ApiError::unavailable())?,
        None => {
            let secret = totp::generate_secret().map_err(|_| ApiError::unavailable())?;
            login.draft_secret = Some(
                state
                    .cipher
                    .seal(&login.user, &secret)
                    .map_err(|_| ApiError::unavailable())?,
            );
            secret
        }
    };
    login.method = Some("app".into());
    save(state, &held.id, &login).await?;
    let uri = totp::otpauth_uri(&secret, &state.config.branding.name, &login.user)
        .map_err(|_| ApiError::unavailable())?;
    Ok(GatewayResponse::json(
        200,
        &json!({ "method": "app", "otpauth_uri": uri, "secret": totp::grouped_base32(&secret).replace(' ', "") }),
    ))
}

pub(super) async fn confirm(
    state: &AppState,
    held: Held<'_, '_>,
) -> Result<GatewayResponse, ApiError> {
    if !held.login.must_enroll {
        return Err(ApiError::new(
            409,
            "already_enrolled",
            "This member is enrolled; verify a code instead.",
        ));
    }
    let code = field(&held.body, "code")?;
    let method = held
        .login
        .method
        .as_deref()
        .and_then(|m| parse_method(state, m))
        .ok_or_else(|| {
            ApiError::new(
                409,
                "enrollment_not_started",
                "Start with POST /_mfa/api/enroll.",
            )
        })?;
    let gate = setup_gate(state, &held).await?;
    if let (Method::App, SetupGate::ProveContact(destinations)) = (method, &gate) {
        tracing::warn!(event = "enrollment_proof_missing", user = %held.login.user, method = "app");
        return Err(proof_required(destinations));
    }
    let period = match held.body.get("remember_secs") {
        None | Some(Value::Null) => state.config.mfa.default_trust_period,
        Some(v) => v
            .as_u64()
            .and_then(|secs| {
                state
                    .config
                    .mfa
                    .trust_periods
                    .iter()
                    .copied()
                    .find(|p| p.as_secs() == secs)
            })
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "invalid_trust_period",
                    "remember_secs must be one of trust_periods_secs.",
                )
            })?,
    };
    let outcome = contact::confirm_setup(
        state,
        &held.id,
        &held.login.user,
        method,
        code,
        period.as_secs(),
        request_lang(state, &held),
    )
    .await
    .map_err(|_| ApiError::unavailable())?;
    crate::api::outcome::outcome_response(state, &held, outcome)
}

/// `403 contact_unverified`: prove the contact on file first.
fn proof_required(destinations: &[Destination]) -> ApiError {
    let methods: Vec<&str> = destinations.iter().map(|d| method_name(d.method)).collect();
    ApiError::new(
        403,
        "contact_unverified",
        "First prove the email or mobile on file: POST /_mfa/api/enroll/contact with a method, then with the code.",
    )
    .with("verify_with", json!(methods))
}

/// `POST /_mfa/api/enroll/contact`: without `code`, sends the proof code to `method` (default:
/// the first contact on file); with `code`, checks it. Once proven, the app can be set up.
pub(super) async fn prove_contact(
    state: &AppState,
    held: Held<'_, '_>,
) -> Result<GatewayResponse, ApiError> {
    if !held.login.must_enroll {
        return Err(ApiError::new(
            409,
            "already_enrolled",
            "This member is enrolled; verify a code instead.",
        ));
    }
    let SetupGate::ProveContact(destinations) = setup_gate(state, &held).await? else {
        return Ok(GatewayResponse::json(
            200,
            &json!({ "contact_verified": true, "next": "/_mfa/api/enroll" }),
        ));
    };
    if let Some(code) = held.body.get("code").and_then(Value::as_str) {
        let method = held
            .login
            .contact_proof
            .as_ref()
            .filter(|p| !p.proven)
            .and_then(|p| parse_method(state, &p.method))
            .ok_or_else(|| {
                ApiError::new(
                    409,
                    "contact_proof_not_started",
                    "Send the proof code first: POST /_mfa/api/enroll/contact with a method.",
                )
            })?;
        let outcome = contact::prove_contact(state, &held.id, method, code)
            .await
            .map_err(|_| ApiError::unavailable())?;
        return match outcome {
            ProofOutcome::Proven(_) => Ok(GatewayResponse::json(
                200,
                &json!({ "contact_verified": true, "method": method_name(method), "next": "/_mfa/api/enroll" }),
            )),
            ProofOutcome::Refused(VerifyOutcome::Passed { .. }) => Err(ApiError::unavailable()),
            ProofOutcome::Refused(other) => {
                crate::api::outcome::outcome_response(state, &held, other)
            }
        };
    }
    let dest = match held.body.get("method").and_then(Value::as_str) {
        Some(name) => destinations
            .iter()
            .find(|d| Some(d.method) == parse_method(state, name))
            .ok_or_else(|| {
                ApiError::new(
                    409,
                    "method_unavailable",
                    "Codes cannot be sent this way for this member.",
                )
            })?,
        None => &destinations[0],
    }
    .clone();
    let mut login = held.login.clone();
    let name = method_name(dest.method);
    login.method = Some(name.to_string());
    login.contact_proof = Some(ContactProof {
        method: name.to_string(),
        proven: false,
    });
    save(state, &held.id, &login).await?;
    tracing::info!(event = "contact_proof_started", user = %login.user, method = name);
    let lang = request_lang(state, &held);
    send_answer(state, &held.id, &login.user, dest.method, &dest, lang).await
}
