//! The challenge for enrolled members: the code from their method, "Resend code", "Try another
//! method", and the answers to a submitted code.

use super::enroll::method_choice;
use super::{fail_closed, help_senders, message, page, save_pending, Held};
use crate::config::Method;
use crate::http::response::GatewayResponse;
use crate::mfa::codes;
use crate::mfa::contact::{self, method_name, parse_method, Available, SendOutcome};
use crate::mfa::limits::LOCKED_UNTIL_UNLOCKED;
use crate::mfa::release::release_response;
use crate::mfa::session::clear_cookie;
use crate::mfa::verify::{verify_code, VerifyOutcome};
use crate::pages::{Challenge, Message, Page, TimeSpan};
use crate::state::AppState;

use std::time::Duration;

/// What the page says above the code field, as kinds and numbers: the template words them in
/// the member's language.
#[derive(Debug, Default)]
pub(super) struct Feedback {
    /// `wrong`, `expired` or `send_failed`.
    pub error: Option<&'static str>,
    /// Wrong codes still allowed for this sign-in.
    pub attempts_left: Option<u32>,
    /// `sent` or `throttled`.
    pub notice: Option<&'static str>,
    /// How long a refused send must wait: "Resend code" stays disabled that long.
    pub wait: Option<Duration>,
}

/// The ways this member can get a code now, and the one in use.
struct Options {
    active: Method,
    available: Available,
}

impl std::ops::Deref for Options {
    type Target = Available;
    fn deref(&self) -> &Available {
        &self.available
    }
}

async fn options(state: &AppState, held: &Held<'_, '_>) -> Result<Options, GatewayResponse> {
    let available = contact::available(state, &held.login.user, false)
        .await
        .map_err(|e| {
            tracing::error!(event = "roster_unavailable", error = %e);
            fail_closed(state, &held.audience)
        })?;
    let Some(active) = available.active(state, held.login.method.as_deref()) else {
        return Err(message(
            state,
            &held.audience,
            Message::no_method_available(),
        ));
    };
    Ok(Options { active, available })
}

/// The challenge page; sends the first code automatically for email / text.
pub(super) async fn show(
    state: &AppState,
    held: &Held<'_, '_>,
    mut feedback: Feedback,
) -> GatewayResponse {
    let opts = match options(state, held).await {
        Ok(o) => o,
        Err(resp) => return resp,
    };
    let name = method_name(opts.active);
    if let Some(dest) = opts.destination(opts.active) {
        match codes::was_sent(state, &held.id, name).await {
            // Not again after a failed "Resend code": one provider call per request.
            Ok(false) if feedback.error.is_none() => apply_send(
                &mut feedback,
                contact::send_code(state, &held.id, &held.login.user, dest, held.audience.lang)
                    .await,
            ),
            Ok(_) => {}
            Err(_) => return fail_closed(state, &held.audience),
        }
    }
    let wait = match codes::resend_wait(state, &held.id, name).await {
        Ok(w) => w,
        Err(_) => return fail_closed(state, &held.audience),
    };
    let mut others = Vec::new();
    if opts.app && opts.active != Method::App {
        others.push(method_choice(Method::App, None));
    }
    for d in opts.destinations.iter().filter(|d| d.method != opts.active) {
        others.push(method_choice(d.method, Some(d.masked.clone())));
    }
    let (help_sender_email, help_sender_phone) = help_senders(state);
    // A refused send may ask for a longer wait (the member's sends per window) than the
    // resend interval: the button stays disabled for the longer one.
    let wait = wait
        .max(feedback.wait)
        .map(|w| w.as_secs())
        .filter(|s| *s > 0);
    let challenge = Challenge {
        csrf: held.csrf.clone(),
        username: held.login.user.clone(),
        method: name.to_string(),
        masked_destination: opts.destination(opts.active).map(|d| d.masked.clone()),
        code_ttl: TimeSpan::of(state.config.mfa.code_ttl),
        error_kind: feedback.error,
        notice_kind: feedback.notice,
        other_methods: others,
        can_resend: opts.active != Method::App,
        resend_wait_secs: wait,
        attempts_left: feedback.attempts_left,
        help_sender_email,
        help_sender_phone,
    };
    page(state, &held.audience, Page::Challenge(challenge))
}

