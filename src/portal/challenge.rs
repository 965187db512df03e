//! The challenge page for enrolled members and the answers to a submitted code.

use super::{enroll, fail_closed, message, page, Held};
use crate::http::response::GatewayResponse;
use crate::mfa::limits::LOCKED_UNTIL_UNLOCKED;
use crate::mfa::release::release_response;
use crate::mfa::session::clear_cookie;
use crate::mfa::verify::{verify_app_code, VerifyOutcome};
use crate::pages::{Challenge, Message, Page};
use crate::state::AppState;

/// Support wording for a wrong code, from the FAQ.
fn wrong_code_text(state: &AppState) -> String {
    format!(
        "That code didn't work. Be sure that you have entered the code correctly. \
         If it still does not work, contact {} for help.",
        state.config.branding.support_email
    )
}

/// The challenge page, optionally with an error.
pub(super) fn show(
    state: &AppState,
    held: &Held<'_, '_>,
    error: Option<(String, &str, Option<u32>)>,
) -> GatewayResponse {
    let (error, error_kind, attempts_left) = match error {
        Some((text, kind, left)) => (Some(text), Some(kind.to_string()), left),
        None => (None, None, None),
    };
    page(
        state,
        Page::Challenge(Challenge {
            csrf: held.csrf.clone(),
            username: held.login.user.clone(),
            method: "app".into(),
            masked_destination: None,
            code_ttl_label: crate::portal::enroll::period_label(state.config.mfa.code_ttl)
                .trim_start_matches("Every ")
                .to_string(),
            error,
            error_kind,
            notice: None,
            other_methods: Vec::new(),
            can_resend: false,
            resend_wait_secs: None,
            attempts_left,
            help_sender_email: None,
            help_sender_phone: None,
        }),
    )
}

/// A submitted code for an enrolled member.
pub(super) async fn verify(state: &AppState, held: Held<'_, '_>) -> GatewayResponse {
    let code = held.req.field("code").unwrap_or_default().to_string();
    match verify_app_code(state, &held.id, &code).await {
        Ok(VerifyOutcome::Passed { login, member }) => release_response(
            state,
            &login,
            &member,
            &held.browser_cookies(state),
            state.now(),
        ),
        Ok(VerifyOutcome::Wrong { attempts_left }) => show(
            state,
            &held,
            Some((wrong_code_text(state), "wrong", Some(attempts_left))),
        ),
        Ok(other) => outcome_page(state, &held, other),
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            fail_closed(state)
        }
    }
}

/// Pages for the outcomes that end or pause the flow.
pub(super) fn outcome_page(
    state: &AppState,
    held: &Held<'_, '_>,
    outcome: VerifyOutcome,
) -> GatewayResponse {
    let clear = || clear_cookie(state, &state.cookie_names.pending);
    match outcome {
        VerifyOutcome::ChallengeExhausted => message(
            state,
            Message::new(
                403,
                "Too many incorrect codes",
                "For your security this sign-in has been stopped. Please sign in again with your username and password.",
            )
            .with_retry("/", "Sign in again"),
        )
        .with_cookie(clear()),
        VerifyOutcome::Locked { until } if until == LOCKED_UNTIL_UNLOCKED => message(state, Message::locked()),
        VerifyOutcome::Locked { until } => {
            message(state, Message::slow_down((until - state.now()).max(1) as u64))
        }
        VerifyOutcome::Expired => message(state, Message::session_expired()).with_cookie(clear()),
        VerifyOutcome::NotApplicable if held.login.must_enroll => enroll::not_enrollable(state),
        VerifyOutcome::NotApplicable => message(state, Message::fail_closed()),
        VerifyOutcome::Passed { .. } | VerifyOutcome::Wrong { .. } => fail_closed(state),
    }
}
