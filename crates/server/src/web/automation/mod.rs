//! Automation settings for administrators: workflows (trigger, conditions,
//! actions, run log), assignment rules, and webhook subscriptions with their
//! delivery log.
//! Routes: GET/POST /settings/automation and below. The store checks every
//! definition; its errors are shown next to the part of the form at fault.

// Handlers' helpers answer with the page to send when they cannot go on.
#![allow(clippy::result_large_err)]

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use rapport_domain::Kind;
use rapport_store::{ListQuery, Scope, StoreError};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::frame::{App, Ui};
use super::home::{sort, text};
use super::settings::{admin, admin_post};
use super::{Fields, page, see_other, store_failure};
use crate::AppState;

mod rules;
mod webhooks;

/// How many action rows the form offers.
const ACTION_ROWS: usize = 5;
const TRIGGERS: [&str; 8] = [
    "record_created",
    "record_updated",
    "field_changed",
    "deal_stage_entered",
    "stage_entered",
    "date_reached",
    "no_activity",
    "task_overdue",
];
const ACTIONS: [&str; 7] = ["assign", "create_task", "update_field", "add_tag", "remove_tag", "notify", "webhook"];
const KINDS: [&str; 5] = ["person", "organization", "deal", "task", "activity"];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/automation", get(index))
        .route("/settings/automation/workflows/new", get(new_form).post(create))
        .route("/settings/automation/workflows/{id}", get(edit_form).post(save))
        .route("/settings/automation/workflows/{id}/runs", get(runs))
        .route("/settings/automation/workflows/{id}/delete", get(confirm_delete).post(delete))
        .merge(rules::routes())
        .merge(webhooks::routes())
}

/// Store errors by the field they name (`name`, `trigger.field`, `actions[1].url`).
#[derive(Default)]
pub struct Errors(Vec<(String, String)>);

