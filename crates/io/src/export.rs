//! Exports of a list of records: CSV (one column per field, lists joined with
//! "; ", names beside ids so that the file reads well and imports back), vCard
//! 4.0 (people and organizations), JSON (an array) and JSON Lines. Records are
//! read a page at a time with the list's own cursors, so an export streams.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use rapport_domain::Kind;
use rapport_domain::custom::{self, CustomField, CustomType};
use rapport_domain::filter::{self, Filter};
use rapport_domain::schema::{self, Access, FieldType};
use rapport_store::object_types::ObjectType;
use rapport_store::pipelines::Pipeline;
use rapport_store::{ListQuery, Record, Scope, Store, StoreError};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::mapping::ADDRESS_PARTS;
use crate::vcard;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Vcard,
    Json,
    Jsonl,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv),
            "vcard" | "vcf" => Some(ExportFormat::Vcard),
            "json" => Some(ExportFormat::Json),
            "jsonl" | "ndjson" | "json-lines" => Some(ExportFormat::Jsonl),
            _ => None,
        }
    }
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Vcard => "text/vcard; charset=utf-8",
            ExportFormat::Json => "application/json",
            ExportFormat::Jsonl => "application/x-ndjson",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Vcard => "vcf",
            ExportFormat::Json => "json",
            ExportFormat::Jsonl => "jsonl",
        }
    }
}

/// Names shown beside ids: organizations, owners (by email), pipelines and stages.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub organizations: HashMap<String, String>,
    pub users: HashMap<String, String>,
    /// Stage id -> (pipeline name, stage name).
    pub stages: HashMap<String, (String, String)>,
}

