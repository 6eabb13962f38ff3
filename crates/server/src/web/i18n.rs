//! The message catalog: every piece of text the web UI shows comes from a
//! Fluent file under `locales/`, one file per area so that areas can grow
//! independently. English is the only language so far; a new one is a new
//! folder and a line in `CATALOGS`.

use std::collections::HashMap;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use rapport_domain::FieldError;
use rapport_store::Conflict;
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
    ("validation", include_str!("../../locales/en/validation.ftl")),
    ("conflict", include_str!("../../locales/en/conflict.ftl")),
];

const CATALOGS: &[(&str, &[(&str, &str)])] = &[("en", ENGLISH)];

pub struct Catalog {
    /// The language its messages are written in (`en`): the page's `lang`.
    pub lang: &'static str,
    bundle: FluentBundle<FluentResource>,
    /// The `validation-*` messages that take no values, for the scripts.
    plain_validation: Vec<&'static str>,
}

static LOADED: LazyLock<HashMap<&'static str, Catalog>> = LazyLock::new(|| {
    CATALOGS
        .iter()
        .map(|(lang, sources)| {
            let id: LanguageIdentifier = lang.parse().expect("catalog language ids are valid");
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            let plain_validation = sources
                .iter()
                .filter(|(area, _)| *area == "validation")
                .flat_map(|(_, src)| src.lines())
                .filter(|l| l.starts_with("validation-") && !l.contains("{ $"))
                .filter_map(|l| l.split_once(" = ").map(|(id, _)| id.trim()))
                .collect();
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
            (*lang, Catalog { lang, bundle, plain_validation })
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

/// Values kept as text, passed into a message: a whole number written as one
/// (`3`, not `007`) as a number, so that plurals can choose by it.
fn args<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, Arg<'a>)> {
    pairs
        .iter()
        .map(|(n, v)| (*n, v.parse::<i64>().ok().filter(|i| i.to_string() == *v).map(Arg::Num).unwrap_or(Arg::Str(v))))
        .collect()
}

/// A refusal as its parts, borrowed: those of a [`FieldError`] or a
/// [`Conflict`], or as an import job keeps them with its row errors.
pub struct Refusal<'a> {
    pub code: &'a str,
    /// The field at fault (`emails[0].address`); empty when none is named.
    pub field: &'a str,
    pub args: Vec<(&'a str, &'a str)>,
    /// The English sentence, for a code the catalog does not know.
    pub message: &'a str,
}

impl<'a> From<&'a FieldError> for Refusal<'a> {
    fn from(e: &'a FieldError) -> Refusal<'a> {
        let args = e.args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        Refusal { code: e.code, field: &e.field, args, message: &e.message }
    }
}

