//! `/_mfa/api/…`: read the challenge, send a code, verify, set up an authenticator app.
//!
//! Every POST takes `application/json` with the challenge id (so browsers cannot forge these
//! requests cross-site: a cross-site form cannot send JSON, and the gateway answers no CORS).
//! If the client also holds the pending cookie, both must name the same held login.

use serde_json::{json, Value};

use super::{challenge, ApiError};
use crate::config::Method;
use crate::http::response::GatewayResponse;
use crate::mfa::contact::{
    self, method_name, parse_method, Destination, ProofOutcome, SendOutcome, SetupGate,
};
use crate::mfa::pending::{self, ContactProof, PendingLogin};
use crate::mfa::verify::{verify_code, VerifyOutcome};
use crate::mfa::{codes, totp};
use crate::state::AppState;

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
}

/// Routes one API request.
pub async fn handle(state: &AppState, req: &ApiRequest<'_>) -> GatewayResponse {
    let result = match (req.method, req.path.trim_end_matches('/')) {
        ("GET", "/_mfa/api/openapi.json") => return super::openapi::response(),
        ("GET", "/_mfa/api/challenge") => get_challenge(state, req).await,
        ("POST", "/_mfa/api/challenge") => with_body(state, req, Action::Challenge).await,
        ("POST", "/_mfa/api/send") => with_body(state, req, Action::Send).await,
        ("POST", "/_mfa/api/verify") => with_body(state, req, Action::Verify).await,
        ("POST", "/_mfa/api/enroll") => with_body(state, req, Action::Enroll).await,
        ("POST", "/_mfa/api/enroll/confirm") => with_body(state, req, Action::Confirm).await,
        ("POST", "/_mfa/api/enroll/contact") => with_body(state, req, Action::Contact).await,
        (
            _,
            "/_mfa/api/challenge"
            | "/_mfa/api/send"
            | "/_mfa/api/verify"
            | "/_mfa/api/enroll"
            | "/_mfa/api/enroll/confirm"
            | "/_mfa/api/enroll/contact",
        ) => Err(ApiError::new(
            405,
            "method_not_allowed",
            "Use POST with a JSON body (GET for /_mfa/api/challenge).",
        )),
        _ => Err(ApiError::new(
            404,
            "not_found",
            "No such MFA API endpoint; see /_mfa/api/openapi.json.",
        )),
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

async fn send(state: &AppState, held: Held<'_, '_>) -> Result<GatewayResponse, ApiError> {
    let method = method_field(state, &held.body)?;
    if held.login.must_enroll {
        // An email / text set-up proves its contact with its own first code.
        setup_gate(state, &held).await?;
        let mut login = held.login.clone();
        login.contact_proof = None;
        return send_to(state, held, login, method).await;
    }
    let login = held.login.clone();
    send_to(state, held, login, method).await
}

/// Sends a code to `method` for this held login, saving `login` (with `method` active) first.
async fn send_to(
    state: &AppState,
    held: Held<'_, '_>,
    mut login: PendingLogin,
    method: Method,
) -> Result<GatewayResponse, ApiError> {
    let available = contact::available(state, &held.login.user, held.login.must_enroll)
        .await
        .map_err(|_| ApiError::unavailable())?;
    let dest = available
        .destination(method)
        .ok_or_else(|| {
            ApiError::new(
                400,
                "method_unavailable",
                "Codes cannot be sent this way for this member.",
            )
        })?
        .clone();
    login.method = Some(method_name(method).to_string());
    save(state, &held.id, &login).await?;
    send_answer(state, &held.id, &login.user, method, &dest).await
}

async fn send_answer(
    state: &AppState,
    id: &str,
    user: &str,
    method: Method,
    dest: &Destination,
) -> Result<GatewayResponse, ApiError> {
    match contact::send_code(state, id, user, dest)
        .await
        .map_err(|_| ApiError::unavailable())?
    {
        SendOutcome::Sent => Ok(GatewayResponse::json(
            200,
            &json!({ "sent": true, "method": method_name(method), "destination": dest.masked,
                         "code_ttl_secs": state.config.mfa.code_ttl.as_secs(),
                         "resend_after_secs": codes::RESEND_INTERVAL.as_secs() }),
        )),
        SendOutcome::Throttled(wait) => {
            Err(
                ApiError::new(429, "throttled", "Too soon to send another code.")
                    .with("retry_after", json!(wait.as_secs())),
            )
        }
        SendOutcome::Failed(_) => Err(ApiError::new(
            502,
            "delivery_failed",
            "The code could not be sent; try another method.",
        )),
    }
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

async fn verify(state: &AppState, held: Held<'_, '_>) -> Result<GatewayResponse, ApiError> {
    if held.login.must_enroll {
        return Err(ApiError::new(
            409,
            "enrollment_required",
            "Set up a method first: POST /_mfa/api/enroll.",
        ));
    }
    let code = field(&held.body, "code")?;
    let available = contact::available(state, &held.login.user, false)
        .await
        .map_err(|_| ApiError::unavailable())?;
    let method = match held.body.get("method").and_then(Value::as_str) {
        Some(name) => parse_method(state, name).filter(|m| available.has(*m)),
        None => available.active(state, held.login.method.as_deref()),
    }
    .ok_or_else(|| {
        ApiError::new(
            400,
            "method_unavailable",
            "That method is not available for this member.",
        )
    })?;
    let outcome = verify_code(state, &held.id, method, code)
        .await
        .map_err(|_| ApiError::unavailable())?;
    super::outcome::outcome_response(state, &held, outcome)
}

async fn enroll(state: &AppState, held: Held<'_, '_>) -> Result<GatewayResponse, ApiError> {
    if !held.login.must_enroll {
        return Err(ApiError::new(
            409,
            "already_enrolled",
            "This member is enrolled; verify a code instead.",
        ));
    }
    let method = method_field(state, &held.body)?;
    if method != Method::App {
        return send(state, held).await;
    }
    if let SetupGate::ProveContact(destinations) = setup_gate(state, &held).await? {
        tracing::warn!(event = "enrollment_proof_missing", user = %held.login.user, method = "app");
        return Err(proof_required(&destinations));
    }
    let mut login = held.login.clone();
    let secret = match login.draft_secret.as_deref() {
        Some(sealed) => state
            .cipher
            .open(&login.user, sealed)
            .map_err(|_| ApiError::unavailable())?,
        None => {
            let secret = totp::generate_secret().map_err(|_| ApiError::unavailable())?;
            login.draft_secret = Some(
                state
                    .cipher
                    .seal(&login.user, &secret)
                    .map_err(|_| ApiError::unavailable())?,
            );
            secret
        }
    };
    login.method = Some("app".into());
    save(state, &held.id, &login).await?;
    let uri = totp::otpauth_uri(&secret, &state.config.branding.name, &login.user)
        .map_err(|_| ApiError::unavailable())?;
    Ok(GatewayResponse::json(
        200,
        &json!({ "method": "app", "otpauth_uri": uri, "secret": totp::grouped_base32(&secret).replace(' ', "") }),
    ))
}

async fn confirm(state: &AppState, held: Held<'_, '_>) -> Result<GatewayResponse, ApiError> {
    if !held.login.must_enroll {
        return Err(ApiError::new(
            409,
            "already_enrolled",
            "This member is enrolled; verify a code instead.",
        ));
    }
    let code = field(&held.body, "code")?;
    let method = held
        .login
        .method
        .as_deref()
        .and_then(|m| parse_method(state, m))
        .ok_or_else(|| {
            ApiError::new(
                409,
                "enrollment_not_started",
                "Start with POST /_mfa/api/enroll.",
            )
        })?;
    let gate = setup_gate(state, &held).await?;
    if let (Method::App, SetupGate::ProveContact(destinations)) = (method, &gate) {
        tracing::warn!(event = "enrollment_proof_missing", user = %held.login.user, method = "app");
        return Err(proof_required(destinations));
    }
    let period = match held.body.get("remember_secs") {
        None | Some(Value::Null) => state.config.mfa.default_trust_period,
        Some(v) => v
            .as_u64()
            .and_then(|secs| {
                state
                    .config
                    .mfa
                    .trust_periods
                    .iter()
                    .copied()
                    .find(|p| p.as_secs() == secs)
            })
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "invalid_trust_period",
                    "remember_secs must be one of trust_periods_secs.",
                )
            })?,
    };
    let outcome = contact::confirm_setup(
        state,
        &held.id,
        &held.login.user,
        method,
        code,
        period.as_secs(),
    )
    .await
    .map_err(|_| ApiError::unavailable())?;
    super::outcome::outcome_response(state, &held, outcome)
}

