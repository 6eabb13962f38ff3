//! What global search indexes and how queries are read: text is folded
//! (accents and case removed) and cut into tokens here, in one place, so that
//! SQLite and PostgreSQL index and match exactly the same tokens.

use std::collections::BTreeMap;

use phonenumber::country::Id as Region;
use serde_json::Value as Json;

use crate::Kind;
use crate::contact::normalize_phone;
use crate::custom::{CustomField, CustomType};

/// Folds text for matching: `Société Générale` becomes `societe generale`.
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// Words of folded text: letters and digits; `@`, `.`, `-`, `_` and `+` stay
/// inside a word so that emails and domains are whole tokens too.
pub fn words(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut out = Vec::new();
    for raw in folded.split(|c: char| !(c.is_alphanumeric() || "@.-_+".contains(c))) {
        let w = raw.trim_matches(|c: char| "@.-_+".contains(c));
        if w.is_empty() {
            continue;
        }
        out.push(w.to_string());
        // `ada.lovelace@acme.com` is also found by `ada`, `lovelace` and `acme`.
        if w.contains(['@', '.', '-', '_', '+']) {
            out.extend(w.split(['@', '.', '-', '_', '+']).filter(|p| !p.is_empty()).map(str::to_string));
        }
    }
    out
}

/// The searchable text of one record, per field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// What a hit shows: the record's name or title.
    pub label: String,
    /// Field name to its tokens.
    pub fields: BTreeMap<&'static str, Vec<String>>,
}

impl Document {
    /// A phone is found by its E.164 digits and by its national number, so a
    /// number typed without its country code still finds it.
    fn add_phone(&mut self, field: &'static str, e164: &str) {
        self.add(field, e164);
        if let Ok(n) = phonenumber::parse(None, e164) {
            self.add(field, &n.national().value().to_string());
        }
    }

    fn add(&mut self, field: &'static str, text: &str) {
        let w = words(text);
        if !w.is_empty() {
            self.fields.entry(field).or_default().extend(w);
        }
    }

    /// Every token, once, space-separated: what the database indexes.
    pub fn tokens(&self) -> String {
        let mut all: Vec<&str> = self.fields.values().flatten().map(String::as_str).collect();
        all.sort_unstable();
        all.dedup();
        all.join(" ")
    }
}

fn s<'a>(r: &'a serde_json::Map<String, Json>, k: &str) -> &'a str {
    r.get(k).and_then(Json::as_str).unwrap_or_default()
}

fn each<'a>(r: &'a serde_json::Map<String, Json>, k: &str) -> impl Iterator<Item = &'a Json> {
    r.get(k).and_then(Json::as_array).into_iter().flatten()
}

/// The document of a record as the API shows it; `None` for kinds search skips.
pub fn document(kind: Kind, r: &serde_json::Map<String, Json>) -> Option<Document> {
    let mut d = Document::default();
    match kind {
        Kind::Person => {
            d.label = s(r, "name").to_string();
            d.add("name", s(r, "name"));
            for e in each(r, "emails") {
                d.add("emails", e.get("address").and_then(Json::as_str).unwrap_or_default());
            }
            for p in each(r, "phones") {
                d.add_phone("phones", p.get("e164").and_then(Json::as_str).unwrap_or_default());
            }
            d.add("title", s(r, "title"));
        }
        Kind::Organization => {
            d.label = s(r, "name").to_string();
            d.add("name", s(r, "name"));
            for dom in each(r, "domains") {
                d.add("domains", dom.as_str().unwrap_or_default());
            }
            d.add("website", s(r, "website"));
            for p in each(r, "phones") {
                d.add_phone("phones", p.get("e164").and_then(Json::as_str).unwrap_or_default());
            }
        }
        Kind::Deal => {
            d.label = s(r, "name").to_string();
            d.add("name", s(r, "name"));
            d.add("next_step", s(r, "next_step"));
        }
        Kind::Activity => {
            let subject = s(r, "subject");
            d.label = if subject.is_empty() { s(r, "type").to_string() } else { subject.to_string() };
            d.add("subject", subject);
            // Long notes are searched on their first 2000 characters.
            let body: String = s(r, "body").chars().take(2000).collect();
            d.add("body", &body);
        }
        Kind::Task => {
            d.label = s(r, "title").to_string();
            d.add("title", s(r, "title"));
        }
        Kind::Object => {
            d.label = s(r, "name").to_string();
            d.add("name", s(r, "name"));
            // Text custom fields; ids (relations) are not words.
            for v in r.get("custom").and_then(Json::as_object).into_iter().flat_map(|o| o.values()) {
                if let Some(text) = v.as_str().filter(|t| uuid::Uuid::parse_str(t).is_err()) {
                    let text: String = text.chars().take(2000).collect();
                    d.add("custom", &text);
                }
            }
        }
        Kind::User | Kind::Team | Kind::Consent => return None,
    }
    Some(d)
}

