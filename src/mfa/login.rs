//! The decision taken when the upstream answers a login post with a session (DESIGN.md step 2).
//!
//! The decision is data ([`LoginDecision`]): the proxy turns it into a `303` to the MFA pages,
//! the JSON-login relay into a `401 mfa_required` challenge; nothing here builds an answer.

use tracing::{info, warn};

use crate::http::cookies::{format_set_cookie, CookieAttrs};
use crate::http::login_form::ExtractError;
use crate::mfa::claims::TrustClaims;
use crate::mfa::identity::{self, ProbeError};
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

/// Why a login answer is neither passed nor held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The gateway cannot tell who signed in (unreadable form, invisible characters).
    Unreadable,
    /// A store or the identity probe failed: nobody passes (fail closed).
    Unavailable,
}

/// What to do with the upstream's login answer.
#[derive(Debug)]
pub enum LoginDecision {
    /// Forward the answer, adding these `Set-Cookie`s (the session binding).
    Pass {
        add_set_cookies: Vec<String>,
        user: String,
    },
    /// The login is held for MFA under `id`; the client gets `pending_cookie`.
    Hold {
        id: String,
        login: Box<PendingLogin>,
        pending_cookie: String,
    },
    /// The identity probe says the answer signed nobody in: forward it without its session
    /// cookies, hold nothing.
    NotSignedIn,
    /// Replace the answer with an explanation; the upstream's session never leaves.
    Refuse(Refusal),
}

/// The circumstances of one login answer.
#[derive(Debug, Clone)]
pub struct LoginContext<'a> {
    /// Session cookies the browser / app sent with the login.
    pub browser: &'a SessionCookies,
    /// The raw trust cookie, if any.
    pub trust: Option<&'a str>,
    /// Hosts that count as same-origin for the redirect target.
    pub own_hosts: &'a [&'a str],
    /// An API client: the held login answers in JSON.
    pub api: bool,
    /// The upstream's answer body to hold for an API client (its token).
    pub held_body: Option<HeldBody>,
    /// The `Host` the client used (sent with the identity probe).
    pub host: &'a str,
    /// The login request's `Referer`: the page the login form was posted from, where "Sign in
    /// again" leads when `site.sign_in_url` is not set (kept only when same-origin).
    pub form_page: Option<&'a str>,
}

/// Decides between passing a login through, holding it for MFA, and refusing it. `typed` is
/// the username from the login request; with `site.identity` configured the app's own answer
/// about who the new session belongs to decides instead.
pub async fn decide(
    state: &AppState,
    typed: Result<String, ExtractError>,
    upstream: &SuccessfulLogin<'_>,
    ctx: LoginContext<'_>,
) -> LoginDecision {
    let now = state.now();
    let after = ctx
        .browser
        .after_response(
            &upstream.set_cookies,
            &state.config.site.session_cookies,
            now,
        )
        .unwrap_or_else(|| ctx.browser.clone());
    let who = match who_signed_in(state, typed, &after, ctx.host).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            info!(
                event = "login_not_signed_in",
                reason = "identity probe: anonymous session"
            );
            return LoginDecision::NotSignedIn;
        }
        Err(refusal) => return LoginDecision::Refuse(refusal),
    };
    match decide_for(state, &who, upstream, &after, ctx).await {
        Ok(decision) => decision,
        Err(e) => {
            warn!(event = "login_fail_closed", user = %who, error = %e);
            LoginDecision::Refuse(Refusal::Unavailable)
        }
    }
}

/// The member key of the login: the probed identity when `site.identity` is configured (the
/// app's own view; `None` = nobody signed in), else the canonical typed username.
async fn who_signed_in(
    state: &AppState,
    typed: Result<String, ExtractError>,
    after: &SessionCookies,
    host: &str,
) -> Result<Option<String>, Refusal> {
    let typed = typed.and_then(|u| {
        normalize_user(state, &u).map_err(|why| {
            warn!(event = "login_username_refused", reason = %why);
            ExtractError::Malformed
        })
    });
    let Some(probe) = state.config.site.identity.as_ref() else {
        return match typed {
            Ok(user) => Ok(Some(user)),
            Err(why) => {
                // The legacy app accepted a password for someone we cannot name.
                warn!(event = "login_unreadable", reason = ?why);
                Err(Refusal::Unreadable)
            }
        };
    };
    match identity::probe(state, probe, after, host).await {
        Ok(None) => Ok(None),
        Ok(Some(raw)) => match normalize_user(state, &raw) {
            Ok(user) => {
                let typed = typed.ok();
                if typed.as_deref() != Some(user.as_str()) {
                    info!(event = "login_identity_probed", user = %user, typed = ?typed);
                }
                Ok(Some(user))
            }
            Err(why) => {
                warn!(event = "identity_probe_failed", reason = %why);
                Err(Refusal::Unavailable)
            }
        },
        Err(ProbeError::Unavailable(why)) | Err(ProbeError::Unreadable(why)) => {
            warn!(event = "identity_probe_failed", reason = %why);
            Err(Refusal::Unavailable)
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
    after: &SessionCookies,
    ctx: LoginContext<'_>,
) -> Result<LoginDecision, StoreError> {
    let now = state.now();
    let member = state.durable.member(user).await?;
    let epoch = member.as_ref().map(|m| m.epoch).unwrap_or(0);

    if now < state.config.mfa.enforce_from.timestamp() {
        info!(event = "login_passed_before_enforcement", user = %user);
        let expires = now + state.config.mfa.default_trust_period.as_secs() as i64;
        let bind = binding_set_cookie(state, after, user, epoch, expires, now);
        return Ok(LoginDecision::Pass {
            add_set_cookies: vec![bind],
            user: user.to_string(),
        });
    }

    let enrolled = member.as_ref().is_some_and(|m| m.enrollment.is_some());
    if enrolled {
        if let Some(claims) = ctx
            .trust
            .and_then(|t| TrustClaims::open(&state.keys, t, now))
        {
            if claims.user == user && claims.epoch == epoch {
                info!(event = "trust_cookie_used", user = %user);
                let bind = binding_set_cookie(state, after, user, epoch, claims.expires, now);
                return Ok(LoginDecision::Pass {
                    add_set_cookies: vec![bind],
                    user: user.to_string(),
                });
            }
        }
    }

    let target = upstream
        .location
        .and_then(|l| safe_target(l, ctx.own_hosts))
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
        contact_proof: None,
        sign_in_page: ctx
            .form_page
            .and_then(|page| safe_target(page, ctx.own_hosts))
            // The gateway's own pages are never where a member signs in.
            .filter(|page| !page.starts_with("/_mfa")),
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
    Ok(LoginDecision::Hold {
        pending_cookie: format_set_cookie(&state.cookie_names.pending, &id, attrs),
        id,
        login: Box::new(held),
    })
}
