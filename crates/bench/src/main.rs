//! `rapport-bench`: generates a realistic CRM at any scale and measures
//! Rapport on it, on SQLite and PostgreSQL, beside the limits of the machine
//! (the database alone, and an HTTP server that does no work).
//!
//! ```sh
//! cargo run --release -p rapport-bench -- run --quick
//! cargo run --release -p rapport-bench -- run --people 1000000 --json bench.json
//! ```
//!
//! See docs/performance.md for what is measured and how to read it.

mod baseline;
mod child;
mod generator;
mod import;
mod load;
mod report;
mod rows;
mod run;
mod scenario;
mod setup;

/// The demo company's word lists, shared with `rapport demo` from its source file.
#[allow(dead_code)]
#[path = "../../demo/src/words.rs"]
mod words;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use crate::generator::Scale;
use crate::setup::Backend;

/// The default PostgreSQL server; a fresh schema is made in it for each run.
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Parser, Debug)]
#[command(name = "rapport-bench", version, about = "Generates realistic CRM data and measures Rapport on it")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate the data and measure Rapport on each database, end to end
    Run(RunArgs),
    /// Only generate the data, into a database and/or CSV files
    Generate(GenerateArgs),
    /// Serve Rapport (used by `run`, which starts it as a child process)
    #[command(hide = true)]
    Serve {
        #[arg(long)]
        database: String,
        #[arg(long)]
        schema: Option<String>,
        #[arg(long, default_value_t = setup::POOL)]
        max_connections: u32,
    },
    /// Serve the HTTP floor (used by `run`)
    #[command(hide = true)]
    Floor,
}

#[derive(clap::Args, Debug)]
struct DataArgs {
    /// How many people; organizations, deals, activities and tasks follow
    /// (a tenth, three tenths, three times, as many)
    #[arg(long, value_name = "N")]
    people: Option<usize>,

    /// Seed of the generator: the same seed and --as-of give the same data
    #[arg(long, default_value_t = 1, value_name = "N")]
    seed: u64,

    /// The moment the data is generated as of (RFC 3339) [default: today at 00:00 UTC]
    #[arg(long, value_name = "TIME")]
    as_of: Option<DateTime<Utc>>,

    /// Also write CSV files of the records, as a client would send them, into this directory
    #[arg(long, value_name = "DIR")]
    csv: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// A run of a few minutes: 20,000 people, 5 s per measurement
    #[arg(long)]
    quick: bool,

    #[command(flatten)]
    data: DataArgs,

    /// Databases to measure, comma-separated
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres", value_name = "LIST")]
    databases: Vec<String>,

    /// PostgreSQL server to use; the run works in a schema of its own, dropped at the end
    #[arg(long, env = "RAPPORT_BENCH_POSTGRES_URL", default_value = DEFAULT_POSTGRES, value_name = "URL")]
    postgres_url: String,

    /// Requests in flight at once
    #[arg(long, default_value_t = 32, value_name = "N")]
    concurrency: usize,

    /// Seconds each measurement lasts [default: 5 with --quick, else 15]
    #[arg(long, value_name = "SECONDS")]
    seconds: Option<f64>,

    /// A fixed number of requests per measurement instead of a duration
    #[arg(long, value_name = "N")]
    requests: Option<u64>,

    /// Write the results as JSON to this file
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,

    /// Directory for the SQLite file [default: a temporary directory]
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,

    /// Keep the generated databases (the SQLite file, the PostgreSQL schema) afterwards
    #[arg(long)]
    keep: bool,

    /// Only these requests, comma-separated (get_person, list_people, list_people_custom, person_timeline,
    /// pipeline_board, search, create_person, update_deal_stage, and the pages ui_home, ui_home_admin, ui_people,
    /// ui_person, ui_orgs, ui_org, ui_deals, ui_deal, ui_board, ui_tasks, ui_activities, ui_calendar,
    /// ui_calendar_day, ui_search) [default: all]
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    only: Vec<String>,

    /// Run ANALYZE on SQLite after the load (Rapport itself runs PRAGMA optimize when it starts)
    #[arg(long)]
    analyze_sqlite: bool,

    /// Also time the store's own rebuild of the search index after the load
    /// (slow: the generator writes the index rows itself)
    #[arg(long)]
    reindex_search: bool,
}

#[derive(clap::Args, Debug)]
struct GenerateArgs {
    #[command(flatten)]
    data: DataArgs,

    /// Database to write to (sqlite://FILE or postgres://...); a new workspace is created in it
    #[arg(long, value_name = "URL")]
    database: Option<String>,

    /// PostgreSQL schema to write to (created if missing)
    #[arg(long, value_name = "NAME")]
    schema: Option<String>,
}

/// A 64-bit mix (splitmix64): spreads worker and request numbers over the samples.
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn as_of(arg: Option<DateTime<Utc>>) -> DateTime<Utc> {
    arg.unwrap_or_else(|| Utc::now().date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        match cli.command {
            Command::Serve { database, schema, max_connections } => {
                child::serve_rapport(&database, schema, max_connections).await
            }
            Command::Floor => child::serve_floor().await,
            Command::Run(a) => run(a).await,
            Command::Generate(a) => generate(a).await,
        }
    })
}

