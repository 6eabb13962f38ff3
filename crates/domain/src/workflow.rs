//! Workflows and assignment rules: their definitions, checked field by field,
//! and the pure rules that run them: conditions evaluated against a record's
//! JSON, which change fires which trigger, round-robin and load balancing.
//!
//! Conditions are the API's list filters written as query-string pairs,
//! `[["lead_source[in]", "web,event"], ["custom.region", "EU"]]`, parsed with
//! [`filter::condition`] and evaluated here against the record as the API shows it.

use std::cmp::Ordering;

use chrono::NaiveDate;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::custom::CustomField;
use crate::events::CustomKind;
use crate::filter::{self, ColType, Condition, Op};
use crate::schema::{self, Access, FieldType};
use crate::validate::parse_datetime;
use crate::{FieldValue, Kind, ValidationErrors};

/// How deep a chain of workflows may go (a workflow's change firing another): at this depth a run is stopped.
pub const MAX_DEPTH: i64 = 5;

/// The field naming a record's owner, which assignment sets.
pub fn owner_field(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Person | Kind::Deal | Kind::Organization | Kind::Object => Some("owner_id"),
        Kind::Task => Some("assignee_user_id"),
        _ => None,
    }
}

// ---- conditions ------------------------------------------------------------

/// `field[op]` to (`field`, `op`); `eq` when no operator is written.
pub fn split_key(key: &str) -> (&str, &str) {
    match key.split_once('[') {
        Some((f, rest)) => (f, rest.strip_suffix(']').unwrap_or(rest)),
        None => (key, "eq"),
    }
}

/// Reads `[[key, value], ...]`, naming the entry at fault (`conditions[1]`).
pub fn parse_pairs(raw: &Json, path: &str, errs: &mut ValidationErrors) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match raw {
        Json::Null => {}
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                match item.as_array().map(Vec::as_slice) {
                    Some([Json::String(k), Json::String(v)]) => out.push((k.clone(), v.clone())),
                    _ => errs.push(
                        format!("{path}[{i}]"),
                        "invalid_type",
                        "expected a pair of strings: [\"field[op]\", \"value\"]",
                    ),
                }
            }
        }
        _ => errs.push(path, "invalid_type", "expected an array of [\"field[op]\", \"value\"] pairs"),
    }
    out
}

/// Parses condition pairs against the kind's fields.
pub fn conditions(
    kind: Kind,
    pairs: &[(String, String)],
    custom: &[CustomField],
    path: &str,
) -> Result<Vec<Condition>, ValidationErrors> {
    let mut errs = ValidationErrors::default();
    let mut out = Vec::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        let (field, op) = split_key(k);
        let parsed = match address_part(kind, field) {
            Some(column) => filter::condition_on(column, field, op, v),
            None => filter::condition(kind, field, op, v, custom),
        };
        match parsed {
            Ok(c) => out.push(c),
            Err(e) => {
                for f in e.0 {
                    errs.push(format!("{path}[{i}]"), f.code, format!("{}: {}", f.field, f.message));
                }
            }
        }
    }
    errs.into_result().map(|_| out)
}

/// Territory conditions on a part of an address, which lists cannot filter on:
/// a person's `address.country` or `address.region`, an organization's
/// `addresses.country` or `addresses.region` (any of its addresses).
fn address_part(kind: Kind, field: &str) -> Option<filter::Column> {
    let (whole, part) = field.split_once('.')?;
    let ty = match (kind, whole) {
        (Kind::Person, "address") => ColType::Text,
        (Kind::Organization, "addresses") => ColType::StringList,
        _ => return None,
    };
    ["country", "region"].contains(&part).then(|| filter::Column { name: field.to_string(), ty, custom: false })
}

fn value_at(record: &Map<String, Json>, c: &Condition) -> Json {
    if c.column.custom {
        return c.column.custom_value(record);
    }
    match c.column.name.split_once('.') {
        Some((whole, part)) => match record.get(whole) {
            Some(Json::Array(items)) => Json::Array(items.iter().filter_map(|i| i.get(part).cloned()).collect()),
            Some(o) => o.get(part).cloned().unwrap_or(Json::Null),
            None => Json::Null,
        },
        None => record.get(&c.column.name).cloned().unwrap_or(Json::Null),
    }
}

fn order(v: &Json, want: &FieldValue) -> Option<Ordering> {
    match want {
        FieldValue::Null => None,
        FieldValue::Text(s) => Some(v.as_str()?.cmp(s.as_str())),
        FieldValue::Int(i) => match v.as_i64() {
            Some(n) => Some(n.cmp(i)),
            None => v.as_f64()?.partial_cmp(&(*i as f64)),
        },
        FieldValue::Bool(b) => Some(v.as_bool()?.cmp(b)),
        FieldValue::Date(d) => Some(NaiveDate::parse_from_str(v.as_str()?.get(..10)?, "%Y-%m-%d").ok()?.cmp(d)),
        FieldValue::DateTime(t) => Some(parse_datetime(v.as_str()?)?.cmp(t)),
        FieldValue::Uuid(u) => Some(Uuid::parse_str(v.as_str()?).ok()?.cmp(u)),
        FieldValue::Json(j) => v.as_f64()?.partial_cmp(&j.as_f64()?),
    }
}

