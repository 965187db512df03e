//! `/_mfa/api/…`: read the challenge, send a code, verify, set up an authenticator app.
//!
//! Every POST takes `application/json` with the challenge id (so browsers cannot forge these
//! requests cross-site: a cross-site form cannot send JSON, and the gateway answers no CORS).
//! If the client also holds the pending cookie, both must name the same held login.
//!
//! This module routes the requests, reads the JSON body and resolves the held login; sending
//! and verifying codes are in `send_verify`, the set-up endpoints in `enroll`.

mod enroll;
mod send_verify;

use serde_json::{json, Value};

use super::{challenge, ApiError};
use crate::config::Method;
use crate::http::response::GatewayResponse;
use crate::mfa::contact::{parse_method, SetupGate};
use crate::mfa::pending::{self, PendingLogin};
use crate::state::AppState;
use enroll::{confirm, enroll, prove_contact};
use send_verify::{send, verify};

/// Largest JSON body the API reads.
pub const MAX_API_BODY: usize = 16 * 1024;

/// One API request as plain data.
#[derive(Debug, Clone, Default)]
pub struct ApiRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// Value of the gateway's pending cookie, if the client holds one.
    pub pending_cookie: Option<&'a str>,
    /// `X-MFA-Challenge` header (for GET).
    pub challenge_header: Option<&'a str>,
    pub cookie_headers: Vec<&'a str>,
    /// `Accept-Language` header: the language of the codes sent for this request.
    pub accept_language: Option<&'a str>,
}

/// The methods an MFA API path answers (its `Allow` header), `None` for an unknown path.
pub fn allowed_methods(path: &str) -> Option<&'static str> {
    match path.trim_end_matches('/') {
        "/_mfa/api/openapi.json" => Some("GET"),
        "/_mfa/api/challenge" => Some("GET, POST"),
        "/_mfa/api/send"
        | "/_mfa/api/verify"
        | "/_mfa/api/enroll"
        | "/_mfa/api/enroll/confirm"
        | "/_mfa/api/enroll/contact" => Some("POST"),
        _ => None,
    }
}

/// `405` with the `Allow` header RFC 9110 §15.5.6 asks for.
pub fn method_not_allowed(allow: &str) -> GatewayResponse {
    ApiError::new(
        405,
        "method_not_allowed",
        format!("This endpoint answers {allow} only; see /_mfa/api/openapi.json."),
    )
    .response()
    .with_header("Allow", allow.to_string())
}

/// Routes one API request.
pub async fn handle(state: &AppState, req: &ApiRequest<'_>) -> GatewayResponse {
    let result = match (req.method, req.path.trim_end_matches('/')) {
        ("GET", "/_mfa/api/openapi.json") => return super::openapi::response(&state.config),
        ("GET", "/_mfa/api/challenge") => get_challenge(state, req).await,
        ("POST", "/_mfa/api/challenge") => with_body(state, req, Action::Challenge).await,
        ("POST", "/_mfa/api/send") => with_body(state, req, Action::Send).await,
        ("POST", "/_mfa/api/verify") => with_body(state, req, Action::Verify).await,
        ("POST", "/_mfa/api/enroll") => with_body(state, req, Action::Enroll).await,
        ("POST", "/_mfa/api/enroll/confirm") => with_body(state, req, Action::Confirm).await,
        ("POST", "/_mfa/api/enroll/contact") => with_body(state, req, Action::Contact).await,
        (_, path) => match allowed_methods(path) {
            Some(allow) => return method_not_allowed(allow),
            None => Err(ApiError::new(
                404,
                "not_found",
                "No such MFA API endpoint; see /_mfa/api/openapi.json.",
            )),
        },
    };
    result.unwrap_or_else(|e| e.response())
}

/// A held login resolved from a request.
pub(super) struct Held<'r, 'a> {
    pub(super) req: &'r ApiRequest<'a>,
    pub(super) id: String,
    pub(super) login: PendingLogin,
    pub(super) body: Value,
}

/// The endpoints that take a JSON body naming a held login.
#[derive(Debug, Clone, Copy)]
enum Action {
    Challenge,
    Send,
    Verify,
    Enroll,
    Confirm,
    Contact,
}

async fn with_body(
    state: &AppState,
    req: &ApiRequest<'_>,
    action: Action,
) -> Result<GatewayResponse, ApiError> {
    let is_json = req
        .content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(
            415,
            "unsupported_media_type",
            "Send Content-Type: application/json.",
        ));
    }
    if req.body.len() > MAX_API_BODY {
        return Err(ApiError::new(
            413,
            "body_too_large",
            format!("The body is larger than {MAX_API_BODY} bytes."),
        ));
    }
    let body: Value = serde_json::from_slice(req.body)
        .map_err(|_| ApiError::new(400, "invalid_json", "The body is not valid JSON."))?;
    if !body.is_object() {
        return Err(ApiError::new(
            400,
            "invalid_json",
            "The body must be a JSON object.",
        ));
    }
    check_field_types(&body, action)?;
    let id = body
        .get("challenge")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::new(
                400,
                "missing_field",
                "Field \"challenge\" (string) is required.",
            )
            .with("field", json!("challenge"))
        })?
        .to_string();
    let held = resolve(state, req, id, body).await?;
    match action {
        Action::Challenge => challenge_of(state, held).await,
        Action::Send => send(state, held).await,
        Action::Verify => verify(state, held).await,
        Action::Enroll => enroll(state, held).await,
        Action::Confirm => confirm(state, held).await,
        Action::Contact => prove_contact(state, held).await,
    }
}

