//! The calendar in a browser: tasks and meetings placed on the reader's own
//! days (a task due at 23:30 UTC is on the next day in Paris), week
//! navigation, mine or everyone's, overdue and done tasks, and escaping.

use chrono::{Duration, Utc};
use rapport_domain::Kind;
use rapport_store::{Scope, Via};
use rapport_testkit::browser::Browser;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::json;
use rapport_testkit::{TestApp, obj};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// The admin of the test app, living in Paris and reading British English
/// (weeks start on Monday), signed in.
async fn parisian(app: &TestApp) -> Browser {
    living_in(app, "Europe/Paris").await
}

async fn living_in(app: &TestApp, tz: &str) -> Browser {
    let system = Scope::system(app.scope.workspace_id, Via::Cli);
    let patch = json!({"time_zone": tz, "locale": "en-GB"});
    app.store.update(&system, Kind::User, app.user_id, &patch, &Default::default()).await.expect("time zone");
    app.set_password(app.user_id, PASSWORD).await;
    let mut b = app.browser();
    let res = b.login("admin@example.com", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "[{}] sign in: {}", app.name(), res.body);
    b
}

async fn colleague(app: &TestApp) -> Uuid {
    let system = Scope::system(app.scope.workspace_id, Via::Cli);
    let user = obj(json!({"email": "colleague@example.com", "name": "Cole League", "role": "member"}));
    let (user, _) = app.store.create(&system, Kind::User, &user, &Default::default()).await.expect("user");
    Uuid::parse_str(user["id"].as_str().unwrap()).unwrap()
}

/// The HTML of one day of the page.
fn day<'a>(html: &'a str, date: &str) -> &'a str {
    let start = html.find(&format!("id=\"day-{date}\"")).unwrap_or_else(|| panic!("no day {date} on the page"));
    let rest = &html[start..];
    let end = rest[1..].find("<li class=\"cal-day").map(|e| e + 1).unwrap_or(rest.len());
    &rest[..end]
}

#[tokio::test]
async fn tasks_and_meetings_fall_on_the_readers_days() {
    for app in TestApp::all().await {
        let name = app.name();
        let mut b = parisian(&app).await;
        let late = app
            .create(
                "tasks",
                json!({"title": "<b>Late call</b>", "due_at": "2026-11-24T23:30:00Z", "assignee_user_id": app.user_id}),
            )
            .await;
        let meeting = app
            .create("activities", json!({"type": "meeting", "subject": "Board review", "occurred_at": "2026-11-25T08:00:00Z"}))
            .await;
        app.create("activities", json!({"type": "call", "subject": "Not a meeting", "occurred_at": "2026-11-25T09:00:00Z"}))
            .await;
        let done = app
            .create(
                "tasks",
                json!({"title": "Finished thing", "due_at": "2026-11-26T10:00:00Z", "assignee_user_id": app.user_id, "status": "done"}),
            )
            .await;

        // Day view: the task due at 23:30 UTC on the 24th is at 00:30 on the 25th in Paris.
        let page = b.get("/calendar?view=day&date=2026-11-25").await;
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        let d = day(&page.body, "2026-11-25");
        assert!(d.contains(&format!("href=\"/tasks/{}\"", late["id"].as_str().unwrap())), "[{name}] {d}");
        assert!(d.contains("00:30"), "[{name}] local time: {d}");
        assert!(d.contains("&#60;b&#62;Late call"), "[{name}] escaped title: {d}");
        assert!(!page.body.contains("<b>Late call"), "[{name}] no raw HTML");
        assert!(d.contains(&format!("href=\"/activities/{}\"", meeting["id"].as_str().unwrap())), "[{name}] the meeting");
        assert!(d.contains("09:00"), "[{name}] meeting at 09:00 Paris: {d}");
        assert!(!d.contains("Not a meeting"), "[{name}] calls are not on the calendar");
        assert!(d.find("Late call") < d.find("Board review"), "[{name}] time order");
        assert!(page.body.contains("href=\"/tasks/new?due_at=2026-11-25T09:00\""), "[{name}] new task for the day");
        let before = b.get("/calendar?view=day&date=2026-11-24").await;
        assert!(!before.body.contains("Late call"), "[{name}] not on the UTC day");

        // Week view: Monday 23 to Sunday 29 November.
        let page = b.get("/calendar?view=week&date=2026-11-25").await;
        assert_eq!(page.status, StatusCode::OK, "[{name}]");
        assert!(page.body.contains("id=\"day-2026-11-23\""), "[{name}] Monday first");
        assert!(page.body.contains("id=\"day-2026-11-29\""), "[{name}] to Sunday");
        assert!(!page.body.contains("id=\"day-2026-11-22\"") && !page.body.contains("id=\"day-2026-11-30\""), "[{name}]");
        assert!(day(&page.body, "2026-11-25").contains("Late call"), "[{name}]");
        assert!(!day(&page.body, "2026-11-24").contains("Late call"), "[{name}]");
        let done_day = day(&page.body, "2026-11-26");
        assert!(done_day.contains(done["id"].as_str().unwrap()) && done_day.contains("is-done"), "[{name}] done: {done_day}");
        assert!(
            page.body.contains("href=\"/calendar?view=week&#38;date=2026-12-02&#38;who=me\""),
            "[{name}] next week link: {}",
            &page.body[page.body.find("cal-prev").unwrap()..][..600]
        );
        assert!(page.body.contains("href=\"/calendar?view=week&#38;date=2026-11-18&#38;who=me\""), "[{name}] previous week link");

        // Following the link to the next week: another week, without the task.
        let next = b.get("/calendar?view=week&date=2026-12-02&who=me").await;
        assert!(next.body.contains("id=\"day-2026-11-30\"") && next.body.contains("id=\"day-2026-12-06\""), "[{name}]");
        assert!(!next.body.contains("Late call"), "[{name}]");
    }
}

