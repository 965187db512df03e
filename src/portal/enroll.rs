//! Set-up pages: choose a method, then confirm it with a first code — from the authenticator
//! app (QR, key, link) or sent to the roster email / mobile — and the trust period (24 hours or
//! 30 days, 30 pre-selected).
//!
//! This module routes the set-up steps and holds the method choice, the confirmation and the
//! trust periods; the authenticator-app page is in `enroll_app`, the proof of the contact on
//! file before an app set-up in `enroll_proof`, and the email / text confirmation page in
//! `enroll_contact`.

use std::time::Duration;

use super::enroll_contact::{contact_page, resend, send};
use super::enroll_proof::{begin_app_proof, prove};
use super::{fail_closed, message, page, save_pending, Flow, Held};
use crate::config::duration::describe_duration;
use crate::config::Method;
use crate::http::response::GatewayResponse;
use crate::mfa::contact::{self, method_name, parse_method, Destination, SetupGate, SetupRefusal};
use crate::mfa::release::release_response;
use crate::mfa::session::clear_cookie;
use crate::mfa::verify::VerifyOutcome;
use crate::pages::{EnrollChoose, Message, MethodChoice, Page, TrustOption};
use crate::state::AppState;

/// Destinations the member must prove one of before an authenticator app is registered
/// (`None`: no proof needed, or already given for this login).
pub(super) type Proof = Option<Vec<Destination>>;

/// Every set-up step goes through here: the roster decides first whether this login may set
/// up at all, and whether it must prove the contact on file before the app (DESIGN.md, login
/// step 3). The same rule serves the JSON API ([`crate::mfa::contact::setup_gate`]).
pub(super) async fn route(state: &AppState, held: Held<'_, '_>, flow: Flow) -> GatewayResponse {
    let gate = match contact::setup_gate(state, &held.login).await {
        Ok(gate) => gate,
        Err(e) => {
            tracing::error!(event = "roster_unavailable", error = %e);
            return fail_closed(state);
        }
    };
    let proof: Proof = match gate {
        SetupGate::Refused(why) => return refuse(state, &held, why).await,
        SetupGate::ProveContact(destinations) => Some(destinations),
        SetupGate::Open => None,
    };
    match flow {
        Flow::Choose => choose(state, held, None).await,
        Flow::ChooseMethod => chosen(state, held, &proof).await,
        Flow::ConfirmApp if proof.is_some() => {
            // Posting the app's code without the proof (e.g. straight to /_mfa/enroll/app).
            tracing::warn!(event = "enrollment_proof_missing", user = %held.login.user, method = "app");
            message(state, Message::contact_proof_required())
        }
        Flow::ConfirmApp => confirm(state, held, Method::App, &proof).await,
        Flow::ConfirmContact => {
            let method = held
                .login
                .method
                .as_deref()
                .and_then(|m| parse_method(state, m))
                .filter(|m| *m != Method::App);
            match method {
                Some(m) if proving_for_app(&held, &proof, m) => prove(state, held, m).await,
                Some(m) => confirm(state, held, m, &proof).await,
                None => start(state, held, &proof).await,
            }
        }
        Flow::Resend => resend(state, held, &proof).await,
        Flow::Start | Flow::Verify | Flow::SwitchMethod | Flow::Cancel => {
            start(state, held, &proof).await
        }
    }
}

/// True when the code for `method` being entered is the proof before an app set-up.
fn proving_for_app(held: &Held<'_, '_>, proof: &Proof, method: Method) -> bool {
    proof.is_some()
        && held
            .login
            .contact_proof
            .as_ref()
            .is_some_and(|p| !p.proven && p.method == method_name(method))
}

/// No set-up for this login: the page says why and whom to contact; the held login is void.
async fn refuse(state: &AppState, held: &Held<'_, '_>, why: SetupRefusal) -> GatewayResponse {
    contact::audit_refusal(&held.login.user, why);
    if let Err(e) = crate::mfa::pending::void(state.ephemeral.as_ref(), &held.id).await {
        tracing::error!(event = "store_error", error = %e);
        return fail_closed(state);
    }
    let url = state.config.branding.roster_update_url.as_deref();
    let msg = match why {
        SetupRefusal::NotInRoster => Message::not_in_roster(),
        SetupRefusal::NoContactOnFile => Message::no_contact_on_file(url),
    };
    message(state, msg).with_cookie(clear_cookie(state, &state.cookie_names.pending))
}

