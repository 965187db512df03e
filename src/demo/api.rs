//! The small JSON API the legacy "mobile app" uses: login (cookie + bearer token), listings,
//! logout. Errors are JSON too, because the app never renders HTML.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

use super::listings::LISTINGS;
use super::pages::{expired_session_cookie, session_cookie};
use super::state::{Caller, SharedState};

/// Body of `POST /api/login`.
#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

/// `POST /api/login`: `{"username","password"}` → a session cookie plus a bearer token.
pub(super) async fn login(State(state): State<SharedState>, body: Bytes) -> Response {
    // Parsed by hand rather than with the `Json` extractor so malformed input gets this API's
    // own error shape instead of axum's plain-text rejection.
    let Ok(request) = serde_json::from_slice::<LoginRequest>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"ok": false, "error": "bad_request"})),
        )
            .into_response();
    };
    let Some(user) = state.authenticate(&request.username, &request.password) else {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"ok": false, "error": "invalid_credentials"})),
        )
            .into_response();
    };
    let Some((session_id, token)) = state.open_api_session(&user.username) else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"ok": false, "error": "server_error"})),
        )
            .into_response();
    };
    let body = json!({
        "ok": true,
        "token": token,
        "user": {"username": user.username, "name": user.display_name, "email": user.email},
    });
    (
        [(header::SET_COOKIE, session_cookie(&session_id))],
        Json(body),
    )
        .into_response()
}

/// `GET /api/listings`: every listing, for a caller with a live session cookie or token.
pub(super) async fn listings(Extension(caller): Extension<Caller>) -> Response {
    if caller.username.is_none() {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "not_authenticated"})),
        )
            .into_response();
    }
    let all: Vec<_> = LISTINGS.iter().map(|listing| listing.to_json()).collect();
    Json(serde_json::Value::Array(all)).into_response()
}

/// `POST /api/logout`: ends the caller's session and token (a no-op for anonymous callers).
pub(super) async fn logout(
    State(state): State<SharedState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    state.end_session(&caller);
    (
        [(header::SET_COOKIE, expired_session_cookie())],
        Json(json!({"ok": true})),
    )
        .into_response()
}
