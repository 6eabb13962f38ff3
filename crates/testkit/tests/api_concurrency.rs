//! Optimistic concurrency (ETag / If-Match), idempotent creates and many writers at once.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::{assert_problem, assert_status, id};
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::{Method, StatusCode};
use rapport_testkit::serde_json::{Value, json};

#[tokio::test]
async fn if_match_refuses_stale_writes() {
    for app in TestApp::all().await {
        let n = app.name();
        let org = app.create("organizations", json!({"name": "Vandelay Industries"})).await;
        let path = format!("/api/v1/organizations/{}", id(&org));

        let g = app.get(&path).await;
        assert_eq!(g.header("etag"), Some("\"1\""), "[{n}] ETag of a new record");

        let p = app.send(Method::PATCH, &path, Some(&json!({"industry": "Import/export"})), &[("If-Match", "\"1\"")]).await;
        assert_status(&app, &p, StatusCode::OK, "patch with the current version");
        assert_eq!(p.body["version"], 2, "[{n}]");
        assert_eq!(p.header("etag"), Some("\"2\""), "[{n}] ETag follows the version");

        let stale = app.send(Method::PATCH, &path, Some(&json!({"industry": "Latex"})), &[("If-Match", "\"1\"")]).await;
        assert_problem(&app, &stale, StatusCode::PRECONDITION_FAILED, None, "patch with a stale version");
        let g = app.get(&path).await;
        assert_eq!(g.body["industry"], "Import/export", "[{n}] the stale patch changed nothing");
        assert_eq!(g.body["version"], 2, "[{n}]");
        assert_eq!(g.header("etag"), Some("\"2\""), "[{n}]");

        let weak = app.send(Method::PATCH, &path, Some(&json!({"industry": "Latex"})), &[("If-Match", "W/\"2\"")]).await;
        assert_status(&app, &weak, StatusCode::OK, "patch with a weak ETag");
        assert_eq!(weak.body["version"], 3, "[{n}]");
        let any = app.send(Method::PATCH, &path, Some(&json!({"industry": "Art"})), &[("If-Match", "*")]).await;
        assert_status(&app, &any, StatusCode::OK, "patch with If-Match: *");
        assert_eq!(any.body["version"], 4, "[{n}]");

        let bad = app.send(Method::PATCH, &path, Some(&json!({"industry": "x"})), &[("If-Match", "yesterday")]).await;
        assert_problem(&app, &bad, StatusCode::BAD_REQUEST, Some("If-Match"), "unreadable If-Match");

        let d = app.send(Method::DELETE, &path, None, &[("If-Match", "\"3\"")]).await;
        assert_problem(&app, &d, StatusCode::PRECONDITION_FAILED, None, "delete with a stale version");
        assert_eq!(app.get(&path).await.status, StatusCode::OK, "[{n}] the record survived the stale delete");
        let d = app.send(Method::DELETE, &path, None, &[("If-Match", "\"4\"")]).await;
        assert_status(&app, &d, StatusCode::NO_CONTENT, "delete with the current version");
        assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND, "[{n}]");
    }
}

/// A patch that changes nothing must not invalidate the ETags clients hold.
#[tokio::test]
async fn noop_patch_keeps_the_version() {
    for app in TestApp::all().await {
        let n = app.name();
        let p = app.create("people", json!({"first_name": "Art", "last_name": "Vandelay", "tags": ["a"]})).await;
        let path = format!("/api/v1/people/{}", id(&p));
        for patch in [json!({}), json!({"tags": ["a"]}), json!({"first_name": "Art"})] {
            let same = app.send(Method::PATCH, &path, Some(&patch), &[("If-Match", "\"1\"")]).await;
            assert_status(&app, &same, StatusCode::OK, &format!("no-op patch {patch}"));
            assert_eq!(same.body["version"], 1, "[{n}] the no-op patch {patch} made a new version");
        }
        let h = app.get(&format!("{path}/history")).await;
        assert_eq!(h.body["items"].as_array().map(Vec::len), Some(1), "[{n}] no history row for a no-op patch");
    }
}

