//! Import and export: import jobs (`/api/v1/imports`), mapping suggestions and
//! saved mappings, exports of any list (`/api/v1/{collection}/export`) and of
//! the whole workspace (`/api/v1/export`).
//!
//! An upload is spooled to a temporary file and imported by a task of this
//! server process; the job's status, counts, errors and rejected rows are kept
//! in the database. A durable job queue will take these over: until then a
//! server stopped during an import leaves the job `failed` with a note (the
//! rows committed before stay, and running the file again updates them).

use std::collections::HashSet;
use std::io::{Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json as JsonResponse, Router};
use rapport_domain::{Kind, ValidationErrors};
use rapport_io::import::{Counts, Observer, RowError, RowReport};
use rapport_io::mapping::{self, Mapping};
use rapport_io::{ExportFormat, ExportStream, Format, Mode, RowKind};
use rapport_store::imports::{ImportJob, JobUpdate, NewImportJob};
use rapport_store::{Scope, Store};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::AppState;
use crate::api::records::{Params, list_query, parse_id};
use crate::auth::Auth;
use crate::openapi::Operation;
use crate::problem::{ApiResult, Problem};

/// Largest file accepted for an import.
pub const MAX_UPLOAD: usize = 1024 * 1024 * 1024;
/// Errors and row reports kept with a job (the counts cover every row).
const KEEP_ERRORS: usize = 10_000;
const KEEP_REPORTS: usize = 1_000;

/// Jobs running in this process (the web import pages start theirs here too).
static RUNNING: Mutex<Option<HashSet<Uuid>>> = Mutex::new(None);

pub(crate) fn running(id: Uuid, on: bool) {
    let mut g = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    let set = g.get_or_insert_with(HashSet::new);
    if on {
        set.insert(id);
    } else {
        set.remove(&id);
    }
}

fn is_running_here(id: Uuid) -> bool {
    RUNNING.lock().unwrap_or_else(|e| e.into_inner()).as_ref().is_some_and(|s| s.contains(&id))
}

pub fn routes() -> Router<AppState> {
    let mut r = Router::new()
        .route("/api/v1/imports", get(list_jobs).post(create_job).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
        .route("/api/v1/imports/suggest-mapping", post(suggest_mapping))
        .route("/api/v1/imports/mappings", get(list_mappings))
        .route("/api/v1/imports/mappings/{name}", get(get_mapping).put(put_mapping).delete(delete_mapping))
        .route("/api/v1/imports/{id}", get(get_job))
        .route("/api/v1/imports/{id}/rejects", get(get_rejects))
        .route("/api/v1/export", get(export_workspace))
        .route("/api/v1/objects/{type}/export", get(export_objects));
    for kind in Kind::ALL {
        r = r.route(&format!("/api/v1/{}/export", kind.collection()), get(move |s, a, q| export(kind, s, a, q)));
    }
    r
}

/// A saved mapping's kind as clients name it: a collection (`people`), or a custom kind's key.
fn kind_label(owner: &str) -> String {
    Kind::parse(owner).map_or_else(|| owner.to_string(), |k| k.collection().to_string())
}

const KIND_HINT: &str = "use people, organizations, deals, activities or a custom record kind's key";

/// Reads the `kind` of an import: required, built-in or custom.
pub(crate) async fn import_kind(state: &AppState, scope: &Scope, raw: Option<&str>) -> ApiResult<RowKind> {
    let Some(raw) = raw.map(str::trim).filter(|k| !k.is_empty()) else {
        return Err(Problem::invalid(ValidationErrors::single(
            "kind",
            "required",
            format!("say what the rows are: {KIND_HINT}"),
        )));
    };
    RowKind::resolve(&state.store, scope, raw).await?.ok_or_else(|| invalid("kind", KIND_HINT))
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn invalid(field: &str, message: impl Into<String>) -> Problem {
    Problem::invalid(ValidationErrors::single(field, "invalid", message))
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// What an import request asks for, from the query string, form fields or JSON body.
#[derive(Default)]
struct ImportRequest {
    kind: Option<String>,
    format: Option<String>,
    dry_run: Option<String>,
    mode: Option<String>,
    /// A saved mapping's name, or a mapping as JSON.
    mapping: Option<Json>,
    save_mapping: Option<String>,
    file_name: Option<String>,
    media_type: Option<String>,
}

impl ImportRequest {
    fn set(&mut self, key: &str, value: String) {
        match key {
            "kind" => self.kind = Some(value),
            "format" => self.format = Some(value),
            "dry_run" => self.dry_run = Some(value),
            "mode" => self.mode = Some(value),
            "mapping" => {
                self.mapping =
                    Some(serde_json::from_str::<Json>(&value).ok().filter(Json::is_object).unwrap_or(Json::String(value)))
            }
            "save_mapping" => self.save_mapping = Some(value),
            "file_name" => self.file_name = Some(value),
            _ => {}
        }
    }
}

/// Spools a body to a temporary file, refusing more than `MAX_UPLOAD` bytes.
async fn spool(mut body: axum::body::BodyDataStream, file: &mut std::fs::File) -> ApiResult<u64> {
    use futures::StreamExt;
    let mut n = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            Problem::new(StatusCode::BAD_REQUEST, "bad-body", "The request body could not be read").detail(e.to_string())
        })?;
        n += chunk.len() as u64;
        if n > MAX_UPLOAD as u64 {
            return Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "The file is too large")
                .detail(format!("imports take files of at most {} MiB", MAX_UPLOAD / 1024 / 1024)));
        }
        file.write_all(&chunk).map_err(spool_error)?;
    }
    Ok(n)
}

