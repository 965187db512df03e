//! The mobile app's JSON login, relayed by the gateway itself.
//!
//! Unlike the form login, whose answer is judged from its head while it streams, a JSON login
//! is judged from its body (a token field), and a held answer must be replaced by a complete
//! JSON challenge. So for this one endpoint the gateway reads the (bounded, small) request,
//! sends it upstream with its own HTTP client, reads the (bounded) answer, and then forwards,
//! holds or refuses it. Every other request still streams through pingora.

use base64::Engine as _;
use bytes::Bytes;
use serde_json::Value;

use super::{challenge, ApiError};
use crate::config::ApiLoginConfig;
use crate::http::forwarded::{self, CookieAction, Forwarding};
use crate::http::login_form::ExtractError;
use crate::http::login_success::sets_session;
use crate::http::response::GatewayResponse;
use crate::mfa::login::{decide, LoginContext, LoginDecision, Refusal, SuccessfulLogin};
use crate::mfa::pending::HeldBody;
use crate::mfa::session::SessionCookies;
use crate::state::AppState;

/// Request headers never copied to the upstream (hop-by-hop, recomputed, or forgeable identity).
const DROP_REQUEST_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "host",
    "cookie",
    "expect",
];
/// Response headers never copied back (hop-by-hop or recomputed by the gateway).
const DROP_RESPONSE_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "content-type",
    "cache-control",
];

/// One JSON login as the proxy saw it.
#[derive(Debug)]
pub struct ApiLogin<'a> {
    pub path_and_query: &'a str,
    pub headers: &'a http::HeaderMap,
    pub body: Bytes,
    /// The request's session cookies and whether they are bound.
    pub session: &'a SessionCookies,
    pub strip_session: bool,
    pub trust_cookie: Option<&'a str>,
    pub client_ip: Option<std::net::IpAddr>,
    pub host: &'a str,
    /// The request's id, sent upstream as `X-Request-Id`.
    pub request_id: &'a str,
}

/// The username at the configured JSON pointer of the request body.
pub fn username_from_json(cfg: &ApiLoginConfig, body: &[u8]) -> Result<String, ExtractError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| ExtractError::Malformed)?;
    match value.pointer(&cfg.username_pointer) {
        Some(Value::String(s)) if !s.trim().is_empty() && !s.chars().any(char::is_control) => {
            Ok(s.clone())
        }
        Some(Value::String(_)) | None => Err(ExtractError::Missing),
        Some(_) => Err(ExtractError::Malformed),
    }
}

/// True when the upstream's answer is a successful login by the configured rules.
pub fn is_success(
    cfg: &ApiLoginConfig,
    session_cookies: &[String],
    status: u16,
    set_cookies: &[&str],
    body: &[u8],
) -> bool {
    if !cfg.success_status.is_empty() && !cfg.success_status.contains(&status) {
        return false;
    }
    if cfg.sets_session_cookie
        && !set_cookies
            .iter()
            .any(|h| sets_session(h, session_cookies, 0))
    {
        return false;
    }
    if let Some(pointer) = &cfg.token_pointer {
        if !has_token(body, pointer) {
            return false;
        }
    }
    true
}

/// True when the JSON `body` has a token at `pointer`: a non-empty string or any non-null,
/// non-string value (an object or number is still something the app could use).
pub fn has_token(body: &[u8], pointer: &str) -> bool {
    let token = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.pointer(pointer).cloned());
    match token {
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Null) | None => false,
        Some(_) => true,
    }
}

/// Over TLS the URL names `upstream.sni` (so the relay sends that name and verifies the
/// certificate for it, as the proxy does); the client resolves it to `upstream.address`
/// (`server::upstream_client`).
fn upstream_url(state: &AppState, path_and_query: &str) -> String {
    let up = &state.config.upstream;
    if !up.tls {
        return format!("http://{}{path_and_query}", up.address);
    }
    let port = up.address.rsplit_once(':').map_or("443", |(_, port)| port);
    format!("https://{}:{port}{path_and_query}", up.sni)
}

/// The relay's answer to the client, and whether the login is now held for MFA (for the
/// request's outcome in the metrics).
pub struct RelayAnswer {
    pub response: GatewayResponse,
    pub held_for_mfa: bool,
}

