//! The fields of the new-record and edit forms, and reading what was typed
//! into a new record or a merge patch.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, Timelike};
use rapport_domain::custom::CustomField;
use rapport_domain::schema::{ACTIVITY_TYPES, PRIORITIES, RELATIONSHIPS, TASK_STATUSES};
use rapport_domain::{Kind, ValidationErrors, money};
use rapport_store::{Record, Scope, StoreError};
use serde_json::{Value as Json, json};

use super::{link_ids, text, users};
use crate::AppState;
use crate::web::Fields;
use crate::web::frame::Ui;

/// How a form field is drawn.
#[derive(Clone, Copy, PartialEq)]
pub enum Widget {
    Text,
    Email,
    Tel,
    Url,
    Date,
    DateTime,
    Area,
    Select,
}

/// One field of a form, ready to draw: label, what it holds, its error.
pub struct Input {
    pub name: &'static str,
    pub label: String,
    pub widget: Widget,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub error: Option<String>,
    pub required: bool,
    pub autocomplete: &'static str,
    pub hint: Option<String>,
}

impl Input {
    pub fn input_type(&self) -> &'static str {
        match self.widget {
            Widget::Email => "email",
            Widget::Tel => "tel",
            Widget::Url => "url",
            Widget::Date => "date",
            Widget::DateTime => "datetime-local",
            _ => "text",
        }
    }
    pub fn is_select(&self) -> bool {
        self.widget == Widget::Select
    }
    pub fn is_area(&self) -> bool {
        self.widget == Widget::Area
    }
}

/// The form fields of a kind: name, widget, required, autocomplete.
fn specs(kind: Kind) -> &'static [(&'static str, Widget, bool, &'static str)] {
    use Widget::*;
    match kind {
        Kind::Person => &[
            ("first_name", Text, false, "given-name"),
            ("last_name", Text, false, "family-name"),
            ("email", Email, false, "email"),
            ("phone", Tel, false, "tel"),
            ("organization_id", Select, false, "off"),
            ("title", Text, false, "organization-title"),
            ("owner_id", Select, false, "off"),
        ],
        Kind::Organization => &[
            ("name", Text, true, "organization"),
            ("domain", Text, false, "off"),
            ("website", Url, false, "url"),
            ("phone", Tel, false, "tel"),
            ("industry", Text, false, "off"),
            ("relationship", Select, false, "off"),
            ("owner_id", Select, false, "off"),
        ],
        Kind::Deal => &[
            ("name", Text, true, "off"),
            ("organization_id", Select, false, "off"),
            ("amount", Text, false, "off"),
            ("currency", Text, false, "off"),
            ("stage", Select, false, "off"),
            ("expected_close_date", Date, false, "off"),
            ("owner_id", Select, false, "off"),
            ("next_step", Text, false, "off"),
        ],
        Kind::Task => &[
            ("title", Text, true, "off"),
            ("due_at", DateTime, false, "off"),
            ("assignee_user_id", Select, false, "off"),
            ("priority", Select, false, "off"),
            ("status", Select, false, "off"),
            ("description", Area, false, "off"),
        ],
        Kind::Activity => &[
            ("type", Select, true, "off"),
            ("subject", Text, false, "off"),
            ("occurred_at", DateTime, false, "off"),
            ("outcome", Text, false, "off"),
            ("body", Area, false, "off"),
        ],
        _ => &[],
    }
}

/// Whether a form of this kind has a field of this name.
pub fn has_field(kind: Kind, name: &str) -> bool {
    specs(kind).iter().any(|s| s.0 == name)
}

/// The label of a form field.
pub fn field_label(ui: &Ui, kind: Kind, name: &str) -> String {
    match (kind, name) {
        (_, "email") => ui.t("records-field-email"),
        (_, "phone") => ui.t("records-field-phone"),
        (_, "domain") => ui.t("records-field-domain"),
        (_, "organization_id") => ui.t("records-field-organization"),
        (_, "stage") => ui.t("records-field-stage"),
        (Kind::Deal, "amount") => ui.t("records-field-amount"),
        (Kind::Person, "title") => ui.t("records-field-job-title"),
        _ => ui.field(kind, name),
    }
}

