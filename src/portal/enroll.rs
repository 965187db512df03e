//! Set-up pages: choose a method, then confirm it with a first code — from the authenticator
//! app (QR, key, link) or sent to the roster email / mobile — and the trust period (24 hours or
//! 30 days, 30 pre-selected).
//!
//! This module routes the set-up steps and holds the method choice, the confirmation and the
//! trust periods; the authenticator-app page is in `enroll_app`, the proof of the contact on
//! file before an app set-up in `enroll_proof`, and the email / text confirmation page in
//! `enroll_contact`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::enroll_contact::{contact_page, resend, send, Said};
use super::enroll_proof::{begin_app_proof, prove};
use super::{fail_closed, message, page, save_pending, Flow, Held};
use crate::config::Method;
use crate::http::response::GatewayResponse;
use crate::mfa::contact::{self, method_name, parse_method, Destination, SetupGate, SetupRefusal};
use crate::mfa::release::release_response;
use crate::mfa::session::clear_cookie;
use crate::mfa::verify::VerifyOutcome;
use crate::pages::{
    Audience, CalendarDate, EnrollChoose, Message, MethodChoice, MfaIntro, Page, SetupError,
    TimeSpan, TrustOption,
};
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
            return fail_closed(state, &held.audience);
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
            message(state, &held.audience, Message::contact_proof_required())
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
        return fail_closed(state, &held.audience);
    }
    let url = state.config.branding.roster_update_url.as_deref();
    let msg = match why {
        SetupRefusal::NotInRoster => Message::not_in_roster(),
        SetupRefusal::NoContactOnFile => Message::no_contact_on_file(url),
    };
    message(state, &held.audience, msg)
        .with_cookie(clear_cookie(state, &state.cookie_names.pending))
}

/// The describing choice for one method: its catalogue ids (`method-text`,
/// `method-text-description`), which the pages word in the member's language.
pub(super) fn method_choice(method: Method, masked_destination: Option<String>) -> MethodChoice {
    let name = method_name(method);
    MethodChoice {
        value: name.to_string(),
        label: format!("method-{name}"),
        description: format!("method-{name}-description"),
        masked_destination,
    }
}

/// What MFA is and since when it is required, for the first set-up page; `app_only` when the
/// authenticator app is the only way offered to this member.
pub(super) fn mfa_intro(state: &AppState, app_only: bool) -> MfaIntro {
    let from = state.config.mfa.enforce_from;
    // The default (no `mfa.enforce_from`) is "from the start": no date to name.
    let required_from = (from != DateTime::<Utc>::UNIX_EPOCH).then(|| CalendarDate::of(from));
    MfaIntro {
        required_from,
        app_only,
    }
}

/// Whether "Choose a different method" leads anywhere: more than one method is enabled.
pub(super) fn can_choose(state: &AppState) -> bool {
    state.config.mfa.methods.len() > 1
}

/// Methods this member can set up now: the app (if enabled) and every enabled email / text
/// method the roster has a destination for.
async fn options(
    state: &AppState,
    held: &Held<'_, '_>,
) -> Result<Vec<(Method, Option<Destination>)>, GatewayResponse> {
    let available = contact::available(state, &held.login.user, true)
        .await
        .map_err(|e| {
            tracing::error!(event = "roster_unavailable", error = %e);
            fail_closed(state, &held.audience)
        })?;
    Ok(available
        .methods(state)
        .into_iter()
        .map(|m| (m, available.destination(m).cloned()))
        .collect())
}

/// The authenticator-app set-up, or first the proof of the contact on file; `intro` when
/// this is the first set-up page the member sees.
async fn to_app(
    state: &AppState,
    held: Held<'_, '_>,
    proof: &Proof,
    intro: Option<MfaIntro>,
) -> GatewayResponse {
    match proof {
        Some(destinations) => begin_app_proof(state, held, destinations, intro).await,
        None => super::enroll_app::app_page(state, held, intro, None).await,
    }
}

/// First page of set-up: the method already chosen for this login, the only one, or the choice.
pub(super) async fn start(state: &AppState, held: Held<'_, '_>, proof: &Proof) -> GatewayResponse {
    let options = match options(state, &held).await {
        Ok(o) => o,
        Err(resp) => return resp,
    };
    // With one way to set up there is no choice page, so the set-up page itself says what MFA
    // is — until the contact proof is given (the proof page said it already).
    let proven = held.login.contact_proof.as_ref().is_some_and(|p| p.proven);
    let intro = match options.as_slice() {
        [(only, _)] if !proven => Some(mfa_intro(state, *only == Method::App)),
        _ => None,
    };
    match held
        .login
        .method
        .as_deref()
        .and_then(|m| parse_method(state, m))
    {
        Some(Method::App) => return to_app(state, held, proof, intro).await,
        Some(method) => {
            let said = Said {
                intro,
                ..Said::default()
            };
            return contact_page(state, &held, method, said).await;
        }
        None => {}
    }
    match options.as_slice() {
        [(Method::App, _)] => to_app(state, held, proof, intro).await,
        [(method, Some(dest))] => {
            // The only way to set up: send the first code right away.
            let (method, dest) = (*method, dest.clone());
            let mut held = held;
            held.login.method = Some(method_name(method).to_string());
            held.login.contact_proof = None;
            if let Err(resp) = save_pending(state, &held).await {
                return resp;
            }
            let error = send(state, &held, &dest).await.err();
            let said = Said {
                intro: intro.filter(|_| error.is_none()),
                error,
                ..Said::default()
            };
            contact_page(state, &held, method, said).await
        }
        [] | [(_, None)] => message(
            state,
            &held.audience,
            Message::no_contact_on_file(state.config.branding.roster_update_url.as_deref()),
        ),
        _ => render_choice(state, &held, &options, None),
    }
}

