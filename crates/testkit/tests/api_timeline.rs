//! The timeline around a record and the history of its changes.

mod common;

use std::collections::HashSet;

use common::{assert_problem, assert_status, default_pipeline, id, items};
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};
use uuid::Uuid;

/// The id a timeline item is known by: its record's id, or the change row's id.
fn item_key(item: &Value) -> String {
    let ty = item["type"].as_str().unwrap_or_default();
    let id = match ty {
        "change" => item["id"].as_str(),
        other => item[other]["id"].as_str(),
    };
    format!("{ty}:{}", id.unwrap_or_else(|| panic!("timeline item without an id: {item}")))
}

/// Every item of a timeline, page by page with `limit`.
async fn walk(app: &TestApp, path: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let url = match &cursor {
            None => format!("{path}?limit={limit}"),
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
        };
        let a = app.get(&url).await;
        assert_status(app, &a, StatusCode::OK, &url);
        let page = items(&a);
        assert!(page.len() <= limit as usize, "[{}] page over the limit", app.name());
        out.extend(page);
        match a.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
    panic!("[{}] {path}: the timeline does not end", app.name());
}

#[track_caller]
fn assert_newest_first(app: &TestApp, items: &[Value], what: &str) {
    let at: Vec<&str> = items.iter().map(|i| i["at"].as_str().expect("item has at")).collect();
    for w in at.windows(2) {
        assert!(w[0] >= w[1], "[{}] {what}: not newest first: {} before {}", app.name(), w[0], w[1]);
    }
}

#[tokio::test]
async fn person_and_organization_timelines() {
    for app in TestApp::all().await {
        let n = app.name();
        let org = app.create("organizations", json!({"name": "Wayne Enterprises"})).await;
        let person = app
            .create(
                "people",
                json!({"first_name": "Lucius", "last_name": "Fox", "organizations": [{"id": org["id"], "role": "CEO"}]}),
            )
            .await;
        let pid = id(&person);
        let other = app.create("people", json!({"first_name": "Not", "last_name": "Involved"})).await;

        let mut activity_ids = HashSet::new();
        for (ty, at) in [
            ("call", "2025-03-01T10:00:00Z"),
            ("email", "2025-01-15T08:00:00Z"),
            ("meeting", "2025-06-30T14:00:00Z"),
            ("note", "2025-06-30T14:00:00Z"),
            ("visit", "2025-06-30T14:00:00Z"),
        ] {
            let a = app.create("activities", json!({"type": ty, "occurred_at": at, "subject": ty, "people": [pid]})).await;
            activity_ids.insert(id(&a));
        }
        app.create("activities", json!({"type": "call", "occurred_at": "2025-02-01T00:00:00Z", "people": [other["id"]]})).await;
        let task =
            app.create("tasks", json!({"title": "Send the contract", "due_at": "2025-04-01T12:00:00Z", "people": [pid]})).await;
        let undated = app.create("tasks", json!({"title": "Call back", "people": [pid]})).await;
        let deal = app.create("deals", json!({"name": "Tumbler fleet", "people": [pid], "organization_id": org["id"]})).await;
        let pipeline = default_pipeline(&app).await;
        let second = &pipeline["stages"][1];
        let moved = app.patch(&format!("/api/v1/deals/{}", id(&deal)), json!({"stage_id": second["id"]})).await;
        assert_status(&app, &moved, StatusCode::OK, "move deal");

        let path = format!("/api/v1/people/{pid}/timeline");
        let whole = walk(&app, &path, 200).await;
        assert_newest_first(&app, &whole, "person timeline");
        let types: HashSet<&str> = whole.iter().filter_map(|i| i["type"].as_str()).collect();
        assert_eq!(types, HashSet::from(["activity", "task", "change"]), "[{n}] item types");
        let keys: Vec<String> = whole.iter().map(item_key).collect();
        let unique: HashSet<&String> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "[{n}] no item twice: {keys:?}");
        for a in &activity_ids {
            assert!(keys.contains(&format!("activity:{a}")), "[{n}] activity {a} missing from the timeline");
        }
        assert!(keys.contains(&format!("task:{}", id(&task))), "[{n}] task missing");
        assert!(keys.contains(&format!("task:{}", id(&undated))), "[{n}] task without due_at missing");
        assert_eq!(whole.iter().filter(|i| i["type"] == "activity").count(), 5, "[{n}] only this person's activities");
        let task_item = whole.iter().find(|i| i["type"] == "task" && i["task"]["id"] == task["id"]).unwrap();
        assert_eq!(task_item["at"], "2025-04-01T12:00:00.000000Z", "[{n}] a task is placed at its due time");
        let deal_changes: Vec<&Value> = whole.iter().filter(|i| i["type"] == "change" && i["record_id"] == deal["id"]).collect();
        assert_eq!(deal_changes.len(), 2, "[{n}] the linked deal's creation and stage change");
        assert!(deal_changes[0]["changes"]["stage_id"].is_object(), "[{n}] stage change: {}", deal_changes[0]);
        assert!(
            whole.iter().any(|i| i["type"] == "change" && i["record_id"] == person["id"] && i["action"] == "created"),
            "[{n}] the person's own creation"
        );

        for limit in [1, 2, 3] {
            let paged = walk(&app, &path, limit).await;
            let paged_keys: Vec<String> = paged.iter().map(item_key).collect();
            assert_eq!(paged_keys, keys, "[{n}] paging with limit={limit} walks the same timeline, no item twice or missed");
        }

        let org_tl = walk(&app, &format!("/api/v1/organizations/{}/timeline", id(&org)), 50).await;
        assert_newest_first(&app, &org_tl, "organization timeline");
        let org_keys: HashSet<String> = org_tl.iter().map(item_key).collect();
        for a in &activity_ids {
            assert!(org_keys.contains(&format!("activity:{a}")), "[{n}] the organization sees its people's activity {a}");
        }
        assert_eq!(org_tl.iter().filter(|i| i["type"] == "activity").count(), 5, "[{n}] not other people's activities");
        assert!(
            org_tl.iter().any(|i| i["type"] == "change" && i["record_id"] == deal["id"]),
            "[{n}] the organization's deal changes"
        );

        let deal_tl = walk(&app, &format!("/api/v1/deals/{}/timeline", id(&deal)), 50).await;
        assert_eq!(deal_tl.iter().filter(|i| i["type"] == "change").count(), 2, "[{n}] deal timeline");

        let missing = app.get(&format!("/api/v1/people/{}/timeline", Uuid::now_v7())).await;
        assert_problem(&app, &missing, StatusCode::NOT_FOUND, None, "timeline of an unknown person");
        let bad = app.get(&format!("{path}?cursor=nonsense")).await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("cursor"), "bad timeline cursor");
        let bad = app.get(&format!("{path}?limit=0")).await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("limit"), "timeline limit=0");
    }
}

