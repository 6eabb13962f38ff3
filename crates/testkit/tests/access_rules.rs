//! The access rules one at a time: visibility modes, sharing, managers and
//! sub-teams, bulk reassignment, token scopes and revocation, the audit log,
//! privacy export and erasure, portal users, merged ids and timelines.

#[path = "common/access.rs"]
mod access;

use access::{Actor, Office, add_team, add_user, call, exposed_ids, item_ids, set_team_parent, set_visibility};
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::Method;
use rapport_testkit::serde_json::{Value, json};

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// Creates a record through the API as `who`; panics unless it is created.
async fn create(app: &TestApp, who: &Actor, collection: &str, body: Value) -> String {
    let a = who.post(app, &format!("/api/v1/{collection}"), body).await;
    assert_eq!(a.status.as_u16(), 201, "[{}] {} creates {collection}: {}", app.name(), who.key, a.body);
    id_of(&a.body)
}

#[track_caller]
fn status(app: &TestApp, a: &rapport_testkit::Answer, expected: u16, what: &str) {
    assert_eq!(a.status.as_u16(), expected, "[{}] {what}: {}", app.name(), a.body);
}

/// The ids `who` gets listing a collection.
async fn listed(app: &TestApp, who: &Actor, collection: &str) -> Vec<String> {
    let a = who.get(app, &format!("/api/v1/{collection}?limit=500")).await;
    status(app, &a, 200, &format!("{} lists {collection}", who.key));
    item_ids(&a)
}

async fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    let a = app.get(&format!("/api/v1/audit?limit=500&{query}")).await;
    status(app, &a, 200, &format!("audit {query}"));
    a.body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn visibility_modes_change_what_a_member_lists() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        let mine = create(&app, &o.a, "people", json!({"first_name": "Owned", "last_name": "ByA"})).await;
        let nobodys = create(&app, &o.z, "people", json!({"first_name": "No", "last_name": "Owner", "owner_id": null})).await;
        let path = format!("/api/v1/people/{mine}");

        // Workspace (the default): every staff member.
        for who in [&o.a, &o.b, &o.r, &o.m, &o.c, &o.z] {
            assert!(listed(&app, who, "people").await.contains(&mine), "[{n}] workspace: {} lists A's person", who.key);
        }
        let v = app.get("/api/v1/workspace/visibility").await;
        assert_eq!(v.body["people"], "workspace", "[{n}] the default: {}", v.body);

        let people = |mode: &str| app.patch("/api/v1/workspace/visibility", json!({"people": mode}));
        status(&app, &people("team").await, 200, "people: team");
        for (who, sees) in [(&o.a, true), (&o.b, true), (&o.r, true), (&o.m, true), (&o.c, false), (&o.z, true)] {
            let list = listed(&app, who, "people").await;
            assert_eq!(list.contains(&mine), sees, "[{n}] team: {} lists A's person: {sees}", who.key);
            assert!(list.contains(&nobodys), "[{n}] team: {} lists the person nobody owns", who.key);
            status(&app, &who.get(&app, &path).await, if sees { 200 } else { 404 }, &format!("team: {} reads it", who.key));
        }
        // A team-mate may change what they see; the outsider is told it does not exist.
        status(&app, &o.b.patch(&app, &path, json!({"title": "Buyer"})).await, 200, "team: B changes A's person");
        status(&app, &o.c.patch(&app, &path, json!({"title": "Spy"})).await, 404, "team: C changes A's person");
        status(&app, &o.c.delete(&app, &path).await, 404, "team: C deletes A's person");
        status(&app, &o.r.patch(&app, &path, json!({"title": "Nope"})).await, 403, "team: R changes A's person");

        let v = people("private").await;
        status(&app, &v, 200, "people: private");
        assert_eq!(
            v.body,
            json!({"organizations": "workspace", "people": "private", "deals": "workspace", "activities": "workspace", "tasks": "workspace", "objects": "workspace"}),
            "[{n}]"
        );
        for (who, sees) in [(&o.a, true), (&o.b, false), (&o.r, false), (&o.m, true), (&o.c, false), (&o.z, true)] {
            let list = listed(&app, who, "people").await;
            assert_eq!(list.contains(&mine), sees, "[{n}] private: {} lists A's person: {sees}", who.key);
            assert!(list.contains(&nobodys), "[{n}] private: {} lists the person nobody owns", who.key);
            status(&app, &who.get(&app, &path).await, if sees { 200 } else { 404 }, &format!("private: {} reads it", who.key));
        }
        // Other kinds keep their own setting.
        let org = create(&app, &o.a, "organizations", json!({"name": "Still open"})).await;
        assert!(listed(&app, &o.c, "organizations").await.contains(&org), "[{n}] organizations are set apart from people");

        // A task assigned to a team is its members' to see.
        set_visibility(&app, "private").await;
        let team_task = create(&app, &o.z, "tasks", json!({"title": "For Support", "assignee_team_id": o.support})).await;
        assert!(listed(&app, &o.c, "tasks").await.contains(&team_task), "[{n}] C sees Support's task");

        // Only admins set visibility, and only to known modes of owned kinds.
        status(&app, &o.m.patch(&app, "/api/v1/workspace/visibility", json!({"people": "workspace"})).await, 403, "M sets it");
        let bad = app.patch("/api/v1/workspace/visibility", json!({"people": "secret", "users": "team"})).await;
        status(&app, &bad, 422, "bad visibility");
    }
}