/// What the selects of a kind's form offer.
///
/// No list of records is ever loaded for a form: the organization select holds
/// the current choice and, after a search typed without script, its matches;
/// with script its search field asks the search API as one types.
#[derive(Default)]
pub struct Choices {
    pub users: Vec<(String, String)>,
    pub organizations: Vec<(String, String)>,
    /// `pipeline_id:stage_id` and its name.
    pub stages: Vec<(String, String)>,
    /// The first stage of the default pipeline, where new deals start.
    pub first_stage: String,
}

/// Most organizations offered for a search typed into a form.
const PICKER_MATCHES: usize = 20;

/// The form field holding an organization search typed without script.
pub const ORGANIZATION_QUERY: &str = "organization_id_q";

impl Choices {
    /// The choices of a form holding `vals`.
    pub async fn load(state: &AppState, scope: &Scope, kind: Kind, vals: &Vals) -> Result<Choices, StoreError> {
        let mut c = Choices { users: users(state, scope).await, ..Choices::default() };
        if matches!(kind, Kind::Person | Kind::Deal) {
            let chosen: Vec<uuid::Uuid> =
                vals.get("organization_id").and_then(|v| uuid::Uuid::parse_str(v).ok()).into_iter().collect();
            c.organizations = state
                .store
                .get_many(scope, Kind::Organization, &chosen)
                .await?
                .iter()
                .map(|o| (text(o, "id"), text(o, "name")))
                .collect();
            if let Some(q) = vals.get(ORGANIZATION_QUERY).filter(|q| !q.is_empty()) {
                for (id, name) in organizations_matching(state, scope, q).await? {
                    if !c.organizations.iter().any(|o| o.0 == id) {
                        c.organizations.push((id, name));
                    }
                }
            }
        }
        if kind == Kind::Deal {
            let pipelines = state.store.pipelines(scope).await?;
            for p in &pipelines {
                if (p.is_default || c.first_stage.is_empty())
                    && let Some(s) = p.stages.first()
                {
                    c.first_stage = format!("{}:{}", p.id, s.id);
                }
                for s in &p.stages {
                    let name = if pipelines.len() > 1 { format!("{} · {}", p.name, s.name) } else { s.name.clone() };
                    c.stages.push((format!("{}:{}", p.id, s.id), name));
                }
            }
        }
        Ok(c)
    }
}

/// Organizations found by the search index for `q`: id and name.
async fn organizations_matching(state: &AppState, scope: &Scope, q: &str) -> Result<Vec<(String, String)>, StoreError> {
    let hits = state.store.search(scope, q, &[Kind::Organization], PICKER_MATCHES).await?;
    Ok(hits.iter().filter_map(|h| Some((h.get("id")?.as_str()?.to_string(), h.get("label")?.as_str()?.to_string()))).collect())
}

/// The organization searched for in a form sent without script: the only
/// match, or the one of that exact name, becomes the choice. Otherwise the
/// field gets an error and the query stays in `vals`, so that the form drawn
/// again offers the matches in its list.
pub async fn pick_organization(
    state: &AppState,
    scope: &Scope,
    ui: &Ui,
    kind: Kind,
    fields: &Fields,
    vals: &mut Vals,
    errs: &mut Errs,
) -> Result<(), StoreError> {
    let q = fields.text(ORGANIZATION_QUERY).trim().to_string();
    if q.is_empty() || !has_field(kind, "organization_id") {
        return Ok(());
    }
    let found = organizations_matching(state, scope, &q).await?;
    let exact: Vec<_> = found.iter().filter(|o| o.1.to_lowercase() == q.to_lowercase()).cloned().collect();
    let pick = match (found.as_slice(), exact.as_slice()) {
        ([only], _) | (_, [only]) => Some(only.0.clone()),
        _ => None,
    };
    match pick {
        Some(id) => {
            vals.insert("organization_id".into(), id);
        }
        None if found.is_empty() => {
            errs.insert("organization_id".into(), ui.t1("records-organization-none-found", "query", &q));
        }
        None => {
            errs.insert("organization_id".into(), ui.t1("records-organization-choose", "query", &q));
            vals.insert(ORGANIZATION_QUERY.into(), q);
        }
    }
    Ok(())
}

pub type Vals = BTreeMap<String, String>;
pub type Errs = BTreeMap<String, String>;

