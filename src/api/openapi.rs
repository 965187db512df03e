//! The OpenAPI 3.1 description of the JSON MFA API (`docs/openapi.yaml`), served as JSON at
//! `/_mfa/api/openapi.json` so app developers and test tools read the same document.

use std::sync::OnceLock;

use bytes::Bytes;

use crate::http::response::GatewayResponse;

/// The spec as written in the repository.
pub const SPEC_YAML: &str = include_str!("../../docs/openapi.yaml");

/// The spec as JSON text (converted once).
pub fn spec_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        serde_yaml::from_str::<serde_json::Value>(SPEC_YAML)
            .map(|v| v.to_string())
            .unwrap_or_else(|e| {
                serde_json::json!({ "error": "spec_unavailable", "message": e.to_string() })
                    .to_string()
            })
    })
}

/// `GET /_mfa/api/openapi.json`.
pub fn response() -> GatewayResponse {
    GatewayResponse::asset(
        "application/json",
        Bytes::from_static(spec_json().as_bytes()),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn spec_parses_and_is_openapi_3_1() {
        let v: serde_json::Value = serde_yaml::from_str(super::SPEC_YAML).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        assert!(v["paths"]["/_mfa/api/verify"]["post"].is_object());
    }
}