/// A task assigned to a team, and to no user, is that team's: under private
/// visibility other members do not see it.
#[tokio::test]
async fn team_tasks_stay_with_their_team() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        set_visibility(&app, "private").await;
        let task = create(&app, &o.c, "tasks", json!({"title": "For Support only", "assignee_team_id": o.support})).await;
        assert!(listed(&app, &o.c, "tasks").await.contains(&task), "[{n}] C sees Support's task");
        assert!(!listed(&app, &o.b, "tasks").await.contains(&task), "[{n}] B, not in Support, lists Support's task");
        status(&app, &o.b.get(&app, &format!("/api/v1/tasks/{task}")).await, 404, "B reads Support's task");
    }
}

#[tokio::test]
async fn sharing_for_reading_or_for_changing() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        set_visibility(&app, "private").await;
        let deal = create(&app, &o.a, "deals", json!({"name": "Shared deal", "amount_minor": 1000})).await;
        let path = format!("/api/v1/deals/{deal}");
        let shares = format!("{path}/shares");
        status(&app, &o.b.get(&app, &path).await, 404, "B before sharing");

        // Read: B sees it, lists it, cannot change it or share it on.
        let read = o.a.post(&app, &shares, json!({"user_id": o.b.id, "access": "read"})).await;
        status(&app, &read, 201, "A shares for reading");
        let read_id = id_of(&read.body);
        status(&app, &o.b.get(&app, &path).await, 200, "B reads the shared deal");
        assert!(listed(&app, &o.b, "deals").await.contains(&deal), "[{n}] B lists the shared deal");
        status(&app, &o.b.patch(&app, &path, json!({"next_step": "Mine now"})).await, 403, "B changes a read share");
        status(&app, &o.b.delete(&app, &path).await, 403, "B deletes a read share");
        let reshare = o.b.post(&app, &shares, json!({"user_id": o.c.id, "access": "read"})).await;
        status(&app, &reshare, 403, "B shares a read share on");
        status(&app, &o.c.get(&app, &shares).await, 404, "C lists the shares of a deal it cannot see");
        let listed_shares = o.a.get(&app, &shares).await;
        status(&app, &listed_shares, 200, "A lists the shares");
        assert_eq!(item_ids(&listed_shares), vec![read_id.clone()], "[{n}] one share: {}", listed_shares.body);
        assert_eq!(listed_shares.body["items"][0]["access"], "read", "[{n}]");

        // Write: B may change it.
        let write = o.a.post(&app, &shares, json!({"user_id": o.b.id, "access": "write"})).await;
        status(&app, &write, 201, "A shares for changing");
        let write_id = id_of(&write.body);
        let p = o.b.patch(&app, &path, json!({"next_step": "Call back"})).await;
        status(&app, &p, 200, "B changes a write share");
        assert_eq!(p.body["next_step"], "Call back", "[{n}]");

        // A team share opens it to every member of the team.
        let team = o.a.post(&app, &shares, json!({"team_id": o.support, "access": "read"})).await;
        status(&app, &team, 201, "A shares with Support");
        status(&app, &o.c.get(&app, &path).await, 200, "C reads through Support's share");
        status(&app, &o.c.patch(&app, &path, json!({"next_step": "x"})).await, 403, "C changes through a read team share");

        // Bad shares.
        let both = o.a.post(&app, &shares, json!({"user_id": o.b.id, "team_id": o.support})).await;
        status(&app, &both, 422, "a share names a user or a team, not both");
        let stranger = o.a.post(&app, &shares, json!({"user_id": o.x.id})).await;
        status(&app, &stranger, 422, "a share with a user of another workspace");
        let admin_level = o.a.post(&app, &shares, json!({"user_id": o.b.id, "access": "admin"})).await;
        status(&app, &admin_level, 422, "access is read or write");
        let team_rec = app.post(&format!("/api/v1/teams/{}/shares", o.sales), json!({"user_id": o.c.id})).await;
        assert!(team_rec.status.is_client_error(), "[{n}] teams are not shared: {}", team_rec.status);

        // Unsharing closes it again; only someone who may change the record unshares.
        status(&app, &o.c.delete(&app, &format!("{shares}/{}", id_of(&team.body))).await, 403, "C unshares");
        status(&app, &o.a.delete(&app, &format!("{shares}/{}", id_of(&team.body))).await, 204, "A unshares Support");
        status(&app, &o.c.get(&app, &path).await, 404, "C after unsharing");
        status(&app, &o.a.delete(&app, &format!("{shares}/{write_id}")).await, 204, "A unshares B's write");
        status(&app, &o.b.patch(&app, &path, json!({"next_step": "again"})).await, 403, "B after the write share is gone");
        status(&app, &o.b.get(&app, &path).await, 200, "B still reads through the read share");
        status(&app, &o.a.delete(&app, &format!("{shares}/{read_id}")).await, 204, "A unshares B's read");
        status(&app, &o.b.get(&app, &path).await, 404, "B after unsharing");
        assert!(!listed(&app, &o.b, "deals").await.contains(&deal), "[{n}] B no longer lists it");
        status(&app, &o.a.delete(&app, &format!("{shares}/{read_id}")).await, 404, "unsharing twice");

        let events = audit(&app, &format!("record_kind=deal&record_id={deal}")).await;
        let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(actions.iter().filter(|a| **a == "record_shared").count(), 3, "[{n}] shares audited: {actions:?}");
        assert_eq!(actions.iter().filter(|a| **a == "record_unshared").count(), 3, "[{n}] unshares audited: {actions:?}");
    }
}

