//! The columns a list may show for each kind, the default ones, and each cell
//! as the reader sees it: names instead of ids (loaded in one query per related
//! kind, never one per row), dates and money in their locale, `mailto:` and `tel:` links.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, Utc};
use rapport_domain::Kind;
use rapport_domain::custom::{CustomField, CustomType};
use rapport_domain::filter::Column;
use rapport_domain::schema::{self, Access, FieldType};
use rapport_store::pipelines::Pipeline;
use rapport_store::{ListQuery, Record, Scope, Store, StoreError};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::web::frame::Ui;

/// How a column's values are shown.
#[derive(Debug, Clone, PartialEq)]
pub enum Render {
    /// The record's name, linking to its page.
    Primary,
    Text,
    LongText,
    Enum,
    Bool,
    Date,
    DateTime,
    Int,
    Money,
    Ref(Kind),
    Pipeline,
    Stage,
    Strings,
    Emails,
    Phones,
    Email,
    Phone,
    Address,
    Links(Kind),
    Custom(CustomType),
}

#[derive(Debug, Clone)]
pub struct ColDef {
    /// As written in `cols=` (`name`, `custom.region`).
    pub name: String,
    pub label: String,
    /// The sort key of the column, if it can be sorted.
    pub sort: Option<String>,
    pub render: Render,
}

/// The field naming a record, linked to its page.
pub fn primary(kind: Kind) -> &'static str {
    match kind {
        Kind::Task => "title",
        Kind::Activity => "subject",
        _ => "name",
    }
}

pub fn defaults(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Person => &["name", "organizations", "primary_email", "primary_phone", "owner_id", "lifecycle_stage"],
        Kind::Organization => &["name", "industry", "relationship", "phones", "website", "owner_id"],
        Kind::Deal => &["name", "organization_id", "stage_id", "amount", "expected_close_date", "owner_id"],
        Kind::Task => &["title", "due_at", "status", "priority", "assignee_user_id"],
        Kind::Activity => &["subject", "type", "occurred_at", "people", "organizations", "deals"],
        _ => &["name"],
    }
}

pub fn default_sort(kind: Kind) -> &'static str {
    match kind {
        Kind::Deal => "-updated_at",
        Kind::Task => "due_at",
        Kind::Activity => "-occurred_at",
        _ => "name",
    }
}

fn render_of(kind: Kind, name: &str, ty: FieldType) -> Option<Render> {
    if name == primary(kind) {
        return Some(Render::Primary);
    }
    Some(match ty {
        FieldType::Text { .. } | FieldType::Currency => match name {
            "primary_email" => Render::Email,
            "primary_phone" => Render::Phone,
            _ => Render::Text,
        },
        FieldType::LongText => Render::LongText,
        FieldType::Int { .. } => Render::Int,
        FieldType::Bool => Render::Bool,
        FieldType::Date => Render::Date,
        FieldType::DateTime => Render::DateTime,
        FieldType::Enum(_) => Render::Enum,
        FieldType::Ref(k) => Render::Ref(k),
        FieldType::Pipeline => Render::Pipeline,
        FieldType::Stage => Render::Stage,
        FieldType::Strings { .. } => Render::Strings,
        FieldType::Emails => Render::Emails,
        FieldType::Phones => Render::Phones,
        FieldType::Address | FieldType::Addresses => Render::Address,
        FieldType::Links { target, .. } => Render::Links(target),
        // A rule, not a value to read in a column.
        FieldType::Recurrence => return None,
    })
}

/// Every column a kind's list may show, in the order of its fields.
pub fn available(kind: Kind, custom: &[CustomField], ui: &Ui) -> Vec<ColDef> {
    let sort_key = |name: &str| Column::resolve(kind, name, custom).filter(Column::sortable).map(|_| name.to_string());
    let mut out = vec![];
    for f in schema::fields(kind) {
        // People have their primary email and phone as columns; the amount is shown in money.
        let skip = matches!((kind, f.name), (Kind::Person, "emails" | "phones") | (Kind::Deal, "amount_minor"));
        if skip {
            continue;
        }
        let Some(render) = render_of(kind, f.name, f.ty) else { continue };
        let (render, sort) = match (kind, f.name) {
            (Kind::Deal, "amount") => (Render::Money, Some("amount_minor".to_string())),
            _ if f.access == Access::Virtual => continue,
            // Ids sort in no order a reader would understand.
            _ if matches!(render, Render::Ref(_) | Render::Pipeline | Render::Stage) => (render, None),
            _ => (render, sort_key(f.name)),
        };
        out.push(ColDef { name: f.name.to_string(), label: ui.field(kind, f.name), sort, render });
    }
    for name in ["created_at", "updated_at"] {
        out.push(ColDef { name: name.into(), label: ui.field(kind, name), sort: sort_key(name), render: Render::DateTime });
    }
    for c in custom {
        let name = format!("custom.{}", c.key);
        out.push(ColDef { sort: sort_key(&name), name, label: c.label.clone(), render: Render::Custom(c.ty) });
    }
    out
}

