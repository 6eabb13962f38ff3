//! Record kinds defined by an admin, through the API: a "contract" kind with
//! relations to an organization and people used end to end (definition,
//! records, filters, links, timelines on both sides, search, deletion), its
//! permissions, and the stages of a kind with a status.

#[path = "common/access.rs"]
mod access;

use access::{Office, call, issue_token};
use rapport_domain::Kind;
use rapport_domain::access::TokenScope;
use rapport_testkit::reqwest::Method;
use rapport_testkit::serde_json::{Value, json};
use rapport_testkit::{Answer, TestApp};

#[track_caller]
fn status(app: &TestApp, a: &Answer, expected: u16, what: &str) {
    assert_eq!(a.status.as_u16(), expected, "[{}] {what}: {}", app.name(), a.body);
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

fn ids(a: &Answer) -> Vec<String> {
    a.body["items"].as_array().map(|i| i.iter().map(id_of).collect()).unwrap_or_default()
}

/// Defines the contract kind: a relation to one organization, to many people, a number and a text.
async fn define_contracts(app: &TestApp) {
    let a = app
        .post(
            "/api/v1/object-types",
            json!({
                "key": "contract", "singular": "Contract", "plural": "Contracts",
                "fields": [
                    {"key": "organization", "label": "Organization", "type": "relation", "target": "organization"},
                    {"key": "signers", "label": "Signers", "type": "relation", "target": "person", "many": true},
                    {"key": "value", "label": "Value", "type": "number"},
                    {"key": "reference", "label": "Reference", "type": "text"}
                ],
                "list_fields": ["name", "custom.organization", "custom.value"]
            }),
        )
        .await;
    status(app, &a, 201, "define contracts");
    assert_eq!(a.header("location"), Some("/api/v1/object-types/contract"), "[{}]", app.name());
    assert_eq!(a.body["fields"].as_array().map(Vec::len), Some(4), "[{}] {}", app.name(), a.body);
    assert_eq!(a.body["has_status"], false, "[{}]", app.name());
}

#[tokio::test]
async fn a_custom_kind_with_relations_end_to_end() {
    for app in TestApp::all().await {
        let n = app.name();
        // Definitions that cannot be, each refused naming the field at fault.
        for (body, field) in [
            (json!({"key": "person", "singular": "P", "plural": "Ps"}), "key"),
            (json!({"key": "Bad Key", "singular": "P", "plural": "Ps"}), "key"),
            (json!({"key": "thing", "plural": "Things"}), "singular"),
            (
                json!({"key": "thing", "singular": "T", "plural": "Ts", "fields": [{"key": "x", "label": "X", "type": "relation"}]}),
                "fields[0].target",
            ),
            (
                json!({"key": "thing", "singular": "T", "plural": "Ts", "fields": [{"key": "x", "label": "X", "type": "relation", "target": "spaceship"}]}),
                "fields[0].target",
            ),
            (json!({"key": "thing", "singular": "T", "plural": "Ts", "list_fields": ["custom.nope"]}), "list_fields[0]"),
        ] {
            let a = app.post("/api/v1/object-types", body.clone()).await;
            status(&app, &a, 422, &format!("define {body}"));
            assert!(a.error_fields().contains(&field.to_string()), "[{n}] {body} names {field}: {}", a.body);
        }
        assert_eq!(app.get("/api/v1/object-types/thing").await.status.as_u16(), 404, "[{n}] nothing half-defined");
        define_contracts(&app).await;
        let again = app.post("/api/v1/object-types", json!({"key": "contract", "singular": "C", "plural": "Cs"})).await;
        status(&app, &again, 422, "the same key twice");

        let org = id_of(&app.create("organizations", json!({"name": "Umbrella Holdings"})).await);
        let other_org = id_of(&app.create("organizations", json!({"name": "Initech"})).await);
        let ada = id_of(&app.create("people", json!({"first_name": "Ada", "last_name": "Lovelace"})).await);
        let bob = id_of(&app.create("people", json!({"first_name": "Bob", "last_name": "Builder"})).await);

        // Relations must name records of the right kind in the workspace.
        for (custom, field) in [
            (json!({"organization": ada}), "custom.organization"),
            (json!({"organization": "not-an-id"}), "custom.organization"),
            (json!({"signers": [ada, org]}), "custom.signers"),
            (json!({"signers": ada}), "custom.signers"),
        ] {
            let a = app.post("/api/v1/objects/contract", json!({"name": "Bad", "custom": custom})).await;
            status(&app, &a, 422, &format!("contract with {custom}"));
            assert!(a.error_fields().contains(&field.to_string()), "[{n}] names {field}: {}", a.body);
        }
        let missing = app.post("/api/v1/objects/contract", json!({"custom": {"value": 1}})).await;
        status(&app, &missing, 422, "a contract without a name");
        assert!(missing.error_fields().contains(&"name".to_string()), "[{n}] {}", missing.body);
        status(&app, &app.post("/api/v1/objects/nosuch", json!({"name": "X"})).await, 404, "a kind that is not defined");

        let created = app
            .post(
                "/api/v1/objects/contract",
                json!({"name": "Master services agreement", "custom": {"organization": org, "signers": [ada, bob, ada], "value": 12000, "reference": "MSA-2026-17"}}),
            )
            .await;
        status(&app, &created, 201, "create a contract");
        let msa = id_of(&created.body);
        assert_eq!(created.header("location"), Some(format!("/api/v1/objects/contract/{msa}").as_str()), "[{n}]");
        assert_eq!(created.body["type"], "contract", "[{n}]");
        assert_eq!(created.body["owner_id"], json!(app.user_id.to_string()), "[{n}] the creator owns it");
        assert_eq!(created.body["custom"]["signers"], json!([ada, bob]), "[{n}] ids once each");
        let nda = id_of(
            &app.create("objects/contract", json!({"name": "Mutual NDA", "custom": {"organization": other_org, "value": 0}}))
                .await,
        );

        // Lists: filters on relations (one and many), on other fields, sort and keyset paging.
        assert_eq!(ids(&list(&app, &format!("custom.organization={org}")).await), vec![msa.clone()], "[{n}] by organization");
        assert_eq!(ids(&list(&app, &format!("custom.signers={bob}")).await), vec![msa.clone()], "[{n}] by one of many people");
        assert_eq!(ids(&list(&app, "custom.signers[is_null]=true").await), vec![nda.clone()], "[{n}] without signers");
        assert_eq!(ids(&list(&app, "custom.value[gt]=100").await), vec![msa.clone()], "[{n}] by number");
        assert_eq!(ids(&list(&app, "sort=name").await), vec![msa.clone(), nda.clone()], "[{n}] sorted by name");
        let first = list(&app, "sort=-name&limit=1").await;
        assert_eq!(ids(&first), vec![nda.clone()], "[{n}] page one");
        let cursor = first.body["next_cursor"].as_str().expect("a next page").to_string();
        assert_eq!(ids(&list(&app, &format!("sort=-name&limit=1&cursor={cursor}")).await), vec![msa.clone()], "[{n}] page two");
        status(&app, &list(&app, "custom.nope=1").await, 422, "filter on an unknown field");
        // Another kind's list does not show contracts.
        define_kind(&app, "property", false).await;
        assert!(ids(&app.get("/api/v1/objects/property").await).is_empty(), "[{n}] kinds apart");
        status(&app, &app.get(&format!("/api/v1/objects/property/{msa}")).await, 404, "a contract under another kind");

        // The target's side: related records and timelines show the contract.
        let related = app.get(&format!("/api/v1/organizations/{org}/related")).await;
        status(&app, &related, 200, "related to the organization");
        assert_eq!(related.body["items"][0]["record"]["id"], json!(msa), "[{n}] {}", related.body);
        assert_eq!(related.body["items"][0]["field"], "organization", "[{n}]");
        let person_related = app.get(&format!("/api/v1/people/{bob}/related")).await;
        assert_eq!(ids_of_related(&person_related), vec![msa.clone()], "[{n}] related to a signer");
        for path in [format!("/api/v1/organizations/{org}/timeline"), format!("/api/v1/people/{ada}/timeline")] {
            let t = app.get(&path).await;
            status(&app, &t, 200, &path);
            assert!(
                t.body["items"].as_array().unwrap().iter().any(|i| i["record_id"] == json!(msa) && i["action"] == "created"),
                "[{n}] {path} shows the contract created: {}",
                t.body
            );
        }
        // Activities and tasks concern a contract: its own timeline.
        let call_id =
            id_of(&app.create("activities", json!({"type": "call", "subject": "Renewal terms", "objects": [msa]})).await);
        let task_id = id_of(&app.create("tasks", json!({"title": "Send the countersigned copy", "objects": [msa]})).await);
        let t = app.get(&format!("/api/v1/objects/contract/{msa}/timeline")).await;
        status(&app, &t, 200, "the contract's timeline");
        let types: Vec<&str> = t.body["items"].as_array().unwrap().iter().filter_map(|i| i["type"].as_str()).collect();
        assert!(types.contains(&"activity") && types.contains(&"task") && types.contains(&"change"), "[{n}] {}", t.body);
        assert!(t.body.to_string().contains(&call_id) && t.body.to_string().contains(&task_id), "[{n}]");
        let calls = app.get(&format!("/api/v1/activities?objects={msa}")).await;
        assert_eq!(ids(&calls), vec![call_id], "[{n}] activities filtered by contract");

        // Changes: version checks, a kind that cannot change, a changed relation re-linked.
        let path = format!("/api/v1/objects/contract/{msa}");
        let stale = app.send(Method::PATCH, &path, Some(&json!({"name": "MSA"})), &[("If-Match", "\"7\"")]).await;
        status(&app, &stale, 412, "a stale If-Match");
        let moved =
            app.send(Method::PATCH, &path, Some(&json!({"custom": {"organization": other_org}})), &[("If-Match", "\"1\"")]).await;
        status(&app, &moved, 200, "move the contract to another organization");
        assert_eq!(moved.header("etag"), Some("\"2\""), "[{n}]");
        assert_eq!(moved.body["custom"]["value"], 12000, "[{n}] a merge patch keeps the other values");
        assert!(ids_of_related(&app.get(&format!("/api/v1/organizations/{org}/related")).await).is_empty(), "[{n}] unlinked");
        assert_eq!(ids(&list(&app, &format!("custom.organization={other_org}")).await).len(), 2, "[{n}] relinked");
        status(&app, &app.patch(&path, json!({"type": "property"})).await, 422, "change a record's kind");
        let history = app.get(&format!("{path}/history")).await;
        assert_eq!(history.body["items"].as_array().map(Vec::len), Some(2), "[{n}] {}", history.body);

        // Search finds contracts by name and by text fields.
        for q in ["services agreement", "MSA-2026-17"] {
            let s = app.get(&format!("/api/v1/search?q={}", q.replace(' ', "%20"))).await;
            status(&app, &s, 200, q);
            let hit = s.body["items"].as_array().unwrap().iter().find(|h| h["id"] == json!(msa)).cloned();
            let hit = hit.unwrap_or_else(|| panic!("[{n}] '{q}' finds the contract: {}", s.body));
            assert_eq!((hit["kind"].as_str(), hit["type"].as_str()), (Some("object"), Some("contract")), "[{n}] {hit}");
        }
        let s = app.get("/api/v1/objects/contract?q=mutual").await;
        assert_eq!(ids(&s), vec![nda.clone()], "[{n}] list search");

        // A relation on a built-in kind, pointing at a custom kind.
        let f = app
            .post(
                "/api/v1/custom-fields/deals",
                json!({"key": "contract", "label": "Contract", "type": "relation", "target": "contract"}),
            )
            .await;
        status(&app, &f, 201, "a relation field on deals");
        let wrong = app.post("/api/v1/deals", json!({"name": "Renewal", "custom": {"contract": org}})).await;
        status(&app, &wrong, 422, "a deal pointing at an organization as a contract");
        let deal = id_of(&app.create("deals", json!({"name": "Renewal", "custom": {"contract": msa}})).await);
        assert_eq!(ids(&app.get(&format!("/api/v1/deals?custom.contract={msa}")).await), vec![deal.clone()], "[{n}]");
        let rel = app.get(&format!("/api/v1/objects/contract/{msa}/related")).await;
        assert_eq!(ids_of_related(&rel), vec![deal.clone()], "[{n}] the contract lists the deal: {}", rel.body);
        status(&app, &app.delete(&format!("/api/v1/deals/{deal}")).await, 204, "delete the deal");

        // Deleting a target detaches it; a kind with records is not deleted.
        status(&app, &app.delete(&format!("/api/v1/people/{bob}")).await, 204, "delete a signer");
        let after = app.get(&path).await;
        assert_eq!(after.body["custom"]["signers"], json!([ada]), "[{n}] the signer is gone from the contract");
        status(&app, &app.delete("/api/v1/object-types/contract").await, 409, "delete a kind with records");
        status(&app, &app.delete(&path).await, 204, "delete the contract");
        status(&app, &app.get(&path).await, 404, "the deleted contract");
        status(&app, &app.delete(&format!("/api/v1/objects/contract/{nda}")).await, 204, "delete the NDA");
        assert!(ids_of_related(&app.get(&format!("/api/v1/people/{ada}/related")).await).is_empty(), "[{n}] links gone");
        status(&app, &app.delete("/api/v1/object-types/contract").await, 204, "delete the empty kind");
        let audit = app.get("/api/v1/audit?limit=50").await;
        let actions: Vec<&str> = audit.body["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
        assert!(actions.contains(&"object_type_created") && actions.contains(&"object_type_deleted"), "[{n}] {actions:?}");

        // The API document describes it all.
        let doc = app.get("/api/openapi.json").await;
        for p in ["/api/v1/object-types", "/api/v1/objects/{type}", "/api/v1/objects/{type}/{id}", "/api/v1/people/{id}/related"]
        {
            assert!(doc.body["paths"].get(p).is_some(), "[{n}] OpenAPI has {p}");
        }
        assert!(doc.body["components"]["schemas"]["CustomRecord"].is_object(), "[{n}]");
    }
}

async fn list(app: &TestApp, q: &str) -> Answer {
    app.get(&format!("/api/v1/objects/contract?{q}")).await
}

fn ids_of_related(a: &Answer) -> Vec<String> {
    a.body["items"].as_array().map(|i| i.iter().map(|x| id_of(&x["record"])).collect()).unwrap_or_default()
}

async fn define_kind(app: &TestApp, key: &str, has_status: bool) -> Value {
    let a = app
        .post("/api/v1/object-types", json!({"key": key, "singular": key, "plural": format!("{key}s"), "has_status": has_status}))
        .await;
    status(app, &a, 201, &format!("define {key}"));
    a.body
}

#[tokio::test]
async fn custom_records_follow_owners_roles_and_token_scopes() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        define_contracts(&app).await;
        // Only admins define kinds.
        let refused = o.a.post(&app, "/api/v1/object-types", json!({"key": "x", "singular": "X", "plural": "Xs"})).await;
        status(&app, &refused, 403, "a member defines a kind");
        let v = app.patch("/api/v1/workspace/visibility", json!({"objects": "private", "people": "private"})).await;
        status(&app, &v, 200, "private custom records");
        let a_person = id_of(&o.a.post(&app, "/api/v1/people", json!({"first_name": "Alma"})).await.body);
        let mine =
            o.a.post(&app, "/api/v1/objects/contract", json!({"name": "A's contract", "custom": {"signers": [a_person]}})).await;
        status(&app, &mine, 201, "A creates a contract");
        let mine = id_of(&mine.body);
        let path = format!("/api/v1/objects/contract/{mine}");
        for (who, sees) in [(&o.a, true), (&o.b, false), (&o.c, false), (&o.m, true), (&o.z, true)] {
            assert_eq!(who.get(&app, &path).await.status.as_u16() == 200, sees, "[{n}] {} reads A's private contract", who.key);
            let listed = ids(&who.get(&app, "/api/v1/objects/contract").await).contains(&mine);
            assert_eq!(listed, sees, "[{n}] {} lists A's private contract", who.key);
            let found = who.get(&app, "/api/v1/search?q=contract").await.body.to_string().contains(&mine);
            assert_eq!(found, sees, "[{n}] {} finds A's private contract", who.key);
        }
        status(&app, &o.b.patch(&app, &path, json!({"name": "Taken"})).await, 404, "B changes what B cannot see");
        // A relation to a record the writer cannot see is refused as if it did not exist.
        let b_contract =
            o.b.post(&app, "/api/v1/objects/contract", json!({"name": "B's", "custom": {"signers": [a_person]}})).await;
        status(&app, &b_contract, 422, "B links A's private person");
        // Read-only users and read tokens cannot write.
        status(&app, &o.r.post(&app, "/api/v1/objects/contract", json!({"name": "R's"})).await, 403, "read-only user");
        let scope = access::scope_of(&app, o.a.id).await;
        for scopes in [vec![TokenScope { kind: None, write: false }], vec![TokenScope { kind: Some(Kind::Object), write: false }]]
        {
            let token = issue_token(&app, &scope, o.a.id, &scopes).await["token"].as_str().unwrap().to_string();
            let read = call(&app, &token, Method::GET, &path, None).await;
            status(&app, &read, 200, "a read token reads");
            let write = call(&app, &token, Method::PATCH, &path, Some(&json!({"name": "Renamed"}))).await;
            status(&app, &write, 403, "a read token writes");
            let create = call(&app, &token, Method::POST, "/api/v1/objects/contract", Some(&json!({"name": "T"}))).await;
            status(&app, &create, 403, "a read token creates");
        }
        let people_only = issue_token(&app, &scope, o.a.id, &[TokenScope { kind: Some(Kind::Person), write: true }]).await;
        let token = people_only["token"].as_str().unwrap();
        status(&app, &call(&app, token, Method::GET, &path, None).await, 403, "a people token reads contracts");
        // The other workspace knows nothing of the kind.
        status(&app, &o.x.get(&app, "/api/v1/objects/contract").await, 404, "another workspace");
    }
}

