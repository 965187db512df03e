//! `POST /_mfa/api/send` and `POST /_mfa/api/verify`: send a code to a method (also the first
//! code of an email / text set-up), and check a code from an enrolled member.

use serde_json::{json, Value};

use super::{field, method_field, save, setup_gate, Held};
use crate::api::ApiError;
use crate::config::Method;
use crate::http::cookies::request_cookies;
use crate::http::response::GatewayResponse;
use crate::mfa::codes;
use crate::mfa::contact::{self, method_name, parse_method, Destination, SendOutcome};
use crate::mfa::pending::PendingLogin;
use crate::mfa::verify::verify_code;
use crate::pages::Lang;
use crate::state::AppState;

/// The language of what a request sends the member (codes, notices): the JSON API has no page,
/// so the language cookie the pages set if the client holds it, else `Accept-Language`, else
/// English.
pub(super) fn request_lang(state: &AppState, held: &Held<'_, '_>) -> Lang {
    let chosen = request_cookies(held.req.cookie_headers.iter().copied())
        .find(|pair| pair.name == state.cookie_names.lang)
        .map(|pair| pair.value);
    Lang::negotiate(chosen, held.req.accept_language)
}

pub(super) async fn send(
    state: &AppState,
    held: Held<'_, '_>,
) -> Result<GatewayResponse, ApiError> {
    let method = method_field(state, &held.body)?;
    if held.login.must_enroll {
        // An email / text set-up proves its contact with its own first code.
        setup_gate(state, &held).await?;
        let mut login = held.login.clone();
        login.contact_proof = None;
        return send_to(state, held, login, method).await;
    }
    let login = held.login.clone();
    send_to(state, held, login, method).await
}

/// Sends a code to `method` for this held login, saving `login` (with `method` active) first.
async fn send_to(
    state: &AppState,
    held: Held<'_, '_>,
    mut login: PendingLogin,
    method: Method,
) -> Result<GatewayResponse, ApiError> {
    let available = contact::available(state, &held.login.user, held.login.must_enroll)
        .await
        .map_err(|_| ApiError::unavailable())?;
    let dest = available
        .destination(method)
        .ok_or_else(|| {
            ApiError::new(
                409,
                "method_unavailable",
                "Codes cannot be sent this way for this member.",
            )
        })?
        .clone();
    login.method = Some(method_name(method).to_string());
    save(state, &held.id, &login).await?;
    let lang = request_lang(state, &held);
    send_answer(state, &held.id, &login.user, method, &dest, lang).await
}

/// Sends a code to `dest` in `lang` and answers with what happened.
pub(super) async fn send_answer(
    state: &AppState,
    id: &str,
    user: &str,
    method: Method,
    dest: &Destination,
    lang: Lang,
) -> Result<GatewayResponse, ApiError> {
    match contact::send_code(state, id, user, dest, lang)
        .await
        .map_err(|_| ApiError::unavailable())?
    {
        SendOutcome::Sent => Ok(GatewayResponse::json(
            200,
            &json!({ "sent": true, "method": method_name(method), "destination": dest.masked,
                         "code_ttl_secs": state.config.mfa.code_ttl.as_secs(),
                         "resend_after_secs": codes::RESEND_INTERVAL.as_secs() }),
        )),
        SendOutcome::Throttled(wait) => {
            Err(
                ApiError::new(429, "throttled", "Too soon to send another code.")
                    .with("retry_after", json!(wait.as_secs())),
            )
        }
        SendOutcome::Failed(_) => Err(ApiError::new(
            502,
            "delivery_failed",
            "The code could not be sent; try another method.",
        )),
    }
}

pub(super) async fn verify(
    state: &AppState,
    held: Held<'_, '_>,
) -> Result<GatewayResponse, ApiError> {
    if held.login.must_enroll {
        return Err(ApiError::new(
            409,
            "enrollment_required",
            "Set up a method first: POST /_mfa/api/enroll.",
        ));
    }
    let code = field(&held.body, "code")?;
    let available = contact::available(state, &held.login.user, false)
        .await
        .map_err(|_| ApiError::unavailable())?;
    let method = match held.body.get("method").and_then(Value::as_str) {
        Some(name) => parse_method(state, name).filter(|m| available.has(*m)),
        None => available.active(state, held.login.method.as_deref()),
    }
    .ok_or_else(|| {
        ApiError::new(
            409,
            "method_unavailable",
            "That method is not available for this member.",
        )
    })?;
    let outcome = verify_code(state, &held.id, method, code)
        .await
        .map_err(|_| ApiError::unavailable())?;
    crate::api::outcome::outcome_response(state, &held, outcome)
}