#[tokio::test]
async fn managers_see_their_sub_teams_records() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        let f = add_user(&app, &app.scope, "F", "member").await;
        let lead = add_user(&app, &app.scope, "L", "manager").await;
        let field = add_team(&app, "Field", &[f.id, lead.id]).await;
        set_team_parent(&app, field, o.sales).await;
        let deep = add_user(&app, &app.scope, "D", "member").await;
        let night = add_team(&app, "Night shift", &[deep.id]).await;
        set_team_parent(&app, night, field).await;
        set_visibility(&app, "private").await;

        let fs = create(&app, &f, "deals", json!({"name": "Field deal"})).await;
        let ds = create(&app, &deep, "deals", json!({"name": "Night deal"})).await;
        let as_ = create(&app, &o.a, "deals", json!({"name": "Sales deal"})).await;
        let m_sees = listed(&app, &o.m, "deals").await;
        assert!(m_sees.contains(&fs) && m_sees.contains(&ds) && m_sees.contains(&as_), "[{n}] M sees Sales and below");
        status(&app, &o.m.patch(&app, &format!("/api/v1/deals/{ds}"), json!({"next_step": "Coach"})).await, 200, "M changes it");
        let l_sees = listed(&app, &lead, "deals").await;
        assert!(l_sees.contains(&fs) && l_sees.contains(&ds), "[{n}] L sees Field and below");
        assert!(!l_sees.contains(&as_), "[{n}] L does not see the team above");
        let b_sees = listed(&app, &o.b, "deals").await;
        assert!(!b_sees.contains(&fs) && !b_sees.contains(&ds), "[{n}] members do not see sub-teams");
        assert!(!listed(&app, &o.c, "deals").await.contains(&fs), "[{n}] C does not see Field");
    }
}

/// The team hierarchy managers' rights follow can be built through the API.
#[tokio::test]
async fn teams_take_a_parent_through_the_api() {
    for app in TestApp::all().await {
        let n = app.name();
        let parent = id_of(&app.create("teams", json!({"name": "Sales"})).await);
        let a = app.post("/api/v1/teams", json!({"name": "Field", "parent_id": parent})).await;
        status(&app, &a, 201, "a team with a parent");
        assert_eq!(a.body["parent_id"], json!(parent), "[{n}] parent_id kept: {}", a.body);
    }
}

#[tokio::test]
async fn bulk_reassignment() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        let org = create(&app, &o.a, "organizations", json!({"name": "Leaving Co"})).await;
        let person = create(&app, &o.a, "people", json!({"first_name": "Left", "last_name": "Behind"})).await;
        let deal = create(&app, &o.a, "deals", json!({"name": "Handover"})).await;
        let task = create(&app, &o.a, "tasks", json!({"title": "Pass it on", "assignee_user_id": o.a.id})).await;
        let note = create(&app, &o.a, "activities", json!({"type": "note", "subject": "Mine"})).await;
        let other = create(&app, &o.c, "deals", json!({"name": "Not A's"})).await;
        let reassign = format!("/api/v1/users/{}/reassign", o.a.id);

        // Members and read-only users may not; managers only within their teams.
        for who in [&o.a, &o.b, &o.r, &o.c, &o.p] {
            status(&app, &who.post(&app, &reassign, json!({"to": o.b.id})).await, 403, &format!("{} reassigns", who.key));
        }
        status(&app, &o.m.post(&app, &reassign, json!({"to": o.c.id})).await, 403, "M reassigns to a user of another team");
        let bad_kind = app.post(&reassign, json!({"to": o.b.id, "kinds": ["activities"]})).await;
        status(&app, &bad_kind, 422, "activities have no owner to reassign");
        status(&app, &app.post(&reassign, json!({"to": o.x.id})).await, 422, "to a user of another workspace");

        // Only deals first.
        let only = o.m.post(&app, &reassign, json!({"to": o.b.id, "kinds": ["deals"]})).await;
        status(&app, &only, 200, "M reassigns A's deals to B");
        assert_eq!(only.body["reassigned"], json!({"deals": 1}), "[{n}]");
        assert_eq!(app.get(&format!("/api/v1/organizations/{org}")).await.body["owner_id"], json!(o.a.id), "[{n}] org stays");

        // Then everything else, once A has left.
        status(&app, &app.patch(&format!("/api/v1/users/{}", o.a.id), json!({"active": false})).await, 200, "A leaves");
        let all = app.post(&reassign, json!({"to": o.b.id})).await;
        status(&app, &all, 200, "Z reassigns the rest");
        assert_eq!(all.body["reassigned"], json!({"organizations": 1, "people": 1, "deals": 0, "tasks": 1}), "[{n}]");
        for (c, id, col) in [
            ("organizations", &org, "owner_id"),
            ("people", &person, "owner_id"),
            ("deals", &deal, "owner_id"),
            ("tasks", &task, "assignee_user_id"),
        ] {
            let r = app.get(&format!("/api/v1/{c}/{id}")).await;
            assert_eq!(r.body[col], json!(o.b.id), "[{n}] {c} now B's: {}", r.body);
            let h = app.get(&format!("/api/v1/{c}/{id}/history")).await;
            let row = &h.body["items"][0];
            assert_eq!(row["action"], "updated", "[{n}] {c} history: {}", h.body);
            assert_eq!(row["changes"][col], json!({"old": o.a.id, "new": o.b.id}), "[{n}] {c} history: {}", h.body);
        }
        assert_eq!(app.get(&format!("/api/v1/activities/{note}")).await.body["created_by"], json!(o.a.id), "[{n}] authors stay");
        assert_eq!(app.get(&format!("/api/v1/deals/{other}")).await.body["owner_id"], json!(o.c.id), "[{n}] C's deal stays");

        let events = audit(&app, "action=records_reassigned").await;
        assert_eq!(events.len(), 2, "[{n}] each reassignment audited: {events:?}");
        assert_eq!(events[0]["user_id"], json!(app.user_id), "[{n}] newest first, by Z");
        assert_eq!(events[0]["detail"]["from"], json!(o.a.id), "[{n}]");
        assert_eq!(events[0]["detail"]["to"], json!(o.b.id), "[{n}]");
        assert_eq!(events[0]["detail"]["counts"]["organizations"], 1, "[{n}] {}", events[0]);
        assert_eq!(events[1]["user_id"], json!(o.m.id), "[{n}] by M");
    }
}

