//! Importing CSV and JSON files through import jobs: encodings and delimiters,
//! suggested mappings, dry runs, all-or-nothing imports, reject files, and
//! second imports that update instead of duplicating.

mod io_support;

use io_support::{counts, enc, get_text, import, multipart, upload, wait};
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};

fn person<'a>(people: &'a [Value], first: &str) -> &'a Value {
    people.iter().find(|p| p["first_name"] == first).unwrap_or_else(|| panic!("no person named {first} in {people:?}"))
}

#[tokio::test]
async fn csv_with_bom_semicolons_and_quoted_newlines() {
    for app in TestApp::all().await {
        let n = app.name();
        let mut file = vec![0xEF, 0xBB, 0xBF];
        file.extend_from_slice(
            "Prénom;Nom;E-mail;Adresse;Ville;Société\r\n\
             Zoë;Brontë;zoe@example.org;\"12 rue de la Paix\r\nBâtiment B\";Paris;Acme SA\r\n\
             \"Jean; dit Jeannot\";Dupont;jean@example.org;;Lyon;\"Acme SA\"\r\n"
                .as_bytes(),
        );
        let job = import(&app, "kind=people", "text/csv", file).await;
        assert_eq!(counts(&job), (2, 0, 0, 0), "[{n}] {job}");
        assert_eq!(job["counts"]["organizations_created"], 1, "[{n}] one Acme for both: {job}");
        let people = app.list_all("/api/v1/people").await;
        let zoe = person(&people, "Zoë");
        assert_eq!(zoe["last_name"], "Brontë", "[{n}]");
        assert_eq!(zoe["primary_email"], "zoe@example.org", "[{n}]");
        assert_eq!(zoe["address"]["street"], "12 rue de la Paix\r\nBâtiment B", "[{n}] the quoted newline is kept");
        assert_eq!(zoe["address"]["city"], "Paris", "[{n}]");
        let jean = person(&people, "Jean; dit Jeannot");
        assert_eq!(jean["organizations"].as_array().unwrap().len(), 1, "[{n}]");
        assert_eq!(jean["organizations"][0]["id"], zoe["organizations"][0]["id"], "[{n}] same organization");
        let orgs = app.list_all("/api/v1/organizations").await;
        assert_eq!(orgs.len(), 1, "[{n}]");
        assert_eq!(orgs[0]["name"], "Acme SA", "[{n}]");
    }
}

#[tokio::test]
async fn latin1_and_utf16_files() {
    for app in TestApp::all().await {
        let n = app.name();
        // Windows-1252: ë is 0xEB, ü 0xFC, ç 0xE7, é 0xE9.
        let mut latin1 = b"First Name,Last Name,E-mail Address,Job Title\n".to_vec();
        latin1.extend_from_slice(b"Zo\xEB,M\xFCller,zoe@example.org,Directrice fran\xE7aise\n");
        let job = import(&app, "kind=people", "text/csv", latin1).await;
        assert_eq!(counts(&job), (1, 0, 0, 0), "[{n}] {job}");
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "Given Name\tFamily Name\tE-mail 1 - Value\nRené\tÉlie\trene@example.org\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let job = import(&app, "kind=people", "text/csv", utf16).await;
        assert_eq!(counts(&job), (1, 0, 0, 0), "[{n}] {job}");
        let people = app.list_all("/api/v1/people").await;
        assert_eq!(person(&people, "Zoë")["last_name"], "Müller", "[{n}]");
        assert_eq!(person(&people, "Zoë")["title"], "Directrice française", "[{n}]");
        assert_eq!(person(&people, "René")["last_name"], "Élie", "[{n}]");
    }
}