async fn run(a: RunArgs) -> anyhow::Result<()> {
    let people = a.data.people.unwrap_or(if a.quick { 20_000 } else { 1_000_000 });
    let seconds = a.seconds.unwrap_or(if a.quick { 5.0 } else { 15.0 });
    let mut databases = Vec::new();
    for d in &a.databases {
        databases.push(match d.trim().to_lowercase().as_str() {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" | "pg" => Backend::Postgres,
            other => bail!("unknown database '{other}': use sqlite, postgres or both"),
        });
    }
    let mut scenarios = Vec::new();
    for name in &a.only {
        match scenario::Scenario::ALL.into_iter().find(|s| s.key() == name.trim()) {
            Some(s) => scenarios.push(s),
            None => bail!("unknown request '{name}' in --only"),
        }
    }
    if scenarios.is_empty() {
        scenarios = scenario::Scenario::ALL.to_vec();
    }
    if a.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let plan = load::Plan {
        concurrency: a.concurrency,
        warmup: Duration::from_secs_f64((seconds / 5.0).clamp(0.5, 3.0)),
        duration: Duration::from_secs_f64(seconds),
        requests: a.requests,
    };
    let floor_plan = load::Plan { duration: Duration::from_secs_f64((seconds / 2.0).max(1.0)), ..plan };
    let alone_plan = load::Plan {
        concurrency: 1,
        warmup: Duration::from_secs_f64((seconds / 10.0).clamp(0.2, 1.0)),
        duration: Duration::from_secs_f64((seconds / 2.5).clamp(1.0, 5.0)),
        requests: a.requests.map(|n| (n / 4).max(20)),
    };
    let report = run::run(run::RunOptions {
        people,
        seed: a.data.seed,
        quick: a.quick,
        databases,
        postgres_url: a.postgres_url,
        plan,
        floor_plan,
        alone_plan,
        json: a.json,
        csv: a.data.csv,
        dir: a.dir,
        keep: a.keep,
        as_of: as_of(a.data.as_of),
        analyze_sqlite: a.analyze_sqlite,
        reindex_search: a.reindex_search,
        scenarios,
    })
    .await?;
    if !report.failures.is_empty() {
        bail!("{} database(s) could not be measured", report.failures.len());
    }
    Ok(())
}

async fn generate(a: GenerateArgs) -> anyhow::Result<()> {
    let people = a.data.people.unwrap_or(20_000);
    let scale = Scale::for_people(people);
    let now = as_of(a.data.as_of);
    let Some(url) = a.database else {
        let Some(dir) = a.data.csv else { bail!("give --database, --csv or both") };
        // CSV only: the records refer to a workspace and pipelines that exist nowhere yet.
        let target = generator::Target {
            workspace_id: uuid::Uuid::now_v7(),
            region: rapport_domain::contact::parse_region("FR").context("region")?,
            currency: "EUR".into(),
            admin_id: uuid::Uuid::now_v7(),
            pipelines: {
                let stages: Vec<(uuid::Uuid, String)> = ["Lead in", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
                    .map(|s| (uuid::Uuid::now_v7(), s.to_string()))
                    .to_vec();
                vec![generator::PipelineStages {
                    id: uuid::Uuid::now_v7(),
                    name: "New business".into(),
                    open: stages[..4].iter().map(|s| s.0).collect(),
                    won: stages[4].0,
                    lost: stages[5].0,
                    stage_names: stages,
                }]
            },
            person_fields: vec![generator::score_field()],
        };
        let started = std::time::Instant::now();
        let mut count = 0u64;
        let mut sink = |_: rows::Table, rows: Vec<rows::Row>| {
            count += rows.len() as u64;
            Ok(())
        };
        generator::Generator::new(a.data.seed, now, scale, target).run(&mut sink, 5_000, Some(&dir))?;
        println!("Wrote the CSV files of {count} rows to {} in {:.1} s", dir.display(), started.elapsed().as_secs_f64());
        return Ok(());
    };
    if let Some(schema) = &a.schema {
        let pool = sqlx::PgPool::connect(&url).await.context("cannot connect")?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))).execute(&pool).await?;
        pool.close().await;
    }
    let store = setup::open(&url, a.schema.clone()).await?;
    let ws = setup::workspace(&store).await?;
    let workspace_id = ws.target.workspace_id;
    let loaded = setup::load(&store, ws.target, a.data.seed, now, scale, a.data.csv.clone(), 0, true).await?;
    setup::settle(&store, false).await?;
    store.close().await;
    println!(
        "Wrote {} rows in {:.1} s ({} rows/s) into workspace {workspace_id}:",
        report::thousands(loaded.total_rows),
        loaded.seconds,
        report::thousands(loaded.rows_per_second as u64)
    );
    for (t, n) in &loaded.rows {
        println!("  {:>12}  {t}", report::thousands(*n));
    }
    println!("API token of its admin (bench.admin@company.example): {}", ws.token);
    Ok(())
}
