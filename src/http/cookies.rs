//! Cookie header parsing and rewriting without a cookie jar.
//!
//! The proxy sees every request, so these functions avoid allocation where they can: request
//! cookies are borrowed slices of the header, and the `Cookie` header sent upstream is rebuilt
//! only when something has to be removed from it.

use std::borrow::Cow;

/// One `name=value` pair borrowed from a `Cookie` request header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePair<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

/// Iterates the pairs of one or more `Cookie` header values (RFC 6265 §5.4 separates pairs with
/// `; `, and a client may split them over several headers, which HTTP/2 does routinely).
pub fn request_cookies<'a, I>(headers: I) -> impl Iterator<Item = CookiePair<'a>>
where
    I: IntoIterator<Item = &'a str>,
{
    headers
        .into_iter()
        .flat_map(|header| header.split(';'))
        .filter_map(|raw| {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            // A pair without `=` is a cookie with an empty name in some browsers; we keep the
            // whole token as its name so that it is forwarded untouched.
            let (name, value) = raw.split_once('=').unwrap_or((raw, ""));
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            Some(CookiePair {
                name: name.trim(),
                value,
            })
        })
}

/// True when a request cookie `name` is not `session_name` but a server could read it as that
/// name: another ASCII case (some servers fold), or a spelling that PHP-style parsers decode
/// into it (percent escapes; `.`, space and `[` read as `_`). Such a pair makes the request's
/// session ambiguous, so the gateway treats it as unbound and strips both.
///
/// Runs for every cookie pair of every request that carries session cookies: names of another
/// length are rejected at once unless they contain one of the few bytes that need decoding.
pub fn is_session_lookalike(name: &str, session_name: &str) -> bool {
    if name == session_name {
        return false;
    }
    if name.len() == session_name.len() && name.eq_ignore_ascii_case(session_name) {
        return true;
    }
    if !name
        .bytes()
        .any(|b| matches!(b, b'%' | b'.' | b' ' | b'[' | b'+'))
    {
        return false;
    }
    let fold = |text: &str| -> String {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .trim()
            .chars()
            .map(|c| match c {
                '.' | ' ' | '[' | '+' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    };
    fold(name) == fold(session_name)
}

/// Rebuilds a single `Cookie` header keeping only the pairs for which `keep` is true.
/// Returns `None` when nothing is left (the header should then be removed).
pub fn filter_cookie_header<'a, I, F>(headers: I, mut keep: F) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
    F: FnMut(&CookiePair<'a>) -> bool,
{
    let mut out = String::new();
    for header in headers {
        // The result is never longer than the input (plus a separator per extra header), so
        // reserving it up front means one allocation instead of one per doubling.
        out.reserve(header.len() + 2);
        for pair in request_cookies([header]) {
            if !keep(&pair) {
                continue;
            }
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(pair.name);
            out.push('=');
            out.push_str(pair.value);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// What a `Set-Cookie` response header does to one cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookieEffect<'a> {
    pub name: &'a str,
    /// The new value, or `None` when the header deletes the cookie (`Max-Age<=0` or an
    /// `Expires` in the past).
    pub value: Option<Cow<'a, str>>,
}

/// Reads the name, value and deletion of a `Set-Cookie` header; `None` if it is malformed.
pub fn parse_set_cookie(header: &str, now_unix: i64) -> Option<SetCookieEffect<'_>> {
    let mut parts = header.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let mut deleted = false;
    for attr in parts {
        let (key, val) = attr.split_once('=').unwrap_or((attr, ""));
        let key = key.trim();
        if key.eq_ignore_ascii_case("max-age") {
            // Max-Age wins over Expires (RFC 6265 §5.3 step 3), so decide and stop.
            if let Ok(age) = val.trim().parse::<i64>() {
                deleted = age <= 0;
                break;
            }
        } else if key.eq_ignore_ascii_case("expires") {
            if let Ok(when) = chrono::DateTime::parse_from_rfc2822(&val.trim().replace('-', " ")) {
                deleted = when.timestamp() <= now_unix;
            }
        }
    }
    Some(SetCookieEffect {
        name,
        value: if deleted {
            None
        } else {
            Some(Cow::Borrowed(value))
        },
    })
}

/// Attributes of a cookie the gateway sets.
#[derive(Debug, Clone, Copy)]
pub struct CookieAttrs {
    /// `Secure` (and the `__Host-` prefix is expected in the name).
    pub secure: bool,
    /// `Max-Age` in seconds; `Some(0)` deletes, `None` makes a browser-session cookie.
    pub max_age: Option<u64>,
}

/// Formats a gateway `Set-Cookie` value: always `Path=/; HttpOnly; SameSite=Lax`.
pub fn format_set_cookie(name: &str, value: &str, attrs: CookieAttrs) -> String {
    let mut out = String::with_capacity(name.len() + value.len() + 64);
    out.push_str(name);
    out.push('=');
    out.push_str(value);
    out.push_str("; Path=/; HttpOnly; SameSite=Lax");
    if attrs.secure {
        out.push_str("; Secure");
    }
    if let Some(age) = attrs.max_age {
        out.push_str("; Max-Age=");
        out.push_str(&age.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_lookalikes() {
        assert!(!is_session_lookalike("PHPSESSID", "PHPSESSID"));
        assert!(is_session_lookalike("phpsessid", "PHPSESSID"));
        assert!(is_session_lookalike("PHPSESS%49D", "PHPSESSID"));
        assert!(is_session_lookalike("connect%2Esid", "connect.sid"));
        assert!(!is_session_lookalike("pref", "PHPSESSID"));
        assert!(!is_session_lookalike("PHPSESSID2", "PHPSESSID"));
    }

    #[test]
    fn parses_pairs_across_headers() {
        let pairs: Vec<_> = request_cookies(["a=1; b=2", "c=\"3\";;  d"]).collect();
        assert_eq!(
            pairs,
            vec![
                CookiePair {
                    name: "a",
                    value: "1"
                },
                CookiePair {
                    name: "b",
                    value: "2"
                },
                CookiePair {
                    name: "c",
                    value: "3"
                },
                CookiePair {
                    name: "d",
                    value: ""
                },
            ]
        );
    }

    #[test]
    fn filter_removes_named_pairs_and_merges_headers() {
        let out = filter_cookie_header(["a=1; mfa_bind=x", "b=2"], |p| p.name != "mfa_bind");
        assert_eq!(out.as_deref(), Some("a=1; b=2"));
        assert_eq!(
            filter_cookie_header(["mfa_bind=x"], |p| p.name != "mfa_bind"),
            None
        );
    }

    #[test]
    fn set_cookie_value_and_deletion() {
        let e = parse_set_cookie("SID=abc; Path=/; HttpOnly", 0).unwrap();
        assert_eq!(e.name, "SID");
        assert_eq!(e.value.as_deref(), Some("abc"));
        let d = parse_set_cookie("SID=; Max-Age=0; Path=/", 0).unwrap();
        assert_eq!(d.value, None);
        let past = parse_set_cookie("SID=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT", 1000).unwrap();
        assert_eq!(past.value, None);
        let future =
            parse_set_cookie("SID=x; Expires=Thu, 01 Jan 2099 00:00:00 GMT", 1000).unwrap();
        assert_eq!(future.value.as_deref(), Some("x"));
        assert!(parse_set_cookie("garbage", 0).is_none());
    }

    #[test]
    fn gateway_cookie_attributes() {
        let c = format_set_cookie(
            "__Host-mfa_bind",
            "v",
            CookieAttrs {
                secure: true,
                max_age: Some(60),
            },
        );
        assert_eq!(
            c,
            "__Host-mfa_bind=v; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60"
        );
    }
}
