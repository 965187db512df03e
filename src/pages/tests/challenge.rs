//! The challenge page, the cancelled page and the shared page parts (issue 16): errors at the
//! top, the code field, "Resend code" while it waits, Cancel per method, the senders, and the
//! sign-in page behind every "Sign in again".

use minijinja::context;

use super::*;

/// The English page, with the entities a browser decodes (`/`, `'`) decoded.
fn challenge_html(challenge: Challenge) -> String {
    decoded(&pages().render_en(&Page::Challenge(challenge))).replace("&#x27;", "'")
}

fn code_input(html: &str) -> &str {
    input_tags(html)
        .into_iter()
        .find(|tag| tag.contains("name=\"code\""))
        .expect("a code field")
}

/// Where `needle` starts in `html`, failing with the page when it is missing.
fn at(html: &str, needle: &str) -> usize {
    html.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} missing from {html}"))
}

#[test]
fn code_field_has_the_one_time_code_attributes_and_is_focused() {
    let html = challenge_html(challenge_with(None));
    let code = code_input(&html);
    for attribute in [
        "inputmode=\"numeric\"",
        "autocomplete=\"one-time-code\"",
        "pattern=\"[0-9]*\"",
        "maxlength=\"6\"",
        " autofocus ",
        "aria-describedby=\"code-intro\"",
    ] {
        assert!(code.contains(attribute), "{attribute} missing: {code}");
    }
    assert!(!code.contains("aria-invalid"));
    assert!(html.contains("<label for=\"code\">6-digit code</label>"));
}

/// Every challenge, and every page whose code was refused, opens on the code field. (The
/// app set-up's first view does not: it starts with getting the app and the QR code.)
#[test]
fn every_code_page_focuses_the_code_field() {
    let pages = pages();
    for html in all_outputs(&pages) {
        let challenge = html.contains("action=\"/_mfa/verify\"");
        for tag in input_tags(&html) {
            if tag.contains("name=\"code\"") && (challenge || tag.contains("aria-invalid")) {
                assert!(tag.contains(" autofocus "), "{tag}");
            }
        }
    }
}

#[test]
fn a_wrong_code_is_said_at_the_top_of_the_card_with_a_link_to_the_field() {
    let html = challenge_html(challenge_with(Some("wrong")));
    let code = code_input(&html);
    assert!(code.contains("aria-describedby=\"code-intro code-error\""));
    assert!(code.contains("aria-invalid=\"true\""));
    let error = at(
        &html,
        "<div class=\"alert alert-error\" id=\"code-error\" role=\"alert\">",
    );
    assert!(at(&html, "<h1>") < error, "the heading comes first");
    assert!(
        error < at(&html, "id=\"code-intro\""),
        "the error comes before the intro"
    );
    assert!(error < at(&html, "<form method=\"post\" action=\"/_mfa/verify\""));
    assert!(html.contains("<p>That code didn't work.</p>"));
    assert!(html.contains("Be sure that you have entered the code correctly. If it still does not work, contact <a href=\"mailto:support@smartmls.com\">support@smartmls.com</a>."));
    assert!(html.contains("<p>You can try 3 more times.</p>"));
    assert!(html.contains("<p><a href=\"#code\">Enter the code again</a></p>"));

    let mut last = challenge_with(Some("wrong"));
    last.attempts_left = Some(1);
    assert!(challenge_html(last).contains("<p>You can try 1 more time.</p>"));
}

#[test]
fn an_expired_code_is_worded_for_the_method() {
    let html = challenge_html(challenge_with(Some("expired")));
    assert!(html.contains("<p>That code has expired.</p>"));
    assert!(html.contains(
        "Codes are good for 5 minutes. Choose <strong>Resend code</strong> to get a new one."
    ));
    assert!(html.contains("<a href=\"#code\">Enter a new code</a>"));
    let mut app = challenge_with(Some("expired"));
    app.method = "app".into();
    app.can_resend = false;
    let html = challenge_html(app);
    assert!(html.contains("Enter the code your app shows right now: it changes every 30 seconds."));
    assert!(!html.contains("Resend code"));
}

