//! The words members read: the code email (plain text and HTML) and the text message.
//!
//! The email says what the code is for, how long it is good for (FAQ: "good for 5 minutes"),
//! and what to do if the member did not try to sign in: someone may know their password. It
//! carries no images and no links except a `mailto:` to support, so it renders the same
//! everywhere and gives spam filters and phishers nothing to work with.

use std::time::Duration;

use super::CodeMessage;
use crate::config::Branding;

/// Longest organisation name put into a text message; keeps the body within one SMS segment.
const MAX_SMS_BRAND_CHARS: usize = 40;

/// Colour used when the branding colour is not a plain `#rrggbb` value.
const FALLBACK_COLOR: &str = "#1f4e79";

/// Inline styles: many mail clients ignore `<style>` blocks, and external CSS is never loaded.
const BODY_STYLE: &str =
    "margin:0;padding:24px;background:#f4f4f4;font-family:Arial,Helvetica,sans-serif;color:#222222;";
const CARD_STYLE: &str = "max-width:480px;margin:0 auto;padding:24px;background:#ffffff;";
const CODE_STYLE: &str = "font-family:'Courier New',Courier,monospace;font-size:34px;\
                          font-weight:bold;letter-spacing:6px;margin:16px 0;";
const NOTE_STYLE: &str = "font-size:13px;color:#555555;";

/// The two alternative bodies of a code email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailBody {
    /// `text/plain` alternative.
    pub plain: String,
    /// `text/html` alternative.
    pub html: String,
}

/// Renders the code email for `msg`.
pub fn email_body(msg: &CodeMessage, branding: &Branding) -> EmailBody {
    let brand = one_line(&branding.name);
    let greeting = match msg.member_name.as_deref().map(one_line) {
        Some(name) if !name.is_empty() => format!("Hello {name},"),
        _ => "Hello,".to_string(),
    };
    let validity = validity_sentence(msg.valid_for);
    let code = one_line(&msg.code);
    let support_email = one_line(&branding.support_email);
    let support_phone = one_line(&branding.support_phone);
    let hours = one_line(&branding.support_hours);
    let hours_plain = if hours.is_empty() {
        String::new()
    } else {
        format!(" ({hours})")
    };

    let plain = format!(
        "{greeting}\n\n\
         Your {brand} verification code is:\n\n\
         \x20   {code}\n\n\
         {validity} It works only once.\n\n\
         If you did not try to sign in to {brand}, you can ignore this email. Someone may \
         know your password: consider changing it, and contact {brand} support at \
         {support_email} or {support_phone}{hours_plain}.\n\n\
         Do not share this code with anyone.\n"
    );

    let color = safe_color(&branding.primary_color);
    let hours_html = if hours.is_empty() {
        String::new()
    } else {
        format!(" ({})", escape(&hours))
    };
    let html = format!(
        "<!DOCTYPE html>\n\
         <html lang=\"en\">\n\
         <head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{brand_html} verification code</title></head>\n\
         <body style=\"{BODY_STYLE}\">\n\
         <div style=\"{CARD_STYLE}border-top:4px solid {color};\">\n\
         <p>{greeting_html}</p>\n\
         <p>Your {brand_html} verification code is:</p>\n\
         <p style=\"{CODE_STYLE}\">{code_html}</p>\n\
         <p>{validity_html} It works only once.</p>\n\
         <p style=\"{NOTE_STYLE}\">If you did not try to sign in to {brand_html}, you can ignore \
         this email. Someone may know your password: consider changing it, and contact \
         {brand_html} support at <a href=\"mailto:{email_html}\">{email_html}</a> or \
         {phone_html}{hours_html}.</p>\n\
         <p style=\"{NOTE_STYLE}\">Do not share this code with anyone.</p>\n\
         </div>\n\
         </body>\n\
         </html>\n",
        brand_html = escape(&brand),
        greeting_html = escape(&greeting),
        code_html = escape(&code),
        validity_html = escape(&validity),
        email_html = escape(&support_email),
        phone_html = escape(&support_phone),
    );
    EmailBody { plain, html }
}

/// Renders the text message for `msg`: `SmartMLS code: 482913. Valid 5 minutes. Don't share it.`
///
/// Stays within one 160-character SMS segment for any code of up to 10 characters.
pub fn sms_body(msg: &CodeMessage, branding: &Branding) -> String {
    let brand: String = one_line(&branding.name)
        .chars()
        .take(MAX_SMS_BRAND_CHARS)
        .collect();
    let brand = brand.trim();
    format!(
        "{brand} code: {}. Valid {}. Don't share it.",
        one_line(&msg.code),
        describe_duration(msg.valid_for)
    )
}