/// Reassigning from someone who is not a user of the workspace is not found,
/// rather than a success that moved nothing.
#[tokio::test]
async fn reassigning_from_a_stranger_is_not_found() {
    for app in TestApp::all().await {
        let o = Office::new(&app).await;
        let stranger = uuid::Uuid::now_v7();
        let a = app.post(&format!("/api/v1/users/{stranger}/reassign"), json!({"to": o.b.id})).await;
        status(&app, &a, 404, "reassign from an unknown user");
        let a = o.x.post(&app, &format!("/api/v1/users/{}/reassign", o.a.id), json!({"to": o.x.id})).await;
        status(&app, &a, 404, "the other workspace's admin reassigns from A");
        let log = o.x.get(&app, "/api/v1/audit").await;
        assert!(!log.body.to_string().contains(&o.a.ids()), "[{}] A's id in the other workspace's audit log", app.name());
    }
}

async fn token(app: &TestApp, who: &Actor, scopes: &[&str]) -> (String, String) {
    let a = who.post(app, "/api/v1/tokens", json!({"name": "scoped", "scopes": scopes})).await;
    status(app, &a, 201, &format!("{} creates a token {scopes:?}", who.key));
    (id_of(&a.body), a.body["token"].as_str().expect("token").to_string())
}

#[tokio::test]
async fn token_scopes() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        let person = create(&app, &o.a, "people", json!({"first_name": "Scoped", "last_name": "Reader"})).await;
        let deal = create(&app, &o.a, "deals", json!({"name": "Scoped deal"})).await;
        let (_, people_read) = token(&app, &o.a, &["people:read"]).await;
        let (_, people_write) = token(&app, &o.a, &["people:write"]).await;
        let (_, read) = token(&app, &o.a, &["read"]).await;
        let appr = &app;
        let send = move |t: &str, m: Method, p: String, b: Option<Value>| {
            let t = t.to_string();
            async move { call(appr, &t, m, &p, b.as_ref()).await }
        };
        let pp = format!("/api/v1/people/{person}");
        let dp = format!("/api/v1/deals/{deal}");

        status(&app, &send(&people_read, Method::GET, "/api/v1/people".into(), None).await, 200, "people:read lists people");
        status(&app, &send(&people_read, Method::GET, pp.clone(), None).await, 200, "people:read reads a person");
        let post = send(&people_read, Method::POST, "/api/v1/people".into(), Some(json!({"first_name": "No"}))).await;
        status(&app, &post, 403, "people:read creates a person");
        status(
            &app,
            &send(&people_read, Method::PATCH, pp.clone(), Some(json!({"title": "x"}))).await,
            403,
            "people:read patches",
        );
        status(&app, &send(&people_read, Method::DELETE, pp.clone(), None).await, 403, "people:read deletes");
        status(&app, &send(&people_read, Method::GET, "/api/v1/deals".into(), None).await, 403, "people:read lists deals");
        status(&app, &send(&people_read, Method::GET, dp.clone(), None).await, 403, "people:read reads a deal");
        status(&app, &send(&people_read, Method::GET, format!("{dp}/timeline"), None).await, 403, "people:read: deal timeline");
        let hits = send(&people_read, Method::GET, "/api/v1/search?q=scoped".into(), None).await;
        status(&app, &hits, 200, "people:read searches");
        assert_eq!(item_ids(&hits), vec![person.clone()], "[{n}] people:read finds people only: {}", hits.body);

        let created = send(&people_write, Method::POST, "/api/v1/people".into(), Some(json!({"first_name": "Yes"}))).await;
        status(&app, &created, 201, "people:write creates a person");
        status(&app, &send(&people_write, Method::GET, dp.clone(), None).await, 403, "people:write reads a deal");
        let deal_post = send(&people_write, Method::POST, "/api/v1/deals".into(), Some(json!({"name": "No"}))).await;
        status(&app, &deal_post, 403, "people:write creates a deal");

        status(&app, &send(&read, Method::GET, dp.clone(), None).await, 200, "read reads a deal");
        status(&app, &send(&read, Method::PATCH, dp.clone(), Some(json!({"name": "x"}))).await, 403, "read patches a deal");
        status(&app, &send(&read, Method::POST, "/api/v1/deals".into(), Some(json!({"name": "x"}))).await, 403, "read creates");

        // A token never does more than its user: A's write token cannot manage users.
        let user = app.post("/api/v1/users", json!({"email": "new@example.com", "name": "New"})).await;
        status(&app, &user, 201, "Z creates a user");
        status(&app, &o.a.patch(&app, &format!("/api/v1/users/{}", id_of(&user.body)), json!({"role": "admin"})).await, 403, "A");
        let bad = o.a.post(&app, "/api/v1/tokens", json!({"name": "x", "scopes": ["people:admin"]})).await;
        status(&app, &bad, 422, "an unknown scope");
        let for_b = o.a.post(&app, "/api/v1/tokens", json!({"name": "x", "scopes": ["read"], "user_id": o.b.id})).await;
        status(&app, &for_b, 403, "A issues a token for B");
    }
}

