//! Example pages covering every branch the templates take.
//!
//! `Pages::new` renders each of them once, so a template that only fails at render time
//! (an unknown variable, filter or macro) stops the gateway at start-up with the template's
//! name, instead of showing members the fallback page later.

use super::context::{
    CalendarDate, Cancelled, Challenge, EnrollApp, EnrollChoose, EnrollContact, Message,
    MethodChoice, MfaIntro, Page, SetupError, TimeSpan, TrustOption,
};

/// The choice page's methods (labels are message ids).
fn method_choices() -> Vec<MethodChoice> {
    [
        ("app", None),
        ("text", Some("(•••) •••-2963")),
        ("email", Some("j•••@example.com")),
    ]
    .into_iter()
    .map(|(value, masked)| MethodChoice {
        value: value.into(),
        label: format!("method-{value}"),
        description: format!("method-{value}-description"),
        masked_destination: masked.map(Into::into),
    })
    .collect()
}

fn trust_options() -> Vec<TrustOption> {
    [(86_400, "hours", 24, false), (2_592_000, "days", 30, true)]
        .into_iter()
        .map(|(secs, unit, count, selected)| TrustOption {
            value: u64::to_string(&secs),
            every: TimeSpan { count, unit },
            selected,
        })
        .collect()
}

/// The set-up introduction: with the enforcement date (Wednesday, November 5, 2025) or without.
pub(crate) fn intro(dated: bool, app_only: bool) -> MfaIntro {
    MfaIntro {
        required_from: dated.then_some(CalendarDate {
            year: 2025,
            month: 11,
            day: 5,
            weekday: 3,
        }),
        app_only,
    }
}

/// Every error an app or email / text set-up page can open on.
pub(crate) const SETUP_ERRORS: [SetupError; 4] = [
    SetupError::WrongCode { attempts_left: 2 },
    SetupError::CodeExpired,
    SetupError::NoTrustPeriod,
    SetupError::SendFailed,
];

pub(crate) fn enroll_app(intro: Option<MfaIntro>, error: Option<SetupError>) -> EnrollApp {
    EnrollApp {
        csrf: "sample-csrf".into(),
        intro,
        qr_svg: "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"></svg>".into(),
        secret_groups: "ABCD EFGH".into(),
        otpauth_uri: "otpauth://totp/Sample:jdoe?secret=ABCDEFGH&issuer=Sample".into(),
        trust_options: trust_options(),
        can_choose: error.is_some(),
        error,
    }
}

/// The challenge's "Try another method" buttons (labels are message ids).
fn other_methods() -> Vec<MethodChoice> {
    ["app", "email", "text"]
        .into_iter()
        .map(|method| MethodChoice {
            value: method.into(),
            label: format!("method-{method}"),
            description: format!("method-{method}-description"),
            masked_destination: (method != "app").then(|| "j•••@example.com".into()),
        })
        .collect()
}

fn challenge(method: &str, error_kind: Option<&'static str>, with_extras: bool) -> Challenge {
    Challenge {
        csrf: "sample-csrf".into(),
        username: "jdoe".into(),
        method: method.into(),
        masked_destination: with_extras.then(|| "j•••@example.com".into()),
        code_ttl: TimeSpan::of(std::time::Duration::from_secs(300)),
        error_kind,
        notice_kind: with_extras.then_some("sent"),
        other_methods: if with_extras {
            other_methods()
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

/// Challenge pages beyond the method × error grid: a "sent" notice without a destination, a
/// refused resend with a wait in minutes, one in seconds.
fn challenge_notices() -> Vec<Challenge> {
    let mut sent_nowhere = challenge("text", None, false);
    sent_nowhere.notice_kind = Some("sent");
    let mut throttled_long = challenge("email", None, true);
    throttled_long.notice_kind = Some("throttled");
    throttled_long.resend_wait_secs = Some(14 * 60 + 5);
    let mut throttled = challenge("text", None, true);
    throttled.notice_kind = Some("throttled");
    throttled.resend_wait_secs = Some(1);
    vec![sent_nowhere, throttled_long, throttled]
}

pub(crate) fn enroll_contact(method: &str, code_sent: bool, with_extras: bool) -> EnrollContact {
    EnrollContact {
        csrf: "sample-csrf".into(),
        intro: (!with_extras).then(|| intro(code_sent, false)),
        method: method.into(),
        proving_for_app: with_extras,
        masked_destination: "j•••@example.com".into(),
        code_sent,
        code_ttl: TimeSpan {
            count: if with_extras { 1 } else { 5 },
            unit: "minutes",
        },
        trust_options: trust_options(),
        error: with_extras.then_some(SetupError::WrongCode { attempts_left: 1 }),
        resent: with_extras,
        resend_wait_secs: with_extras.then_some(1),
        can_choose: with_extras,
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
            intro: intro(true, false),
            methods: method_choices(),
            error: Some(SetupError::NoMethod),
        }),
        Page::EnrollChoose(EnrollChoose {
            csrf: "sample-csrf".into(),
            username: "jdoe".into(),
            intro: intro(false, true),
            methods: Vec::new(),
            error: None,
        }),
        Page::EnrollApp(enroll_app(Some(intro(true, true)), None)),
        Page::EnrollApp(EnrollApp {
            qr_svg: String::new(),
            secret_groups: String::new(),
            otpauth_uri: String::new(),
            trust_options: Vec::new(),
            ..enroll_app(Some(intro(false, false)), None)
        }),
        Page::EnrollApp(enroll_app(None, None)),
        Page::Cancelled(Cancelled {
            roster_update_url: Some("https://example.com/roster".into()),
        }),
        Page::Cancelled(Cancelled {
            roster_update_url: None,
        }),
    ];
    pages.extend(Message::all_standard().into_iter().map(Page::Message));
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
    for error in SETUP_ERRORS {
        pages.push(Page::EnrollApp(enroll_app(None, Some(error))));
        for method in ["email", "text"] {
            for can_choose in [true, false] {
                pages.push(Page::EnrollContact(EnrollContact {
                    error: Some(error),
                    can_choose,
                    // After a failed send the page offers to send again.
                    code_sent: error != SetupError::SendFailed,
                    ..enroll_contact(method, true, false)
                }));
            }
        }
    }
    for method in ["app", "email", "text"] {
        for error_kind in [None, Some("wrong"), Some("expired"), Some("send_failed")] {
            for with_extras in [true, false] {
                pages.push(Page::Challenge(challenge(method, error_kind, with_extras)));
            }
        }
    }
    pages.extend(challenge_notices().into_iter().map(Page::Challenge));
    pages
}
