//! The duplicate review and merge pages: the clusters with their reasons, the
//! merge form with its defaults, a merge that keeps the chosen values and
//! everything linked to both records, and what is refused (a stale page, a
//! read-only user, a form without its CSRF token).

use rapport_testkit::TestApp;
use rapport_testkit::browser::{Browser, Page};
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

async fn admin(app: &TestApp) -> Browser {
    app.set_password(app.user_id, PASSWORD).await;
    let mut b = app.browser();
    assert_eq!(b.login("admin@example.com", PASSWORD).await.status, StatusCode::SEE_OTHER, "[{}]", app.name());
    b
}

async fn user(app: &TestApp, email: &str, role: &str) -> Browser {
    let u = app.create("users", json!({"email": email, "name": role, "role": role})).await;
    let id = Uuid::parse_str(u["id"].as_str().unwrap()).unwrap();
    app.set_password(id, PASSWORD).await;
    let mut b = app.browser();
    assert_eq!(b.login(email, PASSWORD).await.status, StatusCode::SEE_OTHER, "[{}] {email}", app.name());
    b
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// Two people sharing an email: the survivor without a title, the other with one.
async fn pair(app: &TestApp) -> (String, String) {
    let keep = app.create("people", json!({"first_name": "Ada", "last_name": "Lovelace", "emails": ["ada@acme.example"]})).await;
    let other = app
        .create("people", json!({"first_name": "Ada", "last_name": "King", "emails": ["ada@acme.example"], "title": "Countess"}))
        .await;
    (id(&keep), id(&other))
}

/// The HTML of one field's choice on the merge page.
fn fieldset<'a>(page: &'a Page, field: &str) -> &'a str {
    let start =
        page.body.find(&format!("id=\"duplicates-field-{field}\"")).unwrap_or_else(|| panic!("no {field}: {}", page.body));
    let rest = &page.body[start..];
    &rest[..rest.find("</fieldset>").unwrap()]
}

/// The merge form's fields as the page drew them, with some changed.
fn form(page: &Page, ids: &[&str], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![
        ("csrf".into(), page.field("csrf").unwrap()),
        ("kind".into(), page.field("kind").unwrap()),
        ("ids".into(), page.field("ids").unwrap()),
        ("survivor".into(), ids[0].to_string()),
    ];
    for i in ids {
        let name = format!("version.{i}");
        out.push((name.clone(), page.field(&name).unwrap()));
    }
    for (k, v) in changes {
        out.retain(|(n, _)| n != k);
        out.push((k.to_string(), v.to_string()));
    }
    out
}

async fn post(b: &mut Browser, fields: &[(String, String)]) -> Page {
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post_form("/duplicates/merge", &f).await
}

