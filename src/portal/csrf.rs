//! CSRF protection for the gateway's forms: a token tied to the held login, plus an origin
//! check, because the forms release sessions (DESIGN.md invariant 5).

use super::PortalRequest;
use crate::mfa::tokens::Purpose;
use crate::state::AppState;

/// The token every form of this held login carries.
pub fn csrf_token(state: &AppState, pending_id: &str) -> String {
    state.keys.digest(Purpose::Csrf, pending_id.as_bytes())
}

/// Constant-time check of a submitted token.
pub(super) fn token_matches(state: &AppState, pending_id: &str, submitted: Option<&str>) -> bool {
    let Some(submitted) = submitted else {
        return false;
    };
    let expected = csrf_token(state, pending_id);
    expected.len() == submitted.len()
        && expected
            .bytes()
            .zip(submitted.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Refuses posts a browser marks as cross-site, or whose `Origin` names another host.
pub fn origin_allowed(req: &PortalRequest<'_>) -> bool {
    if req
        .fetch_site
        .is_some_and(|s| s.eq_ignore_ascii_case("cross-site"))
    {
        return false;
    }
    match (req.origin, req.host) {
        // Privacy-sensitive contexts send `Origin: null`; a form of ours never does.
        (Some("null"), _) => false,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .map(|(_, authority)| authority.trim_end_matches('/').eq_ignore_ascii_case(host))
            .unwrap_or(false),
        (Some(_), None) => false,
        // Old browsers send no Origin on same-origin posts; the token still protects them.
        (None, _) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(
        origin: Option<&'a str>,
        host: Option<&'a str>,
        site: Option<&'a str>,
    ) -> PortalRequest<'a> {
        PortalRequest {
            origin,
            host,
            fetch_site: site,
            ..Default::default()
        }
    }

    #[test]
    fn origin_rules() {
        assert!(origin_allowed(&req(
            Some("https://mls.example"),
            Some("mls.example"),
            None
        )));
        assert!(origin_allowed(&req(
            Some("http://127.0.0.1:8080"),
            Some("127.0.0.1:8080"),
            Some("same-origin")
        )));
        assert!(!origin_allowed(&req(
            Some("https://evil.example"),
            Some("mls.example"),
            None
        )));
        assert!(!origin_allowed(&req(
            Some("null"),
            Some("mls.example"),
            None
        )));
        assert!(!origin_allowed(&req(
            None,
            Some("mls.example"),
            Some("cross-site")
        )));
        assert!(origin_allowed(&req(None, Some("mls.example"), None)));
    }
}
