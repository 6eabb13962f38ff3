//! Lists of people, organizations, deals, tasks and activities: filters, sort, chosen
//! columns, saved views (mine and shared), bulk actions, export, keyset paging.
//! Routes: GET /people, /organizations, /deals, /tasks, /activities; POST /{collection}/bulk;
//! POST /views, POST /views/{id} (share, rename, update), POST /views/{id}/delete; GET /{collection}/export.
//!
//! Every state of a list is its URL, so that a list works with plain links and
//! forms, and a saved view is just a query string.

mod bulk;
pub(super) mod columns;
pub mod query;
mod saved;

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use rapport_domain::custom::CustomField;
use rapport_domain::schema::{self, FieldType};
use rapport_domain::{FieldError, Kind, access};
use rapport_io::RowKind;
use rapport_io::export::{ExportFormat, ExportStream};
use rapport_store::views::SavedView;
use rapport_store::{ListQuery, StoreError};
use uuid::Uuid;

use self::columns::{Cell, ColDef, UserLine};
use self::query::{Params, RESERVED, get as param};
use super::frame::{App, Ui};
use super::{message, page, store_failure};
use crate::AppState;

/// The kinds with a list page, in navigation order.
pub const KINDS: [Kind; 5] = [Kind::Person, Kind::Organization, Kind::Deal, Kind::Task, Kind::Activity];

pub fn routes() -> Router<AppState> {
    let mut r = Router::new()
        .route("/views", post(saved::create))
        .route("/views/{id}", post(saved::update))
        .route("/views/{id}/delete", post(saved::delete));
    for kind in KINDS {
        let c = kind.collection();
        r = r
            .route(&format!("/{c}"), get(move |s, a, q| show(kind, s, a, q)))
            .route(&format!("/{c}/export"), get(move |s, a, q| export(kind, s, a, q)))
            .route(&format!("/{c}/bulk"), post(move |s, a, f| bulk::submit(kind, s, a, f)));
    }
    r
}

/// The navigation entry of a kind's list.
fn section(kind: Kind) -> &'static str {
    match kind {
        Kind::Person => "people",
        Kind::Organization => "organizations",
        Kind::Deal => "deals",
        Kind::Task => "tasks",
        Kind::Activity => "activities",
        _ => "",
    }
}

/// An option of a `<select>`.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A quick filter: a `<select>` of the filter form.
pub struct Quick {
    pub name: &'static str,
    pub label: String,
    pub options: Vec<Opt>,
}

/// A filter of the URL that has no quick filter: shown, kept, removable.
pub struct Chip {
    pub key: String,
    pub value: String,
    pub label: String,
    pub remove: String,
}

pub struct Head {
    pub label: String,
    pub href: Option<String>,
    /// `ascending`, `descending`, or empty when the list is not sorted by it.
    pub aria_sort: &'static str,
    /// `num` for figures, aligned like their cells.
    pub class: &'static str,
}

pub struct Row {
    pub id: String,
    pub name: String,
    pub cells: Vec<Cell>,
}

pub struct Pick {
    pub name: String,
    pub label: String,
    pub checked: bool,
}

pub struct ViewLine {
    pub id: String,
    pub name: String,
    pub href: String,
    pub shared: bool,
    pub can_delete: bool,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "web/list.html")]
struct ListPage {
    ui: Ui,
    collection: &'static str,
    title: String,
    q: String,
    quick: Vec<Quick>,
    chips: Vec<Chip>,
    /// Kept by the filter form: sort, columns, page size.
    keep: Params,
    /// Kept by the column form: everything but the columns.
    keep_cols: Params,
    errors: Vec<String>,
    /// What an empty list says: what these records are and how to get some.
    empty_text: String,
    /// The create button's label (`New person`).
    new_label: String,
    /// What a change made elsewhere did (a record deleted from its page).
    notice: Option<String>,
    head: Vec<Head>,
    rows: Vec<Row>,
    next_href: Option<String>,
    first_href: Option<String>,
    views: Vec<ViewLine>,
    picker: Vec<Pick>,
    query: String,
    back: String,
    filtered: bool,
    exports: Vec<Opt>,
    formats: Vec<Opt>,
    can_write: bool,
    can_assign: bool,
    can_tag: bool,
    can_stage: bool,
    can_done: bool,
    users: Vec<Opt>,
    stages: Vec<Opt>,
}

/// What a list request asks for, read from its URL (and saved view).
pub struct Prepared {
    pub params: Params,
    pub custom: Vec<CustomField>,
    pub parsed: query::Parsed,
}

