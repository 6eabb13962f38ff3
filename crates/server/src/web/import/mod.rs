//! Bringing a file in from the browser: upload, map columns, preview (a dry
//! run), then run with progress and a result. The engine is `rapport-io` and
//! the jobs are the API's import jobs (`api::io`): the pages only ask and show.
//! The rows are of a built-in kind or of one of the workspace's own record
//! kinds (`RowKind`), which the upload and the job name by its key.
//! Also `POST /demo`, which loads the demo company into a new workspace.
//!
//! Routes: GET/POST /import; GET /import/{upload}/mapping; POST /import/{upload}/preview;
//! POST /import/{upload}/run; GET /import/jobs/{job}; GET /import/jobs/{job}/rejects; POST /demo.

mod demo;
mod problems;
mod upload;
mod view;

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rapport_domain::Kind;
use rapport_io::mapping::{self, Mapping};
use rapport_io::{Format, Mode, RowKind};
use rapport_store::imports::{ImportJob, NewImportJob};
use rapport_store::{Scope, StoreError};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::frame::{App, Ui};
use super::{Fields, csrf_refused, message, page, see_other, store_failure};
use crate::AppState;
use crate::api::io::{run_job, running, settle};
use upload::{Refused, Upload};
use view::{ColumnLine, JobView, Option2};

/// Largest file accepted, as for the API.
pub const MAX_UPLOAD: usize = crate::api::io::MAX_UPLOAD;
/// Sample values shown for each column.
const SAMPLES: usize = 3;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/import", get(start).post(receive).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
        .route("/import/{upload}/mapping", get(mapping_page))
        .route("/import/{upload}/preview", post(preview))
        .route("/import/{upload}/run", post(run))
        .route("/import/jobs/{job}", get(job_page))
        .route("/import/jobs/{job}/rejects", get(rejects))
        .route("/demo", post(demo::load))
}

#[derive(Template)]
#[template(path = "web/import.html")]
struct StartPage {
    ui: Ui,
    kinds: Vec<Option2>,
    /// The workspace's own record kinds: key, plural label.
    custom_kinds: Vec<Option2>,
    selected: String,
    errors: Vec<String>,
    notice: Option<String>,
    jobs: Vec<view::JobLine>,
}

#[derive(Template)]
#[template(path = "web/import_mapping.html")]
struct MappingPage {
    ui: Ui,
    upload: String,
    kind_label: String,
    file_name: String,
    /// Format, encoding and delimiter found, for the reader to check.
    found: String,
    columns: Vec<ColumnLine>,
    targets: Vec<Option2>,
    saved: Vec<String>,
    saved_name: String,
    save_mapping: String,
    errors: Vec<String>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "web/import_job.html")]
struct JobPage {
    ui: Ui,
    job: JobView,
    errors: Vec<String>,
    notice: Option<String>,
}

/// The built-in kinds this reader may import.
fn importable(state: &AppState, scope: &Scope) -> Vec<Kind> {
    mapping::KINDS.into_iter().filter(|k| state.store.check_import(scope, *k).is_ok()).collect()
}

/// The workspace's own record kinds (key, plural label), none for those who may not see them.
async fn custom_kinds(state: &AppState, scope: &Scope) -> Result<Vec<(String, String)>, StoreError> {
    match state.store.object_type_names(scope).await {
        Err(StoreError::Forbidden(_)) => Ok(vec![]),
        r => r,
    }
}

/// What the rows of an upload are, as people call them.
fn plural(ui: &Ui, rows: &RowKind) -> String {
    rows.object_type.as_ref().map_or_else(|| ui.kinds(rows.kind), |d| d.plural.clone())
}

fn forbidden(ui: &Ui) -> Response {
    message(
        StatusCode::FORBIDDEN,
        &ui.t("import-forbidden-title"),
        &ui.t("import-forbidden-text"),
        "/",
        &ui.t("import-back-home"),
    )
}

/// A file that could not be written or read back: logged, and said so.
fn io_failure(ui: &Ui, e: std::io::Error) -> Response {
    tracing::error!(error = %e, "import upload failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        &ui.t("import-io-title"),
        &ui.t("import-io-text"),
        "/import",
        &ui.t("import-start-again"),
    )
}