/// The inputs of a kind's form holding `vals`, with `errs` next to their fields.
pub fn inputs(ui: &Ui, kind: Kind, vals: &Vals, errs: &Errs, choices: &Choices, editing: bool) -> Vec<Input> {
    let none = || (String::new(), ui.t("records-choose-none"));
    specs(kind)
        .iter()
        .filter(|(name, ..)| editing || *name != "status")
        .map(|(name, widget, required, autocomplete)| {
            let options: Vec<(String, String)> = match *name {
                "owner_id" | "assignee_user_id" => std::iter::once(none()).chain(choices.users.iter().cloned()).collect(),
                "organization_id" => std::iter::once(none()).chain(choices.organizations.iter().cloned()).collect(),
                "stage" => choices.stages.clone(),
                "relationship" => enum_options(ui, "relationship", RELATIONSHIPS, true),
                "priority" => enum_options(ui, "priority", PRIORITIES, false),
                "status" => enum_options(ui, "status", TASK_STATUSES, false),
                "type" => enum_options(ui, "type", ACTIVITY_TYPES, false),
                _ => vec![],
            };
            let hint = match *name {
                "amount" => Some(ui.t("records-hint-amount")),
                "domain" => Some(ui.t("records-hint-domain")),
                _ => None,
            };
            let mut options = options;
            let value = vals.get(*name).cloned().unwrap_or_default();
            // A value not offered (a hidden owner, an organization the reader may not see) is kept.
            if *widget == Widget::Select && !value.is_empty() && !options.iter().any(|o| o.0 == value) {
                options.push((value.clone(), value.clone()));
            }
            Input {
                name,
                label: field_label(ui, kind, name),
                widget: *widget,
                value,
                options,
                error: errs.get(*name).cloned(),
                required: *required,
                autocomplete,
                hint,
            }
        })
        .collect()
}

fn enum_options(ui: &Ui, field: &str, values: &[&str], with_none: bool) -> Vec<(String, String)> {
    let mut out = vec![];
    if with_none {
        out.push((String::new(), ui.t("records-choose-none")));
    }
    out.extend(values.iter().map(|v| (v.to_string(), ui.value(field, v))));
    out
}

/// The typed values of a form.
pub fn typed(kind: Kind, fields: &Fields) -> Vals {
    specs(kind).iter().map(|(n, ..)| (n.to_string(), fields.text(n).trim().to_string())).collect()
}

/// A stored record as form values.
pub fn current(ui: &Ui, kind: Kind, r: &Record) -> Vals {
    let mut v = Vals::new();
    for (name, widget, ..) in specs(kind) {
        let s = match (*name, widget) {
            ("email", _) => text(r, "primary_email"),
            ("phone", _) => primary_of(r, "phones", "number"),
            ("domain", _) => {
                r.get("domains").and_then(Json::as_array).and_then(|d| d.first()).and_then(Json::as_str).unwrap_or("").to_string()
            }
            ("organization_id", _) if kind == Kind::Person => link_ids(r, "organizations").into_iter().next().unwrap_or_default(),
            ("stage", _) => format!("{}:{}", text(r, "pipeline_id"), text(r, "stage_id")),
            ("amount", _) => text(r, "amount"),
            (n, Widget::DateTime) => r
                .get(n)
                .and_then(Json::as_str)
                .and_then(rapport_domain::validate::parse_datetime)
                .map(|t| ui.fmt.input_datetime(&t))
                .unwrap_or_default(),
            (n, _) => text(r, n),
        };
        v.insert(name.to_string(), s);
    }
    v
}

/// The primary entry of an emails or phones list (else the first), by key.
pub fn primary_of(r: &Record, field: &str, key: &str) -> String {
    let list = r.get(field).and_then(Json::as_array).cloned().unwrap_or_default();
    list.iter()
        .find(|e| e.get("primary").and_then(Json::as_bool).unwrap_or(false))
        .or(list.first())
        .and_then(|e| e.get(key))
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string()
}

