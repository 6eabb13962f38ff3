//! Custom record kinds in the web UI: the settings page where admins define
//! them and their fields, and for each kind a list page (search, stage filter,
//! relation filters, sort, columns, paging), a record page (fields, stage,
//! related records, timeline, logging a call or note, a follow-up task) and a
//! create form. Everything goes through the same store calls as the API.
//! Routes: /settings/kinds..., /objects/{type}... (with /objects/{type}/export), /object/{id}.

// Handlers' helpers answer with the page to send when they cannot go on.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use rapport_domain::custom::{CustomField, CustomType};
use rapport_domain::{FieldError, Kind, ValidationErrors};
use rapport_io::RowKind;
use rapport_store::custom_fields::FieldPatch;
use rapport_store::object_types::{ObjectType, ObjectTypeInput, RELATION_TARGETS, SHOWABLE};
use rapport_store::{ListQuery, Record, Scope, StoreError, WriteOptions};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::frame::{App, Ui, urlencode};
use super::home::text;
use super::records::label;
use super::records::timeline::{Entry, entry};
use super::settings::{Problems, admin, admin_post};
use super::{Fields, csrf_refused, message, page, see_other, store_failure};
use crate::AppState;
use crate::api::records::list_query_with;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/kinds", get(kinds_page).post(kind_create))
        .route("/settings/kinds/{key}", get(kind_page).post(kind_save))
        .route("/settings/kinds/{key}/fields", post(field_add))
        .route("/settings/kinds/{key}/fields/{field}", post(field_save))
        .route("/settings/kinds/{key}/fields/{field}/delete", post(|s, a, p, f| field_act(s, a, p, f, FieldAct::Delete)))
        .route("/settings/kinds/{key}/fields/{field}/restore", post(|s, a, p, f| field_act(s, a, p, f, FieldAct::Restore)))
        .route(
            "/settings/kinds/{key}/fields/{field}/purge",
            get(field_purge_confirm).post(|s, a, p, f| field_act(s, a, p, f, FieldAct::Purge)),
        )
        .route("/settings/kinds/{key}/delete", post(kind_delete))
        .route("/object/{id}", get(find))
        .route("/objects/{ty}", get(list))
        .route("/objects/{ty}/new", get(new_form).post(create))
        .route("/objects/{ty}/export", get(export))
        .route("/objects/{ty}/{id}", get(show).post(save))
        .route("/objects/{ty}/{id}/log", post(log))
        .route("/objects/{ty}/{id}/follow-up", post(follow_up))
        .route("/objects/{ty}/{id}/delete", post(delete))
}

// ---- settings ------------------------------------------------------------

#[derive(Template)]
#[template(path = "web/settings_kinds.html")]
struct KindsPage {
    ui: Ui,
    tab: &'static str,
    kinds: Vec<(String, String, String)>,
    problems: Problems,
    form: Fields,
}

#[derive(Template)]
#[template(path = "web/settings_kind.html")]
struct KindPage {
    ui: Ui,
    tab: &'static str,
    kind: ObjectType,
    /// (value, label, in list, on record page)
    shown: Vec<(String, String, bool, bool)>,
    /// Each field with its type's name.
    fields: Vec<(CustomField, String)>,
    /// Deleted fields, restorable until purged, with their types' names.
    deleted: Vec<(CustomField, String)>,
    retention_days: i64,
    types: Vec<(String, String)>,
    targets: Vec<(String, String)>,
    problems: Problems,
}

fn type_name(ui: &Ui, ty: CustomType) -> String {
    let raw = serde_json::to_value(ty).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    ui.t(&format!("objects-type-{}", raw.replace('_', "-")))
}

const FIELD_TYPES: [CustomType; 11] = [
    CustomType::Text,
    CustomType::LongText,
    CustomType::Number,
    CustomType::Boolean,
    CustomType::Date,
    CustomType::DateTime,
    CustomType::Select,
    CustomType::MultiSelect,
    CustomType::Email,
    CustomType::Url,
    CustomType::Relation,
];

fn failure_problems(ui: &Ui, e: StoreError) -> Result<Problems, Response> {
    Problems::from_store(ui, e)
}

/// A refused record of a custom kind: each field's problem worded from what
/// the field expects (see [`super::custom::refused`]).
fn record_problems(ui: &Ui, kind: &ObjectType, e: StoreError) -> Result<Problems, Response> {
    match e {
        StoreError::Invalid(v) => {
            let mut p = Problems::default();
            for e in &v.0 {
                p.add(&e.field, super::custom::refused(ui, &kind.fields, &e.into()));
            }
            Ok(p)
        }
        other => Problems::from_store(ui, other),
    }
}

async fn kinds_view(state: &AppState, app: App, problems: Problems, form: Fields, status: StatusCode) -> Response {
    let kinds = match state.store.object_types(&app.scope).await {
        Ok(k) => k,
        Err(e) => return store_failure(e),
    };
    let rows = kinds
        .into_iter()
        .map(|k| {
            let status = if k.has_status { app.ui.t("objects-has-status") } else { String::new() };
            (k.key, k.plural, status)
        })
        .collect();
    page(status, &KindsPage { ui: app.ui, tab: "kinds", kinds: rows, problems, form }, &[])
}

