//! Custom fields through the API: every type through create, read, update,
//! filter, sort, import and export; definition attributes; the lifecycle
//! (rename, reorder, hide, soft delete, restore, purge, versions, audit);
//! type changes that convert or refuse; and the indexes filters and sorts use.

mod common;
mod io_support;

use common::{assert_problem, assert_status, enc, id};
use io_support::{counts, get_text, import};
use rapport_store::{Backend, custom_sql};
use rapport_testkit::reqwest::{Method, StatusCode};
use rapport_testkit::serde_json::{Value, json};
use rapport_testkit::{Answer, TestApp};
use sqlx::{Connection, Row};

const FIELDS: &str = "/api/v1/custom-fields/people";

async fn define(app: &TestApp, def: Value) -> Value {
    let a = app.post(FIELDS, def.clone()).await;
    assert_eq!(a.status, StatusCode::CREATED, "[{}] define {def}: {}", app.name(), a.body);
    a.body
}

/// One field of every type but relation.
async fn define_all(app: &TestApp) {
    for def in [
        json!({"key": "nickname", "label": "Nickname", "type": "text"}),
        json!({"key": "bio", "label": "Biography", "type": "long_text"}),
        json!({"key": "score", "label": "Score", "type": "number"}),
        json!({"key": "budget", "label": "Budget", "type": "money"}),
        json!({"key": "discount", "label": "Discount", "type": "percent", "min": 0, "max": 100}),
        json!({"key": "birthday", "label": "Birthday", "type": "date"}),
        json!({"key": "met_at", "label": "Met at", "type": "date_time"}),
        json!({"key": "vip", "label": "VIP", "type": "boolean"}),
        json!({"key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver", "bronze"]}),
        json!({"key": "topics", "label": "Topics", "type": "multi_select", "options": ["ai", "crm", "erp"]}),
        json!({"key": "alt_email", "label": "Other email", "type": "email"}),
        json!({"key": "mobile", "label": "Mobile", "type": "phone"}),
        json!({"key": "homepage", "label": "Homepage", "type": "url"}),
        json!({"key": "stars", "label": "Stars", "type": "rating"}),
    ] {
        define(app, def).await;
    }
}

fn first_names(items: &[Value]) -> Vec<&str> {
    items.iter().map(|p| p["first_name"].as_str().unwrap_or("?")).collect()
}

/// Every item of `path`, one per page, so that keyset paging is exercised on each sort.
async fn paged(app: &TestApp, path: &str) -> Vec<Value> {
    app.list_all(&format!("{path}&limit=1")).await
}

