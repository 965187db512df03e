//! The admin HTTP API (axum), served only on the admin listener (`admin.address`, loopback by
//! default), never on the public one.
//!
//! * `GET /healthz`: liveness, no token.
//! * `GET /readyz`: both stores answer a ping within two seconds → 200, else 503; no token.
//! * `GET /metrics`: Prometheus text; needs the token when one is configured.
//! * `GET /v1/users/{login}`, `POST /v1/users/{login}/{reset|forget-devices|unlock}` with a
//!   JSON body `{"reason": "...", "by": "..."}`: the support actions of [`super::users`].
//!   These always need the token: without `admin.token` they are refused (403), because on a
//!   shared host anything able to reach loopback could otherwise reset a member's MFA.
//!
//! Every answer is JSON (except `/metrics`) and carries an `x-request-id`, which the audit log
//! records on the action's line.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tracing::Instrument as _;

use super::auth::{RandomFailure, TokenCheck};
use super::metrics;
use super::users::{self, Actor, Channel, SupportAction, SupportError};
use crate::state::AppState;

/// Largest request body read (the only bodies are two short notes).
const MAX_BODY_BYTES: usize = 16 * 1024;
/// How long `/readyz` waits for each store.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// What the handlers share.
struct Admin {
    state: Arc<AppState>,
    token: Option<TokenCheck>,
}

/// The admin API's routes over the gateway's shared state.
pub fn router(state: Arc<AppState>) -> Result<Router, RandomFailure> {
    let token = match state.config.admin.as_ref().and_then(|a| a.token.as_deref()) {
        Some(token) => Some(TokenCheck::new(token)?),
        None => None,
    };
    let admin = Arc::new(Admin { state, token });
    Ok(Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/v1/users/{login}", get(show_member))
        .route("/v1/users/{login}/{action}", post(member_action))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(admin))
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn unauthorized() -> Response {
    let mut response = error(
        StatusCode::UNAUTHORIZED,
        "missing or wrong bearer token (Authorization: Bearer <admin.token>)",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"mfa-gateway admin\""),
    );
    response
}

impl Admin {
    /// The refusal, if the request may not read metrics: the token must match when one is
    /// configured (the config allows none only on a loopback address).
    fn refuse_metrics(&self, headers: &HeaderMap) -> Option<Response> {
        match &self.token {
            Some(check) if !check.authorizes(headers) => Some(unauthorized()),
            _ => None,
        }
    }

    /// The refusal, if the request may not act on members: the token must be configured and
    /// match.
    fn refuse_action(&self, headers: &HeaderMap) -> Option<Response> {
        match &self.token {
            None => Some(error(
                StatusCode::FORBIDDEN,
                "support actions over HTTP need admin.token in the gateway config",
            )),
            Some(check) if !check.authorizes(headers) => Some(unauthorized()),
            Some(_) => None,
        }
    }

    fn login(&self, raw: &str) -> Result<String, SupportError> {
        let case_insensitive = self.state.config.site.login.username_case_insensitive;
        users::normalize_login(case_insensitive, raw)
    }
}

fn support_error(e: SupportError) -> Response {
    match e {
        SupportError::Invalid { .. } => error(StatusCode::BAD_REQUEST, &e.to_string()),
        // The detail is in the log (and the audit line); the client learns only the kind.
        SupportError::Store(_) => error(StatusCode::SERVICE_UNAVAILABLE, "store unavailable"),
    }
}

/// A random id tying an API answer to its audit line.
fn new_request_id() -> String {
    let mut bytes = [0u8; 8];
    // If the system RNG fails the id is all zeros: it only correlates lines, it guards nothing.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn with_request_id(mut response: Response, id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

async fn readyz(State(admin): State<Arc<Admin>>) -> Response {
    let state = &admin.state;
    let (durable, ephemeral) = tokio::join!(
        tokio::time::timeout(READY_TIMEOUT, state.durable.ping()),
        tokio::time::timeout(READY_TIMEOUT, state.ephemeral.ping()),
    );
    let verdict = |r: &Result<crate::store::StoreResult<()>, _>| match r {
        Ok(Ok(())) => "ok",
        Ok(Err(_)) => "unavailable",
        Err(_) => "timeout",
    };
    let (durable, ephemeral) = (verdict(&durable), verdict(&ephemeral));
    let ready = durable == "ok" && ephemeral == "ok";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "durable": durable,
        "ephemeral": ephemeral,
    });
    (status, Json(body)).into_response()
}

async fn metrics_text(State(admin): State<Arc<Admin>>, headers: HeaderMap) -> Response {
    if let Some(refused) = admin.refuse_metrics(&headers) {
        return refused;
    }
    match metrics::render() {
        Ok(text) => ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot render metrics");
            error(StatusCode::INTERNAL_SERVER_ERROR, "cannot render metrics")
        }
    }
}

async fn show_member(
    State(admin): State<Arc<Admin>>,
    Path(raw_login): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = admin.refuse_action(&headers) {
        return refused;
    }
    let login = match admin.login(&raw_login) {
        Ok(login) => login,
        Err(e) => return support_error(e),
    };
    match users::show(admin.state.durable.as_ref(), &login, admin.state.now()).await {
        Ok(status) => Json(status).into_response(),
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            support_error(e)
        }
    }
}

/// Body of a member action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    reason: Option<String>,
    by: Option<String>,
}

async fn member_action(
    State(admin): State<Arc<Admin>>,
    Path((raw_login, action_name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = admin.refuse_action(&headers) {
        return refused;
    }
    let Some(action) = SupportAction::parse(&action_name) else {
        return not_found().await;
    };
    let login = match admin.login(&raw_login) {
        Ok(login) => login,
        Err(e) => return support_error(e),
    };
    let body: ActionBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            let message =
                format!("the body must be JSON {{\"reason\": \"...\", \"by\": \"...\"}}: {e}");
            return error(StatusCode::BAD_REQUEST, &message);
        }
    };
    let actor = match Actor::new(
        body.by.as_deref().unwrap_or_default(),
        body.reason.as_deref().unwrap_or_default(),
    ) {
        Ok(actor) => actor,
        Err(e) => return support_error(e),
    };
    let request_id = new_request_id();
    let span = tracing::info_span!("admin_request", request_id = %request_id);
    let store = admin.state.durable.as_ref();
    let outcome = users::apply(store, action, &login, &actor, Channel::Api)
        .instrument(span)
        .await;
    // A reset or "forget devices" ends this instance's live sessions of the member at once,
    // other instances' when they hear of it over Redis (else within `mfa.revocation_check`).
    admin.state.epochs.forget(&login).await;
    if outcome.as_ref().is_ok_and(|done| done.epoch.is_some()) {
        announce_revocation(&admin.state.config.storage, &login).await;
    }
    let response = match outcome {
        Ok(outcome) => Json(outcome).into_response(),
        Err(e) => support_error(e),
    };
    with_request_id(response, &request_id)
}

/// Tells the other instances (over Redis, when configured) that `login`'s epoch changed. A
/// failure is only logged: their caches still expire within `mfa.revocation_check`.
async fn announce_revocation(storage: &crate::config::StorageConfig, login: &str) {
    if let Err(error) = crate::mfa::revocation::broadcast::announce(storage, login).await {
        tracing::warn!(
            event = "revocation_announce_failed",
            user = %login,
            error = %error,
            "other instances end the member's sessions within mfa.revocation_check"
        );
    }
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such admin endpoint")
}
