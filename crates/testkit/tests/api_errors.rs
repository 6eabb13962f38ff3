//! Bad requests of every sort: each is a 4xx problem+json naming the field at
//! fault, never a 5xx.

mod common;

use common::{assert_client_error, assert_problem, id};
use rapport_testkit::reqwest::{Method, StatusCode, header};
use rapport_testkit::serde_json::{Value, json};
use rapport_testkit::{Answer, TestApp};
use uuid::Uuid;

/// How a bad request is sent.
enum Req {
    /// A JSON value with the app's token.
    Json(Method, String, Option<Value>),
    /// Raw bytes with a content type, with the app's token.
    Raw(Method, String, &'static str, Vec<u8>),
    /// A request with this Authorization header (`None`: no header).
    Auth(String, Option<&'static str>),
}

async fn send(app: &TestApp, req: &Req) -> Answer {
    match req {
        Req::Json(m, path, body) => app.send(m.clone(), path, body.as_ref(), &[]).await,
        Req::Raw(m, path, ct, bytes) => {
            let res = app
                .client
                .request(m.clone(), format!("{}{path}", app.base))
                .bearer_auth(&app.token)
                .header(header::CONTENT_TYPE, *ct)
                .body(bytes.clone())
                .send()
                .await
                .expect("request");
            TestApp::answer(res).await
        }
        Req::Auth(path, auth) => {
            let mut r = app.client.get(format!("{}{path}", app.base));
            if let Some(a) = auth {
                r = r.header(header::AUTHORIZATION, *a);
            }
            TestApp::answer(r.send().await.expect("request")).await
        }
    }
}

fn post(path: &str, body: Value) -> Req {
    Req::Json(Method::POST, path.to_string(), Some(body))
}
fn patch(path: &str, body: Value) -> Req {
    Req::Json(Method::PATCH, path.to_string(), Some(body))
}
fn get(path: &str) -> Req {
    Req::Json(Method::GET, path.to_string(), None)
}
fn raw_json(method: Method, path: &str, text: &str) -> Req {
    Req::Raw(method, path.to_string(), "application/json", text.as_bytes().to_vec())
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// What is wrong with an answer that should be a `status` problem blaming `field`.
fn mismatch(a: &Answer, status: StatusCode, field: Option<&str>) -> Option<String> {
    let got = || format!("got {} {}", a.status, a.body);
    if a.status != status {
        return Some(format!("expected {status}, {}", got()));
    }
    if !a.header("content-type").is_some_and(|c| c.starts_with("application/problem+json")) {
        return Some(format!("expected application/problem+json, got content type {:?}", a.header("content-type")));
    }
    if a.body["status"].as_u64() != Some(status.as_u16() as u64) {
        return Some(format!("problem body has the wrong status: {}", a.body));
    }
    match field {
        Some(f) if !a.error_fields().iter().any(|x| x == f) => Some(format!("expected field '{f}' blamed, {}", got())),
        _ => None,
    }
}

#[tokio::test]
async fn bad_inputs_are_named_problems() {
    let mut failures = Vec::new();
    for app in TestApp::all().await {
        let person = app.create("people", json!({"first_name": "Target"})).await;
        let person_path = format!("/api/v1/people/{}", id(&person));
        let org = app.create("organizations", json!({"name": "Self"})).await;
        let org_path = format!("/api/v1/organizations/{}", id(&org));
        let missing = Uuid::now_v7();
        const BAD: StatusCode = StatusCode::BAD_REQUEST;
        const INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;
        let mut deep_object = json!("bottom");
        for _ in 0..100 {
            deep_object = json!({"x": deep_object});
        }

        let cases: Vec<(&str, Req, StatusCode, Option<&str>)> = vec![
            ("malformed JSON", raw_json(Method::POST, "/api/v1/people", "{\"first_name\": \"Ada\","), BAD, Some("body")),
            ("malformed JSON in a patch", raw_json(Method::PATCH, &person_path, "{first_name: 'x'}"), BAD, Some("body")),
            ("empty body", raw_json(Method::POST, "/api/v1/people", ""), BAD, Some("body")),
            ("array instead of object", post("/api/v1/people", json!([{"first_name": "Ada"}])), BAD, Some("body")),
            ("array instead of object in a patch", patch(&person_path, json!([{"first_name": "Ada"}])), BAD, Some("body")),
            ("string instead of object", post("/api/v1/organizations", json!("Acme")), BAD, Some("body")),
            ("unknown field", post("/api/v1/people", json!({"first_name": "Ada", "shoe_size": 42})), INVALID, Some("shoe_size")),
            ("unknown field in a patch", patch(&person_path, json!({"shoe_size": 42})), INVALID, Some("shoe_size")),
            ("wrong type", post("/api/v1/organizations", json!({"name": 5})), INVALID, Some("name")),
            (
                "wrong type for an integer",
                post("/api/v1/deals", json!({"name": "x", "amount_minor": "100"})),
                INVALID,
                Some("amount_minor"),
            ),
            (
                "wrong type for a boolean",
                post("/api/v1/people", json!({"first_name": "x", "do_not_call": "yes"})),
                INVALID,
                Some("do_not_call"),
            ),
            (
                "bad enum",
                post("/api/v1/people", json!({"first_name": "x", "lifecycle_stage": "king"})),
                INVALID,
                Some("lifecycle_stage"),
            ),
            (
                "bad enum in a patch",
                patch(&person_path, json!({"preferred_channel": "pigeon"})),
                INVALID,
                Some("preferred_channel"),
            ),
            (
                "bad email",
                post("/api/v1/people", json!({"first_name": "x", "emails": ["ada at example"]})),
                INVALID,
                Some("emails[0].address"),
            ),
            (
                "second email bad",
                post("/api/v1/people", json!({"first_name": "x", "emails": ["ok@example.com", {"address": "nope@"}]})),
                INVALID,
                Some("emails[1].address"),
            ),
            (
                "bad phone",
                post("/api/v1/people", json!({"first_name": "x", "phones": ["12"]})),
                INVALID,
                Some("phones[0].number"),
            ),
            (
                "phone as a number",
                post("/api/v1/people", json!({"first_name": "x", "phones": [612345678]})),
                INVALID,
                Some("phones[0]"),
            ),
            ("bad date", post("/api/v1/people", json!({"first_name": "x", "birthday": "1815-13-01"})), INVALID, Some("birthday")),
            (
                "bad date-time",
                post("/api/v1/activities", json!({"type": "call", "occurred_at": "yesterday"})),
                INVALID,
                Some("occurred_at"),
            ),
            (
                "date-time without zone",
                post("/api/v1/tasks", json!({"title": "x", "due_at": "2026-01-01T10:00:00"})),
                INVALID,
                Some("due_at"),
            ),
            ("bad currency", post("/api/v1/deals", json!({"name": "x", "currency": "EURO"})), INVALID, Some("currency")),
            ("missing required", post("/api/v1/deals", json!({"amount_minor": 100})), INVALID, Some("name")),
            ("required set to null", post("/api/v1/deals", json!({"name": null})), INVALID, Some("name")),
            ("required cleared by a patch", patch(&person_path, json!({"first_name": null})), INVALID, Some("first_name")),
            ("person without any name", post("/api/v1/people", json!({"title": "Ghost"})), INVALID, Some("first_name")),
            (
                "reference to a missing organization",
                post("/api/v1/deals", json!({"name": "x", "organization_id": missing})),
                INVALID,
                Some("organization_id"),
            ),
            (
                "reference that is not a UUID",
                post("/api/v1/deals", json!({"name": "x", "organization_id": "acme"})),
                INVALID,
                Some("organization_id"),
            ),
            (
                "link to a missing person",
                post("/api/v1/activities", json!({"type": "call", "people": [person["id"], missing]})),
                INVALID,
                Some("people[1]"),
            ),
            (
                "link to a missing person from a deal",
                post("/api/v1/deals", json!({"name": "x", "people": [missing]})),
                INVALID,
                Some("people[0]"),
            ),
            (
                "link that is not an id",
                post("/api/v1/activities", json!({"type": "call", "people": [42]})),
                INVALID,
                Some("people[0]"),
            ),
            ("owner that does not exist", patch(&person_path, json!({"owner_id": missing})), INVALID, Some("owner_id")),
            ("a record referring to itself", patch(&org_path, json!({"parent_id": org["id"]})), INVALID, Some("parent_id")),
            (
                "stage that does not exist",
                post("/api/v1/deals", json!({"name": "x", "stage_id": missing})),
                INVALID,
                Some("stage_id"),
            ),
            (
                "pipeline that does not exist",
                post("/api/v1/deals", json!({"name": "x", "pipeline_id": missing})),
                INVALID,
                Some("pipeline_id"),
            ),
            ("negative amount", post("/api/v1/deals", json!({"name": "x", "amount_minor": -1})), INVALID, Some("amount_minor")),
            (
                "fractional amount",
                post("/api/v1/deals", json!({"name": "x", "amount_minor": 10.5})),
                INVALID,
                Some("amount_minor"),
            ),
            ("read-only version", post("/api/v1/people", json!({"first_name": "x", "version": 7})), INVALID, Some("version")),
            ("read-only version in a patch", patch(&person_path, json!({"version": 99})), INVALID, Some("version")),
            ("read-only id in a patch", patch(&person_path, json!({"id": missing})), INVALID, Some("id")),
            (
                "read-only primary_email",
                post("/api/v1/people", json!({"first_name": "x", "primary_email": "a@b.org"})),
                INVALID,
                Some("primary_email"),
            ),
            ("read-only name of a person", patch(&person_path, json!({"name": "Someone"})), INVALID, Some("name")),
            (
                "read-only closed_at",
                post("/api/v1/deals", json!({"name": "x", "closed_at": "2026-01-01T00:00:00Z"})),
                INVALID,
                Some("closed_at"),
            ),
            (
                "read-only completed_at",
                post("/api/v1/tasks", json!({"title": "x", "completed_at": "2026-01-01T00:00:00Z"})),
                INVALID,
                Some("completed_at"),
            ),
            (
                "custom on a user",
                post("/api/v1/users", json!({"email": "c@example.com", "name": "C", "custom": {}})),
                INVALID,
                Some("custom"),
            ),
            ("too long", post("/api/v1/organizations", json!({"name": "x".repeat(201)})), INVALID, Some("name")),
            ("two lines in a one-line field", post("/api/v1/organizations", json!({"name": "a\nb"})), INVALID, Some("name")),
            ("bad tag", post("/api/v1/organizations", json!({"name": "x", "tags": ["ok", ""]})), INVALID, Some("tags[1]")),
            (
                "address with an unknown key",
                post("/api/v1/people", json!({"first_name": "x", "address": {"planet": "Mars"}})),
                INVALID,
                Some("address.planet"),
            ),
            ("bad UUID in the path", get("/api/v1/people/not-a-uuid"), BAD, Some("id")),
            ("bad UUID in a patch path", patch("/api/v1/deals/123", json!({"name": "x"})), BAD, Some("id")),
            ("bad UUID in a history path", get("/api/v1/deals/123/history"), BAD, Some("id")),
            ("unknown record", get(&format!("/api/v1/people/{missing}")), StatusCode::NOT_FOUND, None),
            (
                "patch an unknown record",
                patch(&format!("/api/v1/deals/{missing}"), json!({"name": "x"})),
                StatusCode::NOT_FOUND,
                None,
            ),
            (
                "delete an unknown record",
                Req::Json(Method::DELETE, format!("/api/v1/tasks/{missing}"), None),
                StatusCode::NOT_FOUND,
                None,
            ),
            (
                "stage history of an unknown deal",
                get(&format!("/api/v1/deals/{missing}/stage-history")),
                StatusCode::NOT_FOUND,
                None,
            ),
            ("no token", Req::Auth("/api/v1/people".into(), None), StatusCode::UNAUTHORIZED, None),
            ("bad token", Req::Auth("/api/v1/people".into(), Some("Bearer not-a-real-token")), StatusCode::UNAUTHORIZED, None),
            (
                "not a bearer token",
                Req::Auth("/api/v1/people".into(), Some("Basic YWRtaW46YWRtaW4=")),
                StatusCode::UNAUTHORIZED,
                None,
            ),
            ("empty bearer token", Req::Auth("/api/v1/people".into(), Some("Bearer ")), StatusCode::UNAUTHORIZED, None),
            (
                "wrong content type",
                Req::Raw(Method::POST, "/api/v1/people".into(), "text/plain", br#"{"first_name": "Ada"}"#.to_vec()),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
            ),
            (
                "form content type",
                Req::Raw(Method::PATCH, person_path.clone(), "application/x-www-form-urlencoded", b"first_name=Ada".to_vec()),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
            ),
            (
                "oversized body",
                Req::Raw(
                    Method::POST,
                    "/api/v1/people".into(),
                    "application/json",
                    format!("{{\"first_name\": \"{}\"}}", "x".repeat(5 * 1024 * 1024)).into_bytes(),
                ),
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
            ),
            ("unknown filter field", get("/api/v1/people?shoe_size=42"), INVALID, Some("shoe_size")),
            ("unknown filter operator", get("/api/v1/deals?amount_minor[around]=5"), INVALID, Some("amount_minor[around]")),
            ("bad filter value", get("/api/v1/deals?amount_minor[gte]=lots"), INVALID, Some("amount_minor[gte]")),
            (
                "huge filter value",
                get("/api/v1/deals?amount_minor[gte]=99999999999999999999999"),
                INVALID,
                Some("amount_minor[gte]"),
            ),
            ("bad date filter", get("/api/v1/deals?expected_close_date[lt]=soon"), INVALID, Some("expected_close_date[lt]")),
            ("bad date-time filter", get("/api/v1/deals?created_at[gt]=2026-13-01"), INVALID, Some("created_at[gt]")),
            ("bad boolean filter", get("/api/v1/people?do_not_call=maybe"), INVALID, Some("do_not_call")),
            ("bad is_null", get("/api/v1/people?title[is_null]=perhaps"), INVALID, Some("title[is_null]")),
            ("bad UUID filter", get("/api/v1/deals?organization_id=acme"), INVALID, Some("organization_id")),
            ("ordering a list field", get("/api/v1/people?tags[gt]=a"), INVALID, Some("tags[gt]")),
            ("filter on a virtual field", get("/api/v1/deals?amount=10.00"), INVALID, Some("amount")),
            ("filter on emails", get("/api/v1/people?emails=a@b.org"), INVALID, Some("emails")),
            ("limit=0", get("/api/v1/people?limit=0"), INVALID, Some("limit")),
            ("limit too large", get("/api/v1/people?limit=100000"), INVALID, Some("limit")),
            ("unknown route", get("/api/v1/nothing-here"), StatusCode::NOT_FOUND, None),
            ("unknown sub-resource", get(&format!("{person_path}/friends")), StatusCode::NOT_FOUND, None),
            ("timeline of a kind without one", get(&format!("/api/v1/tasks/{missing}/timeline")), StatusCode::NOT_FOUND, None),
            (
                "deleting a user",
                Req::Json(Method::DELETE, format!("/api/v1/users/{}", app.user_id), None),
                StatusCode::METHOD_NOT_ALLOWED,
                None,
            ),
            (
                "PUT on a record",
                Req::Json(Method::PUT, person_path.clone(), Some(json!({}))),
                StatusCode::METHOD_NOT_ALLOWED,
                None,
            ),
            ("custom fields of users", get("/api/v1/custom-fields/users"), StatusCode::NOT_FOUND, None),
            (
                "custom field with a bad key",
                post("/api/v1/custom-fields/people", json!({"key": "Bad Key", "label": "x", "type": "text"})),
                INVALID,
                Some("key"),
            ),
            (
                "custom field with a bad type",
                post("/api/v1/custom-fields/people", json!({"key": "k", "label": "x", "type": "color"})),
                BAD,
                Some("body"),
            ),
            (
                "select without options",
                post("/api/v1/custom-fields/deals", json!({"key": "k", "label": "x", "type": "select"})),
                INVALID,
                Some("options"),
            ),
            (
                "pipeline without stages",
                post("/api/v1/pipelines", json!({"name": "Empty", "stages": []})),
                INVALID,
                Some("stages"),
            ),
            (
                "pipeline with a bad probability",
                post("/api/v1/pipelines", json!({"name": "P", "stages": [{"name": "A", "probability": 150}]})),
                INVALID,
                Some("stages[0].probability"),
            ),
            (
                "workspace with a bad currency",
                Req::Json(Method::PATCH, "/api/v1/workspace".into(), Some(json!({"currency": "XXXX"}))),
                INVALID,
                Some("currency"),
            ),
            (
                "workspace with an unknown field",
                Req::Json(Method::PATCH, "/api/v1/workspace".into(), Some(json!({"colour": "red"}))),
                BAD,
                Some("body"),
            ),
            // Hostile shapes: too deep to parse, deep but parseable, numbers out of range.
            ("deeply nested array", raw_json(Method::POST, "/api/v1/people", &nested(100_000)), BAD, Some("body")),
            (
                "deeply nested value",
                raw_json(Method::POST, "/api/v1/people", &format!("{{\"first_name\": {}}}", nested(120))),
                INVALID,
                Some("first_name"),
            ),
            (
                "deep object in custom",
                post("/api/v1/people", json!({"first_name": "x", "custom": {"deep": deep_object}})),
                INVALID,
                Some("custom.deep"),
            ),
            (
                "deep object as an address",
                post("/api/v1/people", json!({"first_name": "x", "address": {"city": deep_object}})),
                INVALID,
                Some("address.city"),
            ),
            (
                "number too large for JSON",
                raw_json(Method::POST, "/api/v1/deals", "{\"name\": \"x\", \"amount_minor\": 1e400}"),
                BAD,
                Some("body"),
            ),
            (
                "number too large for an integer",
                raw_json(Method::POST, "/api/v1/deals", "{\"name\": \"x\", \"amount_minor\": 123456789012345678901234567890}"),
                INVALID,
                Some("amount_minor"),
            ),
            (
                "amount over the maximum",
                post("/api/v1/deals", json!({"name": "x", "amount_minor": i64::MAX})),
                INVALID,
                Some("amount_minor"),
            ),
            (
                "duration out of range",
                post("/api/v1/activities", json!({"type": "call", "duration_seconds": 99_999_999_999i64})),
                INVALID,
                Some("duration_seconds"),
            ),
            (
                "invalid UTF-8",
                Req::Raw(Method::POST, "/api/v1/people".into(), "application/json", b"{\"first_name\": \"\xff\xfe\"}".to_vec()),
                BAD,
                Some("body"),
            ),
        ];

        // Every case is tried on every backend, and every mismatch reported together.
        for (what, req, status, field) in &cases {
            let a = send(&app, req).await;
            if let Some(f) = mismatch(&a, *status, *field) {
                failures.push(format!("[{}] {what}: {f}", app.name()));
            }
        }

        // Nothing above created a record, and the target was not changed.
        let g = app.get(&person_path).await;
        assert_eq!(g.body["version"], 1, "[{}] the person was not changed by bad patches: {}", app.name(), g.body);
        assert_eq!(app.get(&org_path).await.body["version"], 1, "[{}] the organization was not changed", app.name());
        for c in ["deals", "activities", "tasks"] {
            assert!(app.list_all(&format!("/api/v1/{c}")).await.is_empty(), "[{}] a bad request created {c}", app.name());
        }
    }
    assert!(failures.is_empty(), "{} bad inputs were not answered as expected:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn every_fault_is_reported_at_once() {
    for app in TestApp::all().await {
        let a = app
            .post(
                "/api/v1/people",
                json!({"emails": ["nope"], "phones": ["12"], "lifecycle_stage": "king", "birthday": "1815-13-01", "shoe": 42, "id": "x"}),
            )
            .await;
        assert_problem(&app, &a, StatusCode::UNPROCESSABLE_ENTITY, None, "many faults");
        let fields = a.error_fields();
        for f in ["emails[0].address", "phones[0].number", "lifecycle_stage", "birthday", "shoe", "id"] {
            assert!(fields.iter().any(|x| x == f), "[{}] {f} missing from {fields:?}", app.name());
        }
        for e in a.body["errors"].as_array().unwrap() {
            assert!(
                e["code"].is_string() && e["message"].is_string(),
                "[{}] each error has a code and a message: {e}",
                app.name()
            );
        }
        let a = app.get("/api/v1/deals?amount_minor[gte]=x&shoe=1&limit=0").await;
        let fields = a.error_fields();
        for f in ["amount_minor[gte]", "shoe", "limit"] {
            assert!(fields.iter().any(|x| x == f), "[{}] {f} missing from {fields:?}", app.name());
        }
    }
}

#[tokio::test]
async fn unauthorized_answers_say_how_to_authenticate() {
    for app in TestApp::all().await {
        let res = app.client.get(format!("{}/api/v1/deals", app.base)).send().await.expect("request");
        let a = TestApp::answer(res).await;
        assert_client_error(&app, &a, "no token");
        assert_eq!(a.header("www-authenticate"), Some("Bearer realm=\"rapport\""), "[{}]", app.name());
        // Writes are refused before their body is looked at.
        let res = app
            .client
            .post(format!("{}/api/v1/deals", app.base))
            .header(header::CONTENT_TYPE, "application/json")
            .body("{\"name\": \"Sneaky\"}")
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "[{}]", app.name());
        assert!(app.list_all("/api/v1/deals").await.is_empty(), "[{}] nothing created without a token", app.name());
    }
}
