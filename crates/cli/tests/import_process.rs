//! `rapport import` as a real process: a large file streams through in batches,
//! bad rows go to the reject file, a process killed in the middle leaves no
//! half-imported row, and running the same file again completes it without
//! duplicating anyone.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rapport_store::db::Col;
use rapport_testkit::TestApp;
use sea_query::{Expr, Query};

/// One value from SQL that both databases understand.
async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let mut tx = app.store.db().read().await.expect("read");
    let q = Query::select().expr(Expr::cust(format!("({sql})"))).to_owned();
    let row = tx.row(&q, &[Col::Int]).await.expect("query").expect("a row");
    tx.commit().await.expect("commit");
    row[0].as_i64().expect("a number")
}

async fn people(app: &TestApp) -> i64 {
    scalar(app, "SELECT COUNT(*) FROM people").await
}

/// People missing a part that an imported row always brings: the email,
/// the organization link, the search entry or the history row.
async fn half_rows(app: &TestApp) -> i64 {
    scalar(
        app,
        "SELECT COUNT(*) FROM people p WHERE p.primary_email IS NULL \
         OR NOT EXISTS (SELECT 1 FROM record_links l WHERE l.workspace_id = p.workspace_id AND l.from_kind = 'person' \
            AND l.from_id = p.id AND l.to_kind = 'organization') \
         OR NOT EXISTS (SELECT 1 FROM search_entries s WHERE s.workspace_id = p.workspace_id AND s.kind = 'person' \
            AND s.record_id = p.id) \
         OR NOT EXISTS (SELECT 1 FROM changes c WHERE c.workspace_id = p.workspace_id AND c.record_kind = 'person' \
            AND c.record_id = p.id)",
    )
    .await
}

/// A CSV of `n` people; every row `bad_every` has an email that is not one.
fn write_csv(path: &Path, n: usize, bad_every: Option<usize>) {
    let mut s = String::from("First name,Last name,E-mail,Phone,Company\n");
    for i in 0..n {
        let email = match bad_every {
            Some(k) if i % k == k - 1 => format!("not-an-email-{i}"),
            _ => format!("person{i}@example.com"),
        };
        let _ = writeln!(
            s,
            "Ann{i},\"Lee, {i}\",{email},+33 1 42 {:02} {:02} {:02},Company {}",
            i / 10000 % 100,
            i / 100 % 100,
            i % 100,
            i % 40
        );
    }
    std::fs::write(path, s).expect("write the file");
}

fn import(app: &TestApp, file: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
    c.arg("import")
        .arg(file)
        .args(["--kind", "people", "--workspace", &app.scope.workspace_id.to_string()])
        .args(extra)
        .current_dir(file.parent().expect("a folder"))
        .env_remove("RAPPORT_CONFIG")
        .env("RAPPORT_DATABASE_URL", &app.database_url)
        .env("RAPPORT_MAX_CONNECTIONS", "3")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    c
}

fn check(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}): {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_ten_thousand_row_file_streams_in_with_its_bad_rows_rejected() {
    for app in TestApp::all().await {
        let name = app.name();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("people.csv");
        write_csv(&file, 10_000, Some(1000));
        let rejects = dir.path().join("rejects.csv");
        let out = import(&app, &file, &["--reject-file", rejects.to_str().unwrap()]).output().expect("run rapport import");
        // Some rows failed: the good ones are in, and the exit status says so.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "[{name}] {stderr}");
        assert!(stderr.contains("10 rows failed"), "[{name}] {stderr}");
        assert_eq!(people(&app).await, 9_990, "[{name}] every good row, once");

        assert_eq!(half_rows(&app).await, 0, "[{name}] every person whole");
        let rejected = std::fs::read_to_string(&rejects).unwrap();
        assert_eq!(rejected.lines().count(), 11, "[{name}] a header and the 10 bad rows: {rejected}");
        assert!(rejected.contains("not-an-email-999"), "[{name}]");
        assert_eq!(scalar(&app, "SELECT COUNT(*) FROM organizations").await, 40, "[{name}] companies made once each");
    }
}

#[tokio::test]
async fn a_killed_import_leaves_no_half_row_and_the_same_file_completes_it() {
    for app in TestApp::all().await {
        let name = app.name();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("people.csv");
        write_csv(&file, 4_000, None);

        // Small batches, so that several commit before the kill.
        let mut child = import(&app, &file, &["--batch-size", "25"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let started = Instant::now();
        loop {
            let n = people(&app).await;
            if n >= 100 {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("[{name}] the import ended ({status}) before it could be killed, with {n} people");
            }
            assert!(started.elapsed() < Duration::from_secs(120), "[{name}] the import did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        let after_kill = people(&app).await;
        assert!(after_kill < 4_000, "[{name}] killed before the end ({after_kill})");
        assert_eq!(half_rows(&app).await, 0, "[{name}] no half-imported row after the kill");

        let out = import(&app, &file, &[]).output().unwrap();
        check(&out, "the second import");
        assert_eq!(people(&app).await, 4_000, "[{name}] the rest came in, nobody twice");
        assert_eq!(half_rows(&app).await, 0, "[{name}]");
        assert_eq!(scalar(&app, "SELECT COUNT(DISTINCT primary_email) FROM people").await, 4_000, "[{name}]");
    }
}

/// `rapport` run for the test's workspace and database.
fn rapport(app: &TestApp, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(args)
        .args(["--workspace", &app.scope.workspace_id.to_string()])
        .current_dir(dir)
        .env_remove("RAPPORT_CONFIG")
        .env("RAPPORT_DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run rapport")
}

#[tokio::test]
async fn a_custom_kinds_records_come_in_and_go_out_by_its_key() {
    use rapport_testkit::serde_json::json;
    for app in TestApp::all().await {
        let name = app.name();
        let kind = json!({"key": "site", "singular": "Site", "plural": "Sites",
            "fields": [{"key": "code", "label": "Code", "type": "text", "identifies": true}, {"key": "floors", "label": "Floors", "type": "number"}]});
        assert_eq!(app.post("/api/v1/object-types", kind).await.status.as_u16(), 201, "[{name}]");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sites.csv"), "Name,Code,Floors\nHarbour,H1,3\nHill,K2,12\n").unwrap();
        check(&rapport(&app, dir.path(), &["import", "sites.csv", "--kind", "site"]), "import sites");
        // The same file again, one value changed: matched by the code, nothing duplicated.
        std::fs::write(dir.path().join("sites.csv"), "Name,Code,Floors\nHarbour,H1,4\nHill,K2,12\n").unwrap();
        let again = rapport(&app, dir.path(), &["import", "sites.csv", "--kind", "site"]);
        check(&again, "import sites again");
        assert!(
            String::from_utf8_lossy(&again.stderr).contains("1 updated"),
            "[{name}] {}",
            String::from_utf8_lossy(&again.stderr)
        );
        let out = rapport(&app, dir.path(), &["export", "--kind", "site", "--sort", "name", "--filter", "custom.floors[gt]=3"]);
        check(&out, "export sites");
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "[{name}] a header and both sites: {text}");
        assert!(lines[1].contains("Harbour") && lines[1].contains(",4,") && lines[2].contains("Hill"), "[{name}] {text}");
        let unknown = rapport(&app, dir.path(), &["export", "--kind", "nope"]);
        assert!(!unknown.status.success(), "[{name}]");
        assert!(
            String::from_utf8_lossy(&unknown.stderr).contains("--kind nope"),
            "[{name}] {}",
            String::from_utf8_lossy(&unknown.stderr)
        );
    }
}
