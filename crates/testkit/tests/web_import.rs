//! Importing a file from the browser: upload (multipart, CSRF), the mapping
//! with the engine's suggestions, the preview (a dry run) with every error by
//! row and column, running all or nothing or the good rows with a reject file,
//! re-importing without duplicates, who may import; and `POST /demo`.

use std::time::Duration;

use rapport_testkit::TestApp;
use rapport_testkit::browser::{Browser, Page};
use rapport_testkit::reqwest::{self, StatusCode};
use rapport_testkit::serde_json::json;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// A CSV as spreadsheets save it in much of Europe: a byte-order mark,
/// semicolons, and one row with a broken email.
const PEOPLE: &str = "\u{feff}Prénom;Nom;E-mail;Company\r\nAda;Lovelace;ada@example.org;Analytical Engines\r\nBob;Bad;not-an-email;Acme\r\nGrace;Hopper;grace@example.org;Navy\r\n";

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

/// Sends the upload form as a browser does: multipart, the CSRF token first.
async fn upload(b: &Browser, fields: &[(&str, &str)], file_name: &str, content: &[u8]) -> Page {
    let boundary = "----rapport-test-7d3f9a";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let jar = b.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let res = client
        .post(format!("{}/import", b.base))
        .header("cookie", jar)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = res.status();
    let headers = res.headers().clone();
    Page { status, headers, body: res.text().await.unwrap() }
}

/// Follows a job's page until the job is over.
async fn finished(b: &mut Browser, path: &str) -> Page {
    for _ in 0..300 {
        let p = b.get(path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}: {}", p.body);
        if !p.body.contains("data-status=\"queued\"") && !p.body.contains("data-status=\"running\"") {
            assert!(p.header("refresh").is_none(), "no reload once over");
            return p;
        }
        assert_eq!(p.header("refresh"), Some("2"), "the page reloads while the job runs");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the import at {path} did not finish");
}

/// The value selected in `<select name="NAME">`.
fn selected(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("<select id=\"{name}\" name=\"{name}\""))?;
    let end = at + html[at..].find("</select>")?;
    let select = &html[at..end];
    let opt = select.split("<option").find(|o| o.contains(" selected>"))?;
    let v = opt.split("value=\"").nth(1)?;
    Some(v[..v.find('"')?].to_string())
}

/// Uploads the file and walks to a finished preview; answers (upload id, preview page).
async fn upload_and_preview(app: &TestApp, b: &mut Browser, csv: &str) -> (String, Page) {
    let n = app.name();
    let start = b.get("/import").await;
    assert_eq!(start.status, StatusCode::OK, "[{n}] {}", start.body);
    let csrf = start.field("csrf").unwrap();
    let up = upload(b, &[("csrf", &csrf), ("kind", "people")], "people.csv", csv.as_bytes()).await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "[{n}] {}", up.body);
    let to = up.location().unwrap().to_string();
    let upload_id = to.trim_start_matches("/import/").trim_end_matches("/mapping").to_string();

    let mapping = b.get(&to).await;
    assert_eq!(mapping.status, StatusCode::OK, "[{n}] {}", mapping.body);
    // The engine's suggestions are chosen, and sample values shown.
    assert_eq!(selected(&mapping.body, "col-1").as_deref(), Some("first_name"), "[{n}] {}", mapping.body);
    assert_eq!(selected(&mapping.body, "col-2").as_deref(), Some("last_name"), "[{n}]");
    assert_eq!(selected(&mapping.body, "col-3").as_deref(), Some("emails"), "[{n}]");
    assert_eq!(selected(&mapping.body, "col-4").as_deref(), Some("organization"), "[{n}]");
    assert!(mapping.body.contains("Prénom") && mapping.body.contains("<q>Ada</q>"), "[{n}] columns and samples");
    assert!(mapping.body.contains("« ; »"), "[{n}] the delimiter found is shown");

    let csrf = mapping.field("csrf").unwrap();
    let preview = b
        .post_form(
            &format!("/import/{upload_id}/preview"),
            &[
                ("csrf", &csrf),
                ("col-1", "first_name"),
                ("col-2", "last_name"),
                ("col-3", "emails"),
                ("col-4", "organization"),
                ("save_mapping", "Spreadsheet people"),
            ],
        )
        .await;
    assert_eq!(preview.status, StatusCode::SEE_OTHER, "[{n}] {}", preview.body);
    let job = preview.location().unwrap().to_string();
    assert!(job.starts_with("/import/jobs/") && job.ends_with(&format!("?upload={upload_id}")), "[{n}] {job}");
    (upload_id, finished(b, &job).await)
}