/// Expands `view=`, reads filters and sort. A view one may not see is not found.
pub async fn prepare(state: &AppState, app: &App, kind: Kind, url: Params) -> Result<Prepared, StoreError> {
    let params = match param(&url, "view") {
        None => url,
        Some(id) => {
            let id = Uuid::parse_str(id).map_err(|_| StoreError::NotFound)?;
            let v = state.store.view(&app.scope, id).await?;
            if v.kind != kind {
                return Err(StoreError::NotFound);
            }
            query::merge(&v.query, &url)
        }
    };
    let custom = if kind.has_custom_fields() { state.store.custom_fields(&app.scope, kind).await? } else { vec![] };
    let parsed = query::parse(kind, &params, &custom, app.user_id(), &app.ui.fmt, columns::default_sort(kind));
    Ok(Prepared { params, custom, parsed })
}

/// The reasons a URL was refused, as sentences.
fn error_lines(ui: &Ui, kind: Kind, errors: &[FieldError]) -> Vec<String> {
    errors
        .iter()
        .map(|e| {
            let (field, _) = query::split_key(&e.field);
            let label = if RESERVED.contains(&field) || field == "cursor" { field.to_string() } else { ui.field(kind, field) };
            // The page size is checked here, not by the store: its reason is in the catalog.
            let m = if e.field == "limit" { ui.t("lists-error-limit") } else { ui.catalog.invalid(e) };
            ui.t2("lists-error-param", "param", &label, "message", &m)
        })
        .collect()
}

fn opt(value: &str, label: String, current: Option<&str>) -> Opt {
    Opt { value: value.to_string(), label, selected: current.unwrap_or("") == value }
}

fn enum_quick(ui: &Ui, kind: Kind, name: &'static str, params: &Params) -> Option<Quick> {
    let FieldType::Enum(values) = schema::field(kind, name)?.ty else { return None };
    let cur = param(params, name);
    let mut options = vec![opt("", ui.t("lists-any"), cur)];
    options.extend(values.iter().map(|v| opt(v, ui.value(name, v), cur)));
    Some(Quick { name, label: ui.field(kind, name), options })
}

fn quick_filters(
    ui: &Ui,
    kind: Kind,
    params: &Params,
    users: &[UserLine],
    pipes: &[rapport_store::pipelines::Pipeline],
) -> Vec<Quick> {
    let mut out = vec![];
    let cur = param(params, "owner");
    let mut owners = vec![opt("", ui.t("lists-anyone"), cur), opt("me", ui.t("lists-me"), cur)];
    owners.extend(users.iter().filter(|u| u.2).map(|(id, name, _)| opt(id, name.clone(), cur)));
    let owner_label =
        if kind == Kind::Activity { ui.field(kind, "created_by") } else { ui.field(kind, query::owner_field(kind)) };
    out.push(Quick { name: "owner", label: owner_label, options: owners });
    match kind {
        Kind::Person => out.extend(enum_quick(ui, kind, "lifecycle_stage", params)),
        Kind::Organization => out.extend(enum_quick(ui, kind, "relationship", params)),
        Kind::Activity => out.extend(enum_quick(ui, kind, "type", params)),
        Kind::Task => {
            out.extend(enum_quick(ui, kind, "status", params));
            let cur = param(params, "due");
            let options = vec![
                opt("", ui.t("lists-any"), cur),
                opt("overdue", ui.t("lists-due-overdue"), cur),
                opt("today", ui.t("lists-due-today"), cur),
                opt("week", ui.t("lists-due-week"), cur),
            ];
            out.push(Quick { name: "due", label: ui.field(kind, "due_at"), options });
        }
        Kind::Deal => {
            out.extend(enum_quick(ui, kind, "status", params));
            if pipes.len() > 1 {
                let cur = param(params, "pipeline_id");
                let mut options = vec![opt("", ui.t("lists-any"), cur)];
                options.extend(pipes.iter().map(|p| opt(&p.id.to_string(), p.name.clone(), cur)));
                out.push(Quick { name: "pipeline_id", label: ui.field(kind, "pipeline_id"), options });
            }
            let cur = param(params, "stage_id");
            let mut options = vec![opt("", ui.t("lists-any"), cur)];
            options.extend(stage_options(pipes, cur));
            out.push(Quick { name: "stage_id", label: ui.field(kind, "stage_id"), options });
        }
        _ => {}
    }
    out
}

fn stage_options(pipes: &[rapport_store::pipelines::Pipeline], cur: Option<&str>) -> Vec<Opt> {
    pipes
        .iter()
        .flat_map(|p| {
            p.stages.iter().map(move |s| {
                let label = if pipes.len() > 1 { format!("{} · {}", p.name, s.name) } else { s.name.clone() };
                opt(&s.id.to_string(), label, cur)
            })
        })
        .collect()
}

