//! `rapport import` and `rapport export`

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, anyhow, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rapport_domain::Kind;
use rapport_domain::filter::{self, Filter};
use rapport_io::import::{Counts, Observer, RowReport, Started};
use rapport_io::mapping::Mapping;
use rapport_io::{ExportFormat, Format, Mode, RowKind};
use rapport_store::{ListQuery, Scope, Store};

use super::users::WorkspaceArg;
use super::{DEFAULT_CURRENCY, DEFAULT_REGION, open_store, scope, workspace};
use crate::config::{GlobalArgs, Settings};

/// The file name of a whole-workspace export inside an export directory.
pub const WORKSPACE_FILE: &str = "rapport-export.jsonl";

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The file: CSV (any delimiter, UTF-8, UTF-16 or Latin-1), vCard or JSON
    /// (an array of objects, or JSON Lines). A workspace export (the file, or the
    /// directory `rapport export --all` wrote) brings back everything in it.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// What the rows are: people, organizations, deals, activities or a custom record kind's key
    #[arg(long, value_name = "KIND", default_value = "people")]
    pub kind: String,

    /// csv, vcard or json [default: from the file's name, else its content]
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,

    /// A saved mapping's name, or a JSON file {"Source column": "target field", ...}
    /// [default: suggested from the header row]
    #[arg(long, value_name = "NAME|FILE.json")]
    pub mapping: Option<String>,

    /// Save the mapping used under this name, for the next import
    #[arg(long, value_name = "NAME")]
    pub save_mapping: Option<String>,

    /// Print the columns and the suggested mapping, and stop
    #[arg(long)]
    pub suggest: bool,

    /// Say what each row would do (created, updated, skipped, failed) and write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// One transaction for the whole file: if any row fails, nothing is written
    #[arg(long, conflicts_with = "reject_file")]
    pub all_or_nothing: bool,

    /// Write the rows that fail to this file (the original columns and an `error` column)
    #[arg(long, value_name = "FILE")]
    pub reject_file: Option<PathBuf>,

    /// Rows per transaction
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub batch_size: usize,

    #[command(flatten)]
    pub workspace: WorkspaceArg,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// What to export: people, organizations, deals, activities, tasks, ... or a custom record kind's key
    #[arg(long, value_name = "KIND", required_unless_present = "all")]
    pub kind: Option<String>,

    /// csv, vcard (people and organizations), json or jsonl
    #[arg(long, value_name = "FORMAT", default_value = "csv")]
    pub format: String,

    /// Only records matching FIELD=VALUE or FIELD[OP]=VALUE (as in the API); repeatable
    #[arg(long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,

    /// Sort by a field, '-' first for descending
    #[arg(long, value_name = "FIELD")]
    pub sort: Option<String>,

    /// Write to this file [default: standard output]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Export the whole workspace: into a directory (rapport-export.jsonl, which
    /// `rapport import` brings back whole, and a CSV file per kind), or into one
    /// JSON Lines file when the name ends in .jsonl
    #[arg(long, value_name = "DIR|FILE.jsonl", conflicts_with_all = ["kind", "filters", "sort", "output"])]
    pub all: Option<PathBuf>,

    #[command(flatten)]
    pub workspace: WorkspaceArg,
}

async fn open(global: &GlobalArgs, ws: &WorkspaceArg) -> anyhow::Result<(Store, Scope)> {
    let settings = Settings::load(global, None)?;
    let store = open_store(&settings).await?;
    let w = workspace(&store, ws.workspace, DEFAULT_CURRENCY, DEFAULT_REGION).await?;
    let s = scope(&w);
    Ok((store, s))
}

/// The records `--kind` names: a built-in kind or a custom record kind's key.
async fn rows_arg(store: &Store, scope: &Scope, s: &str) -> anyhow::Result<RowKind> {
    RowKind::resolve(store, scope, s)
        .await?
        .ok_or_else(|| anyhow!("--kind {s}: use people, organizations, deals, activities or a custom record kind's key"))
}

/// Counts the bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Shows progress on stderr, errors as `FILE:ROW:COLUMN: message`, and in a
/// dry run what each row would do, on stdout.
struct Console {
    file: String,
    bar: ProgressBar,
    read: Arc<AtomicU64>,
    dry_run: bool,
    /// What the rows are, as messages name it.
    kind: String,
    errors: u64,
}

impl Observer for Console {
    fn started(&mut self, s: &Started) {
        self.bar.suspend(|| {
            let delim = s.delimiter.as_deref().map(|d| format!(", delimiter '{d}'")).unwrap_or_default();
            eprintln!("{}: {} ({}{delim})", self.file, s.format, s.encoding);
            if let Some(m) = s.mapping.as_object() {
                for (col, target) in m {
                    eprintln!("  {col} -> {}", target.as_str().unwrap_or_default());
                }
            }
            for w in &s.warnings {
                eprintln!("warning: {w}");
            }
        });
    }

