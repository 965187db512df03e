//! A local fake RESO Web API server (axum on a real socket) that records exactly what the
//! gateway sent: path, raw query string, `Authorization` header, and token-endpoint forms.
//!
//! It behaves like a strict server: it parses `$filter` itself (`<field> eq '<literal>'` with
//! doubled quotes), applies `$select` and `$top`, and only accepts tokens it issued.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

/// Bearer token the fake accepts without any token-endpoint exchange.
pub const STATIC_TOKEN: &str = "static-token-9f2c";
/// Client credentials the token endpoint accepts.
pub const CLIENT_ID: &str = "gateway-client";
pub const CLIENT_SECRET: &str = "client-secret-77ab";

/// One request to the `Member` resource, as received.
#[derive(Debug, Clone)]
pub struct MemberRequest {
    pub path: String,
    /// The query string exactly as sent (still percent-encoded).
    pub raw_query: String,
    pub authorization: Option<String>,
}

impl MemberRequest {
    /// The decoded value of query option `name` (e.g. `$filter`).
    pub fn option(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.raw_query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

/// How the `Member` resource misbehaves, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Status(u16),
    NotJson,
    /// Answers after this long.
    Slow(Duration),
    /// Every token is refused with 401.
    RejectAllTokens,
}

/// What the fake serves and has seen.
pub struct FakeState {
    /// The field `$filter` compares (the configured login id field).
    pub login_field: String,
    pub members: Mutex<Vec<Value>>,
    pub fault: Mutex<Fault>,
    pub member_requests: Mutex<Vec<MemberRequest>>,
    pub token_forms: Mutex<Vec<HashMap<String, String>>>,
    /// Tokens currently accepted; starts with [`STATIC_TOKEN`].
    pub valid_tokens: Mutex<HashSet<String>>,
    /// `expires_in` of issued tokens.
    pub expires_in: u64,
}

/// A running fake server.
pub struct FakeReso {
    pub state: Arc<FakeState>,
    pub address: SocketAddr,
}

impl FakeReso {
    /// Starts a fake serving `members`, filtering on `login_field`.
    pub async fn start(login_field: &str, members: Vec<Value>, expires_in: u64) -> Self {
        let state = Arc::new(FakeState {
            login_field: login_field.to_string(),
            members: Mutex::new(members),
            fault: Mutex::new(Fault::None),
            member_requests: Mutex::new(Vec::new()),
            token_forms: Mutex::new(Vec::new()),
            valid_tokens: Mutex::new(HashSet::from([STATIC_TOKEN.to_string()])),
            expires_in,
        });
        let router = Router::new()
            .route("/odata/Member", get(member))
            .route("/oauth/token", post(token))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake RESO");
        let address = listener.local_addr().expect("local address");
        tokio::spawn(async move {
            axum::serve(listener, router)
                .await
                .expect("fake RESO serves");
        });
        Self { state, address }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/odata", self.address)
    }

    pub fn token_url(&self) -> String {
        format!("http://{}/oauth/token", self.address)
    }

    pub fn set_fault(&self, fault: Fault) {
        *self.state.fault.lock().expect("lock") = fault;
    }

    pub fn set_members(&self, members: Vec<Value>) {
        *self.state.members.lock().expect("lock") = members;
    }

    /// Makes every token issued so far invalid, like a provider rotating keys.
    pub fn revoke_issued_tokens(&self) {
        self.state
            .valid_tokens
            .lock()
            .expect("lock")
            .retain(|token| token == STATIC_TOKEN);
    }

    pub fn member_requests(&self) -> Vec<MemberRequest> {
        self.state.member_requests.lock().expect("lock").clone()
    }

    pub fn token_forms(&self) -> Vec<HashMap<String, String>> {
        self.state.token_forms.lock().expect("lock").clone()
    }
}

async fn member(
    State(state): State<Arc<FakeState>>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let request = MemberRequest {
        path: "/odata/Member".into(),
        raw_query: raw_query.unwrap_or_default(),
        authorization,
    };
    state
        .member_requests
        .lock()
        .expect("lock")
        .push(request.clone());
    let fault = *state.fault.lock().expect("lock");
    match fault {
        Fault::Status(code) => return StatusCode::from_u16(code).expect("status").into_response(),
        Fault::NotJson => return "<html>maintenance</html>".into_response(),
        Fault::Slow(delay) => tokio::time::sleep(delay).await,
        Fault::None | Fault::RejectAllTokens => {}
    }
    let token = request
        .authorization
        .as_deref()
        .and_then(|value| value.strip_prefix("Bearer "));
    let accepted =
        token.is_some_and(|token| state.valid_tokens.lock().expect("lock").contains(token));
    if !accepted || fault == Fault::RejectAllTokens {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Some(wanted) = request
        .option("$filter")
        .and_then(|filter| filter_literal(&state.login_field, &filter))
    else {
        return (StatusCode::BAD_REQUEST, "unsupported $filter").into_response();
    };
    let selected: Vec<String> = request
        .option("$select")
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    let top: usize = request
        .option("$top")
        .and_then(|top| top.parse().ok())
        .unwrap_or(usize::MAX);
    let rows: Vec<Value> = state
        .members
        .lock()
        .expect("lock")
        .iter()
        .filter(|member| {
            member.get(&state.login_field).and_then(Value::as_str) == Some(wanted.as_str())
        })
        .take(top)
        .map(|member| {
            let fields: Map<String, Value> = selected
                .iter()
                .filter_map(|field| Some((field.clone(), member.get(field)?.clone())))
                .collect();
            Value::Object(fields)
        })
        .collect();
    Json(json!({ "@odata.context": "$metadata#Member", "value": rows })).into_response()
}

/// The literal of `<field> eq '<literal>'`, with OData's doubled quotes undone.
fn filter_literal(field: &str, filter: &str) -> Option<String> {
    let quoted = filter
        .strip_prefix(field)?
        .strip_prefix(" eq '")?
        .strip_suffix('\'')?;
    // A lone quote inside the literal would have ended it: the client failed to escape.
    if quoted.replace("''", "").contains('\'') {
        return None;
    }
    Some(quoted.replace("''", "'"))
}

async fn token(
    State(state): State<Arc<FakeState>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    state.token_forms.lock().expect("lock").push(form.clone());
    let credentials_ok = form.get("grant_type").map(String::as_str) == Some("client_credentials")
        && form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
    if !credentials_ok {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "bad secret"})),
        )
            .into_response();
    }
    let issued = format!(
        "issued-token-{}",
        state.token_forms.lock().expect("lock").len()
    );
    state
        .valid_tokens
        .lock()
        .expect("lock")
        .insert(issued.clone());
    Json(json!({"access_token": issued, "token_type": "Bearer", "expires_in": state.expires_in}))
        .into_response()
}