impl<'a> From<&'a Conflict> for Refusal<'a> {
    fn from(c: &'a Conflict) -> Refusal<'a> {
        let args = c.args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        Refusal { code: c.code, field: "", args, message: &c.message }
    }
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

impl Catalog {
    /// Why a value was refused, in this language: the message for its code
    /// (`validation-invalid`), or for its code and field
    /// (`validation-invalid-email`), or for its code and the values it carries
    /// (`validation-too-long-with-max`). The store's English sentence only
    /// for a code the catalog does not know.
    pub fn invalid(&self, e: &FieldError) -> String {
        self.refused(&e.into())
    }

    /// [`Catalog::invalid`] for a refused value kept as its parts.
    pub fn refused(&self, r: &Refusal<'_>) -> String {
        self.refusal_key(r).and_then(|key| self.coded(&key, r)).unwrap_or_else(|| crate::web::settings::sentence(r.message))
    }

    /// The validation messages that take no values, as a JSON object by
    /// what follows `validation-` (`required`, `invalid-email`): a script
    /// words a refusal of the API with it as [`Catalog::invalid`] does.
    pub fn validation_messages(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .plain_validation
            .iter()
            .filter_map(|id| Some((id.strip_prefix("validation-")?.to_string(), self.t(id).into())))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    /// Why the store refused a change for the state of other records
    /// (`conflict-<code>`); its English sentence for a code the catalog does not know.
    pub fn conflict(&self, c: &Conflict) -> String {
        self.conflicting(&c.into())
    }

    /// [`Catalog::conflict`] for a conflict kept as its parts.
    pub fn conflicting(&self, r: &Refusal<'_>) -> String {
        self.coded(&format!("conflict-{}", r.code), r).unwrap_or_else(|| crate::web::settings::sentence(r.message))
    }

    /// The message `key` with the refusal's arguments, if the catalog has it.
    fn coded(&self, key: &str, r: &Refusal<'_>) -> Option<String> {
        self.has(key).then(|| self.text(key, &args(&r.args)))
    }

    /// [`Catalog::invalid`] after the label of the field at fault.
    pub fn invalid_for(&self, label: &str, e: &FieldError) -> String {
        self.for_field(label, &self.invalid(e))
    }

    /// A sentence about a field, after its label.
    pub fn for_field(&self, label: &str, message: &str) -> String {
        self.text("validation-field", &[("field", Arg::Str(label)), ("message", Arg::Str(message))])
    }

    /// The catalog message that words an error, if there is one.
    pub fn invalid_key(&self, e: &FieldError) -> Option<String> {
        self.refusal_key(&e.into())
    }

    fn refusal_key(&self, r: &Refusal<'_>) -> Option<String> {
        let code = format!("validation-{}", r.code.replace('_', "-"));
        // The last name of the field's path, without its index: `emails[0].address` is `address`.
        let leaf = r.field.rsplit('.').next().unwrap_or("").split('[').next().unwrap_or("");
        let mut keys = vec![];
        // A custom field's key is the workspace's word, not the catalog's.
        if !leaf.is_empty() && !r.field.starts_with("custom.") {
            keys.push(format!("{code}-{}", leaf.replace('_', "-")));
        }
        if !r.args.is_empty() {
            let names: Vec<&str> = r.args.iter().map(|(n, _)| *n).collect();
            keys.push(format!("{code}-with-{}", names.join("-")));
        }
        keys.push(code);
        keys.into_iter().find(|k| self.has(k))
    }

    /// Why an import could not take a row, for a code of the import's own
    /// (`import-error-<code>`, see `rapport_io::problem`); its English
    /// sentence, as kept, for a code the catalog does not know.
    pub fn import_error(&self, r: &Refusal<'_>) -> String {
        self.coded(&format!("import-error-{}", r.code.replace('_', "-")), r).unwrap_or_else(|| r.message.to_string())
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

    /// Every code the domain and the store give a refused field has a message,
    /// so the web UI never shows the store's English sentence for one of them.
    #[test]
    fn every_validation_code_is_in_the_catalog() {
        let en = catalog("en");
        let codes = validation_codes();
        for expected in ["required", "invalid", "too_long", "out_of_range", "unknown_operator", "not_found", "taken"] {
            assert!(codes.contains(expected), "the scan finds {expected}: {codes:?}");
        }
        let missing: Vec<_> = codes.iter().filter(|c| !en.has(&format!("validation-{}", c.replace('_', "-")))).collect();
        assert!(missing.is_empty(), "codes with no validation-* message in locales/en/validation.ftl: {missing:?}");
    }

    #[test]
    fn every_conflict_code_is_in_the_catalog() {
        let en = catalog("en");
        // `Conflict::new(code, ...)` in the store, and the codes chosen before the call.
        let codes = first_literals("store/src", &["Conflict::new("], &["field-already-deleted", "field-not-deleted"]);
        assert!(codes.contains("busy") && codes.contains("stage-in-use"), "the scan finds the codes: {codes:?}");
        let missing: Vec<_> = codes.iter().filter(|c| !en.has(&format!("conflict-{c}"))).collect();
        assert!(missing.is_empty(), "conflict codes with no message in locales/en/conflict.ftl: {missing:?}");
        let stage = rapport_store::Conflict::new("stage-in-use", "stage 'Won' still holds 3 record(s)")
            .with("stage", "Won")
            .with("count", 3);
        assert_eq!(en.conflict(&stage), "The stage “Won” still holds 3 records: move them first.");
        let unknown = rapport_store::Conflict::new("no-such-code", "something else happened");
        assert_eq!(en.conflict(&unknown), "Something else happened.");
    }

    /// Every code the import gives a row of its own (`Problem::new(code, ..)`
    /// and `unreadable(code, ..)` in crates/io) has an `import-error-*` message.
    #[test]
    fn every_import_error_code_is_in_the_catalog() {
        let en = catalog("en");
        let codes = first_literals("io/src", &["Problem::new(", "unreadable("], &["unreadable_row", "unreadable_file"]);
        for expected in
            ["not_a_date", "not_an_option", "too_many_decimals", "pipeline_not_found", "malformed_json", "not_in_export"]
        {
            assert!(codes.contains(expected), "the scan finds {expected}: {codes:?}");
        }
        let missing: Vec<_> = codes.iter().filter(|c| !en.has(&format!("import-error-{}", c.replace('_', "-")))).collect();
        assert!(missing.is_empty(), "import codes with no import-error-* message in locales/en/import.ftl: {missing:?}");

        let problem = |code, args: Vec<(&'static str, &'static str)>| Refusal { code, field: "", args, message: "in English" };
        let pipeline = problem("pipeline_not_found", vec![("name", "Enterprise"), ("pipelines", "Sales, Renewals")]);
        assert_eq!(en.import_error(&pipeline), "There is no pipeline named “Enterprise”. The pipelines are: Sales, Renewals.");
        let cents = problem("too_many_decimals", vec![("value", "12.345"), ("currency", "EUR"), ("places", "2")]);
        assert_eq!(en.import_error(&cents), "“12.345” has too many decimals: amounts in EUR have 2 decimal places.");
        let yen = problem("too_many_decimals", vec![("value", "12.5"), ("currency", "JPY"), ("places", "0")]);
        assert_eq!(en.import_error(&yen), "“12.5” has decimals, but amounts in JPY have none.");
        // A value is shown as the file has it, leading zeros and all.
        assert_eq!(
            en.import_error(&problem("not_a_date", vec![("value", "007")])),
            "“007” is not a date. Write dates like 2025-01-31."
        );
        assert_eq!(en.import_error(&problem("no_such_code", vec![])), "in English");
    }

    /// The string literals given first to one of `calls` in the Rust files
    /// of `dir` (under crates/), and the codes `chosen` before a call.
    fn first_literals(dir: &str, calls: &[&str], chosen: &[&str]) -> std::collections::BTreeSet<String> {
        let mut codes: std::collections::BTreeSet<String> = chosen.iter().map(|c| c.to_string()).collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
        for path in walk(&root).into_iter().filter(|p| p.extension().is_some_and(|e| e == "rs")) {
            let text = std::fs::read_to_string(&path).unwrap();
            for call in calls {
                for (i, _) in text.match_indices(call) {
                    // `not_unreadable(` is another function.
                    if text[..i].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let args = call_args(&text[i + call.len()..]);
                    if let Some(code) = args.first().and_then(|a| a.trim().strip_prefix('"')).and_then(|a| a.strip_suffix('"')) {
                        codes.insert(code.to_string());
                    }
                }
            }
        }
        codes
    }

    /// The codes used with `ValidationErrors::push`/`push_with`/`single`,
    /// `FieldError::new` and the helpers that wrap them in crates/domain and
    /// crates/store: the first string literal made only of `a-z` and `_`
    /// among a call's arguments after the first (the field).
    fn validation_codes() -> std::collections::BTreeSet<String> {
        let calls = ["push(", "push_with(", "single(", "FieldError::new(", "fail(", "bad(", "invalid("];
        let mut codes = std::collections::BTreeSet::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for dir in ["domain/src", "store/src"] {
            for path in walk(&root.join(dir)).into_iter().filter(|p| p.extension().is_some_and(|e| e == "rs")) {
                let text = std::fs::read_to_string(&path).unwrap();
                for call in calls {
                    for (i, _) in text.match_indices(call) {
                        let args = call_args(&text[i + call.len()..]);
                        // `fail(code, message)` has no field; the others name it first.
                        let skip = if call == "fail(" { 0 } else { 1 };
                        let Some(a) = args.get(skip).filter(|_| args.len() > skip + 1) else { continue };
                        if let Some(code) = a.trim().strip_prefix('"').and_then(|a| a.strip_suffix('"'))
                            && !code.is_empty()
                            && code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        {
                            codes.insert(code.to_string());
                        }
                    }
                }
            }
        }
        codes
    }

    /// The top-level arguments of a call, from just after its `(`.
    fn call_args(s: &str) -> Vec<&str> {
        let (mut depth, mut start, mut in_str, mut esc) = (0usize, 0usize, false, false);
        let mut out = vec![];
        for (i, c) in s.char_indices() {
            if in_str {
                match (esc, c) {
                    (true, _) => esc = false,
                    (false, '\\') => esc = true,
                    (false, '"') => in_str = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_str = true,
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => {
                    out.push(&s[start..i]);
                    return out;
                }
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(&s[start..i]);
                    start = i + 1;
                }
                ';' if depth == 0 => break,
                _ => {}
            }
        }
        vec![]
    }

    #[test]
    fn validation_errors_are_worded_by_the_catalog() {
        let en = catalog("en");
        let e = FieldError::new("name", "required", "is required");
        assert_eq!(en.invalid(&e), "This field is required.");
        assert_eq!(en.invalid_for("Name", &e), "Name: This field is required.");
        let e = FieldError::new("emails[1].address", "invalid", "'x' is not an email address");
        assert_eq!(en.invalid(&e), "Enter an email address, such as name@example.com.");
        let e = FieldError::new("title", "too_long", "is longer than 200 characters").with("max", 200);
        assert_eq!(en.invalid(&e), "Use at most 200 characters.");
        let e = FieldError::new("probability", "out_of_range", "must be between 0 and 100").with("min", 0).with("max", 100);
        assert_eq!(en.invalid(&e), "Enter a number from 0 to 100.");
        // A custom field named like a built-in one gets the code's message.
        let e = FieldError::new("custom.email", "invalid", "expected a date");
        assert_eq!(en.invalid(&e), "This value is not valid.");
        // A code the catalog does not know keeps the sentence it came with.
        let e = FieldError::new("password", "mismatch", "the two passwords differ");
        assert_eq!(en.invalid(&e), "The two passwords differ.");
    }

    #[test]
    fn scripts_get_the_plain_validation_messages() {
        let json: serde_json::Value = serde_json::from_str(&catalog("en").validation_messages()).unwrap();
        assert_eq!(json["required"], "This field is required.");
        assert_eq!(json["invalid-email"], "Enter an email address, such as name@example.com.");
        assert!(json.get("too-long-with-max").is_none(), "messages with values are left out");
        assert!(json.get("field").is_none());
    }

    #[test]
    fn messages_take_arguments_and_plurals() {
        let en = catalog("en-GB");
        assert_eq!(en.text("count-records", &[("count", Arg::Num(1))]), "1 record");
        assert_eq!(en.text("count-records", &[("count", Arg::Num(3))]), "3 records");
        assert_eq!(en.text("no-such-message", &[]), "no-such-message");
    }
}