fn spool_error(e: std::io::Error) -> Problem {
    tracing::error!(error = %e, "cannot spool an upload");
    Problem::internal()
}

fn temp_file() -> ApiResult<std::fs::File> {
    tempfile::tempfile().map_err(spool_error)
}

/// `POST /api/v1/imports`: a file as multipart (`file` plus fields), as the raw
/// body (options in the query string), or JSON `{kind, format, mapping, content}`.
pub async fn create_job(State(state): State<AppState>, auth: Auth, Query(params): Params, req: Request) -> ApiResult<Response> {
    let mut r = ImportRequest::default();
    for (k, v) in &params {
        r.set(k, v.clone());
    }
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    let mut file = temp_file()?;
    let size;
    if ct.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(req, &state).await.map_err(|e| Problem::bad_request("body", e.body_text()))?;
        let mut got = None;
        while let Some(field) = form.next_field().await.map_err(|e| Problem::bad_request("body", e.body_text()))? {
            let name = field.name().unwrap_or_default().to_string();
            if name == "file" {
                if let Some(f) = field.file_name() {
                    r.file_name.get_or_insert(f.to_string());
                }
                if let Some(t) = field.content_type() {
                    r.media_type = Some(t.to_string());
                }
                let mut n = 0u64;
                let mut field = field;
                while let Some(chunk) = field.chunk().await.map_err(|e| Problem::bad_request("file", e.body_text()))? {
                    n += chunk.len() as u64;
                    file.write_all(&chunk).map_err(spool_error)?;
                }
                got = Some(n);
            } else {
                let value = field.text().await.map_err(|e| Problem::bad_request(&name, e.body_text()))?;
                r.set(&name, value);
            }
        }
        size = got.ok_or_else(|| Problem::bad_request("file", "send the file in a form field named 'file'"))?;
    } else if ct.starts_with("application/json") {
        let bytes = Bytes::from_request(req, &state).await.map_err(|e| Problem::bad_request("body", e.body_text()))?;
        let body: Json = serde_json::from_slice(&bytes).map_err(|e| {
            Problem::bad_request("body", format!("malformed JSON at line {} column {}: {e}", e.line(), e.column()))
        })?;
        let Some(obj) = body.as_object() else { return Err(Problem::bad_request("body", "expected a JSON object")) };
        for key in ["kind", "format", "dry_run", "mode", "save_mapping", "file_name"] {
            match obj.get(key) {
                Some(Json::String(s)) => r.set(key, s.clone()),
                Some(Json::Bool(b)) => r.set(key, b.to_string()),
                _ => {}
            }
        }
        if let Some(m) = obj.get("mapping").filter(|m| !m.is_null()) {
            r.mapping = Some(m.clone());
        }
        let content = match obj.get("content") {
            Some(Json::String(s)) => s.clone().into_bytes(),
            // JSON records may come as JSON.
            Some(v @ (Json::Array(_) | Json::Object(_))) => {
                r.format.get_or_insert("json".into());
                v.to_string().into_bytes()
            }
            _ => {
                return Err(Problem::invalid(ValidationErrors::single(
                    "content",
                    "required",
                    "give the file's content as a string",
                )));
            }
        };
        file.write_all(&content).map_err(spool_error)?;
        size = content.len() as u64;
    } else {
        if !ct.is_empty() {
            r.media_type = Some(ct.clone());
        }
        size = spool(req.into_body().into_data_stream(), &mut file).await?;
    }
    if size == 0 {
        return Err(Problem::invalid(ValidationErrors::single("file", "required", "the file is empty")));
    }
    file.seek(SeekFrom::Start(0)).map_err(spool_error)?;
    let mut head = vec![0u8; 4096];
    let n = std::io::Read::read(&mut file, &mut head).map_err(spool_error)?;
    head.truncate(n);
    file.seek(SeekFrom::Start(0)).map_err(spool_error)?;

    let whole_workspace = r.format.as_deref() == Some("rapport") || rapport_io::workspace::sniff(&head);
    let dry_run = match r.dry_run.as_deref() {
        None => false,
        Some(s) => parse_bool(s).ok_or_else(|| invalid("dry_run", "use true or false"))?,
    };
    let mode = match r.mode.as_deref() {
        None => Mode::Partial,
        Some(s) => Mode::parse(s)
            .ok_or_else(|| invalid("mode", "use partial (good rows are imported, bad ones rejected) or all_or_nothing"))?,
    };
    let scope = auth.0.clone();
    if whole_workspace {
        for k in rapport_io::workspace::KINDS {
            state.store.check_import(&scope, k)?;
        }
        let job = state
            .store
            .create_import_job(
                &scope,
                &NewImportJob {
                    kind: "workspace".into(),
                    format: "rapport".into(),
                    file_name: r.file_name.clone(),
                    dry_run,
                    mode: "partial".into(),
                    mapping: json!({}),
                },
            )
            .await?;
        let id = job.id;
        running(id, true);
        let store = state.store.clone();
        tokio::spawn(async move {
            run_workspace_job(store, scope, id, file, dry_run).await;
            running(id, false);
        });
        return Ok(accepted(&job));
    }
    let target = import_kind(&state, &scope, r.kind.as_deref()).await?;
    let kind = target.kind;
    state.store.check_import(&scope, kind)?;
    let format = match r.format.as_deref() {
        Some(f) => Some(Format::parse(f).ok_or_else(|| invalid("format", "use csv, vcard or json"))?),
        None => r
            .media_type
            .as_deref()
            .and_then(Format::from_media_type)
            .or_else(|| r.file_name.as_deref().and_then(Format::from_name)),
    };
    let custom = &target.custom;
    let mapping = match &r.mapping {
        None => None,
        Some(Json::String(name)) => match state.store.import_mapping(&scope, name).await? {
            Some((k, cols)) if k == target.owner() => Some(Mapping::from_json(kind, &cols, custom).map_err(mapping_problem)?),
            Some((k, _)) => return Err(invalid("mapping", format!("the saved mapping '{name}' is for {}", kind_label(&k)))),
            None => return Err(invalid("mapping", format!("no saved mapping is named '{name}'"))),
        },
        Some(v) => Some(Mapping::from_json(kind, v, custom).map_err(mapping_problem)?),
    };
    if let (Some(name), Some(m)) = (&r.save_mapping, &mapping) {
        state.store.save_import_mapping(&scope, name, target.owner(), &m.to_json()).await?;
    }
    let job = state
        .store
        .create_import_job(
            &scope,
            &NewImportJob {
                kind: target.name(),
                format: format.map(Format::as_str).unwrap_or("auto").into(),
                file_name: r.file_name.clone(),
                dry_run,
                mode: mode.as_str().into(),
                mapping: mapping.as_ref().map(Mapping::to_json).unwrap_or(json!({})),
            },
        )
        .await?;
    let id = job.id;
    let opts = rapport_io::Options { mapping, dry_run, mode, ..target.options() };
    let store = state.store.clone();
    let name = r.file_name.clone();
    let save_as = r.save_mapping.clone().filter(|_| opts.mapping.is_none());
    running(id, true);
    tokio::spawn(async move {
        run_job(store, scope, id, file, name, format, opts, save_as).await;
        running(id, false);
    });
    Ok(accepted(&job))
}