/// What the test browser's field reader leaves escaped.
fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"").replace("&#39;", "'").replace("&#60;", "<").replace("&#62;", ">").replace("&#38;", "&")
}

async fn people(app: &TestApp) -> usize {
    app.list_all("/api/v1/people").await.len()
}

async fn run(b: &mut Browser, upload_id: &str, preview: &Page, mode: &str) -> Page {
    let csrf = preview.field("csrf").unwrap();
    let mapping = unescape(&preview.field("mapping").expect("the run form carries the mapping"));
    let r = b.post_form(&format!("/import/{upload_id}/run"), &[("csrf", &csrf), ("mapping", &mapping), ("mode", mode)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let job = r.location().unwrap().to_string();
    finished(b, &job).await
}

#[tokio::test]
async fn a_semicolon_csv_is_mapped_previewed_and_imported() {
    for app in TestApp::all().await {
        let n = app.name();
        let mut b = admin(&app).await;
        let (upload_id, preview) = upload_and_preview(&app, &mut b, PEOPLE).await;
        assert!(preview.body.contains("id=\"import-dry-run-note\""), "[{n}] {}", preview.body);
        // The broken row, with its row and column.
        let errors = &preview.body[preview.body.find("id=\"import-errors\"").expect("errors table")..];
        assert!(errors.contains("<tr data-row=\"3\"><td>3</td><td>3: E-mail</td>"), "[{n}] {errors}");
        assert!(errors.contains("<td>Emails: Enter an email address, such as name@example.com.</td>"), "[{n}] {errors}");
        assert!(preview.body.contains("data-row=\"2\" data-action=\"created\""), "[{n}] per-row actions");
        assert!(preview.body.contains("data-row=\"3\" data-action=\"failed\""), "[{n}]");
        assert!(preview.body.contains("id=\"import-count-created\">2<"), "[{n}]");
        assert_eq!(people(&app).await, 0, "[{n}] a preview writes nothing");
        // The mapping was saved under its name, and is offered next time.
        let saved = app.get("/api/v1/imports/mappings/Spreadsheet%20people").await;
        assert_eq!(saved.status, StatusCode::OK, "[{n}] {}", saved.body);

        // All or nothing: one bad row and nothing is written.
        let all = run(&mut b, &upload_id, &preview, "all_or_nothing").await;
        assert!(all.body.contains("id=\"import-nothing-written\""), "[{n}] {}", all.body);
        assert_eq!(people(&app).await, 0, "[{n}] all or nothing");

        // The good rows: two people, and the bad row in the reject file.
        let good = run(&mut b, &upload_id, &preview, "partial").await;
        assert!(good.body.contains("id=\"import-done\""), "[{n}] {}", good.body);
        assert_eq!(people(&app).await, 2, "[{n}]");
        let all_people = app.list_all("/api/v1/people").await;
        let ada = all_people.iter().find(|p| p["first_name"] == "Ada").expect("Ada imported");
        assert!(good.body.contains(&format!("href=\"/people/{}\"", ada["id"].as_str().unwrap())), "[{n}] links to the records");
        let rejects_at = good.body.find("id=\"import-rejects\"").expect("reject file offered");
        let href = good.body[rejects_at..].split("href=\"").nth(1).unwrap();
        let href = &href[..href.find('"').unwrap()];
        let rejects = b.get(href).await;
        assert_eq!(rejects.status, StatusCode::OK, "[{n}]");
        assert!(rejects.header("content-disposition").unwrap_or_default().starts_with("attachment"), "[{n}]");
        assert!(rejects.body.contains("Bob;Bad;not-an-email;Acme"), "[{n}] {}", rejects.body);
        assert!(!rejects.body.contains("Ada"), "[{n}] only the bad row");

        // The same file again, after Ada was changed here: she is updated back,
        // Grace is matched and left alone, nobody is duplicated.
        let ada_id = ada["id"].as_str().unwrap().to_string();
        let changed = app.patch(&format!("/api/v1/people/{ada_id}"), json!({"last_name": "Byron"})).await;
        assert_eq!(changed.status, StatusCode::OK, "[{n}] {}", changed.body);
        let (again_id, again) = upload_and_preview(&app, &mut b, PEOPLE).await;
        assert!(again.body.contains("data-row=\"2\" data-action=\"updated\""), "[{n}] {}", again.body);
        assert!(again.body.contains("data-row=\"4\" data-action=\"skipped\""), "[{n}]");
        let mapping = b.get(&format!("/import/{again_id}/mapping")).await;
        assert!(mapping.body.contains("<option value=\"Spreadsheet people\""), "[{n}] saved mapping offered");
        let saved = b.get(&format!("/import/{again_id}/mapping?saved=Spreadsheet%20people")).await;
        assert_eq!(selected(&saved.body, "col-3").as_deref(), Some("emails"), "[{n}] the saved mapping chosen");
        let job_path = again.body.split("data-import-job=\"").nth(1).map(|r| format!("/import/jobs/{}", &r[..36])).unwrap();
        let done = run(&mut b, &again_id, &again, "partial").await;
        // Another member sees neither the job nor the upload.
        let mut member = user(&app, "member@example.com", "member").await;
        assert_eq!(member.get(&job_path).await.status, StatusCode::NOT_FOUND, "[{n}] someone else's import");
        assert_eq!(member.get(&format!("/import/{again_id}/mapping")).await.status, StatusCode::NOT_FOUND, "[{n}]");
        assert!(done.body.contains("id=\"import-count-updated\">1<"), "[{n}] {}", done.body);
        assert!(done.body.contains("id=\"import-count-created\">0<"), "[{n}]");
        assert_eq!(people(&app).await, 2, "[{n}] no duplicates");
        let ada = app.get(&format!("/api/v1/people/{ada_id}")).await;
        assert_eq!(ada.body["last_name"], "Lovelace", "[{n}] {}", ada.body);
    }
}

/// Deals with a date that is none, a pipeline that does not exist, and a
/// row without the name the store requires.
const DEALS: &str =
    "Name,Expected close,Pipeline\nGood deal,2025-03-01,\nBad date,someday,\n,2025-03-01,\nWrong pipeline,,Enterprise\n";

#[tokio::test]
async fn row_errors_are_worded_from_the_catalog() {
    for app in TestApp::all().await {
        let n = app.name();
        let pipelines = app.get("/api/v1/pipelines").await.body["items"].clone();
        let names: Vec<&str> = pipelines.as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
        let mut b = admin(&app).await;
        let csrf = b.get("/import").await.field("csrf").unwrap();
        let up = upload(&b, &[("csrf", &csrf), ("kind", "deals")], "deals.csv", DEALS.as_bytes()).await;
        assert_eq!(up.status, StatusCode::SEE_OTHER, "[{n}] {}", up.body);
        let to = up.location().unwrap().to_string();
        let upload_id = to.trim_start_matches("/import/").trim_end_matches("/mapping").to_string();
        let csrf = b.get(&to).await.field("csrf").unwrap();
        let form = [("csrf", csrf.as_str()), ("col-1", "name"), ("col-2", "expected_close_date"), ("col-3", "pipeline")];
        let preview = b.post_form(&format!("/import/{upload_id}/preview"), &form).await;
        assert_eq!(preview.status, StatusCode::SEE_OTHER, "[{n}] {}", preview.body);
        let preview = finished(&mut b, preview.location().unwrap()).await;
        assert!(preview.body.contains("id=\"import-count-created\">1<"), "[{n}] {}", preview.body);

        // Each error in the catalog's words, by row and column.
        let errors = &preview.body[preview.body.find("id=\"import-errors\"").expect("errors table")..];
        let date = "<tr data-row=\"3\"><td>3</td><td>2: Expected close</td><td>“someday” is not a date. Write dates like 2025-01-31.</td></tr>";
        assert!(errors.contains(date), "[{n}] {errors}");
        let name = "<tr data-row=\"4\"><td>4</td><td></td><td>Name: This field is required.</td></tr>";
        assert!(errors.contains(name), "[{n}] {errors}");
        let pipeline = format!(
            "<tr data-row=\"5\"><td>5</td><td>3: Pipeline</td><td>There is no pipeline named “Enterprise”. The pipelines are: {}.</td></tr>",
            names.join(", ")
        );
        assert!(errors.contains(&pipeline), "[{n}] {errors}");
        assert!(!errors.contains("e.g.") && !errors.contains("there are:"), "[{n}] no English sentence: {errors}");

        // The API keeps the English, with the codes and the values.
        let job_id = preview.body.split("data-import-job=\"").nth(1).map(|r| r[..36].to_string()).unwrap();
        let job = app.get(&format!("/api/v1/imports/{job_id}")).await.body;
        let errs = job["errors"].as_array().unwrap();
        assert_eq!(errs[0]["code"], "not_a_date", "[{n}] {job}");
        assert_eq!(errs[0]["args"], json!([["value", "someday"]]), "[{n}] {job}");
        assert_eq!(errs[0]["message"], "'someday' is not a date (e.g. 2025-01-31)", "[{n}] {job}");
        assert_eq!(
            (errs[1]["code"].clone(), errs[1]["field"].clone()),
            (json!("validation.required"), json!("name")),
            "[{n}] {job}"
        );
        assert_eq!(errs[1]["message"], "name: is required", "[{n}] {job}");
        assert_eq!(errs[2]["code"], "pipeline_not_found", "[{n}] {job}");

        // The rejected rows keep the English too.
        let done = run(&mut b, &upload_id, &preview, "partial").await;
        assert!(done.body.contains("There is no pipeline named “Enterprise”."), "[{n}] {}", done.body);
        let rejects = b
            .get(&format!("/import/jobs/{}/rejects", done.body.split("data-import-job=\"").nth(1).map(|r| &r[..36]).unwrap()))
            .await;
        assert!(rejects.body.contains("Expected close: 'someday' is not a date (e.g. 2025-01-31)"), "[{n}] {}", rejects.body);
    }
}

#[tokio::test]
async fn forms_without_the_token_and_readers_are_refused() {
    for app in TestApp::all().await {
        let n = app.name();
        let mut b = admin(&app).await;
        let csrf = b.get("/import").await.field("csrf").unwrap();
        let refused = upload(&b, &[("kind", "people")], "people.csv", PEOPLE.as_bytes()).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{n}] no token");
        let wrong = upload(&b, &[("csrf", "not-the-token"), ("kind", "people")], "people.csv", PEOPLE.as_bytes()).await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN, "[{n}] wrong token");

        // An upload, then the next steps without the token.
        let up = upload(&b, &[("csrf", &csrf), ("kind", "people")], "<script>alert(1)</script>.csv", PEOPLE.as_bytes()).await;
        assert_eq!(up.status, StatusCode::SEE_OTHER, "[{n}] {}", up.body);
        let to = up.location().unwrap().to_string();
        let id = to.trim_start_matches("/import/").trim_end_matches("/mapping").to_string();
        let mapping = b.get(&to).await;
        assert!(!mapping.body.contains("<script>alert(1)"), "[{n}] the file name is escaped");
        assert!(mapping.body.contains("alert(1)"), "[{n}] {}", mapping.body);
        let p = b.post_form(&format!("/import/{id}/preview"), &[("col-1", "first_name")]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{n}] preview without token");
        let r = b.post_form(&format!("/import/{id}/run"), &[("mapping", "{\"E-mail\":\"emails\"}"), ("mode", "partial")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] run without token");
        // Nothing mapped: the form again, with the error.
        let none = b.post_form(&format!("/import/{id}/preview"), &[("csrf", &csrf)]).await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(none.body.contains("Choose a field for at least one column"), "[{n}] {}", none.body);
        assert_eq!(people(&app).await, 0, "[{n}]");

        // A read-only user may not import, nor use someone else's upload.
        let mut reader = user(&app, "reader@example.com", "read_only").await;
        let page = reader.get("/import").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "[{n}] {}", page.body);
        let reader_csrf = reader.session_csrf().await;
        let up = upload(&reader, &[("csrf", &reader_csrf), ("kind", "people")], "people.csv", PEOPLE.as_bytes()).await;
        assert_eq!(up.status, StatusCode::FORBIDDEN, "[{n}] {}", up.body);
        let other = reader.get(&format!("/import/{id}/mapping")).await;
        assert_ne!(other.status, StatusCode::OK, "[{n}] another user's upload");
        let other = reader
            .post_form(&format!("/import/{id}/run"), &[("csrf", &reader_csrf), ("mapping", "{\"E-mail\":\"emails\"}")])
            .await;
        assert_ne!(other.status, StatusCode::SEE_OTHER, "[{n}] {}", other.body);
        // A member may import, but not the admin's upload.
        let mut member = user(&app, "member@example.com", "member").await;
        assert_eq!(member.get("/import").await.status, StatusCode::OK, "[{n}]");
        assert_eq!(member.get(&format!("/import/{id}/mapping")).await.status, StatusCode::NOT_FOUND, "[{n}]");
        assert_eq!(people(&app).await, 0, "[{n}]");
    }
}

