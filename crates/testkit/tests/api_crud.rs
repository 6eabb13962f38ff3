//! Create, read, update and delete every kind of record through the API.

mod common;

use common::{assert_problem, assert_status, default_pipeline, id, stage_with};
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};
use uuid::Uuid;

#[tokio::test]
async fn organizations_crud() {
    for app in TestApp::all().await {
        let n = app.name();
        let org = app
            .create(
                "organizations",
                json!({
                    "name": "  Acme Industries  ",
                    "domains": ["ACME.com", "acme.fr", "acme.com"],
                    "website": "https://acme.example",
                    "industry": "Manufacturing",
                    "size": "51-200",
                    "relationship": "customer",
                    "addresses": [{"label": "HQ", "street": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}],
                    "phones": ["01 42 68 53 00"],
                    "owner_id": app.user_id,
                    "tags": ["vip", "key-account"]
                }),
            )
            .await;
        let oid = id(&org);
        assert_eq!(org["name"], "Acme Industries", "[{n}] name is trimmed");
        assert_eq!(org["domains"], json!(["acme.com", "acme.fr"]), "[{n}] domains lower-cased, deduplicated");
        assert_eq!(org["phones"][0]["e164"], "+33142685300", "[{n}] org phone normalized");
        assert_eq!(org["addresses"][0]["city"], "Paris", "[{n}]");
        assert_eq!(org["owner_id"], json!(app.user_id.to_string()), "[{n}]");
        assert_eq!(org["version"], 1, "[{n}]");
        assert_eq!(org["created_by"], json!(app.user_id.to_string()), "[{n}]");

        let created = app.post("/api/v1/organizations", json!({"name": "Acme Paris", "parent_id": oid})).await;
        assert_status(&app, &created, StatusCode::CREATED, "create organization");
        let sub = created.body.clone();
        assert_eq!(created.header("location"), Some(format!("/api/v1/organizations/{}", id(&sub)).as_str()), "[{n}] Location");
        assert_eq!(created.header("etag"), Some("\"1\""), "[{n}] ETag on create");
        assert_eq!(sub["parent_id"], json!(oid), "[{n}] parent_id");

        let got = app.get(&format!("/api/v1/organizations/{oid}")).await;
        assert_status(&app, &got, StatusCode::OK, "get organization");
        assert_eq!(got.body, org, "[{n}] GET returns what POST returned");
        assert_eq!(got.header("etag"), Some("\"1\""), "[{n}] etag");

        let p = app
            .patch(&format!("/api/v1/organizations/{oid}"), json!({"industry": "Robotics", "size": null, "tags": ["vip"]}))
            .await;
        assert_status(&app, &p, StatusCode::OK, "patch organization");
        assert_eq!(p.body["industry"], "Robotics", "[{n}]");
        assert_eq!(p.body["size"], Value::Null, "[{n}] null removes a value");
        assert_eq!(p.body["tags"], json!(["vip"]), "[{n}]");
        assert_eq!(p.body["website"], "https://acme.example", "[{n}] untouched fields stay");
        assert_eq!(p.body["version"], 2, "[{n}]");

        let d = app.delete(&format!("/api/v1/organizations/{}", id(&sub))).await;
        assert_status(&app, &d, StatusCode::NO_CONTENT, "delete organization");
        let g = app.get(&format!("/api/v1/organizations/{}", id(&sub))).await;
        assert_problem(&app, &g, StatusCode::NOT_FOUND, None, "get deleted organization");
        let d = app.delete(&format!("/api/v1/organizations/{}", id(&sub))).await;
        assert_problem(&app, &d, StatusCode::NOT_FOUND, None, "delete a deleted organization");
        let p = app.patch(&format!("/api/v1/organizations/{}", id(&sub)), json!({"name": "x"})).await;
        assert_problem(&app, &p, StatusCode::NOT_FOUND, None, "patch a deleted organization");
    }
}

