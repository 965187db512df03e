//! The answer side of the proxy: an ambiguous upstream answer is never returned, a session set
//! by a login answer is either held for MFA or never leaves, and a session cookie never reaches
//! a client without a binding for it (DESIGN.md, login step 2).

use pingora::http::ResponseHeader;
use pingora::proxy::Session;
use pingora::{Error, ErrorType, Result};

use super::RequestCtx;
use crate::admin::RequestOutcome;
use crate::http::classify::Route;
use crate::http::edge::check_response;
use crate::http::login_form::ExtractError;
use crate::http::login_success::{is_login_success, sets_session, LoginResponse};
use crate::http::response::GatewayResponse;
use crate::mfa::login::{
    decide, LoginContext, LoginDecision, Refusal, SuccessfulLogin, UNAVAILABLE_PATH,
    UNREADABLE_PATH,
};
use crate::mfa::session::{binding_set_cookie, clear_cookie, pre_login_set_cookie};
use crate::state::AppState;

/// Refuses an upstream answer whose framing or header values a client could read differently
/// from the gateway. The error is an upstream one, so the member gets the 502 page and pingora
/// does not put the connection back in its pool.
pub(super) fn refuse_ambiguous(resp: &ResponseHeader) -> Result<()> {
    match check_response(&resp.headers) {
        Ok(()) => Ok(()),
        Err(why) => {
            tracing::warn!(event = "upstream_answer_refused", reason = why.reason());
            let mut e = Error::explain(ErrorType::InvalidHTTPHeader, "ambiguous upstream answer");
            e.as_up();
            Err(e)
        }
    }
}

