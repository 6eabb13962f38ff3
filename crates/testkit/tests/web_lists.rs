//! The list pages of the web UI, on both databases: filters, search, sort,
//! columns, keyset paging, saved views (private and shared), bulk changes with
//! a confirmation before deleting, export, permissions, CSRF and escaping.

use rapport_domain::Kind;
use rapport_store::{Scope, Via};
use rapport_testkit::browser::{Browser, Page};
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};
use rapport_testkit::{TestApp, obj};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// Makes a user with this role and signs them in; answers their browser and id.
async fn user(app: &TestApp, email: &str, name: &str, role: &str) -> (Browser, Uuid) {
    let system = Scope::system(app.scope.workspace_id, Via::Cli);
    let input = obj(json!({"email": email, "name": name, "role": role}));
    let (u, _) = app.store.create(&system, Kind::User, &input, &Default::default()).await.unwrap();
    let id = Uuid::parse_str(u["id"].as_str().unwrap()).unwrap();
    app.set_password(id, PASSWORD).await;
    let mut b = app.browser();
    let done = b.login(email, PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "[{}] sign-in of {email}: {}", app.name(), done.body);
    (b, id)
}

async fn admin(app: &TestApp) -> Browser {
    app.set_password(app.user_id, PASSWORD).await;
    let mut b = app.browser();
    let done = b.login("admin@example.com", PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "[{}] {}", app.name(), done.body);
    b
}

/// The record ids of the rows of a list page, in order.
fn row_ids(p: &Page) -> Vec<String> {
    p.body.match_indices("<tr id=\"row-").map(|(i, m)| p.body[i + m.len()..i + m.len() + 36].to_string()).collect()
}

/// The `href` of the element with this id.
fn href_of(p: &Page, id: &str) -> Option<String> {
    let at = p.body.find(&format!("id=\"{id}\""))?;
    let start = p.body[..at].rfind('<')?;
    let tag = &p.body[start..at + p.body[at..].find('>')?];
    let v = tag.split("href=\"").nth(1)?;
    Some(unescape(&v[..v.find('"')?]))
}

