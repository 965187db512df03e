//! Gateway pages rendered from the templates in `static/`.
//!
//! Members (often on a phone between showings) see these pages when the gateway asks for
//! their second factor. They must work under a strict CSP: no scripts, no inline styles,
//! nothing from other origins. So the pages link two same-origin stylesheets:
//! `gateway.css` (layout, see [`Pages::gateway_css`]) and `brand.css` (the configured colour,
//! see [`Pages::brand_css`]).
//!
//! Templates are minijinja, embedded at compile time, optionally replaced file by file from
//! an override directory. HTML auto-escaping is on; the only value inserted unescaped is the
//! QR code SVG the gateway draws itself. [`Pages::new`] compiles every template and renders
//! sample pages once, so a broken template stops start-up instead of surfacing to members.

mod brand;
mod context;
mod fallback;
pub mod i18n;
mod messages;
pub mod routes;
mod samples;
mod templates;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use std::sync::Arc;

use minijinja::{context, AutoEscape, Environment, UndefinedBehavior, Value};

use crate::config::Branding;
use brand::BrandView;

pub use context::{
    method_value, Cancelled, Challenge, EnrollApp, EnrollChoose, EnrollContact, Message,
    MethodChoice, NextStep, Page, TrustOption,
};
pub use context::{CalendarDate, MfaIntro, SetupError, TimeSpan};
pub use i18n::{Catalogue, Lang};

/// Who a page is rendered for: the member's language and where they sign in again.
#[derive(Debug, Clone)]
pub struct Audience {
    pub lang: Lang,
    /// The legacy site's sign-in page for this member (`site.sign_in_url`, else the page the
    /// login form was posted from, else `site.login.path`).
    pub sign_in_url: String,
}

/// Why the pages could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// A template does not compile or fails to render the sample pages.
    #[error("template {name}: {detail}")]
    Template {
        /// Template file name, e.g. `challenge.html`.
        name: String,
        /// The engine's explanation, with the line where it applies.
        detail: String,
    },
    /// An override file exists but cannot be read.
    #[error("reading {}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
    /// `branding.primary_color` is not `#rrggbb` (it is written into `brand.css`).
    #[error("branding.primary_color: {0:?} is not a colour like #0b5cab")]
    InvalidColor(String),
    /// `branding.logo` is not a file under `/_mfa/static/` (the CSP allows only same-origin images).
    #[error("branding.logo: {0:?} must be a file name under /_mfa/static/ (letters, digits, '-', '_', '.', '/')")]
    InvalidLogo(String),
}

/// The compiled gateway pages and their stylesheets; build once, share between threads.
pub struct Pages {
    env: Environment<'static>,
    /// Branding as given to templates; also used by the fallback page.
    brand: BrandView,
    gateway_css: String,
    brand_css: String,
    /// Served when a template fails at render time; prepared up front so it cannot fail.
    fallback: String,
    /// The words, for emails and texts rendered outside the page templates.
    catalogue: Arc<Catalogue>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("brand", &self.brand)
            .finish_non_exhaustive()
    }
}

impl Pages {
    /// Loads and compiles every template (override files win over embedded ones), builds the
    /// stylesheets and renders each sample page once. Errors name the template or setting.
    pub fn new(branding: &Branding, override_dir: Option<&Path>) -> Result<Pages, PageError> {
        let brand = BrandView::new(branding)?;
        let brand_css = brand::brand_css(&branding.primary_color)?;
        let gateway_css = templates::gateway_css_source(override_dir)?;
        let catalogue = Arc::new(Catalogue::new(override_dir)?);

        let mut env = Environment::new();
        // Escape by file extension, so `.html` templates are always escaped even if a future
        // minijinja changes its default.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // A misspelt variable is an error caught by the sample renders, not a silent blank.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_global("brand", Value::from_serialize(&brand));
        env.add_global("routes", Value::from_serialize(routes::template_global()));
        env.add_function("t", i18n::template_function(Arc::clone(&catalogue)));
        for (name, embedded) in templates::EMBEDDED_TEMPLATES {
            let source = templates::template_source(override_dir, name, embedded)?;
            env.add_template_owned(*name, source)
                .map_err(|error| PageError::Template {
                    name: (*name).to_string(),
                    detail: describe(&error),
                })?;
        }

        let pages = Pages {
            fallback: fallback::fallback_page(&brand),
            env,
            brand,
            gateway_css,
            brand_css,
            catalogue,
        };
        // Every page in every language: a missing word stops start-up, naming the template.
        for lang in Lang::ALL {
            let audience = Audience {
                lang,
                sign_in_url: "/login".into(),
            };
            for sample in samples::all() {
                pages
                    .try_render(&sample, &audience)
                    .map_err(|error| PageError::Template {
                        name: sample.template_name().to_string(),
                        detail: format!("in {}: {}", lang.code(), describe(&error)),
                    })?;
            }
        }
        // Every email, text and notice in every language too (the same rule for overrides).
        crate::delivery::message::render_samples(&pages, branding)?;
        Ok(pages)
    }

    /// Renders a page. Never panics: if the template fails, the failure is logged and a
    /// minimal page with the support contact is returned instead.
    pub fn render(&self, page: &Page, audience: &Audience) -> String {
        match self.try_render(page, audience) {
            Ok(html) => html,
            Err(error) => {
                // Only where it failed, not the engine's detail: a detail may quote a value
                // from the context, and contexts can hold a TOTP secret.
                tracing::error!(
                    template = page.template_name(),
                    kind = ?error.kind(),
                    failed_in = error.name().unwrap_or("?"),
                    line = error.line().unwrap_or(0),
                    "gateway page failed to render; serving the fallback page"
                );
                self.fallback.clone()
            }
        }
    }

    /// The main stylesheet, served at [`routes::GATEWAY_CSS`].
    pub fn gateway_css(&self) -> &str {
        &self.gateway_css
    }

    /// The generated colour stylesheet, served at [`routes::BRAND_CSS`].
    pub fn brand_css(&self) -> &str {
        &self.brand_css
    }

    /// The catalogue the pages are written from (emails and texts use it too).
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Renders a template that is not a page (an email or text body, see
    /// [`crate::delivery::message`]) in `lang`, with `ctx` and `lang` as its variables.
    ///
    /// The error's detail may quote the context (a code): callers log only the template name.
    pub fn render_message_template(
        &self,
        name: &str,
        lang: Lang,
        ctx: Value,
    ) -> Result<String, PageError> {
        self.env
            .get_template(name)
            .and_then(|template| template.render(context! { lang => lang.code(), ..ctx }))
            .map_err(|error| PageError::Template {
                name: name.to_string(),
                detail: format!("in {}: {}", lang.code(), describe(&error)),
            })
    }

    fn try_render(&self, page: &Page, audience: &Audience) -> Result<String, minijinja::Error> {
        let other = match audience.lang {
            Lang::En => Lang::Es,
            Lang::Es => Lang::En,
        };
        // `Page` serialises as its inner context, so templates see the fields directly.
        self.env
            .get_template(page.template_name())?
            .render(context! {
                lang => audience.lang.code(),
                other_lang => other.code(),
                sign_in_url => &audience.sign_in_url,
                ..Value::from_serialize(page)
            })
    }
}

/// The engine's error with its cause chain on one line (e.g. the included template's error).
fn describe(error: &minijinja::Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}
