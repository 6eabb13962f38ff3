//! The job queue, webhooks and reminders, against a real HTTP receiver.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use rapport_automation::Worker;
use rapport_automation::signature::sign;
use rapport_domain::Kind;
use rapport_store::{Scope, Via};
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};
use rapport_testkit::{TestApp, obj};

#[derive(Default)]
struct Receiver {
    got: Vec<(HeaderMap, String)>,
    /// Answers to give, in order; 200 once they run out.
    answers: Vec<u16>,
}

/// A webhook endpoint on loopback that records what it receives.
async fn receiver(answers: Vec<u16>) -> (String, Arc<Mutex<Receiver>>) {
    let state = Arc::new(Mutex::new(Receiver { got: vec![], answers }));
    let s = state.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let s = s.clone();
            async move {
                let mut r = s.lock().unwrap();
                r.got.push((headers, body));
                let code = if r.answers.is_empty() { 200 } else { r.answers.remove(0) };
                AxumStatus::from_u16(code).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

/// What the receiver got so far (a copy: no lock is held across an await).
fn received(rx: &Arc<Mutex<Receiver>>) -> Vec<(HeaderMap, String)> {
    rx.lock().unwrap().got.clone()
}

#[tokio::test]
async fn webhooks_are_signed_logged_retried_and_redelivered() {
    for app in TestApp::all().await {
        let n = app.name();
        let worker = Worker::new(app.store.clone());
        let (url, rx) = receiver(vec![503]).await;
        let bad = app.post("/api/v1/webhooks", json!({"url": "ftp://x", "events": ["person.nothing"]})).await;
        assert_eq!(bad.error_fields(), vec!["url", "events[0]"], "[{n}] {}", bad.body);
        let hook = app.post("/api/v1/webhooks", json!({"url": url, "events": ["person.*", "deal.stage_changed"]})).await;
        assert_eq!(hook.status, StatusCode::CREATED, "[{n}] {}", hook.body);
        let secret = hook.body["secret"].as_str().unwrap().to_string();
        let hook_id = hook.id();

        // A write that fails emits nothing; one that succeeds emits its event.
        app.post("/api/v1/people", json!({"emails": ["not an email"]})).await;
        let person = app.create("people", json!({"first_name": "Ada", "emails": ["ada@example.com"]})).await;
        app.create("organizations", json!({"name": "Not subscribed"})).await;
        worker.drain().await.unwrap();
        assert_eq!(received(&rx).len(), 1, "[{n}] one event, refused once by the endpoint");
        // The refused delivery waits for its retry; redelivery sends it now.
        let log = app.get(&format!("/api/v1/webhooks/{hook_id}/deliveries")).await;
        assert_eq!(log.body["items"][0]["status"], "failed", "[{n}] {}", log.body);
        assert_eq!(log.body["items"][0]["response_status"], 503, "[{n}]");
        let jobs = app.get("/api/v1/jobs?status=queued").await;
        assert!(
            jobs.body["items"].as_array().unwrap().iter().any(|j| j["kind"] == "webhook_delivery" && j["attempts"] == 1),
            "[{n}] {}",
            jobs.body
        );
        let delivery = log.body["items"][0]["id"].as_str().unwrap().to_string();
        let again = app.post(&format!("/api/v1/webhooks/{hook_id}/deliveries/{delivery}/redeliver"), json!({})).await;
        assert_eq!(again.status, StatusCode::ACCEPTED, "[{n}] {}", again.body);
        worker.drain().await.unwrap();

        let got = received(&rx);
        assert_eq!(got.len(), 2, "[{n}]");
        let (headers, body) = &got[1];
        let id = headers["webhook-id"].to_str().unwrap();
        let ts: i64 = headers["webhook-timestamp"].to_str().unwrap().parse().unwrap();
        assert_eq!(headers["webhook-signature"].to_str().unwrap(), sign(&secret, id, ts, body).unwrap(), "[{n}] signed");
        // The specification's own library accepts the delivery as it came, and refuses it altered.
        let verifier = standardwebhooks::Webhook::new(&secret).unwrap();
        for (h, b) in &got {
            verifier.verify(b.as_bytes(), h).unwrap_or_else(|e| panic!("[{n}] refused by the reference verifier: {e:?}"));
        }
        let tampered = body.replace("Ada", "Eve");
        assert!(verifier.verify(tampered.as_bytes(), headers).is_err(), "[{n}] a changed body must fail");
        assert_eq!(got[0].0["webhook-id"], got[1].0["webhook-id"], "[{n}] the same event id on every try");
        let event: Value = rapport_testkit::serde_json::from_str(body).unwrap();
        assert_eq!(event["type"], "person.created", "[{n}]");
        assert_eq!(event["data"]["record_id"], person["id"], "[{n}]");
        assert_eq!(event["data"]["changes"]["first_name"]["new"], "Ada", "[{n}]");
        let log = app.get(&format!("/api/v1/webhooks/{hook_id}/deliveries")).await;
        assert_eq!(log.body["items"][0]["status"], "succeeded", "[{n}] {}", log.body);

        // Stage changes have their own event.
        let deal = app.create("deals", json!({"name": "Deal"})).await;
        app.patch(&format!("/api/v1/deals/{}", deal["id"].as_str().unwrap()), json!({"status": "won"})).await;
        worker.drain().await.unwrap();
        let types: Vec<String> = received(&rx)
            .iter()
            .map(|(_, b)| rapport_testkit::serde_json::from_str::<Value>(b).unwrap()["type"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(types.iter().filter(|t| *t == "deal.stage_changed").count(), 1, "[{n}] {types:?}");
        assert!(!types.contains(&"organization.created".to_string()), "[{n}] only subscribed events: {types:?}");
    }
}

#[tokio::test]
async fn signing_secrets_are_shown_once_and_can_be_replaced() {
    for app in TestApp::all().await {
        let n = app.name();
        let (url, rx) = receiver(vec![]).await;
        let hook = app.post("/api/v1/webhooks", json!({"url": url, "events": ["person.created"]})).await;
        let first = hook.body["secret"].as_str().unwrap().to_string();
        let id = hook.id();
        for listed in
            [app.get(&format!("/api/v1/webhooks/{id}")).await.body, app.get("/api/v1/webhooks").await.body["items"][0].clone()]
        {
            assert!(listed.get("secret").is_none(), "[{n}] {listed}");
            assert_eq!(listed["secret_hint"], format!("whsec_…{}", &first[first.len() - 4..]), "[{n}]");
        }
        let rotated = app.post(&format!("/api/v1/webhooks/{id}/secret"), json!({})).await;
        assert_eq!(rotated.status, StatusCode::OK, "[{n}] {}", rotated.body);
        let second = rotated.body["secret"].as_str().unwrap().to_string();
        assert_ne!(second, first, "[{n}]");
        // Deliveries from now on are signed with the new secret only.
        app.create("people", json!({"first_name": "Ada"})).await;
        Worker::new(app.store.clone()).drain().await.unwrap();
        let got = received(&rx);
        assert_eq!(got.len(), 1, "[{n}]");
        let (headers, body) = &got[0];
        assert!(standardwebhooks::Webhook::new(&second).unwrap().verify(body.as_bytes(), headers).is_ok(), "[{n}]");
        assert!(standardwebhooks::Webhook::new(&first).unwrap().verify(body.as_bytes(), headers).is_err(), "[{n}]");
        let audit = app.get("/api/v1/audit").await;
        assert!(audit.body.to_string().contains("webhook_secret_rotated"), "[{n}] audited: {}", audit.body);

        let wf = app
            .post(
                "/api/v1/workflows",
                json!({"name": "Tag", "trigger": {"type": "record_created", "kind": "person"},
                       "actions": [{"type": "add_tag", "tag": "new"}]}),
            )
            .await;
        assert_eq!(wf.status, StatusCode::CREATED, "[{n}] {}", wf.body);
        assert!(wf.body["secret"].as_str().is_some_and(|s| s.starts_with("whsec_")), "[{n}]");
        let wid = wf.id();
        let listed = app.get(&format!("/api/v1/workflows/{wid}")).await.body;
        assert!(listed.get("secret").is_none() && listed["secret_hint"].is_string(), "[{n}] {listed}");
        let again = app.post(&format!("/api/v1/workflows/{wid}/secret"), json!({})).await;
        assert_ne!(again.body["secret"], wf.body["secret"], "[{n}]");
    }
}

#[tokio::test]
async fn reminders_reach_the_assignee_once() {
    for app in TestApp::all().await {
        let n = app.name();
        let due = chrono::Utc::now() - chrono::Duration::seconds(1);
        let stamp = due.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let task =
            app.create("tasks", json!({"title": "Call Ada back", "remind_at": stamp, "assignee_user_id": app.user_id})).await;
        // A second task whose reminder moved to later: nothing now.
        let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let moved = app.create("tasks", json!({"title": "Moved", "remind_at": stamp, "assignee_user_id": app.user_id})).await;
        app.patch(&format!("/api/v1/tasks/{}", moved["id"].as_str().unwrap()), json!({"remind_at": later})).await;
        // Two workers at once never run a job twice.
        let (a, b) = (Worker::new(app.store.clone()), Worker::new(app.store.clone()));
        let (x, y) = tokio::join!(a.drain(), b.drain());
        x.unwrap();
        y.unwrap();
        let notes = app.get("/api/v1/notifications?unread=true").await;
        let items = notes.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "[{n}] {}", notes.body);
        assert_eq!(items[0]["title"], "Reminder: Call Ada back", "[{n}]");
        assert_eq!(items[0]["record_id"], task["id"], "[{n}]");
        let read = app.post(&format!("/api/v1/notifications/{}/read", items[0]["id"].as_str().unwrap()), json!({})).await;
        assert_eq!(read.status, StatusCode::NO_CONTENT, "[{n}]");
        assert_eq!(app.get("/api/v1/notifications?unread=true").await.body["items"], json!([]), "[{n}]");
    }
}

#[tokio::test]
async fn a_job_left_by_a_dead_worker_is_run_again() {
    for app in TestApp::all().await {
        let n = app.name();
        let scope = Scope::system(app.scope.workspace_id, Via::System);
        let person =
            app.store.create(&scope, Kind::Person, &obj(json!({"first_name": "Lin"})), &Default::default()).await.unwrap().0;
        let task = app
            .store
            .create(
                &scope,
                Kind::Task,
                &obj(json!({"title": "Follow up", "assignee_user_id": app.user_id, "people": [person["id"]]})),
                &Default::default(),
            )
            .await
            .unwrap()
            .0;
        app.store
            .enqueue(
                app.scope.workspace_id,
                "task_reminder",
                json!({"task_id": task["id"], "remind_at": null}),
                chrono::Utc::now(),
                3,
            )
            .await
            .unwrap();
        // A worker claims it and dies: its lease runs out at once.
        let claimed = app.store.claim_job("doomed", chrono::Duration::zero()).await.unwrap();
        assert!(claimed.is_some(), "[{n}]");
        let ran = Worker::new(app.store.clone()).drain().await.unwrap();
        assert_eq!(ran, 1, "[{n}] the abandoned job was claimed again");
        let done = app.get("/api/v1/jobs?status=done").await;
        assert_eq!(done.body["items"][0]["attempts"], 2, "[{n}] {}", done.body);
    }
}

#[tokio::test]
async fn a_reminder_fires_when_the_clock_reaches_it_and_only_then() {
    for app in TestApp::all().await {
        let n = app.name();
        let at = (app.clock.now() + chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        app.create("tasks", json!({"title": "Renew the lease", "remind_at": at, "assignee_user_id": app.user_id})).await;
        let worker = Worker::new(app.store.clone());
        let reminders = || async { app.get("/api/v1/notifications").await.body["items"].as_array().unwrap().len() };
        worker.drain().await.unwrap();
        assert_eq!(reminders().await, 0, "[{n}] not yet");
        app.clock.advance(chrono::Duration::hours(23));
        worker.drain().await.unwrap();
        assert_eq!(reminders().await, 0, "[{n}] an hour early");
        app.clock.advance(chrono::Duration::hours(2));
        worker.drain().await.unwrap();
        assert_eq!(reminders().await, 1, "[{n}] due");
        app.clock.advance(chrono::Duration::days(30));
        worker.drain().await.unwrap();
        assert_eq!(reminders().await, 1, "[{n}] once only");
    }
}

#[tokio::test]
async fn a_recurring_task_done_makes_the_next_one_once() {
    for app in TestApp::all().await {
        let n = app.name();
        let stamp = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let due = chrono::DateTime::parse_from_rfc3339("2030-01-31T09:00:00Z").unwrap().to_utc();

        // Each fault named precisely.
        let bad = app.post("/api/v1/tasks", json!({"title": "X", "recurrence": {"frequency": "hourly", "interval": 0}})).await;
        assert_eq!(bad.error_fields(), vec!["recurrence.frequency", "recurrence.interval"], "[{n}] {}", bad.body);
        let bad = app.post("/api/v1/tasks", json!({"title": "X", "recurrence": {"frequency": "weekly"}})).await;
        assert_eq!(bad.error_fields(), vec!["due_at"], "[{n}] {}", bad.body);
        let bad = app
            .post(
                "/api/v1/tasks",
                json!({"title": "X", "due_at": stamp(due), "recurrence": {"frequency": "weekly", "until": "2030-01-01"}}),
            )
            .await;
        assert_eq!(bad.error_fields(), vec!["recurrence.until"], "[{n}] {}", bad.body);

        let person = app.create("people", json!({"first_name": "Pat"})).await;
        let task = app
            .create(
                "tasks",
                json!({"title": "Weekly check-in", "due_at": stamp(due), "remind_at": stamp(due - chrono::Duration::hours(1)),
                       "assignee_user_id": app.user_id, "people": [person["id"]], "recurrence": {"frequency": "weekly", "interval": 2}}),
            )
            .await;
        assert_eq!(task["recurrence"], json!({"frequency": "weekly", "interval": 2, "until": null}), "[{n}]");
        let path = format!("/api/v1/tasks/{}", task["id"].as_str().unwrap());
        let done = app.patch(&path, json!({"status": "done"})).await;
        assert_eq!(done.status, StatusCode::OK, "[{n}] {}", done.body);
        let next_id = done.body["next_task_id"].as_str().unwrap_or_else(|| panic!("[{n}] {}", done.body)).to_string();
        let next = app.get(&format!("/api/v1/tasks/{next_id}")).await.body;
        assert_eq!(next["due_at"], stamp(due + chrono::Duration::weeks(2)), "[{n}] {next}");
        assert_eq!(next["remind_at"], stamp(due + chrono::Duration::weeks(2) - chrono::Duration::hours(1)), "[{n}]");
        assert_eq!(
            (&next["status"], &next["people"], &next["assignee_user_id"]),
            (&json!("open"), &json!([person["id"]]), &json!(app.user_id)),
            "[{n}] {next}"
        );
        assert_eq!(next["recurrence"], task["recurrence"], "[{n}]");
        // Both ends are in the history.
        let h = app.get(&format!("{path}/history")).await.body;
        assert_eq!(h["items"][0]["changes"]["next_task_id"]["new"], json!(next_id), "[{n}] {h}");
        let h = app.get(&format!("/api/v1/tasks/{next_id}/history")).await.body;
        assert_eq!(h["items"][0]["action"], "created", "[{n}] {h}");

        // Done again, reopened and done again: still one next occurrence.
        app.patch(&path, json!({"status": "done"})).await;
        app.patch(&path, json!({"status": "open"})).await;
        app.patch(&path, json!({"status": "done"})).await;
        let series = app.list_all("/api/v1/tasks?title=Weekly%20check-in").await;
        assert_eq!(series.len(), 2, "[{n}] {series:?}");

        // Marked done by several people at once: one next occurrence.
        let daily = app
            .create("tasks", json!({"title": "Daily stand-up", "due_at": stamp(due), "recurrence": {"frequency": "daily"}}))
            .await;
        let path = format!("/api/v1/tasks/{}", daily["id"].as_str().unwrap());
        let all = futures::future::join_all((0..6).map(|_| app.patch(&path, json!({"status": "done"})))).await;
        assert!(all.iter().all(|a| a.status == StatusCode::OK), "[{n}] {:?}", all.iter().map(|a| a.status).collect::<Vec<_>>());
        let series = app.list_all("/api/v1/tasks?title=Daily%20stand-up").await;
        assert_eq!(series.len(), 2, "[{n}] {series:?}");

        // The last one of a series makes none.
        let last = app
            .create(
                "tasks",
                json!({"title": "Monthly report", "due_at": stamp(due), "recurrence": {"frequency": "monthly", "until": "2030-02-27"}}),
            )
            .await;
        let done = app.patch(&format!("/api/v1/tasks/{}", last["id"].as_str().unwrap()), json!({"status": "done"})).await;
        assert_eq!(done.body["next_task_id"], Value::Null, "[{n}] February 28th is past the end: {}", done.body);
        assert_eq!(app.list_all("/api/v1/tasks?title=Monthly%20report").await.len(), 1, "[{n}]");

        // A monthly series on the 31st comes back to the 31st after February.
        let mut task = app
            .create("tasks", json!({"title": "Month end", "due_at": stamp(due), "recurrence": {"frequency": "monthly"}}))
            .await;
        let mut days = vec![];
        for _ in 0..2 {
            let done = app.patch(&format!("/api/v1/tasks/{}", task["id"].as_str().unwrap()), json!({"status": "done"})).await;
            task = app.get(&format!("/api/v1/tasks/{}", done.body["next_task_id"].as_str().unwrap())).await.body;
            days.push(task["due_at"].as_str().unwrap()[..10].to_string());
        }
        assert_eq!(days, ["2030-02-28", "2030-03-31"], "[{n}]");
        assert_eq!(task["recurrence"]["day_of_month"], 31, "[{n}] {task}");
    }
}

#[tokio::test]
async fn last_activity_follows_activities_and_lists_find_the_quiet_ones() {
    for app in TestApp::all().await {
        let n = app.name();
        let stamp =
            |days: i64| (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let org = app.create("organizations", json!({"name": "Quietly Ltd"})).await;
        let (ann, bob) =
            (app.create("people", json!({"first_name": "Ann"})).await, app.create("people", json!({"first_name": "Bob"})).await);
        let silent = app.create("people", json!({"first_name": "Sid"})).await;
        let deal = app.create("deals", json!({"name": "Stalled", "organization_id": org["id"]})).await;
        let planned = app.create("deals", json!({"name": "Planned", "next_step": "Send the quote"})).await;
        assert_eq!(ann["last_activity_at"], Value::Null, "[{n}] {ann}");
        let app = &app;
        let get = |p: &str, v: &Value| {
            let path = format!("/api/v1/{p}/{}", v["id"].as_str().unwrap());
            async move { app.get(&path).await.body["last_activity_at"].clone() }
        };

        // A call with Ann about the deal, then an older note on Ann and the organization.
        let call = app
            .create("activities", json!({"type": "call", "occurred_at": stamp(10), "people": [ann["id"]], "deals": [deal["id"]]}))
            .await;
        let note = app
            .create(
                "activities",
                json!({"type": "note", "occurred_at": stamp(40), "people": [ann["id"]], "organizations": [org["id"]]}),
            )
            .await;
        assert_eq!(get("people", &ann).await, call["occurred_at"], "[{n}] the latest of the two");
        assert_eq!(get("deals", &deal).await, call["occurred_at"], "[{n}]");
        assert_eq!(get("organizations", &org).await, note["occurred_at"], "[{n}]");
        // Moved to Bob and a day earlier: both people follow.
        let path = format!("/api/v1/activities/{}", call["id"].as_str().unwrap());
        let moved = app.patch(&path, json!({"people": [bob["id"]], "occurred_at": stamp(11)})).await;
        assert_eq!(moved.status, StatusCode::OK, "[{n}] {}", moved.body);
        assert_eq!(get("people", &ann).await, note["occurred_at"], "[{n}] back to the note");
        assert_eq!(get("people", &bob).await, moved.body["occurred_at"], "[{n}]");
        // Not a change of the person: no new version, no history row.
        let h = app.get(&format!("/api/v1/people/{}/history", bob["id"].as_str().unwrap())).await.body;
        assert_eq!(h["items"].as_array().unwrap().len(), 1, "[{n}] {h}");
        // Deleted: gone from the deal.
        assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT, "[{n}]");
        assert_eq!(get("deals", &deal).await, Value::Null, "[{n}]");
        assert_eq!(get("people", &bob).await, Value::Null, "[{n}]");

        // The lists: open deals without a next step; people not contacted for 30 days (or never), oldest first.
        let ids = |items: Vec<Value>| items.iter().map(|r| r["id"].clone()).collect::<Vec<_>>();
        let stalled = app.list_all("/api/v1/deals?status=open&next_step[is_null]=true").await;
        assert_eq!(ids(stalled), [deal["id"].clone()], "[{n}] {planned}");
        let cutoff = stamp(30);
        let quiet = app
            .list_all(&format!("/api/v1/people?last_activity_at[lt]={}&sort=last_activity_at", cutoff.replace('+', "%2B")))
            .await;
        assert_eq!(ids(quiet), [ann["id"].clone()], "[{n}] Ann's last contact is 40 days old");
        let never = app.list_all("/api/v1/people?last_activity_at[is_null]=true&sort=-created_at").await;
        assert_eq!(ids(never), [silent["id"].clone(), bob["id"].clone()], "[{n}]");
        let sorted = app.get("/api/v1/people?sort=-last_activity_at&limit=1").await;
        assert_eq!(sorted.status, StatusCode::OK, "[{n}] {}", sorted.body);
    }
}

#[tokio::test]
async fn custom_kinds_have_webhook_events_of_their_own() {
    for app in TestApp::all().await {
        let n = app.name();
        let worker = Worker::new(app.store.clone());
        let (url, rx) = receiver(vec![]).await;
        for (key, has_status) in [("contract", false), ("project", true)] {
            let body = json!({"key": key, "singular": key, "plural": format!("{key}s"), "has_status": has_status,
                              "fields": [{"key": "value", "label": "Value", "type": "number"}]});
            let a = app.post("/api/v1/object-types", body).await;
            assert_eq!(a.status, StatusCode::CREATED, "[{n}] {}", a.body);
        }
        // Events of a kind the workspace lacks, or that its kind cannot have, are refused one by one.
        let bad = app
            .post(
                "/api/v1/webhooks",
                json!({"url": url, "events": ["contract.created", "lease.*", "contract.stage_changed", "lease.created"]}),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", bad.body);
        assert_eq!(bad.error_fields(), vec!["events[1]", "events[2]", "events[3]"], "[{n}] {}", bad.body);
        let hook = app.post("/api/v1/webhooks", json!({"url": url, "events": ["contract.*", "project.stage_changed"]})).await;
        assert_eq!(hook.status, StatusCode::CREATED, "[{n}] {}", hook.body);
        let secret = hook.body["secret"].as_str().unwrap().to_string();
        let changed =
            app.patch(&format!("/api/v1/webhooks/{}", hook.id()), json!({"events": ["contract.*", "lease.updated"]})).await;
        assert_eq!(changed.error_fields(), vec!["events[1]"], "[{n}] {}", changed.body);

        let contract = app.create("objects/contract", json!({"name": "MSA", "custom": {"value": 1200}})).await;
        let path = format!("/api/v1/objects/contract/{}", contract["id"].as_str().unwrap());
        assert_eq!(app.patch(&path, json!({"name": "MSA 2026"})).await.status, StatusCode::OK, "[{n}]");
        assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT, "[{n}]");
        let project = app.create("objects/project", json!({"name": "Roof"})).await;
        let p_path = format!("/api/v1/objects/project/{}", project["id"].as_str().unwrap());
        assert_eq!(app.patch(&p_path, json!({"status": "won"})).await.status, StatusCode::OK, "[{n}]");
        app.create("people", json!({"first_name": "Not subscribed"})).await;
        worker.drain().await.unwrap();

        let got = received(&rx);
        let verifier = standardwebhooks::Webhook::new(&secret).unwrap();
        let mut events: Vec<Value> = got
            .iter()
            .map(|(h, b)| {
                verifier.verify(b.as_bytes(), h).unwrap_or_else(|e| panic!("[{n}] refused by the reference verifier: {e:?}"));
                rapport_testkit::serde_json::from_str(b).unwrap()
            })
            .collect();
        events.sort_by_key(|e| e["type"].as_str().unwrap().to_string());
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["contract.created", "contract.deleted", "contract.updated", "project.stage_changed"], "[{n}]");
        for e in &events[..3] {
            assert_eq!(e["data"]["record_kind"], "object", "[{n}] {e}");
            assert_eq!(e["data"]["object_type"], "contract", "[{n}] {e}");
            assert_eq!(e["data"]["record_id"], contract["id"], "[{n}] {e}");
        }
        assert_eq!(events[0]["data"]["changes"]["custom"]["new"]["value"], 1200, "[{n}] {}", events[0]);
        assert_eq!(events[2]["data"]["changes"]["name"]["new"], "MSA 2026", "[{n}] {}", events[2]);
        assert_eq!(events[3]["data"]["object_type"], "project", "[{n}]");
        assert_eq!(events[3]["data"]["record_id"], project["id"], "[{n}]");
    }
}