fn not_found(ui: &Ui) -> Response {
    message(StatusCode::NOT_FOUND, &ui.t("import-gone-title"), &ui.t("import-gone-text"), "/import", &ui.t("import-start-again"))
}

async fn start_page(state: &AppState, app: App, selected: &str, errors: Vec<String>, status: StatusCode) -> Response {
    let names = match custom_kinds(state, &app.scope).await {
        Ok(n) => n,
        Err(e) => return store_failure(e),
    };
    let kinds = importable(state, &app.scope);
    let custom = if state.store.check_import(&app.scope, Kind::Object).is_ok() { names.clone() } else { vec![] };
    if kinds.is_empty() && custom.is_empty() {
        return forbidden(&app.ui);
    }
    let jobs = match state.store.import_jobs(&app.scope, 10).await {
        Ok(j) => j,
        Err(e) => return store_failure(e),
    };
    let ui = app.ui;
    let jobs = jobs.iter().map(|j| view::job_line(&ui, j, &names)).collect();
    let kinds = kinds.into_iter().map(|k| Option2 { value: k.collection().into(), label: ui.kinds(k) }).collect();
    let custom_kinds = custom.into_iter().map(|(value, label)| Option2 { value, label }).collect();
    let p = StartPage { ui, kinds, custom_kinds, selected: selected.to_string(), errors, notice: None, jobs };
    page(status, &p, &[])
}

/// `GET /import`: the upload form and the latest imports.
async fn start(State(state): State<AppState>, mut app: App, Query(q): Query<Vec<(String, String)>>) -> Response {
    app.ui.section = "home";
    let selected = q.iter().find(|(k, _)| k == "kind").map(|(_, v)| v.clone()).unwrap_or_default();
    start_page(&state, app, &selected, vec![], StatusCode::OK).await
}