/// Decodes the character references the templates write (`&#38;`, `&amp;`, `&#x2f;`).
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(end) = tail.find(';') else { break };
        let entity = &tail[1..end];
        let ch = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn record(app: &TestApp, kind: Kind, id: &str) -> Option<Value> {
    match app.store.get(&app.scope, kind, Uuid::parse_str(id).unwrap()).await {
        Ok(r) => Some(Value::Object(r)),
        Err(rapport_store::StoreError::NotFound) => None,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn filters_search_sort_and_columns() {
    for app in TestApp::all().await {
        let name = app.name();
        let mut b = admin(&app).await;
        app.create("people", json!({"first_name": "Alice", "last_name": "Archer", "lifecycle_stage": "customer", "emails": [{"address": "alice@example.com"}]})).await;
        app.create("people", json!({"first_name": "Bob", "last_name": "Baker", "lifecycle_stage": "lead", "phones": [{"number": "+33 1 23 45 67 89"}]})).await;
        app.create(
            "people",
            json!({"first_name": "<script>alert(1)</script>", "last_name": "Zed", "lifecycle_stage": "customer"}),
        )
        .await;

        let all = b.get("/people").await;
        assert_eq!(all.status, StatusCode::OK, "[{name}] {}", all.body);
        assert_eq!(row_ids(&all).len(), 3, "[{name}]");
        assert!(all.body.contains("aria-current=\"page\""), "[{name}] the navigation marks People");
        assert!(unescape(&all.body).contains("<script>alert(1)</script>"), "[{name}] the name is there, escaped");
        assert!(!all.body.contains("<script>alert(1)"), "[{name}] never raw");
        assert!(all.body.contains("href=\"mailto:alice@example.com\""), "[{name}] emails are mailto links");
        assert!(all.body.contains("href=\"tel:+33123456789\""), "[{name}] phones are tel links");
        assert!(all.body.contains("href=\"/people/new\""), "[{name}] a New button");
        // Sorted by name by default: Alice, Bob, then the script one (`<` sorts before letters? no: by stored name).
        assert!(all.body.contains("aria-sort=\"ascending\""), "[{name}] the sorted column says so");

        let customers = b.get("/people?lifecycle_stage=customer").await;
        assert_eq!(row_ids(&customers).len(), 2, "[{name}] quick filter");
        assert!(customers.body.contains("<option value=\"customer\" selected>"), "[{name}] the filter shows its choice");

        let search = b.get("/people?q=alice").await;
        assert_eq!(row_ids(&search).len(), 1, "[{name}] search: {}", search.body);
        let both = b.get("/people?q=baker&lifecycle_stage=customer").await;
        assert_eq!(row_ids(&both).len(), 0, "[{name}] search composes with filters");
        assert!(both.body.contains("id=\"list-empty\""), "[{name}]");

        let language = b.get("/people?first_name%5Bcontains%5D=ali").await;
        assert_eq!(row_ids(&language).len(), 1, "[{name}] the API's filter language: {}", language.body);
        assert!(language.body.contains("id=\"list-chips\""), "[{name}] the filter is shown and removable");
        let too_many = b.get("/people?limit=999").await;
        assert_eq!(too_many.status, StatusCode::BAD_REQUEST, "[{name}]");
        assert!(
            too_many.body.contains("Give a whole number of rows from 1 to 200."),
            "[{name}] from the catalog: {}",
            too_many.body
        );

        let desc = b.get("/people?sort=-name").await;
        let asc = b.get("/people?sort=name").await;
        let mut reversed = row_ids(&asc);
        reversed.reverse();
        assert_eq!(row_ids(&desc), reversed, "[{name}] sort toggles");
        assert!(desc.body.contains("aria-sort=\"descending\""), "[{name}]");

        let cols = b.get("/people?cols=title,lifecycle_stage").await;
        assert!(cols.body.contains(">Lifecycle stage</a></th>"), "[{name}] chosen column: {}", cols.body);
        assert!(!cols.body.contains(">Owner</a></th>"), "[{name}] a column not chosen is not shown");
        assert!(cols.body.contains("value=\"title\" checked"), "[{name}] the picker shows the choice");

        // Bad filters: a clear message, never a 500.
        for bad in [
            "/deals?amount_minor%5Bgte%5D=lots",
            "/people?nope=1",
            "/people?sort=tags",
            "/people?cursor=garbage",
            "/tasks?due=someday",
        ] {
            let p = b.get(bad).await;
            assert_eq!(p.status, StatusCode::BAD_REQUEST, "[{name}] {bad}: {}", p.body);
            assert!(p.body.contains("id=\"list-errors\""), "[{name}] {bad} says what is wrong");
        }
        // In the catalog's words, not the domain's English.
        let p = b.get("/people?nope=1").await;
        assert!(p.body.contains("Nope: There is no such field here."), "[{name}] {}", p.body);
        assert!(!p.body.contains("no filterable field"), "[{name}]");
        let p = b.get("/tasks?due=someday").await;
        assert!(p.body.contains("due: Choose one of: overdue, today, week."), "[{name}] {}", p.body);
        // Custom fields are columns and filters too.
        let region = rapport_domain::custom::CustomField {
            key: "region".into(),
            label: "Sales region".into(),
            ty: rapport_domain::custom::CustomType::Text,
            ..Default::default()
        };
        app.store.create_custom_field(&app.scope, Kind::Person, &region).await.unwrap();
        app.create("people", json!({"first_name": "Nora", "last_name": "North", "custom": {"region": "North"}})).await;
        let custom = b.get("/people?custom.region=North&cols=name,custom.region").await;
        assert_eq!(row_ids(&custom).len(), 1, "[{name}] {}", custom.body);
        assert!(custom.body.contains(">Sales region</a></th>") && custom.body.contains(">North</td>"), "[{name}]");

        // Tasks: the overdue ones are marked in words, not only in colour, and have a quick filter.
        app.create("tasks", json!({"title": "Late call", "due_at": "2020-01-01T10:00:00Z"})).await;
        app.create("tasks", json!({"title": "Later call", "due_at": "2090-01-01T10:00:00Z"})).await;
        let late = b.get("/tasks?due=overdue").await;
        assert_eq!(row_ids(&late).len(), 1, "[{name}] {}", late.body);
        assert!(late.body.contains("class=\"overdue\"><span class=\"badge\">Overdue</span>"), "[{name}] {}", late.body);
        assert!(late.body.contains("<option value=\"overdue\" selected>"), "[{name}]");
        assert_eq!(row_ids(&b.get("/tasks?owner=me").await).len(), 0, "[{name}] nobody is assigned");

        let p = b.get("/deals?amount_minor%5Bgte%5D=lots").await;
        // The catalog's sentence for the code, not the domain's English detail.
        assert!(p.body.contains("This value is not valid."), "[{name}] {}", p.body);
        assert!(!p.body.contains("is not an integer"), "[{name}]");
    }
}

#[tokio::test]
async fn paging_loses_and_repeats_nothing() {
    for app in TestApp::all().await {
        let name = app.name();
        let mut b = admin(&app).await;
        let mut made = std::collections::BTreeSet::new();
        for i in 0..12 {
            // Equal due dates in pairs: the keyset must break ties.
            let due = format!("2030-01-{:02}T10:00:00Z", 1 + i / 2);
            made.insert(id(&app.create("tasks", json!({"title": format!("Task {i}"), "due_at": due})).await));
        }
        let mut seen = vec![];
        let mut path = "/tasks?limit=5&sort=due_at".to_string();
        let mut pages = 0;
        loop {
            let p = b.get(&path).await;
            assert_eq!(p.status, StatusCode::OK, "[{name}] {path}: {}", p.body);
            pages += 1;
            if pages > 1 {
                assert!(
                    href_of(&p, "list-first").is_some(),
                    "[{name}] a first-page link on {path}: {}",
                    &p.body[p.body.find("list-paging").unwrap_or(0)..]
                );
            }
            seen.extend(row_ids(&p));
            match href_of(&p, "list-next") {
                Some(next) => path = next,
                None => break,
            }
        }
        assert_eq!(pages, 3, "[{name}]");
        assert_eq!(seen.len(), 12, "[{name}] nothing repeated");
        assert_eq!(seen.iter().cloned().collect::<std::collections::BTreeSet<_>>(), made, "[{name}] nothing lost");
    }
}

#[tokio::test]
async fn saved_views_private_and_shared() {
    for app in TestApp::all().await {
        let name = app.name();
        let mut b = admin(&app).await;
        app.create("deals", json!({"name": "Won deal", "status": "won"})).await;
        app.create("deals", json!({"name": "Open deal"})).await;
        let list = b.get("/deals?status=won").await;
        let csrf = list.field("csrf").unwrap();
        let query = list.field("query").unwrap();
        assert_eq!(query, "status=won", "[{name}] the view keeps the list's query");

        let refused = b.post_form("/views", &[("collection", "deals"), ("name", "Won"), ("query", &query)]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}] CSRF refused");

        let private =
            b.post_form("/views", &[("csrf", &csrf), ("collection", "deals"), ("name", "My won deals"), ("query", &query)]).await;
        assert_eq!(private.status, StatusCode::SEE_OTHER, "[{name}] {}", private.body);
        let private_href = private.location().unwrap().to_string();
        assert!(private_href.starts_with("/deals?view="), "[{name}] {private_href}");
        let shared = b
            .post_form(
                "/views",
                &[
                    ("csrf", &csrf),
                    ("collection", "deals"),
                    ("name", "Team open deals"),
                    ("query", "status=open"),
                    ("shared", "1"),
                ],
            )
            .await;
        let shared_href = shared.location().unwrap().to_string();
        let empty = b.post_form("/views", &[("csrf", &csrf), ("collection", "deals"), ("name", " "), ("query", "")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] a view needs a name");

        let applied = b.get(&private_href).await;
        assert_eq!(applied.status, StatusCode::OK, "[{name}] {}", applied.body);
        assert_eq!(row_ids(&applied).len(), 1, "[{name}] the view's filter applies");
        assert!(applied.body.contains("Won deal") && !applied.body.contains(">Open deal<"), "[{name}]");
        assert!(applied.body.contains("aria-current=\"true\">My won deals"), "[{name}] the current view is marked");

        let (mut m, _) = user(&app, "mia@example.com", "Mia Member", "member").await;
        let theirs = m.get("/deals").await;
        assert!(theirs.body.contains("Team open deals"), "[{name}] a shared view is seen by others");
        assert!(!theirs.body.contains("My won deals"), "[{name}] a private view is not");
        assert_eq!(m.get(&private_href).await.status, StatusCode::NOT_FOUND, "[{name}] nor opened by link");
        assert_eq!(row_ids(&m.get(&shared_href).await).len(), 1, "[{name}] the shared view works for others");

        let view_id = shared_href.rsplit('=').next().unwrap();
        let mcsrf = theirs.field("csrf").unwrap();
        let denied = m.post_form(&format!("/views/{view_id}/delete"), &[("csrf", &mcsrf)]).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "[{name}] only the owner or an admin deletes a view");
        let denied = m.post_form(&format!("/views/{view_id}"), &[("csrf", &mcsrf), ("shared", "0")]).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "[{name}] nor changes it");

        // The owner makes the private view shared, and saves another list into it.
        let private_id = private_href.rsplit('=').next().unwrap();
        let shared_now = b.post_form(&format!("/views/{private_id}"), &[("csrf", &csrf), ("shared", "1")]).await;
        assert_eq!(shared_now.status, StatusCode::SEE_OTHER, "[{name}] {}", shared_now.body);
        assert!(m.get("/deals").await.body.contains("My won deals"), "[{name}] now shared");
        let updated = b.post_form(&format!("/views/{private_id}"), &[("csrf", &csrf), ("query", "status=open&cursor=x")]).await;
        assert_eq!(updated.status, StatusCode::SEE_OTHER, "[{name}]");
        let v = app.store.view(&app.scope, Uuid::parse_str(private_id).unwrap()).await.unwrap();
        assert_eq!(v.query, "status=open", "[{name}] the query is kept without its cursor");
        assert!(v.shared, "[{name}]");

        // Another workspace sees neither the views nor the records.
        let ws2 = app.store.create_workspace("Other company", "EUR", "FR").await.unwrap();
        let sys2 = Scope::system(ws2.id, Via::Cli);
        let input = obj(json!({"email": "otto@example.com", "name": "Otto Other", "role": "admin"}));
        let (otto, _) = app.store.create(&sys2, Kind::User, &input, &Default::default()).await.unwrap();
        let otto = Uuid::parse_str(otto["id"].as_str().unwrap()).unwrap();
        let hash = rapport_store::auth::hash_password(PASSWORD).await.unwrap();
        app.store.set_password_hash(&sys2, otto, &hash, "password_set").await.unwrap();
        let mut o = app.browser();
        o.login("otto@example.com", PASSWORD).await;
        let theirs = o.get("/deals").await;
        assert_eq!(theirs.status, StatusCode::OK, "[{name}] {}", theirs.body);
        assert!(row_ids(&theirs).is_empty() && !theirs.body.contains("Team open deals"), "[{name}]");
        assert_eq!(o.get(&shared_href).await.status, StatusCode::NOT_FOUND, "[{name}] another workspace's view");
        let won = row_ids(&applied)[0].clone();
        let ocsrf = theirs.field("csrf").unwrap();
        let nope = o.post_form("/deals/bulk", &[("csrf", &ocsrf), ("action", "delete-confirmed"), ("ids", &won)]).await;
        assert!(nope.body.contains("0 records deleted.") && nope.body.contains("id=\"bulk-failures\""), "[{name}] {}", nope.body);
        assert!(record(&app, Kind::Deal, &won).await.is_some(), "[{name}] still there");

        let gone = b.post_form(&format!("/views/{view_id}/delete"), &[("csrf", &csrf)]).await;
        assert_eq!(gone.status, StatusCode::SEE_OTHER, "[{name}] {}", gone.body);
        assert!(!b.get("/deals").await.body.contains("Team open deals"), "[{name}] deleted");
    }
}