#[test]
fn a_failed_send_is_said_at_the_top_without_marking_the_field_wrong() {
    let html = challenge_html(challenge_with(Some("send_failed")));
    let error = at(&html, "id=\"code-error\"");
    assert!(error < at(&html, "id=\"code-intro\""));
    assert!(html.contains("We could not send a code to <strong class=\"destination\">(•••) •••-2963</strong> just now."));
    assert!(!html.contains("We sent"), "no code was sent: {html}");
    assert!(!html.contains("You can try"));
    assert!(!code_input(&html).contains("aria-invalid"));
}

#[test]
fn where_the_code_went_is_said_once() {
    let html = challenge_html(challenge_with(None));
    assert!(html.contains("We sent a 6-digit code to <strong class=\"destination\">(•••) •••-2963</strong>. It is good for 5 minutes."));
    let mut sent = challenge_with(None);
    sent.notice_kind = Some("sent");
    let html = challenge_html(sent);
    assert!(html.contains("<div class=\"alert alert-notice\" role=\"status\"><p>We sent a code to <strong class=\"destination\">(•••) •••-2963</strong>.</p></div>"));
    assert!(
        html.contains("Enter the 6-digit code from the text message. It is good for 5 minutes.")
    );
    assert_eq!(html.matches("•••-2963</strong>").count(), 1, "{html}");

    let mut app = challenge_with(None);
    app.method = "app".into();
    app.can_resend = false;
    let html = challenge_html(app);
    assert!(html.contains("Open your authenticator app and enter the 6-digit code for SmartMLS."));
    assert!(!html.contains("action=\"/_mfa/resend\""));
}

#[test]
fn the_sender_is_one_line_under_the_code_field() {
    let html = challenge_html(challenge_with(None));
    let field = at(&html, "<input class=\"code-input\"");
    let sender = at(
        &html,
        "<p class=\"hint code-sender\">Codes come from <strong>(833) 697-2963</strong>.</p>",
    );
    assert!(
        field < sender
            && sender
                < at(
                    &html,
                    "<button type=\"submit\" class=\"button button-primary\">Verify</button>"
                )
    );
    let mut email = challenge_with(None);
    email.method = "email".into();
    let html = challenge_html(email);
    assert!(html.contains("Codes come from <strong>no-reply@connectmls.com</strong>."));
    let mut app = challenge_with(None);
    app.method = "app".into();
    assert!(!challenge_html(app).contains("code-sender"));
}

#[test]
fn resend_waits_show_a_disabled_button_that_comes_back_by_itself() {
    let mut challenge = challenge_with(None);
    challenge.resend_wait_secs = Some(7);
    let html = challenge_html(challenge);
    let block = &html[at(&html, "<div class=\"resend resend-in-7\">")..];
    let waiting = at(block, "<div class=\"resend-waiting\">\n<button type=\"button\" class=\"button button-secondary\" disabled aria-describedby=\"resend-wait\">Resend code</button>\n<p class=\"hint wait\" id=\"resend-wait\">You can ask for a new code in 7 seconds.</p>");
    // The working button is there too, hidden by the stylesheet until the wait is over.
    let ready = at(
        block,
        "<form method=\"post\" action=\"/_mfa/resend\" class=\"resend-ready\">",
    );
    assert!(waiting < ready);
    // No timed reload: it fails WCAG 2.2.1 (axe-core meta-refresh) and loses a typed code.
    assert!(!html.contains("http-equiv"));

    let mut long = challenge_with(None);
    long.resend_wait_secs = Some(14 * 60 + 1);
    let html = challenge_html(long);
    assert!(html.contains("<div class=\"resend resend-in-900\">"));
    assert!(html.contains("You can ask for a new code in 15 minutes."));
    let mut rounded = challenge_with(None);
    rounded.resend_wait_secs = Some(27);
    let html = challenge_html(rounded);
    assert!(
        html.contains("resend-in-30") && html.contains("in 30 seconds."),
        "{html}"
    );
    let mut one = challenge_with(None);
    one.resend_wait_secs = Some(1);
    assert!(challenge_html(one).contains("You can ask for a new code in 1 second."));

    let html = challenge_html(challenge_with(None));
    assert!(html.contains("<form method=\"post\" action=\"/_mfa/resend\">"));
    assert!(!html.contains("disabled"));
}

