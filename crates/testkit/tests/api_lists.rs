//! Lists: filters, sorting, projection, includes and keyset pagination.

mod common;

use std::collections::HashSet;

use common::{assert_problem, assert_status, enc, id, id_set, ids, items};
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};

/// The names of a list answer's items, in order.
fn names(items: &[Value]) -> Vec<String> {
    items.iter().map(|i| i["name"].as_str().unwrap_or("<none>").to_string()).collect()
}

/// Lists `path` (every page) and returns the names, sorted for set comparisons.
async fn names_of(app: &TestApp, path: &str) -> Vec<String> {
    let mut n = names(&app.list_all(path).await);
    n.sort();
    n
}

fn strs(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn filters() {
    for app in TestApp::all().await {
        let n = app.name();
        let acme = app.create("organizations", json!({"name": "Acme Corp", "tags": ["vip", "eu"]})).await;
        let globex = app.create("organizations", json!({"name": "Globex", "tags": ["eu"]})).await;
        app.create("organizations", json!({"name": "Initech"})).await;
        let (acme_id, globex_id) = (id(&acme), id(&globex));

        app.create(
            "people",
            json!({"first_name": "Ann", "lifecycle_stage": "lead", "organizations": [acme_id], "tags": ["vip"]}),
        )
        .await;
        app.create("people", json!({"first_name": "Ben", "lifecycle_stage": "customer", "organizations": [acme_id, globex_id]}))
            .await;
        app.create("people", json!({"first_name": "Cid", "lifecycle_stage": "opportunity", "organizations": [globex_id]})).await;
        app.create("people", json!({"first_name": "Dee", "tags": ["vip", "press"]})).await;

        app.create(
            "deals",
            json!({"name": "Small", "amount_minor": 1000, "organization_id": acme_id, "expected_close_date": "2027-01-10"}),
        )
        .await;
        app.create(
            "deals",
            json!({"name": "Medium", "amount_minor": 50000, "organization_id": globex_id, "expected_close_date": "2027-02-10"}),
        )
        .await;
        app.create("deals", json!({"name": "Large", "amount_minor": 900000, "expected_close_date": "2027-03-10"})).await;
        app.create("deals", json!({"name": "Unpriced"})).await;

        // eq, ne (which keeps rows without a value), in, is_null.
        assert_eq!(names_of(&app, "/api/v1/people?lifecycle_stage=lead").await, strs(&["Ann"]), "[{n}] eq");
        assert_eq!(names_of(&app, "/api/v1/people?lifecycle_stage[eq]=lead").await, strs(&["Ann"]), "[{n}] [eq]");
        assert_eq!(
            names_of(&app, "/api/v1/people?lifecycle_stage[ne]=lead").await,
            strs(&["Ben", "Cid", "Dee"]),
            "[{n}] ne includes the person without a lifecycle stage"
        );
        assert_eq!(names_of(&app, "/api/v1/people?lifecycle_stage[in]=lead,customer").await, strs(&["Ann", "Ben"]), "[{n}] in");
        assert_eq!(names_of(&app, "/api/v1/people?lifecycle_stage[is_null]=true").await, strs(&["Dee"]), "[{n}] is_null=true");
        assert_eq!(
            names_of(&app, "/api/v1/people?lifecycle_stage[is_null]=false").await,
            strs(&["Ann", "Ben", "Cid"]),
            "[{n}] is_null=false"
        );
        assert_eq!(
            names_of(&app, "/api/v1/deals?organization_id[is_null]=true").await,
            strs(&["Large", "Unpriced"]),
            "[{n}] reference is_null"
        );
        assert_eq!(names_of(&app, &format!("/api/v1/deals?organization_id={acme_id}")).await, strs(&["Small"]), "[{n}] ref eq");

        // Comparisons on integers and dates; several filters combine with AND.
        assert_eq!(
            names_of(&app, "/api/v1/deals?amount_minor[gt]=1000").await,
            strs(&["Large", "Medium"]),
            "[{n}] gt excludes equal and null"
        );
        assert_eq!(
            names_of(&app, "/api/v1/deals?amount_minor[gte]=1000&amount_minor[lt]=900000").await,
            strs(&["Medium", "Small"]),
            "[{n}] gte+lt"
        );
        assert_eq!(names_of(&app, "/api/v1/deals?amount_minor[lte]=50000").await, strs(&["Medium", "Small"]), "[{n}] lte");
        assert_eq!(
            names_of(&app, "/api/v1/deals?amount_minor[ne]=1000").await,
            strs(&["Large", "Medium", "Unpriced"]),
            "[{n}] ne int"
        );
        assert_eq!(names_of(&app, "/api/v1/deals?expected_close_date[lt]=2027-02-10").await, strs(&["Small"]), "[{n}] date lt");
        assert_eq!(
            names_of(&app, "/api/v1/deals?expected_close_date[gte]=2027-02-10").await,
            strs(&["Large", "Medium"]),
            "[{n}] date gte"
        );
        assert_eq!(names_of(&app, "/api/v1/deals?status=open&amount_minor[is_null]=true").await, strs(&["Unpriced"]), "[{n}]");

        // Date-times: everything was created after 2020 and before 2100.
        assert_eq!(
            app.list_all(&format!("/api/v1/deals?created_at[gt]={}", enc("2020-01-01T00:00:00Z"))).await.len(),
            4,
            "[{n}]"
        );
        assert_eq!(
            app.list_all(&format!("/api/v1/deals?created_at[gt]={}", enc("2100-01-01T00:00:00+02:00"))).await.len(),
            0,
            "[{n}] datetime with an offset"
        );

        // contains ignores case.
        assert_eq!(names_of(&app, "/api/v1/organizations?name[contains]=ACME").await, strs(&["Acme Corp"]), "[{n}] contains");
        assert_eq!(
            names_of(&app, "/api/v1/organizations?name[contains]=e").await,
            strs(&["Acme Corp", "Globex", "Initech"]),
            "[{n}]"
        );
        assert_eq!(names_of(&app, "/api/v1/organizations?name[contains]=%25").await, Vec::<String>::new(), "[{n}] % is literal");

        // Tags: membership, any of several, none of, empty.
        assert_eq!(names_of(&app, "/api/v1/people?tags=vip").await, strs(&["Ann", "Dee"]), "[{n}] tag membership");
        assert_eq!(names_of(&app, "/api/v1/people?tags[in]=press,nothing").await, strs(&["Dee"]), "[{n}] tags in");
        assert_eq!(names_of(&app, "/api/v1/people?tags[ne]=vip").await, strs(&["Ben", "Cid"]), "[{n}] tags ne");
        assert_eq!(names_of(&app, "/api/v1/people?tags[is_null]=true").await, strs(&["Ben", "Cid"]), "[{n}] no tags");
        assert_eq!(names_of(&app, "/api/v1/organizations?tags=eu&tags=vip").await, strs(&["Acme Corp"]), "[{n}] two tag filters");

        // Links.
        assert_eq!(
            names_of(&app, &format!("/api/v1/people?organizations={acme_id}")).await,
            strs(&["Ann", "Ben"]),
            "[{n}] link filter"
        );
        assert_eq!(
            names_of(&app, &format!("/api/v1/people?organizations[in]={acme_id},{globex_id}")).await,
            strs(&["Ann", "Ben", "Cid"]),
            "[{n}] link in"
        );
        assert_eq!(names_of(&app, "/api/v1/people?organizations[is_null]=true").await, strs(&["Dee"]), "[{n}] no link");
        assert_eq!(
            names_of(&app, &format!("/api/v1/people?organizations[ne]={acme_id}")).await,
            strs(&["Cid", "Dee"]),
            "[{n}] link ne"
        );
    }
}

#[tokio::test]
async fn sorting_puts_nulls_last() {
    for app in TestApp::all().await {
        let n = app.name();
        for (name, amount) in
            [("B", json!(300)), ("N1", Value::Null), ("A", json!(100)), ("N2", Value::Null), ("C", json!(200)), ("D", json!(200))]
        {
            app.create("deals", json!({"name": name, "amount_minor": amount})).await;
        }
        let asc = names(&app.list_all("/api/v1/deals?sort=amount_minor").await);
        assert_eq!(&asc[..4], ["A", "C", "D", "B"], "[{n}] ascending, ties by id: {asc:?}");
        assert_eq!(
            strs(&asc[4..].iter().map(String::as_str).collect::<Vec<_>>()),
            strs(&["N1", "N2"]),
            "[{n}] nulls last: {asc:?}"
        );
        let desc = names(&app.list_all("/api/v1/deals?sort=-amount_minor").await);
        assert_eq!(&desc[..4], ["B", "D", "C", "A"], "[{n}] descending, ties by id descending: {desc:?}");
        assert!(desc[4].starts_with('N') && desc[5].starts_with('N'), "[{n}] nulls last when descending too: {desc:?}");

        // Walking one row per page gives the same order, nulls included.
        for sort in ["amount_minor", "-amount_minor", "name", "-name", "-created_at"] {
            let whole = ids(&app.list_all(&format!("/api/v1/deals?sort={sort}")).await);
            let paged = ids(&app.list_all(&format!("/api/v1/deals?sort={sort}&limit=1")).await);
            assert_eq!(paged, whole, "[{n}] paging one by one with sort={sort}");
            assert_eq!(paged.len(), 6, "[{n}] sort={sort}");
        }
        let by_name = names(&app.list_all("/api/v1/deals?sort=-name").await);
        assert_eq!(by_name, ["N2", "N1", "D", "C", "B", "A"], "[{n}] -name");

        let bad = app.get("/api/v1/deals?sort=tags").await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("sort"), "sort by a list field");
        let bad = app.get("/api/v1/deals?sort=nope").await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("sort"), "sort by an unknown field");
    }
}