fn mapping_problem(errors: Vec<String>) -> Problem {
    Problem::invalid(ValidationErrors(
        errors.into_iter().map(|m| rapport_domain::FieldError::new("mapping", "invalid", m)).collect(),
    ))
}

fn job_json(job: &ImportJob) -> Json {
    let mut v = serde_json::to_value(job).unwrap_or(Json::Null);
    let mut links = json!({"self": format!("/api/v1/imports/{}", job.id)});
    if job.has_rejects {
        links["rejects"] = Json::String(format!("/api/v1/imports/{}/rejects", job.id));
    }
    v["links"] = links;
    v
}

fn accepted(job: &ImportJob) -> Response {
    let mut res = (StatusCode::ACCEPTED, JsonResponse(job_json(job))).into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/v1/imports/{}", job.id)) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    res
}

/// Collects what a job keeps, and shares the counts with the ticker.
struct JobObserver {
    counts: Arc<Mutex<Counts>>,
    errors: Vec<RowError>,
    reports: Vec<RowReport>,
    started: Option<Json>,
}

impl Observer for JobObserver {
    fn started(&mut self, s: &rapport_io::import::Started) {
        self.started = serde_json::to_value(s).ok();
    }
    fn row(&mut self, r: &RowReport) {
        for e in &r.errors {
            if self.errors.len() < KEEP_ERRORS {
                self.errors.push(e.clone());
            }
        }
        if self.reports.len() < KEEP_REPORTS {
            let mut r = r.clone();
            r.errors.clear();
            self.reports.push(r);
        }
    }
    fn progress(&mut self, c: &Counts) {
        *self.counts.lock().unwrap_or_else(|e| e.into_inner()) = c.clone();
    }
}

/// A reject file kept in memory until the job ends.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes the counts every few seconds while a partial import commits batch after batch.
fn ticker(store: Store, scope: Scope, id: Uuid, counts: Arc<Mutex<Counts>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            let c = counts.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let u = JobUpdate { counts: serde_json::to_value(&c).ok(), ..Default::default() };
            let _ = store.update_import_job(&scope, id, &u).await;
        }
    })
}

