//! When two records are likely the same customer, and why.

use serde_json::{Map, Value as Json};

use crate::Kind;
use crate::custom::CustomField;
use crate::search::fold;

/// A reason two records look alike, with how sure it makes us (0 to 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Likeness {
    pub score: f64,
    pub reasons: Vec<String>,
}

fn set(r: &Map<String, Json>, field: &str, key: Option<&str>) -> Vec<String> {
    r.get(field)
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| match key {
            Some(k) => v.get(k).and_then(Json::as_str),
            None => v.as_str(),
        })
        .map(|s| s.to_lowercase())
        .collect()
}

fn ids(r: &Map<String, Json>, field: &str) -> Vec<String> {
    r.get(field)
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().or_else(|| v.get("id").and_then(Json::as_str)))
        .map(str::to_string)
        .collect()
}

fn overlap(a: &[String], b: &[String]) -> Option<String> {
    a.iter().find(|x| b.contains(x)).cloned()
}

fn name(r: &Map<String, Json>) -> String {
    fold(r.get("name").and_then(Json::as_str).unwrap_or_default()).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn email_domains(r: &Map<String, Json>) -> Vec<String> {
    set(r, "emails", Some("address")).iter().filter_map(|e| e.rsplit_once('@').map(|(_, d)| d.to_string())).collect()
}

/// A custom field's value as compared for duplicates: text trimmed and
/// case-folded, numbers as written; nothing for an empty value.
pub fn identity_value(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.trim().to_lowercase()).filter(|s| !s.is_empty()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn custom_value(r: &Map<String, Json>, key: &str) -> Option<String> {
    identity_value(r.get("custom")?.get(key)?)
}

/// How alike two records of the same kind are; `None` when nothing suggests
/// a duplicate. `identifying` are the kind's custom fields marked as naming
/// one record: a shared value there is nearly as telling as a shared email.
pub fn likeness(kind: Kind, a: &Map<String, Json>, b: &Map<String, Json>, identifying: &[CustomField]) -> Option<Likeness> {
    let mut score: f64 = 0.0;
    let mut reasons = Vec::new();
    let mut note = |s: f64, why: String| {
        score = score.max(s);
        reasons.push(why);
    };
    for f in identifying.iter().filter(|f| f.identifies) {
        if let (Some(x), Some(y)) = (custom_value(a, &f.key), custom_value(b, &f.key))
            && x == y
        {
            note(0.95, format!("same {} {x}", f.label));
        }
    }
    let (na, nb) = (name(a), name(b));
    let similar_name = !na.is_empty() && !nb.is_empty() && (na == nb || strsim::jaro_winkler(&na, &nb) >= 0.92);
    match kind {
        Kind::Person => {
            if let Some(e) = overlap(&set(a, "emails", Some("address")), &set(b, "emails", Some("address"))) {
                note(1.0, format!("same email {e}"));
            }
            if let Some(p) = overlap(&set(a, "phones", Some("e164")), &set(b, "phones", Some("e164"))) {
                note(0.9, format!("same phone {p}"));
            }
            if similar_name {
                if overlap(&ids(a, "organizations"), &ids(b, "organizations")).is_some() {
                    note(0.8, "similar name at the same organization".into());
                } else if let Some(d) = overlap(&email_domains(a), &email_domains(b)) {
                    note(0.75, format!("similar name with the same email domain {d}"));
                }
            }
        }
        Kind::Organization => {
            if let Some(d) = overlap(&set(a, "domains", None), &set(b, "domains", None)) {
                note(0.95, format!("same domain {d}"));
            }
            if !na.is_empty() && na == nb {
                note(0.85, "same name".into());
            } else if similar_name {
                note(0.6, "similar name".into());
            }
            if let Some(p) = overlap(&set(a, "phones", Some("e164")), &set(b, "phones", Some("e164"))) {
                note(0.7, format!("same phone {p}"));
            }
        }
        _ => {
            if !na.is_empty() && na == nb {
                note(0.6, "same name".into());
            }
        }
    }
    (score > 0.0).then_some(Likeness { score, reasons })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom::CustomType;
    use serde_json::json;

    fn rec(v: Json) -> Map<String, Json> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn people() {
        let a = rec(
            json!({"name": "Ada Lovelace", "emails": [{"address": "ada@x.org"}], "phones": [{"e164": "+33612345678"}], "organizations": [{"id": "o1"}]}),
        );
        let b = rec(json!({"name": "Ada Lovelace", "emails": [{"address": "ADA@x.org"}]}));
        assert_eq!(likeness(Kind::Person, &a, &b, &[]).unwrap().score, 1.0);
        let c = rec(json!({"name": "Ada Lovlace", "organizations": [{"id": "o1"}]}));
        let l = likeness(Kind::Person, &a, &c, &[]).unwrap();
        assert_eq!(l.reasons, vec!["similar name at the same organization"]);
        let d = rec(json!({"name": "Charles Babbage"}));
        assert!(likeness(Kind::Person, &a, &d, &[]).is_none());
    }

    #[test]
    fn a_shared_identifying_value_makes_a_duplicate() {
        let vat = CustomField {
            key: "vat".into(),
            label: "VAT number".into(),
            ty: CustomType::Text,
            identifies: true,
            ..Default::default()
        };
        let a = rec(json!({"name": "Acme", "custom": {"vat": "FR 123"}}));
        let b = rec(json!({"name": "Acme Industries", "custom": {"vat": " fr 123"}}));
        let l = likeness(Kind::Organization, &a, &b, std::slice::from_ref(&vat)).unwrap();
        assert_eq!((l.score, l.reasons), (0.95, vec!["same VAT number fr 123".to_string()]));
        let not_identifying = CustomField { identifies: false, ..vat.clone() };
        assert!(likeness(Kind::Organization, &a, &b, &[not_identifying]).is_none());
        let c = rec(json!({"name": "Globex", "custom": {"vat": ""}}));
        let d = rec(json!({"name": "Initech", "custom": {"vat": ""}}));
        assert!(likeness(Kind::Organization, &c, &d, &[vat]).is_none());
    }
}
