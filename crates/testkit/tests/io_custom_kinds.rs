//! A custom record kind's records through files: exported as CSV and JSON with
//! the list's filters, changed in a spreadsheet and imported back, where a row
//! carrying an identifying field's value updates its record instead of making
//! a second, stages are named, and a bad cell is reported by row and column.

mod io_support;

use io_support::{counts, get_text, import, parse_csv, upload, wait};
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::{Value, json};

async fn define_sites(app: &TestApp) {
    let n = app.name();
    let kind = app
        .post(
            "/api/v1/object-types",
            json!({
                "key": "site", "singular": "Site", "plural": "Sites", "has_status": true,
                "fields": [
                    {"key": "code", "label": "Code", "type": "text", "identifies": true},
                    {"key": "floors", "label": "Floors", "type": "number"},
                    {"key": "opened", "label": "Opened", "type": "date"},
                ],
            }),
        )
        .await;
    assert_eq!(kind.status, StatusCode::CREATED, "[{n}] {}", kind.body);
    // A second kind with the same field key: its records are never matched or exported with sites.
    let other = app
        .post(
            "/api/v1/object-types",
            json!({"key": "depot", "singular": "Depot", "plural": "Depots",
                   "fields": [{"key": "code", "label": "Code", "type": "text", "identifies": true}]}),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "[{n}] {}", other.body);
}

fn column(rows: &[Vec<String>], name: &str) -> usize {
    rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]))
}

