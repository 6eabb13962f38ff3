//! The pipeline board: one column per stage with count and total amount; drag a
//! deal to change its stage (a plain form does the same without script); switch pipelines.
//! Routes: GET /board, GET /board/move (the move page of one deal), POST /board/move.
//!
//! The board stays light however many deals there are: each open column draws
//! its first cards only (a "Show more" link draws more of that one column), the
//! won and lost columns show their count and total alone, and a card carries a
//! link to its move page rather than a form of its own.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;
use rapport_domain::Kind;
use rapport_store::board::StageTotal;
use rapport_store::pipelines::Pipeline;
use rapport_store::{Record, StoreError, WriteOptions};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::frame::{App, Ui};
use super::home::text;
use super::records::{failure, forbidden};
use super::{Fields, csrf_refused, page, see_other, store_failure};
use crate::AppState;

/// Cards drawn per open column; the rest are one link away.
const CARDS_PER_COLUMN: u64 = 12;
/// Cards drawn in the one column the reader asked to see more of.
const CARDS_SHOWN_MORE: u64 = 100;

pub fn routes() -> Router<AppState> {
    Router::new().route("/board", get(show)).route("/board/move", get(move_page).post(move_deal))
}

pub struct PipelineLink {
    pub id: String,
    pub name: String,
    pub current: bool,
}

pub struct StageOption {
    pub id: String,
    pub name: String,
}

pub struct Card {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub organization_id: String,
    pub amount: String,
    pub amount_minor: i64,
    pub currency: String,
    pub close: String,
    pub owner: String,
    pub version: i64,
}

pub struct Column {
    pub id: String,
    pub name: String,
    /// `open`, `won` or `lost`.
    pub outcome: String,
    pub count: i64,
    /// Totals per currency, formatted, joined.
    pub total: String,
    /// Totals per currency in minor units, for the script to keep up to date.
    pub totals_json: String,
    pub cards: Vec<Card>,
    /// Won and lost columns: the count and total, no cards.
    pub collapsed: bool,
    /// The link drawing more cards of this column, when some are not drawn.
    pub more_href: Option<String>,
    /// The deals list of this stage, when some cards are not drawn.
    pub all_href: Option<String>,
}

#[derive(Template)]
#[template(path = "web/board.html")]
struct BoardPage {
    ui: Ui,
    pipelines: Vec<PipelineLink>,
    pipeline_id: String,
    pipeline_name: String,
    columns: Vec<Column>,
    flash: String,
    /// Why the last move was refused; the board below shows the deals as they are now.
    error: String,
}

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    pipeline: Option<String>,
    moved: Option<String>,
    /// The stage whose column draws more cards.
    more: Option<String>,
}

async fn show(State(state): State<AppState>, app: Result<App, Response>, Query(q): Query<BoardQuery>) -> Response {
    let mut app = match app {
        Ok(a) => a,
        Err(redirect) => return redirect,
    };
    app.ui.section = "board";
    match build(&state, app, &q).await {
        Ok(Some(p)) => page(StatusCode::OK, &p, &[]),
        Ok(None) => store_failure(StoreError::NotFound),
        Err(e) => store_failure(e),
    }
}

/// The pipeline asked for, else the default one, else the first.
fn chosen<'a>(pipelines: &'a [Pipeline], wanted: Option<&str>) -> Option<&'a Pipeline> {
    match wanted.filter(|w| !w.is_empty()) {
        Some(w) => pipelines.iter().find(|p| p.id.to_string() == w),
        None => pipelines.iter().find(|p| p.is_default).or(pipelines.first()),
    }
}

/// Totals of one stage: count, and amount per currency.
fn stage_figures(totals: &[StageTotal], stage: Uuid) -> (i64, BTreeMap<String, i64>) {
    let mut count = 0;
    let mut amounts = BTreeMap::new();
    for t in totals.iter().filter(|t| t.stage_id == stage) {
        count += t.count;
        *amounts.entry(t.currency.clone()).or_insert(0) += t.amount_minor;
    }
    (count, amounts)
}

/// Names of the records some ids point at, read in one query.
async fn names(state: &AppState, app: &App, kind: Kind, ids: Vec<Uuid>) -> HashMap<String, String> {
    let mut ids = ids;
    ids.sort();
    ids.dedup();
    match state.store.get_many(&app.scope, kind, &ids).await {
        Ok(rows) => rows.iter().map(|r| (text(r, "id"), text(r, "name"))).collect(),
        // A reader who may not see the owners still sees the board.
        Err(_) => HashMap::new(),
    }
}