#[tokio::test]
async fn custom_fields_filter_and_sort() {
    for app in TestApp::all().await {
        let n = app.name();
        let cf = app.post("/api/v1/custom-fields/people", json!({"key": "score", "label": "Score", "type": "number"})).await;
        assert_status(&app, &cf, StatusCode::CREATED, "define number field");
        let cf = app
            .post(
                "/api/v1/custom-fields/people",
                json!({"key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver", "bronze"]}),
            )
            .await;
        assert_status(&app, &cf, StatusCode::CREATED, "define select field");
        let list = app.get("/api/v1/custom-fields/people").await;
        assert_eq!(list.body["items"].as_array().map(Vec::len), Some(2), "[{n}] {}", list.body);
        let dup = app.post("/api/v1/custom-fields/people", json!({"key": "score", "label": "Again", "type": "text"})).await;
        assert_problem(&app, &dup, StatusCode::UNPROCESSABLE_ENTITY, Some("key"), "duplicate custom field");

        for (name, custom) in [
            ("Ada", json!({"score": 9, "tier": "gold"})),
            ("Bob", json!({"score": 2.5, "tier": "silver"})),
            ("Cyd", json!({"score": 5})),
            ("Dan", json!({"tier": "gold"})),
            ("Eve", json!({"score": 12})),
        ] {
            app.create("people", json!({"first_name": name, "custom": custom})).await;
        }
        let bad = app.post("/api/v1/people", json!({"first_name": "Zed", "custom": {"tier": "platinum"}})).await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("custom.tier"), "select value not an option");
        let bad = app.post("/api/v1/people", json!({"first_name": "Zed", "custom": {"score": "high"}})).await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("custom.score"), "number field given text");
        let bad = app.post("/api/v1/people", json!({"first_name": "Zed", "custom": {"shoe": 42}})).await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("custom.shoe"), "undefined custom field");

        assert_eq!(names_of(&app, "/api/v1/people?custom.score[gte]=5").await, strs(&["Ada", "Cyd", "Eve"]), "[{n}] gte");
        assert_eq!(names_of(&app, "/api/v1/people?custom.score[lt]=5").await, strs(&["Bob"]), "[{n}] lt with a decimal");
        assert_eq!(names_of(&app, "/api/v1/people?custom.score=12").await, strs(&["Eve"]), "[{n}] eq");
        assert_eq!(names_of(&app, "/api/v1/people?custom.tier=gold").await, strs(&["Ada", "Dan"]), "[{n}] select eq");
        assert_eq!(names_of(&app, "/api/v1/people?custom.tier[in]=silver,bronze").await, strs(&["Bob"]), "[{n}] select in");
        assert_eq!(names_of(&app, "/api/v1/people?custom.tier[is_null]=true").await, strs(&["Cyd", "Eve"]), "[{n}] select unset");
        assert_eq!(names_of(&app, "/api/v1/people?custom.score[is_null]=true").await, strs(&["Dan"]), "[{n}] number unset");
        assert_eq!(
            names_of(&app, "/api/v1/people?custom.score[gte]=5&custom.tier=gold").await,
            strs(&["Ada"]),
            "[{n}] two custom filters"
        );

        let asc = names(&app.list_all("/api/v1/people?sort=custom.score").await);
        assert_eq!(asc, ["Bob", "Cyd", "Ada", "Eve", "Dan"], "[{n}] sort by custom number, nulls last");
        let desc = names(&app.list_all("/api/v1/people?sort=-custom.score").await);
        assert_eq!(desc, ["Eve", "Ada", "Cyd", "Bob", "Dan"], "[{n}] descending, nulls last");
        let paged = names(&app.list_all("/api/v1/people?sort=custom.score&limit=2").await);
        assert_eq!(paged, asc, "[{n}] paging by a custom field");
        let paged = names(&app.list_all("/api/v1/people?sort=-custom.score&limit=1").await);
        assert_eq!(paged, desc, "[{n}] paging by a custom field, descending");
        let by_tier = names(&app.list_all("/api/v1/people?sort=custom.tier&limit=1").await);
        assert_eq!(&by_tier[..3], ["Ada", "Dan", "Bob"], "[{n}] sort by select: {by_tier:?}");

        let bad = app.get("/api/v1/people?custom.score[gte]=lots").await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("custom.score[gte]"), "custom number filter value");
        let bad = app.get("/api/v1/people?custom.nope=1").await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("custom.nope"), "unknown custom filter");

        let del = app.delete("/api/v1/custom-fields/people/tier").await;
        assert_status(&app, &del, StatusCode::NO_CONTENT, "remove custom field");
        let gone = app.get("/api/v1/people?custom.tier=gold").await;
        assert_problem(&app, &gone, StatusCode::UNPROCESSABLE_ENTITY, Some("custom.tier"), "filter on a removed custom field");
    }
}

