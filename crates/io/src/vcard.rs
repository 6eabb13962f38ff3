//! vCard 3.0 and 4.0: cards read one at a time into rows of fixed columns,
//! and people and organizations written as vCard 4.0.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;

use calcard::vcard::{
    VCard, VCardEntry, VCardKind, VCardParameter, VCardParameterName, VCardParameterValue, VCardProperty, VCardType, VCardValue,
    VCardVersion,
};
use serde_json::{Value as Json, json};

use crate::problem::Problem;
use crate::source::{Cell, Original, Row, SourceError};

/// The columns a card is read into; the suggestions know them.
pub const COLUMNS: &[&str] = &[
    "UID",
    "KIND",
    "FN",
    "N.family",
    "N.given",
    "NICKNAME",
    "ORG",
    "TITLE",
    "EMAIL",
    "TEL",
    "ADR.street",
    "ADR.city",
    "ADR.region",
    "ADR.postal_code",
    "ADR.country",
    "BDAY",
    "URL",
    "CATEGORIES",
    "NOTE",
];

/// Reads the cards of a file one by one, from BEGIN:VCARD to END:VCARD.
pub struct CardReader {
    reader: Box<dyn BufRead + Send>,
    number: u64,
    names: Vec<Arc<str>>,
    done: bool,
}

impl CardReader {
    pub fn new(reader: Box<dyn BufRead + Send>) -> Self {
        Self { reader, number: 0, names: COLUMNS.iter().map(|c| Arc::from(*c)).collect(), done: false }
    }

    /// The text of the next card; `None` at the end of the file.
    fn next_card(&mut self) -> Result<Option<String>, SourceError> {
        let mut card = String::new();
        let mut inside = false;
        let mut line = String::new();
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return if inside {
                    let problem = Problem::new("vcard_not_ended", "the card has no END:VCARD");
                    Err(SourceError::Row { row: self.number + 1, problem })
                } else {
                    Ok(None)
                };
            }
            let t = line.trim_start_matches('\u{feff}').trim();
            if !inside {
                if t.eq_ignore_ascii_case("BEGIN:VCARD") {
                    inside = true;
                    card.push_str("BEGIN:VCARD\r\n");
                }
                continue;
            }
            card.push_str(line.trim_end_matches(['\r', '\n']));
            card.push_str("\r\n");
            if t.eq_ignore_ascii_case("END:VCARD") {
                return Ok(Some(card));
            }
        }
    }
}

impl Iterator for CardReader {
    type Item = Result<Row, SourceError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_card() {
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
            Ok(Some(text)) => {
                self.number += 1;
                let n = self.number;
                Some(match VCard::parse(&text) {
                    Ok(card) => Ok(card_row(n, &card, &self.names)),
                    Err(_) => Err(SourceError::Row { row: n, problem: Problem::new("unreadable_vcard", "not a readable vCard") }),
                })
            }
        }
    }
}

fn value_text(v: &VCardValue) -> String {
    match v {
        VCardValue::Component(parts) => parts.join(","),
        VCardValue::PartialDateTime(d) => match (d.year, d.month, d.day) {
            (Some(y), Some(m), Some(day)) => format!("{y:04}-{m:02}-{day:02}"),
            (None, Some(m), Some(day)) => format!("--{m:02}-{day:02}"),
            _ => String::new(),
        },
        VCardValue::Integer(i) => i.to_string(),
        VCardValue::Float(f) => f.to_string(),
        VCardValue::Boolean(b) => b.to_string(),
        other => other.as_text().unwrap_or_default().to_string(),
    }
}

/// The structured parts of a value (N, ADR, ORG): one string per part.
fn parts(e: &VCardEntry) -> Vec<String> {
    e.values.iter().map(value_text).collect()
}

