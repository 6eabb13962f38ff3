//! The home page: what needs me today (my tasks due and overdue), my open deals
//! by stage, recent contact on my records, and a few key figures. A new
//! workspace sees how to start instead: create a contact, import a file, or
//! load the demo company.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, Utc};
use rapport_domain::Kind;
use rapport_domain::filter::{self, Filter, Sort};
use rapport_store::overview::OpenDeals;
use rapport_store::{ListQuery, Record, Scope, StoreError};
use serde_json::Value as Json;

use super::frame::{App, Ui};
use super::{page, store_failure};
use crate::AppState;

/// A task line: its subject, due time, and whether it is late.
pub struct TaskLine {
    pub id: String,
    pub title: String,
    pub due: String,
    pub overdue: bool,
}

/// One stage of my open deals.
pub struct StageLine {
    pub name: String,
    pub count: i64,
    pub amount: String,
}

pub struct ActivityLine {
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "web/home.html")]
struct HomePage {
    ui: Ui,
    tasks: Vec<TaskLine>,
    stages: Vec<StageLine>,
    activities: Vec<ActivityLine>,
    due_today: i64,
    open_deals: i64,
    open_amount: String,
    overdue: i64,
    first_run: bool,
    notice: Option<String>,
}

/// `field op value` conditions, all of which must hold.
///
/// For conditions written in the code: one that does not parse is a bug, which
/// debug builds (and so the tests) stop at. Use `try_all_of` for user input.
pub fn all_of(kind: Kind, conds: &[(&str, &str, &str)]) -> Filter {
    match try_all_of(kind, conds) {
        Ok(f) => f,
        Err(e) => {
            debug_assert!(false, "a built-in filter does not parse: {e}");
            tracing::error!(error = %e, "a built-in filter does not parse");
            Filter::All(vec![])
        }
    }
}

/// `field op value` conditions, all of which must hold; the first that does not parse is the error.
pub fn try_all_of(kind: Kind, conds: &[(&str, &str, &str)]) -> Result<Filter, rapport_domain::ValidationErrors> {
    let mut all = Vec::with_capacity(conds.len());
    for (f, op, v) in conds {
        all.push(Filter::Cond(filter::condition(kind, f, op, v, &[])?));
    }
    Ok(Filter::All(all))
}

pub fn sort(kind: Kind, spec: &str) -> Option<Sort> {
    filter::sort(kind, spec, &[]).ok()
}

pub fn text(r: &Record, field: &str) -> String {
    match r.get(field) {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

async fn list(
    state: &AppState,
    scope: &Scope,
    kind: Kind,
    filter: Filter,
    sort_by: &str,
    limit: u64,
) -> Result<Vec<Record>, StoreError> {
    let q = ListQuery { filter, sort: sort(kind, sort_by), limit, ..ListQuery::default() };
    Ok(state.store.list(scope, kind, &q).await?.items)
}

pub async fn show(State(state): State<AppState>, RawQuery(q): RawQuery, app: Result<App, Response>) -> Response {
    let mut app = match app {
        Ok(a) => a,
        // Before anyone can sign in, the start page says how to begin.
        Err(_) if needs_setup(&state).await => return crate::pages::start(State(state)).await,
        Err(redirect) => return redirect,
    };
    app.ui.section = "home";
    match build(&state, app).await {
        Ok(mut p) => {
            // `POST /demo` sends people here once the demo company is in.
            if q.as_deref() == Some("demo=loaded") {
                p.notice = Some(p.ui.t("demo-loaded"));
            }
            page(StatusCode::OK, &p, &[])
        }
        Err(e) => store_failure(e),
    }
}

async fn needs_setup(state: &AppState) -> bool {
    let Ok(ws) = state.store.workspaces().await else { return false };
    match ws.first() {
        None => true,
        Some(w) => ws.len() == 1 && state.store.needs_setup(w.id).await.unwrap_or(false),
    }
}

async fn build(state: &AppState, app: App) -> Result<HomePage, StoreError> {
    let app_user = app.user_id();
    let me = app_user.to_string();
    let scope = &app.scope;
    let ui = app.ui;
    let now = Utc::now();
    // The end of the reader's day, in UTC.
    let end_of_day = ui.fmt.start_of_day(ui.fmt.local_date(&now) + Duration::days(1));
    let end = end_of_day.to_rfc3339();
    let open = "open,in_progress";
    let due = all_of(Kind::Task, &[("assignee_user_id", "eq", &me), ("status", "in", open), ("due_at", "lt", &end)]);
    let task_rows = list(state, scope, Kind::Task, due, "due_at", 20).await?;
    let tasks: Vec<TaskLine> = task_rows
        .iter()
        .map(|t| {
            let due_at = t.get("due_at").and_then(Json::as_str).and_then(rapport_domain::validate::parse_datetime);
            TaskLine {
                id: text(t, "id"),
                title: text(t, "title"),
                due: due_at.map(|d| ui.datetime(&d)).unwrap_or_default(),
                overdue: due_at.is_some_and(|d| d < now),
            }
        })
        .collect();
    // Counted by the database: the list above shows the first 20 only.
    let counts = state.store.task_counts(scope, app_user, now, end_of_day).await?;

    // My open deals, counted per stage and currency, in pipeline order.
    let pipelines = state.store.pipelines(scope).await?;
    let open = state.store.open_deals_of(scope, app_user).await?;
    let mut stages = vec![];
    let mut open_deals = 0;
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for p in &pipelines {
        for s in &p.stages {
            let here: Vec<&OpenDeals> = open.iter().filter(|d| d.pipeline_id == p.id && d.stage_id == s.id).collect();
            if here.is_empty() {
                continue;
            }
            let count: i64 = here.iter().map(|d| d.count).sum();
            open_deals += count;
            let mut amounts = BTreeMap::new();
            for d in &here {
                *amounts.entry(d.currency.clone()).or_insert(0) += d.amount_minor;
                *totals.entry(d.currency.clone()).or_insert(0) += d.amount_minor;
            }
            let name = if pipelines.len() > 1 { format!("{} · {}", p.name, s.name) } else { s.name.clone() };
            stages.push(StageLine { name, count, amount: ui.money_sums(&amounts) });
        }
    }

    let acts = state.store.recent_activity_on_records_of(scope, app_user, 8).await?;
    let activities = acts
        .iter()
        .map(|a| ActivityLine {
            id: text(a, "id"),
            kind: ui.value("type", &text(a, "type")),
            subject: text(a, "subject"),
            when: a.get("occurred_at").map(|v| ui.when(v)).unwrap_or_default(),
        })
        .collect::<Vec<_>>();

    // Any one contact will do, in the order of the primary key: sorting by
    // anything else read every contact of a large workspace to find none missing.
    let first_run = open.is_empty()
        && activities.is_empty()
        && tasks.is_empty()
        && list(state, scope, Kind::Person, Filter::All(vec![]), "id", 1).await?.is_empty()
        && list(state, scope, Kind::Organization, Filter::All(vec![]), "id", 1).await?.is_empty();
    Ok(HomePage {
        open_deals,
        open_amount: ui.money_sums(&totals),
        ui,
        tasks,
        stages,
        activities,
        due_today: counts.due_today,
        overdue: counts.overdue,
        first_run,
        notice: None,
    })
}
