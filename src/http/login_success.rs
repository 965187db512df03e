//! Recognises a successful upstream login from the response head alone.

use crate::config::LoginSuccess;
use crate::http::cookies::parse_set_cookie;

/// The parts of an upstream response the matcher looks at.
#[derive(Debug, Clone, Copy)]
pub struct LoginResponse<'a> {
    pub status: u16,
    pub location: Option<&'a str>,
    /// Raw `Set-Cookie` header values.
    pub set_cookies: &'a [&'a str],
}

/// True when every configured success condition holds.
pub fn is_login_success(
    rule: &LoginSuccess,
    session_cookies: &[String],
    resp: &LoginResponse<'_>,
) -> bool {
    if !rule.status.is_empty() && !rule.status.contains(&resp.status) {
        return false;
    }
    if rule.sets_session_cookie
        && !resp
            .set_cookies
            .iter()
            .any(|h| sets_session(h, session_cookies, 0))
    {
        return false;
    }
    if let Some(location) = resp.location {
        let path = location_path(location);
        if rule
            .location_not_prefix
            .iter()
            .any(|p| path.starts_with(p.as_str()))
        {
            return false;
        }
    }
    true
}

/// True when one `Set-Cookie` value gives one of `session_cookies` a non-empty value at
/// `now` (a deletion — empty value, `Max-Age=0`, past `Expires` — sets no session).
pub fn sets_session(header: &str, session_cookies: &[String], now: i64) -> bool {
    parse_set_cookie(header, now).is_some_and(|c| {
        c.value.as_deref().is_some_and(|v| !v.is_empty())
            && session_cookies.iter().any(|n| n == c.name)
    })
}

/// The path part of a `Location` (absolute URLs are reduced to their path).
fn location_path(location: &str) -> &str {
    if let Some(rest) = location.split_once("://").map(|(_, r)| r) {
        rest.find('/').map(|i| &rest[i..]).unwrap_or("/")
    } else {
        location
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> LoginSuccess {
        LoginSuccess {
            status: vec![302, 303],
            sets_session_cookie: true,
            location_not_prefix: vec!["/login".into()],
        }
    }

    fn check(status: u16, location: Option<&str>, cookies: &[&str]) -> bool {
        is_login_success(
            &rule(),
            &["SID".to_string()],
            &LoginResponse {
                status,
                location,
                set_cookies: cookies,
            },
        )
    }

    #[test]
    fn success_needs_status_cookie_and_good_location() {
        assert!(check(302, Some("/"), &["SID=abc; Path=/"]));
        assert!(!check(200, Some("/"), &["SID=abc"]));
        assert!(!check(302, Some("/"), &["other=abc"]));
        assert!(!check(302, Some("/"), &["SID=; Max-Age=0"]));
        assert!(!check(302, Some("/login?error=1"), &["SID=abc"]));
        assert!(!check(
            302,
            Some("http://mls.example/login?error=1"),
            &["SID=abc"]
        ));
        assert!(check(
            303,
            Some("http://mls.example/home"),
            &["x=1", "SID=abc"]
        ));
    }
}
