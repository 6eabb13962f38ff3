//! Pipelines and their stages: create, rename, make default, delete; add,
//! edit, reorder and delete stages. Every change goes through the store's
//! pipeline API (`update_pipeline`), so the rules are those of
//! `PUT /api/v1/pipelines/{id}`, with the version the page showed.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_store::StoreError;
use rapport_store::pipelines::{Pipeline, PipelineInput, StageInput};
use uuid::Uuid;

use super::{Problems, admin, admin_post};
use crate::AppState;
use crate::web::frame::{App, Ui};
use crate::web::{Fields, page, see_other, store_failure};

#[derive(Template)]
#[template(path = "web/settings_pipelines.html")]
struct ListPage {
    ui: Ui,
    tab: &'static str,
    pipelines: Vec<Pipeline>,
    new_name: String,
    problems: Problems,
}

/// A stage as the edit page shows it: stored, or as typed when refused.
pub struct StageRow {
    pub id: String,
    pub name: String,
    pub probability: String,
    pub outcome: String,
    pub problem: Option<String>,
    pub first: bool,
    pub last: bool,
}

#[derive(Template)]
#[template(path = "web/settings_pipeline.html")]
struct EditPage {
    ui: Ui,
    tab: &'static str,
    id: String,
    version: i64,
    name: String,
    is_default: bool,
    stages: Vec<StageRow>,
    problems: Problems,
    new_stage: StageRow,
}

#[derive(Template)]
#[template(path = "web/settings_confirm.html")]
struct Confirm {
    ui: Ui,
    tab: &'static str,
    title: String,
    text: String,
    action: String,
    back: String,
    version: i64,
    problems: Problems,
}

fn parse(id: &str) -> Result<Uuid, Response> {
    Uuid::parse_str(id).map_err(|_| store_failure(StoreError::NotFound))
}

fn input_of(p: &Pipeline) -> PipelineInput {
    PipelineInput {
        name: p.name.clone(),
        is_default: false,
        stages: p
            .stages
            .iter()
            .map(|s| StageInput { id: Some(s.id), name: s.name.clone(), probability: s.probability, outcome: s.outcome.clone() })
            .collect(),
    }
}

fn empty_stage() -> StageRow {
    StageRow {
        id: String::new(),
        name: String::new(),
        probability: "50".into(),
        outcome: "open".into(),
        problem: None,
        first: false,
        last: false,
    }
}

fn edit_page(ui: Ui, p: &Pipeline, problems: Problems) -> EditPage {
    let n = p.stages.len();
    EditPage {
        tab: "pipelines",
        id: p.id.to_string(),
        version: p.version,
        name: p.name.clone(),
        is_default: p.is_default,
        stages: p
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| StageRow {
                id: s.id.to_string(),
                name: s.name.clone(),
                probability: s.probability.to_string(),
                outcome: s.outcome.clone(),
                problem: None,
                first: i == 0,
                last: i + 1 == n,
            })
            .collect(),
        problems,
        new_stage: empty_stage(),
        ui,
    }
}

pub async fn list(State(state): State<AppState>, app: App) -> Response {
    let app = match admin(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match state.store.pipelines(&app.scope).await {
        Ok(pipelines) => page(
            StatusCode::OK,
            &ListPage { ui: app.ui, tab: "pipelines", pipelines, new_name: String::new(), problems: Problems::default() },
            &[],
        ),
        Err(e) => store_failure(e),
    }
}

pub async fn create(State(state): State<AppState>, app: App, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let name = fields.text("name").trim().to_string();
    // A new pipeline starts with one stage of each kind, to rename and extend.
    let stage = |key: &str, probability: i64, outcome: &str| StageInput {
        id: None,
        name: app.ui.t(key),
        probability,
        outcome: outcome.into(),
    };
    let input = PipelineInput {
        name: name.clone(),
        is_default: false,
        stages: vec![
            stage("settings-stage-default-open", 10, "open"),
            stage("settings-stage-default-won", 100, "won"),
            stage("settings-stage-default-lost", 0, "lost"),
        ],
    };
    let result = if name.is_empty() {
        Err(StoreError::Invalid(rapport_domain::ValidationErrors::single("name", "required", "is required")))
    } else {
        state.store.create_pipeline(&app.scope, &input).await
    };
    match result {
        Ok(p) => see_other(&format!("/settings/pipelines/{}", p.id), &[]),
        Err(e) => {
            let problems = match Problems::from_store(&app.ui, e) {
                Ok(p) => p,
                Err(r) => return r,
            };
            match state.store.pipelines(&app.scope).await {
                Ok(pipelines) => page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &ListPage { ui: app.ui, tab: "pipelines", pipelines, new_name: name, problems },
                    &[],
                ),
                Err(e) => store_failure(e),
            }
        }
    }
}

