//! HMAC-SHA256 signed tokens with a key ring, used for every gateway cookie and CSRF token.
//!
//! Format: `<key id>.<base64url(payload)>.<base64url(mac)>`, cookie-safe without quoting. The
//! MAC covers a purpose label, the key id and the payload, so a token minted for one purpose
//! (say, a trust cookie) never verifies as another (a session binding). Tokens are signed with
//! the first key of the ring and verified with any key still listed: removing a key from the
//! config voids every token it signed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::hmac;

use crate::config::NamedKey;

/// Longest base64url payload a token may carry; longer ones are refused before decoding.
const MAX_PAYLOAD_B64: usize = 4096;
/// Largest decoded payload any token may carry.
pub const MAX_PAYLOAD_BYTES: usize = MAX_PAYLOAD_B64 / 4 * 3;

/// Compares two MACs without an early exit, so timing does not reveal how many bytes matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a token is for; part of the MAC input (domain separation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Trust,
    Binding,
    /// An anonymous session let through to the login POST only (`site.login.pre_login_session`).
    PreLogin,
    Csrf,
    /// Keyed hashes of emailed / texted codes.
    CodeHash,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Trust => b"mfa-gateway/trust/v1",
            Purpose::Binding => b"mfa-gateway/binding/v1",
            Purpose::PreLogin => b"mfa-gateway/pre-login/v1",
            Purpose::Csrf => b"mfa-gateway/csrf/v1",
            Purpose::CodeHash => b"mfa-gateway/code/v1",
        }
    }
}

/// Why a token was refused. Deliberately coarse: callers treat all of them the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token is malformed")]
    Malformed,
    #[error("token was signed with a key that is no longer listed")]
    UnknownKey,
    #[error("token signature does not match")]
    BadSignature,
}

/// The cookie-signing keys, current first.
pub struct KeyRing {
    keys: Vec<(String, hmac::Key)>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "KeyRing {{ ids: {ids:?} }}")
    }
}

impl KeyRing {
    /// Builds the ring; `keys` must be non-empty (the config validation guarantees it).
    pub fn new(keys: &[NamedKey]) -> Self {
        KeyRing {
            keys: keys
                .iter()
                .map(|k| (k.id.clone(), hmac::Key::new(hmac::HMAC_SHA256, &k.bytes)))
                .collect(),
        }
    }

    fn current(&self) -> Option<&(String, hmac::Key)> {
        self.keys.first()
    }

