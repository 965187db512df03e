//! The request side of the proxy: refuse what is not canonical, read the session cookies and
//! their binding, and apply [`crate::http::forwarded`]'s plan to what goes upstream.

use pingora::http::RequestHeader;
use pingora::proxy::Session;
use pingora::Result;

use super::{local, RequestCtx};
use crate::http::classify::Route;
use crate::http::edge::{check_host, check_method, check_raw_head, check_request_framing, Refusal};
use crate::http::forwarded::{is_trusted_proxy, plan, CookieAction, Forwarding};
use crate::http::h2_host::{h2_host, H2Host};
use crate::http::request_id;
use crate::mfa::session::{verify_binding, verify_pre_login, SessionCookies};
use crate::pages::Message;
use crate::state::AppState;

/// The `Cookie` header values that are UTF-8, and whether any was not.
pub(super) fn cookie_headers(req: &RequestHeader) -> (Vec<&str>, bool) {
    let mut unreadable = false;
    let values = req
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| {
            let s = std::str::from_utf8(v.as_bytes()).ok();
            unreadable |= s.is_none();
            s
        })
        .collect();
    (values, unreadable)
}

/// Gives an HTTP/2 request the one `Host` its `:authority` names, or refuses it when they
/// disagree ([`crate::http::h2_host`]). Does nothing to an HTTP/1 request.
pub(super) fn set_h2_host(session: &mut Session) -> Option<Refusal> {
    let req = session.req_header();
    if req.version != http::Version::HTTP_2 {
        return None;
    }
    let authority = req.uri.authority().map(|a| a.as_str());
    let add = match h2_host(&req.headers, req.version, authority) {
        Ok(H2Host::Fine) => return None,
        Ok(H2Host::Add(host)) => host.to_string(),
        Err(refusal) => return Some(refusal),
    };
    match session
        .req_header_mut()
        .insert_header(http::header::HOST, add)
    {
        Ok(()) => None,
        Err(_) => Some(Refusal::RequestLine),
    }
}

/// Checks the request against the strict edge (DESIGN.md "The edge"): allowed, exact method;
/// one unambiguous framing; a head with CRLF line ends only. Runs before any routing.
pub(super) fn refusal(state: &AppState, session: &Session) -> Option<Refusal> {
    let req = session.req_header();
    if let Err(refusal) = check_method(&req.method, &state.config.edge.methods)
        .and_then(|()| check_host(&req.headers, req.version))
    {
        return Some(refusal);
    }
    // The raw head is a reference-counted view of the bytes pingora already read: no copy.
    let raw = session
        .as_downstream()
        .as_http1()
        .map(|h1| h1.get_headers_raw_bytes());
    if let Some(raw) = raw.as_deref() {
        if let Err(refusal) = check_raw_head(raw) {
            return Some(refusal);
        }
    }
    check_request_framing(&req.headers, raw.as_deref()).err()
}

/// Answers a refused request with the gateway's own 400 — or 405 with `Allow` for a method
/// the edge does not let through (RFC 9110 §15.5.6) — and closes the connection: its body
/// (if any) was never read, and its framing cannot be trusted to find the next request.
pub(super) async fn refuse(state: &AppState, session: &mut Session, why: Refusal) -> Result<()> {
    tracing::warn!(event = "request_refused", reason = why.reason());
    session.set_keepalive(None);
    let req = session.req_header();
    let answer = match why {
        Refusal::Method => {
            local::method_not_allowed(state, req, &local::allowed_methods(state, req))
        }
        _ => local::error_response(state, req, 400, Message::bad_request()),
    };
    answer.write(session).await
}

