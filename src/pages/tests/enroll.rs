//! The set-up pages (choose a method, authenticator app, email / text): what a first-time
//! member sees first, where errors go, what a phone shows first. Their words: `enroll_words`.

use super::*;

pub(super) fn render(page: &Page, lang: Lang) -> String {
    pages().render(
        page,
        &Audience {
            lang,
            sign_in_url: "/login".into(),
        },
    )
}

/// The set-up samples (every branch of the three set-up templates).
pub(super) fn setup_samples() -> Vec<Page> {
    samples::all()
        .into_iter()
        .filter(|page| {
            matches!(
                page,
                Page::EnrollChoose(_) | Page::EnrollApp(_) | Page::EnrollContact(_)
            )
        })
        .collect()
}

/// The card's content from just after its `<h1>…</h1>`.
pub(super) fn after_heading(html: &str) -> &str {
    let main = &html[html.find("<main").unwrap()..];
    &main[main.find("</h1>").unwrap() + "</h1>".len()..]
}

fn position(html: &str, needle: &str) -> usize {
    html.find(needle)
        .unwrap_or_else(|| panic!("{needle} missing: {html}"))
}

// Point 2: after a wrong code the page opens on the error, the code field one tap away.

#[test]
fn a_wrong_app_code_opens_the_page_on_the_error_and_the_code_field() {
    let page = samples::enroll_app(None, Some(SetupError::WrongCode { attempts_left: 2 }));
    let html = pages().render_en(&Page::EnrollApp(page));
    let card = after_heading(&html);
    assert!(
        card.trim_start()
            .starts_with("<div class=\"alert alert-error\" id=\"code-error\" role=\"alert\">"),
        "the error is the first thing under the heading: {card}"
    );
    assert!(card.contains("<a href=\"#code\">Enter the code again</a>"));
    assert!(card.contains("You can try 2 more times."));
    // The code field comes before the QR code and the store links (folded below).
    let code = position(card, "id=\"code\"");
    assert!(code < position(card, "class=\"qr\""));
    assert!(code < position(card, "Get an app"));
    assert!(position(card, "<details class=\"steps-again\">") < position(card, "class=\"qr\""));
    let field = input_tags(card)
        .into_iter()
        .find(|tag| tag.contains("id=\"code\""))
        .unwrap();
    assert!(field.contains(" autofocus"), "{field}");
    assert!(field.contains("aria-invalid=\"true\""), "{field}");
}

#[test]
fn the_first_view_of_the_app_page_starts_at_the_top_and_focuses_nothing() {
    let html = pages().render_en(&Page::EnrollApp(samples::enroll_app(None, None)));
    assert!(!html.contains("autofocus"), "{html}");
    let card = after_heading(&html);
    assert!(position(card, "Get an app") < position(card, "id=\"code\""));
    assert!(!card.contains("alert-error"));
}

#[test]
fn code_pages_focus_the_code_field_and_nothing_else() {
    for page in setup_samples() {
        let html = pages().render_en(&page);
        for tag in tags(&html).filter(|tag| tag.contains("autofocus")) {
            assert!(
                tag.contains("id=\"code\""),
                "{}: {tag}",
                page.template_name()
            );
        }
        if let Page::EnrollContact(contact) = &page {
            if contact.code_sent {
                assert!(html.contains(" autofocus"), "contact page without focus");
            }
        }
    }
}

#[test]
fn contact_page_errors_come_first_and_link_to_the_code_field() {
    for error in samples::SETUP_ERRORS {
        let page = EnrollContact {
            error: Some(error),
            code_sent: error != SetupError::SendFailed,
            ..samples::enroll_contact("text", true, false)
        };
        let html = pages().render_en(&Page::EnrollContact(page));
        let card = after_heading(&html);
        assert!(
            card.trim_start()
                .starts_with("<div class=\"alert alert-error\""),
            "{error:?}: {card}"
        );
        // The member's intro waits: the error is what this answer is about.
        assert!(!card.contains("Multi-Factor Authentication"), "{error:?}");
        if error == SetupError::SendFailed {
            // Nothing says a code went out when it did not.
            assert!(!card.contains("We sent"), "{card}");
            assert!(card.contains("We will send a 6-digit code to"));
            assert!(!card.contains("href=\"#code\""));
        } else {
            assert!(card.contains("<a href=\"#code\">Enter the code again</a>"));
        }
    }
}

