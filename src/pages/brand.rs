//! Branding as the templates see it, and the generated `brand.css`.
//!
//! The strict CSP forbids inline styles, so the configured primary colour reaches the pages
//! as a tiny stylesheet of CSS custom properties. Colours derived from it keep text readable
//! whatever colour an organisation picks (WCAG contrast of at least 4.5:1).

use serde::Serialize;

use super::routes;
use super::PageError;
use crate::config::Branding;

/// Branding fields available to every template as `brand`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct BrandView {
    pub name: String,
    pub support_email: String,
    pub support_phone: String,
    /// `tel:` target (digits and a leading `+` only); `None` when the phone has no digits.
    pub support_phone_href: Option<String>,
    pub support_hours: String,
    /// The hours as one line per day group (`Mon–Thu 8:30am–7pm`), so a phone never breaks a
    /// line in the middle of a range.
    pub support_hours_lines: Vec<String>,
    pub roster_update_url: Option<String>,
    /// Logo URL under `/_mfa/static/`, already checked.
    pub logo_url: Option<String>,
}

impl BrandView {
    /// Checks the parts of the branding that end up in URLs.
    pub fn new(branding: &Branding) -> Result<BrandView, PageError> {
        let logo_url = match branding.logo.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(logo) => Some(logo_url(logo)?),
        };
        Ok(BrandView {
            name: branding.name.clone(),
            support_email: branding.support_email.clone(),
            support_phone: branding.support_phone.clone(),
            support_phone_href: tel_href(&branding.support_phone),
            support_hours: branding.support_hours.clone(),
            support_hours_lines: hours_lines(&branding.support_hours),
            roster_update_url: branding.roster_update_url.clone(),
            logo_url,
        })
    }
}

/// Splits configured hours at `,` and `;` into day groups. A part without a digit (`Mon`
/// in `Mon, Wed 9am–5pm`) names days that share the next part's times, so it is kept with it.
fn hours_lines(hours: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut pending = String::new();
    for part in hours
        .split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        if !pending.is_empty() {
            pending.push_str(", ");
        }
        pending.push_str(part);
        if part.chars().any(|c| c.is_ascii_digit()) {
            lines.push(std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        lines.push(pending);
    }
    lines
}

/// `tel:` link for a phone number as written for people, e.g. `(203) 750-6000`.
fn tel_href(phone: &str) -> Option<String> {
    let mut dialable: String = phone.chars().filter(char::is_ascii_digit).collect();
    if dialable.is_empty() {
        return None;
    }
    if phone.trim_start().starts_with('+') {
        dialable.insert(0, '+');
    }
    Some(format!("tel:{dialable}"))
}

/// Turns the configured logo (`logo.png` or `/_mfa/static/logo.png`) into a same-origin URL.
///
/// Anything else is refused: the CSP only allows images from the gateway itself, and an
/// unchecked value could climb out of the static directory.
fn logo_url(logo: &str) -> Result<String, PageError> {
    let relative = logo.strip_prefix(routes::STATIC_PREFIX).unwrap_or(logo);
    let safe_segment = |segment: &str| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if relative.split('/').all(safe_segment) {
        Ok(format!("{}{relative}", routes::STATIC_PREFIX))
    } else {
        Err(PageError::InvalidLogo(logo.to_string()))
    }
}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rgb {
    red: u8,
    green: u8,
    blue: u8,
}

const WHITE: Rgb = Rgb {
    red: 255,
    green: 255,
    blue: 255,
};
/// Near-black used for text on light brand colours.
const INK: Rgb = Rgb {
    red: 17,
    green: 17,
    blue: 17,
};
/// WCAG AA contrast for normal text.
const MIN_TEXT_CONTRAST: f64 = 4.5;

impl Rgb {
    fn parse(hex: &str) -> Option<Rgb> {
        let digits = hex.strip_prefix('#')?;
        if digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |at: usize| u8::from_str_radix(&digits[at..at + 2], 16).ok();
        Some(Rgb {
            red: channel(0)?,
            green: channel(2)?,
            blue: channel(4)?,
        })
    }

    fn to_hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.red, self.green, self.blue)
    }

    /// WCAG relative luminance.
    fn luminance(self) -> f64 {
        let linear = |channel: u8| {
            let c = f64::from(channel) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.red) + 0.7152 * linear(self.green) + 0.0722 * linear(self.blue)
    }

    fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// Mixes `share` (0..=1) of black into the colour.
    fn darken(self, share: f64) -> Rgb {
        // Values stay within 0..=255, so the cast cannot truncate meaningfully.
        let scale = |channel: u8| (f64::from(channel) * (1.0 - share)).round() as u8;
        Rgb {
            red: scale(self.red),
            green: scale(self.green),
            blue: scale(self.blue),
        }
    }
}

