//! The import engine: rows read from a file on a blocking thread, converted
//! through the mapping, matched against existing records and written in
//! batches. Each batch is one transaction and each row a savepoint in it, so a
//! bad row leaves nothing behind and a crash or kill leaves no half-written row;
//! running the same file again updates the records instead of duplicating them.
//!
//! Modes: `Partial` writes the good rows (committing every batch) and reports
//! the bad ones, optionally into a reject file; `AllOrNothing` runs the whole
//! file in one transaction and keeps nothing if any row fails. A dry run does
//! everything and then rolls back, so its report is exactly what would happen.

use std::collections::HashMap;
use std::io::Write;

use rapport_domain::custom::CustomField;
use rapport_domain::schema::{self, FieldType};
use rapport_domain::{Kind, contact};
use rapport_store::imports::{ImportTx, Written};
use rapport_store::object_types::ObjectType;
use rapport_store::pipelines::Pipeline;
use rapport_store::{Record, Scope, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::convert::{self, CellRef, Context, Prepared};
use crate::mapping::{self, Mapping};
use crate::problem::{Code, Problem};
use crate::source::{Format, Original, Row, RowReader, SourceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One transaction for the whole file: any bad row and nothing is written.
    AllOrNothing,
    /// Good rows are written (a batch at a time), bad ones reported and rejected.
    Partial,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim().replace('-', "_").as_str() {
            "all_or_nothing" | "atomic" => Some(Mode::AllOrNothing),
            "partial" | "skip_bad" | "reject" | "good_rows" => Some(Mode::Partial),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::AllOrNothing => "all_or_nothing",
            Mode::Partial => "partial",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub kind: Kind,
    /// The custom record kind imported, when `kind` is `Kind::Object`.
    pub object_type: Option<ObjectType>,
    /// `None`: the suggested mapping for the file's columns.
    pub mapping: Option<Mapping>,
    pub dry_run: bool,
    pub mode: Mode,
    /// Rows per transaction in partial mode.
    pub batch_size: usize,
}

impl Options {
    pub fn new(kind: Kind) -> Options {
        Options { kind, object_type: None, mapping: None, dry_run: false, mode: Mode::Partial, batch_size: 500 }
    }

    /// What saved mappings name these rows by: a built-in kind's name, or the custom kind's key.
    pub fn owner(&self) -> &str {
        self.object_type.as_ref().map_or(self.kind.as_str(), |d| d.key.as_str())
    }

    /// Importing records of a custom record kind.
    pub fn of_object_type(def: ObjectType) -> Options {
        Options { object_type: Some(def), ..Options::new(Kind::Object) }
    }
}

/// One problem with one row, named by its source column where there is one.
///
/// As JSON (a job's `errors`): `row`; `column` and `column_number`, null
/// when no column is at fault; `field`, left out unless the store named the
/// field at fault; `code`, what went wrong (see [`crate::problem`]:
/// `validation.<code>`, `conflict.<code>` or the import's own, `not_a_date`);
/// `args`, the values its message names as `[name, value]` pairs in order,
/// left out when there are none; `message`, in English. Errors kept before
/// codes existed have neither `code` nor `args`, and read back with an empty code.
///
/// ```json
/// {"row": 3, "column": "Birthday", "column_number": 6, "code": "not_a_date",
///  "args": [["value", "someday"]], "message": "'someday' is not a date (e.g. 2025-01-31)"}
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RowError {
    pub row: u64,
    pub column: Option<String>,
    /// 1-based.
    pub column_number: Option<usize>,
    /// The record field at fault, when the store named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<(String, String)>,
    pub message: String,
}

impl RowError {
    /// A problem with a row, in the cell `at` when one is at fault.
    pub fn new(row: u64, at: Option<&CellRef>, p: Problem) -> RowError {
        RowError {
            row,
            column: at.map(|c| c.column.to_string()),
            column_number: at.map(|c| c.number),
            field: None,
            code: p.code,
            args: p.args,
            message: p.message,
        }
    }

    /// What the code is, read back.
    pub fn code(&self) -> Code<'_> {
        Code::of(&self.code)
    }

    /// `FILE:ROW:COLUMN: message` (the column's number, then its name in the message).
    pub fn display(&self, file: &str) -> String {
        match (&self.column, self.column_number) {
            (Some(c), Some(n)) => format!("{file}:{}:{n}: [{c}] {}", self.row, self.message),
            _ => format!("{file}:{}: {}", self.row, self.message),
        }
    }
}

/// What happened to one row (or would happen, in a dry run).
#[derive(Debug, Clone, Serialize)]
pub struct RowReport {
    pub row: u64,
    /// `created`, `updated`, `skipped` or `failed`.
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What the row matched an existing record by: `external_id`, `email`, `phone`, `name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organizations_created: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Organizations created because a row named one that did not exist.
    pub organizations_created: u64,
}

/// What the file turned out to be, once opened.
#[derive(Debug, Clone, Serialize)]
pub struct Started {
    pub format: &'static str,
    pub encoding: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    pub columns: Vec<String>,
    pub mapping: Json,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub started: Started,
    pub counts: Counts,
    pub dry_run: bool,
    pub mode: Mode,
    /// Whether the rows written are kept: false for a dry run and a failed all-or-nothing import.
    pub committed: bool,
}

/// Follows an import as it goes. Every method has a default that does nothing.
pub trait Observer: Send {
    fn started(&mut self, _s: &Started) {}
    fn row(&mut self, _r: &RowReport) {}
    /// After each batch.
    fn progress(&mut self, _c: &Counts) {}
}

/// An observer that does nothing.
pub struct Quiet;
impl Observer for Quiet {}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("the mapping is not usable: {}", .0.join("; "))]
    Mapping(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the reject file: {0}")]
    Rejects(String),
}

/// Where rejected rows go: CSV with the original columns and an `error` column
/// (CSV and vCard sources), or JSON Lines with an `error` key (JSON sources).
pub enum Rejects {
    Csv(Box<csv::Writer<Box<dyn Write + Send>>>),
    Jsonl(Box<dyn Write + Send>),
}

impl Rejects {
    /// The reject file for a source: CSV for CSV and vCard, JSON Lines for JSON.
    pub fn new(
        out: Box<dyn Write + Send>,
        format: Format,
        columns: &[String],
        delimiter: Option<u8>,
    ) -> Result<Rejects, ImportError> {
        Ok(match format {
            Format::Json => Rejects::Jsonl(out),
            Format::Csv | Format::Vcard => {
                let mut w = csv::WriterBuilder::new().flexible(true).delimiter(delimiter.unwrap_or(b',')).from_writer(out);
                let mut header: Vec<&str> = columns.iter().map(String::as_str).collect();
                header.push("error");
                w.write_record(&header).map_err(|e| ImportError::Rejects(e.to_string()))?;
                Rejects::Csv(Box::new(w))
            }
        })
    }

    /// The media type of the reject file for a source format.
    pub fn media_type(format: Format) -> &'static str {
        match format {
            Format::Json => "application/x-ndjson",
            _ => "text/csv; charset=utf-8",
        }
    }

    fn write(&mut self, original: &Original, columns: usize, message: &str) -> Result<(), ImportError> {
        let fail = |e: String| ImportError::Rejects(e);
        match (self, original) {
            (Rejects::Csv(w), Original::Fields(fields)) => {
                let mut rec: Vec<&str> = fields.iter().map(String::as_str).collect();
                while rec.len() < columns {
                    rec.push("");
                }
                rec.push(message);
                w.write_record(&rec).map_err(|e| fail(e.to_string()))
            }
            (Rejects::Csv(w), Original::Json(v)) => {
                let line = v.to_string();
                w.write_record([line.as_str(), message]).map_err(|e| fail(e.to_string()))
            }
            (Rejects::Jsonl(w), original) => {
                let mut v = match original {
                    Original::Json(Json::Object(o)) => Json::Object(o.clone()),
                    Original::Json(other) => json!({"value": other}),
                    Original::Fields(f) => json!({"fields": f}),
                };
                v["error"] = Json::String(message.to_string());
                writeln!(w, "{v}").map_err(|e| fail(e.to_string()))
            }
        }
    }

    pub fn finish(self) -> Result<(), ImportError> {
        match self {
            Rejects::Csv(mut w) => w.flush().map_err(|e| ImportError::Rejects(e.to_string())),
            Rejects::Jsonl(mut w) => w.flush().map_err(|e| ImportError::Rejects(e.to_string())),
        }
    }
}

/// What is looked up while rows are written; kept for the whole import.
struct State {
    kind: Kind,
    /// The custom record kind's key, written into each row.
    object_type: Option<String>,
    ctx: Context,
    pipelines: Vec<Pipeline>,
    /// Organization ids by lower-cased name, valid in the current transaction.
    orgs: HashMap<String, Uuid>,
    users: HashMap<String, Option<Uuid>>,
}

enum Failure {
    Row(Vec<RowError>),
    Fatal(StoreError),
}

fn store_failure(e: StoreError, row: u64, p: &Prepared, kind: Kind) -> Failure {
    let plain = |problem: Problem| Failure::Row(vec![RowError::new(row, None, problem)]);
    match e {
        StoreError::Invalid(v) => Failure::Row(
            v.0.into_iter()
                .map(|f| {
                    let cell = p.column_of(&f.field);
                    let field = (!f.field.is_empty()).then(|| f.field.clone());
                    let message = match (&cell, &field) {
                        (None, Some(field)) => format!("{field}: {}", f.message),
                        _ => f.message.clone(),
                    };
                    RowError { field, ..RowError::new(row, cell.as_ref(), Problem::invalid(&f, message)) }
                })
                .collect(),
        ),
        StoreError::NotFound => plain(
            Problem::new("not_visible", format!("the {kind} this row matched is not visible to you")).with("kind", kind.as_str()),
        ),
        StoreError::Forbidden(m) => plain(Problem::new("forbidden", m)),
        StoreError::Conflict(c) => plain(Problem::conflict(c)),
        StoreError::VersionMismatch { .. } => {
            plain(Problem::new("changed_during_import", "the record changed during the import; run it again"))
        }
        other => Failure::Fatal(other),
    }
}

fn cell_error(row: u64, at: &CellRef, problem: Problem) -> Failure {
    Failure::Row(vec![RowError::new(row, Some(at), problem)])
}

fn label_of(kind: Kind, r: &Record) -> Option<String> {
    let key = match kind {
        Kind::Activity => "subject",
        _ => "name",
    };
    r.get(key).or_else(|| r.get("type")).and_then(Json::as_str).map(str::to_string)
}

/// The same list, keyed so that the same email, phone, tag or link is found again.
fn item_key(ty: FieldType, v: &Json, region: phonenumber::country::Id) -> String {
    let s = |k: &str| v.as_str().or_else(|| v.get(k).and_then(Json::as_str)).unwrap_or_default().to_string();
    match ty {
        FieldType::Emails => contact::normalize_email(&s("address")).unwrap_or_else(|| s("address")),
        FieldType::Phones => {
            let raw = s("number");
            v.get("e164")
                .and_then(Json::as_str)
                .map(str::to_string)
                .or_else(|| contact::normalize_phone(&raw, region))
                .unwrap_or(raw)
        }
        FieldType::Links { .. } => s("id"),
        FieldType::Strings { .. } => s("").to_lowercase(),
        _ => v.to_string(),
    }
}

/// The merge patch that brings an incoming row into an existing record: list
/// fields (emails, phones, tags, links) gain the new items and keep the old.
pub fn patch_for(kind: Kind, current: &Record, incoming: &Record, region: phonenumber::country::Id) -> Json {
    let mut patch = serde_json::Map::new();
    for (k, v) in incoming {
        let ty = schema::field(kind, k).map(|f| f.ty);
        let list = matches!(
            ty,
            Some(
                FieldType::Emails
                    | FieldType::Phones
                    | FieldType::Strings { .. }
                    | FieldType::Links { .. }
                    | FieldType::Addresses
            )
        );
        match (list, ty, v.as_array(), current.get(k).and_then(Json::as_array)) {
            (true, Some(ty), Some(new), Some(old)) => {
                let mut out = old.clone();
                let mut keys: Vec<String> = old.iter().map(|x| item_key(ty, x, region)).collect();
                for item in new {
                    let key = item_key(ty, item, region);
                    if !keys.contains(&key) {
                        keys.push(key);
                        out.push(item.clone());
                    }
                }
                if out.len() != old.len() {
                    patch.insert(k.clone(), Json::Array(out));
                }
            }
            _ => {
                patch.insert(k.clone(), v.clone());
            }
        }
    }
    Json::Object(patch)
}

/// Links the names a row gave (organizations, people, deals, owner, stage) and writes it.
async fn apply(
    tx: &mut ImportTx,
    st: &mut State,
    store: &Store,
    scope: &Scope,
    row: u64,
    mut p: Prepared,
    created_orgs: &mut Vec<String>,
) -> Result<(Written, Option<&'static str>), Failure> {
    let kind = st.kind;
    let fatal = Failure::Fatal;
    if let Some(key) = &st.object_type {
        p.record.insert("type".into(), Json::String(key.clone()));
    }
    // Organizations by name: found, else created.
    let mut org_ids = Vec::new();
    for (name, at) in p.organizations.clone() {
        let key = name.to_lowercase();
        let id = match st.orgs.get(&key) {
            Some(id) => *id,
            None => {
                let found = tx.find_by_name(scope, Kind::Organization, &name).await.map_err(fatal)?;
                let id = match found {
                    Some(id) => id,
                    None => {
                        let input: Record = [("name".to_string(), Json::String(name.clone()))].into_iter().collect();
                        match tx.create(scope, Kind::Organization, &input).await {
                            Ok(org) => {
                                created_orgs.push(name.clone());
                                org.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default()
                            }
                            Err(StoreError::Invalid(v)) => {
                                let problem =
                                    Problem::new("organization_not_created", format!("cannot create the organization: {v}"))
                                        .with("name", &name);
                                return Err(cell_error(row, &at, problem));
                            }
                            Err(e) => return Err(store_failure(e, row, &p, kind)),
                        }
                    }
                };
                st.orgs.insert(key, id);
                id
            }
        };
        org_ids.push(id);
    }
    if !org_ids.is_empty() {
        match kind {
            Kind::Deal => {
                p.record.entry("organization_id").or_insert(Json::String(org_ids[0].to_string()));
                p.sources.entry("organization_id".into()).or_default().push(p.organizations[0].1.clone());
            }
            _ => {
                let links = p.record.entry("organizations").or_insert_with(|| json!([]));
                if let Some(arr) = links.as_array_mut() {
                    for (i, id) in org_ids.iter().enumerate() {
                        arr.push(if kind == Kind::Person { json!({"id": id}) } else { json!(id) });
                        p.sources.entry("organizations".into()).or_default().push(p.organizations[i].1.clone());
                    }
                }
            }
        }
    }
    for (key, at) in p.people.clone() {
        match tx.find_person(scope, &key).await.map_err(fatal)? {
            Some(id) => {
                let links = p.record.entry("people").or_insert_with(|| json!([]));
                if let Some(arr) = links.as_array_mut() {
                    arr.push(if kind == Kind::Deal { json!({"id": id}) } else { json!(id) });
                }
                p.sources.entry("people".into()).or_default().push(at);
            }
            None => {
                let problem = Problem::new("person_not_found", format!("no person with the email or external id '{key}'"))
                    .with("key", &key);
                return Err(cell_error(row, &at, problem));
            }
        }
    }
    for (key, at) in p.deals.clone() {
        let by_ext: Record = [("external_id".to_string(), Json::String(key.clone()))].into_iter().collect();
        let found = match tx.find_existing(scope, Kind::Deal, &by_ext).await.map_err(fatal)? {
            Some((r, _)) => r.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()),
            None => tx.find_by_name(scope, Kind::Deal, &key).await.map_err(fatal)?,
        };
        match found {
            Some(id) => {
                let links = p.record.entry("deals").or_insert_with(|| json!([]));
                if let Some(arr) = links.as_array_mut() {
                    arr.push(json!(id));
                }
                p.sources.entry("deals".into()).or_default().push(at);
            }
            None => {
                let problem =
                    Problem::new("deal_not_found", format!("no deal with the external id or name '{key}'")).with("key", &key);
                return Err(cell_error(row, &at, problem));
            }
        }
    }
    if let Some((email, at)) = p.owner.clone() {
        let key = email.trim().to_lowercase();
        let id = match st.users.get(&key) {
            Some(id) => *id,
            None => {
                let id = store.user_by_email(scope.workspace_id, &key).await.map_err(fatal)?;
                st.users.insert(key.clone(), id);
                id
            }
        };
        match id {
            Some(id) => {
                p.record.insert("owner_id".into(), Json::String(id.to_string()));
                p.sources.entry("owner_id".into()).or_default().push(at);
            }
            None => {
                let problem = Problem::new("user_not_found", format!("no user with the email '{email}'")).with("email", &email);
                return Err(cell_error(row, &at, problem));
            }
        }
    }
    let existing = tx.find_existing(scope, kind, &p.record).await.map_err(fatal)?;
    if matches!(kind, Kind::Deal | Kind::Object) && (p.pipeline.is_some() || p.stage.is_some()) {
        let current_pipeline = p
            .record
            .get("pipeline_id")
            .or_else(|| existing.as_ref().and_then(|(r, _)| r.get("pipeline_id")))
            .and_then(Json::as_str)
            .and_then(|s| Uuid::parse_str(s).ok());
        let pipeline = match &p.pipeline {
            Some((name, at)) => match st.pipelines.iter().find(|x| x.name.eq_ignore_ascii_case(name.trim())) {
                Some(x) => x,
                None => {
                    let names = st.pipelines.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join(", ");
                    let problem = Problem::new("pipeline_not_found", format!("no pipeline named '{name}' (there are: {names})"))
                        .with("name", name)
                        .with("pipelines", names);
                    return Err(cell_error(row, at, problem));
                }
            },
            None => match st
                .pipelines
                .iter()
                .find(|x| Some(x.id) == current_pipeline)
                .or_else(|| st.pipelines.iter().find(|x| x.is_default))
                // A custom kind with a status has its one pipeline.
                .or_else(|| st.pipelines.first().filter(|_| kind == Kind::Object))
            {
                Some(x) => x,
                None => {
                    let problem = match &st.object_type {
                        Some(key) => {
                            Problem::new("no_status", format!("{key} records have no status, so no stage")).with("kind", key)
                        }
                        None => Problem::new("no_pipeline", "the workspace has no pipeline"),
                    };
                    return Err(Failure::Row(vec![RowError::new(row, None, problem)]));
                }
            },
        };
        p.record.insert("pipeline_id".into(), Json::String(pipeline.id.to_string()));
        if let Some((name, at)) = &p.stage {
            match pipeline.stages.iter().find(|s| s.name.eq_ignore_ascii_case(name.trim())) {
                Some(s) => {
                    p.record.insert("stage_id".into(), Json::String(s.id.to_string()));
                    p.sources.entry("stage_id".into()).or_default().push(at.clone());
                }
                None => {
                    let names = pipeline.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
                    let message = format!("the pipeline '{}' has no stage named '{name}' (its stages: {names})", pipeline.name);
                    let problem = Problem::new("stage_not_found", message)
                        .with("pipeline", &pipeline.name)
                        .with("name", name)
                        .with("stages", names);
                    return Err(cell_error(row, at, problem));
                }
            }
        }
    }
    match existing {
        Some((current, matched_by)) => {
            let id = current.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default();
            let patch = patch_for(kind, &current, &p.record, tx.region());
            match tx.update(scope, kind, id, &patch).await {
                Ok(w) => Ok((w, Some(matched_by))),
                Err(e) => Err(store_failure(e, row, &p, kind)),
            }
        }
        None => match tx.create(scope, kind, &p.record).await {
            Ok(r) => Ok((Written::Created(r), None)),
            Err(e) => Err(store_failure(e, row, &p, kind)),
        },
    }
}

/// Imports every row of `reader`. Returns the counts; every row's outcome goes
/// to the observer as it happens, and bad rows to `rejects` when given.
pub async fn run(
    store: &Store,
    scope: &Scope,
    reader: RowReader,
    opts: &Options,
    observer: &mut dyn Observer,
    rejects: Option<Box<dyn Write + Send>>,
) -> Result<Summary, ImportError> {
    let kind = opts.kind;
    if !mapping::KINDS.contains(&kind) && kind != Kind::Object {
        return Err(ImportError::Mapping(vec![format!(
            "{} cannot be imported; import people, organizations, deals, activities or a custom kind's records",
            kind.collection()
        )]));
    }
    store.check_import(scope, kind)?;
    let ws = store.workspace(scope).await?;
    let (custom, pipelines): (Vec<CustomField>, Vec<Pipeline>) = match (kind, &opts.object_type) {
        (Kind::Object, Some(def)) => (def.fields.clone(), def.pipeline.iter().cloned().collect()),
        (Kind::Object, None) => return Err(ImportError::Mapping(vec!["name the custom record kind to import".into()])),
        (Kind::Deal, _) => (store.custom_fields(scope, kind).await?, store.pipelines(scope).await?),
        _ if kind.has_custom_fields() => (store.custom_fields(scope, kind).await?, vec![]),
        _ => (vec![], vec![]),
    };
    let ctx = Context::new(kind, custom.clone(), &ws.currency, &ws.phone_region, &ws.time_zone);
    let columns = reader.columns.clone();
    let mapping = match &opts.mapping {
        Some(m) => m.clone(),
        None => mapping::suggested_mapping(kind, &columns, &custom),
    };
    if mapping.columns.is_empty() {
        return Err(ImportError::Mapping(vec![format!(
            "no column of the file could be matched to a field of {}: give a mapping (columns: {})",
            kind.collection(),
            columns.join(", ")
        )]));
    }
    let mut warnings = Vec::new();
    if reader.format != Format::Json {
        for (c, _) in &mapping.columns {
            if !columns.contains(c) {
                warnings.push(format!("the mapping names the column '{c}', which the file does not have"));
            }
        }
    }
    let started = Started {
        format: reader.format.as_str(),
        encoding: reader.encoding.clone(),
        delimiter: reader.delimiter.map(|d| if d == b'\t' { "tab".to_string() } else { (d as char).to_string() }),
        columns: columns.clone(),
        mapping: mapping.to_json(),
        warnings,
    };
    observer.started(&started);
    let mut rejects = match rejects {
        Some(out) => Some(Rejects::new(out, reader.format, &columns, reader.delimiter)?),
        None => None,
    };
    let object_type = opts.object_type.as_ref().map(|d| d.key.clone());
    let mut st = State { kind, object_type, ctx, pipelines, orgs: HashMap::new(), users: HashMap::new() };
    let batch_size = opts.batch_size.max(1);
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Row, SourceError>>(batch_size.clamp(16, 1024));
    let producer = tokio::task::spawn_blocking(move || {
        for r in reader {
            if sender.blocking_send(r).is_err() {
                break;
            }
        }
    });
    // Partial imports commit each batch; the others keep one transaction to the end.
    let keep_open = opts.dry_run || opts.mode == Mode::AllOrNothing;
    let mut counts = Counts::default();
    let mut tx: Option<ImportTx> = None;
    let mut closed = false;
    let result: Result<(), ImportError> = async {
        while !closed {
            let mut batch = Vec::with_capacity(batch_size);
            while batch.len() < batch_size {
                match receiver.recv().await {
                    Some(r) => batch.push(r),
                    None => {
                        closed = true;
                        break;
                    }
                }
            }
            if batch.is_empty() {
                break;
            }
            if tx.is_none() {
                tx = Some(store.begin_import(scope).await?);
            }
            let t = tx.as_mut().expect("transaction");
            for item in batch {
                counts.rows += 1;
                let row = match item {
                    Ok(row) => row,
                    Err(e) => {
                        let (number, problem) = match e {
                            SourceError::Row { row, problem } => (row, problem),
                            other => (counts.rows + 1, Problem::new("unreadable_file", other.to_string())),
                        };
                        counts.failed += 1;
                        let err = RowError::new(number, None, problem);
                        observer.row(&RowReport {
                            row: number,
                            action: "failed",
                            id: None,
                            label: None,
                            matched_by: None,
                            organizations_created: vec![],
                            errors: vec![err],
                        });
                        continue;
                    }
                };
                let number = row.number;
                let (p, bad_cells) = convert::convert(&st.ctx, &mapping, &row);
                let mut cell_errors: Vec<RowError> =
                    bad_cells.into_iter().map(|e| RowError::new(number, Some(&e.cell), e.problem)).collect();
                let outcome = if p.is_empty() && cell_errors.is_empty() {
                    Ok(None)
                } else {
                    t.savepoint().await?;
                    let mut created_orgs = Vec::new();
                    let r = apply(t, &mut st, store, scope, number, p, &mut created_orgs).await;
                    match r {
                        // A row with values that could not be read is checked whole, then undone.
                        Ok(w) if cell_errors.is_empty() => {
                            t.release().await?;
                            Ok(Some((w, created_orgs)))
                        }
                        other => {
                            t.rollback_row().await?;
                            // Organizations created for this row are gone with it.
                            for name in &created_orgs {
                                st.orgs.remove(&name.to_lowercase());
                            }
                            match other {
                                Err(Failure::Fatal(e)) => Err(Failure::Fatal(e)),
                                Err(Failure::Row(errs)) => {
                                    cell_errors.extend(errs);
                                    Err(Failure::Row(cell_errors))
                                }
                                Ok(_) => Err(Failure::Row(cell_errors)),
                            }
                        }
                    }
                };
                let report = match outcome {
                    Ok(None) => {
                        counts.skipped += 1;
                        RowReport {
                            row: number,
                            action: "skipped",
                            id: None,
                            label: None,
                            matched_by: None,
                            organizations_created: vec![],
                            errors: vec![],
                        }
                    }
                    Ok(Some(((w, matched_by), orgs))) => {
                        counts.organizations_created += orgs.len() as u64;
                        let (action, r) = match w {
                            Written::Created(r) => {
                                counts.created += 1;
                                ("created", r)
                            }
                            Written::Updated(r) => {
                                counts.updated += 1;
                                ("updated", r)
                            }
                            Written::Unchanged(r) => {
                                counts.skipped += 1;
                                ("skipped", r)
                            }
                        };
                        RowReport {
                            row: number,
                            action,
                            id: r.get("id").and_then(Json::as_str).map(str::to_string),
                            label: label_of(kind, &r),
                            matched_by,
                            organizations_created: orgs,
                            errors: vec![],
                        }
                    }
                    Err(Failure::Fatal(e)) => return Err(e.into()),
                    Err(Failure::Row(errors)) => {
                        counts.failed += 1;
                        if let Some(rj) = rejects.as_mut() {
                            let message = errors
                                .iter()
                                .map(|e| match &e.column {
                                    Some(c) => format!("{c}: {}", e.message),
                                    None => e.message.clone(),
                                })
                                .collect::<Vec<_>>()
                                .join("; ");
                            rj.write(&row.original, columns.len(), &message)?;
                        }
                        RowReport {
                            row: number,
                            action: "failed",
                            id: None,
                            label: None,
                            matched_by: None,
                            organizations_created: vec![],
                            errors,
                        }
                    }
                };
                observer.row(&report);
            }
            if !keep_open && let Some(t) = tx.take() {
                t.commit().await?;
            }
            observer.progress(&counts);
        }
        Ok(())
    }
    .await;
    drop(receiver);
    let _ = producer.await;
    if let Err(e) = result {
        if let Some(t) = tx.take() {
            let _ = t.rollback().await;
        }
        return Err(e);
    }
    let keep = !(opts.dry_run || (opts.mode == Mode::AllOrNothing && counts.failed > 0));
    if let Some(t) = tx.take() {
        if keep { t.commit().await? } else { t.rollback().await? }
    }
    if let Some(rj) = rejects {
        rj.finish()?;
    }
    if keep {
        // Many new rows change the planner's picture of the tables.
        store.optimize().await?;
    }
    Ok(Summary { started, counts, dry_run: opts.dry_run, mode: opts.mode, committed: keep })
}

/// Suggests a mapping for the start of a file: what it is, its columns, and a target for each.
pub fn describe(reader: &RowReader, kind: Kind, custom: &[CustomField]) -> Json {
    let suggestions = mapping::suggest(kind, &reader.columns, custom);
    let m = mapping::suggested_mapping(kind, &reader.columns, custom);
    json!({
        "kind": kind.collection(),
        "format": reader.format.as_str(),
        "encoding": reader.encoding,
        "delimiter": reader.delimiter.map(|d| if d == b'\t' { "tab".to_string() } else { (d as char).to_string() }),
        "columns": reader.columns,
        "suggestions": suggestions,
        "mapping": m.to_json(),
        "targets": mapping::targets(kind, custom),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rapport_domain::{FieldError, ValidationErrors};
    use rapport_store::Conflict;

    use super::*;

    fn row_errors(f: Failure) -> Vec<RowError> {
        match f {
            Failure::Row(errors) => errors,
            Failure::Fatal(e) => panic!("not a row's failure: {e}"),
        }
    }

    #[test]
    fn store_refusals_keep_their_codes_and_their_english() {
        let title = CellRef { column: Arc::from("Title"), number: 2 };
        let mut p = Prepared::default();
        p.sources.insert("title".into(), vec![title]);
        let invalid = ValidationErrors(vec![
            FieldError::new("title", "too_long", "is longer than 200 characters").with("max", 200),
            FieldError::new("name", "required", "is required"),
        ]);
        let errs = row_errors(store_failure(StoreError::Invalid(invalid), 4, &p, Kind::Person));
        let expected = RowError {
            row: 4,
            column: Some("Title".into()),
            column_number: Some(2),
            field: Some("title".into()),
            code: "validation.too_long".into(),
            args: vec![("max".into(), "200".into())],
            message: "is longer than 200 characters".into(),
        };
        assert_eq!(errs[0], expected);
        // No column filled the field: the English names it.
        assert_eq!(errs[1].code(), Code::Validation("required"));
        assert_eq!((errs[1].column.as_deref(), errs[1].message.as_str()), (None, "name: is required"));

        let busy = Conflict::new("busy", "others are changing this record right now; try again");
        let errs = row_errors(store_failure(busy.into(), 4, &p, Kind::Person));
        assert_eq!(errs[0].code(), Code::Conflict("busy"));
        assert_eq!(errs[0].message, "others are changing this record right now; try again");

        let errs = row_errors(store_failure(StoreError::NotFound, 5, &p, Kind::Deal));
        assert_eq!(
            (errs[0].code(), errs[0].message.as_str()),
            (Code::Import("not_visible"), "the deal this row matched is not visible to you")
        );
        assert_eq!(errs[0].args, vec![("kind".to_string(), "deal".to_string())]);
        let errs = row_errors(store_failure(StoreError::VersionMismatch { expected: 1, current: 2 }, 5, &p, Kind::Deal));
        assert_eq!(errs[0].code(), Code::Import("changed_during_import"));
        assert!(matches!(store_failure(StoreError::Config("down".into()), 5, &p, Kind::Deal), Failure::Fatal(_)));
    }

    #[test]
    fn a_row_error_is_json_with_its_code_and_values() {
        let at = CellRef { column: Arc::from("Birthday"), number: 6 };
        let problem = Problem::new("not_a_date", "'someday' is not a date (e.g. 2025-01-31)").with("value", "someday");
        let e = RowError::new(3, Some(&at), problem);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            json!({"row": 3, "column": "Birthday", "column_number": 6, "code": "not_a_date",
                   "args": [["value", "someday"]], "message": "'someday' is not a date (e.g. 2025-01-31)"})
        );
        assert_eq!(serde_json::from_value::<RowError>(json).unwrap(), e);
        assert_eq!(e.display("people.csv"), "people.csv:3:6: [Birthday] 'someday' is not a date (e.g. 2025-01-31)");
        let bare =
            serde_json::to_value(RowError::new(2, None, Problem::new("no_pipeline", "the workspace has no pipeline"))).unwrap();
        assert!(bare.get("args").is_none() && bare.get("field").is_none(), "{bare}");
        // Kept before errors had codes: read back with none.
        let old: RowError =
            serde_json::from_value(json!({"row": 2, "column": null, "column_number": null, "message": "x"})).unwrap();
        assert_eq!((old.code(), old.message.as_str()), (Code::None, "x"));
    }
}