fn text(e: &VCardEntry) -> String {
    parts(e).into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A label from TYPE parameters, or from an Apple `itemN.X-ABLabel` line of the same group.
fn label(e: &VCardEntry, ab_labels: &HashMap<String, String>) -> Option<String> {
    if let Some(l) = e.group.as_ref().and_then(|g| ab_labels.get(&g.to_ascii_lowercase())) {
        return Some(l.clone());
    }
    for p in e.parameters(&VCardParameterName::Type) {
        let t = match p {
            VCardParameterValue::Type(t) => match t {
                VCardType::Cell => "mobile",
                VCardType::Work => "work",
                VCardType::Home => "home",
                VCardType::Fax => "fax",
                VCardType::Pager => "pager",
                VCardType::MainNumber => "main",
                _ => continue,
            }
            .to_string(),
            other => match other.as_text().map(str::to_ascii_lowercase).as_deref() {
                Some("cell" | "mobile" | "iphone") => "mobile".into(),
                Some(l @ ("work" | "home" | "fax" | "main" | "other" | "pager")) => l.to_string(),
                _ => continue,
            },
        };
        return Some(t);
    }
    None
}

fn preferred(e: &VCardEntry) -> bool {
    e.params.iter().any(|p| match (&p.name, &p.value) {
        (VCardParameterName::Pref, _) => true,
        (VCardParameterName::Type, v) => v.as_text().is_some_and(|t| t.eq_ignore_ascii_case("pref")),
        _ => false,
    })
}

fn card_row(number: u64, card: &VCard, names: &[Arc<str>]) -> Row {
    let ab_labels: HashMap<String, String> = card
        .entries
        .iter()
        .filter(|e| matches!(&e.name, VCardProperty::Other(n) if n.eq_ignore_ascii_case("X-ABLABEL")))
        .filter_map(|e| {
            let g = e.group.as_ref()?.to_ascii_lowercase();
            let l = text(e);
            let l = l.trim_start_matches("_$!<").trim_end_matches(">!$_").trim().to_lowercase();
            (!l.is_empty()).then_some((g, l))
        })
        .collect();
    let mut values: Vec<Json> = vec![Json::Null; COLUMNS.len()];
    let col = |name: &str| COLUMNS.iter().position(|c| *c == name).expect("known column");
    let first = |prop: VCardProperty| card.property(&prop).map(text).filter(|s| !s.is_empty());
    if let Some(uid) = first(VCardProperty::Uid) {
        values[col("UID")] = Json::String(uid);
    }
    if let Some(kind) = card.property(&VCardProperty::Kind).and_then(|e| e.values.first()) {
        let k = match kind {
            VCardValue::Kind(VCardKind::Org) => "org".to_string(),
            other => value_text(other).to_lowercase(),
        };
        values[col("KIND")] = Json::String(k);
    }
    for (prop, name) in [
        (VCardProperty::Fn, "FN"),
        (VCardProperty::Nickname, "NICKNAME"),
        (VCardProperty::Title, "TITLE"),
        (VCardProperty::Url, "URL"),
        (VCardProperty::Note, "NOTE"),
        (VCardProperty::Bday, "BDAY"),
    ] {
        if let Some(v) = first(prop) {
            values[col(name)] = Json::String(v);
        }
    }
    if let Some(n) = card.property(&VCardProperty::N) {
        let p = parts(n);
        for (i, name) in [(0, "N.family"), (1, "N.given")] {
            if let Some(v) = p.get(i).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                values[col(name)] = Json::String(v.to_string());
            }
        }
    }
    if let Some(org) = card.property(&VCardProperty::Org)
        && let Some(name) = parts(org).into_iter().map(|s| s.trim().to_string()).find(|s| !s.is_empty())
    {
        values[col("ORG")] = Json::String(name);
    }
    // Preferred entries first: the first becomes the primary one.
    let sorted = |prop: VCardProperty| -> Vec<&VCardEntry> {
        let mut v: Vec<&VCardEntry> = card.entries.iter().filter(|e| e.name == prop).collect();
        v.sort_by_key(|e| !preferred(e));
        v
    };
    let emails: Vec<Json> = sorted(VCardProperty::Email)
        .into_iter()
        .filter_map(|e| {
            let a = text(e).trim().trim_start_matches("mailto:").to_string();
            if a.is_empty() {
                return None;
            }
            let mut o = json!({"address": a});
            if let Some(l) = label(e, &ab_labels) {
                o["label"] = Json::String(l);
            }
            Some(o)
        })
        .collect();
    if !emails.is_empty() {
        values[col("EMAIL")] = Json::Array(emails);
    }
    let phones: Vec<Json> = sorted(VCardProperty::Tel)
        .into_iter()
        .filter_map(|e| {
            let n = text(e).trim().trim_start_matches("tel:").to_string();
            if n.is_empty() {
                return None;
            }
            let mut o = json!({"number": n});
            if let Some(l) = label(e, &ab_labels) {
                o["label"] = Json::String(l);
            }
            Some(o)
        })
        .collect();
    if !phones.is_empty() {
        values[col("TEL")] = Json::Array(phones);
    }
    if let Some(adr) = sorted(VCardProperty::Adr).first() {
        // PO box; extended; street; locality; region; postal code; country.
        let p = parts(adr);
        let street: Vec<&str> =
            [p.first(), p.get(1), p.get(2)].into_iter().flatten().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
        if !street.is_empty() {
            values[col("ADR.street")] = Json::String(street.join(", "));
        }
        for (i, name) in [(3, "ADR.city"), (4, "ADR.region"), (5, "ADR.postal_code"), (6, "ADR.country")] {
            if let Some(v) = p.get(i).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                values[col(name)] = Json::String(v.to_string());
            }
        }
    }
    let categories: Vec<Json> = card
        .properties(&VCardProperty::Categories)
        .flat_map(|e| {
            e.values.iter().flat_map(|v| match v {
                VCardValue::Component(p) => p.clone(),
                other => value_text(other).split(',').map(str::to_string).collect(),
            })
        })
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .map(Json::String)
        .collect();
    if !categories.is_empty() {
        values[col("CATEGORIES")] = Json::Array(categories);
    }
    let original = Original::Fields(values.iter().map(flat).collect());
    let cells = values
        .into_iter()
        .enumerate()
        .filter(|(_, v)| !v.is_null())
        .map(|(i, value)| Cell { column: names[i].clone(), number: i + 1, value })
        .collect();
    Row { number, cells, original }
}

