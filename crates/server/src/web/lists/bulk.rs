//! Bulk actions on the rows checked in a list (or every row of the page):
//! assign, tag, move to a stage, mark done, export, and delete after a
//! confirmation page. Each change goes through the store one record at a time,
//! so permissions and history apply; the result page says what changed and
//! what failed, and why.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::filter::{self, Filter};
use rapport_domain::{Kind, access};
use rapport_store::{ListQuery, Record, StoreError, WriteOptions};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::query;
use crate::AppState;
use crate::web::frame::{App, Ui};
use crate::web::{Fields, csrf_refused, message, page, sentences, store_failure};

/// The most rows one bulk action takes (a page is at most 200).
const MAX: usize = 500;

#[derive(Template)]
#[template(path = "web/list_confirm.html")]
struct Confirm {
    ui: Ui,
    collection: &'static str,
    title: String,
    names: Vec<String>,
    ids: Vec<String>,
    back: String,
}

pub struct Failure {
    pub name: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "web/list_result.html")]
struct Outcome {
    ui: Ui,
    title: String,
    done: String,
    failures: Vec<Failure>,
    failed: String,
    back: String,
}

/// Where to go back to: a page of this list, never elsewhere.
fn back_to(kind: Kind, f: &Fields) -> String {
    let list = format!("/{}", kind.collection());
    let b = f.text("back");
    let ok = b == list || b.starts_with(&format!("{list}?"));
    if ok { b } else { list }
}

/// The ids the action applies to: the checked rows, or the whole page.
fn chosen_ids(f: &Fields) -> Vec<Uuid> {
    let source = if f.get("all_page") == Some("1") { "page_ids" } else { "ids" };
    let mut ids: Vec<Uuid> = f.all(source).iter().filter_map(|s| Uuid::parse_str(s.trim()).ok()).collect();
    ids.sort();
    ids.dedup();
    ids.truncate(MAX);
    ids
}

fn name_of(kind: Kind, r: &Record, ui: &Ui) -> String {
    let field = super::columns::primary(kind);
    match r.get(field).and_then(Json::as_str).filter(|s| !s.trim().is_empty()) {
        Some(s) => s.to_string(),
        None => match kind {
            Kind::Activity => ui.value("type", r.get("type").and_then(Json::as_str).unwrap_or_default()),
            _ => ui.t("lists-unnamed"),
        },
    }
}

fn reason(ui: &Ui, kind: Kind, e: StoreError) -> String {
    match e {
        StoreError::Forbidden(_) => ui.t("error-forbidden"),
        StoreError::NotFound => ui.t("error-not-found"),
        StoreError::VersionMismatch { .. } => ui.t("lists-fail-stale"),
        StoreError::Invalid(errs) => sentences(ui.catalog, &errs, |f| ui.field(kind, f)).join(" "),
        StoreError::Conflict(c) => ui.catalog.conflict(&c),
        other => {
            tracing::error!(error = %other, "bulk change failed");
            ui.t("error-title")
        }
    }
}

pub async fn submit(kind: Kind, State(state): State<AppState>, app: App, f: Fields) -> Response {
    if !app.csrf_ok(&f) {
        return csrf_refused();
    }
    let back = back_to(kind, &f);
    let action = f.text("action");
    let ids = chosen_ids(&f);
    let ui = &app.ui;
    if ids.is_empty() {
        return message(
            StatusCode::BAD_REQUEST,
            &ui.t("lists-bulk-none-title"),
            &ui.t("lists-bulk-none"),
            &back,
            &ui.t("lists-back"),
        );
    }
    if action == "export" {
        let sort = query::get(&query::parse_qs(back.split_once('?').map(|x| x.1).unwrap_or("")), "sort")
            .and_then(|s| filter::sort(kind, s, &[]).ok());
        let list: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let cond = match filter::condition(kind, "id", "in", &list.join(","), &[]) {
            Ok(c) => c,
            Err(_) => return message(StatusCode::BAD_REQUEST, &ui.t("lists-export-failed"), "", &back, &ui.t("lists-back")),
        };
        let q = ListQuery { filter: Filter::All(vec![Filter::Cond(cond)]), sort, ..ListQuery::default() };
        return super::start_export(&state, &app, kind, &f.text("format"), q).await;
    }
    if !ui.can_write() {
        return message(
            StatusCode::FORBIDDEN,
            &ui.t("error-forbidden"),
            &ui.t("lists-bulk-read-only"),
            &back,
            &ui.t("lists-back"),
        );
    }
    let records = match state.store.get_many(&app.scope, kind, &ids).await {
        Ok(r) => r,
        Err(e) => return store_failure(e),
    };
    match action.as_str() {
        "delete" => {
            let ui = app.ui;
            let p = Confirm {
                title: ui.tn("lists-delete-title", "count", records.len() as i64),
                names: records.iter().map(|r| name_of(kind, r, &ui)).collect(),
                ids: records.iter().filter_map(|r| r.get("id").and_then(Json::as_str)).map(str::to_string).collect(),
                collection: kind.collection(),
                back,
                ui,
            };
            page(StatusCode::OK, &p, &[])
        }
        "delete-confirmed" => apply(&state, app, kind, records, ids, back, Change::Delete).await,
        "assign" => match Uuid::parse_str(f.text("to").trim()) {
            Ok(to) if access::owner_column(kind).is_some_and(|c| c != "created_by") => {
                apply(&state, app, kind, records, ids, back, Change::Assign(to)).await
            }
            _ => invalid(&app.ui, &back, "lists-bulk-pick-user"),
        },
        "tag" => {
            let tag = f.text("tag").trim().to_string();
            if tag.is_empty() || rapport_domain::schema::field(kind, "tags").is_none() {
                return invalid(&app.ui, &back, "lists-bulk-need-tag");
            }
            apply(&state, app, kind, records, ids, back, Change::Tag(tag)).await
        }
        "stage" if kind == Kind::Deal => {
            let pipes = match state.store.pipelines(&app.scope).await {
                Ok(p) => p,
                Err(e) => return store_failure(e),
            };
            let wanted = Uuid::parse_str(f.text("stage_id").trim()).ok();
            let found = pipes.iter().find_map(|p| p.stages.iter().find(|s| Some(s.id) == wanted).map(|s| (p.id, s.id)));
            match found {
                Some((p, s)) => apply(&state, app, kind, records, ids, back, Change::Stage(p, s)).await,
                None => invalid(&app.ui, &back, "lists-bulk-pick-stage"),
            }
        }
        "done" if kind == Kind::Task => apply(&state, app, kind, records, ids, back, Change::Done).await,
        _ => invalid(&app.ui, &back, "lists-bulk-unknown"),
    }
}

