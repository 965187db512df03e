//! The words members read: the code email (subject, plain text and HTML), the code text message
//! and (in [`super::notice`]) the change notices.
//!
//! Each is a template (`static/templates/email_code.txt`, `email_code.html`, `text_code.txt`,
//! `notice_*.txt`) rendered by the pages' engine with the pages' catalogue, in the member's
//! language: `t()` works in them, a deployment overrides them file by file in
//! `static_dir/templates/` and their words in `static_dir/locales/<lang>/delivery.ftl`.
//! [`render_samples`] renders every one in every language at start-up, so a broken override
//! stops start-up instead of reaching a member.
//!
//! The email says what the code is for, how long it is good for (FAQ: "good for 5 minutes"),
//! and what to do if the member did not try to sign in: someone may know their password. It
//! carries no images and no links except a `mailto:` to support, so it renders the same
//! everywhere and gives spam filters and phishers nothing to work with. The text message fits
//! one SMS: see [`super::segments`].

use std::fmt;
use std::time::Duration;

use fluent_bundle::FluentArgs;
use minijinja::Value;
use serde::Serialize;

use super::notice::{notice_email, Notice};
use super::segments::sms_segments;
use crate::config::{Branding, Method};
use crate::pages::{Lang, PageError, Pages};

/// Longest organisation name put into a text message; keeps the English body within one SMS.
pub const MAX_SMS_BRAND_CHARS: usize = 40;

/// Colour used when the branding colour is not a plain `#rrggbb` value.
const FALLBACK_COLOR: &str = "#1f4e79";

/// A message ready to send, in the member's language.
#[derive(Clone, PartialEq, Eq)]
pub struct MessageBody {
    /// Subject line (emails; empty for a text message).
    pub subject: String,
    /// The text: the `text/plain` part of an email, or the whole text message.
    pub plain: String,
    /// The `text/html` alternative of a code email.
    pub html: Option<String>,
}

impl fmt::Debug for MessageBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body holds the code: Debug output (logs, panics) shows only its size.
        f.debug_struct("MessageBody")
            .field("subject", &self.subject)
            .field("plain_chars", &self.plain.chars().count())
            .field("html", &self.html.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// What a code message tells the member.
#[derive(Clone, Copy)]
pub struct CodeDetails<'a> {
    /// The one-time code exactly as the member has to type it.
    pub code: &'a str,
    /// How long the code is accepted ("good for 5 minutes").
    pub valid_for: Duration,
    /// Name from the roster, used to greet the member in emails.
    pub member_name: Option<&'a str>,
}

/// The variables of the code templates.
#[derive(Serialize)]
struct CodeContext<'a> {
    code: String,
    valid_for: String,
    member_name: String,
    subject: String,
    color: &'a str,
    sms_brand: String,
}

/// Renders the emails and texts of one deployment: its templates and its branding.
#[derive(Clone, Copy)]
pub struct Wording<'a> {
    pub pages: &'a Pages,
    pub branding: &'a Branding,
}

impl<'a> Wording<'a> {
    /// The wording of `pages` (templates and catalogue) for `branding`.
    pub fn new(pages: &'a Pages, branding: &'a Branding) -> Self {
        Wording { pages, branding }
    }

    /// The code email in `lang`. `english_subject` (gateway.yaml's `email.subject`) replaces the
    /// catalogue's subject in English; other languages take `email-code-subject`.
    pub fn code_email(
        &self,
        lang: Lang,
        details: &CodeDetails<'_>,
        english_subject: Option<&str>,
    ) -> Result<MessageBody, PageError> {
        let subject = match english_subject.filter(|_| lang == Lang::En) {
            Some(subject) => one_line(subject),
            None => one_line(&self.words(
                lang,
                "email-code-subject",
                &[("brand", &self.branding.name)],
            )?),
        };
        let ctx = self.code_context(lang, details, &subject)?;
        let plain = self.render("email_code.txt", lang, &ctx)?;
        let html = self.render("email_code.html", lang, &ctx)?;
        Ok(MessageBody {
            subject,
            plain,
            html: Some(html),
        })
    }

    /// The code text message in `lang` (one line; see [`super::segments`] for its length).
    pub fn code_text(
        &self,
        lang: Lang,
        details: &CodeDetails<'_>,
    ) -> Result<MessageBody, PageError> {
        let ctx = self.code_context(lang, details, "")?;
        let plain = one_line(&self.render("text_code.txt", lang, &ctx)?);
        Ok(MessageBody {
            subject: String::new(),
            plain,
            html: None,
        })
    }

