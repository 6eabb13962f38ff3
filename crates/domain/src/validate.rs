//! Turns client JSON into validated column values, naming every field at fault.
//!
//! Creates validate the whole input; updates validate the keys a JSON merge
//! patch touched, read from the merged document so that derived fields
//! (a person's display name, primary email) see the whole record.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use phonenumber::country::Id as Region;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::contact::{self, Email, Phone};
use crate::custom::{self, CustomField};
use crate::recurrence::Recurrence;
use crate::schema::{self, Access, Field, FieldType};
use crate::{FieldValue, Kind, ValidationErrors, money};

pub type Doc = Map<String, Json>;

pub struct Context<'a> {
    /// Region for phone numbers typed without a country code.
    pub region: Region,
    /// Currency of deals created without one.
    pub currency: &'a str,
    pub custom: &'a [CustomField],
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LinkValue {
    pub id: Uuid,
    pub role: Option<String>,
}

/// What a write changes: column values, whole link sets and the custom object.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Changes {
    pub columns: BTreeMap<&'static str, FieldValue>,
    pub links: BTreeMap<&'static str, (Kind, Vec<LinkValue>)>,
    pub custom: Option<Json>,
}

pub enum Mode<'a> {
    Create,
    /// `current` is the record as last read; `touched` the keys the patch named.
    Update {
        current: &'a Doc,
        touched: &'a BTreeSet<String>,
    },
}

pub fn validate(kind: Kind, doc: &Doc, mode: Mode<'_>, ctx: &Context<'_>) -> Result<Changes, ValidationErrors> {
    let mut errs = ValidationErrors::default();
    let mut out = Changes::default();
    let create = matches!(mode, Mode::Create);
    let keys: Vec<&String> = match &mode {
        Mode::Create => doc.keys().collect(),
        Mode::Update { touched, .. } => touched.iter().collect(),
    };

    for key in keys {
        let value = doc.get(key).unwrap_or(&Json::Null);
        let unchanged = match &mode {
            Mode::Update { current, .. } => current.get(key).unwrap_or(&Json::Null) == value,
            Mode::Create => false,
        };
        if key == "custom" {
            if kind.has_custom_fields() {
                if let Some(c) = check_custom(value, &mode, ctx, &mut errs) {
                    out.custom = Some(c);
                }
            } else {
                errs.push(key, "unknown_field", format!("{kind} records have no custom fields"));
            }
            continue;
        }
        let Some(field) = schema::field(kind, key) else {
            if schema::SYSTEM_FIELDS.contains(&key.as_str()) {
                if !unchanged {
                    errs.push(key, "read_only", "is set by Rapport and cannot be written");
                }
            } else {
                errs.push(key, "unknown_field", format!("{kind} has no field '{key}'"));
            }
            continue;
        };
        if field.access != Access::Write {
            if !unchanged {
                errs.push(key, "read_only", "is computed by Rapport and cannot be written");
            }
            continue;
        }
        if value.is_null() && field.required {
            errs.push(key, "required", "is required");
            continue;
        }
        match field.ty {
            FieldType::Links { target, role } => {
                if let Some(links) = parse_links(key, value, role, &mut errs) {
                    out.links.insert(field.name, (target, links));
                }
            }
            _ => {
                if let Some(v) = parse_value(field, value, ctx, &mut errs) {
                    if v == FieldValue::Null && field.required {
                        errs.push(key, "required", "is required");
                    } else {
                        out.columns.insert(field.name, v);
                    }
                }
            }
        }
    }

    if create {
        apply_defaults(kind, doc, ctx, &mut out, &mut errs);
    }
    derive(kind, doc, ctx, &mut out, &mode, &mut errs);
    errs.into_result().map(|_| out)
}

