//! Custom fields per record kind: add, edit (label, help, required, hidden,
//! default, validation, options, type), reorder, delete with confirmation
//! (soft: restorable), restore and purge. Every change goes through the
//! store's custom field API with the version the page showed, as
//! `PATCH /api/v1/custom-fields/{collection}/{key}` does.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::Kind;
use rapport_domain::custom::{self, CustomField, CustomType, ValueContext};
use rapport_store::StoreError;
use rapport_store::custom_fields::FieldPatch;
use serde_json::Value as Json;

use super::{Problems, admin, admin_post};
use crate::AppState;
use crate::web::frame::{App, Ui};
use crate::web::{Fields, page, see_other, store_failure};

/// The kinds that have custom fields, as (collection, label).
fn kinds(ui: &Ui) -> Vec<(&'static str, String)> {
    Kind::ALL.into_iter().filter(|k| k.has_custom_fields()).map(|k| (k.collection(), ui.kinds(k))).collect()
}

fn kind_of(collection: &str) -> Result<Kind, Response> {
    Kind::from_collection(collection).filter(|k| k.has_custom_fields()).ok_or_else(|| store_failure(StoreError::NotFound))
}

/// A field as its edit form shows it.
pub struct FieldRow {
    pub def: CustomField,
    pub type_label: String,
    pub default: String,
    pub min: String,
    pub max: String,
    pub max_length: String,
    pub options: String,
    pub help: String,
    pub first: bool,
    pub last: bool,
    pub problems: Problems,
}