#[tokio::test]
async fn bulk_changes_go_through_the_store() {
    for app in TestApp::all().await {
        let name = app.name();
        let mut b = admin(&app).await;
        let (mut reader, _) = user(&app, "rita@example.com", "Rita Reader", "read_only").await;
        let system = Scope::system(app.scope.workspace_id, Via::Cli);
        let input = obj(json!({"email": "sam@example.com", "name": "Sam Seller", "role": "member"}));
        let (sam, _) = app.store.create(&system, Kind::User, &input, &Default::default()).await.unwrap();
        let sam = id(&Value::Object(sam));
        let d1 = id(&app.create("deals", json!({"name": "First deal", "amount_minor": 100000})).await);
        let d2 = id(&app.create("deals", json!({"name": "Second deal"})).await);
        let d3 = id(&app.create("deals", json!({"name": "Third deal"})).await);
        let list = b.get("/deals").await;
        assert!(list.body.contains("id=\"list-bulk\""), "[{name}]");
        let csrf = list.field("csrf").unwrap();
        let back = "/deals?sort=name";

        // Without the token: refused, nothing changed.
        let refused = b.post_form("/deals/bulk", &[("action", "assign"), ("to", &sam), ("ids", &d1)]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}]");
        assert_eq!(record(&app, Kind::Deal, &d1).await.unwrap()["owner_id"], json!(app.user_id), "[{name}]");

        let done = b
            .post_form(
                "/deals/bulk",
                &[("csrf", &csrf), ("back", back), ("action", "assign"), ("to", &sam), ("ids", &d1), ("ids", &d2)],
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "[{name}] {}", done.body);
        assert!(done.body.contains("2 records changed."), "[{name}] {}", done.body);
        assert!(done.body.contains("href=\"/deals?sort=name\""), "[{name}] back to the same list");
        for d in [&d1, &d2] {
            assert_eq!(record(&app, Kind::Deal, d).await.unwrap()["owner_id"], json!(sam), "[{name}] assigned");
        }
        assert_eq!(record(&app, Kind::Deal, &d3).await.unwrap()["owner_id"], json!(app.user_id), "[{name}] not checked");

        // "Select all on this page" takes every row of the page.
        let all = [
            ("csrf", csrf.as_str()),
            ("action", "tag"),
            ("tag", "vip"),
            ("all_page", "1"),
            ("page_ids", &d1),
            ("page_ids", &d2),
            ("page_ids", &d3),
        ];
        let tagged = b.post_form("/deals/bulk", &all).await;
        assert!(tagged.body.contains("3 records changed."), "[{name}] {}", tagged.body);
        for d in [&d1, &d2, &d3] {
            assert_eq!(record(&app, Kind::Deal, d).await.unwrap()["tags"], json!(["vip"]), "[{name}] tagged");
        }

        let pipes = app.store.pipelines(&app.scope).await.unwrap();
        let stage = pipes[0].stages[1].id.to_string();
        let moved = b.post_form("/deals/bulk", &[("csrf", &csrf), ("action", "stage"), ("stage_id", &stage), ("ids", &d3)]).await;
        assert!(moved.body.contains("1 record changed."), "[{name}] {}", moved.body);
        assert_eq!(record(&app, Kind::Deal, &d3).await.unwrap()["stage_id"], json!(stage), "[{name}] moved");

        // A read-only user changes nothing.
        let rcsrf = reader.get("/deals").await.field("csrf").unwrap();
        let no = reader.post_form("/deals/bulk", &[("csrf", &rcsrf), ("action", "assign"), ("to", &sam), ("ids", &d3)]).await;
        assert_eq!(no.status, StatusCode::FORBIDDEN, "[{name}] {}", no.body);
        let no = reader.post_form("/deals/bulk", &[("csrf", &rcsrf), ("action", "delete-confirmed"), ("ids", &d3)]).await;
        assert_eq!(no.status, StatusCode::FORBIDDEN, "[{name}]");
        assert!(record(&app, Kind::Deal, &d3).await.is_some(), "[{name}] still there");
        assert!(!reader.get("/deals").await.body.contains("id=\"bulk-delete\""), "[{name}] no delete button for readers");

        // Deleting asks first, on a page of its own.
        let confirm = b
            .post_form("/deals/bulk", &[("csrf", &csrf), ("back", back), ("action", "delete"), ("ids", &d1), ("ids", &d2)])
            .await;
        assert_eq!(confirm.status, StatusCode::OK, "[{name}] {}", confirm.body);
        assert!(confirm.body.contains("First deal") && confirm.body.contains("Second deal"), "[{name}] lists what goes");
        assert!(confirm.body.contains("id=\"confirm-yes\""), "[{name}]");
        assert!(record(&app, Kind::Deal, &d1).await.is_some(), "[{name}] nothing deleted before confirming");
        let gone = b
            .post_form(
                "/deals/bulk",
                &[("csrf", &csrf), ("back", back), ("action", "delete-confirmed"), ("ids", &d1), ("ids", &d2)],
            )
            .await;
        assert!(gone.body.contains("2 records deleted."), "[{name}] {}", gone.body);
        assert!(record(&app, Kind::Deal, &d1).await.is_none() && record(&app, Kind::Deal, &d2).await.is_none(), "[{name}]");

        // Tasks: mark done; failures are reported with their reason.
        let t1 = id(&app.create("tasks", json!({"title": "Call back"})).await);
        let missing = Uuid::now_v7().to_string();
        let marked = b.post_form("/tasks/bulk", &[("csrf", &csrf), ("action", "done"), ("ids", &t1), ("ids", &missing)]).await;
        assert!(marked.body.contains("1 record changed."), "[{name}] {}", marked.body);
        assert!(marked.body.contains("id=\"bulk-failures\""), "[{name}] the missing one is reported");
        assert_eq!(record(&app, Kind::Task, &t1).await.unwrap()["status"], json!("done"), "[{name}]");

        let nothing = b.post_form("/tasks/bulk", &[("csrf", &csrf), ("action", "done")]).await;
        assert_eq!(nothing.status, StatusCode::BAD_REQUEST, "[{name}] nothing selected");
    }
}