impl From<GatewayResponse> for RelayAnswer {
    /// An answer that holds nothing (relayed as it was, or an error).
    fn from(response: GatewayResponse) -> Self {
        RelayAnswer {
            response,
            held_for_mfa: false,
        }
    }
}

/// Relays the login and decides. Never panics; upstream trouble answers JSON `502`.
pub async fn relay(state: &AppState, cfg: &ApiLoginConfig, login: ApiLogin<'_>) -> RelayAnswer {
    let user = username_from_json(cfg, &login.body);
    let mut request = state
        .upstream_client
        .post(upstream_url(state, login.path_and_query));
    // What the upstream may see is decided in one place for every road to it.
    let session_names = &state.config.site.session_cookies;
    let drop_cookie = |name: &str| {
        state.cookie_names.is_gateway_cookie(name)
            || (login.strip_session && SessionCookies::is_session_name(name, session_names))
    };
    let plan = forwarded::plan(
        login.headers,
        &Forwarding {
            edge: &state.config.edge,
            tls: state.config.listen.tls.is_some(),
            peer: login.client_ip,
            rewrite_cookies: true,
            cookies_unreadable: login
                .headers
                .get_all("cookie")
                .iter()
                .any(|v| v.to_str().is_err()),
            drop_cookie: &drop_cookie,
            request_id: login.request_id,
        },
    );
    for (name, value) in login.headers {
        let lower = name.as_str();
        if DROP_REQUEST_HEADERS.contains(&lower)
            || plan.remove.contains(name)
            || lower == "x-forwarded-for"
            || lower == "x-forwarded-proto"
            || lower == crate::http::request_id::HEADER
        {
            continue;
        }
        request = request.header(name, value);
    }
    if !login.host.is_empty() {
        request = request.header("host", login.host);
    }
    if let CookieAction::Replace(cookies) = plan.cookie {
        request = request.header("cookie", cookies);
    }
    if let Some(xff) = plan.x_forwarded_for {
        request = request.header("x-forwarded-for", xff);
    }
    request = request.header(crate::http::request_id::HEADER, plan.x_request_id);
    request = request
        .header("x-forwarded-proto", plan.x_forwarded_proto)
        .body(login.body.clone());

    let upstream_down = || {
        ApiError::new(
            502,
            "upstream_unavailable",
            "The MLS service is not answering; try again shortly.",
        )
        .response()
    };
    let Ok(mut response) = request.send().await else {
        return upstream_down().into();
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() <= cfg.max_body_bytes => {
                body.extend_from_slice(&chunk)
            }
            Ok(Some(_)) => {
                // A login answer this large cannot be held safely; never pass it unverified.
                tracing::warn!(
                    event = "login_fail_closed",
                    reason = "api login answer too large"
                );
                return ApiError::new(
                    502,
                    "upstream_answer_too_large",
                    "The sign-in answer was too large to verify.",
                )
                .response()
                .into();
            }
            Ok(None) => break,
            Err(_) => return upstream_down().into(),
        }
    }
    let set_cookies: Vec<&str> = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Err(why) = crate::http::edge::check_response(&headers) {
        tracing::warn!(event = "upstream_answer_refused", reason = why.reason());
        return upstream_down().into();
    }
    let relayed = relay_response(status, &headers, content_type.clone(), body.clone());
    // An answer that hands out a session (a session cookie, or a token where the app's tokens
    // live) is never relayed unless the success rule calls it a login: it must never fail open.
    let now = state.now();
    let issues_session = set_cookies
        .iter()
        .any(|h| sets_session(h, session_names, now))
        || cfg
            .token_pointer
            .as_deref()
            .is_some_and(|pointer| has_token(&body, pointer));
    let success = is_success(cfg, session_names, status, &set_cookies, &body);
    if !success && !issues_session {
        return relayed.into();
    }
    if !success && state.config.site.identity.is_none() {
        // Failed by the rule, yet a session was handed out: never relay it, never hold it
        // (the app may have refused the password). See `proxy::answer::on_login_response`.
        tracing::warn!(
            event = "login_answer_refused",
            reason = "session set by an answer the success rule calls failed",
            status,
        );
        return ApiError::new(
            401,
            "login_unconfirmed",
            "The sign-in could not be confirmed; sign in again.",
        )
        .response()
        .into();
    }
    let own_hosts = [
        login.host,
        state.config.upstream.address.as_str(),
        state.config.upstream.sni.as_str(),
    ];
    let held_body = Some(HeldBody {
        status,
        content_type,
        body_b64: base64::engine::general_purpose::STANDARD.encode(&body),
    });
    let ctx = LoginContext {
        browser: login.session,
        trust: login.trust_cookie,
        own_hosts: &own_hosts,
        api: true,
        held_body,
        host: login.host,
        // The mobile app has no sign-in page to go back to.
        form_page: None,
    };
    let upstream = SuccessfulLogin {
        set_cookies: set_cookies.clone(),
        location: None,
    };
    let decision = decide(state, user, &upstream, ctx).await;
    let held_for_mfa = matches!(decision, LoginDecision::Hold { .. });
    RelayAnswer {
        response: json_answer(state, decision, relayed).await,
        held_for_mfa,
    }
}

