//! Exports of a list in every format, with the list's filters and sort, and a
//! whole workspace exported and imported into a fresh one with nothing lost.

mod io_support;

use std::collections::BTreeMap;

use io_support::{counts, get_text, import, parse_csv};
use rapport_store::Backend;
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Map, Value, json};

async fn some_people(app: &TestApp) {
    let acme = app.create("organizations", json!({"name": "Acme", "domains": ["acme.example"]})).await;
    app.create(
        "people",
        json!({"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "ada@acme.example", "label": "work"}], "phones": ["06 12 34 56 78"],
               "lifecycle_stage": "customer", "tags": ["vip", "math"], "organizations": [{"id": acme["id"], "role": "Analyst"}],
               "address": {"street": "1 rue de la Paix", "city": "Paris", "country": "FR"}, "birthday": "1815-12-10"}),
    )
    .await;
    app.create(
        "people",
        json!({"first_name": "Grace", "last_name": "Hopper", "emails": ["grace@navy.example"], "lifecycle_stage": "lead"}),
    )
    .await;
    app.create(
        "people",
        json!({"first_name": "Alan", "last_name": "Turing", "lifecycle_stage": "customer", "title": "Codebreaker, \"Prof\""}),
    )
    .await;
}

#[tokio::test]
async fn exports_in_every_format() {
    for app in TestApp::all().await {
        let n = app.name();
        some_people(&app).await;
        // CSV, with the list's filters and sort.
        let (status, headers, csv) =
            get_text(&app, "/api/v1/people/export?format=csv&lifecycle_stage=customer&sort=-last_name").await;
        assert_eq!(status, StatusCode::OK, "[{n}] {csv}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"), "[{n}]");
        assert!(headers["content-disposition"].to_str().unwrap().contains("people.csv"), "[{n}]");
        let records = parse_csv(&csv);
        let header = records[0].clone();
        for col in [
            "id",
            "first_name",
            "last_name",
            "emails",
            "phones",
            "organizations",
            "organization",
            "address.city",
            "tags",
            "external_id",
            "owner",
            "created_at",
        ] {
            assert!(header.contains(&col.to_string()), "[{n}] {col} in {header:?}");
        }
        let rows: Vec<BTreeMap<String, String>> =
            records[1..].iter().map(|r| header.iter().cloned().zip(r.iter().cloned()).collect()).collect();
        assert_eq!(rows.len(), 2, "[{n}] only customers: {csv}");
        assert_eq!(rows[0]["last_name"], "Turing", "[{n}] sorted");
        assert_eq!(rows[0]["title"], "Codebreaker, \"Prof\"", "[{n}] quoted");
        assert_eq!(rows[1]["emails"], "ada@acme.example", "[{n}]");
        assert_eq!(rows[1]["organization"], "Acme", "[{n}] the name beside the id");
        assert_eq!(rows[1]["tags"], "vip; math", "[{n}]");
        assert_eq!(rows[1]["address.city"], "Paris", "[{n}]");
        assert_eq!(rows[1]["owner"], "admin@example.com", "[{n}]");

        // JSON: the records as the API shows them.
        let (status, _, body) = get_text(&app, "/api/v1/people/export?format=json&sort=first_name").await;
        assert_eq!(status, StatusCode::OK, "[{n}] {body}");
        let items: Vec<Value> = rapport_testkit::serde_json::from_str(&body).unwrap();
        let listed = app.list_all("/api/v1/people?sort=first_name").await;
        assert_eq!(items, listed, "[{n}] the same records as the list");
        let (_, headers, body) = get_text(&app, "/api/v1/people/export?format=jsonl&q=grace").await;
        assert_eq!(headers["content-type"], "application/x-ndjson", "[{n}]");
        assert_eq!(body.lines().count(), 1, "[{n}] the search narrows it: {body}");

        // vCard 4.0.
        let (status, headers, vcf) = get_text(&app, "/api/v1/people/export?format=vcard").await;
        assert_eq!(status, StatusCode::OK, "[{n}] {vcf}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/vcard"), "[{n}]");
        assert_eq!(vcf.matches("BEGIN:VCARD").count(), 3, "[{n}]");
        assert!(vcf.contains("VERSION:4.0"), "[{n}]");
        assert!(vcf.contains("FN:Ada Lovelace"), "[{n}] {vcf}");
        assert!(vcf.contains("ORG:Acme"), "[{n}] {vcf}");
        assert!(vcf.contains("EMAIL;TYPE=WORK;PREF=1:ada@acme.example"), "[{n}] {vcf}");
        let (_, _, orgs) = get_text(&app, "/api/v1/organizations/export?format=vcard").await;
        assert!(orgs.to_lowercase().contains("kind:org"), "[{n}] {orgs}");
        assert!(orgs.lines().any(|l| l.starts_with("REV:") && l.len() == 20), "[{n}] REV without fractions: {orgs}");
        let a = app.get("/api/v1/deals/export?format=vcard").await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", a.body);
        let a = app.get("/api/v1/people/export?format=xls").await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        let a = app.get("/api/v1/people/export?shoe_size=42").await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] filters are checked as for the list");

        // What was exported imports back into another workspace as it was.
        let other = match app.backend {
            Backend::Sqlite => TestApp::sqlite().await,
            Backend::Postgres => TestApp::postgres().await.expect("postgres"),
        };
        let (_, _, all_csv) = get_text(&app, "/api/v1/people/export?format=csv").await;
        let job = import(&other, "kind=people", "text/csv", all_csv.clone()).await;
        assert_eq!(counts(&job), (3, 0, 0, 0), "[{n}] {job}");
        let back = other.list_all("/api/v1/people?sort=first_name").await;
        for (a, b) in listed.iter().zip(&back) {
            for f in [
                "first_name",
                "last_name",
                "primary_email",
                "primary_phone",
                "title",
                "lifecycle_stage",
                "tags",
                "address",
                "birthday",
            ] {
                assert_eq!(a[f], b[f], "[{n}] {f} of {}", a["first_name"]);
            }
        }
        // vCards too.
        let (_, _, vcf) = get_text(&app, "/api/v1/people/export?format=vcard").await;
        let third = match app.backend {
            Backend::Sqlite => TestApp::sqlite().await,
            Backend::Postgres => TestApp::postgres().await.expect("postgres"),
        };
        let job = import(&third, "kind=people", "text/vcard", vcf).await;
        assert_eq!(counts(&job), (3, 0, 0, 0), "[{n}] {job}");
        let back = third.list_all("/api/v1/people?sort=first_name").await;
        assert_eq!(back[0]["emails"][0]["label"], "work", "[{n}] {}", back[0]);
        assert_eq!(back[0]["birthday"], "1815-12-10", "[{n}]");
    }
}

