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
use crate::pages::{Audience, Lang, Message, Page};
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
    /// The member's language (see [`request_lang`]).
    pub lang: Lang,
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

/// Renders a page with its status, in the member's language.
pub fn page(state: &AppState, audience: &Audience, page: Page) -> GatewayResponse {
    GatewayResponse::html(page.status(), state.pages.render(&page, audience))
        // The page depends on the language cookie and `Accept-Language`.
        .with_header("Vary", "Accept-Language, Cookie".into())
        .with_header("Content-Language", audience.lang.code().into())
}

/// Renders a message page.
pub fn message(state: &AppState, audience: &Audience, msg: Message) -> GatewayResponse {
    page(state, audience, Page::Message(msg))
}

/// The fail-closed page (stores, roster or delivery down).
pub fn fail_closed(state: &AppState, audience: &Audience) -> GatewayResponse {
    message(state, audience, Message::fail_closed())
}

/// The member's language from the request's cookies (the switch link's choice) and its
/// `Accept-Language` header.
pub fn request_lang<'a>(
    state: &AppState,
    cookie_headers: impl Iterator<Item = &'a str>,
    accept_language: Option<&str>,
) -> Lang {
    let chosen = request_cookies(cookie_headers)
        .find(|pair| pair.name == state.cookie_names.lang)
        .map(|pair| pair.value);
    Lang::negotiate(chosen, accept_language)
}

/// Who a page is for: `lang`, and the sign-in page (`site.sign_in_url`, else the page the
/// held login's form was posted from, else `site.login.path`).
pub fn audience(state: &AppState, lang: Lang, login_form_page: Option<&str>) -> Audience {
    let site = &state.config.site;
    let sign_in_url = site
        .sign_in_url
        .as_deref()
        .or(login_form_page)
        .unwrap_or(&site.login.path)
        .to_string();
    Audience { lang, sign_in_url }
}

/// Handles one request under `/_mfa/`.
pub async fn handle(state: &AppState, req: &PortalRequest<'_>) -> GatewayResponse {
    let path = req.path.trim_end_matches('/');
    let audience = audience(state, req.lang, None);
    let audience = &audience;
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
        ("GET" | "HEAD", p) if p == UNAVAILABLE_PATH => fail_closed(state, audience),
        ("GET" | "HEAD", p) if p == UNREADABLE_PATH => {
            message(state, audience, Message::sign_in_unreadable())
        }
        ("GET" | "HEAD", p) if p.starts_with(crate::pages::routes::LANG_PREFIX) => switch_language(
            state,
            audience,
            &p[crate::pages::routes::LANG_PREFIX.len()..],
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
        _ => message(state, audience, Message::not_found()),
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
    /// Who the pages are for: the member's language and sign-in page.
    pub audience: Audience,
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
    let no_login_yet = audience(state, req.lang, None);
    let audience = &no_login_yet;
    let expired = || {
        message(state, audience, Message::session_expired())
            .with_cookie(clear_cookie(state, &state.cookie_names.pending))
    };
    let Some(id) = req.cookie(&state.cookie_names.pending).map(str::to_string) else {
        return expired();
    };
    let login = match pending::load(state.ephemeral.as_ref(), &id).await {
        Ok(Some(login)) => login,
        Ok(None) => return gone(state, req, &id).await,
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            return fail_closed(state, audience);
        }
    };
    let csrf = csrf_token(state, &id);
    if req.method == "POST"
        && !(csrf::token_matches(state, &id, req.field("csrf")) && origin_allowed(req))
    {
        tracing::warn!(event = "csrf_refused", user = %login.user);
        return message(state, audience, Message::csrf_failed());
    }
    let audience = self::audience(state, req.lang, login.sign_in_page.as_deref());
    let held = Held {
        req,
        id,
        login,
        csrf,
        audience,
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
        fail_closed(state, &held.audience)
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

/// The held login behind this pending cookie is gone: cancelled (the tombstone says so, and
/// where to sign in again), else timed out or used. Either way the cookie is done with.
async fn gone(state: &AppState, req: &PortalRequest<'_>, id: &str) -> GatewayResponse {
    let clear = clear_cookie(state, &state.cookie_names.pending);
    match pending::cancelled(state.ephemeral.as_ref(), id).await {
        Ok(Some(cancelled)) => {
            let audience = audience(state, req.lang, cancelled.sign_in_page.as_deref());
            message(state, &audience, Message::sign_in_cancelled()).with_cookie(clear)
        }
        Ok(None) => {
            let audience = audience(state, req.lang, None);
            message(state, &audience, Message::session_expired()).with_cookie(clear)
        }
        Err(e) => {
            tracing::error!(event = "store_error", error = %e);
            fail_closed(state, &audience(state, req.lang, None))
        }
    }
}

/// Cancel: the held login is void for good. The pending cookie is left to run out with it, so
/// that coming back (back button, another tab) finds the tombstone and says "cancelled".
async fn cancel(state: &AppState, held: Held<'_, '_>) -> GatewayResponse {
    let remaining =
        (held.login.created + state.config.mfa.pending_ttl.as_secs() as i64 - state.now()).max(1);
    let cancelled = pending::cancel(
        state.ephemeral.as_ref(),
        &held.id,
        &held.login,
        std::time::Duration::from_secs(remaining as u64),
    );
    if let Err(e) = cancelled.await {
        tracing::error!(event = "store_error", error = %e);
        return fail_closed(state, &held.audience);
    }
    tracing::info!(event = "login_cancelled", user = %held.login.user);
    page(
        state,
        &held.audience,
        Page::Cancelled(crate::pages::Cancelled {
            roster_update_url: state.config.branding.roster_update_url.clone(),
        }),
    )
}

/// `GET /_mfa/lang/{code}`: remembers the language in a cookie (a year; it says nothing about
/// the member) and goes back to the verification step, which shows the page the member was on.
fn switch_language(state: &AppState, audience: &Audience, code: &str) -> GatewayResponse {
    let Some(lang) = Lang::from_code(code).filter(|lang| lang.code() == code) else {
        return message(state, audience, Message::not_found());
    };
    GatewayResponse::see_other(crate::pages::routes::START)
        .with_cookie(crate::mfa::session::language_cookie(state, lang.code()))
}