/// Any live token may ask who it acts as, whatever its scopes.
#[tokio::test]
async fn me_answers_any_token() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        let (_, people_read) = token(&app, &o.a, &["people:read"]).await;
        let me = call(&app, &people_read, Method::GET, "/api/v1/me", None).await;
        status(&app, &me, 200, "me with a people:read token");
        assert_eq!(me.body["user"]["id"], json!(o.a.id), "[{n}] {}", me.body);
        assert_eq!(me.body["token_scopes"], json!(["people:read"]), "[{n}] {}", me.body);
    }
}

/// A token's scopes hold on every route that reads records of a kind.
#[tokio::test]
async fn token_scopes_hold_on_every_read_route() {
    for app in TestApp::all().await {
        let o = Office::new(&app).await;
        let deal = create(&app, &o.a, "deals", json!({"name": "Out of scope"})).await;
        let (_, deals_only) = token(&app, &o.a, &["deals:read"]).await;
        let (_, people_only) = token(&app, &o.a, &["people:read"]).await;
        for path in ["/api/v1/people/duplicates".to_string(), "/api/v1/organizations/duplicates".to_string()] {
            let a = call(&app, &deals_only, Method::GET, &path, None).await;
            status(&app, &a, 403, &format!("a deals:read token reads {path}"));
        }
        for path in [format!("/api/v1/deals/{deal}/history"), format!("/api/v1/deals/{deal}/stage-history")] {
            let a = call(&app, &people_only, Method::GET, &path, None).await;
            status(&app, &a, 403, &format!("a people:read token reads {path}"));
        }
    }
}

#[tokio::test]
async fn revoked_tokens_and_inactive_users_are_refused() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        let (id, secret) = token(&app, &o.a, &["read"]).await;
        status(&app, &call(&app, &secret, Method::GET, "/api/v1/me", None).await, 200, "a fresh token");
        let mine = o.a.get(&app, "/api/v1/tokens").await;
        assert!(item_ids(&mine).contains(&id), "[{n}] A lists the token");
        assert!(!mine.body.to_string().contains(&secret), "[{n}] the secret is never listed again");
        let all = app.get("/api/v1/tokens").await;
        assert!(item_ids(&all).contains(&id), "[{n}] Z lists every token");
        status(&app, &o.b.delete(&app, &format!("/api/v1/tokens/{id}")).await, 404, "B revokes A's token");
        status(&app, &o.a.delete(&app, &format!("/api/v1/tokens/{id}")).await, 204, "A revokes the token");
        let refused = call(&app, &secret, Method::GET, "/api/v1/me", None).await;
        status(&app, &refused, 401, "a revoked token");
        status(&app, &o.a.delete(&app, &format!("/api/v1/tokens/{id}")).await, 404, "revoking twice");
        let listed = o.a.get(&app, "/api/v1/tokens").await;
        let row = listed.body["items"].as_array().unwrap().iter().find(|t| t["id"] == json!(id)).cloned().unwrap_or_default();
        assert!(row["revoked_at"].is_string(), "[{n}] revoked_at set: {row}");

        // Z revokes another's token; an inactive user's tokens stop working.
        let (id2, secret2) = token(&app, &o.b, &["read"]).await;
        status(&app, &app.delete(&format!("/api/v1/tokens/{id2}")).await, 204, "Z revokes B's token");
        status(&app, &call(&app, &secret2, Method::GET, "/api/v1/me", None).await, 401, "B's revoked token");
        status(&app, &o.c.get(&app, "/api/v1/me").await, 200, "C before leaving");
        status(&app, &app.patch(&format!("/api/v1/users/{}", o.c.id), json!({"active": false})).await, 200, "C leaves");
        status(&app, &o.c.get(&app, "/api/v1/me").await, 401, "C's token after leaving");
        status(&app, &call(&app, "rpt_not-a-token", Method::GET, "/api/v1/me", None).await, 401, "an unknown token");
    }
}