fn is_empty(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Does the record meet the condition? The same meaning as the SQL the store
/// compiles for lists: `ne` matches an empty value, lists match when one item does.
pub fn matches(c: &Condition, record: &Map<String, Json>) -> bool {
    let v = &value_at(record, c);
    let null_wanted = matches!(c.values.first(), Some(FieldValue::Bool(true)));
    let eq_any = |item: &Json| c.values.iter().any(|w| order(item, w) == Some(Ordering::Equal));
    if matches!(c.column.ty, ColType::StringList | ColType::Link(_)) {
        let items: Vec<&Json> = v.as_array().map(|a| a.iter().map(|i| i.get("id").unwrap_or(i)).collect()).unwrap_or_default();
        return match c.op {
            Op::IsNull => items.is_empty() == null_wanted,
            Op::Ne => !items.into_iter().any(eq_any),
            _ => items.into_iter().any(eq_any),
        };
    }
    let first = &c.values[0];
    match c.op {
        Op::Eq | Op::In => eq_any(v),
        Op::Ne => !eq_any(v),
        Op::Lt => order(v, first) == Some(Ordering::Less),
        Op::Lte => matches!(order(v, first), Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => order(v, first) == Some(Ordering::Greater),
        Op::Gte => matches!(order(v, first), Some(Ordering::Greater | Ordering::Equal)),
        Op::IsNull => is_empty(v) == null_wanted,
        Op::Contains => match (v.as_str(), first) {
            (Some(s), FieldValue::Text(want)) => s.to_lowercase().contains(&want.to_lowercase()),
            _ => false,
        },
    }
}

pub fn matches_all(conds: &[Condition], record: &Map<String, Json>) -> bool {
    conds.iter().all(|c| matches(c, record))
}

// ---- assignment rules ------------------------------------------------------

/// Built-in kinds whose records assignment rules give an owner (custom
/// records too, a rule naming their kind by its key).
pub const ASSIGNABLE: [Kind; 4] = [Kind::Organization, Kind::Person, Kind::Deal, Kind::Task];

#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// Always this user.
    User(Uuid),
    /// The team's members in turn, skipping those away or inactive.
    RoundRobin(Uuid),
    /// The team member with the fewest open items.
    Load(Uuid),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub kind: Kind,
    /// The custom record kind's key, when `kind` is `Kind::Object`.
    pub object_type: Option<String>,
    pub name: String,
    pub position: i64,
    pub conditions: Vec<(String, String)>,
    pub method: Method,
    pub active: bool,
}

impl Rule {
    /// What its `kind` names: a built-in kind, or a custom kind's key.
    pub fn owner(&self) -> &str {
        self.object_type.as_deref().unwrap_or(self.kind.as_str())
    }

    pub fn to_json(&self) -> Json {
        let (method, user, team) = match self.method {
            Method::User(u) => ("user", Some(u), None),
            Method::RoundRobin(t) => ("round_robin", None, Some(t)),
            Method::Load(t) => ("load", None, Some(t)),
        };
        json!({"kind": self.owner(), "name": self.name, "position": self.position, "conditions": self.conditions,
               "method": method, "user_id": user, "team_id": team, "active": self.active})
    }
}

fn uuid_field(o: &Map<String, Json>, name: &str, errs: &mut ValidationErrors) -> Option<Uuid> {
    match o.get(name) {
        None | Some(Json::Null) => {
            errs.push(name, "required", "is required");
            None
        }
        Some(v) => {
            let u = v.as_str().and_then(|s| Uuid::parse_str(s).ok());
            if u.is_none() {
                errs.push(name, "invalid", "expected an id (UUID)");
            }
            u
        }
    }
}

fn text_field(o: &Map<String, Json>, name: &str, max: usize, errs: &mut ValidationErrors) -> String {
    match o.get(name).and_then(Json::as_str).map(str::trim) {
        Some(s) if !s.is_empty() && s.chars().count() <= max => s.to_string(),
        Some(s) if !s.is_empty() => {
            errs.push_with(name, "too_long", format!("at most {max} characters"), &[("max", max.to_string())]);
            String::new()
        }
        _ => {
            errs.push(name, "required", "is required");
            String::new()
        }
    }
}

fn unknown_keys(o: &Map<String, Json>, known: &[&str], prefix: &str, errs: &mut ValidationErrors) {
    for k in o.keys().filter(|k| !known.contains(&k.as_str())) {
        errs.push(format!("{prefix}{k}"), "unknown_field", "is not a field of this object");
    }
}

/// The record kind a rule or a trigger names.
pub fn kind_of(raw: &Json, name: &str, allowed: &[Kind]) -> Result<Kind, ValidationErrors> {
    let names: Vec<&str> = allowed.iter().map(|k| k.as_str()).collect();
    raw.get(name).and_then(Json::as_str).and_then(Kind::parse).filter(|k| allowed.contains(k)).ok_or_else(|| {
        let mut e = ValidationErrors::default();
        e.push_with(name, "invalid", format!("expected one of {}", names.join(", ")), &[("values", names.join(", "))]);
        e
    })
}

/// Checks a whole rule (after a patch is merged into it); `object_type` is the
/// custom kind its `kind` names, when it names one (the caller knows them).
pub fn parse_rule(raw: &Json, custom: &[CustomField], object_type: Option<&str>) -> Result<Rule, ValidationErrors> {
    let Some(o) = raw.as_object() else { return Err(ValidationErrors::single("", "invalid_type", "expected a JSON object")) };
    let kind = match object_type {
        Some(_) => Kind::Object,
        None => kind_of(raw, "kind", &ASSIGNABLE).map_err(|_| {
            ValidationErrors::single("kind", "invalid", "expected organization, person, deal, task or a custom record kind's key")
        })?,
    };
    let mut errs = ValidationErrors::default();
    unknown_keys(
        o,
        &[
            "kind",
            "name",
            "position",
            "conditions",
            "method",
            "user_id",
            "team_id",
            "active",
            "id",
            "created_at",
            "updated_at",
            "last_user_id",
            "version",
        ],
        "",
        &mut errs,
    );
    let name = text_field(o, "name", 200, &mut errs);
    let position = match o.get("position") {
        None | Some(Json::Null) => 0,
        Some(v) => v.as_i64().filter(|p| (0..=10_000).contains(p)).unwrap_or_else(|| {
            errs.push("position", "invalid", "an integer from 0 to 10000");
            0
        }),
    };
    let pairs = parse_pairs(o.get("conditions").unwrap_or(&Json::Null), "conditions", &mut errs);
    if let Err(e) = conditions(kind, &pairs, custom, "conditions") {
        errs.0.extend(e.0);
    }
    let method = match o.get("method").and_then(Json::as_str) {
        Some("user") => uuid_field(o, "user_id", &mut errs).map(Method::User),
        Some("round_robin") => uuid_field(o, "team_id", &mut errs).map(Method::RoundRobin),
        Some("load") => uuid_field(o, "team_id", &mut errs).map(Method::Load),
        _ => {
            errs.push("method", "invalid", "expected user, round_robin or load");
            None
        }
    };
    let active = match o.get("active") {
        None | Some(Json::Null) => true,
        Some(Json::Bool(b)) => *b,
        Some(_) => {
            errs.push("active", "invalid_type", "expected true or false");
            true
        }
    };
    errs.into_result()?;
    let object_type = object_type.map(str::to_string);
    Ok(Rule { kind, object_type, name, position, conditions: pairs, method: method.expect("checked"), active })
}

/// The next user in turn after `last`, among `candidates` sorted by id.
pub fn round_robin_next(candidates: &[Uuid], last: Option<Uuid>) -> Option<Uuid> {
    // Candidates are in id order: the first after the last one served, wrapping
    // round; one who left the team or is away is simply passed over.
    last.and_then(|l| candidates.iter().find(|c| **c > l)).or(candidates.first()).copied()
}

/// The candidate with the fewest open items; ties go to the first.
pub fn least_loaded(candidates: &[(Uuid, i64)]) -> Option<Uuid> {
    candidates.iter().min_by_key(|(_, n)| *n).map(|(u, _)| *u)
}

// ---- workflows -------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Created,
    Updated,
    /// A field changed, optionally to this value.
    FieldChanged {
        field: String,
        to: Option<Json>,
    },
    /// A deal entered this stage.
    StageEntered {
        stage_id: Uuid,
    },
    /// `offset_days` after (before, when negative) the date in `field`.
    DateReached {
        field: String,
        offset_days: i64,
    },
    /// No activity on the record for `days`.
    NoActivity {
        days: i64,
    },
    /// A task past its due time and not done.
    TaskOverdue,
}

