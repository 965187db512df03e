//! The challenge for enrolled members: the code from their method, "Resend code", "Try another
//! method", and the answers to a submitted code.

use super::enroll::method_choice;
use super::{fail_closed, help_senders, message, page, save_pending, Held};
use crate::config::duration::describe_duration;
use crate::config::Method;
use crate::http::response::GatewayResponse;
use crate::mfa::codes;
use crate::mfa::contact::{self, method_name, parse_method, Available, Destination, SendOutcome};
use crate::mfa::limits::LOCKED_UNTIL_UNLOCKED;
use crate::mfa::release::release_response;
use crate::mfa::session::clear_cookie;
use crate::mfa::verify::{verify_code, VerifyOutcome};
use crate::pages::{Challenge, Message, Page};
use crate::state::AppState;

/// What the page says above the code field.
#[derive(Debug, Default)]
pub(super) struct Feedback {
    pub error: Option<(String, &'static str)>,
    pub attempts_left: Option<u32>,
    pub notice: Option<String>,
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
            fail_closed(state)
        })?;
    let Some(active) = available.active(state, held.login.method.as_deref()) else {
        return Err(message(
            state,
            Message::new(
                409,
                "We can't send you a code",
                "We have no way to send you a code right now. Please contact support to reset your verification.",
            ),
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
            Ok(false) => apply_send(
                &mut feedback,
                contact::send_code(state, &held.id, &held.login.user, dest).await,
                dest,
            ),
            Ok(true) => {}
            Err(_) => return fail_closed(state),
        }
    }
    let wait = match codes::resend_wait(state, &held.id, name).await {
        Ok(w) => w,
        Err(_) => return fail_closed(state),
    };
    let mut others = Vec::new();
    if opts.app && opts.active != Method::App {
        others.push(method_choice(Method::App, None));
    }
    for d in opts.destinations.iter().filter(|d| d.method != opts.active) {
        others.push(method_choice(d.method, Some(d.masked.clone())));
    }
    let (help_sender_email, help_sender_phone) = help_senders(state);
    let (error, error_kind) = match feedback.error {
        Some((text, kind)) => (Some(text), Some(kind.to_string())),
        None => (None, None),
    };
    page(
        state,
        Page::Challenge(Challenge {
            csrf: held.csrf.clone(),
            username: held.login.user.clone(),
            method: name.to_string(),
            masked_destination: opts.destination(opts.active).map(|d| d.masked.clone()),
            code_ttl_label: describe_duration(state.config.mfa.code_ttl),
            error,
            error_kind,
            notice: feedback.notice,
            other_methods: others,
            can_resend: opts.active != Method::App,
            resend_wait_secs: wait.map(|w| w.as_secs()),
            attempts_left: feedback.attempts_left,
            help_sender_email,
            help_sender_phone,
        }),
    )
}

fn apply_send(
    feedback: &mut Feedback,
    sent: Result<SendOutcome, crate::store::StoreError>,
    dest: &Destination,
) {
    match sent {
        Ok(SendOutcome::Sent) => feedback.notice = Some(format!("We sent a code to {}.", dest.masked)),
        Ok(SendOutcome::Throttled(wait)) => {
            feedback.notice = Some(format!("You can request a new code in {} seconds.", wait.as_secs()))
        }
        Ok(SendOutcome::Failed(_)) | Err(_) => {
            feedback.error = Some((
                "We couldn't send your code right now. Please try again in a moment, or try another method.".into(),
                "send_failed",
            ))
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
            contact::send_code(state, &held.id, &held.login.user, dest).await,
            dest,
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

/// Support wording for a wrong code, from the FAQ.
fn wrong_code_text(state: &AppState) -> String {
    format!(
        "That code didn't work. Be sure that you have entered the code correctly. \
         If it still does not work, contact {} for help.",
        state.config.branding.support_email
    )
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
        Ok(VerifyOutcome::Wrong { attempts_left }) => {
            let feedback = Feedback {
                error: Some((wrong_code_text(state), "wrong")),
                attempts_left: Some(attempts_left),
                notice: None,
            };
            show(state, &held, feedback).await
        }
        Ok(VerifyOutcome::CodeExpired { attempts_left }) => {
            let feedback = Feedback {
                error: Some((
                    "That code has expired. Please request a new code.".into(),
                    "expired",
                )),
                attempts_left: Some(attempts_left),
                notice: None,
            };
            show(state, &held, feedback).await
        }
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
        VerifyOutcome::Locked { until } => message(state, Message::slow_down((until - state.now()).max(1) as u64)),
        VerifyOutcome::Expired => message(state, Message::session_expired()).with_cookie(clear()),
        VerifyOutcome::NotApplicable if held.login.must_enroll => super::enroll::not_enrollable(state),
        VerifyOutcome::NotApplicable => fail_closed(state),
        VerifyOutcome::Passed { .. } | VerifyOutcome::Wrong { .. } | VerifyOutcome::CodeExpired { .. } => {
            fail_closed(state)
        }
    }
}
