//! What the upstream may see of a request: the one set of rules every road to the legacy app
//! uses (the streaming proxy and the JSON-login relay alike), so they can never drift apart.
//!
//! The rules: identity headers a client could forge are removed (names compared ignoring case,
//! with `_` and `-` alike); the gateway's own cookies never leave, and the app's session
//! cookies leave only when bound; `X-Forwarded-For` holds the address the gateway saw, after
//! the incoming list only when the peer is a trusted proxy; `X-Forwarded-Proto` says what the
//! gateway's listener speaks; `X-Request-Id` is the request's id (see [`super::request_id`]),
//! never a client's own. The result is a [`ForwardPlan`] (data); each caller applies it
//! to its own request type.

use std::net::IpAddr;

use http::{HeaderMap, HeaderName};

use crate::config::{EdgeConfig, ForwardedFor};
use crate::http::cookies::filter_cookie_header;

/// The form header names are kept in for matching: lower-case, `_` written as `-`.
pub fn header_key(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'_' => '-',
            b => char::from(b.to_ascii_lowercase()),
        })
        .collect()
}

/// True when `name` (lower-case, as `http` stores it) is one of `keys` ([`header_key`] form).
///
/// Runs for every header of every request: a length check rejects almost every pair before
/// any byte is compared, which is cheaper than normalising each name into a hashed set.
pub fn is_listed(name: &str, keys: &[String]) -> bool {
    keys.iter().any(|key| {
        key.len() == name.len()
            && key
                .bytes()
                .zip(name.bytes())
                .all(|(k, n)| k == n || (k == b'-' && n == b'_'))
    })
}

/// What to do with the `Cookie` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieAction {
    /// Forward as the client sent it.
    Keep,
    /// Send no cookies.
    Remove,
    /// Send this single header instead of every `Cookie` header the client sent.
    Replace(String),
}

/// The circumstances of one forwarded request.
pub struct Forwarding<'a> {
    pub edge: &'a EdgeConfig,
    /// The gateway's listener is TLS.
    pub tls: bool,
    /// The address the connection came from.
    pub peer: Option<IpAddr>,
    /// The cookies must be looked at (gateway cookies present, session to strip, several
    /// headers); false keeps the header untouched, the common case on the hot path.
    pub rewrite_cookies: bool,
    /// A `Cookie` header was not UTF-8: forward no cookies at all.
    pub cookies_unreadable: bool,
    /// Which cookie names must not reach the upstream.
    pub drop_cookie: &'a dyn Fn(&str) -> bool,
    /// The request's id, sent as `X-Request-Id`.
    pub request_id: &'a str,
}

/// The changes to make to a request before it goes upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardPlan {
    /// Headers to remove (forged identity headers).
    pub remove: Vec<HeaderName>,
    pub cookie: CookieAction,
    /// New `X-Forwarded-For` (replacing every incoming one); `None` removes it.
    pub x_forwarded_for: Option<String>,
    pub x_forwarded_proto: &'static str,
    /// `X-Request-Id` to send (replacing any incoming one).
    pub x_request_id: String,
}

/// Decides what the upstream may see of a request with `headers`.
pub fn plan(headers: &HeaderMap, f: &Forwarding<'_>) -> ForwardPlan {
    let keys = &f.edge.strip_request_headers;
    // Forged identity headers are rare: collect names only when one is present.
    let remove: Vec<HeaderName> = if headers.keys().any(|n| is_listed(n.as_str(), keys)) {
        let mut names: Vec<HeaderName> = headers
            .keys()
            .filter(|n| is_listed(n.as_str(), keys))
            .cloned()
            .collect();
        names.dedup();
        names
    } else {
        Vec::new()
    };
    let cookie = if f.cookies_unreadable {
        CookieAction::Remove
    } else if f.rewrite_cookies {
        let values = headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok());
        match filter_cookie_header(values, |p| !(f.drop_cookie)(p.name)) {
            Some(kept) => CookieAction::Replace(kept),
            None => CookieAction::Remove,
        }
    } else {
        CookieAction::Keep
    };
    ForwardPlan {
        remove,
        cookie,
        x_forwarded_for: forwarded_for(headers, f),
        x_forwarded_proto: if f.tls { "https" } else { "http" },
        x_request_id: f.request_id.to_string(),
    }
}

