//! The record pages and new-record forms, driven as a browser would: records
//! really created and changed through forms, duplicates shown before saving, a
//! stale edit refused, logging and follow-ups linked to the record, permissions
//! and CSRF enforced, and names escaped.

use std::collections::BTreeMap;

use rapport_domain::Kind;
use rapport_store::{ListQuery, Scope, Via};
use rapport_testkit::browser::Browser;
use rapport_testkit::reqwest::{Method, StatusCode};
use rapport_testkit::serde_json::{Value, json};
use rapport_testkit::{TestApp, obj};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// The admin, signed in, and the session's CSRF token.
async fn admin(app: &TestApp) -> (Browser, String) {
    app.set_password(app.user_id, PASSWORD).await;
    sign_in(app, "admin@example.com").await
}

async fn sign_in(app: &TestApp, email: &str) -> (Browser, String) {
    let mut b = app.browser();
    let done = b.login(email, PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "[{}] sign in: {}", app.name(), done.body);
    let csrf = b.session_csrf().await;
    (b, csrf)
}

/// A user of the test workspace with a role and a password.
async fn user(app: &TestApp, email: &str, role: &str) -> Uuid {
    let system = Scope::system(app.scope.workspace_id, Via::Cli);
    let input = obj(json!({"email": email, "name": format!("User {role}"), "role": role}));
    let (u, _) = app.store.create(&system, Kind::User, &input, &Default::default()).await.unwrap();
    let id = Uuid::parse_str(u["id"].as_str().unwrap()).unwrap();
    app.set_password(id, PASSWORD).await;
    id
}

async fn all(app: &TestApp, kind: Kind) -> Vec<serde_json::Map<String, Value>> {
    app.store.list(&app.scope, kind, &ListQuery { limit: 500, ..ListQuery::default() }).await.unwrap().items
}

async fn get(app: &TestApp, kind: Kind, id: &str) -> serde_json::Map<String, Value> {
    app.store.get(&app.scope, kind, Uuid::parse_str(id).unwrap()).await.unwrap()
}

/// The id at the end of a redirect to a record page (`/people/ID?done=...`).
fn id_of(location: Option<&str>, coll: &str) -> String {
    let l = location.expect("a redirect");
    let rest = l.strip_prefix(&format!("/{coll}/")).unwrap_or_else(|| panic!("{l} is not a {coll} page"));
    rest.split(['?', '#']).next().unwrap().to_string()
}