fn invalid(ui: &Ui, back: &str, key: &str) -> Response {
    message(StatusCode::UNPROCESSABLE_ENTITY, &ui.t("lists-bulk-invalid"), &ui.t(key), back, &ui.t("lists-back"))
}

enum Change {
    Assign(Uuid),
    Tag(String),
    Stage(Uuid, Uuid),
    Done,
    Delete,
}

impl Change {
    /// The merge patch for one record, or `None` when it is a deletion.
    fn patch(&self, kind: Kind, r: &Record) -> Option<Json> {
        let mut p = Map::new();
        match self {
            Change::Assign(to) if kind == Kind::Task => {
                p.insert("assignee_user_id".into(), json!(to));
                p.insert("assignee_team_id".into(), Json::Null);
            }
            Change::Assign(to) => {
                p.insert(access::owner_column(kind).unwrap_or("owner_id").into(), json!(to));
            }
            Change::Tag(tag) => {
                let mut tags: Vec<Json> = r.get("tags").and_then(Json::as_array).cloned().unwrap_or_default();
                if !tags.iter().any(|t| t.as_str() == Some(tag.as_str())) {
                    tags.push(json!(tag));
                }
                p.insert("tags".into(), Json::Array(tags));
            }
            Change::Stage(pipeline, stage) => {
                p.insert("pipeline_id".into(), json!(pipeline));
                p.insert("stage_id".into(), json!(stage));
            }
            Change::Done => {
                p.insert("status".into(), json!("done"));
            }
            Change::Delete => return None,
        }
        Some(Json::Object(p))
    }
}

async fn apply(
    state: &AppState,
    app: App,
    kind: Kind,
    records: Vec<Record>,
    ids: Vec<Uuid>,
    back: String,
    change: Change,
) -> Response {
    let ui = app.ui;
    let mut done = 0i64;
    let mut failures = vec![];
    for id in &ids {
        let Some(r) = records.iter().find(|r| r.get("id").and_then(Json::as_str) == Some(id.to_string().as_str())) else {
            failures.push(Failure { name: id.to_string(), reason: ui.t("error-not-found") });
            continue;
        };
        // The version read: a record changed meanwhile is reported, not overwritten.
        let opts = WriteOptions { if_match: r.get("version").and_then(Json::as_i64), ..WriteOptions::default() };
        let result = match change.patch(kind, r) {
            Some(patch) => state.store.update(&app.scope, kind, *id, &patch, &opts).await.map(|_| ()),
            None => state.store.delete(&app.scope, kind, *id, &opts).await,
        };
        match result {
            Ok(()) => done += 1,
            Err(e) => failures.push(Failure { name: name_of(kind, r, &ui), reason: reason(&ui, kind, e) }),
        }
    }
    let key = if matches!(change, Change::Delete) { "lists-bulk-deleted" } else { "lists-bulk-changed" };
    let status = if done == 0 && !failures.is_empty() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let p = Outcome {
        title: ui.t("lists-bulk-title"),
        done: ui.tn(key, "count", done),
        failed: ui.tn("lists-bulk-failed", "count", failures.len() as i64),
        failures,
        back,
        ui,
    };
    page(status, &p, &[])
}