#[tokio::test]
async fn the_review_lists_clusters_with_their_reasons_escaped() {
    for app in TestApp::all().await {
        let n = app.name();
        let mut b = admin(&app).await;
        let empty = b.get("/duplicates?kind=people").await;
        assert_eq!(empty.status, StatusCode::OK, "[{n}] {}", empty.body);
        assert!(empty.body.contains("id=\"duplicates-empty\""), "[{n}] {}", empty.body);
        assert!(empty.body.contains("No likely duplicates were found"), "[{n}]");

        let (k, o) = pair(&app).await;
        let acme = app.create("organizations", json!({"name": "Acme Engines"})).await;
        app.patch(&format!("/api/v1/people/{k}"), json!({"organizations": [{"id": acme["id"]}]})).await;
        let evil = app.create("people", json!({"first_name": "<script>alert(1)</script>", "emails": ["x@evil.example"]})).await;
        app.create("people", json!({"first_name": "<script>alert(1)</script>", "emails": ["x@evil.example"]})).await;
        app.create("people", json!({"first_name": "Grace", "last_name": "Hopper", "emails": ["grace@navy.example"]})).await;
        let page = b.get("/duplicates?kind=people").await;
        assert_eq!(page.status, StatusCode::OK, "[{n}] {}", page.body);
        assert!(page.body.contains("Same email ada@acme.example"), "[{n}] the reason in words: {}", page.body);
        assert!(
            page.body.contains(&format!("href=\"/people/{k}\"")) && page.body.contains(&format!("href=\"/people/{o}\"")),
            "[{n}]"
        );
        assert!(page.body.contains("href=\"mailto:ada@acme.example\""), "[{n}]");
        assert!(page.body.contains("100% alike"), "[{n}]");
        assert!(page.body.contains("Acme Engines"), "[{n}] a person's organization is shown");
        assert!(page.body.contains("Review and merge"), "[{n}]");
        assert!(page.body.contains(&id(&evil)), "[{n}] the second cluster is listed");
        assert!(!page.body.contains("<script>alert(1)"), "[{n}] names are escaped");
        assert!(page.body.contains("&#60;script&#62;alert(1)"), "[{n}] {}", page.body);
        assert!(!page.body.contains("Grace"), "[{n}] a stranger is not a duplicate: {}", page.body);

        let orgs = b.get("/duplicates?kind=organizations").await;
        assert!(orgs.body.contains("id=\"duplicates-empty\""), "[{n}] {}", orgs.body);
        app.create("organizations", json!({"name": "Acme Engines", "domains": ["acme.example"]})).await;
        let orgs = b.get("/duplicates?kind=organizations").await;
        assert!(orgs.body.contains("Same name"), "[{n}] organizations too: {}", orgs.body);
        assert!(orgs.body.contains("/duplicates/merge?kind=organizations&amp;ids="), "[{n}]");
        let anon = app.browser().get("/duplicates").await;
        assert!(anon.location().unwrap_or_default().starts_with("/login"), "[{n}] signed-in only");
    }
}

#[tokio::test]
async fn a_merge_keeps_the_chosen_values_and_everything_linked() {
    for app in TestApp::all().await {
        let n = app.name();
        let mut b = admin(&app).await;
        let (k, o) = pair(&app).await;
        let call_k = app.create("activities", json!({"type": "call", "subject": "First call", "people": [k]})).await;
        let call_o = app.create("activities", json!({"type": "call", "subject": "Second call", "people": [o]})).await;

        let olga = app.create("users", json!({"email": "olga@example.com", "name": "Olga Owner", "role": "member"})).await;
        app.patch(&format!("/api/v1/people/{o}"), json!({"owner_id": olga["id"]})).await;
        let page = b.get(&format!("/duplicates/merge?kind=people&ids={k},{o}")).await;
        assert_eq!(page.status, StatusCode::OK, "[{n}] {}", page.body);
        assert!(page.body.contains(&format!("name=\"survivor\" value=\"{k}\" checked")), "[{n}] the first is the survivor");
        assert!(fieldset(&page, "owner_id").contains("Olga Owner"), "[{n}] an owner by name: {}", fieldset(&page, "owner_id"));
        assert!(
            fieldset(&page, "last_name").contains(&format!("value=\"{k}\" checked")),
            "[{n}] the survivor's value by default"
        );
        assert!(fieldset(&page, "title").contains(&format!("value=\"{o}\" checked")), "[{n}] else the non-empty one");
        assert!(fieldset(&page, "title").contains("<legend>"), "[{n}] each choice has a legend");
        assert!(!page.body.contains("id=\"duplicates-field-first_name\""), "[{n}] equal values are not asked about");
        assert!(page.body.contains("id=\"duplicates-kept\""), "[{n}]");

        let done = post(&mut b, &form(&page, &[&k, &o], &[("choose.last_name", &o), ("choose.title", &o)])).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "[{n}] {}", done.body);
        assert_eq!(done.location(), Some(format!("/people/{k}?done=merged").as_str()), "[{n}]");

        let shown = b.get(done.location().unwrap()).await;
        assert!(shown.body.contains("The records were merged into this one"), "[{n}] the survivor's page says so");
        let survivor = app.get(&format!("/api/v1/people/{k}")).await;
        assert_eq!(survivor.status, StatusCode::OK, "[{n}]");
        assert_eq!(survivor.body["last_name"], "King", "[{n}] the chosen value survives");
        assert_eq!(survivor.body["title"], "Countess", "[{n}]");
        assert_eq!(survivor.body["first_name"], "Ada", "[{n}]");
        for call in [&call_k, &call_o] {
            let a = app.get(&format!("/api/v1/activities/{}", id(call))).await;
            assert_eq!(a.body["people"], json!([k]), "[{n}] both records' activities are on the survivor");
        }
        let history = app.get(&format!("/api/v1/people/{k}/history?limit=100")).await;
        assert!(
            history.body["items"].as_array().unwrap().iter().any(|h| h["action"] == "merged"),
            "[{n}] recorded in the history"
        );

        let old = b.get(&format!("/people/{o}")).await;
        assert_eq!(old.status, StatusCode::SEE_OTHER, "[{n}] {}", old.body);
        assert_eq!(old.location(), Some(format!("/people/{k}").as_str()), "[{n}] the old id leads to the survivor");
        let after = b.get("/duplicates?kind=people").await;
        assert!(after.body.contains("id=\"duplicates-empty\""), "[{n}] nothing left to review");
    }
}