/// Records what a send did, for the page to say.
fn apply_send(feedback: &mut Feedback, sent: Result<SendOutcome, crate::store::StoreError>) {
    match sent {
        Ok(SendOutcome::Sent) => feedback.notice = Some("sent"),
        Ok(SendOutcome::Throttled(wait)) => {
            feedback.notice = Some("throttled");
            feedback.wait = Some(wait);
        }
        Ok(SendOutcome::Failed(_)) => feedback.error = Some("send_failed"),
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            feedback.error = Some("send_failed");
        }
    }
}

/// "Resend code" (same method).
pub(super) async fn resend(state: &AppState, held: Held<'_, '_>) -> GatewayResponse {
    let opts = match options(state, &held).await {
        Ok(o) => o,
        Err(resp) => return resp,
    };
    let mut feedback = Feedback::default();
    if let Some(dest) = opts.destination(opts.active) {
        apply_send(
            &mut feedback,
            contact::send_code(state, &held.id, &held.login.user, dest, held.audience.lang).await,
        );
    }
    show(state, &held, feedback).await
}

/// "Try another method".
pub(super) async fn switch(state: &AppState, mut held: Held<'_, '_>) -> GatewayResponse {
    let opts = match options(state, &held).await {
        Ok(o) => o,
        Err(resp) => return resp,
    };
    let Some(method) = held
        .req
        .field("method")
        .and_then(|m| parse_method(state, m))
        .filter(|m| opts.has(*m))
    else {
        return show(state, &held, Feedback::default()).await;
    };
    held.login.method = Some(method_name(method).to_string());
    if let Err(resp) = save_pending(state, &held).await {
        return resp;
    }
    tracing::info!(event = "method_switched", user = %held.login.user, method = method_name(method));
    show(state, &held, Feedback::default()).await
}

/// A submitted code for an enrolled member.
pub(super) async fn verify(state: &AppState, held: Held<'_, '_>) -> GatewayResponse {
    let opts = match options(state, &held).await {
        Ok(o) => o,
        Err(resp) => return resp,
    };
    let code = held.req.field("code").unwrap_or_default().to_string();
    match verify_code(state, &held.id, opts.active, &code).await {
        Ok(VerifyOutcome::Passed { login, member }) => release_response(
            state,
            &login,
            &member,
            &held.browser_cookies(state),
            state.now(),
        ),
        // No try left: say so on this answer, not "you can try 0 more times" (the next code
        // would be refused anyway).
        Ok(
            VerifyOutcome::Wrong { attempts_left: 0 }
            | VerifyOutcome::CodeExpired { attempts_left: 0 },
        ) => outcome_page(state, &held, VerifyOutcome::ChallengeExhausted),
        Ok(VerifyOutcome::Wrong { attempts_left }) => {
            let feedback = Feedback {
                error: Some("wrong"),
                attempts_left: Some(attempts_left),
                ..Feedback::default()
            };
            show(state, &held, feedback).await
        }
        Ok(VerifyOutcome::CodeExpired { attempts_left }) => {
            let feedback = Feedback {
                error: Some("expired"),
                attempts_left: Some(attempts_left),
                ..Feedback::default()
            };
            show(state, &held, feedback).await
        }
        Ok(other) => outcome_page(state, &held, other),
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            fail_closed(state, &held.audience)
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
        VerifyOutcome::ChallengeExhausted => {
            message(state, &held.audience, Message::challenge_exhausted()).with_cookie(clear())
        }
        VerifyOutcome::Locked { until } if until == LOCKED_UNTIL_UNLOCKED => {
            message(state, &held.audience, Message::locked())
        }
        VerifyOutcome::Locked { until } => message(
            state,
            &held.audience,
            Message::slow_down((until - state.now()).max(1) as u64),
        ),
        VerifyOutcome::Expired => {
            message(state, &held.audience, Message::session_expired()).with_cookie(clear())
        }
        VerifyOutcome::NotApplicable if held.login.must_enroll => {
            super::enroll::not_enrollable(state, &held.audience)
        }
        VerifyOutcome::NotApplicable => fail_closed(state, &held.audience),
        VerifyOutcome::Passed { .. }
        | VerifyOutcome::Wrong { .. }
        | VerifyOutcome::CodeExpired { .. } => fail_closed(state, &held.audience),
    }
}
