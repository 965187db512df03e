//! Session binding: which upstream session cookie values a browser holds, and the signed
//! binding cookie that says those values passed MFA for a member.
//!
//! On the hot path this is one cookie scan, one SHA-256 and one HMAC; no store access.

use crate::http::cookies::{
    format_set_cookie, is_session_lookalike, parse_set_cookie, request_cookies, CookieAttrs,
};
use crate::mfa::claims::{session_digest, BindingClaims};
use crate::mfa::tokens::Purpose;
use crate::state::AppState;

/// Session cookie names handled without a heap-allocated slot table.
const INLINE_NAMES: usize = 4;

/// The upstream session cookies of a request, in configured order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionCookies {
    pub pairs: Vec<(String, String)>,
    /// A session cookie name appeared twice: the upstream may pick either, so the request is
    /// treated as unbound whatever the binding says.
    pub ambiguous: bool,
}

impl SessionCookies {
    /// Collects the session cookies from `Cookie` header values.
    pub fn from_headers<'a>(
        headers: impl IntoIterator<Item = &'a str>,
        session_names: &[String],
    ) -> Self {
        // Runs on every request: sites configure one or two session cookies, so the slots
        // live on the stack and only the values found are copied.
        let mut inline = [None; INLINE_NAMES];
        let mut spilled = Vec::new();
        let found: &mut [Option<&str>] = if session_names.len() <= INLINE_NAMES {
            &mut inline[..session_names.len()]
        } else {
            spilled.resize(session_names.len(), None);
            &mut spilled
        };
        let mut ambiguous = false;
        let mut count = 0;
        for pair in request_cookies(headers) {
            if let Some(i) = session_names.iter().position(|n| n == pair.name) {
                if found[i].is_some() {
                    ambiguous = true;
                } else {
                    count += 1;
                }
                found[i] = Some(pair.value);
            } else if session_names
                .iter()
                .any(|n| is_session_lookalike(pair.name, n))
            {
                // The app might read this pair as its session cookie: never trust either.
                ambiguous = true;
            }
        }
        let mut pairs = Vec::with_capacity(count);
        for (name, value) in session_names.iter().zip(found.iter()) {
            if let Some(value) = value {
                pairs.push((name.clone(), (*value).to_string()));
            }
        }
        SessionCookies { pairs, ambiguous }
    }

    /// True when a request cookie `name` must not reach the upstream unless the session is
    /// bound: a configured session cookie or a spelling the app could read as one.
    pub fn is_session_name(name: &str, session_names: &[String]) -> bool {
        session_names
            .iter()
            .any(|n| n == name || is_session_lookalike(name, n))
    }

    /// True when the request carries no session cookie at all.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty() && !self.ambiguous
    }

    /// Digest the binding cookie must carry for these values.
    pub fn digest(&self) -> [u8; 32] {
        session_digest(self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    }

    /// The values the browser will hold after the response's `Set-Cookie` headers.
    /// Returns `None` when the response touches no session cookie.
    pub fn after_response(
        &self,
        set_cookies: &[&str],
        session_names: &[String],
        now: i64,
    ) -> Option<SessionCookies> {
        let mut values: Vec<Option<String>> = session_names
            .iter()
            .map(|n| {
                self.pairs
                    .iter()
                    .find(|(pn, _)| pn == n)
                    .map(|(_, v)| v.clone())
            })
            .collect();
        let mut touched = false;
        for header in set_cookies {
            let Some(effect) = parse_set_cookie(header, now) else {
                continue;
            };
            if let Some(i) = session_names.iter().position(|n| n == effect.name) {
                touched = true;
                values[i] = effect
                    .value
                    .map(|v| v.into_owned())
                    .filter(|v| !v.is_empty());
            }
        }
        touched.then(|| SessionCookies {
            pairs: session_names
                .iter()
                .zip(values)
                .filter_map(|(n, v)| v.map(|v| (n.clone(), v)))
                .collect(),
            ambiguous: false,
        })
    }
}

/// `Set-Cookie` for a binding of `cookies` to `user` until `expires` (or a deletion when the
/// browser will hold no session cookie).
pub fn binding_set_cookie(
    state: &AppState,
    cookies: &SessionCookies,
    user: &str,
    epoch: u64,
    expires: i64,
    now: i64,
) -> String {
    let name = &state.cookie_names.binding;
    if cookies.pairs.is_empty() || expires <= now {
        return clear_cookie(state, name);
    }
    let claims = BindingClaims {
        user: user.to_string(),
        session_digest: cookies.digest(),
        expires,
        epoch,
    };
    let attrs = CookieAttrs {
        secure: state.secure_cookies,
        max_age: Some((expires - now) as u64),
    };
    format_set_cookie(name, &claims.seal(&state.keys), attrs)
}