/// Adds a record's searchable custom values (text, long text, email, phone,
/// URL) to its document, under the field name `custom`.
pub fn add_custom(d: &mut Document, defs: &[CustomField], r: &serde_json::Map<String, Json>) {
    let Some(values) = r.get("custom").and_then(Json::as_object) else { return };
    for def in defs.iter().filter(|d| !d.is_deleted() && d.ty.searchable()) {
        let Some(v) = values.get(&def.key).and_then(Json::as_str) else { continue };
        match def.ty {
            CustomType::Phone => d.add_phone("custom", v),
            CustomType::LongText => d.add("custom", &v.chars().take(2000).collect::<String>()),
            _ => d.add("custom", v),
        }
    }
}

/// A query as search reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Tokens that must all match; the last one as a prefix.
    pub tokens: Vec<String>,
    /// The folded query, for similarity ranking and typo tolerance.
    pub folded: String,
}

/// Reads what a user typed. A phone number in any format becomes its E.164
/// digits, so `06 12 34 56 78` finds `+33 6 12 34 56 78`.
pub fn parse_query(q: &str, region: Region) -> Option<Query> {
    let trimmed = q.trim();
    let digits = trimmed.chars().filter(char::is_ascii_digit).count();
    let phone_like = digits >= 6 && trimmed.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if phone_like {
        // Read with the workspace's region; failing that, the digits as typed
        // match a national number (a foreign number typed without its code).
        let t = match normalize_phone(trimmed, region) {
            Some(e164) => e164.trim_start_matches('+').to_string(),
            None => trimmed.chars().filter(char::is_ascii_digit).collect::<String>().trim_start_matches('0').to_string(),
        };
        return Some(Query { tokens: vec![t.clone()], folded: t });
    }
    let mut tokens = words(trimmed);
    // Parts of an email or domain are indexed separately; the whole is enough to match.
    tokens.dedup();
    if let Some(first_compound) = tokens.iter().position(|t| t.contains(['@', '.'])) {
        let whole = tokens[first_compound].clone();
        tokens.retain(|t| !whole.split(['@', '.', '-', '_', '+']).any(|p| p == t) || *t == whole);
    }
    if tokens.is_empty() {
        return None;
    }
    tokens.truncate(8);
    Some(Query { tokens, folded: fold(trimmed) })
}

/// How close a label is to the query, 0 to 1, for ranking and typo tolerance.
pub fn similarity(query: &str, label: &str) -> f64 {
    let l = fold(label);
    if l == query {
        return 1.0;
    }
    if l.starts_with(query) {
        return 0.95;
    }
    let best_word = l.split_whitespace().map(|w| strsim::jaro_winkler(query, w)).fold(0.0, f64::max);
    best_word.max(strsim::jaro_winkler(query, &l)) * 0.9
}

/// How many vocabulary words a mistyped word may stand for in one search.
pub const MAX_CORRECTIONS: usize = 5;

/// Whether a query word may be a typo worth correcting: a word of letters
/// long enough that one wrong letter still leaves it recognisable. Numbers,
/// emails and domains are matched as typed.
pub fn correctable(word: &str) -> bool {
    word.chars().count() >= 3 && word.chars().all(|c| c.is_alphabetic() || c == '-' || c == '_')
}