#[tokio::test]
async fn every_type_through_create_read_update_filter_and_sort() {
    for app in TestApp::all().await {
        let n = app.name();
        define_all(&app).await;
        let ann = app
            .create(
                "people",
                json!({"first_name": "Ann", "custom": {
                    "nickname": "Annie", "bio": "Long\ntext", "score": 7.5, "budget": {"amount_minor": 125000},
                    "discount": 12.5, "birthday": "1990-04-01", "met_at": "2025-03-04T10:30:00+02:00", "vip": true,
                    "tier": "gold", "topics": ["ai", "crm", "ai"], "alt_email": "Ann@Example.COM",
                    "mobile": "06 12 34 56 78", "homepage": "https://ann.example", "stars": 5
                }}),
            )
            .await;
        let c = &ann["custom"];
        assert_eq!(c["budget"], json!({"amount_minor": 125000, "currency": "EUR"}), "[{n}] money takes the workspace currency");
        assert_eq!(c["met_at"], "2025-03-04T08:30:00.000000Z", "[{n}] date-times are stored in UTC");
        assert_eq!(c["topics"], json!(["ai", "crm"]), "[{n}] multi-select values once each");
        assert_eq!(c["alt_email"], "ann@example.com", "[{n}]");
        assert_eq!(c["mobile"], "+33612345678", "[{n}] phones in E.164 with the workspace region");
        app.create(
            "people",
            json!({"first_name": "Ben", "custom": {
                "nickname": "Benny", "score": 3, "budget": {"amount_minor": 9900, "currency": "usd"}, "discount": 50,
                "birthday": "1985-12-24", "met_at": "2024-01-01T09:00:00Z", "vip": false, "tier": "silver",
                "topics": ["erp"], "alt_email": "ben@example.com", "mobile": "+44 20 7946 0958",
                "homepage": "http://ben.example/about", "stars": 2
            }}),
        )
        .await;
        app.create("people", json!({"first_name": "Cid"})).await;

        // Read and update.
        let got = app.get(&format!("/api/v1/people/{}", id(&ann))).await;
        assert_eq!(got.body["custom"], ann["custom"], "[{n}] read back as written");
        let upd = app.patch(&format!("/api/v1/people/{}", id(&ann)), json!({"custom": {"score": 8, "tier": "bronze"}})).await;
        assert_status(&app, &upd, StatusCode::OK, "update");
        assert_eq!(
            (upd.body["custom"]["score"].clone(), upd.body["custom"]["nickname"].clone()),
            (json!(8), json!("Annie")),
            "[{n}] merge patch"
        );

        // Bad values are refused, each field named.
        let bad = app
            .post(
                "/api/v1/people",
                json!({"first_name": "Bad", "custom": {
                    "score": "high", "budget": {"amount_minor": 1.5}, "discount": 120, "birthday": "1990-02-30",
                    "met_at": "yesterday", "vip": "yes", "tier": "platinum", "topics": ["ai", "ml"], "alt_email": "nope",
                    "mobile": "12", "homepage": "javascript:alert(1)", "stars": 6, "nickname": 3, "bio": ["x"]
                }}),
            )
            .await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("custom.score"), "bad values");
        let blamed = bad.error_fields();
        for key in [
            "score",
            "budget",
            "discount",
            "birthday",
            "met_at",
            "vip",
            "tier",
            "topics",
            "alt_email",
            "mobile",
            "homepage",
            "stars",
            "nickname",
            "bio",
        ] {
            assert!(blamed.contains(&format!("custom.{key}")), "[{n}] custom.{key} blamed in {}", bad.body);
        }

        // Filters, one or more per type.
        for (query, want) in [
            ("custom.nickname=Benny", vec!["Ben"]),
            ("custom.nickname[contains]=ANN", vec!["Ann"]),
            ("custom.bio[contains]=text", vec!["Ann"]),
            ("custom.score[gt]=5", vec!["Ann"]),
            ("custom.budget[gte]=10000", vec!["Ann"]),
            ("custom.discount[lt]=20", vec!["Ann"]),
            ("custom.birthday[lt]=1989-01-01", vec!["Ben"]),
            ("custom.met_at[gte]=2025-01-01T00:00:00Z", vec!["Ann"]),
            ("custom.vip=false", vec!["Ben"]),
            ("custom.tier[in]=bronze,silver", vec!["Ann", "Ben"]),
            ("custom.topics=erp", vec!["Ben"]),
            ("custom.alt_email=ann@example.com", vec!["Ann"]),
            ("custom.mobile=%2B33612345678", vec!["Ann"]),
            ("custom.homepage[contains]=ben.example", vec!["Ben"]),
            ("custom.stars[gte]=4", vec!["Ann"]),
            ("custom.score[is_null]=true", vec!["Cid"]),
        ] {
            let items = app.list_all(&format!("/api/v1/people?{query}&sort=first_name")).await;
            assert_eq!(first_names(&items), want, "[{n}] {query}");
        }
        let wrong = app.get("/api/v1/people?custom.score[gt]=lots").await;
        assert_problem(&app, &wrong, StatusCode::UNPROCESSABLE_ENTITY, Some("custom.score[gt]"), "a typed filter");

        // Sorts with keyset paging, both directions, NULLs last.
        for (key, asc) in [
            ("nickname", vec!["Ann", "Ben", "Cid"]),
            ("score", vec!["Ben", "Ann", "Cid"]),
            ("budget", vec!["Ben", "Ann", "Cid"]),
            ("discount", vec!["Ann", "Ben", "Cid"]),
            ("birthday", vec!["Ben", "Ann", "Cid"]),
            ("met_at", vec!["Ben", "Ann", "Cid"]),
            ("vip", vec!["Ben", "Ann", "Cid"]),
            ("tier", vec!["Ann", "Ben", "Cid"]),
            ("alt_email", vec!["Ann", "Ben", "Cid"]),
            ("homepage", vec!["Ben", "Ann", "Cid"]),
            ("stars", vec!["Ben", "Ann", "Cid"]),
        ] {
            let up = paged(&app, &format!("/api/v1/people?sort=custom.{key}")).await;
            assert_eq!(first_names(&up), asc, "[{n}] sort by {key}");
            let down = paged(&app, &format!("/api/v1/people?sort=-custom.{key}")).await;
            let mut desc = asc[..2].to_vec();
            desc.reverse();
            desc.push("Cid");
            assert_eq!(first_names(&down), desc, "[{n}] sort by -{key}");
        }
        let unsortable = app.get("/api/v1/people?sort=custom.topics").await;
        assert_problem(&app, &unsortable, StatusCode::UNPROCESSABLE_ENTITY, Some("sort"), "multi-select is not sortable");

        // Global search finds text, email, phone (typed another way) and URL values.
        for (q, who) in
            [("Annie", "Ann"), ("ann@example.com", "Ann"), ("0612345678", "Ann"), ("ben.example", "Ben"), ("Long", "Ann")]
        {
            let a = app.get(&format!("/api/v1/search?q={}", enc(q))).await;
            assert_status(&app, &a, StatusCode::OK, "search");
            let hit = a.body["items"].as_array().and_then(|h| h.first()).cloned().unwrap_or(Value::Null);
            assert!(hit["label"].as_str().is_some_and(|l| l.starts_with(who)), "[{n}] search {q}: {}", a.body);
        }
    }
}

