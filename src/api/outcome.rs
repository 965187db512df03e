//! The JSON answer to a verification outcome: the released login, or an error with a stable
//! code and the right status.

use serde_json::json;

use super::endpoints::Held;
use super::ApiError;
use crate::http::response::GatewayResponse;
use crate::mfa::release::release_api_response;
use crate::mfa::session::SessionCookies;
use crate::mfa::verify::VerifyOutcome;
use crate::state::AppState;

/// Maps a verification outcome to the API answer.
pub(super) fn outcome_response(
    state: &AppState,
    held: &Held<'_, '_>,
    outcome: VerifyOutcome,
) -> Result<GatewayResponse, ApiError> {
    match outcome {
        VerifyOutcome::Passed { login, member } => {
            let browser = SessionCookies::from_headers(
                held.req.cookie_headers.iter().copied(),
                &state.config.site.session_cookies,
            );
            Ok(release_api_response(
                state,
                &login,
                &member,
                &browser,
                state.now(),
            ))
        }
        VerifyOutcome::Wrong { attempts_left } => Err(ApiError::new(
            401,
            "wrong_code",
            "That code didn't work. Be sure that you have entered the code correctly.",
        )
        .with("attempts_left", json!(attempts_left))),
        VerifyOutcome::CodeExpired { attempts_left } => Err(ApiError::new(
            401,
            "code_expired",
            "That code has expired; request a new code.",
        )
        .with("attempts_left", json!(attempts_left))),
        VerifyOutcome::ChallengeExhausted => Err(ApiError::new(
            403,
            "challenge_exhausted",
            "Too many incorrect codes: this sign-in has been stopped. Sign in again.",
        )),
        VerifyOutcome::Locked { until } => {
            let wait = (until - state.now()).max(1);
            let permanent = until == crate::mfa::limits::LOCKED_UNTIL_UNLOCKED;
            let mut e = ApiError::new(
                423,
                "locked",
                "Verification is locked for this member after too many incorrect codes.",
            );
            if !permanent {
                e = e.with("retry_after", json!(wait));
            }
            Err(e.with("contact_support", json!(permanent)))
        }
        VerifyOutcome::Expired => Err(ApiError::new(
            404,
            "challenge_not_found",
            "This sign-in has expired or was already completed. Sign in again.",
        )),
        VerifyOutcome::NotApplicable => Err(ApiError::new(
            409,
            "method_unavailable",
            "That method cannot be used for this sign-in.",
        )),
    }
}