#[tokio::test]
async fn a_custom_kinds_records_go_out_to_a_file_and_come_back() {
    for app in TestApp::all().await {
        let n = app.name();
        define_sites(&app).await;
        let harbour = app
            .post(
                "/api/v1/objects/site",
                json!({"name": "Harbour", "custom": {"code": "H1", "floors": 3, "opened": "2019-05-01"}}),
            )
            .await;
        assert_eq!(harbour.status, StatusCode::CREATED, "[{n}] {}", harbour.body);
        let harbour_id = harbour.body["id"].as_str().unwrap().to_string();
        let hill = app.post("/api/v1/objects/site", json!({"name": "Hill", "custom": {"code": "K2", "floors": 12}})).await;
        assert_eq!(hill.status, StatusCode::CREATED, "[{n}] {}", hill.body);
        let depot = app.post("/api/v1/objects/depot", json!({"name": "North depot", "custom": {"code": "H1"}})).await;
        assert_eq!(depot.status, StatusCode::CREATED, "[{n}] {}", depot.body);

        // CSV: the kind's own columns, its fields, the stage by name; only its records.
        let (status, headers, text) = get_text(&app, "/api/v1/objects/site/export?sort=name").await;
        assert_eq!(status, StatusCode::OK, "[{n}] {text}");
        assert!(headers["content-disposition"].to_str().unwrap().contains("site.csv"), "[{n}] {headers:?}");
        let rows = parse_csv(&text);
        assert_eq!(rows.len(), 3, "[{n}] a header and two sites, no depot: {text}");
        let (name, code, floors, opened, stage) = (
            column(&rows, "name"),
            column(&rows, "custom.code"),
            column(&rows, "custom.floors"),
            column(&rows, "custom.opened"),
            column(&rows, "stage"),
        );
        assert_eq!(
            (
                rows[1][name].as_str(),
                rows[1][code].as_str(),
                rows[1][floors].as_str(),
                rows[1][opened].as_str(),
                rows[1][stage].as_str()
            ),
            ("Harbour", "H1", "3", "2019-05-01", "Open"),
            "[{n}] {text}"
        );
        // JSON, filtered as the list filters.
        let (status, _, json_text) = get_text(&app, "/api/v1/objects/site/export?format=json&custom.floors[gt]=5").await;
        assert_eq!(status, StatusCode::OK, "[{n}] {json_text}");
        let items: Value = rapport_testkit::serde_json::from_str(&json_text).unwrap();
        let names: Vec<&str> = items.as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
        assert_eq!(names, vec!["Hill"], "[{n}] {json_text}");
        let (status, _, body) = get_text(&app, "/api/v1/objects/nope/export").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "[{n}] an unknown kind: {body}");

        // Back in: Harbour (matched by its code) moves on and gains a floor; a new site is made.
        let file = "Name,Code,Floors,Opened,Stage\nHarbour,H1,4,2019-05-01,In progress\nDunes,D7,1,2024-02-29,Open\n";
        let job = import(&app, "kind=site&format=csv&file_name=sites.csv", "text/csv", file).await;
        assert_eq!(job["kind"], "site", "[{n}] {job}");
        assert_eq!(counts(&job), (1, 1, 0, 0), "[{n}] one created, one updated: {job}");
        let now = app.get(&format!("/api/v1/objects/site/{harbour_id}")).await;
        assert_eq!(now.body["custom"]["floors"].as_f64(), Some(4.0), "[{n}] {}", now.body);
        let stages = app.get("/api/v1/object-types/site").await.body["pipeline"]["stages"].clone();
        let in_progress = stages.as_array().unwrap().iter().find(|s| s["name"] == "In progress").unwrap()["id"].clone();
        assert_eq!(now.body["stage_id"], in_progress, "[{n}] the stage, by name");
        let list = app.get("/api/v1/objects/site?sort=name").await;
        let names: Vec<&str> = list.body["items"].as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
        assert_eq!(names, vec!["Dunes", "Harbour", "Hill"], "[{n}] {}", list.body);
        let depots = app.get("/api/v1/objects/depot").await;
        assert_eq!(depots.body["items"].as_array().unwrap().len(), 1, "[{n}] the depot with the same code is untouched");
        assert_eq!(depots.body["items"][0]["name"], "North depot", "[{n}]");

        // A cell that is no number is reported by row and column; the other row is written.
        let file = "Name,Code,Floors\nTower,T9,lots\nYard,Y1,2\n";
        let a = upload(&app, "kind=site&format=csv&file_name=bad.csv", "text/csv", file).await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "[{n}] {}", a.body);
        let job = wait(&app, a.body["id"].as_str().unwrap()).await;
        assert_eq!(counts(&job), (1, 0, 0, 1), "[{n}] {job}");
        let err = &job["errors"][0];
        assert_eq!((err["row"].clone(), err["column"].clone()), (json!(2), json!("Floors")), "[{n}] {job}");
        // A stage for a kind without one, a kind that does not exist.
        let job = import(&app, "kind=depot&format=csv", "text/csv", "Name,Stage\nSouth depot,Open\n").await;
        assert_eq!(counts(&job).3, 1, "[{n}] depots have no stages: {job}");
        let unknown = upload(&app, "kind=nope&format=csv", "text/csv", "Name\nX\n").await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", unknown.body);
        assert_eq!(unknown.body["errors"][0]["field"], "kind", "[{n}] {}", unknown.body);
        // A saved mapping belongs to its kind: offered to sites, refused for depots.
        let put = app
            .send(
                rapport_testkit::reqwest::Method::PUT,
                "/api/v1/imports/mappings/sites",
                Some(&json!({"kind": "site", "columns": {"Nom": "name", "Référence": "custom.code"}})),
                &[],
            )
            .await;
        assert_eq!(put.status, StatusCode::OK, "[{n}] {}", put.body);
        assert_eq!(app.get("/api/v1/imports/mappings/sites").await.body["kind"], "site", "[{n}]");
        let job = import(&app, "kind=site&format=csv&mapping=sites", "text/csv", "Nom,Référence\nQuay,Q3\n").await;
        assert_eq!(counts(&job), (1, 0, 0, 0), "[{n}] {job}");
        let other = upload(&app, "kind=depot&format=csv&mapping=sites", "text/csv", "Nom,Référence\nX,X1\n").await;
        assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {}", other.body);
        assert!(other.body.to_string().contains("is for site"), "[{n}] {}", other.body);
        let suggested = app
            .post("/api/v1/imports/suggest-mapping", json!({"kind": "site", "headers": ["Name", "Code", "Stage", "type"]}))
            .await;
        assert_eq!(suggested.status, StatusCode::OK, "[{n}] {}", suggested.body);
        assert_eq!(
            suggested.body["mapping"],
            json!({"Name": "name", "Code": "custom.code", "Stage": "stage"}),
            "[{n}] {}",
            suggested.body
        );
        // Depots have no status: no stage or status to map to.
        let depot = app.post("/api/v1/imports/suggest-mapping", json!({"kind": "depot", "headers": ["Name"]})).await;
        let targets: Vec<&str> = depot.body["targets"].as_array().unwrap().iter().filter_map(|t| t["target"].as_str()).collect();
        assert!(
            targets.contains(&"custom.code") && !targets.iter().any(|t| t.starts_with("stage") || *t == "status"),
            "[{n}] {targets:?}"
        );
    }
}