#[tokio::test]
async fn projection_and_include() {
    for app in TestApp::all().await {
        let n = app.name();
        let org = app.create("organizations", json!({"name": "Hooli"})).await;
        let p = app.create("people", json!({"first_name": "Gavin", "organizations": [{"id": org["id"], "role": "CEO"}]})).await;
        app.create("deals", json!({"name": "Box", "organization_id": org["id"], "people": [p["id"]], "amount_minor": 100})).await;
        app.create("deals", json!({"name": "Orphan"})).await;

        let a = app.get("/api/v1/deals?fields=name,amount_minor&sort=name").await;
        assert_status(&app, &a, StatusCode::OK, "fields=");
        for item in items(&a) {
            let keys: HashSet<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, HashSet::from(["id", "version", "name", "amount_minor"]), "[{n}] projected keys: {item}");
        }
        let g = app.get(&format!("/api/v1/organizations/{}?fields=name", id(&org))).await;
        assert_status(&app, &g, StatusCode::OK, "fields= on one record");
        assert_eq!(g.body.as_object().map(|o| o.len()), Some(3), "[{n}] {}", g.body);
        let bad = app.get("/api/v1/deals?fields=name,shoe").await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("fields"), "unknown projected field");

        let a = app.get("/api/v1/deals?include=organization,people&sort=name").await;
        assert_status(&app, &a, StatusCode::OK, "include=");
        let list = items(&a);
        assert_eq!(list[0]["name"], "Box", "[{n}]");
        assert_eq!(list[0]["included"]["organization"]["name"], "Hooli", "[{n}] included organization: {}", list[0]);
        assert_eq!(list[0]["included"]["people"][0]["name"], "Gavin", "[{n}] included people");
        assert_eq!(list[1]["included"]["organization"], Value::Null, "[{n}] nothing to include");
        assert_eq!(list[1]["included"]["people"], json!([]), "[{n}]");

        let a = app.get("/api/v1/people?include=organizations&fields=name").await;
        assert_status(&app, &a, StatusCode::OK, "include with fields");
        let list = items(&a);
        assert_eq!(list[0]["included"]["organizations"][0]["name"], "Hooli", "[{n}] {}", a.body);

        let bad = app.get("/api/v1/deals?include=pipeline_stage").await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("include"), "unknown include");
    }
}