#[tokio::test]
async fn idempotency_key_replays_the_first_create() {
    for app in TestApp::all().await {
        let n = app.name();
        let body = json!({"first_name": "Idem", "last_name": "Potent", "tags": ["idem"]});
        let key = [("Idempotency-Key", "order-42")];
        let first = app.send(Method::POST, "/api/v1/people", Some(&body), &key).await;
        assert_status(&app, &first, StatusCode::CREATED, "first create with a key");
        assert_eq!(first.header("idempotent-replayed"), None, "[{n}] the first answer is not a replay");
        let second = app.send(Method::POST, "/api/v1/people", Some(&body), &key).await;
        assert_status(&app, &second, StatusCode::OK, "retry with the same key");
        assert_eq!(second.header("idempotent-replayed"), Some("true"), "[{n}] replay header");
        assert_eq!(second.body, first.body, "[{n}] the same record");
        assert_eq!(app.list_all("/api/v1/people?tags=idem").await.len(), 1, "[{n}] one record");

        let other = json!({"first_name": "Someone", "last_name": "Else", "tags": ["idem"]});
        let c = app.send(Method::POST, "/api/v1/people", Some(&other), &key).await;
        assert_problem(&app, &c, StatusCode::CONFLICT, None, "same key, different body");
        let c = app.send(Method::POST, "/api/v1/organizations", Some(&json!({"name": "Idem"})), &key).await;
        assert_problem(&app, &c, StatusCode::CONFLICT, None, "same key, another collection");
        assert_eq!(app.list_all("/api/v1/people?tags=idem").await.len(), 1, "[{n}] still one record");

        // A failed create does not use up the key.
        let bad = json!({"first_name": "Bad", "emails": ["nope"]});
        let k2 = [("Idempotency-Key", "order-43")];
        let a = app.send(Method::POST, "/api/v1/people", Some(&bad), &k2).await;
        assert_problem(&app, &a, StatusCode::UNPROCESSABLE_ENTITY, Some("emails[0].address"), "invalid create with a key");
        let good = json!({"first_name": "Good", "tags": ["idem"]});
        let a = app.send(Method::POST, "/api/v1/people", Some(&good), &k2).await;
        assert_status(&app, &a, StatusCode::CREATED, "valid create after a failed one with the same key");

        let long = "k".repeat(300);
        let a = app.send(Method::POST, "/api/v1/people", Some(&good), &[("Idempotency-Key", long.as_str())]).await;
        assert_problem(&app, &a, StatusCode::BAD_REQUEST, Some("Idempotency-Key"), "overlong key");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_key_create_one_record() {
    for app in TestApp::all().await {
        let n = app.name();
        let app = Arc::new(app);
        let body = json!({"name": "Racy Ltd", "tags": ["race"]});
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let (app, body) = (app.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                app.send(Method::POST, "/api/v1/organizations", Some(&body), &[("Idempotency-Key", "same-key")]).await
            }));
        }
        let mut ids = HashSet::new();
        let mut created = 0;
        for t in tasks {
            let a = t.await.expect("task");
            assert!(
                a.status == StatusCode::CREATED || a.status == StatusCode::OK,
                "[{n}] parallel retry: {} {}",
                a.status,
                a.body
            );
            if a.status == StatusCode::CREATED {
                created += 1;
            } else {
                assert_eq!(a.header("idempotent-replayed"), Some("true"), "[{n}]");
            }
            ids.insert(id(&a.body));
        }
        assert_eq!(created, 1, "[{n}] exactly one request created the record");
        assert_eq!(ids.len(), 1, "[{n}] every answer names the same record: {ids:?}");
        assert_eq!(app.list_all("/api/v1/organizations?tags=race").await.len(), 1, "[{n}] exactly one record exists");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_writers_at_once() {
    for app in TestApp::all().await {
        let n = app.name();
        let app = Arc::new(app);
        let mut tasks = Vec::new();
        for w in 0..50 {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                let mut failures = Vec::new();
                let mut first = None;
                for i in 0..5 {
                    let a =
                        app.post("/api/v1/people", json!({"first_name": format!("W{w:02}"), "last_name": format!("P{i}")})).await;
                    if a.status != StatusCode::CREATED {
                        failures.push(format!("create: {} {}", a.status, a.body));
                    } else if first.is_none() {
                        first = Some(id(&a.body));
                    }
                }
                if let Some(pid) = first {
                    let a = app.patch(&format!("/api/v1/people/{pid}"), json!({"title": format!("Writer {w}")})).await;
                    if a.status != StatusCode::OK {
                        failures.push(format!("patch: {} {}", a.status, a.body));
                    }
                }
                failures
            }));
        }
        let mut failures = Vec::new();
        for t in tasks {
            failures.extend(t.await.expect("writer task"));
        }
        assert!(failures.is_empty(), "[{n}] {} failed requests, e.g. {:?}", failures.len(), &failures[..failures.len().min(3)]);
        let all = app.list_all("/api/v1/people?limit=500").await;
        assert_eq!(all.len(), 250, "[{n}] every created row is listed");
        let titled = app.list_all("/api/v1/people?title[is_null]=false&limit=500").await;
        assert_eq!(titled.len(), 50, "[{n}] every patch is kept");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_one_record_are_all_applied() {
    for app in TestApp::all().await {
        let n = app.name();
        for i in 0..20 {
            let a = app
                .post("/api/v1/custom-fields/people", json!({"key": format!("f{i}"), "label": format!("F{i}"), "type": "number"}))
                .await;
            assert_status(&app, &a, StatusCode::CREATED, "define field");
        }
        let p = app.create("people", json!({"first_name": "Hot", "last_name": "Spot"})).await;
        let path = format!("/api/v1/people/{}", id(&p));
        let app = Arc::new(app);
        let mut tasks = Vec::new();
        for i in 0..20 {
            let (app, path) = (app.clone(), path.clone());
            // Each patch touches a different custom key; merge patches must not lose any.
            tasks.push(tokio::spawn(async move { app.patch(&path, json!({"custom": {format!("f{i}"): i}})).await }));
        }
        let mut failed = Vec::new();
        for t in tasks {
            let a = t.await.expect("task");
            if a.status != StatusCode::OK {
                failed.push(format!("{} {}", a.status, a.body["detail"]));
            }
        }
        assert!(failed.is_empty(), "[{n}] {} of 20 concurrent patches without If-Match failed: {failed:?}", failed.len());
        let g = app.get(&path).await;
        assert_eq!(g.body["version"], 21, "[{n}] 1 + 20 versions: {}", g.body);
        let custom = g.body["custom"].as_object().cloned().unwrap_or_default();
        let missing: Vec<String> = (0..20).map(|i| format!("f{i}")).filter(|k| !custom.contains_key(k)).collect();
        assert!(missing.is_empty(), "[{n}] lost updates: {missing:?} missing from {}", g.body["custom"]);
        assert_eq!(custom.get("f7"), Some(&Value::from(7)), "[{n}]");
        let h = app.get(&format!("{path}/history?limit=100")).await;
        assert_eq!(h.body["items"].as_array().map(Vec::len), Some(21), "[{n}] one history row per write");
    }
}
