//! Tests of the rendered pages: fixtures and HTML helpers shared by the test modules.

mod challenge;
mod content;
mod enroll;
mod enroll_words;
mod rules;
mod setup;
mod spanish;

use super::*;

pub(super) const EVIL: &str = "<script>alert(1)</script>\"'";

pub(super) fn branding() -> Branding {
    Branding {
        name: "SmartMLS".into(),
        support_email: "support@smartmls.com".into(),
        support_phone: "(203) 750-6000".into(),
        support_hours: "Monday–Thursday 8:30am–7:00pm".into(),
        roster_update_url: Some("https://example.com/roster-help".into()),
        primary_color: "#0b5cab".into(),
        logo: None,
    }
}

pub(super) fn pages() -> Pages {
    Pages::new(&branding(), None).unwrap()
}

/// The audience of the tests that read English words.
pub(super) fn english() -> Audience {
    Audience {
        lang: Lang::En,
        sign_in_url: "/login".into(),
    }
}

/// `render` for an English reader (most assertions read English words).
pub(super) trait RenderEnglish {
    fn render_en(&self, page: &Page) -> String;
}

impl RenderEnglish for Pages {
    fn render_en(&self, page: &Page) -> String {
        self.render(page, &english())
    }
}

/// Every sample page plus a page per type with hostile text in every text field, in every
/// language.
pub(super) fn all_outputs(pages: &Pages) -> Vec<String> {
    let mut outputs = Vec::new();
    for lang in Lang::ALL {
        let audience = Audience {
            lang,
            sign_in_url: "/login".into(),
        };
        for page in samples::all().iter().chain(evil_pages().iter()) {
            outputs.push(pages.render(page, &audience));
        }
    }
    outputs
}

/// A method choice with hostile text where text can come from outside (the value, the
/// destination); its words are message ids.
pub(super) fn evil_choice() -> MethodChoice {
    MethodChoice {
        value: EVIL.into(),
        label: "method-email".into(),
        description: "method-email-description".into(),
        masked_destination: Some(EVIL.into()),
    }
}

pub(super) fn evil_trust() -> Vec<TrustOption> {
    vec![TrustOption {
        value: EVIL.into(),
        every: TimeSpan {
            count: 30,
            unit: "days",
        },
        selected: true,
    }]
}

pub(super) fn evil_pages() -> Vec<Page> {
    vec![
        Page::EnrollChoose(EnrollChoose {
            csrf: EVIL.into(),
            username: EVIL.into(),
            intro: samples::intro(true, false),
            methods: vec![evil_choice()],
            error: Some(SetupError::NoMethod),
        }),
        Page::EnrollApp(EnrollApp {
            csrf: EVIL.into(),
            intro: Some(samples::intro(true, true)),
            qr_svg: String::new(),
            secret_groups: EVIL.into(),
            otpauth_uri: EVIL.into(),
            trust_options: evil_trust(),
            can_choose: true,
            error: None,
        }),
        Page::EnrollApp(EnrollApp {
            csrf: EVIL.into(),
            intro: None,
            qr_svg: String::new(),
            secret_groups: EVIL.into(),
            otpauth_uri: EVIL.into(),
            trust_options: evil_trust(),
            can_choose: true,
            error: Some(SetupError::WrongCode { attempts_left: 1 }),
        }),
        Page::EnrollContact(EnrollContact {
            csrf: EVIL.into(),
            intro: None,
            method: "email".into(),
            proving_for_app: true,
            masked_destination: EVIL.into(),
            code_sent: true,
            code_ttl: TimeSpan {
                count: 5,
                unit: "minutes",
            },
            trust_options: evil_trust(),
            error: Some(SetupError::WrongCode { attempts_left: 1 }),
            resent: true,
            resend_wait_secs: None,
            can_choose: true,
            help_sender_email: Some(EVIL.into()),
            help_sender_phone: Some(EVIL.into()),
        }),
        Page::Challenge(Challenge {
            csrf: EVIL.into(),
            username: EVIL.into(),
            method: "text".into(),
            masked_destination: Some(EVIL.into()),
            code_ttl: TimeSpan::of(std::time::Duration::from_secs(300)),
            error_kind: Some("send_failed"),
            notice_kind: Some("sent"),
            other_methods: vec![evil_choice()],
            can_resend: true,
            resend_wait_secs: Some(30),
            attempts_left: Some(1),
            help_sender_email: Some(EVIL.into()),
            help_sender_phone: Some(EVIL.into()),
        }),
        Page::Cancelled(Cancelled {
            roster_update_url: Some(EVIL.into()),
        }),
        // Message texts are catalogue ids; what varies is a configured link and the arguments.
        Page::Message(Message::no_contact_on_file(Some(EVIL))),
        Page::Message(Message::slow_down(60).with_arg("minutes", EVIL)),
    ]
}

/// Values of `attribute="..."` for every occurrence in `html`.
pub(super) fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let start = at + needle.len();
            html[start..].find('"').map(|end| &html[start..start + end])
        })
        .collect()
}

/// The page with the `/` entity minijinja writes in attributes decoded, as a browser would.
pub(super) fn decoded(html: &str) -> String {
    html.replace("&#x2f;", "/")
}

/// Everything between `<` and `>`: the tags with their attributes.
pub(super) fn tags(html: &str) -> impl Iterator<Item = &str> {
    html.split('<')
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(rest))
}

/// The opening tags of `<input ...>` elements.
pub(super) fn input_tags(html: &str) -> Vec<&str> {
    html.match_indices("<input ")
        .filter_map(|(at, _)| html[at..].find('>').map(|end| &html[at..=at + end]))
        .collect()
}

pub(super) fn challenge_with(error_kind: Option<&'static str>) -> Challenge {
    Challenge {
        csrf: "tok123".into(),
        username: "jdoe".into(),
        method: "text".into(),
        masked_destination: Some("(•••) •••-2963".into()),
        code_ttl: TimeSpan::of(std::time::Duration::from_secs(300)),
        error_kind,
        notice_kind: None,
        other_methods: vec![MethodChoice {
            value: "email".into(),
            label: "method-email".into(),
            description: "method-email-description".into(),
            masked_destination: Some("j•••@example.com".into()),
        }],
        can_resend: true,
        resend_wait_secs: None,
        attempts_left: Some(3),
        help_sender_email: Some("no-reply@connectmls.com".into()),
        help_sender_phone: Some("(833) 697-2963".into()),
    }
}

/// What a reader sees: the text between the tags.
pub(super) fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}
