//! A local HTTP server answering like an SMS provider, for the text-message sender tests.
//!
//! `POST /2010-04-01/Accounts/{sid}/Messages.json` behaves like Twilio's Messages API (basic
//! auth with the account SID and token, form fields `To`, `From`, `Body`, `201` with a JSON
//! message resource, JSON errors with `code` and `message`). `POST /hooks/sms` behaves like a
//! generic JSON webhook (optional bearer token, `{"to","from","body"}`). Every request is
//! recorded; a canned reply can replace the normal behaviour to simulate provider failures.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use base64::Engine;
use serde_json::{json, Value};

/// Path of the webhook endpoint.
pub const WEBHOOK_PATH: &str = "/hooks/sms";

/// One request as the provider received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

impl Recorded {
    /// The body as form fields.
    pub fn form(&self) -> HashMap<String, String> {
        form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("JSON request body")
    }
}

struct Shared {
    account_sid: String,
    auth_token: String,
    bearer_token: Option<String>,
    requests: Mutex<Vec<Recorded>>,
    canned: Mutex<Option<(u16, &'static str, String)>>,
}

/// A running fake provider; it stops with the test's runtime.
pub struct FakeSmsProvider {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FakeSmsProvider {
    /// Starts the server on a free loopback port. Twilio requests must authenticate as
    /// `account_sid` / `auth_token`; webhook requests must carry `bearer_token` when given.
    pub async fn start(account_sid: &str, auth_token: &str, bearer_token: Option<&str>) -> Self {
        let shared = Arc::new(Shared {
            account_sid: account_sid.to_string(),
            auth_token: auth_token.to_string(),
            bearer_token: bearer_token.map(str::to_string),
            requests: Mutex::new(Vec::new()),
            canned: Mutex::new(None),
        });
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{sid}/Messages.json",
                post(twilio_messages),
            )
            .route(WEBHOOK_PATH, post(webhook))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake provider");
        let addr = listener.local_addr().expect("fake provider address");
        tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("fake provider serves");
        });
        FakeSmsProvider { addr, shared }
    }

    /// `http://127.0.0.1:PORT`, the Twilio base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The full webhook URL.
    pub fn webhook_url(&self) -> String {
        format!("{}{WEBHOOK_PATH}", self.base_url())
    }

    /// From now on every request gets this answer instead of the normal behaviour.
    pub fn reply_with(&self, status: u16, content_type: &'static str, body: impl Into<String>) {
        *self.shared.canned.lock().expect("lock") = Some((status, content_type, body.into()));
    }

    /// From now on requests get the normal behaviour again (after [`Self::reply_with`]).
    pub fn reply_normally(&self) {
        *self.shared.canned.lock().expect("lock") = None;
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().expect("lock").clone()
    }
}

/// Records the request; returns the canned reply if one is set.
fn record(shared: &Shared, path: String, headers: &HeaderMap, body: String) -> Option<Response> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|value: &header::HeaderValue| value.to_str().ok())
            .map(str::to_string)
    };
    shared.requests.lock().expect("lock").push(Recorded {
        path,
        authorization: text(header::AUTHORIZATION),
        content_type: text(header::CONTENT_TYPE),
        body,
    });
    let canned = shared.canned.lock().expect("lock").clone();
    canned.map(|(status, content_type, body)| reply(status, content_type, body))
}

fn reply(status: u16, content_type: &str, body: String) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).expect("valid status"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("valid response")
}

fn twilio_error(status: u16, code: u32, message: &str) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    });
    reply(status, "application/json", body.to_string())
}

async fn twilio_messages(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = format!("/2010-04-01/Accounts/{sid}/Messages.json");
    if let Some(canned) = record(&shared, path, &headers, body.clone()) {
        return canned;
    }
    let credentials = format!("{}:{}", shared.account_sid, shared.auth_token);
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    );
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if sid != shared.account_sid || authorization != Some(expected.as_str()) {
        return twilio_error(401, 20003, "Authenticate");
    }
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let (Some(to), Some(from), Some(text)) = (form.get("To"), form.get("From"), form.get("Body"))
    else {
        return twilio_error(400, 21604, "A 'To', 'From' and 'Body' are required.");
    };
    let resource = json!({
        "sid": "SM0123456789abcdef0123456789abcdef",
        "account_sid": sid,
        "to": to,
        "from": from,
        "body": text,
        "status": "queued",
    });
    reply(201, "application/json", resource.to_string())
}

async fn webhook(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    if let Some(canned) = record(&shared, WEBHOOK_PATH.to_string(), &headers, body.clone()) {
        return canned;
    }
    if let Some(token) = &shared.bearer_token {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        if authorization != Some(format!("Bearer {token}").as_str()) {
            return reply(
                401,
                "application/json",
                json!({ "error": "unauthorized" }).to_string(),
            );
        }
    }
    let fields: Option<Value> = serde_json::from_str(&body).ok();
    let complete = fields.as_ref().is_some_and(|fields| {
        ["to", "from", "body"]
            .iter()
            .all(|key| fields[key].is_string())
    });
    if !complete {
        return reply(
            400,
            "application/json",
            json!({ "error": "to, from and body are required" }).to_string(),
        );
    }
    reply(
        200,
        "application/json",
        json!({ "queued": true }).to_string(),
    )
}
