//! Authenticator-app set-up: the QR code (rendered here, no outside service sees the secret),
//! the key in groups for typing, the `otpauth://` link, and the draft secret kept sealed in the
//! held login until the first code confirms it.

use super::enroll::{can_choose, chosen_period, trust_options};
use super::{fail_closed, page, save_pending, Held};
use crate::http::response::GatewayResponse;
use crate::mfa::totp;
use crate::pages::{EnrollApp, MfaIntro, Page, SetupError};
use crate::state::AppState;

/// The authenticator-app set-up page; creates the draft secret on first view. `intro` when it
/// is the first set-up page the member sees; after a refused code, `error`.
pub(super) async fn app_page(
    state: &AppState,
    mut held: Held<'_, '_>,
    intro: Option<MfaIntro>,
    error: Option<SetupError>,
) -> GatewayResponse {
    let secret = match draft_secret(state, &mut held).await {
        Ok(secret) => secret,
        Err(resp) => return resp,
    };
    let chosen = chosen_period(state, &held);
    let rendered = totp::otpauth_uri(&secret, &state.config.branding.name, &held.login.user)
        .and_then(|uri| Ok((totp::qr_svg(&uri)?, uri)));
    let Ok((qr_svg, otpauth_uri)) = rendered else {
        return fail_closed(state, &held.audience);
    };
    page(
        state,
        &held.audience,
        Page::EnrollApp(EnrollApp {
            csrf: held.csrf.clone(),
            // The page opens on the error after a refused code, not on what MFA is.
            intro: intro.filter(|_| error.is_none()),
            qr_svg,
            secret_groups: totp::grouped_base32(&secret),
            otpauth_uri,
            trust_options: trust_options(state, chosen),
            can_choose: can_choose(state),
            error,
        }),
    )
}

/// The draft secret of this held login, generated and saved (sealed) if absent.
async fn draft_secret(
    state: &AppState,
    held: &mut Held<'_, '_>,
) -> Result<Vec<u8>, GatewayResponse> {
    if let Some(sealed) = held.login.draft_secret.as_deref() {
        return state
            .cipher
            .open(&held.login.user, sealed)
            .map_err(|_| fail_closed(state, &held.audience));
    }
    let secret = totp::generate_secret().map_err(|_| fail_closed(state, &held.audience))?;
    held.login.draft_secret = Some(
        state
            .cipher
            .seal(&held.login.user, &secret)
            .map_err(|_| fail_closed(state, &held.audience))?,
    );
    held.login.method = Some("app".into());
    save_pending(state, held).await?;
    tracing::info!(event = "enrollment_started", user = %held.login.user, method = "app");
    Ok(secret)
}
