//! A fresh database for each run, the workspace, its admin and token, and the
//! generated data written to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use rapport_domain::Kind;
use rapport_domain::access::TokenScope;
use rapport_domain::contact::parse_region;
use rapport_store::db::Db;
use rapport_store::pipelines::PipelineInput;
use rapport_store::{Options, Scope, Store, Via, WriteOptions};
use serde::Serialize;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::generator::{self, Generator, PipelineStages, Sample, Scale, Target};
use crate::rows::{Row, SqliteWriter, Table, pg_copy};

/// Connections per pool: what `rapport serve` uses by default.
pub const POOL: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn title(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// Where one run's data lives; removed on drop unless kept.
pub struct Place {
    pub backend: Backend,
    pub url: String,
    pub schema: Option<String>,
    pub keep: bool,
    file: Option<PathBuf>,
    _dir: Option<tempfile::TempDir>,
}

/// Pool settings as `rapport serve` has them. The struct update keeps this
/// compiling when the store adds an option.
#[allow(clippy::needless_update)]
pub fn options(schema: Option<String>, max_connections: u32) -> Options {
    Options { max_connections, schema, ..Options::default() }
}

impl Place {
    pub fn options(&self) -> Options {
        options(self.schema.clone(), POOL)
    }

    /// A new SQLite file in `dir` (a temporary directory when `None`).
    pub fn sqlite(dir: Option<&Path>, keep: bool) -> anyhow::Result<Place> {
        let (path, tmp) = match dir {
            Some(d) => {
                std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
                (d.join("rapport-bench.db"), None)
            }
            None => {
                let t = tempfile::Builder::new().prefix("rapport-bench").tempdir()?;
                (t.path().join("rapport-bench.db"), Some(t))
            }
        };
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        // A kept temporary directory stays on disk.
        let tmp = match tmp {
            Some(t) if keep => {
                let _ = t.keep();
                None
            }
            other => other,
        };
        Ok(Place {
            backend: Backend::Sqlite,
            url: format!("sqlite://{}", path.display()),
            schema: None,
            keep,
            file: Some(path),
            _dir: tmp,
        })
    }

    /// A new schema in the PostgreSQL database at `url`.
    pub async fn postgres(url: &str, keep: bool) -> anyhow::Result<Place> {
        let schema = format!("bench_{}", Uuid::now_v7().simple());
        let admin = sqlx::PgPool::connect(url).await.with_context(|| format!("cannot connect to {}", redact(url)))?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\""))).execute(&admin).await?;
        admin.close().await;
        Ok(Place { backend: Backend::Postgres, url: url.to_string(), schema: Some(schema), keep, file: None, _dir: None })
    }

    pub fn describe(&self) -> String {
        match (&self.file, &self.schema) {
            (Some(f), _) => f.display().to_string(),
            (None, Some(s)) => format!("{} schema {s}", redact(&self.url)),
            _ => redact(&self.url),
        }
    }

    pub async fn remove(&self) {
        if self.keep {
            return;
        }
        if let Some(schema) = &self.schema
            && let Ok(pool) = sqlx::PgPool::connect(&self.url).await
        {
            let _ =
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))).execute(&pool).await;
            pool.close().await;
        }
        if let Some(f) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

/// The password of a URL, hidden.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The password the benchmark gives one generated sales user, whose home page
/// it measures: the admin owns nothing, so its home page would count nothing.
pub const SALES_PASSWORD: &str = "bench-sales-password-1";

/// Gives the first generated user who is not the admin a password; answers
/// their email.
pub async fn sales_user(store: &Store, workspace_id: Uuid) -> anyhow::Result<String> {
    let system = Scope::system(workspace_id, Via::System);
    let q = rapport_store::ListQuery { limit: 50, ..Default::default() };
    let users = store.list(&system, Kind::User, &q).await?.items;
    let user = users
        .iter()
        .find(|u| u.get("email").and_then(Json::as_str).is_some_and(|e| e != ADMIN_EMAIL))
        .ok_or_else(|| anyhow!("no generated user to sign in as"))?;
    let id = user.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(|| anyhow!("no id"))?;
    let hash = rapport_store::auth::hash_password(SALES_PASSWORD).await?;
    store.set_password_hash(&system, id, &hash, "password_set").await?;
    Ok(user.get("email").and_then(Json::as_str).unwrap_or_default().to_string())
}