/// Raw `Set-Cookie` values of an answer (owned: the answer head is rewritten afterwards).
fn set_cookie_values(resp: &ResponseHeader) -> Vec<String> {
    resp.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

/// The upstream answered the login POST. A successful answer (by the configured rule) is held
/// for MFA or passed with a binding; a session set by any other answer is removed (a "failed"
/// answer that set a session was a bypass) and audited.
pub(super) async fn on_login_response(
    state: &AppState,
    session: &Session,
    resp: &mut ResponseHeader,
    ctx: &mut RequestCtx,
) -> Result<()> {
    let set_cookies = set_cookie_values(resp);
    let location = resp
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let cookie_refs: Vec<&str> = set_cookies.iter().map(String::as_str).collect();
    let names = &state.config.site.session_cookies;
    let now = state.now();
    let sets = cookie_refs.iter().any(|h| sets_session(h, names, now));
    let view = LoginResponse {
        status: resp.status.as_u16(),
        location: location.as_deref(),
        set_cookies: &cookie_refs,
    };
    let success = is_login_success(&state.config.site.login.success, names, &view);
    if !success && !sets {
        // A failed attempt that set no session: the member sees the app's own answer.
        return Ok(());
    }
    if !success && state.config.site.identity.is_none() {
        // The rule says the login failed, yet the app set a session: either a successful
        // login answered oddly (`next=` back to the login page) or an app that starts an
        // anonymous session on every answer (PHP's `session_start()`). Releasing it would
        // be a bypass; holding it for MFA would offer set-up to someone whose password the
        // app may have refused. Without an identity probe to ask, the session never leaves.
        remove_session_cookies(resp, &cookie_refs, names, now)?;
        tracing::warn!(
            event = "login_answer_refused",
            reason = "session set by an answer the success rule calls failed",
            status = resp.status.as_u16(),
        );
        return Ok(());
    }
    let user = match ctx.login.take() {
        Some(extractor) if ctx.login_body_complete => extractor.finish(),
        Some(_) => Err(ExtractError::Malformed),
        None => Err(ExtractError::Missing),
    };
    let host = request_host(session);
    let own_hosts = [
        host,
        state.config.upstream.address.as_str(),
        state.config.upstream.sni.as_str(),
    ];
    let upstream = SuccessfulLogin {
        set_cookies: cookie_refs.clone(),
        location: location.as_deref(),
    };
    // The form login always gets the browser flavour: its answer head is replaced while the
    // upstream body is dropped, so only a body-less 303 can stand in for it. JSON logins go
    // through `local::serve_api_login`, which can answer a complete JSON challenge.
    let login_ctx = LoginContext {
        browser: &ctx.session,
        trust: ctx.trust_cookie.as_deref(),
        own_hosts: &own_hosts,
        api: false,
        held_body: None,
        host,
        form_page: session
            .req_header()
            .headers
            .get(http::header::REFERER)
            .and_then(|value| value.to_str().ok()),
    };
    let replacement = match decide(state, user, &upstream, login_ctx).await {
        LoginDecision::Pass {
            add_set_cookies, ..
        } => {
            for c in add_set_cookies {
                resp.append_header("set-cookie", c)?;
            }
            return Ok(());
        }
        LoginDecision::NotSignedIn => {
            remove_session_cookies(resp, &cookie_refs, names, now)?;
            return Ok(());
        }
        LoginDecision::Hold { pending_cookie, .. } => {
            ctx.set_outcome(RequestOutcome::Intercepted);
            GatewayResponse::see_other("/_mfa/").with_cookie(pending_cookie)
        }
        LoginDecision::Refuse(Refusal::Unreadable) => GatewayResponse::see_other(UNREADABLE_PATH),
        LoginDecision::Refuse(Refusal::Unavailable) => GatewayResponse::see_other(UNAVAILABLE_PATH),
    };
    *resp = replacement.head()?;
    ctx.replaced = true;
    Ok(())
}

/// Any answer but a login's: a bound session whose cookie rotated gets a binding for the new
/// value; a session set for a client without a binding is removed and audited (or, with
/// `site.login.pre_login_session`, kept as an anonymous session good for the login POST only).
/// A logout answer ends the gateway session and never starts a new bound one.
pub(super) async fn guard_session_cookies(
    state: &AppState,
    session: &Session,
    resp: &mut ResponseHeader,
    ctx: &RequestCtx,
    route: Route,
) -> Result<()> {
    let logout = match route {
        Route::Logout { forget_device } => {
            resp.append_header(
                "set-cookie",
                clear_cookie(state, &state.cookie_names.binding),
            )?;
            if forget_device {
                resp.append_header("set-cookie", clear_cookie(state, &state.cookie_names.trust))?;
            }
            true
        }
        _ => false,
    };
    if !resp.headers.contains_key("set-cookie") {
        return Ok(());
    }
    let set_cookies = set_cookie_values(resp);
    let refs: Vec<&str> = set_cookies.iter().map(String::as_str).collect();
    let names = &state.config.site.session_cookies;
    let now = state.now();
    match ctx.bound.as_ref() {
        Some(bound) if !logout => {
            let Some(after) = ctx.session.after_response(&refs, names, now) else {
                return Ok(());
            };
            // With an identity probe, a rotated session is re-bound only if the app confirms
            // it still belongs to the same member; otherwise it is dropped (signed in again).
            if let (Some(probe), false) =
                (state.config.site.identity.as_ref(), after.pairs.is_empty())
            {
                let host = request_host(session);
                let confirmed = crate::mfa::identity::probe(state, probe, &after, host)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|raw| crate::mfa::login::normalize_user(state, &raw).ok());
                if confirmed.as_deref() != Some(bound.user.as_str()) {
                    remove_session_cookies(resp, &refs, names, now)?;
                    resp.append_header(
                        "set-cookie",
                        clear_cookie(state, &state.cookie_names.binding),
                    )?;
                    tracing::warn!(event = "session_rotation_refused", user = %bound.user, probed = ?confirmed);
                    return Ok(());
                }
            }
            let cookie =
                binding_set_cookie(state, &after, &bound.user, bound.epoch, bound.expires, now);
            resp.append_header("set-cookie", cookie)?;
            return Ok(());
        }
        _ => {}
    }
    if !refs.iter().any(|h| sets_session(h, names, now)) {
        return Ok(());
    }
    if state.config.site.login.pre_login_session && !logout {
        if let Some(after) = ctx.session.after_response(&refs, names, now) {
            resp.append_header("set-cookie", pre_login_set_cookie(state, &after, now))?;
        }
        return Ok(());
    }
    remove_session_cookies(resp, &refs, names, now)?;
    tracing::warn!(
        event = "session_cookie_refused",
        path = session.req_header().uri.path(),
        bound = ctx.bound.is_some(),
    );
    Ok(())
}

/// Removes the `Set-Cookie`s that give a session cookie a value (`set_cookies` are the
/// answer's values, read before), keeping every other one in order.
fn remove_session_cookies(
    resp: &mut ResponseHeader,
    set_cookies: &[&str],
    names: &[String],
    now: i64,
) -> Result<()> {
    resp.remove_header("set-cookie");
    for header in set_cookies.iter().filter(|h| !sets_session(h, names, now)) {
        resp.append_header("set-cookie", *header)?;
    }
    Ok(())
}

/// The `Host` the client asked for (sent on with the identity probe; same-origin redirects).
fn request_host(session: &Session) -> &str {
    session
        .req_header()
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}