/// A record without what differs between workspaces: ids, times, authors,
/// versions; references are replaced by the names they lead to.
fn comparable(r: &Value, names: &BTreeMap<String, String>) -> Value {
    let name = |v: &Value| v.as_str().and_then(|id| names.get(id)).cloned().map(Value::String).unwrap_or(v.clone());
    let mut out = Map::new();
    for (k, v) in r.as_object().unwrap() {
        if ["id", "created_at", "updated_at", "created_by", "updated_by", "version", "stage_entered_at", "closed_at"]
            .contains(&k.as_str())
        {
            continue;
        }
        let v = match v {
            Value::String(_) if k.ends_with("_id") => name(v),
            // Relation fields hold ids too.
            Value::Object(custom) if k == "custom" => Value::Object(
                custom
                    .iter()
                    .map(|(f, v)| {
                        let v = match v {
                            Value::Array(items) => Value::Array(items.iter().map(name).collect()),
                            other => name(other),
                        };
                        (f.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(items) if ["organizations", "people", "deals", "objects"].contains(&k.as_str()) => {
                let mut items: Vec<Value> = items
                    .iter()
                    .map(|i| match i {
                        Value::Object(o) => json!({"id": name(&o["id"]), "role": o.get("role").cloned().unwrap_or(Value::Null)}),
                        other => name(other),
                    })
                    .collect();
                items.sort_by_key(|i| i.to_string());
                Value::Array(items)
            }
            other => other.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

/// Every record of every kind, custom kinds included, keyed and made comparable.
async fn snapshot(app: &TestApp) -> BTreeMap<String, Value> {
    let mut names = BTreeMap::new();
    let mut all = Vec::new();
    let mut lists: Vec<String> =
        ["organizations", "people", "deals", "activities", "tasks", "users"].map(|c| format!("/api/v1/{c}")).to_vec();
    for t in app.get("/api/v1/object-types").await.body["items"].as_array().unwrap() {
        lists.push(format!("/api/v1/objects/{}", t["key"].as_str().unwrap()));
        if let Some(p) = t["pipeline"].as_object() {
            for s in p["stages"].as_array().unwrap() {
                names.insert(s["id"].as_str().unwrap().to_string(), format!("stage:{}:{}", t["key"], s["name"]));
            }
            names.insert(p["id"].as_str().unwrap().to_string(), format!("pipeline:{}", t["key"]));
        }
    }
    for path in &lists {
        let c = path.rsplit('/').next().unwrap().to_string();
        for r in app.list_all(path).await {
            let label = r["name"].as_str().or(r["subject"].as_str()).or(r["title"].as_str()).unwrap_or_default().to_string();
            names.insert(r["id"].as_str().unwrap().to_string(), format!("{c}:{label}"));
            all.push((c.clone(), label, r));
        }
    }
    for p in app.get("/api/v1/pipelines").await.body["items"].as_array().unwrap() {
        names.insert(p["id"].as_str().unwrap().to_string(), format!("pipeline:{}", p["name"]));
        for s in p["stages"].as_array().unwrap() {
            names.insert(s["id"].as_str().unwrap().to_string(), format!("stage:{}:{}", p["name"], s["name"]));
        }
    }
    all.into_iter()
        .filter(|(c, _, _)| c != "users")
        .map(|(c, label, r)| (format!("{c}:{label}"), comparable(&r, &names)))
        .collect()
}

#[tokio::test]
async fn a_workspace_exported_and_imported_into_a_fresh_one_loses_nothing() {
    for a in TestApp::all().await {
        let n = a.name();
        let b = match a.backend {
            Backend::Sqlite => TestApp::sqlite().await,
            Backend::Postgres => TestApp::postgres().await.expect("postgres"),
        };
        // Workspace A: custom fields, a second pipeline, a group of organizations, people, deals, activities.
        for (c, def) in [
            ("people", json!({"key": "shoe_size", "label": "Shoe size", "type": "number"})),
            ("organizations", json!({"key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]})),
        ] {
            let r = a.post(&format!("/api/v1/custom-fields/{c}"), def).await;
            assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.body);
        }
        let renewals = a
            .post("/api/v1/pipelines", json!({"name": "Renewals", "stages": [{"name": "Due", "probability": 50}, {"name": "Renewed", "probability": 100, "outcome": "won"}, {"name": "Churned", "probability": 0, "outcome": "lost"}]}))
            .await;
        assert_eq!(renewals.status, StatusCode::CREATED, "[{n}] {}", renewals.body);
        let sales = a.create("users", json!({"email": "sam@example.com", "name": "Sam Sales", "role": "member"})).await;
        // The child is created before its parent is named, so that the parent comes later in the export.
        let emea = a.create("organizations", json!({"name": "Acme EMEA", "custom": {"tier": "silver"}})).await;
        let acme = a
            .create("organizations", json!({"name": "Acme", "domains": ["acme.example"], "industry": "Robotics", "size": "51-200", "relationship": "customer",
                "addresses": [{"label": "HQ", "street": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}],
                "phones": [{"number": "01 42 68 53 00", "label": "main"}], "tags": ["key"], "external_id": "crm-1", "custom": {"tier": "gold"}, "owner_id": sales["id"]}))
            .await;
        a.patch(&format!("/api/v1/organizations/{}", emea["id"].as_str().unwrap()), json!({"parent_id": acme["id"]})).await;
        let ada = a
            .create("people", json!({"first_name": "Ada", "last_name": "Lovelace", "emails": [{"address": "ada@acme.example", "label": "work"}, "ada@home.example"],
                "phones": [{"number": "06 12 34 56 78", "label": "mobile"}], "title": "Analyst", "organizations": [{"id": acme["id"], "role": "Champion"}, {"id": emea["id"]}],
                "lifecycle_stage": "customer", "lead_source": "Referral", "preferred_channel": "email", "do_not_call": true, "tags": ["vip"],
                "address": {"street": "12 St James's Square", "city": "London", "country": "GB"}, "birthday": "1815-12-10", "custom": {"shoe_size": 38}}))
            .await;
        let grace = a.create("people", json!({"first_name": "Grace", "last_name": "Hopper", "owner_id": sales["id"]})).await;
        let stages = renewals.body["stages"].as_array().unwrap();
        let deal = a
            .create("deals", json!({"name": "Acme renewal", "organization_id": acme["id"], "people": [{"id": ada["id"], "role": "Decision maker"}, {"id": grace["id"]}],
                "pipeline_id": renewals.body["id"], "stage_id": stages[0]["id"], "amount_minor": 1250000, "currency": "USD", "expected_close_date": "2026-06-30",
                "next_step": "Send the quote", "tags": ["renewal"], "external_id": "opp-9"}))
            .await;
        a.create("deals", json!({"name": "Lost cause", "status": "lost", "lost_reason": "Budget"})).await;
        a.create("activities", json!({"type": "call", "direction": "outbound", "occurred_at": "2026-01-15T10:00:00Z", "duration_seconds": 300, "subject": "Kick-off",
                "body": "Went well.\nNext: a demo.", "outcome": "connected", "people": [ada["id"]], "organizations": [acme["id"]], "deals": [deal["id"]]}))
            .await;
        a.create(
            "activities",
            json!({"type": "note", "subject": "Remember", "body": "Grace likes COBOL", "people": [grace["id"]]}),
        )
        .await;
        // A custom kind with a status, its fields (one a relation), a record, and a task about it.
        let contracts = a
            .post("/api/v1/object-types", json!({"key": "contract", "singular": "Contract", "plural": "Contracts", "has_status": true,
                "fields": [{"key": "code", "label": "Code", "type": "text", "identifies": true}, {"key": "client", "label": "Client", "type": "relation", "target": "organization"},
                           {"key": "seats", "label": "Seats", "type": "number"}],
                "list_fields": ["name", "custom.code", "stage_id"], "record_fields": ["custom.client", "custom.seats", "owner_id"]}))
            .await;
        assert_eq!(contracts.status, StatusCode::CREATED, "[{n}] {}", contracts.body);
        let signed = contracts.body["pipeline"]["stages"][1]["id"].clone();
        let msa = a
            .post(
                "/api/v1/objects/contract",
                json!({"name": "Acme MSA", "stage_id": signed, "owner_id": sales["id"],
            "custom": {"code": "MSA-1", "client": acme["id"], "seats": 40}}),
            )
            .await;
        assert_eq!(msa.status, StatusCode::CREATED, "[{n}] {}", msa.body);
        a.create("tasks", json!({"title": "Renew the MSA", "due_at": "2026-09-01T09:00:00Z", "assignee_user_id": sales["id"], "priority": "high",
                "people": [ada["id"]], "objects": [msa.body["id"]]}))
            .await;

        let (status, headers, export) = get_text(&a, "/api/v1/export").await;
        assert_eq!(status, StatusCode::OK, "[{n}] {export}");
        assert_eq!(headers["content-type"], "application/x-ndjson", "[{n}]");
        assert!(export.lines().next().unwrap().contains("\"rapport_export\":1"), "[{n}]");

        let job = import(&b, "", "application/x-ndjson", export.clone()).await;
        assert_eq!(job["kind"], "workspace", "[{n}] {job}");
        assert_eq!(
            counts(&job),
            (10, 0, 0, 0),
            "[{n}] 2 organizations, 2 people, 2 deals, a contract, 2 activities, a task: {job}"
        );
        assert_eq!(job["errors"], json!([]), "[{n}] {job}");

        let (before, after) = (snapshot(&a).await, snapshot(&b).await);
        assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "[{n}]");
        for (k, v) in &before {
            assert_eq!(v, &after[k], "[{n}] {k} differs");
        }
        let cf = b.get("/api/v1/custom-fields/organizations").await;
        assert_eq!(cf.body["items"][0]["options"], json!(["gold", "silver"]), "[{n}] {}", cf.body);
        let kind = b.get("/api/v1/object-types/contract").await;
        assert_eq!(kind.status, StatusCode::OK, "[{n}] the custom kind came too");
        assert_eq!(kind.body["list_fields"], json!(["name", "custom.code", "stage_id"]), "[{n}] {}", kind.body);
        assert_eq!(kind.body["record_fields"], json!(["custom.client", "custom.seats", "owner_id"]), "[{n}]");
        assert_eq!(kind.body["fields"][0]["identifies"], true, "[{n}] {}", kind.body);

        // Again: everything is found, nothing is duplicated.
        let again = import(&b, "", "application/x-ndjson", export).await;
        assert_eq!(counts(&again), (0, 0, 10, 0), "[{n}] {again}");
        assert_eq!(snapshot(&b).await, after, "[{n}]");
    }
}
