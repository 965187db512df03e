//! The words of every member page, email and text, in English and Spanish, from a Fluent
//! message catalogue (`static/locales/{en,es}/*.ftl`, one file per area, compiled in; a
//! deployment may override any message in a file of the same name under
//! `DIR/locales/{en,es}/` of `static_dir`).
//!
//! Templates ask for words with `t("message-id", name=value)`. A missing message, a missing
//! argument or a catalogue that does not parse is an error — at start-up, where every page is
//! rendered once in both languages — never a blank or an English word on a Spanish page.
//! Messages whose id ends in `-html` may hold markup (the catalogue is as trusted as the
//! templates); their arguments are HTML-escaped before they are put in.
//!
//! The member's language: the language cookie (set by the switch link on every page) when it
//! names a supported language, else the first supported language of `Accept-Language` by
//! quality, else English.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};
use serde::Serialize;

use super::templates::read_if_present;
use super::PageError;

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    /// Every supported language, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// The BCP 47 code, as in `<html lang>`, the cookie and `/_mfa/lang/{code}`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// The language a code names (`es`, `es-MX`, `ES`), if supported.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next().unwrap_or_default();
        Lang::ALL
            .into_iter()
            .find(|lang| primary.eq_ignore_ascii_case(lang.code()))
    }

    /// The member's language from the language cookie's value and the `Accept-Language`
    /// header (see the module docs).
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = cookie.and_then(Lang::from_code) {
            return lang;
        }
        let Some(header) = accept_language else {
            return Lang::En;
        };
        let mut best: Option<(u16, Lang)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), quality_in_thousandths);
            let (Some(lang), Some(quality)) = (Lang::from_code(tag), quality) else {
                continue;
            };
            // The first of equal qualities wins: the browser lists them in preference order.
            if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    /// The compiled-in catalogue files of this language, by file name.
    fn catalogue_files(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::En => &[
                (
                    "common.ftl",
                    include_str!("../../static/locales/en/common.ftl"),
                ),
                (
                    "challenge.ftl",
                    include_str!("../../static/locales/en/challenge.ftl"),
                ),
                (
                    "enroll.ftl",
                    include_str!("../../static/locales/en/enroll.ftl"),
                ),
                (
                    "delivery.ftl",
                    include_str!("../../static/locales/en/delivery.ftl"),
                ),
            ],
            Lang::Es => &[
                (
                    "common.ftl",
                    include_str!("../../static/locales/es/common.ftl"),
                ),
                (
                    "challenge.ftl",
                    include_str!("../../static/locales/es/challenge.ftl"),
                ),
                (
                    "enroll.ftl",
                    include_str!("../../static/locales/es/enroll.ftl"),
                ),
                (
                    "delivery.ftl",
                    include_str!("../../static/locales/es/delivery.ftl"),
                ),
            ],
        }
    }
}

/// `q=0.8` as 800; `None` for a malformed value (the range is then ignored).
fn quality_in_thousandths(value: &str) -> Option<u16> {
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The compiled catalogue: one Fluent bundle per language.
pub struct Catalogue {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue").finish_non_exhaustive()
    }
}

impl Catalogue {
    /// The compiled-in catalogue with `DIR/locales/{code}.ftl` laid over it, message by message.
    pub fn new(override_dir: Option<&Path>) -> Result<Catalogue, PageError> {
        let mut bundles = Vec::new();
        for lang in Lang::ALL {
            let mut bundle = FluentBundle::new_concurrent(vec![lang
                .code()
                .parse()
                .map_err(|_| catalogue_error(lang, "", "not a language identifier".into()))?]);
            // No Unicode isolation marks around arguments: every supported language is
            // left-to-right, and the marks would show up in plain-text emails and texts.
            bundle.set_use_isolating(false);
            for (file, source) in lang.catalogue_files() {
                bundle
                    .add_resource(parse(lang, file, source.to_string())?)
                    .map_err(|errors| {
                        catalogue_error(lang, file, format!("defined twice: {errors:?}"))
                    })?;
            }
            if let Some(dir) = override_dir {
                for (file, _) in lang.catalogue_files() {
                    let path = dir.join("locales").join(lang.code()).join(file);
                    if let Some(source) = read_if_present(&path)? {
                        bundle.add_resource_overriding(parse(lang, file, source)?);
                    }
                }
            }
            bundles.push((lang, bundle));
        }
        Ok(Catalogue { bundles })
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        // Every language has a bundle (built in `new`); English is the first.
        self.bundles
            .iter()
            .find(|(l, _)| *l == lang)
            .map_or(&self.bundles[0].1, |(_, bundle)| bundle)
    }

