//! Tests of the rendered pages: fixtures and HTML helpers shared by the test modules.

mod content;
mod rules;
mod setup;

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

/// Every sample page plus a page per type with hostile text in every text field.
pub(super) fn all_outputs(pages: &Pages) -> Vec<String> {
    let mut outputs: Vec<String> = samples::all()
        .iter()
        .map(|page| pages.render(page))
        .collect();
    outputs.extend(evil_pages().iter().map(|page| pages.render(page)));
    outputs
}

pub(super) fn evil_choice() -> MethodChoice {
    MethodChoice {
        value: EVIL.into(),
        label: EVIL.into(),
        description: EVIL.into(),
        masked_destination: Some(EVIL.into()),
    }
}

pub(super) fn evil_trust() -> Vec<TrustOption> {
    vec![TrustOption {
        value: EVIL.into(),
        label: EVIL.into(),
        selected: true,
    }]
}

pub(super) fn evil_pages() -> Vec<Page> {
    vec![
        Page::EnrollChoose(EnrollChoose {
            csrf: EVIL.into(),
            username: EVIL.into(),
            methods: vec![evil_choice()],
            error: Some(EVIL.into()),
        }),
        Page::EnrollApp(EnrollApp {
            csrf: EVIL.into(),
            qr_svg: String::new(),
            secret_groups: EVIL.into(),
            otpauth_uri: EVIL.into(),
            trust_options: evil_trust(),
            error: Some(EVIL.into()),
        }),
        Page::EnrollContact(EnrollContact {
            csrf: EVIL.into(),
            method: "email".into(),
            masked_destination: EVIL.into(),
            code_sent: true,
            code_ttl_label: EVIL.into(),
            trust_options: evil_trust(),
            error: Some(EVIL.into()),
            notice: Some(EVIL.into()),
            resend_wait_secs: None,
            help_sender_email: Some(EVIL.into()),
            help_sender_phone: Some(EVIL.into()),
        }),
        Page::Challenge(Challenge {
            csrf: EVIL.into(),
            username: EVIL.into(),
            method: "text".into(),
            masked_destination: Some(EVIL.into()),
            code_ttl_label: EVIL.into(),
            error: Some(EVIL.into()),
            error_kind: Some("wrong".into()),
            notice: Some(EVIL.into()),
            other_methods: vec![evil_choice()],
            can_resend: true,
            resend_wait_secs: None,
            attempts_left: Some(1),
            help_sender_email: Some(EVIL.into()),
            help_sender_phone: Some(EVIL.into()),
        }),
        Page::Cancelled(Cancelled {
            roster_update_url: Some(EVIL.into()),
        }),
        Page::Message(Message {
            status: 400,
            title: EVIL.into(),
            message: EVIL.into(),
            details: Some(EVIL.into()),
            retry_href: Some(EVIL.into()),
            retry_label: Some(EVIL.into()),
        }),
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

pub(super) fn challenge_with(error_kind: Option<&str>) -> Challenge {
    Challenge {
        csrf: "tok123".into(),
        username: "jdoe".into(),
        method: "text".into(),
        masked_destination: Some("(•••) •••-2963".into()),
        code_ttl_label: "5 minutes".into(),
        error: error_kind.map(|_| "That code didn't work.".into()),
        error_kind: error_kind.map(Into::into),
        notice: None,
        other_methods: vec![MethodChoice {
            value: "email".into(),
            label: "Email me a code".into(),
            description: String::new(),
            masked_destination: Some("j•••@example.com".into()),
        }],
        can_resend: true,
        resend_wait_secs: None,
        attempts_left: Some(3),
        help_sender_email: Some("no-reply@connectmls.com".into()),
        help_sender_phone: Some("(833) 697-2963".into()),
    }
}