#[tokio::test]
async fn people_are_normalized() {
    for app in TestApp::all().await {
        let n = app.name();
        let acme = app.create("organizations", json!({"name": "Acme"})).await;
        let globex = app.create("organizations", json!({"name": "Globex"})).await;
        let p = app
            .create(
                "people",
                json!({
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "emails": ["Ada@Acme.COM", {"address": "ada.l@Globex.org", "label": "work", "primary": true}, "ada@acme.com"],
                    "phones": ["06 12 34 56 78", {"number": "+1 415 555 2671", "label": "US mobile"}],
                    "title": "CTO",
                    "organizations": [{"id": acme["id"], "role": "CTO"}, globex["id"]],
                    "lifecycle_stage": "customer",
                    "preferred_channel": "email",
                    "do_not_call": true,
                    "tags": ["speaker"],
                    "address": {"street": "12 Baker Street", "city": "London", "country": "GB"},
                    "birthday": "1815-12-10"
                }),
            )
            .await;
        let pid = id(&p);
        assert_eq!(p["name"], "Ada Lovelace", "[{n}] display name");
        let emails = p["emails"].as_array().unwrap();
        assert_eq!(emails.len(), 2, "[{n}] duplicate email dropped: {}", p["emails"]);
        assert_eq!(emails[0]["address"], "ada@acme.com", "[{n}] emails lower-cased");
        assert_eq!(emails[1]["address"], "ada.l@globex.org", "[{n}]");
        assert_eq!(emails[0]["primary"], false, "[{n}] only the marked email is primary");
        assert_eq!(emails[1]["primary"], true, "[{n}]");
        assert_eq!(p["primary_email"], "ada.l@globex.org", "[{n}] primary_email");
        let phones = p["phones"].as_array().unwrap();
        assert_eq!(phones[0]["number"], "06 12 34 56 78", "[{n}] number kept as typed");
        assert_eq!(phones[0]["e164"], "+33612345678", "[{n}] French number in E.164");
        assert_eq!(phones[1]["e164"], "+14155552671", "[{n}] US number in E.164");
        assert_eq!(phones[0]["primary"], true, "[{n}] the first phone is primary when none is marked");
        assert_eq!(phones[1]["primary"], false, "[{n}]");
        assert_eq!(p["primary_phone"], "+33612345678", "[{n}]");
        let orgs = p["organizations"].as_array().unwrap();
        assert_eq!(orgs.len(), 2, "[{n}] {}", p["organizations"]);
        let role_of = |oid: &Value| orgs.iter().find(|o| o["id"] == *oid).map(|o| o["role"].clone());
        assert_eq!(role_of(&acme["id"]), Some(json!("CTO")), "[{n}] role kept");
        assert_eq!(role_of(&globex["id"]), Some(Value::Null), "[{n}] a bare id links without a role");
        assert_eq!(p["do_not_call"], true, "[{n}]");
        assert_eq!(p["do_not_email"], false, "[{n}] booleans default to false");
        assert_eq!(p["birthday"], "1815-12-10", "[{n}]");
        assert_eq!(p["address"]["city"], "London", "[{n}]");

        // Changing the emails recomputes primary_email; changing the names the display name.
        let u = app
            .patch(
                &format!("/api/v1/people/{pid}"),
                json!({"emails": [{"address": "COUNTESS@Example.org"}], "first_name": "Augusta Ada", "phones": []}),
            )
            .await;
        assert_status(&app, &u, StatusCode::OK, "patch person");
        assert_eq!(u.body["primary_email"], "countess@example.org", "[{n}]");
        assert_eq!(u.body["emails"], json!([{"address": "countess@example.org", "primary": true}]), "[{n}]");
        assert_eq!(u.body["name"], "Augusta Ada Lovelace", "[{n}]");
        assert_eq!(u.body["primary_phone"], Value::Null, "[{n}] no phones, no primary phone");
        assert_eq!(u.body["organizations"].as_array().map(Vec::len), Some(2), "[{n}] links untouched by the patch stay");

        // A person with only an email is named by it.
        let e = app.create("people", json!({"emails": ["Solo@Example.com"]})).await;
        assert_eq!(e["name"], "solo@example.com", "[{n}] named by the primary email");

        let d = app.delete(&format!("/api/v1/people/{pid}")).await;
        assert_status(&app, &d, StatusCode::NO_CONTENT, "delete person");
        let g = app.get(&format!("/api/v1/people/{pid}")).await;
        assert_problem(&app, &g, StatusCode::NOT_FOUND, None, "get deleted person");
    }
}

