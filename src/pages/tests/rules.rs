//! Rules every page obeys: support contact, escaping, CSP, labels, CSRF, heading order.

use super::*;

#[test]
fn every_page_renders_its_own_content_not_the_fallback() {
    let pages = pages();
    for page in samples::all() {
        let html = pages.render_en(&page);
        assert!(
            !html.contains("Something went wrong"),
            "{} fell back",
            page.template_name()
        );
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html
            .contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    }
}

#[test]
fn every_page_shows_the_support_contact() {
    let pages = pages();
    for html in all_outputs(&pages) {
        assert!(
            html.contains("href=\"mailto:support@smartmls.com\""),
            "{html}"
        );
        assert!(html.contains("href=\"tel:2037506000\">(203) 750-6000</a>"));
        assert!(html.contains("Monday–Thursday 8:30am–7:00pm"));
        assert!(html.contains("<span class=\"brand-name\">SmartMLS</span>"));
    }
}

#[test]
fn hostile_text_is_escaped_everywhere() {
    let pages = pages();
    for page in evil_pages() {
        let html = pages.render_en(&page);
        assert!(
            !html.contains("<script"),
            "{}: {html}",
            page.template_name()
        );
        assert!(
            !html.contains("\"'"),
            "quotes must not break out of attributes in {}",
            page.template_name()
        );
        assert!(html.contains("&lt;script&gt;"), "{}", page.template_name());
    }
}

#[test]
fn hostile_branding_is_escaped_too() {
    let mut branding = branding();
    branding.name = EVIL.into();
    branding.support_hours = EVIL.into();
    let pages = Pages::new(&branding, None).unwrap();
    for html in all_outputs(&pages) {
        assert!(!html.contains("<script"));
    }
}

#[test]
fn output_obeys_the_csp_no_scripts_no_inline_styles_no_other_origins() {
    let pages = pages();
    for html in all_outputs(&pages) {
        let html = decoded(&html);
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("<script"));
        assert!(!lower.contains("style="));
        assert!(!lower.contains("<style"));
        for tag in tags(&lower) {
            assert!(!tag.contains(" on"), "event handler attribute in <{tag}>");
        }
        assert_eq!(
            attribute_values(&html, "src")
                .iter()
                .filter(|src| !src.starts_with("/_mfa/static/"))
                .count(),
            0
        );
        let stylesheets: Vec<&str> = html
            .lines()
            .filter(|line| line.starts_with("<link "))
            .collect();
        assert_eq!(
            stylesheets,
            [
                "<link rel=\"stylesheet\" href=\"/_mfa/static/gateway.css\">",
                "<link rel=\"stylesheet\" href=\"/_mfa/static/brand.css\">"
            ]
        );
    }
}

#[test]
fn only_the_qr_code_is_inserted_unescaped() {
    for (name, source) in templates::EMBEDDED_TEMPLATES {
        let compact: String = source.chars().filter(|c| !c.is_whitespace()).collect();
        let safe_uses: Vec<usize> = compact.match_indices("|safe").map(|(at, _)| at).collect();
        for at in &safe_uses {
            assert!(
                compact[..*at].ends_with("qr_svg"),
                "{name} uses |safe on something other than qr_svg"
            );
        }
        assert_eq!(
            safe_uses.len(),
            usize::from(*name == "enroll_app.html"),
            "{name}"
        );
        assert!(!source.contains("autoescape"), "{name} turns escaping off");
    }
}

#[test]
fn the_real_qr_svg_is_inserted_and_carries_no_style_attribute() {
    let code = qrcode::QrCode::new(
        b"otpauth://totp/SmartMLS:jdoe?secret=JBSWY3DPEHPK3PXP&issuer=SmartMLS",
    )
    .unwrap();
    let svg = code.render::<qrcode::render::svg::Color>().build();
    let page = Page::EnrollApp(EnrollApp {
        csrf: "tok".into(),
        intro: None,
        qr_svg: svg.clone(),
        secret_groups: "JBSW Y3DP EHPK 3PXP".into(),
        otpauth_uri: "otpauth://totp/SmartMLS:jdoe?secret=JBSWY3DPEHPK3PXP&issuer=SmartMLS".into(),
        trust_options: Vec::new(),
        can_choose: false,
        error: None,
    });
    let html = pages().render_en(&page);
    assert!(html.contains(&svg));
    assert!(!html.to_ascii_lowercase().contains("style="));
    assert!(html.contains("<p class=\"secret\">JBSW Y3DP EHPK 3PXP</p>"));
    // Attribute escaping keeps the link working: browsers decode the entities.
    let href = attribute_values(&html, "href")
        .into_iter()
        .find(|href| href.starts_with("otpauth:"))
        .unwrap();
    assert!(
        href.contains("secret=JBSWY3DPEHPK3PXP&amp;issuer=SmartMLS"),
        "{href}"
    );
}

#[test]
fn every_visible_input_has_a_label() {
    let pages = pages();
    for html in all_outputs(&pages) {
        for tag in input_tags(&html) {
            if tag.contains("type=\"hidden\"") {
                continue;
            }
            let id = attribute_values(tag, "id")
                .into_iter()
                .next()
                .unwrap_or_else(|| panic!("no id: {tag}"));
            assert!(
                html.contains(&format!("<label for=\"{id}\""))
                    || html.contains(&format!(" for=\"{id}\"")),
                "{tag}"
            );
        }
    }
}

#[test]
fn every_post_form_carries_the_csrf_token() {
    let pages = pages();
    for page in samples::all() {
        let html = pages.render_en(&page);
        for form in html.split("<form ").skip(1) {
            let form = &form[..form.find("</form>").unwrap()];
            assert!(form.starts_with("method=\"post\""), "{form}");
            assert!(
                form.contains("<input type=\"hidden\" name=\"csrf\" value=\"sample-csrf\">"),
                "{form}"
            );
        }
    }
}

#[test]
fn headings_start_at_h1_and_never_skip_a_level() {
    let pages = pages();
    for html in all_outputs(&pages) {
        let levels: Vec<u8> = html
            .match_indices("<h")
            .filter_map(|(at, _)| {
                html.as_bytes()
                    .get(at + 2)
                    .filter(|b| b.is_ascii_digit())
                    .map(|b| b - b'0')
            })
            .collect();
        assert_eq!(levels.first(), Some(&1), "{levels:?}");
        assert_eq!(levels.iter().filter(|level| **level == 1).count(), 1);
        assert!(
            levels.windows(2).all(|pair| pair[1] <= pair[0] + 1),
            "{levels:?}"
        );
    }
}
