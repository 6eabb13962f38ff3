//! The index of every organization's activities (its own and its people's),
//! kept by the database: after every kind of write (activities logged, moved
//! in time, re-linked and deleted; people joining and leaving organizations;
//! people and organizations deleted and merged; batches and imports; many
//! concurrent writes) it holds exactly what the links imply, on both
//! databases, and the account's timeline shows what it holds.

mod io_support;

use io_support::import;
use rapport_domain::Kind;
use rapport_store::{Scope, Via};
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};

async fn exact(app: &TestApp, step: &str) -> i64 {
    let scope = Scope::system(app.scope.workspace_id, Via::Cli);
    let check = app.store.check_account_index(&scope).await.unwrap();
    assert!(check.is_exact(), "[{}] after {step}: {check:?}", app.name());
    check.kept
}

async fn patch(app: &TestApp, collection: &str, id: &str, body: Value) {
    let a = app.patch(&format!("/api/v1/{collection}/{id}"), body).await;
    assert_eq!(a.status, StatusCode::OK, "[{}] {}", app.name(), a.body);
}

/// The subjects of the organization's timeline activities, newest first.
async fn timeline(app: &TestApp, org: &str) -> Vec<String> {
    let a = app.get(&format!("/api/v1/organizations/{org}/timeline?limit=200")).await;
    assert_eq!(a.status, StatusCode::OK, "[{}] {}", app.name(), a.body);
    a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "activity")
        .map(|i| i["activity"]["subject"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn the_index_follows_every_write() {
    for app in TestApp::all().await {
        let n = app.name();
        let o1 = app.create("organizations", json!({"name": "North Ltd"})).await["id"].as_str().unwrap().to_string();
        let o2 = app.create("organizations", json!({"name": "South Ltd"})).await["id"].as_str().unwrap().to_string();
        let p1 = app.create("people", json!({"first_name": "Ann", "organizations": [{"id": o1}]})).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let p2 = app.create("people", json!({"first_name": "Bob", "organizations": [{"id": o1}, {"id": o2}]})).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let p3 = app.create("people", json!({"first_name": "Cid"})).await["id"].as_str().unwrap().to_string();
        assert_eq!(exact(&app, "people").await, 0);

        let log = |subject: &str, day: u32, people: Vec<&str>, orgs: Vec<&str>| {
            json!({"type": "call", "subject": subject, "occurred_at": format!("2026-03-{day:02}T10:00:00Z"),
                   "people": people, "organizations": orgs})
        };
        let a1 = app.create("activities", log("a1", 1, vec![&p1], vec![])).await["id"].as_str().unwrap().to_string();
        let a2 = app.create("activities", log("a2", 2, vec![], vec![&o2])).await["id"].as_str().unwrap().to_string();
        // Through a person and directly: once on the timeline.
        app.create("activities", log("a3", 3, vec![&p2], vec![&o1])).await;
        let a4 = app.create("activities", log("a4", 4, vec![&p3], vec![])).await["id"].as_str().unwrap().to_string();
        assert_eq!(exact(&app, "logging").await, 4, "[{n}] a1·o1, a2·o2, a3·o1, a3·o2");
        assert_eq!(timeline(&app, &o1).await, ["a3", "a1"], "[{n}]");
        assert_eq!(timeline(&app, &o2).await, ["a3", "a2"], "[{n}]");

        patch(&app, "activities", &a4, json!({"people": [p1]})).await;
        exact(&app, "re-linking an activity").await;
        patch(&app, "activities", &a1, json!({"occurred_at": "2026-03-09T10:00:00Z"})).await;
        exact(&app, "moving an activity in time").await;
        assert_eq!(timeline(&app, &o1).await, ["a1", "a4", "a3"], "[{n}]");

        patch(&app, "people", &p3, json!({"organizations": [{"id": o2}]})).await;
        patch(&app, "people", &p1, json!({"organizations": []})).await;
        exact(&app, "people changing organizations").await;
        assert_eq!(timeline(&app, &o1).await, ["a3"], "[{n}] Ann left North");

        assert_eq!(app.delete(&format!("/api/v1/activities/{a2}")).await.status, StatusCode::NO_CONTENT);
        exact(&app, "deleting an activity").await;
        assert_eq!(app.delete(&format!("/api/v1/people/{p2}")).await.status, StatusCode::NO_CONTENT);
        exact(&app, "deleting a person").await;
        assert_eq!(timeline(&app, &o1).await, ["a3"], "[{n}] still linked directly");
        assert_eq!(timeline(&app, &o2).await, Vec::<String>::new(), "[{n}] Bob is gone");

        // Merges move the merged record's links onto the survivor.
        patch(&app, "people", &p1, json!({"organizations": [{"id": o1}]})).await;
        app.create("activities", log("a5", 5, vec![&p3], vec![])).await;
        let merged = app.post(&format!("/api/v1/people/{p1}/merge"), json!({"merge_ids": [p3]})).await;
        assert_eq!(merged.status, StatusCode::OK, "[{n}] {}", merged.body);
        exact(&app, "merging people").await;
        let merged = app.post(&format!("/api/v1/organizations/{o2}/merge"), json!({"merge_ids": [o1]})).await;
        assert_eq!(merged.status, StatusCode::OK, "[{n}] {}", merged.body);
        exact(&app, "merging organizations").await;
        assert_eq!(timeline(&app, &o2).await, ["a1", "a5", "a4", "a3"], "[{n}]");

        // Batches and imports.
        let scope = Scope::system(app.scope.workspace_id, Via::Cli);
        let batch: Vec<_> =
            (0..30).map(|i| rapport_testkit::obj(json!({"type": "note", "subject": format!("b{i}"), "people": [p1]}))).collect();
        app.store.create_many(&scope, Kind::Activity, &batch).await.unwrap();
        exact(&app, "a batch of activities").await;
        import(&app, "kind=people", "text/csv", "First name,Last name,Company\nDee,Dow,South Ltd\nEve,Ek,South Ltd\n").await;
        exact(&app, "an import of people").await;

        assert_eq!(app.delete(&format!("/api/v1/organizations/{o2}")).await.status, StatusCode::NO_CONTENT);
        assert_eq!(exact(&app, "deleting the organization").await, 0, "[{n}]");
    }
}

/// Activities logged on people while those people join and leave an
/// organization, all at once: no path is missed by two writers that each
/// could not see the other's link.
#[tokio::test]
async fn concurrent_logging_and_moves_keep_the_index_exact() {
    for app in TestApp::all().await {
        let org = app.create("organizations", json!({"name": "Busy Ltd"})).await["id"].as_str().unwrap().to_string();
        let mut people = Vec::new();
        for i in 0..6 {
            people.push(app.create("people", json!({"first_name": format!("P{i}")})).await["id"].as_str().unwrap().to_string());
        }
        let mut writes = Vec::new();
        for round in 0..8 {
            for (i, p) in people.iter().enumerate() {
                let (client, base, token) = (app.client.clone(), app.base.clone(), app.token.clone());
                let (p, org) = (p.clone(), org.clone());
                writes.push(tokio::spawn(async move {
                    let req = if (round + i) % 2 == 0 {
                        let orgs = if round % 4 < 2 { json!([{"id": org}]) } else { json!([]) };
                        client.patch(format!("{base}/api/v1/people/{p}")).json(&json!({"organizations": orgs}))
                    } else {
                        let body = json!({"type": "call", "subject": format!("r{round}"), "people": [p]});
                        client.post(format!("{base}/api/v1/activities")).json(&body)
                    };
                    let res = req.bearer_auth(&token).send().await.expect("request");
                    let status = res.status();
                    assert!(status.is_success(), "{status}: {}", res.text().await.unwrap_or_default());
                }));
            }
        }
        for w in writes {
            w.await.unwrap_or_else(|e| panic!("[{}] a write failed: {e}", app.name()));
        }
        exact(&app, "concurrent writes").await;
    }
}

/// A damaged index (a row lost, a row at a wrong time, a row no path
/// implies) is found by the check and mended by the repair, which leaves an
/// exact index untouched.
#[tokio::test]
async fn a_repair_mends_a_damaged_index() {
    for app in TestApp::all().await {
        let n = app.name();
        let scope = Scope::system(app.scope.workspace_id, Via::Cli);
        let org = app.create("organizations", json!({"name": "Mended Ltd"})).await["id"].as_str().unwrap().to_string();
        let p = app.create("people", json!({"first_name": "Ann", "organizations": [{"id": org}]})).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        for day in 1..=3 {
            let a = json!({"type": "call", "subject": format!("c{day}"), "occurred_at": format!("2026-03-0{day}T10:00:00Z"),
                           "people": [p]});
            app.create("activities", a).await;
        }
        assert_eq!(exact(&app, "logging").await, 3, "[{n}]");
        let untouched = app.store.repair_account_index(&scope).await.unwrap();
        assert_eq!((untouched.added, untouched.removed), (0, 0), "[{n}] an exact index is left as it is");

        app.raw_sql("DELETE FROM account_activities WHERE activity_id = (SELECT activity_id FROM account_activities ORDER BY activity_id LIMIT 1)").await;
        app.raw_sql("UPDATE account_activities SET occurred_at = '2001-01-01T00:00:00Z' WHERE activity_id = (SELECT activity_id FROM account_activities ORDER BY activity_id DESC LIMIT 1)").await;
        app.raw_sql(
            "INSERT INTO account_activities (workspace_id, activity_id, organization_id, occurred_at) \
             SELECT workspace_id, activity_id, workspace_id, occurred_at FROM account_activities \
             WHERE activity_id = (SELECT activity_id FROM account_activities ORDER BY activity_id DESC LIMIT 1)",
        )
        .await;
        let check = app.store.check_account_index(&scope).await.unwrap();
        assert_eq!((check.missing, check.stale), (2, 2), "[{n}] {check:?}");

        let repair = app.store.repair_account_index(&scope).await.unwrap();
        assert_eq!((repair.added, repair.removed), (2, 2), "[{n}] {repair:?}");
        assert_eq!(exact(&app, "the repair").await, 3, "[{n}]");
        assert_eq!(timeline(&app, &org).await, ["c3", "c2", "c1"], "[{n}]");
    }
}
