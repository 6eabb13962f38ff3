//! Custom fields: defined per workspace and record kind, stored in the record's
//! `custom` JSON column and validated against their definitions on every write.
//!
//! A definition carries its type, whether it is required, a default applied on
//! create, validation (min/max, length, pattern), help text, a hidden flag and
//! its position. Definitions are versioned; a deleted one is kept (with the
//! values in the records) until it is purged, and can be restored meanwhile.

use phonenumber::country::Id as Region;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::ValidationErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomType {
    #[default]
    Text,
    LongText,
    Number,
    /// `{"amount_minor": 1250, "currency": "EUR"}`, as the built-in money fields.
    Money,
    /// A number of percent: `12.5` is 12.5 %.
    Percent,
    Date,
    DateTime,
    Boolean,
    Select,
    MultiSelect,
    Email,
    /// Kept in E.164, read with the workspace's region when typed without a country code.
    Phone,
    Url,
    /// A whole number from 1 to `max` (5 unless set).
    Rating,
    /// Ids of records of another kind (`target`), one or `many`; mirrored into `record_links`.
    Relation,
}

impl CustomType {
    pub const ALL: [CustomType; 15] = [
        CustomType::Text,
        CustomType::LongText,
        CustomType::Number,
        CustomType::Money,
        CustomType::Percent,
        CustomType::Date,
        CustomType::DateTime,
        CustomType::Boolean,
        CustomType::Select,
        CustomType::MultiSelect,
        CustomType::Email,
        CustomType::Phone,
        CustomType::Url,
        CustomType::Rating,
        CustomType::Relation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomType::Text => "text",
            CustomType::LongText => "long_text",
            CustomType::Number => "number",
            CustomType::Money => "money",
            CustomType::Percent => "percent",
            CustomType::Date => "date",
            CustomType::DateTime => "date_time",
            CustomType::Boolean => "boolean",
            CustomType::Select => "select",
            CustomType::MultiSelect => "multi_select",
            CustomType::Email => "email",
            CustomType::Phone => "phone",
            CustomType::Url => "url",
            CustomType::Rating => "rating",
            CustomType::Relation => "relation",
        }
    }

    pub fn parse(s: &str) -> Option<CustomType> {
        CustomType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Values are numbers (min/max are numbers).
    pub fn numeric(self) -> bool {
        matches!(self, CustomType::Number | CustomType::Percent | CustomType::Rating)
    }

    /// Values are free text (max length and pattern apply).
    pub fn textual(self) -> bool {
        matches!(self, CustomType::Text | CustomType::LongText)
    }

    /// Values global search indexes.
    pub fn searchable(self) -> bool {
        matches!(self, CustomType::Text | CustomType::LongText | CustomType::Email | CustomType::Phone | CustomType::Url)
    }

    pub fn has_options(self) -> bool {
        matches!(self, CustomType::Select | CustomType::MultiSelect)
    }

    /// Values that can name one record (a customer number, a VAT number).
    pub fn can_identify(self) -> bool {
        matches!(self, CustomType::Text | CustomType::Email | CustomType::Phone | CustomType::Url | CustomType::Number)
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
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
    /// Set on records created without a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Json>,
    /// Lowest allowed value: a number (number, percent, money in minor units) or a date / date-time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Json>,
    /// Highest allowed value; for a rating, the top of the scale (5 unless set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Json>,
    /// Most characters a text may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// A regular expression the whole text must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Hidden fields keep their values and stay writable but are not shown on pages.
    #[serde(default)]
    pub hidden: bool,
    /// A value that names one record (a customer or VAT number): two records
    /// sharing it are likely duplicates, and an import row carrying it
    /// updates the record that has it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identifies: bool,
    #[serde(default)]
    pub position: i64,
    /// Set by Rapport: the definition's version, for `If-Match`.
    #[serde(default)]
    pub version: i64,
    /// Set by Rapport when the field was deleted (restorable until purged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
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

/// What reading a value needs from the workspace.
#[derive(Debug, Clone, Copy)]
pub struct ValueContext<'a> {
    pub region: Region,
    pub currency: &'a str,
}

/// Texts are at most this long unless a definition says less.
pub const TEXT_MAX: u32 = 1000;
pub const LONG_TEXT_MAX: u32 = 100_000;
/// The top of a rating scale when none is set, and the highest one may set.
pub const RATING_MAX: i64 = 5;
const RATING_LIMIT: i64 = 10;

/// A key must be usable in filter expressions, JSON paths and index names as it is.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 40
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl CustomField {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// The top of a rating's scale.
    pub fn rating_max(&self) -> i64 {
        self.max.as_ref().and_then(Json::as_i64).unwrap_or(RATING_MAX)
    }

    fn max_length(&self) -> u32 {
        let cap = if self.ty == CustomType::LongText { LONG_TEXT_MAX } else { TEXT_MAX };
        self.max_length.map_or(cap, |m| m.min(cap))
    }
}

/// Checks a definition as a whole, naming every attribute at fault.
pub fn check_definition(def: &CustomField, ctx: &ValueContext<'_>) -> Result<(), ValidationErrors> {
    let mut errs = ValidationErrors::default();
    if !valid_key(&def.key) {
        errs.push("key", "invalid", "use lower-case letters, digits and _, starting with a letter (at most 40)");
    }
    if def.label.trim().is_empty() {
        errs.push("label", "required", "is required");
    } else if def.label.chars().count() > 100 {
        errs.push("label", "invalid", "is longer than 100 characters");
    }
    if def.help.as_ref().is_some_and(|h| h.chars().count() > 500) {
        errs.push("help", "invalid", "is longer than 500 characters");
    }
    if def.ty.has_options() {
        let mut seen = std::collections::BTreeSet::new();
        if def.options.is_empty() {
            errs.push("options", "required", "a select field needs options");
        }
        for (i, o) in def.options.iter().enumerate() {
            if o.trim().is_empty() || o.len() > 100 || !seen.insert(o.as_str()) {
                errs.push(format!("options[{i}]"), "invalid", "options must be distinct, non-empty, at most 100 characters");
            }
        }
    } else if !def.options.is_empty() {
        errs.push("options", "invalid", "only select fields have options");
    }
    for (name, bound) in [("min", &def.min), ("max", &def.max)] {
        let Some(b) = bound else { continue };
        let ok = match def.ty {
            CustomType::Number | CustomType::Percent => b.as_f64().is_some_and(f64::is_finite),
            CustomType::Money => b.as_i64().is_some(),
            CustomType::Rating => name == "max" && b.as_i64().is_some_and(|m| (1..=RATING_LIMIT).contains(&m)),
            CustomType::Date => b.as_str().is_some_and(|s| parse_date(s).is_some()),
            CustomType::DateTime => b.as_str().is_some_and(|s| crate::validate::parse_datetime(s).is_some()),
            _ => false,
        };
        if !ok {
            let m = match def.ty {
                CustomType::Rating => format!("a rating takes only max, from 1 to {RATING_LIMIT}"),
                t if t.numeric() => "expected a number".into(),
                CustomType::Money => "expected an amount in minor units".into(),
                CustomType::Date => "expected a date (YYYY-MM-DD)".into(),
                CustomType::DateTime => "expected an RFC 3339 date-time".into(),
                t => format!("a {} field takes no {name}", t.as_str()),
            };
            errs.push(name, "invalid", m);
        }
    }
    if let (Some(lo), Some(hi)) = (&def.min, &def.max)
        && compare(lo, hi).is_some_and(|o| o.is_gt())
    {
        errs.push("min", "invalid", "is above max");
    }
    if def.identifies && !def.ty.can_identify() {
        errs.push("identifies", "invalid", "only text, email, phone, URL and number fields can identify a record");
    }
    if def.max_length.is_some() && !def.ty.textual() {
        errs.push("max_length", "invalid", "only text fields have a maximum length");
    }
    if def.max_length == Some(0) {
        errs.push("max_length", "invalid", "must be at least 1");
    }
    match (&def.pattern, def.ty.textual()) {
        (Some(_), false) => errs.push("pattern", "invalid", "only text fields have a pattern"),
        (Some(p), true) if p.len() > 500 || regex::Regex::new(p).is_err() => {
            errs.push("pattern", "invalid", "is not a valid regular expression")
        }
        _ => {}
    }
    if let Some(d) = &def.default
        && errs.is_empty()
        && let Err(m) = check_value(def, d, ctx)
    {
        errs.push("default", "invalid", m);
    }
    errs.into_result()
}

fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Orders two bounds or values of the same type (numbers, or ISO dates as text).
fn compare(a: &Json, b: &Json) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Json::String(x), Json::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// `v` within the definition's min and max; `shown` is how the message writes a bound.
fn within(def: &CustomField, v: &Json) -> Result<(), String> {
    if let Some(lo) = &def.min
        && compare(v, lo).is_some_and(|o| o.is_lt())
    {
        return Err(format!("must be at least {}", bound_text(lo)));
    }
    if let Some(hi) = &def.max
        && def.ty != CustomType::Rating
        && compare(v, hi).is_some_and(|o| o.is_gt())
    {
        return Err(format!("must be at most {}", bound_text(hi)));
    }
    Ok(())
}

fn bound_text(b: &Json) -> String {
    b.as_str().map(str::to_string).unwrap_or_else(|| b.to_string())
}

/// Checks one value against its definition; returns the value to store.
pub fn check_value(def: &CustomField, value: &Json, ctx: &ValueContext<'_>) -> Result<Json, String> {
    use CustomType::*;
    if value.is_null() {
        return if def.required { Err("is required".into()) } else { Ok(Json::Null) };
    }
    match def.ty {
        Text | LongText => {
            let s = value.as_str().ok_or("expected a string")?;
            let max = def.max_length() as usize;
            if s.chars().count() > max {
                return Err(format!("is longer than {max} characters"));
            }
            if let Some(p) = &def.pattern {
                let re = regex::Regex::new(&format!("^(?:{p})$")).map_err(|_| "the field's pattern is invalid")?;
                if !re.is_match(s) {
                    return Err(format!("does not match the pattern {p}"));
                }
            }
            Ok(Json::String(s.to_string()))
        }
        Url => match value.as_str().map(str::trim) {
            Some(s) if valid_url(s) => Ok(Json::String(s.to_string())),
            _ => Err("expected an http or https URL".into()),
        },
        Email => match value.as_str().and_then(crate::contact::normalize_email) {
            Some(e) => Ok(Json::String(e)),
            None => Err("expected an email address".into()),
        },
        Phone => match value.as_str().and_then(|s| crate::contact::normalize_phone(s, ctx.region)) {
            Some(e) => Ok(Json::String(e)),
            None => Err("expected a phone number".into()),
        },
        Number | Percent => match value.as_f64() {
            Some(n) if n.is_finite() => within(def, value).map(|_| value.clone()),
            _ => Err("expected a number".into()),
        },
        Rating => match value.as_i64() {
            Some(n) if (1..=def.rating_max()).contains(&n) => Ok(json!(n)),
            _ => Err(format!("expected a whole number from 1 to {}", def.rating_max())),
        },
        Money => {
            let o = value.as_object().ok_or("expected {\"amount_minor\": integer, \"currency\": code}")?;
            let amount = o.get("amount_minor").and_then(Json::as_i64).ok_or("amount_minor: expected an integer (minor units)")?;
            let currency = match o.get("currency") {
                None | Some(Json::Null) => ctx.currency.to_string(),
                Some(c) => c.as_str().and_then(crate::money::parse_currency).ok_or("currency: expected an ISO 4217 code")?.into(),
            };
            if let Some(k) = o.keys().find(|k| !["amount_minor", "currency"].contains(&k.as_str())) {
                return Err(format!("unknown member '{k}'"));
            }
            within(def, &json!(amount))?;
            Ok(json!({"amount_minor": amount, "currency": currency}))
        }
        Boolean => value.as_bool().map(Json::Bool).ok_or_else(|| "expected true or false".into()),
        Date => match value.as_str().and_then(parse_date) {
            Some(d) => {
                let v = Json::String(d.to_string());
                within(def, &v).map(|_| v)
            }
            None => Err("expected a date (YYYY-MM-DD)".into()),
        },
        DateTime => match value.as_str().and_then(crate::validate::parse_datetime) {
            Some(t) => {
                let v = Json::String(crate::value::format_datetime(&t));
                within(def, &v).map(|_| v)
            }
            None => Err("expected an RFC 3339 date-time".into()),
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
            let mut out: Vec<Json> = Vec::with_capacity(items.len());
            for i in items {
                if !i.as_str().is_some_and(|s| def.options.iter().any(|o| o == s)) {
                    return Err(format!("each item must be one of: {}", def.options.join(", ")));
                }
                if !out.contains(i) {
                    out.push(i.clone());
                }
            }
            Ok(Json::Array(out))
        }
    }
}

fn valid_url(s: &str) -> bool {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && s.len() <= 2000 && !s.chars().any(char::is_whitespace)
    })
}

