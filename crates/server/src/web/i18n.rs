//! The message catalog: every piece of text the web UI shows comes from a
//! Fluent file under `locales/`, one file per area so that areas can grow
//! independently. English is the only language so far; a new one is a new
//! folder and a line in `CATALOGS`.

use std::collections::HashMap;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// The Fluent sources of one language, by area.
const ENGLISH: &[(&str, &str)] = &[
    ("core", include_str!("../../locales/en/core.ftl")),
    ("home", include_str!("../../locales/en/home.ftl")),
    ("lists", include_str!("../../locales/en/lists.ftl")),
    ("records", include_str!("../../locales/en/records.ftl")),
    ("board", include_str!("../../locales/en/board.ftl")),
    ("calendar", include_str!("../../locales/en/calendar.ftl")),
    ("search", include_str!("../../locales/en/search.ftl")),
    ("settings", include_str!("../../locales/en/settings.ftl")),
    ("import", include_str!("../../locales/en/import.ftl")),
    ("fields", include_str!("../../locales/en/fields.ftl")),
    ("signin", include_str!("../../locales/en/signin.ftl")),
    ("duplicates", include_str!("../../locales/en/duplicates.ftl")),
    ("automation", include_str!("../../locales/en/automation.ftl")),
    ("objects", include_str!("../../locales/en/objects.ftl")),
];

const CATALOGS: &[(&str, &[(&str, &str)])] = &[("en", ENGLISH)];

pub struct Catalog {
    /// The language its messages are written in (`en`): the page's `lang`.
    pub lang: &'static str,
    bundle: FluentBundle<FluentResource>,
}

static LOADED: LazyLock<HashMap<&'static str, Catalog>> = LazyLock::new(|| {
    CATALOGS
        .iter()
        .map(|(lang, sources)| {
            let id: LanguageIdentifier = lang.parse().expect("catalog language ids are valid");
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Isolation marks would end up inside attributes and links.
            bundle.set_use_isolating(false);
            for (area, src) in sources.iter() {
                let res = FluentResource::try_new(src.to_string()).unwrap_or_else(|(res, errs)| {
                    tracing::error!(area, ?errs, "message catalog has syntax errors");
                    res
                });
                if let Err(errs) = bundle.add_resource(res) {
                    tracing::error!(area, ?errs, "message catalog defines a message twice");
                }
            }
            (*lang, Catalog { lang, bundle })
        })
        .collect()
});

/// The catalog for a language tag (`de-CH` falls back to `de`, then English).
pub fn catalog(lang: &str) -> &'static Catalog {
    let base = lang.split(['-', '_']).next().unwrap_or("en");
    LOADED.get(base).or_else(|| LOADED.get("en")).expect("the English catalog is built in")
}

/// A value passed into a message.
pub enum Arg<'a> {
    Str(&'a str),
    Num(i64),
}

impl Catalog {
    /// A message with no arguments.
    pub fn t(&self, key: &str) -> String {
        self.text(key, &[])
    }

    /// A message with one text argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.text(key, &[(name, Arg::Str(value))])
    }

    /// A message with two text arguments.
    pub fn t2(&self, key: &str, a: &str, av: &str, b: &str, bv: &str) -> String {
        self.text(key, &[(a, Arg::Str(av)), (b, Arg::Str(bv))])
    }

    pub fn has(&self, key: &str) -> bool {
        self.bundle.has_message(key)
    }

    /// The text of a message, or its key (logged) when the catalog lacks it.
    pub fn text(&self, key: &str, args: &[(&str, Arg<'_>)]) -> String {
        let (id, attr) = match key.split_once('.') {
            Some((id, attr)) => (id, Some(attr)),
            None => (key, None),
        };
        let Some(msg) = self.bundle.get_message(id) else {
            tracing::warn!(key, "message missing from the catalog");
            return key.to_string();
        };
        let pattern = match attr {
            Some(a) => msg.get_attribute(a).map(|a| a.value()),
            None => msg.value(),
        };
        let Some(pattern) = pattern else {
            tracing::warn!(key, "message has no such value");
            return key.to_string();
        };
        let mut fargs = FluentArgs::new();
        for (name, v) in args {
            match v {
                Arg::Str(s) => fargs.set(*name, FluentValue::from(*s)),
                Arg::Num(n) => fargs.set(*name, FluentValue::from(*n)),
            }
        }
        let mut errs = vec![];
        let out = self.bundle.format_pattern(pattern, if args.is_empty() { None } else { Some(&fargs) }, &mut errs);
        if !errs.is_empty() {
            tracing::warn!(key, ?errs, "message could not be formatted");
        }
        out.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `t("key")`-style call in the templates and handlers names a message
    /// the English catalog has, so no page shows a raw key.
    #[test]
    fn every_key_used_is_in_the_catalog() {
        let en = catalog("en");
        let re_calls = ["t(\"", "t1(\"", "t2(\"", "tn(\"", "msg(\""];
        let mut missing = vec![];
        for dir in ["templates/web", "src/web"] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in walk(&root).into_iter().filter(|p| !p.ends_with("i18n.rs")) {
                let text = std::fs::read_to_string(&entry).unwrap();
                for call in re_calls {
                    for (i, _) in text.match_indices(call) {
                        let before = text[..i].chars().last();
                        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                            continue;
                        }
                        let rest = &text[i + call.len()..];
                        let key = &rest[..rest.find('"').unwrap_or(0)];
                        if !key.is_empty() && !key.contains(['{', ' ']) && !en.has(key.split('.').next().unwrap()) {
                            missing.push(format!("{}: {key}", entry.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys missing from locales/en: {missing:#?}");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = vec![];
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn messages_take_arguments_and_plurals() {
        let en = catalog("en-GB");
        assert_eq!(en.text("count-records", &[("count", Arg::Num(1))]), "1 record");
        assert_eq!(en.text("count-records", &[("count", Arg::Num(3))]), "3 records");
        assert_eq!(en.text("no-such-message", &[]), "no-such-message");
    }
}