#[tokio::test]
async fn definition_attributes() {
    for app in TestApp::all().await {
        let n = app.name();
        define(
            &app,
            json!({"key": "code", "label": "Code", "type": "text", "required": true, "pattern": "[A-Z]{3}-[0-9]+",
                   "max_length": 10, "help": "Three letters, a dash, digits", "default": "AAA-1"}),
        )
        .await;
        define(&app, json!({"key": "level", "label": "Level", "type": "number", "min": 1, "max": 10, "default": 3})).await;
        define(&app, json!({"key": "since", "label": "Since", "type": "date", "min": "2000-01-01", "hidden": true})).await;
        define(&app, json!({"key": "grade", "label": "Grade", "type": "rating", "max": 10})).await;

        let p = app.create("people", json!({"first_name": "Dee"})).await;
        assert_eq!(p["custom"], json!({"code": "AAA-1", "level": 3}), "[{n}] defaults applied on create");
        let p2 = app.create("people", json!({"first_name": "Eve", "custom": {"code": "XYZ-42", "grade": 9}})).await;
        assert_eq!(p2["custom"]["level"], 3, "[{n}] a default fills the fields left out");
        let list = app.get(FIELDS).await;
        let defs = list.body["items"].as_array().unwrap();
        assert_eq!(
            defs.iter().map(|d| d["key"].as_str().unwrap()).collect::<Vec<_>>(),
            ["code", "level", "since", "grade"],
            "[{n}]"
        );
        assert_eq!(defs[0]["help"], "Three letters, a dash, digits", "[{n}]");
        assert_eq!(defs[2]["hidden"], true, "[{n}]");
        assert_eq!(defs[0]["version"], 1, "[{n}]");

        for (custom, field) in [
            (json!({"code": "abc-1"}), "custom.code"),
            (json!({"code": "ABC-12345678"}), "custom.code"),
            (json!({"code": null}), "custom.code"),
            (json!({"level": 11}), "custom.level"),
            (json!({"since": "1999-12-31"}), "custom.since"),
            (json!({"grade": 11}), "custom.grade"),
        ] {
            let a = app.patch(&format!("/api/v1/people/{}", id(&p)), json!({"custom": custom})).await;
            assert_problem(&app, &a, StatusCode::UNPROCESSABLE_ENTITY, Some(field), &format!("{custom}"));
        }

        for (def, field) in [
            (json!({"key": "Bad Key", "label": "x", "type": "text"}), "key"),
            (json!({"key": "x1", "label": " ", "type": "text"}), "label"),
            (json!({"key": "x2", "label": "x", "type": "select"}), "options"),
            (json!({"key": "x3", "label": "x", "type": "text", "pattern": "(["}), "pattern"),
            (json!({"key": "x4", "label": "x", "type": "number", "min": 5, "max": 1}), "min"),
            (json!({"key": "x5", "label": "x", "type": "boolean", "max_length": 3}), "max_length"),
            (json!({"key": "x6", "label": "x", "type": "select", "options": ["a"], "default": "b"}), "default"),
            (json!({"key": "x7", "label": "x", "type": "rating", "max": 50}), "max"),
            (json!({"key": "code", "label": "again", "type": "text"}), "key"),
        ] {
            let a = app.post(FIELDS, def.clone()).await;
            assert_problem(&app, &a, StatusCode::UNPROCESSABLE_ENTITY, Some(field), &format!("{def}"));
        }
        let a = app.post(FIELDS, json!({"key": "x8", "label": "x", "type": "relation_of_sorts"})).await;
        assert_problem(&app, &a, StatusCode::BAD_REQUEST, None, "an unknown type");
    }
}

async fn send_if_match(app: &TestApp, method: Method, path: &str, body: Option<Value>, version: i64) -> Answer {
    app.send(method, path, body.as_ref(), &[("if-match", &format!("\"{version}\""))]).await
}