#[tokio::test]
async fn a_kind_with_a_status_moves_through_its_stages() {
    for app in TestApp::all().await {
        let n = app.name();
        let kind = define_kind(&app, "project", true).await;
        let stages = kind["pipeline"]["stages"].as_array().cloned().unwrap_or_default();
        assert_eq!(stages.len(), 4, "[{n}] the default stages: {kind}");
        let stage = |name: &str| stages.iter().find(|s| s["name"] == name).map(id_of).unwrap();
        let p = app.create("objects/project", json!({"name": "New office"})).await;
        assert_eq!((p["status"].as_str(), p["stage_id"].as_str()), (Some("open"), Some(stage("Open").as_str())), "[{n}] {p}");
        let path = format!("/api/v1/objects/project/{}", id_of(&p));
        let done = app.patch(&path, json!({"stage_id": stage("Done")})).await;
        status(&app, &done, 200, "move to Done");
        assert_eq!(done.body["status"], "won", "[{n}] a won stage sets the status");
        assert!(done.body["closed_at"].is_string(), "[{n}] closed");
        let lost = app.patch(&path, json!({"status": "lost"})).await;
        assert_eq!(lost.body["stage_id"], json!(stage("Cancelled")), "[{n}] a lost status moves the stage");
        let by_stage = app.get(&format!("/api/v1/objects/project?stage_id={}", stage("Cancelled"))).await;
        assert_eq!(ids(&by_stage), vec![id_of(&p)], "[{n}] filter by stage");
        // Stages of another pipeline are not this kind's.
        let deals = app.get("/api/v1/pipelines").await;
        assert_eq!(deals.body["items"].as_array().map(Vec::len), Some(1), "[{n}] deal pipelines stay apart: {}", deals.body);
        let deal_stage = deals.body["items"][0]["stages"][0]["id"].clone();
        let wrong = app.patch(&path, json!({"stage_id": deal_stage})).await;
        status(&app, &wrong, 422, "a deal stage on a project");
        assert!(wrong.error_fields().contains(&"stage_id".to_string()), "[{n}] {}", wrong.body);
        // The stages change with the definition, under a version check.
        let mut renamed: Vec<Value> = stages
            .iter()
            .map(|s| json!({"id": s["id"], "name": s["name"], "probability": s["probability"], "outcome": s["outcome"]}))
            .collect();
        renamed[1]["name"] = json!("Building");
        let stale = app
            .send(Method::PATCH, "/api/v1/object-types/project", Some(&json!({"stages": renamed})), &[("If-Match", "\"9\"")])
            .await;
        status(&app, &stale, 412, "a stale definition");
        let ok = app
            .send(Method::PATCH, "/api/v1/object-types/project", Some(&json!({"stages": renamed})), &[("If-Match", "\"1\"")])
            .await;
        status(&app, &ok, 200, "rename a stage");
        assert_eq!(ok.body["pipeline"]["stages"][1]["name"], "Building", "[{n}]");
        assert_eq!(ok.body["version"], 2, "[{n}]");
        let emptied = app.patch("/api/v1/object-types/project", json!({"stages": [renamed[0].clone()]})).await;
        status(&app, &emptied, 409, "remove a stage that holds a project");
        // A kind without a status has no stages.
        define_kind(&app, "asset", false).await;
        let a = app.post("/api/v1/objects/asset", json!({"name": "Laptop", "status": "won"})).await;
        status(&app, &a, 422, "a status on a kind without one");
        let a = app.patch("/api/v1/object-types/asset", json!({"has_status": true})).await;
        status(&app, &a, 200, "give a kind a status");
        assert_eq!(a.body["has_status"], true, "[{n}]");
        status(&app, &app.patch("/api/v1/object-types/asset", json!({"has_status": false})).await, 422, "take it away");
    }
}