#[derive(Template)]
#[template(path = "web/settings_fields.html")]
struct FieldsPage {
    ui: Ui,
    tab: &'static str,
    coll: &'static str,
    kind_label: String,
    kinds: Vec<(&'static str, String)>,
    types: Vec<(&'static str, String)>,
    fields: Vec<FieldRow>,
    deleted: Vec<FieldRow>,
    new_key: String,
    new_label: String,
    new_type: String,
    new_options: String,
    problems: Problems,
    retention_days: i64,
}

/// The confirmation page of a field's delete or purge (custom kinds' fields use it too).
#[derive(Template)]
#[template(path = "web/settings_confirm.html")]
pub(crate) struct Confirm {
    pub ui: Ui,
    pub tab: &'static str,
    pub title: String,
    pub text: String,
    pub action: String,
    pub back: String,
    pub version: i64,
    pub problems: Problems,
}

fn text_of(v: &Option<Json>, ty: CustomType) -> String {
    v.as_ref().map(|v| custom::to_text(ty, v)).unwrap_or_default()
}

fn row(ui: &Ui, def: CustomField, first: bool, last: bool) -> FieldRow {
    FieldRow {
        type_label: ui.t(&format!("settings-field-type-{}", def.ty.as_str().replace('_', "-"))),
        default: text_of(&def.default, def.ty),
        min: text_of(&def.min, def.ty),
        max: text_of(&def.max, def.ty),
        max_length: def.max_length.map(|m| m.to_string()).unwrap_or_default(),
        options: def.options.join("\n"),
        help: def.help.clone().unwrap_or_default(),
        first,
        last,
        problems: Problems::default(),
        def,
    }
}

async fn fields_page(state: &AppState, app: App, kind: Kind, problems: Problems) -> Result<FieldsPage, Response> {
    let all = state.store.custom_fields_all(&app.scope, kind).await.map_err(store_failure)?;
    let (deleted, live): (Vec<_>, Vec<_>) = all.into_iter().partition(CustomField::is_deleted);
    let n = live.len();
    let ui = app.ui;
    let fields = live.into_iter().enumerate().map(|(i, d)| row(&ui, d, i == 0, i + 1 == n)).collect();
    let deleted = deleted.into_iter().map(|d| row(&ui, d, false, false)).collect();
    let types = CustomType::ALL
        .iter()
        .map(|t| (t.as_str(), ui.t(&format!("settings-field-type-{}", t.as_str().replace('_', "-")))))
        .collect();
    Ok(FieldsPage {
        tab: "fields",
        coll: kind.collection(),
        kind_label: ui.kinds(kind),
        kinds: kinds(&ui),
        types,
        fields,
        deleted,
        new_key: String::new(),
        new_label: String::new(),
        new_type: "text".into(),
        new_options: String::new(),
        problems,
        retention_days: rapport_store::custom_fields::RETENTION_DAYS,
        ui,
    })
}

fn show(status: StatusCode, p: Result<FieldsPage, Response>) -> Response {
    match p {
        Ok(p) => page(status, &p, &[]),
        Err(r) => r,
    }
}

pub async fn index(app: App) -> Response {
    match admin(app) {
        Ok(_) => see_other("/settings/fields/people", &[]),
        Err(r) => r,
    }
}

pub async fn list(State(state): State<AppState>, app: App, Path(coll): Path<String>) -> Response {
    let app = match admin(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match kind_of(&coll) {
        Ok(kind) => show(StatusCode::OK, fields_page(&state, app, kind, Problems::default()).await),
        Err(r) => r,
    }
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// A bound or default typed as text, read as the field's type (`null` when empty).
fn typed_value(ui: &Ui, ty: CustomType, raw: &str, attr: &str, p: &mut Problems) -> Option<Json> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match ty {
        CustomType::Select => return Some(Json::String(raw.to_string())),
        CustomType::MultiSelect => {
            return Some(raw.split([';', ',']).map(str::trim).filter(|s| !s.is_empty()).map(Json::from).collect());
        }
        _ => {}
    }
    let def = CustomField { ty, ..Default::default() };
    let ctx = ValueContext { region: rapport_domain::contact::parse_region("US")?, currency: &ui.currency };
    // Bounds of a money field are amounts in minor units.
    let read = match (attr, ty) {
        ("min" | "max", CustomType::Money | CustomType::Rating) => raw.parse::<i64>().map(Json::from).map_err(|_| String::new()),
        ("min" | "max", CustomType::Percent | CustomType::Number) => {
            raw.parse::<f64>().map(Json::from).map_err(|_| String::new())
        }
        ("min" | "max", _) => Ok(Json::String(raw.to_string())),
        _ => custom::parse_text(&def, raw, &ctx),
    };
    match read {
        Ok(v) => Some(v),
        Err(_) => {
            p.add(attr, ui.t("settings-field-error-value"));
            None
        }
    }
}

pub async fn create(State(state): State<AppState>, app: App, Path(coll): Path<String>, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let kind = match kind_of(&coll) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let (key, label, ty, options) = (fields.text("key"), fields.text("label"), fields.text("type"), fields.text("options"));
    let def = CustomField {
        key: key.trim().to_string(),
        label: label.clone(),
        ty: CustomType::parse(&ty).unwrap_or_default(),
        options: lines(&options),
        required: fields.get("required") == Some("true"),
        help: Some(fields.text("help")),
        ..Default::default()
    };
    let problems = match state.store.create_custom_field(&app.scope, kind, &def).await {
        Ok(_) => return see_other(&format!("/settings/fields/{coll}?done=created"), &[]),
        Err(e) => match Problems::from_store(&app.ui, e) {
            Ok(p) => p,
            Err(r) => return r,
        },
    };
    let p = fields_page(&state, app, kind, problems).await.map(|p| FieldsPage {
        new_key: key,
        new_label: label,
        new_type: ty,
        new_options: options,
        ..p
    });
    show(StatusCode::UNPROCESSABLE_ENTITY, p)
}

/// The version a form was drawn with.
fn version(fields: &Fields) -> Option<i64> {
    fields.text("version").parse().ok()
}

pub async fn save(
    State(state): State<AppState>,
    app: App,
    Path((coll, key)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let kind = match kind_of(&coll) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let ty = CustomType::parse(&fields.text("type")).unwrap_or_default();
    let mut problems = Problems::default();
    let ui = &app.ui;
    let opt = |name: &str| Some(Some(fields.text(name).trim().to_string()).filter(|s| !s.is_empty()));
    let patch = FieldPatch {
        label: Some(fields.text("label")),
        ty: Some(ty),
        required: Some(fields.get("required") == Some("true")),
        hidden: Some(fields.get("hidden") == Some("true")),
        identifies: Some(ty.can_identify() && fields.get("identifies") == Some("true")),
        options: ty.has_options().then(|| lines(&fields.text("options"))),
        default: Some(typed_value(ui, ty, &fields.text("default"), "default", &mut problems)),
        min: Some(typed_value(ui, ty, &fields.text("min"), "min", &mut problems)),
        max: Some(typed_value(ui, ty, &fields.text("max"), "max", &mut problems)),
        max_length: Some(fields.text("max_length").trim().parse().ok()),
        pattern: if ty.textual() { opt("pattern") } else { Some(None) },
        help: opt("help"),
        version: None,
    };
    if problems.is_empty() {
        match state.store.update_custom_field(&app.scope, kind, &key, &patch, version(&fields)).await {
            Ok(_) => return see_other(&format!("/settings/fields/{coll}?done=saved#field-{key}"), &[]),
            Err(StoreError::NotConvertible { total, records, .. }) => {
                let listed: Vec<String> =
                    records.iter().map(|r| format!("{} ({})", custom::to_text(ty, &r.value), r.reason)).collect();
                problems = Problems::one(app.ui.t2(
                    "settings-field-not-convertible",
                    "count",
                    &total.to_string(),
                    "values",
                    &listed.join("; "),
                ));
            }
            Err(e) => match Problems::from_store(&app.ui, e) {
                Ok(p) => problems = p,
                Err(r) => return r,
            },
        }
    }
    let p = fields_page(&state, app, kind, Problems::default()).await.map(|mut p| {
        if let Some(r) = p.fields.iter_mut().find(|r| r.def.key == key) {
            r.problems = problems;
        }
        p
    });
    show(StatusCode::UNPROCESSABLE_ENTITY, p)
}

async fn reorder(state: AppState, app: App, coll: String, key: String, fields: Fields, up: bool) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let kind = match kind_of(&coll) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let mut keys: Vec<String> = match state.store.custom_fields(&app.scope, kind).await {
        Ok(d) => d.into_iter().map(|d| d.key).collect(),
        Err(e) => return store_failure(e),
    };
    if let Some(i) = keys.iter().position(|k| *k == key) {
        let j = if up { i.checked_sub(1) } else { Some(i + 1).filter(|j| *j < keys.len()) };
        if let Some(j) = j {
            keys.swap(i, j);
        }
    }
    match state.store.reorder_custom_fields(&app.scope, kind, &keys).await {
        Ok(_) => see_other(&format!("/settings/fields/{coll}#field-{key}"), &[]),
        Err(e) => store_failure(e),
    }
}

pub async fn up(State(state): State<AppState>, app: App, Path((coll, key)): Path<(String, String)>, fields: Fields) -> Response {
    reorder(state, app, coll, key, fields, true).await
}

pub async fn down(
    State(state): State<AppState>,
    app: App,
    Path((coll, key)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    reorder(state, app, coll, key, fields, false).await
}

async fn find(state: &AppState, app: &App, kind: Kind, key: &str) -> Result<CustomField, Response> {
    let all = state.store.custom_fields_all(&app.scope, kind).await.map_err(store_failure)?;
    all.into_iter().find(|d| d.key == key).ok_or_else(|| store_failure(StoreError::NotFound))
}

/// The confirmation page of a delete (`purge` false) or a purge.
async fn confirm(state: AppState, app: App, coll: String, key: String, purge: bool) -> Response {
    let app = match admin(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let kind = match kind_of(&coll) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let def = match find(&state, &app, kind, &key).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let what = if purge { "purge" } else { "delete" };
    let ui = app.ui;
    let c = Confirm {
        title: ui.t1(&format!("settings-field-{what}-title"), "name", &def.label),
        text: ui.t1(&format!("settings-field-{what}-text"), "days", &rapport_store::custom_fields::RETENTION_DAYS.to_string()),
        action: format!("/settings/fields/{coll}/{key}/{what}"),
        back: format!("/settings/fields/{coll}"),
        version: def.version,
        problems: Problems::default(),
        tab: "fields",
        ui,
    };
    page(StatusCode::OK, &c, &[])
}

pub async fn confirm_delete(State(state): State<AppState>, app: App, Path((coll, key)): Path<(String, String)>) -> Response {
    confirm(state, app, coll, key, false).await
}

pub async fn confirm_purge(State(state): State<AppState>, app: App, Path((coll, key)): Path<(String, String)>) -> Response {
    confirm(state, app, coll, key, true).await
}

/// Delete, restore or purge, then back to the list.
async fn act(state: AppState, app: App, coll: String, key: String, fields: Fields, action: &str) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let kind = match kind_of(&coll) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let (s, v) = (&state.store, version(&fields));
    let done = match action {
        "delete" => s.delete_custom_field(&app.scope, kind, &key, v).await,
        "restore" => s.restore_custom_field(&app.scope, kind, &key, v).await.map(|_| ()),
        _ => s.purge_custom_field(&app.scope, kind, &key).await.map(|_| ()),
    };
    match done {
        Ok(()) => see_other(&format!("/settings/fields/{coll}?done={action}"), &[]),
        Err(e) => match Problems::from_store(&app.ui, e) {
            Ok(p) => show(StatusCode::CONFLICT, fields_page(&state, app, kind, p).await),
            Err(r) => r,
        },
    }
}

pub async fn delete(
    State(state): State<AppState>,
    app: App,
    Path((coll, key)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    act(state, app, coll, key, fields, "delete").await
}

pub async fn restore(
    State(state): State<AppState>,
    app: App,
    Path((coll, key)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    act(state, app, coll, key, fields, "restore").await
}

pub async fn purge(
    State(state): State<AppState>,
    app: App,
    Path((coll, key)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    act(state, app, coll, key, fields, "purge").await
}