#[tokio::test]
async fn the_audit_log_is_for_admins_and_tells_access_events() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        for who in [&o.a, &o.b, &o.r, &o.m, &o.c, &o.p] {
            status(&app, &who.get(&app, "/api/v1/audit").await, 403, &format!("{} reads the audit log", who.key));
        }
        let (token_id, _) = token(&app, &o.a, &["people:read"]).await;
        let person = create(&app, &o.a, "people", json!({"first_name": "Audited"})).await;
        let share =
            o.a.post(&app, &format!("/api/v1/people/{person}/shares"), json!({"user_id": o.b.id, "access": "write"})).await;
        status(&app, &share, 201, "A shares");
        status(&app, &app.patch("/api/v1/workspace/visibility", json!({"people": "team"})).await, 200, "Z sets visibility");

        let created = audit(&app, "action=token_created").await;
        let e =
            created.iter().find(|e| e["detail"]["token_id"] == json!(token_id)).unwrap_or_else(|| panic!("[{n}] {created:?}"));
        assert_eq!(e["user_id"], json!(o.a.id), "[{n}] who: {e}");
        assert_eq!(e["detail"]["scopes"], json!(["people:read"]), "[{n}] {e}");
        assert!(!e.to_string().contains("rpt_"), "[{n}] no secret in the log: {e}");

        let shared = audit(&app, &format!("record_kind=person&record_id={person}")).await;
        assert_eq!(shared.len(), 1, "[{n}] {shared:?}");
        assert_eq!(shared[0]["action"], "record_shared", "[{n}]");
        assert_eq!(shared[0]["user_id"], json!(o.a.id), "[{n}]");
        assert_eq!(shared[0]["detail"]["user_id"], json!(o.b.id), "[{n}] {}", shared[0]);
        assert_eq!(shared[0]["detail"]["access"], "write", "[{n}]");
        assert_eq!(shared[0]["via"], "api", "[{n}]");
        assert!(shared[0]["ip"].is_string(), "[{n}] the client's address: {}", shared[0]);

        let vis = audit(&app, "action=visibility_changed").await;
        assert_eq!(vis.len(), 1, "[{n}] {vis:?}");
        assert_eq!(vis[0]["detail"]["people"], "team", "[{n}] {}", vis[0]);
        assert_eq!(vis[0]["user_id"], json!(app.user_id), "[{n}]");

        let by_a = audit(&app, &format!("user_id={}", o.a.id)).await;
        assert!(by_a.iter().all(|e| e["user_id"] == json!(o.a.id)), "[{n}] filtered by user");
        let all = audit(&app, "").await;
        let ids: Vec<&str> = all.iter().filter_map(|e| e["id"].as_str()).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "[{n}] newest first");
        let page = audit(&app, &format!("before={}", ids[0])).await;
        assert_eq!(page.len(), all.len() - 1, "[{n}] before= pages");
        status(&app, &app.get("/api/v1/audit?record_id=x").await, 400, "record_id without record_kind");

        // The other workspace's log holds none of this.
        let theirs = o.x.get(&app, "/api/v1/audit").await;
        status(&app, &theirs, 200, "X reads its own log");
        let text = theirs.body.to_string();
        assert!(!text.contains(&person) && !text.contains(&token_id), "[{n}] X's log: {text}");
    }
}

/// A person with everything a privacy request touches.
struct Subject {
    person: String,
    consent: String,
    activity: String,
    deal: String,
    task: String,
}

async fn subject(app: &TestApp, o: &Office) -> Subject {
    let person = create(
        app,
        &o.a,
        "people",
        json!({"first_name": "Jeanne", "last_name": "Quintessa", "emails": [{"address": "jeanne.quintessa@example.com"}],
               "phones": [{"number": "+33 6 12 34 56 78"}], "title": "Director", "tags": ["vip"], "lead_source": "Fair",
               "address": {"street": "3 rue Lepic", "city": "Paris", "country": "FR"}, "birthday": "1980-05-04"}),
    )
    .await;
    let p = o.a.patch(app, &format!("/api/v1/people/{person}"), json!({"title": "Managing director"})).await;
    status(app, &p, 200, "a change to the person");
    let consent = create(
        app,
        &o.a,
        "consents",
        json!({"person_id": person, "purpose": "newsletter", "status": "granted", "method": "web_form"}),
    )
    .await;
    let activity = create(
        app,
        &o.a,
        "activities",
        json!({"type": "call", "subject": "Call with Jeanne Quintessa", "body": "Jeanne's mobile is 06 12 34 56 78",
               "duration_seconds": 600, "people": [person]}),
    )
    .await;
    let deal =
        create(app, &o.a, "deals", json!({"name": "Quintessa order", "amount_minor": 125000, "people": [{"id": person}]})).await;
    let task = create(app, &o.a, "tasks", json!({"title": "Send the contract", "people": [person]})).await;
    Subject { person, consent, activity, deal, task }
}