/// Replaces the primary entry of a contact list (or adds one), keeping the others.
fn with_primary(r: Option<&Record>, field: &str, key: &str, value: &str) -> Json {
    let mut list = r.and_then(|r| r.get(field)).and_then(Json::as_array).cloned().unwrap_or_default();
    let at = list.iter().position(|e| e.get("primary").and_then(Json::as_bool).unwrap_or(false)).or(if list.is_empty() {
        None
    } else {
        Some(0)
    });
    match (at, value.is_empty()) {
        (Some(i), true) => {
            list.remove(i);
        }
        (Some(i), false) => list[i] = json!({key: value, "primary": true}),
        (None, false) => list.push(json!({key: value, "primary": true})),
        (None, true) => {}
    }
    Json::Array(list)
}

/// Reads typed values into a new record (`current` is None) or a merge patch of
/// `current`. Mistakes found here (an amount, a date) go to `errs`.
pub fn to_record(ui: &Ui, kind: Kind, vals: &Vals, current: Option<&Record>, errs: &mut Errs) -> Record {
    let editing = current.is_some();
    let mut out = Record::new();
    let currency =
        vals.get("currency").filter(|c| !c.is_empty()).cloned().unwrap_or_else(|| {
            current.map(|r| text(r, "currency")).filter(|c| !c.is_empty()).unwrap_or_else(|| ui.currency.clone())
        });
    for (name, widget, ..) in specs(kind) {
        let Some(v) = vals.get(*name) else { continue };
        let v = v.trim();
        if v.is_empty() && !editing {
            continue;
        }
        let null_or = |s: Json| if v.is_empty() { Json::Null } else { s };
        match (*name, widget) {
            ("email", _) => {
                out.insert("emails".into(), with_primary(current, "emails", "address", v));
            }
            ("phone", _) => {
                out.insert("phones".into(), with_primary(current, "phones", "number", v));
            }
            ("domain", _) => {
                let mut list: Vec<Json> =
                    current.and_then(|r| r.get("domains")).and_then(Json::as_array).cloned().unwrap_or_default();
                if list.is_empty() {
                    list.push(json!(v));
                } else {
                    list[0] = json!(v);
                }
                list.retain(|d| d.as_str().is_some_and(|s| !s.is_empty()));
                out.insert("domains".into(), Json::Array(list));
            }
            ("organization_id", _) if kind == Kind::Person => {
                let mut ids = current.map(|r| link_ids(r, "organizations")).unwrap_or_default();
                if ids.is_empty() {
                    ids.push(v.to_string());
                } else {
                    ids[0] = v.to_string();
                }
                ids.retain(|i| !i.is_empty());
                out.insert("organizations".into(), json!(ids));
            }
            ("amount", _) => {
                if v.is_empty() {
                    out.insert("amount_minor".into(), Json::Null);
                } else {
                    match money::parse_major(&v.replace([',', ' ', '\u{a0}'], ""), &currency) {
                        Ok(m) if m >= 0 => {
                            out.insert("amount_minor".into(), json!(m));
                        }
                        _ => {
                            errs.insert("amount".into(), ui.t("records-error-amount"));
                        }
                    }
                }
            }
            ("currency", _) => {
                if !v.is_empty() {
                    out.insert("currency".into(), json!(v.to_uppercase()));
                }
            }
            ("stage", _) => match v.split_once(':') {
                Some((p, s)) if !p.is_empty() && !s.is_empty() => {
                    out.insert("pipeline_id".into(), json!(p));
                    out.insert("stage_id".into(), json!(s));
                }
                _ if v.is_empty() => {}
                _ => {
                    errs.insert("stage".into(), ui.t("records-error-choose"));
                }
            },
            (n, Widget::DateTime) => {
                if v.is_empty() {
                    out.insert(n.into(), Json::Null);
                } else {
                    match ui.fmt.parse_input_datetime(v) {
                        Some(t) => {
                            out.insert(n.into(), json!(t.to_rfc3339()));
                        }
                        None => {
                            errs.insert(n.into(), ui.t("records-error-datetime"));
                        }
                    }
                }
            }
            (n, Widget::Date) => {
                if v.is_empty() || NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok() {
                    out.insert(n.into(), null_or(json!(v)));
                } else {
                    errs.insert(n.into(), ui.t("records-error-date"));
                }
            }
            (n, _) => {
                out.insert(n.into(), null_or(json!(v)));
            }
        }
    }
    if kind == Kind::Person
        && !editing
        && ["first_name", "last_name", "email"].iter().all(|f| vals.get(*f).is_none_or(|v| v.trim().is_empty()))
    {
        errs.insert("first_name".into(), ui.t("records-error-person-name"));
    }
    out
}