fn outcome_message(s: &rapport_io::Summary) -> String {
    let c = &s.counts;
    let what =
        format!("{} rows: {} created, {} updated, {} skipped, {} failed", c.rows, c.created, c.updated, c.skipped, c.failed);
    if s.dry_run {
        format!("dry run, nothing was written; {what}")
    } else if !s.committed {
        format!("nothing was written: all or nothing, and {} rows failed; {what}", c.failed)
    } else {
        what
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_job(
    store: Store,
    scope: Scope,
    id: Uuid,
    file: std::fs::File,
    name: Option<String>,
    format: Option<Format>,
    opts: rapport_io::Options,
    save_as: Option<String>,
) {
    let set = |u: JobUpdate| {
        let (store, scope) = (store.clone(), scope.clone());
        async move {
            if let Err(e) = store.update_import_job(&scope, id, &u).await {
                tracing::error!(job = %id, error = %e, "cannot update an import job");
            }
        }
    };
    set(JobUpdate { status: Some("running".into()), ..Default::default() }).await;
    let counts = Arc::new(Mutex::new(Counts::default()));
    let tick = (!opts.dry_run && opts.mode == Mode::Partial).then(|| ticker(store.clone(), scope.clone(), id, counts.clone()));
    let mut obs = JobObserver { counts: counts.clone(), errors: vec![], reports: vec![], started: None };
    let rejects = Shared::default();
    let result = match tokio::task::spawn_blocking(move || rapport_io::source::open(file, name.as_deref(), format)).await {
        Ok(Ok(reader)) => {
            let want_rejects = opts.mode == Mode::Partial;
            let fmt = reader.format;
            let out: Option<Box<dyn Write + Send>> = want_rejects.then(|| Box::new(rejects.clone()) as Box<dyn Write + Send>);
            rapport_io::import::run(&store, &scope, reader, &opts, &mut obs, out).await.map(|s| (s, fmt))
        }
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(rapport_io::ImportError::Rejects(e.to_string())),
    };
    if let Some(t) = tick {
        t.abort();
    }
    match result {
        Ok((summary, fmt)) => {
            if let Some(name) = save_as {
                let _ = store.save_import_mapping(&scope, &name, opts.owner(), &summary.started.mapping).await;
            }
            let body = std::mem::take(&mut *rejects.0.lock().unwrap_or_else(|e| e.into_inner()));
            let rejects = (summary.counts.failed > 0 && !body.is_empty())
                .then(|| (String::from_utf8_lossy(&body).into_owned(), rapport_io::import::Rejects::media_type(fmt).to_string()));
            set(JobUpdate {
                status: Some("done".into()),
                mapping: Some(summary.started.mapping.clone()),
                counts: serde_json::to_value(&summary.counts).ok(),
                errors: serde_json::to_value(&obs.errors).ok(),
                report: serde_json::to_value(&obs.reports).ok(),
                message: Some(outcome_message(&summary)),
                rejects,
            })
            .await;
        }
        Err(e) => {
            let c = counts.lock().unwrap_or_else(|e| e.into_inner()).clone();
            set(JobUpdate {
                status: Some("failed".into()),
                counts: serde_json::to_value(&c).ok(),
                errors: serde_json::to_value(&obs.errors).ok(),
                report: serde_json::to_value(&obs.reports).ok(),
                message: Some(e.to_string()),
                ..Default::default()
            })
            .await;
        }
    }
}

async fn run_workspace_job(store: Store, scope: Scope, id: Uuid, file: std::fs::File, dry_run: bool) {
    let _ = store.update_import_job(&scope, id, &JobUpdate { status: Some("running".into()), ..Default::default() }).await;
    let counts = Arc::new(Mutex::new(Counts::default()));
    let mut obs = JobObserver { counts: counts.clone(), errors: vec![], reports: vec![], started: None };
    let result = rapport_io::workspace::import_workspace(&store, &scope, file, dry_run, &mut obs).await;
    let u = match result {
        Ok(summary) => JobUpdate {
            status: Some("done".into()),
            counts: serde_json::to_value(&summary.counts).ok(),
            errors: serde_json::to_value(&obs.errors).ok(),
            report: serde_json::to_value(&obs.reports).ok(),
            message: Some(outcome_message(&summary)),
            ..Default::default()
        },
        Err(e) => JobUpdate {
            status: Some("failed".into()),
            counts: serde_json::to_value(&*counts.lock().unwrap_or_else(|e| e.into_inner())).ok(),
            errors: serde_json::to_value(&obs.errors).ok(),
            message: Some(e.to_string()),
            ..Default::default()
        },
    };
    if let Err(e) = store.update_import_job(&scope, id, &u).await {
        tracing::error!(job = %id, error = %e, "cannot update an import job");
    }
}

/// A job left queued or running by a server that stopped is failed, with a note.
pub(crate) async fn settle(store: &Store, scope: &Scope, job: ImportJob) -> Result<ImportJob, rapport_store::StoreError> {
    let active = matches!(job.status.as_str(), "queued" | "running");
    if !active || is_running_here(job.id) {
        return Ok(job);
    }
    let stale = chrono::DateTime::parse_from_rfc3339(&job.started_at.clone().unwrap_or(job.created_at.clone()))
        .map(|t| chrono::Utc::now().signed_duration_since(t) > chrono::Duration::minutes(10))
        .unwrap_or(true);
    // Another server may be running it; after ten minutes without it here, it is taken as lost.
    if !stale {
        return Ok(job);
    }
    let note = "interrupted: the server stopped during the import. Rows imported before that are kept; \
                run the same file again and it updates them instead of duplicating";
    store
        .update_import_job(
            scope,
            job.id,
            &JobUpdate { status: Some("failed".into()), message: Some(note.into()), ..Default::default() },
        )
        .await?;
    store.import_job(scope, job.id).await
}

pub async fn get_job(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let job = state.store.import_job(&auth.0, id).await?;
    let job = settle(&state.store, &auth.0, job).await?;
    Ok(JsonResponse(job_json(&job)).into_response())
}

pub async fn list_jobs(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    let jobs = state.store.import_jobs(&auth.0, 50).await?;
    let items: Vec<Json> = jobs
        .iter()
        .map(|j| {
            let mut v = job_json(j);
            // The list stays light: errors and reports are in each job.
            if let Some(o) = v.as_object_mut() {
                o.remove("errors");
                o.remove("report");
            }
            v
        })
        .collect();
    Ok(JsonResponse(json!({"items": items})).into_response())
}

pub async fn get_rejects(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    match state.store.import_job_rejects(&auth.0, id).await? {
        Some((body, media_type)) => {
            let ext = if media_type.contains("ndjson") { "jsonl" } else { "csv" };
            let mut res = (StatusCode::OK, body).into_response();
            if let Ok(v) = HeaderValue::from_str(&media_type) {
                res.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"rejects-{id}.{ext}\"")) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(res)
        }
        None => Err(Problem::not_found().detail("this import rejected no rows")),
    }
}

/// `POST /api/v1/imports/suggest-mapping`: JSON `{kind, headers}` or `{kind, content}`,
/// or the start of the file as the body with `?kind=`.
pub async fn suggest_mapping(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    let mut kind = param(&params, "kind").map(str::to_string);
    let mut format = param(&params, "format").map(str::to_string);
    let mut header_row: Option<Vec<String>> = None;
    let mut content: Option<Vec<u8>> = None;
    if ct.starts_with("application/json") {
        let v: Json = serde_json::from_slice(&body).map_err(|e| Problem::bad_request("body", format!("malformed JSON: {e}")))?;
        if let Some(k) = v.get("kind").and_then(Json::as_str) {
            kind = Some(k.to_string());
        }
        if let Some(f) = v.get("format").and_then(Json::as_str) {
            format = Some(f.to_string());
        }
        if let Some(h) = v.get("headers").and_then(Json::as_array) {
            header_row = Some(h.iter().map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string())).collect());
        } else if let Some(c) = v.get("content").and_then(Json::as_str) {
            content = Some(c.as_bytes().to_vec());
        } else {
            return Err(Problem::invalid(ValidationErrors::single(
                "headers",
                "required",
                "give the header row as 'headers', or the file's start as 'content'",
            )));
        }
    } else if !body.is_empty() {
        content = Some(body.to_vec());
    } else {
        return Err(Problem::invalid(ValidationErrors::single(
            "body",
            "required",
            "send the start of the file, or JSON {kind, headers}",
        )));
    }
    let target = import_kind(&state, &auth.0, kind.as_deref()).await?;
    let (kind, custom) = (target.kind, &target.custom);
    let out = match (header_row, content) {
        (Some(h), _) => {
            let m = mapping::suggested_mapping(kind, &h, custom);
            json!({"kind": target.name(), "columns": h, "suggestions": mapping::suggest(kind, &h, custom), "mapping": m.to_json(), "targets": target.targets()})
        }
        (None, Some(c)) => {
            let fmt = match format.as_deref() {
                Some(f) => Some(Format::parse(f).ok_or_else(|| invalid("format", "use csv, vcard or json"))?),
                None => Format::from_media_type(&ct),
            };
            let reader = rapport_io::source::open(std::io::Cursor::new(c), None, fmt)
                .map_err(|e| Problem::invalid(ValidationErrors::single("content", "invalid", e.to_string())))?;
            let mut d = rapport_io::import::describe(&reader, kind, custom);
            d["kind"] = json!(target.name());
            d["targets"] = json!(target.targets());
            d
        }
        (None, None) => unreachable!("checked above"),
    };
    Ok(JsonResponse(out).into_response())
}