#[tokio::test]
async fn exports_download_the_rows() {
    for app in TestApp::all().await {
        let name = app.name();
        let mut b = admin(&app).await;
        let a =
            id(&app.create("people", json!({"first_name": "Ann", "last_name": "Customer", "lifecycle_stage": "customer"})).await);
        app.create("people", json!({"first_name": "Len", "last_name": "Lead", "lifecycle_stage": "lead"})).await;
        let list = b.get("/people?lifecycle_stage=customer").await;
        let href = href_of(&list, "list-export").or_else(|| {
            let at = list.body.find("/people/export?")?;
            let end = at + list.body[at..].find('"')?;
            Some(unescape(&list.body[at..end]))
        });
        let href = href.expect("an export link");
        let csv = b.get(&href).await;
        assert_eq!(csv.status, StatusCode::OK, "[{name}] {href}: {}", csv.body);
        assert!(csv.header("content-disposition").is_some_and(|d| d.starts_with("attachment")), "[{name}]");
        assert!(csv.body.contains("Ann") && !csv.body.contains("Len"), "[{name}] the view's rows only: {}", csv.body);

        let vcard = b.get("/people/export?format=vcard").await;
        assert!(vcard.body.contains("BEGIN:VCARD") && vcard.body.contains("Len"), "[{name}] {}", vcard.body);
        let bad = b.get("/people/export?format=pdf").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "[{name}]");

        let csrf = list.field("csrf").unwrap();
        let chosen = b.post_form("/people/bulk", &[("csrf", &csrf), ("action", "export"), ("format", "json"), ("ids", &a)]).await;
        assert_eq!(chosen.status, StatusCode::OK, "[{name}] {}", chosen.body);
        let rows: Value = rapport_testkit::serde_json::from_str(&chosen.body).unwrap();
        assert_eq!(rows.as_array().map(Vec::len), Some(1), "[{name}] the selected rows: {rows}");
        assert_eq!(rows[0]["id"], json!(a), "[{name}]");
    }
}