/// Reads a value typed as text (an import cell, a form input) as the field's type,
/// then checks it. Empty text is no value.
pub fn parse_text(def: &CustomField, raw: &str, ctx: &ValueContext<'_>) -> Result<Json, String> {
    use CustomType::*;
    let s = raw.trim();
    if s.is_empty() {
        return check_value(def, &Json::Null, ctx);
    }
    let v = match def.ty {
        Number | Percent => {
            let n: f64 = s.trim_end_matches('%').trim().parse().map_err(|_| format!("'{s}' is not a number"))?;
            json!(n)
        }
        Rating => json!(s.parse::<i64>().map_err(|_| format!("'{s}' is not a whole number"))?),
        Money => {
            // `1234.50`, `1234.50 EUR` or `EUR 1234.50`, in major units.
            let parts: Vec<&str> = s.split_whitespace().collect();
            let (amount, code) = match parts.as_slice() {
                [a] => (*a, ctx.currency.to_string()),
                [a, c] if crate::money::parse_currency(c).is_some() => (*a, c.to_uppercase()),
                [c, a] if crate::money::parse_currency(c).is_some() => (*a, c.to_uppercase()),
                _ => return Err(format!("'{s}' is not an amount")),
            };
            json!({"amount_minor": crate::money::parse_major(amount, &code)?, "currency": code})
        }
        Boolean => match s.to_lowercase().as_str() {
            "true" | "yes" | "1" | "y" | "on" | "x" => Json::Bool(true),
            "false" | "no" | "0" | "n" | "off" => Json::Bool(false),
            _ => return Err(format!("'{s}' is not yes or no")),
        },
        MultiSelect => Json::Array(s.split([';', ',']).map(str::trim).filter(|p| !p.is_empty()).map(Json::from).collect()),
        Relation if def.many => Json::Array(s.split([';', ',', ' ']).filter(|p| !p.is_empty()).map(Json::from).collect()),
        _ => Json::String(s.to_string()),
    };
    check_value(def, &v, ctx)
}

