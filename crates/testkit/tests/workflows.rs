//! Assignment rules and workflows, on every backend, with the worker drained in the test.

use rapport_automation::Worker;
use rapport_testkit::reqwest::{Method, StatusCode};
use rapport_testkit::serde_json::{Value, json};
use rapport_testkit::{Answer, TestApp};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

async fn drain(app: &TestApp) {
    Worker::new(app.store.clone()).drain().await.expect("drain");
}

async fn user(app: &TestApp, name: &str, away: bool) -> String {
    let email = format!("{}@example.com", name.to_lowercase());
    id(&app.create("users", json!({"email": email, "name": name, "role": "member", "away": away})).await)
}

async fn runs(app: &TestApp, wf: &str) -> Vec<Value> {
    let a = app.get(&format!("/api/v1/workflows/{wf}/runs")).await;
    assert_eq!(a.status, StatusCode::OK, "[{}] {}", app.name(), a.body);
    a.body["items"].as_array().cloned().unwrap_or_default()
}

async fn tags(app: &TestApp, p: &Value) -> Value {
    app.get(&format!("/api/v1/people/{}", id(p))).await.body["tags"].clone()
}

/// The fields a refused workflow definition is faulted at.
async fn refused(app: &TestApp, body: Value) -> Vec<String> {
    let a = app.post("/api/v1/workflows", body).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}] {}", app.name(), a.body);
    a.error_fields()
}

async fn workflow(app: &TestApp, body: Value) -> String {
    let a = app.post("/api/v1/workflows", body).await;
    assert_eq!(a.status, StatusCode::CREATED, "[{}] {}", app.name(), a.body);
    a.id()
}

#[tokio::test]
async fn assignment_rules_pick_owners_in_order() {
    for app in TestApp::all().await {
        let n = app.name();
        let (ann, bob, cleo) = (user(&app, "Ann", false).await, user(&app, "Bob", true).await, user(&app, "Cleo", false).await);
        let team = id(&app.create("teams", json!({"name": "Sales", "members": [ann, bob, cleo]})).await);
        let rule = |body: Value| async { app.post("/api/v1/assignment-rules", body).await };
        let fallback = rule(json!({"kind": "person", "name": "Fallback", "position": 9, "method": "user", "user_id": ann})).await;
        assert_eq!(fallback.status, StatusCode::CREATED, "[{n}] {}", fallback.body);
        let rr = rule(json!({"kind": "person", "name": "Web round-robin", "position": 2, "conditions": [["lead_source[in]", "web,referral"]], "method": "round_robin", "team_id": team})).await;
        assert_eq!(rr.status, StatusCode::CREATED, "[{n}] {}", rr.body);
        rule(json!({"kind": "person", "name": "Events to Cleo", "position": 1, "conditions": [["lead_source", "event"]], "method": "user", "user_id": cleo})).await;
        let bad = rule(json!({"kind": "person", "name": "", "conditions": [["nope", "x"]], "method": "round_robin"})).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert_eq!(bad.error_fields(), vec!["name", "conditions[0]", "team_id"], "[{n}] {}", bad.body);
        let listed = app.get("/api/v1/assignment-rules?kind=person").await.body["items"].clone();
        let names: Vec<&str> = listed.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Events to Cleo", "Web round-robin", "Fallback"], "[{n}] ordered by position");

        // Round-robin over Ann and Cleo: Bob is away.
        let mut owners = vec![];
        for i in 0..3 {
            let p = app.create("people", json!({"first_name": format!("Web {i}"), "lead_source": "web"})).await;
            owners.push(p["owner_id"].as_str().unwrap().to_string());
        }
        assert_eq!(owners, [ann.clone(), cleo.clone(), ann.clone()], "[{n}]");
        // First match wins, then the fallback; an owner given is kept.
        let ev = app.create("people", json!({"first_name": "Ev", "lead_source": "event"})).await;
        assert_eq!(ev["owner_id"], json!(cleo), "[{n}]");
        let other = app.create("people", json!({"first_name": "Oz", "lead_source": "fax"})).await;
        assert_eq!(other["owner_id"], json!(ann), "[{n}]");
        let mine = app.create("people", json!({"first_name": "Mo", "lead_source": "web", "owner_id": bob})).await;
        assert_eq!(mine["owner_id"], json!(bob), "[{n}]");

        // The history names the rule.
        let h = app.get(&format!("/api/v1/people/{}/history", id(&ev))).await;
        let created = &h.body["items"][0]["changes"];
        assert_eq!(created["assigned_by_rule"]["new"], "Events to Cleo", "[{n}] {}", h.body);
        assert_eq!(created["owner_id"]["new"], json!(cleo), "[{n}]");

        // Load: the member with the fewest open deals.
        for owner in [&ann, &ann, &cleo] {
            app.create("deals", json!({"name": "Existing", "owner_id": owner})).await;
        }
        let load = rule(json!({"kind": "deal", "name": "Balance", "method": "load", "team_id": team})).await;
        assert_eq!(load.status, StatusCode::CREATED, "[{n}] {}", load.body);
        let d1 = app.create("deals", json!({"name": "New 1"})).await;
        assert_eq!(d1["owner_id"], json!(cleo), "[{n}] Cleo had one open deal, Ann two");
        let d2 = app.create("deals", json!({"name": "New 2"})).await;
        assert_eq!(d2["owner_id"], json!(ann), "[{n}] a tie goes to the first");

        // Rules can be changed and removed.
        let patched = app.patch(&format!("/api/v1/assignment-rules/{}", load.id()), json!({"active": false})).await;
        assert_eq!(patched.body["active"], false, "[{n}] {}", patched.body);
        let d3 = app.create("deals", json!({"name": "New 3"})).await;
        assert_eq!(d3["owner_id"], json!(app.user_id), "[{n}] no active rule: the creator owns it");
        assert_eq!(app.delete(&format!("/api/v1/assignment-rules/{}", load.id())).await.status, StatusCode::NO_CONTENT, "[{n}]");
    }
}

