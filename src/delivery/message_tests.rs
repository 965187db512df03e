//! The code email, the code text and the change notices, in both languages and overridden.

use std::path::Path;

use super::*;
use crate::delivery::segments::{gsm7_septets, sms_segments, GSM7_SINGLE, UCS2_SINGLE};

fn branding() -> Branding {
    Branding {
        name: "SmartMLS".into(),
        support_email: "support@smartmls.com".into(),
        support_phone: "(203) 750-6000".into(),
        support_hours: "Mon-Thu 8:30am-7:00pm".into(),
        roster_update_url: None,
        primary_color: "#005a9c".into(),
        logo: None,
    }
}

fn pages(branding: &Branding, dir: Option<&Path>) -> Pages {
    Pages::new(branding, dir).expect("pages")
}

fn details(name: Option<&str>) -> CodeDetails<'_> {
    CodeDetails {
        code: "482913",
        valid_for: Duration::from_secs(300),
        member_name: name,
    }
}

fn email(lang: Lang, name: Option<&str>) -> MessageBody {
    let (branding, pages) = (branding(), pages(&branding(), None));
    Wording::new(&pages, &branding)
        .code_email(lang, &details(name), None)
        .expect("email")
}

fn text(branding: &Branding, lang: Lang, secs: u64) -> String {
    let pages = pages(branding, None);
    let details = CodeDetails {
        valid_for: Duration::from_secs(secs),
        ..details(None)
    };
    Wording::new(&pages, branding)
        .code_text(lang, &details)
        .expect("text")
        .plain
}

#[test]
fn english_email_states_code_validity_and_what_to_do_if_not_you() {
    let body = email(Lang::En, Some("Jane Doe"));
    assert_eq!(body.subject, "Your SmartMLS verification code");
    let html = body.html.as_deref().expect("html part");
    for part in [body.plain.as_str(), html] {
        assert!(part.contains("482913"), "{part}");
        assert!(part.contains("Your SmartMLS MFA code is:"), "{part}");
        assert!(part.contains("This code is good for 5 minutes."), "{part}");
        assert!(
            part.contains("If you did not try to sign in to SmartMLS"),
            "{part}"
        );
        assert!(part.contains("Someone may know your password"), "{part}");
        assert!(part.contains("support@smartmls.com"), "{part}");
        assert!(part.contains("(203) 750-6000"), "{part}");
        assert!(part.contains("Mon-Thu 8:30am-7:00pm"), "{part}");
        assert!(part.contains("Hello Jane Doe,"), "{part}");
    }
    assert!(
        body.plain.starts_with("Hello Jane Doe,\n\n"),
        "{}",
        body.plain
    );
    assert!(body.plain.contains("\n    482913\n"), "{}", body.plain);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("<a href=\"mailto:support@smartmls.com\">"));
    assert!(html.contains("#005a9c"));
}

#[test]
fn spanish_email_is_all_spanish() {
    let body = email(Lang::Es, Some("Juana Pérez"));
    assert_eq!(body.subject, "Su código de verificación de SmartMLS");
    let html = body.html.as_deref().expect("html part");
    for part in [body.plain.as_str(), html] {
        assert!(part.contains("Hola, Juana Pérez:"), "{part}");
        assert!(part.contains("Su código MFA de SmartMLS es:"), "{part}");
        assert!(
            part.contains("Este código es válido por 5 minutos."),
            "{part}"
        );
        assert!(
            part.contains("No comparta este código con nadie."),
            "{part}"
        );
        assert!(part.contains("Soporte de SmartMLS: "), "{part}");
        for english in ["Hello", "code is", "good for", "minutes", "Support:"] {
            assert!(!part.contains(english), "{english:?} in Spanish: {part}");
        }
    }
    assert!(html.contains("<html lang=\"es\">"));
    assert!(email(Lang::Es, None).plain.starts_with("Hola:\n"));
}

