//! What each page says and links to.

use super::*;

#[test]
fn code_field_has_the_one_time_code_attributes() {
    let html = pages().render(&Page::Challenge(challenge_with(None)));
    let code = input_tags(&html)
        .into_iter()
        .find(|tag| tag.contains("name=\"code\""))
        .unwrap();
    for attribute in [
        "inputmode=\"numeric\"",
        "autocomplete=\"one-time-code\"",
        "pattern=\"[0-9]*\"",
        "maxlength=\"6\"",
        "aria-describedby=\"code-intro\"",
    ] {
        assert!(code.contains(attribute), "{attribute} missing: {code}");
    }
    assert!(!code.contains("aria-invalid"));
    assert!(html.contains("<label for=\"code\">6-digit code</label>"));
}

#[test]
fn wrong_code_error_is_wired_to_the_field_and_uses_the_faq_wording() {
    let html = pages().render(&Page::Challenge(challenge_with(Some("wrong"))));
    let code = input_tags(&html)
        .into_iter()
        .find(|tag| tag.contains("name=\"code\""))
        .unwrap();
    assert!(code.contains("aria-describedby=\"code-intro code-error\""));
    assert!(code.contains("aria-invalid=\"true\""));
    assert!(html.contains("id=\"code-error\""));
    assert!(html.contains("Be sure that you have entered the code correctly. If it still does not work, contact <a href=\"mailto:support@smartmls.com\">"));
    assert!(html.contains("You can try 3 more times."));
}

#[test]
fn enrollment_errors_are_wired_to_their_fields() {
    let pages = pages();
    let mut page = match samples::all().remove(0) {
        Page::EnrollChoose(page) => page,
        other => panic!("first sample is {}", other.template_name()),
    };
    page.error = Some("Please choose one.".into());
    let html = pages.render(&Page::EnrollChoose(page));
    let radios: Vec<&str> = input_tags(&html)
        .into_iter()
        .filter(|tag| tag.contains("name=\"method\""))
        .collect();
    assert_eq!(radios.len(), 2);
    for radio in radios {
        assert!(
            radio.contains("aria-invalid=\"true\"") && radio.contains(" method-error\""),
            "{radio}"
        );
    }
    assert!(html.contains("<div class=\"alert alert-error\" id=\"method-error\" role=\"alert\"><p>Please choose one.</p>"));
}

#[test]
fn challenge_explains_where_the_code_went_per_method() {
    let pages = pages();
    let html = decoded(&pages.render(&Page::Challenge(challenge_with(None))));
    assert!(html.contains("We sent a 6-digit code to <strong class=\"destination\">(•••) •••-2963</strong>. It is good for 5 minutes."));
    assert!(html.contains("Texts come from <strong>(833) 697-2963</strong>"));
    assert!(html.contains("action=\"/_mfa/verify\""));
    assert!(html.contains("action=\"/_mfa/resend\""));
    assert!(html.contains("<input type=\"hidden\" name=\"method\" value=\"email\">"));
    assert!(html.contains("Wrong email or phone number?"));

    let mut app = challenge_with(None);
    app.method = "app".into();
    app.can_resend = false;
    let html = decoded(&pages.render(&Page::Challenge(app)));
    assert!(html.contains("Open your authenticator app and enter the 6-digit code for SmartMLS."));
    assert!(!html.contains("action=\"/_mfa/resend\""));
}

#[test]
fn resend_waits_are_explained_instead_of_offered() {
    let mut challenge = challenge_with(None);
    challenge.resend_wait_secs = Some(42);
    let html = pages().render(&Page::Challenge(challenge));
    assert!(html.contains("You can request a new code in 42 seconds."));
    assert!(!html.contains("action=\"/_mfa/resend\""));
}

#[test]
fn locked_challenge_offers_no_code_box_only_support() {
    let html = pages().render(&Page::Challenge(challenge_with(Some("locked"))));
    assert!(!html.contains("name=\"code\""));
    assert!(!html.contains("action=\"/_mfa/method\""));
    assert!(html.contains("to unlock it"));
}

#[test]
fn enroll_contact_email_help_mentions_spam_and_inbox_tabs() {
    let page = samples::all()
        .into_iter()
        .find(|page| matches!(page, Page::EnrollContact(contact) if contact.method == "email" && contact.code_sent))
        .unwrap();
    let html = decoded(&pages().render(&page));
    for text in [
        "spam or junk",
        "Focused and Other",
        "Promotions and Social",
        "no-reply@example.com",
        "/_mfa/enroll?choose=1",
        "action=\"/_mfa/enroll/contact\"",
    ] {
        assert!(html.contains(text), "{text} missing");
    }
}

#[test]
fn cancelled_page_links_roster_update_and_sign_in() {
    let html = decoded(&pages().render(&Page::Cancelled(Cancelled {
        roster_update_url: Some("https://roster.example/edit".into()),
    })));
    assert!(html.contains("<a class=\"button button-secondary\" href=\"https://roster.example/edit\">Update my roster information</a>"));
    assert!(html.contains("<a class=\"button button-primary\" href=\"/\">Sign in again</a>"));
}

#[test]
fn message_pages_carry_their_status_and_retry_link() {
    let page = Page::Message(Message::fail_closed());
    assert_eq!(page.status(), 503);
    let html = pages().render(&page);
    assert!(html.contains("Nobody can get in without verification"));
    assert!(html.contains(">Try again</a>"));
    assert_eq!(
        Page::Cancelled(Cancelled {
            roster_update_url: None
        })
        .status(),
        200
    );
}

#[test]
fn logo_is_shown_from_the_static_prefix() {
    let mut branding = branding();
    branding.logo = Some("logo.svg".into());
    let html = decoded(
        &Pages::new(&branding, None)
            .unwrap()
            .render(&Page::Message(Message::not_found())),
    );
    assert!(html.contains("<img class=\"logo\" src=\"/_mfa/static/logo.svg\" alt=\"\">"));
    branding.logo = Some("https://cdn.example/logo.png".into());
    assert!(matches!(
        Pages::new(&branding, None),
        Err(PageError::InvalidLogo(_))
    ));
}

#[test]
fn stylesheets_are_served_from_memory() {
    let pages = pages();
    assert!(pages.gateway_css().contains("max-width: 32rem"));
    assert!(pages.brand_css().contains("--brand: #0b5cab;"));
}
