//! Keeps the benchmark working: the whole run on a tiny data set (a few
//! hundred requests), and the generated rows read back through the store
//! exactly as if the API had written them. On SQLite, and on PostgreSQL too
//! when `RAPPORT_TEST_POSTGRES_URL` is set.

use std::process::Command;

use rapport_domain::Kind;
use rapport_domain::filter::{self, Filter};
use rapport_store::{ListQuery, Options, Scope, Store, Via};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rapport-bench");

/// The PostgreSQL server to test on as well, if any.
fn postgres() -> Option<String> {
    std::env::var("RAPPORT_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())
}

#[test]
fn quick_mode_runs_end_to_end_on_a_tiny_data_set() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let pg = postgres();
    let databases = if pg.is_some() { "sqlite,postgres" } else { "sqlite" };
    let mut cmd = Command::new(BIN);
    cmd.args(["run", "--people", "200", "--databases", databases, "--requests", "150", "--concurrency", "8"]);
    if let Some(url) = &pg {
        cmd.args(["--postgres-url", url]);
    }
    let out = cmd.arg("--json").arg(&json).arg("--dir").arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for line in [
        "get a person by id",
        "list people (custom field filter + sort)",
        "global search",
        "move a deal",
        "Targets",
        "UI pages",
        "UI: home page (admin)",
        "UI: busy person's page",
        "UI: large account's page",
        "UI: pipeline board",
        "UI: calendar, week (everyone)",
        "UI: search page",
        "Import (CSV of 100 new people",
        "board totals kept by the database agree with a count of the deals after the load",
        "board totals kept by the database agree with a count of the deals after the requests",
        "accounts' index of activities kept by the database agrees with the links after the load",
        "accounts' index of activities kept by the database agrees with the links after the requests",
    ] {
        assert!(stdout.contains(line), "no '{line}' in:\n{stdout}");
    }
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let dbs = report["databases"].as_array().unwrap();
    let names: Vec<&str> = dbs.iter().map(|d| d["database"].as_str().unwrap()).collect();
    assert_eq!(names.join(","), databases);
    for db in dbs {
        assert_eq!(db["data"]["rows"]["people"], 200);
        let http = db["http"].as_array().unwrap();
        assert_eq!(http.len(), 22, "{http:?}");
        for h in http {
            let m = &h["rapport"];
            assert_eq!(m["errors"], 0, "{h}");
            assert!(m["requests"].as_u64().unwrap() >= 150, "{h}");
            assert!(h["ratio_to_floor"].as_f64().unwrap() > 0.0, "{h}");
        }
        assert!(http[0]["ratio_to_database"].as_f64().unwrap() > 0.0);
        // The custom field list answered pages of people, not empty lists.
        let custom = http.iter().find(|h| h["scenario"] == "list_people_custom").expect("the custom field list");
        assert!(custom["rapport"]["median_bytes"].as_u64().unwrap() > 1000, "{custom}");
        let targets = db["targets"].as_array().unwrap();
        for what in ["list people (custom field filter + sort): p99", "list people (custom field filter + sort): throughput"] {
            assert!(targets.iter().any(|t| t["what"] == what), "no target '{what}' in {targets:?}");
        }
        assert!(db["server_peak_rss_bytes"].as_u64().unwrap() > 0);
        let import = &db["import"];
        assert_eq!(import["status"], "done", "{import}");
        assert_eq!(import["counts"]["rows"], 100, "{import}");
        assert_eq!(import["counts"]["failed"], 0, "{import}");
        // The pages were signed in and answered (a redirect to the sign-in page would count as an error).
        let ui = db["ui"].as_array().unwrap();
        assert_eq!(ui.len(), 14, "{ui:?}");
        for u in ui {
            assert_eq!(u["errors"], 0, "{u}");
            assert!(u["median_bytes"].as_u64().unwrap() > 1000, "{u}");
            assert!(u["alone_p50_ms"].as_f64().unwrap() > 0.0, "{u}");
        }
    }
}

