//! The listener, the legacy site the gateway fronts, and how the gateway recognises that
//! site's login, session, identity and logout (`listen`, `upstream`, `site`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Public listener.
#[derive(Debug, Clone)]
pub struct ListenConfig {
    pub address: SocketAddr,
    pub tls: Option<TlsFiles>,
}

/// PEM certificate chain and private key files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// Offer HTTP/2 by ALPN (`listen.tls.http2`, default true): browsers then speak h2.
    pub http2: bool,
}

/// The legacy site the gateway fronts.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// `host:port` as written (resolved by pingora when connecting).
    pub address: String,
    pub tls: bool,
    /// SNI / Host for TLS; empty when `tls` is false.
    pub sni: String,
    pub verify_cert: bool,
    /// PEM file of the CAs the legacy site's certificate is verified against, for the proxy and
    /// the JSON-login relay alike; `None` = the platform's roots.
    pub ca_file: Option<std::path::PathBuf>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Idle keep-alive connections kept per upstream.
    pub keepalive_pool_size: usize,
}

/// How the gateway recognises the legacy site's login, session and logout.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    pub login: LoginConfig,
    /// Names of the upstream's session cookies (at least one).
    pub session_cookies: Vec<String>,
    pub logout: Vec<LogoutPath>,
    /// Path prefixes that never need a session (session cookies are always stripped there).
    pub public_paths: Vec<String>,
    /// Path prefixes answered as JSON API (mobile app); used by the JSON 401 behaviour.
    pub api_paths: Vec<String>,
    /// Where a member lands after MFA when the upstream login response had no usable `Location`.
    pub default_after_login: String,
    /// `site.sign_in_url`: where "Sign in again" leads. `None`: the page the login form was
    /// posted from (its same-origin `Referer`), else `login.path`.
    pub sign_in_url: Option<String>,
    /// The mobile app's JSON login endpoint, if it has one.
    pub api_login: Option<ApiLoginConfig>,
    /// How to ask the legacy app who a session belongs to (`None`: the typed username).
    pub identity: Option<IdentityProbe>,
}

/// `site.identity`: a request sent upstream with a session's cookies, and where the answer
/// names the signed-in member.
#[derive(Debug, Clone)]
pub struct IdentityProbe {
    /// Path (and query) of the request, e.g. `/whoami`.
    pub path: String,
    pub method: http::Method,
    pub source: IdentitySource,
    /// The whole probe, connection included, must answer within this.
    pub timeout: Duration,
    /// Largest answer body read.
    pub max_body_bytes: usize,
}

/// Where the probe's answer names the member.
#[derive(Debug, Clone)]
pub enum IdentitySource {
    /// RFC 6901 pointer into a JSON body; a missing value, `null` or `""` means nobody.
    JsonPointer(String),
    /// A regular expression with one capture group over the body; no match means nobody.
    Regex(regex::Regex),
    /// A response header; absent means nobody.
    Header(http::HeaderName),
}

/// A JSON login endpoint (`POST` with a JSON body), answered to the app in JSON.
#[derive(Debug, Clone)]
pub struct ApiLoginConfig {
    /// Exact path of the JSON login POST.
    pub path: String,
    /// RFC 6901 JSON pointer to the username in the request body, e.g. `/username`.
    pub username_pointer: String,
    /// Largest request / response body handled for this endpoint.
    pub max_body_bytes: usize,
    /// Status codes that mean success (empty = any).
    pub success_status: Vec<u16>,
    /// Require a `Set-Cookie` for one of the session cookies.
    pub sets_session_cookie: bool,
    /// JSON pointer to a token that must be present in a successful answer, e.g. `/token`.
    pub token_pointer: Option<String>,
}

/// The login form post.
#[derive(Debug, Clone)]
pub struct LoginConfig {
    /// Exact path of the login POST (compared after normalisation).
    pub path: String,
    /// Form field carrying the username (`application/x-www-form-urlencoded`).
    pub username_field: String,
    /// Lower-case and trim usernames before using them as the member's identity.
    pub username_case_insensitive: bool,
    /// Largest login body inspected; beyond it the username is treated as unknown.
    pub max_body_bytes: usize,
    /// The app keeps login state in an anonymous session made before the login (Java FORM
    /// auth, login CSRF tokens): such a session is let through to the login POST only.
    pub pre_login_session: bool,
    pub success: LoginSuccess,
}

/// What a successful upstream login answer looks like. All given conditions must hold.
#[derive(Debug, Clone)]
pub struct LoginSuccess {
    /// Accepted status codes (empty = any).
    pub status: Vec<u16>,
    /// Require a `Set-Cookie` for one of the session cookies.
    pub sets_session_cookie: bool,
    /// A `Location` starting with one of these means failure (e.g. `/login?error`).
    pub location_not_prefix: Vec<String>,
}

/// A logout path; `forget_device` also removes the trust cookie (mobile sign-out).
#[derive(Debug, Clone)]
pub struct LogoutPath {
    pub path: String,
    pub forget_device: bool,
}