    /// A change notice in `lang` (see [`Notice`]).
    pub fn notice(
        &self,
        lang: Lang,
        notice: Notice,
        member_name: Option<&str>,
    ) -> Result<MessageBody, PageError> {
        notice_email(self, lang, notice, member_name)
    }

    fn code_context(
        &self,
        lang: Lang,
        details: &CodeDetails<'_>,
        subject: &str,
    ) -> Result<CodeContext<'a>, PageError> {
        let sms_brand: String = one_line(&self.branding.name)
            .chars()
            .take(MAX_SMS_BRAND_CHARS)
            .collect();
        Ok(CodeContext {
            code: one_line(details.code),
            valid_for: self.duration_words(lang, details.valid_for)?,
            member_name: details.member_name.map(one_line).unwrap_or_default(),
            subject: subject.to_string(),
            color: safe_color(&self.branding.primary_color),
            sms_brand: sms_brand.trim().to_string(),
        })
    }

    /// Renders template `name` with `ctx` in `lang`.
    pub(crate) fn render(
        &self,
        name: &str,
        lang: Lang,
        ctx: &impl Serialize,
    ) -> Result<String, PageError> {
        self.pages
            .render_message_template(name, lang, Value::from_serialize(ctx))
    }

    /// One catalogue message with text arguments (subjects are not templates).
    pub(crate) fn words(
        &self,
        lang: Lang,
        id: &str,
        args: &[(&str, &str)],
    ) -> Result<String, PageError> {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, one_line(value));
        }
        self.catalogue_message(lang, id, &fluent)
    }

    /// A duration in words from the catalogue: `5 minutes`, `1 minuto 30 segundos`.
    fn duration_words(&self, lang: Lang, duration: Duration) -> Result<String, PageError> {
        let total = duration.as_secs();
        let (minutes, seconds) = (total / 60, total % 60);
        let mut parts = Vec::new();
        for (unit, count) in [("minute", minutes), ("second", seconds)] {
            if count > 0 || (unit == "second" && minutes == 0) {
                let mut args = FluentArgs::new();
                args.set("unit", unit);
                args.set("count", count);
                parts.push(self.catalogue_message(lang, "delivery-duration", &args)?);
            }
        }
        Ok(parts.join(" "))
    }

    fn catalogue_message(
        &self,
        lang: Lang,
        id: &str,
        args: &FluentArgs,
    ) -> Result<String, PageError> {
        self.pages
            .catalogue()
            .format(lang, id, args)
            .map_err(|detail| PageError::Template {
                name: format!("locales/{}/delivery.ftl", lang.code()),
                detail,
            })
    }
}

/// Renders every email, text and notice in every language, with and without the optional
/// parts (a member name, seconds in the validity), as start-up does for the pages. Warns when
/// the text message with this deployment's organisation name takes more than one SMS.
pub fn render_samples(pages: &Pages, branding: &Branding) -> Result<(), PageError> {
    let wording = Wording::new(pages, branding);
    for lang in Lang::ALL {
        for (member_name, secs) in [(Some("Jane Doe"), 300), (None, 90)] {
            let details = CodeDetails {
                code: "482913",
                valid_for: Duration::from_secs(secs),
                member_name,
            };
            wording.code_email(lang, &details, None)?;
            let text = wording.code_text(lang, &details)?;
            let segments = sms_segments(&text.plain);
            if secs == 300 && segments > 1 {
                tracing::warn!(
                    lang = lang.code(),
                    segments,
                    "the code text message takes more than one SMS with this organisation name"
                );
            }
            for method in [Method::App, Method::Email, Method::Text] {
                wording.notice(lang, Notice::MethodChanged(method), member_name)?;
            }
        }
    }
    Ok(())
}

/// Roster and config text goes into subjects and single lines: no control characters, no runs
/// of whitespace that could fake layout.
pub(crate) fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The branding colour if it is exactly `#rrggbb`; config validates it, this keeps CSS intact
/// even if a caller builds `Branding` by hand.
fn safe_color(color: &str) -> &str {
    let is_hex = color.len() == 7
        && color.starts_with('#')
        && color.bytes().skip(1).all(|b| b.is_ascii_hexdigit());
    if is_hex {
        color
    } else {
        FALLBACK_COLOR
    }
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