/// Reads the session-related cookies and decides whether the session is bound.
///
/// This runs on every proxied request, so it stays on the fast path the design asks for:
/// two scans of the cookies (gateway cookies, then the session cookies), copies of the
/// session cookie values only, one SHA-256 and one HMAC check of the binding, no store
/// access. The trust cookie is kept only on the login routes, the one place it is read.
pub(super) fn inspect_request(
    state: &AppState,
    req: &RequestHeader,
    route: Route,
    ctx: &mut RequestCtx,
) {
    let names = &state.cookie_names;
    let (headers, unreadable) = cookie_headers(req);
    ctx.cookies_unreadable = unreadable;
    let login_route = matches!(route, Route::Login | Route::ApiLogin);
    let mut gateway_cookie = false;
    let mut binding = None;
    for pair in crate::http::cookies::request_cookies(headers.iter().copied()) {
        if !names.is_gateway_cookie(pair.name) {
            continue;
        }
        gateway_cookie = true;
        if pair.name == names.binding {
            // The first binding cookie counts, as a cookie jar would send it first.
            binding = binding.or(Some(pair.value));
        } else if login_route && pair.name == names.trust {
            ctx.trust_cookie = Some(pair.value.to_string());
        } else if pair.name == names.pending {
            ctx.holds_pending = true;
        }
    }
    let session_names = &state.config.site.session_cookies;
    ctx.session = SessionCookies::from_headers(headers.iter().copied(), session_names);
    if !ctx.session.is_empty() {
        let now = state.now();
        ctx.bound = match route {
            Route::Public => None,
            _ => verify_binding(state, &ctx.session, binding, now),
        };
        // An anonymous pre-login session reaches the upstream on the login POST only.
        let pre_login = ctx.bound.is_none()
            && login_route
            && state.config.site.login.pre_login_session
            && verify_pre_login(state, &ctx.session, binding, now);
        ctx.strip_session = ctx.bound.is_none() && !pre_login;
    }
    ctx.rewrite_cookies = gateway_cookie || ctx.strip_session || headers.len() > 1 || unreadable;
}

/// Applies what the upstream may see ([`crate::http::forwarded`]) to the pingora request.
/// The request's id: a trusted proxy's `X-Request-Id` when it is well formed, else a new one.
pub(super) fn request_id(state: &AppState, session: &Session) -> String {
    let peer = session
        .client_addr()
        .and_then(|a| a.as_inet())
        .map(|a| a.ip());
    if is_trusted_proxy(&state.config.edge, peer) {
        let incoming = session
            .req_header()
            .headers
            .get(request_id::HEADER)
            .and_then(|v| request_id::accept_incoming(v.as_bytes()));
        if let Some(id) = incoming {
            return id.to_string();
        }
    }
    state.request_ids.next()
}

pub(super) fn apply_forwarding(
    state: &AppState,
    session: &Session,
    upstream_request: &mut RequestHeader,
    ctx: &RequestCtx,
) -> Result<()> {
    let session_names = &state.config.site.session_cookies;
    let drop_cookie = |name: &str| {
        state.cookie_names.is_gateway_cookie(name)
            || (ctx.strip_session && SessionCookies::is_session_name(name, session_names))
    };
    let forwarding = Forwarding {
        edge: &state.config.edge,
        tls: state.config.listen.tls.is_some(),
        peer: session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|a| a.ip()),
        rewrite_cookies: ctx.rewrite_cookies,
        cookies_unreadable: ctx.cookies_unreadable,
        drop_cookie: &drop_cookie,
        request_id: &ctx.request_id,
    };
    let plan = plan(&upstream_request.headers, &forwarding);
    for name in &plan.remove {
        upstream_request.remove_header(name);
    }
    match plan.cookie {
        CookieAction::Keep => {}
        // Inserting replaces every `Cookie` header at once (several are merged into one).
        CookieAction::Replace(value) => upstream_request.insert_header("cookie", value)?,
        CookieAction::Remove => {
            upstream_request.remove_header("cookie");
        }
    }
    match plan.x_forwarded_for {
        Some(value) => upstream_request.insert_header("x-forwarded-for", value)?,
        None => {
            upstream_request.remove_header("x-forwarded-for");
        }
    }
    // A static value: no copy of the bytes per request.
    upstream_request.insert_header(
        "x-forwarded-proto",
        http::HeaderValue::from_static(plan.x_forwarded_proto),
    )?;
    upstream_request.insert_header(crate::http::request_id::HEADER, plan.x_request_id)?;
    Ok(())
}

/// A bound session whose member was reset or had their devices forgotten since the binding
/// was issued is no longer bound: its session is stripped (the app asks for the password
/// again) and the stale binding cookie is cleared. A store error fails closed the same way.
pub(super) async fn end_revoked_session(state: &AppState, ctx: &mut RequestCtx) {
    let Some(bound) = ctx.bound.as_ref() else {
        return;
    };
    let current = state
        .epochs
        .is_current(state.durable.as_ref(), &bound.user, bound.epoch)
        .await;
    if current.as_ref().is_ok_and(|current| *current) {
        return;
    }
    match current {
        Err(e) => tracing::error!(event = "store_error", error = %e, during = "revocation check"),
        Ok(_) => tracing::info!(event = "bound_session_revoked", user = %bound.user),
    }
    ctx.bound = None;
    ctx.strip_session = true;
    ctx.rewrite_cookies = true;
    ctx.clear_binding = true;
}
