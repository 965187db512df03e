//! Fuzzes the signed-cookie decoder and verifier (`mfa::tokens::KeyRing`) and the claims
//! decoders behind the trust and session-binding cookies (`mfa::claims`).
//!
//! Every gateway cookie and CSRF token passes through `KeyRing::verify`, and the binding cookie
//! is checked on every proxied request, so the verifier sees attacker bytes constantly. Each
//! input is used three ways:
//!
//! 1. As a cookie value, verified for every purpose and opened as trust and binding claims:
//!    nothing may panic, and anything accepted must be exactly what signing its payload gives
//!    (one spelling per token; a forger cannot re-encode an accepted token).
//! 2. As a payload: sign → verify must return it for the same purpose only, and a one-byte
//!    change, a truncation or an extension of the signed token must be refused.
//! 3. As an authentic payload of the claims decoders (signed with the fuzz key ring), so the
//!    binary claim formats are fuzzed behind a valid MAC: whatever decodes must re-seal to the
//!    same token and be unexpired.
//!
//! Input layout for 2 and 3: `[purpose selector, position (2 bytes), replacement, payload…]`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_gateway::config::NamedKey;
use mfa_gateway::mfa::claims::{BindingClaims, TrustClaims};
use mfa_gateway::mfa::tokens::{KeyRing, Purpose, TokenError, MAX_PAYLOAD_BYTES};

const PURPOSES: [Purpose; 4] = [
    Purpose::Trust,
    Purpose::Binding,
    Purpose::Csrf,
    Purpose::CodeHash,
];

/// "Now" for expiry checks; fixed so a crash reproduces.
const NOW: i64 = 1_700_000_000;

/// Bytes a tamperer would put into a cookie value: base64url, the separator, padding and the
/// characters of standard base64 and percent-encoding (alternative spellings of one token).
const TAMPER_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/% ";

fn named(id: &str, fill: u8) -> NamedKey {
    NamedKey {
        id: id.to_string(),
        bytes: vec![fill; 32],
    }
}

/// The ring the gateway would hold mid-rotation: `k2` signs, `k1` is still accepted.
fn rotating_ring() -> KeyRing {
    KeyRing::new(&[named("k2", 0x42), named("k1", 0x41)])
}

/// A ring holding only the key with `kid`, to re-sign what the rotating ring accepted.
fn single_ring(kid: &str) -> Option<KeyRing> {
    match kid {
        "k2" => Some(KeyRing::new(&[named("k2", 0x42)])),
        "k1" => Some(KeyRing::new(&[named("k1", 0x41)])),
        _ => None,
    }
}

/// Part 1: arbitrary text as a cookie value.
fn check_arbitrary_token(ring: &KeyRing, token: &str) {
    for purpose in PURPOSES {
        let verified = ring.verify(purpose, token);
        let mut small = [0u8; 64];
        let in_place = ring
            .verify_in(purpose, token, &mut small)
            .map(<[u8]>::to_vec);
        if let Ok(payload) = &verified {
            let kid = token.split('.').next().unwrap_or_default();
            let signer = single_ring(kid).expect("an accepted token names a listed key");
            assert_eq!(
                signer.sign(purpose, payload),
                token,
                "accepted token is not the canonical spelling of its payload"
            );
            if payload.len() <= small.len() {
                assert_eq!(in_place.as_ref(), Ok(payload), "verify_in disagrees");
            }
        } else {
            assert!(in_place.is_err(), "verify_in accepted what verify refused");
        }
    }
    if let Some(claims) = TrustClaims::open(ring, token, NOW) {
        check_trust(&claims, token);
    }
    if let Some(claims) = BindingClaims::open(ring, token, NOW, &[0; 32]) {
        check_binding(&claims, token, &[0; 32]);
    }
}

/// An opened trust cookie must be unexpired and re-seal to the very same token.
fn check_trust(claims: &TrustClaims, token: &str) {
    assert!(claims.expires > NOW, "expired trust cookie accepted");
    assert!(
        claims.issued <= NOW + 300,
        "trust cookie from the future accepted"
    );
    assert!(
        !claims.user.is_empty(),
        "trust cookie without a member accepted"
    );
    let kid = token.split('.').next().unwrap_or_default();
    let signer = single_ring(kid).expect("an accepted token names a listed key");
    assert_eq!(claims.seal(&signer), token, "trust claims do not re-seal");
}