#[tokio::test]
async fn deals_follow_their_pipeline() {
    for app in TestApp::all().await {
        let n = app.name();
        let pipeline = default_pipeline(&app).await;
        let first = &pipeline["stages"][0];
        let won = stage_with(&pipeline, "won");
        let lost = stage_with(&pipeline, "lost");
        let org = app.create("organizations", json!({"name": "Initech"})).await;
        let person = app.create("people", json!({"first_name": "Peter", "last_name": "Gibbons"})).await;
        let deal = app
            .create(
                "deals",
                json!({
                    "name": "TPS reports licence",
                    "organization_id": org["id"],
                    "people": [{"id": person["id"], "role": "champion"}],
                    "amount_minor": 1234550,
                    "expected_close_date": "2027-03-31",
                    "owner_id": app.user_id,
                    "next_step": "Send the proposal",
                    "tags": ["inbound"]
                }),
            )
            .await;
        let did = id(&deal);
        assert_eq!(deal["amount_minor"], 1234550, "[{n}]");
        assert_eq!(deal["amount"], "12345.50", "[{n}] amount as a decimal string");
        assert_eq!(deal["currency"], "EUR", "[{n}] workspace currency by default");
        assert_eq!(deal["pipeline_id"], pipeline["id"], "[{n}] default pipeline");
        assert_eq!(deal["stage_id"], first["id"], "[{n}] first stage");
        assert_eq!(deal["status"], "open", "[{n}]");
        assert_eq!(deal["closed_at"], Value::Null, "[{n}]");
        assert!(deal["stage_entered_at"].is_string(), "[{n}] stage_entered_at set: {deal}");
        assert_eq!(deal["people"], json!([{"id": person["id"], "role": "champion"}]), "[{n}]");

        let jpy = app.create("deals", json!({"name": "Tokyo", "amount_minor": 150000, "currency": "jpy"})).await;
        assert_eq!(jpy["currency"], "JPY", "[{n}] currency upper-cased");
        assert_eq!(jpy["amount"], "150000", "[{n}] JPY has no minor digits");

        let w = app.patch(&format!("/api/v1/deals/{did}"), json!({"status": "won"})).await;
        assert_status(&app, &w, StatusCode::OK, "win deal");
        assert_eq!(w.body["stage_id"], won["id"], "[{n}] won moves to the won stage");
        assert!(w.body["closed_at"].is_string(), "[{n}] closed_at set: {}", w.body);
        assert_eq!(w.body["version"], 2, "[{n}]");

        let sh = app.get(&format!("/api/v1/deals/{did}/stage-history")).await;
        assert_status(&app, &sh, StatusCode::OK, "stage history");
        let periods = sh.body["items"].as_array().unwrap();
        assert_eq!(periods.len(), 2, "[{n}] two stage periods: {}", sh.body);
        assert_eq!(periods[0]["stage_id"], first["id"], "[{n}]");
        assert!(periods[0]["left_at"].is_string(), "[{n}] first period closed");
        assert_eq!(periods[1]["stage_id"], won["id"], "[{n}]");
        assert_eq!(periods[1]["left_at"], Value::Null, "[{n}] current period open");

        // Reopening clears closed_at and returns to an open stage.
        let o = app.patch(&format!("/api/v1/deals/{did}"), json!({"status": "open"})).await;
        assert_status(&app, &o, StatusCode::OK, "reopen deal");
        assert_eq!(o.body["closed_at"], Value::Null, "[{n}] reopened deal has no closed_at");
        assert_eq!(o.body["status"], "open", "[{n}]");

        // Moving to the lost stage sets the status.
        let l = app.patch(&format!("/api/v1/deals/{did}"), json!({"stage_id": lost["id"], "lost_reason": "Price"})).await;
        assert_status(&app, &l, StatusCode::OK, "lose deal by stage");
        assert_eq!(l.body["status"], "lost", "[{n}] a lost stage sets status lost");
        assert!(l.body["closed_at"].is_string(), "[{n}]");

        let a = app.patch(&format!("/api/v1/deals/{did}"), json!({"amount_minor": 5})).await;
        assert_eq!(a.body["amount"], "0.05", "[{n}] {}", a.body);

        let d = app.delete(&format!("/api/v1/deals/{did}")).await;
        assert_status(&app, &d, StatusCode::NO_CONTENT, "delete deal");
        let g = app.get(&format!("/api/v1/deals/{did}")).await;
        assert_problem(&app, &g, StatusCode::NOT_FOUND, None, "get deleted deal");
    }
}