impl Trigger {
    /// Run from the periodic scan rather than from the change log.
    pub fn is_timed(&self) -> bool {
        matches!(self, Trigger::DateReached { .. } | Trigger::NoActivity { .. } | Trigger::TaskOverdue)
    }
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::Created => "record_created",
            Trigger::Updated => "record_updated",
            Trigger::FieldChanged { .. } => "field_changed",
            Trigger::StageEntered { .. } => "deal_stage_entered",
            Trigger::DateReached { .. } => "date_reached",
            Trigger::NoActivity { .. } => "no_activity",
            Trigger::TaskOverdue => "task_overdue",
        }
    }

    /// Does a change-log row (its action and field diff) fire this trigger?
    pub fn fired_by(&self, action: &str, diff: &Map<String, Json>) -> bool {
        let new_of = |field: &str| -> Option<Json> {
            if let Some(key) = field.strip_prefix("custom.") {
                let d = diff.get("custom")?;
                let (old, new) = (&d["old"][key], &d["new"][key]);
                (old != new).then(|| new.clone())
            } else {
                diff.get(field).map(|d| d["new"].clone())
            }
        };
        match self {
            Trigger::Created => action == "created",
            Trigger::Updated => action == "updated",
            Trigger::FieldChanged { field, to } => {
                action == "updated" && new_of(field).is_some_and(|new| to.as_ref().is_none_or(|want| value_equals(&new, want)))
            }
            Trigger::StageEntered { stage_id } => {
                matches!(action, "created" | "updated")
                    && new_of("stage_id").is_some_and(|n| n.as_str() == Some(&stage_id.to_string()))
            }
            _ => false,
        }
    }
}

