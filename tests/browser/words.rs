//! The pages' words in the language a scenario runs in, from the gateway's own catalogue
//! (`static/locales/`), so one scenario checks the English and the Spanish pages alike.

use fluent_bundle::{FluentArgs, FluentValue};
use mfa_gateway::pages::{Catalogue, Lang};

/// The catalogue in one language.
pub struct Words {
    pub lang: Lang,
    catalogue: Catalogue,
}

impl Words {
    pub fn new(lang: Lang) -> Words {
        Words {
            lang,
            catalogue: Catalogue::new(None).expect("the compiled-in catalogue"),
        }
    }

    /// A message without arguments, as the page shows it (markup removed).
    pub fn t(&self, id: &str) -> String {
        self.with(id, &[])
    }

    /// A message with arguments, as the page shows it (markup removed).
    pub fn with(&self, id: &str, args: &[(&str, FluentValue<'static>)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(name.to_string(), value.clone());
        }
        let text = self
            .catalogue
            .format(self.lang, id, &fluent)
            .unwrap_or_else(|e| panic!("{e}"));
        strip_tags(&text)
    }

    /// The words of a message before its first argument (for "We sent a code to …").
    pub fn lead(&self, id: &str, first_arg: &str) -> String {
        const MARK: &str = "\u{1}";
        let text = self.with(id, &[(first_arg, FluentValue::from(MARK))]);
        text.split(MARK)
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

/// Text without HTML tags (the catalogue's `-html` messages hold a few).
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}