/// Every wait the page can show has its rule in the stylesheet, so the button always comes
/// back when the page says it will.
#[test]
fn every_resend_wait_has_its_rule_in_the_stylesheet() {
    let pages = pages();
    let css = pages.gateway_css().to_string();
    for wait in 1..=900 {
        let html = pages
            .env
            .render_str(
                "{% import \"macros.html\" as ui %}{{ ui.resend(\"tok\", wait) }}",
                context! { lang => "en", wait => wait },
            )
            .unwrap();
        let class = html
            .split("class=\"resend ")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no resend block for {wait}: {html}"));
        let secs: u64 = class.trim_start_matches("resend-in-").parse().unwrap();
        assert!(secs >= wait && secs - wait < 60, "{wait} shown as {secs}");
        assert!(
            css.contains(&format!("\n.{class} > * {{ animation-delay: {secs}s; }}")),
            "no rule for {class}"
        );
    }
}

#[test]
fn a_refused_resend_says_so_once_next_to_the_wait() {
    let mut throttled = challenge_with(None);
    throttled.notice_kind = Some("throttled");
    throttled.resend_wait_secs = Some(20);
    let html = challenge_html(throttled);
    assert!(html.contains("<p>We can't send a new code yet.</p>"));
    assert_eq!(html.matches("ask for a new code in").count(), 1);
    // The wait ended meanwhile: the button works, so nothing is said.
    let mut over = challenge_with(None);
    over.notice_kind = Some("throttled");
    assert!(!challenge_html(over).contains("send a new code yet"));
}

#[test]
fn the_faq_buttons_keep_the_faq_names() {
    let html = challenge_html(challenge_with(None));
    assert!(html.contains(">Resend code</button>"));
    assert!(html.contains("<h2 id=\"other-methods-heading\">Try another method</h2>"));
    assert!(html.contains("<span>Email</span> <span class=\"destination\">j•••@example.com</span>"));
    assert!(html.contains("Choose <strong>Resend code</strong> to send a new code the same way."));
    assert!(html
        .contains("Choose <strong>Try another method</strong> to get the code a different way."));
}

#[test]
fn cancel_is_worded_for_the_method_and_never_asks_app_users_about_email() {
    let wording = |method: &str| {
        let mut page = challenge_with(None);
        page.method = method.into();
        challenge_html(page)
    };
    let app = wording("app");
    assert!(!app.contains("Wrong email"), "{app}");
    assert!(!app.contains("email or phone number"), "{app}");
    assert!(app.contains("<h2 id=\"cancel-heading\">Don't want to continue?</h2>"));
    assert!(wording("email").contains("<h2 id=\"cancel-heading\">Wrong email address?</h2>"));
    assert!(wording("text").contains("<h2 id=\"cancel-heading\">Wrong mobile number?</h2>"));
}