#[tokio::test]
async fn a_stale_page_and_a_missing_token_are_refused() {
    for app in TestApp::all().await {
        let n = app.name();
        let mut b = admin(&app).await;
        let (k, o) = pair(&app).await;
        let page = b.get(&format!("/duplicates/merge?kind=people&ids={k},{o}")).await;
        assert_eq!(page.status, StatusCode::OK, "[{n}] {}", page.body);

        let forged = post(&mut b, &form(&page, &[&k, &o], &[("csrf", "forged")])).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "[{n}] {}", forged.body);
        assert_eq!(app.get(&format!("/api/v1/people/{o}")).await.status, StatusCode::OK, "[{n}] nothing merged");

        // Someone edits the other record after the page was drawn.
        app.patch(&format!("/api/v1/people/{o}"), json!({"title": "Lady"})).await;
        let stale = post(&mut b, &form(&page, &[&k, &o], &[])).await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "[{n}] {}", stale.body);
        assert!(stale.body.contains("Someone else changed this record"), "[{n}] {}", stale.body);
        assert!(stale.body.contains("Lady"), "[{n}] the page shows the latest values");
        assert_eq!(app.get(&format!("/api/v1/people/{o}")).await.status, StatusCode::OK, "[{n}] nothing merged");

        // The redrawn page carries the new versions and merges.
        let done = post(&mut b, &form(&stale, &[&k, &o], &[])).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "[{n}] {}", done.body);
        assert_eq!(app.get(&format!("/api/v1/people/{k}")).await.body["title"], "Lady", "[{n}]");
    }
}

#[tokio::test]
async fn read_only_users_see_no_merge_and_are_refused() {
    for app in TestApp::all().await {
        let n = app.name();
        let mut b = admin(&app).await;
        let (k, o) = pair(&app).await;
        let page = b.get(&format!("/duplicates/merge?kind=people&ids={k},{o}")).await;

        let mut reader = user(&app, "reader@example.com", "read_only").await;
        let list = reader.get("/duplicates?kind=people").await;
        assert_eq!(list.status, StatusCode::OK, "[{n}] {}", list.body);
        assert!(list.body.contains("Same email ada@acme.example"), "[{n}]");
        assert!(!list.body.contains("duplicates-review"), "[{n}] no merge action");
        let form_page = reader.get(&format!("/duplicates/merge?kind=people&ids={k},{o}")).await;
        assert_eq!(form_page.status, StatusCode::FORBIDDEN, "[{n}]");

        let csrf = reader.session_csrf().await;
        let sent = post(&mut reader, &form(&page, &[&k, &o], &[("csrf", &csrf)])).await;
        assert_eq!(sent.status, StatusCode::FORBIDDEN, "[{n}] {}", sent.body);
        assert_eq!(app.get(&format!("/api/v1/people/{o}")).await.status, StatusCode::OK, "[{n}] nothing merged");
    }
}