#[tokio::test]
async fn mine_by_default_everyone_on_request() {
    for app in TestApp::all().await {
        let name = app.name();
        let mut b = parisian(&app).await;
        let other = colleague(&app).await;
        app.create("tasks", json!({"title": "Colleague's task", "due_at": "2026-11-25T10:00:00Z", "assignee_user_id": other}))
            .await;
        app.create("tasks", json!({"title": "My task", "due_at": "2026-11-25T11:00:00Z", "assignee_user_id": app.user_id})).await;
        let mine = b.get("/calendar?date=2026-11-25").await;
        assert!(mine.body.contains("My task"), "[{name}] mine");
        assert!(!mine.body.contains("Colleague"), "[{name}]");
        let all = b.get("/calendar?date=2026-11-25&who=all").await;
        assert!(all.body.contains("My task") && all.body.contains("Colleague"), "[{name}] everyone's");
        assert!(
            all.body
                .contains("id=\"cal-all\" href=\"/calendar?view=week&#38;date=2026-11-25&#38;who=all\" aria-current=\"page\""),
            "[{name}]"
        );
    }
}

#[tokio::test]
async fn today_is_the_default_and_overdue_tasks_are_marked() {
    for app in TestApp::all().await {
        let name = app.name();
        let mut b = living_in(&app, "UTC").await;
        let now = Utc::now();
        let due = now - Duration::minutes(5);
        app.create("tasks", json!({"title": "Slipped task", "due_at": due.to_rfc3339(), "assignee_user_id": app.user_id})).await;
        let today = now.date_naive();
        let page = b.get("/calendar").await;
        assert_eq!(page.status, StatusCode::OK, "[{name}]");
        let d = day(&page.body, &today.to_string());
        assert!(d.contains("aria-current=\"date\""), "[{name}] today highlighted: {d}");
        let local_due = due.date_naive();
        let page = b.get(&format!("/calendar?view=day&date={local_due}")).await;
        let d = day(&page.body, &local_due.to_string());
        assert!(d.contains("is-overdue") && d.contains("Slipped task"), "[{name}] overdue: {d}");

        // A date that is not one: the current week.
        let bad = b.get("/calendar?date=not-a-date&view=nonsense").await;
        assert_eq!(bad.status, StatusCode::OK, "[{name}]");
        assert!(bad.body.contains(&format!("id=\"day-{today}\"")), "[{name}]");

        // Signed out: to the sign-in page.
        let anon = app.browser().get("/calendar").await;
        assert_eq!(anon.status, StatusCode::SEE_OTHER, "[{name}]");
    }
}

/// `n` tasks due on 25 November from 08:00 UTC, ten seconds apart.
fn tasks_on_the_25th(
    n: usize,
    tag: &str,
    assignee: Uuid,
) -> Vec<rapport_testkit::serde_json::Map<String, rapport_testkit::serde_json::Value>> {
    (0..n)
        .map(|i| {
            let s = i * 10;
            let due = format!("2026-11-25T{:02}:{:02}:{:02}Z", 8 + s / 3600, s / 60 % 60, s % 60);
            obj(json!({"title": format!("{tag} {i:03}"), "due_at": due, "assignee_user_id": assignee}))
        })
        .collect()
}