/// Builds `brand.css` from the configured `#rrggbb` primary colour.
///
/// Custom properties: `--brand` (button background), `--brand-contrast` (text on it) and
/// `--brand-ink` (links and outlines on the white card, darkened until readable).
pub(crate) fn brand_css(primary_color: &str) -> Result<String, PageError> {
    let brand = Rgb::parse(primary_color.trim())
        .ok_or_else(|| PageError::InvalidColor(primary_color.to_string()))?;
    let on_brand = if brand.contrast(WHITE) >= brand.contrast(INK) {
        WHITE
    } else {
        INK
    };
    // Darken in 5 % steps; the last step is pure black, whose contrast with white is 21:1.
    let ink = (0..=20u8)
        .map(|step| brand.darken(f64::from(step) / 20.0))
        .find(|shade| shade.contrast(WHITE) >= MIN_TEXT_CONTRAST)
        .unwrap_or(Rgb {
            red: 0,
            green: 0,
            blue: 0,
        });
    Ok(format!(
        "/* Generated from branding.primary_color. */\n:root {{\n  --brand: {};\n  --brand-contrast: {};\n  --brand-ink: {};\n}}\n",
        brand.to_hex(),
        on_brand.to_hex(),
        ink.to_hex()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_one_line_per_day_group() {
        assert_eq!(
            hours_lines("Mon–Thu 8:30am–7:00pm, Fri 8:30am–6:00pm; Sat, Sun 9am–3pm"),
            [
                "Mon–Thu 8:30am–7:00pm",
                "Fri 8:30am–6:00pm",
                "Sat, Sun 9am–3pm"
            ]
        );
        assert_eq!(hours_lines("By appointment"), ["By appointment"]);
        assert!(hours_lines("").is_empty());
    }

    fn property<'a>(css: &'a str, name: &str) -> &'a str {
        let start = css
            .find(&format!("{name}: "))
            .map(|at| at + name.len() + 2)
            .unwrap_or(0);
        &css[start..start + 7]
    }

    #[test]
    fn dark_brand_gets_white_text_and_keeps_its_colour_for_links() {
        let css = brand_css("#0B5CAB").unwrap();
        assert_eq!(property(&css, "--brand"), "#0b5cab");
        assert_eq!(property(&css, "--brand-contrast"), "#ffffff");
        assert_eq!(property(&css, "--brand-ink"), "#0b5cab");
    }

    #[test]
    fn light_brand_gets_dark_text_and_darkened_links() {
        let css = brand_css("#ffd700").unwrap();
        assert_eq!(property(&css, "--brand-contrast"), "#111111");
        let ink = Rgb::parse(property(&css, "--brand-ink")).unwrap();
        assert!(ink.contrast(WHITE) >= MIN_TEXT_CONTRAST);
        assert_ne!(ink, Rgb::parse("#ffd700").unwrap());
    }

    #[test]
    fn white_brand_still_yields_readable_links() {
        let css = brand_css("#ffffff").unwrap();
        let ink = Rgb::parse(property(&css, "--brand-ink")).unwrap();
        assert!(ink.contrast(WHITE) >= MIN_TEXT_CONTRAST);
    }

    #[test]
    fn colours_that_could_inject_css_are_refused() {
        for bad in ["red", "#fff", "#12345g", "#123456;}body{display:none", ""] {
            assert!(
                matches!(brand_css(bad), Err(PageError::InvalidColor(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn phone_links_keep_only_dialable_characters() {
        assert_eq!(
            tel_href("(203) 750-6000").as_deref(),
            Some("tel:2037506000")
        );
        assert_eq!(
            tel_href("+1 833 697 2963").as_deref(),
            Some("tel:+18336972963")
        );
        assert_eq!(tel_href("call us"), None);
    }

    #[test]
    fn logos_stay_under_the_static_prefix() {
        assert_eq!(logo_url("logo.svg").unwrap(), "/_mfa/static/logo.svg");
        assert_eq!(
            logo_url("/_mfa/static/img/logo.png").unwrap(),
            "/_mfa/static/img/logo.png"
        );
        for bad in [
            "https://cdn.example/logo.png",
            "//evil/logo.png",
            "../secret",
            "a//b",
            "/logo.png",
            "x\"onerror",
        ] {
            assert!(
                matches!(logo_url(bad), Err(PageError::InvalidLogo(_))),
                "{bad}"
            );
        }
    }
}
