//! Requests the gateway answers itself (pages, the JSON MFA API, the JSON login relay): read
//! the bounded body, hand plain data to [`crate::portal`] / [`crate::api`], write the answer.

use pingora::http::RequestHeader;
use pingora::proxy::Session;
use pingora::Result;

use super::{cookie_headers, RequestCtx};
use crate::api::endpoints::{ApiRequest, MAX_API_BODY};
use crate::api::{self, ApiError};
use crate::http::cookies::request_cookies;
use crate::http::login_form::is_form_urlencoded;
use crate::http::response::GatewayResponse;
use crate::mfa::pending;
use crate::pages::{Audience, Message};
use crate::portal::{self, PortalRequest, MAX_FORM_BYTES};
use crate::state::AppState;

/// Largest request head (all header names and values) the gateway forwards: far above any
/// real browser's, far below what would let one request pin much memory.
pub(super) const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Size of a request head as the gateway counts it.
pub(super) fn header_bytes(req: &RequestHeader) -> usize {
    req.headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + req.uri.to_string().len()
}

/// Reads a request body of at most `limit` bytes; `None` when it is larger (the rest is left
/// unread and the connection is not reused).
async fn read_body(session: &mut Session, limit: usize) -> Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    while let Some(chunk) = session.read_request_body().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

fn header<'r>(req: &'r RequestHeader, name: &str) -> Option<&'r str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Who a gateway page answering `req` is for: the member's language from the language cookie
/// and `Accept-Language`, and the configured sign-in page.
fn page_audience(state: &AppState, req: &RequestHeader) -> Audience {
    let (cookies, _) = cookie_headers(req);
    let lang = portal::request_lang(state, cookies.into_iter(), header(req, "accept-language"));
    portal::audience(state, lang, None)
}

fn wants_json(state: &AppState, req: &RequestHeader) -> bool {
    state.classifier.wants_json(
        req.uri.path(),
        header(req, "accept"),
        header(req, "x-requested-with"),
    )
}

/// A page or API request under `/_mfa/`.
pub(super) async fn serve_portal(state: &AppState, session: &mut Session) -> Result<()> {
    if session.req_header().uri.path().starts_with(api::API_PREFIX) {
        return serve_api(state, session).await;
    }
    let body = if session.req_header().method == http::Method::POST {
        read_body(session, MAX_FORM_BYTES).await?
    } else {
        Some(Vec::new())
    };
    let audience = page_audience(state, session.req_header());
    let response = match body {
        None => portal::message(state, &audience, Message::too_large()),
        Some(body) => {
            let req = session.req_header();
            let is_form =
                header(req, "content-type").is_some_and(|ct| is_form_urlencoded(ct.as_bytes()));
            let form = if body.is_empty() || !is_form {
                Some(Vec::new())
            } else {
                portal::parse_form(&body)
            };
            match form {
                None => portal::message(state, &audience, Message::bad_request()),
                Some(form) => {
                    let (cookie_headers, _) = cookie_headers(req);
                    let portal_req = PortalRequest {
                        method: req.method.as_str(),
                        path: req.uri.path(),
                        query: req.uri.query(),
                        cookie_headers,
                        host: header(req, "host").or(req.uri.authority().map(|a| a.as_str())),
                        origin: header(req, "origin"),
                        fetch_site: header(req, "sec-fetch-site"),
                        form,
                        lang: audience.lang,
                    };
                    portal::handle(state, &portal_req).await
                }
            }
        }
    };
    response.write(session).await
}

async fn serve_api(state: &AppState, session: &mut Session) -> Result<()> {
    let body = if session.req_header().method == http::Method::GET {
        Some(Vec::new())
    } else {
        read_body(session, MAX_API_BODY).await?
    };
    let response = match body {
        None => ApiError::new(
            413,
            "body_too_large",
            format!("The body is larger than {MAX_API_BODY} bytes."),
        )
        .response(),
        Some(body) => {
            let req = session.req_header();
            let (cookie_headers, _) = cookie_headers(req);
            let pending_cookie = request_cookies(cookie_headers.iter().copied())
                .find(|p| p.name == state.cookie_names.pending)
                .map(|p| p.value);
            let api_req = ApiRequest {
                method: req.method.as_str(),
                path: req.uri.path(),
                content_type: header(req, "content-type"),
                body: &body,
                pending_cookie,
                challenge_header: header(req, "x-mfa-challenge"),
                cookie_headers: cookie_headers.clone(),
                accept_language: header(req, "accept-language"),
            };
            api::endpoints::handle(state, &api_req).await
        }
    };
    response.write(session).await
}