fn op_text(ui: &Ui, op: &str) -> String {
    match op {
        "eq" | "ne" | "lt" | "lte" | "gt" | "gte" | "contains" | "in" | "is_null" => ui.t(&format!("lists-op-{op}")),
        other => other.to_string(),
    }
}

pub async fn show(kind: Kind, State(state): State<AppState>, mut app: App, Query(url): Query<Params>) -> Response {
    app.ui.section = section(kind);
    let prepared = match prepare(&state, &app, kind, url).await {
        Ok(p) => p,
        Err(e) => return store_failure(e),
    };
    match build(&state, app, kind, prepared).await {
        Ok((status, p)) => page(status, &p, &[]),
        Err(e) => store_failure(e),
    }
}

async fn build(state: &AppState, app: App, kind: Kind, prep: Prepared) -> Result<(StatusCode, ListPage), StoreError> {
    let App { scope, ui, .. } = app;
    let Prepared { params, custom, parsed } = prep;
    let collection = kind.collection();
    let canon = query::canonical(&params);
    let mut errors = error_lines(&ui, kind, &parsed.errors);
    let users = columns::users(&state.store, &scope).await?;
    let pipes = if kind == Kind::Deal { state.store.pipelines(&scope).await? } else { vec![] };

    let all_cols = columns::available(kind, &custom, &ui);
    let asked: Vec<String> = params.iter().filter(|(k, _)| k == "cols").map(|(_, v)| v.clone()).collect();
    let cols = columns::chosen(kind, &all_cols, &asked);

    let (items, next_cursor) = if errors.is_empty() {
        match state.store.list(&scope, kind, &parsed.query).await {
            Ok(p) => (p.items, p.next_cursor),
            Err(StoreError::Invalid(e)) => {
                errors = error_lines(&ui, kind, &e.0);
                (vec![], None)
            }
            Err(e) => return Err(e),
        }
    } else {
        (vec![], None)
    };
    let names = columns::load_names(&state.store, &scope, &cols, &items, &users, &pipes).await?;
    let rows: Vec<Row> = items
        .iter()
        .map(|r| {
            let cells: Vec<Cell> = cols.iter().map(|c| columns::cell(kind, c, r, &names, &ui)).collect();
            let name = cells.first().and_then(|c| c.parts.first()).map(|p| p.text.clone()).unwrap_or_default();
            Row { id: r.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_string(), name, cells }
        })
        .collect();

    // Sorting by a column: ascending first, then the other way.
    let (sort_desc, sort_name) = match parsed.sort.strip_prefix('-') {
        Some(n) => (true, n.to_string()),
        None => (false, parsed.sort.clone()),
    };
    let head = cols
        .iter()
        .map(|c: &ColDef| {
            let sorted_here = c.sort.as_deref() == Some(sort_name.as_str());
            let href = c.sort.as_ref().map(|key| {
                let spec = if sorted_here && !sort_desc { format!("-{key}") } else { key.clone() };
                query::href(collection, &query::set(&canon, "sort", Some(&spec)))
            });
            let aria_sort = match (sorted_here, sort_desc) {
                (true, false) => "ascending",
                (true, true) => "descending",
                _ => "",
            };
            let class = if matches!(c.render, columns::Render::Money | columns::Render::Int) { "num" } else { "" };
            Head { label: c.label.clone(), href, aria_sort, class }
        })
        .collect();

    let quick = quick_filters(&ui, kind, &params, &users, &pipes);
    let quick_names: Vec<&str> = quick.iter().map(|q| q.name).collect();
    let chips = canon
        .iter()
        .filter(|(k, _)| !RESERVED.contains(&k.as_str()) && !quick_names.contains(&k.as_str()))
        .map(|(k, v)| {
            let (field, op) = query::split_key(k);
            let label = format!("{} {} {v}", ui.field(kind, field), op_text(&ui, op));
            let rest: Params = canon.iter().filter(|p| !(p.0 == *k && p.1 == *v)).cloned().collect();
            Chip { key: k.clone(), value: v.clone(), label, remove: query::href(collection, &rest) }
        })
        .collect();
    let keep: Params = canon.iter().filter(|(k, _)| matches!(k.as_str(), "sort" | "cols" | "limit")).cloned().collect();
    let keep_cols: Params = canon.iter().filter(|(k, _)| k != "cols").cloned().collect();
    let filtered = canon.iter().any(|(k, _)| !matches!(k.as_str(), "sort" | "cols" | "limit"));

    let chosen: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
    let picker = all_cols
        .iter()
        .map(|c| Pick { name: c.name.clone(), label: c.label.clone(), checked: chosen.contains(&c.name.as_str()) })
        .collect();

    let query_string = query::qs(&canon);
    let back = query::href(collection, &canon);
    let me = scope.user_id;
    let views = state
        .store
        .views(&scope, kind)
        .await?
        .into_iter()
        .map(|v: SavedView| ViewLine {
            id: v.id.to_string(),
            href: format!("/{collection}?view={}", v.id),
            can_delete: ui.is_admin() || Some(v.owner_id) == me,
            current: v.query == query_string,
            shared: v.shared,
            name: v.name,
        })
        .collect();

    let next_href = next_cursor.map(|c| query::href(collection, &query::set(&canon, "cursor", Some(&c))));
    let first_href = param(&params, "cursor").map(|_| back.clone());
    let mut formats = vec![opt("csv", ui.t("lists-format-csv"), None), opt("json", ui.t("lists-format-json"), None)];
    if matches!(kind, Kind::Person | Kind::Organization) {
        formats.push(opt("vcard", ui.t("lists-format-vcard"), None));
    }
    let exports = formats
        .iter()
        .map(|f| {
            let href = format!("/{collection}/export?{}", query::qs(&query::set(&canon, "format", Some(&f.value))));
            Opt { value: href, label: f.label.clone(), selected: false }
        })
        .collect();
    let can_write = ui.can_write();
    let owned = access::owner_column(kind).is_some_and(|c| c != "created_by");
    let user_opts = users.iter().filter(|u| u.2).map(|(id, name, _)| opt(id, name.clone(), None)).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    Ok((
        status,
        ListPage {
            title: ui.kinds(kind),
            empty_text: ui.t(&format!("lists-empty-{}", kind.as_str())),
            new_label: ui.t(&format!("records-new-{}", kind.as_str())),
            collection,
            q: param(&params, "q").unwrap_or_default().to_string(),
            quick,
            chips,
            keep,
            keep_cols,
            errors,
            notice: (param(&params, "done") == Some("deleted")).then(|| ui.t("deleted")),
            head,
            rows,
            next_href,
            first_href,
            views,
            picker,
            query: query_string,
            back,
            filtered,
            exports,
            formats,
            can_write,
            can_assign: can_write && owned,
            can_tag: can_write && schema::field(kind, "tags").is_some(),
            can_stage: can_write && kind == Kind::Deal,
            can_done: can_write && kind == Kind::Task,
            users: user_opts,
            stages: stage_options(&pipes, None),
            ui,
        },
    ))
}

