//! What the trust and session-binding cookies say, and their compact binary encoding.
//!
//! * Trust (per device): member, device id, issued, expires, enrollment epoch. Valid only for
//!   that member and epoch, so a support reset (epoch bump) revokes every device at once.
//! * Binding: ties the upstream session cookie values (hashed) to the member who passed MFA;
//!   the proxy checks it on every request, so decoding is allocation-light and bounds-checked.

use ring::digest;

use super::tokens::{KeyRing, Purpose};

const VERSION: u8 = 1;
/// Longest member id a cookie may carry.
const MAX_USER_BYTES: usize = 512;
/// Largest binding payload: version, digest, expiry, epoch and the longest member id.
const BINDING_MAX_BYTES: usize = 1 + 32 + 8 + 8 + MAX_USER_BYTES;

/// A remembered device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustClaims {
    pub user: String,
    pub device_id: [u8; 16],
    pub issued: i64,
    pub expires: i64,
    pub epoch: u64,
}

/// A session that passed MFA (or logged in before enforcement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingClaims {
    pub user: String,
    /// SHA-256 of the upstream session cookie values (see [`session_digest`]).
    pub session_digest: [u8; 32],
    pub expires: i64,
    pub epoch: u64,
}

/// SHA-256 over `name=value\n` of the session cookies, in the configured order.
pub fn session_digest<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for (name, value) in pairs {
        ctx.update(name.as_bytes());
        ctx.update(b"=");
        ctx.update(value.as_bytes());
        ctx.update(b"\n");
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Some(head)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
    }
    fn i64(&mut self) -> Option<i64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(i64::from_be_bytes)
    }
    fn user(self) -> Option<&'a str> {
        if self.buf.is_empty() || self.buf.len() > MAX_USER_BYTES {
            return None;
        }
        std::str::from_utf8(self.buf).ok()
    }
}

impl TrustClaims {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(41 + self.user.len());
        out.push(VERSION);
        out.extend_from_slice(&self.device_id);
        out.extend_from_slice(&self.issued.to_be_bytes());
        out.extend_from_slice(&self.expires.to_be_bytes());
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(self.user.as_bytes());
        out
    }

    fn decode(buf: &[u8]) -> Option<Self> {
        let mut r = Reader { buf };
        if r.take(1)? != [VERSION] {
            return None;
        }
        let device_id = r.take(16)?.try_into().ok()?;
        let issued = r.i64()?;
        let expires = r.i64()?;
        let epoch = r.u64()?;
        Some(TrustClaims {
            user: r.user()?.to_owned(),
            device_id,
            issued,
            expires,
            epoch,
        })
    }

    /// Signs the claims into a cookie value.
    pub fn seal(&self, keys: &KeyRing) -> String {
        keys.sign(Purpose::Trust, &self.encode())
    }

    /// Verifies a cookie value and checks it has not expired at `now`.
    pub fn open(keys: &KeyRing, token: &str, now: i64) -> Option<Self> {
        let claims = Self::decode(&keys.verify(Purpose::Trust, token).ok()?)?;
        (claims.expires > now && claims.issued <= now + 300).then_some(claims)
    }
}