pub async fn list_mappings(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    Ok(JsonResponse(json!({"items": state.store.import_mappings(&auth.0).await?})).into_response())
}

pub async fn get_mapping(State(state): State<AppState>, auth: Auth, Path(name): Path<String>) -> ApiResult<Response> {
    match state.store.import_mapping(&auth.0, &name).await? {
        Some((kind, columns)) => {
            Ok(JsonResponse(json!({"name": name, "kind": kind_label(&kind), "columns": columns})).into_response())
        }
        None => Err(Problem::not_found()),
    }
}

/// `PUT /api/v1/imports/mappings/{name}` with `{kind, columns}`.
pub async fn put_mapping(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let v: Json = serde_json::from_slice(&body).map_err(|e| Problem::bad_request("body", format!("malformed JSON: {e}")))?;
    let rows = import_kind(&state, &auth.0, v.get("kind").and_then(Json::as_str)).await?;
    let Some(columns) = v.get("columns").filter(|c| c.is_object()) else {
        return Err(Problem::invalid(ValidationErrors::single(
            "columns",
            "required",
            "give {\"source column\": \"target field\", ...}",
        )));
    };
    let m = Mapping::from_json(rows.kind, columns, &rows.custom).map_err(mapping_problem)?;
    let saved = state.store.save_import_mapping(&auth.0, &name, rows.owner(), &m.to_json()).await?;
    Ok(JsonResponse(saved).into_response())
}

