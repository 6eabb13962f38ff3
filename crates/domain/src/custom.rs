//! Custom fields: defined per workspace and record kind, stored in the record's
//! `custom` JSON column and validated against their definitions on every write.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomType {
    Text,
    LongText,
    Number,
    Boolean,
    Date,
    DateTime,
    Select,
    MultiSelect,
    Email,
    Url,
    /// Ids of records of another kind (`target`), one or `many`; mirrored into `record_links`.
    Relation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomField {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub ty: CustomType,
    #[serde(default)]
    pub required: bool,
    /// Allowed values of a select or multi-select.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// What a relation points at: a built-in kind (`organization`, `person`,
    /// `deal`) or the key of a custom record kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// A relation holding a list of ids instead of one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub many: bool,
}

impl CustomField {
    /// The record kind a relation's ids belong to (custom record kinds are all `Object`).
    pub fn relation_kind(&self) -> Option<crate::Kind> {
        let target = self.target.as_deref().filter(|_| self.ty == CustomType::Relation)?;
        Some(crate::Kind::parse(target).filter(|k| *k != crate::Kind::Object).unwrap_or(crate::Kind::Object))
    }
}

/// The `from_kind` of the `record_links` rows mirroring a relation field:
/// `organization.parent_contract`, `object.organization`. Built-in link
/// fields use the bare kind, so the two never mix.
pub fn relation_origin(kind: crate::Kind, key: &str) -> String {
    format!("{}.{key}", kind.as_str())
}

/// The ids a relation value holds (a string, or a list of strings with `many`).
pub fn relation_ids(value: &Json) -> Vec<uuid::Uuid> {
    let one = |v: &Json| v.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok());
    match value {
        Json::Array(items) => items.iter().filter_map(one).collect(),
        v => one(v).into_iter().collect(),
    }
}

/// A key must be usable in filter expressions and JSON paths as it is.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks one value against its definition; returns the value to store.
pub fn check_value(def: &CustomField, value: &Json) -> Result<Json, String> {
    use CustomType::*;
    if value.is_null() {
        return if def.required { Err("is required".into()) } else { Ok(Json::Null) };
    }
    match def.ty {
        Text | LongText | Url => match value.as_str() {
            Some(s) if def.ty == Text && s.len() > 1000 => Err("is longer than 1000 characters".into()),
            Some(s) => Ok(Json::String(s.to_string())),
            None => Err("expected a string".into()),
        },
        Email => match value.as_str().and_then(crate::contact::normalize_email) {
            Some(e) => Ok(Json::String(e)),
            None => Err("expected an email address".into()),
        },
        Number => match value.as_f64() {
            Some(n) if n.is_finite() => Ok(value.clone()),
            _ => Err("expected a number".into()),
        },
        Boolean => value.as_bool().map(Json::Bool).ok_or_else(|| "expected true or false".into()),
        Date => match value.as_str().map(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")) {
            Some(Ok(_)) => Ok(value.clone()),
            _ => Err("expected a date (YYYY-MM-DD)".into()),
        },
        DateTime => match value.as_str().map(chrono::DateTime::parse_from_rfc3339) {
            Some(Ok(t)) => Ok(Json::String(crate::value::format_datetime(&t.to_utc()))),
            _ => Err("expected an RFC 3339 date-time".into()),
        },
        Select => match value.as_str() {
            Some(s) if def.options.iter().any(|o| o == s) => Ok(value.clone()),
            _ => Err(format!("expected one of: {}", def.options.join(", "))),
        },
        Relation => {
            let one = |v: &Json| v.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()).map(|u| Json::String(u.to_string()));
            if def.many {
                let items = value.as_array().ok_or("expected an array of record ids")?;
                let mut ids: Vec<Json> = Vec::with_capacity(items.len());
                for i in items {
                    let id = one(i).ok_or("each item must be a record id (UUID)")?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                Ok(Json::Array(ids))
            } else {
                one(value).ok_or_else(|| "expected a record id (UUID)".into())
            }
        }
        MultiSelect => {
            let items = value.as_array().ok_or("expected an array")?;
            for i in items {
                if !i.as_str().is_some_and(|s| def.options.iter().any(|o| o == s)) {
                    return Err(format!("each item must be one of: {}", def.options.join(", ")));
                }
            }
            Ok(value.clone())
        }
    }
}
