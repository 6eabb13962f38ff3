//! Duplicates: found before saving, found by a workspace scan, merged with
//! nothing lost, and the merged-away id leading to the survivor.

use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn duplicates_are_shown_before_saving_and_found_by_a_scan() {
    for app in TestApp::all().await {
        let n = app.name();
        let acme = app.create("organizations", json!({"name": "Acme", "domains": ["acme.example"]})).await;
        let ada = app
            .create("people", json!({"first_name": "Ada", "last_name": "Lovelace", "emails": ["ada@acme.example"], "phones": ["06 12 34 56 78"], "organizations": [{"id": acme["id"]}]}))
            .await;
        app.create("people", json!({"first_name": "Grace", "last_name": "Hopper", "emails": ["grace@navy.example"]})).await;

        let app = &app;
        let check = |body: Value| async move { app.post("/api/v1/people/check-duplicates", body).await };
        let same_email = check(json!({"first_name": "A.", "emails": ["ADA@acme.example"]})).await;
        assert_eq!(same_email.status, StatusCode::OK, "[{n}] {}", same_email.body);
        assert_eq!(same_email.body["items"][0]["id"], ada["id"], "[{n}] {}", same_email.body);
        assert!(same_email.body["items"][0]["reasons"][0].as_str().unwrap().contains("same email"), "[{n}]");
        let same_phone = check(json!({"first_name": "Someone", "phones": ["+33 6 12 34 56 78"]})).await;
        assert_eq!(same_phone.body["items"][0]["id"], ada["id"], "[{n}] {}", same_phone.body);
        let similar = check(json!({"first_name": "Ada", "last_name": "Lovelase", "organizations": [{"id": acme["id"]}]})).await;
        assert_eq!(similar.body["items"][0]["id"], ada["id"], "[{n}] {}", similar.body);
        let stranger = check(json!({"first_name": "Alan", "last_name": "Turing", "emails": ["alan@bletchley.example"]})).await;
        assert_eq!(stranger.body["items"], json!([]), "[{n}] {}", stranger.body);

        // A second Ada sharing the email, and a third sharing the phone: one cluster.
        app.create("people", json!({"first_name": "Ada", "last_name": "Lovelace", "emails": ["ada@acme.example"]})).await;
        app.create("people", json!({"first_name": "Ada L.", "phones": ["0612345678"]})).await;
        let scan = app.get("/api/v1/people/duplicates").await;
        assert_eq!(scan.status, StatusCode::OK, "[{n}] {}", scan.body);
        let clusters = scan.body["items"].as_array().unwrap();
        assert_eq!(clusters.len(), 1, "[{n}] {}", scan.body);
        assert_eq!(clusters[0]["records"].as_array().unwrap().len(), 3, "[{n}] {}", scan.body);
        assert_eq!(clusters[0]["score"], 1.0, "[{n}]");
        assert!(app.get("/api/v1/deals/duplicates").await.status.is_client_error(), "[{n}] deals have no duplicate rules");
    }
}

