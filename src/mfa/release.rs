//! Releasing a held login once MFA passed: the upstream's cookies, a session binding and a
//! trust cookie for this device, then the page the legacy app wanted to show.

use crate::http::cookies::{format_set_cookie, CookieAttrs};
use crate::http::response::GatewayResponse;
use crate::mfa::claims::TrustClaims;
use crate::mfa::pending::PendingLogin;
use crate::mfa::session::{binding_set_cookie, clear_cookie, SessionCookies};
use crate::state::AppState;
use crate::store::MemberRecord;

/// The `Set-Cookie` headers that complete a login for `member`, given the session cookies the
/// browser already holds. Trust and binding both last the member's chosen period.
pub fn release_cookies(
    state: &AppState,
    login: &PendingLogin,
    member: &MemberRecord,
    browser: &SessionCookies,
    now: i64,
) -> Vec<String> {
    let chosen = member
        .enrollment
        .as_ref()
        .map(|e| e.trust_period_secs)
        .unwrap_or(0);
    let period = state.effective_trust_period(chosen).as_secs() as i64;
    let expires = now.saturating_add(period);
    let mut cookies = login.held_set_cookies.clone();
    let held: Vec<&str> = login.held_set_cookies.iter().map(String::as_str).collect();
    let after = browser
        .after_response(&held, &state.config.site.session_cookies, now)
        .unwrap_or_else(|| browser.clone());
    cookies.push(binding_set_cookie(
        state,
        &after,
        &login.user,
        member.epoch,
        expires,
        now,
    ));
    if let Some(trust) = trust_cookie(state, &login.user, member.epoch, now, expires) {
        cookies.push(trust);
    }
    cookies.push(clear_cookie(state, &state.cookie_names.pending));
    cookies
}

/// A fresh trust cookie for this device (`None` only if the random generator fails, in which
/// case the member is simply asked again next time).
fn trust_cookie(
    state: &AppState,
    user: &str,
    epoch: u64,
    now: i64,
    expires: i64,
) -> Option<String> {
    let mut device_id = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut device_id).ok()?;
    let claims = TrustClaims {
        user: user.to_string(),
        device_id,
        issued: now,
        expires,
        epoch,
    };
    // The first bytes of the device id let support correlate audit lines without the cookie.
    let device: String = device_id[..4].iter().map(|b| format!("{b:02x}")).collect();
    tracing::info!(event = "trust_cookie_issued", user = %user, device, expires);
    let attrs = CookieAttrs {
        secure: state.secure_cookies,
        max_age: Some((expires - now).max(0) as u64),
    };
    Some(format_set_cookie(
        &state.cookie_names.trust,
        &claims.seal(&state.keys),
        attrs,
    ))
}

/// The browser response that releases a login: `303` to the held target with all cookies.
pub fn release_response(
    state: &AppState,
    login: &PendingLogin,
    member: &MemberRecord,
    browser: &SessionCookies,
    now: i64,
) -> GatewayResponse {
    release_cookies(state, login, member, browser, now)
        .into_iter()
        .fold(
            GatewayResponse::see_other(&login.target),
            GatewayResponse::with_cookie,
        )
}

/// The API client's release: the held JSON answer (e.g. the app's token) with all cookies, or
/// `200 {"ok":true}` when the login had no body to hold.
pub fn release_api_response(
    state: &AppState,
    login: &PendingLogin,
    member: &MemberRecord,
    browser: &SessionCookies,
    now: i64,
) -> GatewayResponse {
    let base = match login.held_body.as_ref().and_then(held_body_response) {
        Some(resp) => resp,
        None => GatewayResponse::json(
            200,
            &serde_json::json!({ "ok": true, "redirect": login.target }),
        ),
    };
    release_cookies(state, login, member, browser, now)
        .into_iter()
        .fold(base, GatewayResponse::with_cookie)
}

fn held_body_response(held: &crate::mfa::pending::HeldBody) -> Option<GatewayResponse> {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD
        .decode(&held.body_b64)
        .ok()?;
    let mut resp = GatewayResponse::json(held.status, &serde_json::Value::Null);
    resp.body = body.into();
    resp.content_type = held
        .content_type
        .clone()
        .unwrap_or_else(|| "application/json".into())
        .into();
    Some(resp)
}
