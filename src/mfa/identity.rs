//! The identity probe (`site.identity`): ask the legacy app who a session belongs to.
//!
//! The typed username is only what the member typed; the app may fold it (NFKC, case, a
//! `login@domain` form, an e-mail address for a login id) into another account. With a probe
//! configured, MFA, enrolment, trust and audit are keyed on the app's answer: the gateway sends
//! one request upstream carrying exactly the session cookies in question (never gateway
//! cookies, never another member's), bounded in time and size, and reads the member from the
//! answer. Nothing is cached: each login and each session rotation asks again. A probe that
//! fails or cannot be read fails closed ([`ProbeError`]).

use std::time::Duration;

use crate::config::{IdentityProbe, IdentitySource};
use crate::mfa::session::SessionCookies;
use crate::state::AppState;

/// Why the probe gave no answer the gateway can act on (the login is refused either way).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The app did not answer (in time), or answered with an error status.
    #[error("identity probe unavailable: {0}")]
    Unavailable(String),
    /// The answer was too large or not in the configured form.
    #[error("identity probe answer unreadable: {0}")]
    Unreadable(String),
}

/// Asks the app who `cookies` belong to: `Some(login as the app names it)`, or `None` when the
/// session is anonymous (or there is no session at all).
pub async fn probe(
    state: &AppState,
    cfg: &IdentityProbe,
    cookies: &SessionCookies,
    host: &str,
) -> Result<Option<String>, ProbeError> {
    if cookies.pairs.is_empty() {
        return Ok(None);
    }
    let up = &state.config.upstream;
    let scheme = if up.tls { "https" } else { "http" };
    let cookie_header = cookies
        .pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut request = state
        .upstream_client
        .request(
            cfg.method.clone(),
            format!("{scheme}://{}{}", up.address, cfg.path),
        )
        .header(http::header::COOKIE, cookie_header)
        .header(http::header::ACCEPT, accept_for(&cfg.source))
        .timeout(cfg.timeout);
    if !host.is_empty() {
        request = request.header(http::header::HOST, host);
    }
    let answer = async {
        let mut response = request
            .send()
            .await
            .map_err(|e| ProbeError::Unavailable(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| ProbeError::Unavailable(e.without_url().to_string()))?
        {
            if body.len() + chunk.len() > cfg.max_body_bytes {
                return Err(ProbeError::Unreadable(format!(
                    "answer larger than {} bytes",
                    cfg.max_body_bytes
                )));
            }
            body.extend_from_slice(&chunk);
        }
        identity_from_answer(&cfg.source, status, &headers, &body)
    };
    // The client's timeout covers the request; this also bounds reading a slow body.
    tokio::time::timeout(cfg.timeout + Duration::from_millis(50), answer)
        .await
        .unwrap_or_else(|_| Err(ProbeError::Unavailable("no answer in time".into())))
}

fn accept_for(source: &IdentitySource) -> &'static str {
    match source {
        IdentitySource::JsonPointer(_) => "application/json",
        IdentitySource::Regex(_) | IdentitySource::Header(_) => "text/html, */*",
    }
}

/// Reads the member from a probe answer. Redirects, 401 and 403 mean "not signed in" (the app
/// sends anonymous visitors to its login); other errors fail closed.
pub fn identity_from_answer(
    source: &IdentitySource,
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Option<String>, ProbeError> {
    match status {
        200..=299 => {}
        300..=399 | 401 | 403 => return Ok(None),
        other => return Err(ProbeError::Unavailable(format!("answered {other}"))),
    }
    let found = match source {
        IdentitySource::JsonPointer(pointer) => {
            let value: serde_json::Value = serde_json::from_slice(body)
                .map_err(|_| ProbeError::Unreadable("not JSON".into()))?;
            match value.pointer(pointer) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(ProbeError::Unreadable("the member is not a string".into())),
            }
        }
        IdentitySource::Regex(re) => re
            .captures(&String::from_utf8_lossy(body))
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string()),
        IdentitySource::Header(name) => match headers.get(name) {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .map_err(|_| ProbeError::Unreadable("header is not text".into()))?
                    .to_string(),
            ),
        },
    };
    Ok(found
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json() -> IdentitySource {
        IdentitySource::JsonPointer("/user".into())
    }

    #[test]
    fn json_answers() {
        let h = http::HeaderMap::new();
        let read = |body: &[u8]| identity_from_answer(&json(), 200, &h, body);
        assert_eq!(read(br#"{"user":"jdoe"}"#), Ok(Some("jdoe".into())));
        assert_eq!(read(br#"{"user":null}"#), Ok(None));
        assert_eq!(read(br#"{"user":""}"#), Ok(None));
        assert_eq!(read(br#"{}"#), Ok(None));
        assert!(matches!(
            read(br#"{"user":7}"#),
            Err(ProbeError::Unreadable(_))
        ));
        assert!(matches!(read(b"<html>"), Err(ProbeError::Unreadable(_))));
    }

    #[test]
    fn statuses_and_other_sources() {
        let h = http::HeaderMap::new();
        assert_eq!(identity_from_answer(&json(), 302, &h, b""), Ok(None));
        assert_eq!(identity_from_answer(&json(), 401, &h, b""), Ok(None));
        assert!(matches!(
            identity_from_answer(&json(), 500, &h, b""),
            Err(ProbeError::Unavailable(_))
        ));
        let re = IdentitySource::Regex(regex::Regex::new(r"Signed in as <b>([^<]+)</b>").unwrap());
        assert_eq!(
            identity_from_answer(&re, 200, &h, b"<p>Signed in as <b>jdoe</b></p>"),
            Ok(Some("jdoe".into()))
        );
        assert_eq!(
            identity_from_answer(&re, 200, &h, b"<p>Welcome</p>"),
            Ok(None)
        );
        let mut with = http::HeaderMap::new();
        with.insert("x-user", http::HeaderValue::from_static("jdoe"));
        let header = IdentitySource::Header(http::HeaderName::from_static("x-user"));
        assert_eq!(
            identity_from_answer(&header, 200, &with, b""),
            Ok(Some("jdoe".into()))
        );
        assert_eq!(identity_from_answer(&header, 200, &h, b""), Ok(None));
    }
}