pub async fn show(State(state): State<AppState>, app: App, Path(id): Path<String>) -> Response {
    let app = match admin(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let id = match parse(&id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    match state.store.pipeline(&app.scope, id).await {
        Ok(p) => page(StatusCode::OK, &edit_page(app.ui, &p, Problems::default()), &[]),
        Err(e) => store_failure(e),
    }
}

/// The form's version of the pipeline, so that a stale page is refused.
fn version(fields: &Fields) -> Option<i64> {
    fields.get("version").and_then(|v| v.trim().parse().ok())
}

/// Loads the pipeline, applies a change to its input and saves it. On a
/// refusal the edit page comes back with the problems (`typed` adjusts it).
async fn change(
    state: &AppState,
    app: App,
    id: &str,
    fields: &Fields,
    edit: impl FnOnce(&Pipeline, &mut PipelineInput) -> Result<(), Problems>,
    typed: impl FnOnce(&mut EditPage, &Problems),
) -> Response {
    let id = match parse(id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let current = match state.store.pipeline(&app.scope, id).await {
        Ok(p) => p,
        Err(e) => return store_failure(e),
    };
    let mut input = input_of(&current);
    let result = match edit(&current, &mut input) {
        Ok(()) => state
            .store
            .update_pipeline(&app.scope, id, &input, version(fields))
            .await
            .map_err(|e| Problems::from_store(&app.ui, e)),
        Err(p) => Err(Ok(p)),
    };
    let problems = match result {
        Ok(_) => return see_other(&format!("/settings/pipelines/{id}"), &[]),
        Err(Ok(p)) => p,
        Err(Err(r)) => return r,
    };
    // Show the latest version, with what the person typed where it was refused.
    let latest = match state.store.pipeline(&app.scope, id).await {
        Ok(p) => p,
        Err(e) => return store_failure(e),
    };
    let stale = version(fields).is_some_and(|v| v != latest.version);
    let mut p = edit_page(app.ui, &latest, problems);
    if !stale {
        let problems = std::mem::take(&mut p.problems);
        typed(&mut p, &problems);
        p.problems = problems;
    }
    page(if stale { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY }, &p, &[])
}

fn probability(ui: &Ui, raw: &str, field: &str) -> Result<i64, Problems> {
    raw.trim().parse::<i64>().ok().filter(|n| (0..=100).contains(n)).ok_or_else(|| {
        let mut p = Problems::default();
        p.add(field, ui.t("settings-error-probability"));
        p
    })
}

pub async fn save(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let name = fields.text("name");
    let make_default = fields.get("is_default").is_some();
    let typed_name = name.clone();
    change(
        &state,
        app,
        &id,
        &fields,
        |_, input| {
            input.name = name.trim().to_string();
            input.is_default = make_default;
            Ok(())
        },
        |p, _| p.name = typed_name,
    )
    .await
}

/// The index of a stage in the pipeline, or not found.
fn stage_index(p: &Pipeline, sid: &str, missing: String) -> Result<usize, Problems> {
    p.stages.iter().position(|s| s.id.to_string() == sid).ok_or_else(|| Problems::one(missing))
}

fn stage_fields(ui: &Ui, fields: &Fields, field_prefix: &str) -> Result<(String, i64, String), Problems> {
    let probability = probability(ui, &fields.text("probability"), &format!("{field_prefix}.probability"))?;
    Ok((fields.text("name").trim().to_string(), probability, fields.text("outcome")))
}

/// The stage row's message: its own field errors, else the whole pipeline's.
fn row_problem(problems: &Problems, i: usize) -> Option<String> {
    ["name", "probability", "outcome"]
        .iter()
        .find_map(|f| problems.get(&format!("stages[{i}].{f}")).cloned())
        .or_else(|| problems.get("stages").cloned())
}

pub async fn add_stage(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let parsed = stage_fields(&app.ui, &fields, "new");
    let (name, prob, outcome) = (fields.text("name"), fields.text("probability"), fields.text("outcome"));
    change(
        &state,
        app,
        &id,
        &fields,
        |_, input| {
            let (name, probability, outcome) = parsed?;
            // New stages go before the closing (won, lost) ones when open.
            let pos = if outcome == "open" {
                input.stages.iter().position(|s| s.outcome != "open").unwrap_or(input.stages.len())
            } else {
                input.stages.len()
            };
            input.stages.insert(pos, StageInput { id: None, name, probability, outcome });
            Ok(())
        },
        |p, problems| {
            // Where the stage was to go, for its errors named by position.
            let at = if outcome == "open" {
                p.stages.iter().position(|s| s.outcome != "open").unwrap_or(p.stages.len())
            } else {
                p.stages.len()
            };
            p.new_stage.name = name;
            p.new_stage.probability = prob;
            p.new_stage.outcome = outcome;
            p.new_stage.problem = problems.get("new.probability").cloned().or_else(|| row_problem(problems, at));
        },
    )
    .await
}

pub async fn save_stage(
    State(state): State<AppState>,
    app: App,
    Path((id, sid)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let parsed = stage_fields(&app.ui, &fields, "stage");
    let (name, prob, outcome) = (fields.text("name"), fields.text("probability"), fields.text("outcome"));
    let sid2 = sid.clone();
    let missing = app.ui.t("error-not-found");
    change(
        &state,
        app,
        &id,
        &fields,
        |current, input| {
            let i = stage_index(current, &sid, missing)?;
            let (name, probability, outcome) = parsed?;
            let s = &mut input.stages[i];
            (s.name, s.probability, s.outcome) = (name, probability, outcome);
            Ok(())
        },
        |p, problems| {
            if let Some((i, row)) = p.stages.iter_mut().enumerate().find(|(_, r)| r.id == sid2) {
                row.problem = problems.get("stage.probability").cloned().or_else(|| row_problem(problems, i));
                (row.name, row.probability, row.outcome) = (name, prob, outcome);
            }
        },
    )
    .await
}

async fn move_stage(state: AppState, app: App, id: String, sid: String, fields: Fields, up: bool) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let missing = app.ui.t("error-not-found");
    change(
        &state,
        app,
        &id,
        &fields,
        |current, input| {
            let i = stage_index(current, &sid, missing)?;
            let j = if up { i.checked_sub(1) } else { Some(i + 1).filter(|j| *j < input.stages.len()) };
            if let Some(j) = j {
                input.stages.swap(i, j);
            }
            Ok(())
        },
        |_, _| {},
    )
    .await
}

pub async fn stage_up(
    State(state): State<AppState>,
    app: App,
    Path((id, sid)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    move_stage(state, app, id, sid, fields, true).await
}

pub async fn stage_down(
    State(state): State<AppState>,
    app: App,
    Path((id, sid)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    move_stage(state, app, id, sid, fields, false).await
}

fn confirm_page(ui: Ui, title: String, text: String, action: String, back: String, version: i64, problems: Problems) -> Confirm {
    Confirm { ui, tab: "pipelines", title, text, action, back, version, problems }
}

pub async fn confirm_delete(State(state): State<AppState>, app: App, Path(id): Path<String>) -> Response {
    let app = match admin(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let id = match parse(&id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    match state.store.pipeline(&app.scope, id).await {
        Ok(p) => {
            let title = app.ui.t1("settings-pipeline-delete-title", "name", &p.name);
            let text = app.ui.t("settings-pipeline-delete-text");
            let (action, back) = (format!("/settings/pipelines/{id}/delete"), format!("/settings/pipelines/{id}"));
            page(StatusCode::OK, &confirm_page(app.ui, title, text, action, back, p.version, Problems::default()), &[])
        }
        Err(e) => store_failure(e),
    }
}

pub async fn delete(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let id = match parse(&id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let p = match state.store.pipeline(&app.scope, id).await {
        Ok(p) => p,
        Err(e) => return store_failure(e),
    };
    let problems = if p.is_default {
        Problems::one(app.ui.t("settings-pipeline-delete-default"))
    } else {
        match state.store.delete_pipeline(&app.scope, id).await {
            Ok(()) => return see_other("/settings/pipelines", &[]),
            Err(StoreError::Conflict(_)) => Problems::one(app.ui.t("settings-pipeline-delete-in-use")),
            Err(e) => return store_failure(e),
        }
    };
    let title = app.ui.t1("settings-pipeline-delete-title", "name", &p.name);
    let (action, back) = (format!("/settings/pipelines/{id}/delete"), format!("/settings/pipelines/{id}"));
    page(StatusCode::CONFLICT, &confirm_page(app.ui, title, String::new(), action, back, p.version, problems), &[])
}

pub async fn confirm_delete_stage(State(state): State<AppState>, app: App, Path((id, sid)): Path<(String, String)>) -> Response {
    let app = match admin(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let pid = match parse(&id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let p = match state.store.pipeline(&app.scope, pid).await {
        Ok(p) => p,
        Err(e) => return store_failure(e),
    };
    let Some(stage) = p.stages.iter().find(|s| s.id.to_string() == sid) else { return store_failure(StoreError::NotFound) };
    let title = app.ui.t1("settings-stage-delete-title", "name", &stage.name);
    let text = app.ui.t("settings-stage-delete-text");
    let (action, back) = (format!("/settings/pipelines/{pid}/stages/{}/delete", stage.id), format!("/settings/pipelines/{pid}"));
    page(StatusCode::OK, &confirm_page(app.ui, title, text, action, back, p.version, Problems::default()), &[])
}

pub async fn delete_stage(
    State(state): State<AppState>,
    app: App,
    Path((id, sid)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let pid = match parse(&id) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let p = match state.store.pipeline(&app.scope, pid).await {
        Ok(p) => p,
        Err(e) => return store_failure(e),
    };
    let Some(stage) = p.stages.iter().find(|s| s.id.to_string() == sid).cloned() else {
        return store_failure(StoreError::NotFound);
    };
    let mut input = input_of(&p);
    input.stages.retain(|s| s.id != Some(stage.id));
    let problems = match state.store.update_pipeline(&app.scope, pid, &input, version(&fields)).await {
        Ok(_) => return see_other(&format!("/settings/pipelines/{pid}"), &[]),
        Err(StoreError::Conflict(_)) => Problems::one(app.ui.t1("settings-stage-delete-in-use", "name", &stage.name)),
        Err(e) => match Problems::from_store(&app.ui, e) {
            Ok(p) => p,
            Err(r) => return r,
        },
    };
    let title = app.ui.t1("settings-stage-delete-title", "name", &stage.name);
    let (action, back) = (format!("/settings/pipelines/{pid}/stages/{}/delete", stage.id), format!("/settings/pipelines/{pid}"));
    let latest = state.store.pipeline(&app.scope, pid).await.map(|p| p.version).unwrap_or(p.version);
    page(StatusCode::CONFLICT, &confirm_page(app.ui, title, String::new(), action, back, latest, problems), &[])
}
