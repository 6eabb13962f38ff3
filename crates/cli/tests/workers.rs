//! Real `rapport worker` processes sharing one job queue: several on one
//! PostgreSQL database never run a job twice, and a delivery cut short by a
//! killed process is made after a restart.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use rapport_store::{Scope, Via};
use rapport_testkit::TestApp;
use rapport_testkit::reqwest::StatusCode;
use rapport_testkit::serde_json::json;

/// A `rapport worker` process, killed when dropped; its standard error kept for messages.
struct WorkerProcess {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl WorkerProcess {
    fn start(app: &TestApp, lease_seconds: u64) -> WorkerProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_rapport"))
            .arg("worker")
            // No configuration file from wherever the tests run.
            .current_dir(dir.path())
            .env_remove("RAPPORT_CONFIG")
            .env("RAPPORT_DATABASE_URL", &app.database_url)
            .env("RAPPORT_MAX_CONNECTIONS", "3")
            .env("RAPPORT_JOB_LEASE_SECONDS", lease_seconds.to_string())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rapport worker");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (pipe, sink) = (child.stderr.take().expect("stderr"), stderr.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        WorkerProcess { child, stderr }
    }

    /// Waits until the worker says it runs (its migrations done), or fails with what it printed.
    async fn ready(&mut self) {
        let started = Instant::now();
        while !self.stderr.lock().unwrap().contains("worker running") {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the worker stopped ({status}): {}", self.stderr.lock().unwrap());
            }
            assert!(started.elapsed() < Duration::from_secs(60), "the worker did not start: {}", self.stderr.lock().unwrap());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no chance to finish anything.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A webhook endpoint on loopback recording each request's `webhook-id`; it
/// holds the first `hold_first` requests open without answering.
async fn receiver(hold_first: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let got = Arc::new(Mutex::new(Vec::<String>::new()));
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap| {
            let g = g.clone();
            async move {
                let n = {
                    let mut g = g.lock().unwrap();
                    g.push(headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string());
                    g.len()
                };
                // Held open; the others take a moment, as a real endpoint would, so both workers get a share.
                let wait = if n <= hold_first { Duration::from_secs(120) } else { Duration::from_millis(3) };
                tokio::time::sleep(wait).await;
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

async fn subscribe(app: &TestApp, url: &str) -> uuid::Uuid {
    let hook = app.post("/api/v1/webhooks", json!({"url": url, "events": ["person.created"]})).await;
    assert_eq!(hook.status, StatusCode::CREATED, "[{}] {}", app.name(), hook.body);
    hook.id().parse().unwrap()
}

async fn jobs_done(app: &TestApp) -> Vec<rapport_testkit::serde_json::Value> {
    let scope = Scope::system(app.scope.workspace_id, Via::System);
    app.store.jobs(&scope, Some("done"), 500).await.expect("jobs")
}

/// Polls `check` every 50 ms until it holds, for at most `limit`.
async fn until<F: AsyncFnMut() -> bool>(limit: Duration, what: &str, mut check: F) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn two_workers_on_one_postgresql_run_each_job_once() {
    let Some(app) = TestApp::postgres().await else {
        eprintln!("SKIPPED: two workers sharing one queue needs PostgreSQL ({})", rapport_testkit::POSTGRES_ENV);
        return;
    };
    const JOBS: usize = 300;
    let (url, got) = receiver(0).await;
    let hook = subscribe(&app, &url).await;
    let (mut a, mut b) = (WorkerProcess::start(&app, 300), WorkerProcess::start(&app, 300));
    a.ready().await;
    b.ready().await;
    for i in 0..JOBS {
        let payload = json!({"type": "person.created", "data": {"i": i}});
        app.store.queue_delivery(app.scope.workspace_id, hook, &format!("evt_{i}"), "person.created", &payload).await.unwrap();
    }
    until(Duration::from_secs(120), "every delivery made", async || jobs_done(&app).await.len() == JOBS).await;

    let ids = got.lock().unwrap().clone();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), JOBS, "every event arrived");
    assert_eq!(ids.len(), JOBS, "and none twice");
    // Both processes took part: the claims name their worker.
    let schema = app.pg_schema().expect("a PostgreSQL schema");
    let pool = sqlx::PgPool::connect(&std::env::var(rapport_testkit::POSTGRES_ENV).unwrap()).await.unwrap();
    let sql = format!("SELECT COUNT(DISTINCT locked_by) FROM \"{schema}\".jobs WHERE status = 'done'");
    let workers: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&pool).await.unwrap();
    pool.close().await;
    assert_eq!(workers, 2, "both processes ran jobs");
}

#[tokio::test]
async fn a_delivery_cut_short_by_a_killed_worker_is_made_after_restart() {
    for app in TestApp::all().await {
        let n = app.name();
        let (url, got) = receiver(1).await;
        let hook = subscribe(&app, &url).await;
        let mut worker = WorkerProcess::start(&app, 2);
        worker.ready().await;
        let payload = json!({"type": "person.created", "data": {"first_name": "Kit"}});
        app.store.queue_delivery(app.scope.workspace_id, hook, "evt_cut_short", "person.created", &payload).await.unwrap();
        until(Duration::from_secs(30), "the delivery started", async || !got.lock().unwrap().is_empty()).await;
        // Killed while the receiver still holds the request open.
        worker.kill();
        assert!(jobs_done(&app).await.is_empty(), "[{n}] not delivered yet");

        let mut again = WorkerProcess::start(&app, 2);
        again.ready().await;
        until(Duration::from_secs(30), "the delivery made after the restart", async || jobs_done(&app).await.len() == 1).await;
        let ids = got.lock().unwrap().clone();
        assert_eq!(ids, ["evt_cut_short", "evt_cut_short"], "[{n}] the same event, sent again");
        let done = jobs_done(&app).await;
        assert_eq!(done[0]["attempts"], 2, "[{n}] {done:?}");
        let log = app.get(&format!("/api/v1/webhooks/{hook}/deliveries")).await;
        assert_eq!(log.body["items"][0]["status"], "succeeded", "[{n}] {}", log.body);
    }
}