/// An opened binding cookie must be unexpired, bind the digest asked for, and re-seal.
fn check_binding(claims: &BindingClaims, token: &str, digest: &[u8; 32]) {
    assert!(claims.expires > NOW, "expired binding accepted");
    assert_eq!(
        &claims.session_digest, digest,
        "binding for other cookies accepted"
    );
    assert!(!claims.user.is_empty(), "binding without a member accepted");
    let kid = token.split('.').next().unwrap_or_default();
    let signer = single_ring(kid).expect("an accepted token names a listed key");
    assert_eq!(claims.seal(&signer), token, "binding claims do not re-seal");
}

/// Part 2: sign → verify round trip and tamper detection.
fn check_round_trip(
    ring: &KeyRing,
    purpose: Purpose,
    position: usize,
    replacement: u8,
    payload: &[u8],
) {
    let token = ring.sign(purpose, payload);
    if payload.len() > MAX_PAYLOAD_BYTES {
        assert_eq!(ring.verify(purpose, &token), Err(TokenError::Malformed));
        return;
    }
    assert_eq!(
        ring.verify(purpose, &token).as_deref(),
        Ok(payload),
        "round trip failed"
    );
    for other in PURPOSES.into_iter().filter(|p| *p != purpose) {
        assert!(
            ring.verify(other, &token).is_err(),
            "token verified for another purpose"
        );
    }
    let old_only = KeyRing::new(&[named("k1", 0x41)]);
    assert_eq!(
        old_only.verify(purpose, &token),
        Err(TokenError::UnknownKey)
    );

    // One changed byte, anywhere, to anything a tamperer could send.
    let bytes = token.as_bytes();
    let index = position % bytes.len();
    let mut pick = usize::from(replacement) % TAMPER_ALPHABET.len();
    if TAMPER_ALPHABET[pick] == bytes[index] {
        pick = (pick + 1) % TAMPER_ALPHABET.len();
    }
    let mut tampered = bytes.to_vec();
    tampered[index] = TAMPER_ALPHABET[pick];
    let tampered = String::from_utf8(tampered).expect("ASCII stays UTF-8");
    for any in PURPOSES {
        assert!(
            ring.verify(any, &tampered).is_err(),
            "one-byte change at {index} still verifies: {tampered:?}"
        );
    }
    assert!(
        ring.verify(purpose, &token[..index]).is_err(),
        "truncated token verifies"
    );
    let mut extended = token.clone();
    extended.push(char::from(TAMPER_ALPHABET[pick]));
    assert!(
        ring.verify(purpose, &extended).is_err(),
        "extended token verifies"
    );
}

/// Part 3: the claims decoders behind a valid MAC.
fn check_claims_payload(ring: &KeyRing, payload: &[u8]) {
    let trust_token = ring.sign(Purpose::Trust, payload);
    if let Some(claims) = TrustClaims::open(ring, &trust_token, NOW) {
        check_trust(&claims, &trust_token);
    }
    let digest: [u8; 32] = payload
        .get(1..33)
        .and_then(|d| d.try_into().ok())
        .unwrap_or([0; 32]);
    let binding_token = ring.sign(Purpose::Binding, payload);
    if let Some(claims) = BindingClaims::open(ring, &binding_token, NOW, &digest) {
        check_binding(&claims, &binding_token, &digest);
    }
    // Purpose separation holds for claims too: neither opens as the other.
    assert!(BindingClaims::open(ring, &trust_token, NOW, &digest).is_none());
    assert!(TrustClaims::open(ring, &binding_token, NOW).is_none());
}

fuzz_target!(|data: &[u8]| {
    let ring = rotating_ring();
    check_arbitrary_token(&ring, &String::from_utf8_lossy(data));
    if let [selector, high, low, replacement, payload @ ..] = data {
        let purpose = PURPOSES[usize::from(*selector) % PURPOSES.len()];
        let position = usize::from(u16::from_be_bytes([*high, *low]));
        check_round_trip(&ring, purpose, position, *replacement, payload);
        check_claims_payload(&ring, payload);
    }
});
