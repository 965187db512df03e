//! The contact proof before an authenticator-app set-up: a code goes to the roster email /
//! mobile, and only once it is entered does the app set-up follow.

use super::enroll_contact::{contact_page, send, Said};
use super::{fail_closed, save_pending, Held};
use crate::config::Method;
use crate::http::response::GatewayResponse;
use crate::mfa::codes;
use crate::mfa::contact::{self, method_name, Destination, ProofOutcome};
use crate::mfa::pending::ContactProof;
use crate::mfa::verify::VerifyOutcome;
use crate::pages::{MfaIntro, SetupError};
use crate::state::AppState;

/// The member wants the authenticator app but must first prove the contact on file: a code
/// goes to the contact already chosen for the proof, else the first one (configured order).
/// `intro` when this is the first set-up page the member sees.
pub(super) async fn begin_app_proof(
    state: &AppState,
    mut held: Held<'_, '_>,
    destinations: &[Destination],
    intro: Option<MfaIntro>,
) -> GatewayResponse {
    let current = held.login.contact_proof.as_ref().and_then(|p| {
        destinations
            .iter()
            .find(|d| method_name(d.method) == p.method)
    });
    let Some(dest) = current.or(destinations.first()).cloned() else {
        return fail_closed(state, &held.audience);
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
    let error = match codes::was_sent(state, &held.id, name).await {
        Ok(true) => None,
        Ok(false) => send(state, &held, &dest).await.err(),
        Err(_) => return fail_closed(state, &held.audience),
    };
    let said = Said {
        intro: intro.filter(|_| error.is_none()),
        error,
        ..Said::default()
    };
    contact_page(state, &held, dest.method, said).await
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
            super::enroll_app::app_page(state, held, None, None).await
        }
        Ok(ProofOutcome::Refused(VerifyOutcome::Wrong { attempts_left })) => {
            let error = SetupError::WrongCode { attempts_left };
            refused(state, &held, method, error).await
        }
        Ok(ProofOutcome::Refused(VerifyOutcome::CodeExpired { .. })) => {
            refused(state, &held, method, SetupError::CodeExpired).await
        }
        Ok(ProofOutcome::Refused(other)) => super::challenge::outcome_page(state, &held, other),
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            fail_closed(state, &held.audience)
        }
    }
}

/// The proof page again, opening on why the code was refused.
async fn refused(
    state: &AppState,
    held: &Held<'_, '_>,
    method: Method,
    error: SetupError,
) -> GatewayResponse {
    let said = Said {
        error: Some(error),
        ..Said::default()
    };
    contact_page(state, held, method, said).await
}
