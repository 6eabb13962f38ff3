//! Record kinds defined in the web UI and used there: the settings pages, the
//! kind's navigation entry, list page, create form, record page (fields,
//! related records, timeline, logging a call, a follow-up task), related
//! records on a built-in record page, and who may do what.

use rapport_testkit::TestApp;
use rapport_testkit::browser::{Browser, Page};
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

async fn signed_in(app: &TestApp, email: &str, role: Option<&str>) -> (Browser, String, Uuid) {
    let id = match role {
        None => app.user_id,
        Some(role) => {
            let u = app.create("users", json!({"email": email, "name": format!("{role} user"), "role": role})).await;
            Uuid::parse_str(u["id"].as_str().unwrap()).unwrap()
        }
    };
    app.set_password(id, PASSWORD).await;
    let mut b = app.browser();
    assert_eq!(b.login(email, PASSWORD).await.status, StatusCode::SEE_OTHER, "[{}] sign in {email}", app.name());
    let csrf = b.session_csrf().await;
    (b, csrf, id)
}

#[track_caller]
fn redirected(app: &TestApp, p: &Page, to: &str, what: &str) {
    assert_eq!(p.status, StatusCode::SEE_OTHER, "[{}] {what}: {}", app.name(), p.body);
    assert!(p.location().is_some_and(|l| l.starts_with(to)), "[{}] {what} leads to {to}: {:?}", app.name(), p.location());
}