    fn row(&mut self, r: &RowReport) {
        self.bar.set_position(self.read.load(Ordering::Relaxed));
        if !r.errors.is_empty() || self.dry_run {
            self.bar.suspend(|| {
                for e in &r.errors {
                    self.errors += 1;
                    eprintln!("{}", e.display(&self.file));
                }
                if self.dry_run && r.action != "failed" {
                    let label = r.label.as_deref().map(|l| format!(" \"{l}\"")).unwrap_or_default();
                    let how = r.matched_by.map(|m| format!(" (same {m})")).unwrap_or_default();
                    let orgs = if r.organizations_created.is_empty() {
                        String::new()
                    } else {
                        format!("; would create organization {}", r.organizations_created.join(", "))
                    };
                    let verb = match r.action {
                        "created" => "would create",
                        "updated" => "would update",
                        _ => "would skip",
                    };
                    println!("{}:{}: {verb} {}{label}{how}{orgs}", self.file, r.row, self.kind);
                }
            });
        }
    }

    fn progress(&mut self, c: &Counts) {
        self.bar.set_position(self.read.load(Ordering::Relaxed));
        self.bar.set_message(format!("{} rows, {} failed", c.rows, c.failed));
    }
}

fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn load_mapping_file(kind: Kind, path: &Path, custom: &[rapport_domain::custom::CustomField]) -> anyhow::Result<Mapping> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    Mapping::from_json(kind, &v, custom).map_err(|e| anyhow!("{}: {}", path.display(), e.join("; ")))
}

/// `rapport import`
pub async fn import(global: &GlobalArgs, args: ImportArgs) -> anyhow::Result<()> {
    let (store, scope) = open(global, &args.workspace).await?;
    let mut path = args.file.clone();
    if path.is_dir() {
        path = path.join(WORKSPACE_FILE);
        if !path.exists() {
            bail!("{} has no {WORKSPACE_FILE}: give the file to import", args.file.display());
        }
    }
    let file_name = path.display().to_string();
    let mut head = vec![0u8; 4096];
    let n = File::open(&path).with_context(|| format!("cannot open {file_name}"))?.read(&mut head)?;
    head.truncate(n);
    let len = std::fs::metadata(&path)?.len();
    let read = Arc::new(AtomicU64::new(0));
    let input = Counting { inner: File::open(&path)?, read: read.clone() };
    let bar = progress_bar(len);
    let whole = rapport_io::workspace::sniff(&head);
    let rows = if whole { None } else { Some(rows_arg(&store, &scope, &args.kind).await?) };
    let what = rows.as_ref().map_or_else(|| "records".to_string(), RowKind::name);
    let console_kind = rows.as_ref().map_or_else(|| Kind::Person.as_str().to_string(), |r| r.kind.as_str().to_string());
    let mut console =
        Console { file: file_name.clone(), bar: bar.clone(), read, dry_run: args.dry_run, kind: console_kind, errors: 0 };
    let summary = if let Some(rows) = rows {
        let kind = rows.kind;
        let format = args
            .format
            .as_deref()
            .map(|f| Format::parse(f).ok_or_else(|| anyhow!("--format {f}: use csv, vcard or json")))
            .transpose()?;
        let custom = rows.custom.clone();
        let mapping = match &args.mapping {
            None => None,
            Some(m) if Path::new(m).is_file() => Some(load_mapping_file(kind, Path::new(m), &custom)?),
            Some(name) => match store.import_mapping(&scope, name).await? {
                Some((k, cols)) if k == rows.owner() => {
                    Some(Mapping::from_json(kind, &cols, &custom).map_err(|e| anyhow!("{}", e.join("; ")))?)
                }
                Some((k, _)) => bail!("the saved mapping '{name}' is for {k}"),
                None => bail!("--mapping {name}: no such file, and no saved mapping of that name"),
            },
        };
        let name = path.file_name().and_then(|n| n.to_str()).map(str::to_string);
        let reader = tokio::task::spawn_blocking(move || rapport_io::source::open(input, name.as_deref(), format)).await??;
        if args.suggest {
            bar.finish_and_clear();
            let mut d = rapport_io::import::describe(&reader, kind, &custom);
            d["kind"] = serde_json::json!(rows.name());
            d["targets"] = serde_json::json!(rows.targets());
            println!("{}", serde_json::to_string_pretty(&d)?);
            return Ok(());
        }
        let rejects: Option<Box<dyn Write + Send>> = match &args.reject_file {
            Some(p) => Some(Box::new(BufWriter::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?))),
            None => None,
        };
        let opts = rapport_io::Options {
            mapping,
            dry_run: args.dry_run,
            mode: if args.all_or_nothing { Mode::AllOrNothing } else { Mode::Partial },
            batch_size: args.batch_size,
            ..rows.options()
        };
        let s = rapport_io::import::run(&store, &scope, reader, &opts, &mut console, rejects).await?;
        if let Some(name) = &args.save_mapping {
            store.save_import_mapping(&scope, name, rows.owner(), &s.started.mapping).await?;
            eprintln!("Saved the mapping as '{name}'.");
        }
        s
    } else {
        rapport_io::workspace::import_workspace(&store, &scope, input, args.dry_run, &mut console).await?
    };
    bar.finish_and_clear();
    store.close().await;
    let c = &summary.counts;
    let line = format!(
        "{file_name}: {} rows: {} created, {} updated, {} skipped, {} failed{}",
        c.rows,
        c.created,
        c.updated,
        c.skipped,
        c.failed,
        if c.organizations_created > 0 { format!(" ({} organizations created)", c.organizations_created) } else { String::new() }
    );
    if summary.dry_run {
        eprintln!("Dry run, nothing was written. {line}");
    } else if !summary.committed {
        bail!("nothing was imported: {} rows failed and --all-or-nothing was given. {line}", c.failed);
    } else {
        eprintln!("Imported {what}. {line}");
    }
    if let Some(p) = &args.reject_file
        && c.failed > 0
    {
        eprintln!("The rows that failed are in {} (with an `error` column): fix them and import that file.", p.display());
    }
    if c.failed > 0 && !summary.dry_run {
        bail!("{} rows failed", c.failed);
    }
    Ok(())
}