#[test]
fn the_configured_subject_is_the_english_one_only() {
    let (branding, pages) = (branding(), pages(&branding(), None));
    let wording = Wording::new(&pages, &branding);
    let custom = Some("Your SmartMLS sign-in code\r\nBcc: x@evil.example");
    let english = wording
        .code_email(Lang::En, &details(None), custom)
        .unwrap();
    assert_eq!(
        english.subject,
        "Your SmartMLS sign-in code Bcc: x@evil.example"
    );
    let spanish = wording
        .code_email(Lang::Es, &details(None), custom)
        .unwrap();
    assert_eq!(spanish.subject, "Su código de verificación de SmartMLS");
}

#[test]
fn html_has_no_external_resources_and_escapes_roster_text() {
    let body = email(Lang::En, Some("<img src=x onerror=alert(1)>"));
    let html = body.html.expect("html part");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert_eq!(html.matches("href=").count(), 1);
    // The plain part is not HTML: the name is as written.
    assert!(body.plain.contains("Hello <img src=x onerror=alert(1)>,"));
}

#[test]
fn missing_name_gives_a_plain_greeting_and_control_characters_are_dropped() {
    assert!(email(Lang::En, None).plain.starts_with("Hello,\n"));
    assert!(email(Lang::En, Some("  ")).plain.starts_with("Hello,\n"));
    let body = email(Lang::En, Some("Jane\r\nBcc: x@evil.example"));
    assert!(body.plain.starts_with("Hello Jane Bcc: x@evil.example,\n"));
}

#[test]
fn bad_colour_falls_back() {
    let mut brand = branding();
    let pages = pages(&brand, None);
    brand.primary_color = "red;background:url(x)".into();
    let html = Wording::new(&pages, &brand)
        .code_email(Lang::En, &details(None), None)
        .unwrap()
        .html
        .unwrap();
    assert!(html.contains(FALLBACK_COLOR) && !html.contains("url("));
}

#[test]
fn english_text_is_one_gsm7_sms_even_with_a_long_name() {
    assert_eq!(
        text(&branding(), Lang::En, 300),
        "SmartMLS code: 482913. Valid 5 minutes. Don't share it."
    );
    let mut long = branding();
    long.name = "A".repeat(300);
    for secs in [60, 90, 300, 1799] {
        let body = text(&long, Lang::En, secs);
        let septets = gsm7_septets(&body).expect("English stays GSM-7");
        assert!(septets <= GSM7_SINGLE, "{septets}: {body}");
        assert_eq!(sms_segments(&body), 1);
    }
}

#[test]
fn spanish_text_is_one_ucs2_sms_with_an_organisation_name_of_up_to_14_characters() {
    let body = text(&branding(), Lang::Es, 300);
    assert_eq!(
        body,
        "Código de SmartMLS: 482913. Vence en 5 minutos. No lo comparta."
    );
    // "ó" is outside the GSM alphabet: the text goes as UCS-2, 70 characters per SMS.
    assert_eq!(gsm7_septets(&body), None);
    assert!(body.encode_utf16().count() <= UCS2_SINGLE, "{body}");
    let mut longer = branding();
    longer.name = "Bright MLS Inc".into();
    assert_eq!(longer.name.chars().count(), 14);
    for secs in [60, 300, 1800] {
        let body = text(&longer, Lang::Es, secs);
        assert_eq!(sms_segments(&body), 1, "{body}");
    }
    // Beyond that it is two SMS (joined on the phone, billed twice): documented.
    longer.name = "California Regional MLS".into();
    assert_eq!(sms_segments(&text(&longer, Lang::Es, 300)), 2);
}

#[test]
fn durations_read_naturally_in_both_languages() {
    let (branding, pages) = (branding(), pages(&branding(), None));
    let wording = Wording::new(&pages, &branding);
    let words = |lang, secs| {
        wording
            .duration_words(lang, Duration::from_secs(secs))
            .unwrap()
    };
    assert_eq!(words(Lang::En, 300), "5 minutes");
    assert_eq!(words(Lang::En, 60), "1 minute");
    assert_eq!(words(Lang::En, 45), "45 seconds");
    assert_eq!(words(Lang::En, 90), "1 minute 30 seconds");
    assert_eq!(words(Lang::Es, 300), "5 minutos");
    assert_eq!(words(Lang::Es, 61), "1 minuto 1 segundo");
}

