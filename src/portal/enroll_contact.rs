//! Email / text set-up: sending (and resending) the first code to the roster email or mobile,
//! and the confirmation page where the member types it and picks the trust period.

use super::enroll::{can_choose, chosen_period, start, trust_options, Proof};
use super::{fail_closed, help_senders, message, page, Held};
use crate::config::Method;
use crate::http::response::GatewayResponse;
use crate::mfa::codes;
use crate::mfa::contact::{self, method_name, parse_method, Destination, SendOutcome};
use crate::pages::{EnrollContact, Message, MfaIntro, Page, SetupError, TimeSpan};
use crate::state::AppState;

/// What the email / text page says besides the code form.
#[derive(Debug, Default)]
pub(super) struct Said {
    /// What MFA is: this is the first set-up page the member sees.
    pub intro: Option<MfaIntro>,
    /// Why the last step was refused, or the code could not be sent.
    pub error: Option<SetupError>,
    /// A new code went out just now at the member's request.
    pub resent: bool,
}

/// Sends a code during set-up: `Ok(true)` sent, `Ok(false)` too soon (the page shows the
/// wait), `Err` when it could not be sent.
pub(super) async fn send(
    state: &AppState,
    held: &Held<'_, '_>,
    dest: &Destination,
) -> Result<bool, SetupError> {
    match contact::send_code(state, &held.id, &held.login.user, dest, held.audience.lang).await {
        Ok(SendOutcome::Sent) => Ok(true),
        Ok(SendOutcome::Throttled(_)) => Ok(false),
        Ok(SendOutcome::Failed(_)) => Err(SetupError::SendFailed),
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            Err(SetupError::SendFailed)
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
        Err(_) => return fail_closed(state, &held.audience),
    };
    let Some(dest) = dest else {
        return start(state, held, proof).await;
    };
    let said = match send(state, &held, &dest).await {
        Ok(resent) => Said {
            resent,
            ..Said::default()
        },
        Err(error) => Said {
            error: Some(error),
            ..Said::default()
        },
    };
    contact_page(state, &held, method, said).await
}

/// The email / text confirmation page (also the contact proof before an app set-up).
pub(super) async fn contact_page(
    state: &AppState,
    held: &Held<'_, '_>,
    method: Method,
    said: Said,
) -> GatewayResponse {
    let dest = match contact::destinations(state, &held.login.user).await {
        Ok(d) => d.into_iter().find(|d| d.method == method),
        Err(e) => {
            tracing::error!(event = "roster_unavailable", error = %e);
            return fail_closed(state, &held.audience);
        }
    };
    let Some(dest) = dest else {
        return message(state, &held.audience, Message::contact_not_on_file());
    };
    let name = method_name(method);
    let proving_for_app = held
        .login
        .contact_proof
        .as_ref()
        .is_some_and(|p| !p.proven && p.method == name);
    let (sent, wait) = match (
        codes::was_sent(state, &held.id, name).await,
        codes::resend_wait(state, &held.id, name).await,
    ) {
        (Ok(sent), Ok(wait)) => (sent, wait),
        _ => return fail_closed(state, &held.audience),
    };
    let (help_sender_email, help_sender_phone) = help_senders(state);
    // After a failed send the page offers to send again rather than asking for a code.
    let failed = said.error == Some(SetupError::SendFailed);
    page(
        state,
        &held.audience,
        Page::EnrollContact(EnrollContact {
            csrf: held.csrf.clone(),
            intro: said.intro,
            method: name.to_string(),
            proving_for_app,
            masked_destination: dest.masked,
            code_sent: sent && !failed,
            code_ttl: TimeSpan::of(state.config.mfa.code_ttl),
            trust_options: trust_options(state, chosen_period(state, held)),
            error: said.error,
            resent: said.resent,
            resend_wait_secs: wait.map(|w| w.as_secs()),
            can_choose: can_choose(state),
            help_sender_email,
            help_sender_phone,
        }),
    )
}