fn list_query(store_custom: &[rapport_domain::custom::CustomField], kind: Kind, args: &ExportArgs) -> anyhow::Result<ListQuery> {
    let mut conds = Vec::new();
    for f in &args.filters {
        let (k, v) = f.split_once('=').ok_or_else(|| anyhow!("--filter {f}: write FIELD=VALUE or FIELD[OP]=VALUE"))?;
        let (field, op) = match k.split_once('[') {
            Some((f, rest)) => (f, rest.strip_suffix(']').unwrap_or(rest)),
            None => (k, "eq"),
        };
        let c = filter::condition(kind, field, op, v, store_custom).map_err(|e| anyhow!("--filter {f}: {e}"))?;
        conds.push(Filter::Cond(c));
    }
    let sort = match &args.sort {
        None => None,
        Some(s) => Some(filter::sort(kind, s, store_custom).map_err(|e| anyhow!("--sort {s}: {e}"))?),
    };
    Ok(ListQuery { filter: Filter::All(conds), sort, ..ListQuery::default() })
}

/// Writes an export to its end; returns how many records.
async fn write_all(mut stream: rapport_io::ExportStream, out: &mut dyn Write) -> anyhow::Result<u64> {
    while let Some(chunk) = stream.next_chunk().await? {
        out.write_all(&chunk)?;
    }
    out.flush()?;
    Ok(stream.records_written())
}

/// `rapport export`
pub async fn export(global: &GlobalArgs, args: ExportArgs) -> anyhow::Result<()> {
    let (store, scope) = open(global, &args.workspace).await?;
    if let Some(target) = &args.all {
        let single = target.extension().is_some_and(|e| e == "jsonl" || e == "ndjson");
        let file = if single {
            target.clone()
        } else {
            std::fs::create_dir_all(target).with_context(|| format!("cannot create {}", target.display()))?;
            target.join(WORKSPACE_FILE)
        };
        let mut out = BufWriter::new(File::create(&file).with_context(|| format!("cannot create {}", file.display()))?);
        let counts = rapport_io::workspace::export_workspace(&store, &scope, &mut out).await?;
        let mut summary: Vec<String> = rapport_io::workspace::KINDS
            .iter()
            .map(|k| format!("{} {}", counts.get(k.as_str()).unwrap_or(&0), k.collection()))
            .collect();
        summary.push(format!("{} users", counts.get("user").unwrap_or(&0)));
        eprintln!("Wrote {}: {}.", file.display(), summary.join(", "));
        if !single {
            // One file per built-in kind, and one per custom kind, named by its key.
            let mut files = Vec::new();
            for kind in rapport_io::workspace::KINDS.into_iter().filter(|k| *k != Kind::Object) {
                files.push(RowKind::builtin(&store, &scope, kind).await?);
            }
            files.extend(store.object_types(&scope).await?.into_iter().map(RowKind::of_object_type));
            for rows in files {
                let path = target.join(format!("{}.csv", rows.name()));
                let stream = rows.export(store.clone(), scope.clone(), ExportFormat::Csv, ListQuery::default()).await?;
                write_all(stream, &mut BufWriter::new(File::create(&path)?)).await?;
            }
            eprintln!("And a CSV file per kind, for reading. `rapport import {}` brings it all back.", target.display());
        }
        store.close().await;
        return Ok(());
    }
    let kind_name = args.kind.as_deref().unwrap_or("people");
    let builtin = Kind::from_collection(kind_name).or_else(|| Kind::parse(kind_name)).filter(|k| *k != Kind::Object);
    let rows = match builtin {
        Some(kind) => RowKind::builtin(&store, &scope, kind).await?,
        None => rows_arg(&store, &scope, kind_name).await?,
    };
    let format =
        ExportFormat::parse(&args.format).ok_or_else(|| anyhow!("--format {}: use csv, vcard, json or jsonl", args.format))?;
    let q = list_query(&rows.custom, rows.kind, &args)?;
    let stream = rows.export(store.clone(), scope.clone(), format, q).await?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(BufWriter::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)),
        None => Box::new(BufWriter::new(std::io::stdout())),
    };
    let n = write_all(stream, &mut out).await?;
    store.close().await;
    eprintln!("Exported {n} {}.", rows.name());
    Ok(())
}