#[tokio::test]
async fn activities_and_tasks() {
    for app in TestApp::all().await {
        let n = app.name();
        let person = app.create("people", json!({"first_name": "Grace", "last_name": "Hopper"})).await;
        let org = app.create("organizations", json!({"name": "Navy"})).await;
        let deal = app.create("deals", json!({"name": "COBOL training"})).await;
        let act = app
            .create(
                "activities",
                json!({
                    "type": "call",
                    "direction": "outbound",
                    "occurred_at": "2026-01-15T09:30:00+01:00",
                    "duration_seconds": 600,
                    "subject": "Discovery call",
                    "body": "Talked about compilers.\nFollow up next week.",
                    "outcome": "connected",
                    "people": [person["id"]],
                    "organizations": [org["id"]],
                    "deals": [deal["id"]]
                }),
            )
            .await;
        assert_eq!(act["occurred_at"], "2026-01-15T08:30:00.000000Z", "[{n}] times are stored in UTC");
        assert_eq!(act["people"], json!([person["id"]]), "[{n}]");
        assert_eq!(act["deals"], json!([deal["id"]]), "[{n}]");
        let note = app.create("activities", json!({"type": "note", "body": "Remember the nanosecond wire"})).await;
        assert!(note["occurred_at"].is_string(), "[{n}] occurred_at defaults to now");
        let aid = id(&act);
        let u = app.patch(&format!("/api/v1/activities/{aid}"), json!({"outcome": "left voicemail", "people": []})).await;
        assert_status(&app, &u, StatusCode::OK, "patch activity");
        assert_eq!(u.body["people"], json!([]), "[{n}] links cleared");
        assert_eq!(u.body["organizations"], json!([org["id"]]), "[{n}]");

        let team = app.create("teams", json!({"name": "Support", "members": [app.user_id]})).await;
        let task = app
            .create(
                "tasks",
                json!({
                    "title": "Send the brochure",
                    "description": "PDF and price list",
                    "due_at": "2026-12-01T17:00:00Z",
                    "remind_at": "2026-12-01T09:00:00Z",
                    "assignee_user_id": app.user_id,
                    "priority": "high",
                    "people": [person["id"]],
                    "deals": [deal["id"]]
                }),
            )
            .await;
        let tid = id(&task);
        assert_eq!(task["status"], "open", "[{n}] default status");
        assert_eq!(task["completed_at"], Value::Null, "[{n}]");
        let t2 = app.create("tasks", json!({"title": "Triage", "assignee_team_id": team["id"]})).await;
        assert_eq!(t2["priority"], "normal", "[{n}] default priority");
        let both = app
            .post("/api/v1/tasks", json!({"title": "x", "assignee_user_id": app.user_id, "assignee_team_id": team["id"]}))
            .await;
        assert_problem(&app, &both, StatusCode::UNPROCESSABLE_ENTITY, Some("assignee_team_id"), "task for a user and a team");

        let done = app.patch(&format!("/api/v1/tasks/{tid}"), json!({"status": "done"})).await;
        assert_status(&app, &done, StatusCode::OK, "complete task");
        assert!(done.body["completed_at"].is_string(), "[{n}] done sets completed_at: {}", done.body);
        let again = app.patch(&format!("/api/v1/tasks/{tid}"), json!({"status": "open"})).await;
        assert_eq!(again.body["completed_at"], Value::Null, "[{n}] reopening clears completed_at");

        for (c, rid) in [("activities", aid), ("tasks", tid)] {
            let d = app.delete(&format!("/api/v1/{c}/{rid}")).await;
            assert_status(&app, &d, StatusCode::NO_CONTENT, &format!("delete {c}"));
            let g = app.get(&format!("/api/v1/{c}/{rid}")).await;
            assert_problem(&app, &g, StatusCode::NOT_FOUND, None, &format!("get deleted {c}"));
        }
    }
}