#[test]
fn notices_render_in_both_languages_without_a_code() {
    let (branding, pages) = (branding(), pages(&branding(), None));
    let wording = Wording::new(&pages, &branding);
    let en = wording
        .notice(
            Lang::En,
            Notice::MethodChanged(Method::App),
            Some("Jane Doe"),
        )
        .unwrap();
    assert_eq!(
        en.subject,
        "Your SmartMLS sign-in verification method was changed"
    );
    assert!(en.plain.starts_with("Hello Jane Doe,\n\n"), "{}", en.plain);
    assert!(en
        .plain
        .contains("you now sign in with an authenticator app."));
    assert!(en.plain.contains("If this wasn't you"), "{}", en.plain);
    assert!(en.plain.contains("support@smartmls.com"), "{}", en.plain);
    assert!(en.html.is_none());
    let es = wording
        .notice(Lang::Es, Notice::MethodChanged(Method::Text), None)
        .unwrap();
    assert_eq!(
        es.subject,
        "Se cambió su método de verificación de SmartMLS"
    );
    assert!(es.plain.starts_with("Hola:\n\n"), "{}", es.plain);
    assert!(es
        .plain
        .contains("ahora inicia sesión con códigos enviados por mensaje de texto a su celular."));
    assert!(es.plain.contains("Si no fue usted"), "{}", es.plain);
    let email = wording
        .notice(Lang::Es, Notice::MethodChanged(Method::Email), None)
        .unwrap();
    assert!(email
        .plain
        .contains("códigos enviados a su correo electrónico"));
}

#[test]
fn an_override_file_replaces_a_body_and_its_words() {
    let dir = tempfile::tempdir().unwrap();
    let write = |relative: &str, text: &str| {
        let path = dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "templates/text_code.txt",
        "{{ code }} {{ t(\"text-code-custom\") }}",
    );
    write(
        "locales/en/delivery.ftl",
        "text-code-custom = is your code\n",
    );
    write(
        "locales/es/delivery.ftl",
        "text-code-custom = es su código\n",
    );
    write(
        "templates/notice_method_changed.txt",
        "{{ lang }}: {{ method }}",
    );
    let brand = branding();
    let pages = pages(&brand, Some(dir.path()));
    let wording = Wording::new(&pages, &brand);
    let en = wording.code_text(Lang::En, &details(None)).unwrap();
    assert_eq!(en.plain, "482913 is your code");
    let es = wording.code_text(Lang::Es, &details(None)).unwrap();
    assert_eq!(es.plain, "482913 es su código");
    let notice = wording
        .notice(Lang::Es, Notice::MethodChanged(Method::Email), None)
        .unwrap();
    assert_eq!(notice.plain, "es: email");
    // The email still comes from the embedded templates.
    assert!(wording
        .code_email(Lang::En, &details(None), None)
        .unwrap()
        .plain
        .contains("This code is good for 5 minutes."));
}

#[test]
fn a_broken_email_override_stops_start_up_naming_the_template() {
    for (file, source) in [
        ("email_code.html", "{% if %}"),
        ("email_code.txt", "{{ no_such_variable }}"),
        ("notice_method_changed.txt", "{{ t(\"no-such-message\") }}"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("templates").join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, source).unwrap();
        let error = Pages::new(&branding(), Some(dir.path())).unwrap_err();
        assert!(
            matches!(&error, PageError::Template { name, .. } if name == file),
            "{file}: {error}"
        );
    }
    // A Spanish catalogue override that drops a word of the text stops start-up too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locales/es/delivery.ftl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "text-code = Código: { $no_such_argument }\n").unwrap();
    let error = Pages::new(&branding(), Some(dir.path())).unwrap_err();
    assert!(error.to_string().contains("text_code.txt"), "{error}");
    assert!(error.to_string().contains("in es"), "{error}");
}

#[test]
fn debug_output_of_a_body_hides_the_code() {
    let body = email(Lang::En, Some("Jane Doe"));
    let debug = format!("{body:?}");
    assert!(
        !debug.contains("482913") && !debug.contains("Jane"),
        "{debug}"
    );
}
