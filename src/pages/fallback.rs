//! The page shown when a template fails to render.
//!
//! Built by hand, without the template engine, so a broken override template still leaves
//! members with a readable page and a way to reach support.

use super::brand::BrandView;
use super::routes;

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A minimal, always-valid page: "something went wrong" plus the support contact.
pub(crate) fn fallback_page(brand: &BrandView) -> String {
    let name = escape_html(&brand.name);
    let email = escape_html(&brand.support_email);
    let phone = escape_html(&brand.support_phone);
    let hours = escape_html(&brand.support_hours);
    let phone_line = match &brand.support_phone_href {
        Some(href) => format!("<a href=\"{}\">{phone}</a>", escape_html(href)),
        None => phone,
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Something went wrong – {name}</title>\n\
         <link rel=\"stylesheet\" href=\"{css}\">\n<link rel=\"stylesheet\" href=\"{brand_css}\">\n\
         </head>\n<body>\n<div class=\"page\">\n<header class=\"site-header\"><span class=\"brand-name\">{name}</span></header>\n\
         <main class=\"card\">\n<h1>Something went wrong</h1>\n\
         <p>We could not show this page. Please <a href=\"{home}\">sign in again</a> in a few minutes.</p>\n\
         </main>\n<footer class=\"support\">\n<h2>Need help?</h2>\n<ul class=\"contact-list\">\n\
         <li>Email: <a href=\"mailto:{email}\">{email}</a></li>\n<li>Phone: {phone_line}</li>\n\
         <li>Hours: {hours}</li>\n</ul>\n</footer>\n</div>\n</body>\n</html>\n",
        css = routes::GATEWAY_CSS,
        brand_css = routes::BRAND_CSS,
        // The fallback cannot know the sign-in page; the site's front page always exists.
        home = "/",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn fallback_escapes_branding_and_shows_support() {
        let brand = BrandView {
            name: "<script>alert(1)</script>".into(),
            support_email: "help@example.com".into(),
            support_phone: "(203) 750-6000".into(),
            support_phone_href: Some("tel:2037506000".into()),
            support_hours: "9–5".into(),
            support_hours_lines: vec!["9–5".into()],
            roster_update_url: None,
            logo_url: None,
        };
        let html = fallback_page(&brand);
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("mailto:help@example.com"));
        assert!(html.contains("href=\"tel:2037506000\""));
        assert!(html.contains("9–5"));
    }
}