#[tokio::test]
async fn lifecycle_rename_reorder_hide_delete_restore_purge() {
    for app in TestApp::all().await {
        let n = app.name();
        define(&app, json!({"key": "region", "label": "Region", "type": "text"})).await;
        define(&app, json!({"key": "size", "label": "Size", "type": "number"})).await;
        define(&app, json!({"key": "source", "label": "Source", "type": "text"})).await;
        let p = app.create("people", json!({"first_name": "Fay", "custom": {"region": "North", "size": 3}})).await;
        let path = format!("{FIELDS}/region");

        // Rename: the key stays; a stale version is refused.
        let renamed = send_if_match(&app, Method::PATCH, &path, Some(json!({"label": "Sales region"})), 1).await;
        assert_status(&app, &renamed, StatusCode::OK, "rename");
        assert_eq!((renamed.body["key"].clone(), renamed.body["version"].clone()), (json!("region"), json!(2)), "[{n}]");
        assert_eq!(renamed.header("etag"), Some("\"2\""), "[{n}]");
        let stale = send_if_match(&app, Method::PATCH, &path, Some(json!({"label": "Area"})), 1).await;
        assert_problem(&app, &stale, StatusCode::PRECONDITION_FAILED, None, "stale If-Match");
        let stale_body = app.patch(&path, json!({"label": "Area", "version": 1})).await;
        assert_problem(&app, &stale_body, StatusCode::PRECONDITION_FAILED, None, "stale version in the body");
        let key_change = app.patch(&path, json!({"key": "area"})).await;
        assert_problem(&app, &key_change, StatusCode::BAD_REQUEST, None, "the key cannot change");

        // Reorder and hide.
        let order =
            app.send(Method::PUT, &format!("{FIELDS}/order"), Some(&json!({"keys": ["source", "region", "size"]})), &[]).await;
        assert_status(&app, &order, StatusCode::OK, "reorder");
        let keys: Vec<String> = app.get(FIELDS).await.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["key"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(keys, ["source", "region", "size"], "[{n}]");
        let partial = app.send(Method::PUT, &format!("{FIELDS}/order"), Some(&json!({"keys": ["source"]})), &[]).await;
        assert_problem(&app, &partial, StatusCode::UNPROCESSABLE_ENTITY, Some("keys"), "an order missing fields");
        let hidden = app.patch(&path, json!({"hidden": true})).await;
        assert_eq!(hidden.body["hidden"], true, "[{n}]");

        // Soft delete: not accepted, not shown, values kept, restorable.
        let del = send_if_match(&app, Method::DELETE, &path, None, hidden.body["version"].as_i64().unwrap()).await;
        assert_status(&app, &del, StatusCode::NO_CONTENT, "delete");
        let shown = app.get(&format!("/api/v1/people/{}", id(&p))).await;
        assert_eq!(shown.body["custom"], json!({"size": 3}), "[{n}] a deleted field is not shown");
        let refused = app.patch(&format!("/api/v1/people/{}", id(&p)), json!({"custom": {"region": "South"}})).await;
        assert_problem(
            &app,
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("custom.region"),
            "a deleted field is not accepted",
        );
        let other = app.patch(&format!("/api/v1/people/{}", id(&p)), json!({"custom": {"size": 4}})).await;
        assert_status(&app, &other, StatusCode::OK, "other fields stay writable");
        let filtered = app.get("/api/v1/people?custom.region=North").await;
        assert_problem(&app, &filtered, StatusCode::UNPROCESSABLE_ENTITY, Some("custom.region"), "no filter on a deleted field");
        let with_deleted = app.get(&format!("{FIELDS}?deleted=true")).await;
        assert!(
            with_deleted.body["items"].as_array().unwrap().iter().any(|d| d["key"] == "region" && d["deleted_at"].is_string()),
            "[{n}]"
        );
        let taken = app.post(FIELDS, json!({"key": "region", "label": "Again", "type": "text"})).await;
        assert_problem(&app, &taken, StatusCode::UNPROCESSABLE_ENTITY, Some("key"), "a deleted key is not reused");

        let restored = app.post(&format!("{path}/restore"), json!({})).await;
        assert_status(&app, &restored, StatusCode::OK, "restore");
        let back = app.get(&format!("/api/v1/people/{}", id(&p))).await;
        assert_eq!(back.body["custom"], json!({"region": "North", "size": 4}), "[{n}] restored with its values");

        // Purge: explicit, only once deleted; the values go.
        let early = app.post(&format!("{path}/purge"), json!({})).await;
        assert_problem(&app, &early, StatusCode::CONFLICT, None, "purge needs a delete first");
        assert_status(&app, &app.delete(&path).await, StatusCode::NO_CONTENT, "delete again");
        let purged = app.post(&format!("{path}/purge"), json!({})).await;
        assert_eq!((purged.status, purged.body["purged_records"].clone()), (StatusCode::OK, json!(1)), "[{n}] {}", purged.body);
        assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND, "[{n}]");
        define(&app, json!({"key": "region", "label": "Region", "type": "text"})).await;
        let fresh = app.get(&format!("/api/v1/people/{}", id(&p))).await;
        assert_eq!(fresh.body["custom"], json!({"size": 4}), "[{n}] purged values do not come back");

        // Deleted fields are purged by themselves after the retention period.
        assert_status(&app, &app.delete(&format!("{FIELDS}/source")).await, StatusCode::NO_CONTENT, "delete source");
        app.clock.advance(chrono::Duration::days(rapport_store::custom_fields::RETENTION_DAYS + 1));
        define(&app, json!({"key": "later", "label": "Later", "type": "text"})).await;
        let all = app.get(&format!("{FIELDS}?deleted=true")).await;
        assert!(
            !all.body["items"].as_array().unwrap().iter().any(|d| d["key"] == "source"),
            "[{n}] purged after retention: {}",
            all.body
        );

        // Every schema change is audited.
        let audit = app.get("/api/v1/audit?limit=500").await;
        let actions: Vec<&str> = audit.body["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
        for a in [
            "custom_field.created",
            "custom_field.updated",
            "custom_field.reordered",
            "custom_field.deleted",
            "custom_field.restored",
            "custom_field.purged",
        ] {
            assert!(actions.contains(&a), "[{n}] {a} audited: {actions:?}");
        }
    }
}

#[tokio::test]
async fn type_changes_convert_or_refuse() {
    for app in TestApp::all().await {
        let n = app.name();
        define(&app, json!({"key": "employees", "label": "Employees", "type": "text"})).await;
        define(&app, json!({"key": "segment", "label": "Segment", "type": "select", "options": ["smb", "mid"]})).await;
        let a = app.create("people", json!({"first_name": "Gus", "custom": {"employees": "120", "segment": "smb"}})).await;
        let b =
            app.create("people", json!({"first_name": "Hal", "custom": {"employees": "about forty", "segment": "mid"}})).await;

        // Refused: one value is not a number; nothing changes.
        let refused = app.patch(&format!("{FIELDS}/employees"), json!({"type": "number"})).await;
        assert_problem(&app, &refused, StatusCode::CONFLICT, Some("type"), "text to number with a word");
        assert_eq!(
            refused.body["records"],
            json!([{"id": id(&b), "value": "about forty", "reason": "'about forty' is not a number"}]),
            "[{n}] {}",
            refused.body
        );
        let def = app.get(&format!("{FIELDS}/employees")).await;
        assert_eq!((def.body["type"].clone(), def.body["version"].clone()), (json!("text"), json!(1)), "[{n}] unchanged");

        // Converted once every value parses; each record's history says so.
        app.patch(&format!("/api/v1/people/{}", id(&b)), json!({"custom": {"employees": "40"}})).await;
        let converted = app.patch(&format!("{FIELDS}/employees"), json!({"type": "number"})).await;
        assert_status(&app, &converted, StatusCode::OK, "text to number");
        let got = app.get(&format!("/api/v1/people/{}", id(&a))).await;
        assert_eq!(got.body["custom"]["employees"], 120.0, "[{n}] {}", got.body);
        let big = app.list_all("/api/v1/people?custom.employees[gt]=100").await;
        assert_eq!(first_names(&big), ["Gus"], "[{n}] filters read the new type");
        let history = app.get(&format!("/api/v1/people/{}/history", id(&a))).await;
        assert!(
            history.body.to_string().contains("\"employees\":\"120\""),
            "[{n}] the old value is in the history: {}",
            history.body
        );

        // Select to text keeps the values; text back to a select needs the options.
        assert_status(
            &app,
            &app.patch(&format!("{FIELDS}/segment"), json!({"type": "text"})).await,
            StatusCode::OK,
            "select to text",
        );
        app.patch(&format!("/api/v1/people/{}", id(&b)), json!({"custom": {"segment": "enterprise"}})).await;
        let no_option = app.patch(&format!("{FIELDS}/segment"), json!({"type": "select", "options": ["smb", "mid"]})).await;
        assert_problem(&app, &no_option, StatusCode::CONFLICT, Some("type"), "text to select without the option");
        assert_eq!(no_option.body["records"][0]["value"], "enterprise", "[{n}]");
        let with_option =
            app.patch(&format!("{FIELDS}/segment"), json!({"type": "select", "options": ["smb", "mid", "enterprise"]})).await;
        assert_status(&app, &with_option, StatusCode::OK, "text to select with every value an option");
        // Removing an option in use is a conversion too.
        let drop_opt = app.patch(&format!("{FIELDS}/segment"), json!({"options": ["mid", "enterprise"]})).await;
        assert_problem(&app, &drop_opt, StatusCode::CONFLICT, Some("options"), "removing an option in use");
        assert_eq!(drop_opt.body["records"][0]["id"], id(&a), "[{n}]");
        let unused = app.patch(&format!("{FIELDS}/segment"), json!({"options": ["smb", "enterprise"]})).await;
        assert_status(&app, &unused, StatusCode::OK, "removing an option nobody uses");
    }
}

#[tokio::test]
async fn import_and_export_every_type() {
    for app in TestApp::all().await {
        let n = app.name();
        define_all(&app).await;
        let csv = "first,nick,bio,score,budget,discount,birthday,met,vip,tier,topics,email,mobile,home,stars\n\
                   Ivy,Ives,Writes code,4.5,1234.50 USD,15%,1991-07-08,2025-02-03 10:00,yes,gold,ai; erp,IVY@EXAMPLE.COM,06 11 22 33 44,https://ivy.example,4\n\
                   Jon,,,,,,,,no,,,,,,\n";
        let mapping = json!({"first": "first_name", "nick": "custom.nickname", "bio": "custom.bio", "score": "custom.score",
            "budget": "custom.budget", "discount": "custom.discount", "birthday": "custom.birthday", "met": "custom.met_at",
            "vip": "custom.vip", "tier": "custom.tier", "topics": "custom.topics", "email": "custom.alt_email",
            "mobile": "custom.mobile", "home": "custom.homepage", "stars": "custom.stars"})
        .to_string();
        let job = import(&app, &format!("kind=people&mapping={}", enc(&mapping)), "text/csv", csv).await;
        assert_eq!(counts(&job), (2, 0, 0, 0), "[{n}] {job}");
        let ivy = app.list_all("/api/v1/people?first_name=Ivy").await.remove(0);
        assert_eq!(
            ivy["custom"],
            json!({"nickname": "Ives", "bio": "Writes code", "score": 4.5, "budget": {"amount_minor": 123450, "currency": "USD"},
                   "discount": 15, "birthday": "1991-07-08", "met_at": "2025-02-03T10:00:00.000000Z", "vip": true, "tier": "gold",
                   "topics": ["ai", "erp"], "alt_email": "ivy@example.com", "mobile": "+33611223344",
                   "homepage": "https://ivy.example", "stars": 4}),
            "[{n}] imported values converted by type"
        );
        let bad =
            import(&app, &format!("kind=people&mapping={}", enc(&mapping)), "text/csv", "first,stars,tier\nKim,9,wood\n").await;
        assert_eq!(counts(&bad).3, 1, "[{n}] a bad value rejects its row: {bad}");

        // Exports: CSV writes each value as text that imports back; JSON keeps the values.
        let (status, _, text) = get_text(&app, "/api/v1/people/export?format=csv&first_name=Ivy").await;
        assert_eq!(status, StatusCode::OK, "[{n}]");
        let mut rows = text.lines();
        let header: Vec<&str> = rows.next().unwrap().split(',').collect();
        let row: Vec<String> = rows.next().unwrap().split(',').map(str::to_string).collect();
        let cell = |h: &str| {
            row[header.iter().position(|x| *x == h).unwrap_or_else(|| panic!("[{n}] column {h} in {header:?}"))].clone()
        };
        assert_eq!(cell("custom.budget"), "1234.50 USD", "[{n}]");
        assert_eq!(cell("custom.topics"), "ai; erp", "[{n}]");
        assert_eq!(cell("custom.vip"), "true", "[{n}]");
        assert_eq!(cell("custom.mobile"), "+33611223344", "[{n}]");
        assert_eq!(cell("custom.stars"), "4", "[{n}]");
        let (_, _, json_text) = get_text(&app, "/api/v1/people/export?format=json&first_name=Ivy").await;
        let exported: Value = rapport_testkit::serde_json::from_str(&json_text).unwrap();
        assert_eq!(exported[0]["custom"], ivy["custom"], "[{n}]");
    }
}

/// The query plan of `sql` (with the workspace id bound as `$1` / `?`).
async fn plan(app: &TestApp, sql: &str) -> String {
    let ws = app.scope.workspace_id;
    match app.backend {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&app.database_url).await.expect("open the SQLite file");
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {}", sql.replace("$1", "?"))))
                .bind(ws)
                .fetch_all(&mut c)
                .await
                .expect("explain");
            rows.iter().map(|r| r.get::<String, _>("detail")).collect::<Vec<_>>().join("\n")
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&app.database_url).await.expect("connect");
            // A handful of rows: make the planner show whether it can use the index at all.
            sqlx::raw_sql("SET enable_seqscan = off").execute(&mut c).await.expect("set");
            let rows =
                sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}"))).bind(ws).fetch_all(&mut c).await.expect("explain");
            rows.iter().map(|r| r.get::<String, _>(0)).collect::<Vec<_>>().join("\n")
        }
    }
}

