//! The pages in Spanish: no English left on them, numbers worded with Spanish plurals, and an
//! operator's catalogue file replacing single messages.

use std::path::Path;

use super::*;

fn spanish() -> Audience {
    Audience {
        lang: Lang::Es,
        sign_in_url: "/login".into(),
    }
}

/// English words and phrases of the challenge, cancelled and message pages and the shared
/// parts; none of them may be left on a Spanish page.
const ENGLISH: &[&str] = &[
    "Enter ",
    "Verify",
    "Resend",
    "Try another",
    "Try again",
    "Sign in",
    "Sign-in",
    // ("Cancelar" is Spanish.)
    "Cancel ",
    "We sent",
    "didn't",
    "expired",
    "good for",
    "Codes come",
    "Texts come",
    "You can",
    "Questions",
    "Wrong ",
    "wrong",
    "minute",
    "second",
    "Support",
    "Signing in as",
    "6-digit",
    "Need help",
    "Email",
    "Phone",
    "Hours",
    "please",
    "Please",
    " the ",
    " your ",
];

fn assert_spanish(html: &str, what: &str) {
    assert_no_english(html, what, ENGLISH);
}

/// `html` is a Spanish page (`<html lang="es">`) whose visible text has none of `english`.
pub(super) fn assert_no_english(html: &str, what: &str, english: &[&str]) {
    assert!(html.contains("<html lang=\"es\">"), "{what}");
    let text = visible_text(html);
    let left: Vec<&&str> = english
        .iter()
        .filter(|word| text.contains(**word))
        .collect();
    assert!(
        left.is_empty(),
        "{what} in Spanish still says {left:?}: {text}"
    );
}

#[test]
fn challenge_cancelled_and_message_pages_have_no_english_left_in_spanish() {
    let pages = pages();
    for page in samples::all() {
        if matches!(
            page,
            Page::Challenge(_) | Page::Cancelled(_) | Page::Message(_)
        ) {
            let html = pages.render(&page, &spanish());
            assert!(
                !html.contains("Something went wrong"),
                "{}",
                page.template_name()
            );
            assert_spanish(&html, page.template_name());
        }
    }
}

#[test]
fn numbers_are_worded_with_spanish_plurals() {
    let pages = pages();
    let mut page = challenge_with(Some("wrong"));
    page.resend_wait_secs = Some(42);
    let html = pages.render(&Page::Challenge(page), &spanish());
    assert!(html.contains("Puede intentarlo 3 veces más."), "{html}");
    assert!(html.contains("Podrá pedir un código nuevo en 45 segundos."));
    assert!(html.contains("Es válido por 5 minutos."));
    let mut page = challenge_with(Some("wrong"));
    page.attempts_left = Some(1);
    page.resend_wait_secs = Some(3 * 60);
    let html = pages.render(&Page::Challenge(page), &spanish());
    assert!(html.contains("Puede intentarlo 1 vez más."));
    assert!(html.contains("Podrá pedir un código nuevo en 3 minutos."));
    assert!(html.contains(">Reenviar código</button>"));
}

#[test]
fn the_spanish_challenge_keeps_mfa_and_the_senders() {
    let pages = pages();
    let mut page = challenge_with(None);
    page.method = "email".into();
    let html = pages.render(&Page::Challenge(page), &spanish());
    assert!(html.contains("Los códigos llegan desde <strong>no-reply@connectmls.com</strong>."));
    assert!(html.contains("exige la MFA"));
    let cancelled = pages.render(
        &Page::Cancelled(Cancelled {
            roster_update_url: None,
        }),
        &spanish(),
    );
    assert!(cancelled.contains("<h1>Inicio de sesión cancelado</h1>"));
}

fn write(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn an_operator_file_replaces_one_spanish_message_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "locales/es/challenge.ftl",
        "challenge-title = Escriba el código de la MFA\n",
    );
    let pages = Pages::new(&branding(), Some(dir.path())).unwrap();
    let page = Page::Challenge(challenge_with(None));
    let html = pages.render(&page, &spanish());
    assert!(
        html.contains("<h1>Escriba el código de la MFA</h1>"),
        "{html}"
    );
    assert!(
        html.contains(">Verificar</button>"),
        "the other messages stay"
    );
    let english = pages.render_en(&page);
    assert!(english.contains("<h1>Enter your verification code</h1>"));
}

#[test]
fn a_broken_operator_file_stops_start_up_by_name() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "locales/es/challenge.ftl",
        "challenge-title = { $\n",
    );
    let error = Pages::new(&branding(), Some(dir.path())).unwrap_err();
    assert!(
        error.to_string().contains("locales/es/challenge.ftl"),
        "{error}"
    );
}