/// A new value equals the one a trigger wants (`"3"` matches 3, `"true"` matches true).
fn value_equals(v: &Json, want: &Json) -> bool {
    v == want
        || want.as_str().is_some_and(|w| serde_json::to_string(v).is_ok_and(|s| s == w))
        || v.as_array().is_some_and(|a| a.contains(want))
}

#[derive(Debug, Clone, PartialEq)]
pub enum Recipient {
    /// The record's owner (a task's assignee).
    Owner,
    User(Uuid),
    Team(Uuid),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// By an assignment rule, or to a user.
    Assign {
        rule_id: Option<Uuid>,
        user_id: Option<Uuid>,
    },
    CreateTask {
        title: String,
        due_in_days: i64,
        assignee: Recipient,
        priority: Option<String>,
    },
    UpdateField {
        field: String,
        value: Json,
    },
    AddTag(String),
    RemoveTag(String),
    Notify {
        to: Recipient,
        title: String,
        body: Option<String>,
    },
    /// POST the event to a URL, signed with the workflow's secret.
    Webhook {
        url: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Assign { .. } => "assign",
            Action::CreateTask { .. } => "create_task",
            Action::UpdateField { .. } => "update_field",
            Action::AddTag(_) => "add_tag",
            Action::RemoveTag(_) => "remove_tag",
            Action::Notify { .. } => "notify",
            Action::Webhook { .. } => "webhook",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub kind: Kind,
    /// The key of the custom record kind watched, when `kind` is `Object`.
    pub object_type: Option<String>,
    pub trigger: Trigger,
    pub conditions: Vec<(String, String)>,
    pub actions: Vec<Action>,
}

impl Definition {
    /// Does the workflow watch records of this kind (and custom kind)?
    pub fn watches(&self, kind: Kind, object_type: Option<&str>) -> bool {
        self.kind == kind && (kind != Kind::Object || self.object_type.as_deref() == object_type)
    }

    /// The trigger's name in the run log: a custom record's stage trigger is
    /// `stage_entered`, the deal one keeps its older name.
    pub fn trigger_name(&self) -> &'static str {
        match (&self.trigger, self.kind) {
            (Trigger::StageEntered { .. }, Kind::Object) => "stage_entered",
            (t, _) => t.name(),
        }
    }

    /// What the run log and stored definition call the watched kind: its name or the custom kind's key.
    pub fn kind_name(&self) -> &str {
        crate::events::prefix(self.kind, self.object_type.as_deref())
    }
}

/// Kinds a workflow may watch, besides the workspace's custom record kinds.
pub const WATCHED: [Kind; 5] = [Kind::Person, Kind::Organization, Kind::Deal, Kind::Task, Kind::Activity];

/// Fields only records of a kind with a status have.
const STATUS_FIELDS: [&str; 5] = ["pipeline_id", "stage_id", "status", "closed_at", "stage_entered_at"];

const TRIGGER_TYPES: &str =
    "record_created, record_updated, field_changed, stage_entered, deal_stage_entered, date_reached, no_activity or task_overdue";