#[tokio::test]
async fn privacy_export() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        let s = subject(&app, &o).await;
        let path = format!("/api/v1/people/{}/privacy-export", s.person);
        for who in [&o.a, &o.b, &o.r, &o.m, &o.c, &o.p] {
            status(&app, &who.get(&app, &path).await, 403, &format!("{} exports", who.key));
        }
        status(&app, &o.x.get(&app, &path).await, 404, "the other workspace's admin exports");
        let e = app.get(&path).await;
        status(&app, &e, 200, "Z exports");
        assert_eq!(e.body["person"]["id"], json!(s.person), "[{n}]");
        assert_eq!(e.body["person"]["primary_email"], "jeanne.quintessa@example.com", "[{n}]");
        assert!(e.body["exported_at"].is_string(), "[{n}]");
        let ids = |k: &str| e.body[k].as_array().map(|a| a.iter().map(id_of).collect::<Vec<_>>()).unwrap_or_default();
        assert_eq!(ids("consents"), vec![s.consent.clone()], "[{n}] consents");
        assert_eq!(ids("activities"), vec![s.activity.clone()], "[{n}] activities");
        assert_eq!(ids("deals"), vec![s.deal.clone()], "[{n}] deals");
        assert_eq!(ids("tasks"), vec![s.task.clone()], "[{n}] tasks");
        let history: Vec<&str> = e.body["history"].as_array().unwrap().iter().filter_map(|h| h["action"].as_str()).collect();
        assert_eq!(history, vec!["created", "updated"], "[{n}] history, oldest first");
        assert_eq!(e.body["history"][1]["changes"]["title"]["old"], "Director", "[{n}]");

        let events = audit(&app, &format!("action=privacy_export&record_kind=person&record_id={}", s.person)).await;
        assert_eq!(events.len(), 1, "[{n}] the export is audited: {events:?}");
        assert_eq!(events[0]["user_id"], json!(app.user_id), "[{n}]");
        status(&app, &app.get(&format!("/api/v1/people/{}/privacy-export", uuid::Uuid::now_v7())).await, 404, "unknown person");
    }
}

#[tokio::test]
async fn privacy_erase() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        let s = subject(&app, &o).await;
        let path = format!("/api/v1/people/{}/erase", s.person);
        for who in [&o.a, &o.b, &o.r, &o.m, &o.c, &o.p] {
            status(&app, &who.post(&app, &path, json!({})).await, 403, &format!("{} erases", who.key));
        }
        status(&app, &o.x.post(&app, &path, json!({})).await, 404, "the other workspace's admin erases");
        let e = app.post(&path, json!({})).await;
        status(&app, &e, 200, "Z erases");

        let p = app.get(&format!("/api/v1/people/{}", s.person)).await;
        status(&app, &p, 200, "the person record stays");
        assert_eq!(p.body["name"], "Erased person", "[{n}] {}", p.body);
        for field in ["first_name", "last_name", "primary_email", "primary_phone", "title", "lead_source", "address", "birthday"]
        {
            assert!(p.body[field].is_null(), "[{n}] {field} erased: {}", p.body);
        }
        for field in ["emails", "phones", "tags"] {
            assert_eq!(p.body[field], json!([]), "[{n}] {field} erased");
        }
        assert_eq!(e.body["name"], "Erased person", "[{n}] the answer is the erased record");
        let text = p.body.to_string().to_lowercase();
        assert!(!text.contains("quintessa") && !text.contains("jeanne"), "[{n}] {text}");

        let history = app.get(&format!("/api/v1/people/{}/history", s.person)).await;
        let h = history.body.to_string().to_lowercase();
        assert!(!h.contains("quintessa") && !h.contains("director"), "[{n}] history wiped: {h}");
        assert_eq!(history.body["items"][0]["action"], "erased", "[{n}] the erasure is in the history");

        let a = app.get(&format!("/api/v1/activities/{}", s.activity)).await;
        assert!(a.body["subject"].is_null() && a.body["body"].is_null(), "[{n}] activity texts wiped: {}", a.body);
        assert_eq!(a.body["duration_seconds"], 600, "[{n}] durations stay");
        assert_eq!(a.body["people"], json!([s.person]), "[{n}] links stay");
        let d = app.get(&format!("/api/v1/deals/{}", s.deal)).await;
        assert_eq!(d.body["amount_minor"], 125000, "[{n}] amounts stay: {}", d.body);
        status(&app, &app.get(&format!("/api/v1/consents/{}", s.consent)).await, 200, "consents stay");

        let hits = app.get("/api/v1/search?q=quintessa").await;
        assert!(
            !exposed_ids(&hits.body).contains(&s.person) && !exposed_ids(&hits.body).contains(&s.activity),
            "[{n}] the old name no longer finds the person or the call: {}",
            hits.body
        );
        let events = audit(&app, &format!("action=privacy_erase&record_kind=person&record_id={}", s.person)).await;
        assert_eq!(events.len(), 1, "[{n}] the erasure is audited: {events:?}");
        assert_eq!(events[0]["user_id"], json!(app.user_id), "[{n}]");
    }
}