fn uuid_of(r: &Record, field: &str) -> Option<Uuid> {
    r.get(field).and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

async fn build(state: &AppState, app: App, q: &BoardQuery) -> Result<Option<BoardPage>, StoreError> {
    let pipelines = state.store.pipelines(&app.scope).await?;
    let Some(pipeline) = chosen(&pipelines, q.pipeline.as_deref()) else {
        if q.pipeline.as_deref().is_some_and(|p| !p.is_empty()) {
            return Ok(None);
        }
        return Ok(Some(BoardPage {
            ui: app.ui,
            pipelines: vec![],
            pipeline_id: String::new(),
            pipeline_name: String::new(),
            columns: vec![],
            flash: String::new(),
            error: String::new(),
        }));
    };
    let totals = state.store.stage_totals(&app.scope, pipeline.id).await?;
    // The first cards of every open column that has deals, in one statement.
    let wanted: Vec<(Uuid, u64)> = pipeline
        .stages
        .iter()
        .filter(|s| s.outcome == "open" && stage_figures(&totals, s.id).0 > 0)
        .map(|s| (s.id, if q.more.as_deref() == Some(&s.id.to_string()) { CARDS_SHOWN_MORE } else { CARDS_PER_COLUMN }))
        .collect();
    let mut cards = state.store.board_cards(&app.scope, pipeline.id, &wanted).await?;
    let per_stage: Vec<Vec<Record>> = pipeline.stages.iter().map(|s| cards.remove(&s.id).unwrap_or_default()).collect();
    let all: Vec<&Record> = per_stage.iter().flatten().collect();
    let orgs = names(state, &app, Kind::Organization, all.iter().filter_map(|r| uuid_of(r, "organization_id")).collect()).await;
    let owners = names(state, &app, Kind::User, all.iter().filter_map(|r| uuid_of(r, "owner_id")).collect()).await;
    let ui = &app.ui;
    let columns = pipeline
        .stages
        .iter()
        .zip(per_stage)
        .map(|(s, items)| {
            let (count, amounts) = stage_figures(&totals, s.id);
            let cards: Vec<Card> = items.iter().map(|r| card(ui, r, &orgs, &owners)).collect();
            let collapsed = s.outcome != "open";
            let hidden = count > cards.len() as i64;
            let shown_more = cards.len() as u64 > CARDS_PER_COLUMN;
            Column {
                id: s.id.to_string(),
                name: s.name.clone(),
                outcome: s.outcome.clone(),
                count,
                total: ui.money_sums(&amounts),
                totals_json: json!(amounts).to_string(),
                more_href: (hidden && !collapsed && !shown_more)
                    .then(|| format!("/board?pipeline={}&more={}#stage-{}", pipeline.id, s.id, s.id)),
                all_href: hidden.then(|| format!("/deals?stage_id={}", s.id)),
                cards,
                collapsed,
            }
        })
        .collect();
    // The flash names the stage by id, so a crafted link cannot make the page say anything else.
    let flash = match pipeline.stages.iter().find(|s| q.moved.as_deref() == Some(&s.id.to_string())) {
        Some(s) => ui.t1("board-moved", "stage", &s.name),
        None => String::new(),
    };
    Ok(Some(BoardPage {
        pipelines: pipelines
            .iter()
            .map(|p| PipelineLink { id: p.id.to_string(), name: p.name.clone(), current: p.id == pipeline.id })
            .collect(),
        pipeline_id: pipeline.id.to_string(),
        pipeline_name: pipeline.name.clone(),
        columns,
        flash,
        error: String::new(),
        ui: app.ui,
    }))
}

fn card(ui: &Ui, r: &Record, orgs: &HashMap<String, String>, owners: &HashMap<String, String>) -> Card {
    let amount_minor = r.get("amount_minor").and_then(Json::as_i64);
    let currency = text(r, "currency");
    let close = r
        .get("expected_close_date")
        .and_then(Json::as_str)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(|d| ui.fmt.date(&d))
        .unwrap_or_default();
    let org_id = text(r, "organization_id");
    Card {
        id: text(r, "id"),
        name: text(r, "name"),
        organization: orgs.get(&org_id).cloned().unwrap_or_default(),
        organization_id: org_id,
        amount: amount_minor.map(|m| ui.money(&m, &currency)).unwrap_or_default(),
        amount_minor: amount_minor.unwrap_or(0),
        currency,
        close,
        owner: owners.get(&text(r, "owner_id")).cloned().unwrap_or_default(),
        version: r.get("version").and_then(Json::as_i64).unwrap_or(0),
    }
}

#[derive(Template)]
#[template(path = "web/board_move.html")]
struct MovePage {
    ui: Ui,
    deal_id: String,
    deal_name: String,
    version: i64,
    pipeline_id: String,
    stage_id: String,
    stages: Vec<StageOption>,
}

#[derive(Deserialize)]
pub struct MoveQuery {
    deal: Option<String>,
}

/// The move page of one deal: the stages of every pipeline to choose from,
/// for readers without script, on a keyboard or on a touch screen.
async fn move_page(State(state): State<AppState>, app: Result<App, Response>, Query(q): Query<MoveQuery>) -> Response {
    let mut app = match app {
        Ok(a) => a,
        Err(redirect) => return redirect,
    };
    app.ui.section = "board";
    if !app.ui.can_write() {
        return forbidden(&app.ui);
    }
    let Some(id) = q.deal.as_deref().and_then(|d| Uuid::parse_str(d).ok()) else {
        return failure(&app.ui, StoreError::NotFound);
    };
    let (deal, pipelines) = match (state.store.get(&app.scope, Kind::Deal, id).await, state.store.pipelines(&app.scope).await) {
        (Ok(d), Ok(p)) => (d, p),
        (Err(e), _) | (_, Err(e)) => return failure(&app.ui, e),
    };
    let several = pipelines.len() > 1;
    let stages = pipelines
        .iter()
        .flat_map(|p| {
            p.stages.iter().map(move |s| StageOption {
                id: s.id.to_string(),
                name: if several { format!("{} · {}", p.name, s.name) } else { s.name.clone() },
            })
        })
        .collect();
    let p = MovePage {
        deal_id: id.to_string(),
        deal_name: text(&deal, "name"),
        version: deal.get("version").and_then(Json::as_i64).unwrap_or(0),
        pipeline_id: text(&deal, "pipeline_id"),
        stage_id: text(&deal, "stage_id"),
        stages,
        ui: app.ui,
    };
    page(StatusCode::OK, &p, &[])
}

/// The form alternative to dragging: moves one deal to a stage, then back to the board.
async fn move_deal(State(state): State<AppState>, app: Result<App, Response>, fields: Fields) -> Response {
    let app = match app {
        Ok(a) => a,
        Err(redirect) => return redirect,
    };
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let pipeline = fields.get("pipeline").filter(|p| Uuid::parse_str(p).is_ok()).map(str::to_string);
    let (Some(deal), Some(stage)) = (
        fields.get("deal_id").and_then(|s| Uuid::parse_str(s).ok()),
        fields.get("stage_id").and_then(|s| Uuid::parse_str(s).ok()),
    ) else {
        let text = app.ui.t("board-move-invalid");
        return refused(&state, app, pipeline, StatusCode::UNPROCESSABLE_ENTITY, text).await;
    };
    let version = fields.get("version").and_then(|v| v.trim().parse::<i64>().ok());
    let pipelines = match state.store.pipelines(&app.scope).await {
        Ok(p) => p,
        Err(e) => return store_failure(e),
    };
    let Some(target) = pipelines.iter().find(|p| p.stages.iter().any(|s| s.id == stage)).map(|p| p.id) else {
        let text = app.ui.t("board-move-invalid");
        return refused(&state, app, pipeline, StatusCode::UNPROCESSABLE_ENTITY, text).await;
    };
    let mut patch = Map::new();
    patch.insert("pipeline_id".into(), json!(target));
    patch.insert("stage_id".into(), json!(stage));
    let opts = WriteOptions { if_match: version, ..WriteOptions::default() };
    let (status, text) = match state.store.update(&app.scope, Kind::Deal, deal, &Json::Object(patch), &opts).await {
        Ok(_) => return see_other(&format!("/board?pipeline={target}&moved={stage}#deal-{deal}"), &[]),
        Err(StoreError::VersionMismatch { .. }) => (StatusCode::CONFLICT, app.ui.t("error-stale")),
        Err(StoreError::Forbidden(_)) => (StatusCode::FORBIDDEN, app.ui.t("error-forbidden")),
        Err(StoreError::NotFound) => (StatusCode::NOT_FOUND, app.ui.t("error-not-found")),
        Err(StoreError::Invalid(errs)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, errs.0.iter().map(|e| app.ui.catalog.invalid(e)).collect::<Vec<_>>().join(" "))
        }
        Err(e) => return store_failure(e),
    };
    refused(&state, app, pipeline, status, text).await
}

/// The board as it is now, saying why the move was refused.
async fn refused(state: &AppState, mut app: App, pipeline: Option<String>, status: StatusCode, text: String) -> Response {
    app.ui.section = "board";
    let error = app.ui.t1("board-move-failed-reason", "reason", &text);
    match build(state, app, &BoardQuery { pipeline, ..BoardQuery::default() }).await {
        Ok(Some(mut p)) => {
            p.error = error;
            page(status, &p, &[])
        }
        Ok(None) => store_failure(StoreError::NotFound),
        Err(e) => store_failure(e),
    }
}
