//! Encryption of TOTP secrets at rest (AES-256-GCM from ring) with a key ring for rotation.
//!
//! A sealed secret is self-describing text, `v1:<key id>:<base64url(nonce || ciphertext+tag)>`,
//! so a stored value says which key opens it and old values keep working while a new key is
//! rolled out. The member's login is the additional authenticated data: a ciphertext copied
//! into another member's row fails to open instead of silently granting that member the
//! first member's authenticator.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use crate::config::NamedKey;
use crate::store::{StoreError, StoreResult};

/// Prefix naming the format version of a sealed secret.
const FORMAT_PREFIX: &str = "v1:";

/// Why a key ring was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyRingError {
    /// At least one key is needed to seal new secrets.
    #[error("the secret key ring is empty")]
    Empty,
    /// AES-256 needs exactly 32 key bytes.
    #[error("secret key {id:?} has {len} bytes; AES-256-GCM needs exactly 32")]
    BadLength { id: String, len: usize },
    /// Ids must be unique, or a sealed value could not say which key opens it.
    #[error("secret key id {0:?} appears more than once")]
    DuplicateId(String),
    /// Ids are embedded in `v1:<id>:<data>`; empty ids or ids with `:` would be ambiguous.
    #[error("secret key id {0:?} must be non-empty and must not contain ':'")]
    BadId(String),
}

/// One usable key of the ring.
struct RingKey {
    id: String,
    key: LessSafeKey,
}

/// Seals and opens TOTP secrets with a key ring whose first key is the current one.
pub struct SecretCipher {
    keys: Vec<RingKey>,
    rng: SystemRandom,
}

impl std::fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only key ids: key bytes never reach logs or debug output.
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("SecretCipher")
            .field("key_ids", &ids)
            .finish()
    }
}

impl SecretCipher {
    /// Builds a cipher from the configured ring (first key = current, the rest only open).
    pub fn new(keys: &[NamedKey]) -> Result<Self, KeyRingError> {
        if keys.is_empty() {
            return Err(KeyRingError::Empty);
        }
        let mut ring_keys: Vec<RingKey> = Vec::with_capacity(keys.len());
        for named in keys {
            if named.id.is_empty() || named.id.contains(':') {
                return Err(KeyRingError::BadId(named.id.clone()));
            }
            if ring_keys.iter().any(|k| k.id == named.id) {
                return Err(KeyRingError::DuplicateId(named.id.clone()));
            }
            let unbound = UnboundKey::new(&AES_256_GCM, &named.bytes).map_err(|_| {
                KeyRingError::BadLength {
                    id: named.id.clone(),
                    len: named.bytes.len(),
                }
            })?;
            ring_keys.push(RingKey {
                id: named.id.clone(),
                key: LessSafeKey::new(unbound),
            });
        }
        Ok(SecretCipher {
            keys: ring_keys,
            rng: SystemRandom::new(),
        })
    }

    /// Id of the key new secrets are sealed with.
    pub fn current_key_id(&self) -> &str {
        // `new` refuses an empty ring, so index 0 always exists; `map_or` keeps this panic-free.
        self.keys.first().map_or("", |k| k.id.as_str())
    }

    /// Encrypts `plaintext` for `login` under the current key with a fresh random nonce.
    pub fn seal(&self, login: &str, plaintext: &[u8]) -> StoreResult<String> {
        let current = self
            .keys
            .first()
            .ok_or_else(|| StoreError::Unavailable("secret key ring is empty".into()))?;
        let mut nonce_bytes = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce_bytes)
            .map_err(|_| StoreError::Unavailable("system random generator failed".into()))?;
        let mut in_out = plaintext.to_vec();
        current
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(login.as_bytes()),
                &mut in_out,
            )
            .map_err(|_| StoreError::Unavailable("secret encryption failed".into()))?;
        let mut payload = Vec::with_capacity(NONCE_LEN + in_out.len());
        payload.extend_from_slice(&nonce_bytes);
        payload.extend_from_slice(&in_out);
        Ok(format!(
            "{FORMAT_PREFIX}{}:{}",
            current.id,
            URL_SAFE_NO_PAD.encode(payload)
        ))
    }

    /// Decrypts a value produced by [`SecretCipher::seal`] for the same `login`, with whichever
    /// listed key sealed it. A missing key, a different login or tampering give
    /// [`StoreError::Decrypt`] naming the key id; malformed text gives [`StoreError::Corrupt`].
    pub fn open(&self, login: &str, sealed: &str) -> StoreResult<Vec<u8>> {
        let (key_id, encoded) = split_sealed(sealed)?;
        let ring_key = self
            .keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or_else(|| StoreError::Decrypt(key_id.to_string()))?;
        let payload = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| StoreError::Corrupt("sealed secret is not valid base64url".into()))?;
        if payload.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(StoreError::Corrupt("sealed secret is too short".into()));
        }
        let (nonce_part, ciphertext) = payload.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce_part)
            .map_err(|_| StoreError::Corrupt("sealed secret has a bad nonce".into()))?;
        let mut in_out = ciphertext.to_vec();
        let plaintext = ring_key
            .key
            .open_in_place(nonce, Aad::from(login.as_bytes()), &mut in_out)
            .map_err(|_| StoreError::Decrypt(key_id.to_string()))?;
        Ok(plaintext.to_vec())
    }

    /// `true` when `sealed` was not sealed with the current key (or cannot be parsed), so the
    /// caller should re-seal it on use and old keys can eventually leave the ring.
    pub fn needs_reseal(&self, sealed: &str) -> bool {
        match split_sealed(sealed) {
            Ok((key_id, _)) => key_id != self.current_key_id(),
            Err(_) => true,
        }
    }
}