/// A cell value as one line of text (lists joined with "; ").
pub fn flat(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Array(items) => items
            .iter()
            .map(|i| match i {
                Json::Object(o) => o.get("address").or_else(|| o.get("number")).map(flat).unwrap_or_else(|| i.to_string()),
                other => flat(other),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

// ---- writing ---------------------------------------------------------------

fn entry(prop: VCardProperty, value: impl Into<String>) -> VCardEntry {
    VCardEntry::new(prop).with_value(value.into())
}

fn typed(e: VCardEntry, label: Option<&str>) -> VCardEntry {
    let t = match label.map(str::to_ascii_lowercase).as_deref() {
        Some("mobile" | "cell") => Some(VCardType::Cell),
        Some("work" | "business" | "office") => Some(VCardType::Work),
        Some("home" | "personal") => Some(VCardType::Home),
        Some("fax") => Some(VCardType::Fax),
        Some("main") => Some(VCardType::MainNumber),
        _ => None,
    };
    match t {
        Some(t) => e.with_param(VCardParameter::typ(t)),
        None => e,
    }
}

fn s<'a>(r: &'a serde_json::Map<String, Json>, k: &str) -> Option<&'a str> {
    r.get(k).and_then(Json::as_str).filter(|s| !s.is_empty())
}

fn address_entry(a: &Json) -> Option<VCardEntry> {
    let part = |k: &str| a.get(k).and_then(Json::as_str).unwrap_or_default().to_string();
    if ["street", "city", "region", "postal_code", "country"].iter().all(|k| part(k).is_empty()) {
        return None;
    }
    let values = ["", "", "street", "city", "region", "postal_code", "country"]
        .iter()
        .map(|k| VCardValue::Text(if k.is_empty() { String::new() } else { part(k) }))
        .collect();
    Some(typed(VCardEntry::new(VCardProperty::Adr).with_values(values), a.get("label").and_then(Json::as_str)))
}

/// A person or organization as a vCard 4.0 card. `orgs` names the person's organizations.
pub fn write_card(kind: rapport_domain::Kind, r: &serde_json::Map<String, Json>, orgs: &[String]) -> String {
    use rapport_domain::Kind;
    let mut entries = Vec::new();
    let uid = s(r, "external_id").map(str::to_string).or_else(|| s(r, "id").map(|id| format!("urn:uuid:{id}")));
    if let Some(uid) = uid {
        entries.push(entry(VCardProperty::Uid, uid));
    }
    if kind == Kind::Organization {
        entries.push(VCardEntry::new(VCardProperty::Kind).with_value(VCardKind::Org));
        let name = s(r, "name").unwrap_or_default();
        entries.push(entry(VCardProperty::Fn, name));
        entries.push(entry(VCardProperty::Org, name));
        if let Some(w) = s(r, "website") {
            entries.push(entry(VCardProperty::Url, w));
        }
        for a in r.get("addresses").and_then(Json::as_array).into_iter().flatten() {
            entries.extend(address_entry(a));
        }
    } else {
        entries.push(entry(VCardProperty::Fn, s(r, "name").unwrap_or_default()));
        let n = [s(r, "last_name"), s(r, "first_name"), None, None, None]
            .iter()
            .map(|p| VCardValue::Text(p.unwrap_or_default().to_string()))
            .collect();
        entries.push(VCardEntry::new(VCardProperty::N).with_values(n));
        if let Some(org) = orgs.first() {
            entries.push(entry(VCardProperty::Org, org.clone()));
        }
        if let Some(t) = s(r, "title") {
            entries.push(entry(VCardProperty::Title, t));
        }
        for e in r.get("emails").and_then(Json::as_array).into_iter().flatten() {
            if let Some(a) = e.get("address").and_then(Json::as_str) {
                let mut en = typed(entry(VCardProperty::Email, a), e.get("label").and_then(Json::as_str));
                if e.get("primary") == Some(&Json::Bool(true)) {
                    en = en.with_param(VCardParameter::pref(1u32));
                }
                entries.push(en);
            }
        }
        if let Some(b) = s(r, "birthday") {
            entries.push(entry(VCardProperty::Bday, b.replace('-', "")));
        }
        if let Some(a) = r.get("address").filter(|a| a.is_object()) {
            entries.extend(address_entry(a));
        }
    }
    for p in r.get("phones").and_then(Json::as_array).into_iter().flatten() {
        if let Some(n) = p.get("number").and_then(Json::as_str) {
            let mut en = typed(entry(VCardProperty::Tel, n), p.get("label").and_then(Json::as_str));
            if p.get("primary") == Some(&Json::Bool(true)) {
                en = en.with_param(VCardParameter::pref(1u32));
            }
            entries.push(en);
        }
    }
    let tags: Vec<VCardValue> = r
        .get("tags")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(|t| VCardValue::Text(t.to_string()))
        .collect();
    if !tags.is_empty() {
        entries.push(VCardEntry::new(VCardProperty::Categories).with_values(tags));
    }
    if let Some(rev) = s(r, "updated_at").and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
        entries.push(entry(VCardProperty::Rev, rev.to_utc().format("%Y%m%dT%H%M%SZ").to_string()));
    }
    let card = VCard { entries };
    let mut out = String::new();
    let _ = card.write_to(&mut out, VCardVersion::V4_0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read(text: &str) -> Vec<Row> {
        CardReader::new(Box::new(Cursor::new(text.as_bytes().to_vec()))).map(|r| r.unwrap()).collect()
    }

    fn cell<'a>(r: &'a Row, c: &str) -> &'a Json {
        r.cells.iter().find(|x| &*x.column == c).map(|x| &x.value).unwrap_or(&Json::Null)
    }

    #[test]
    fn cards_become_rows() {
        let rows = read(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:John Doe\r\nN:Doe;John;;Mr.;\r\nORG:IBM;Research\r\nTITLE:Money Counter\r\n\
             EMAIL;TYPE=INTERNET;TYPE=HOME:john@ibm.example\r\nEMAIL;TYPE=INTERNET;TYPE=WORK;TYPE=PREF:jd@ibm.example\r\n\
             item1.TEL:905-555-1234\r\nitem1.X-ABLabel:_$!<Mobile>!$_\r\nADR;TYPE=HOME:;;1 Main St;Springfield;IL;62701;USA\r\n\
             BDAY:1980-03-22\r\nCATEGORIES:friends,work\r\nUID:abc-1\r\nEND:VCARD\r\n\
             BEGIN:VCARD\nVERSION:4.0\nFN:Jane\nEMAIL;PREF=1:jane@example.org\nEND:VCARD\n",
        );
        assert_eq!(rows.len(), 2);
        let r = &rows[0];
        assert_eq!(cell(r, "N.family"), "Doe");
        assert_eq!(cell(r, "N.given"), "John");
        assert_eq!(cell(r, "ORG"), "IBM");
        assert_eq!(cell(r, "UID"), "abc-1");
        assert_eq!(cell(r, "EMAIL")[0]["address"], "jd@ibm.example", "{:?}", cell(r, "EMAIL"));
        assert_eq!(cell(r, "EMAIL")[1]["label"], "home");
        assert_eq!(cell(r, "TEL")[0], json!({"number": "905-555-1234", "label": "mobile"}));
        assert_eq!(cell(r, "ADR.city"), "Springfield");
        assert_eq!(cell(r, "ADR.street"), "1 Main St");
        assert_eq!(cell(r, "BDAY"), "1980-03-22");
        assert_eq!(cell(r, "CATEGORIES"), &json!(["friends", "work"]));
        assert_eq!(rows[1].number, 2);
        assert_eq!(cell(&rows[1], "EMAIL")[0]["address"], "jane@example.org");
    }

    #[test]
    fn a_card_cut_short_is_a_row_error_with_its_code() {
        let mut r = CardReader::new(Box::new(Cursor::new(b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jane\r\n".to_vec())));
        match r.next() {
            Some(Err(SourceError::Row { row: 1, problem })) => {
                assert_eq!((problem.code.as_str(), problem.message.as_str()), ("vcard_not_ended", "the card has no END:VCARD"));
            }
            other => panic!("a card without its end: {other:?}"),
        }
        assert!(r.next().is_none());
    }

    #[test]
    fn written_cards_read_back() {
        let r = json!({"id": "0191", "name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace", "title": "Analyst",
            "emails": [{"address": "ada@example.org", "label": "work", "primary": true}], "phones": [{"number": "+33 6 12 34 56 78", "label": "mobile"}],
            "birthday": "1815-12-10", "tags": ["math", "poetry"], "address": {"street": "12 St James's Square", "city": "London", "country": "GB"}});
        let text = write_card(rapport_domain::Kind::Person, r.as_object().unwrap(), &["Analytical Engines".into()]);
        assert!(text.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"), "{text}");
        let rows = read(&text);
        let row = &rows[0];
        assert_eq!(cell(row, "N.given"), "Ada", "{text}");
        assert_eq!(cell(row, "N.family"), "Lovelace");
        assert_eq!(cell(row, "ORG"), "Analytical Engines");
        assert_eq!(cell(row, "EMAIL")[0]["address"], "ada@example.org");
        assert_eq!(cell(row, "TEL")[0]["label"], "mobile");
        assert_eq!(cell(row, "BDAY"), "1815-12-10", "{text}");
        assert_eq!(cell(row, "ADR.city"), "London");
        assert_eq!(cell(row, "CATEGORIES"), &json!(["math", "poetry"]), "{text}");
        assert_eq!(cell(row, "UID"), "urn:uuid:0191");
    }
}