#[tokio::test]
async fn header_suggestions_for_common_exports() {
    for app in TestApp::all().await {
        let n = app.name();
        let suggest = |kind: &str, headers: &[&str]| {
            let body = json!({"kind": kind, "headers": headers});
            let app = &app;
            async move {
                let a = app.post("/api/v1/imports/suggest-mapping", body).await;
                assert_eq!(a.status, StatusCode::OK, "[{}] {}", app.name(), a.body);
                a.body["mapping"].clone()
            }
        };
        let google = suggest(
            "people",
            &[
                "Name",
                "Given Name",
                "Family Name",
                "E-mail 1 - Type",
                "E-mail 1 - Value",
                "E-mail 2 - Value",
                "Phone 1 - Value",
                "Organization 1 - Name",
                "Organization 1 - Title",
            ],
        )
        .await;
        assert_eq!(
            google,
            json!({"Given Name": "first_name", "Family Name": "last_name", "E-mail 1 - Value": "emails", "E-mail 2 - Value": "emails",
                   "Phone 1 - Value": "phones", "Organization 1 - Name": "organization", "Organization 1 - Title": "title"}),
            "[{n}] Google Contacts"
        );
        let outlook = suggest(
            "people",
            &["First Name", "Last Name", "E-mail Address", "Business Phone", "Mobile Phone", "Company", "Job Title"],
        )
        .await;
        assert_eq!(
            outlook,
            json!({"First Name": "first_name", "Last Name": "last_name", "E-mail Address": "emails", "Business Phone": "phones",
                   "Mobile Phone": "phones", "Company": "organization", "Job Title": "title"}),
            "[{n}] Outlook"
        );
        let hubspot = suggest(
            "people",
            &["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "Lifecycle Stage"],
        )
        .await;
        assert_eq!(
            hubspot,
            json!({"Record ID": "external_id", "First Name": "first_name", "Last Name": "last_name", "Email": "emails",
                   "Phone Number": "phones", "Company Name": "organization", "Lifecycle Stage": "lifecycle_stage"}),
            "[{n}] HubSpot"
        );
        let salesforce = suggest(
            "people",
            &["Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "Title", "Account Name", "LeadSource"],
        )
        .await;
        assert_eq!(
            salesforce,
            json!({"Id": "external_id", "FirstName": "first_name", "LastName": "last_name", "Email": "emails", "Phone": "phones",
                   "MobilePhone": "phones", "Title": "title", "Account Name": "organization", "LeadSource": "lead_source"}),
            "[{n}] Salesforce"
        );
        // An Apple Contacts card: the suggestions come from the file itself.
        let res = app
            .client
            .post(format!("{}/api/v1/imports/suggest-mapping?kind=people", app.base))
            .bearer_auth(&app.token)
            .header("content-type", "text/vcard")
            .body(io_support::data("vcard30-apple.vcf"))
            .send()
            .await
            .unwrap();
        let apple = TestApp::answer(res).await;
        assert_eq!(apple.status, StatusCode::OK, "[{n}] {}", apple.body);
        assert_eq!(apple.body["format"], "vcard", "[{n}]");
        for (col, target) in [
            ("N.given", "first_name"),
            ("N.family", "last_name"),
            ("EMAIL", "emails"),
            ("TEL", "phones"),
            ("ORG", "organization"),
            ("TITLE", "title"),
            ("BDAY", "birthday"),
            ("UID", "external_id"),
        ] {
            assert_eq!(apple.body["mapping"][col], target, "[{n}] {col}: {}", apple.body["mapping"]);
        }
        // Organizations and deals have their own synonyms.
        let companies =
            suggest("organizations", &["Company name", "Company Domain Name", "Industry", "Website URL", "Record ID"]).await;
        assert_eq!(
            companies,
            json!({"Company name": "name", "Company Domain Name": "domains", "Industry": "industry", "Website URL": "website", "Record ID": "external_id"}),
            "[{n}]"
        );
        let deals = suggest("deals", &["Opportunity Name", "Amount", "CloseDate", "StageName", "Account Name"]).await;
        assert_eq!(
            deals,
            json!({"Opportunity Name": "name", "Amount": "amount", "CloseDate": "expected_close_date", "StageName": "stage", "Account Name": "organization"}),
            "[{n}]"
        );
        let a = app.post("/api/v1/imports/suggest-mapping", json!({"kind": "widgets", "headers": ["x"]})).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
    }
}

const THREE_PEOPLE: &str = "First Name,Last Name,Email,Birthday\nAda,Lovelace,ada@example.org,10/12/1815\nBob,Bad,not-an-email,\nGrace,Hopper,grace@example.org,someday\nAlan,Turing,alan@example.org,23/06/1912\n";

#[tokio::test]
async fn dry_run_reports_every_row_and_writes_nothing() {
    for app in TestApp::all().await {
        let n = app.name();
        app.create("people", json!({"first_name": "Ada", "emails": ["ada@example.org"]})).await;
        let job = import(&app, "kind=people&dry_run=true", "text/csv", THREE_PEOPLE).await;
        assert_eq!(job["dry_run"], true, "[{n}]");
        assert_eq!(counts(&job), (1, 1, 0, 2), "[{n}] {job}");
        let report = job["report"].as_array().unwrap();
        let actions: Vec<(u64, &str)> =
            report.iter().map(|r| (r["row"].as_u64().unwrap(), r["action"].as_str().unwrap())).collect();
        assert_eq!(actions, vec![(2, "updated"), (3, "failed"), (4, "failed"), (5, "created")], "[{n}] {job}");
        assert_eq!(report[0]["matched_by"], "email", "[{n}]");
        let errors = job["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 2, "[{n}] {job}");
        assert_eq!(errors[0]["row"], 3, "[{n}]");
        assert_eq!(errors[0]["column"], "Email", "[{n}] {job}");
        assert_eq!(errors[0]["column_number"], 3, "[{n}]");
        assert!(errors[0]["message"].as_str().unwrap().contains("not-an-email"), "[{n}] {job}");
        assert_eq!(errors[1]["row"], 4, "[{n}]");
        assert_eq!(errors[1]["column"], "Birthday", "[{n}]");
        assert_eq!(errors[1]["column_number"], 4, "[{n}]");
        assert!(job["message"].as_str().unwrap().contains("dry run"), "[{n}] {job}");
        let people = app.list_all("/api/v1/people").await;
        assert_eq!(people.len(), 1, "[{n}] nothing written");
        assert_eq!(people[0]["last_name"], Value::Null, "[{n}] Ada untouched");
    }
}

#[tokio::test]
async fn all_or_nothing_keeps_nothing_when_a_row_fails() {
    for app in TestApp::all().await {
        let n = app.name();
        let job = import(&app, "kind=people&mode=all_or_nothing", "text/csv", THREE_PEOPLE).await;
        assert_eq!(job["mode"], "all_or_nothing", "[{n}]");
        assert_eq!(job["counts"]["failed"], 2, "[{n}] {job}");
        assert_eq!(job["errors"].as_array().unwrap().len(), 2, "[{n}] the full error report: {job}");
        assert!(job["message"].as_str().unwrap().contains("nothing was written"), "[{n}] {job}");
        assert_eq!(job["has_rejects"], false, "[{n}]");
        assert!(app.list_all("/api/v1/people").await.is_empty(), "[{n}] rolled back");
        assert!(app.list_all("/api/v1/organizations").await.is_empty(), "[{n}]");
        // The same file, fixed, goes in whole.
        let fixed = "First Name,Last Name,Email\nAda,Lovelace,ada@example.org\nAlan,Turing,alan@example.org\n";
        let job = import(&app, "kind=people&mode=all_or_nothing", "text/csv", fixed).await;
        assert_eq!(counts(&job), (2, 0, 0, 0), "[{n}] {job}");
        assert_eq!(app.list_all("/api/v1/people").await.len(), 2, "[{n}]");
    }
}

#[tokio::test]
async fn bad_rows_go_to_the_reject_file() {
    for app in TestApp::all().await {
        let n = app.name();
        let job = import(&app, "kind=people", "text/csv", THREE_PEOPLE).await;
        assert_eq!(counts(&job), (2, 0, 0, 2), "[{n}] {job}");
        assert_eq!(job["has_rejects"], true, "[{n}]");
        let link = job["links"]["rejects"].as_str().expect("rejects link");
        let (status, headers, body) = get_text(&app, link).await;
        assert_eq!(status, StatusCode::OK, "[{n}] {body}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"), "[{n}]");
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines[0], "First Name,Last Name,Email,Birthday,error", "[{n}] {body}");
        assert_eq!(lines.len(), 3, "[{n}] {body}");
        assert!(lines[1].starts_with("Bob,Bad,not-an-email,,"), "[{n}] {body}");
        assert!(lines[1].contains("Email: 'not-an-email' is not an email address"), "[{n}] {body}");
        assert!(lines[2].starts_with("Grace,Hopper,grace@example.org,someday,"), "[{n}] {body}");
        assert!(lines[2].contains("Birthday:"), "[{n}] {body}");
        assert_eq!(app.list_all("/api/v1/people").await.len(), 2, "[{n}] the good rows are in");
        // The reject file, fixed, imports as it is.
        let fixed = body.replace("not-an-email", "bob@example.org").replace("someday", "09/12/1906");
        let job = import(&app, "kind=people", "text/csv", fixed).await;
        assert_eq!(counts(&job), (2, 0, 0, 0), "[{n}] the error column is left out: {job}");
    }
}

#[tokio::test]
async fn a_second_import_updates_instead_of_duplicating() {
    for app in TestApp::all().await {
        let n = app.name();
        let file = "Record ID,First Name,Last Name,Email,Phone Number,Company Name,Lifecycle Stage\n\
                    101,Ada,Lovelace,ada@example.org,06 12 34 56 78,Analytical Engines,Lead\n\
                    102,Grace,Hopper,grace@example.org,,Navy,Customer\n\
                    ,Alan,Turing,alan@example.org,+44 161 496 0123,,Marketing Qualified Lead\n";
        let first = import(&app, "kind=people", "text/csv", file).await;
        assert_eq!(counts(&first), (3, 0, 0, 0), "[{n}] {first}");
        assert_eq!(first["counts"]["organizations_created"], 2, "[{n}]");
        let again = import(&app, "kind=people", "text/csv", file).await;
        assert_eq!(counts(&again), (0, 0, 3, 0), "[{n}] nothing changed: {again}");
        assert_eq!(again["counts"]["organizations_created"], 0, "[{n}]");
        let changed = file.replace("Navy,Customer", "Navy,Evangelist").replace("alan@example.org", "ALAN@example.org");
        let third = import(&app, "kind=people", "text/csv", changed).await;
        assert_eq!(counts(&third), (0, 1, 2, 0), "[{n}] {third}");
        let report = third["report"].as_array().unwrap();
        assert_eq!(report[0]["matched_by"], "external_id", "[{n}]");
        assert_eq!(report[2]["matched_by"], "email", "[{n}]");
        let people = app.list_all("/api/v1/people").await;
        assert_eq!(people.len(), 3, "[{n}] no duplicates");
        assert_eq!(person(&people, "Grace")["lifecycle_stage"], "evangelist", "[{n}]");
        assert_eq!(person(&people, "Alan")["lifecycle_stage"], "qualified_lead", "[{n}]");
        assert_eq!(person(&people, "Ada")["external_id"], "101", "[{n}]");
        assert_eq!(person(&people, "Ada")["primary_phone"], "+33612345678", "[{n}]");
        assert_eq!(app.list_all("/api/v1/organizations").await.len(), 2, "[{n}]");
        // A new email for a known person joins the old one.
        let more = "Record ID,Email\n101,ada@work.example\n";
        let job = import(&app, "kind=people", "text/csv", more).await;
        assert_eq!(counts(&job), (0, 1, 0, 0), "[{n}] {job}");
        let ada = app.get(&format!("/api/v1/people/{}", person(&people, "Ada")["id"].as_str().unwrap())).await.body;
        let emails: Vec<&str> = ada["emails"].as_array().unwrap().iter().map(|e| e["address"].as_str().unwrap()).collect();
        assert_eq!(emails, vec!["ada@example.org", "ada@work.example"], "[{n}]");
        assert_eq!(ada["primary_email"], "ada@example.org", "[{n}] the primary stays");
    }
}

#[tokio::test]
async fn json_arrays_and_json_lines() {
    for app in TestApp::all().await {
        let n = app.name();
        let body = json!({
            "kind": "organizations",
            "content": [
                {"name": "Acme", "domains": ["acme.example"], "industry": "Robotics", "size": 120, "id": "A-1"},
                {"name": "Globex", "website": "https://globex.example", "tags": ["vip", "eu"], "id": "A-2"},
            ],
            "mapping": {"name": "name", "domains": "domains", "industry": "industry", "size": "size", "website": "website", "tags": "tags", "id": "external_id"},
        });
        let a = app.post("/api/v1/imports", body).await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "[{n}] {}", a.body);
        let job = wait(&app, a.body["id"].as_str().unwrap()).await;
        assert_eq!(counts(&job), (2, 0, 0, 0), "[{n}] {job}");
        let orgs = app.list_all("/api/v1/organizations?sort=name").await;
        assert_eq!(orgs[0]["size"], "51-200", "[{n}] a head count becomes its band");
        assert_eq!(orgs[0]["external_id"], "A-1", "[{n}]");
        assert_eq!(orgs[1]["tags"], json!(["vip", "eu"]), "[{n}]");

        let lines = "{\"type\": \"call\", \"subject\": \"Intro call\", \"when\": \"2025-03-04 10:30\", \"company\": \"Acme\", \"minutes\": \"2:30\"}\n\
                     {\"type\": \"Meeting\", \"subject\": \"Demo\", \"when\": \"2025-03-05T14:00:00Z\", \"company\": \"Initech\"}\n\
                     {\"type\": \"dance\", \"subject\": \"?\"}\n";
        let mapping = json!({"type": "type", "subject": "subject", "when": "occurred_at", "company": "organization", "minutes": "duration_seconds"}).to_string();
        let q = format!("kind=activities&mapping={}", enc(&mapping));
        let job = import(&app, &q, "application/x-ndjson", lines).await;
        assert_eq!(counts(&job), (2, 0, 0, 1), "[{n}] {job}");
        assert_eq!(job["errors"][0]["row"], 3, "[{n}]");
        assert_eq!(job["errors"][0]["column"], "type", "[{n}] {job}");
        let acts = app.list_all("/api/v1/activities?sort=occurred_at").await;
        assert_eq!(
            acts[0]["occurred_at"], "2025-03-04T10:30:00.000000Z",
            "[{n}] read in the workspace time zone (UTC here): {}",
            acts[0]
        );
        assert_eq!(acts[0]["duration_seconds"], 150, "[{n}]");
        assert_eq!(acts[1]["type"], "meeting", "[{n}]");
        assert_eq!(acts[0]["organizations"], json!([orgs[0]["id"]]), "[{n}] linked to the existing Acme");
        assert_eq!(app.list_all("/api/v1/organizations").await.len(), 3, "[{n}] Initech created");
        // JSON rejects are JSON Lines with an error key.
        let (_, _, rejects) = get_text(&app, job["links"]["rejects"].as_str().unwrap()).await;
        let reject: Value = rapport_testkit::serde_json::from_str(rejects.lines().next().unwrap()).unwrap();
        assert_eq!(reject["type"], "dance", "[{n}]");
        assert!(reject["error"].as_str().unwrap().starts_with("type:"), "[{n}] {reject}");
    }
}