/// `POST /import`: stores the file, then on to the mapping.
async fn receive(State(state): State<AppState>, app: App, form: Result<Multipart, MultipartRejection>) -> Response {
    let Ok(form) = form else {
        let e = app.ui.t("import-error-form");
        return start_page(&state, app, "", vec![e], StatusCode::BAD_REQUEST).await;
    };
    let csrf = app.session.csrf.clone();
    let received = upload::receive(&app.scope, form, |v| super::same_secret(v, &csrf)).await;
    let (fields, stored) = match received {
        Ok(r) => r,
        Err(Refused::Csrf) => return csrf_refused(),
        Err(Refused::Form) => {
            let e = app.ui.t("import-error-form");
            return start_page(&state, app, "", vec![e], StatusCode::BAD_REQUEST).await;
        }
        Err(Refused::Empty) => {
            let e = app.ui.t("import-error-empty");
            return start_page(&state, app, "", vec![e], StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(Refused::Io(e)) => {
            return io_failure(&app.ui, e);
        }
    };
    let fields = Fields(fields);
    let kind_text = fields.text("kind");
    let resolved = match kind_text.trim() {
        "" => Ok(None),
        name => RowKind::resolve(&state.store, &app.scope, name).await,
    };
    let rows = match resolved {
        Ok(Some(rows)) if state.store.check_import(&app.scope, rows.kind).is_ok() => rows,
        refused => {
            if let Some((id, _)) = &stored {
                upload::discard(&app.scope, id);
            }
            return match refused {
                Ok(Some(_)) => forbidden(&app.ui),
                Ok(None) => {
                    let e = app.ui.t("import-error-kind");
                    start_page(&state, app, "", vec![e], StatusCode::UNPROCESSABLE_ENTITY).await
                }
                Err(e) => store_failure(e),
            };
        }
    };
    let Some((id, file_name)) = stored else {
        let e = app.ui.t("import-error-no-file");
        return start_page(&state, app, &kind_text, vec![e], StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if let Err(e) = upload::describe(&app.scope, &id, &rows.name(), &file_name) {
        upload::discard(&app.scope, &id);
        return io_failure(&app.ui, e);
    }
    see_other(&format!("/import/{id}/mapping"), &[])
}

/// The start of an upload: what it turned out to be, its columns, and a few values of each.
struct Head {
    found: String,
    columns: Vec<String>,
    samples: Vec<Vec<String>>,
}

async fn read_head(up: &Upload) -> Result<Head, String> {
    let path = up.data.clone();
    let name = up.file_name.clone();
    let opened = tokio::task::spawn_blocking(move || -> Result<Head, String> {
        let file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
        let mut reader = rapport_io::source::open(file, Some(&name), None).map_err(|e| e.to_string())?;
        let columns = reader.columns.clone();
        let mut found = format!("{} · {}", reader.format.as_str().to_uppercase(), reader.encoding);
        if let Some(d) = reader.delimiter {
            let d = if d == b'\t' { "tab".to_string() } else { (d as char).to_string() };
            found.push_str(&format!(" · « {d} »"));
        }
        let mut samples = vec![vec![]; columns.len()];
        for row in reader.by_ref().take(SAMPLES) {
            let Ok(row) = row else { break };
            for c in row.cells {
                if let Some(s) = samples.get_mut(c.number.saturating_sub(1)) {
                    let v = match c.value {
                        Json::String(s) => s,
                        Json::Null => continue,
                        other => other.to_string(),
                    };
                    s.push(v.chars().take(60).collect());
                }
            }
        }
        Ok(Head { found, columns, samples })
    })
    .await;
    opened.map_err(|e| e.to_string())?
}

/// The upload, if this reader made it and may import its kind, with its kind
/// as it is now (a custom kind deleted since leaves the upload unusable).
async fn own_upload(state: &AppState, app: &App, id: &str) -> Result<(Upload, RowKind), Box<Response>> {
    let up = upload::find(&app.scope, id).ok_or_else(|| Box::new(not_found(&app.ui)))?;
    let rows = match RowKind::resolve(&state.store, &app.scope, &up.kind).await {
        Ok(Some(rows)) => rows,
        Ok(None) => return Err(Box::new(not_found(&app.ui))),
        Err(e) => return Err(Box::new(store_failure(e))),
    };
    if state.store.check_import(&app.scope, rows.kind).is_err() {
        return Err(Box::new(forbidden(&app.ui)));
    }
    Ok((up, rows))
}

struct MappingInput {
    /// Targets chosen by column name, when the reader chose (else the suggestions).
    chosen: Option<Map<String, Json>>,
    saved_name: String,
    save_mapping: String,
    errors: Vec<String>,
}

async fn mapping_view(
    state: &AppState,
    app: App,
    (up, rows): (&Upload, &RowKind),
    input: MappingInput,
    status: StatusCode,
) -> Response {
    let head = match read_head(up).await {
        Ok(h) => h,
        Err(e) => {
            upload::discard(&app.scope, &up.id);
            let msg = app.ui.t1("import-error-unreadable", "detail", &e);
            return start_page(state, app, &up.kind, vec![msg], StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let (kind, custom) = (rows.kind, &rows.custom);
    // Saved mappings name their rows' kind (a custom kind by its key): only this kind's are offered.
    let saved_all = match state.store.import_mappings(&app.scope).await {
        Ok(m) => m,
        Err(e) => return store_failure(e),
    };
    let saved: Vec<String> = saved_all
        .iter()
        .filter(|m| m.get("kind").and_then(Json::as_str) == Some(rows.owner()))
        .filter_map(|m| m.get("name").and_then(Json::as_str).map(str::to_string))
        .collect();
    let suggestions = mapping::suggest(kind, &head.columns, custom);
    let ui = app.ui;
    let columns = head
        .columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let suggested = suggestions.get(i).and_then(|s| s.target.clone()).unwrap_or_default();
            let selected = match &input.chosen {
                Some(m) => m.get(name).and_then(Json::as_str).unwrap_or_default().to_string(),
                None => suggested.clone(),
            };
            ColumnLine {
                n: i + 1,
                number: ui.tn("import-column-number", "number", i as i64 + 1),
                name: name.clone(),
                samples: head.samples.get(i).cloned().unwrap_or_default(),
                is_suggested: !suggested.is_empty() && selected == suggested,
                selected,
            }
        })
        .collect();
    let targets = rows
        .targets()
        .iter()
        .filter_map(|t| t.get("target").and_then(Json::as_str))
        .map(|t| Option2 { value: t.to_string(), label: view::target_label(&ui, kind, t, custom) })
        .collect();
    let p = MappingPage {
        kind_label: plural(&ui, rows),
        ui,
        upload: up.id.clone(),
        file_name: up.file_name.clone(),
        found: head.found,
        columns,
        targets,
        saved,
        saved_name: input.saved_name,
        save_mapping: input.save_mapping,
        errors: input.errors,
        notice: None,
    };
    page(status, &p, &[])
}

/// `GET /import/{upload}/mapping[?saved=NAME]`: each column, its sample values and its field.
async fn mapping_page(
    State(state): State<AppState>,
    mut app: App,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    app.ui.section = "home";
    let (up, rows) = match own_upload(&state, &app, &id).await {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let saved_name = q.iter().find(|(k, _)| k == "saved").map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let mut input = MappingInput { chosen: None, saved_name: String::new(), save_mapping: String::new(), errors: vec![] };
    if !saved_name.is_empty() {
        match state.store.import_mapping(&app.scope, &saved_name).await {
            Ok(Some((k, cols))) if k == rows.owner() => {
                input.chosen = cols.as_object().cloned();
                input.save_mapping = saved_name.clone();
                input.saved_name = saved_name;
            }
            Ok(_) => input.errors.push(app.ui.t1("import-error-saved", "name", &saved_name)),
            Err(e) => return store_failure(e),
        }
    }
    mapping_view(&state, app, (&up, &rows), input, StatusCode::OK).await
}

/// The mapping the form chose, by column name; errors as sentences.
async fn chosen_mapping(
    app: &App,
    (up, rows): (&Upload, &RowKind),
    fields: &Fields,
) -> Result<(Map<String, Json>, Result<Mapping, Vec<String>>), Response> {
    let head = read_head(up).await.map_err(|_| not_found(&app.ui))?;
    let mut chosen = Map::new();
    for (i, name) in head.columns.iter().enumerate() {
        let target = fields.text(&format!("col-{}", i + 1));
        if !target.trim().is_empty() {
            chosen.insert(name.clone(), Json::String(target.trim().to_string()));
        }
    }
    let m = if chosen.is_empty() {
        Err(vec![app.ui.t("import-error-nothing-mapped")])
    } else {
        Mapping::from_json(rows.kind, &Json::Object(chosen.clone()), &rows.custom)
    };
    Ok((chosen, m))
}

/// Starts an import job on the upload, run by the API's job machinery.
async fn start_job(
    state: &AppState,
    app: &App,
    (up, rows): (&Upload, &RowKind),
    m: Mapping,
    dry_run: bool,
    mode: Mode,
) -> Result<ImportJob, Response> {
    let scope = &app.scope;
    let file = std::fs::File::open(&up.data).map_err(|e| io_failure(&app.ui, e))?;
    let format = Format::from_name(&up.file_name);
    let job = state
        .store
        .create_import_job(
            scope,
            &NewImportJob {
                kind: rows.name(),
                format: format.map(Format::as_str).unwrap_or("auto").into(),
                file_name: Some(up.file_name.clone()),
                dry_run,
                mode: mode.as_str().into(),
                mapping: m.to_json(),
            },
        )
        .await
        .map_err(store_failure)?;
    let id = job.id;
    let opts = rapport_io::Options { mapping: Some(m), dry_run, mode, ..rows.options() };
    let (store, scope, name) = (state.store.clone(), scope.clone(), Some(up.file_name.clone()));
    running(id, true);
    tokio::spawn(async move {
        run_job(store, scope, id, file, name, format, opts, None).await;
        running(id, false);
    });
    Ok(job)
}

/// `POST /import/{upload}/preview`: a dry run with the chosen mapping (saved under a name if given).
async fn preview(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let (up, rows) = match own_upload(&state, &app, &id).await {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let (chosen, m) = match chosen_mapping(&app, (&up, &rows), &fields).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    // Not for custom kinds: see `mapping_view`.
    let save_mapping = fields.text("save_mapping").trim().to_string();
    let m = match m {
        Ok(m) => m,
        Err(errors) => {
            let input = MappingInput { chosen: Some(chosen), saved_name: String::new(), save_mapping, errors };
            return mapping_view(&state, app, (&up, &rows), input, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    if !save_mapping.is_empty() {
        match state.store.save_import_mapping(&app.scope, &save_mapping, rows.owner(), &m.to_json()).await {
            Ok(_) => {}
            Err(StoreError::Invalid(errs)) => {
                let errors = super::sentences(app.ui.catalog, &errs, |_| app.ui.t("import-save-mapping"));
                let input = MappingInput { chosen: Some(chosen), saved_name: String::new(), save_mapping, errors };
                return mapping_view(&state, app, (&up, &rows), input, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            Err(e) => return store_failure(e),
        }
    }
    match start_job(&state, &app, (&up, &rows), m, true, Mode::Partial).await {
        Ok(job) => see_other(&format!("/import/jobs/{}?upload={}", job.id, up.id), &[]),
        Err(r) => r,
    }
}

/// `POST /import/{upload}/run`: the import itself, in the mode chosen, with the previewed mapping.
async fn run(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let (up, rows) = match own_upload(&state, &app, &id).await {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let mode = Mode::parse(&fields.text("mode")).unwrap_or(Mode::Partial);
    let m = serde_json::from_str::<Json>(&fields.text("mapping"))
        .ok()
        .filter(Json::is_object)
        .and_then(|j| Mapping::from_json(rows.kind, &j, &rows.custom).ok());
    let Some(m) = m else {
        let input = MappingInput {
            chosen: None,
            saved_name: String::new(),
            save_mapping: String::new(),
            errors: vec![app.ui.t("import-error-nothing-mapped")],
        };
        return mapping_view(&state, app, (&up, &rows), input, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match start_job(&state, &app, (&up, &rows), m, false, mode).await {
        Ok(job) => see_other(&format!("/import/jobs/{}", job.id), &[]),
        Err(r) => r,
    }
}

/// `GET /import/jobs/{job}[?upload=ID]`: progress while it runs, then the preview or the result.
async fn job_page(
    State(state): State<AppState>,
    mut app: App,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    app.ui.section = "home";
    let Ok(id) = Uuid::parse_str(&id) else { return not_found(&app.ui) };
    let job = match state.store.import_job(&app.scope, id).await {
        Ok(j) => j,
        Err(StoreError::NotFound) => return not_found(&app.ui),
        Err(e) => return store_failure(e),
    };
    let job = match settle(&state.store, &app.scope, job).await {
        Ok(j) => j,
        Err(e) => return store_failure(e),
    };
    // The run form needs the upload still there, and the reader's own.
    let upload = q
        .iter()
        .find(|(k, _)| k == "upload")
        .and_then(|(_, v)| upload::find(&app.scope, v))
        .filter(|u| u.kind == job.kind)
        .map(|u| u.id);
    let names = match custom_kinds(&state, &app.scope).await {
        Ok(n) => n,
        Err(e) => return store_failure(e),
    };
    // Only a label: the field's key stands in when the definitions cannot be read.
    let defs = if problems::names_custom_field(&job, view::SHOWN_ERRORS) {
        RowKind::resolve(&state.store, &app.scope, &job.kind).await.ok().flatten().map(|r| r.custom).unwrap_or_default()
    } else {
        vec![]
    };
    let ui = app.ui;
    let view = view::job_view(&ui, &job, upload, &names, &defs);
    let active = view.active;
    let mut res = page(StatusCode::OK, &JobPage { ui, job: view, errors: vec![], notice: None }, &[]);
    if active {
        // Browsers reload the page until the job is over, with or without script.
        res.headers_mut().insert(header::REFRESH, HeaderValue::from_static("2"));
    }
    res
}

/// `GET /import/jobs/{job}/rejects`: the rows that failed, to fix and import again.
async fn rejects(State(state): State<AppState>, app: App, Path(id): Path<String>) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else { return not_found(&app.ui) };
    match state.store.import_job_rejects(&app.scope, id).await {
        Ok(Some((body, media_type))) => {
            let ext = if media_type.contains("ndjson") { "jsonl" } else { "csv" };
            let mut res = (StatusCode::OK, body).into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&media_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"rejects-{id}.{ext}\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Ok(None) | Err(StoreError::NotFound) => not_found(&app.ui),
        Err(e) => store_failure(e),
    }
}