impl BindingClaims {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(49 + self.user.len());
        out.push(VERSION);
        out.extend_from_slice(&self.session_digest);
        out.extend_from_slice(&self.expires.to_be_bytes());
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(self.user.as_bytes());
        out
    }

    /// Reads the fields without copying the member id, so a binding that is refused (expired,
    /// or for other session cookies) costs no allocation.
    fn decode_borrowed(buf: &[u8]) -> Option<([u8; 32], i64, u64, &str)> {
        let mut r = Reader { buf };
        if r.take(1)? != [VERSION] {
            return None;
        }
        let session_digest = r.take(32)?.try_into().ok()?;
        let expires = r.i64()?;
        let epoch = r.u64()?;
        Some((session_digest, expires, epoch, r.user()?))
    }

    /// Signs the claims into a cookie value.
    pub fn seal(&self, keys: &KeyRing) -> String {
        keys.sign(Purpose::Binding, &self.encode())
    }

    /// Verifies a cookie value, its expiry at `now`, and that it binds exactly `digest`.
    ///
    /// This runs on every request of a bound session: the payload is decoded into a stack
    /// buffer and the member id is copied only once the binding is accepted.
    pub fn open(keys: &KeyRing, token: &str, now: i64, digest: &[u8; 32]) -> Option<Self> {
        let mut buf = [0u8; BINDING_MAX_BYTES];
        let payload = keys.verify_in(Purpose::Binding, token, &mut buf).ok()?;
        let (session_digest, expires, epoch, user) = Self::decode_borrowed(payload)?;
        // The digest is not secret (the client holds the cookie values), so a plain comparison
        // leaks nothing an attacker could not compute.
        (expires > now && &session_digest == digest).then(|| BindingClaims {
            user: user.to_owned(),
            session_digest,
            expires,
            epoch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NamedKey;

    fn keys() -> KeyRing {
        KeyRing::new(&[NamedKey {
            id: "k1".into(),
            bytes: vec![7; 32],
        }])
    }

    fn trust(user: &str, expires: i64) -> TrustClaims {
        TrustClaims {
            user: user.into(),
            device_id: [3; 16],
            issued: 100,
            expires,
            epoch: 2,
        }
    }

    #[test]
    fn trust_round_trip_and_expiry() {
        let k = keys();
        let t = trust("jdoe", 1000).seal(&k);
        assert_eq!(TrustClaims::open(&k, &t, 999), Some(trust("jdoe", 1000)));
        assert_eq!(TrustClaims::open(&k, &t, 1000), None);
    }

    #[test]
    fn trust_cookie_is_not_a_binding() {
        let k = keys();
        let t = trust("jdoe", 1000).seal(&k);
        assert_eq!(BindingClaims::open(&k, &t, 0, &[0; 32]), None);
    }

    #[test]
    fn binding_checks_digest() {
        let k = keys();
        let d = session_digest([("SID", "abc")]);
        let b = BindingClaims {
            user: "jdoe".into(),
            session_digest: d,
            expires: 50,
            epoch: 0,
        }
        .seal(&k);
        assert!(BindingClaims::open(&k, &b, 10, &d).is_some());
        assert!(BindingClaims::open(&k, &b, 10, &session_digest([("SID", "abd")])).is_none());
        assert!(BindingClaims::open(&k, &b, 60, &d).is_none());
    }

    #[test]
    fn binding_user_length_limits() {
        let k = keys();
        let d = session_digest([("SID", "abc")]);
        let bind = |user: String| BindingClaims {
            user,
            session_digest: d,
            expires: 50,
            epoch: 1,
        };
        let longest = bind("u".repeat(MAX_USER_BYTES));
        assert_eq!(
            BindingClaims::open(&k, &longest.seal(&k), 10, &d),
            Some(longest)
        );
        let too_long = bind("u".repeat(MAX_USER_BYTES + 1)).seal(&k);
        assert_eq!(BindingClaims::open(&k, &too_long, 10, &d), None);
        assert_eq!(
            BindingClaims::open(&k, &bind(String::new()).seal(&k), 10, &d),
            None
        );
    }

    #[test]
    fn truncated_payloads_are_rejected() {
        let full = trust("jdoe", 10).encode();
        for n in 0..full.len() - 4 {
            assert!(TrustClaims::decode(&full[..n]).is_none(), "len {n}");
        }
        let binding = BindingClaims {
            user: "jdoe".into(),
            session_digest: [1; 32],
            expires: 10,
            epoch: 0,
        }
        .encode();
        for n in 0..binding.len() - 4 {
            assert!(
                BindingClaims::decode_borrowed(&binding[..n]).is_none(),
                "len {n}"
            );
        }
    }
}