#[tokio::test]
async fn a_won_deal_gets_an_invoice_task_and_its_owner_a_notice() {
    for app in TestApp::all().await {
        let n = app.name();
        let pipelines = app.get("/api/v1/pipelines").await.body;
        let stages = pipelines["items"][0]["stages"].as_array().cloned().unwrap_or_default();
        let won = stages.iter().find(|s| s["outcome"] == "won").unwrap_or_else(|| panic!("[{n}] a won stage: {pipelines}"));
        let wf = workflow(
            &app,
            json!({"name": "Invoice won deals", "trigger": {"type": "deal_stage_entered", "stage_id": won["id"]},
                   "actions": [{"type": "create_task", "title": "Send invoice", "due_in_days": 2},
                               {"type": "notify", "to": "owner", "title": "Deal won: send the invoice"}]}),
        )
        .await;
        let deal = app.create("deals", json!({"name": "Big one"})).await;
        drain(&app).await;
        assert!(runs(&app, &wf).await.is_empty(), "[{n}] not won yet");
        app.patch(&format!("/api/v1/deals/{}", id(&deal)), json!({"status": "won"})).await;
        drain(&app).await;

        let tasks = app.list_all("/api/v1/tasks?title=Send%20invoice").await;
        assert_eq!(tasks.len(), 1, "[{n}] {tasks:?}");
        assert_eq!(tasks[0]["deals"], json!([deal["id"]]), "[{n}]");
        assert_eq!(tasks[0]["assignee_user_id"], json!(app.user_id), "[{n}] the deal's owner");
        let due = chrono::DateTime::parse_from_rfc3339(tasks[0]["due_at"].as_str().unwrap()).unwrap();
        let days = (due.to_utc() - chrono::Utc::now()).num_hours();
        assert!((47..=48).contains(&days), "[{n}] due in two days: {due}");
        let notes = app.get("/api/v1/notifications").await.body;
        assert!(
            notes["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["title"] == "Deal won: send the invoice" && x["record_id"] == deal["id"]),
            "[{n}] {notes}"
        );
        let r = runs(&app, &wf).await;
        assert_eq!(r.len(), 1, "[{n}] {r:?}");
        assert_eq!(r[0]["outcome"], "ok", "[{n}] {r:?}");
        assert_eq!(r[0]["actions"].as_array().unwrap().len(), 2, "[{n}]");
        // The task was written by Rapport, through the record engine: it has a history.
        let h = app.get(&format!("/api/v1/tasks/{}/history", id(&tasks[0]))).await;
        assert_eq!(h.body["items"][0]["via"], "system", "[{n}] {}", h.body);
    }
}

#[tokio::test]
async fn a_field_change_adds_a_tag_when_the_conditions_hold() {
    for app in TestApp::all().await {
        let n = app.name();
        let wf = workflow(
            &app,
            json!({"name": "Tag customers", "trigger": {"type": "field_changed", "kind": "person", "field": "lifecycle_stage", "to": "customer"},
                   "conditions": [["lead_source", "web"]], "actions": [{"type": "add_tag", "tag": "customer"}]}),
        )
        .await;
        let web = app.create("people", json!({"first_name": "Wes", "lead_source": "web", "tags": ["vip"]})).await;
        let event = app.create("people", json!({"first_name": "Eve", "lead_source": "event"})).await;
        let other = app.create("people", json!({"first_name": "Ola", "lead_source": "web"})).await;
        for p in [&web, &event] {
            app.patch(&format!("/api/v1/people/{}", id(p)), json!({"lifecycle_stage": "customer"})).await;
        }
        app.patch(&format!("/api/v1/people/{}", id(&other)), json!({"lifecycle_stage": "lead"})).await;
        drain(&app).await;

        assert_eq!(tags(&app, &web).await, json!(["vip", "customer"]), "[{n}]");
        assert_eq!(tags(&app, &event).await, json!([]), "[{n}] the condition did not hold");
        let r = runs(&app, &wf).await;
        let outcome_for = |p: &Value| r.iter().find(|x| x["record_id"] == p["id"]).map(|x| x["outcome"].clone());
        assert_eq!(outcome_for(&web), Some(json!("ok")), "[{n}] {r:?}");
        assert_eq!(outcome_for(&event), Some(json!("skipped")), "[{n}] {r:?}");
        assert_eq!(outcome_for(&other), None, "[{n}] another value: not triggered");
        assert_eq!(r.len(), 2, "[{n}] the tag written by the workflow triggers nothing more: {r:?}");
    }
}

#[tokio::test]
async fn a_loop_between_two_workflows_is_stopped_and_logged() {
    for app in TestApp::all().await {
        let n = app.name();
        let flip = |from: &str, to: &str| {
            json!({"name": format!("{from} to {to}"), "trigger": {"type": "field_changed", "kind": "person", "field": "lifecycle_stage", "to": from},
                   "actions": [{"type": "update_field", "field": "lifecycle_stage", "value": to}]})
        };
        let a = workflow(&app, flip("lead", "qualified_lead")).await;
        let b = workflow(&app, flip("qualified_lead", "lead")).await;
        let p = app.create("people", json!({"first_name": "Loop", "lifecycle_stage": "subscriber"})).await;
        app.patch(&format!("/api/v1/people/{}", id(&p)), json!({"lifecycle_stage": "lead"})).await;
        drain(&app).await;

        let (ra, rb) = (runs(&app, &a).await, runs(&app, &b).await);
        let depths = |r: &[Value]| r.iter().map(|x| x["depth"].as_i64().unwrap()).rev().collect::<Vec<_>>();
        assert_eq!(depths(&ra), [0, 2, 4], "[{n}] {ra:?}");
        assert_eq!(depths(&rb), [1, 3, 5], "[{n}] {rb:?}");
        assert!(ra.iter().all(|x| x["outcome"] == "ok"), "[{n}] {ra:?}");
        assert_eq!(rb[0]["outcome"], "error", "[{n}] {rb:?}");
        assert!(rb[0]["error"].as_str().unwrap().starts_with("stopped: loop"), "[{n}] {rb:?}");
        let jobs = app.get("/api/v1/jobs?status=queued").await.body;
        assert!(
            jobs["items"].as_array().unwrap().iter().all(|j| j["kind"] != "dispatch_event"),
            "[{n}] nothing left running: {jobs}"
        );
    }
}

#[tokio::test]
async fn an_overdue_task_fires_once() {
    for app in TestApp::all().await {
        let n = app.name();
        let stamp =
            |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let late = app.create("tasks", json!({"title": "Late", "due_at": stamp(-1), "assignee_user_id": app.user_id})).await;
        app.create("tasks", json!({"title": "Tomorrow", "due_at": stamp(24), "assignee_user_id": app.user_id})).await;
        app.create(
            "tasks",
            json!({"title": "Done late", "due_at": stamp(-2), "status": "done", "assignee_user_id": app.user_id}),
        )
        .await;
        let wf = workflow(
            &app,
            json!({"name": "Chase overdue tasks", "trigger": {"type": "task_overdue"}, "actions": [{"type": "notify", "to": "owner", "title": "Overdue"}]}),
        )
        .await;
        drain(&app).await;
        let overdue = |notes: Value| {
            notes["items"].as_array().unwrap().iter().filter(|x| x["title"] == "Overdue").cloned().collect::<Vec<_>>()
        };
        let notes = overdue(app.get("/api/v1/notifications").await.body);
        assert_eq!(notes.len(), 1, "[{n}] {notes:?}");
        assert_eq!(notes[0]["record_id"], late["id"], "[{n}]");
        // The scan queued its successor, and only one.
        let queued = app.get("/api/v1/jobs?status=queued").await.body;
        let scans = queued["items"].as_array().unwrap().iter().filter(|j| j["kind"] == "workflow_scan").count();
        assert_eq!(scans, 1, "[{n}] {queued}");

        // A second scan now: the same occurrence does not fire again.
        app.store.enqueue(app.scope.workspace_id, "workflow_scan", json!({}), chrono::Utc::now(), 3).await.unwrap();
        drain(&app).await;
        assert_eq!(overdue(app.get("/api/v1/notifications").await.body).len(), 1, "[{n}]");
        let r = runs(&app, &wf).await;
        assert_eq!(r.len(), 1, "[{n}] {r:?}");
        assert_eq!((r[0]["trigger"].as_str(), r[0]["outcome"].as_str()), (Some("task_overdue"), Some("ok")), "[{n}]");
    }
}

#[tokio::test]
async fn definitions_are_checked_and_email_is_refused() {
    for app in TestApp::all().await {
        let n = app.name();
        let a = app
            .post(
                "/api/v1/workflows",
                json!({"name": "Welcome", "trigger": {"type": "record_created", "kind": "person"},
                       "actions": [{"type": "send_email", "template": "welcome"}]}),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", a.body);
        assert_eq!(a.header("content-type"), Some("application/problem+json"), "[{n}]");
        assert_eq!(a.error_fields(), vec!["actions[0].type"], "[{n}] {}", a.body);
        assert!(a.body["errors"][0]["message"].as_str().unwrap().contains("not available"), "[{n}] {}", a.body);

        let a = app
            .post(
                "/api/v1/workflows",
                json!({"name": "", "trigger": {"type": "deal_stage_entered", "stage_id": uuid::Uuid::now_v7()},
                       "conditions": [["amount_minor[gte]", "lots"]],
                       "actions": [{"type": "webhook", "url": "ftp://x"}, {"type": "update_field", "field": "nope"}], "colour": "red"}),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", a.body);
        assert_eq!(
            a.error_fields(),
            vec!["colour", "name", "actions[0].url", "actions[1].field", "conditions[0]"],
            "[{n}] {}",
            a.body
        );

        // References are checked once the shape is right.
        let a = app
            .post(
                "/api/v1/workflows",
                json!({"name": "Won", "trigger": {"type": "deal_stage_entered", "stage_id": uuid::Uuid::now_v7()},
                       "actions": [{"type": "notify", "user_id": uuid::Uuid::now_v7(), "title": "Won"}]}),
            )
            .await;
        assert_eq!(a.error_fields(), vec!["trigger.stage_id", "actions[0].user_id"], "[{n}] {}", a.body);

        // A valid one can be read, changed, listed and removed.
        let wf = workflow(&app, json!({"name": "Ping", "trigger": {"type": "record_created", "kind": "organization"}, "actions": [{"type": "add_tag", "tag": "new"}]})).await;
        let p = app
            .patch(
                &format!("/api/v1/workflows/{wf}"),
                json!({"active": false, "actions": [{"type": "remove_tag", "tag": "new"}]}),
            )
            .await;
        assert_eq!(p.status, StatusCode::OK, "[{n}] {}", p.body);
        assert_eq!(p.body["actions"], json!([{"type": "remove_tag", "tag": "new"}]), "[{n}]");
        assert_eq!(app.get("/api/v1/workflows").await.body["items"].as_array().unwrap().len(), 1, "[{n}]");
        assert_eq!(app.delete(&format!("/api/v1/workflows/{wf}")).await.status, StatusCode::NO_CONTENT, "[{n}]");
        assert_eq!(app.get(&format!("/api/v1/workflows/{wf}")).await.status, StatusCode::NOT_FOUND, "[{n}]");
    }
}

#[tokio::test]
async fn round_robin_stays_fair_over_a_thousand_assignments() {
    use futures::StreamExt;
    for app in TestApp::all().await {
        let n = app.name();
        let users = [user(&app, "Rae", false).await, user(&app, "Sam", false).await, user(&app, "Tia", false).await];
        let team = id(&app.create("teams", json!({"name": "Inbound", "members": users})).await);
        let rule = app
            .post(
                "/api/v1/assignment-rules",
                json!({"kind": "person", "name": "Inbound turn", "method": "round_robin", "team_id": team}),
            )
            .await;
        assert_eq!(rule.status, StatusCode::CREATED, "[{n}] {}", rule.body);
        // Eight clients at once, as a busy web form would: the turn must not be taken twice.
        let create_many = |from: usize, to: usize| {
            let app = &app;
            futures::stream::iter(from..to)
                .map(move |i| async move { app.create("people", json!({"first_name": format!("Lead {i}")})).await })
                .buffer_unordered(8)
                .collect::<Vec<Value>>()
        };
        let count = |people: &[Value], u: &str| people.iter().filter(|p| p["owner_id"] == json!(u)).count();
        let first = create_many(0, 500).await;
        let c1: Vec<usize> = users.iter().map(|u| count(&first, u)).collect();
        assert_eq!(c1.iter().sum::<usize>(), 500, "[{n}] every lead got an owner: {c1:?}");
        assert!(c1.iter().max().unwrap() - c1.iter().min().unwrap() <= 1, "[{n}] {c1:?}");

        // Tia goes away midway: the others share what follows, and she gets nothing more.
        let away = app.patch(&format!("/api/v1/users/{}", users[2]), json!({"away": true})).await;
        assert_eq!(away.status, StatusCode::OK, "[{n}] {}", away.body);
        let second = create_many(500, 1000).await;
        let c2: Vec<usize> = users.iter().map(|u| count(&second, u)).collect();
        assert_eq!(c2[2], 0, "[{n}] nothing for the user away: {c2:?}");
        assert!(c2[0].abs_diff(c2[1]) <= 1 && c2[0] + c2[1] == 500, "[{n}] {c2:?}");
        let total: Vec<usize> = (0..3).map(|i| c1[i] + c2[i]).collect();
        assert!(total[0].abs_diff(total[1]) <= 1, "[{n}] the users not away stay within one: {total:?}");

        // Every assignment is in the history, with the rule that made it.
        let all: Vec<Value> = first.into_iter().chain(second).collect();
        let app = &app;
        let missing: Vec<String> = futures::stream::iter(all.iter())
            .map(|p| async move {
                let h = app.get(&format!("/api/v1/people/{}/history", id(p))).await.body;
                let created = &h["items"][0]["changes"];
                let ok = created["assigned_by_rule"]["new"] == "Inbound turn" && created["owner_id"]["new"] == p["owner_id"];
                (!ok).then(|| format!("{}: {h}", id(p)))
            })
            .buffer_unordered(8)
            .filter_map(|x| async { x })
            .collect()
            .await;
        assert!(missing.is_empty(), "[{n}] {} without the rule in their history, e.g. {:?}", missing.len(), missing.first());
    }
}

#[tokio::test]
async fn criteria_rules_route_by_territory_and_source_first_match_wins() {
    for app in TestApp::all().await {
        let n = app.name();
        let (ann, bob, cleo) = (user(&app, "Ann", false).await, user(&app, "Bob", false).await, user(&app, "Cleo", false).await);
        let team = id(&app.create("teams", json!({"name": "Key accounts", "members": [bob, cleo]})).await);
        let rule = |body: Value| async {
            let a = app.post("/api/v1/assignment-rules", body).await;
            assert_eq!(a.status, StatusCode::CREATED, "[{n}] {}", a.body);
        };
        rule(json!({"kind": "person", "name": "France", "position": 1, "conditions": [["address.country", "FR"]], "method": "user", "user_id": ann})).await;
        rule(json!({"kind": "person", "name": "Events", "position": 2, "conditions": [["lead_source", "event"]], "method": "user", "user_id": bob})).await;
        rule(json!({"kind": "person", "name": "Bavaria", "position": 3, "conditions": [["address.region", "Bavaria"]], "method": "user", "user_id": cleo})).await;
        rule(json!({"kind": "person", "name": "Everyone else", "position": 9, "method": "user", "user_id": ann})).await;
        let bad = app
            .post(
                "/api/v1/assignment-rules",
                json!({"kind": "person", "name": "Mars", "conditions": [["address.planet", "Mars"]], "method": "user", "user_id": ann}),
            )
            .await;
        assert_eq!(bad.error_fields(), vec!["conditions[0]"], "[{n}] {}", bad.body);

        let owner = |body: Value| async { app.create("people", body).await["owner_id"].clone() };
        let fr_event =
            owner(json!({"first_name": "Fé", "lead_source": "event", "address": {"city": "Lyon", "country": "FR"}})).await;
        assert_eq!(fr_event, json!(ann), "[{n}] France comes first");
        let de_event =
            owner(json!({"first_name": "Dag", "lead_source": "event", "address": {"region": "Bavaria", "country": "DE"}})).await;
        assert_eq!(de_event, json!(bob), "[{n}] then the source");
        let de =
            owner(json!({"first_name": "Udo", "lead_source": "web", "address": {"region": "Bavaria", "country": "DE"}})).await;
        assert_eq!(de, json!(cleo), "[{n}] then the region");
        assert_eq!(owner(json!({"first_name": "Nobody"})).await, json!(ann), "[{n}] the fallback owner");

        // Organizations: industry and size, then any address's country, then the least loaded of the team.
        rule(json!({"kind": "organization", "name": "Small retail", "position": 1,
                    "conditions": [["industry", "Retail"], ["size[in]", "1-10,11-50"]], "method": "user", "user_id": ann}))
        .await;
        rule(json!({"kind": "organization", "name": "Germany", "position": 2, "conditions": [["addresses.country", "DE"]], "method": "user", "user_id": bob})).await;
        rule(json!({"kind": "organization", "name": "Balance", "position": 3, "method": "load", "team_id": team})).await;
        let org = |body: Value| async { app.create("organizations", body).await["owner_id"].clone() };
        assert_eq!(org(json!({"name": "Corner shop", "industry": "Retail", "size": "1-10"})).await, json!(ann), "[{n}]");
        let big_retail = json!({"name": "Hypermarket", "industry": "Retail", "size": "5001+",
                                "addresses": [{"city": "Paris", "country": "FR"}, {"city": "Köln", "country": "DE"}]});
        assert_eq!(org(big_retail).await, json!(bob), "[{n}] too big for the first rule; one address in Germany");
        // Bob owns one organization, Cleo none: the load rule gives the next to Cleo, then to Bob on a tie.
        assert_eq!(org(json!({"name": "Elsewhere 1"})).await, json!(cleo), "[{n}]");
        assert_eq!(org(json!({"name": "Elsewhere 2"})).await, json!(bob), "[{n}] a tie goes to the first");

        // Tasks by load: only open work counts.
        for (owner, status) in [(&bob, "open"), (&bob, "done"), (&bob, "done"), (&cleo, "open"), (&cleo, "in_progress")] {
            app.create("tasks", json!({"title": "Existing", "assignee_user_id": owner, "status": status})).await;
        }
        rule(json!({"kind": "task", "name": "Least busy", "method": "load", "team_id": team})).await;
        let t = app.create("tasks", json!({"title": "New"})).await;
        assert_eq!(t["assignee_user_id"], json!(bob), "[{n}] Bob has one open task, Cleo two");
        let h = app.get(&format!("/api/v1/tasks/{}/history", id(&t))).await.body;
        assert_eq!(h["items"][0]["changes"]["assigned_by_rule"]["new"], "Least busy", "[{n}] {h}");
    }
}

// ---- time triggers, with the test clock ---------------------------------------

/// Moves the app's clock forward, then runs what fell due (the periodic scan among it).
async fn later(app: &TestApp, by: chrono::Duration) {
    app.clock.advance(by);
    drain(app).await;
}

/// Runs one more scan at the current time, as a second worker or a restart would.
async fn scan_again(app: &TestApp) {
    app.store.enqueue(app.scope.workspace_id, "workflow_scan", json!({}), app.clock.now(), 3).await.unwrap();
    drain(app).await;
}

/// The notifications titled `title`: what a workflow's `notify` left.
async fn notices(app: &TestApp, title: &str) -> Vec<Value> {
    let all = app.get("/api/v1/notifications").await.body;
    all["items"].as_array().unwrap().iter().filter(|x| x["title"] == title).cloned().collect()
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[tokio::test]
async fn a_task_becoming_overdue_as_time_passes_fires_once() {
    for app in TestApp::all().await {
        let n = app.name();
        let due = app.create("tasks", json!({"title": "Quote", "due_at": stamp(app.clock.now() + chrono::Duration::days(1)), "assignee_user_id": app.user_id})).await;
        workflow(&app, json!({"name": "Overdue", "trigger": {"type": "task_overdue"}, "actions": [{"type": "notify", "to": "owner", "title": "Overdue"}]})).await;
        drain(&app).await;
        assert!(notices(&app, "Overdue").await.is_empty(), "[{n}] not due yet");
        later(&app, chrono::Duration::hours(25)).await;
        let got = notices(&app, "Overdue").await;
        assert_eq!(got.len(), 1, "[{n}] {got:?}");
        assert_eq!(got[0]["record_id"], due["id"], "[{n}]");
        scan_again(&app).await;
        later(&app, chrono::Duration::days(10)).await;
        assert_eq!(notices(&app, "Overdue").await.len(), 1, "[{n}] once only");
    }
}

#[tokio::test]
async fn a_date_reached_days_before_fires_once() {
    for app in TestApp::all().await {
        let n = app.name();
        let close = (app.clock.now() + chrono::Duration::days(5)).date_naive();
        let deal = app.create("deals", json!({"name": "Renewal", "expected_close_date": close.to_string()})).await;
        app.create("deals", json!({"name": "Later", "expected_close_date": (close + chrono::Duration::days(30)).to_string()}))
            .await;
        workflow(&app, json!({"name": "Closing soon", "trigger": {"type": "date_reached", "kind": "deal", "field": "expected_close_date", "offset_days": -2},
                               "actions": [{"type": "notify", "to": "owner", "title": "Closing soon"}]})).await;
        later(&app, chrono::Duration::days(2)).await;
        assert!(notices(&app, "Closing soon").await.is_empty(), "[{n}] three days before: not yet");
        later(&app, chrono::Duration::days(1)).await;
        let got = notices(&app, "Closing soon").await;
        assert_eq!(got.len(), 1, "[{n}] two days before: {got:?}");
        assert_eq!(got[0]["record_id"], deal["id"], "[{n}]");
        scan_again(&app).await;
        later(&app, chrono::Duration::days(1)).await;
        later(&app, chrono::Duration::days(3)).await;
        assert_eq!(notices(&app, "Closing soon").await.len(), 1, "[{n}] once only");
    }
}

#[tokio::test]
async fn no_activity_for_n_days_fires_once_per_quiet_spell() {
    for app in TestApp::all().await {
        let n = app.name();
        let quiet = app.create("people", json!({"first_name": "Quiet"})).await;
        let busy = app.create("people", json!({"first_name": "Busy"})).await;
        workflow(
            &app,
            json!({"name": "Check in", "trigger": {"type": "no_activity", "kind": "person", "days": 3},
                               "actions": [{"type": "notify", "to": "owner", "title": "Check in"}]}),
        )
        .await;
        later(&app, chrono::Duration::days(2)).await;
        // A call with Busy two days in: quiet for three days from then on.
        app.create("activities", json!({"type": "call", "occurred_at": stamp(app.clock.now()), "people": [busy["id"]]})).await;
        later(&app, chrono::Duration::hours(25)).await;
        let got = notices(&app, "Check in").await;
        assert_eq!(got.iter().map(|x| x["record_id"].clone()).collect::<Vec<_>>(), [quiet["id"].clone()], "[{n}] {got:?}");
        scan_again(&app).await;
        later(&app, chrono::Duration::days(2)).await;
        let got = notices(&app, "Check in").await;
        assert_eq!(got.len(), 2, "[{n}] Busy's turn came, Quiet's did not come again: {got:?}");
        later(&app, chrono::Duration::days(20)).await;
        scan_again(&app).await;
        assert_eq!(notices(&app, "Check in").await.len(), 2, "[{n}] once per quiet spell");
    }
}

#[tokio::test]
async fn concurrent_edits_of_workflows_and_rules_are_refused_not_lost() {
    for app in TestApp::all().await {
        let n = app.name();
        let wf = app
            .post(
                "/api/v1/workflows",
                json!({"name": "Tag", "trigger": {"type": "record_created", "kind": "person"},
                       "actions": [{"type": "add_tag", "tag": "new"}]}),
            )
            .await;
        let rule = app
            .post(
                "/api/v1/assignment-rules",
                json!({"kind": "person", "name": "To me", "method": "user", "user_id": app.user_id}),
            )
            .await;
        assert_eq!(rule.status, StatusCode::CREATED, "[{n}] {}", rule.body);
        for path in [format!("/api/v1/workflows/{}", wf.id()), format!("/api/v1/assignment-rules/{}", rule.id())] {
            let read = app.get(&path).await;
            assert_eq!(read.headers["etag"], "\"1\"", "[{n}] {path}");
            let first = app.send(Method::PATCH, &path, Some(&json!({"name": "First"})), &[("if-match", "\"1\"")]).await;
            assert_eq!(first.status, StatusCode::OK, "[{n}] {path} {}", first.body);
            assert_eq!((first.body["version"].as_i64(), first.headers["etag"].to_str().unwrap()), (Some(2), "\"2\""), "[{n}]");
            let second = app.send(Method::PATCH, &path, Some(&json!({"name": "Second"})), &[("if-match", "\"1\"")]).await;
            assert_eq!(second.status, StatusCode::PRECONDITION_FAILED, "[{n}] {path} {}", second.body);
            assert_eq!(app.get(&path).await.body["name"], "First", "[{n}] the first change stands");
            // Without If-Match the change applies to the latest version.
            assert_eq!(app.patch(&path, json!({"name": "Third"})).await.body["version"], 3, "[{n}]");
        }
    }
}

#[tokio::test]
async fn workflows_watch_custom_kinds_by_their_key() {
    for app in TestApp::all().await {
        let n = app.name();
        for (key, has_status) in [("contract", false), ("project", true)] {
            let body = json!({"key": key, "singular": key, "plural": format!("{key}s"), "has_status": has_status,
                              "fields": [{"key": "value", "label": "Value", "type": "number"},
                                         {"key": "tier", "label": "Tier", "type": "text"}]});
            let a = app.post("/api/v1/object-types", body).await;
            assert_eq!(a.status, StatusCode::CREATED, "[{n}] {}", a.body);
        }
        // What cannot apply to a custom kind is refused, each at its place.
        let rule = app
            .post("/api/v1/assignment-rules", json!({"kind": "person", "name": "Ann", "method": "user", "user_id": app.user_id}))
            .await;
        let bad = json!({"name": "Bad", "trigger": {"type": "stage_entered", "kind": "contract", "stage_id": app.user_id},
                         "conditions": [["custom.nope", "1"]],
                         "actions": [{"type": "assign", "rule_id": rule.id()}, {"type": "update_field", "field": "status", "value": "won"},
                                     {"type": "update_field", "field": "type", "value": "project"}]});
        let fields = ["trigger.type", "actions[0].rule_id", "actions[1].field", "actions[2].field", "conditions[0]"];
        assert_eq!(refused(&app, bad).await, fields, "[{n}]");
        let unknown = json!({"name": "Leases", "trigger": {"type": "record_created", "kind": "lease"},
                             "actions": [{"type": "add_tag", "tag": "x"}]});
        assert_eq!(refused(&app, unknown).await, ["trigger.kind"], "[{n}]");

        let ann = user(&app, "Ann", false).await;
        let wf = workflow(
            &app,
            json!({"name": "Big contracts", "trigger": {"type": "record_created", "kind": "contract"},
                   "conditions": [["custom.value[gte]", "1000"]],
                   "actions": [{"type": "update_field", "field": "custom.tier", "value": "gold"},
                               {"type": "add_tag", "tag": "big"},
                               {"type": "create_task", "title": "Review the contract", "due_in_days": 1},
                               {"type": "notify", "to": "owner", "title": "A big contract"},
                               {"type": "assign", "user_id": ann}]}),
        )
        .await;
        let big =
            app.create("objects/contract", json!({"name": "MSA", "owner_id": app.user_id, "custom": {"value": 5000}})).await;
        let small =
            app.create("objects/contract", json!({"name": "NDA", "owner_id": app.user_id, "custom": {"value": 10}})).await;
        // Another kind's record never fires it.
        let project = app.create("objects/project", json!({"name": "Roof", "custom": {"value": 9000}})).await;
        drain(&app).await;

        let got = app.get(&format!("/api/v1/objects/contract/{}", id(&big))).await.body;
        assert_eq!(got["custom"]["tier"], "gold", "[{n}] {got}");
        assert_eq!(got["tags"], json!(["big"]), "[{n}] {got}");
        assert_eq!(got["owner_id"], json!(ann), "[{n}] assigned last");
        let tasks = app.list_all("/api/v1/tasks?title=Review%20the%20contract").await;
        assert_eq!(tasks.len(), 1, "[{n}] {tasks:?}");
        assert_eq!(tasks[0]["objects"], json!([big["id"]]), "[{n}] linked to the contract");
        assert_eq!(tasks[0]["assignee_user_id"], json!(app.user_id), "[{n}] the contract's owner");
        let notes = app.get("/api/v1/notifications").await.body;
        assert!(
            notes["items"].as_array().unwrap().iter().any(|x| x["title"] == "A big contract" && x["record_id"] == big["id"]),
            "[{n}] {notes}"
        );
        let untouched = app.get(&format!("/api/v1/objects/contract/{}", id(&small))).await.body;
        assert_eq!(untouched["custom"].get("tier"), None, "[{n}] {untouched}");
        let r = runs(&app, &wf).await;
        let outcomes: Vec<(&str, &str)> =
            r.iter().map(|x| (x["record_id"].as_str().unwrap(), x["outcome"].as_str().unwrap())).collect();
        assert_eq!(outcomes, [(id(&small).as_str(), "skipped"), (id(&big).as_str(), "ok")], "[{n}] {r:?}");
        assert_ne!(app.get(&format!("/api/v1/objects/project/{}", id(&project))).await.body["custom"]["tier"], "gold", "[{n}]");

        // A kind with a status: its records entering a stage of its own pipeline.
        let kind = app.get("/api/v1/object-types/project").await.body;
        let stages = kind["pipeline"]["stages"].as_array().cloned().unwrap_or_default();
        let done = stages.iter().find(|s| s["outcome"] == "won").unwrap_or_else(|| panic!("[{n}] a won stage: {kind}"));
        let deal_stage = app.get("/api/v1/pipelines").await.body["items"][0]["stages"][0]["id"].clone();
        let wrong = json!({"name": "Done", "trigger": {"type": "stage_entered", "kind": "project", "stage_id": deal_stage},
                           "actions": [{"type": "add_tag", "tag": "done"}]});
        assert_eq!(refused(&app, wrong).await, ["trigger.stage_id"], "[{n}] a deal stage is not the project's");
        let wrong = json!({"name": "Done deals", "trigger": {"type": "deal_stage_entered", "stage_id": done["id"]},
                           "actions": [{"type": "add_tag", "tag": "done"}]});
        assert_eq!(refused(&app, wrong).await, ["trigger.stage_id"], "[{n}] nor the project's a deal's");
        let staged = workflow(
            &app,
            json!({"name": "Done projects", "trigger": {"type": "stage_entered", "kind": "project", "stage_id": done["id"]},
                   "actions": [{"type": "add_tag", "tag": "done"}]}),
        )
        .await;
        app.patch(&format!("/api/v1/objects/project/{}", id(&project)), json!({"stage_id": done["id"]})).await;
        drain(&app).await;
        let p = app.get(&format!("/api/v1/objects/project/{}", id(&project))).await.body;
        assert_eq!(p["tags"], json!(["done"]), "[{n}] {p}");
        let r = runs(&app, &staged).await;
        assert_eq!((r.len(), &r[0]["trigger"], &r[0]["outcome"]), (1, &json!("stage_entered"), &json!("ok")), "[{n}] {r:?}");

        // A time trigger reads only the watched kind's records.
        workflow(
            &app,
            json!({"name": "Day-old contracts", "trigger": {"type": "date_reached", "kind": "contract", "field": "created_at", "offset_days": 1},
                   "actions": [{"type": "notify", "user_id": app.user_id, "title": "A day-old contract"}]}),
        )
        .await;
        later(&app, chrono::Duration::hours(25)).await;
        let mut notified: Vec<String> =
            notices(&app, "A day-old contract").await.iter().map(|x| x["record_id"].as_str().unwrap().to_string()).collect();
        notified.sort();
        let mut contracts = vec![id(&big), id(&small)];
        contracts.sort();
        assert_eq!(notified, contracts, "[{n}] the two contracts, not the project");
    }
}

#[tokio::test]
async fn a_custom_date_fields_day_fires_a_workflow_once_per_record() {
    for app in TestApp::all().await {
        let n = app.name();
        let kind = app
            .post(
                "/api/v1/object-types",
                json!({"key": "lease", "singular": "Lease", "plural": "Leases",
                "fields": [{"key": "renewal", "label": "Renewal", "type": "date"}]}),
            )
            .await;
        assert_eq!(kind.status.as_u16(), 201, "[{n}] {}", kind.body);
        let renewal = (app.clock.now() + chrono::Duration::days(10)).date_naive();
        let soon = app.post("/api/v1/objects/lease", json!({"name": "Dock 4", "custom": {"renewal": renewal.to_string()}})).await;
        app.post(
            "/api/v1/objects/lease",
            json!({"name": "Shed", "custom": {"renewal": (renewal + chrono::Duration::days(60)).to_string()}}),
        )
        .await;
        let wrong = refused(
            &app,
            json!({"name": "x", "trigger": {"type": "date_reached", "kind": "lease", "field": "custom.nope"},
            "actions": [{"type": "add_tag", "tag": "x"}]}),
        )
        .await;
        assert_eq!(wrong, vec!["trigger.field"], "[{n}] an unknown field");
        workflow(&app, json!({"name": "Renew", "trigger": {"type": "date_reached", "kind": "lease", "field": "custom.renewal", "offset_days": -7},
                               "actions": [{"type": "notify", "user_id": app.user_id, "title": "Lease renewal"}]})).await;
        later(&app, chrono::Duration::days(2)).await;
        assert!(notices(&app, "Lease renewal").await.is_empty(), "[{n}] eight days before: not yet");
        later(&app, chrono::Duration::days(1)).await;
        let got = notices(&app, "Lease renewal").await;
        assert_eq!(got.len(), 1, "[{n}] a week before: {got:?}");
        assert_eq!(got[0]["record_id"], soon.body["id"], "[{n}]");
        scan_again(&app).await;
        later(&app, chrono::Duration::days(2)).await;
        assert_eq!(notices(&app, "Lease renewal").await.len(), 1, "[{n}] once only");
    }
}

#[tokio::test]
async fn assignment_rules_give_a_custom_kinds_records_an_owner() {
    for app in TestApp::all().await {
        let n = app.name();
        let (ann, cleo) = (user(&app, "Ann", false).await, user(&app, "Cleo", false).await);
        let team = id(&app.create("teams", json!({"name": "Leasing", "members": [ann, cleo]})).await);
        for key in ["lease", "permit"] {
            let kind = app
                .post(
                    "/api/v1/object-types",
                    json!({"key": key, "singular": key, "plural": key,
                    "fields": [{"key": "city", "label": "City", "type": "text"}]}),
                )
                .await;
            assert_eq!(kind.status, StatusCode::CREATED, "[{n}] {}", kind.body);
        }
        let paris = app
            .post(
                "/api/v1/assignment-rules",
                json!({"kind": "lease", "name": "Paris to Cleo", "position": 1,
            "conditions": [["custom.city", "Paris"]], "method": "user", "user_id": cleo}),
            )
            .await;
        assert_eq!(paris.status, StatusCode::CREATED, "[{n}] {}", paris.body);
        assert_eq!(paris.body["kind"], "lease", "[{n}] {}", paris.body);
        let rr = app
            .post(
                "/api/v1/assignment-rules",
                json!({"kind": "lease", "name": "Leasing in turn", "position": 2,
            "method": "load", "team_id": team}),
            )
            .await;
        assert_eq!(rr.status, StatusCode::CREATED, "[{n}] {}", rr.body);
        let bad =
            app.post("/api/v1/assignment-rules", json!({"kind": "nope", "name": "x", "method": "user", "user_id": ann})).await;
        assert_eq!(bad.error_fields(), vec!["kind"], "[{n}] {}", bad.body);
        let listed = app.get("/api/v1/assignment-rules?kind=lease").await.body["items"].clone();
        assert_eq!(listed.as_array().unwrap().len(), 2, "[{n}] {listed}");

        let owner = |r: &Answer| r.body["owner_id"].as_str().unwrap_or_default().to_string();
        let in_paris = app.post("/api/v1/objects/lease", json!({"name": "Rue de Rivoli", "custom": {"city": "Paris"}})).await;
        assert_eq!(owner(&in_paris), cleo, "[{n}] the first rule that matches: {}", in_paris.body);
        // The least loaded: Cleo holds one lease, so Ann; then one each, so Ann again (first on ties).
        let lyon = app.post("/api/v1/objects/lease", json!({"name": "Presqu'île", "custom": {"city": "Lyon"}})).await;
        assert_eq!(owner(&lyon), ann, "[{n}] {}", lyon.body);
        let given = app.post("/api/v1/objects/lease", json!({"name": "Given", "owner_id": cleo})).await;
        assert_eq!(owner(&given), cleo, "[{n}] an owner given is kept");
        // Another kind's records are not the lease rules' business.
        let permit = app.post("/api/v1/objects/permit", json!({"name": "Permit", "custom": {"city": "Paris"}})).await;
        assert_eq!(permit.status, StatusCode::CREATED, "[{n}] {}", permit.body);
        assert!(
            permit.body["owner_id"].is_null() || permit.body["owner_id"] == json!(app.user_id.to_string()),
            "[{n}] {}",
            permit.body
        );
        assert_ne!(owner(&permit), cleo, "[{n}]");
    }
}
