//! The results: one table per database, the targets, and the JSON report.

use std::fmt::Write as _;

use serde::Serialize;

use crate::baseline::BulkInsert;
use crate::generator::Scale;
use crate::load::Measure;
use crate::scenario::Scenario;
use crate::setup::{Backend, Loaded};

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_mb: u64,
    pub os: String,
    pub kernel: String,
}

impl Machine {
    pub fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_string()))
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_mb = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024);
        let os = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|s| s.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string())))
            .unwrap_or_else(|| std::env::consts::OS.to_string());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()).unwrap_or_default();
        Machine { cpu, cores: std::thread::available_parallelism().map_or(1, |n| n.get()), memory_mb, os, kernel }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Http {
    pub scenario: Scenario,
    pub title: &'static str,
    pub request: &'static str,
    pub rapport: Measure,
    /// Pages only: the same requests one at a time (no queue), the page's own time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_at_a_time: Option<Measure>,
    /// The HTTP floor: an axum server answering a fixed body of the same size, no database.
    pub floor: Option<Measure>,
    pub ratio_to_floor: Option<f64>,
    /// The same query straight through sqlx (get and list only).
    pub database_alone: Option<Measure>,
    pub ratio_to_database: Option<f64>,
}

/// Rebuilding the search index after the bulk load, through the store.
#[derive(Debug, Clone, Serialize)]
pub struct SearchIndex {
    pub records: usize,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub what: String,
    pub limit: String,
    pub measured: String,
    pub pass: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DbReport {
    pub database: Backend,
    pub version: String,
    pub place: String,
    pub scale: Scale,
    pub data: Loaded,
    pub bulk_insert_database_alone: Option<BulkInsert>,
    pub ratio_to_database_alone: Option<f64>,
    /// A CSV file of new people through `POST /api/v1/imports`.
    pub import: Option<crate::import::Import>,
    pub import_error: Option<String>,
    pub http: Vec<Http>,
    pub search_index: Option<SearchIndex>,
    /// The web interface's pages against their target (also in `http`, in full).
    pub ui: Vec<UiPage>,
    pub server_peak_rss_bytes: Option<u64>,
    pub server_final_rss_bytes: Option<u64>,
    /// `/proc/loadavg` when the measurements began and ended: other work on the machine shows here.
    pub load_average: (String, String),
    pub targets: Vec<Target>,
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub people: usize,
    pub seed: u64,
    pub quick: bool,
    pub concurrency: usize,
    pub warmup_seconds: f64,
    pub seconds_per_measure: f64,
    pub requests_per_measure: Option<u64>,
    pub as_of: String,
    pub server_pool: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub settings: Settings,
    pub databases: Vec<DbReport>,
    pub failures: Vec<String>,
}

/// A page of the web interface: its server time, alone and under load.
#[derive(Debug, Clone, Serialize)]
pub struct UiPage {
    pub scenario: Scenario,
    pub title: &'static str,
    pub request: &'static str,
    pub median_bytes: u64,
    /// One request at a time.
    pub alone_p50_ms: Option<f64>,
    pub alone_p99_ms: Option<f64>,
    /// At the run's concurrency.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub throughput: f64,
    pub errors: u64,
    /// The target: the server renders the page in under `UI_LIMIT_MS`, p99
    /// one request at a time (its own time, with no queue in front of it),
    /// without errors.
    pub pass: bool,
    /// p99 under `UI_LIMIT_MS` at the run's concurrency too: a capacity
    /// figure (32 requests in flight need 32 / 0.05 = 640 pages a second).
    pub pass_concurrent: bool,
}

/// The pages' target: every page rendered by the server in under 50 ms.
pub const UI_LIMIT_MS: f64 = 50.0;

pub fn ui_pages(http: &[Http]) -> Vec<UiPage> {
    http.iter()
        .filter(|h| h.scenario.is_ui())
        .map(|h| {
            let m = &h.rapport;
            let a = h.one_at_a_time.as_ref();
            let ok = |m: &Measure| m.requests > m.errors && m.errors == 0 && m.p99_ms < UI_LIMIT_MS;
            UiPage {
                scenario: h.scenario,
                title: h.title,
                request: h.request,
                median_bytes: m.median_bytes,
                alone_p50_ms: a.map(|a| a.p50_ms),
                alone_p99_ms: a.map(|a| a.p99_ms),
                p50_ms: m.p50_ms,
                p99_ms: m.p99_ms,
                throughput: m.throughput,
                errors: m.errors + a.map_or(0, |a| a.errors),
                pass: a.is_some_and(ok) && m.errors == 0,
                pass_concurrent: ok(m),
            }
        })
        .collect()
}

/// The targets, set for 1,000,000 people on 2 cores.
pub fn targets(http: &[Http], peak_rss: Option<u64>) -> Vec<Target> {
    let mut out = Vec::new();
    for h in http.iter().filter(|h| h.scenario.is_read() && !h.scenario.is_ui()) {
        if let Some(r) = h.ratio_to_floor {
            out.push(Target {
                what: format!("{}: throughput", h.title),
                limit: ">= 60% of the HTTP floor".into(),
                measured: format!("{:.0}%", r * 100.0),
                pass: r >= 0.60,
            });
        }
    }
    for h in http {
        let limit_ms = match h.scenario {
            Scenario::GetPerson | Scenario::ListPeople | Scenario::ListPeopleCustom | Scenario::PersonTimeline => 20.0,
            Scenario::PipelineBoard => 100.0,
            _ => continue,
        };
        out.push(Target {
            what: format!("{}: p99", h.title),
            limit: format!("< {limit_ms:.0} ms"),
            measured: format!("{:.1} ms", h.rapport.p99_ms),
            pass: h.rapport.requests > 0 && h.rapport.errors == 0 && h.rapport.p99_ms < limit_ms,
        });
    }
    let ok = |m: &Measure| m.requests > m.errors && m.errors == 0 && m.p99_ms < UI_LIMIT_MS;
    for h in http.iter().filter(|h| h.scenario.is_ui()) {
        if let Some(a) = &h.one_at_a_time {
            out.push(Target {
                what: format!("{}: render p99 (one at a time)", h.title),
                limit: format!("< {UI_LIMIT_MS:.0} ms"),
                measured: format!("{:.1} ms", a.p99_ms),
                pass: ok(a),
            });
        }
        out.push(Target {
            what: format!("{}: p99 at 32 concurrent (capacity)", h.title),
            limit: format!("< {UI_LIMIT_MS:.0} ms"),
            measured: format!("{:.1} ms", h.rapport.p99_ms),
            pass: ok(&h.rapport),
        });
    }
    if let Some(rss) = peak_rss {
        out.push(Target {
            what: "server peak memory (VmHWM)".into(),
            limit: "< 300 MB".into(),
            measured: format!("{:.0} MB", mb(rss)),
            pass: mb(rss) < 300.0,
        });
    }
    out
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ratio(r: Option<f64>) -> String {
    r.map_or("-".into(), |r| format!("{:.2}", r))
}

/// The table printed for one database.
pub fn table(r: &DbReport, s: &Settings) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "\n== {} {} ({}) ==", r.database.title(), r.version, r.place);
    let d = &r.data;
    let rows = |t: &str| d.rows.get(t).copied().unwrap_or(0);
    let _ = writeln!(
        o,
        "Data (seed {}): {} organizations, {} people, {} deals ({} stage changes), {} activities, {} tasks, {} users; \
         {} links, {} change-log rows, {} search index rows",
        s.seed,
        thousands(rows("organizations")),
        thousands(rows("people")),
        thousands(rows("deals")),
        thousands(rows("deal_stage_history")),
        thousands(rows("activities")),
        thousands(rows("tasks")),
        thousands(rows("users")),
        thousands(rows("record_links")),
        thousands(rows("changes")),
        thousands(rows("search_entries")),
    );
    let _ = write!(
        o,
        "Generator bulk write: {} rows in {:.1} s = {} rows/s",
        thousands(d.total_rows),
        d.seconds,
        thousands(d.rows_per_second as u64)
    );
    match &r.bulk_insert_database_alone {
        Some(b) => {
            let _ = writeln!(
                o,
                "; database alone {} rows/s; ratio {}",
                thousands(b.rows_per_second as u64),
                ratio(r.ratio_to_database_alone)
            );
        }
        None => o.push('\n'),
    }
    if let Some(s) = &r.search_index {
        let _ = writeln!(
            o,
            "Search index rebuilt by the store (--reindex-search): {} records in {:.1} s = {} records/s",
            thousands(s.records as u64),
            s.seconds,
            thousands((s.records as f64 / s.seconds.max(1e-9)) as u64)
        );
    }
    match (&r.import, &r.import_error) {
        (Some(i), _) => {
            let n = |k: &str| i.counts.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
            let people_alone = r.bulk_insert_database_alone.as_ref().and_then(|b| b.per_table.get("people").copied());
            let _ = writeln!(
                o,
                "Import (CSV of {} new people, {} KB, POST /api/v1/imports): {:.1} s = {} rows/s, job {}: {} created, {} updated, \
                 {} failed, {} organizations created{}",
                thousands(i.rows),
                i.bytes / 1024,
                i.seconds,
                thousands(i.rows_per_second as u64),
                i.status,
                n("created"),
                n("updated"),
                n("failed"),
                n("organizations_created"),
                people_alone.map_or(String::new(), |p| format!(
                    "; the database alone writes {} people rows/s, ratio {:.3}",
                    thousands(p as u64),
                    i.rows_per_second / p.max(1e-9)
                )),
            );
        }
        (None, e) => {
            let _ = writeln!(o, "Import rate: n/a ({})", e.as_deref().unwrap_or("not measured"));
        }
    }
    let _ = writeln!(
        o,
        "\n{:<40} {:>8} {:>8} {:>8} {:>7} | {:>8} {:>6} | {:>8} {:>6}",
        format!("HTTP, {} concurrent", s.concurrency),
        "req/s",
        "p50 ms",
        "p99 ms",
        "bytes",
        "floor/s",
        "ratio",
        "db q/s",
        "ratio"
    );
    for h in &r.http {
        let m = &h.rapport;
        let errors = if m.errors > 0 { format!("  ({} errors)", m.errors) } else { String::new() };
        let _ = writeln!(
            o,
            "{:<40} {:>8.0} {:>8.1} {:>8.1} {:>7} | {:>8} {:>6} | {:>8} {:>6}{errors}",
            h.title,
            m.throughput,
            m.p50_ms,
            m.p99_ms,
            m.median_bytes,
            h.floor.as_ref().map_or("-".into(), |f| format!("{:.0}", f.throughput)),
            ratio(h.ratio_to_floor),
            h.database_alone.as_ref().map_or("-".into(), |f| format!("{:.0}", f.throughput)),
            ratio(h.ratio_to_database),
        );
    }
    if r.ui.is_empty() {
        let _ = writeln!(o, "UI pages: not measured (left out by --only)");
    } else {
        let _ = writeln!(
            o,
            "\n{:<40} {:>17} | {:>26} | p99 < {UI_LIMIT_MS:.0} ms",
            "UI pages (server-rendered HTML)",
            "one at a time",
            format!("{} concurrent", s.concurrency)
        );
        let _ = writeln!(
            o,
            "{:<40} {:>8} {:>8} | {:>8} {:>8} {:>8} | render  at {}",
            "", "p50 ms", "p99 ms", "p50 ms", "p99 ms", "req/s", s.concurrency
        );
        for u in &r.ui {
            let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1}"));
            let errors = if u.errors > 0 { format!(" ({} errors)", u.errors) } else { String::new() };
            let _ = writeln!(
                o,
                "{:<40} {:>8} {:>8} | {:>8.1} {:>8.1} {:>8.0} | {}    {}{errors}",
                u.title,
                f(u.alone_p50_ms),
                f(u.alone_p99_ms),
                u.p50_ms,
                u.p99_ms,
                u.throughput,
                if u.pass { "PASS" } else { "MISS" },
                if u.pass_concurrent { "PASS" } else { "MISS" }
            );
        }
    }
    for h in &r.http {
        for e in [&h.rapport.first_error, &h.one_at_a_time.as_ref().and_then(|a| a.first_error.clone())].into_iter().flatten() {
            let _ = writeln!(o, "  first error in '{}': {e}", h.title);
        }
    }
    if let (Some(peak), Some(now)) = (r.server_peak_rss_bytes, r.server_final_rss_bytes) {
        let _ = writeln!(o, "Server memory: peak {:.0} MB (VmHWM), {:.0} MB at the end (VmRSS)", mb(peak), mb(now));
    }
    let _ = writeln!(o, "Load average (1, 5, 15 min): {} before the requests, {} after", r.load_average.0, r.load_average.1);
    let _ =
        writeln!(o, "\nTargets (set for 1,000,000 people on 2 cores; this run: {} people):", thousands(r.scale.people as u64));
    for t in &r.targets {
        let _ = writeln!(o, "  {}  {:<58} {:<26} measured {}", if t.pass { "PASS" } else { "MISS" }, t.what, t.limit, t.measured);
    }
    o
}
