//! Authenticator-app codes (RFC 6238): SHA-1, 6 digits, 30-second steps — the parameters Google
//! Authenticator, Microsoft Authenticator and FreeOTP all honour.
//!
//! Verification returns the matching time *step*, not a yes/no: the caller then records that
//! step atomically and accepts only a later one, which makes every code single use.

use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per TOTP step.
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Secret length in bytes (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

/// Why a TOTP could not be built.
#[derive(Debug, thiserror::Error)]
#[error("invalid TOTP parameters: {0}")]
pub struct TotpError(String);

/// A fresh random secret from the operating system's CSPRNG.
pub fn generate_secret() -> Result<Vec<u8>, TotpError> {
    let mut secret = vec![0u8; SECRET_BYTES];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
        .map_err(|_| TotpError("the system random generator failed".into()))?;
    Ok(secret)
}

fn build(
    secret: &[u8],
    digits: usize,
    issuer: Option<String>,
    account: String,
) -> Result<TOTP, TotpError> {
    TOTP::new(
        Algorithm::SHA1,
        digits,
        0,
        STEP_SECS,
        secret.to_vec(),
        issuer,
        account,
    )
    .map_err(|e| TotpError(e.to_string()))
}

/// Finds the step within `skew` steps of `now` whose code equals `code`.
/// Compares every candidate in constant time and without early exit.
pub fn matching_step(
    secret: &[u8],
    code: &str,
    now_unix: u64,
    skew: u8,
    digits: usize,
) -> Option<u64> {
    if code.len() != digits || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = build(secret, digits, None, String::from("x")).ok()?;
    let current = now_unix / STEP_SECS;
    let mut found = None;
    let skew = u64::from(skew);
    for step in current.saturating_sub(skew)..=current.saturating_add(skew) {
        let candidate = totp.generate(step * STEP_SECS);
        if ring_eq(candidate.as_bytes(), code.as_bytes()) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

fn ring_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The code for `now` (used by tests and the demo's self-check, never shown to members).
pub fn code_at(secret: &[u8], now_unix: u64) -> Result<String, TotpError> {
    Ok(build(secret, DIGITS, None, String::from("x"))?.generate(now_unix))
}

/// The `otpauth://totp/Issuer:account?secret=…&issuer=…` URI for authenticator apps.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> Result<String, TotpError> {
    // `:` separates issuer and account in the label, so it may not appear in either.
    let issuer = issuer.replace(':', " ");
    let account = account.replace(':', " ");
    Ok(build(secret, DIGITS, Some(issuer), account)?.get_url())
}

/// The base32 key in groups of four for typing by hand.
pub fn grouped_base32(secret: &[u8]) -> String {
    let encoded = Secret::Raw(secret.to_vec()).to_encoded().to_string();
    encoded
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders the otpauth URI as an SVG QR code (no external service sees the secret).
pub fn qr_svg(uri: &str) -> Result<String, TotpError> {
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| TotpError(e.to_string()))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 column (8 digits, secret "12345678901234567890").
    const RFC6238_SHA1: [(u64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc6238_appendix_b_vectors_verify() {
        let secret = b"12345678901234567890";
        for (time, code) in RFC6238_SHA1 {
            assert_eq!(
                matching_step(secret, code, time, 0, 8),
                Some(time / 30),
                "t={time}"
            );
            // The 6-digit code members type is the same value mod 10^6.
            assert_eq!(
                matching_step(secret, &code[2..], time, 0, 6),
                Some(time / 30),
                "t={time}"
            );
        }
    }

    #[test]
    fn skew_accepts_neighbouring_steps_only() {
        let secret = [9u8; 20];
        let now = 1_700_000_000;
        let prev = code_at(&secret, now - 30).unwrap();
        let far = code_at(&secret, now - 90).unwrap();
        assert_eq!(matching_step(&secret, &prev, now, 1, 6), Some(now / 30 - 1));
        assert_eq!(matching_step(&secret, &far, now, 1, 6), None);
    }

    #[test]
    fn malformed_codes_never_match() {
        let secret = [1u8; 20];
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(matching_step(&secret, bad, 1_700_000_000, 1, 6), None);
        }
    }

    #[test]
    fn uri_and_grouping() {
        let uri = otpauth_uri(&[0u8; 20], "Smart MLS", "jdoe").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Smart%20MLS:jdoe?secret=AAAAAAAA"),
            "{uri}"
        );
        assert!(uri.contains("issuer=Smart%20MLS"));
        assert_eq!(
            grouped_base32(&[0u8; 20]),
            "AAAA AAAA AAAA AAAA AAAA AAAA AAAA AAAA"
        );
        assert!(qr_svg(&uri).unwrap().starts_with("<?xml"));
    }
}
