//! An independent RFC 6238 implementation for the tests (ring's HMAC-SHA1 and RFC 4226's
//! dynamic truncation written out), so the gateway's TOTP code is checked against arithmetic
//! it does not share. `oathtool` is used as well when installed.

use ring::hmac;

/// Decodes RFC 4648 base32 (no padding, upper case, spaces ignored).
pub fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .expect("base32 char") as u64;
        bits = (bits << 5) | v;
        nbits += 5;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
        }
    }
    out
}

/// The 6-digit code for `secret` at time step `step`.
pub fn code_at_step(secret: &[u8], step: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let offset = (mac[19] & 0x0f) as usize;
    let bin = ((u32::from(mac[offset]) & 0x7f) << 24)
        | (u32::from(mac[offset + 1]) << 16)
        | (u32::from(mac[offset + 2]) << 8)
        | u32::from(mac[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// Current Unix step.
pub fn current_step() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        / 30
}

/// Extracts the `secret=` parameter from an otpauth URI.
pub fn secret_from_uri(uri: &str) -> Vec<u8> {
    let query = uri.split_once('?').expect("query").1;
    let secret = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("secret="))
        .expect("secret param");
    base32_decode(secret)
}

/// Cross-checks with `oathtool` when it is installed (Debian package `oathtool`).
pub fn oathtool_code(base32: &str) -> Option<String> {
    let out = std::process::Command::new("oathtool")
        .args(["--totp", "-b", base32])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