#[tokio::test]
async fn history_records_every_change() {
    for app in TestApp::all().await {
        let n = app.name();
        let org = app.create("organizations", json!({"name": "Stark Industries", "industry": "Defense"})).await;
        let oid = id(&org);
        let path = format!("/api/v1/organizations/{oid}");
        assert_status(&app, &app.patch(&path, json!({"industry": "Energy"})).await, StatusCode::OK, "patch 1");
        assert_status(
            &app,
            &app.patch(&path, json!({"industry": "Clean energy", "tags": ["green"]})).await,
            StatusCode::OK,
            "patch 2",
        );

        let h = app.get(&format!("{path}/history")).await;
        assert_status(&app, &h, StatusCode::OK, "history");
        let rows = items(&h);
        assert_eq!(rows.len(), 3, "[{n}] create + 2 patches: {}", h.body);
        let actions: Vec<&str> = rows.iter().map(|r| r["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["updated", "updated", "created"], "[{n}] newest first");
        assert_eq!(rows[0]["changes"]["industry"], json!({"old": "Energy", "new": "Clean energy"}), "[{n}]");
        assert_eq!(rows[0]["changes"]["tags"], json!({"old": [], "new": ["green"]}), "[{n}]");
        assert_eq!(rows[1]["changes"]["industry"], json!({"old": "Defense", "new": "Energy"}), "[{n}]");
        assert_eq!(rows[1]["changes"].as_object().map(|c| c.len()), Some(1), "[{n}] only changed fields: {}", rows[1]);
        assert_eq!(rows[2]["changes"]["name"], json!({"old": null, "new": "Stark Industries"}), "[{n}]");
        for r in &rows {
            assert_eq!(r["actor_id"], json!(app.user_id.to_string()), "[{n}] actor");
            assert_eq!(r["via"], "api", "[{n}] via");
            assert_eq!(r["record_id"], json!(oid), "[{n}]");
        }
        let at: Vec<&str> = rows.iter().map(|r| r["at"].as_str().unwrap()).collect();
        assert!(at[0] >= at[1] && at[1] >= at[2], "[{n}] times newest first: {at:?}");

        let one = app.get(&format!("{path}/history?limit=1")).await;
        assert_eq!(one.body["items"].as_array().map(Vec::len), Some(1), "[{n}] history limit");
        let older = app.get(&format!("{path}/history?before={}", rows[0]["id"].as_str().unwrap())).await;
        let older: Vec<Value> = items(&older);
        assert_eq!(older.len(), 2, "[{n}] history before the newest row");
        assert_eq!(older[0]["id"], rows[1]["id"], "[{n}] paging history with before=");

        let d = app.delete(&path).await;
        assert_status(&app, &d, StatusCode::NO_CONTENT, "delete");
        let h = app.get(&format!("{path}/history")).await;
        let rows = items(&h);
        assert_eq!(rows.len(), 4, "[{n}] deletion logged");
        assert_eq!(rows[0]["action"], "deleted", "[{n}]");
        assert_eq!(rows[0]["changes"]["industry"], json!({"old": "Clean energy", "new": null}), "[{n}] what was deleted");

        let missing = app.get(&format!("/api/v1/organizations/{}/history", Uuid::now_v7())).await;
        assert_problem(&app, &missing, StatusCode::NOT_FOUND, None, "history of a record never seen");
    }
}

/// Activities logged later than they happened (a call written up the next
/// week) take their place by when they happened, on every page.
#[tokio::test]
async fn activities_logged_late_are_placed_by_when_they_happened() {
    for app in TestApp::all().await {
        let n = app.name();
        let person = app.create("people", json!({"first_name": "Late", "last_name": "Logger"})).await;
        let pid = id(&person);
        // Created in this order, so that ids and times disagree.
        let dates = ["2025-01-01", "2025-05-01", "2025-03-01", "2024-12-01", "2025-04-01"];
        for d in dates {
            app.create(
                "activities",
                json!({"type": "call", "occurred_at": format!("{d}T09:00:00Z"), "subject": d, "people": [pid]}),
            )
            .await;
        }
        let path = format!("/api/v1/people/{pid}/timeline");
        for limit in [1, 2, 50] {
            let subjects: Vec<String> = walk(&app, &path, limit)
                .await
                .iter()
                .filter(|i| i["type"] == "activity")
                .map(|i| i["activity"]["subject"].as_str().unwrap_or_default().to_string())
                .collect();
            assert_eq!(
                subjects,
                ["2025-05-01", "2025-04-01", "2025-03-01", "2025-01-01", "2024-12-01"],
                "[{n}] newest first with {limit} per page"
            );
        }
    }
}

/// A large account (hundreds of people, among thousands of activities in the
/// workspace): page by page its timeline holds every activity of the
/// organization and of its people exactly once, newest first, as the
/// accounts' index of activities (migration 25) gives them.
#[tokio::test]
async fn a_large_accounts_timeline_is_whole_and_in_order() {
    for app in TestApp::all().await {
        let n = app.name();
        let scope = rapport_store::Scope::system(app.scope.workspace_id, rapport_store::Via::Cli);
        let create = |kind: rapport_domain::Kind, body: Value| {
            let store = app.store.clone();
            let scope = scope.clone();
            async move {
                let (r, _) = store.create(&scope, kind, &rapport_testkit::obj(body), &Default::default()).await.expect("create");
                r["id"].as_str().unwrap().to_string()
            }
        };
        let org = create(rapport_domain::Kind::Organization, json!({"name": "Large account"})).await;
        let mut people = Vec::new();
        for i in 0..205 {
            let body = json!({"first_name": format!("P{i}"), "organizations": [{"id": org}]});
            people.push(create(rapport_domain::Kind::Person, body).await);
        }
        // Activities a minute apart, newest first; every 100th is the
        // account's (through one of its people, the organization itself, or
        // both), the others concern nobody and are written in batches.
        let total = 3_000;
        let start = chrono::Utc::now() - chrono::Duration::days(30);
        let at = |i: usize| (start - chrono::Duration::minutes(i as i64)).to_rfc3339();
        let mut expected = Vec::new();
        let mut others = Vec::new();
        for i in 0..total {
            if i % 100 != 0 {
                others.push(rapport_testkit::obj(json!({"type": "email", "occurred_at": at(i)})));
                continue;
            }
            let body = if i % 300 == 0 {
                json!({"type": "call", "occurred_at": at(i), "people": [people[i % people.len()]], "organizations": [org]})
            } else if i % 200 == 0 {
                json!({"type": "call", "occurred_at": at(i), "people": [people[i % people.len()], people[(i + 1) % people.len()]]})
            } else {
                json!({"type": "note", "occurred_at": at(i), "organizations": [org]})
            };
            expected.push(format!("activity:{}", create(rapport_domain::Kind::Activity, body).await));
        }
        for batch in others.chunks(1_000) {
            app.store.create_many(&scope, rapport_domain::Kind::Activity, batch).await.expect("activities");
        }
        let got: Vec<String> = walk(&app, &format!("/api/v1/organizations/{org}/timeline"), 20)
            .await
            .iter()
            .filter(|i| i["type"] == "activity")
            .map(item_key)
            .collect();
        assert_eq!(got, expected, "[{n}] the account's {} activities, newest first, each once", expected.len());
    }
}