/// How many edits a correction of this word may be from it.
pub fn allowed_edits(word: &str) -> usize {
    if word.chars().count() <= 5 { 1 } else { 2 }
}

/// The words of a vocabulary a mistyped word most likely meant, closest
/// first: within one edit of a word of up to five letters, two of a longer
/// one (a swapped pair of letters is one edit).
pub fn corrections<'a>(word: &str, vocabulary: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let allowed = allowed_edits(word);
    let mut close: Vec<(usize, f64, &str)> = vocabulary
        .into_iter()
        .filter_map(|v| {
            let edits = strsim::damerau_levenshtein(word, v);
            (edits <= allowed).then(|| (edits, strsim::jaro_winkler(word, v), v))
        })
        .collect();
    // Fewest edits first; among equals, the likelier slip (Jaro-Winkler
    // favours a shared beginning), then the word itself for a stable order.
    close.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(b.2)));
    close.dedup_by(|a, b| a.2 == b.2);
    close.into_iter().take(MAX_CORRECTIONS).map(|c| c.2.to_string()).collect()
}

/// The field of a document the query matched best, to show with the hit.
pub fn matched_field(doc_fields: &BTreeMap<String, Vec<String>>, q: &Query) -> Option<String> {
    let hits = |tokens: &Vec<String>| q.tokens.iter().filter(|t| tokens.iter().any(|w| w.starts_with(t.as_str()))).count();
    doc_fields.iter().max_by_key(|(_, tokens)| hits(tokens)).filter(|(_, tokens)| hits(tokens) > 0).map(|(f, _)| f.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::parse_region;

    #[test]
    fn folding_and_words() {
        assert_eq!(fold("Société GÉNÉRALE"), "societe generale");
        let w = words("Ada.Lovelace@Acme.com, +33 6");
        assert!(w.contains(&"ada.lovelace@acme.com".to_string()));
        assert!(w.contains(&"lovelace".to_string()));
        assert!(w.contains(&"acme".to_string()));
    }

    #[test]
    fn queries() {
        let fr = parse_region("FR").unwrap();
        assert_eq!(parse_query("06 12 34 56 78", fr).unwrap().tokens, vec!["33612345678"]);
        assert_eq!(parse_query("+33 (0)6 12 34 56 78", fr).map(|q| q.tokens), Some(vec!["33612345678".to_string()]));
        assert_eq!(parse_query("Éric Dupont", fr).unwrap().tokens, vec!["eric", "dupont"]);
        assert_eq!(parse_query("ada@acme.com", fr).unwrap().tokens, vec!["ada@acme.com"]);
        assert!(parse_query("  ", fr).is_none());
        assert!(similarity("lovelase", "Ada Lovelace") > 0.8);
        assert!(similarity("zzz", "Ada Lovelace") < 0.6);
    }

    #[test]
    fn a_typo_is_corrected_from_the_vocabulary() {
        let vocabulary = ["smith", "smyth", "smithson", "moore", "moor", "john", "joan", "jon", "lovelace", "ada"];
        // A swapped pair of letters, a doubled letter, a wrong letter.
        assert_eq!(corrections("smiht", vocabulary), vec!["smith"]);
        assert_eq!(corrections("mooore", vocabulary), vec!["moore", "moor"]);
        assert_eq!(corrections("jhon", vocabulary), vec!["john", "jon"]);
        assert_eq!(corrections("lovelase", vocabulary), vec!["lovelace"]);
        // Closest first, at most a few.
        assert_eq!(corrections("smith", vocabulary)[0], "smith");
        assert!(corrections("zzyzx", vocabulary).is_empty());
        let many: Vec<String> = (b'a'..=b'z').map(|c| format!("ca{}", c as char)).collect();
        assert_eq!(corrections("cat", many.iter().map(String::as_str)).len(), MAX_CORRECTIONS);
        assert!(correctable("lovelase"));
        assert!(!correctable("ab"));
        assert!(!correctable("33612345678"));
        assert!(!correctable("acme.com"));
    }
}
