//! Public face of the demo site: its members, the request log and the [`DemoSite`] handle that
//! starts, inspects and stops the server.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::watch;

use super::state::{SharedState, SiteState};
use super::{api, pages};

/// The name of the legacy site's session cookie.
pub(super) const SESSION_COOKIE: &str = "MLSSESSION";

/// One member account of the demo site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// Login name; matched case-insensitively like many legacy apps do.
    pub username: String,
    /// Plain-text password (demo data only).
    pub password: String,
    /// Name shown on the dashboard ("Welcome, Jane Doe").
    pub display_name: String,
    /// Roster email address (receives email codes in the demo).
    pub email: String,
    /// Roster mobile number in E.164 form (receives text codes in the demo).
    pub mobile: String,
}

impl DemoUser {
    fn new(username: &str, password: &str, display_name: &str, email: &str, mobile: &str) -> Self {
        Self {
            username: username.to_owned(),
            password: password.to_owned(),
            display_name: display_name.to_owned(),
            email: email.to_owned(),
            mobile: mobile.to_owned(),
        }
    }
}

/// Three sample members with example.com emails and US (555) mobile numbers.
pub fn demo_users() -> Vec<DemoUser> {
    vec![
        DemoUser::new(
            "jdoe",
            "listings2024",
            "Jane Doe",
            "jane.doe@example.com",
            "+12035550142",
        ),
        DemoUser::new(
            "asmith",
            "openhouse99",
            "Alan Smith",
            "alan.smith@example.com",
            "+12035550187",
        ),
        DemoUser::new(
            "bkumar",
            "escrow#Close7",
            "Bina Kumar",
            "bina.kumar@example.com",
            "+18605550123",
        ),
    ]
}

/// Roster file content for `users`: a YAML list of `{login_id, name, email, mobile}`.
///
/// Every value is written as a JSON string literal, which YAML accepts as a double-quoted
/// scalar; that keeps odd characters safe without a fallible serializer call.
pub fn demo_roster_yaml(users: &[DemoUser]) -> String {
    let quote = |value: &str| serde_json::Value::from(value).to_string();
    let mut yaml =
        String::from("# Demo roster: login id, name, email and mobile of each member.\n");
    if users.is_empty() {
        yaml.push_str("[]\n");
    }
    for user in users {
        yaml.push_str(&format!(
            "- login_id: {}\n  name: {}\n  email: {}\n  mobile: {}\n",
            quote(&user.username),
            quote(&user.display_name),
            quote(&user.email),
            quote(&user.mobile)
        ));
    }
    yaml
}

/// One request as the demo site received it, recorded before it was handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path including the query string, e.g. `/search?q=elm`.
    pub path: String,
    /// Canonical username of a valid `MLSSESSION` cookie or bearer token; `None` when the
    /// request was anonymous or carried only unknown/expired credentials.
    pub session_user: Option<String>,
    /// All `Cookie` headers joined with `"; "`, if any were sent.
    pub cookie_header: Option<String>,
    /// Every request header (lower-case name, value; non-UTF-8 bytes replaced).
    pub headers: Vec<(String, String)>,
}

/// Handle to a running demo site; cloning it is cheap and every clone controls the same server.
#[derive(Clone)]
pub struct DemoSite {
    state: SharedState,
    addr: SocketAddr,
    shutdown_tx: Arc<watch::Sender<bool>>,
    stopped_rx: watch::Receiver<bool>,
}