/// The macros the set-up pages call keep their older parameters.
#[test]
fn macros_stay_backward_compatible() {
    let pages = pages();
    let render = |source: &str| {
        pages
            .env
            .render_str(
                &format!("{{% import \"macros.html\" as ui %}}{source}"),
                context! { lang => "en" },
            )
            .unwrap()
    };
    let cancel = render("{{ ui.cancel_section(\"tok\") }}");
    assert!(cancel.contains("Wrong email or phone number?"), "{cancel}");
    let resend = render("{{ ui.resend(\"tok\", none, label=\"Send code\") }}");
    assert!(resend.contains(">Send code</button>"), "{resend}");
    let resend = render("{{ ui.resend(\"tok\", 5, label_id=\"resend-code\") }}");
    assert!(
        resend.contains("disabled") && resend.contains("in 5 seconds"),
        "{resend}"
    );
    assert_eq!(render("{{ ui.refresh_after(30) }}"), "", "a no-op now");
    let help = render("{{ ui.help(\"email\", code_ttl_label=\"5 minutes\", switch_label=\"Choose a different method\") }}");
    assert!(help.contains("A code is good for 5 minutes."), "{help}");
    assert!(
        help.contains("<strong>Choose a different method</strong>"),
        "{help}"
    );
    let field = render("{{ ui.code_field(\"intro\", invalid=\"an error\") }}");
    assert!(
        field.contains("aria-describedby=\"intro code-error\""),
        "{field}"
    );
}

#[test]
fn cancelled_page_says_sign_in_cancelled_and_links_the_sign_in_page() {
    let html = decoded(&pages().render_en(&Page::Cancelled(Cancelled {
        roster_update_url: Some("https://roster.example/edit".into()),
    })));
    assert!(html.contains("<h1>Sign-in cancelled</h1>"));
    assert!(!html.contains("signed out of the verification step"));
    assert!(html.contains("<a class=\"button button-secondary\" href=\"https://roster.example/edit\">Update my roster information</a>"));
    assert!(html.contains("<a class=\"button button-primary\" href=\"/login\">Sign in again</a>"));
}

#[test]
fn a_later_visit_after_cancel_says_the_sign_in_was_cancelled() {
    let html = pages().render_en(&Page::Message(Message::sign_in_cancelled()));
    assert!(html.contains("This sign-in was cancelled"));
    assert!(!html.contains("took too long"));
}

/// "Sign in again" / "Try again" go to the member's sign-in page, never a hard-coded `/`.
#[test]
fn every_sign_in_link_goes_to_the_sign_in_page() {
    let pages = pages();
    let audience = Audience {
        lang: Lang::En,
        sign_in_url: "https://www.example-mls.com/Login.aspx".into(),
    };
    for page in samples::all() {
        let html = decoded(&pages.render(&page, &audience));
        let hrefs = attribute_values(&html, "href");
        assert!(!hrefs.contains(&"/"), "{} links /", page.template_name());
    }
    for page in [
        Page::Cancelled(Cancelled {
            roster_update_url: None,
        }),
        Page::Message(Message::sign_in_cancelled()),
        Page::Message(Message::session_expired()),
        Page::Message(Message::challenge_exhausted()),
        Page::Message(Message::fail_closed()),
    ] {
        let html = decoded(&pages.render(&page, &audience));
        assert!(
            html.contains("href=\"https://www.example-mls.com/Login.aspx\""),
            "{}: {html}",
            page.template_name()
        );
    }
}

#[test]
fn the_stylesheet_puts_each_hours_line_on_its_own_and_sizes_the_language_switch() {
    let pages = pages();
    let css = pages.gateway_css();
    let rule = |selector: &str| {
        let start = at(css, &format!("\n{selector} {{"));
        let body = &css[start..];
        body[..body.find('}').expect("rule closes")].to_string()
    };
    assert!(rule(".hours-line").contains("display: block;"));
    let switch = rule(".lang-switch");
    assert!(
        switch.contains("margin-left: auto;"),
        "right-aligned: {switch}"
    );
    assert!(
        switch.contains("min-height: 2.75rem;"),
        "44px tall: {switch}"
    );
    let html = pages.render_en(&Page::Message(Message::not_found()));
    assert!(html.contains("<span class=\"hours\"><span class=\"hours-line\">"));
}
