//! Tasks and meetings by day and by week, in the reader's time zone.
//! Routes: GET /calendar?view=day|week&date=YYYY-MM-DD&who=me|all.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use rapport_domain::Kind;
use rapport_store::{ListQuery, Record, StoreError};
use serde::Deserialize;
use serde_json::Value as Json;

use super::frame::{App, Ui};
use super::home::{all_of, sort, text};
use super::{page, store_failure};
use crate::AppState;

/// Most items read per kind for one page; a week rarely holds more.
const MAX_ITEMS: u64 = 500;

pub fn routes() -> Router<AppState> {
    Router::new().route("/calendar", get(show))
}

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    view: Option<String>,
    date: Option<String>,
    who: Option<String>,
}

/// A task or a meeting placed on a day.
pub struct Item {
    /// `task` or `meeting`.
    pub kind: &'static str,
    pub id: String,
    pub title: String,
    pub href: String,
    pub time: String,
    pub at: DateTime<Utc>,
    pub overdue: bool,
    pub done: bool,
    pub status: String,
}

pub struct Day {
    pub date: String,
    pub label: String,
    pub today: bool,
    pub items: Vec<Item>,
    pub new_task: String,
}

#[derive(Template)]
#[template(path = "web/calendar.html")]
struct CalendarPage {
    ui: Ui,
    week: bool,
    mine: bool,
    heading: String,
    days: Vec<Day>,
    date: String,
    prev: String,
    next: String,
    today: String,
    day_href: String,
    week_href: String,
    mine_href: String,
    all_href: String,
    truncated: bool,
}

async fn show(State(state): State<AppState>, app: Result<App, Response>, Query(q): Query<CalendarQuery>) -> Response {
    let mut app = match app {
        Ok(a) => a,
        Err(redirect) => return redirect,
    };
    app.ui.section = "calendar";
    match build(&state, app, &q).await {
        Ok(p) => page(StatusCode::OK, &p, &[]),
        Err(e) => store_failure(e),
    }
}

/// The locale's first day of the week.
fn first_weekday(tag: &str) -> Weekday {
    if matches!(tag, "en-US" | "pt-BR") { Weekday::Sun } else { Weekday::Mon }
}

/// The first day of the week holding `d`.
pub fn week_start(d: NaiveDate, first: Weekday) -> NaiveDate {
    let back = (7 + d.weekday().num_days_from_monday() - first.num_days_from_monday()) % 7;
    d - Duration::days(back as i64)
}

/// The instant a local day starts in the reader's zone.
fn day_start(ui: &Ui, d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(ui.fmt.tz).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

fn href(view: &str, date: NaiveDate, mine: bool) -> String {
    let who = if mine { "me" } else { "all" };
    format!("/calendar?view={view}&date={date}&who={who}")
}

fn parsed_time(r: &Record, field: &str) -> Option<DateTime<Utc>> {
    r.get(field).and_then(Json::as_str).and_then(rapport_domain::validate::parse_datetime)
}

async fn build(state: &AppState, app: App, q: &CalendarQuery) -> Result<CalendarPage, StoreError> {
    let ui = app.ui;
    let now = Utc::now();
    let today = ui.fmt.local_date(&now);
    let week = q.view.as_deref() != Some("day");
    let mine = q.who.as_deref() != Some("all");
    let date = q.date.as_deref().and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok()).unwrap_or(today);
    let view = if week { "week" } else { "day" };
    let (first, len) = if week { (week_start(date, first_weekday(ui.fmt.tag)), 7) } else { (date, 1) };
    let start = day_start(&ui, first);
    let end = day_start(&ui, first + Duration::days(len));
    let (from, to) = (start.to_rfc3339(), end.to_rfc3339());
    let me = app.session.user_id.to_string();

    let mut task_conds = vec![("due_at", "gte", from.as_str()), ("due_at", "lt", to.as_str())];
    if mine {
        task_conds.push(("assignee_user_id", "eq", &me));
    }
    let tq = ListQuery {
        filter: all_of(Kind::Task, &task_conds),
        sort: sort(Kind::Task, "due_at"),
        limit: MAX_ITEMS,
        ..ListQuery::default()
    };
    let tasks = state.store.list(&app.scope, Kind::Task, &tq).await?;
    let mut meet_conds =
        vec![("type", "eq", "meeting"), ("occurred_at", "gte", from.as_str()), ("occurred_at", "lt", to.as_str())];
    if mine {
        meet_conds.push(("created_by", "eq", &me));
    }
    let mq = ListQuery {
        filter: all_of(Kind::Activity, &meet_conds),
        sort: sort(Kind::Activity, "occurred_at"),
        limit: MAX_ITEMS,
        ..ListQuery::default()
    };
    let meetings = state.store.list(&app.scope, Kind::Activity, &mq).await?;
    let truncated = tasks.next_cursor.is_some() || meetings.next_cursor.is_some();

    let mut items: Vec<Item> = vec![];
    for t in &tasks.items {
        let Some(at) = parsed_time(t, "due_at") else { continue };
        let status = text(t, "status");
        let done = matches!(status.as_str(), "done" | "cancelled");
        items.push(Item {
            kind: "task",
            id: text(t, "id"),
            title: text(t, "title"),
            href: format!("/tasks/{}", text(t, "id")),
            time: ui.fmt.time(&at),
            at,
            overdue: !done && at < now,
            done,
            status: ui.value("status", &status),
        });
    }
    for m in &meetings.items {
        let Some(at) = parsed_time(m, "occurred_at") else { continue };
        let subject = text(m, "subject");
        items.push(Item {
            kind: "meeting",
            id: text(m, "id"),
            title: if subject.is_empty() { ui.value("type", "meeting") } else { subject },
            href: format!("/activities/{}", text(m, "id")),
            time: ui.fmt.time(&at),
            at,
            overdue: false,
            done: false,
            status: String::new(),
        });
    }
    items.sort_by_key(|i| i.at);

    let mut days: Vec<Day> = (0..len)
        .map(|n| {
            let d = first + Duration::days(n);
            Day {
                date: d.to_string(),
                label: ui.fmt.long_date(&d),
                today: d == today,
                items: vec![],
                new_task: format!("/tasks/new?due_at={d}T09:00"),
            }
        })
        .collect();
    for item in items {
        let d = ui.fmt.local_date(&item.at);
        let n = (d - first).num_days();
        if let Some(day) = usize::try_from(n).ok().and_then(|n| days.get_mut(n)) {
            day.items.push(item);
        }
    }

    let step = if week { 7 } else { 1 };
    let heading = if week {
        ui.t2("calendar-week-of", "from", &ui.fmt.date(&first), "to", &ui.fmt.date(&(first + Duration::days(6))))
    } else {
        ui.fmt.long_date(&date)
    };
    Ok(CalendarPage {
        week,
        mine,
        heading,
        days,
        date: date.to_string(),
        prev: href(view, date - Duration::days(step), mine),
        next: href(view, date + Duration::days(step), mine),
        today: href(view, today, mine),
        day_href: href("day", date, mine),
        week_href: href("week", date, mine),
        mine_href: href(view, date, true),
        all_href: href(view, date, false),
        truncated,
        ui,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_the_locales_first_day() {
        let tue = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(week_start(tue, Weekday::Mon).to_string(), "2026-11-23");
        assert_eq!(week_start(tue, Weekday::Sun).to_string(), "2026-11-22");
        let sun = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(week_start(sun, Weekday::Mon).to_string(), "2026-11-23");
        assert_eq!(week_start(sun, Weekday::Sun).to_string(), "2026-11-29");
    }
}
