//! Building `Pages`: override directory, broken templates, branding checks, fallback.

use std::path::Path;

use super::*;

fn write(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn override_directory_wins_file_by_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "templates/message.html",
        "{% extends \"layout.html\" %}{% block content %}<h1>Custom {{ t(title) }}</h1>{% endblock %}",
    );
    write(dir.path(), "gateway.css", "body { color: black; }");
    let pages = Pages::new(&branding(), Some(dir.path())).unwrap();
    let html = pages.render_en(&Page::Message(Message::not_found()));
    assert!(html.contains("<h1>Custom Page not found</h1>"));
    assert!(
        html.contains("mailto:support@smartmls.com"),
        "embedded layout still used"
    );
    assert_eq!(pages.gateway_css(), "body { color: black; }");
}

#[test]
fn broken_override_template_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "templates/challenge.html", "{% if %}");
    let error = Pages::new(&branding(), Some(dir.path())).unwrap_err();
    assert!(
        matches!(&error, PageError::Template { name, .. } if name == "challenge.html"),
        "{error}"
    );
    assert!(error.to_string().starts_with("template challenge.html: "));
}

#[test]
fn override_with_a_render_time_mistake_is_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "templates/cancelled.html",
        "{{ no_such_variable }}",
    );
    let error = Pages::new(&branding(), Some(dir.path())).unwrap_err();
    assert!(
        matches!(&error, PageError::Template { name, .. } if name == "cancelled.html"),
        "{error}"
    );
}

#[test]
fn render_failure_falls_back_to_a_safe_page_with_support_contact() {
    let dir = tempfile::tempdir().unwrap();
    // Passes the start-up sample renders but fails for one specific title.
    write(
        dir.path(),
        "templates/message.html",
        "{% if title == \"boom\" %}{{ no_such_variable }}{% endif %}ok",
    );
    let pages = Pages::new(&branding(), Some(dir.path())).unwrap();
    let html = pages.render_en(&Page::Message(Message::new(500, "boom", "x")));
    assert!(html.contains("Something went wrong"));
    assert!(html.contains("mailto:support@smartmls.com"));
    assert!(!html.contains("style="));
}

#[test]
fn invalid_colour_is_refused() {
    let mut branding = branding();
    branding.primary_color = "blue;}".into();
    assert!(matches!(
        Pages::new(&branding, None),
        Err(PageError::InvalidColor(_))
    ));
}

#[test]
fn pages_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Pages>();
}
