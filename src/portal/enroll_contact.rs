//! Email / text set-up: sending (and resending) the first code to the roster email or mobile,
//! and the confirmation page where the member types it and picks the trust period.

use super::enroll::{chosen_period, start, trust_options, Proof};
use super::{fail_closed, help_senders, message, page, Held};
use crate::config::duration::describe_duration;
use crate::config::Method;
use crate::http::response::GatewayResponse;
use crate::mfa::codes;
use crate::mfa::contact::{self, method_name, parse_method, Destination, SendOutcome};
use crate::pages::{EnrollContact, Message, Page};
use crate::state::AppState;

/// Sends a code during set-up; returns (error, notice) for the page.
pub(super) async fn send(
    state: &AppState,
    held: &Held<'_, '_>,
    dest: &Destination,
) -> (Option<String>, Option<String>) {
    match contact::send_code(state, &held.id, &held.login.user, dest).await {
        Ok(SendOutcome::Sent) => (None, Some(format!("We sent a code to {}.", dest.masked))),
        Ok(SendOutcome::Throttled(wait)) => {
            (None, Some(format!("You can request a new code in {} seconds.", wait.as_secs())))
        }
        Ok(SendOutcome::Failed(_)) => (
            Some("We couldn't send your code right now. Please try again in a moment, or choose a different method.".into()),
            None,
        ),
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            (Some("We couldn't send your code right now. Please try again in a moment.".into()), None)
        }
    }
}

/// "Resend code" during an email / text set-up (or its proof before the app).
pub(super) async fn resend(state: &AppState, held: Held<'_, '_>, proof: &Proof) -> GatewayResponse {
    let Some(method) = held
        .login
        .method
        .as_deref()
        .and_then(|m| parse_method(state, m))
        .filter(|m| *m != Method::App)
    else {
        return start(state, held, proof).await;
    };
    let dest = match contact::destinations(state, &held.login.user).await {
        Ok(d) => d.into_iter().find(|d| d.method == method),
        Err(_) => return fail_closed(state),
    };
    let Some(dest) = dest else {
        return start(state, held, proof).await;
    };
    let (error, notice) = send(state, &held, &dest).await;
    contact_page(state, &held, method, error, notice).await
}

/// The email / text confirmation page.
pub(super) async fn contact_page(
    state: &AppState,
    held: &Held<'_, '_>,
    method: Method,
    error: Option<String>,
    notice: Option<String>,
) -> GatewayResponse {
    let dest = match contact::destinations(state, &held.login.user).await {
        Ok(d) => d.into_iter().find(|d| d.method == method),
        Err(e) => {
            tracing::error!(event = "roster_unavailable", error = %e);
            return fail_closed(state);
        }
    };
    let Some(dest) = dest else {
        return message(
            state,
            Message::new(
                409,
                "We don't have that contact on file",
                "Please choose a different method.",
            )
            .with_retry("/_mfa/enroll?choose=1", "Choose a different method"),
        );
    };
    let name = method_name(method);
    let proving = held
        .login
        .contact_proof
        .as_ref()
        .is_some_and(|p| !p.proven && p.method == name);
    let notice = if proving {
        let what = if method == Method::Email {
            "email address"
        } else {
            "mobile number"
        };
        let first = format!(
            "Before you set up an authenticator app, please confirm the {what} on your roster \
             record: enter the code we sent there. Then you scan the QR code."
        );
        Some(match notice {
            Some(n) => format!("{first} {n}"),
            None => first,
        })
    } else {
        notice
    };
    let (sent, wait) = match (
        codes::was_sent(state, &held.id, name).await,
        codes::resend_wait(state, &held.id, name).await,
    ) {
        (Ok(sent), Ok(wait)) => (sent, wait),
        _ => return fail_closed(state),
    };
    let (help_sender_email, help_sender_phone) = help_senders(state);
    page(
        state,
        Page::EnrollContact(EnrollContact {
            csrf: held.csrf.clone(),
            method: name.to_string(),
            masked_destination: dest.masked,
            code_sent: sent,
            code_ttl_label: describe_duration(state.config.mfa.code_ttl),
            trust_options: trust_options(state, chosen_period(state, held)),
            error,
            notice,
            resend_wait_secs: wait.map(|w| w.as_secs()),
            help_sender_email,
            help_sender_phone,
        }),
    )
}