#[tokio::test]
async fn an_admin_defines_a_kind_and_uses_it_in_the_pages() {
    for app in TestApp::all().await {
        let n = app.name();
        let (mut b, csrf, _) = signed_in(&app, "admin@example.com", None).await;
        let c = csrf.as_str();
        let created = b
            .post_form(
                "/settings/kinds",
                &[("csrf", c), ("singular", "Property"), ("plural", "Properties"), ("key", "property"), ("has_status", "1")],
            )
            .await;
        redirected(&app, &created, "/settings/kinds/property", "define properties");
        let bad = b.post_form("/settings/kinds", &[("csrf", c), ("singular", "X"), ("plural", "Xs"), ("key", "Not a key")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(bad.body.contains("role=\"alert\"") && bad.body.contains("value=\"Not a key\""), "[{n}] re-shown: {}", bad.body);
        assert!(bad.body.contains("Use lower-case letters, digits and _, starting with a letter."), "[{n}] {}", bad.body);
        assert!(!bad.body.contains("(at most 64)"), "[{n}] not the store's sentence");
        for (label, key, ty, target, many) in [
            ("Landlord", "landlord", "relation", "organization", ""),
            ("City", "city", "text", "", ""),
            ("Tenants", "tenants", "relation", "person", "1"),
        ] {
            let mut form = vec![("csrf", c), ("label", label), ("key", key), ("type", ty), ("target", target)];
            if !many.is_empty() {
                form.push(("many", many));
            }
            let p = b.post_form("/settings/kinds/property/fields", &form).await;
            redirected(&app, &p, "/settings/kinds/property", &format!("add {key}"));
        }
        let twice = b
            .post_form("/settings/kinds/property/fields", &[("csrf", c), ("label", "City"), ("key", "city"), ("type", "text")])
            .await;
        assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] a field twice");
        let page = b.get("/settings/kinds/property").await;
        assert_eq!(page.status, StatusCode::OK, "[{n}]");
        assert!(page.body.contains("Landlord") && page.body.contains("id=\"kind-stages\""), "[{n}] {}", page.body);
        let version = page.field("version").expect("the definition's version");
        let saved = b
            .post_form(
                "/settings/kinds/property",
                &[
                    ("csrf", c),
                    ("version", &version),
                    ("singular", "Property"),
                    ("plural", "Properties"),
                    ("list", "name"),
                    ("list", "custom.landlord"),
                    ("list", "custom.city"),
                    ("list", "stage_id"),
                    ("record", "custom.landlord"),
                    ("record", "custom.tenants"),
                    ("record", "stage_id"),
                ],
            )
            .await;
        redirected(&app, &saved, "/settings/kinds/property", "choose what shows");
        let stale = b.post_form("/settings/kinds/property", &[("csrf", c), ("version", &version), ("plural", "Old")]).await;
        assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] a stale definition is refused");

        // A field renamed from its own form, versioned like the kind.
        assert!(page.body.contains("id=\"kind-field-form-city\""), "[{n}] each field has its form");
        let city = |body: &Value| body["fields"].as_array().unwrap().iter().find(|f| f["key"] == "city").cloned().unwrap();
        let v = city(&app.get("/api/v1/object-types/property").await.body)["version"].to_string();
        let rename = [("csrf", c), ("version", v.as_str()), ("label", "Town"), ("help", "Where it stands")];
        redirected(
            &app,
            &b.post_form("/settings/kinds/property/fields/city", &rename).await,
            "/settings/kinds/property",
            "rename",
        );
        let now = city(&app.get("/api/v1/object-types/property").await.body);
        assert_eq!((now["label"].clone(), now["help"].clone()), (json!("Town"), json!("Where it stands")), "[{n}]");
        let again = b.post_form("/settings/kinds/property/fields/city", &rename).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] a stale field form is refused");
        let home = b.get("/").await;
        assert!(home.body.contains("href=\"/objects/property\""), "[{n}] a navigation entry");

        let org = app.create("organizations", json!({"name": "Harbour Estates"})).await["id"].as_str().unwrap().to_string();
        let tenant =
            app.create("people", json!({"first_name": "Tess", "last_name": "Tenant"})).await["id"].as_str().unwrap().to_string();
        let form = b.get("/objects/property/new").await;
        assert_eq!(form.status, StatusCode::OK, "[{n}]");
        assert!(form.body.contains(&format!("value=\"{org}\"")), "[{n}] the landlord can be chosen: {}", form.body);
        let nameless = b.post_form("/objects/property/new", &[("csrf", c), ("name", ""), ("custom.city", "Brest")]).await;
        assert_eq!(nameless.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] a property without a name");
        assert!(nameless.body.contains("value=\"Brest\""), "[{n}] what was typed stays");
        let made = b
            .post_form(
                "/objects/property/new",
                &[
                    ("csrf", c),
                    ("name", "12 Harbour Road"),
                    ("custom.landlord", &org),
                    ("custom.city", "Brest"),
                    ("custom.tenants", &tenant),
                ],
            )
            .await;
        redirected(&app, &made, "/objects/property/", "create a property");
        let path = made.location().unwrap().to_string();

        let list = b.get("/objects/property").await;
        assert_eq!(list.status, StatusCode::OK, "[{n}]");
        for text in ["12 Harbour Road", "Brest", "Harbour Estates", "aria-sort"] {
            assert!(list.body.contains(text), "[{n}] the list shows {text}: {}", list.body);
        }
        let by_landlord = b.get(&format!("/objects/property?custom.landlord={org}")).await;
        assert!(by_landlord.body.contains("12 Harbour Road"), "[{n}] filtered by relation");
        let other = b.get(&format!("/objects/property?custom.landlord={}", Uuid::now_v7())).await;
        assert!(!other.body.contains("12 Harbour Road") && other.body.contains("id=\"list-clear\""), "[{n}]");
        let sorted = b.get("/objects/property?sort=-custom.city&q=harbour").await;
        assert!(sorted.body.contains("12 Harbour Road"), "[{n}] sorted and searched");
        let bad = b.get("/objects/property?custom.nope=1").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "[{n}] an unknown filter is said");

        let rec = b.get(&path).await;
        assert_eq!(rec.status, StatusCode::OK, "[{n}]");
        assert!(rec.body.contains(&format!("href=\"/organizations/{org}\"")), "[{n}] the landlord links: {}", rec.body);
        assert!(rec.body.contains("Tess Tenant") && rec.body.contains("id=\"record-timeline\""), "[{n}]");
        let logged = b.post_form(&format!("{path}/log"), &[("csrf", c), ("type", "call"), ("subject", "Viewing booked")]).await;
        redirected(&app, &logged, &path, "log a call");
        let task = b.post_form(&format!("{path}/follow-up"), &[("csrf", c), ("title", "Send the lease")]).await;
        redirected(&app, &task, &path, "a follow-up");
        let rec = b.get(&path).await;
        assert!(
            rec.body.contains("Viewing booked") && rec.body.contains("Send the lease"),
            "[{n}] on the timeline: {}",
            rec.body
        );
        // Moving it to another stage from the form.
        let stage = rec.body.split("<option value=\"").nth(3).and_then(|s| s.split('"').next()).unwrap_or_default().to_string();
        let version = rec.field("version").unwrap();
        let moved = b
            .post_form(
                &path,
                &[
                    ("csrf", c),
                    ("version", &version),
                    ("name", "12 Harbour Road"),
                    ("stage_id", &stage),
                    ("custom.landlord", &org),
                    ("custom.tenants", &tenant),
                ],
            )
            .await;
        redirected(&app, &moved, &path, "change the stage");

        // The organization's page lists the property, its timeline too.
        let org_page = b.get(&format!("/organizations/{org}")).await;
        assert!(org_page.body.contains("id=\"related-records\"") && org_page.body.contains("12 Harbour Road"), "[{n}]");
        assert!(org_page.body.contains("href=\"/object/"), "[{n}] the timeline links the property: {}", org_page.body);
        let found = b.get(&format!("/object/{}", path.rsplit('/').next().unwrap())).await;
        redirected(&app, &found, &path, "a custom record found by id");

        let search = b.get("/search?q=harbour%20road").await;
        assert!(search.body.contains(&format!("href=\"{path}\"")), "[{n}] global search links the property: {}", search.body);

        // A type its values do not convert to is refused, naming them; a field deleted
        // from settings keeps its values, is restored, then purged after a confirmation.
        let settings = "/settings/kinds/property";
        let api_record = format!("/api/v1/objects/property/{}", path.rsplit('/').next().unwrap());
        assert_eq!(app.get(&api_record).await.body["custom"]["city"], "Brest", "[{n}] a value to convert");
        let v = city(&app.get("/api/v1/object-types/property").await.body)["version"].to_string();
        let retype = [("csrf", c), ("version", v.as_str()), ("label", "Town"), ("type", "number")];
        let refused = b.post_form(&format!("{settings}/fields/city"), &retype).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "[{n}] {}", refused.body);
        assert!(refused.body.contains("Brest"), "[{n}] the value that would not convert is named: {}", refused.body);
        let removed = b.post_form(&format!("{settings}/fields/city/delete"), &[("csrf", c), ("version", &v)]).await;
        redirected(&app, &removed, settings, "delete a field");
        let page = b.get(settings).await;
        assert!(page.body.contains("id=\"kind-deleted-city\""), "[{n}] listed as deleted: {}", page.body);
        assert!(!page.body.contains("id=\"kind-field-form-city\""), "[{n}] no longer among the fields");
        let deleted_v = |body: &Value| {
            body["items"].as_array().unwrap().iter().find(|f| f["key"] == "city").map(|f| f["version"].to_string()).unwrap()
        };
        let dv = deleted_v(&app.get("/api/v1/object-types/property/fields?deleted=true").await.body);
        let restored = b.post_form(&format!("{settings}/fields/city/restore"), &[("csrf", c), ("version", &dv)]).await;
        redirected(&app, &restored, settings, "restore a field");
        assert_eq!(app.get(&api_record).await.body["custom"]["city"], "Brest", "[{n}] the value came back with the field");
        let v = city(&app.get("/api/v1/object-types/property").await.body)["version"].to_string();
        redirected(
            &app,
            &b.post_form(&format!("{settings}/fields/city/delete"), &[("csrf", c), ("version", &v)]).await,
            settings,
            "delete again",
        );
        let confirm = b.get(&format!("{settings}/fields/city/purge")).await;
        assert_eq!(confirm.status, StatusCode::OK, "[{n}]");
        assert!(confirm.body.contains("id=\"confirm-delete\""), "[{n}] a purge is confirmed first: {}", confirm.body);
        let purged = b.post_form(&format!("{settings}/fields/city/purge"), &[("csrf", c)]).await;
        redirected(&app, &purged, settings, "purge a field");
        assert!(app.get(&api_record).await.body["custom"].get("city").is_none(), "[{n}] its values are gone");

        // A kind with records stays; the record goes, then the kind.
        let kept = b.post_form("/settings/kinds/property/delete", &[("csrf", c)]).await;
        assert_eq!(kept.status, StatusCode::CONFLICT, "[{n}] {}", kept.body);
        assert!(
            kept.body.contains("still has a record: delete it first, nothing is removed silently."),
            "[{n}] the reason, from the message catalog: {}",
            kept.body
        );
        let gone = b.post_form(&format!("{path}/delete"), &[("csrf", c)]).await;
        redirected(&app, &gone, "/objects/property", "delete the property");
        let csrfless = b.post_form("/settings/kinds/property/delete", &[]).await;
        assert_ne!(csrfless.status, StatusCode::SEE_OTHER, "[{n}] no CSRF token, no deletion");
        let deleted = b.post_form("/settings/kinds/property/delete", &[("csrf", c)]).await;
        redirected(&app, &deleted, "/settings/kinds", "delete the kind");
        assert_eq!(b.get("/objects/property").await.status, StatusCode::NOT_FOUND, "[{n}]");
    }
}

