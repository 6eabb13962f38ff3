//! Keeps the benchmark working: the whole run on a tiny data set (SQLite only,
//! a few hundred requests), and the generated rows read back through the
//! store exactly as if the API had written them.

use std::process::Command;

use rapport_domain::Kind;
use rapport_store::{ListQuery, Scope, Store, Via};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rapport-bench");

#[test]
fn quick_mode_runs_end_to_end_on_a_tiny_data_set() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = Command::new(BIN)
        .args(["run", "--people", "200", "--databases", "sqlite", "--requests", "150", "--concurrency", "8"])
        .arg("--json")
        .arg(&json)
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for line in [
        "get a person by id",
        "global search",
        "move a deal",
        "Targets",
        "UI pages",
        "UI: busy person's page",
        "UI: pipeline board",
        "Import (CSV of 100 new people",
    ] {
        assert!(stdout.contains(line), "no '{line}' in:\n{stdout}");
    }
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let db = &report["databases"][0];
    assert_eq!(db["database"], "sqlite");
    assert_eq!(db["data"]["rows"]["people"], 200);
    let http = db["http"].as_array().unwrap();
    assert_eq!(http.len(), 11, "{http:?}");
    for h in http {
        let m = &h["rapport"];
        assert_eq!(m["errors"], 0, "{h}");
        assert!(m["requests"].as_u64().unwrap() >= 150, "{h}");
        assert!(h["ratio_to_floor"].as_f64().unwrap() > 0.0, "{h}");
    }
    assert!(http[0]["ratio_to_database"].as_f64().unwrap() > 0.0);
    assert!(db["server_peak_rss_bytes"].as_u64().unwrap() > 0);
    let import = &db["import"];
    assert_eq!(import["status"], "done", "{import}");
    assert_eq!(import["counts"]["rows"], 100, "{import}");
    assert_eq!(import["counts"]["failed"], 0, "{import}");
    assert!(!db["targets"].as_array().unwrap().is_empty());
    // The pages were signed in and answered (a redirect to the sign-in page would count as an error).
    let ui = db["ui"].as_array().unwrap();
    assert_eq!(ui.len(), 4, "{ui:?}");
    for u in ui {
        assert_eq!(u["errors"], 0, "{u}");
        assert!(u["median_bytes"].as_u64().unwrap() > 1000, "{u}");
        assert!(u["alone_p50_ms"].as_f64().unwrap() > 0.0, "{u}");
    }
}

/// Every generated record reads back through the store, and the search index
/// rows the generator wrote are the ones the store itself would write.
#[tokio::test]
async fn generated_rows_are_what_the_api_would_have_written() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("g.db").display());
    let csv = dir.path().join("csv");
    let out = Command::new(BIN).args(["generate", "--people", "100", "--database", &url, "--csv"]).arg(&csv).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let people_csv = std::fs::read_to_string(csv.join("people.csv")).unwrap();
    assert_eq!(people_csv.lines().count(), 101);

    let store = Store::open(&url, &Default::default()).await.unwrap();
    let ws = store.workspaces().await.unwrap().remove(0);
    let scope = Scope::system(ws.id, Via::System);
    for (kind, n) in [(Kind::Organization, 10), (Kind::Person, 100), (Kind::Deal, 30), (Kind::Activity, 300), (Kind::Task, 100)] {
        let page = store.list(&scope, kind, &ListQuery { limit: 500, ..Default::default() }).await.unwrap();
        assert_eq!(page.items.len(), n, "{kind}");
        if kind == Kind::Person {
            let mut employed = 0;
            for p in &page.items {
                let email = p["primary_email"].as_str().unwrap();
                assert_eq!(email, email.trim().to_lowercase());
                assert_eq!(p["name"], format!("{} {}", p["first_name"].as_str().unwrap(), p["last_name"].as_str().unwrap()));
                if let Some(phone) = p["primary_phone"].as_str() {
                    assert!(phone.starts_with('+'), "{phone}");
                }
                employed += usize::from(p["organizations"].as_array().is_some_and(|o| !o.is_empty()));
            }
            assert!(employed >= 80, "{employed} of 100 people work somewhere");
        }
    }
    let index = || async {
        let rows: Vec<(String, Vec<u8>, String, String, String, String)> = match store.db() {
            rapport_store::db::Db::Sqlite { read, .. } => sqlx::query_as(
                "SELECT kind, record_id, label, label_folded, tokens, fields FROM search_entries ORDER BY kind, record_id",
            )
            .fetch_all(read)
            .await
            .unwrap(),
            _ => unreachable!("SQLite"),
        };
        rows
    };
    let before = index().await;
    assert_eq!(before.len(), 10 + 100 + 30 + 300 + 100);
    store.reindex_search(&scope).await.unwrap();
    assert_eq!(index().await, before, "the store rewrote the search index differently");
    store.close().await;
}
