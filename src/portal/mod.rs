//! The member-facing pages under `/_mfa/`: one router over a plain request description, so the
//! whole HTML flow runs without a pingora session (the proxy only reads the body and writes the
//! [`GatewayResponse`]).

mod challenge;
mod csrf;
mod enroll;
mod enroll_app;
mod enroll_contact;
mod enroll_proof;

use bytes::Bytes;

use crate::http::cookies::request_cookies;
use crate::http::response::GatewayResponse;
use crate::mfa::login::{UNAVAILABLE_PATH, UNREADABLE_PATH};
use crate::mfa::pending::{self, PendingLogin};
use crate::mfa::session::{clear_cookie, SessionCookies};
use crate::pages::{routes, Message, Page};
use crate::state::AppState;

pub use csrf::{csrf_token, origin_allowed};

/// Largest form body the pages accept.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// A request to a gateway page, as plain data.
#[derive(Debug, Clone, Default)]
pub struct PortalRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub cookie_headers: Vec<&'a str>,
    pub host: Option<&'a str>,
    pub origin: Option<&'a str>,
    /// `Sec-Fetch-Site` sent by modern browsers.
    pub fetch_site: Option<&'a str>,
    /// Decoded form fields of a POST.
    pub form: Vec<(String, String)>,
}

impl PortalRequest<'_> {
    /// The first value of a form field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        request_cookies(self.cookie_headers.iter().copied())
            .find(|p| p.name == name)
            .map(|p| p.value)
    }

    fn query_flag(&self, name: &str) -> bool {
        self.query
            .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == name))
    }
}

/// Parses an urlencoded body; `None` if it is not valid UTF-8.
pub fn parse_form(body: &[u8]) -> Option<Vec<(String, String)>> {
    std::str::from_utf8(body).ok()?;
    Some(
        form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

/// Renders a page with its status.
pub fn page(state: &AppState, page: Page) -> GatewayResponse {
    GatewayResponse::html(page.status(), state.pages.render(&page))
}

/// Renders a message page.
pub fn message(state: &AppState, msg: Message) -> GatewayResponse {
    page(state, Page::Message(msg))
}

/// The fail-closed page (stores, roster or delivery down).
pub fn fail_closed(state: &AppState) -> GatewayResponse {
    message(state, Message::fail_closed())
}

/// Handles one request under `/_mfa/`.
pub async fn handle(state: &AppState, req: &PortalRequest<'_>) -> GatewayResponse {
    let path = req.path.trim_end_matches('/');
    if let Some((url, content_type, bytes)) = &state.logo {
        if matches!(req.method, "GET" | "HEAD") && path == url {
            return GatewayResponse::asset(content_type, bytes.clone());
        }
    }
    match (req.method, path) {
        ("GET" | "HEAD", "/_mfa/static/gateway.css") => GatewayResponse::asset(
            "text/css; charset=utf-8",
            Bytes::from(state.pages.gateway_css().to_string()),
        ),
        ("GET" | "HEAD", "/_mfa/static/brand.css") => GatewayResponse::asset(
            "text/css; charset=utf-8",
            Bytes::from(state.pages.brand_css().to_string()),
        ),
        ("GET" | "HEAD", p) if p == UNAVAILABLE_PATH => fail_closed(state),
        ("GET" | "HEAD", p) if p == UNREADABLE_PATH => message(
            state,
            Message::new(
                400,
                "We couldn't complete your sign-in",
                "Please go back to the sign-in page and try again.",
            )
            .with_retry(routes::SITE_HOME, "Sign in again"),
        ),
        ("GET" | "HEAD", "/_mfa") => with_pending(state, req, Flow::Start).await,
        ("GET" | "HEAD", "/_mfa/enroll") if req.query_flag("choose") => {
            with_pending(state, req, Flow::Choose).await
        }
        ("GET" | "HEAD", "/_mfa/enroll" | "/_mfa/enroll/app") => {
            with_pending(state, req, Flow::Start).await
        }
        ("POST", "/_mfa/enroll") => with_pending(state, req, Flow::ChooseMethod).await,
        ("POST", "/_mfa/enroll/app") => with_pending(state, req, Flow::ConfirmApp).await,
        ("POST", "/_mfa/enroll/contact") => with_pending(state, req, Flow::ConfirmContact).await,
        ("POST", "/_mfa/verify") => with_pending(state, req, Flow::Verify).await,
        ("POST", "/_mfa/resend") => with_pending(state, req, Flow::Resend).await,
        ("POST", "/_mfa/cancel") => with_pending(state, req, Flow::Cancel).await,
        ("POST", "/_mfa/method") => with_pending(state, req, Flow::SwitchMethod).await,
        _ => message(state, Message::not_found()),
    }
}

/// Steps of the flow that need a held login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Start,
    Choose,
    ChooseMethod,
    ConfirmApp,
    ConfirmContact,
    Verify,
    Resend,
    Cancel,
    SwitchMethod,
}

/// Everything a flow step needs about the held login behind this request.
pub(crate) struct Held<'r, 'a> {
    pub req: &'r PortalRequest<'a>,
    pub id: String,
    pub login: PendingLogin,
    pub csrf: String,
}

impl Held<'_, '_> {
    /// Session cookies the browser holds now (to bind after release).
    pub fn browser_cookies(&self, state: &AppState) -> SessionCookies {
        SessionCookies::from_headers(
            self.req.cookie_headers.iter().copied(),
            &state.config.site.session_cookies,
        )
    }
}

async fn with_pending(state: &AppState, req: &PortalRequest<'_>, flow: Flow) -> GatewayResponse {
    let expired = || {
        message(state, Message::session_expired())
            .with_cookie(clear_cookie(state, &state.cookie_names.pending))
    };
    let Some(id) = req.cookie(&state.cookie_names.pending).map(str::to_string) else {
        return expired();
    };
    let login = match pending::load(state.ephemeral.as_ref(), &id).await {
        Ok(Some(login)) => login,
        Ok(None) => return expired(),
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            return fail_closed(state);
        }
    };
    let csrf = csrf_token(state, &id);
    if req.method == "POST"
        && !(csrf::token_matches(state, &id, req.field("csrf")) && origin_allowed(req))
    {
        tracing::warn!(event = "csrf_refused", user = %login.user);
        return message(state, Message::csrf_failed());
    }
    let held = Held {
        req,
        id,
        login,
        csrf,
    };
    let enrolling = held.login.must_enroll;
    match flow {
        Flow::Cancel => cancel(state, held).await,
        _ if enrolling => enroll::route(state, held, flow).await,
        Flow::Verify => challenge::verify(state, held).await,
        Flow::Resend => challenge::resend(state, held).await,
        Flow::SwitchMethod => challenge::switch(state, held).await,
        // Set-up pages mean nothing to an enrolled member: show the challenge.
        Flow::Start
        | Flow::Choose
        | Flow::ChooseMethod
        | Flow::ConfirmApp
        | Flow::ConfirmContact => {
            challenge::show(state, &held, challenge::Feedback::default()).await
        }
    }
}