/// A filter and a sort on a custom field use the shared expression indexes
/// made when the field was defined: the plans name them on both databases.
#[tokio::test]
async fn filters_and_sorts_use_the_custom_field_indexes() {
    for app in TestApp::all().await {
        let n = app.name();
        define(&app, json!({"key": "score", "label": "Score", "type": "number"})).await;
        define(&app, json!({"key": "budget", "label": "Budget", "type": "money"})).await;
        for i in 0..20 {
            app.create(
                "people",
                json!({"first_name": format!("P{i}"), "custom": {"score": i, "budget": {"amount_minor": i * 100}}}),
            )
            .await;
        }
        for (path, index) in [(&["score"][..], "cf_people_score"), (&["budget", "amount_minor"][..], "cf_people_budget_m")] {
            let e = custom_sql(app.backend, Some("people"), path);
            let (literal, no) = if app.backend == Backend::Postgres { ("'5'::jsonb", "false") } else { ("5", "0") };
            // As `sql.rs` writes a comparison on a custom field.
            let filter = format!(
                "SELECT \"people\".\"id\" FROM \"people\" WHERE \"people\".\"workspace_id\" = $1 AND ({e} IS NULL) = {no} AND {e} > {literal}"
            );
            let p = plan(&app, &filter).await;
            assert!(p.contains(index), "[{n}] filter on {path:?} uses {index}:\n{p}");
            assert!(!p.contains("TEMP B-TREE") && !p.contains("Sort"), "[{n}] no sort:\n{p}");
            for (dir, idx) in [("ASC", index.to_string()), ("DESC", format!("{index}_d"))] {
                // As `records.rs` sorts: NULLs last either way, then the id.
                let sort = format!(
                    "SELECT \"people\".\"id\" FROM \"people\" WHERE \"people\".\"workspace_id\" = $1 \
                     ORDER BY {e} IS NULL ASC, {e} {dir}, \"people\".\"id\" {dir} LIMIT 51"
                );
                let p = plan(&app, &sort).await;
                assert!(
                    p.contains(&idx) && !p.contains("TEMP B-TREE") && !p.contains("Sort"),
                    "[{n}] sort {dir} on {path:?} walks {idx}:\n{p}"
                );
            }
        }
        // The indexes go with the last definition using them.
        assert_eq!(app.delete(&format!("{FIELDS}/score")).await.status, StatusCode::NO_CONTENT, "[{n}]");
        assert_eq!(app.post(&format!("{FIELDS}/score/purge"), json!({})).await.status, StatusCode::OK, "[{n}]");
        let e = custom_sql(app.backend, Some("people"), &["score"]);
        let p = plan(
            &app,
            &format!("SELECT \"people\".\"id\" FROM \"people\" WHERE \"people\".\"workspace_id\" = $1 AND {e} IS NOT NULL"),
        )
        .await;
        assert!(!p.contains("cf_people_score"), "[{n}] dropped after the purge:\n{p}");
    }
}