#[tokio::test]
async fn import_job_lifecycle() {
    for app in TestApp::all().await {
        let n = app.name();
        let a = upload(&app, "kind=people&file_name=team.csv", "text/csv", "First Name,Email\nAda,ada@example.org\n").await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "[{n}] {}", a.body);
        let id = a.body["id"].as_str().unwrap().to_string();
        assert_eq!(a.header("location"), Some(format!("/api/v1/imports/{id}").as_str()), "[{n}]");
        assert!(matches!(a.body["status"].as_str(), Some("queued" | "running" | "done")), "[{n}] {}", a.body);
        assert_eq!(a.body["links"]["self"], format!("/api/v1/imports/{id}"), "[{n}]");
        let job = wait(&app, &id).await;
        assert_eq!(job["status"], "done", "[{n}] {job}");
        assert_eq!(job["file_name"], "team.csv", "[{n}]");
        assert_eq!(job["kind"], "people", "[{n}]");
        assert_eq!(
            job["mapping"],
            json!({"First Name": "first_name", "Email": "emails"}),
            "[{n}] the suggested mapping, recorded"
        );
        assert!(job["started_at"].is_string() && job["finished_at"].is_string(), "[{n}] {job}");
        assert_eq!(job["has_rejects"], false, "[{n}]");
        let (status, _, _) = get_text(&app, &format!("/api/v1/imports/{id}/rejects")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "[{n}] no rejects");
        let list = app.get("/api/v1/imports").await;
        assert_eq!(list.body["items"][0]["id"], id.as_str(), "[{n}] {}", list.body);
        let missing = app.get(&format!("/api/v1/imports/{}", uuid::Uuid::now_v7())).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "[{n}]");

        // Saved mappings for repeat imports, multipart uploads.
        let put = app
            .send(
                rapport_testkit::reqwest::Method::PUT,
                "/api/v1/imports/mappings/crm-export",
                Some(&json!({"kind": "people", "columns": {"Prénom": "first_name", "Courriel": "emails", "Entreprise": "organization"}})),
                &[],
            )
            .await;
        assert_eq!(put.status, StatusCode::OK, "[{n}] {}", put.body);
        let bad = app
            .send(
                rapport_testkit::reqwest::Method::PUT,
                "/api/v1/imports/mappings/x",
                Some(&json!({"kind": "people", "columns": {"A": "shoe_size"}})),
                &[],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", bad.body);
        let (ct, body) = multipart(
            &[("kind", "people"), ("mapping", "crm-export")],
            "export.csv",
            "Prénom;Courriel;Entreprise\nLin;lin@example.org;Initech\n".as_bytes(),
        );
        let res = app
            .client
            .post(format!("{}/api/v1/imports", app.base))
            .bearer_auth(&app.token)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        let a = TestApp::answer(res).await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "[{n}] {}", a.body);
        let job = wait(&app, a.body["id"].as_str().unwrap()).await;
        assert_eq!(counts(&job), (1, 0, 0, 0), "[{n}] {job}");
        assert_eq!(job["file_name"], "export.csv", "[{n}]");
        assert_eq!(job["format"], "csv", "[{n}]");
        let mappings = app.get("/api/v1/imports/mappings").await;
        assert_eq!(mappings.body["items"][0]["name"], "crm-export", "[{n}] {}", mappings.body);

        // Refused before any row is read.
        let a = upload(&app, "kind=tasks", "text/csv", "Title\nx\n").await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", a.body);
        let a = upload(&app, "kind=people&mapping=nope", "text/csv", "Title\nx\n").await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", a.body);
        let a = upload(&app, "kind=people", "text/csv", "").await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", a.body);
        // A file no column of which means anything: the job fails and says why.
        let a = upload(&app, "kind=people", "text/csv", "Foo,Bar\n1,2\n").await;
        let job = wait(&app, a.body["id"].as_str().unwrap()).await;
        assert_eq!(job["status"], "failed", "[{n}] {job}");
        assert!(job["message"].as_str().unwrap().contains("give a mapping"), "[{n}] {job}");
        // A read-only token may not import.
        let ro = app
            .store
            .create_token(&app.scope, app.user_id, "ro", &[rapport_domain::access::TokenScope { kind: None, write: false }])
            .await
            .unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        let res = app
            .client
            .post(format!("{}/api/v1/imports?kind=people", app.base))
            .bearer_auth(ro)
            .header("content-type", "text/csv")
            .body("First Name\nX\n")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{n}]");
    }
}