#[tokio::test]
async fn users_and_teams() {
    for app in TestApp::all().await {
        let n = app.name();
        let u = app
            .create("users", json!({"email": "Bob.Builder@Example.COM", "name": "Bob Builder", "time_zone": "Europe/Paris"}))
            .await;
        let uid = id(&u);
        assert_eq!(u["email"], "bob.builder@example.com", "[{n}] user email lower-cased");
        assert_eq!(u["role"], "member", "[{n}] default role");
        assert_eq!(u["active"], true, "[{n}] active by default");
        let dup = app.post("/api/v1/users", json!({"email": "bob.builder@example.com", "name": "Bob again"})).await;
        assert_problem(&app, &dup, StatusCode::UNPROCESSABLE_ENTITY, Some("email"), "duplicate user email");
        let g = app.get(&format!("/api/v1/users/{uid}")).await;
        assert_status(&app, &g, StatusCode::OK, "get user");
        assert_eq!(g.body["name"], "Bob Builder", "[{n}]");
        let p = app.patch(&format!("/api/v1/users/{uid}"), json!({"role": "manager", "active": false})).await;
        assert_status(&app, &p, StatusCode::OK, "patch user");
        assert_eq!(p.body["role"], "manager", "[{n}]");
        assert_eq!(p.body["active"], false, "[{n}]");
        let d = app.delete(&format!("/api/v1/users/{uid}")).await;
        assert_problem(&app, &d, StatusCode::METHOD_NOT_ALLOWED, None, "delete user");
        assert_eq!(app.get(&format!("/api/v1/users/{uid}")).await.status, StatusCode::OK, "[{n}] the user is still there");

        let team = app.create("teams", json!({"name": "Sales", "members": [uid, app.user_id]})).await;
        let tid = id(&team);
        assert_eq!(team["members"].as_array().map(Vec::len), Some(2), "[{n}] {team}");
        let p = app.patch(&format!("/api/v1/teams/{tid}"), json!({"name": "Sales EMEA", "members": [uid]})).await;
        assert_status(&app, &p, StatusCode::OK, "patch team");
        assert_eq!(p.body["members"], json!([uid]), "[{n}]");
        assert_eq!(p.body["name"], "Sales EMEA", "[{n}]");
        let bad = app.post("/api/v1/teams", json!({"name": "Ghosts", "members": [Uuid::now_v7()]})).await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("members[0]"), "team with a missing member");
        let d = app.delete(&format!("/api/v1/teams/{tid}")).await;
        assert_status(&app, &d, StatusCode::NO_CONTENT, "delete team");
        let g = app.get(&format!("/api/v1/teams/{tid}")).await;
        assert_problem(&app, &g, StatusCode::NOT_FOUND, None, "get deleted team");
    }
}

#[tokio::test]
async fn deleting_an_organization_detaches_its_deals() {
    for app in TestApp::all().await {
        let n = app.name();
        let org = app.create("organizations", json!({"name": "Umbrella"})).await;
        let oid = id(&org);
        let person = app.create("people", json!({"first_name": "Alice", "organizations": [{"id": oid, "role": "CEO"}]})).await;
        let deal = app.create("deals", json!({"name": "Vaccines", "organization_id": oid})).await;
        let did = id(&deal);
        let child = app.create("organizations", json!({"name": "Umbrella Labs", "parent_id": oid})).await;

        let d = app.delete(&format!("/api/v1/organizations/{oid}")).await;
        assert_status(&app, &d, StatusCode::NO_CONTENT, "delete organization");

        let g = app.get(&format!("/api/v1/deals/{did}")).await;
        assert_status(&app, &g, StatusCode::OK, "the deal survives");
        assert_eq!(g.body["organization_id"], Value::Null, "[{n}] organization_id becomes null");
        assert_eq!(g.body["version"], 2, "[{n}] detaching is a change: {}", g.body);
        let c = app.get(&format!("/api/v1/organizations/{}", id(&child))).await;
        assert_eq!(c.body["parent_id"], Value::Null, "[{n}] child organization detached");
        let p = app.get(&format!("/api/v1/people/{}", id(&person))).await;
        assert_eq!(p.body["organizations"], json!([]), "[{n}] person link removed");

        let h = app.get(&format!("/api/v1/deals/{did}/history")).await;
        assert_status(&app, &h, StatusCode::OK, "deal history");
        let newest = &h.body["items"][0];
        assert_eq!(newest["action"], "updated", "[{n}] {}", h.body);
        assert_eq!(newest["changes"]["organization_id"], json!({"old": oid, "new": null}), "[{n}] {}", h.body);
        assert_eq!(newest["actor_id"], json!(app.user_id.to_string()), "[{n}]");

        // The deleted organization's history stays readable and ends with the deletion.
        let oh = app.get(&format!("/api/v1/organizations/{oid}/history")).await;
        assert_status(&app, &oh, StatusCode::OK, "history of a deleted organization");
        assert_eq!(oh.body["items"][0]["action"], "deleted", "[{n}] {}", oh.body);
    }
}