impl DemoSite {
    /// Serves the site for `users` on `listener` from a spawned task and returns at once.
    pub async fn start(
        listener: tokio::net::TcpListener,
        users: Vec<DemoUser>,
    ) -> std::io::Result<DemoSite> {
        let addr = listener.local_addr()?;
        let state: SharedState = Arc::new(SiteState::new(users));
        let (shutdown_tx, mut shutdown_rx) = watch::channel(false);
        let (stopped_tx, stopped_rx) = watch::channel(false);
        let app = router(state.clone());
        tokio::spawn(async move {
            // `wait_for` only errs once every sender is gone, i.e. every handle was dropped:
            // nobody can ask to stop any more, so stopping then is the tidy outcome too.
            let signal = async move {
                let _ = shutdown_rx.wait_for(|stop| *stop).await;
            };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::warn!(%error, "demo site stopped with an error");
            }
            stopped_tx.send_replace(true);
        });
        Ok(DemoSite {
            state,
            addr,
            shutdown_tx: Arc::new(shutdown_tx),
            stopped_rx,
        })
    }

    /// The address the site listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far (the most recent 10 000), oldest first.
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.state.seen()
    }

    /// Forgets the recorded requests.
    pub fn clear_seen(&self) {
        self.state.clear_seen();
    }

    /// Mints a session cookie value as if `username` (any case) had logged in directly;
    /// `None` for an unknown user or if the system RNG fails.
    pub fn login_direct_session(&self, username: &str) -> Option<String> {
        let user = self.state.find_user(username)?.username.clone();
        self.state.open_session(&user)
    }

    /// Stops accepting connections and closes idle ones, to simulate the upstream going down.
    /// Returns at once; await [`DemoSite::stopped`] to know the listener is closed.
    pub fn shutdown(&self) {
        self.shutdown_tx.send_replace(true);
    }

    /// Resolves once the server has stopped: listener closed and every connection finished.
    pub async fn stopped(&self) {
        let mut stopped = self.stopped_rx.clone();
        // An error means the serving task is gone, which also means it has stopped.
        let _ = stopped.wait_for(|done| *done).await;
    }
}

/// All routes of the legacy site, wrapped in the recording middleware.
fn router(state: SharedState) -> Router {
    Router::new()
        .route("/", get(pages::dashboard))
        .route("/login", get(pages::login_form).post(pages::login_submit))
        .route("/logout", get(pages::logout).post(pages::logout))
        .route("/listings/{id}", get(pages::listing))
        .route("/search", get(pages::search))
        .route("/account/rotate", get(pages::rotate_session))
        .route("/static/site.css", get(pages::stylesheet))
        .route("/favicon.ico", get(pages::favicon))
        .route("/api/login", post(api::login))
        .route("/api/listings", get(api::listings))
        .route("/api/logout", post(api::logout))
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_and_tag,
        ))
        .with_state(state)
}

/// Records the request (with the user its credentials resolve to) before any handler runs,
/// hands that resolution to the handler, and tags the response as coming from the demo site.
async fn record_and_tag(
    State(state): State<SharedState>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = state.resolve_caller(request.headers());
    let headers = request.headers();
    let cookies: Vec<String> = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .collect();
    let seen = SeenRequest {
        method: request.method().as_str().to_owned(),
        path: request.uri().path_and_query().map_or_else(
            || request.uri().path().to_owned(),
            |pq| pq.as_str().to_owned(),
        ),
        session_user: caller.username.clone(),
        cookie_header: (!cookies.is_empty()).then(|| cookies.join("; ")),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    state.record(seen);
    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert("x-demo-site", HeaderValue::from_static("1"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_yaml_round_trips_through_a_yaml_parser() {
        let mut users = demo_users();
        users.push(DemoUser::new(
            "odd: one",
            "pw",
            "O'Neil \"Q\" #1",
            "o@example.com",
            "+12035550100",
        ));
        let parsed: Vec<std::collections::BTreeMap<String, String>> =
            serde_yaml::from_str(&demo_roster_yaml(&users)).expect("valid yaml");
        assert_eq!(parsed.len(), 4);
        assert_eq!(parsed[0]["login_id"], "jdoe");
        assert_eq!(parsed[0]["name"], "Jane Doe");
        assert_eq!(parsed[0]["email"], "jane.doe@example.com");
        assert_eq!(parsed[0]["mobile"], "+12035550142");
        assert_eq!(parsed[3]["login_id"], "odd: one");
        assert_eq!(parsed[3]["name"], "O'Neil \"Q\" #1");
    }

    #[test]
    fn empty_roster_is_an_empty_list() {
        let parsed: Vec<serde_yaml::Value> =
            serde_yaml::from_str(&demo_roster_yaml(&[])).expect("valid yaml");
        assert!(parsed.is_empty());
    }

    #[test]
    fn demo_users_are_distinct_and_plausible() {
        let users = demo_users();
        assert_eq!(users.len(), 3);
        assert_eq!(users[0].username, "jdoe");
        assert_eq!(users[0].password, "listings2024");
        for user in &users {
            assert!(user.email.ends_with("@example.com"));
            assert!(user.mobile.starts_with("+1") && user.mobile.len() == 12);
        }
    }
}