/// The fields the endpoints read, with the types `docs/openapi.yaml` gives them. A field of
/// the wrong type is refused up front, whether or not the step at hand reads it, so an answer
/// never depends on which fields a step happened to look at.
fn check_field_types(body: &Value, action: Action) -> Result<(), ApiError> {
    let invalid = |field: &'static str, expected: &str| {
        ApiError::new(
            400,
            "invalid_field",
            format!("Field \"{field}\" must be {expected}."),
        )
        .with("field", json!(field))
    };
    if body.get("challenge").is_some_and(|v| !v.is_string()) {
        return Err(invalid("challenge", "a string"));
    }
    let six_digits = |v: &Value| {
        v.as_str()
            .is_some_and(|code| code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()))
    };
    if body.get("code").is_some_and(|v| !six_digits(v)) {
        return Err(invalid("code", "6 digits"));
    }
    // Codes are sent by email or text only; the app is a method to set up or verify with.
    let (methods, expected): (&[&str], &str) = match action {
        Action::Send | Action::Contact => (&["email", "text"], "\"email\" or \"text\""),
        _ => (&["app", "email", "text"], "\"app\", \"email\" or \"text\""),
    };
    if let Some(method) = body.get("method") {
        if !method.as_str().is_some_and(|m| methods.contains(&m)) {
            return Err(invalid("method", expected));
        }
    }
    if body.get("remember_secs").is_some_and(|v| !v.is_u64()) {
        return Err(invalid("remember_secs", "a whole number of seconds"));
    }
    Ok(())
}

async fn resolve<'r, 'a>(
    state: &AppState,
    req: &'r ApiRequest<'a>,
    id: String,
    body: Value,
) -> Result<Held<'r, 'a>, ApiError> {
    if let Some(cookie) = req.pending_cookie {
        if cookie != id {
            return Err(ApiError::new(
                403,
                "challenge_mismatch",
                "The challenge does not match this client's sign-in.",
            ));
        }
    }
    let login = pending::load(state.ephemeral.as_ref(), &id)
        .await
        .map_err(|e| {
            tracing::error!(event = "store_error", error = %e);
            ApiError::unavailable()
        })?;
    let login = login.ok_or_else(|| {
        ApiError::new(
            404,
            "challenge_not_found",
            "This sign-in has expired or was already completed. Sign in again.",
        )
    })?;
    Ok(Held {
        req,
        id,
        login,
        body,
    })
}

async fn get_challenge(
    state: &AppState,
    req: &ApiRequest<'_>,
) -> Result<GatewayResponse, ApiError> {
    let id = req
        .challenge_header
        .or(req.pending_cookie)
        .ok_or_else(|| {
            ApiError::new(
                400,
                "missing_field",
                "Send the challenge id in X-MFA-Challenge.",
            )
            .with("field", json!("challenge"))
        })?
        .to_string();
    let held = resolve(state, req, id, Value::Null).await?;
    challenge_of(state, held).await
}

async fn challenge_of(state: &AppState, held: Held<'_, '_>) -> Result<GatewayResponse, ApiError> {
    let body = challenge::body(state, &held.id, &held.login).await?;
    Ok(GatewayResponse::json(200, &body))
}

fn field<'v>(body: &'v Value, name: &'static str) -> Result<&'v str, ApiError> {
    body.get(name).and_then(Value::as_str).ok_or_else(|| {
        ApiError::new(
            400,
            "missing_field",
            format!("Field \"{name}\" (string) is required."),
        )
        .with("field", json!(name))
    })
}

fn method_field(state: &AppState, body: &Value) -> Result<Method, ApiError> {
    let name = field(body, "method")?;
    parse_method(state, name).ok_or_else(|| {
        ApiError::new(
            400,
            "method_unavailable",
            format!("Method \"{name}\" is not available."),
        )
    })
}

async fn save(state: &AppState, id: &str, login: &PendingLogin) -> Result<(), ApiError> {
    let remaining =
        (login.created + state.config.mfa.pending_ttl.as_secs() as i64 - state.now()).max(1);
    pending::save(
        state.ephemeral.as_ref(),
        id,
        login,
        std::time::Duration::from_secs(remaining as u64),
    )
    .await
    .map_err(|_| ApiError::unavailable())
}

/// The set-up rule of [`contact::setup_gate`](crate::mfa::contact::setup_gate) for an API
/// client: a refusal is an error (and voids the held login), otherwise the gate.
pub(super) async fn setup_gate(
    state: &AppState,
    held: &Held<'_, '_>,
) -> Result<SetupGate, ApiError> {
    super::challenge::gate(state, &held.id, &held.login).await
}
