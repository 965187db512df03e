//! What a first-time member sees on the authenticator-app set-up of an app-only deployment
//! (issue 16, points 2, 6 and 7): what MFA is and since when it is required, in English and in
//! Spanish, and after a wrong code the error first, with the code field one tap away.
//!
//! A child module of `suites/flow_app_cases.rs`, so it runs in every binary that includes that
//! suite (`tests/flow_app.rs`, `tests/scaleout_flows.rs`, `tests/legacy_*.rs`).

use crate::common::{totp, GatewayOptions, Harness, THIRTY_DAYS};

/// A code the app does not show now (nor one step either side).
fn wrong_code(secret: &[u8]) -> String {
    let now = totp::current_step();
    let valid: Vec<String> = (now - 1..=now + 1)
        .map(|step| totp::code_at_step(secret, step))
        .collect();
    ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|code| !valid.iter().any(|v| v == code))
        .unwrap_or("444444")
        .to_string()
}

#[tokio::test]
async fn an_app_only_set_up_says_what_mfa_is_and_answers_a_wrong_code_at_the_top() {
    let Some(h) = Harness::start_or_skip(GatewayOptions::default()).await else {
        return;
    };
    let user = h.user(0).clone();
    let mut b = h.browser();
    b.login(&user.username, &user.password).await;

    // The first page (mfa.methods: [app], enforce_from: 2025-11-05) says what MFA is, once.
    let page = b.get("/_mfa/").await;
    let text = page.text();
    assert_eq!(
        text.matches("Multi-Factor Authentication (MFA)").count(),
        1,
        "{text}"
    );
    assert!(
        text.contains(
            "MFA is required for all SmartMLS users beginning Wednesday, November 5, 2025."
        ),
        "{text}"
    );
    assert!(!text.contains("Wrong email or phone number?"), "{text}");
    let spanish = b
        .get_with("/_mfa/", &[("accept-language", "es-MX,es;q=0.9")])
        .await;
    let spanish = spanish.text();
    assert!(spanish.contains("<html lang=\"es\">"), "{spanish}");
    assert!(
        spanish.contains("A partir del miércoles 5 de noviembre de 2025, SmartMLS exige MFA"),
        "{spanish}"
    );

    // A wrong code: the answer opens on the error, which links to the code field; the field
    // comes before the QR code.
    let uri = page.otpauth_uri().expect("otpauth link");
    let secret = totp::secret_from_uri(&uri);
    let csrf = page.input_value("csrf").expect("csrf");
    let remember = THIRTY_DAYS.to_string();
    let wrong = wrong_code(&secret);
    let refused = b
        .post_form(
            "/_mfa/enroll/app",
            &[("csrf", &csrf), ("code", &wrong), ("remember", &remember)],
        )
        .await;
    assert_eq!(refused.status, 200, "{}", refused.body);
    let body = refused.text();
    let heading_end = body.find("</h1>").expect("heading");
    let error = body.find("id=\"code-error\"").expect("error shown");
    assert!(
        body[heading_end..error].trim_start_matches("</h1>").trim()
            == "<div class=\"alert alert-error\"",
        "the error comes right under the heading: {body}"
    );
    assert!(body.contains("<a href=\"#code\">"), "{body}");
    let field = body.find("id=\"code\"").expect("code field");
    assert!(error < field && field < body.find("class=\"qr\"").expect("QR"));
    assert!(
        body.contains("more times.") && !body.contains("(s)"),
        "{body}"
    );
    assert!(!body.contains("mfa-intro"), "said once: {body}");

    // The right code still finishes set-up.
    let code = totp::code_at_step(&secret, totp::current_step());
    let done = b
        .post_form(
            "/_mfa/enroll/app",
            &[("csrf", &csrf), ("code", &code), ("remember", &remember)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
}