pub async fn delete_mapping(State(state): State<AppState>, auth: Auth, Path(name): Path<String>) -> ApiResult<Response> {
    state.store.delete_import_mapping(&auth.0, &name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn download(media_type: &str, file_name: &str, body: Body) -> Response {
    let mut res = Response::new(body);
    if let Ok(v) = HeaderValue::from_str(media_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// The `format` of an export: CSV unless said.
fn export_format(params: &[(String, String)]) -> ApiResult<ExportFormat> {
    match param(params, "format") {
        None => Ok(ExportFormat::Csv),
        Some(f) => ExportFormat::parse(f).ok_or_else(|| invalid("format", "use csv, vcard, json or jsonl")),
    }
}

/// The list's own parameters, without the export's.
fn list_params(params: Vec<(String, String)>) -> Vec<(String, String)> {
    params.into_iter().filter(|(k, _)| !matches!(k.as_str(), "format" | "limit" | "cursor")).collect()
}

fn export_problem(e: rapport_io::export::ExportError) -> Problem {
    match e {
        rapport_io::export::ExportError::Unsupported(m) => invalid("format", m),
        rapport_io::export::ExportError::Store(e) => e.into(),
        rapport_io::export::ExportError::Io(e) => spool_error(e),
    }
}

/// An export's file, streamed a page at a time.
fn export_download(stream: ExportStream, format: ExportFormat, name: &str) -> Response {
    let body = futures::stream::unfold(Some(stream), |s| async move {
        let mut s = s?;
        match s.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), Some(s))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "export failed midway");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
        }
    });
    download(format.media_type(), &format!("{name}.{}", format.extension()), Body::from_stream(body))
}

/// `GET /api/v1/{collection}/export?format=csv|vcard|json|jsonl` with the list's filters and sort.
pub async fn export(kind: Kind, State(state): State<AppState>, auth: Auth, Query(params): Params) -> ApiResult<Response> {
    let format = export_format(&params)?;
    let rest = list_params(params);
    // Refused before the first byte: once streaming, an error can only cut the body short.
    rapport_store::access::require_read(&auth.0, kind)?;
    let q = list_query(&state, &auth, kind, &rest).await?;
    let stream = ExportStream::new(state.store.clone(), auth.0.clone(), kind, format, q).await.map_err(export_problem)?;
    Ok(export_download(stream, format, kind.collection()))
}

/// `GET /api/v1/objects/{type}/export`: a custom record kind's records, as its list filters and sorts them.
pub async fn export_objects(
    State(state): State<AppState>,
    auth: Auth,
    Path(ty): Path<String>,
    Query(params): Params,
) -> ApiResult<Response> {
    let format = export_format(&params)?;
    let rest = list_params(params);
    rapport_store::access::require_read(&auth.0, Kind::Object)?;
    let def = state.store.object_type(&auth.0, &ty).await?;
    let q = crate::api::records::list_query_with(Kind::Object, &def.fields, &rest)?;
    let rows = RowKind::of_object_type(def);
    let stream = rows.export(state.store.clone(), auth.0.clone(), format, q).await.map_err(export_problem)?;
    Ok(export_download(stream, format, &rows.name()))
}

/// `GET /api/v1/export`: the whole workspace as JSON Lines, to import into another Rapport.
pub async fn export_workspace(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    rapport_store::access::require_admin(&auth.0)?;
    let e = rapport_io::workspace::WorkspaceExport::new(state.store.clone(), auth.0.clone());
    let body = futures::stream::unfold(Some(e), |s| async move {
        let mut s = s?;
        match s.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), Some(s))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "workspace export failed midway");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
        }
    });
    Ok(download("application/x-ndjson", "rapport-export.jsonl", Body::from_stream(body)))
}

// ---- OpenAPI -----------------------------------------------------------------

