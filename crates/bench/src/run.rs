//! `rapport-bench run`: everything, end to end, on each database in turn.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rapport_store::db::Db;

use crate::baseline;
use crate::child::Server;
use crate::generator::Scale;
use crate::load::{self, Plan};
use crate::report::{self, DbReport, Http, Report, Settings};
use crate::scenario::{self, Auth, LIST_STAGES, Requests, Scenario};
use crate::setup::{self, Backend, Place};

pub struct RunOptions {
    pub people: usize,
    pub seed: u64,
    pub quick: bool,
    pub databases: Vec<Backend>,
    pub postgres_url: String,
    pub plan: Plan,
    pub floor_plan: Plan,
    /// The pages measured again one request at a time.
    pub alone_plan: Plan,
    pub json: Option<PathBuf>,
    pub csv: Option<PathBuf>,
    pub dir: Option<PathBuf>,
    pub keep: bool,
    pub as_of: DateTime<Utc>,
    pub analyze_sqlite: bool,
    pub reindex_search: bool,
    pub scenarios: Vec<Scenario>,
}

pub async fn run(o: RunOptions) -> anyhow::Result<Report> {
    let machine = report::Machine::read();
    let settings = Settings {
        people: o.people,
        seed: o.seed,
        quick: o.quick,
        concurrency: o.plan.concurrency,
        warmup_seconds: o.plan.warmup.as_secs_f64(),
        seconds_per_measure: o.plan.duration.as_secs_f64(),
        requests_per_measure: o.plan.requests,
        as_of: rapport_domain::value::format_datetime(&o.as_of),
        server_pool: setup::POOL,
    };
    println!(
        "Machine: {} ({} cores), {} MB of memory, {}, Linux {}",
        machine.cpu, machine.cores, machine.memory_mb, machine.os, machine.kernel
    );
    let mut out = Report { machine, settings, databases: vec![], failures: vec![] };
    for backend in &o.databases {
        println!("\n{}: preparing {} people (seed {}) ...", backend.title(), report::thousands(o.people as u64), o.seed);
        match one(*backend, &o).await {
            Ok(r) => {
                print!("{}", report::table(&r, &out.settings));
                out.databases.push(r);
            }
            Err(e) => {
                let msg = format!("{}: {e:#}", backend.title());
                eprintln!("\n{msg}");
                out.failures.push(msg);
            }
        }
    }
    if let Some(path) = &o.json {
        std::fs::write(path, serde_json::to_string_pretty(&out)?).with_context(|| format!("cannot write {}", path.display()))?;
        println!("\nJSON report: {}", path.display());
    }
    Ok(out)
}

async fn one(backend: Backend, o: &RunOptions) -> anyhow::Result<DbReport> {
    let place = match backend {
        Backend::Sqlite => Place::sqlite(o.dir.as_deref(), o.keep)?,
        Backend::Postgres => Place::postgres(&o.postgres_url, o.keep).await?,
    };
    let result = measure(&place, o).await;
    if o.keep {
        println!("Kept the data: {}", place.describe());
    }
    place.remove().await;
    result
}