/// The columns asked for (`cols=a,b` or repeated), known ones only; the defaults otherwise.
/// The record's name always comes first, so each row links to its page.
pub fn chosen(kind: Kind, all: &[ColDef], asked: &[String]) -> Vec<ColDef> {
    let mut names: Vec<&str> = asked.iter().flat_map(|a| a.split(',')).map(str::trim).filter(|s| !s.is_empty()).collect();
    names.retain(|n| all.iter().any(|c| c.name == *n));
    if names.is_empty() {
        names = defaults(kind).to_vec();
    }
    let p = primary(kind);
    if !names.contains(&p) {
        names.insert(0, p);
    }
    let mut seen = BTreeSet::new();
    names.into_iter().filter(|n| seen.insert(*n)).filter_map(|n| all.iter().find(|c| c.name == n).cloned()).collect()
}

/// Names of the records and users the rows refer to.
#[derive(Default)]
pub struct Names {
    pub users: HashMap<String, String>,
    pub records: HashMap<String, String>,
    pub pipelines: HashMap<String, String>,
    pub stages: HashMap<String, String>,
}

fn ids_in(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(items)) => {
            items.iter().filter_map(|i| i.as_str().or_else(|| i.get("id").and_then(Json::as_str))).map(str::to_string).collect()
        }
        _ => vec![],
    }
}