/// The admin's email and password, for the web interface's sign-in.
pub const ADMIN_EMAIL: &str = "bench.admin@company.example";
pub const ADMIN_PASSWORD: &str = "bench-admin-password-1";

/// The workspace the data goes in, with its admin's token.
pub struct Workspace {
    pub target: Target,
    pub token: String,
}

pub async fn workspace(store: &Store) -> anyhow::Result<Workspace> {
    let ws = store.create_workspace("Bench company", "EUR", "FR").await?;
    let system = Scope::system(ws.id, Via::System);
    let admin = json!({"email": ADMIN_EMAIL, "name": "Bench Admin", "role": "admin"});
    let admin = admin.as_object().cloned().unwrap_or_default();
    let (admin, _) = store.create(&system, Kind::User, &admin, &WriteOptions::default()).await?;
    let admin_id =
        admin.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(|| anyhow!("no id"))?;
    let token = store.create_token(&system, admin_id, "bench", &[TokenScope { kind: None, write: true }]).await?["token"]
        .as_str()
        .ok_or_else(|| anyhow!("no token"))?
        .to_string();
    // A password too, as `rapport user add --password-stdin` sets it, for the web pages.
    let hash = rapport_store::auth::hash_password(ADMIN_PASSWORD).await?;
    store.set_password_hash(&system, admin_id, &hash, "password_set").await?;
    for (name, stages) in generator::extra_pipelines() {
        let stages: Vec<Json> =
            stages.into_iter().map(|(n, p, o)| json!({"id": null, "name": n, "probability": p, "outcome": o})).collect();
        let input: PipelineInput = serde_json::from_value(json!({"name": name, "stages": stages, "is_default": false}))?;
        store.create_pipeline(&system, &input).await?;
    }
    let mut pipelines = Vec::new();
    let mut all = store.pipelines(&system).await?;
    all.sort_by_key(|p| (!p.is_default, p.position));
    for p in all {
        let of = |o: &str| p.stages.iter().find(|s| s.outcome == o).map(|s| s.id);
        pipelines.push(PipelineStages {
            id: p.id,
            name: p.name.clone(),
            stage_names: p.stages.iter().map(|s| (s.id, s.name.clone())).collect(),
            open: p.stages.iter().filter(|s| s.outcome == "open").map(|s| s.id).collect(),
            won: of("won").ok_or_else(|| anyhow!("pipeline {} has no won stage", p.name))?,
            lost: of("lost").ok_or_else(|| anyhow!("pipeline {} has no lost stage", p.name))?,
        });
    }
    // A custom field on people, defined as an admin would (its indexes are made now,
    // before the data), so that lists can filter and sort on it.
    let score = store.create_custom_field(&system, Kind::Person, &generator::score_field()).await?;
    let region = parse_region(&ws.phone_region).ok_or_else(|| anyhow!("bad region"))?;
    Ok(Workspace {
        target: Target { workspace_id: ws.id, region, currency: ws.currency, admin_id, pipelines, person_fields: vec![score] },
        token,
    })
}

/// What generating and writing the data took.
#[derive(Debug, Clone, Serialize)]
pub struct Loaded {
    pub rows: BTreeMap<&'static str, u64>,
    pub total_rows: u64,
    /// Wall time from the first row drawn to the last row committed.
    pub seconds: f64,
    pub rows_per_second: f64,
    /// Time the writer spent in the database (the rest overlapped with generation).
    pub write_seconds: f64,
    #[serde(skip)]
    pub samples: BTreeMap<Table, Vec<Row>>,
    #[serde(skip)]
    pub sample: Sample,
}

/// Rows per batch handed from the generator thread to the writer.
const BATCH: usize = 5_000;