/// The describing choice for one method.
pub(super) fn method_choice(method: Method, masked_destination: Option<String>) -> MethodChoice {
    let (label, description) = match method {
        Method::App => (
            "Authenticator app",
            "Google Authenticator, Microsoft Authenticator or FreeOTP on your phone.",
        ),
        Method::Email => (
            "Email",
            "We email a 6-digit code to the address on your roster record.",
        ),
        Method::Text => (
            "Text message",
            "We text a 6-digit code to the mobile number on your roster record.",
        ),
    };
    MethodChoice {
        value: method_name(method).to_string(),
        label: label.to_string(),
        description: description.to_string(),
        masked_destination,
    }
}

/// Methods this member can set up now: the app (if enabled) and every enabled email / text
/// method the roster has a destination for.
async fn options(
    state: &AppState,
    user: &str,
) -> Result<Vec<(Method, Option<Destination>)>, GatewayResponse> {
    let available = contact::available(state, user, true).await.map_err(|e| {
        tracing::error!(event = "roster_unavailable", error = %e);
        fail_closed(state)
    })?;
    Ok(available
        .methods(state)
        .into_iter()
        .map(|m| (m, available.destination(m).cloned()))
        .collect())
}

/// The authenticator-app set-up, or first the proof of the contact on file.
async fn to_app(state: &AppState, held: Held<'_, '_>, proof: &Proof) -> GatewayResponse {
    match proof {
        Some(destinations) => begin_app_proof(state, held, destinations).await,
        None => super::enroll_app::app_page(state, held, None).await,
    }
}

/// First page of set-up: the method already chosen for this login, the only one, or the choice.
pub(super) async fn start(state: &AppState, held: Held<'_, '_>, proof: &Proof) -> GatewayResponse {
    match held
        .login
        .method
        .as_deref()
        .and_then(|m| parse_method(state, m))
    {
        Some(Method::App) => return to_app(state, held, proof).await,
        Some(method) => return contact_page(state, &held, method, None, None).await,
        None => {}
    }
    let options = match options(state, &held.login.user).await {
        Ok(o) => o,
        Err(resp) => return resp,
    };
    match options.as_slice() {
        [(Method::App, _)] => to_app(state, held, proof).await,
        [(method, Some(dest))] => {
            // The only way to set up: send the first code right away.
            let (method, dest) = (*method, dest.clone());
            let mut held = held;
            held.login.method = Some(method_name(method).to_string());
            held.login.contact_proof = None;
            if let Err(resp) = save_pending(state, &held).await {
                return resp;
            }
            let (error, notice) = send(state, &held, &dest).await;
            contact_page(state, &held, method, error, notice).await
        }
        [] | [(_, None)] => message(
            state,
            Message::new(
                409,
                "We can't set up verification for you yet",
                "Your roster record has no email address or mobile number we can send codes to. \
                 Please update your roster information, or contact support.",
            ),
        ),
        _ => render_choice(state, &held, &options, None),
    }
}

fn render_choice(
    state: &AppState,
    held: &Held<'_, '_>,
    options: &[(Method, Option<Destination>)],
    error: Option<String>,
) -> GatewayResponse {
    let methods = options
        .iter()
        .map(|(m, d)| method_choice(*m, d.as_ref().map(|d| d.masked.clone())))
        .collect();
    page(
        state,
        Page::EnrollChoose(EnrollChoose {
            csrf: held.csrf.clone(),
            username: held.login.user.clone(),
            methods,
            error,
        }),
    )
}

/// The method choice page (also "Choose a different method" during set-up).
async fn choose(
    state: &AppState,
    mut held: Held<'_, '_>,
    error: Option<String>,
) -> GatewayResponse {
    if held.login.method.take().is_some() {
        if let Err(resp) = save_pending(state, &held).await {
            return resp;
        }
    }
    match options(state, &held.login.user).await {
        Ok(options) => render_choice(state, &held, &options, error),
        Err(resp) => resp,
    }
}