#[tokio::test]
async fn the_demo_company_fills_an_empty_workspace_for_admins_only() {
    for app in TestApp::all().await {
        let n = app.name();
        let mut member = user(&app, "member@example.com", "member").await;
        let csrf = member.session_csrf().await;
        let refused = member.post_form("/demo", &[("csrf", &csrf)]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{n}] {}", refused.body);
        assert_eq!(people(&app).await, 0, "[{n}]");

        let mut b = admin(&app).await;
        let home = b.get("/").await;
        assert!(home.body.contains("action=\"/demo\""), "[{n}] the first-run page offers it");
        let csrf = home.field("csrf").unwrap();
        assert_eq!(b.post_form("/demo", &[]).await.status, StatusCode::FORBIDDEN, "[{n}] no token");
        let done = b.post_form("/demo", &[("csrf", &csrf)]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "[{n}] {}", done.body);
        assert_eq!(done.location(), Some("/?demo=loaded"), "[{n}] home");
        assert_eq!(people(&app).await, 200, "[{n}]");
        assert!(!app.list_all("/api/v1/deals").await.is_empty(), "[{n}] deals too");
        let home = b.get("/?demo=loaded").await;
        assert!(home.body.contains("id=\"home-notice\""), "[{n}] with a message");
        assert!(!home.body.contains("action=\"/demo\""), "[{n}] no longer a first run");

        let again = b.post_form("/demo", &[("csrf", &csrf)]).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "[{n}] the workspace has people now");
        assert_eq!(people(&app).await, 200, "[{n}]");
    }
}