#[tokio::test]
async fn bulk_create_is_all_or_nothing() {
    for app in TestApp::all().await {
        let n = app.name();
        let ok = app
            .post(
                "/api/v1/organizations/bulk",
                json!({"items": [{"name": "One", "tags": ["bulk"]}, {"name": "Two", "tags": ["bulk"]}, {"name": "Three", "tags": ["bulk"]}]}),
            )
            .await;
        assert_status(&app, &ok, StatusCode::CREATED, "bulk create");
        let created = ok.body["items"].as_array().unwrap();
        assert_eq!(created.len(), 3, "[{n}]");
        assert_eq!(created[2]["name"], "Three", "[{n}] items in order");
        assert_eq!(app.list_all("/api/v1/organizations?tags=bulk").await.len(), 3, "[{n}]");

        let bad = app
            .post(
                "/api/v1/people/bulk",
                json!({"items": [
                    {"first_name": "Good", "tags": ["bulk2"]},
                    {"first_name": "Bad", "emails": ["not-an-email"], "tags": ["bulk2"]},
                    {"first_name": "Also good", "tags": ["bulk2"]}
                ]}),
            )
            .await;
        assert_problem(&app, &bad, StatusCode::UNPROCESSABLE_ENTITY, Some("items[1].emails[0].address"), "bulk with a bad item");
        assert_eq!(bad.error_fields().len(), 1, "[{n}] only the bad item is blamed: {}", bad.body);
        assert!(app.list_all("/api/v1/people?tags=bulk2").await.is_empty(), "[{n}] nothing created");

        let missing = app.post("/api/v1/deals/bulk", json!({"items": [{"name": "A"}, {"amount_minor": 5}]})).await;
        assert_problem(&app, &missing, StatusCode::UNPROCESSABLE_ENTITY, Some("items[1].name"), "bulk deal without a name");
        assert!(app.list_all("/api/v1/deals").await.is_empty(), "[{n}] no deal created");

        let empty = app.post("/api/v1/deals/bulk", json!({"items": []})).await;
        assert_problem(&app, &empty, StatusCode::UNPROCESSABLE_ENTITY, Some("items"), "empty bulk");
        let not_obj = app.post("/api/v1/deals/bulk", json!({"items": [{"name": "A"}, 7]})).await;
        assert_problem(&app, &not_obj, StatusCode::BAD_REQUEST, Some("items[1]"), "bulk item not an object");
    }
}

#[tokio::test]
async fn consents_belong_to_their_person() {
    for app in TestApp::all().await {
        let n = app.name();
        let person = app.create("people", json!({"first_name": "Grace", "emails": ["grace@example.com"]})).await;
        let pid = person["id"].as_str().unwrap();
        let consent = app
            .create("consents", json!({"person_id": pid, "purpose": "newsletter", "status": "granted", "method": "web_form", "evidence": "Ticked the box on the signup form"}))
            .await;
        assert!(consent["recorded_at"].is_string(), "[{n}] recorded_at defaults to now");
        let cid = consent["id"].as_str().unwrap();
        let listed = app.get(&format!("/api/v1/consents?person_id={pid}")).await;
        assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1), "[{n}] {}", listed.body);
        let bad = app
            .post("/api/v1/consents", json!({"person_id": pid, "purpose": "x", "status": "maybe", "method": "web_form"}))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert_eq!(app.delete(&format!("/api/v1/people/{pid}")).await.status, StatusCode::NO_CONTENT, "[{n}]");
        assert_eq!(
            app.get(&format!("/api/v1/consents/{cid}")).await.status,
            StatusCode::NOT_FOUND,
            "[{n}] the consent went with its person"
        );
        let history = app.get(&format!("/api/v1/consents/{cid}/history")).await;
        assert_eq!(history.body["items"][0]["action"], "deleted", "[{n}] {}", history.body);
    }
}
