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
use rapport_store::calendar::{COUNT_CAP, Whose};
use rapport_store::{Record, StoreError};
use serde::Deserialize;
use serde_json::Value as Json;

use super::frame::{App, Ui};
use super::home::text;
use super::lists::query::{self, Params};
use super::{page, store_failure};
use crate::AppState;

/// Items shown on each day of a week; a busy day links to its day view.
const WEEK_PER_DAY: u64 = 12;

/// Items shown on a day; a busier one links to the lists of its tasks and meetings.
const DAY_PER_DAY: u64 = 100;

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
    /// In a week, how many more items the day holds than it shows, and
    /// whether that is "at least" (a count stopped at the cap).
    pub more: i64,
    pub more_plus: bool,
    pub day_href: String,
    /// In a day, all its tasks and all its meetings as lists, when it shows only some: (count, href).
    pub more_tasks: Option<(Count, String)>,
    pub more_meetings: Option<(Count, String)>,
}

/// A count of a day's items as the page says it: exact, or past the store's cap.
pub struct Count {
    pub n: i64,
    pub plus: bool,
}

fn count_of(n: i64) -> Count {
    Count { n: n.min(COUNT_CAP), plus: n > COUNT_CAP }
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

fn href(view: &str, date: NaiveDate, mine: bool) -> String {
    let who = if mine { "me" } else { "all" };
    format!("/calendar?view={view}&date={date}&who={who}")
}

fn parsed_time(r: &Record, field: &str) -> Option<DateTime<Utc>> {
    r.get(field).and_then(Json::as_str).and_then(rapport_domain::validate::parse_datetime)
}

fn task_item(ui: &Ui, t: &Record, now: DateTime<Utc>) -> Option<Item> {
    let at = parsed_time(t, "due_at")?;
    let status = text(t, "status");
    let done = matches!(status.as_str(), "done" | "cancelled");
    Some(Item {
        kind: "task",
        id: text(t, "id"),
        title: text(t, "title"),
        href: format!("/tasks/{}", text(t, "id")),
        time: ui.fmt.time(&at),
        at,
        overdue: !done && at < now,
        done,
        status: ui.value("status", &status),
    })
}

fn meeting_item(ui: &Ui, m: &Record) -> Option<Item> {
    let at = parsed_time(m, "occurred_at")?;
    let subject = text(m, "subject");
    Some(Item {
        kind: "meeting",
        id: text(m, "id"),
        title: if subject.is_empty() { ui.value("type", "meeting") } else { subject },
        href: format!("/activities/{}", text(m, "id")),
        time: ui.fmt.time(&at),
        at,
        overdue: false,
        done: false,
        status: String::new(),
    })
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
    let whose = if mine { Whose::User(app.session.user_id) } else { Whose::Everyone };
    let bounds: Vec<(DateTime<Utc>, DateTime<Utc>)> = (0..len)
        .map(|n| (ui.fmt.start_of_day(first + Duration::days(n)), ui.fmt.start_of_day(first + Duration::days(n + 1))))
        .collect();
    let per_day = if week { WEEK_PER_DAY } else { DAY_PER_DAY };
    let found = state.store.calendar(&app.scope, whose, &bounds, per_day).await?;
    let me = app.session.user_id.to_string();
    let days = found
        .into_iter()
        .zip(bounds)
        .enumerate()
        .map(|(n, (found, (from, to)))| {
            let d = first + Duration::days(n as i64);
            let mut items: Vec<Item> = found.tasks.iter().filter_map(|t| task_item(&ui, t, now)).collect();
            items.extend(found.meetings.iter().filter_map(|m| meeting_item(&ui, m)));
            items.sort_by_key(|i| i.at);
            items.truncate(per_day as usize);
            let shown_tasks = items.iter().filter(|i| i.kind == "task").count() as i64;
            let shown_meetings = items.len() as i64 - shown_tasks;
            // A count past the cap is "more than": said as "999+".
            let capped = found.task_count > COUNT_CAP || found.meeting_count > COUNT_CAP;
            let more = found.task_count.min(COUNT_CAP) + found.meeting_count.min(COUNT_CAP) - items.len() as i64;
            // The lists of the day's tasks and meetings, filtered as the calendar is.
            let list = |collection: &str, filters: &[(&str, &str)], at: &str, who: &str| {
                let mut params: Params = filters.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                params.push((format!("{at}[gte]"), from.to_rfc3339()));
                params.push((format!("{at}[lt]"), to.to_rfc3339()));
                if mine {
                    params.push((who.to_string(), me.clone()));
                }
                params.push(("sort".into(), at.to_string()));
                query::href(collection, &params)
            };
            Day {
                date: d.to_string(),
                label: ui.fmt.long_date(&d),
                today: d == today,
                items,
                new_task: format!("/tasks/new?due_at={d}T09:00"),
                more: if week { more.max(0) } else { 0 },
                more_plus: capped,
                day_href: href("day", d, mine),
                more_tasks: (!week && found.task_count > shown_tasks)
                    .then(|| (count_of(found.task_count), list("tasks", &[], "due_at", "assignee_user_id"))),
                more_meetings: (!week && found.meeting_count > shown_meetings).then(|| {
                    (count_of(found.meeting_count), list("activities", &[("type", "meeting")], "occurred_at", "created_by"))
                }),
            }
        })
        .collect();

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