/// The set-up rule of [`contact::setup_gate`] for an API client: a refusal is an error (and
/// voids the held login), otherwise the gate.
pub(super) async fn setup_gate(
    state: &AppState,
    held: &Held<'_, '_>,
) -> Result<SetupGate, ApiError> {
    super::challenge::gate(state, &held.id, &held.login).await
}

/// `403 contact_unverified`: prove the contact on file first.
fn proof_required(destinations: &[Destination]) -> ApiError {
    let methods: Vec<&str> = destinations.iter().map(|d| method_name(d.method)).collect();
    ApiError::new(
        403,
        "contact_unverified",
        "First prove the email or mobile on file: POST /_mfa/api/enroll/contact with a method, then with the code.",
    )
    .with("verify_with", json!(methods))
}

/// `POST /_mfa/api/enroll/contact`: without `code`, sends the proof code to `method` (default:
/// the first contact on file); with `code`, checks it. Once proven, the app can be set up.
async fn prove_contact(state: &AppState, held: Held<'_, '_>) -> Result<GatewayResponse, ApiError> {
    if !held.login.must_enroll {
        return Err(ApiError::new(
            409,
            "already_enrolled",
            "This member is enrolled; verify a code instead.",
        ));
    }
    let SetupGate::ProveContact(destinations) = setup_gate(state, &held).await? else {
        return Ok(GatewayResponse::json(
            200,
            &json!({ "contact_verified": true, "next": "/_mfa/api/enroll" }),
        ));
    };
    if let Some(code) = held.body.get("code").and_then(Value::as_str) {
        let method = held
            .login
            .contact_proof
            .as_ref()
            .filter(|p| !p.proven)
            .and_then(|p| parse_method(state, &p.method))
            .ok_or_else(|| {
                ApiError::new(
                    409,
                    "contact_proof_not_started",
                    "Send the proof code first: POST /_mfa/api/enroll/contact with a method.",
                )
            })?;
        let outcome = contact::prove_contact(state, &held.id, method, code)
            .await
            .map_err(|_| ApiError::unavailable())?;
        return match outcome {
            ProofOutcome::Proven(_) => Ok(GatewayResponse::json(
                200,
                &json!({ "contact_verified": true, "method": method_name(method), "next": "/_mfa/api/enroll" }),
            )),
            ProofOutcome::Refused(VerifyOutcome::Passed { .. }) => Err(ApiError::unavailable()),
            ProofOutcome::Refused(other) => super::outcome::outcome_response(state, &held, other),
        };
    }
    let dest = match held.body.get("method").and_then(Value::as_str) {
        Some(name) => destinations
            .iter()
            .find(|d| Some(d.method) == parse_method(state, name))
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "method_unavailable",
                    "Codes cannot be sent this way for this member.",
                )
            })?,
        None => &destinations[0],
    }
    .clone();
    let mut login = held.login.clone();
    let name = method_name(dest.method);
    login.method = Some(name.to_string());
    login.contact_proof = Some(ContactProof {
        method: name.to_string(),
        proven: false,
    });
    save(state, &held.id, &login).await?;
    tracing::info!(event = "contact_proof_started", user = %login.user, method = name);
    send_answer(state, &held.id, &login.user, dest.method, &dest).await
}