/// The kind a trigger watches: a built-in kind, or `Object` for the custom kind `own` (the store
/// finds it by the trigger's `kind` before parsing).
fn watched(raw: &Json, ty: &str, own: Option<&CustomKind>, errs: &mut ValidationErrors) -> Option<Kind> {
    let named = raw.get("kind").and_then(Json::as_str);
    let kind = match ty {
        "deal_stage_entered" => Some(Kind::Deal),
        "task_overdue" => Some(Kind::Task),
        _ => match kind_of(raw, "kind", &WATCHED) {
            Ok(k) => Some(k),
            Err(_) if own.is_some_and(|c| Some(c.key.as_str()) == named) => Some(Kind::Object),
            Err(_) => {
                let m = match named {
                    Some(k) if Kind::parse(k).is_none() => {
                        format!("'{k}' is neither person, organization, deal, task, activity nor a custom record kind")
                    }
                    _ => "expected one of person, organization, deal, task, activity, or a custom record kind's key".into(),
                };
                errs.push("trigger.kind", "invalid", m);
                None
            }
        },
    };
    // Stages belong to deals and to custom kinds with a status.
    let staged = match kind {
        Some(Kind::Deal) => true,
        Some(Kind::Object) => own.is_some_and(|c| c.has_status),
        _ => false,
    };
    if ty == "stage_entered" && kind.is_some() && !staged {
        errs.push("trigger.type", "invalid", format!("{} records have no stages to enter", named.unwrap_or_default()));
    }
    kind
}

fn trigger(raw: &Json, own: Option<&CustomKind>, custom: &[CustomField], errs: &mut ValidationErrors) -> Option<(Kind, Trigger)> {
    let Some(o) = raw.as_object() else {
        errs.push("trigger", "required", format!("an object with a type: {TRIGGER_TYPES}"));
        return None;
    };
    let ty = o.get("type").and_then(Json::as_str).unwrap_or_default();
    let kind = watched(raw, ty, own, errs);
    let statusless = kind == Some(Kind::Object) && !own.is_some_and(|c| c.has_status);
    let mut field_of = |name: &str, date_only: bool| -> Option<String> {
        let f = o.get(name).and_then(Json::as_str);
        let ok = match (kind, f) {
            (Some(k), Some(f)) => match filter::Column::resolve(k, f, custom) {
                _ if f.starts_with("custom.") && !date_only => true,
                // Custom date fields too: a contract's renewal date.
                Some(c) if date_only => matches!(c.ty, ColType::Date | ColType::DateTime),
                Some(_) => true,
                None => false,
            },
            _ => false,
        };
        if !ok {
            let what = if date_only { "a date or date-time field of the record" } else { "a field of the record" };
            errs.push(format!("trigger.{name}"), "invalid", format!("expected {what}"));
        } else if statusless && f.is_some_and(|f| STATUS_FIELDS.contains(&f)) {
            let key = raw.get("kind").and_then(Json::as_str).unwrap_or_default();
            errs.push(format!("trigger.{name}"), "invalid", format!("{key} records have no status"));
        }
        f.map(str::to_string)
    };
    let t = match ty {
        "record_created" => Trigger::Created,
        "record_updated" => Trigger::Updated,
        "field_changed" => {
            let field = field_of("field", false)?;
            Trigger::FieldChanged { field, to: o.get("to").filter(|v| !v.is_null()).cloned() }
        }
        "deal_stage_entered" | "stage_entered" => {
            match o.get("stage_id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()) {
                Some(stage_id) => Trigger::StageEntered { stage_id },
                None => {
                    let m = "the id of the stage (see /api/v1/pipelines, or a custom kind's pipeline in /api/v1/object-types)";
                    errs.push("trigger.stage_id", "required", m);
                    return None;
                }
            }
        }
        "date_reached" => {
            let field = field_of("field", true)?;
            let offset_days = match o.get("offset_days") {
                None | Some(Json::Null) => 0,
                Some(v) => v.as_i64().filter(|d| d.abs() <= 3650).unwrap_or_else(|| {
                    errs.push("trigger.offset_days", "invalid", "days after the date (negative: before), at most 3650");
                    0
                }),
            };
            Trigger::DateReached { field, offset_days }
        }
        "no_activity" => {
            if kind.is_some_and(|k| !matches!(k, Kind::Person | Kind::Organization | Kind::Deal)) {
                errs.push("trigger.kind", "invalid", "no_activity watches people, organizations or deals");
            }
            match o.get("days").and_then(Json::as_i64).filter(|d| (1..=3650).contains(d)) {
                Some(days) => Trigger::NoActivity { days },
                None => {
                    errs.push("trigger.days", "invalid", "an integer from 1 to 3650");
                    return None;
                }
            }
        }
        "task_overdue" => Trigger::TaskOverdue,
        _ => {
            errs.push("trigger.type", "invalid", format!("expected {TRIGGER_TYPES}"));
            return None;
        }
    };
    Some((kind?, t))
}

fn recipient(o: &Map<String, Json>, path: &str, errs: &mut ValidationErrors) -> Option<Recipient> {
    let id = |name: &str, errs: &mut ValidationErrors| {
        let u = o.get(name).and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok());
        if u.is_none() {
            errs.push(format!("{path}.{name}"), "invalid", "expected an id (UUID)");
        }
        u
    };
    match (o.get("to").and_then(Json::as_str), o.contains_key("user_id"), o.contains_key("team_id")) {
        (Some("owner"), false, false) | (None, false, false) => Some(Recipient::Owner),
        (None, true, false) => id("user_id", errs).map(Recipient::User),
        (None, false, true) => id("team_id", errs).map(Recipient::Team),
        _ => {
            errs.push(format!("{path}.to"), "invalid", "name one of: \"to\": \"owner\", a user_id, or a team_id");
            None
        }
    }
}