fn apply_defaults(kind: Kind, doc: &Doc, ctx: &Context<'_>, out: &mut Changes, errs: &mut ValidationErrors) {
    for f in schema::fields(kind) {
        if f.required && !doc.contains_key(f.name) {
            errs.push(f.name, "required", "is required");
        }
        if f.access != Access::Write || out.columns.contains_key(f.name) || !f.is_column() {
            continue;
        }
        let default = match (kind, f.name, f.ty) {
            (_, _, FieldType::Bool) if f.name == "active" => FieldValue::Bool(true),
            (_, _, FieldType::Bool) => FieldValue::Bool(false),
            (_, _, t) if t.is_json() && !t.is_object() => FieldValue::Json(Json::Array(vec![])),
            (Kind::Task, "priority", _) => FieldValue::Text("normal".into()),
            (Kind::Task, "status", _) => FieldValue::Text("open".into()),
            (Kind::User, "role", _) => FieldValue::Text("member".into()),
            (Kind::Activity, "occurred_at", _) | (Kind::Consent, "recorded_at", _) => FieldValue::DateTime(ctx.now),
            (Kind::Deal, "currency", _) => FieldValue::Text(ctx.currency.to_string()),
            _ => continue,
        };
        out.columns.insert(f.name, default);
    }
    if kind.has_custom_fields() && out.custom.is_none() && !doc.contains_key("custom") {
        out.custom = check_custom(&Json::Null, &Mode::Create, ctx, errs);
    }
}

/// Fields computed from others, and rules that span several fields.
fn derive(kind: Kind, doc: &Doc, ctx: &Context<'_>, out: &mut Changes, mode: &Mode<'_>, errs: &mut ValidationErrors) {
    let touched = |name: &str| match mode {
        Mode::Create => true,
        Mode::Update { touched, .. } => touched.contains(name),
    };
    // The value a field will have after this write.
    let after = |out: &Changes, name: &str| -> Option<String> {
        match out.columns.get(name) {
            Some(FieldValue::Text(s)) => Some(s.clone()),
            Some(FieldValue::Null) => None,
            _ => doc.get(name).and_then(Json::as_str).map(str::to_string),
        }
    };
    match kind {
        Kind::Person => {
            if touched("emails") {
                let primary = primary_of(out.columns.get("emails"), "address");
                out.columns.insert("primary_email", primary.clone().map(FieldValue::Text).unwrap_or(FieldValue::Null));
            }
            if touched("phones") {
                let primary = primary_of(out.columns.get("phones"), "e164");
                out.columns.insert("primary_phone", primary.map(FieldValue::Text).unwrap_or(FieldValue::Null));
            }
            if touched("first_name") || touched("last_name") || touched("emails") {
                let parts: Vec<String> = [after(out, "first_name"), after(out, "last_name")].into_iter().flatten().collect();
                let name = if parts.is_empty() {
                    match out.columns.get("primary_email") {
                        Some(FieldValue::Text(e)) => Some(e.clone()),
                        _ => doc.get("primary_email").and_then(Json::as_str).map(str::to_string),
                    }
                } else {
                    Some(parts.join(" "))
                };
                match name {
                    Some(n) => {
                        out.columns.insert("name", FieldValue::Text(n));
                    }
                    None => errs.push("first_name", "required", "a person needs a first name, a last name or an email"),
                }
            }
        }
        Kind::Task => {
            if touched("assignee_user_id") || touched("assignee_team_id") {
                let set = |n: &str| match out.columns.get(n) {
                    Some(FieldValue::Uuid(_)) => true,
                    Some(_) => false,
                    None => doc.get(n).is_some_and(|v| !v.is_null()),
                };
                if set("assignee_user_id") && set("assignee_team_id") {
                    errs.push("assignee_team_id", "conflict", "a task is assigned to a user or a team, not both");
                }
            }
            if touched("recurrence") || touched("due_at") {
                let recurrence = match out.columns.get("recurrence") {
                    Some(FieldValue::Json(j)) => Recurrence::from_json(j),
                    Some(_) => None,
                    None => doc.get("recurrence").and_then(Recurrence::from_json),
                };
                let due = match out.columns.get("due_at") {
                    Some(FieldValue::DateTime(t)) => Some(*t),
                    Some(_) => None,
                    None => doc.get("due_at").and_then(Json::as_str).and_then(parse_datetime),
                };
                match (recurrence, due) {
                    (Some(_), None) => errs.push("due_at", "required", "a recurring task needs a due date"),
                    (Some(Recurrence { until: Some(last), .. }), Some(due)) if last < due.date_naive() => {
                        errs.push("recurrence.until", "invalid", "is before the task's due date")
                    }
                    _ => {}
                }
            }
            if touched("status") {
                let closed = matches!(after(out, "status").as_deref(), Some("done" | "cancelled"));
                let was_closed = matches!(mode, Mode::Update { current, .. } if matches!(current.get("status").and_then(Json::as_str), Some("done" | "cancelled")));
                if closed && !was_closed {
                    out.columns.insert("completed_at", FieldValue::DateTime(ctx.now));
                } else if !closed {
                    out.columns.insert("completed_at", FieldValue::Null);
                }
            }
        }
        Kind::User if touched("email") => {
            if let Some(FieldValue::Text(e)) = out.columns.get("email") {
                match contact::normalize_email(e) {
                    Some(n) => {
                        out.columns.insert("email", FieldValue::Text(n));
                    }
                    None => errs.push("email", "invalid", format!("'{e}' is not an email address")),
                }
            }
        }
        _ => {}
    }
}