pub async fn kinds_page(State(state): State<AppState>, app: App) -> Response {
    match admin(app) {
        Ok(app) => kinds_view(&state, app, Problems::default(), Fields(vec![]), StatusCode::OK).await,
        Err(r) => r,
    }
}

pub async fn kind_create(State(state): State<AppState>, app: App, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let key = fields.text("key").trim().to_string();
    let input = ObjectTypeInput {
        key: Some(key.clone()),
        singular: Some(fields.text("singular")),
        plural: Some(fields.text("plural")),
        has_status: Some(fields.get("has_status").is_some()),
        ..ObjectTypeInput::default()
    };
    match state.store.create_object_type(&app.scope, &input).await {
        Ok(_) => see_other(&format!("/settings/kinds/{}", urlencode(&key)), &[]),
        Err(e) => match failure_problems(&app.ui, e) {
            Ok(p) => kinds_view(&state, app, p, fields, StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(r) => r,
        },
    }
}

async fn kind_view(state: &AppState, app: App, key: &str, problems: Problems, status: StatusCode) -> Response {
    let kind = match state.store.object_type(&app.scope, key).await {
        Ok(k) => k,
        Err(e) => return store_failure(e),
    };
    let ui = &app.ui;
    let mut shown: Vec<(String, String, bool, bool)> = SHOWABLE
        .iter()
        .filter(|c| kind.has_status || !matches!(**c, "stage_id" | "status"))
        .map(|c| (c.to_string(), ui.field(Kind::Object, c)))
        .chain(kind.fields.iter().map(|f| (format!("custom.{}", f.key), f.label.clone())))
        .map(|(v, l)| {
            let (in_list, on_page) = (kind.list_fields.contains(&v), kind.record_fields.contains(&v));
            (v, l, in_list, on_page)
        })
        .collect();
    // What is shown first, in its order.
    shown.sort_by_key(|(v, ..)| kind.list_fields.iter().position(|x| x == v).unwrap_or(usize::MAX));
    let fields = kind.fields.iter().map(|f| (f.clone(), type_name(ui, f.ty))).collect();
    let deleted = match state.store.object_fields_all(&app.scope, key).await {
        Ok(all) => {
            all.into_iter().filter(CustomField::is_deleted).map(|f| (type_name(ui, f.ty), f)).map(|(n, f)| (f, n)).collect()
        }
        Err(e) => return store_failure(e),
    };
    let types = FIELD_TYPES
        .iter()
        .map(|t| {
            (serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(), type_name(ui, *t))
        })
        .collect();
    let others = state.store.object_type_names(&app.scope).await.unwrap_or_default();
    let targets = RELATION_TARGETS.iter().map(|k| (k.as_str().to_string(), ui.kinds(*k))).chain(others).collect();
    let retention_days = rapport_store::custom_fields::RETENTION_DAYS;
    let p = KindPage { ui: app.ui, tab: "kinds", kind, shown, fields, deleted, retention_days, types, targets, problems };
    page(status, &p, &[])
}

pub async fn kind_page(State(state): State<AppState>, app: App, Path(key): Path<String>) -> Response {
    match admin(app) {
        Ok(app) => kind_view(&state, app, &key, Problems::default(), StatusCode::OK).await,
        Err(r) => r,
    }
}

/// Shows the page again with the problems, or goes back to it.
async fn after(state: &AppState, app: App, key: &str, r: Result<(), StoreError>) -> Response {
    match r {
        Ok(()) => see_other(&format!("/settings/kinds/{}", urlencode(key)), &[]),
        Err(e) => match failure_problems(&app.ui, e) {
            Ok(p) => kind_view(state, app, key, p, StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(r) => r,
        },
    }
}

pub async fn kind_save(State(state): State<AppState>, app: App, Path(key): Path<String>, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input = ObjectTypeInput {
        singular: Some(fields.text("singular")),
        plural: Some(fields.text("plural")),
        has_status: fields.get("has_status").map(|_| true),
        list_fields: Some(fields.all("list")),
        record_fields: Some(fields.all("record")),
        ..ObjectTypeInput::default()
    };
    let version = fields.get("version").and_then(|v| v.parse().ok());
    let r = state.store.update_object_type(&app.scope, &key, &input, version).await.map(|_| ());
    after(&state, app, &key, r).await
}

pub async fn field_add(State(state): State<AppState>, app: App, Path(key): Path<String>, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let ty: Option<CustomType> = serde_json::from_value(json!(fields.text("type"))).ok();
    let Some(ty) = ty else {
        let p = Problems::from_validation(&app.ui, &ValidationErrors::single("type", "invalid", "choose a type"));
        return kind_view(&state, app, &key, p, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let relation = ty == CustomType::Relation;
    let def = CustomField {
        key: fields.text("key").trim().to_string(),
        label: fields.text("label"),
        ty,
        required: fields.get("required").is_some(),
        options: fields.text("options").split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_string).collect(),
        target: relation.then(|| fields.text("target")),
        many: relation && fields.get("many").is_some(),
        ..Default::default()
    };
    let r = state.store.create_object_field(&app.scope, &key, &def).await.map(|_| ());
    after(&state, app, &key, r).await
}

/// Label, help text, required and type; the version the form was drawn with
/// refuses a stale save. A type the values do not convert to is refused with them listed.
pub async fn field_save(
    State(state): State<AppState>,
    app: App,
    Path((key, field)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let ty: Option<CustomType> = fields.get("type").and_then(|t| serde_json::from_value(json!(t)).ok());
    let patch = FieldPatch {
        label: Some(fields.text("label")),
        ty,
        required: Some(fields.get("required").is_some()),
        help: Some(Some(fields.text("help").trim().to_string()).filter(|h| !h.is_empty())),
        ..FieldPatch::default()
    };
    let r = state.store.update_object_field(&app.scope, &key, &field, &patch, form_version(&fields)).await;
    match r {
        Err(StoreError::NotConvertible { total, records, .. }) => {
            let shown = |v: &Json| v.as_str().map_or_else(|| v.to_string(), str::to_string);
            let listed: Vec<String> = records.iter().map(|r| format!("{} ({})", shown(&r.value), r.reason)).collect();
            let text = app.ui.t2("settings-field-not-convertible", "count", &total.to_string(), "values", &listed.join("; "));
            kind_view(&state, app, &key, Problems::one(text), StatusCode::CONFLICT).await
        }
        r => after(&state, app, &key, r.map(|_| ())).await,
    }
}

fn form_version(fields: &Fields) -> Option<i64> {
    fields.get("version").and_then(|v| v.parse().ok())
}

/// What the forms of a kind's field do besides saving it.
#[derive(Clone, Copy)]
enum FieldAct {
    /// Softly: it leaves the pages, its values stay until it is purged.
    Delete,
    Restore,
    Purge,
}

async fn field_act(
    State(state): State<AppState>,
    app: App,
    Path((key, field)): Path<(String, String)>,
    fields: Fields,
    act: FieldAct,
) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (store, scope, v) = (&state.store, &app.scope, form_version(&fields));
    let r = match act {
        FieldAct::Delete => store.delete_object_field(scope, &key, &field, v).await,
        FieldAct::Restore => store.restore_object_field(scope, &key, &field, v).await.map(|_| ()),
        FieldAct::Purge => store.purge_object_field(scope, &key, &field).await.map(|_| ()),
    };
    after(&state, app, &key, r).await
}

/// Asks before a purge, which cannot be undone.
pub async fn field_purge_confirm(
    State(state): State<AppState>,
    app: App,
    Path((key, field)): Path<(String, String)>,
) -> Response {
    let app = match admin(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let all = match state.store.object_fields_all(&app.scope, &key).await {
        Ok(all) => all,
        Err(e) => return store_failure(e),
    };
    let Some(def) = all.into_iter().find(|f| f.key == field && f.is_deleted()) else {
        return store_failure(StoreError::NotFound);
    };
    let ui = app.ui;
    let back = format!("/settings/kinds/{}", urlencode(&key));
    let c = super::settings::fields::Confirm {
        title: ui.t1("settings-field-purge-title", "name", &def.label),
        text: ui.t("settings-field-purge-text"),
        action: format!("{back}/fields/{}/purge", urlencode(&field)),
        back,
        version: def.version,
        problems: Problems::default(),
        tab: "kinds",
        ui,
    };
    page(StatusCode::OK, &c, &[])
}

pub async fn kind_delete(State(state): State<AppState>, app: App, Path(key): Path<String>, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match state.store.delete_object_type(&app.scope, &key, None).await {
        Ok(()) => see_other("/settings/kinds", &[]),
        Err(e) => match failure_problems(&app.ui, e) {
            Ok(p) => kind_view(&state, app, &key, p, StatusCode::CONFLICT).await,
            Err(r) => r,
        },
    }
}

// ---- values as shown and as typed -----------------------------------------

/// Names of the records relation fields point at, by id.
async fn relation_names(state: &AppState, scope: &Scope, kind: &ObjectType, records: &[Record]) -> HashMap<String, String> {
    let mut wanted: BTreeMap<Kind, Vec<Uuid>> = BTreeMap::new();
    for f in &kind.fields {
        let Some(target) = f.relation_kind() else { continue };
        for r in records {
            if let Some(v) = r.get("custom").and_then(|c| c.get(&f.key)) {
                wanted.entry(target).or_default().extend(rapport_domain::custom::relation_ids(v));
            }
        }
    }
    let mut out = HashMap::new();
    for (target, ids) in wanted {
        for r in state.store.get_many(scope, target, &ids).await.unwrap_or_default() {
            out.insert(text(&r, "id"), label(target, &r));
        }
    }
    out
}

/// Where a record of a kind is shown.
fn href(kind: Kind, r: &Record) -> String {
    match kind {
        Kind::Object => format!("/objects/{}/{}", urlencode(&text(r, "type")), text(r, "id")),
        k => format!("/{}/{}", k.collection(), text(r, "id")),
    }
}

pub struct Cell {
    pub text: String,
    pub href: Option<String>,
}

struct Names<'a> {
    users: &'a HashMap<String, String>,
    related: &'a HashMap<String, String>,
    stages: HashMap<String, String>,
}

fn cell(ui: &Ui, kind: &ObjectType, names: &Names<'_>, r: &Record, column: &str) -> Cell {
    let plain = |t: String| Cell { text: t, href: None };
    if let Some(key) = column.strip_prefix("custom.") {
        let v = r.get("custom").and_then(|c| c.get(key)).cloned().unwrap_or(Json::Null);
        let Some(def) = kind.field(key) else { return plain(String::new()) };
        if let Some(target) = def.relation_kind() {
            let ids = rapport_domain::custom::relation_ids(&v);
            let shown: Vec<String> = ids.iter().map(|u| names.related.get(&u.to_string()).cloned().unwrap_or_default()).collect();
            let link = (ids.len() == 1 && target != Kind::Object).then(|| format!("/{}/{}", target.collection(), ids[0]));
            return Cell { text: shown.join(", "), href: link };
        }
        // As on record pages: money, numbers and dates in the reader's locale;
        // emails, phones and web addresses as links.
        let text = crate::web::custom::display(ui, def, &v);
        let href = crate::web::custom::href(def, &v).filter(|_| !text.is_empty());
        return Cell { text, href };
    }
    match column {
        "name" => Cell { text: text(r, "name"), href: Some(href(Kind::Object, r)) },
        "owner_id" => plain(names.users.get(&text(r, "owner_id")).cloned().unwrap_or_default()),
        "stage_id" => plain(names.stages.get(&text(r, "stage_id")).cloned().unwrap_or_default()),
        "status" => plain(if text(r, "status").is_empty() { String::new() } else { ui.value("status", &text(r, "status")) }),
        "tags" => plain(
            r.get("tags").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).collect::<Vec<_>>().join(", "),
        ),
        c => plain(r.get(c).map(|v| ui.when(v)).unwrap_or_default()),
    }
}

fn column_label(ui: &Ui, kind: &ObjectType, column: &str) -> String {
    match column.strip_prefix("custom.") {
        Some(k) => kind.field(k).map(|f| f.label.clone()).unwrap_or_default(),
        None => ui.field(Kind::Object, column),
    }
}

fn stage_names(kind: &ObjectType) -> HashMap<String, String> {
    kind.pipeline.iter().flat_map(|p| p.stages.iter()).map(|s| (s.id.to_string(), s.name.clone())).collect()
}

/// One input of the record form.
pub struct Input {
    pub name: String,
    pub label: String,
    /// text, textarea, number, date, datetime-local, checkbox, email, url, select
    pub input: &'static str,
    pub value: String,
    pub checked: bool,
    pub multiple: bool,
    pub required: bool,
    /// (value, label, selected)
    pub options: Vec<(String, String, bool)>,
    pub error: Option<String>,
}

/// Records a relation may point at, for its select.
async fn candidates(state: &AppState, scope: &Scope, def: &CustomField) -> Vec<(String, String)> {
    let Some(target) = def.relation_kind() else { return vec![] };
    let mut q = ListQuery { limit: 200, sort: super::home::sort(target, "-updated_at"), ..ListQuery::default() };
    if target == Kind::Object {
        q.filter = super::home::all_of(Kind::Object, &[("type", "eq", def.target.as_deref().unwrap_or_default())]);
    }
    let page = state.store.list(scope, target, &q).await.map(|p| p.items).unwrap_or_default();
    page.iter().map(|r| (text(r, "id"), label(target, r))).collect()
}

/// The form's inputs, filled from a record (or what was typed).
async fn inputs(
    state: &AppState,
    scope: &Scope,
    ui: &Ui,
    kind: &ObjectType,
    r: &Record,
    typed: Option<&Fields>,
    problems: &Problems,
) -> Vec<Input> {
    let custom = r.get("custom").cloned().unwrap_or(Json::Null);
    let mut out = vec![Input {
        name: "name".into(),
        label: ui.field(Kind::Object, "name"),
        input: "text",
        value: typed.map(|f| f.text("name")).unwrap_or_else(|| text(r, "name")),
        checked: false,
        multiple: false,
        required: true,
        options: vec![],
        error: problems.get("name").cloned(),
    }];
    if let Some(p) = &kind.pipeline {
        let current = typed.map(|f| f.text("stage_id")).unwrap_or_else(|| text(r, "stage_id"));
        out.push(Input {
            name: "stage_id".into(),
            label: ui.field(Kind::Object, "stage_id"),
            input: "select",
            value: current.clone(),
            checked: false,
            multiple: false,
            required: false,
            options: p.stages.iter().map(|s| (s.id.to_string(), s.name.clone(), s.id.to_string() == current)).collect(),
            error: problems.get("stage_id").cloned(),
        });
    }
    for def in &kind.fields {
        let name = format!("custom.{}", def.key);
        let stored = custom.get(&def.key).cloned().unwrap_or(Json::Null);
        let values: Vec<String> = match typed {
            Some(f) => f.all(&name),
            None => match &stored {
                Json::Array(items) => items.iter().filter_map(Json::as_str).map(str::to_string).collect(),
                Json::String(s) if def.ty == CustomType::DateTime => {
                    rapport_domain::validate::parse_datetime(s).map(|t| ui.fmt.input_datetime(&t)).into_iter().collect()
                }
                Json::String(s) => vec![s.clone()],
                Json::Number(n) => vec![n.to_string()],
                Json::Bool(true) => vec!["true".into()],
                // An amount as it is typed (`2500.00 EUR`): left empty, saving the form would erase it.
                Json::Object(_) if def.ty == CustomType::Money => vec![rapport_domain::custom::to_text(def.ty, &stored)],
                _ => vec![],
            },
        };
        let first = values.first().cloned().unwrap_or_default();
        let (input, options) = match def.ty {
            CustomType::Relation => ("select", candidates(state, scope, def).await),
            CustomType::Select | CustomType::MultiSelect => {
                ("select", def.options.iter().map(|o| (o.clone(), o.clone())).collect())
            }
            CustomType::LongText => ("textarea", vec![]),
            CustomType::Number | CustomType::Percent | CustomType::Rating => ("number", vec![]),
            CustomType::Phone => ("tel", vec![]),
            CustomType::Money => ("text", vec![]),
            CustomType::Date => ("date", vec![]),
            CustomType::DateTime => ("datetime-local", vec![]),
            CustomType::Boolean => ("checkbox", vec![]),
            CustomType::Email => ("email", vec![]),
            CustomType::Url => ("url", vec![]),
            CustomType::Text => ("text", vec![]),
        };
        let multiple = def.many || def.ty == CustomType::MultiSelect;
        out.push(Input {
            label: def.label.clone(),
            input,
            checked: first == "true",
            multiple,
            required: def.required,
            options: options.into_iter().map(|(v, l)| (v.clone(), l, values.contains(&v))).collect(),
            value: first,
            error: problems.get(&name).cloned(),
            name,
        });
    }
    out
}

/// The record's JSON from the form, each value typed per its field.
fn from_form(ui: &Ui, kind: &ObjectType, f: &Fields) -> Map<String, Json> {
    let mut out = Map::new();
    out.insert("name".into(), json!(f.text("name").trim()));
    if kind.has_status && !f.text("stage_id").is_empty() {
        out.insert("stage_id".into(), json!(f.text("stage_id")));
    }
    let mut custom = Map::new();
    for def in &kind.fields {
        let name = format!("custom.{}", def.key);
        // Browsers leave unticked boxes and empty multiple selects out of a form;
        // any other field a form does not carry is left as it is, not erased.
        let listed =
            def.ty == CustomType::Boolean || def.ty == CustomType::MultiSelect || (def.ty == CustomType::Relation && def.many);
        if f.get(&name).is_none() && !listed {
            continue;
        }
        let raw = f.text(&name).trim().to_string();
        let v = match def.ty {
            CustomType::Boolean => json!(f.get(&name).is_some()),
            CustomType::MultiSelect => json!(f.all(&name).into_iter().filter(|v| !v.is_empty()).collect::<Vec<_>>()),
            CustomType::Relation if def.many => json!(f.all(&name).into_iter().filter(|v| !v.is_empty()).collect::<Vec<_>>()),
            _ if raw.is_empty() => Json::Null,
            CustomType::Number => raw.parse::<f64>().map(|n| json!(n)).unwrap_or(json!(raw)),
            // `2500.00`, `2500.00 EUR`: in the workspace's currency unless one is named.
            CustomType::Money => money_of(ui, def, &raw),
            CustomType::DateTime => {
                ui.fmt.parse_input_datetime(&raw).map(|t| json!(rapport_domain::value::format_datetime(&t))).unwrap_or(json!(raw))
            }
            _ => json!(raw),
        };
        custom.insert(def.key.clone(), v);
    }
    out.insert("custom".into(), Json::Object(custom));
    out
}

/// An amount typed in a form as the store takes it; what does not read as
/// one goes to the store as typed, which says why it is refused.
fn money_of(ui: &Ui, def: &CustomField, raw: &str) -> Json {
    let Some(region) = rapport_domain::contact::parse_region("US") else { return json!(raw) };
    let ctx = rapport_domain::custom::ValueContext { region, currency: &ui.currency };
    rapport_domain::custom::parse_text(&CustomField { required: false, ..def.clone() }, raw, &ctx).unwrap_or_else(|_| json!(raw))
}

// ---- pages -----------------------------------------------------------------

async fn kind_of(state: &AppState, app: &App, ty: &str) -> Result<ObjectType, Response> {
    state.store.object_type(&app.scope, ty).await.map_err(store_failure)
}

async fn users(state: &AppState, scope: &Scope) -> HashMap<String, String> {
    super::settings::users::names(state, scope).await.unwrap_or_default().into_iter().collect()
}

#[derive(Template)]
#[template(path = "web/objects_list.html")]
struct ListPage {
    ui: Ui,
    kind: ObjectType,
    /// (column, label, sort link, aria-sort)
    columns: Vec<(String, String, Option<String>, &'static str)>,
    rows: Vec<Vec<Cell>>,
    q: String,
    stage: String,
    stages: Vec<(String, String)>,
    filtered: bool,
    next: Option<String>,
    errors: Vec<String>,
    /// (link, format's name)
    exports: Vec<(String, String)>,
    can_import: bool,
}

pub async fn list(
    State(state): State<AppState>,
    mut app: App,
    Path(ty): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let kind = match kind_of(&state, &app, &ty).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    app.ui.kind_section = kind.key.clone();
    let sort = sort_of(&params);
    let mut errors = vec![];
    let mut page_items = vec![];
    let mut next = None;
    match list_query(&kind, &params, &sort) {
        Err(e) => errors = error_lines(&app.ui, &kind, &e),
        Ok(mut q) => {
            let of_kind = super::home::all_of(Kind::Object, &[("type", "eq", &kind.key)]);
            q.filter = rapport_domain::filter::Filter::All(vec![of_kind, q.filter]);
            match state.store.list(&app.scope, Kind::Object, &q).await {
                Ok(p) => {
                    page_items = p.items;
                    next = p.next_cursor.map(|c| {
                        let mut keep: Vec<String> = params
                            .iter()
                            .filter(|(k, _)| k != "cursor")
                            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
                            .collect();
                        keep.push(format!("cursor={}", urlencode(&c)));
                        format!("/objects/{}?{}", urlencode(&kind.key), keep.join("&"))
                    });
                }
                Err(StoreError::Invalid(v)) => errors.extend(error_lines(&app.ui, &kind, &v.0)),
                Err(e) => return store_failure(e),
            }
        }
    }
    let user_names = users(&state, &app.scope).await;
    let related = relation_names(&state, &app.scope, &kind, &page_items).await;
    let names = Names { users: &user_names, related: &related, stages: stage_names(&kind) };
    let base: Vec<String> = params
        .iter()
        .filter(|(k, _)| k != "sort" && k != "cursor")
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    let columns = kind
        .list_fields
        .iter()
        .map(|c| {
            let sortable = !c.starts_with("custom.")
                || kind
                    .field(&c["custom.".len()..])
                    .is_some_and(|f| !matches!(f.ty, CustomType::Relation | CustomType::MultiSelect | CustomType::LongText));
            let sortable = sortable && c != "tags";
            let (aria, flip) = if sort == *c {
                ("ascending", format!("-{c}"))
            } else if sort == format!("-{c}") {
                ("descending", c.clone())
            } else {
                ("none", c.clone())
            };
            let mut q = base.clone();
            q.push(format!("sort={}", urlencode(&flip)));
            let link = sortable.then(|| format!("/objects/{}?{}", urlencode(&kind.key), q.join("&")));
            (c.clone(), column_label(&app.ui, &kind, c), link, aria)
        })
        .collect();
    let rows = page_items.iter().map(|r| kind.list_fields.iter().map(|c| cell(&app.ui, &kind, &names, r, c)).collect()).collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let stages = kind.pipeline.iter().flat_map(|p| p.stages.iter()).map(|s| (s.id.to_string(), s.name.clone())).collect();
    let filtered = params.iter().any(|(k, v)| !v.is_empty() && k != "sort" && k != "cursor");
    // The whole list as it is searched, filtered and sorted, every page of it.
    let kept: Vec<String> = params
        .iter()
        .filter(|(k, v)| !v.is_empty() && k != "cursor" && k != "format")
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    let exports = [("csv", "lists-format-csv"), ("json", "lists-format-json")]
        .into_iter()
        .map(|(format, label)| {
            let mut q = kept.clone();
            q.push(format!("format={format}"));
            (format!("/objects/{}/export?{}", urlencode(&kind.key), q.join("&")), app.ui.t(label))
        })
        .collect();
    let can_import = state.store.check_import(&app.scope, Kind::Object).is_ok();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let p = ListPage {
        q: get("q"),
        stage: get("stage_id"),
        ui: app.ui,
        kind,
        columns,
        rows,
        stages,
        filtered,
        next,
        errors,
        exports,
        can_import,
    };
    page(status, &p, &[])
}

/// The sort a list URL asks for: the latest change first unless it says.
fn sort_of(params: &[(String, String)]) -> String {
    params.iter().find(|(k, _)| k == "sort").map(|(_, v)| v.clone()).unwrap_or_else(|| "-updated_at".into())
}

/// The query of a kind's list URL (search, filters, sort, cursor), read as
/// the API reads it; what it refuses, by parameter. It does not name the kind.
fn list_query(kind: &ObjectType, params: &[(String, String)], sort: &str) -> Result<ListQuery, Vec<FieldError>> {
    let mut api: Vec<(String, String)> = params.iter().filter(|(k, v)| !v.is_empty() && k != "sort").cloned().collect();
    api.push(("sort".into(), sort.to_string()));
    list_query_with(Kind::Object, &kind.fields, &api).map_err(|p| p.errors)
}

/// What a kind's list URL was refused for, as sentences from the catalog,
/// each after the label of the field it filters on (or the parameter's name).
fn error_lines(ui: &Ui, kind: &ObjectType, errors: &[FieldError]) -> Vec<String> {
    errors
        .iter()
        .map(|e| {
            let param = e.field.split('[').next().unwrap_or("");
            let label = match column_label(ui, kind, param) {
                l if l.is_empty() || param.is_empty() => param.to_string(),
                l => l,
            };
            ui.t2("lists-error-param", "param", &label, "message", &ui.catalog.invalid(e))
        })
        .collect()
}

/// `GET /objects/{type}/export?format=csv|json&...`: every record the list
/// shows with the same search, filters and sort, as a file.
pub async fn export(
    State(state): State<AppState>,
    app: App,
    Path(ty): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let kind = match kind_of(&state, &app, &ty).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let format = params.iter().find(|(k, _)| k == "format").map_or("csv", |(_, v)| v.as_str()).to_string();
    let rest: Vec<(String, String)> =
        params.into_iter().filter(|(k, _)| !matches!(k.as_str(), "format" | "cursor" | "limit")).collect();
    let back = format!("/objects/{}", urlencode(&kind.key));
    match list_query(&kind, &rest, &sort_of(&rest)) {
        Err(errors) => {
            let ui = &app.ui;
            let text = error_lines(ui, &kind, &errors).join(" ");
            message(StatusCode::BAD_REQUEST, &ui.t("lists-export-failed"), &text, &back, &ui.t("lists-back"))
        }
        Ok(q) => {
            let rows = RowKind::of_object_type(kind);
            super::lists::export_rows(&state, &app, &rows, &format, q, &back).await
        }
    }
}

#[derive(Template)]
#[template(path = "web/objects_record.html")]
struct RecordPage {
    ui: Ui,
    kind: ObjectType,
    /// The record's id; empty on the create form.
    id: String,
    version: i64,
    name: String,
    facts: Vec<(String, Cell)>,
    inputs: Vec<Input>,
    problems: Problems,
    related: Vec<(String, Cell)>,
    timeline: Vec<Entry>,
}

async fn record_view(
    state: &AppState,
    mut app: App,
    kind: ObjectType,
    rec: Record,
    typed: Option<&Fields>,
    problems: Problems,
    status: StatusCode,
) -> Response {
    app.ui.kind_section = kind.key.clone();
    let id = text(&rec, "id");
    let mut related = vec![];
    let mut timeline = vec![];
    let mut facts = vec![];
    let user_names = users(state, &app.scope).await;
    if let Ok(uid) = Uuid::parse_str(&id) {
        for item in state.store.related(&app.scope, Kind::Object, uid).await.unwrap_or_default() {
            let src = Kind::parse(item["kind"].as_str().unwrap_or_default()).unwrap_or(Kind::Object);
            let Some(r) = item["record"].as_object() else { continue };
            let what = match src {
                Kind::Object => text(r, "type"),
                k => app.ui.kind(k),
            };
            related.push((what, Cell { text: label(src, r), href: Some(href(src, r)) }));
        }
        if let Ok(page) = state.store.timeline(&app.scope, Kind::Object, uid, 50, None).await {
            timeline = page.items.iter().map(|i| entry(&app.ui, &user_names, Kind::Object, &id, i)).collect();
        }
        let rel_names = relation_names(state, &app.scope, &kind, std::slice::from_ref(&rec)).await;
        let names = Names { users: &user_names, related: &rel_names, stages: stage_names(&kind) };
        facts =
            kind.record_fields.iter().map(|c| (column_label(&app.ui, &kind, c), cell(&app.ui, &kind, &names, &rec, c))).collect();
    }
    let inputs = inputs(state, &app.scope, &app.ui, &kind, &rec, typed, &problems).await;
    let p = RecordPage {
        version: rec.get("version").and_then(Json::as_i64).unwrap_or(0),
        name: text(&rec, "name"),
        ui: app.ui,
        kind,
        id,
        facts,
        inputs,
        problems,
        related,
        timeline,
    };
    page(status, &p, &[])
}

pub async fn new_form(State(state): State<AppState>, app: App, Path(ty): Path<String>) -> Response {
    let kind = match kind_of(&state, &app, &ty).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    record_view(&state, app, kind, Record::new(), None, Problems::default(), StatusCode::OK).await
}

pub async fn create(State(state): State<AppState>, app: App, Path(ty): Path<String>, fields: Fields) -> Response {
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let kind = match kind_of(&state, &app, &ty).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let mut input = from_form(&app.ui, &kind, &fields);
    input.insert("type".into(), json!(kind.key));
    match state.store.create(&app.scope, Kind::Object, &input, &WriteOptions::default()).await {
        Ok((r, _)) => see_other(&href(Kind::Object, &r), &[]),
        Err(e) => match record_problems(&app.ui, &kind, e) {
            Ok(p) => record_view(&state, app, kind, Record::new(), Some(&fields), p, StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(r) => r,
        },
    }
}

/// The record of the kind in the URL, or the failure page.
async fn load(state: &AppState, app: &App, ty: &str, id: &str) -> Result<(ObjectType, Uuid, Record), Response> {
    let kind = kind_of(state, app, ty).await?;
    let uid = Uuid::parse_str(id).map_err(|_| store_failure(StoreError::NotFound))?;
    let r = state.store.get(&app.scope, Kind::Object, uid).await.map_err(store_failure)?;
    if text(&r, "type") != kind.key {
        return Err(store_failure(StoreError::NotFound));
    }
    Ok((kind, uid, r))
}

pub async fn show(State(state): State<AppState>, app: App, Path((ty, id)): Path<(String, String)>) -> Response {
    match load(&state, &app, &ty, &id).await {
        Ok((kind, _, r)) => record_view(&state, app, kind, r, None, Problems::default(), StatusCode::OK).await,
        Err(r) => r,
    }
}

/// `/object/{id}`: a custom record's page, wherever its kind puts it (links from timelines).
pub async fn find(State(state): State<AppState>, app: App, Path(id): Path<String>) -> Response {
    let Ok(uid) = Uuid::parse_str(&id) else { return store_failure(StoreError::NotFound) };
    match state.store.get(&app.scope, Kind::Object, uid).await {
        Ok(r) => see_other(&href(Kind::Object, &r), &[]),
        Err(e) => store_failure(e),
    }
}

pub async fn save(State(state): State<AppState>, app: App, Path((ty, id)): Path<(String, String)>, fields: Fields) -> Response {
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let (kind, uid, rec) = match load(&state, &app, &ty, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let patch = Json::Object(from_form(&app.ui, &kind, &fields));
    let opts = WriteOptions { if_match: fields.get("version").and_then(|v| v.parse().ok()), ..WriteOptions::default() };
    match state.store.update(&app.scope, Kind::Object, uid, &patch, &opts).await {
        Ok(r) => see_other(&href(Kind::Object, &r), &[]),
        Err(e) => match record_problems(&app.ui, &kind, e) {
            Ok(p) => record_view(&state, app, kind, rec, Some(&fields), p, StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(r) => r,
        },
    }
}

/// Creates a record about this one (an activity or a task), then back to its page.
async fn about(
    state: AppState,
    app: App,
    ty: &str,
    id: &str,
    fields: &Fields,
    kind: Kind,
    mut input: Map<String, Json>,
) -> Response {
    if !app.csrf_ok(fields) {
        return csrf_refused();
    }
    let (object, _, rec) = match load(&state, &app, ty, id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    input.insert("objects".into(), json!([id]));
    match state.store.create(&app.scope, kind, &input, &WriteOptions::default()).await {
        Ok(_) => see_other(&format!("{}#record-timeline", href(Kind::Object, &rec)), &[]),
        Err(e) => match Problems::from_store(&app.ui, e) {
            Ok(p) => record_view(&state, app, object, rec, None, p, StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(r) => r,
        },
    }
}

pub async fn log(State(state): State<AppState>, app: App, Path((ty, id)): Path<(String, String)>, fields: Fields) -> Response {
    let mut input = Map::new();
    input.insert("type".into(), json!(fields.text("type")));
    for f in ["subject", "body"] {
        let v = fields.text(f);
        if !v.trim().is_empty() {
            input.insert(f.into(), json!(v.trim()));
        }
    }
    about(state, app, &ty, &id, &fields, Kind::Activity, input).await
}

pub async fn follow_up(
    State(state): State<AppState>,
    app: App,
    Path((ty, id)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    let mut input = Map::new();
    input.insert("title".into(), json!(fields.text("title").trim()));
    if let Some(due) = app.ui.fmt.parse_input_datetime(&fields.text("due_at")) {
        input.insert("due_at".into(), json!(rapport_domain::value::format_datetime(&due)));
    }
    if let Some(me) = app.scope.user_id {
        input.insert("assignee_user_id".into(), json!(me));
    }
    about(state, app, &ty, &id, &fields, Kind::Task, input).await
}

pub async fn delete(State(state): State<AppState>, app: App, Path((ty, id)): Path<(String, String)>, fields: Fields) -> Response {
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let (kind, uid, rec) = match load(&state, &app, &ty, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state.store.delete(&app.scope, Kind::Object, uid, &WriteOptions::default()).await {
        Ok(()) => see_other(&format!("/objects/{}", urlencode(&kind.key)), &[]),
        Err(e) => match Problems::from_store(&app.ui, e) {
            Ok(p) => record_view(&state, app, kind, rec, None, p, StatusCode::CONFLICT).await,
            Err(r) => r,
        },
    }
}
