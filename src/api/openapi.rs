//! The OpenAPI 3.1 description of the JSON MFA API (`docs/openapi.yaml`), served as JSON at
//! `/_mfa/api/openapi.json` so app developers and test tools read the same document.
//!
//! The document in the repository describes the demo deployment. The served one is this
//! deployment's: the JSON login sits at `site.api_login.path` with the username property of
//! `site.api_login.username_pointer` (or is left out when there is no JSON login), `method`
//! values are the enabled `mfa.methods` (an endpoint no enabled method can use is left out), and
//! `remember_secs` is one of `mfa.trust_periods` — so a contract tester pointed at a real
//! gateway tests what that gateway does.

use std::sync::OnceLock;

use bytes::Bytes;
use serde_json::{json, Value};

use crate::config::{Config, Method, SiteConfig};
use crate::http::response::GatewayResponse;

/// The spec as written in the repository.
pub const SPEC_YAML: &str = include_str!("../../docs/openapi.yaml");

/// The JSON login's path and username property in the repository's document.
const DOC_LOGIN_PATH: &str = "/api/login";
const DOC_USERNAME: &str = "username";

/// The spec for this deployment as JSON text (built once: the configuration does not change
/// while the gateway runs).
pub fn spec_json(config: &Config) -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| match serde_yaml::from_str::<Value>(SPEC_YAML) {
        Ok(mut spec) => {
            for_deployment(&mut spec, &config.site);
            enabled_methods_only(&mut spec, &config.mfa.methods);
            links_to_served_operations_only(&mut spec);
            trust_periods_only(&mut spec, &config.mfa.trust_periods);
            spec.to_string()
        }
        Err(e) => json!({ "error": "spec_unavailable", "message": e.to_string() }).to_string(),
    })
}

/// Moves the JSON login to the configured path and names its username property.
fn for_deployment(spec: &mut Value, site: &SiteConfig) {
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let Some(login) = paths.remove(DOC_LOGIN_PATH) else {
        return;
    };
    let Some(api_login) = &site.api_login else {
        return;
    };
    paths.insert(api_login.path.clone(), login);
    // A top-level pointer (`/user`) names the property; a nested one is described in words.
    let property = api_login
        .username_pointer
        .strip_prefix('/')
        .filter(|rest| !rest.is_empty() && !rest.contains('/'))
        .map(|name| name.replace("~1", "/").replace("~0", "~"));
    let Some(body) = spec.pointer_mut("/components/schemas/LoginBody") else {
        return;
    };
    match property {
        Some(name) if name == DOC_USERNAME => {}
        Some(name) => {
            *body = json!({
                "type": "object",
                "required": [name],
                "properties": { name: { "type": "string", "minLength": 1 } },
            });
        }
        None => {
            *body = json!({
                "type": "object",
                "description": format!("The legacy service's login body; the username is at {}.", api_login.username_pointer),
            });
        }
    }
}

/// Narrows every request `method` enum to the enabled methods, and leaves out the operations
/// whose `method` no enabled method satisfies (`send` in an app-only deployment).
fn enabled_methods_only(spec: &mut Value, enabled: &[Method]) {
    let names: Vec<&str> = enabled
        .iter()
        .map(|m| crate::mfa::contact::method_name(*m))
        .collect();
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    paths.retain(|_, item| {
        let Some(operations) = item.as_object_mut() else {
            return true;
        };
        operations.retain(|_, operation| {
            let Some(method) = operation
                .pointer_mut("/requestBody/content/application~1json/schema/properties/method")
            else {
                return true;
            };
            narrow_enum(method, &names)
        });
        !operations.is_empty()
    });
}

/// Drops the response links to operations [`enabled_methods_only`] left out, so the document
/// stays valid (every link names an operation it has).
fn links_to_served_operations_only(spec: &mut Value) {
    let served: Vec<String> = spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|operations| operations.values())
        .filter_map(|operation| operation["operationId"].as_str().map(str::to_string))
        .collect();
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operation in paths.values_mut().filter_map(Value::as_object_mut) {
        for responses in operation
            .values_mut()
            .filter_map(|op| op.get_mut("responses"))
            .filter_map(Value::as_object_mut)
        {
            for links in responses
                .values_mut()
                .filter_map(|r| r.get_mut("links"))
                .filter_map(Value::as_object_mut)
            {
                links.retain(|_, link| {
                    link["operationId"]
                        .as_str()
                        .is_some_and(|id| served.iter().any(|s| s == id))
                });
            }
        }
    }
}

/// Keeps the enabled names in a `method` schema (`enum`, or `oneOf` branches of it); `false`
/// when none is left.
fn narrow_enum(schema: &mut Value, names: &[&str]) -> bool {
    if let Some(values) = schema.get_mut("enum").and_then(Value::as_array_mut) {
        values.retain(|v| v.as_str().is_some_and(|name| names.contains(&name)));
        return !values.is_empty();
    }
    true
}

/// `remember_secs` (set-up's trust period) is one of the configured periods.
fn trust_periods_only(spec: &mut Value, periods: &[std::time::Duration]) {
    let allowed: Vec<Value> = periods.iter().map(|p| json!(p.as_secs())).collect();
    if let Some(schema) = spec.pointer_mut(
        "/paths/~1_mfa~1api~1enroll~1confirm/post/requestBody/content/application~1json/schema/properties/remember_secs",
    ) {
        if let Some(map) = schema.as_object_mut() {
            map.insert("enum".into(), Value::Array(allowed));
        }
    }
}

/// `GET /_mfa/api/openapi.json`.
pub fn response(config: &Config) -> GatewayResponse {
    GatewayResponse::asset(
        "application/json",
        Bytes::from_static(spec_json(config).as_bytes()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_spec() -> Value {
        serde_yaml::from_str(SPEC_YAML).unwrap()
    }

    #[test]
    fn an_app_only_deployment_serves_no_send_endpoint_and_no_link_to_it() {
        let mut spec = demo_spec();
        enabled_methods_only(&mut spec, &[Method::App]);
        links_to_served_operations_only(&mut spec);
        assert!(spec["paths"]["/_mfa/api/send"].is_null());
        assert!(spec["paths"]["/_mfa/api/enroll/contact"].is_null());
        let links = &spec["paths"][DOC_LOGIN_PATH]["post"]["responses"]["401"]["links"];
        assert!(links["SendCode"].is_null() && links["ProveContact"].is_null());
        assert!(links["StartEnrollment"].is_object());
        let enroll_methods = spec.pointer(
            "/paths/~1_mfa~1api~1enroll/post/requestBody/content/application~1json/schema/properties/method/enum",
        );
        assert_eq!(enroll_methods, Some(&json!(["app"])));
    }

    #[test]
    fn remember_secs_is_one_of_the_configured_periods() {
        let mut spec = demo_spec();
        let day = std::time::Duration::from_secs(86_400);
        trust_periods_only(&mut spec, &[day, day * 30]);
        let allowed = spec.pointer(
            "/paths/~1_mfa~1api~1enroll~1confirm/post/requestBody/content/application~1json/schema/properties/remember_secs/enum",
        );
        assert_eq!(allowed, Some(&json!([86_400, 2_592_000])));
    }

    #[test]
    fn spec_parses_and_is_openapi_3_1() {
        let v: Value = serde_yaml::from_str(SPEC_YAML).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        assert!(v["paths"]["/_mfa/api/verify"]["post"].is_object());
        assert!(v["paths"][DOC_LOGIN_PATH]["post"].is_object());
    }
}