fn primary_of(list: Option<&FieldValue>, key: &str) -> Option<String> {
    let Some(FieldValue::Json(Json::Array(items))) = list else { return None };
    items
        .iter()
        .find(|i| i.get("primary") == Some(&Json::Bool(true)))
        .and_then(|i| i.get(key))
        .and_then(Json::as_str)
        .map(str::to_string)
}

fn expected(errs: &mut ValidationErrors, field: &str, what: &str) -> Option<FieldValue> {
    errs.push(field, "invalid_type", format!("expected {what}"));
    None
}

/// Parses one column value; `None` when an error was recorded.
fn parse_value(f: &Field, v: &Json, ctx: &Context<'_>, errs: &mut ValidationErrors) -> Option<FieldValue> {
    let name = f.name;
    if v.is_null() {
        return Some(match f.ty {
            FieldType::Bool => FieldValue::Bool(false),
            t if t.is_json() && !t.is_object() => FieldValue::Json(Json::Array(vec![])),
            _ => FieldValue::Null,
        });
    }
    match f.ty {
        FieldType::Text { max } => {
            let Some(s) = v.as_str() else { return expected(errs, name, "a string") };
            let s = s.trim();
            if s.chars().count() > max {
                errs.push_with(name, "too_long", format!("is longer than {max} characters"), &[("max", max.to_string())]);
                return None;
            }
            if s.contains(['\n', '\r']) {
                errs.push(name, "invalid", "must be a single line");
                return None;
            }
            Some(if s.is_empty() { FieldValue::Null } else { FieldValue::Text(s.to_string()) })
        }
        FieldType::LongText => match v.as_str() {
            Some(s) if s.len() > 1_000_000 => {
                errs.push(name, "too_long", "is longer than 1 MB");
                None
            }
            Some(s) => Some(if s.trim().is_empty() { FieldValue::Null } else { FieldValue::Text(s.to_string()) }),
            None => expected(errs, name, "a string"),
        },
        FieldType::Int { min, max } => match v.as_i64() {
            Some(n) if n < min || n > max => {
                errs.push_with(
                    name,
                    "out_of_range",
                    format!("must be between {min} and {max}"),
                    &[("min", min.to_string()), ("max", max.to_string())],
                );
                None
            }
            Some(n) => Some(FieldValue::Int(n)),
            None => expected(errs, name, "an integer"),
        },
        FieldType::Bool => match v.as_bool() {
            Some(b) => Some(FieldValue::Bool(b)),
            None => expected(errs, name, "true or false"),
        },
        FieldType::Date => match v.as_str().map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d")) {
            Some(Ok(d)) => Some(FieldValue::Date(d)),
            _ => expected(errs, name, "a date (YYYY-MM-DD)"),
        },
        FieldType::DateTime => match v.as_str().map(parse_datetime) {
            Some(Some(t)) => Some(FieldValue::DateTime(t)),
            _ => expected(errs, name, "an RFC 3339 date-time (2026-01-31T09:30:00Z)"),
        },
        FieldType::Enum(values) => match v.as_str() {
            Some(s) if values.contains(&s) => Some(FieldValue::Text(s.to_string())),
            _ => expected(errs, name, &format!("one of: {}", values.join(", "))),
        },
        FieldType::Ref(_) | FieldType::Pipeline | FieldType::Stage => match v.as_str().and_then(|s| Uuid::parse_str(s).ok()) {
            Some(id) => Some(FieldValue::Uuid(id)),
            None => expected(errs, name, "a record id (UUID)"),
        },
        FieldType::Currency => match v.as_str().and_then(money::parse_currency) {
            Some(c) => Some(FieldValue::Text(c.to_string())),
            None => expected(errs, name, "an ISO 4217 currency code"),
        },
        FieldType::Emails => parse_emails(name, v, errs).map(FieldValue::Json),
        FieldType::Phones => parse_phones(name, v, ctx.region, errs).map(FieldValue::Json),
        FieldType::Address => parse_address(name, v, errs).map(FieldValue::Json),
        FieldType::Recurrence => Recurrence::parse(name, v, errs).map(|r| FieldValue::Json(r.to_json())),
        FieldType::Addresses => {
            let Some(items) = v.as_array() else { return expected(errs, name, "an array of addresses") };
            let before = errs.0.len();
            let list: Vec<Json> =
                items.iter().enumerate().filter_map(|(i, a)| parse_address(&format!("{name}[{i}]"), a, errs)).collect();
            (errs.0.len() == before).then_some(FieldValue::Json(Json::Array(list)))
        }
        FieldType::Strings { lowercase } => {
            let Some(items) = v.as_array() else { return expected(errs, name, "an array of strings") };
            let mut set = Vec::<String>::new();
            for (i, item) in items.iter().enumerate() {
                let Some(s) = item.as_str().map(str::trim).filter(|s| !s.is_empty() && s.len() <= 100) else {
                    errs.push(format!("{name}[{i}]"), "invalid", "expected a non-empty string of at most 100 characters");
                    return None;
                };
                let s = if lowercase { s.to_lowercase() } else { s.to_string() };
                if !set.contains(&s) {
                    set.push(s);
                }
            }
            Some(FieldValue::Json(Json::Array(set.into_iter().map(Json::String).collect())))
        }
        FieldType::Links { .. } => unreachable!("links are parsed by parse_links"),
    }
}

pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| crate::value::truncate_micros(t.to_utc()))
}

fn parse_emails(name: &str, v: &Json, errs: &mut ValidationErrors) -> Option<Json> {
    let Some(items) = v.as_array() else {
        errs.push(name, "invalid_type", "expected an array of emails");
        return None;
    };
    let mut list: Vec<Email> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{name}[{i}]");
        let parsed: Result<Email, _> = match item {
            Json::String(s) => Ok(Email { address: s.clone(), label: None, primary: false }),
            other => serde_json::from_value(other.clone()),
        };
        let mut e = match parsed {
            Ok(e) => e,
            Err(err) => {
                errs.push(at, "invalid", format!("expected an email or {{address, label, primary}}: {err}"));
                continue;
            }
        };
        match contact::normalize_email(&e.address) {
            Some(n) => e.address = n,
            None => {
                errs.push(format!("{at}.address"), "invalid", format!("'{}' is not an email address", e.address));
                continue;
            }
        }
        if !list.iter().any(|x| x.address == e.address) {
            list.push(e);
        }
    }
    contact::settle_primary(&mut list, |e| &mut e.primary);
    Some(serde_json::to_value(list).expect("emails serialize"))
}

fn parse_phones(name: &str, v: &Json, region: Region, errs: &mut ValidationErrors) -> Option<Json> {
    let Some(items) = v.as_array() else {
        errs.push(name, "invalid_type", "expected an array of phone numbers");
        return None;
    };
    let mut list: Vec<Phone> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{name}[{i}]");
        let parsed: Result<Phone, _> = match item {
            Json::String(s) => Ok(Phone { number: s.clone(), e164: None, label: None, primary: false }),
            other => serde_json::from_value(other.clone()),
        };
        let mut p = match parsed {
            Ok(p) => p,
            Err(err) => {
                errs.push(at, "invalid", format!("expected a number or {{number, label, primary}}: {err}"));
                continue;
            }
        };
        p.number = p.number.trim().to_string();
        match contact::normalize_phone(&p.number, region) {
            Some(e164) => p.e164 = Some(e164),
            None => {
                errs.push(format!("{at}.number"), "invalid", format!("'{}' is not a valid phone number", p.number));
                continue;
            }
        }
        if !list.iter().any(|x| x.e164 == p.e164) {
            list.push(p);
        }
    }
    contact::settle_primary(&mut list, |p| &mut p.primary);
    Some(serde_json::to_value(list).expect("phones serialize"))
}