/// Workflows take custom fields in their conditions and `update_field`
/// actions; history records each custom value's change.
#[tokio::test]
async fn workflows_and_history_with_custom_fields() {
    for app in TestApp::all().await {
        let n = app.name();
        define(&app, json!({"key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]})).await;
        define(&app, json!({"key": "budget", "label": "Budget", "type": "money"})).await;
        let unknown = app
            .post(
                "/api/v1/workflows",
                json!({"name": "x", "trigger": {"type": "record_created", "kind": "person"},
                       "actions": [{"type": "update_field", "field": "custom.nope", "value": 1}]}),
            )
            .await;
        assert_problem(&app, &unknown, StatusCode::UNPROCESSABLE_ENTITY, Some("actions[0].field"), "an unknown custom field");
        let wf = app
            .post(
                "/api/v1/workflows",
                json!({"name": "Gold budget", "trigger": {"type": "record_created", "kind": "person"},
                       "conditions": [["custom.tier", "gold"], ["custom.budget[is_null]", "true"]],
                       "actions": [{"type": "update_field", "field": "custom.budget", "value": {"amount_minor": 500000}}]}),
            )
            .await;
        assert_status(&app, &wf, StatusCode::CREATED, "a workflow on custom fields");
        let gold = app.create("people", json!({"first_name": "Gil", "custom": {"tier": "gold"}})).await;
        let silver = app.create("people", json!({"first_name": "Sam", "custom": {"tier": "silver"}})).await;
        rapport_automation::Worker::new(app.store.clone()).drain().await.expect("drain");
        let got = |p: &Value| format!("/api/v1/people/{}", id(p));
        assert_eq!(
            app.get(&got(&gold)).await.body["custom"]["budget"],
            json!({"amount_minor": 500000, "currency": "EUR"}),
            "[{n}]"
        );
        assert!(app.get(&got(&silver)).await.body["custom"]["budget"].is_null(), "[{n}] the condition held it back");
        let history = app.get(&format!("{}/history", got(&gold))).await.body.to_string();
        assert!(history.contains("500000") && history.contains("\"tier\":\"gold\""), "[{n}] {history}");
    }
}

#[tokio::test]
async fn identifying_fields_find_duplicates_and_match_import_rows() {
    const ORG_FIELDS: &str = "/api/v1/custom-fields/organizations";
    for app in TestApp::all().await {
        let n = app.name();
        let bad = app.post(ORG_FIELDS, json!({"key": "vip", "label": "VIP", "type": "boolean", "identifies": true})).await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("identifies"), "a yes/no field names no record");
        let vat = app.post(ORG_FIELDS, json!({"key": "vat", "label": "VAT number", "type": "text", "identifies": true})).await;
        assert_eq!(vat.status, StatusCode::CREATED, "[{n}] {}", vat.body);
        assert_eq!(vat.body["identifies"], true, "[{n}]");
        let acme = app.create("organizations", json!({"name": "Acme", "custom": {"vat": "FR123"}})).await;
        let twin = app.create("organizations", json!({"name": "Globex Industries", "custom": {"vat": "FR123"}})).await;
        app.create("organizations", json!({"name": "Initech", "custom": {"vat": "DE999"}})).await;

        // Before saving: a new record with a known VAT number.
        let check =
            app.post("/api/v1/organizations/check-duplicates", json!({"name": "Umbrella", "custom": {"vat": "FR123"}})).await;
        assert_eq!(check.status, StatusCode::OK, "[{n}] {}", check.body);
        let found: Vec<&Value> = check.body["items"].as_array().unwrap().iter().map(|i| &i["id"]).collect();
        assert!(found.contains(&&acme["id"]) && found.contains(&&twin["id"]), "[{n}] {}", check.body);
        assert_eq!(check.body["items"][0]["reasons"], json!(["same VAT number fr123"]), "[{n}]");

        // The workspace scan: one cluster of the two sharing a value.
        let scan = app.get("/api/v1/organizations/duplicates").await;
        assert_eq!(scan.status, StatusCode::OK, "[{n}] {}", scan.body);
        let cluster = scan.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["reasons"].as_array().unwrap().contains(&json!("same VAT number fr123")))
            .unwrap_or_else(|| panic!("[{n}] no VAT cluster in {}", scan.body));
        let mut members: Vec<&str> = cluster["records"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        members.sort();
        let mut expected = vec![acme["id"].as_str().unwrap(), twin["id"].as_str().unwrap()];
        expected.sort();
        assert_eq!(members, expected, "[{n}]");

        // Import: a row with the VAT number updates the record that has it.
        let mapping = enc(&json!({"name": "name", "vat": "custom.vat"}).to_string());
        let job =
            import(&app, &format!("kind=organizations&mapping={mapping}"), "text/csv", "name,vat\nInitech GmbH,DE999\n").await;
        assert_eq!(counts(&job), (0, 1, 0, 0), "[{n}] matched on the VAT number: {job}");
        let named = app.list_all("/api/v1/organizations?custom.vat=DE999").await;
        assert_eq!(named.len(), 1, "[{n}]");
        assert_eq!(named[0]["name"], "Initech GmbH", "[{n}]");

        // No longer identifying: the same row is a new organization.
        let off = app.patch(&format!("{ORG_FIELDS}/vat"), json!({"identifies": false})).await;
        assert_eq!(off.status, StatusCode::OK, "[{n}] {}", off.body);
        assert!(off.body.get("identifies").is_none(), "[{n}] {}", off.body);
        let job =
            import(&app, &format!("kind=organizations&mapping={mapping}"), "text/csv", "name,vat\nInitech AG,DE999\n").await;
        assert_eq!(counts(&job), (1, 0, 0, 0), "[{n}] {job}");
    }
}