#[tokio::test]
async fn members_and_read_only_users_get_what_their_role_allows() {
    for app in TestApp::all().await {
        let n = app.name();
        app.post("/api/v1/object-types", json!({"key": "project", "singular": "Project", "plural": "Projects"})).await;
        let v = app.patch("/api/v1/workspace/visibility", json!({"objects": "private"})).await;
        assert_eq!(v.status, StatusCode::OK, "[{n}]");
        let (mut a, a_csrf, _) = signed_in(&app, "ann@example.com", Some("member")).await;
        let (mut b, _, _) = signed_in(&app, "ben@example.com", Some("member")).await;
        let (mut r, r_csrf, _) = signed_in(&app, "rod@example.com", Some("read_only")).await;
        assert_eq!(a.get("/settings/kinds").await.status, StatusCode::FORBIDDEN, "[{n}] settings are for admins");
        let made = a.post_form("/objects/project/new", &[("csrf", &a_csrf), ("name", "Ann's secret project")]).await;
        redirected(&app, &made, "/objects/project/", "a member creates a project");
        let path = made.location().unwrap().to_string();
        assert!(b.get("/objects/project").await.body.contains("id=\"list-empty\""), "[{n}] Ben lists none of Ann's");
        assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND, "[{n}] Ben cannot open Ann's project");
        let list = r.get("/objects/project").await;
        assert!(!list.body.contains("id=\"list-new\""), "[{n}] no create button for read-only users");
        assert!(!list.body.contains("id=\"list-import\""), "[{n}] nor an import link");
        assert!(list.body.contains("id=\"list-export\""), "[{n}] but they may export what they see");
        let refused = r.post_form("/objects/project/new", &[("csrf", &r_csrf), ("name", "Nope")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{n}] read-only users cannot create");
    }
}