fn action(
    kind: Kind,
    own: Option<&CustomKind>,
    raw: &Json,
    i: usize,
    custom: &[CustomField],
    errs: &mut ValidationErrors,
) -> Option<Action> {
    let path = format!("actions[{i}]");
    let Some(o) = raw.as_object() else {
        errs.push(path, "invalid_type", "expected an object with a type");
        return None;
    };
    let text = |name: &str, max: usize, errs: &mut ValidationErrors| -> Option<String> {
        match o.get(name).and_then(Json::as_str).map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) if s.chars().count() <= max => Some(s.to_string()),
            Some(_) => {
                errs.push_with(
                    format!("{path}.{name}"),
                    "too_long",
                    format!("at most {max} characters"),
                    &[("max", max.to_string())],
                );
                None
            }
            None => {
                errs.push(format!("{path}.{name}"), "required", "is required");
                None
            }
        }
    };
    let ty = o.get("type").and_then(Json::as_str).unwrap_or_default();
    let owned = owner_field(kind).is_some();
    let tagged = schema::field(kind, "tags").is_some();
    let mut refuse = |m: &str| errs.push(format!("{path}.type"), "invalid", m.to_string());
    match ty {
        "assign" if !owned => refuse(&format!("{kind} records have no owner to assign")),
        "add_tag" | "remove_tag" if !tagged => refuse(&format!("{kind} records have no tags")),
        "send_email" => refuse("sending email is not available yet: Rapport has no outgoing mail; use notify or webhook"),
        _ => {}
    }
    let a = match ty {
        "assign" => {
            let id = |name: &str| o.get(name).and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok());
            let (rule_id, user_id) = (id("rule_id"), id("user_id"));
            if rule_id.is_some() == user_id.is_some() {
                errs.push(format!("{path}.rule_id"), "invalid", "name either an assignment rule (rule_id) or a user (user_id)");
                return None;
            }
            if rule_id.is_some() && !ASSIGNABLE.contains(&kind) {
                let m = "a workflow gives custom records to a user (user_id); their assignment rules apply when they are created";
                errs.push(format!("{path}.rule_id"), "invalid", m);
            }
            Action::Assign { rule_id, user_id }
        }
        "create_task" => {
            let title = text("title", 500, errs);
            let due_in_days = match o.get("due_in_days") {
                None | Some(Json::Null) => 0,
                Some(v) => v.as_i64().filter(|d| (0..=3650).contains(d)).unwrap_or_else(|| {
                    errs.push(format!("{path}.due_in_days"), "invalid", "an integer from 0 to 3650");
                    0
                }),
            };
            let priority = o.get("priority").and_then(Json::as_str).map(str::to_string);
            if priority.as_deref().is_some_and(|p| !schema::PRIORITIES.contains(&p)) {
                errs.push(format!("{path}.priority"), "invalid", "low, normal, high or urgent");
            }
            let assignee = match o.get("assignee").and_then(Json::as_str) {
                None | Some("owner") => Recipient::Owner,
                Some(s) => match Uuid::parse_str(s) {
                    Ok(u) => Recipient::User(u),
                    Err(_) => {
                        errs.push(format!("{path}.assignee"), "invalid", "\"owner\" or a user id");
                        Recipient::Owner
                    }
                },
            };
            Action::CreateTask { title: title?, due_in_days, assignee, priority }
        }
        "update_field" => {
            let field = text("field", 200, errs)?;
            // A custom field in use, or a field of the kind clients may write.
            let writable = field.strip_prefix("custom.").is_some_and(|k| custom.iter().any(|d| d.key == k && !d.is_deleted()))
                || schema::field(kind, &field)
                    .is_some_and(|f| f.access == Access::Write && !matches!(f.ty, FieldType::Links { .. }));
            let name = crate::events::prefix(kind, own.map(|c| c.key.as_str()));
            let statusless = kind == Kind::Object && !own.is_some_and(|c| c.has_status);
            let fault = if !writable {
                Some(format!("{name} has no writable field '{field}'"))
            } else if owner_field(kind) == Some(field.as_str()) {
                Some("use the assign action to change the owner".into())
            } else if kind == Kind::Object && field == "type" {
                Some("a record's kind cannot change".into())
            } else if statusless && STATUS_FIELDS.contains(&field.as_str()) {
                Some(format!("{name} records have no status"))
            } else {
                None
            };
            if let Some(m) = fault {
                errs.push(format!("{path}.field"), "invalid", m);
            }
            Action::UpdateField { field, value: o.get("value").cloned().unwrap_or(Json::Null) }
        }
        "add_tag" => Action::AddTag(text("tag", 100, errs)?),
        "remove_tag" => Action::RemoveTag(text("tag", 100, errs)?),
        "notify" => {
            let to = recipient(o, &path, errs);
            let title = text("title", 200, errs);
            Action::Notify { to: to?, title: title?, body: o.get("body").and_then(Json::as_str).map(str::to_string) }
        }
        "webhook" => {
            let url = o.get("url").and_then(Json::as_str).unwrap_or_default();
            let ok = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() <= 2000
                && !url.contains(char::is_whitespace);
            if !ok {
                errs.push(format!("{path}.url"), "invalid", "expected an http or https URL");
                return None;
            }
            Action::Webhook { url: url.to_string() }
        }
        "send_email" => return None,
        _ => {
            errs.push(
                format!("{path}.type"),
                "invalid",
                "expected assign, create_task, update_field, add_tag, remove_tag, notify or webhook",
            );
            return None;
        }
    };
    Some(a)
}