/// The sentence telling how long a code lasts: `This code is good for 5 minutes.`
pub fn validity_sentence(valid_for: Duration) -> String {
    format!("This code is good for {}.", describe_duration(valid_for))
}

/// A duration in words: `5 minutes`, `1 minute`, `90 seconds` is `1 minute 30 seconds`.
pub fn describe_duration(duration: Duration) -> String {
    let total = duration.as_secs();
    let unit = |count: u64, word: &str| {
        if count == 1 {
            format!("1 {word}")
        } else {
            format!("{count} {word}s")
        }
    };
    if total > 0 && total.is_multiple_of(3600) {
        unit(total / 3600, "hour")
    } else if total >= 60 && total.is_multiple_of(60) {
        unit(total / 60, "minute")
    } else if total < 60 {
        unit(total, "second")
    } else {
        format!(
            "{} {}",
            unit(total / 60, "minute"),
            unit(total % 60, "second")
        )
    }
}

/// Roster and config text goes into headers-adjacent places: no control characters, no runs of
/// whitespace that could fake layout.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
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
mod tests {
    use super::*;

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

    fn message(name: Option<&str>) -> CodeMessage {
        CodeMessage {
            to: "jdoe@example.com".into(),
            code: "482913".into(),
            valid_for: Duration::from_secs(300),
            member_name: name.map(str::to_string),
        }
    }

    #[test]
    fn email_states_code_validity_and_what_to_do_if_not_you() {
        let body = email_body(&message(Some("Jane Doe")), &branding());
        for part in [&body.plain, &body.html] {
            assert!(part.contains("482913"), "{part}");
            assert!(part.contains("This code is good for 5 minutes."), "{part}");
            assert!(
                part.contains("If you did not try to sign in to SmartMLS"),
                "{part}"
            );
            assert!(part.contains("Someone may know your password"), "{part}");
            assert!(part.contains("support@smartmls.com"), "{part}");
            assert!(part.contains("(203) 750-6000"), "{part}");
            assert!(part.contains("Hello Jane Doe,"), "{part}");
        }
        assert!(body
            .html
            .contains("<a href=\"mailto:support@smartmls.com\">"));
        assert!(body.html.contains("#005a9c"));
    }

    #[test]
    fn html_has_no_external_resources_and_escapes_roster_text() {
        let body = email_body(&message(Some("<img src=x onerror=alert(1)>")), &branding());
        assert!(!body.html.contains("<img"), "{}", body.html);
        assert!(body.html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(!body.html.contains("http://") && !body.html.contains("https://"));
        assert_eq!(body.html.matches("href=").count(), 1);
    }

    #[test]
    fn missing_name_gives_a_plain_greeting_and_control_characters_are_dropped() {
        assert!(email_body(&message(None), &branding())
            .plain
            .starts_with("Hello,\n"));
        assert!(email_body(&message(Some("  ")), &branding())
            .plain
            .starts_with("Hello,\n"));
        let body = email_body(&message(Some("Jane\r\nBcc: x@evil.example")), &branding());
        assert!(body.plain.starts_with("Hello Jane Bcc: x@evil.example,\n"));
    }

    #[test]
    fn bad_colour_falls_back() {
        let mut brand = branding();
        brand.primary_color = "red;background:url(x)".into();
        let html = email_body(&message(None), &brand).html;
        assert!(html.contains(FALLBACK_COLOR) && !html.contains("url("));
    }

    #[test]
    fn text_message_is_short_and_complete() {
        let body = sms_body(&message(None), &branding());
        assert_eq!(
            body,
            "SmartMLS code: 482913. Valid 5 minutes. Don't share it."
        );
        let mut long = branding();
        long.name = "A".repeat(300);
        assert!(sms_body(&message(None), &long).chars().count() <= 160);
    }

    #[test]
    fn durations_read_naturally() {
        let words = |secs| describe_duration(Duration::from_secs(secs));
        assert_eq!(words(300), "5 minutes");
        assert_eq!(words(60), "1 minute");
        assert_eq!(words(45), "45 seconds");
        assert_eq!(words(1), "1 second");
        assert_eq!(words(90), "1 minute 30 seconds");
        assert_eq!(words(3600), "1 hour");
        assert_eq!(words(1800), "30 minutes");
        assert_eq!(
            validity_sentence(Duration::from_secs(600)),
            "This code is good for 10 minutes."
        );
    }
}