    fn tag(key: &hmac::Key, purpose: Purpose, kid: &str, payload: &[u8]) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(key);
        ctx.update(purpose.label());
        ctx.update(&[0]);
        ctx.update(kid.as_bytes());
        ctx.update(&[0]);
        ctx.update(payload);
        ctx.sign()
    }

    /// Signs `payload` with the current key.
    pub fn sign(&self, purpose: Purpose, payload: &[u8]) -> String {
        let Some((kid, key)) = self.current() else {
            // An empty ring cannot be configured; produce a token that never verifies.
            return String::from("-.-.-");
        };
        let tag = Self::tag(key, purpose, kid, payload);
        let mut out = String::with_capacity(kid.len() + 2 + payload.len() * 4 / 3 + 48);
        out.push_str(kid);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut out);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(tag.as_ref(), &mut out);
        out
    }

    /// Verifies a token and returns its payload.
    pub fn verify(&self, purpose: Purpose, token: &str) -> Result<Vec<u8>, TokenError> {
        // The whole token is longer than its payload part, so this always has room.
        let mut buf = vec![0u8; (token.len() / 4 * 3 + 3).min(MAX_PAYLOAD_BYTES)];
        let len = self.verify_in(purpose, token, &mut buf)?.len();
        buf.truncate(len);
        Ok(buf)
    }

    /// Verifies a token and returns its payload decoded into `buf`: the allocation-free form
    /// the proxy uses for the binding cookie on every request. A payload larger than `buf`
    /// is refused as malformed, so callers size `buf` for the largest payload they accept.
    pub fn verify_in<'b>(
        &self,
        purpose: Purpose,
        token: &str,
        buf: &'b mut [u8],
    ) -> Result<&'b [u8], TokenError> {
        let mut parts = token.splitn(3, '.');
        let (Some(kid), Some(payload_b64), Some(mac_b64)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        // Bounded before decoding so a huge cookie costs nothing.
        if payload_b64.len() > MAX_PAYLOAD_B64 || mac_b64.len() != 43 {
            return Err(TokenError::Malformed);
        }
        let (_, key) = self
            .keys
            .iter()
            .find(|(id, _)| id == kid)
            .ok_or(TokenError::UnknownKey)?;
        // The engine refuses padding and non-zero trailing bits, so each byte string has exactly
        // one accepted spelling: no alternative encodings of one token.
        let len = URL_SAFE_NO_PAD
            .decode_slice(payload_b64, buf)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = [0u8; 33];
        let mac_len = URL_SAFE_NO_PAD
            .decode_slice(mac_b64, &mut mac)
            .map_err(|_| TokenError::Malformed)?;
        let payload = &buf[..len];
        let expected = Self::tag(key, purpose, kid, payload);
        if mac_len != 32 || !constant_time_eq(expected.as_ref(), &mac[..32]) {
            return Err(TokenError::BadSignature);
        }
        Ok(payload)
    }

    /// A keyed digest with the current key (e.g. of an emailed code), base64url.
    pub fn digest(&self, purpose: Purpose, data: &[u8]) -> String {
        match self.current() {
            Some((kid, key)) => URL_SAFE_NO_PAD.encode(Self::tag(key, purpose, kid, data).as_ref()),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(ids: &[(&str, u8)]) -> KeyRing {
        KeyRing::new(
            &ids.iter()
                .map(|(id, b)| NamedKey {
                    id: id.to_string(),
                    bytes: vec![*b; 32],
                })
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn round_trip_and_purpose_separation() {
        let r = ring(&[("k1", 1)]);
        let t = r.sign(Purpose::Trust, b"hello");
        assert_eq!(r.verify(Purpose::Trust, &t).unwrap(), b"hello");
        assert_eq!(
            r.verify(Purpose::Binding, &t),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn rotation_keeps_old_keys_until_removed() {
        let old = ring(&[("k1", 1)]);
        let t = old.sign(Purpose::Trust, b"x");
        let rotated = ring(&[("k2", 2), ("k1", 1)]);
        assert!(rotated.verify(Purpose::Trust, &t).is_ok());
        assert!(rotated.sign(Purpose::Trust, b"x").starts_with("k2."));
        let removed = ring(&[("k2", 2)]);
        assert_eq!(
            removed.verify(Purpose::Trust, &t),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn one_spelling_per_token() {
        let r = ring(&[("k1", 1)]);
        // Two payload bytes leave four unused bits in the last base64 character: setting one
        // of them spells the same bytes differently, which must not verify.
        let t = r.sign(Purpose::Binding, b"hi");
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts[1], "aGk");
        let respelled = format!("{}.aGl.{}", parts[0], parts[2]);
        assert_eq!(
            r.verify(Purpose::Binding, &respelled),
            Err(TokenError::Malformed)
        );
        let padded = format!("{}.aGk=.{}", parts[0], parts[2]);
        assert_eq!(
            r.verify(Purpose::Binding, &padded),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn payload_bounds() {
        let r = ring(&[("k1", 1)]);
        let largest = vec![5u8; MAX_PAYLOAD_BYTES];
        let t = r.sign(Purpose::Trust, &largest);
        let mut buf = [0u8; MAX_PAYLOAD_BYTES];
        assert_eq!(
            r.verify_in(Purpose::Trust, &t, &mut buf).unwrap(),
            &largest[..]
        );
        let too_large = r.sign(Purpose::Trust, &vec![5u8; MAX_PAYLOAD_BYTES + 1]);
        assert_eq!(
            r.verify(Purpose::Trust, &too_large),
            Err(TokenError::Malformed)
        );
        let empty = r.sign(Purpose::Csrf, b"");
        assert_eq!(r.verify(Purpose::Csrf, &empty).unwrap(), b"");
    }

    #[test]
    fn tampering_is_detected() {
        let r = ring(&[("k1", 1)]);
        let t = r.sign(Purpose::Trust, b"payload");
        let mut parts: Vec<String> = t.split('.').map(String::from).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(b"pAyload");
        assert_eq!(
            r.verify(Purpose::Trust, &parts.join(".")),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            r.verify(Purpose::Trust, &t[..t.len() - 1]),
            Err(TokenError::Malformed)
        );
        assert_eq!(r.verify(Purpose::Trust, "k1.."), Err(TokenError::Malformed));
        assert_eq!(
            r.verify(Purpose::Trust, "garbage"),
            Err(TokenError::Malformed)
        );
        // Same kid, different key material: a forged MAC.
        let forged = ring(&[("k1", 9)]).sign(Purpose::Trust, b"payload");
        assert_eq!(
            r.verify(Purpose::Trust, &forged),
            Err(TokenError::BadSignature)
        );
    }
}
