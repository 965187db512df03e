//! The validated `edge:` section: which requests the gateway accepts at all, and what the
//! upstream may see of them (see [`crate::http::edge`] and [`crate::http::forwarded`]).

use ipnet::IpNet;

/// Methods accepted when `edge.methods` is not set.
pub const DEFAULT_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Request headers removed before forwarding when `edge.strip_request_headers` is not set:
/// identity headers that a server behind a proxy may trust, and URL-override headers some
/// frameworks route on. Matched case-insensitively with `_` and `-` alike, because CGI-style
/// servers map `X_MFA_User` and `X-MFA-User` to the same variable.
pub const DEFAULT_STRIP_HEADERS: &[&str] = &[
    "x-mfa-user",
    "x-forwarded-user",
    "x-forwarded-email",
    "x-forwarded-groups",
    "x-forwarded-preferred-username",
    "x-remote-user",
    "remote-user",
    "x-authenticated-user",
    "x-auth-request-user",
    "x-auth-request-email",
    "x-auth-request-groups",
    "x-webauth-user",
    "x-original-url",
    "x-rewrite-url",
];

/// `Strict-Transport-Security` max-age used on a TLS listener when `edge.hsts` is not set.
pub const DEFAULT_HSTS_SECS: u64 = 365 * 86_400;

/// What happens to an `X-Forwarded-For` the client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardedFor {
    /// Keep the incoming list (from a trusted proxy) and append the client address.
    Append,
    /// Always send only the address the gateway saw.
    Replace,
}

/// The validated `edge:` section.
#[derive(Debug, Clone)]
pub struct EdgeConfig {
    /// Methods accepted (exact, case-sensitive tokens); anything else is refused with 400.
    pub methods: Vec<http::Method>,
    /// Request header names removed before forwarding, lower-case with `_` written as `-`.
    pub strip_request_headers: Vec<String>,
    pub forwarded_for: ForwardedFor,
    /// Peers whose `X-Forwarded-For` is kept (with [`ForwardedFor::Append`]); empty = none.
    pub trusted_proxies: Vec<IpNet>,
    /// `Strict-Transport-Security` value sent on every answer, `None` = not sent.
    pub hsts: Option<String>,
    /// What members see in `Server`.
    pub server_header: ServerHeader,
}

/// The `Server` header members see (`edge.server_header`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerHeader {
    /// The legacy app's own, as it sent it (the gateway's own answers send none).
    Pass,
    /// None at all, on any answer (nothing tells a scanner what runs behind).
    Remove,
    /// This value on every answer, the legacy app's and the gateway's own.
    Replace(String),
}

impl Default for EdgeConfig {
    fn default() -> Self {
        EdgeConfig {
            methods: DEFAULT_METHODS
                .iter()
                .filter_map(|m| http::Method::from_bytes(m.as_bytes()).ok())
                .collect(),
            strip_request_headers: DEFAULT_STRIP_HEADERS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            forwarded_for: ForwardedFor::Append,
            trusted_proxies: Vec::new(),
            hsts: None,
            server_header: ServerHeader::Pass,
        }
    }
}