/// What the test browser's field reader leaves escaped in an attribute.
fn unescape(s: &str) -> String {
    s.replace("&#38;", "&").replace("&amp;", "&")
}

/// The link of the list's export in a format.
fn export_link(html: &str, format: &str) -> Option<String> {
    let at = html.find("id=\"list-export\"")?;
    html[at..]
        .split("href=\"")
        .skip(1)
        .map(|h| unescape(&h[..h.find('"').unwrap_or(0)]))
        .find(|h| h.contains(&format!("format={format}")))
}

#[tokio::test]
async fn a_kinds_list_exports_what_it_shows_and_links_to_its_import() {
    for app in TestApp::all().await {
        let n = app.name();
        let fields = json!([{"key": "city", "label": "City", "type": "text"}]);
        for (key, singular, plural) in [("site", "Site", "Sites"), ("depot", "Depot", "Depots")] {
            app.create("object-types", json!({"key": key, "singular": singular, "plural": plural, "fields": fields})).await;
        }
        for (ty, name, city) in [
            ("site", "North Yard", "Brest"),
            ("site", "South Yard", "Nantes"),
            ("site", "West Field", "Brest"),
            ("depot", "Yard depot", "Brest"),
        ] {
            let r = app.post(&format!("/api/v1/objects/{ty}"), json!({"name": name, "custom": {"city": city}})).await;
            assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.body);
        }
        let (mut b, _, _) = signed_in(&app, "admin@example.com", None).await;

        let list = b.get("/objects/site?q=yard&sort=name").await;
        assert_eq!(list.status, StatusCode::OK, "[{n}] {}", list.body);
        assert!(list.body.contains("href=\"/import?kind=site\""), "[{n}] the list links to its import: {}", list.body);
        assert!(list.body.contains("Import Sites"), "[{n}] named by the kind's plural");
        let csv = export_link(&list.body, "csv").unwrap_or_else(|| panic!("[{n}] a CSV export link: {}", list.body));
        assert!(csv.starts_with("/objects/site/export?") && csv.contains("q=yard") && csv.contains("sort=name"), "[{n}] {csv}");

        // The file holds what the list shows: yards among sites, not the depot.
        let file = b.get(&csv).await;
        assert_eq!(file.status, StatusCode::OK, "[{n}] {}", file.body);
        assert!(file.header("content-type").unwrap_or_default().starts_with("text/csv"), "[{n}]");
        let disposition = file.header("content-disposition").unwrap_or_default().to_string();
        assert!(disposition.starts_with("attachment") && disposition.contains("site.csv"), "[{n}] {disposition}");
        let lines: Vec<&str> = file.body.lines().collect();
        assert_eq!(lines.len(), 3, "[{n}] a header and two yards: {}", file.body);
        assert!(lines[0].contains("custom.city"), "[{n}] the kind's fields are columns: {}", lines[0]);
        assert!(lines[1].contains("North Yard") && lines[2].contains("South Yard"), "[{n}] sorted: {}", file.body);
        assert!(!file.body.contains("West Field") && !file.body.contains("Yard depot"), "[{n}] {}", file.body);

        // Filtered by a field, as JSON.
        let by_city = b.get("/objects/site?custom.city=Brest").await;
        let json_link = export_link(&by_city.body, "json").unwrap_or_else(|| panic!("[{n}] a JSON link: {}", by_city.body));
        let file = b.get(&json_link).await;
        assert_eq!(file.status, StatusCode::OK, "[{n}] {}", file.body);
        let items: Value = rapport_testkit::serde_json::from_str(&file.body).unwrap();
        let mut names: Vec<&str> = items.as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
        names.sort();
        assert_eq!(names, vec!["North Yard", "West Field"], "[{n}] {}", file.body);

        // Refusals are pages; without a session nothing is served.
        let vcard = b.get("/objects/site/export?format=vcard").await;
        assert_eq!(vcard.status, StatusCode::BAD_REQUEST, "[{n}] no vCards of sites: {}", vcard.body);
        let bad = b.get("/objects/site/export?format=csv&custom.nope=1").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "[{n}] an unknown filter: {}", bad.body);
        assert_eq!(b.get("/objects/nope/export?format=csv").await.status, StatusCode::NOT_FOUND, "[{n}]");
        let anonymous = app.browser().get("/objects/site/export?format=csv").await;
        assert_ne!(anonymous.status, StatusCode::OK, "[{n}] a session is needed");
        assert!(!anonymous.body.contains("North Yard"), "[{n}]");
    }
}