/// How long an anonymous pre-login session stays usable for the login POST: long enough for
/// a member to find their password, short enough that a stale one is not kept around.
pub const PRE_LOGIN_TTL_SECS: i64 = 3600;

/// `Set-Cookie` (under the binding cookie's name) marking `cookies` as an anonymous session
/// made before a login, which may reach the upstream on the login POST and nowhere else.
/// Signed under its own purpose, so it can never pass for a binding.
pub fn pre_login_set_cookie(state: &AppState, cookies: &SessionCookies, now: i64) -> String {
    let name = &state.cookie_names.binding;
    if cookies.pairs.is_empty() {
        return clear_cookie(state, name);
    }
    let expires = now + PRE_LOGIN_TTL_SECS;
    let mut payload = Vec::with_capacity(40);
    payload.extend_from_slice(&cookies.digest());
    payload.extend_from_slice(&expires.to_be_bytes());
    let attrs = CookieAttrs {
        secure: state.secure_cookies,
        max_age: Some(PRE_LOGIN_TTL_SECS as u64),
    };
    format_set_cookie(name, &state.keys.sign(Purpose::PreLogin, &payload), attrs)
}

/// True when `token` marks exactly these session cookies as a live pre-login session.
pub fn verify_pre_login(
    state: &AppState,
    cookies: &SessionCookies,
    token: Option<&str>,
    now: i64,
) -> bool {
    if cookies.ambiguous || cookies.pairs.is_empty() {
        return false;
    }
    let Some(payload) = token.and_then(|t| state.keys.verify(Purpose::PreLogin, t).ok()) else {
        return false;
    };
    let Some((digest, expires)) = payload.split_first_chunk::<32>() else {
        return false;
    };
    let expires = <[u8; 8]>::try_from(expires).map(i64::from_be_bytes);
    expires.is_ok_and(|e| e > now) && digest == &cookies.digest()
}

/// `Set-Cookie` of the language cookie: the switch link's choice, kept a year.
pub fn language_cookie(state: &AppState, code: &str) -> String {
    format_set_cookie(
        &state.cookie_names.lang,
        code,
        CookieAttrs {
            secure: state.secure_cookies,
            max_age: Some(365 * 24 * 3600),
        },
    )
}

/// `Set-Cookie` that deletes one of the gateway's cookies.
pub fn clear_cookie(state: &AppState, name: &str) -> String {
    format_set_cookie(
        name,
        "",
        CookieAttrs {
            secure: state.secure_cookies,
            max_age: Some(0),
        },
    )
}

/// Checks the binding cookie against the session cookies; `Some(claims)` when bound.
pub fn verify_binding(
    state: &AppState,
    cookies: &SessionCookies,
    binding: Option<&str>,
    now: i64,
) -> Option<BindingClaims> {
    if cookies.ambiguous || cookies.pairs.is_empty() {
        return None;
    }
    BindingClaims::open(&state.keys, binding?, now, &cookies.digest())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["SID".into(), "AUX".into()]
    }

    #[test]
    fn collects_in_configured_order_and_flags_duplicates() {
        let c = SessionCookies::from_headers(["AUX=2; x=1; SID=1"], &names());
        assert_eq!(
            c.pairs,
            vec![("SID".into(), "1".into()), ("AUX".into(), "2".into())]
        );
        assert!(!c.ambiguous);
        let d = SessionCookies::from_headers(["SID=1", "SID=2"], &names());
        assert!(d.ambiguous);
    }

    #[test]
    fn many_session_names_keep_their_order() {
        let names: Vec<String> = (0..6).map(|i| format!("S{i}")).collect();
        let c = SessionCookies::from_headers(["S5=five; S0=zero", "S3=three"], &names);
        assert_eq!(
            c.pairs,
            vec![
                ("S0".into(), "zero".into()),
                ("S3".into(), "three".into()),
                ("S5".into(), "five".into())
            ]
        );
        assert!(!c.ambiguous);
        assert!(SessionCookies::from_headers(["S4=a; S4=b"], &names).ambiguous);
        assert!(SessionCookies::from_headers(["x=1"], &names).is_empty());
    }

    #[test]
    fn response_rotation_and_deletion() {
        let c = SessionCookies::from_headers(["SID=1; AUX=2"], &names());
        assert_eq!(c.after_response(&["other=1"], &names(), 0), None);
        let rotated = c.after_response(&["SID=9; Path=/"], &names(), 0).unwrap();
        assert_eq!(
            rotated.pairs,
            vec![("SID".into(), "9".into()), ("AUX".into(), "2".into())]
        );
        let gone = c
            .after_response(&["SID=; Max-Age=0", "AUX=; Max-Age=0"], &names(), 0)
            .unwrap();
        assert!(gone.pairs.is_empty());
    }
}