/// A custom kind's fields are renamed and changed like built-in kinds' fields,
/// versioned; their type changes only while no record holds a value.
#[tokio::test]
async fn a_custom_kinds_fields_are_changed_safely() {
    for app in TestApp::all().await {
        let n = app.name();
        let kind = app.post("/api/v1/object-types", json!({"key": "site", "singular": "Site", "plural": "Sites"})).await;
        status(&app, &kind, 201, "kind");
        for def in
            [json!({"key": "code", "label": "Code", "type": "text"}), json!({"key": "floors", "label": "Floors", "type": "text"})]
        {
            status(&app, &app.post("/api/v1/object-types/site/fields", def).await, 201, "field");
        }
        let path = "/api/v1/object-types/site/fields/code";
        let renamed = app.patch(path, json!({"label": "Site code", "help": "As on the badge", "required": true})).await;
        status(&app, &renamed, 200, "rename");
        assert_eq!(
            (renamed.body["label"].clone(), renamed.body["help"].clone(), renamed.body["required"].clone()),
            (json!("Site code"), json!("As on the badge"), json!(true)),
            "[{n}]"
        );
        assert_eq!(renamed.body["version"], 2, "[{n}]");
        assert_eq!(renamed.header("etag"), Some("\"2\""), "[{n}]");
        let stale = app.send(Method::PATCH, path, Some(&json!({"label": "Old"})), &[("If-Match", "\"1\"")]).await;
        status(&app, &stale, 412, "stale version");
        let kind = app.get("/api/v1/object-types/site").await;
        assert_eq!(kind.body["fields"][0]["label"], "Site code", "[{n}] {}", kind.body);
        let missing = app.post("/api/v1/objects/site", json!({"name": "Depot"})).await;
        status(&app, &missing, 422, "a required field now");

        // A type change converts every value, or refuses naming the records that would not convert.
        let depot = app.post("/api/v1/objects/site", json!({"name": "Depot", "custom": {"code": "D1", "floors": "3"}})).await;
        status(&app, &depot, 201, "record");
        let annex = app.post("/api/v1/objects/site", json!({"name": "Annex", "custom": {"code": "A1", "floors": "many"}})).await;
        status(&app, &annex, 201, "record");
        let (depot, annex) = (id_of(&depot.body), id_of(&annex.body));
        let refused = app.patch("/api/v1/object-types/site/fields/floors", json!({"type": "number"})).await;
        status(&app, &refused, 409, "a value that is no number");
        assert_eq!(refused.body["type"], "https://rapport.dev/problems/not-convertible", "[{n}] {}", refused.body);
        let named: Vec<(String, Value)> = refused.body["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].as_str().unwrap().to_string(), r["value"].clone()))
            .collect();
        assert_eq!(named, vec![(annex.clone(), json!("many"))], "[{n}] the record at fault is named");
        assert_eq!(
            app.get(&format!("/api/v1/objects/site/{depot}")).await.body["custom"]["floors"],
            "3",
            "[{n}] nothing changed"
        );
        status(&app, &app.patch(&format!("/api/v1/objects/site/{annex}"), json!({"custom": {"floors": "12"}})).await, 200, "fix");
        let retyped = app.patch("/api/v1/object-types/site/fields/floors", json!({"type": "number"})).await;
        status(&app, &retyped, 200, "every value converts");
        assert_eq!(retyped.body["type"], "number", "[{n}]");
        assert_eq!(
            app.get(&format!("/api/v1/objects/site/{depot}")).await.body["custom"]["floors"].as_f64(),
            Some(3.0),
            "[{n}] converted"
        );
        // The converted values filter and sort as numbers (12 after 3).
        let by_floors = app.get("/api/v1/objects/site?sort=custom.floors").await;
        assert_eq!(ids(&by_floors), vec![depot.clone(), annex.clone()], "[{n}] sorted as numbers: {}", by_floors.body);
        assert_eq!(ids(&app.get("/api/v1/objects/site?custom.floors[gt]=5").await), vec![annex.clone()], "[{n}] filtered");
        let history = app.get(&format!("/api/v1/objects/site/{depot}/history")).await;
        let converted = history.body["items"].as_array().unwrap().iter().any(|c| {
            let custom = &c["changes"]["custom"];
            custom["old"]["floors"] == "3" && custom["new"]["floors"].as_f64() == Some(3.0)
        });
        assert!(converted, "[{n}] the conversion is in the record's history: {}", history.body);
        let bad = app.patch(path, json!({"pattern": "("})).await;
        status(&app, &bad, 422, "an invalid pattern");
        status(&app, &app.patch("/api/v1/object-types/site/fields/nope", json!({"label": "X"})).await, 404, "unknown field");

        // A deleted field leaves the kind but keeps its values, restorable until purged.
        let floors = "/api/v1/object-types/site/fields/floors";
        let stale = app.send(Method::DELETE, floors, None, &[("If-Match", "\"1\"")]).await;
        status(&app, &stale, 412, "a stale delete");
        status(&app, &app.delete(floors).await, 204, "soft delete");
        let kind = app.get("/api/v1/object-types/site").await;
        assert!(kind.body["fields"].as_array().unwrap().iter().all(|f| f["key"] != "floors"), "[{n}] gone: {}", kind.body);
        assert!(!kind.body["record_fields"].to_string().contains("custom.floors"), "[{n}] off the record page");
        let all = app.get("/api/v1/object-types/site/fields?deleted=true").await;
        status(&app, &all, 200, "deleted fields listed");
        let gone = all.body["items"].as_array().unwrap().iter().find(|f| f["key"] == "floors").cloned().unwrap_or_default();
        assert!(gone["deleted_at"].is_string(), "[{n}] {}", all.body);
        let refused = app.post("/api/v1/objects/site", json!({"name": "Shed", "custom": {"code": "S1", "floors": 1}})).await;
        status(&app, &refused, 422, "a deleted field takes no new value");
        let kept = app.patch(&format!("/api/v1/objects/site/{depot}"), json!({"name": "Main depot"})).await;
        status(&app, &kept, 200, "a record with a deleted field's value is still written");
        let taken =
            app.post("/api/v1/object-types/site/fields", json!({"key": "floors", "label": "Floors", "type": "text"})).await;
        status(&app, &taken, 422, "a deleted field's key is still taken");
        let restored = app.post(&format!("{floors}/restore"), json!({})).await;
        status(&app, &restored, 200, "restore");
        assert_eq!(
            app.get(&format!("/api/v1/objects/site/{depot}")).await.body["custom"]["floors"].as_f64(),
            Some(3.0),
            "[{n}] kept"
        );
        assert!(app.get("/api/v1/object-types/site").await.body["record_fields"].to_string().contains("custom.floors"), "[{n}]");
        status(&app, &app.post(&format!("{floors}/purge"), json!({})).await, 409, "purge only a deleted field");
        status(&app, &app.delete(floors).await, 204, "delete again");
        let purged = app.post(&format!("{floors}/purge"), json!({})).await;
        status(&app, &purged, 200, "purge");
        assert_eq!(purged.body["purged_records"], 2, "[{n}] {}", purged.body);
        let depot_now = app.get(&format!("/api/v1/objects/site/{depot}")).await;
        assert!(depot_now.body["custom"].get("floors").is_none(), "[{n}] values purged: {}", depot_now.body);
        let fresh =
            app.post("/api/v1/object-types/site/fields", json!({"key": "floors", "label": "Floors", "type": "number"})).await;
        status(&app, &fresh, 201, "the key is free again");

        // Each change of the kind's fields is audited.
        let audit = app.get("/api/v1/audit?limit=500").await;
        let site: Vec<(&str, &str)> = audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["detail"]["kind"] == "site")
            .map(|e| (e["action"].as_str().unwrap_or(""), e["detail"]["key"].as_str().unwrap_or("")))
            .collect();
        for entry in [
            ("custom_field.created", "code"),
            ("custom_field.updated", "code"),
            ("custom_field.updated", "floors"),
            ("custom_field.deleted", "floors"),
            ("custom_field.restored", "floors"),
            ("custom_field.purged", "floors"),
        ] {
            assert!(site.contains(&entry), "[{n}] {entry:?} audited: {site:?}");
        }
    }
}