/// The mobile app's JSON login.
pub(super) async fn serve_api_login(
    state: &AppState,
    session: &mut Session,
    ctx: &mut RequestCtx,
) -> Result<()> {
    let Some(cfg) = state.config.site.api_login.as_ref() else {
        return ApiError::new(404, "not_found", "No JSON login is configured.")
            .response()
            .write(session)
            .await;
    };
    let Some(body) = read_body(session, cfg.max_body_bytes).await? else {
        let resp =
            ApiError::new(413, "body_too_large", "The sign-in request is too large.").response();
        return resp.write(session).await;
    };
    let client_ip = session
        .client_addr()
        .and_then(|a| a.as_inet())
        .map(|a| a.ip());
    let req = session.req_header();
    let path_and_query = req
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let host = header(req, "host").unwrap_or_default().to_string();
    let headers = req.headers.clone();
    let login = api::login::ApiLogin {
        path_and_query: &path_and_query,
        headers: &headers,
        body: body.into(),
        session: &ctx.session,
        strip_session: ctx.strip_session,
        trust_cookie: ctx.trust_cookie.as_deref(),
        client_ip,
        host: &host,
        request_id: &ctx.request_id,
    };
    let answer = api::login::relay(state, cfg, login).await;
    if answer.held_for_mfa {
        ctx.set_outcome(crate::admin::RequestOutcome::Intercepted);
    }
    answer.response.write(session).await
}

/// An API request from a client that holds a login still waiting for MFA: answer the JSON
/// challenge instead of forwarding an anonymous request (the app then knows what to do).
pub(super) async fn pending_api_challenge(
    state: &AppState,
    req: &RequestHeader,
) -> Option<GatewayResponse> {
    if !wants_json(state, req) {
        return None;
    }
    let (cookie_headers, _) = cookie_headers(req);
    let id = request_cookies(cookie_headers.iter().copied())
        .find(|p| p.name == state.cookie_names.pending)?
        .value;
    let login = match pending::load(state.ephemeral.as_ref(), id).await {
        Ok(Some(login)) => login,
        Ok(None) => return None,
        // Fail closed: the client holds a login we cannot look up right now.
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            return Some(ApiError::unavailable().response());
        }
    };
    let body = match api::challenge::body(state, id, &login).await {
        Ok(body) => body,
        Err(e) => return Some(e.response()),
    };
    Some(GatewayResponse::json(401, &body).with_header(
        "WWW-Authenticate",
        api::challenge::www_authenticate(state, id),
    ))
}

/// The gateway's `405` for `req`, with `Allow: allow`: JSON for API clients, the branded page
/// for browsers.
pub(super) fn method_not_allowed(
    state: &AppState,
    req: &RequestHeader,
    allow: &str,
) -> GatewayResponse {
    if wants_json(state, req) {
        return api::endpoints::method_not_allowed(allow);
    }
    portal::message(
        state,
        &page_audience(state, req),
        Message::method_not_allowed(),
    )
    .with_header("Allow", allow.to_string())
}

/// The methods `req`'s path answers, for an `Allow` header: an MFA API endpoint's own, the
/// JSON login's `POST`, else every method the edge lets through (`edge.methods`).
pub(super) fn allowed_methods(state: &AppState, req: &RequestHeader) -> String {
    let path = req.uri.path();
    if let Some(allow) = api::endpoints::allowed_methods(path) {
        return allow.to_string();
    }
    let api_login = state
        .config
        .site
        .api_login
        .as_ref()
        .map(|l| l.path.as_str());
    if api_login == Some(crate::http::classify::normalize_path(path).as_ref()) {
        return "POST".to_string();
    }
    state
        .config
        .edge
        .methods
        .iter()
        .map(http::Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error page or JSON for a failed proxy attempt.
pub(super) fn error_response(
    state: &AppState,
    req: &RequestHeader,
    status: u16,
    page: Message,
) -> GatewayResponse {
    if wants_json(state, req) {
        let (code, message) = match status {
            502 => (
                "upstream_unavailable",
                "The MLS service is not answering; try again shortly.",
            ),
            400 => ("bad_request", "The request could not be read."),
            431 => ("headers_too_large", "The request headers are too large."),
            _ => (
                "unavailable",
                "The service is unavailable right now; try again shortly.",
            ),
        };
        return ApiError::new(status, code, message).response();
    }
    let mut page = page;
    page.status = status;
    portal::message(state, &page_audience(state, req), page)
}
