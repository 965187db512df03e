//! The words of the set-up pages: real plurals, trust periods and dates from data, the
//! methods from the catalogue, no English left in Spanish, no words in the templates.

use std::time::Duration;

use super::enroll::{after_heading, render, setup_samples};
use super::spanish::assert_no_english;
use super::*;

#[test]
fn app_pages_do_not_ask_about_an_email_or_phone_number() {
    for page in setup_samples() {
        if let Page::EnrollApp(_) = page {
            let html = pages().render_en(&page);
            assert!(!html.contains("Wrong email or phone number?"), "{html}");
        }
    }
}

#[test]
fn counts_are_real_plurals_never_time_s() {
    let pages = pages();
    for page in setup_samples() {
        for lang in Lang::ALL {
            let html = render(&page, lang);
            assert!(!html.contains("(s)"), "{}: {html}", page.template_name());
        }
    }
    let one = samples::enroll_app(None, Some(SetupError::WrongCode { attempts_left: 1 }));
    let html = pages.render_en(&Page::EnrollApp(one.clone()));
    assert!(html.contains("You can try 1 more time."));
    let html = render(&Page::EnrollApp(one), Lang::Es);
    assert!(html.contains("Puede intentarlo 1 vez más."));
    let two = samples::enroll_app(None, Some(SetupError::WrongCode { attempts_left: 2 }));
    assert!(render(&Page::EnrollApp(two), Lang::Es).contains("Puede intentarlo 2 veces más."));
}

#[test]
fn trust_periods_are_worded_from_their_length() {
    let mut page = samples::enroll_app(None, None);
    page.trust_options = [
        Duration::from_secs(86_400),
        Duration::from_secs(2 * 86_400),
        Duration::from_secs(30 * 86_400),
        Duration::from_secs(12 * 3_600),
    ]
    .into_iter()
    .map(|period| TrustOption {
        value: period.as_secs().to_string(),
        every: TimeSpan::of(period),
        selected: false,
    })
    .collect();
    let page = Page::EnrollApp(page);
    let english = pages().render_en(&page);
    for label in [
        "Every 24 hours",
        "Every 2 days",
        "Every 30 days",
        "Every 12 hours",
    ] {
        assert!(english.contains(&format!(">{label}<")), "{label}");
    }
    let spanish = render(&page, Lang::Es);
    for label in [
        "Cada 24 horas",
        "Cada 2 días",
        "Cada 30 días",
        "Cada 12 horas",
    ] {
        assert!(spanish.contains(&format!(">{label}<")), "{label}");
    }
}

#[test]
fn a_time_span_uses_the_largest_unit_that_measures_it_but_one_day_is_24_hours() {
    let span = |secs| {
        let span = TimeSpan::of(Duration::from_secs(secs));
        (span.count, span.unit)
    };
    assert_eq!(span(86_400), (24, "hours"));
    assert_eq!(span(2 * 86_400), (2, "days"));
    assert_eq!(span(30 * 86_400), (30, "days"));
    assert_eq!(span(25 * 3_600), (25, "hours"));
    assert_eq!(span(90 * 60), (90, "minutes"));
    assert_eq!(span(300), (5, "minutes"));
    assert_eq!(span(2), (2, "seconds"));
    assert_eq!(span(0), (0, "seconds"));
}

#[test]
fn the_enforcement_day_is_read_in_utc_with_its_weekday() {
    let day = |text: &str| {
        CalendarDate::of(
            chrono::DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&chrono::Utc),
        )
    };
    let wednesday = CalendarDate {
        year: 2025,
        month: 11,
        day: 5,
        weekday: 3,
    };
    assert_eq!(day("2025-11-05T00:00:00Z"), wednesday);
    assert_eq!(day("2025-11-05T06:00:00-05:00"), wednesday);
    assert_eq!(day("2025-11-04T22:00:00-05:00").weekday, 3);
    assert_eq!(day("2026-01-04T12:00:00Z").weekday, 7);
}

#[test]
fn method_choices_are_worded_by_the_catalogue() {
    let html = pages().render_en(&samples::all().remove(0));
    for words in [
        ">Authenticator app<",
        ">Text message<",
        ">Email<",
        "We text a 6-digit code to the mobile number on your roster record.",
    ] {
        assert!(html.contains(words), "{words}");
    }
    let html = render(&samples::all().remove(0), Lang::Es);
    for words in [
        ">Aplicación de autenticación<",
        ">Mensaje de texto<",
        ">Correo electrónico<",
    ] {
        assert!(html.contains(words), "{words}");
    }
}

#[test]
fn a_refused_choice_is_wired_to_the_radios() {
    let html = pages().render_en(&samples::all().remove(0));
    let radios: Vec<&str> = input_tags(&html)
        .into_iter()
        .filter(|tag| tag.contains("name=\"method\""))
        .collect();
    assert_eq!(radios.len(), 3);
    for radio in radios {
        assert!(
            radio.contains("aria-invalid=\"true\"") && radio.contains(" method-error\""),
            "{radio}"
        );
    }
    let card = after_heading(&html);
    assert!(card.trim_start().starts_with(
        "<div class=\"alert alert-error\" id=\"method-error\" role=\"alert\"><p>Please choose how you would like to receive your codes.</p>"
    ));
    assert!(card.contains("<a href=\"#method-1\">"));
}

/// English words of the set-up pages; none may be left on a Spanish set-up page.
const ENGLISH: &[&str] = &[
    "Set up",
    "Enter ",
    "Choose",
    "Continue",
    "Finish",
    "Every",
    "Install",
    "Get an app",
    "Open in",
    " scan ",
    "Can't",
    "phone",
    "Text message",
    "Email",
    "We sent",
    "We will",
    "We email",
    "We text",
    "didn't",
    "expired",
    "good for",
    "You can",
    "Questions",
    "Wrong",
    "Cancel ",
    "required",
    "Multi-Factor",
    "users",
    "November",
    "Wednesday",
    "How often",
    "minute",
    "Please",
    " the ",
    " your ",
    " code ",
];

#[test]
fn a_spanish_set_up_page_has_no_english_left() {
    let pages = pages();
    let spanish = Audience {
        lang: Lang::Es,
        sign_in_url: "/login".into(),
    };
    for page in setup_samples() {
        let html = pages.render(&page, &spanish);
        assert_no_english(&html, page.template_name(), ENGLISH);
    }
}

/// The template source with every tag, expression, statement and comment taken out.
fn literal_text(source: &str) -> String {
    let mut text = source.to_string();
    for (open, close) in [("{#", "#}"), ("{%", "%}"), ("{{", "}}"), ("<", ">")] {
        while let Some(start) = text.find(open) {
            let end = text[start..]
                .find(close)
                .map_or(text.len(), |at| start + at + close.len());
            text.replace_range(start..end, " ");
        }
    }
    text
}

#[test]
fn set_up_templates_hold_no_words_of_their_own() {
    // Names of stores are the stores' own, in every language.
    const NAMES: &[&str] = &["App", "Store", "Google", "Play"];
    for (name, source) in templates::EMBEDDED_TEMPLATES {
        if !name.starts_with("enroll_") {
            continue;
        }
        let text = literal_text(source);
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphabetic())
            .filter(|word| !word.is_empty() && !NAMES.contains(word))
            .collect();
        assert!(
            words.is_empty(),
            "{name} says {words:?} outside the catalogue"
        );
        // Pages choose their words from data (kinds, numbers), never by reading a sentence.
        for test in [" in error", " in notice", "\" in "] {
            assert!(!source.contains(test), "{name} tests a sentence: {test}");
        }
    }
}