/// A streamed download of an export.
pub fn download(format: ExportFormat, name: &str, stream: ExportStream) -> Response {
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
    let mut res = Response::new(Body::from_stream(body));
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(format.media_type()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{}\"", format.extension())) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Starts an export of a query; a refusal is a page, before the first byte.
pub async fn start_export(state: &AppState, app: &App, kind: Kind, format: &str, q: ListQuery) -> Response {
    // The export reads the kind's custom fields itself.
    let rows = RowKind { kind, object_type: None, custom: vec![] };
    export_rows(state, app, &rows, format, q, &format!("/{}", kind.collection())).await
}

/// Starts an export of the records of a kind, built-in or custom, matching a
/// query; a refusal is a page leading back to `back`, before the first byte.
pub async fn export_rows(state: &AppState, app: &App, rows: &RowKind, format: &str, q: ListQuery, back: &str) -> Response {
    let ui = &app.ui;
    let Some(format) = ExportFormat::parse(format) else {
        return message(
            StatusCode::BAD_REQUEST,
            &ui.t("lists-export-failed"),
            &ui.t("lists-export-format"),
            back,
            &ui.t("lists-back"),
        );
    };
    match rows.export(state.store.clone(), app.scope.clone(), format, q).await {
        Ok(s) => download(format, &rows.name(), s),
        Err(rapport_io::export::ExportError::Store(e)) => store_failure(e),
        Err(e) => message(StatusCode::BAD_REQUEST, &ui.t("lists-export-failed"), &e.to_string(), back, &ui.t("lists-back")),
    }
}

/// `GET /{collection}/export?format=csv|json|vcard` with the list's filters, search and sort.
pub async fn export(kind: Kind, State(state): State<AppState>, app: App, Query(url): Query<Params>) -> Response {
    let format = param(&url, "format").unwrap_or("csv").to_string();
    let prepared = match prepare(&state, &app, kind, url).await {
        Ok(p) => p,
        Err(e) => return store_failure(e),
    };
    if !prepared.parsed.errors.is_empty() {
        let text = error_lines(&app.ui, kind, &prepared.parsed.errors).join(" ");
        let back = format!("/{}", kind.collection());
        return message(StatusCode::BAD_REQUEST, &app.ui.t("lists-export-failed"), &text, &back, &app.ui.t("lists-back"));
    }
    let mut q = prepared.parsed.query;
    q.cursor = None;
    start_export(&state, &app, kind, &format, q).await
}