#[tokio::test]
async fn a_busy_day_shows_its_first_items_and_links_to_the_rest() {
    for app in TestApp::all().await {
        let name = app.name();
        let mut b = living_in(&app, "UTC").await;
        let other = colleague(&app).await;
        app.store.create_many(&app.scope, Kind::Task, &tasks_on_the_25th(104, "Team task", other)).await.unwrap();
        app.store.create_many(&app.scope, Kind::Task, &tasks_on_the_25th(3, "My task", app.user_id)).await.unwrap();
        app.create("activities", json!({"type": "meeting", "subject": "Early meeting", "occurred_at": "2026-11-25T07:00:00Z"}))
            .await;

        // Everyone's week: the day's first twelve by time, and how many more, linked to the day.
        let week = b.get("/calendar?view=week&date=2026-11-25&who=all").await;
        assert_eq!(week.status, StatusCode::OK, "[{name}] {}", week.body);
        let d = day(&week.body, "2026-11-25");
        assert_eq!(d.matches("<li class=\"cal-item ").count(), 12, "[{name}] {d}");
        assert!(d.contains("Early meeting") && d.contains("Team task 000"), "[{name}] {d}");
        assert!(!d.contains("Team task 011"), "[{name}] {d}");
        assert!(d.contains("96 more"), "[{name}] 108 items, 12 shown: {d}");
        assert!(d.contains("class=\"cal-more\" href=\"/calendar?view=day&#38;date=2026-11-25&#38;who=all\""), "[{name}] {d}");
        assert!(!day(&week.body, "2026-11-24").contains("cal-more"), "[{name}] a quiet day has no link");

        // Everyone's day: a hundred, and the lists of all its tasks and meetings.
        let page = b.get("/calendar?view=day&date=2026-11-25&who=all").await;
        let d = day(&page.body, "2026-11-25");
        assert_eq!(d.matches("<li class=\"cal-item ").count(), 100, "[{name}]");
        assert!(d.contains("All 107 tasks due this day"), "[{name}] {d}");
        assert!(!d.contains("cal-all-meetings"), "[{name}] its one meeting is shown");
        let start = d.find("id=\"cal-all-tasks\" href=\"").unwrap() + "id=\"cal-all-tasks\" href=\"".len();
        let link = d[start..][..d[start..].find('"').unwrap()].replace("&#38;", "&");
        assert!(link.starts_with("/tasks?"), "[{name}] {link}");
        let list = b.get(&link).await;
        assert_eq!(list.status, StatusCode::OK, "[{name}] {link}: {}", list.body);
        assert!(
            list.body.contains("Team task 000") && !list.body.contains("error"),
            "[{name}] the day's tasks, first by due time"
        );
        let all = app.list_all(&link.replace("/tasks?", "/api/v1/tasks?").replace("%5B", "[").replace("%5D", "]")).await;
        assert_eq!(all.len(), 107, "[{name}] the link's filter holds the day's tasks");

        // Mine: my three tasks and the meeting I logged, no link.
        let mine = b.get("/calendar?view=day&date=2026-11-25").await;
        let d = day(&mine.body, "2026-11-25");
        assert_eq!(d.matches("<li class=\"cal-item ").count(), 4, "[{name}] {d}");
        assert!(!d.contains("cal-more"), "[{name}]");
    }
}

#[tokio::test]
async fn counts_are_of_what_the_reader_may_see() {
    for app in TestApp::all().await {
        let name = app.name();
        let vis = app.patch("/api/v1/workspace/visibility", json!({"tasks": "private"})).await;
        assert_eq!(vis.status, StatusCode::OK, "[{name}] {}", vis.body);
        let member = colleague(&app).await;
        app.store.create_many(&app.scope, Kind::Task, &tasks_on_the_25th(30, "Admin's task", app.user_id)).await.unwrap();
        app.store.create_many(&app.scope, Kind::Task, &tasks_on_the_25th(14, "Member's task", member)).await.unwrap();
        app.set_password(member, PASSWORD).await;
        let mut b = app.browser();
        let res = b.login("colleague@example.com", PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "[{name}] sign in: {}", res.body);
        let week = b.get("/calendar?view=week&date=2026-11-25&who=all").await;
        let d = day(&week.body, "2026-11-25");
        assert_eq!(d.matches("<li class=\"cal-item ").count(), 12, "[{name}] {d}");
        assert!(!d.contains("Admin's task"), "[{name}] {d}");
        assert!(d.contains("2 more"), "[{name}] 14 the member sees, 12 shown: {d}");
    }
}

#[tokio::test]
async fn counts_stop_at_the_cap_and_say_more_than() {
    for app in TestApp::all().await {
        let name = app.name();
        let mut b = living_in(&app, "UTC").await;
        let cap = rapport_store::calendar::COUNT_CAP as usize;
        for batch in tasks_on_the_25th(cap + 5, "Crowded", app.user_id).chunks(500) {
            app.store.create_many(&app.scope, Kind::Task, batch).await.unwrap();
        }
        let week = b.get("/calendar?view=week&date=2026-11-25").await;
        let d = day(&week.body, "2026-11-25");
        assert!(d.contains(&format!("{}+ more", cap - 12)), "[{name}] the cap's count less the shown, and more: {d}");
        let page = b.get("/calendar?view=day&date=2026-11-25").await;
        let d = day(&page.body, "2026-11-25");
        assert!(d.contains(&format!("More than {cap} tasks due this day")), "[{name}] {d}");
    }
}
