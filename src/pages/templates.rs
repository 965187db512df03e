//! Where template and stylesheet sources come from.
//!
//! The defaults are compiled into the binary so the gateway runs from any directory. An
//! override directory (a deployment's own look) may replace any of them file by file:
//! `DIR/templates/NAME` (the pages, and the bodies of emails and texts) and `DIR/gateway.css`.

use std::borrow::Cow;
use std::io;
use std::path::Path;

use super::PageError;

/// Every template, by name, with its embedded source.
pub(crate) const EMBEDDED_TEMPLATES: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../static/templates/layout.html"),
    ),
    (
        "macros.html",
        include_str!("../../static/templates/macros.html"),
    ),
    (
        "enroll_macros.html",
        include_str!("../../static/templates/enroll_macros.html"),
    ),
    (
        "enroll_choose.html",
        include_str!("../../static/templates/enroll_choose.html"),
    ),
    (
        "enroll_app.html",
        include_str!("../../static/templates/enroll_app.html"),
    ),
    (
        "enroll_contact.html",
        include_str!("../../static/templates/enroll_contact.html"),
    ),
    (
        "challenge.html",
        include_str!("../../static/templates/challenge.html"),
    ),
    (
        "cancelled.html",
        include_str!("../../static/templates/cancelled.html"),
    ),
    (
        "message.html",
        include_str!("../../static/templates/message.html"),
    ),
    // Not pages: the words of the code emails and texts and of the change notices, rendered
    // with `Pages::render_message_template` (see `crate::delivery::message`). `.txt` ones are
    // not HTML-escaped.
    (
        "email_code.txt",
        include_str!("../../static/templates/email_code.txt"),
    ),
    (
        "email_code.html",
        include_str!("../../static/templates/email_code.html"),
    ),
    (
        "text_code.txt",
        include_str!("../../static/templates/text_code.txt"),
    ),
    (
        "notice_method_changed.txt",
        include_str!("../../static/templates/notice_method_changed.txt"),
    ),
];

/// The embedded stylesheet.
pub(crate) const EMBEDDED_GATEWAY_CSS: &str = include_str!("../../static/gateway.css");

/// The template's source: the override file when present, else the embedded one.
pub(crate) fn template_source(
    override_dir: Option<&Path>,
    name: &str,
    embedded: &'static str,
) -> Result<Cow<'static, str>, PageError> {
    let Some(dir) = override_dir else {
        return Ok(Cow::Borrowed(embedded));
    };
    Ok(read_if_present(&dir.join("templates").join(name))?
        .map_or(Cow::Borrowed(embedded), Cow::Owned))
}

/// The stylesheet: `DIR/gateway.css` when present, else the embedded one.
pub(crate) fn gateway_css_source(override_dir: Option<&Path>) -> Result<String, PageError> {
    let overridden = match override_dir {
        Some(dir) => read_if_present(&dir.join("gateway.css"))?,
        None => None,
    };
    Ok(overridden.unwrap_or_else(|| EMBEDDED_GATEWAY_CSS.to_string()))
}

/// Reads a file; a missing file is `None`, any other problem (permissions, not UTF-8) an error,
/// so a broken deployment is noticed at start-up rather than silently falling back.
pub(crate) fn read_if_present(path: &Path) -> Result<Option<String>, PageError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(PageError::Io {
            path: path.to_path_buf(),
            error,
        }),
    }
}
