//! Example pages covering every branch the templates take.
//!
//! `Pages::new` renders each of them once, so a template that only fails at render time
//! (an unknown variable, filter or macro) stops the gateway at start-up with the template's
//! name, instead of showing members the fallback page later.

use super::context::{
    Cancelled, Challenge, EnrollApp, EnrollChoose, EnrollContact, Message, MethodChoice, Page,
    TrustOption,
};

fn method_choices() -> Vec<MethodChoice> {
    vec![
        MethodChoice {
            value: "app".into(),
            label: "Authenticator app".into(),
            description: "Use a free app on your phone.".into(),
            masked_destination: None,
        },
        MethodChoice {
            value: "text".into(),
            label: "Text message".into(),
            description: "We text a code to your mobile phone.".into(),
            masked_destination: Some("(•••) •••-2963".into()),
        },
    ]
}

fn trust_options() -> Vec<TrustOption> {
    vec![
        TrustOption {
            value: "24h".into(),
            label: "Every 24 hours".into(),
            selected: false,
        },
        TrustOption {
            value: "30d".into(),
            label: "Every 30 days".into(),
            selected: true,
        },
    ]
}

fn challenge(method: &str, error_kind: Option<&str>, with_extras: bool) -> Challenge {
    Challenge {
        csrf: "sample-csrf".into(),
        username: "jdoe".into(),
        method: method.into(),
        masked_destination: with_extras.then(|| "j•••@example.com".into()),
        code_ttl_label: "5 minutes".into(),
        error: error_kind.map(|kind| format!("sample {kind} error")),
        error_kind: error_kind.map(Into::into),
        notice: with_extras.then(|| "We sent a new code.".into()),
        other_methods: if with_extras {
            method_choices()
        } else {
            Vec::new()
        },
        can_resend: method != "app",
        resend_wait_secs: with_extras.then_some(30),
        attempts_left: with_extras.then_some(2),
        help_sender_email: with_extras.then(|| "no-reply@example.com".into()),
        help_sender_phone: with_extras.then(|| "(833) 697-2963".into()),
    }
}

fn enroll_contact(method: &str, code_sent: bool, with_extras: bool) -> EnrollContact {
    EnrollContact {
        csrf: "sample-csrf".into(),
        method: method.into(),
        masked_destination: "j•••@example.com".into(),
        code_sent,
        code_ttl_label: "5 minutes".into(),
        trust_options: trust_options(),
        error: with_extras.then(|| "sample error".into()),
        notice: with_extras.then(|| "We sent a new code.".into()),
        resend_wait_secs: with_extras.then_some(1),
        help_sender_email: with_extras.then(|| "no-reply@example.com".into()),
        help_sender_phone: with_extras.then(|| "(833) 697-2963".into()),
    }
}

/// One page per template branch: with and without optional values, each method, each error.
pub(crate) fn all() -> Vec<Page> {
    let mut pages = vec![
        Page::EnrollChoose(EnrollChoose {
            csrf: "sample-csrf".into(),
            username: "jdoe".into(),
            methods: method_choices(),
            error: Some("sample error".into()),
        }),
        Page::EnrollChoose(EnrollChoose {
            csrf: "sample-csrf".into(),
            username: "jdoe".into(),
            methods: Vec::new(),
            error: None,
        }),
        Page::EnrollApp(EnrollApp {
            csrf: "sample-csrf".into(),
            qr_svg: "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"></svg>".into(),
            secret_groups: "ABCD EFGH".into(),
            otpauth_uri: "otpauth://totp/Sample:jdoe?secret=ABCDEFGH&issuer=Sample".into(),
            trust_options: trust_options(),
            error: Some("sample error".into()),
        }),
        Page::EnrollApp(EnrollApp {
            csrf: "sample-csrf".into(),
            qr_svg: String::new(),
            secret_groups: String::new(),
            otpauth_uri: String::new(),
            trust_options: Vec::new(),
            error: None,
        }),
        Page::Cancelled(Cancelled {
            roster_update_url: Some("https://example.com/roster".into()),
        }),
        Page::Cancelled(Cancelled {
            roster_update_url: None,
        }),
        Page::Message(Message::fail_closed().with_details("sample details")),
        Page::Message(Message::new(404, "Sample", "Sample message")),
    ];
    for method in ["email", "text"] {
        for code_sent in [true, false] {
            for with_extras in [true, false] {
                pages.push(Page::EnrollContact(enroll_contact(
                    method,
                    code_sent,
                    with_extras,
                )));
            }
        }
    }
    for method in ["app", "email", "text"] {
        for error_kind in [None, Some("wrong"), Some("expired"), Some("locked")] {
            for with_extras in [true, false] {
                pages.push(Page::Challenge(challenge(method, error_kind, with_extras)));
            }
        }
    }
    pages
}
