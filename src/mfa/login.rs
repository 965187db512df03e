//! The decision taken when the upstream answers a login post with success (DESIGN.md step 2).

use tracing::{info, warn};

use crate::api::{challenge, ApiError};
use crate::http::cookies::{format_set_cookie, CookieAttrs};
use crate::http::login_form::ExtractError;
use crate::http::response::GatewayResponse;
use crate::mfa::claims::TrustClaims;
use crate::mfa::pending::{self, HeldBody, PendingLogin};
use crate::mfa::redirect::safe_target;
use crate::mfa::session::{binding_set_cookie, SessionCookies};
use crate::mfa::username::{canonical, UsernameError};
use crate::state::AppState;
use crate::store::StoreError;

/// Path of the page that explains a fail-closed refusal.
pub const UNAVAILABLE_PATH: &str = "/_mfa/unavailable";
/// Path of the page shown when the login form could not be read.
pub const UNREADABLE_PATH: &str = "/_mfa/unreadable";

/// What the upstream said, as far as the decision needs it.
#[derive(Debug, Clone)]
pub struct SuccessfulLogin<'a> {
    /// Raw `Set-Cookie` header values of the upstream response.
    pub set_cookies: Vec<&'a str>,
    pub location: Option<&'a str>,
}

/// What to do with the upstream's successful login answer.
#[derive(Debug)]
pub enum LoginDecision {
    /// Forward the answer, adding these `Set-Cookie`s (the session binding).
    Pass {
        add_set_cookies: Vec<String>,
        user: String,
    },
    /// Replace the answer entirely: the upstream's cookies are held or dropped.
    Replace(GatewayResponse),
}

/// The circumstances of one successful login.
#[derive(Debug, Clone)]
pub struct LoginContext<'a> {
    /// Session cookies the browser / app sent with the login.
    pub browser: &'a SessionCookies,
    /// The raw trust cookie, if any.
    pub trust: Option<&'a str>,
    /// Hosts that count as same-origin for the redirect target.
    pub own_hosts: &'a [&'a str],
    /// An API client: answers are JSON (`401 mfa_required`), never pages or redirects.
    pub api: bool,
    /// The upstream's answer body to hold for an API client (its token).
    pub held_body: Option<HeldBody>,
}

/// Decides between passing a login through and holding it for MFA.
pub async fn decide(
    state: &AppState,
    user: Result<String, ExtractError>,
    upstream: &SuccessfulLogin<'_>,
    ctx: LoginContext<'_>,
) -> LoginDecision {
    let user = user.and_then(|u| {
        normalize_user(state, &u).map_err(|why| {
            warn!(event = "login_username_refused", reason = %why);
            ExtractError::Malformed
        })
    });
    let user = match user {
        Ok(u) => u,
        Err(why) => {
            // The legacy app accepted a password for someone we cannot name: never release it.
            warn!(event = "login_unreadable", reason = ?why);
            return LoginDecision::Replace(if ctx.api {
                ApiError::new(
                    400,
                    "login_unreadable",
                    "The sign-in request could not be read; sign in again.",
                )
                .response()
            } else {
                GatewayResponse::see_other(UNREADABLE_PATH)
            });
        }
    };
    let api = ctx.api;
    match decide_for(state, &user, upstream, ctx).await {
        Ok(decision) => decision,
        Err(e) => {
            warn!(event = "login_fail_closed", user = %user, error = %e);
            LoginDecision::Replace(if api {
                ApiError::unavailable().response()
            } else {
                GatewayResponse::see_other(UNAVAILABLE_PATH)
            })
        }
    }
}

/// The member key of a typed login: its canonical form ([`crate::mfa::username`]), case
/// folded unless `site.login.username_case_insensitive` is false.
pub fn normalize_user(state: &AppState, raw: &str) -> Result<String, UsernameError> {
    canonical(raw, state.config.site.login.username_case_insensitive)
}

async fn decide_for(
    state: &AppState,
    user: &str,
    upstream: &SuccessfulLogin<'_>,
    ctx: LoginContext<'_>,
) -> Result<LoginDecision, StoreError> {
    let (browser, trust, own_hosts) = (ctx.browser, ctx.trust, ctx.own_hosts);
    let now = state.now();
    let member = state.durable.member(user).await?;
    let epoch = member.as_ref().map(|m| m.epoch).unwrap_or(0);
    let after = browser
        .after_response(
            &upstream.set_cookies,
            &state.config.site.session_cookies,
            now,
        )
        .unwrap_or_else(|| browser.clone());

    if now < state.config.mfa.enforce_from.timestamp() {
        info!(event = "login_passed_before_enforcement", user = %user);
        let expires = now + state.config.mfa.default_trust_period.as_secs() as i64;
        let bind = binding_set_cookie(state, &after, user, epoch, expires, now);
        return Ok(LoginDecision::Pass {
            add_set_cookies: vec![bind],
            user: user.to_string(),
        });
    }

    let enrolled = member.as_ref().is_some_and(|m| m.enrollment.is_some());
    if enrolled {
        if let Some(claims) = trust.and_then(|t| TrustClaims::open(&state.keys, t, now)) {
            if claims.user == user && claims.epoch == epoch {
                info!(event = "trust_cookie_used", user = %user);
                let bind = binding_set_cookie(state, &after, user, epoch, claims.expires, now);
                return Ok(LoginDecision::Pass {
                    add_set_cookies: vec![bind],
                    user: user.to_string(),
                });
            }
        }
    }

    let target = upstream
        .location
        .and_then(|l| safe_target(l, own_hosts))
        .unwrap_or_else(|| state.config.site.default_after_login.clone());
    let held = PendingLogin {
        user: user.to_string(),
        created: now,
        held_set_cookies: upstream.set_cookies.iter().map(|s| s.to_string()).collect(),
        target,
        must_enroll: !enrolled,
        draft_secret: None,
        api: ctx.api,
        method: None,
        held_body: ctx.held_body,
    };
    let id = pending::new_id()?;
    pending::save(
        state.ephemeral.as_ref(),
        &id,
        &held,
        state.config.mfa.pending_ttl,
    )
    .await?;
    info!(event = "login_intercepted", user = %user, enrolled);
    let attrs = CookieAttrs {
        secure: state.secure_cookies,
        max_age: Some(state.config.mfa.pending_ttl.as_secs()),
    };
    let pending_cookie = format_set_cookie(&state.cookie_names.pending, &id, attrs);
    if ctx.api {
        let body = match challenge::body(state, &id, &held).await {
            Ok(body) => body,
            Err(e) => return Ok(LoginDecision::Replace(e.response())),
        };
        let resp = GatewayResponse::json(401, &body)
            .with_header("WWW-Authenticate", challenge::www_authenticate(state, &id))
            .with_cookie(pending_cookie);
        return Ok(LoginDecision::Replace(resp));
    }
    Ok(LoginDecision::Replace(
        GatewayResponse::see_other("/_mfa/").with_cookie(pending_cookie),
    ))
}
