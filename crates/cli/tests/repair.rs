//! `rapport repair` run as a process on the database of a serving Rapport:
//! `--check` reports a damaged accounts' index of activities and fails, the
//! repair mends it, `--search` rebuilds the search index.

use std::process::{Command, Output};

use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::json;

fn repair(app: &TestApp, args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("repair")
        .args(args)
        // No configuration file from wherever the tests run.
        .current_dir(dir.path())
        .env_remove("RAPPORT_CONFIG")
        .env("RAPPORT_DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run rapport repair");
    let text = format!("{}{}", String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr));
    (status.success(), text)
}

#[tokio::test]
async fn repair_finds_and_mends_a_damaged_index() {
    for app in TestApp::all().await {
        let n = app.name();
        let org = app.create("organizations", json!({"name": "Fixit Ltd"})).await["id"].as_str().unwrap().to_string();
        let person = app.create("people", json!({"first_name": "Zoé", "organizations": [{"id": org}]})).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.create("activities", json!({"type": "call", "subject": "First call", "people": [person]})).await;

        let (ok, out) = repair(&app, &["--check"]);
        assert!(ok, "[{n}] {out}");
        assert!(out.contains("1 rows, 0 missing, 0 stale"), "[{n}] {out}");

        app.raw_sql("DELETE FROM account_activities").await;
        let (ok, out) = repair(&app, &["--check"]);
        assert!(!ok, "[{n}] a damaged index fails the check: {out}");
        assert!(out.contains("0 rows, 1 missing, 0 stale") && out.contains("rapport repair"), "[{n}] {out}");

        app.raw_sql("DELETE FROM search_entries").await;
        let (ok, out) = repair(&app, &["--search"]);
        assert!(ok, "[{n}] {out}");
        assert!(out.contains("repaired: 1 rows added, 0 removed"), "[{n}] {out}");
        assert!(out.contains("Search index rebuilt from"), "[{n}] {out}");

        let (ok, out) = repair(&app, &["--check"]);
        assert!(ok && out.contains("1 rows, 0 missing, 0 stale"), "[{n}] {out}");
        let timeline = app.get(&format!("/api/v1/organizations/{org}/timeline")).await;
        assert_eq!(timeline.status, StatusCode::OK, "[{n}]");
        assert!(timeline.body.to_string().contains("First call"), "[{n}] {}", timeline.body);
        let found = app.get("/api/v1/search?q=Zoe").await;
        assert!(found.body.to_string().contains(&person), "[{n}] the search index is whole again: {}", found.body);
    }
}