/// A CSV column: a field, a part of one, or a name beside an id.
#[derive(Debug, Clone)]
enum Column {
    Plain(&'static str),
    Part(&'static str, &'static str),
    Custom(String, CustomType),
    OrgNames(&'static str),
    OwnerEmail,
    PipelineName,
    StageName,
}

impl Column {
    fn header(&self) -> String {
        match self {
            Column::Plain(f) => f.to_string(),
            Column::Part(f, p) => format!("{f}.{p}"),
            Column::Custom(k, _) => format!("custom.{k}"),
            Column::OrgNames(_) => "organization".into(),
            Column::OwnerEmail => "owner".into(),
            Column::PipelineName => "pipeline".into(),
            Column::StageName => "stage".into(),
        }
    }
}

fn columns(kind: Kind, custom: &[CustomField]) -> Vec<Column> {
    let mut out = vec![Column::Plain("id")];
    for f in schema::fields(kind) {
        match f.ty {
            FieldType::Address | FieldType::Addresses => {
                out.extend(ADDRESS_PARTS.iter().map(|p| Column::Part(f.name, p)));
                continue;
            }
            _ => out.push(Column::Plain(f.name)),
        }
        match (kind, f.name) {
            (Kind::Person | Kind::Activity, "organizations") | (Kind::Deal, "organization_id") => {
                out.push(Column::OrgNames(f.name))
            }
            (_, "owner_id") => out.push(Column::OwnerEmail),
            (Kind::Deal, "stage_id") => {
                out.push(Column::PipelineName);
                out.push(Column::StageName);
            }
            // A custom kind has one pipeline of its own: the stage's name says enough.
            (Kind::Object, "stage_id") => out.push(Column::StageName),
            _ => {}
        }
    }
    out.extend(custom.iter().filter(|c| !c.is_deleted()).map(|c| Column::Custom(c.key.clone(), c.ty)));
    out.extend(["created_at", "updated_at"].map(Column::Plain));
    out
}

/// A value as one CSV cell: lists joined with "; ".
pub fn cell(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Array(items) => items
            .iter()
            .map(|i| match i {
                Json::Object(o) => o
                    .get("address")
                    .or_else(|| o.get("number"))
                    .or_else(|| o.get("id"))
                    .map(cell)
                    .unwrap_or_else(|| i.to_string()),
                other => cell(other),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn ids(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::Array(items)) => {
            items.iter().filter_map(|i| i.as_str().or_else(|| i.get("id").and_then(Json::as_str))).map(str::to_string).collect()
        }
        Some(Json::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

/// Writes records in one format, a page at a time.
pub struct Exporter {
    kind: Kind,
    format: ExportFormat,
    columns: Vec<Column>,
    written: u64,
}

impl Exporter {
    /// vCard is for people and organizations only.
    pub fn new(kind: Kind, format: ExportFormat, custom: &[CustomField]) -> Result<Exporter, String> {
        if format == ExportFormat::Vcard && !matches!(kind, Kind::Person | Kind::Organization) {
            return Err(format!("vCard export is for people and organizations, not {}", kind.collection()));
        }
        Ok(Exporter { kind, format, columns: columns(kind, custom), written: 0 })
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    pub fn header(&mut self) -> Vec<u8> {
        match self.format {
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                let _ = w.write_record(self.columns.iter().map(Column::header));
                w.into_inner().unwrap_or_default()
            }
            ExportFormat::Json => b"[".to_vec(),
            _ => Vec::new(),
        }
    }

    pub fn page(&mut self, records: &[Record], names: &Names) -> Vec<u8> {
        let mut out = Vec::new();
        match self.format {
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                for r in records {
                    let row: Vec<String> = self.columns.iter().map(|c| self.csv_value(c, r, names)).collect();
                    let _ = w.write_record(&row);
                }
                out = w.into_inner().unwrap_or_default();
            }
            ExportFormat::Json => {
                for r in records {
                    out.extend_from_slice(if self.written == 0 { b"\n" } else { b",\n" });
                    out.extend_from_slice(Json::Object(self.live_custom(r)).to_string().as_bytes());
                    self.written += 1;
                }
                return out;
            }
            ExportFormat::Jsonl => {
                for r in records {
                    out.extend_from_slice(Json::Object(self.live_custom(r)).to_string().as_bytes());
                    out.push(b'\n');
                }
            }
            ExportFormat::Vcard => {
                for r in records {
                    let orgs: Vec<String> =
                        ids(r.get("organizations")).iter().filter_map(|id| names.organizations.get(id).cloned()).collect();
                    out.extend_from_slice(vcard::write_card(self.kind, r, &orgs).as_bytes());
                }
            }
        }
        self.written += records.len() as u64;
        out
    }

    pub fn footer(&mut self) -> Vec<u8> {
        match self.format {
            ExportFormat::Json => b"\n]\n".to_vec(),
            _ => Vec::new(),
        }
    }

    /// The record with the values of deleted custom fields left out.
    fn live_custom(&self, r: &Record) -> Record {
        let mut r = r.clone();
        if let Some(Json::Object(c)) = r.get_mut("custom") {
            c.retain(|k, _| self.columns.iter().any(|col| matches!(col, Column::Custom(key, _) if key == k)));
        }
        r
    }

    fn csv_value(&self, c: &Column, r: &Record, names: &Names) -> String {
        match c {
            Column::Plain(f) => cell(r.get(*f).unwrap_or(&Json::Null)),
            Column::Part(f, p) => {
                let a = match r.get(*f) {
                    Some(Json::Array(items)) => items.first(),
                    other => other,
                };
                a.and_then(|a| a.get(*p)).map(cell).unwrap_or_default()
            }
            Column::Custom(k, ty) => r.get("custom").and_then(|c| c.get(k)).map(|v| custom::to_text(*ty, v)).unwrap_or_default(),
            Column::OrgNames(f) => {
                ids(r.get(*f)).iter().filter_map(|id| names.organizations.get(id).cloned()).collect::<Vec<_>>().join("; ")
            }
            Column::OwnerEmail => {
                r.get("owner_id").and_then(Json::as_str).and_then(|id| names.users.get(id).cloned()).unwrap_or_default()
            }
            Column::PipelineName | Column::StageName => {
                let stage = r.get("stage_id").and_then(Json::as_str).and_then(|id| names.stages.get(id));
                match (c, stage) {
                    (Column::PipelineName, Some((p, _))) => p.clone(),
                    (Column::StageName, Some((_, s))) => s.clone(),
                    _ => String::new(),
                }
            }
        }
    }
}

/// Whether the format needs the names of related records.
fn needs_names(format: ExportFormat) -> bool {
    matches!(format, ExportFormat::Csv | ExportFormat::Vcard)
}

/// Looks up the organization names a page refers to.
async fn org_names(store: &Store, scope: &Scope, records: &[Record], names: &mut Names) -> Result<(), StoreError> {
    let wanted: BTreeSet<Uuid> = records
        .iter()
        .flat_map(|r| ids(r.get("organizations")).into_iter().chain(ids(r.get("organization_id"))))
        .filter(|id| !names.organizations.contains_key(id))
        .filter_map(|id| Uuid::parse_str(&id).ok())
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    // Organizations the caller may not see are left unnamed.
    let found = match store.get_many(scope, Kind::Organization, &wanted.into_iter().collect::<Vec<_>>()).await {
        Ok(f) => f,
        Err(StoreError::Forbidden(_)) => vec![],
        Err(e) => return Err(e),
    };
    for o in found {
        if let (Some(id), Some(name)) = (o.get("id").and_then(Json::as_str), o.get("name").and_then(Json::as_str)) {
            names.organizations.insert(id.to_string(), name.to_string());
        }
    }
    Ok(())
}

/// Every record of a kind matching a query, a page at a time, as the chunks of an export.
pub struct ExportStream {
    store: Store,
    scope: Scope,
    kind: Kind,
    query: ListQuery,
    exporter: Exporter,
    names: Names,
    state: State,
}

enum State {
    Start,
    Page(Option<String>),
    Footer,
    Done,
}

impl ExportStream {
    pub async fn new(
        store: Store,
        scope: Scope,
        kind: Kind,
        format: ExportFormat,
        query: ListQuery,
    ) -> Result<ExportStream, ExportError> {
        let custom = if kind.has_custom_fields() { store.custom_fields(&scope, kind).await? } else { vec![] };
        let pipelines = if kind == Kind::Deal && needs_names(format) { store.pipelines(&scope).await? } else { vec![] };
        ExportStream::build(store, scope, kind, format, query, &custom, &pipelines).await
    }

    /// The records of one custom record kind matching the query (which need not name the kind).
    pub async fn of_object_type(
        store: Store,
        scope: Scope,
        def: &ObjectType,
        format: ExportFormat,
        mut query: ListQuery,
    ) -> Result<ExportStream, ExportError> {
        let of_kind = filter::condition(Kind::Object, "type", "eq", &def.key, &[])
            .map_err(|e| ExportError::Store(StoreError::Invalid(e)))?;
        query.filter = Filter::All(vec![Filter::Cond(of_kind), query.filter]);
        let pipelines: Vec<Pipeline> = def.pipeline.iter().cloned().collect();
        ExportStream::build(store, scope, Kind::Object, format, query, &def.fields, &pipelines).await
    }

    async fn build(
        store: Store,
        scope: Scope,
        kind: Kind,
        format: ExportFormat,
        mut query: ListQuery,
        custom: &[CustomField],
        pipelines: &[Pipeline],
    ) -> Result<ExportStream, ExportError> {
        let exporter = Exporter::new(kind, format, custom).map_err(ExportError::Unsupported)?;
        let mut names = Names::default();
        if needs_names(format) {
            for p in pipelines {
                for s in &p.stages {
                    names.stages.insert(s.id.to_string(), (p.name.clone(), s.name.clone()));
                }
            }
            if schema::field(kind, "owner_id").is_some_and(|f| f.access == Access::Write) {
                let mut q = ListQuery { limit: 500, ..ListQuery::default() };
                loop {
                    let page = match store.list(&scope, Kind::User, &q).await {
                        Ok(p) => p,
                        Err(StoreError::Forbidden(_)) => break,
                        Err(e) => return Err(e.into()),
                    };
                    for u in &page.items {
                        if let (Some(id), Some(email)) =
                            (u.get("id").and_then(Json::as_str), u.get("email").and_then(Json::as_str))
                        {
                            names.users.insert(id.to_string(), email.to_string());
                        }
                    }
                    match page.next_cursor {
                        Some(c) => q.cursor = Some(c),
                        None => break,
                    }
                }
            }
        }
        query.limit = 500;
        query.cursor = None;
        Ok(ExportStream { store, scope, kind, query, exporter, names, state: State::Start })
    }

    pub fn records_written(&self) -> u64 {
        self.exporter.written()
    }

    /// The next chunk of the file; `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, StoreError> {
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Start => {
                    self.state = State::Page(None);
                    let h = self.exporter.header();
                    if !h.is_empty() {
                        return Ok(Some(h));
                    }
                }
                State::Page(cursor) => {
                    let mut q = self.query.clone();
                    q.cursor = cursor;
                    let page = self.store.list(&self.scope, self.kind, &q).await?;
                    if needs_names(self.exporter.format) {
                        org_names(&self.store, &self.scope, &page.items, &mut self.names).await?;
                    }
                    self.state = match page.next_cursor {
                        Some(c) => State::Page(Some(c)),
                        None => State::Footer,
                    };
                    let chunk = self.exporter.page(&page.items, &self.names);
                    if !chunk.is_empty() {
                        return Ok(Some(chunk));
                    }
                }
                State::Footer => {
                    self.state = State::Done;
                    let f = self.exporter.footer();
                    if !f.is_empty() {
                        return Ok(Some(f));
                    }
                }
                State::Done => return Ok(None),
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes every record of a kind matching the query; returns how many.
pub async fn export(
    store: &Store,
    scope: &Scope,
    kind: Kind,
    format: ExportFormat,
    query: ListQuery,
    out: &mut (dyn Write + Send),
) -> Result<u64, ExportError> {
    let mut s = ExportStream::new(store.clone(), scope.clone(), kind, format, query).await?;
    while let Some(chunk) = s.next_chunk().await? {
        out.write_all(&chunk)?;
    }
    out.flush()?;
    Ok(s.records_written())
}