/// The member picked a method on the choice page.
async fn chosen(state: &AppState, mut held: Held<'_, '_>, proof: &Proof) -> GatewayResponse {
    let options = match options(state, &held.login.user).await {
        Ok(o) => o,
        Err(resp) => return resp,
    };
    let picked = held
        .req
        .field("method")
        .and_then(|m| parse_method(state, m));
    let Some((method, dest)) = options.into_iter().find(|(m, _)| Some(*m) == picked) else {
        return choose(
            state,
            held,
            Some("Please choose how you would like to receive your codes.".into()),
        )
        .await;
    };
    if method == Method::App {
        return to_app(state, held, proof).await;
    }
    // An email / text set-up proves its contact with its own first code.
    held.login.method = Some(method_name(method).to_string());
    held.login.contact_proof = None;
    if let Err(resp) = save_pending(state, &held).await {
        return resp;
    }
    match dest {
        None => super::enroll_app::app_page(state, held, None).await,
        Some(dest) => {
            let (error, notice) = send(state, &held, &dest).await;
            contact_page(state, &held, method, error, notice).await
        }
    }
}

/// The trust-period choices, the configured default pre-selected.
pub(super) fn trust_options(state: &AppState, chosen: Option<Duration>) -> Vec<TrustOption> {
    let selected = chosen.unwrap_or(state.config.mfa.default_trust_period);
    state
        .config
        .mfa
        .trust_periods
        .iter()
        .map(|p| TrustOption {
            value: p.as_secs().to_string(),
            label: period_label(*p),
            selected: *p == selected,
        })
        .collect()
}

/// "Every 24 hours", "Every 30 days".
pub fn period_label(period: Duration) -> String {
    format!("Every {}", describe_duration(period))
}

/// Reads the `remember` field: one of the offered periods, else `None`.
pub(super) fn chosen_period(state: &AppState, held: &Held<'_, '_>) -> Option<Duration> {
    let secs: u64 = held.req.field("remember")?.parse().ok()?;
    state
        .config
        .mfa
        .trust_periods
        .iter()
        .copied()
        .find(|p| p.as_secs() == secs)
}

/// The member typed the first code (from the app, or the one we sent).
async fn confirm(
    state: &AppState,
    held: Held<'_, '_>,
    method: Method,
    proof: &Proof,
) -> GatewayResponse {
    let active = held
        .login
        .method
        .as_deref()
        .and_then(|m| parse_method(state, m));
    if active != Some(method) {
        return start(state, held, proof).await;
    }
    let Some(period) = chosen_period(state, &held) else {
        let error =
            Some("Please choose how often we should ask for a code on this device.".to_string());
        return retry_page(state, held, method, error).await;
    };
    let code = held.req.field("code").unwrap_or_default().to_string();
    let user = held.login.user.clone();
    match contact::confirm_setup(state, &held.id, &user, method, &code, period.as_secs()).await {
        Ok(VerifyOutcome::Passed { login, member }) => release_response(
            state,
            &login,
            &member,
            &held.browser_cookies(state),
            state.now(),
        ),
        Ok(VerifyOutcome::Wrong { attempts_left }) => {
            let error = format!(
                "That code didn't work. Be sure that you have entered the 6-digit code correctly. \
                 You can try {attempts_left} more time(s)."
            );
            retry_page(state, held, method, Some(error)).await
        }
        Ok(VerifyOutcome::CodeExpired { .. }) => {
            let error = "That code has expired. Please request a new code.".to_string();
            retry_page(state, held, method, Some(error)).await
        }
        Ok(other) => super::challenge::outcome_page(state, &held, other),
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            fail_closed(state)
        }
    }
}

async fn retry_page(
    state: &AppState,
    held: Held<'_, '_>,
    method: Method,
    error: Option<String>,
) -> GatewayResponse {
    match method {
        Method::App => super::enroll_app::app_page(state, held, error).await,
        _ => contact_page(state, &held, method, error, None).await,
    }
}

/// Shown when a held login may not enroll (another set-up finished meanwhile).
pub(super) fn not_enrollable(state: &AppState) -> GatewayResponse {
    message(
        state,
        Message::new(
            409,
            "Set-up already completed",
            "Two-step verification is already set up for this account. Please sign in again.",
        )
        .with_retry("/", "Sign in again"),
    )
}