impl Errors {
    /// Messages for a field and everything under it.
    pub fn under(&self, prefix: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(f, _)| f == prefix || f.starts_with(&format!("{prefix}.")) || f.starts_with(&format!("{prefix}[")))
            .map(|(_, m)| m.clone())
            .collect()
    }
    pub fn exact(&self, field: &str) -> Vec<String> {
        self.0.iter().filter(|(f, _)| f == field).map(|(_, m)| m.clone()).collect()
    }
    pub fn action(&self, i: &usize) -> Vec<String> {
        self.under(&format!("actions[{i}]"))
    }
    /// Messages naming no field the form shows.
    pub fn other(&self) -> Vec<String> {
        let shown = |f: &str| {
            ["name", "active", "trigger", "conditions", "actions"]
                .iter()
                .any(|p| f == *p || f.starts_with(&format!("{p}.")) || f.starts_with(&format!("{p}[")))
        };
        self.0
            .iter()
            .filter(|(f, _)| !shown(f))
            .map(|(f, m)| if f.is_empty() { m.clone() } else { format!("{f}: {m}") })
            .collect()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// A refused change as messages for the form; other failures as their page.
    pub fn from_store(e: StoreError, ui: &Ui) -> Result<Errors, Response> {
        match e {
            StoreError::Invalid(v) => Ok(Errors(v.0.iter().map(|e| (e.field.clone(), ui.catalog.invalid(e))).collect())),
            // Someone saved the definition since this form was read.
            StoreError::VersionMismatch { .. } => Ok(Errors(vec![(String::new(), ui.t("error-stale"))])),
            other => Err(store_failure(other)),
        }
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

pub struct ActionRow {
    pub kind: String,
    pub text: String,
    pub field: String,
    pub days: String,
    pub to: String,
}

/// What the workflow form shows, as typed.
pub struct WorkflowForm {
    pub name: String,
    pub active: bool,
    pub kind: String,
    pub trigger: String,
    pub field: String,
    pub to: String,
    pub stage_id: String,
    pub days: String,
    pub conditions: String,
    pub actions: Vec<ActionRow>,
    /// The version the form was read at, checked when it is saved.
    pub version: String,
}

pub fn s(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

impl WorkflowForm {
    fn blank() -> WorkflowForm {
        WorkflowForm {
            name: String::new(),
            active: true,
            kind: "person".into(),
            trigger: "record_created".into(),
            field: String::new(),
            to: String::new(),
            stage_id: String::new(),
            days: String::new(),
            conditions: String::new(),
            actions: (0..ACTION_ROWS).map(|_| blank_row()).collect(),
            version: String::new(),
        }
    }

    fn from_fields(f: &Fields) -> WorkflowForm {
        WorkflowForm {
            name: f.text("name"),
            active: f.get("active").is_some(),
            kind: f.text("kind"),
            trigger: f.text("trigger"),
            field: f.text("field"),
            to: f.text("to"),
            stage_id: f.text("stage_id"),
            days: f.text("days"),
            conditions: f.text("conditions"),
            actions: (0..ACTION_ROWS)
                .map(|i| ActionRow {
                    kind: f.text(&format!("a{i}_type")),
                    text: f.text(&format!("a{i}_text")),
                    field: f.text(&format!("a{i}_field")),
                    days: f.text(&format!("a{i}_days")),
                    to: f.text(&format!("a{i}_to")),
                })
                .collect(),
            version: f.text("version"),
        }
    }

    /// The form filled from a stored workflow.
    fn from_json(w: &Json) -> WorkflowForm {
        let t = &w["trigger"];
        let ty = s(&t["type"]);
        let days = if ty == "date_reached" { s(&t["offset_days"]) } else { s(&t["days"]) };
        let conditions = w["conditions"]
            .as_array()
            .map(|a| a.iter().map(|p| format!("{}={}", s(&p[0]), s(&p[1]))).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default();
        let mut actions: Vec<ActionRow> =
            w["actions"].as_array().map(|a| a.iter().map(row_from_json).collect()).unwrap_or_default();
        while actions.len() < ACTION_ROWS {
            actions.push(blank_row());
        }
        WorkflowForm {
            name: s(&w["name"]),
            active: w["active"].as_bool().unwrap_or(true),
            kind: if t["kind"].is_null() { "person".into() } else { s(&t["kind"]) },
            trigger: ty,
            field: s(&t["field"]),
            to: s(&t["to"]),
            stage_id: s(&t["stage_id"]),
            days,
            conditions,
            actions,
            version: s(&w["version"]),
        }
    }

    /// The API's workflow body.
    fn to_json(&self) -> Json {
        let mut t = Map::new();
        t.insert("type".into(), json!(self.trigger));
        if !matches!(self.trigger.as_str(), "deal_stage_entered" | "task_overdue") {
            t.insert("kind".into(), json!(self.kind));
        }
        let number = |v: &str| v.trim().parse::<i64>().map(Json::from).unwrap_or_else(|_| json!(v.trim()));
        match self.trigger.as_str() {
            "field_changed" => {
                t.insert("field".into(), json!(self.field.trim()));
                if !self.to.trim().is_empty() {
                    t.insert("to".into(), json!(self.to.trim()));
                }
            }
            "deal_stage_entered" | "stage_entered" => {
                t.insert("stage_id".into(), json!(self.stage_id));
            }
            "date_reached" => {
                t.insert("field".into(), json!(self.field.trim()));
                if !self.days.trim().is_empty() {
                    t.insert("offset_days".into(), number(&self.days));
                }
            }
            "no_activity" => {
                t.insert("days".into(), number(&self.days));
            }
            _ => {}
        }
        let conditions: Vec<Json> = self
            .conditions
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| match l.split_once('=') {
                Some((k, v)) => json!([k.trim(), v.trim()]),
                None => json!([l, ""]),
            })
            .collect();
        let actions: Vec<Json> = self.actions.iter().filter(|a| !a.kind.is_empty()).map(row_to_json).collect();
        json!({"name": self.name, "active": self.active, "trigger": t, "conditions": conditions, "actions": actions})
    }
}

fn blank_row() -> ActionRow {
    ActionRow { kind: String::new(), text: String::new(), field: String::new(), days: String::new(), to: String::new() }
}

fn row_from_json(a: &Json) -> ActionRow {
    let kind = s(&a["type"]);
    let to = match kind.as_str() {
        "assign" if a["rule_id"].is_string() => format!("rule:{}", s(&a["rule_id"])),
        "create_task" => match s(&a["assignee"]).as_str() {
            "" | "owner" => "owner".into(),
            u => format!("user:{u}"),
        },
        _ if a["user_id"].is_string() => format!("user:{}", s(&a["user_id"])),
        _ if a["team_id"].is_string() => format!("team:{}", s(&a["team_id"])),
        _ => "owner".into(),
    };
    let text = match kind.as_str() {
        "add_tag" | "remove_tag" => s(&a["tag"]),
        "create_task" | "notify" => s(&a["title"]),
        "webhook" => s(&a["url"]),
        "update_field" => s(&a["value"]),
        _ => String::new(),
    };
    ActionRow { kind, text, field: s(&a["field"]), days: s(&a["due_in_days"]), to }
}

fn row_to_json(a: &ActionRow) -> Json {
    let mut o = Map::new();
    o.insert("type".into(), json!(a.kind));
    let text = a.text.trim();
    let (who, id) = a.to.split_once(':').unwrap_or((a.to.as_str(), ""));
    match a.kind.as_str() {
        "assign" => {
            let key = if who == "rule" { "rule_id" } else { "user_id" };
            o.insert(key.into(), json!(id));
        }
        "create_task" => {
            o.insert("title".into(), json!(text));
            let days = a.days.trim();
            if !days.is_empty() {
                o.insert("due_in_days".into(), days.parse::<i64>().map(Json::from).unwrap_or_else(|_| json!(days)));
            }
            o.insert("assignee".into(), json!(if who == "user" { id } else { "owner" }));
        }
        "update_field" => {
            o.insert("field".into(), json!(a.field.trim()));
            o.insert("value".into(), if text.is_empty() { Json::Null } else { json!(text) });
        }
        "add_tag" | "remove_tag" => {
            o.insert("tag".into(), json!(text));
        }
        "notify" => {
            match who {
                "user" => o.insert("user_id".into(), json!(id)),
                "team" => o.insert("team_id".into(), json!(id)),
                _ => o.insert("to".into(), json!("owner")),
            };
            o.insert("title".into(), json!(text));
        }
        "webhook" => {
            o.insert("url".into(), json!(text));
        }
        _ => {}
    }
    Json::Object(o)
}

/// Who an action may name: the owner, users, teams, assignment rules.
pub async fn targets(state: &AppState, scope: &Scope, ui: &Ui) -> Result<Vec<Choice>, StoreError> {
    let mut out = vec![Choice { value: "owner".into(), label: ui.t("automation-to-owner") }];
    for (kind, prefix, key) in [(Kind::User, "user", "automation-to-user"), (Kind::Team, "team", "automation-to-team")] {
        let q = ListQuery { sort: sort(kind, "name"), limit: 500, ..ListQuery::default() };
        for r in state.store.list(scope, kind, &q).await?.items {
            out.push(Choice { value: format!("{prefix}:{}", text(&r, "id")), label: ui.t1(key, "name", &text(&r, "name")) });
        }
    }
    for r in state.store.assignment_rules(scope, None).await? {
        out.push(Choice { value: format!("rule:{}", s(&r["id"])), label: ui.t1("automation-to-rule", "name", &s(&r["name"])) });
    }
    Ok(out)
}

/// The stages a stage trigger may name: the deal pipelines', then each custom kind's with a status.
async fn stages(state: &AppState, scope: &Scope) -> Result<Vec<Choice>, StoreError> {
    let mut out = vec![];
    for p in state.store.pipelines(scope).await? {
        for st in &p.stages {
            out.push(Choice { value: st.id.to_string(), label: format!("{} · {}", p.name, st.name) });
        }
    }
    for t in state.store.object_types(scope).await? {
        for st in t.pipeline.iter().flat_map(|p| &p.stages) {
            out.push(Choice { value: st.id.to_string(), label: format!("{} · {}", t.plural, st.name) });
        }
    }
    Ok(out)
}

/// The kinds a workflow may watch: the built-in ones, then the workspace's custom kinds by their plural label.
async fn kinds(state: &AppState, scope: &Scope, ui: &Ui) -> Result<Vec<Choice>, StoreError> {
    let builtin = KINDS.iter().filter_map(|k| Kind::parse(k)).map(|k| Choice { value: k.as_str().into(), label: ui.kinds(k) });
    let custom =
        state.store.object_type_names(scope).await?.into_iter().map(|(key, plural)| Choice { value: key, label: plural });
    Ok(builtin.chain(custom).collect())
}

/// A kind's plural label: a built-in kind's from the catalog, a custom kind's from its definition.
fn kind_label(ui: &Ui, kinds: &[Choice], name: &str) -> String {
    match Kind::parse(name) {
        Some(k) => ui.kinds(k),
        None => kinds.iter().find(|c| c.value == name).map(|c| c.label.clone()).unwrap_or_else(|| name.to_string()),
    }
}

// ---- index -----------------------------------------------------------------

pub struct WorkflowLine {
    pub id: String,
    pub name: String,
    pub trigger: String,
    pub active: bool,
    pub last: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/automation.html")]
struct IndexPage {
    ui: Ui,
    tab: &'static str,
    workflows: Vec<WorkflowLine>,
}

/// A trigger in words.
fn trigger_words(ui: &Ui, kinds: &[Choice], t: &Json) -> String {
    let ty = s(&t["type"]);
    let kind = if t["kind"].is_string() { kind_label(ui, kinds, &s(&t["kind"])) } else { String::new() };
    let base = ui.t2(&format!("automation-trigger-{}", ty.replace('_', "-")), "kind", &kind, "field", &s(&t["field"]));
    match ty.as_str() {
        "date_reached" => {
            format!("{base} ({})", ui.tn("automation-offset-days", "count", t["offset_days"].as_i64().unwrap_or(0)))
        }
        "no_activity" => format!("{base} ({})", ui.tn("automation-days", "count", t["days"].as_i64().unwrap_or(0))),
        _ => base,
    }
}

fn outcome(ui: &Ui, o: &str) -> String {
    ui.t(&format!("automation-outcome-{}", o.replace('_', "-")))
}

async fn index(State(state): State<AppState>, app: App) -> Response {
    let app = match admin(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (list, kinds) = match (state.store.workflows(&app.scope).await, kinds(&state, &app.scope, &app.ui).await) {
        (Ok(l), Ok(k)) => (l, k),
        (Err(e), _) | (_, Err(e)) => return store_failure(e),
    };
    let mut workflows = vec![];
    for w in &list {
        let id = s(&w["id"]);
        let last = match Uuid::parse_str(&id) {
            Ok(u) => state.store.workflow_runs(&app.scope, u, 3).await.unwrap_or_default(),
            Err(_) => vec![],
        };
        workflows.push(WorkflowLine {
            name: s(&w["name"]),
            trigger: trigger_words(&app.ui, &kinds, &w["trigger"]),
            active: w["active"].as_bool().unwrap_or(false),
            last: last.iter().map(|r| format!("{} · {}", app.ui.when(&r["at"]), outcome(&app.ui, &s(&r["outcome"])))).collect(),
            id,
        });
    }
    page(StatusCode::OK, &IndexPage { ui: app.ui, tab: "automation", workflows }, &[])
}

// ---- the workflow form -----------------------------------------------------

#[derive(Template)]
#[template(path = "web/automation_workflow.html")]
struct FormPage {
    ui: Ui,
    tab: &'static str,
    id: Option<String>,
    form: WorkflowForm,
    errors: Errors,
    triggers: Vec<Choice>,
    kinds: Vec<Choice>,
    action_kinds: Vec<Choice>,
    stages: Vec<Choice>,
    targets: Vec<Choice>,
}

async fn form_page(
    state: &AppState,
    app: App,
    id: Option<String>,
    form: WorkflowForm,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let ui = app.ui;
    let (stages, targets, kinds) =
        match (stages(state, &app.scope).await, targets(state, &app.scope, &ui).await, kinds(state, &app.scope, &ui).await) {
            (Ok(s), Ok(t), Ok(k)) => (s, t, k),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return store_failure(e),
        };
    let triggers = TRIGGERS
        .iter()
        .map(|t| Choice { value: t.to_string(), label: ui.t(&format!("automation-trigger-kind-{}", t.replace('_', "-"))) })
        .collect();
    let action_kinds = ACTIONS
        .iter()
        .map(|a| Choice { value: a.to_string(), label: ui.t(&format!("automation-action-{}", a.replace('_', "-"))) })
        .collect();
    let p = FormPage { ui, tab: "automation", id, form, errors, triggers, kinds, action_kinds, stages, targets };
    page(status, &p, &[])
}

pub fn parse_id(id: &str) -> Result<Uuid, Response> {
    Uuid::parse_str(id).map_err(|_| store_failure(StoreError::NotFound))
}

/// An admin's page about one definition: the checked request and the definition's id.
pub fn admin_on(app: App, id: &str) -> Result<(App, Uuid), Response> {
    let app = admin(app)?;
    Ok((app, parse_id(id)?))
}

/// An admin's post about one definition: admin, CSRF token checked, and the id.
pub fn admin_post_on(app: App, fields: &Fields, id: &str) -> Result<(App, Uuid), Response> {
    let app = admin_post(app, fields)?;
    Ok((app, parse_id(id)?))
}

async fn new_form(State(state): State<AppState>, app: App) -> Response {
    match admin(app) {
        Ok(app) => form_page(&state, app, None, WorkflowForm::blank(), Errors::default(), StatusCode::OK).await,
        Err(r) => r,
    }
}

async fn create(State(state): State<AppState>, app: App, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let form = WorkflowForm::from_fields(&fields);
    match state.store.create_workflow(&app.scope, &form.to_json()).await {
        Ok(w) => see_other(&format!("/settings/automation/workflows/{}", s(&w["id"])), &[]),
        Err(e) => match Errors::from_store(e, &app.ui) {
            Ok(errs) => form_page(&state, app, None, form, errs, StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(r) => r,
        },
    }
}

async fn edit_form(State(state): State<AppState>, app: App, Path(id): Path<String>) -> Response {
    let (app, uid) = match admin_on(app, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.store.workflow(&app.scope, uid).await {
        Ok(w) => form_page(&state, app, Some(id), WorkflowForm::from_json(&w), Errors::default(), StatusCode::OK).await,
        Err(e) => store_failure(e),
    }
}

async fn save(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    let (app, uid) = match admin_post_on(app, &fields, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let form = WorkflowForm::from_fields(&fields);
    match state.store.update_workflow(&app.scope, uid, &form.to_json(), form.version.parse().ok()).await {
        Ok(_) => see_other("/settings/automation", &[]),
        Err(e) => match Errors::from_store(e, &app.ui) {
            Ok(errs) => form_page(&state, app, Some(id), form, errs, StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(r) => r,
        },
    }
}

// ---- run log and delete ----------------------------------------------------

pub struct RunLine {
    pub at: String,
    pub trigger: String,
    pub href: String,
    pub outcome: String,
    pub ok: bool,
    pub error: String,
}

#[derive(Template)]
#[template(path = "web/automation_runs.html")]
struct RunsPage {
    ui: Ui,
    tab: &'static str,
    id: String,
    name: String,
    runs: Vec<RunLine>,
}

async fn runs(State(state): State<AppState>, app: App, Path(id): Path<String>) -> Response {
    let (app, uid) = match admin_on(app, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (w, list) = match (state.store.workflow(&app.scope, uid).await, state.store.workflow_runs(&app.scope, uid, 100).await) {
        (Ok(w), Ok(l)) => (w, l),
        (Err(e), _) | (_, Err(e)) => return store_failure(e),
    };
    let ui = app.ui;
    // A custom record's page is under its kind's key, which the trigger names.
    let object_type = s(&w["trigger"]["kind"]);
    let runs = list
        .iter()
        .map(|r| {
            let kind = Kind::parse(&s(&r["record_kind"]));
            let rid = s(&r["record_id"]);
            RunLine {
                at: ui.when(&r["at"]),
                trigger: ui.t(&format!("automation-trigger-kind-{}", s(&r["trigger"]).replace('_', "-"))),
                href: match kind {
                    Some(Kind::Object) if !rid.is_empty() => format!("/objects/{}/{rid}", super::frame::urlencode(&object_type)),
                    Some(k) if !rid.is_empty() => format!("/{}/{rid}", k.collection()),
                    _ => String::new(),
                },
                ok: s(&r["outcome"]) == "ok",
                outcome: outcome(&ui, &s(&r["outcome"])),
                error: s(&r["error"]),
            }
        })
        .collect();
    page(StatusCode::OK, &RunsPage { ui, tab: "automation", id, name: s(&w["name"]), runs }, &[])
}

#[derive(Template)]
#[template(path = "web/automation_delete.html")]
pub struct DeletePage {
    pub ui: Ui,
    pub tab: &'static str,
    pub action: String,
    pub name: String,
    pub text: String,
    pub back: String,
}

async fn confirm_delete(State(state): State<AppState>, app: App, Path(id): Path<String>) -> Response {
    let (app, uid) = match admin_on(app, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.store.workflow(&app.scope, uid).await {
        Ok(w) => {
            let text = app.ui.t("automation-delete-text");
            let p = DeletePage {
                ui: app.ui,
                tab: "automation",
                action: format!("/settings/automation/workflows/{id}/delete"),
                name: s(&w["name"]),
                text,
                back: format!("/settings/automation/workflows/{id}"),
            };
            page(StatusCode::OK, &p, &[])
        }
        Err(e) => store_failure(e),
    }
}

async fn delete(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    let (app, uid) = match admin_post_on(app, &fields, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.store.delete_workflow(&app.scope, uid).await {
        Ok(()) => see_other("/settings/automation", &[]),
        Err(e) => store_failure(e),
    }
}
