//! What each page says and links to.

use super::*;

#[test]
fn enroll_contact_email_help_mentions_spam_and_inbox_tabs() {
    let page = samples::all()
        .into_iter()
        .find(|page| matches!(page, Page::EnrollContact(contact) if contact.method == "email" && contact.code_sent))
        .unwrap();
    let html = decoded(&pages().render_en(&page));
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
fn message_pages_carry_their_status_and_retry_link() {
    let page = Page::Message(Message::fail_closed());
    assert_eq!(page.status(), 503);
    let html = pages().render_en(&page);
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
            .render_en(&Page::Message(Message::not_found())),
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