#[tokio::test]
async fn rows_of_a_custom_kind_are_uploaded_mapped_previewed_and_imported() {
    for app in TestApp::all().await {
        let n = app.name();
        let fields =
            json!([{"key": "city", "label": "City", "type": "text"}, {"key": "floors", "label": "Floors", "type": "number"}]);
        for (key, singular, plural) in [("site", "Site", "Sites"), ("depot", "Depot", "Depots")] {
            app.create("object-types", json!({"key": key, "singular": singular, "plural": plural, "fields": fields})).await;
        }
        // A mapping saved by an API import of depots: never offered for sites.
        let saved = app
            .post(
                "/api/v1/imports",
                json!({"kind": "depot", "format": "csv", "dry_run": true, "content": "Name\nEast\n",
                       "mapping": {"Name": "name"}, "save_mapping": "Depots"}),
            )
            .await;
        assert_eq!(saved.status, StatusCode::ACCEPTED, "[{n}] {}", saved.body);
        assert_eq!(app.get("/api/v1/imports/mappings/Depots").await.status, StatusCode::OK, "[{n}] saved");
        let mut b = admin(&app).await;

        let start = b.get("/import?kind=site").await;
        assert_eq!(start.status, StatusCode::OK, "[{n}] {}", start.body);
        assert!(start.body.contains("<optgroup label=\"Your own record kinds\">"), "[{n}] {}", start.body);
        assert!(start.body.contains("<option value=\"site\" selected>Sites</option>"), "[{n}] chosen from the link");
        assert!(start.body.contains("<option value=\"depot\">Depots</option>"), "[{n}] by plural label");
        let csrf = start.field("csrf").unwrap();
        let csv = "Name,City,Floors\nNorth Yard,Brest,3\nSouth Yard,Nantes,lots\nWest Field,Brest,12\n";
        let up = upload(&b, &[("csrf", &csrf), ("kind", "site")], "sites.csv", csv.as_bytes()).await;
        assert_eq!(up.status, StatusCode::SEE_OTHER, "[{n}] {}", up.body);
        let to = up.location().unwrap().to_string();
        let upload_id = to.trim_start_matches("/import/").trim_end_matches("/mapping").to_string();

        // The kind's fields are the targets, and suggested by their labels.
        let mapping = b.get(&to).await;
        assert_eq!(mapping.status, StatusCode::OK, "[{n}] {}", mapping.body);
        assert!(mapping.body.contains("Sites"), "[{n}] the rows are named: {}", mapping.body);
        assert_eq!(selected(&mapping.body, "col-1").as_deref(), Some("name"), "[{n}] {}", mapping.body);
        assert_eq!(selected(&mapping.body, "col-2").as_deref(), Some("custom.city"), "[{n}]");
        assert_eq!(selected(&mapping.body, "col-3").as_deref(), Some("custom.floors"), "[{n}]");
        assert!(!mapping.body.contains("value=\"first_name\""), "[{n}] no person fields");
        assert!(mapping.body.contains("value=\"owner\""), "[{n}] the kind's own fields");
        assert!(!mapping.body.contains("value=\"stage_id\"") && !mapping.body.contains("value=\"stage\""), "[{n}] no stages");
        assert!(mapping.body.contains("id=\"import-save-mapping\""), "[{n}] a mapping can be saved for the kind");
        assert!(!mapping.body.contains("id=\"import-saved\""), "[{n}] the depots' mapping is not offered");
        let other = b.get(&format!("{to}?saved=Depots")).await;
        assert!(other.body.contains("role=\"alert\""), "[{n}] a saved mapping is refused: {}", other.body);

        let csrf = mapping.field("csrf").unwrap();
        let form = [
            ("csrf", csrf.as_str()),
            ("col-1", "name"),
            ("col-2", "custom.city"),
            ("col-3", "custom.floors"),
            ("save_mapping", "Sites"),
        ];
        let preview = b.post_form(&format!("/import/{upload_id}/preview"), &form).await;
        assert_eq!(preview.status, StatusCode::SEE_OTHER, "[{n}] {}", preview.body);
        let preview = finished(&mut b, preview.location().unwrap()).await;
        assert!(preview.body.contains("id=\"import-dry-run-note\""), "[{n}] {}", preview.body);
        assert!(preview.body.contains("id=\"import-count-created\">2<"), "[{n}] {}", preview.body);
        assert!(preview.body.contains("data-row=\"3\" data-action=\"failed\""), "[{n}] the bad number");
        let errors = &preview.body[preview.body.find("id=\"import-errors\"").expect("errors table")..];
        assert!(errors.contains("3: Floors"), "[{n}] by row and column: {errors}");
        let saved = app.get("/api/v1/imports/mappings/Sites").await;
        assert_eq!(saved.body["kind"], "site", "[{n}] saved for sites: {}", saved.body);
        assert!(app.list_all("/api/v1/objects/site").await.is_empty(), "[{n}] a preview writes nothing");

        let done = run(&mut b, &upload_id, &preview, "partial").await;
        assert!(done.body.contains("id=\"import-done\""), "[{n}] {}", done.body);
        assert!(done.body.contains("href=\"/objects/site\""), "[{n}] a link to the kind's list: {}", done.body);
        let sites = app.list_all("/api/v1/objects/site").await;
        let mut names: Vec<&str> = sites.iter().filter_map(|s| s["name"].as_str()).collect();
        names.sort();
        assert_eq!(names, vec!["North Yard", "West Field"], "[{n}]");
        let north = sites.iter().find(|s| s["name"] == "North Yard").unwrap();
        assert_eq!((north["custom"]["city"].clone(), north["custom"]["floors"].clone()), (json!("Brest"), json!(3)), "[{n}]");
        let id = north["id"].as_str().unwrap();
        assert!(done.body.contains(&format!("href=\"/objects/site/{id}\"")), "[{n}] links to the records");
        assert!(app.list_all("/api/v1/objects/depot").await.is_empty(), "[{n}] nothing went to the other kind");

        let list = b.get("/objects/site").await;
        assert!(list.body.contains("North Yard") && list.body.contains("West Field"), "[{n}] listed: {}", list.body);
        let imports = b.get("/import").await;
        assert!(imports.body.contains("Sites ·"), "[{n}] the latest imports name the kind: {}", imports.body);

        // A read-only user is offered no kind of their own to import into.
        let mut reader = user(&app, "reader@example.com", "read_only").await;
        assert_eq!(reader.get("/import?kind=site").await.status, StatusCode::FORBIDDEN, "[{n}]");
    }
}