/// True when `peer` is one of `edge.trusted_proxies`: only such a peer's `X-Forwarded-For` list
/// and `X-Request-Id` are believed.
pub fn is_trusted_proxy(edge: &EdgeConfig, peer: Option<IpAddr>) -> bool {
    peer.is_some_and(|peer| edge.trusted_proxies.iter().any(|net| net.contains(&peer)))
}

/// The `X-Forwarded-For` to send: the peer's address, after the incoming list only when the
/// policy appends and the peer is a trusted proxy (anyone else could write any list).
fn forwarded_for(headers: &HeaderMap, f: &Forwarding<'_>) -> Option<String> {
    let peer = f.peer?;
    let trusted =
        f.edge.forwarded_for == ForwardedFor::Append && is_trusted_proxy(f.edge, Some(peer));
    let mut out = String::with_capacity(48);
    if trusted {
        for prior in headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            out.push_str(prior);
            out.push_str(", ");
        }
    }
    push_ip(&mut out, peer);
    Some(out)
}

/// Appends `ip` in its usual text form; IPv4, the common case, skips the formatting
/// machinery (measurably slower on a path taken by every request).
fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                if octet >= 100 {
                    out.push(char::from(b'0' + octet / 100));
                }
                if octet >= 10 {
                    out.push(char::from(b'0' + octet / 10 % 10));
                }
                out.push(char::from(b'0' + octet % 10));
            }
        }
        IpAddr::V6(v6) => out.push_str(&v6.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge() -> EdgeConfig {
        EdgeConfig::default()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn forwarding<'a>(edge: &'a EdgeConfig, drop: &'a dyn Fn(&str) -> bool) -> Forwarding<'a> {
        Forwarding {
            edge,
            tls: false,
            peer: Some("192.0.2.7".parse().unwrap()),
            rewrite_cookies: true,
            cookies_unreadable: false,
            drop_cookie: drop,
            request_id: "abc-1",
        }
    }

    #[test]
    fn identity_headers_are_matched_ignoring_case_and_separator() {
        let edge = edge();
        let keep_all = |_: &str| false;
        let h = headers(&[
            ("X_MFA_User", "agent7"),
            ("x-forwarded-user", "agent7"),
            ("Remote_User", "agent7"),
            ("X-Original-URL", "/admin"),
            ("x-mfa-username", "kept: not listed"),
        ]);
        let plan = plan(&h, &forwarding(&edge, &keep_all));
        let removed: Vec<&str> = plan.remove.iter().map(HeaderName::as_str).collect();
        assert_eq!(
            removed,
            [
                "x_mfa_user",
                "x-forwarded-user",
                "remote_user",
                "x-original-url"
            ]
        );
    }

    #[test]
    fn forwarded_for_keeps_a_list_only_from_trusted_proxies() {
        let mut edge = edge();
        let keep_all = |_: &str| false;
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            plan(&h, &forwarding(&edge, &keep_all))
                .x_forwarded_for
                .as_deref(),
            Some("192.0.2.7")
        );
        edge.trusted_proxies = vec!["192.0.2.0/24".parse().unwrap()];
        assert_eq!(
            plan(&h, &forwarding(&edge, &keep_all))
                .x_forwarded_for
                .as_deref(),
            Some("203.0.113.9, 192.0.2.7")
        );
        edge.forwarded_for = ForwardedFor::Replace;
        assert_eq!(
            plan(&h, &forwarding(&edge, &keep_all))
                .x_forwarded_for
                .as_deref(),
            Some("192.0.2.7")
        );
    }

    #[test]
    fn cookies_are_filtered_by_the_callers_rule() {
        let edge = edge();
        let drop = |name: &str| name == "mfa_bind" || name == "SID";
        let h = headers(&[("cookie", "SID=1; pref=a"), ("cookie", "mfa_bind=x")]);
        assert_eq!(
            plan(&h, &forwarding(&edge, &drop)).cookie,
            CookieAction::Replace("pref=a".into())
        );
        let only_dropped = headers(&[("cookie", "SID=1")]);
        assert_eq!(
            plan(&only_dropped, &forwarding(&edge, &drop)).cookie,
            CookieAction::Remove
        );
        let mut untouched = forwarding(&edge, &drop);
        untouched.rewrite_cookies = false;
        assert_eq!(plan(&h, &untouched).cookie, CookieAction::Keep);
    }
}
