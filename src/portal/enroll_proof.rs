//! The contact proof before an authenticator-app set-up: a code goes to the roster email /
//! mobile, and only once it is entered does the app set-up follow.

use super::enroll_contact::{contact_page, send};
use super::{fail_closed, save_pending, Held};
use crate::config::Method;
use crate::http::response::GatewayResponse;
use crate::mfa::codes;
use crate::mfa::contact::{self, method_name, Destination, ProofOutcome};
use crate::mfa::pending::ContactProof;
use crate::mfa::verify::VerifyOutcome;
use crate::state::AppState;

/// The member wants the authenticator app but must first prove the contact on file: a code
/// goes to the contact already chosen for the proof, else the first one (configured order).
pub(super) async fn begin_app_proof(
    state: &AppState,
    mut held: Held<'_, '_>,
    destinations: &[Destination],
) -> GatewayResponse {
    let current = held.login.contact_proof.as_ref().and_then(|p| {
        destinations
            .iter()
            .find(|d| method_name(d.method) == p.method)
    });
    let Some(dest) = current.or(destinations.first()).cloned() else {
        return fail_closed(state);
    };
    let name = method_name(dest.method);
    held.login.method = Some(name.to_string());
    held.login.contact_proof = Some(ContactProof {
        method: name.to_string(),
        proven: false,
    });
    if let Err(resp) = save_pending(state, &held).await {
        return resp;
    }
    tracing::info!(event = "contact_proof_started", user = %held.login.user, method = name);
    let (error, notice) = match codes::was_sent(state, &held.id, name).await {
        Ok(true) => (None, None),
        Ok(false) => send(state, &held, &dest).await,
        Err(_) => return fail_closed(state),
    };
    contact_page(state, &held, dest.method, error, notice).await
}

/// The proof code was entered: on success the authenticator-app set-up follows.
pub(super) async fn prove(
    state: &AppState,
    mut held: Held<'_, '_>,
    method: Method,
) -> GatewayResponse {
    let code = held.req.field("code").unwrap_or_default().to_string();
    match contact::prove_contact(state, &held.id, method, &code).await {
        Ok(ProofOutcome::Proven(login)) => {
            held.login = *login;
            held.login.method = Some(method_name(Method::App).to_string());
            if let Err(resp) = save_pending(state, &held).await {
                return resp;
            }
            super::enroll_app::app_page(state, held, None).await
        }
        Ok(ProofOutcome::Refused(VerifyOutcome::Wrong { attempts_left })) => {
            let error = format!(
                "That code didn't work. Be sure that you have entered the 6-digit code correctly. \
                 You can try {attempts_left} more time(s)."
            );
            contact_page(state, &held, method, Some(error), None).await
        }
        Ok(ProofOutcome::Refused(VerifyOutcome::CodeExpired { .. })) => {
            let error = "That code has expired. Please request a new code.".to_string();
            contact_page(state, &held, method, Some(error), None).await
        }
        Ok(ProofOutcome::Refused(other)) => super::challenge::outcome_page(state, &held, other),
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            fail_closed(state)
        }
    }
}