const ADDRESS_KEYS: &[&str] = &["label", "street", "city", "region", "postal_code", "country"];

fn parse_address(name: &str, v: &Json, errs: &mut ValidationErrors) -> Option<Json> {
    let Some(obj) = v.as_object() else {
        errs.push(name, "invalid_type", "expected an address object");
        return None;
    };
    let mut clean = Map::new();
    for (k, val) in obj {
        if !ADDRESS_KEYS.contains(&k.as_str()) {
            errs.push(format!("{name}.{k}"), "unknown_field", format!("addresses have: {}", ADDRESS_KEYS.join(", ")));
            return None;
        }
        match val {
            Json::Null => {}
            Json::String(s) if s.len() <= 500 => {
                if !s.trim().is_empty() {
                    clean.insert(k.clone(), Json::String(s.trim().to_string()));
                }
            }
            _ => {
                errs.push(format!("{name}.{k}"), "invalid_type", "expected a string of at most 500 characters");
                return None;
            }
        }
    }
    Some(Json::Object(clean))
}

fn parse_links(name: &str, v: &Json, with_role: bool, errs: &mut ValidationErrors) -> Option<Vec<LinkValue>> {
    if v.is_null() {
        return Some(vec![]);
    }
    let Some(items) = v.as_array() else {
        errs.push(name, "invalid_type", "expected an array of record ids");
        return None;
    };
    let mut out: Vec<LinkValue> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let (id, role) = match item {
            Json::String(s) => (Some(s.as_str()), None),
            Json::Object(o) if with_role => (o.get("id").and_then(Json::as_str), o.get("role").and_then(Json::as_str)),
            _ => (None, None),
        };
        let Some(id) = id.and_then(|s| Uuid::parse_str(s).ok()) else {
            let shape = if with_role { "a record id or {id, role}" } else { "a record id" };
            errs.push(format!("{name}[{i}]"), "invalid", format!("expected {shape}"));
            return None;
        };
        let role = role.map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
        if !out.iter().any(|l| l.id == id) {
            out.push(LinkValue { id, role });
        }
    }
    Some(out)
}