/// The JSON client's answer for a login decision: the relayed answer (plus the binding), the
/// `401 mfa_required` challenge for a held login, or a JSON error.
async fn json_answer(
    state: &AppState,
    decision: LoginDecision,
    relayed: GatewayResponse,
) -> GatewayResponse {
    match decision {
        LoginDecision::Pass {
            add_set_cookies, ..
        } => add_set_cookies
            .into_iter()
            .fold(relayed, GatewayResponse::with_cookie),
        LoginDecision::Hold {
            id,
            login,
            pending_cookie,
        } => match challenge::body(state, &id, &login).await {
            Ok(body) => GatewayResponse::json(401, &body)
                .with_header("WWW-Authenticate", challenge::www_authenticate(state, &id))
                .with_cookie(pending_cookie),
            Err(e) => e.response(),
        },
        // The app says nobody signed in, yet its answer handed something out: refuse.
        LoginDecision::NotSignedIn => ApiError::new(
            401,
            "login_unconfirmed",
            "The sign-in could not be confirmed; sign in again.",
        )
        .response(),
        LoginDecision::Refuse(Refusal::Unreadable) => ApiError::new(
            400,
            "login_unreadable",
            "The sign-in request could not be read; sign in again.",
        )
        .response(),
        LoginDecision::Refuse(Refusal::Unavailable) => ApiError::unavailable().response(),
    }
}

fn relay_response(
    status: u16,
    headers: &http::HeaderMap,
    content_type: Option<String>,
    body: Vec<u8>,
) -> GatewayResponse {
    let mut resp = GatewayResponse::json(status, &Value::Null);
    resp.content_type = content_type
        .unwrap_or_else(|| "application/octet-stream".into())
        .into();
    resp.body = body.into();
    for (name, value) in headers {
        if DROP_RESPONSE_HEADERS.contains(&name.as_str()) {
            continue;
        }
        if let Ok(v) = value.to_str() {
            resp = resp.with_header(name.as_str().to_string(), v.to_string());
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ApiLoginConfig {
        ApiLoginConfig {
            path: "/api/login".into(),
            username_pointer: "/username".into(),
            max_body_bytes: 1024,
            success_status: vec![200],
            sets_session_cookie: false,
            token_pointer: Some("/token".into()),
        }
    }

    #[test]
    fn username_pointer() {
        assert_eq!(
            username_from_json(&cfg(), br#"{"username":"JDoe","password":"x"}"#).as_deref(),
            Ok("JDoe")
        );
        assert_eq!(
            username_from_json(&cfg(), br#"{"password":"x"}"#),
            Err(ExtractError::Missing)
        );
        assert_eq!(
            username_from_json(&cfg(), br#"{"username":7}"#),
            Err(ExtractError::Malformed)
        );
        assert_eq!(
            username_from_json(&cfg(), b"not json"),
            Err(ExtractError::Malformed)
        );
    }

    #[test]
    fn success_needs_status_and_token() {
        let names = vec!["SID".to_string()];
        assert!(is_success(&cfg(), &names, 200, &[], br#"{"token":"abc"}"#));
        assert!(!is_success(&cfg(), &names, 200, &[], br#"{"token":""}"#));
        assert!(!is_success(&cfg(), &names, 200, &[], br#"{"ok":false}"#));
        assert!(!is_success(&cfg(), &names, 401, &[], br#"{"token":"abc"}"#));
    }
}
