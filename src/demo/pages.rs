//! HTML handlers of the demo site: login/logout, dashboard, listings, search, session rotation.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderName, StatusCode};
use axum::response::{AppendHeaders, Html, IntoResponse, Response};
use axum::Extension;

use super::html;
use super::listings;
use super::site::SESSION_COOKIE;
use super::state::{Caller, SharedState};

/// How many listings the dashboard shows.
const DASHBOARD_LISTINGS: usize = 3;

/// `Set-Cookie` value for a fresh session.
pub(super) fn session_cookie(session_id: &str) -> String {
    format!("{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax")
}

/// `Set-Cookie` value that makes the browser drop the session cookie.
pub(super) fn expired_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
}

/// A `302 Found` to `location` (the status legacy apps typically use), with extra cookies.
fn found(location: &str, cookies: Vec<String>) -> Response {
    let set_cookies: Vec<(HeaderName, String)> = cookies
        .into_iter()
        .map(|cookie| (header::SET_COOKIE, cookie))
        .collect();
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_owned())],
        AppendHeaders(set_cookies),
    )
        .into_response()
}

/// Where anonymous visitors of member-only pages are sent.
fn to_login() -> Response {
    found("/login", Vec::new())
}

/// A `500` page for the (practically impossible) case of the system RNG failing.
fn rng_failure() -> Response {
    let body = html::page(
        "Error",
        None,
        "<h2>System error</h2><p>Please try again later.</p>",
    );
    (StatusCode::INTERNAL_SERVER_ERROR, Html(body)).into_response()
}

/// `next` if it is a same-site path: starts with one `/`, no backslashes, spaces or control
/// characters (so it can't turn into `//host` or break the `Location` header).
fn local_path(next: &str) -> Option<&str> {
    let safe_chars = next
        .chars()
        .all(|character| character.is_ascii_graphic() && character != '\\');
    (next.starts_with('/') && !next.starts_with("//") && safe_chars).then_some(next)
}

/// The first value of `name` in a URL-encoded query or form body.
fn form_value(encoded: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(encoded)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Display name of the caller's member, if the caller is logged in.
fn signed_in_name(state: &SharedState, caller: &Caller) -> Option<String> {
    let username = caller.username.as_deref()?;
    state
        .find_user(username)
        .map(|user| user.display_name.clone())
}

/// `GET /`: the member's dashboard, or off to the login page.
pub(super) async fn dashboard(
    State(state): State<SharedState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let Some(name) = signed_in_name(&state, &caller) else {
        return to_login();
    };
    let recent: Vec<_> = listings::LISTINGS.iter().take(DASHBOARD_LISTINGS).collect();
    Html(html::page(
        "My Listings",
        Some(&name),
        &html::dashboard_body(&name, &recent),
    ))
    .into_response()
}

/// `GET /login`: the login form (`?error=1` after a failed attempt, `?next=` carried along).
pub(super) async fn login_form(RawQuery(query): RawQuery) -> Html<String> {
    let query = query.unwrap_or_default();
    let failed = form_value(query.as_bytes(), "error").is_some();
    let next = form_value(query.as_bytes(), "next");
    let next = next.as_deref().and_then(local_path);
    Html(html::page(
        "Member Login",
        None,
        &html::login_body(failed, next),
    ))
}

/// `POST /login`: checks the password; on success opens a session and redirects.
pub(super) async fn login_submit(State(state): State<SharedState>, body: Bytes) -> Response {
    let username = form_value(&body, "username").unwrap_or_default();
    let password = form_value(&body, "password").unwrap_or_default();
    let Some(user) = state.authenticate(&username, &password) else {
        return found("/login?error=1", Vec::new());
    };
    let Some(session_id) = state.open_session(&user.username) else {
        return rng_failure();
    };
    let next = form_value(&body, "next");
    let target = next.as_deref().and_then(local_path).unwrap_or("/");
    // The preference cookie is harmless on its own; it exists so the gateway has to hold and
    // release *every* Set-Cookie of a login response, not just the session one.
    found(
        target,
        vec![
            session_cookie(&session_id),
            "mls_pref=list; Path=/".to_owned(),
        ],
    )
}

/// `GET|POST /logout`: ends the session (if any) and expires the cookie.
pub(super) async fn logout(
    State(state): State<SharedState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    state.end_session(&caller);
    found("/login", vec![expired_session_cookie()])
}

/// `GET /account/rotate`: swaps the session for a new id, as some apps do after privilege
/// changes; the old cookie value stops working at once.
pub(super) async fn rotate_session(
    State(state): State<SharedState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let Some(old_id) = caller.session_id.as_deref() else {
        return to_login();
    };
    match state.rotate_session(old_id) {
        Some(new_id) => found("/", vec![session_cookie(&new_id)]),
        // The session ended between the middleware's lookup and now: treat as anonymous.
        None => to_login(),
    }
}

/// `GET /listings/{id}`: one listing's detail sheet.
pub(super) async fn listing(
    State(state): State<SharedState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let Some(name) = signed_in_name(&state, &caller) else {
        return to_login();
    };
    match id.parse().ok().and_then(listings::find) {
        Some(listing) => Html(html::page(
            listing.street,
            Some(&name),
            &html::listing_body(listing),
        ))
        .into_response(),
        None => not_found().await,
    }
}

/// `GET /search?q=…`: the search form and its results.
pub(super) async fn search(
    State(state): State<SharedState>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(name) = signed_in_name(&state, &caller) else {
        return to_login();
    };
    let query = query.and_then(|raw| form_value(raw.as_bytes(), "q"));
    let results = query.as_deref().map(listings::search).unwrap_or_default();
    Html(html::page(
        "Property Search",
        Some(&name),
        &html::search_body(query.as_deref(), &results),
    ))
    .into_response()
}

/// `GET /static/site.css`: public stylesheet.
pub(super) async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        html::STYLESHEET,
    )
        .into_response()
}

/// `GET /favicon.ico`: the legacy site has none.
pub(super) async fn favicon() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// Anything else: a plain 404 page.
pub(super) async fn not_found() -> Response {
    let body = html::page(
        "Not Found",
        None,
        "<h2>Page not found</h2><p><a href=\"/\">Return to the home page</a></p>",
    );
    (StatusCode::NOT_FOUND, Html(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_site_paths_are_followed_after_login() {
        assert_eq!(local_path("/listings/2?x=1"), Some("/listings/2?x=1"));
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "listings",
            "/a b",
            "/x\r\ny",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn form_values_are_decoded() {
        assert_eq!(
            form_value(b"username=jdoe&password=escrow%23Close7", "password").as_deref(),
            Some("escrow#Close7")
        );
        assert_eq!(
            form_value(b"q=new+haven", "q").as_deref(),
            Some("new haven")
        );
        assert_eq!(form_value(b"a=1", "q"), None);
    }
}