fn problems(codes: &[&str]) -> serde_json::Map<String, Json> {
    codes
        .iter()
        .map(|c| {
            (c.to_string(), json!({"description": "Problem details (RFC 9457)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}))
        })
        .collect()
}

fn op(summary: &str, params: Vec<Json>, body: Option<Json>, success: (&str, Json), errors: &[&str]) -> Json {
    let mut responses = problems(errors);
    responses.insert(success.0.into(), success.1);
    let mut o = json!({"summary": summary, "tags": ["Import and export"], "parameters": params, "responses": responses});
    if let Some(b) = body {
        o["requestBody"] = b;
    }
    o
}

fn query(name: &str, doc: &str, schema: Json) -> Json {
    json!({"name": name, "in": "query", "description": doc, "schema": schema})
}

/// The operations of this module, for the OpenAPI document.
pub fn operations() -> Vec<Operation> {
    let job = json!({"type": "object", "properties": {
        "id": {"type": "string", "format": "uuid"}, "kind": {"type": "string"}, "format": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]}, "dry_run": {"type": "boolean"},
        "mode": {"type": "string", "enum": ["partial", "all_or_nothing"]},
        "counts": {"type": "object", "properties": {"rows": {"type": "integer"}, "created": {"type": "integer"}, "updated": {"type": "integer"}, "skipped": {"type": "integer"}, "failed": {"type": "integer"}, "organizations_created": {"type": "integer"}}},
        "errors": {"type": "array", "items": {"type": "object", "properties": {"row": {"type": "integer"}, "column": {"type": ["string", "null"]}, "column_number": {"type": ["integer", "null"]},
            "field": {"type": "string", "description": "The record field at fault, when the store named one"},
            "code": {"type": "string", "description": "What went wrong: `validation.<code>` for a refused value (the codes of validation errors), `conflict.<code>` for a write other records refused, else the import's own (`not_a_date`, `pipeline_not_found`, ...)"},
            "args": {"type": "array", "items": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}, "description": "The values the message names, as [name, value] pairs; left out when none"},
            "message": {"type": "string", "description": "In English"}}}},
        "report": {"type": "array", "items": {"type": "object"}, "description": "What each of the first rows did or, in a dry run, would do"},
        "mapping": {"type": "object"}, "message": {"type": ["string", "null"]}, "has_rejects": {"type": "boolean"},
        "links": {"type": "object", "properties": {"self": {"type": "string"}, "rejects": {"type": "string"}}}}});
    let ok = |d: &str, schema: Json| ("200", json!({"description": d, "content": {"application/json": {"schema": schema}}}));
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}});
    let name = json!({"name": "name", "in": "path", "required": true, "schema": {"type": "string"}});
    let upload = json!({"required": true, "content": {
        "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}, "kind": {"type": "string"}, "format": {"type": "string"}, "mapping": {"type": "string", "description": "A saved mapping's name or a mapping as JSON"}, "dry_run": {"type": "boolean"}, "mode": {"type": "string"}}, "required": ["file"]}},
        "application/json": {"schema": {"type": "object", "properties": {"kind": {"type": "string"}, "format": {"type": "string", "enum": ["csv", "vcard", "json"]}, "mapping": {"description": "{source column: target field} or a saved mapping's name"}, "content": {"type": "string"}, "dry_run": {"type": "boolean"}, "mode": {"type": "string"}}, "required": ["kind", "content"]}},
        "text/csv": {"schema": {"type": "string"}}, "text/vcard": {"schema": {"type": "string"}}, "application/x-ndjson": {"schema": {"type": "string"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}});
    let import_params = vec![
        query(
            "kind",
            "people, organizations, deals or activities (not needed for a workspace export)",
            json!({"type": "string"}),
        ),
        query(
            "format",
            "csv, vcard or json; found from the media type, file name or content when left out",
            json!({"type": "string"}),
        ),
        query(
            "mapping",
            "A saved mapping's name, or a mapping as JSON; suggested from the header row when left out",
            json!({"type": "string"}),
        ),
        query("save_mapping", "Save the mapping used under this name", json!({"type": "string"})),
        query("dry_run", "Report what would happen, write nothing", json!({"type": "boolean"})),
        query(
            "mode",
            "partial: import good rows, reject bad ones; all_or_nothing: one transaction",
            json!({"type": "string", "enum": ["partial", "all_or_nothing"]}),
        ),
    ];
    let mapping_body = json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"kind": {"type": "string"}, "columns": {"type": "object", "additionalProperties": {"type": "string"}}}, "required": ["kind", "columns"]}}}});
    let suggest_body = json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"kind": {"type": "string"}, "headers": {"type": "array", "items": {"type": "string"}}, "content": {"type": "string"}}, "required": ["kind"]}}, "text/csv": {"schema": {"type": "string"}}}});
    let mut ops = vec![
        Operation {
            method: "get",
            path: "/api/v1/imports".into(),
            summary: "List import jobs".into(),
            tag: "Import and export".into(),
            op: op("The latest import jobs, newest first", vec![], None, ok("Jobs", json!({"type": "object"})), &["401"]),
        },
        Operation {
            method: "post",
            path: "/api/v1/imports".into(),
            summary: "Start an import".into(),
            tag: "Import and export".into(),
            op: op(
                "Upload a CSV, vCard or JSON file (or a workspace export): the import runs as a job; follow it at Location",
                import_params,
                Some(upload),
                ("202", json!({"description": "Accepted: the job", "content": {"application/json": {"schema": job.clone()}}})),
                &["400", "401", "403", "413", "422"],
            ),
        },
        Operation {
            method: "post",
            path: "/api/v1/imports/suggest-mapping".into(),
            summary: "Suggest a column mapping".into(),
            tag: "Import and export".into(),
            op: op(
                "Targets suggested for a file's columns (headers of common exports are known), and every target available",
                vec![query(
                    "kind",
                    "What the rows are: people, organizations, deals, activities or a custom record kind's key",
                    json!({"type": "string"}),
                )],
                Some(suggest_body),
                ok("Suggestions", json!({"type": "object"})),
                &["400", "401", "422"],
            ),
        },
        Operation {
            method: "get",
            path: "/api/v1/imports/mappings".into(),
            summary: "List saved mappings".into(),
            tag: "Import and export".into(),
            op: op("Column mappings saved for repeat imports", vec![], None, ok("Mappings", json!({"type": "object"})), &["401"]),
        },
        Operation {
            method: "get",
            path: "/api/v1/imports/mappings/{name}".into(),
            summary: "Get a saved mapping".into(),
            tag: "Import and export".into(),
            op: op(
                "A saved column mapping",
                vec![name.clone()],
                None,
                ok("The mapping", json!({"type": "object"})),
                &["401", "404"],
            ),
        },
        Operation {
            method: "put",
            path: "/api/v1/imports/mappings/{name}".into(),
            summary: "Save a mapping".into(),
            tag: "Import and export".into(),
            op: op(
                "Save (or replace) a column mapping under a name",
                vec![name.clone()],
                Some(mapping_body),
                ok("The mapping", json!({"type": "object"})),
                &["400", "401", "403", "422"],
            ),
        },
        Operation {
            method: "delete",
            path: "/api/v1/imports/mappings/{name}".into(),
            summary: "Delete a saved mapping".into(),
            tag: "Import and export".into(),
            op: op(
                "Delete a saved mapping",
                vec![name],
                None,
                ("204", json!({"description": "Deleted"})),
                &["401", "403", "404"],
            ),
        },
        Operation {
            method: "get",
            path: "/api/v1/imports/{id}".into(),
            summary: "An import job".into(),
            tag: "Import and export".into(),
            op: op(
                "Status (queued, running, done, failed), counts, errors by row and column, and the link to the rejected rows",
                vec![id.clone()],
                None,
                ok("The job", job),
                &["400", "401", "404"],
            ),
        },
        Operation {
            method: "get",
            path: "/api/v1/imports/{id}/rejects".into(),
            summary: "Rejected rows of an import".into(),
            tag: "Import and export".into(),
            op: op(
                "The rows that failed: CSV with the original columns and an error column (JSON Lines for JSON files)",
                vec![id],
                None,
                (
                    "200",
                    json!({"description": "The reject file", "content": {"text/csv": {"schema": {"type": "string"}}, "application/x-ndjson": {"schema": {"type": "string"}}}}),
                ),
                &["400", "401", "404"],
            ),
        },
        Operation {
            method: "get",
            path: "/api/v1/export".into(),
            summary: "Export the whole workspace".into(),
            tag: "Import and export".into(),
            op: op(
                "Every organization, person, deal and activity with the custom fields, pipelines and users they need, as JSON Lines that another Rapport imports back (admins)",
                vec![],
                None,
                (
                    "200",
                    json!({"description": "The export", "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}),
                ),
                &["401", "403"],
            ),
        },
    ];
    let custom_kind = json!({"name": "type", "in": "path", "required": true, "description": "The custom kind's key", "schema": {"type": "string"}});
    let exports = Kind::ALL
        .into_iter()
        .map(|k| {
            (format!("/api/v1/{}/export", k.collection()), format!("Export {}", k.collection()), k.title(), k.as_str(), None)
        })
        .chain([(
            "/api/v1/objects/{type}/export".to_string(),
            "Export a custom kind's records".to_string(),
            Kind::Object.title(),
            "record of the custom kind",
            Some(custom_kind),
        )]);
    for (path, summary, tag, what, path_param) in exports {
        ops.push(Operation {
            method: "get",
            path,
            summary,
            tag: tag.into(),
            op: op(
                &format!("Every {what} matching the list's filters and sort, as CSV, vCard (people and organizations), JSON or JSON Lines, streamed"),
                path_param.into_iter().chain([
                    query("format", "csv (default), vcard, json or jsonl", json!({"type": "string", "enum": ["csv", "vcard", "json", "jsonl"]})),
                    query("sort", "As for the list", json!({"type": "string"})),
                    query("q", "Global-search text the records must also match", json!({"type": "string"})),
                    json!({"name": "filter", "in": "query", "style": "deepObject", "explode": true, "description": "Filters as for the list: field=value or field[op]=value", "schema": {"type": "object", "additionalProperties": {"type": "string"}}}),
                ]).collect(),
                None,
                ("200", json!({"description": "The export", "content": {"text/csv": {"schema": {"type": "string"}}, "text/vcard": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "array"}}}})),
                &["401", "403", "422"],
            ),
        });
    }
    ops
}