async fn measure(place: &Place, o: &RunOptions) -> anyhow::Result<DbReport> {
    let scale = Scale::for_people(o.people);
    let store = setup::open(&place.url, place.schema.clone()).await?;
    let version = setup::version(&store).await;
    let ws = setup::workspace(&store).await?;
    let target = ws.target.clone();
    let csv = o.csv.as_ref().map(|d| {
        d.join(match place.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    });
    let loaded = setup::load(&store, ws.target, o.seed, o.as_of, scale, csv, 20_000, true).await?;
    println!(
        "  {} rows written in {:.1} s ({} rows/s)",
        report::thousands(loaded.total_rows),
        loaded.seconds,
        report::thousands(loaded.rows_per_second as u64)
    );
    busiest("people (for the record pages)", &loaded.sample.busy_people);
    busiest("large accounts (for the organization pages)", &loaded.sample.busy_organizations);
    let search_index = if o.reindex_search {
        let s = setup::reindex(&store, target.workspace_id).await?;
        println!("  search index rebuilt by the store: {} records in {:.1} s", report::thousands(s.records as u64), s.seconds);
        Some(s)
    } else {
        None
    };
    let sales_email = setup::sales_user(&store, target.workspace_id).await?;
    setup::check_kept(&store, target.workspace_id, "after the load").await?;
    setup::settle(&store, o.analyze_sqlite).await?;
    store.close().await;

    // Rapport itself, in its own process.
    let mut args = vec!["serve".to_string(), "--database".into(), place.url.clone()];
    if let Some(s) = &place.schema {
        args.extend(["--schema".into(), s.clone()]);
    }
    let load_before = report::load_average();
    let server = Server::spawn(&args)?;
    let client = client(o.plan.concurrency)?;
    let requests = Requests::new(&loaded.sample, &target.pipelines, o.plan.concurrency);
    let base = server.base();
    // One signed-in browser session for the pages (all workers share it, as tabs do).
    let cookie = if o.scenarios.iter().any(|s| s.is_ui()) {
        scenario::login(&base, setup::ADMIN_EMAIL, setup::ADMIN_PASSWORD).await?
    } else {
        String::new()
    };
    // The home page as a sales user sees it: their tasks, deals and records.
    let home_cookie = if o.scenarios.contains(&Scenario::UiHome) {
        scenario::login(&base, &sales_email, setup::SALES_PASSWORD).await?
    } else {
        String::new()
    };
    println!("  home page measured as {sales_email}, the other pages as {}", setup::ADMIN_EMAIL);
    let auth = Auth { token: ws.token.clone(), cookie, home_cookie };
    let mut http: Vec<Http> = Vec::new();
    for s in o.scenarios.iter().copied() {
        if s == Scenario::UpdateDealStage && !requests.has_deals() {
            continue;
        }
        println!("  measuring {} ...", s.title());
        let run = |plan: Plan| {
            let (client, base, auth, requests) = (client.clone(), base.clone(), auth.clone(), requests.clone());
            load::measure(plan, move |w, n| {
                let (client, base, auth) = (client.clone(), base.clone(), auth.clone());
                let r = requests.next(s, w, n);
                async move { scenario::send(&client, &base, &auth, r).await }
            })
        };
        let m = run(o.plan).await;
        // A page's own rendering time: one request at a time, no queue.
        let alone = if s.is_ui() { Some(run(o.alone_plan).await) } else { None };
        if matches!(s, Scenario::CreatePerson | Scenario::UpdateDealStage)
            && setup::vacuum_if_autovacuum_off(&place.url, place.schema.as_deref()).await?
        {
            println!("  autovacuum is off on this server: vacuumed the written tables, as it would have");
        }
        http.push(Http {
            scenario: s,
            title: s.title(),
            request: s.request(),
            rapport: m,
            one_at_a_time: alone,
            floor: None,
            ratio_to_floor: None,
            database_alone: None,
            ratio_to_database: None,
        });
    }
    let import_rows = (o.people / 4).clamp(100, 50_000);
    println!("  measuring an import of {} people ...", report::thousands(import_rows as u64));
    let names = &loaded.sample.organization_names;
    let file = crate::import::file(o.seed, o.as_of, &target, import_rows, names);
    let import = crate::import::measure(&client, &base, &ws.token, file, import_rows).await;
    let (import, import_error) = match import {
        Ok(i) => (Some(i), None),
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    let memory = server.memory();
    server.stop();

    // The HTTP floor: same client, same load, same body sizes, no database.
    let floor = Server::spawn(&["floor".to_string()])?;
    let base = floor.base();
    for h in &mut http {
        let size = h.rapport.median_bytes.max(1);
        let s = h.scenario;
        let (client, base, requests) = (client.clone(), base.clone(), requests.clone());
        println!("  measuring the HTTP floor for {} bytes ...", size);
        let m = load::measure(o.floor_plan, move |w, n| {
            let (client, base) = (client.clone(), base.clone());
            let mut r = requests.next(s, w, n);
            r.path = format!("/floor/{size}");
            let auth = Auth { token: "floor".into(), cookie: String::new(), home_cookie: String::new() };
            async move { scenario::send(&client, &base, &auth, r).await }
        })
        .await;
        h.ratio_to_floor = Some(h.rapport.throughput / m.throughput.max(1e-9));
        h.floor = Some(m);
    }
    floor.stop();

    // The database alone, from this process, at the same concurrency.
    println!("  measuring the database alone ...");
    let db = Db::connect(&place.url, &place.options()).await?;
    let people = Arc::new(loaded.sample.people.clone());
    let point = baseline::point_select(&db, o.plan, target.workspace_id, people).await;
    let list = baseline::list(&db, o.plan, target.workspace_id, Arc::new(LIST_STAGES.to_vec())).await;
    for h in &mut http {
        let m = match h.scenario {
            Scenario::GetPerson => point.clone(),
            Scenario::ListPeople => list.clone(),
            _ => continue,
        };
        h.ratio_to_database = Some(h.rapport.throughput / m.throughput.max(1e-9));
        h.database_alone = Some(m);
    }
    // The moves of `update_deal_stage` and the logged activities went through the triggers too.
    let store = setup::open(&place.url, place.schema.clone()).await?;
    let checked = setup::check_kept(&store, target.workspace_id, "after the requests").await;
    store.close().await;
    checked?;
    let bulk = baseline::bulk_insert(&db, &loaded.samples, &loaded.rows).await;
    db.close().await;
    let load_after = report::load_average();
    let bulk = match bulk {
        Ok(b) => Some(b),
        Err(e) => {
            eprintln!("  the bulk insert baseline failed: {e:#}");
            None
        }
    };
    let ratio_bulk = bulk.as_ref().map(|b| loaded.rows_per_second / b.rows_per_second.max(1e-9));
    let peak = memory.map(|m| m.0);
    Ok(DbReport {
        database: place.backend,
        version,
        place: place.describe(),
        scale,
        targets: report::targets(&http, peak),
        ui: report::ui_pages(&http),
        data: loaded,
        bulk_insert_database_alone: bulk,
        ratio_to_database_alone: ratio_bulk,
        import,
        import_error,
        http,
        search_index,
        server_peak_rss_bytes: peak,
        server_final_rss_bytes: memory.map(|m| m.1),
        load_average: (load_before, load_after),
    })
}

/// Prints the span of activity counts of the busiest records the pages are drawn from.
fn busiest(what: &str, records: &[(uuid::Uuid, usize)]) {
    if let (Some(first), Some(last)) = (records.first(), records.last()) {
        println!("  the {} busiest {what} have {} to {} activities each", records.len(), last.1, first.1);
    }
}

pub fn client(concurrency: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency * 2)
        .tcp_nodelay(true)
        // A redirect (to the sign-in page, say) is an answer to count as an error, not to follow.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()?)
}