/// Checks a workflow's trigger, conditions and actions; every fault is named
/// (`trigger.field`, `conditions[0]`, `actions[1].url`). `custom` lists the
/// custom fields of the kind the trigger watches, found with [`trigger_kind`];
/// `own` is the custom record kind it names ([`trigger_object_type`]), when the workspace has it.
pub fn parse_definition(
    trigger_raw: &Json,
    conditions_raw: &Json,
    actions_raw: &Json,
    custom: &[CustomField],
    own: Option<&CustomKind>,
) -> Result<Definition, ValidationErrors> {
    let mut errs = ValidationErrors::default();
    let t = trigger(trigger_raw, own, custom, &mut errs);
    let pairs = parse_pairs(conditions_raw, "conditions", &mut errs);
    let mut actions = Vec::new();
    match actions_raw.as_array() {
        Some(items) if !items.is_empty() && items.len() <= 20 => {
            if let Some((kind, _)) = &t {
                for (i, a) in items.iter().enumerate() {
                    actions.extend(action(*kind, own, a, i, custom, &mut errs));
                }
            }
        }
        _ => errs.push("actions", "required", "give between 1 and 20 actions"),
    }
    if let Some((kind, _)) = &t
        && let Err(e) = conditions(*kind, &pairs, custom, "conditions")
    {
        errs.0.extend(e.0);
    }
    errs.into_result()?;
    let (kind, trigger) = t.expect("checked");
    let object_type = (kind == Kind::Object).then(|| own.map(|c| c.key.clone())).flatten();
    Ok(Definition { kind, object_type, trigger, conditions: pairs, actions })
}

/// The kind a trigger watches, to load its custom fields before [`parse_definition`].
pub fn trigger_kind(trigger_raw: &Json) -> Option<Kind> {
    match trigger_raw.get("type").and_then(Json::as_str) {
        Some("deal_stage_entered") => Some(Kind::Deal),
        Some("task_overdue") => Some(Kind::Task),
        _ => trigger_raw.get("kind").and_then(Json::as_str).and_then(Kind::parse),
    }
}

