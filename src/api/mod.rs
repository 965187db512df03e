//! The JSON side of the gateway, for the mobile app and other API clients: the JSON login
//! relay ([`login`]), the `401 mfa_required` challenge ([`challenge`]) and the MFA API under
//! `/_mfa/api/` ([`endpoints`]). The same rules, limits and single use as the pages apply,
//! because both call the same functions in [`crate::mfa`].

pub mod challenge;
pub mod endpoints;
pub mod login;
pub mod openapi;
mod outcome;

use serde_json::{json, Value};

use crate::http::response::GatewayResponse;

/// Prefix of the JSON MFA API.
pub const API_PREFIX: &str = "/_mfa/api/";

/// A JSON error with a stable machine-readable code (the app branches on `error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Extra fields, e.g. `attempts_left`, `retry_after`.
    pub extra: Vec<(&'static str, Value)>,
}

impl ApiError {
    /// An error with no extra fields.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    /// Adds a field.
    pub fn with(mut self, key: &'static str, value: Value) -> Self {
        self.extra.push((key, value));
        self
    }

    /// The gateway cannot verify anyone right now (store, roster down): fail closed.
    pub fn unavailable() -> Self {
        ApiError::new(
            503,
            "unavailable",
            "Verification is unavailable right now. Nobody can sign in without it; try again shortly or contact support.",
        )
    }

    /// The JSON response.
    pub fn response(&self) -> GatewayResponse {
        let mut body = json!({ "error": self.code, "message": self.message });
        if let Some(map) = body.as_object_mut() {
            for (k, v) in &self.extra {
                map.insert((*k).to_string(), v.clone());
            }
        }
        let mut resp = GatewayResponse::json(self.status, &body);
        if let Some(retry) = self
            .extra
            .iter()
            .find(|(k, _)| *k == "retry_after")
            .and_then(|(_, v)| v.as_u64())
        {
            resp = resp.with_header("Retry-After", retry.to_string());
        }
        resp
    }
}

impl From<ApiError> for GatewayResponse {
    fn from(e: ApiError) -> Self {
        e.response()
    }
}