/// Validates the custom object. On create, defaults fill fields left out. Values
/// of deleted fields (kept until purged) pass through unchanged, never written.
fn check_custom(value: &Json, mode: &Mode<'_>, ctx: &Context<'_>, errs: &mut ValidationErrors) -> Option<Json> {
    let create = matches!(mode, Mode::Create);
    let obj = match value {
        Json::Null => &Map::new(),
        Json::Object(o) => o,
        _ => {
            errs.push("custom", "invalid_type", "expected an object of custom field values");
            return None;
        }
    };
    let current = match mode {
        Mode::Update { current, .. } => current.get("custom").and_then(Json::as_object),
        Mode::Create => None,
    };
    let vctx = custom::ValueContext { region: ctx.region, currency: ctx.currency };
    let before = errs.0.len();
    let mut clean = Map::new();
    for (k, v) in obj {
        let kept = current.and_then(|c| c.get(k)) == Some(v);
        let def = ctx.custom.iter().find(|d| &d.key == k);
        // A value left as it was is not checked again (a rule tightened since
        // must not block changes to other fields), nor one of a deleted field.
        let Some(def) = def.filter(|d| !d.is_deleted() && !kept) else {
            if kept {
                clean.insert(k.clone(), v.clone());
            } else {
                errs.push(format!("custom.{k}"), "unknown_field", format!("no custom field '{k}' is defined"));
            }
            continue;
        };
        match custom::check_value(def, v, &vctx) {
            Ok(Json::Null) => {}
            Ok(v) => {
                clean.insert(k.clone(), v);
            }
            Err(m) => errs.push(format!("custom.{k}"), "invalid", m),
        }
    }
    for def in ctx.custom.iter().filter(|d| !d.is_deleted()) {
        if create
            && !obj.contains_key(&def.key)
            && let Some(d) = &def.default
            && let Ok(v) = custom::check_value(def, d, &vctx)
            && !v.is_null()
        {
            clean.insert(def.key.clone(), v);
        }
        let had = current.is_some_and(|c| c.contains_key(&def.key));
        if def.required && !clean.contains_key(&def.key) && (create || had || obj.contains_key(&def.key)) {
            errs.push(format!("custom.{}", def.key), "required", "is required");
        }
    }
    (errs.0.len() == before).then_some(Json::Object(clean))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Context<'static> {
        Context { region: contact::parse_region("FR").unwrap(), currency: "EUR", custom: &[], now: crate::value::now() }
    }

    fn doc(v: Json) -> Doc {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn person_is_normalized_and_derived() {
        let c = validate(
            Kind::Person,
            &doc(json!({"first_name": "Ada", "last_name": "Lovelace", "emails": ["ADA@Example.com", {"address": "a@b.org", "primary": true}], "phones": ["06 12 34 56 78"]})),
            Mode::Create,
            &ctx(),
        )
        .unwrap();
        assert_eq!(c.columns["name"], FieldValue::Text("Ada Lovelace".into()));
        assert_eq!(c.columns["primary_email"], FieldValue::Text("a@b.org".into()));
        assert_eq!(c.columns["primary_phone"], FieldValue::Text("+33612345678".into()));
        assert_eq!(c.columns["do_not_call"], FieldValue::Bool(false));
    }

    #[test]
    fn every_fault_is_named() {
        let e = validate(
            Kind::Person,
            &doc(json!({"emails": ["nope"], "phones": ["12"], "lifecycle_stage": "king", "birthday": "1815-13-01", "shoe": 42, "id": "x"})),
            Mode::Create,
            &ctx(),
        )
        .unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        for f in ["emails[0].address", "phones[0].number", "lifecycle_stage", "birthday", "shoe", "id"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn required_fields_and_task_rules() {
        let e = validate(Kind::Deal, &doc(json!({})), Mode::Create, &ctx()).unwrap_err();
        assert_eq!(e.0[0].field, "name");
        let id = Uuid::now_v7().to_string();
        let e = validate(
            Kind::Task,
            &doc(json!({"title": "x", "assignee_user_id": id, "assignee_team_id": id})),
            Mode::Create,
            &ctx(),
        )
        .unwrap_err();
        assert_eq!(e.0[0].code, "conflict");
        let c = validate(Kind::Task, &doc(json!({"title": "x", "status": "done"})), Mode::Create, &ctx()).unwrap();
        assert!(matches!(c.columns["completed_at"], FieldValue::DateTime(_)));
    }

    #[test]
    fn update_validates_only_touched_keys() {
        let current = doc(json!({"id": "1", "name": "Acme", "version": 3}));
        let merged = doc(json!({"id": "1", "name": "Acme SA", "version": 3}));
        let touched: BTreeSet<String> = ["name".to_string(), "version".to_string()].into();
        let c = validate(Kind::Organization, &merged, Mode::Update { current: &current, touched: &touched }, &ctx()).unwrap();
        assert_eq!(c.columns.len(), 1);
        let merged = doc(json!({"id": "1", "name": null, "version": 4}));
        let e = validate(Kind::Organization, &merged, Mode::Update { current: &current, touched: &touched }, &ctx()).unwrap_err();
        assert_eq!(e.0.len(), 2);
    }
}
