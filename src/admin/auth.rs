//! Bearer-token check for the admin API.
//!
//! The presented token is compared with ring's `hmac::verify` against an HMAC of the configured
//! token under a random per-process key: constant time whatever the inputs, and the comparison
//! leaks neither the token's bytes nor its length through timing.

use http::header::AUTHORIZATION;
use http::HeaderMap;
use ring::hmac;
use ring::rand::SystemRandom;

/// Why the token check could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomFailure;

/// The configured admin token, in a form that can only be compared in constant time.
pub struct TokenCheck {
    key: hmac::Key,
    expected: hmac::Tag,
}

impl std::fmt::Debug for TokenCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCheck(<redacted>)")
    }
}

impl TokenCheck {
    /// Prepares the comparison against `token`.
    pub fn new(token: &[u8]) -> Result<TokenCheck, RandomFailure> {
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &SystemRandom::new())
            .map_err(|_| RandomFailure)?;
        let expected = hmac::sign(&key, token);
        Ok(TokenCheck { key, expected })
    }

    /// True if `presented` equals the configured token.
    pub fn matches(&self, presented: &[u8]) -> bool {
        hmac::verify(&self.key, presented, self.expected.as_ref()).is_ok()
    }

    /// True if the request carries `Authorization: Bearer <the token>` (scheme
    /// case-insensitive, as RFC 9110 says).
    pub fn authorizes(&self, headers: &HeaderMap) -> bool {
        bearer_token(headers).is_some_and(|token| self.matches(token))
    }
}

/// The token of an `Authorization: Bearer …` header, if there is exactly one such header.
fn bearer_token(headers: &HeaderMap) -> Option<&[u8]> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let bytes = value.as_bytes();
    let (scheme, token) = bytes.split_at(bytes.iter().position(|b| *b == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let token = token.trim_ascii();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn only_the_exact_token_is_accepted() {
        let check = TokenCheck::new(b"correct-horse-battery").unwrap();
        assert!(check.authorizes(&headers("Bearer correct-horse-battery")));
        assert!(check.authorizes(&headers("bearer correct-horse-battery")));
        assert!(!check.authorizes(&headers("Bearer correct-horse-batter")));
        assert!(!check.authorizes(&headers("Bearer correct-horse-battery2")));
        assert!(!check.authorizes(&headers("Basic correct-horse-battery")));
        assert!(!check.authorizes(&headers("Bearer")));
        assert!(!check.authorizes(&HeaderMap::new()));
    }

    #[test]
    fn two_authorization_headers_are_refused() {
        let check = TokenCheck::new(b"t0ken-t0ken-t0ken").unwrap();
        let mut h = headers("Bearer t0ken-t0ken-t0ken");
        h.append(AUTHORIZATION, "Bearer t0ken-t0ken-t0ken".parse().unwrap());
        assert!(!check.authorizes(&h));
    }
}
