//! A `TestApp` runs the real Rapport server on a loopback port, over a fresh
//! SQLite file or a fresh PostgreSQL schema, so tests run in parallel and
//! speak HTTP like any client.

use std::time::Duration;

use rapport_store::{Backend, Clock, Options, Scope, Store, Via};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Map, Value, json};
use uuid::Uuid;

pub mod browser;

pub use reqwest;
pub use serde_json;

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "RAPPORT_TEST_POSTGRES_URL";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub token: String,
    pub store: Store,
    pub scope: Scope,
    pub user_id: Uuid,
    pub backend: Backend,
    /// The clock the store goes by for due jobs and time triggers: tests move it forward.
    pub clock: Clock,
    /// A database URL another process (a `rapport` binary) can open the same data with.
    pub database_url: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL schema to drop when the app is dropped.
    pg_schema: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let Some((url, schema)) = self.pg_schema.take() else { return };
        // Drop the schema from a thread of its own: Drop cannot await.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&url).await {
                    let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                    pool.close().await;
                }
            })
        });
        let _ = done.join();
    }
}

/// An HTTP answer: status, headers and the JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The field names a problem+json body blames.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|x| x["field"].as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }
    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("answer has an id").to_string()
    }
}

impl TestApp {
    /// Rapport on a new SQLite file.
    pub async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("rapport.db").display());
        let store = Store::open(&url, &Options::default()).await.expect("open sqlite store");
        Self::start(store, Some(dir), url).await
    }

    /// Rapport on a new schema of the PostgreSQL server named by `RAPPORT_TEST_POSTGRES_URL`;
    /// `None`, said loudly, when it is not set.
    pub async fn postgres() -> Option<TestApp> {
        let Ok(url) = std::env::var(POSTGRES_ENV) else {
            eprintln!(
                "SKIPPED on PostgreSQL: set {POSTGRES_ENV} (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run this test there too"
            );
            return None;
        };
        let schema = format!("test_{}", Uuid::now_v7().simple());
        let admin = sqlx::PgPool::connect(&url).await.expect("connect to the test PostgreSQL server");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\""))).execute(&admin).await.expect("create schema");
        admin.close().await;
        let opts = Options { max_connections: 5, schema: Some(schema.clone()) };
        let store = Store::open(&url, &opts).await.expect("open postgres store");
        // The schema travels in the URL as a connection option, for processes started from the test.
        let sep = if url.contains('?') { '&' } else { '?' };
        let shared = format!("{url}{sep}options=-c%20search_path%3D{schema}");
        let mut app = Self::start(store, None, shared).await;
        app.pg_schema = Some((url, schema));
        Some(app)
    }

    /// One app per available backend: SQLite always, PostgreSQL when configured.
    pub async fn all() -> Vec<TestApp> {
        let mut apps = vec![Self::sqlite().await];
        apps.extend(Self::postgres().await);
        apps
    }

    async fn start(store: Store, dir: Option<tempfile::TempDir>, database_url: String) -> TestApp {
        let clock = Clock::adjustable();
        let store = store.with_clock(clock.clone());
        let ws = store.create_workspace("Test company", "EUR", "FR").await.expect("workspace");
        let system = Scope::system(ws.id, Via::System);
        let user = obj(json!({"email": "admin@example.com", "name": "Ada Admin", "role": "admin"}));
        let (user, _) = store.create(&system, rapport_domain::Kind::User, &user, &Default::default()).await.expect("user");
        let user_id = Uuid::parse_str(user["id"].as_str().expect("user id")).expect("uuid");
        let write = [rapport_domain::access::TokenScope { kind: None, write: true }];
        let token = store.create_token(&system, user_id, "tests", &write).await.expect("token")["token"]
            .as_str()
            .expect("token")
            .to_string();
        let scope = store.user_scope(ws.id, user_id, Via::Api).await.expect("scope").expect("active user");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let backend = store.backend();
        let served = store.clone();
        tokio::spawn(async move {
            let _ = rapport_server::serve(served, listener).await;
        });
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        TestApp { base, client, token, store, scope, user_id, backend, clock, database_url, _dir: dir, pg_schema: None }
    }

    /// The PostgreSQL schema the app lives in; `None` on SQLite.
    pub fn pg_schema(&self) -> Option<&str> {
        self.pg_schema.as_ref().map(|(_, s)| s.as_str())
    }

    pub fn name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Runs SQL straight on the app's database, behind the store's back: to
    /// damage what the store keeps and see it found and mended.
    pub async fn raw_sql(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self.store.db() {
            rapport_store::Db::Sqlite { write, .. } => sqlx::raw_sql(sql).execute(write).await.map(|_| ()),
            rapport_store::Db::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("[{}] {e}", self.name()));
    }

    /// Sends a request with the app's token and optional extra headers.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>, headers: &[(&str, &str)]) -> Answer {
        let mut req = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.expect("request");
        Self::answer(res).await
    }

    pub async fn answer(res: reqwest::Response) -> Answer {
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Answer { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, &[]).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(&body), &[]).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(&body), &[]).await
    }
    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None, &[]).await
    }

    /// Creates a record through the API and returns it; panics if that fails.
    pub async fn create(&self, collection: &str, body: Value) -> Value {
        let a = self.post(&format!("/api/v1/{collection}"), body).await;
        assert_eq!(a.status, StatusCode::CREATED, "[{}] create {collection}: {}", self.name(), a.body);
        a.body
    }

    /// Every item of a list, following cursors.
    pub async fn list_all(&self, path_and_query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let sep = if path_and_query.contains('?') { '&' } else { '?' };
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                None => path_and_query.to_string(),
                Some(c) => format!("{path_and_query}{sep}cursor={c}"),
            };
            let a = self.get(&path).await;
            assert_eq!(a.status, StatusCode::OK, "[{}] list {path}: {}", self.name(), a.body);
            out.extend(a.body["items"].as_array().cloned().unwrap_or_default());
            match a.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
    }
}

/// A JSON object literal as a record map.
pub fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("expected an object, got {other}"),
    }
}
