//! Set-up pages: choose a method, then confirm an authenticator app with its first code and
//! the trust period (24 hours or 30 days, 30 pre-selected).

use std::time::Duration;

use super::{fail_closed, message, page, Held};
use crate::config::Method;
use crate::http::response::GatewayResponse;
use crate::mfa::pending;
use crate::mfa::release::release_response;
use crate::mfa::totp;
use crate::mfa::verify::{confirm_app_enrollment, VerifyOutcome};
use crate::pages::{EnrollApp, EnrollChoose, Message, MethodChoice, Page, TrustOption};
use crate::state::AppState;

/// Methods a member can set up now: enabled in config and usable without a roster contact.
fn enrollable(state: &AppState) -> Vec<Method> {
    state
        .config
        .mfa
        .methods
        .iter()
        .copied()
        .filter(|m| *m == Method::App)
        .collect()
}

/// The describing choice for one method.
pub(super) fn method_choice(method: Method, masked_destination: Option<String>) -> MethodChoice {
    let (value, label, description) = match method {
        Method::App => (
            "app",
            "Authenticator app",
            "Google Authenticator, Microsoft Authenticator or FreeOTP on your phone.",
        ),
        Method::Email => (
            "email",
            "Email",
            "We email a 6-digit code to the address on your roster record.",
        ),
        Method::Text => (
            "text",
            "Text message",
            "We text a 6-digit code to the mobile number on your roster record.",
        ),
    };
    MethodChoice {
        value: value.to_string(),
        label: label.to_string(),
        description: description.to_string(),
        masked_destination,
    }
}

/// First page of set-up: the only method directly, or the choice.
pub(super) async fn start(state: &AppState, held: Held<'_, '_>) -> GatewayResponse {
    match enrollable(state).as_slice() {
        [Method::App] => app_page(state, held, None).await,
        _ => choose(state, &held, None),
    }
}

/// The method choice page.
pub(super) fn choose(
    state: &AppState,
    held: &Held<'_, '_>,
    error: Option<String>,
) -> GatewayResponse {
    let methods = enrollable(state)
        .into_iter()
        .map(|m| method_choice(m, None))
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

/// The member picked a method on the choice page.
pub(super) async fn chosen(state: &AppState, held: Held<'_, '_>) -> GatewayResponse {
    match held.req.field("method") {
        Some("app") if enrollable(state).contains(&Method::App) => {
            app_page(state, held, None).await
        }
        _ => choose(
            state,
            &held,
            Some("Please choose how you would like to receive your codes.".into()),
        ),
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
    let secs = period.as_secs();
    let (n, unit) = match secs {
        s if s >= 2 * 86_400 && s.is_multiple_of(86_400) => (s / 86_400, "days"),
        s if s >= 2 * 3_600 && s.is_multiple_of(3_600) => (s / 3_600, "hours"),
        s if s >= 120 && s.is_multiple_of(60) => (s / 60, "minutes"),
        s => (s, "seconds"),
    };
    format!("Every {n} {unit}")
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

/// The authenticator-app set-up page; creates the draft secret on first view.
async fn app_page(
    state: &AppState,
    mut held: Held<'_, '_>,
    error: Option<String>,
) -> GatewayResponse {
    let secret = match draft_secret(state, &mut held).await {
        Ok(secret) => secret,
        Err(e) => {
            tracing::error!(event = "enrollment_error", error = %e);
            return fail_closed(state);
        }
    };
    let chosen = chosen_period(state, &held);
    let rendered = totp::otpauth_uri(&secret, &state.config.branding.name, &held.login.user)
        .and_then(|uri| Ok((totp::qr_svg(&uri)?, uri)));
    let Ok((qr_svg, otpauth_uri)) = rendered else {
        return fail_closed(state);
    };
    tracing::info!(event = "enrollment_started", user = %held.login.user, method = "app");
    page(
        state,
        Page::EnrollApp(EnrollApp {
            csrf: held.csrf.clone(),
            qr_svg,
            secret_groups: totp::grouped_base32(&secret),
            otpauth_uri,
            trust_options: trust_options(state, chosen),
            error,
        }),
    )
}

/// The draft secret of this held login, generated and saved (sealed) if absent.
async fn draft_secret(
    state: &AppState,
    held: &mut Held<'_, '_>,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    if let Some(sealed) = held.login.draft_secret.as_deref() {
        return Ok(state.cipher.open(&held.login.user, sealed)?);
    }
    let secret = totp::generate_secret()?;
    held.login.draft_secret = Some(state.cipher.seal(&held.login.user, &secret)?);
    let remaining =
        (held.login.created + state.config.mfa.pending_ttl.as_secs() as i64 - state.now()).max(1);
    pending::save(
        state.ephemeral.as_ref(),
        &held.id,
        &held.login,
        Duration::from_secs(remaining as u64),
    )
    .await?;
    Ok(secret)
}

/// The member typed the first code from their app.
pub(super) async fn confirm_app(state: &AppState, held: Held<'_, '_>) -> GatewayResponse {
    let Some(period) = chosen_period(state, &held) else {
        return app_page(
            state,
            held,
            Some("Please choose how often we should ask for a code on this device.".into()),
        )
        .await;
    };
    let code = held.req.field("code").unwrap_or_default().to_string();
    match confirm_app_enrollment(state, &held.id, &code, period.as_secs()).await {
        Ok(VerifyOutcome::Passed { login, member }) => release_response(
            state,
            &login,
            &member,
            &held.browser_cookies(state),
            state.now(),
        ),
        Ok(VerifyOutcome::Wrong { attempts_left }) => {
            let error = format!(
                "That code didn't work. Be sure that you have entered the 6-digit code from your app correctly. \
                 {attempts_left} attempt(s) left."
            );
            app_page(state, held, Some(error)).await
        }
        Ok(other) => super::challenge::outcome_page(state, &held, other),
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            fail_closed(state)
        }
    }
}

/// Shown when a held login may not enroll (another set-up finished meanwhile).
pub(super) fn not_enrollable(state: &AppState) -> GatewayResponse {
    message(
        state,
        Message::new(
            409,
            "Set-up already completed",
            "Two-step verification is already set up for this account.",
        )
        .with_retry("/_mfa/", "Continue"),
    )
}