/// Splits `v1:<key id>:<data>` into key id and data.
fn split_sealed(sealed: &str) -> StoreResult<(&str, &str)> {
    let rest = sealed
        .strip_prefix(FORMAT_PREFIX)
        .ok_or_else(|| StoreError::Corrupt("sealed secret has an unknown format".into()))?;
    // Key ids never contain ':' and base64url never does either, so the split is unambiguous.
    rest.split_once(':')
        .filter(|(id, data)| !id.is_empty() && !data.is_empty())
        .ok_or_else(|| StoreError::Corrupt("sealed secret has an unknown format".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, fill: u8) -> NamedKey {
        NamedKey {
            id: id.to_string(),
            bytes: vec![fill; 32],
        }
    }

    fn cipher(keys: &[NamedKey]) -> SecretCipher {
        SecretCipher::new(keys).expect("valid test ring")
    }

    #[test]
    fn seal_then_open_round_trips_and_uses_fresh_nonces() {
        let c = cipher(&[key("k1", 1)]);
        let secret = b"12345678901234567890";
        let a = c.seal("alice", secret).unwrap();
        let b = c.seal("alice", secret).unwrap();
        assert!(a.starts_with("v1:k1:"), "{a}");
        assert_ne!(a, b, "two seals of one secret must differ (random nonce)");
        assert_eq!(c.open("alice", &a).unwrap(), secret);
        assert_eq!(c.open("alice", &b).unwrap(), secret);
        assert!(!c.needs_reseal(&a));
    }

    #[test]
    fn another_login_cannot_open() {
        let c = cipher(&[key("k1", 1)]);
        let sealed = c.seal("alice", b"secret").unwrap();
        match c.open("bob", &sealed) {
            Err(StoreError::Decrypt(id)) => assert_eq!(id, "k1"),
            other => panic!("expected Decrypt, got {other:?}"),
        }
    }

    #[test]
    fn tampering_is_detected() {
        let c = cipher(&[key("k1", 1)]);
        let sealed = c.seal("alice", b"secret-bytes").unwrap();
        let (head, data) = sealed.rsplit_once(':').unwrap();
        let mut raw = URL_SAFE_NO_PAD.decode(data).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 0x01;
        let forged = format!("{head}:{}", URL_SAFE_NO_PAD.encode(raw));
        assert!(matches!(
            c.open("alice", &forged),
            Err(StoreError::Decrypt(_))
        ));
    }

    #[test]
    fn rotation_opens_old_keys_and_flags_reseal() {
        let old = cipher(&[key("k1", 1)]);
        let sealed = old.seal("alice", b"secret").unwrap();
        let rotated = cipher(&[key("k2", 2), key("k1", 1)]);
        assert_eq!(rotated.open("alice", &sealed).unwrap(), b"secret");
        assert!(rotated.needs_reseal(&sealed));
        let resealed = rotated.seal("alice", b"secret").unwrap();
        assert!(resealed.starts_with("v1:k2:"));
        assert!(!rotated.needs_reseal(&resealed));
        let only_new = cipher(&[key("k2", 2)]);
        match only_new.open("alice", &sealed) {
            Err(StoreError::Decrypt(id)) => assert_eq!(id, "k1"),
            other => panic!("expected Decrypt, got {other:?}"),
        }
    }

    #[test]
    fn a_key_with_the_same_id_but_other_bytes_fails() {
        let sealed = cipher(&[key("k1", 1)]).seal("alice", b"secret").unwrap();
        let impostor = cipher(&[key("k1", 9)]);
        assert!(matches!(
            impostor.open("alice", &sealed),
            Err(StoreError::Decrypt(_))
        ));
    }

    #[test]
    fn malformed_values_are_corrupt_not_panics() {
        let c = cipher(&[key("k1", 1)]);
        // Unparseable headers: corrupt, and flagged for re-sealing.
        for bad in ["", "v1:", "v1:k1:", "v2:k1:AAAA", "plain", "v1::AAAA"] {
            assert!(
                matches!(c.open("alice", bad), Err(StoreError::Corrupt(_))),
                "{bad:?}"
            );
            assert!(c.needs_reseal(bad), "{bad:?}");
        }
        // A good header with a broken payload: still corrupt.
        for bad in ["v1:k1:!!!", "v1:k1:AAAA"] {
            assert!(
                matches!(c.open("alice", bad), Err(StoreError::Corrupt(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bad_rings_are_refused() {
        assert_eq!(SecretCipher::new(&[]).unwrap_err(), KeyRingError::Empty);
        let short = NamedKey {
            id: "s".into(),
            bytes: vec![0; 16],
        };
        assert!(matches!(
            SecretCipher::new(&[short]),
            Err(KeyRingError::BadLength { len: 16, .. })
        ));
        let dup = SecretCipher::new(&[key("k", 1), key("k", 2)]).unwrap_err();
        assert_eq!(dup, KeyRingError::DuplicateId("k".into()));
        assert_eq!(
            SecretCipher::new(&[key("a:b", 1)]).unwrap_err(),
            KeyRingError::BadId("a:b".into())
        );
        assert_eq!(
            SecretCipher::new(&[key("", 1)]).unwrap_err(),
            KeyRingError::BadId(String::new())
        );
    }

    #[test]
    fn debug_output_shows_ids_only() {
        let c = cipher(&[NamedKey {
            id: "k1".into(),
            bytes: vec![0xAB; 32],
        }]);
        let shown = format!("{c:?}");
        assert!(shown.contains("k1"));
        assert!(
            !shown.contains("171") && !shown.to_lowercase().contains("ab, "),
            "{shown}"
        );
    }
}