// Point 6: say once what MFA is and that it is required.

#[test]
fn an_app_only_deployment_opens_on_what_mfa_is_and_since_when_it_is_required() {
    let page = samples::enroll_app(Some(samples::intro(true, true)), None);
    let html = pages().render_en(&Page::EnrollApp(page.clone()));
    let card = after_heading(&html);
    assert!(
        card.trim_start().starts_with("<div class=\"mfa-intro\">"),
        "{card}"
    );
    let text = visible_text(card);
    assert!(text.contains("Multi-Factor Authentication (MFA) protects your SmartMLS account."));
    assert!(text.contains("an authenticator app on your phone"));
    assert!(!text.contains("your email"), "app only: no email: {text}");
    assert!(text
        .contains("MFA is required for all SmartMLS users beginning Wednesday, November 5, 2025."));
    let spanish = visible_text(&render(&Page::EnrollApp(page), Lang::Es));
    assert!(spanish.contains("La autenticación multifactor (MFA) protege su cuenta de SmartMLS."));
    assert!(spanish.contains(
        "A partir del miércoles 5 de noviembre de 2025, SmartMLS exige MFA a todos sus usuarios."
    ));
}

#[test]
fn without_an_enforcement_date_mfa_is_simply_required() {
    let page = samples::enroll_app(Some(samples::intro(false, false)), None);
    let text = visible_text(&pages().render_en(&Page::EnrollApp(page)));
    assert!(text.contains("your phone, your email or an authenticator app"));
    assert!(text.contains("MFA is required for all SmartMLS users."));
    assert!(!text.contains("beginning"));
}

#[test]
fn the_intro_is_said_once_not_after_a_choice_or_an_error() {
    for page in [
        samples::enroll_app(None, None),
        samples::enroll_app(
            Some(samples::intro(true, true)),
            Some(SetupError::CodeExpired),
        ),
    ] {
        let html = pages().render_en(&Page::EnrollApp(page));
        assert!(!html.contains("mfa-intro"), "{html}");
    }
    // The choice page is the first page when there is a choice: it says it, but not again
    // above a refused choice.
    let mut choose = samples::all().into_iter().take(2);
    let refused = pages().render_en(&choose.next().unwrap());
    assert!(!refused.contains("mfa-intro"));
    let first = pages().render_en(&choose.next().unwrap());
    assert_eq!(
        first.matches("Multi-Factor Authentication (MFA)").count(),
        1
    );
    assert!(first.contains("<h1>Set up MFA</h1>"));
}

// Point 8: on a phone "Open in authenticator app" first, the store links folded.

#[test]
fn the_app_link_comes_before_the_qr_code_and_the_store_links_are_folded() {
    let html = pages().render_en(&Page::EnrollApp(samples::enroll_app(None, None)));
    let first_link = position(&html, "<div class=\"open-app open-app-first\">");
    let qr = position(&html, "<div class=\"qr\"");
    let last_link = position(&html, "<div class=\"open-app open-app-last\">");
    assert!(first_link < qr && qr < last_link);
    assert!(html[first_link..qr].contains("Open in authenticator app</a>"));
    let folded = &html[position(&html, "<details class=\"store-links-fold\">")..];
    let folded = &folded[..position(folded, "</details>")];
    assert_eq!(
        folded.matches("class=\"store-link\"").count(),
        6,
        "{folded}"
    );
    assert_eq!(html.matches("class=\"store-link\"").count(), 6);
    // Which block a width shows is the stylesheet's: one of the two at any width.
    let css = pages().gateway_css().to_string();
    assert!(
        css.contains(".open-app-first"),
        "phone/desktop rules in gateway.css"
    );
    assert!(css.contains(".open-app-last"));
}