/// Every generated record reads back through the store, and the search index
/// rows the generator wrote are the ones the store itself would write.
#[tokio::test]
async fn generated_rows_are_what_the_api_would_have_written() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("g.db").display());
    generated_rows_read_back(&url, None, &dir.path().join("csv")).await;
    if let Some(pg) = postgres() {
        let schema = format!("bench_smoke_{}", uuid::Uuid::now_v7().simple());
        generated_rows_read_back(&pg, Some(schema.clone()), &dir.path().join("csv-pg")).await;
        let pool = sqlx::PgPool::connect(&pg).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE"))).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

async fn generated_rows_read_back(url: &str, schema: Option<String>, csv: &std::path::Path) {
    let mut cmd = Command::new(BIN);
    cmd.args(["generate", "--people", "100", "--database", url, "--csv"]).arg(csv);
    if let Some(s) = &schema {
        cmd.args(["--schema", s]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let people_csv = std::fs::read_to_string(csv.join("people.csv")).unwrap();
    assert_eq!(people_csv.lines().count(), 101);
    // The custom field in the column Rapport's own CSV export gives it: scores by person id.
    let mut reader = csv::Reader::from_reader(people_csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} column"));
    let (id_col, score_col) = (col("id"), col("custom.score"));
    let csv_scores: std::collections::HashMap<String, String> =
        reader.records().map(|r| r.unwrap()).map(|r| (r[id_col].to_string(), r[score_col].to_string())).collect();
    assert_eq!(csv_scores.len(), 100);

    let store = Store::open(url, &Options { schema, ..Options::default() }).await.unwrap();
    let ws = store.workspaces().await.unwrap().remove(0);
    let scope = Scope::system(ws.id, Via::System);
    let fields = store.custom_fields(&scope, Kind::Person).await.unwrap();
    assert_eq!(fields.iter().map(|f| f.key.as_str()).collect::<Vec<_>>(), ["score"]);
    for (kind, n) in [(Kind::Organization, 10), (Kind::Person, 100), (Kind::Deal, 30), (Kind::Activity, 300), (Kind::Task, 100)] {
        let page = store.list(&scope, kind, &ListQuery { limit: 500, ..Default::default() }).await.unwrap();
        assert_eq!(page.items.len(), n, "{kind}");
        if kind == Kind::Person {
            let mut employed = 0;
            let mut scored = 0;
            for p in &page.items {
                let email = p["primary_email"].as_str().unwrap();
                assert_eq!(email, email.trim().to_lowercase());
                assert_eq!(p["name"], format!("{} {}", p["first_name"].as_str().unwrap(), p["last_name"].as_str().unwrap()));
                if let Some(phone) = p["primary_phone"].as_str() {
                    assert!(phone.starts_with('+'), "{phone}");
                }
                employed += usize::from(p["organizations"].as_array().is_some_and(|o| !o.is_empty()));
                let in_csv = &csv_scores[p["id"].as_str().unwrap()];
                match p["custom"].get("score") {
                    Some(score) => {
                        let n = score.as_f64().unwrap_or_else(|| panic!("score {score} is not a number"));
                        assert!((0.0..=100.0).contains(&n), "{n}");
                        assert_eq!(in_csv, &score.to_string(), "{}", p["id"]);
                        scored += 1;
                    }
                    None => assert_eq!(in_csv, "", "{}", p["id"]),
                }
            }
            assert!(employed >= 80, "{employed} of 100 people work somewhere");
            assert!((60..100).contains(&scored), "{scored} of 100 people have a score");
        }
    }
    // The list the benchmark measures: score at least 50, highest first, through the store's filter and sort.
    let query = ListQuery {
        filter: Filter::All(vec![Filter::Cond(filter::condition(Kind::Person, "custom.score", "gte", "50", &fields).unwrap())]),
        sort: Some(filter::sort(Kind::Person, "-custom.score", &fields).unwrap()),
        limit: 500,
        ..Default::default()
    };
    let page = store.list(&scope, Kind::Person, &query).await.unwrap();
    let scores: Vec<f64> = page.items.iter().map(|p| p["custom"]["score"].as_f64().unwrap()).collect();
    assert!(!scores.is_empty() && scores.iter().all(|s| *s >= 50.0), "{scores:?}");
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "not highest first: {scores:?}");

    let index = || async {
        let sql = "SELECT kind, record_id, label, label_folded, tokens, fields FROM search_entries ORDER BY kind, record_id";
        let rows: Vec<(String, String, String, String, String, String)> = match store.db() {
            rapport_store::db::Db::Sqlite { read, .. } => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql.replace("record_id,", "hex(record_id),"))).fetch_all(read).await.unwrap()
            }
            rapport_store::db::Db::Postgres(pool) => sqlx::query_as(sqlx::AssertSqlSafe(
                sql.replace("record_id,", "record_id::text,").replace("fields FROM", "fields::text FROM"),
            ))
            .fetch_all(pool)
            .await
            .unwrap(),
        };
        rows
    };
    let before = index().await;
    assert_eq!(before.len(), 10 + 100 + 30 + 300 + 100);
    store.reindex_search(&scope).await.unwrap();
    assert_eq!(index().await, before, "the store rewrote the search index differently");
    store.close().await;
}