/// After an erasure, no route still shows the texts erased: not the history of
/// the activities about the person either.
#[tokio::test]
async fn erased_texts_are_gone_from_activity_history() {
    for app in TestApp::all().await {
        let o = Office::new(&app).await;
        let s = subject(&app, &o).await;
        status(&app, &app.post(&format!("/api/v1/people/{}/erase", s.person), json!({})).await, 200, "Z erases");
        let h = app.get(&format!("/api/v1/activities/{}/history", s.activity)).await;
        let text = h.body.to_string().to_lowercase();
        assert!(!text.contains("quintessa") && !text.contains("06 12 34 56 78"), "[{}] activity history: {text}", app.name());
    }
}

/// Portal users get nothing from the staff API, whichever route.
#[tokio::test]
async fn portal_users_get_nothing() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        let person = create(&app, &o.a, "people", json!({"first_name": "Portal", "last_name": "Target"})).await;
        let deal = create(&app, &o.a, "deals", json!({"name": "Portal deal"})).await;
        for path in [
            "/api/v1/people".to_string(),
            format!("/api/v1/people/{person}"),
            format!("/api/v1/people/{person}/timeline"),
            format!("/api/v1/people/{person}/history"),
            format!("/api/v1/deals/{deal}/stage-history"),
            "/api/v1/search?q=portal".into(),
            "/api/v1/people/duplicates".into(),
            "/api/v1/me".into(),
            "/api/v1/tokens".into(),
            "/api/v1/workspace".into(),
            "/api/v1/workspace/visibility".into(),
            "/api/v1/pipelines".into(),
            "/api/v1/custom-fields/people".into(),
        ] {
            let a = o.p.get(&app, &path).await;
            assert!(matches!(a.status.as_u16(), 403 | 404), "[{n}] portal GET {path}: {} {}", a.status, a.body);
        }
        let t = o.p.post(&app, "/api/v1/tokens", json!({"name": "mine", "scopes": ["read"]})).await;
        assert!(matches!(t.status.as_u16(), 403 | 404), "[{n}] portal creates a token: {} {}", t.status, t.body);
    }
}

/// A merged-away id leads to the record it was merged into only for those who may see that record.
#[tokio::test]
async fn merged_ids_lead_only_where_the_reader_may_go() {
    for app in TestApp::all().await {
        let o = Office::new(&app).await;
        set_visibility(&app, "private").await;
        let keep = create(&app, &o.a, "people", json!({"first_name": "Kept", "emails": [{"address": "kept@example.com"}]})).await;
        let gone = create(&app, &o.a, "people", json!({"first_name": "Gone", "emails": [{"address": "kept@example.com"}]})).await;
        let m = o.a.post(&app, &format!("/api/v1/people/{keep}/merge"), json!({"merge_ids": [gone]})).await;
        status(&app, &m, 200, "A merges");
        let client = rapport_testkit::reqwest::Client::builder()
            .redirect(rapport_testkit::reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let ask = |who: &Actor| client.get(format!("{}/api/v1/people/{gone}", app.base)).bearer_auth(who.token.clone()).send();
        let a = ask(&o.a).await.expect("request");
        assert!(a.status().is_redirection(), "[{}] A follows the merged id: {}", app.name(), a.status());
        let c = ask(&o.c).await.expect("request");
        let location = c.headers().get("location").map(|l| l.to_str().unwrap_or_default().to_string());
        assert_eq!(c.status().as_u16(), 404, "[{}] C asks for a merged id of A's: led to {location:?}", app.name());
    }
}

/// The timeline of a person shows what its reader may see, whatever the visibility of deals.
#[tokio::test]
async fn person_timelines_under_restricted_visibility() {
    for app in TestApp::all().await {
        let n = app.name();
        let o = Office::new(&app).await;
        let person =
            create(&app, &o.a, "people", json!({"first_name": "Timeline", "last_name": "Subject", "owner_id": null})).await;
        let mine = create(&app, &o.a, "deals", json!({"name": "A's deal", "people": [{"id": person}]})).await;
        let theirs = create(&app, &o.c, "deals", json!({"name": "C's deal", "people": [{"id": person}]})).await;
        set_visibility(&app, "team").await;
        let t = o.a.get(&app, &format!("/api/v1/people/{person}/timeline")).await;
        status(&app, &t, 200, "A reads the timeline of a person nobody owns");
        let shown = exposed_ids(&t.body);
        assert!(shown.contains(&mine), "[{n}] A's deal's changes: {}", t.body);
        assert!(!shown.contains(&theirs), "[{n}] not C's deal's changes: {}", t.body);
    }
}