#[tokio::test]
async fn each_kind_is_created_through_its_form() {
    for app in TestApp::all().await {
        let name = app.name();
        let (mut b, csrf) = admin(&app).await;

        let form = b.get("/organizations/new").await;
        assert_eq!(form.status, StatusCode::OK, "[{name}] {}", form.body);
        assert!(form.body.contains("id=\"new-organization\""), "[{name}]");
        let org = b
            .post_form(
                "/organizations/new",
                &[
                    ("csrf", &csrf),
                    ("name", "Acme Tooling"),
                    ("domain", "acme.example"),
                    ("phone", "+33 1 42 68 53 00"),
                    ("industry", "Tools"),
                ],
            )
            .await;
        assert_eq!(org.status, StatusCode::SEE_OTHER, "[{name}] {}", org.body);
        let org_id = id_of(org.location(), "organizations");
        let o = get(&app, Kind::Organization, &org_id).await;
        assert_eq!(o["name"], "Acme Tooling", "[{name}]");
        assert_eq!(o["domains"], json!(["acme.example"]), "[{name}]");

        // A person, prefilled with the organization from its page's link.
        let form = b.get(&format!("/people/new?organization_id={org_id}")).await;
        assert!(form.body.contains(&format!("<option value=\"{org_id}\" selected")), "[{name}] {}", form.body);
        let p = b
            .post_form(
                "/people/new",
                &[
                    ("csrf", &csrf),
                    ("first_name", "Grace"),
                    ("last_name", "Hopper"),
                    ("email", "Grace@Acme.example"),
                    ("phone", "+33 6 12 34 56 78"),
                    ("organization_id", &org_id),
                    ("title", "Admiral"),
                    ("owner_id", &app.user_id.to_string()),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let person_id = id_of(p.location(), "people");
        let person = get(&app, Kind::Person, &person_id).await;
        assert_eq!(person["primary_email"], "grace@acme.example", "[{name}]");
        assert_eq!(person["title"], "Admiral", "[{name}]");
        assert_eq!(person["organizations"][0]["id"], json!(org_id), "[{name}] {person:?}");
        let page = b.get(&format!("/people/{person_id}")).await;
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        assert!(page.body.contains("mailto:grace@acme.example"), "[{name}]");
        assert!(page.body.contains("href=\"tel:+33612345678\""), "[{name}] {}", page.body);
        assert!(page.body.contains("Acme Tooling"), "[{name}] the organization is linked");
        let org_page = b.get(&format!("/organizations/{org_id}")).await;
        assert!(org_page.body.contains(&format!("/people/{person_id}")), "[{name}] the organization lists its people");

        // A deal in major units.
        let d = b
            .post_form(
                "/deals/new",
                &[
                    ("csrf", &csrf),
                    ("name", "Forty lathes"),
                    ("organization_id", &org_id),
                    ("amount", "1250.50"),
                    ("currency", "EUR"),
                    ("expected_close_date", "2027-01-15"),
                ],
            )
            .await;
        assert_eq!(d.status, StatusCode::SEE_OTHER, "[{name}] {}", d.body);
        let deal_id = id_of(d.location(), "deals");
        let deal = get(&app, Kind::Deal, &deal_id).await;
        assert_eq!(deal["amount_minor"], 125050, "[{name}]");
        assert_eq!(deal["expected_close_date"], "2027-01-15", "[{name}]");
        assert_eq!(deal["organization_id"], json!(org_id), "[{name}]");
        let page = b.get(&format!("/deals/{deal_id}")).await;
        assert!(page.body.contains("€1,250.50"), "[{name}] money in the reader's locale: {}", page.body);
        assert!(page.body.contains("id=\"record-stage-history\""), "[{name}]");

        // A task, due at a time typed in the reader's zone, linked from the deal's page.
        let t = b
            .post_form(
                "/tasks/new",
                &[
                    ("csrf", &csrf),
                    ("title", "Call back about lathes"),
                    ("due_at", "2026-12-01T09:30"),
                    ("priority", "high"),
                    ("link_deals", &deal_id),
                ],
            )
            .await;
        assert_eq!(t.status, StatusCode::SEE_OTHER, "[{name}] {}", t.body);
        let task = get(&app, Kind::Task, &id_of(t.location(), "tasks")).await;
        assert_eq!(task["priority"], "high", "[{name}]");
        assert!(task["due_at"].as_str().unwrap().starts_with("2026-12-01T"), "[{name}] {task:?}");
        assert_eq!(task["deals"], json!([deal_id]), "[{name}]");

        let a = b
            .post_form(
                "/activities/new",
                &[
                    ("csrf", &csrf),
                    ("type", "meeting"),
                    ("subject", "Plant visit"),
                    ("occurred_at", "2026-11-20T14:00"),
                    ("link_people", &person_id),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "[{name}] {}", a.body);
        let act = get(&app, Kind::Activity, &id_of(a.location(), "activities")).await;
        assert_eq!(act["type"], "meeting", "[{name}]");
        assert_eq!(act["people"], json!([person_id]), "[{name}]");
        let page = b.get(&format!("/people/{person_id}")).await;
        assert!(page.body.contains("Plant visit"), "[{name}] the meeting is on the person's timeline");
    }
}

#[tokio::test]
async fn a_bad_form_is_shown_again_with_its_errors() {
    for app in TestApp::all().await {
        let name = app.name();
        let (mut b, csrf) = admin(&app).await;
        let bad = b.post_form("/deals/new", &[("csrf", &csrf), ("name", ""), ("amount", "12.345x"), ("currency", "EUR")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {}", bad.body);
        assert!(bad.body.contains("id=\"new-amount-error\""), "[{name}] {}", bad.body);
        assert!(bad.body.contains("aria-invalid=\"true\" aria-describedby=\"new-amount-error\""), "[{name}]");
        assert_eq!(bad.field("amount").as_deref(), Some("12.345x"), "[{name}] what was typed is kept");
        assert!(all(&app, Kind::Deal).await.is_empty(), "[{name}] nothing saved");

        let bad = b.post_form("/organizations/new", &[("csrf", &csrf), ("name", ""), ("industry", "Tools")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {}", bad.body);
        assert!(bad.body.contains("id=\"new-name-error\""), "[{name}] {}", bad.body);
        assert_eq!(bad.field("industry").as_deref(), Some("Tools"), "[{name}]");

        let bad = b.post_form("/people/new", &[("csrf", &csrf), ("email", "not an email")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {}", bad.body);
        assert!(bad.body.contains("id=\"new-email-error\""), "[{name}] {}", bad.body);
        // Worded by the catalog, not the store's English.
        assert!(bad.body.contains("Enter an email address, such as name@example.com."), "[{name}] {}", bad.body);
        assert!(!bad.body.contains("is not an email address"), "[{name}] not the store's sentence");
        assert!(all(&app, Kind::Person).await.is_empty(), "[{name}] nothing saved");

        // A limit the store gives is in the catalog's sentence.
        let long = "x".repeat(250);
        let bad = b.post_form("/organizations/new", &[("csrf", &csrf), ("name", &long)]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {}", bad.body);
        assert!(bad.body.contains("Use at most 200 characters."), "[{name}] {}", bad.body);
        assert!(!bad.body.contains("is longer than"), "[{name}] not the store's sentence");
    }
}

#[tokio::test]
async fn likely_duplicates_are_shown_before_saving() {
    for app in TestApp::all().await {
        let name = app.name();
        let existing =
            app.create("people", json!({"first_name": "Ada", "last_name": "Lovelace", "emails": ["ada@engines.example"]})).await;
        let (mut b, csrf) = admin(&app).await;
        let fields = [("csrf", csrf.as_str()), ("first_name", "Ada"), ("last_name", "King"), ("email", "ADA@engines.example")];
        let warn = b.post_form("/people/new", &fields).await;
        assert_eq!(warn.status, StatusCode::OK, "[{name}] {}", warn.body);
        assert!(warn.body.contains("id=\"new-duplicates\""), "[{name}] {}", warn.body);
        assert!(warn.body.contains("same email ada@engines.example"), "[{name}] the reason is given");
        assert!(
            warn.body.contains(&format!("/people/{}", existing["id"].as_str().unwrap())),
            "[{name}] a link to the existing record"
        );
        assert_eq!(warn.field("confirm_duplicates").as_deref(), Some("1"), "[{name}]");
        assert_eq!(warn.field("last_name").as_deref(), Some("King"), "[{name}] what was typed is kept");
        assert_eq!(all(&app, Kind::Person).await.len(), 1, "[{name}] not saved yet");

        let mut anyway = fields.to_vec();
        anyway.push(("confirm_duplicates", "1"));
        let done = b.post_form("/people/new", &anyway).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "[{name}] {}", done.body);
        assert_eq!(all(&app, Kind::Person).await.len(), 2, "[{name}] created anyway");

        // Organizations too: same domain.
        app.create("organizations", json!({"name": "Initech", "domains": ["initech.example"]})).await;
        let warn = b
            .post_form("/organizations/new", &[("csrf", &csrf), ("name", "Initech Europe"), ("domain", "initech.example")])
            .await;
        assert!(warn.body.contains("same domain initech.example"), "[{name}] {}", warn.body);
    }
}

#[tokio::test]
async fn an_edit_from_a_stale_version_is_refused() {
    for app in TestApp::all().await {
        let name = app.name();
        let p = app.create("people", json!({"first_name": "Alan", "last_name": "Turing"})).await;
        let id = p["id"].as_str().unwrap().to_string();
        let (mut b, csrf) = admin(&app).await;
        let page = b.get(&format!("/people/{id}")).await;
        assert!(page.body.contains("id=\"record-edit-form\""), "[{name}]");
        let version = page.field("version").unwrap();

        // Someone else saves first.
        let other = app.patch(&format!("/api/v1/people/{id}"), json!({"title": "Mathematician"})).await;
        assert_eq!(other.status, StatusCode::OK, "[{name}] {}", other.body);

        let stale = b
            .post_form(
                &format!("/people/{id}"),
                &[("csrf", &csrf), ("version", &version), ("first_name", "Overwritten"), ("last_name", "Turing"), ("title", "")],
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "[{name}] {}", stale.body);
        assert!(stale.body.contains("Someone else changed this record"), "[{name}]");
        assert!(stale.body.contains("Mathematician"), "[{name}] the latest values are shown");
        let now = get(&app, Kind::Person, &id).await;
        assert_eq!(now["first_name"], "Alan", "[{name}] nothing overwritten");
        assert_eq!(now["title"], "Mathematician", "[{name}]");

        // The script's in-place edit is held to the same rule through the API.
        let patch = json!({"first_name": "Scripted"});
        let headers = [("x-csrf-token", csrf.as_str()), ("if-match", "\"1\""), ("content-type", "application/merge-patch+json")];
        let refused = b.api(Method::PATCH, &format!("/api/v1/people/{id}"), Some(&patch), &headers).await;
        assert_eq!(refused.status, StatusCode::PRECONDITION_FAILED, "[{name}] {}", refused.body);
        assert_eq!(get(&app, Kind::Person, &id).await["first_name"], "Alan", "[{name}] nothing overwritten");

        // From the version shown now, the edit goes through.
        let version = stale.field("version").unwrap();
        let ok = b
            .post_form(
                &format!("/people/{id}"),
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("first_name", "Alan M."),
                    ("last_name", "Turing"),
                    ("title", "Mathematician"),
                ],
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "[{name}] {}", ok.body);
        assert_eq!(get(&app, Kind::Person, &id).await["first_name"], "Alan M.", "[{name}]");

        // A bad value is shown next to its field.
        let version = get(&app, Kind::Person, &id).await["version"].to_string();
        let bad = b.post_form(&format!("/people/{id}"), &[("csrf", &csrf), ("version", &version), ("email", "nope")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {}", bad.body);
        assert!(bad.body.contains("id=\"edit-email-error\""), "[{name}]");
    }
}

#[tokio::test]
async fn a_call_and_a_follow_up_are_logged_on_the_record() {
    for app in TestApp::all().await {
        let name = app.name();
        let org = app.create("organizations", json!({"name": "Globex"})).await;
        let deal = app.create("deals", json!({"name": "Globex renewal", "organization_id": org["id"]})).await;
        let person = app.create("people", json!({"first_name": "Hank", "last_name": "Scorpio"})).await;
        let pid = person["id"].as_str().unwrap().to_string();
        let did = deal["id"].as_str().unwrap().to_string();
        let (mut b, csrf) = admin(&app).await;

        let page = b.get(&format!("/people/{pid}")).await;
        assert!(page.body.contains("id=\"record-log-form\"") && page.body.contains("id=\"record-follow-up-form\""), "[{name}]");
        let logged = b
            .post_form(
                &format!("/people/{pid}/log"),
                &[("csrf", &csrf), ("type", "call"), ("subject", "Discussed pricing"), ("outcome", "connected")],
            )
            .await;
        assert_eq!(logged.status, StatusCode::SEE_OTHER, "[{name}] {}", logged.body);
        let acts = all(&app, Kind::Activity).await;
        assert_eq!(acts.len(), 1, "[{name}]");
        assert_eq!(acts[0]["type"], "call", "[{name}]");
        assert_eq!(acts[0]["outcome"], "connected", "[{name}]");
        assert_eq!(acts[0]["people"], json!([pid]), "[{name}] linked to the person");

        let scheduled = b
            .post_form(
                &format!("/people/{pid}/follow-up"),
                &[("csrf", &csrf), ("title", "Send the proposal"), ("due_at", "2026-12-02T10:00"), ("assignee_user_id", "")],
            )
            .await;
        assert_eq!(scheduled.status, StatusCode::SEE_OTHER, "[{name}] {}", scheduled.body);
        let tasks = all(&app, Kind::Task).await;
        assert_eq!(tasks.len(), 1, "[{name}]");
        assert_eq!(tasks[0]["people"], json!([pid]), "[{name}] linked to the person");
        assert_eq!(tasks[0]["assignee_user_id"], json!(app.user_id.to_string()), "[{name}] assigned to me by default");

        let page = b.get(&format!("/people/{pid}?done=logged")).await;
        let timeline = &page.body[page.body.find("id=\"record-timeline\"").expect("a timeline")..];
        assert!(timeline.contains("Discussed pricing") && timeline.contains("Send the proposal"), "[{name}] {timeline}");
        assert!(page.body.contains("Logged."), "[{name}] the flash");

        // On a deal, the follow-up also sets the deal's next step.
        let s = b
            .post_form(
                &format!("/deals/{did}/follow-up"),
                &[("csrf", &csrf), ("title", "Chase the signature"), ("due_at", ""), ("next_step", "Signature")],
            )
            .await;
        assert_eq!(s.status, StatusCode::SEE_OTHER, "[{name}] {}", s.body);
        assert_eq!(get(&app, Kind::Deal, &did).await["next_step"], "Signature", "[{name}]");
        let note =
            b.post_form(&format!("/deals/{did}/log"), &[("csrf", &csrf), ("type", "note"), ("body", "Budget approved")]).await;
        assert_eq!(note.status, StatusCode::SEE_OTHER, "[{name}]");
        let org_page = b.get(&format!("/organizations/{}", org["id"].as_str().unwrap())).await;
        assert!(org_page.body.contains("Budget approved"), "[{name}] the deal's note is on its organization's timeline");
    }
}

#[tokio::test]
async fn a_task_is_marked_done_and_a_record_deleted_after_confirmation() {
    for app in TestApp::all().await {
        let name = app.name();
        let task = app.create("tasks", json!({"title": "Water the plants"})).await;
        let tid = task["id"].as_str().unwrap().to_string();
        let (mut b, csrf) = admin(&app).await;
        let page = b.get(&format!("/tasks/{tid}")).await;
        assert!(page.body.contains("id=\"record-done\""), "[{name}]");
        let done = b.post_form(&format!("/tasks/{tid}/done"), &[("csrf", &csrf)]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "[{name}] {}", done.body);
        assert_eq!(get(&app, Kind::Task, &tid).await["status"], "done", "[{name}]");
        let page = b.get(&format!("/tasks/{tid}")).await;
        assert!(!page.body.contains("id=\"record-done\""), "[{name}] a done task has no done button");

        let org = app.create("organizations", json!({"name": "Umbrella"})).await;
        let oid = org["id"].as_str().unwrap().to_string();
        let confirm = b.get(&format!("/organizations/{oid}/delete")).await;
        assert_eq!(confirm.status, StatusCode::OK, "[{name}] {}", confirm.body);
        assert!(confirm.body.contains("id=\"record-delete-form\"") && confirm.body.contains("Umbrella"), "[{name}]");
        assert!(
            app.store.get(&app.scope, Kind::Organization, Uuid::parse_str(&oid).unwrap()).await.is_ok(),
            "[{name}] still there"
        );
        let version = confirm.field("version").unwrap();
        let gone = b.post_form(&format!("/organizations/{oid}/delete"), &[("csrf", &csrf), ("version", &version)]).await;
        assert_eq!(gone.status, StatusCode::SEE_OTHER, "[{name}] {}", gone.body);
        assert!(app.store.get(&app.scope, Kind::Organization, Uuid::parse_str(&oid).unwrap()).await.is_err(), "[{name}] deleted");
        assert_eq!(b.get(&format!("/organizations/{oid}")).await.status, StatusCode::NOT_FOUND, "[{name}]");
        assert_eq!(b.get("/organizations/not-a-uuid").await.status, StatusCode::NOT_FOUND, "[{name}]");
    }
}

#[tokio::test]
async fn a_merged_away_record_leads_to_its_survivor() {
    for app in TestApp::all().await {
        let name = app.name();
        let a = app.create("people", json!({"first_name": "Kim", "emails": ["kim@example.com"]})).await;
        let c = app.create("people", json!({"first_name": "Kim", "emails": ["kim@example.org"]})).await;
        let (ka, kc) = (Uuid::parse_str(a["id"].as_str().unwrap()).unwrap(), Uuid::parse_str(c["id"].as_str().unwrap()).unwrap());
        app.store.merge(&app.scope, Kind::Person, ka, &[kc], &BTreeMap::new(), &BTreeMap::new()).await.unwrap();
        let (mut b, _) = admin(&app).await;
        let r = b.get(&format!("/people/{kc}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{name}] {}", r.body);
        assert_eq!(r.location(), Some(format!("/people/{ka}").as_str()), "[{name}]");
    }
}

#[tokio::test]
async fn read_only_and_other_workspace_users_are_refused() {
    for app in TestApp::all().await {
        let name = app.name();
        let p = app.create("people", json!({"first_name": "Marie", "last_name": "Curie"})).await;
        let id = p["id"].as_str().unwrap().to_string();
        user(&app, "reader@example.com", "read_only").await;
        let (mut r, csrf) = sign_in(&app, "reader@example.com").await;
        let page = r.get(&format!("/people/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        assert!(page.body.contains("Marie"), "[{name}]");
        for control in ["record-edit-form", "record-log-form", "record-follow-up-form", "record-delete-link", "data-edit="] {
            assert!(!page.body.contains(control), "[{name}] a read-only user sees no {control}");
        }
        assert_eq!(r.get("/people/new").await.status, StatusCode::FORBIDDEN, "[{name}]");
        let refused = r.post_form("/people/new", &[("csrf", &csrf), ("first_name", "Sneaky")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}]");
        let refused =
            r.post_form(&format!("/people/{id}"), &[("csrf", &csrf), ("version", "1"), ("first_name", "Changed")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}]");
        let refused = r.post_form(&format!("/people/{id}/log"), &[("csrf", &csrf), ("type", "call")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}]");
        let refused = r.post_form(&format!("/people/{id}/delete"), &[("csrf", &csrf)]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}]");
        assert_eq!(get(&app, Kind::Person, &id).await["first_name"], "Marie", "[{name}] unchanged");
        assert_eq!(all(&app, Kind::Person).await.len(), 1, "[{name}]");
        assert!(all(&app, Kind::Activity).await.is_empty(), "[{name}]");

        // Someone of another workspace sees nothing of this one.
        let ws2 = app.store.create_workspace("Other company", "USD", "US").await.unwrap();
        let sys2 = Scope::system(ws2.id, Via::Cli);
        let input = obj(json!({"email": "stranger@example.com", "name": "Stan Stranger", "role": "admin"}));
        let (u2, _) = app.store.create(&sys2, Kind::User, &input, &Default::default()).await.unwrap();
        let hash = rapport_store::auth::hash_password(PASSWORD).await.unwrap();
        app.store
            .set_password_hash(&sys2, Uuid::parse_str(u2["id"].as_str().unwrap()).unwrap(), &hash, "password_set")
            .await
            .unwrap();
        let (mut s, csrf) = sign_in(&app, "stranger@example.com").await;
        assert_eq!(s.get(&format!("/people/{id}")).await.status, StatusCode::NOT_FOUND, "[{name}]");
        let refused =
            s.post_form(&format!("/people/{id}"), &[("csrf", &csrf), ("version", "1"), ("first_name", "Changed")]).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "[{name}]");
        assert_eq!(get(&app, Kind::Person, &id).await["first_name"], "Marie", "[{name}] unchanged");
    }
}

#[tokio::test]
async fn names_are_escaped_and_forms_need_their_csrf_token() {
    for app in TestApp::all().await {
        let name = app.name();
        let (mut b, csrf) = admin(&app).await;
        let made = b.post_form("/organizations/new", &[("csrf", &csrf), ("name", "<script>alert(1)</script>")]).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "[{name}] {}", made.body);
        let id = id_of(made.location(), "organizations");
        let page = b.get(&format!("/organizations/{id}")).await;
        assert!(!page.body.contains("<script>alert(1)"), "[{name}] the name is escaped");
        assert!(
            page.body.contains("<h1 id=\"record-title\">&#60;script&#62;alert(1)&#60;/script&#62;</h1>"),
            "[{name}] {}",
            page.body
        );

        let refused = b.post_form("/people/new", &[("first_name", "Forged")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}]");
        let refused = b.post_form("/people/new", &[("csrf", "not-the-token"), ("first_name", "Forged")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}]");
        assert!(all(&app, Kind::Person).await.is_empty(), "[{name}] nothing created");
        let refused = b.post_form(&format!("/organizations/{id}/delete"), &[("csrf", "nope")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}]");
        assert!(
            app.store.get(&app.scope, Kind::Organization, Uuid::parse_str(&id).unwrap()).await.is_ok(),
            "[{name}] not deleted"
        );
    }
}

#[tokio::test]
async fn times_are_typed_in_the_readers_zone_and_the_timeline_pages() {
    for app in TestApp::all().await {
        let name = app.name();
        let system = Scope::system(app.scope.workspace_id, Via::Cli);
        let zone = json!({"time_zone": "America/New_York"});
        app.store.update(&system, Kind::User, app.user_id, &zone, &Default::default()).await.unwrap();
        let (mut b, csrf) = admin(&app).await;
        let t = b.post_form("/tasks/new", &[("csrf", &csrf), ("title", "Morning call"), ("due_at", "2026-12-01T09:30")]).await;
        assert_eq!(t.status, StatusCode::SEE_OTHER, "[{name}] {}", t.body);
        let tid = id_of(t.location(), "tasks");
        let task = get(&app, Kind::Task, &tid).await;
        assert!(task["due_at"].as_str().unwrap().starts_with("2026-12-01T14:30:00"), "[{name}] 9:30 in New York: {task:?}");
        let page = b.get(&format!("/tasks/{tid}?edit=1")).await;
        assert_eq!(page.field("due_at").as_deref(), Some("2026-12-01T09:30"), "[{name}] shown back in the reader's zone");
        assert!(page.body.contains("9:30 AM"), "[{name}]");

        // Thirty calls: the newest first, the rest behind "Older".
        let p = app.create("people", json!({"first_name": "Busy", "last_name": "Caller"})).await;
        let pid = p["id"].as_str().unwrap();
        for i in 0..30 {
            let at = format!("2026-10-{:02}T12:00:00Z", i + 1);
            app.create(
                "activities",
                json!({"type": "call", "subject": format!("Call number {i:02}"), "occurred_at": at, "people": [pid]}),
            )
            .await;
        }
        let first = b.get(&format!("/people/{pid}")).await;
        assert!(first.body.contains("Call number 29") && !first.body.contains("Call number 00"), "[{name}]");
        let href = first.href_of("timeline-older").expect("an Older link");
        let older = b.get(&href).await;
        assert_eq!(older.status, StatusCode::OK, "[{name}] {href}");
        assert!(older.body.contains("Call number 00") && !older.body.contains("Call number 29"), "[{name}] {href}");
        assert!(older.body.contains("id=\"timeline-newest\""), "[{name}]");
    }
}

/// The organization of a person or deal is found by name: no form lists the
/// organizations. Without script the name typed is searched when the form is
/// sent: one match (or the one of that exact name) is taken, several are
/// offered in the list, none is an error next to the field.
#[tokio::test]
async fn an_organization_is_chosen_by_the_name_typed() {
    for app in TestApp::all().await {
        let name = app.name();
        for n in ["Globex", "Globex Logistics", "Initech", "Umbrella"] {
            app.create("organizations", json!({"name": n})).await;
        }
        let orgs = all(&app, Kind::Organization).await;
        let id_of_org = |n: &str| orgs.iter().find(|o| o["name"] == n).unwrap()["id"].as_str().unwrap().to_string();
        let (mut b, csrf) = admin(&app).await;

        let form = b.get("/people/new").await;
        assert!(form.body.contains("id=\"new-organization_id-q\""), "[{name}] a search field");
        assert!(!form.body.contains("Umbrella"), "[{name}] no list of organizations: {}", form.body);

        // One match.
        let one = b
            .post_form(
                "/people/new",
                &[("csrf", &csrf), ("first_name", "Ann"), ("last_name", "One"), ("organization_id_q", "initech")],
            )
            .await;
        assert_eq!(one.status, StatusCode::SEE_OTHER, "[{name}] {}", one.body);
        let person = get(&app, Kind::Person, &id_of(one.location(), "people")).await;
        assert_eq!(person["organizations"][0]["id"], json!(id_of_org("Initech")), "[{name}] {person:?}");

        // Several, one of them named exactly so.
        let exact = b.post_form("/deals/new", &[("csrf", &csrf), ("name", "Exact deal"), ("organization_id_q", "Globex")]).await;
        assert_eq!(exact.status, StatusCode::SEE_OTHER, "[{name}] {}", exact.body);
        let deal = get(&app, Kind::Deal, &id_of(exact.location(), "deals")).await;
        assert_eq!(deal["organization_id"], json!(id_of_org("Globex")), "[{name}]");

        // Several: offered, nothing saved; the choice then goes through.
        let p = app.create("people", json!({"first_name": "Bob", "last_name": "Two"})).await;
        let pid = p["id"].as_str().unwrap().to_string();
        let several = b
            .post_form(
                &format!("/people/{pid}"),
                &[("csrf", &csrf), ("version", "1"), ("last_name", "Two"), ("organization_id_q", "glob")],
            )
            .await;
        assert_eq!(several.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {}", several.body);
        assert!(several.body.contains("id=\"edit-organization_id-error\""), "[{name}]");
        for n in ["Globex", "Globex Logistics"] {
            assert!(several.body.contains(&format!("<option value=\"{}\"", id_of_org(n))), "[{name}] {n} offered");
        }
        assert!(!several.body.contains("Umbrella"), "[{name}] only the matches");
        assert_eq!(get(&app, Kind::Person, &pid).await["version"], 1, "[{name}] nothing saved");
        let chosen = id_of_org("Globex Logistics");
        let ok = b
            .post_form(
                &format!("/people/{pid}"),
                &[
                    ("csrf", &csrf),
                    ("version", "1"),
                    ("last_name", "Two"),
                    ("organization_id", &chosen),
                    ("organization_id_q", ""),
                ],
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "[{name}] {}", ok.body);
        assert_eq!(get(&app, Kind::Person, &pid).await["organizations"][0]["id"], json!(chosen), "[{name}]");
        // The page shows the current organization in the list, and no other.
        let page = b.get(&format!("/people/{pid}")).await;
        assert!(page.body.contains(&format!("<option value=\"{chosen}\" selected")), "[{name}]");
        assert!(!page.body.contains("Initech"), "[{name}] no list of organizations");

        // None.
        let none =
            b.post_form("/people/new", &[("csrf", &csrf), ("first_name", "Cy"), ("organization_id_q", "Nowhere Inc")]).await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {}", none.body);
        assert!(none.body.contains("No organization matches"), "[{name}]");
    }
}

/// Custom fields on a record page and in its list as the built-in ones are:
/// an email is a `mailto:` link, a phone a `tel:` link, a web address a link,
/// and numbers and percentages in the reader's locale.
#[tokio::test]
async fn custom_contact_fields_are_links_and_numbers_are_localized() {
    for app in TestApp::all().await {
        let n = app.name();
        for def in [
            json!({"key": "alt_email", "label": "Other email", "type": "email"}),
            json!({"key": "mobile", "label": "Mobile", "type": "phone"}),
            json!({"key": "homepage", "label": "Homepage", "type": "url"}),
            json!({"key": "score", "label": "Score", "type": "number"}),
            json!({"key": "discount", "label": "Discount", "type": "percent", "min": 0, "max": 100}),
        ] {
            let a = app.post("/api/v1/custom-fields/people", def).await;
            assert_eq!(a.status, StatusCode::CREATED, "[{n}] {}", a.body);
        }
        let ann = app
            .create(
                "people",
                json!({"first_name": "Ann", "last_name": "Example", "custom": {
                    "alt_email": "ann@example.com", "mobile": "+33 6 12 34 56 78", "homepage": "https://ann.example",
                    "score": 1234.5, "discount": 12.5
                }}),
            )
            .await;
        let id = ann["id"].as_str().unwrap();
        let (mut b, _) = admin(&app).await;
        let page = b.get(&format!("/people/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "[{n}] {}", page.body);
        assert!(page.body.contains("href=\"mailto:ann@example.com\""), "[{n}] the email is a mailto: link: {}", page.body);
        assert!(page.body.contains("href=\"tel:+33612345678\""), "[{n}] the phone is a tel: link: {}", page.body);
        assert!(page.body.contains("href=\"https://ann.example\""), "[{n}] the web address is a link: {}", page.body);
        assert!(page.body.contains("1,234.5") && page.body.contains("12.5%"), "[{n}] numbers in en-US: {}", page.body);

        let list = b.get("/people?cols=name,custom.alt_email,custom.mobile,custom.homepage").await;
        assert!(list.body.contains("href=\"mailto:ann@example.com\""), "[{n}] a link in the list too: {}", list.body);
        assert!(list.body.contains("href=\"tel:+33612345678\""), "[{n}] {}", list.body);
        assert!(list.body.contains("href=\"https://ann.example\""), "[{n}] {}", list.body);

        b.extra_headers.push(("accept-language".into(), "de-DE".into()));
        let german = b.get(&format!("/people/{id}")).await;
        assert!(german.body.contains("1.234,5") && german.body.contains("12,5%"), "[{n}] numbers in de-DE: {}", german.body);
    }
}

/// An empty list says what its records are for and how to get the first ones,
/// for every kind, not only people.
#[tokio::test]
async fn every_empty_list_teaches() {
    for app in TestApp::all().await {
        let n = app.name();
        let (mut b, _) = admin(&app).await;
        for (path, new) in [
            ("/people", "New person"),
            ("/organizations", "New organization"),
            ("/deals", "New deal"),
            ("/tasks", "New task"),
            ("/activities", "New activity"),
        ] {
            let page = b.get(path).await;
            assert_eq!(page.status, StatusCode::OK, "[{n}] {path}");
            assert!(page.body.contains("id=\"list-empty-title\""), "[{n}] {path} has an empty state: {}", page.body);
            assert!(
                page.body.contains(&format!("href=\"{path}/new\">{new}</a>")),
                "[{n}] {path} offers to create: {}",
                page.body
            );
            assert!(page.body.contains("id=\"list-empty-import\""), "[{n}] {path} offers an import");
            let filtered = b.get(&format!("{path}?q=nothing-like-this")).await;
            assert!(filtered.body.contains("Nothing matches these filters"), "[{n}] {path} filtered: {}", filtered.body);
            assert!(!filtered.body.contains("id=\"list-empty-title\""), "[{n}] {path}");
        }
        // Each says something of its own.
        let texts: std::collections::BTreeSet<String> = empty_texts(&mut b).await;
        assert_eq!(texts.len(), 5, "[{n}] one text per kind: {texts:?}");
    }
}

async fn empty_texts(b: &mut Browser) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for path in ["/people", "/organizations", "/deals", "/tasks", "/activities"] {
        let body = b.get(path).await.body;
        let start = body.find("id=\"list-empty-title\"").expect("an empty state");
        let rest = &body[start..];
        let p = rest.find("<p>").expect("a text") + 3;
        out.insert(rest[p..p + rest[p..].find("</p>").expect("end")].to_string());
    }
    out
}

/// A large account shows the first of its people, deals and open tasks, and
/// links each section to its list of all of them.
#[tokio::test]
async fn a_large_accounts_sections_lead_to_all_their_records() {
    for app in TestApp::all().await {
        let name = app.name();
        let system = Scope::system(app.scope.workspace_id, Via::Cli);
        let big = app.create("organizations", json!({"name": "Big Account"})).await;
        let small = app.create("organizations", json!({"name": "Small Account"})).await;
        let people: Vec<_> = (0..52)
            .map(|i| obj(json!({"first_name": format!("Member{i:02}"), "last_name": "Big", "organizations": [big["id"]]})))
            .collect();
        app.store.create_many(&system, Kind::Person, &people).await.unwrap();
        app.create("people", json!({"first_name": "Outsider", "last_name": "Elsewhere", "organizations": [small["id"]]})).await;
        let (mut b, _) = admin(&app).await;

        let page = b.get(&format!("/organizations/{}", big["id"].as_str().unwrap())).await;
        assert_eq!(page.status, StatusCode::OK, "[{name}]");
        assert!(page.body.contains("Member00 Big") && !page.body.contains("Member51 Big"), "[{name}] the first fifty by name");
        let href = page.href_of("related-people-all").expect("a link to all the people");
        assert!(!page.body.contains("id=\"related-deals-all\""), "[{name}] no deals, no link");

        let list = b.get(&href).await;
        assert_eq!(list.status, StatusCode::OK, "[{name}] {href}");
        assert!(
            list.body.contains("Member00 Big") && !list.body.contains("Outsider"),
            "[{name}] only the account's people: {href}"
        );
        let tail = b.get(&format!("{}&sort=-name", href.replace("&sort=name", ""))).await;
        assert!(tail.body.contains("Member51 Big") && !tail.body.contains("Outsider"), "[{name}] all of them: {href}");

        let few = b.get(&format!("/organizations/{}", small["id"].as_str().unwrap())).await;
        assert!(
            few.body.contains("Outsider Elsewhere") && !few.body.contains("related-people-all"),
            "[{name}] all shown, no link"
        );
    }
}