/// Generates the data in a thread of its own and writes it as it comes.
#[allow(clippy::too_many_arguments)]
pub async fn load(
    store: &Store,
    target: Target,
    seed: u64,
    now: DateTime<Utc>,
    scale: Scale,
    csv: Option<PathBuf>,
    keep_samples: usize,
    progress: bool,
) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Table, Vec<Row>)>(4);
    let generator = std::thread::spawn(move || {
        let g = Generator::new(seed, now, scale, target);
        let mut sink = |t: Table, rows: Vec<Row>| tx.blocking_send((t, rows)).map_err(|_| anyhow!("the writer stopped"));
        g.run(&mut sink, BATCH, csv.as_deref())
    });
    let mut samples: BTreeMap<Table, Vec<Row>> = BTreeMap::new();
    let mut write_time = std::time::Duration::ZERO;
    let mut written = 0u64;
    let mut last_report = Instant::now();
    let result: anyhow::Result<()> = async {
        match store.db() {
            Db::Sqlite { write, .. } => {
                let mut w = SqliteWriter::new(write).await?;
                while let Some((table, rows)) = rx.recv().await {
                    keep(&mut samples, table, &rows, keep_samples);
                    let t = Instant::now();
                    w.write(table, &rows).await.with_context(|| format!("writing {}", table.name()))?;
                    w.maybe_commit().await?;
                    write_time += t.elapsed();
                    written += rows.len() as u64;
                    if progress && last_report.elapsed().as_secs() >= 10 {
                        eprintln!("  ... {written} rows written ({:.0} s)", started.elapsed().as_secs_f64());
                        last_report = Instant::now();
                    }
                }
                let t = Instant::now();
                w.commit().await?;
                write_time += t.elapsed();
            }
            Db::Postgres(pool) => {
                while let Some((table, rows)) = rx.recv().await {
                    keep(&mut samples, table, &rows, keep_samples);
                    let t = Instant::now();
                    pg_copy(pool, table, &rows).await.with_context(|| format!("writing {}", table.name()))?;
                    write_time += t.elapsed();
                    written += rows.len() as u64;
                    if progress && last_report.elapsed().as_secs() >= 10 {
                        eprintln!("  ... {written} rows written ({:.0} s)", started.elapsed().as_secs_f64());
                        last_report = Instant::now();
                    }
                }
            }
        }
        Ok(())
    }
    .await;
    // On a write error the channel closes and the generator stops at its next batch.
    drop(rx);
    let generated = generator.join().map_err(|_| anyhow!("the generator panicked"))?;
    result?;
    let (sample, counts) = generated?;
    let seconds = started.elapsed().as_secs_f64();
    let total_rows: u64 = counts.values().sum();
    Ok(Loaded {
        rows: counts.iter().map(|(t, n)| (t.name(), *n)).collect(),
        total_rows,
        seconds,
        rows_per_second: total_rows as f64 / seconds.max(1e-9),
        write_seconds: write_time.as_secs_f64(),
        samples,
        sample,
    })
}

fn keep(samples: &mut BTreeMap<Table, Vec<Row>>, table: Table, rows: &[Row], max: usize) {
    let s = samples.entry(table).or_default();
    let room = max.saturating_sub(s.len());
    s.extend(rows.iter().take(room).cloned());
}

/// The state a database reaches by itself soon after a bulk load. PostgreSQL:
/// `VACUUM (ANALYZE)` of the loaded tables, what autovacuum does within
/// minutes (statistics, visibility map, GIN pending lists merged). SQLite:
/// the write-ahead log checkpointed, and no ANALYZE unless `analyze` asks for
/// it: the server's store runs `PRAGMA optimize` itself when it opens.
pub async fn settle(store: &Store, analyze_sqlite: bool) -> anyhow::Result<()> {
    match store.db() {
        Db::Sqlite { write, .. } => {
            if analyze_sqlite {
                sqlx::raw_sql("ANALYZE").execute(write).await?;
            }
            sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)").execute(write).await?;
        }
        Db::Postgres(pool) => {
            for t in Table::ALL {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM (ANALYZE) \"{}\"", t.name()))).execute(pool).await?;
            }
        }
    }
    Ok(())
}

