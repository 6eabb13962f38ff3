//! The OpenAPI document describes the routes the server really has.

mod common;

use common::assert_status;
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::{Method, StatusCode};
use rapport_testkit::serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn every_documented_route_exists() {
    for app in TestApp::all().await {
        let n = app.name();
        let doc = app.get("/api/openapi.json").await;
        assert_status(&app, &doc, StatusCode::OK, "openapi.json");
        assert_eq!(doc.body["openapi"], "3.1.0", "[{n}] OpenAPI version");
        assert!(doc.body["info"]["title"].is_string(), "[{n}] info.title");
        let paths = doc.body["paths"].as_object().expect("paths");
        assert!(paths.contains_key("/api/v1/people"), "[{n}] people documented");

        let mut checked = 0;
        let mut missing = Vec::new();
        for (path, ops) in paths {
            let url = path
                .split('/')
                .map(|seg| match seg {
                    "{collection}" => "people".to_string(),
                    "{key}" => "no_such_key".to_string(),
                    s if s.starts_with('{') => Uuid::now_v7().to_string(),
                    s => s.to_string(),
                })
                .collect::<Vec<_>>()
                .join("/");
            assert!(!url.contains('{'), "[{n}] unsubstituted parameter in {path}");
            for (method, op) in ops.as_object().expect("operations") {
                let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                assert!(op["responses"].is_object(), "[{n}] {method} {path} documents its responses");
                let body = json!({});
                let with_body = matches!(m, Method::POST | Method::PUT | Method::PATCH);
                let a = app.send(m.clone(), &url, with_body.then_some(&body), &[]).await;
                checked += 1;
                let no_route =
                    a.status == StatusCode::NOT_FOUND && a.body["detail"].as_str().is_some_and(|d| d.contains("no such route"));
                if no_route || a.status == StatusCode::METHOD_NOT_ALLOWED || a.status.is_server_error() {
                    missing.push(format!("{method} {path}: {} {}", a.status, a.body));
                }
            }
        }
        assert!(checked > 40, "[{n}] only {checked} operations documented");
        assert!(missing.is_empty(), "[{n}] documented but not served:\n{}", missing.join("\n"));
    }
}

#[tokio::test]
async fn undocumented_routes_are_not_served() {
    for app in TestApp::all().await {
        let n = app.name();
        let a = app.get("/api/v1/people/bulk").await;
        assert!(a.status.is_client_error(), "[{n}] GET on a POST-only route: {}", a.status);
        let a = app.send(Method::POST, "/api/v1/workspace", Some(&json!({})), &[]).await;
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "[{n}] POST /api/v1/workspace");
        assert!(
            a.header("content-type").is_some_and(|c| c.starts_with("application/problem+json")),
            "[{n}] 405 is a problem: {:?}",
            a.header("content-type")
        );
    }
}

#[tokio::test]
async fn api_reference_page() {
    for app in TestApp::all().await {
        let n = app.name();
        let a = app.get("/api/docs").await;
        assert_status(&app, &a, StatusCode::OK, "GET /api/docs");
        assert!(
            a.header("content-type").is_some_and(|c| c.starts_with("text/html")),
            "[{n}] HTML: {:?}",
            a.header("content-type")
        );
        let html = a.body.as_str().expect("an HTML page");
        assert!(html.contains("/api/v1/people"), "[{n}] the reference lists /api/v1/people");
        assert!(html.contains("/api/v1/deals/{id}/stage-history"), "[{n}] the reference lists the stage history");
        let h = app.get("/healthz").await;
        assert_status(&app, &h, StatusCode::OK, "health");
        assert_eq!(h.body["status"], "ok", "[{n}]");
    }
}

/// An authenticated client's document types its workspace's custom fields.
#[tokio::test]
async fn the_document_lists_the_workspace_custom_fields() {
    for app in TestApp::all().await {
        let n = app.name();
        for def in [
            json!({"key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"], "required": true, "default": "gold"}),
            json!({"key": "budget", "label": "Budget", "type": "money"}),
            json!({"key": "stars", "label": "Stars", "type": "rating", "max": 10}),
        ] {
            assert_status(&app, &app.post("/api/v1/custom-fields/people", def).await, StatusCode::CREATED, "define");
        }
        let doc = app.get("/api/openapi.json").await.body;
        let custom = &doc["components"]["schemas"]["PersonInput"]["properties"]["custom"];
        assert_eq!(custom["properties"]["tier"]["enum"], json!(["gold", "silver"]), "[{n}] {custom}");
        assert_eq!(custom["required"], json!(["tier"]), "[{n}]");
        assert_eq!(custom["additionalProperties"], false, "[{n}]");
        assert_eq!(custom["properties"]["budget"]["properties"]["amount_minor"]["type"], "integer", "[{n}]");
        assert_eq!(custom["properties"]["stars"]["maximum"], 10, "[{n}]");
        let read = &doc["components"]["schemas"]["Person"]["properties"]["custom"]["properties"];
        assert!(read["tier"].is_object(), "[{n}] the read schema too");
        // Without credentials: the generic document.
        let anonymous = app.client.get(format!("{}/api/openapi.json", app.base)).send().await.unwrap();
        let generic: rapport_testkit::serde_json::Value = anonymous.json().await.unwrap();
        assert!(generic["components"]["schemas"]["PersonInput"]["properties"]["custom"]["properties"].is_null(), "[{n}]");
    }
}