fn record_name(kind: Kind, r: &Record) -> String {
    let pick = |f: &str| r.get(f).and_then(Json::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    pick(primary(kind)).or_else(|| pick("name")).or_else(|| pick("type")).unwrap_or_default()
}

/// A user of the workspace: id, name, and whether they may still sign in.
pub type UserLine = (String, String, bool);

/// Every user of the workspace (a few hundred at most): for owner names and pickers.
pub async fn users(store: &Store, scope: &Scope) -> Result<Vec<UserLine>, StoreError> {
    let mut q =
        ListQuery { limit: 500, sort: rapport_domain::filter::sort(Kind::User, "name", &[]).ok(), ..ListQuery::default() };
    let mut out = vec![];
    loop {
        let page = store.list(scope, Kind::User, &q).await?;
        for u in &page.items {
            let active = u.get("active").and_then(Json::as_bool).unwrap_or(true);
            let id = u.get("id").and_then(Json::as_str).unwrap_or_default().to_string();
            let name = u.get("name").and_then(Json::as_str).unwrap_or_default().to_string();
            out.push((id, name, active));
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Loads the names the shown columns need: one query per related kind.
pub async fn load_names(
    store: &Store,
    scope: &Scope,
    cols: &[ColDef],
    rows: &[Record],
    users: &[UserLine],
    pipelines: &[Pipeline],
) -> Result<Names, StoreError> {
    let mut names = Names { users: users.iter().map(|(id, name, _)| (id.clone(), name.clone())).collect(), ..Names::default() };
    for p in pipelines {
        names.pipelines.insert(p.id.to_string(), p.name.clone());
        for s in &p.stages {
            let label = if pipelines.len() > 1 { format!("{} · {}", p.name, s.name) } else { s.name.clone() };
            names.stages.insert(s.id.to_string(), label);
        }
    }
    let mut wanted: HashMap<Kind, BTreeSet<Uuid>> = HashMap::new();
    for c in cols {
        let target = match c.render {
            Render::Ref(k) | Render::Links(k) if !matches!(k, Kind::User) => k,
            _ => continue,
        };
        for r in rows {
            let ids = ids_in(r.get(&c.name));
            wanted.entry(target).or_default().extend(ids.iter().filter_map(|i| Uuid::parse_str(i).ok()));
        }
    }
    for (kind, ids) in wanted {
        if ids.is_empty() {
            continue;
        }
        // Records the reader may not see stay unnamed.
        let found = match store.get_many(scope, kind, &ids.into_iter().collect::<Vec<_>>()).await {
            Ok(f) => f,
            Err(StoreError::Forbidden(_)) => vec![],
            Err(e) => return Err(e),
        };
        for r in found {
            if let Some(id) = r.get("id").and_then(Json::as_str) {
                names.records.insert(id.to_string(), record_name(kind, &r));
            }
        }
    }
    Ok(names)
}

/// One piece of a cell: text, maybe a link.
pub struct Part {
    pub text: String,
    pub href: Option<String>,
}

pub struct Cell {
    pub label: String,
    pub parts: Vec<Part>,
    /// `overdue`, `num`, or empty.
    pub class: &'static str,
    /// A word said before the value, so that colour is never the only cue ("Overdue").
    pub flag: Option<String>,
}

fn text_of(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Array(items) => items.iter().map(text_of).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", "),
        _ => String::new(),
    }
}

fn plain(text: String) -> Vec<Part> {
    if text.is_empty() { vec![] } else { vec![Part { text, href: None }] }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { s.chars().take(max).collect::<String>() + "…" }
}

/// A `tel:` URL: digits and a leading `+` only.
pub fn tel(number: &str) -> String {
    let digits: String = number.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    format!("tel:{digits}")
}

/// A cell as the reader sees it.
pub fn cell(kind: Kind, c: &ColDef, r: &Record, names: &Names, ui: &Ui) -> Cell {
    let raw = match c.name.strip_prefix("custom.") {
        Some(key) => r.get("custom").and_then(|o| o.get(key)).cloned().unwrap_or(Json::Null),
        None => r.get(&c.name).cloned().unwrap_or(Json::Null),
    };
    let s = raw.as_str().unwrap_or_default();
    let mut class = "";
    let mut flag = None;
    let named = |ids: Vec<String>, link: Option<Kind>| -> Vec<Part> {
        ids.into_iter()
            .filter_map(|id| {
                let text = names.records.get(&id).or_else(|| names.users.get(&id)).cloned()?;
                let href = link.map(|k| format!("/{}/{id}", k.collection()));
                Some(Part { text, href })
            })
            .collect()
    };
    let parts = match &c.render {
        Render::Primary => {
            let id = r.get("id").and_then(Json::as_str).unwrap_or_default();
            let mut text = s.to_string();
            if text.trim().is_empty() {
                text = match kind {
                    Kind::Activity => ui.value("type", r.get("type").and_then(Json::as_str).unwrap_or_default()),
                    _ => ui.t("lists-unnamed"),
                };
            }
            vec![Part { text, href: Some(format!("/{}/{id}", kind.collection())) }]
        }
        Render::Text => plain(s.to_string()),
        Render::LongText => plain(shorten(s, 120)),
        Render::Enum => plain(if s.is_empty() { String::new() } else { ui.value(&c.name, s) }),
        Render::Bool => match raw.as_bool() {
            Some(true) => plain(ui.t("yes")),
            Some(false) => plain(ui.t("no")),
            None => vec![],
        },
        Render::Date => plain(NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| ui.fmt.date(&d)).unwrap_or_default()),
        Render::DateTime => {
            if c.name == "due_at" && kind == Kind::Task {
                let due = rapport_domain::validate::parse_datetime(s);
                let open = matches!(r.get("status").and_then(Json::as_str), Some("open" | "in_progress") | None);
                if open && due.is_some_and(|d| d < Utc::now()) {
                    class = "overdue";
                    flag = Some(ui.t("lists-overdue"));
                }
            }
            plain(ui.when(&raw))
        }
        Render::Int => {
            class = "num";
            plain(raw.as_i64().map(|n| ui.number(&n)).unwrap_or_default())
        }
        Render::Money => {
            class = "num";
            let cur = r.get("currency").and_then(Json::as_str).unwrap_or(&ui.currency).to_string();
            plain(r.get("amount_minor").and_then(Json::as_i64).map(|m| ui.money(&m, &cur)).unwrap_or_default())
        }
        Render::Ref(Kind::User) => plain(names.users.get(s).cloned().unwrap_or_default()),
        Render::Ref(k) => {
            let link = matches!(k, Kind::Organization | Kind::Person | Kind::Deal).then_some(*k);
            named(ids_in(Some(&raw)), link)
        }
        Render::Links(k) => named(ids_in(Some(&raw)), Some(*k)),
        Render::Pipeline => plain(names.pipelines.get(s).cloned().unwrap_or_default()),
        Render::Stage => plain(names.stages.get(s).cloned().unwrap_or_default()),
        Render::Strings => plain(text_of(&raw)),
        Render::Email => {
            if s.is_empty() {
                vec![]
            } else {
                vec![Part { text: s.to_string(), href: Some(format!("mailto:{s}")) }]
            }
        }
        Render::Phone => {
            if s.is_empty() {
                vec![]
            } else {
                vec![Part { text: s.to_string(), href: Some(tel(s)) }]
            }
        }
        Render::Emails => raw
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("address").and_then(Json::as_str))
            .map(|a| Part { text: a.to_string(), href: Some(format!("mailto:{a}")) })
            .collect(),
        Render::Phones => raw
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("number").and_then(Json::as_str))
            .map(|n| Part { text: n.to_string(), href: Some(tel(n)) })
            .collect(),
        Render::Address => {
            let first = match &raw {
                Json::Array(items) => items.first().cloned().unwrap_or(Json::Null),
                other => other.clone(),
            };
            let bits: Vec<String> =
                ["city", "country"].iter().filter_map(|k| first.get(*k).and_then(Json::as_str)).map(str::to_string).collect();
            plain(bits.join(", "))
        }
        Render::Custom(ty) => match ty {
            CustomType::Rating => plain(text_of(&raw)),
            _ => {
                let def = rapport_domain::custom::CustomField { ty: *ty, ..Default::default() };
                let text = shorten(&crate::web::custom::display(ui, &def, &raw), 120);
                match crate::web::custom::href(&def, &raw) {
                    Some(href) if !text.is_empty() => vec![Part { text, href: Some(href) }],
                    _ => plain(text),
                }
            }
        },
    };
    Cell { label: c.label.clone(), parts, class, flag }
}