#[tokio::test]
async fn merge_keeps_everything_and_redirects() {
    for app in TestApp::all().await {
        let n = app.name();
        let acme = app.create("organizations", json!({"name": "Acme"})).await;
        let keep = app
            .create("people", json!({"first_name": "Ada", "last_name": "Lovelace", "emails": ["ada@acme.example"], "tags": ["vip"], "title": null}))
            .await;
        let other = app
            .create(
                "people",
                json!({"first_name": "Augusta Ada", "last_name": "King", "emails": ["countess@lovelace.example"], "phones": ["06 12 34 56 78"],
                       "tags": ["math"], "title": "Countess", "organizations": [{"id": acme["id"], "role": "Analyst"}]}),
            )
            .await;
        let (k, o) = (id(&keep), id(&other));
        let call = app.create("activities", json!({"type": "call", "subject": "Engine notes", "people": [o]})).await;
        let task = app.create("tasks", json!({"title": "Send the notes", "people": [o]})).await;
        let deal = app.create("deals", json!({"name": "Analytical engine", "people": [{"id": o, "role": "champion"}]})).await;
        app.patch(&format!("/api/v1/people/{o}"), json!({"lead_source": "referral"})).await;

        let bad = app.post(&format!("/api/v1/people/{k}/merge"), json!({"merge_ids": [k]})).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] cannot merge into itself");
        let merged = app.post(&format!("/api/v1/people/{k}/merge"), json!({"merge_ids": [o], "choose": {"last_name": o}})).await;
        assert_eq!(merged.status, StatusCode::OK, "[{n}] {}", merged.body);
        let m = &merged.body;
        assert_eq!(m["first_name"], "Ada", "[{n}] the survivor's value by default");
        assert_eq!(m["last_name"], "King", "[{n}] the chosen value");
        assert_eq!(m["title"], "Countess", "[{n}] blanks filled from the merged record");
        assert_eq!(m["emails"].as_array().unwrap().len(), 2, "[{n}] emails united: {}", m["emails"]);
        assert_eq!(m["primary_email"], "ada@acme.example", "[{n}] the survivor's primary stays");
        assert_eq!(m["primary_phone"], "+33612345678", "[{n}]");
        assert_eq!(m["tags"], json!(["vip", "math"]), "[{n}]");
        assert_eq!(m["organizations"][0]["role"], "Analyst", "[{n}] links kept");

        // Everything that pointed at the merged record points at the survivor.
        let call = app.get(&format!("/api/v1/activities/{}", id(&call))).await;
        assert_eq!(call.body["people"], json!([k]), "[{n}]");
        let task = app.get(&format!("/api/v1/tasks/{}", id(&task))).await;
        assert_eq!(task.body["people"], json!([k]), "[{n}]");
        let deal = app.get(&format!("/api/v1/deals/{}", id(&deal))).await;
        assert_eq!(deal.body["people"], json!([{"id": k, "role": "champion"}]), "[{n}]");
        let timeline = app.get(&format!("/api/v1/people/{k}/timeline")).await;
        assert!(
            timeline.body["items"].as_array().unwrap().iter().any(|i| i["type"] == "activity"),
            "[{n}] the call is on the survivor's timeline"
        );

        // History of both, plus the merge.
        let history = app.get(&format!("/api/v1/people/{k}/history?limit=100")).await;
        let actions: Vec<&str> = history.body["items"].as_array().unwrap().iter().filter_map(|h| h["action"].as_str()).collect();
        assert!(actions.contains(&"merged"), "[{n}] {actions:?}");
        assert_eq!(actions.iter().filter(|a| **a == "created").count(), 2, "[{n}] both creations kept: {actions:?}");
        assert!(
            history.body["items"].as_array().unwrap().iter().any(|h| h["changes"]["lead_source"]["new"] == "referral"),
            "[{n}]"
        );

        // The merged-away id redirects.
        let res = app.client.get(format!("{}/api/v1/people/{o}", app.base)).bearer_auth(&app.token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{n}] followed the redirect");
        assert_eq!(res.url().path(), format!("/api/v1/people/{k}"), "[{n}]");
        let search = app.get("/api/v1/search?q=countess%40lovelace.example").await;
        assert_eq!(search.body["items"][0]["id"], json!(k), "[{n}] the index follows: {}", search.body);
    }
}

#[tokio::test]
async fn a_merge_decided_on_an_old_version_is_refused() {
    for app in TestApp::all().await {
        let name = app.name();
        let a = app.create("people", json!({"first_name": "Ada", "emails": [{"address": "ada@one.example"}]})).await;
        let b = app.create("people", json!({"first_name": "Ada", "emails": [{"address": "ada@one.example"}]})).await;
        let id = |v: &rapport_testkit::serde_json::Value| uuid::Uuid::parse_str(v["id"].as_str().unwrap()).unwrap();
        let (ka, kb) = (id(&a), id(&b));
        // Someone edits b after the reviewer read it at version 1.
        app.patch(&format!("/api/v1/people/{kb}"), json!({"title": "CTO"})).await;
        let versions = std::collections::BTreeMap::from([(ka, 1), (kb, 1)]);
        let refused = app.store.merge(&app.scope, rapport_domain::Kind::Person, ka, &[kb], &Default::default(), &versions).await;
        assert!(
            matches!(refused, Err(rapport_store::StoreError::VersionMismatch { expected: 1, current: 2 })),
            "[{name}] {refused:?}"
        );
        assert_eq!(app.get(&format!("/api/v1/people/{kb}")).await.status.as_u16(), 200, "[{name}] nothing merged");
        let current = std::collections::BTreeMap::from([(ka, 1), (kb, 2)]);
        let merged = app.store.merge(&app.scope, rapport_domain::Kind::Person, ka, &[kb], &Default::default(), &current).await;
        assert!(merged.is_ok(), "[{name}] {merged:?}");
    }
}
