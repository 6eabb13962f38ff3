//! What the record page's forms do: save the edit form (refusing a stale
//! version), log a contact, schedule a follow-up, mark a task done, and delete
//! after a confirmation page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::Kind;
use rapport_store::{Record, StoreError, WriteOptions};
use serde_json::{Value as Json, json};

use super::form::{self, Errs};
use super::show::{Extras, render};
use super::{Coll, failure, forbidden, label, load, local_path, text};
use crate::AppState;
use crate::web::frame::{App, Ui};
use crate::web::{Fields, csrf_refused, page, see_other};

/// Refuses a change the reader may not make or that was not sent from a page Rapport showed.
fn refused(app: &App, fields: &Fields) -> Option<Response> {
    if !app.ui.can_write() {
        return Some(forbidden(&app.ui));
    }
    (!app.csrf_ok(fields)).then(csrf_refused)
}

pub async fn edit(State(state): State<AppState>, coll: Coll, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    if let Some(r) = refused(&app, &fields) {
        return r;
    }
    let (uid, rec) = match load(&state, &app.scope, &app.ui, coll, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let kind = coll.kind;
    let mut vals = form::typed(kind, &fields);
    let Ok(version) = fields.text("version").parse::<i64>() else {
        return stale(&state, app, coll, uid, rec).await;
    };
    let mut errs = Errs::new();
    if let Err(e) = form::pick_organization(&state, &app.scope, &app.ui, kind, &fields, &mut vals, &mut errs).await {
        return failure(&app.ui, e);
    }
    let mut patch = form::to_record(&app.ui, kind, &vals, Some(&rec), &mut errs);
    let mut defs = vec![];
    if kind.has_custom_fields() {
        defs = match state.store.custom_fields(&app.scope, kind).await {
            Ok(d) => d,
            Err(e) => return failure(&app.ui, e),
        };
        if let Some(c) = crate::web::custom::read(&app.ui, &defs, &fields, true, &mut errs) {
            patch.insert("custom".into(), c);
        }
    }
    if !errs.is_empty() {
        let x = Extras {
            errors: vec![app.ui.t("error-form")],
            edit: Some((vals, errs)),
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            posted: Some(fields),
            ..Extras::default()
        };
        return render(&state, app, coll, uid, rec, x).await;
    }
    let opts = WriteOptions { if_match: Some(version), ..WriteOptions::default() };
    match state.store.update(&app.scope, kind, uid, &Json::Object(patch), &opts).await {
        Ok(_) => see_other(&format!("{}?done=saved", coll.href(&id)), &[]),
        Err(StoreError::VersionMismatch { .. }) => stale(&state, app, coll, uid, rec).await,
        Err(StoreError::Invalid(v)) => {
            let mut errors = vec![app.ui.t("error-form")];
            errors.extend(form::place_errors(&app.ui, kind, &defs, &v, &mut errs));
            let x = Extras {
                errors,
                edit: Some((vals, errs)),
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                posted: Some(fields),
                ..Extras::default()
            };
            render(&state, app, coll, uid, rec, x).await
        }
        Err(e) => failure(&app.ui, e),
    }
}

/// Someone else saved first: say so and show the latest values, overwriting nothing.
async fn stale(state: &AppState, app: App, coll: Coll, uid: uuid::Uuid, rec: Record) -> Response {
    let latest = state.store.get(&app.scope, coll.kind, uid).await.unwrap_or(rec);
    let x = Extras {
        errors: vec![app.ui.t("error-stale")],
        open_edit: true,
        status: Some(StatusCode::CONFLICT),
        ..Extras::default()
    };
    render(state, app, coll, uid, latest, x).await
}

/// The links an activity or task gets to the record it is logged on.
fn links_to(coll: Coll, id: &str, rec: &Record) -> Record {
    let mut out = Record::new();
    match coll.kind {
        Kind::Person => {
            out.insert("people".into(), json!([id]));
        }
        Kind::Organization => {
            out.insert("organizations".into(), json!([id]));
        }
        _ => {
            out.insert("deals".into(), json!([id]));
            let org = text(rec, "organization_id");
            if !org.is_empty() {
                out.insert("organizations".into(), json!([org]));
            }
        }
    }
    out
}

pub async fn log(State(state): State<AppState>, coll: Coll, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    if let Some(r) = refused(&app, &fields) {
        return r;
    }
    let (uid, rec) = match load(&state, &app.scope, &app.ui, coll, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !coll.kind.has_timeline() {
        return super::not_found(&app.ui);
    }
    let ty = fields.text("type");
    let mut a = links_to(coll, &id, &rec);
    a.insert("type".into(), json!(ty));
    for f in ["subject", "body"] {
        let v = fields.text(f).trim().to_string();
        if !v.is_empty() {
            a.insert(f.into(), json!(v));
        }
    }
    // Outcomes are stored in the words the API documents; pages translate them.
    let outcome = fields.text("outcome");
    if ty == "call" && super::timeline::OUTCOMES.contains(&outcome.as_str()) {
        a.insert("outcome".into(), json!(outcome.replace('_', " ")));
    }
    let when = fields.text("occurred_at");
    if !when.trim().is_empty() {
        match app.ui.fmt.parse_input_datetime(&when) {
            Some(t) => {
                a.insert("occurred_at".into(), json!(t.to_rfc3339()));
            }
            None => {
                let errs = vec![app.ui.t("records-error-datetime")];
                return log_failed(&state, app, coll, uid, rec, errs).await;
            }
        }
    }
    match state.store.create(&app.scope, Kind::Activity, &a, &WriteOptions::default()).await {
        Ok(_) => see_other(&format!("{}?done=logged#record-timeline", coll.href(&id)), &[]),
        Err(StoreError::Invalid(v)) => {
            let errs: Vec<String> =
                v.0.iter().map(|e| app.ui.catalog.invalid_for(&app.ui.field(Kind::Activity, &e.field), e)).collect();
            log_failed(&state, app, coll, uid, rec, errs).await
        }
        Err(e) => failure(&app.ui, e),
    }
}

async fn log_failed(state: &AppState, app: App, coll: Coll, uid: uuid::Uuid, rec: Record, errs: Vec<String>) -> Response {
    let x = Extras { log_errors: errs, status: Some(StatusCode::UNPROCESSABLE_ENTITY), ..Extras::default() };
    render(state, app, coll, uid, rec, x).await
}

pub async fn follow_up(State(state): State<AppState>, coll: Coll, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    if let Some(r) = refused(&app, &fields) {
        return r;
    }
    let (uid, rec) = match load(&state, &app.scope, &app.ui, coll, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !coll.kind.has_timeline() {
        return super::not_found(&app.ui);
    }
    let mut t = links_to(coll, &id, &rec);
    let title = fields.text("title").trim().to_string();
    let title = if title.is_empty() { app.ui.t1("records-follow-up-default", "name", &label(coll.kind, &rec)) } else { title };
    t.insert("title".into(), json!(title));
    let assignee = fields.text("assignee_user_id");
    t.insert("assignee_user_id".into(), json!(if assignee.is_empty() { app.user_id().to_string() } else { assignee }));
    let due = fields.text("due_at");
    if !due.trim().is_empty() {
        match app.ui.fmt.parse_input_datetime(&due) {
            Some(d) => {
                t.insert("due_at".into(), json!(d.to_rfc3339()));
            }
            None => {
                let errs = vec![app.ui.t("records-error-datetime")];
                return log_failed(&state, app, coll, uid, rec, errs).await;
            }
        }
    }
    if let Err(e) = state.store.create(&app.scope, Kind::Task, &t, &WriteOptions::default()).await {
        return match e {
            StoreError::Invalid(v) => {
                let errs = v.0.iter().map(|e| app.ui.catalog.invalid_for(&app.ui.field(Kind::Task, &e.field), e)).collect();
                log_failed(&state, app, coll, uid, rec, errs).await
            }
            e => failure(&app.ui, e),
        };
    }
    // On a deal the next step is kept on the deal too.
    let next = fields.text("next_step").trim().to_string();
    if coll.kind == Kind::Deal && !next.is_empty() {
        let patch = json!({"next_step": next});
        if let Err(e) = state.store.update(&app.scope, Kind::Deal, uid, &patch, &WriteOptions::default()).await {
            return failure(&app.ui, e);
        }
    }
    see_other(&format!("{}?done=scheduled#record-timeline", coll.href(&id)), &[])
}

pub async fn done(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    if let Some(r) = refused(&app, &fields) {
        return r;
    }
    let coll = Coll { kind: Kind::Task, path: "tasks" };
    let (uid, _) = match load(&state, &app.scope, &app.ui, coll, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let patch = json!({"status": "done"});
    if let Err(e) = state.store.update(&app.scope, Kind::Task, uid, &patch, &WriteOptions::default()).await {
        return failure(&app.ui, e);
    }
    let back = local_path(&fields.text("back")).unwrap_or_else(|| coll.href(&id));
    let sep = if back.contains('?') { '&' } else { '?' };
    see_other(&format!("{back}{sep}done=completed"), &[])
}

#[derive(Template)]
#[template(path = "web/record_delete.html")]
struct DeletePage {
    ui: Ui,
    coll: &'static str,
    id: String,
    title: String,
    version: String,
}

pub async fn confirm_delete(State(state): State<AppState>, coll: Coll, mut app: App, Path(id): Path<String>) -> Response {
    app.ui.section = coll.section();
    if !app.ui.can_write() {
        return forbidden(&app.ui);
    }
    let (_, rec) = match load(&state, &app.scope, &app.ui, coll, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let name = label(coll.kind, &rec);
    let title = app.ui.t2("records-delete-title", "kind", &app.ui.kind(coll.kind), "name", &name);
    let p = DeletePage { coll: coll.path, id, title, version: text(&rec, "version"), ui: app.ui };
    page(StatusCode::OK, &p, &[])
}

pub async fn delete(State(state): State<AppState>, coll: Coll, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    if let Some(r) = refused(&app, &fields) {
        return r;
    }
    let (uid, _) = match load(&state, &app.scope, &app.ui, coll, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let if_match = fields.text("version").parse::<i64>().ok();
    match state.store.delete(&app.scope, coll.kind, uid, &WriteOptions { if_match, ..WriteOptions::default() }).await {
        Ok(()) => see_other(&format!("/{}?done=deleted", coll.path), &[]),
        Err(StoreError::VersionMismatch { .. }) => see_other(&format!("{}/delete", coll.href(&id)), &[]),
        Err(e) => failure(&app.ui, e),
    }
}