fn render_choice(
    state: &AppState,
    held: &Held<'_, '_>,
    options: &[(Method, Option<Destination>)],
    error: Option<SetupError>,
) -> GatewayResponse {
    let methods = options
        .iter()
        .map(|(m, d)| method_choice(*m, d.as_ref().map(|d| d.masked.clone())))
        .collect();
    let app_only = options.iter().all(|(m, _)| *m == Method::App);
    page(
        state,
        &held.audience,
        Page::EnrollChoose(EnrollChoose {
            csrf: held.csrf.clone(),
            username: held.login.user.clone(),
            intro: mfa_intro(state, app_only),
            methods,
            error,
        }),
    )
}

/// The method choice page (also "Choose a different method" during set-up).
async fn choose(
    state: &AppState,
    mut held: Held<'_, '_>,
    error: Option<SetupError>,
) -> GatewayResponse {
    if held.login.method.take().is_some() {
        if let Err(resp) = save_pending(state, &held).await {
            return resp;
        }
    }
    match options(state, &held).await {
        Ok(options) => render_choice(state, &held, &options, error),
        Err(resp) => resp,
    }
}

/// The member picked a method on the choice page.
async fn chosen(state: &AppState, mut held: Held<'_, '_>, proof: &Proof) -> GatewayResponse {
    let options = match options(state, &held).await {
        Ok(o) => o,
        Err(resp) => return resp,
    };
    let picked = held
        .req
        .field("method")
        .and_then(|m| parse_method(state, m));
    let Some((method, dest)) = options.into_iter().find(|(m, _)| Some(*m) == picked) else {
        return choose(state, held, Some(SetupError::NoMethod)).await;
    };
    if method == Method::App {
        return to_app(state, held, proof, None).await;
    }
    // An email / text set-up proves its contact with its own first code.
    held.login.method = Some(method_name(method).to_string());
    held.login.contact_proof = None;
    if let Err(resp) = save_pending(state, &held).await {
        return resp;
    }
    match dest {
        None => super::enroll_app::app_page(state, held, None, None).await,
        Some(dest) => {
            let said = Said {
                error: send(state, &held, &dest).await.err(),
                ..Said::default()
            };
            contact_page(state, &held, method, said).await
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
            every: TimeSpan::of(*p),
            selected: *p == selected,
        })
        .collect()
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
        return retry_page(state, held, method, SetupError::NoTrustPeriod).await;
    };
    let code = held.req.field("code").unwrap_or_default().to_string();
    let user = held.login.user.clone();
    match contact::confirm_setup(
        state,
        &held.id,
        &user,
        method,
        &code,
        period.as_secs(),
        held.audience.lang,
    )
    .await
    {
        Ok(VerifyOutcome::Passed { login, member }) => release_response(
            state,
            &login,
            &member,
            &held.browser_cookies(state),
            state.now(),
        ),
        Ok(VerifyOutcome::Wrong { attempts_left }) => {
            retry_page(state, held, method, SetupError::WrongCode { attempts_left }).await
        }
        Ok(VerifyOutcome::CodeExpired { .. }) => {
            retry_page(state, held, method, SetupError::CodeExpired).await
        }
        Ok(other) => super::challenge::outcome_page(state, &held, other),
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            fail_closed(state, &held.audience)
        }
    }
}

/// The set-up page again, opening on why the code was refused.
async fn retry_page(
    state: &AppState,
    held: Held<'_, '_>,
    method: Method,
    error: SetupError,
) -> GatewayResponse {
    match method {
        Method::App => super::enroll_app::app_page(state, held, None, Some(error)).await,
        _ => {
            let said = Said {
                error: Some(error),
                ..Said::default()
            };
            contact_page(state, &held, method, said).await
        }
    }
}

/// Shown when a held login may not enroll (another set-up finished meanwhile).
pub(super) fn not_enrollable(state: &AppState, audience: &Audience) -> GatewayResponse {
    message(state, audience, Message::already_set_up())
}
