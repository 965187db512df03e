//! Fuzzes the streaming login-form field extractor (`http::login_form::FormFieldExtractor`).
//!
//! The extractor reads the username out of the login body as it streams past in whatever
//! chunks the network delivers, and the gateway verifies MFA for the member it names: if the
//! answer depended on chunk boundaries, an attacker could make the gateway check one member
//! while the legacy app logs in another. So, besides never panicking:
//!
//! * chunking invariance: the body fed in fuzz-chosen chunks, and byte by byte, gives exactly
//!   the result of feeding it whole;
//! * agreement with the reference `form_urlencoded` parser: a username is returned only when the
//!   field occurs exactly once and it is that occurrence's value; an absent field is `Missing`
//!   (or `TooLarge`), never a value; a repeated field is never a value;
//! * an accepted username is non-blank and free of control characters.
//!
//! Input layout: `[config, split count, split offsets…, body…]`; `config` picks the field name
//! and the body limit.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_gateway::http::login_form::{ExtractError, FormFieldExtractor};

/// Field names as configs spell them: plain, short, mixed case, with a space (sent as `+`).
const FIELDS: [&str; 4] = ["username", "u", "UserName", "user name"];
/// Body limits: small enough that `TooLarge` is reached, and the configured default.
const LIMITS: [usize; 4] = [16, 256, 4096, 65536];
/// Most split points taken from the input.
const MAX_SPLITS: usize = 8;

fn extract(field: &str, limit: usize, chunks: &[&[u8]]) -> Result<String, ExtractError> {
    let mut extractor = FormFieldExtractor::new(field, limit);
    for chunk in chunks {
        extractor.feed(chunk);
    }
    extractor.finish()
}

/// Splits `body` at the offsets (taken modulo its length, sorted), empty chunks included.
fn split_at_offsets<'a>(body: &'a [u8], offsets: &[u8]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = offsets
        .iter()
        .map(|&o| usize::from(o) * body.len() / 255)
        .collect();
    cuts.sort_unstable();
    let mut chunks = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        chunks.push(&body[start..cut]);
        start = cut;
    }
    chunks.push(&body[start..]);
    chunks
}

/// Compares with the reference parser. Its lossy UTF-8 decoding agrees with the extractor's
/// strict decoding whenever the latter succeeds, and the fuzzed field names have no U+FFFD.
fn check_against_reference(
    field: &str,
    limit: usize,
    body: &[u8],
    result: &Result<String, ExtractError>,
) {
    let values: Vec<String> = form_urlencoded::parse(body)
        .filter(|(key, _)| key == field)
        .map(|(_, value)| value.into_owned())
        .collect();
    match result {
        Ok(username) => {
            assert!(body.len() <= limit, "username read from an over-limit body");
            assert_eq!(
                values.len(),
                1,
                "username returned but the field occurs {} times",
                values.len()
            );
            assert_eq!(
                &values[0], username,
                "extractor and reference disagree on the value"
            );
            assert!(!username.trim().is_empty(), "blank username accepted");
            assert!(
                !username.chars().any(char::is_control),
                "control character accepted"
            );
        }
        Err(ExtractError::Duplicate) => {
            assert!(
                values.len() >= 2,
                "Duplicate reported for a field seen {} times",
                values.len()
            )
        }
        Err(ExtractError::Missing) => assert!(
            values.iter().all(|v| v.trim().is_empty()),
            "Missing reported but the reference found {values:?}"
        ),
        Err(ExtractError::TooLarge) => {
            assert!(body.len() > limit, "TooLarge for a body within the limit")
        }
        Err(ExtractError::Malformed) => {
            assert!(!values.is_empty(), "Malformed for an absent field")
        }
        Err(ExtractError::UnsupportedContentType) => panic!("content type error from a form body"),
    }
}

fuzz_target!(|data: &[u8]| {
    let [config, split_count, rest @ ..] = data else {
        return;
    };
    let splits = (usize::from(*split_count) % (MAX_SPLITS + 1)).min(rest.len());
    let (offsets, body) = rest.split_at(splits);
    let field = FIELDS[usize::from(config & 0x03)];
    let limit = LIMITS[usize::from((config >> 2) & 0x03)];

    let whole = extract(field, limit, &[body]);
    let chunked = extract(field, limit, &split_at_offsets(body, offsets));
    assert_eq!(chunked, whole, "chunking changed the result");
    let bytewise: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(
        extract(field, limit, &bytewise),
        whole,
        "byte-by-byte feeding changed the result"
    );
    check_against_reference(field, limit, body, &whole);
});
