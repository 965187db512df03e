//! A replaced method is announced by email: after a support reset, the member's next set-up
//! sends a change notice to the address on file, with neither a code nor the new secret in it.
//!
//! A child module of `suites/enrollment_policy_cases.rs`, whose helpers it uses, so it runs in
//! every binary that includes that suite (`tests/enrollment_policy.rs`, `tests/legacy_*.rs`).

use serde_json::json;

use super::{audited, enroll_app_with_email_proof, nth_mail, proof_options, six_digits, smtp};
use crate::common::{Harness, ADMIN_TOKEN};

#[tokio::test]
async fn a_replaced_method_is_announced_to_the_email_on_file() {
    let Some(smtp) = smtp() else { return };
    let h = Harness::start(proof_options(&smtp)).await;
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;
    let (_, done) = enroll_app_with_email_proof(&h, &mut b, &smtp, 0).await;
    assert_eq!(done.status, 303, "{}", done.body);

    // Support resets the member; their next set-up (a new phone) replaces the method.
    let reset = reqwest::Client::new()
        .post(format!(
            "{}/v1/users/{}/reset",
            h.admin_url(),
            user.username
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "reason": "new phone", "by": "support-test" }))
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success(), "{:?}", reset.text().await);
    let mut phone = h.browser();
    assert_eq!(
        phone.login(&user.username, &user.password).await.status,
        303
    );
    let (secret, done) = enroll_app_with_email_proof(&h, &mut phone, &smtp, 1).await;
    assert_eq!(done.status, 303, "{}", done.body);

    let (mail, body) = nth_mail(&smtp, 2);
    assert!(
        mail.header("subject")
            .is_some_and(|s| s.contains("verification method was changed")),
        "{:?}",
        mail.header("subject")
    );
    assert!(body.contains("If this wasn't you"), "{body}");
    assert!(body.contains("support@smartmls.com"), "{body}");
    assert!(six_digits(&body).is_none(), "no code in the notice: {body}");
    let key = base32(&secret);
    let flat: String = body
        .split_whitespace()
        .collect::<String>()
        .to_ascii_uppercase();
    assert!(!flat.contains(&key[..8]), "no secret in the notice: {body}");
    assert_eq!(audited(&h, "change_notice_sent", &user.username).len(), 1);
}

/// RFC 4648 base32 without padding (the form authenticator secrets are shown in).
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}