/// Pages through `path` with `limit=25`, inserting new people between pages.
/// Returns every id seen; panics on a repeat.
async fn page_while_inserting(app: &TestApp, path: &str, inserted: &mut usize) -> Vec<String> {
    let n = app.name();
    let mut seen = Vec::new();
    let mut unique = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            None => format!("{path}&limit=25"),
            Some(c) => format!("{path}&limit=25&cursor={c}"),
        };
        let a = app.get(&url).await;
        assert_status(app, &a, StatusCode::OK, &url);
        let page = items(&a);
        assert!(page.len() <= 25, "[{n}] page larger than the limit");
        for r in &page {
            assert!(unique.insert(id(r)), "[{n}] {path}: row {} returned twice", r["name"]);
            seen.push(id(r));
        }
        // New rows land before, inside and after the rows already read.
        for name in [format!("!new {inserted:03}"), format!("Person {:03}x", 10 * pages + 5), format!("zz new {inserted:03}")] {
            app.create("people", json!({"first_name": name, "tags": ["late"]})).await;
            *inserted += 1;
        }
        pages += 1;
        assert!(pages < 40, "[{n}] {path}: paging does not end");
        match a.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return seen,
        }
    }
}

#[tokio::test]
async fn keyset_pagination_survives_inserts() {
    for app in TestApp::all().await {
        let n = app.name();
        let batch: Vec<Value> = (0..120).map(|i| json!({"first_name": format!("Person {:03}", (i * 37) % 120)})).collect();
        let a = app.post("/api/v1/people/bulk", json!({"items": batch})).await;
        assert_status(&app, &a, StatusCode::CREATED, "bulk create 120 people");
        let before: HashSet<String> = id_set(&app.list_all("/api/v1/people?limit=500").await);
        assert_eq!(before.len(), 120, "[{n}]");

        let mut inserted = 0;
        for sort in ["name", "-name", "id", "-created_at", "created_at"] {
            let seen = page_while_inserting(&app, &format!("/api/v1/people?sort={sort}"), &mut inserted).await;
            let seen_set: HashSet<String> = seen.iter().cloned().collect();
            let missing = before.difference(&seen_set).count();
            assert_eq!(missing, 0, "[{n}] sort={sort}: {missing} rows that existed before paging were never returned");
        }
        // Default order (by id) too, with no sort parameter.
        let seen = page_while_inserting(&app, "/api/v1/people?tags[is_null]=true", &mut inserted).await;
        let seen_set: HashSet<String> = seen.iter().cloned().collect();
        assert_eq!(seen_set, before, "[{n}] default order: exactly the original rows (new ones are tagged)");

        // Sorted pages are in order across page boundaries.
        let by_name = app.list_all("/api/v1/people?sort=name&limit=7").await;
        let nm = names(&by_name);
        let mut sorted = nm.clone();
        sorted.sort();
        assert_eq!(nm, sorted, "[{n}] names ascending across pages");
        let by_id = ids(&app.list_all("/api/v1/people?limit=9").await);
        let mut sorted = by_id.clone();
        sorted.sort();
        assert_eq!(by_id, sorted, "[{n}] ids ascending by default");

        for bad in ["garbage!", "eyJ4IjoxfQ", "bm90IGpzb24"] {
            let a = app.get(&format!("/api/v1/people?cursor={}", enc(bad))).await;
            assert_problem(&app, &a, StatusCode::UNPROCESSABLE_ENTITY, Some("cursor"), &format!("bad cursor {bad}"));
        }
        // A cursor made for one sort order is refused for another.
        let first = app.get("/api/v1/people?sort=name&limit=5").await;
        let c = first.body["next_cursor"].as_str().expect("a next cursor").to_string();
        let a = app.get(&format!("/api/v1/people?sort=-created_at&limit=5&cursor={c}")).await;
        assert_problem(&app, &a, StatusCode::UNPROCESSABLE_ENTITY, Some("cursor"), "cursor of another sort");

        for bad in ["0", "501", "-1", "ten"] {
            let a = app.get(&format!("/api/v1/people?limit={bad}")).await;
            assert_problem(&app, &a, StatusCode::UNPROCESSABLE_ENTITY, Some("limit"), &format!("limit={bad}"));
        }
        assert!(inserted > 0, "[{n}]");
    }
}