/// Saves a changed held login for the rest of its lifetime.
pub(crate) async fn save_pending(
    state: &AppState,
    held: &Held<'_, '_>,
) -> Result<(), GatewayResponse> {
    let remaining =
        (held.login.created + state.config.mfa.pending_ttl.as_secs() as i64 - state.now()).max(1);
    pending::save(
        state.ephemeral.as_ref(),
        &held.id,
        &held.login,
        std::time::Duration::from_secs(remaining as u64),
    )
    .await
    .map_err(|e| {
        tracing::error!(event = "store_error", error = %e);
        fail_closed(state)
    })
}

/// The sender address and number members should not block (FAQ), when configured.
pub(crate) fn help_senders(state: &AppState) -> (Option<String>, Option<String>) {
    let email = state
        .config
        .email
        .as_ref()
        .map(|e| crate::mfa::contact::bare_address(&e.from));
    let phone = state
        .config
        .sms
        .as_ref()
        .map(|s| crate::mfa::contact::display_phone(&s.from));
    (email, phone)
}

async fn cancel(state: &AppState, held: Held<'_, '_>) -> GatewayResponse {
    if let Err(e) = pending::void(state.ephemeral.as_ref(), &held.id).await {
        tracing::error!(event = "store_error", error = %e);
        return fail_closed(state);
    }
    tracing::info!(event = "login_cancelled", user = %held.login.user);
    page(
        state,
        Page::Cancelled(crate::pages::Cancelled {
            roster_update_url: state.config.branding.roster_update_url.clone(),
        }),
    )
    .with_cookie(clear_cookie(state, &state.cookie_names.pending))
}