    /// The message `id` in `lang` with `args` put in; an error names what is missing.
    pub fn format(&self, lang: Lang, id: &str, args: &FluentArgs) -> Result<String, String> {
        let bundle = self.bundle(lang);
        let pattern = bundle
            .get_message(id)
            .and_then(|message| message.value())
            .ok_or_else(|| {
                format!(
                    "message {id:?} is missing from the {} catalogue",
                    lang.code()
                )
            })?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(args), &mut errors);
        if let Some(error) = errors.first() {
            return Err(format!("message {id:?} ({}): {error}", lang.code()));
        }
        Ok(text.into_owned())
    }

    /// The message ids of `lang`'s compiled-in catalogue (the completeness test compares them).
    pub fn builtin_ids(lang: Lang) -> Result<Vec<String>, PageError> {
        let mut ids = Vec::new();
        for (file, source) in lang.catalogue_files() {
            let resource = parse(lang, file, source.to_string())?;
            ids.extend(resource.entries().filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_string()),
                _ => None,
            }));
        }
        Ok(ids)
    }
}

fn parse(lang: Lang, file: &str, source: String) -> Result<FluentResource, PageError> {
    FluentResource::try_new(source)
        .map_err(|(_, errors)| catalogue_error(lang, file, format!("does not parse: {errors:?}")))
}

fn catalogue_error(lang: Lang, file: &str, detail: String) -> PageError {
    PageError::Template {
        name: format!("locales/{}/{file}", lang.code()),
        detail,
    }
}

/// The template function `t(id, name=value, args=map)`: the message in the page's `lang`.
pub(crate) fn template_function(
    catalogue: Arc<Catalogue>,
) -> impl Fn(&State, &str, Kwargs) -> Result<Value, Error> + Send + Sync + 'static {
    move |state: &State, id: &str, kwargs: Kwargs| {
        let lang = state
            .lookup("lang")
            .and_then(|value| value.as_str().and_then(Lang::from_code))
            .unwrap_or_default();
        let markup = id.ends_with("-html");
        let mut args = FluentArgs::new();
        let mut put = |name: &str, value: &Value| {
            args.set(name.to_string(), fluent_value(value, markup));
        };
        for name in kwargs.args() {
            let value: Value = kwargs.get(name)?;
            if name == "args" && value.kind() == ValueKind::Map {
                for key in value.try_iter()? {
                    let item = value.get_item(&key)?;
                    put(&key.to_string(), &item);
                }
            } else {
                put(name, &value);
            }
        }
        let text = catalogue
            .format(lang, id, &args)
            .map_err(|detail| Error::new(ErrorKind::UndefinedError, detail))?;
        Ok(if markup {
            Value::from_safe_string(text)
        } else {
            Value::from(text)
        })
    }
}

/// A template value as a Fluent argument: numbers stay numbers (for plurals), the rest is text,
/// HTML-escaped when it goes into a `-html` message.
fn fluent_value(value: &Value, markup: bool) -> FluentValue<'static> {
    if let Some(number) = value.as_i64() {
        return FluentValue::from(number);
    }
    let text = if value.is_none() || value.is_undefined() {
        String::new()
    } else {
        value.to_string()
    };
    if markup && !value.is_safe() {
        FluentValue::from(escape_html(&text).into_owned())
    } else {
        FluentValue::from(text)
    }
}

fn escape_html(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(minijinja::HtmlEscape(text).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_wins_then_accept_language_by_quality_then_english() {
        assert_eq!(Lang::negotiate(Some("es"), Some("en-US")), Lang::Es);
        assert_eq!(
            Lang::negotiate(Some("fr"), Some("es-MX,es;q=0.9")),
            Lang::Es
        );
        assert_eq!(
            Lang::negotiate(None, Some("fr-CA, es;q=0.8, en;q=0.7")),
            Lang::Es
        );
        assert_eq!(Lang::negotiate(None, Some("en;q=0.5, es;q=0.9")), Lang::Es);
        assert_eq!(Lang::negotiate(None, Some("es;q=0, en")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("es;q=2, de")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("de, fr")), Lang::En);
        assert_eq!(Lang::negotiate(None, None), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("ES-us")), Lang::Es);
    }

    #[test]
    fn both_catalogues_hold_the_same_messages() {
        let mut english = Catalogue::builtin_ids(Lang::En).expect("en parses");
        let mut spanish = Catalogue::builtin_ids(Lang::Es).expect("es parses");
        english.sort();
        spanish.sort();
        let only_english: Vec<_> = english.iter().filter(|id| !spanish.contains(id)).collect();
        let only_spanish: Vec<_> = spanish.iter().filter(|id| !english.contains(id)).collect();
        assert!(
            only_english.is_empty() && only_spanish.is_empty(),
            "missing in es: {only_english:?}; missing in en: {only_spanish:?}"
        );
        let mut unique = english.clone();
        unique.dedup();
        assert_eq!(unique.len(), english.len(), "a message id is defined twice");
    }

    #[test]
    fn a_missing_message_or_argument_is_an_error_not_a_blank() {
        let catalogue = Catalogue::new(None).expect("catalogue");
        assert!(catalogue
            .format(Lang::Es, "no-such-message", &FluentArgs::new())
            .is_err());
        assert!(catalogue
            .format(Lang::En, "lang-switch-label", &FluentArgs::new())
            .is_ok());
    }
}