/// Paging by any sortable field returns every row once, in the same order as one big page.
#[tokio::test]
async fn paging_by_every_sortable_type() {
    for app in TestApp::all().await {
        let n = app.name();
        for (key, ty) in [("met_on", "date"), ("met_at", "date_time"), ("vip", "boolean"), ("region", "text")] {
            let a = app.post("/api/v1/custom-fields/people", json!({"key": key, "label": key, "type": ty})).await;
            assert_status(&app, &a, StatusCode::CREATED, "define field");
        }
        let other = app.create("users", json!({"email": "owner@example.com", "name": "Owner"})).await;
        let owners = [json!(app.user_id), json!(other["id"]), Value::Null];
        let stages = [json!("lead"), Value::Null, json!("customer"), json!("lead")];
        let days = [json!("1990-05-01"), Value::Null, json!("1985-01-31"), json!("1990-05-01"), json!("2001-12-25")];
        for i in 0..13usize {
            let mut custom = json!({});
            if i % 3 != 0 {
                custom["met_on"] = days[i % 5].clone();
                custom["met_at"] = json!(format!("2025-0{}-1{}T10:00:00+02:00", 1 + i % 4, i % 3));
                custom["vip"] = json!(i % 2 == 0);
                custom["region"] = json!(["Nord", "Sud", "Est"][i % 3]);
            }
            app.create(
                "people",
                json!({
                    "first_name": format!("P{}", i % 4),
                    "last_name": if i % 5 == 0 { Value::Null } else { json!(format!("L{}", i % 3)) },
                    "lifecycle_stage": stages[i % 4],
                    "birthday": days[i % 5],
                    "do_not_call": i % 2 == 0,
                    "owner_id": owners[i % 3],
                    "custom": custom
                }),
            )
            .await;
        }
        for i in 0..4 {
            // Some rows change, so versions and updated_at differ.
            let all = app.list_all("/api/v1/people?limit=500").await;
            app.patch(&format!("/api/v1/people/{}", id(&all[i * 3])), json!({"title": format!("T{i}")})).await;
        }
        let mut failures = Vec::new();
        for field in [
            "name",
            "last_name",
            "title",
            "lifecycle_stage",
            "birthday",
            "do_not_call",
            "owner_id",
            "version",
            "created_at",
            "updated_at",
            "custom.met_on",
            "custom.met_at",
            "custom.vip",
            "custom.region",
        ] {
            for sort in [field.to_string(), format!("-{field}")] {
                let whole = app.get(&format!("/api/v1/people?sort={sort}&limit=500")).await;
                if whole.status != StatusCode::OK {
                    failures.push(format!("sort={sort}: {} {}", whole.status, whole.body));
                    continue;
                }
                let whole = ids(&items(&whole));
                let mut paged = Vec::new();
                let mut cursor: Option<String> = None;
                for _ in 0..20 {
                    let url = match &cursor {
                        None => format!("/api/v1/people?sort={sort}&limit=2"),
                        Some(c) => format!("/api/v1/people?sort={sort}&limit=2&cursor={c}"),
                    };
                    let a = app.get(&url).await;
                    if a.status != StatusCode::OK {
                        failures.push(format!("sort={sort}, page {}: {} {}", paged.len() / 2, a.status, a.body));
                        break;
                    }
                    paged.extend(ids(&items(&a)));
                    match a.body["next_cursor"].as_str() {
                        Some(c) => cursor = Some(c.to_string()),
                        None => break,
                    }
                }
                if paged != whole {
                    failures.push(format!(
                        "sort={sort}: paging gave {} rows ({} distinct), one page {}",
                        paged.len(),
                        id_set_of(&paged),
                        whole.len()
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "[{n}] paging by sort keys:\n{}", failures.join("\n"));
    }
}

fn id_set_of(ids: &[String]) -> usize {
    ids.iter().collect::<HashSet<_>>().len()
}

/// `contains` ignores case for accented letters too (names in a French workspace).
#[tokio::test]
async fn contains_ignores_case_beyond_ascii() {
    for app in TestApp::all().await {
        let n = app.name();
        app.create("organizations", json!({"name": "Société Générale"})).await;
        app.create("organizations", json!({"name": "ÉCOLE POLYTECHNIQUE"})).await;
        assert_eq!(
            names_of(&app, &format!("/api/v1/organizations?name[contains]={}", enc("SOCIÉTÉ"))).await,
            strs(&["Société Générale"]),
            "[{n}] upper-case accented query"
        );
        assert_eq!(
            names_of(&app, &format!("/api/v1/organizations?name[contains]={}", enc("école"))).await,
            strs(&["ÉCOLE POLYTECHNIQUE"]),
            "[{n}] lower-case accented query"
        );
    }
}

/// A list narrowed to the records linked to one record (a person's deals)
/// keeps the order asked for, whichever way the database finds the rows.
#[tokio::test]
async fn a_list_of_linked_records_keeps_its_sort() {
    for app in TestApp::all().await {
        let n = app.name();
        let person = app.create("people", json!({"first_name": "Sorted", "last_name": "Deals"})).await;
        let pid = id(&person);
        let mut made = Vec::new();
        for name in ["First", "Second", "Third"] {
            made.push(id(&app.create("deals", json!({"name": name, "people": [pid]})).await));
        }
        app.create("deals", json!({"name": "Someone else's"})).await;
        // The first deal changes last, so it is the most recently updated.
        let touched = app.patch(&format!("/api/v1/deals/{}", made[0]), json!({"name": "First, renamed"})).await;
        assert_status(&app, &touched, StatusCode::OK, "rename");
        let newest = items(&app.get(&format!("/api/v1/deals?people={pid}&sort=-updated_at")).await);
        let names: Vec<&str> = newest.iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["First, renamed", "Third", "Second"], "[{n}]");
        let first_page = app.get(&format!("/api/v1/deals?people={pid}&sort=name&limit=2")).await;
        let by_name = items(&first_page);
        let names: Vec<&str> = by_name.iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["First, renamed", "Second"], "[{n}]");
        // The next page of a list filtered by a link (ids first, then rows) goes on where the first stopped.
        let cursor = first_page.body["next_cursor"].as_str().expect("a next page").to_string();
        let rest = app.get(&format!("/api/v1/deals?people={pid}&sort=name&limit=2&cursor={cursor}")).await;
        let rest_items = items(&rest);
        let names: Vec<&str> = rest_items.iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Third"], "[{n}]");
        assert!(rest.body["next_cursor"].is_null(), "[{n}] the last page");
    }
}