/// The store's validation errors next to the form fields they concern; the
/// ones no field shows are returned as sentences.
pub fn place_errors(ui: &Ui, kind: Kind, defs: &[CustomField], v: &ValidationErrors, errs: &mut Errs) -> Vec<String> {
    let mut loose = vec![];
    for e in &v.0 {
        if e.field.starts_with("custom.") {
            errs.entry(e.field.clone()).or_insert_with(|| crate::web::custom::refused(ui, defs, &e.into()));
            continue;
        }
        let base = e.field.split(['[', '.']).next().unwrap_or("");
        let name = match (kind, base) {
            (_, "emails" | "primary_email") => "email",
            (_, "phones" | "primary_phone") => "phone",
            (_, "domains") => "domain",
            (Kind::Person, "organizations") => "organization_id",
            (Kind::Deal, "amount_minor") => "amount",
            (Kind::Deal, "pipeline_id" | "stage_id") => "stage",
            (Kind::Person, "name") => "first_name",
            (_, b) => b,
        };
        if has_field(kind, name) {
            errs.entry(name.to_string()).or_insert_with(|| ui.catalog.invalid(e));
        } else {
            loose.push(ui.catalog.invalid_for(&field_label(ui, kind, base), e));
        }
    }
    loose
}

/// Tomorrow at nine in the reader's zone, as a `datetime-local` value.
pub fn tomorrow_morning(ui: &Ui) -> String {
    let t = ui.fmt.now_local() + Duration::days(1);
    let nine = t.with_hour(9).and_then(|t| t.with_minute(0)).unwrap_or(t);
    nine.format("%Y-%m-%dT%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::web::frame::test_ui as ui;

    fn vals(pairs: &[(&str, &str)]) -> Vals {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn amounts_are_read_in_major_units() {
        let mut errs = Errs::new();
        let r = to_record(
            &ui("UTC"),
            Kind::Deal,
            &vals(&[("name", "A"), ("amount", "1,250.5"), ("currency", "eur")]),
            None,
            &mut errs,
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(r["amount_minor"], json!(125050));
        assert_eq!(r["currency"], json!("EUR"));
        let _ = to_record(&ui("UTC"), Kind::Deal, &vals(&[("amount", "12.345")]), None, &mut errs);
        assert!(errs.contains_key("amount"));
    }

    #[test]
    fn editing_the_email_keeps_the_others() {
        let current: Record = serde_json::from_value(json!({
            "emails": [{"address": "old@example.com", "primary": true}, {"address": "home@example.com", "primary": false}]
        }))
        .unwrap();
        let mut errs = Errs::new();
        let patch = to_record(&ui("UTC"), Kind::Person, &vals(&[("email", "new@example.com")]), Some(&current), &mut errs);
        assert_eq!(
            patch["emails"],
            json!([{"address": "new@example.com", "primary": true}, {"address": "home@example.com", "primary": false}])
        );
        // Emptied on an edit: the field is cleared, not left alone.
        let patch = to_record(&ui("UTC"), Kind::Person, &vals(&[("title", "")]), Some(&current), &mut errs);
        assert_eq!(patch["title"], Json::Null);
    }

    #[test]
    fn times_are_typed_in_the_readers_zone() {
        let mut errs = Errs::new();
        let r =
            to_record(&ui("Europe/Paris"), Kind::Task, &vals(&[("title", "T"), ("due_at", "2026-07-01T09:00")]), None, &mut errs);
        assert_eq!(r["due_at"], json!("2026-07-01T07:00:00+00:00"));
        let _ = to_record(&ui("UTC"), Kind::Task, &vals(&[("due_at", "tomorrow")]), None, &mut errs);
        assert!(errs.contains_key("due_at"));
    }

    #[test]
    fn a_person_needs_a_name_or_an_email() {
        let mut errs = Errs::new();
        let _ = to_record(&ui("UTC"), Kind::Person, &vals(&[("title", "CEO")]), None, &mut errs);
        assert!(errs.contains_key("first_name"));
    }
}