/// An amount is shown in the edit form as it is typed, so that saving the
/// form for another change keeps it; in the list it reads as money.
#[tokio::test]
async fn an_amount_survives_an_edit_of_another_field() {
    for app in TestApp::all().await {
        let n = app.name();
        let a = app
            .post(
                "/api/v1/object-types",
                json!({"key": "contract", "singular": "Contract", "plural": "Contracts",
                       "fields": [{"key": "value", "label": "Value", "type": "money"}],
                       "list_fields": ["name", "custom.value"]}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "[{n}] {}", a.body);
        let c = app
            .post(
                "/api/v1/objects/contract",
                json!({"name": "Support", "custom": {"value": {"amount_minor": 250_000, "currency": "EUR"}}}),
            )
            .await;
        assert_eq!(c.status, StatusCode::CREATED, "[{n}] {}", c.body);
        let id = c.body["id"].as_str().unwrap().to_string();
        let (mut b, csrf, _) = signed_in(&app, "admin@example.com", None).await;
        assert!(b.get("/objects/contract").await.body.contains("€2,500.00"), "[{n}] money in the list");
        let page = b.get(&format!("/objects/contract/{id}")).await;
        assert!(page.body.contains("value=\"2500.00 EUR\""), "[{n}] the amount in the form: {}", page.body);
        let version = page.field("version").expect("version");
        let saved = b
            .post_form(
                &format!("/objects/contract/{id}"),
                &[("csrf", &csrf), ("version", &version), ("name", "Support 2027"), ("custom.value", "2500.00 EUR")],
            )
            .await;
        redirected(&app, &saved, &format!("/objects/contract/{id}"), "save");
        let got = app.get(&format!("/api/v1/objects/contract/{id}")).await.body;
        assert_eq!(got["name"], "Support 2027", "[{n}] {got}");
        assert_eq!(got["custom"]["value"]["amount_minor"], 250_000, "[{n}] the amount kept: {got}");
    }
}