/// The custom record kind a trigger names (any `kind` that is not a built-in kind),
/// for the store to look up before [`parse_definition`].
pub fn trigger_object_type(trigger_raw: &Json) -> Option<&str> {
    match trigger_raw.get("type").and_then(Json::as_str) {
        Some("deal_stage_entered" | "task_overdue") => None,
        _ => trigger_raw.get("kind").and_then(Json::as_str).filter(|k| Kind::parse(k).is_none()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(v: Json) -> Map<String, Json> {
        v.as_object().unwrap().clone()
    }

    fn cond(kind: Kind, k: &str, v: &str) -> Condition {
        let (f, op) = split_key(k);
        filter::condition(kind, f, op, v, &[]).unwrap()
    }

    #[test]
    fn conditions_evaluate_like_the_sql() {
        let p = rec(json!({"lead_source": "web", "tags": ["vip", "eu"], "lifecycle_stage": null, "birthday": "1990-05-01",
                           "owner_id": "0190a2f0-0000-7000-8000-000000000001", "organizations": [{"id": "0190a2f0-0000-7000-8000-000000000002", "role": null}]}));
        assert!(matches(&cond(Kind::Person, "lead_source", "web"), &p));
        assert!(matches(&cond(Kind::Person, "lead_source[in]", "event,web"), &p));
        assert!(!matches(&cond(Kind::Person, "lead_source[ne]", "web"), &p));
        assert!(matches(&cond(Kind::Person, "lifecycle_stage[ne]", "customer"), &p), "ne matches an empty value");
        assert!(matches(&cond(Kind::Person, "lead_source[contains]", "WE"), &p));
        assert!(matches(&cond(Kind::Person, "tags", "vip"), &p));
        assert!(!matches(&cond(Kind::Person, "tags[ne]", "eu"), &p));
        assert!(matches(&cond(Kind::Person, "lifecycle_stage[is_null]", "true"), &p));
        assert!(matches(&cond(Kind::Person, "birthday[lt]", "2000-01-01"), &p));
        assert!(!matches(&cond(Kind::Person, "birthday[gt]", "2000-01-01"), &p));
        assert!(matches(&cond(Kind::Person, "organizations", "0190a2f0-0000-7000-8000-000000000002"), &p));
        assert!(matches(&cond(Kind::Person, "owner_id", "0190a2f0-0000-7000-8000-000000000001"), &p));
        let d = rec(json!({"amount_minor": 5000}));
        assert!(matches(&cond(Kind::Deal, "amount_minor[gte]", "5000"), &d));
        assert!(!matches(&cond(Kind::Deal, "amount_minor[gt]", "5000"), &d));
    }

    #[test]
    fn round_robin_takes_turns_and_skips_who_left() {
        let ids: Vec<Uuid> = (1..=3u128).map(Uuid::from_u128).collect();
        assert_eq!(round_robin_next(&ids, None), Some(ids[0]));
        assert_eq!(round_robin_next(&ids, Some(ids[0])), Some(ids[1]));
        assert_eq!(round_robin_next(&ids, Some(ids[2])), Some(ids[0]));
        let without_second = [ids[0], ids[2]];
        assert_eq!(round_robin_next(&without_second, Some(ids[1])), Some(ids[2]));
        assert_eq!(round_robin_next(&[], None), None);
        assert_eq!(least_loaded(&[(ids[0], 3), (ids[1], 1), (ids[2], 1)]), Some(ids[1]));
    }

    #[test]
    fn definitions_name_every_fault() {
        let e = parse_definition(
            &json!({"type": "field_changed", "kind": "person", "field": "nope"}),
            &json!([["lead_source[zz]", "x"]]),
            &json!([{"type": "send_email"}, {"type": "webhook", "url": "ftp://x"}]),
            &[],
            None,
        )
        .unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["trigger.field", "actions[0].type", "actions[1].url", "conditions[0]"]);
        assert!(e.0[1].message.contains("not available"));
        let d = parse_definition(
            &json!({"type": "field_changed", "kind": "person", "field": "lifecycle_stage", "to": "customer"}),
            &json!([]),
            &json!([{"type": "add_tag", "tag": "customer"}]),
            &[],
            None,
        )
        .unwrap();
        let diff = rec(json!({"lifecycle_stage": {"old": "lead", "new": "customer"}}));
        assert!(d.trigger.fired_by("updated", &diff));
        assert!(!d.trigger.fired_by("updated", &rec(json!({"lifecycle_stage": {"old": "customer", "new": "lead"}}))));
    }

    #[test]
    fn custom_kinds_are_watched_by_their_key() {
        let own = CustomKind { key: "contract".into(), has_status: false };
        let user = "0190a2f0-0000-7000-8000-000000000001";
        let d = parse_definition(
            &json!({"type": "record_created", "kind": "contract"}),
            &json!([]),
            &json!([{"type": "assign", "user_id": user}, {"type": "create_task", "title": "Review"}]),
            &[],
            Some(&own),
        )
        .unwrap();
        assert_eq!((d.kind, d.object_type.as_deref(), d.kind_name()), (Kind::Object, Some("contract"), "contract"));
        assert!(d.watches(Kind::Object, Some("contract")));
        assert!(!d.watches(Kind::Object, Some("project")) && !d.watches(Kind::Deal, None));
        let unknown = parse_definition(
            &json!({"type": "record_created", "kind": "nope"}),
            &json!([]),
            &json!([{"type": "add_tag", "tag": "x"}]),
            &[],
            None,
        )
        .unwrap_err();
        assert_eq!(unknown.0[0].field, "trigger.kind");
        assert!(unknown.0[0].message.contains("'nope'"), "{}", unknown.0[0].message);
        let e = parse_definition(
            &json!({"type": "stage_entered", "kind": "contract", "stage_id": user}),
            &json!([]),
            &json!([{"type": "assign", "rule_id": user}, {"type": "update_field", "field": "stage_id"}, {"type": "update_field", "field": "type", "value": "x"}]),
            &[],
            Some(&own),
        )
        .unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["trigger.type", "actions[0].rule_id", "actions[1].field", "actions[2].field"]);
        let staged = CustomKind { key: "project".into(), has_status: true };
        let d = parse_definition(
            &json!({"type": "stage_entered", "kind": "project", "stage_id": user}),
            &json!([]),
            &json!([{"type": "update_field", "field": "status", "value": "won"}]),
            &[],
            Some(&staged),
        )
        .unwrap();
        assert_eq!(d.trigger_name(), "stage_entered");
    }
}