#[tokio::test]
async fn deals_with_stages_amounts_and_people() {
    for app in TestApp::all().await {
        let n = app.name();
        app.create("people", json!({"first_name": "Ada", "emails": ["ada@example.org"]})).await;
        let file = "Opportunity Name,Amount,Currency,CloseDate,StageName,Account Name,Contact Email,Id\n\
                    Big deal,\"1.234,50\",EUR,31/03/2026,Proposal,Acme,ada@example.org,OPP-1\n\
                    Small deal,99,USD,2026-04-01,Nowhere,Acme,,OPP-2\n\
                    Lost deal,10,EUR,,,Acme,nobody@example.org,OPP-3\n";
        let mapping = "{\"Contact Email\": \"person\", \"Opportunity Name\": \"name\", \"Amount\": \"amount\", \"Currency\": \"currency\", \"CloseDate\": \"expected_close_date\", \"StageName\": \"stage\", \"Account Name\": \"organization\", \"Id\": \"external_id\"}";
        let q = format!("kind=deals&mapping={}", enc(mapping));
        let job = import(&app, &q, "text/csv", file).await;
        assert_eq!(counts(&job), (1, 0, 0, 2), "[{n}] {job}");
        let errors = job["errors"].as_array().unwrap();
        assert_eq!(errors[0]["column"], "StageName", "[{n}] {job}");
        assert!(errors[0]["message"].as_str().unwrap().contains("no stage named 'Nowhere'"), "[{n}] {job}");
        assert_eq!(errors[1]["column"], "Contact Email", "[{n}] {job}");
        let deals = app.list_all("/api/v1/deals").await;
        assert_eq!(deals.len(), 1, "[{n}]");
        assert_eq!(deals[0]["amount_minor"], 123450, "[{n}]");
        assert_eq!(deals[0]["expected_close_date"], "2026-03-31", "[{n}]");
        assert_eq!(deals[0]["people"].as_array().unwrap().len(), 1, "[{n}]");
        let pipelines = app.get("/api/v1/pipelines").await.body;
        let stage = pipelines["items"][0]["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == deals[0]["stage_id"])
            .cloned()
            .unwrap();
        assert_eq!(stage["name"], "Proposal", "[{n}] {pipelines}");
    }
}