/// What autovacuum would do after a write scenario, on a PostgreSQL server
/// where it is turned off: vacuum the tables the writes touched, so that the
/// pages measured next read them as a production server (autovacuum on, and
/// `deals` vacuumed after 1% of it changed, migration 18) would. Returns
/// whether it ran; on SQLite, or with autovacuum on, nothing is done.
pub async fn vacuum_if_autovacuum_off(url: &str, schema: Option<&str>) -> anyhow::Result<bool> {
    if !url.starts_with("postgres") {
        return Ok(false);
    }
    let pool = sqlx::PgPool::connect(url).await?;
    let on: String = sqlx::query_scalar("SHOW autovacuum").fetch_one(&pool).await?;
    if on == "on" {
        pool.close().await;
        return Ok(false);
    }
    let prefix = schema.map(|s| format!("\"{s}\".")).unwrap_or_default();
    for t in [Table::Deals, Table::DealStageHistory, Table::People, Table::Changes, Table::SearchEntries, Table::RecordLinks] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM (ANALYZE) {prefix}\"{}\"", t.name()))).execute(&pool).await?;
    }
    pool.close().await;
    Ok(true)
}

/// Rebuilds the search index through the store, as after any bulk load.
pub async fn reindex(store: &Store, workspace_id: Uuid) -> anyhow::Result<crate::report::SearchIndex> {
    let started = Instant::now();
    let records =
        store.reindex_search(&Scope::system(workspace_id, Via::System)).await.context("cannot rebuild the search index")?;
    Ok(crate::report::SearchIndex { records, seconds: started.elapsed().as_secs_f64() })
}

/// Checks what the database keeps by triggers, which the bulk load and the
/// requests went through: the board's totals and the accounts' index of
/// activities; a difference fails the run.
pub async fn check_kept(store: &Store, workspace_id: Uuid, when: &str) -> anyhow::Result<()> {
    check_board_totals(store, workspace_id, when).await?;
    check_account_index(store, workspace_id, when).await
}

/// Checks the accounts' index of activities (migration 25) against the one
/// the links imply.
async fn check_account_index(store: &Store, workspace_id: Uuid, when: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    let check = store.check_account_index(&Scope::system(workspace_id, Via::System)).await?;
    if !check.is_exact() {
        anyhow::bail!(
            "the accounts' index of activities kept by the database differs from the links {when}: {} missing, {} stale",
            check.missing,
            check.stale
        );
    }
    println!(
        "  accounts' index of activities kept by the database agrees with the links {when} ({} rows, checked in {:.1} s)",
        crate::report::thousands(check.kept as u64),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Checks the board's totals the database keeps (migration 19's triggers,
/// which the bulk load and the moves went through) against a count of the
/// deals themselves, pipeline by pipeline; a difference fails the run.
async fn check_board_totals(store: &Store, workspace_id: Uuid, when: &str) -> anyhow::Result<()> {
    let system = Scope::system(workspace_id, Via::System);
    let pipelines = store.pipelines(&system).await?;
    for p in &pipelines {
        let order = |mut v: Vec<rapport_store::board::StageTotal>| {
            v.sort_by(|a, b| (a.stage_id, &a.currency).cmp(&(b.stage_id, &b.currency)));
            v
        };
        let kept = order(store.stage_totals(&system, p.id).await?);
        let counted = order(store.recount_stage_totals(&system, p.id).await?);
        if kept != counted {
            anyhow::bail!(
                "the board totals of pipeline '{}' kept by the database differ from a count of its deals {when}: kept {kept:?}, counted {counted:?}",
                p.name
            );
        }
    }
    println!("  board totals kept by the database agree with a count of the deals {when} ({} pipelines)", pipelines.len());
    Ok(())
}

/// The database server's version.
pub async fn version(store: &Store) -> String {
    match store.db() {
        Db::Sqlite { read, .. } => {
            sqlx::query_scalar::<_, String>("SELECT sqlite_version()").fetch_one(read).await.unwrap_or_default()
        }
        Db::Postgres(pool) => sqlx::query_scalar::<_, String>("SHOW server_version").fetch_one(pool).await.unwrap_or_default(),
    }
}

/// The generator's data written to a database named by URL (the `generate` subcommand).
pub async fn open(url: &str, schema: Option<String>) -> anyhow::Result<Store> {
    Store::open(url, &options(schema, POOL)).await.with_context(|| format!("cannot open {}", redact(url)))
}