/// A stored value written as text: how exports and text conversions show it.
pub fn to_text(ty: CustomType, v: &Json) -> String {
    match (ty, v) {
        (_, Json::Null) => String::new(),
        (_, Json::String(s)) => s.clone(),
        (CustomType::Money, Json::Object(o)) => {
            let code = o.get("currency").and_then(Json::as_str).unwrap_or_default();
            let amount = o.get("amount_minor").and_then(Json::as_i64).unwrap_or_default();
            format!("{} {code}", crate::money::format_minor(amount, code))
        }
        (_, Json::Array(items)) => {
            items.iter().map(|i| i.as_str().map(str::to_string).unwrap_or_else(|| i.to_string())).collect::<Vec<_>>().join("; ")
        }
        (_, other) => other.to_string(),
    }
}

/// Converts a stored value to another definition of the same field (a type
/// change). `Err` says why this value does not convert.
pub fn convert(from: &CustomField, to: &CustomField, v: &Json, ctx: &ValueContext<'_>) -> Result<Json, String> {
    if from.ty == to.ty {
        return check_value(to, v, ctx);
    }
    match (from.ty, to.ty) {
        // A single choice becomes a list of one.
        (CustomType::Select, CustomType::MultiSelect) => check_value(to, &Json::Array(vec![v.clone()]), ctx),
        (CustomType::Number | CustomType::Percent | CustomType::Rating, t) if t.numeric() => check_value(to, v, ctx),
        (CustomType::Date, CustomType::DateTime) => {
            check_value(to, &Json::String(format!("{}T00:00:00Z", v.as_str().unwrap_or_default())), ctx)
        }
        _ => parse_text(to, &to_text(from.ty, v), ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ValueContext<'static> {
        ValueContext { region: crate::contact::parse_region("FR").unwrap(), currency: "EUR" }
    }

    fn def(ty: CustomType) -> CustomField {
        CustomField { key: "f".into(), label: "F".into(), ty, ..Default::default() }
    }

    #[test]
    fn every_type_reads_and_checks_its_values() {
        let c = ctx();
        assert_eq!(check_value(&def(CustomType::Phone), &json!("06 12 34 56 78"), &c), Ok(json!("+33612345678")));
        assert_eq!(
            check_value(&def(CustomType::Money), &json!({"amount_minor": 1250}), &c),
            Ok(json!({"amount_minor": 1250, "currency": "EUR"}))
        );
        assert!(check_value(&def(CustomType::Url), &json!("ftp://x"), &c).is_err());
        assert!(check_value(&def(CustomType::Rating), &json!(6), &c).is_err());
        let mut pct = def(CustomType::Percent);
        pct.max = Some(json!(100));
        assert!(check_value(&pct, &json!(101), &c).is_err());
        let mut code = def(CustomType::Text);
        code.pattern = Some("[A-Z]{3}-[0-9]+".into());
        assert!(check_value(&code, &json!("ABC-12"), &c).is_ok());
        assert!(check_value(&code, &json!("ABC-12x"), &c).is_err());
        let mut d = def(CustomType::Date);
        d.min = Some(json!("2020-01-01"));
        assert!(check_value(&d, &json!("2019-12-31"), &c).is_err());
        assert_eq!(parse_text(&def(CustomType::Money), "12.5 USD", &c), Ok(json!({"amount_minor": 1250, "currency": "USD"})));
        assert_eq!(parse_text(&def(CustomType::Boolean), "yes", &c), Ok(json!(true)));
    }

    #[test]
    fn definitions_are_checked() {
        let c = ctx();
        let mut d = def(CustomType::Select);
        assert!(check_definition(&d, &c).is_err(), "a select needs options");
        d.options = vec!["a".into(), "b".into()];
        d.default = Some(json!("c"));
        assert_eq!(check_definition(&d, &c).unwrap_err().0[0].field, "default");
        let mut t = def(CustomType::Text);
        t.pattern = Some("(".into());
        assert_eq!(check_definition(&t, &c).unwrap_err().0[0].field, "pattern");
    }

    #[test]
    fn type_changes_convert_or_say_why() {
        let c = ctx();
        let (text, num) = (def(CustomType::Text), def(CustomType::Number));
        assert_eq!(convert(&text, &num, &json!(" 42.5 "), &c), Ok(json!(42.5)));
        assert!(convert(&text, &num, &json!("many"), &c).is_err());
        assert_eq!(convert(&num, &text, &json!(3), &c), Ok(json!("3")));
        let mut sel = def(CustomType::Select);
        sel.options = vec!["a".into()];
        assert_eq!(convert(&sel, &text, &json!("a"), &c), Ok(json!("a")));
        assert!(convert(&text, &sel, &json!("b"), &c).is_err());
    }
}