#[tokio::test]
async fn a_custom_kinds_identifying_field_flags_duplicates_within_the_kind() {
    for app in TestApp::all().await {
        let n = app.name();
        for (key, plural) in [("licence", "Licences"), ("permit", "Permits")] {
            let def = json!({"key": key, "singular": key, "plural": plural,
                "fields": [{"key": "number", "label": "Number", "type": "text", "identifies": true}]});
            status(&app, &app.post("/api/v1/object-types", def).await, 201, "kind");
        }
        let a = app.post("/api/v1/objects/licence", json!({"name": "Site A", "custom": {"number": "L-100"}})).await;
        status(&app, &a, 201, "licence");
        let b = app.post("/api/v1/objects/licence", json!({"name": "Site B", "custom": {"number": "L-100"}})).await;
        status(&app, &b, 201, "a second licence, same number");
        app.post("/api/v1/objects/licence", json!({"name": "Site C", "custom": {"number": "L-200"}})).await;
        // A permit holding the same number is another kind of record: never its duplicate.
        let permit = app.post("/api/v1/objects/permit", json!({"name": "Site A", "custom": {"number": "L-100"}})).await;
        status(&app, &permit, 201, "permit");

        let check = app
            .post("/api/v1/objects/licence/check-duplicates", json!({"name": "Elsewhere", "custom": {"number": "L-100"}}))
            .await;
        status(&app, &check, 200, "check");
        let mut found: Vec<String> =
            check.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
        found.sort();
        let mut want = vec![id_of(&a.body), id_of(&b.body)];
        want.sort();
        assert_eq!(found, want, "[{n}] same number, same kind: {}", check.body);
        assert_eq!(check.body["items"][0]["score"], 0.95, "[{n}]");
        assert!(
            check.body["items"][0]["reasons"][0].as_str().unwrap().to_lowercase().contains("number l-100"),
            "[{n}] {}",
            check.body
        );

        let scan = app.get("/api/v1/objects/licence/duplicates").await;
        status(&app, &scan, 200, "scan");
        let clusters = scan.body["items"].as_array().unwrap();
        assert_eq!(clusters.len(), 1, "[{n}] one cluster: {}", scan.body);
        let mut members: Vec<String> =
            clusters[0]["records"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
        members.sort();
        assert_eq!(members, want, "[{n}] the permit is not in it");
        status(&app, &app.get("/api/v1/objects/nope/duplicates").await, 404, "an unknown kind");
    }
}

#[tokio::test]
async fn a_deleted_relation_fields_links_hide_and_a_purge_removes_them() {
    for app in TestApp::all().await {
        let n = app.name();
        let def = json!({"key": "lot", "singular": "Lot", "plural": "Lots",
            "fields": [{"key": "landlord", "label": "Landlord", "type": "relation", "target": "organization"}]});
        status(&app, &app.post("/api/v1/object-types", def).await, 201, "kind");
        let org = app.create("organizations", json!({"name": "Harbour Estates"})).await["id"].as_str().unwrap().to_string();
        let lot = app.post("/api/v1/objects/lot", json!({"name": "Lot 7", "custom": {"landlord": org}})).await;
        status(&app, &lot, 201, "lot");
        let path = format!("/api/v1/organizations/{org}/related");
        assert_eq!(ids_of_related(&app.get(&path).await), vec![id_of(&lot.body)], "[{n}] linked");
        let field = "/api/v1/object-types/lot/fields/landlord";
        status(&app, &app.delete(field).await, 204, "delete");
        assert!(ids_of_related(&app.get(&path).await).is_empty(), "[{n}] a deleted field's link is not shown");
        status(&app, &app.post(&format!("{field}/restore"), json!({})).await, 200, "restore");
        assert_eq!(ids_of_related(&app.get(&path).await), vec![id_of(&lot.body)], "[{n}] still linked after a restore");
        status(&app, &app.delete(field).await, 204, "delete again");
        status(&app, &app.post(&format!("{field}/purge"), json!({})).await, 200, "purge");
        assert!(ids_of_related(&app.get(&path).await).is_empty(), "[{n}] the purge took the link");
    }
}

#[tokio::test]
async fn a_kind_that_automation_uses_is_not_deleted_under_it() {
    for app in TestApp::all().await {
        let n = app.name();
        status(
            &app,
            &app.post("/api/v1/object-types", json!({"key": "lease", "singular": "Lease", "plural": "Leases"})).await,
            201,
            "kind",
        );
        let rule = app
            .post(
                "/api/v1/assignment-rules",
                json!({"kind": "lease", "name": "Leases to me", "method": "user", "user_id": app.user_id}),
            )
            .await;
        status(&app, &rule, 201, "rule");
        let hook = app.post("/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook", "events": ["lease.*"]})).await;
        status(&app, &hook, 201, "webhook");
        let refused = app.delete("/api/v1/object-types/lease").await;
        status(&app, &refused, 409, "in use");
        let detail = refused.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("assignment rule 'Leases to me'") && detail.contains("webhook http://127.0.0.1:9/hook"),
            "[{n}] {detail}"
        );
        status(&app, &app.get("/api/v1/object-types/lease").await, 200, "still there");
        status(&app, &app.delete(&format!("/api/v1/assignment-rules/{}", id_of(&rule.body))).await, 204, "rule gone");
        status(&app, &app.delete(&format!("/api/v1/webhooks/{}", id_of(&hook.body))).await, 204, "webhook gone");
        status(&app, &app.delete("/api/v1/object-types/lease").await, 204, "then the kind goes");
    }
}
