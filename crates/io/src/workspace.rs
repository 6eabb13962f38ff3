//! A whole workspace as one JSON Lines file, that a fresh Rapport imports back
//! with nothing lost: the settings it needs first (custom record kinds, custom
//! fields, pipelines, users), then organizations, people, deals, custom
//! records, activities and tasks, each record as the API shows it. On import, ids are mapped to the new records as they are
//! written, so links, owners, parents and stages point where they did; the map
//! is kept, so importing the same file again updates instead of duplicating.
//!
//! ```text
//! {"rapport_export": 1, "workspace": {...}, "exported_at": "..."}
//! {"type": "object_type", "object_type": {"key": "contract", ...}}
//! {"type": "custom_field", "kind": "person", "field": {...}}
//! {"type": "custom_field", "kind": "contract", "field": {...}}
//! {"type": "pipeline", "pipeline": {...}}
//! {"type": "user", "record": {...}}
//! {"type": "organization", "record": {...}}
//! ...
//! ```

use std::collections::HashMap;
use std::io::{BufRead, Read, Write};

use rapport_domain::custom::{CustomField, CustomType};
use rapport_domain::schema::{self, Access, FieldType};
use rapport_domain::value::{format_datetime, now};
use rapport_domain::{Kind, ValidationErrors};
use rapport_store::imports::{ImportTx, Written};
use rapport_store::object_types::ObjectTypeInput;
use rapport_store::pipelines::{Pipeline, PipelineInput, StageInput};
use rapport_store::{ListQuery, Record, Scope, Store, StoreError};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::export::ExportError;
use crate::import::{Counts, ImportError, Mode, Observer, RowError, RowReport, Started, Summary, patch_for};
use crate::problem::Problem;

/// The kinds of records in a workspace export, in the order they are written
/// and read: what a record links to comes before it (custom records may point
/// at organizations, people and deals; activities and tasks at any of them).
pub const KINDS: [Kind; 6] = [Kind::Organization, Kind::Person, Kind::Deal, Kind::Object, Kind::Activity, Kind::Task];

/// The first line of a workspace export names it; anything else is a plain import file.
pub fn is_workspace_export(first_line: &str) -> bool {
    serde_json::from_str::<Json>(first_line.trim_start_matches('\u{feff}'))
        .ok()
        .is_some_and(|v| v.get("rapport_export").is_some())
}

fn line(v: Json) -> Vec<u8> {
    let mut b = v.to_string().into_bytes();
    b.push(b'\n');
    b
}

enum State {
    Header,
    Users(Option<String>),
    Records(usize, Option<String>),
    Done,
}

/// A workspace export, chunk by chunk.
pub struct WorkspaceExport {
    store: Store,
    scope: Scope,
    state: State,
    pub counts: HashMap<&'static str, u64>,
}

impl WorkspaceExport {
    pub fn new(store: Store, scope: Scope) -> WorkspaceExport {
        WorkspaceExport { store, scope, state: State::Header, counts: HashMap::new() }
    }

    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, StoreError> {
        let page_of = |cursor: Option<String>| ListQuery { limit: 500, cursor, ..ListQuery::default() };
        match std::mem::replace(&mut self.state, State::Done) {
            State::Header => {
                let ws = self.store.workspace(&self.scope).await?;
                let mut out = line(json!({
                    "rapport_export": 1,
                    "exported_at": format_datetime(&now()),
                    "workspace": {"id": ws.id, "name": ws.name, "currency": ws.currency, "phone_region": ws.phone_region, "time_zone": ws.time_zone},
                }));
                // Custom kinds first: relation fields of any kind may point at them.
                let object_types = self.store.object_types(&self.scope).await?;
                for t in &object_types {
                    out.extend(line(json!({"type": "object_type", "object_type": t})));
                }
                for kind in KINDS.into_iter().filter(|k| k.has_custom_fields() && *k != Kind::Object) {
                    for f in self.store.custom_fields(&self.scope, kind).await? {
                        out.extend(line(json!({"type": "custom_field", "kind": kind.as_str(), "field": f})));
                    }
                }
                for t in &object_types {
                    for f in &t.fields {
                        out.extend(line(json!({"type": "custom_field", "kind": t.key, "field": f})));
                    }
                }
                for p in self.store.pipelines(&self.scope).await? {
                    out.extend(line(json!({"type": "pipeline", "pipeline": p})));
                }
                self.state = State::Users(None);
                Ok(Some(out))
            }
            State::Users(cursor) => {
                let page = match self.store.list(&self.scope, Kind::User, &page_of(cursor)).await {
                    Ok(p) => p,
                    // Without the right to read users, owners are not exported.
                    Err(StoreError::Forbidden(_)) => rapport_store::ListPage { items: vec![], next_cursor: None },
                    Err(e) => return Err(e),
                };
                let mut out = Vec::new();
                for r in &page.items {
                    out.extend(line(json!({"type": "user", "record": r})));
                }
                *self.counts.entry("user").or_default() += page.items.len() as u64;
                self.state = match page.next_cursor {
                    Some(c) => State::Users(Some(c)),
                    None => State::Records(0, None),
                };
                Ok(Some(out))
            }
            State::Records(i, cursor) => {
                let Some(kind) = KINDS.get(i).copied() else { return Ok(None) };
                let page = self.store.list(&self.scope, kind, &page_of(cursor)).await?;
                let mut out = Vec::new();
                for r in &page.items {
                    out.extend(line(json!({"type": kind.as_str(), "record": r})));
                }
                *self.counts.entry(kind.as_str()).or_default() += page.items.len() as u64;
                self.state = match page.next_cursor {
                    Some(c) => State::Records(i, Some(c)),
                    None => State::Records(i + 1, None),
                };
                Ok(Some(out))
            }
            State::Done => Ok(None),
        }
    }
}

/// Writes a whole workspace; returns how many records of each kind.
pub async fn export_workspace(
    store: &Store,
    scope: &Scope,
    out: &mut (dyn Write + Send),
) -> Result<HashMap<&'static str, u64>, ExportError> {
    let mut e = WorkspaceExport::new(store.clone(), scope.clone());
    while let Some(chunk) = e.next_chunk().await? {
        out.write_all(&chunk)?;
    }
    out.flush()?;
    Ok(e.counts)
}

/// Old ids to new ones, per kind.
#[derive(Default)]
struct Ids {
    map: HashMap<(Kind, String), Uuid>,
    stages: HashMap<String, (Uuid, Uuid)>,
    pipelines: HashMap<String, Uuid>,
}

impl Ids {
    fn get(&self, kind: Kind, old: &str) -> Option<Uuid> {
        self.map.get(&(kind, old.to_string())).copied()
    }
}

/// A problem with a line of the file, named by the field at fault (the file has no columns).
fn err(row: u64, field: Option<&str>, problem: Problem) -> RowError {
    RowError { column: field.map(str::to_string), field: field.map(str::to_string), ..RowError::new(row, None, problem) }
}

/// A record of the export made ready for this workspace: system and computed
/// fields dropped, ids of other records mapped to the new ones.
fn translate(
    kind: Kind,
    mut r: Record,
    defs: &[CustomField],
    ids: &Ids,
    row: u64,
    warnings: &mut Vec<RowError>,
) -> (Record, Option<String>) {
    let mut parent = None;
    for k in schema::SYSTEM_FIELDS.iter().chain(["included", "amount"].iter()) {
        r.remove(*k);
    }
    if let Some(Json::Object(custom)) = r.get_mut("custom") {
        relink_custom(custom, defs, ids, row, warnings);
    }
    let keys: Vec<String> = r.keys().cloned().collect();
    for k in keys {
        if k == "custom" {
            continue;
        }
        let Some(f) = schema::field(kind, &k) else {
            r.remove(&k);
            continue;
        };
        if f.access != Access::Write {
            r.remove(&k);
            continue;
        }
        let v = r.get(&k).cloned().unwrap_or(Json::Null);
        match f.ty {
            FieldType::Ref(target) => {
                let Some(old) = v.as_str() else { continue };
                match ids.get(target, old) {
                    Some(new) => {
                        r.insert(k.clone(), Json::String(new.to_string()));
                    }
                    None => {
                        r.remove(&k);
                        if kind == Kind::Organization && k == "parent_id" {
                            parent = Some(old.to_string());
                        } else {
                            let problem = Problem::new("not_in_export", format!("{target} {old} is not in the export: left out"))
                                .with("kind", target)
                                .with("id", old);
                            warnings.push(err(row, Some(&k), problem));
                        }
                    }
                }
            }
            FieldType::Pipeline => match v.as_str().and_then(|old| ids.pipelines.get(old)) {
                Some(new) => {
                    r.insert(k.clone(), Json::String(new.to_string()));
                }
                None => {
                    r.remove(&k);
                }
            },
            FieldType::Stage => match v.as_str().and_then(|old| ids.stages.get(old)) {
                Some((pipeline, stage)) => {
                    r.insert("pipeline_id".into(), Json::String(pipeline.to_string()));
                    r.insert(k.clone(), Json::String(stage.to_string()));
                }
                None => {
                    r.remove(&k);
                }
            },
            FieldType::Links { target, role } => {
                let items: Vec<Json> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|item| {
                        let old = item.as_str().or_else(|| item.get("id").and_then(Json::as_str))?;
                        let Some(new) = ids.get(target, old) else {
                            let message = format!("{target} {old} is not in the export: link left out");
                            let problem = Problem::new("link_not_in_export", message).with("kind", target).with("id", old);
                            warnings.push(err(row, Some(&k), problem));
                            return None;
                        };
                        Some(if role {
                            json!({"id": new, "role": item.get("role").cloned().unwrap_or(Json::Null)})
                        } else {
                            json!(new)
                        })
                    })
                    .collect();
                r.insert(k.clone(), Json::Array(items));
            }
            _ => {}
        }
    }
    // A deal's status follows its stage; both are kept, the stage wins.
    (r, parent)
}

/// Relation fields hold ids of the exporting workspace: each becomes the id of
/// the record it was imported as, or is left out with a warning.
fn relink_custom(
    custom: &mut serde_json::Map<String, Json>,
    defs: &[CustomField],
    ids: &Ids,
    row: u64,
    warnings: &mut Vec<RowError>,
) {
    for def in defs.iter().filter(|d| d.ty == CustomType::Relation) {
        let Some(v) = custom.get(&def.key).cloned() else { continue };
        let target = def.target.as_deref().and_then(Kind::parse).unwrap_or(Kind::Object);
        let field = format!("custom.{}", def.key);
        let mut map = |old: &str| {
            let new = ids.get(target, old);
            if new.is_none() {
                let target = def.target.as_deref().unwrap_or("record");
                let problem = Problem::new("not_in_export", format!("{target} {old} is not in the export: left out"))
                    .with("kind", target)
                    .with("id", old);
                warnings.push(err(row, Some(&field), problem));
            }
            new.map(|n| Json::String(n.to_string()))
        };
        let mapped = match &v {
            Json::String(old) => map(old).unwrap_or(Json::Null),
            Json::Array(items) => Json::Array(items.iter().filter_map(Json::as_str).filter_map(&mut map).collect()),
            _ => v.clone(),
        };
        if mapped.is_null() {
            custom.remove(&def.key);
        } else {
            custom.insert(def.key.clone(), mapped);
        }
    }
}

fn store_errors(row: u64, e: StoreError) -> Result<Vec<RowError>, ImportError> {
    let one = |problem: Problem| Ok(vec![err(row, None, problem)]);
    match e {
        StoreError::Invalid(ValidationErrors(errs)) => {
            Ok(errs.iter().map(|f| err(row, Some(&f.field), Problem::invalid(f, f.message.clone()))).collect())
        }
        StoreError::NotFound => one(Problem::new("not_visible", "not visible to you")),
        StoreError::Forbidden(m) => one(Problem::new("forbidden", m)),
        StoreError::Conflict(c) => one(Problem::conflict(c)),
        StoreError::VersionMismatch { .. } => one(Problem::new("changed_during_import", "changed during the import")),
        other => Err(other.into()),
    }
}

/// Imports a workspace export. Settings first (custom fields and pipelines
/// missing here are created, users are matched by email or created), then the
/// records in batches, a savepoint per record.
pub async fn import_workspace(
    store: &Store,
    scope: &Scope,
    input: impl Read + Send + 'static,
    dry_run: bool,
    observer: &mut dyn Observer,
) -> Result<Summary, ImportError> {
    for kind in KINDS {
        store.check_import(scope, kind)?;
    }
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<std::io::Result<(u64, String)>>(1024);
    let producer = tokio::task::spawn_blocking(move || {
        let reader = std::io::BufReader::new(crate::decode::Utf8Reader::new(input)?);
        for (i, l) in reader.lines().enumerate() {
            let item = l.map(|l| (i as u64 + 1, l));
            let stop = item.is_err();
            if sender.blocking_send(item).is_err() || stop {
                break;
            }
        }
        Ok::<(), std::io::Error>(())
    });
    let started = Started {
        format: "rapport",
        encoding: "UTF-8".into(),
        delimiter: None,
        columns: vec![],
        mapping: json!({}),
        warnings: vec![],
    };
    observer.started(&started);
    let mut counts = Counts::default();
    let mut ids = Ids::default();
    let mut source = String::new();
    let mut tx: Option<ImportTx> = None;
    let mut in_batch = 0usize;
    let mut parents: Vec<(Uuid, String, u64)> = Vec::new();
    let mut custom: HashMap<String, Vec<CustomField>> = HashMap::new();
    let mut pipelines = store.pipelines(scope).await?;
    // What the custom kinds made here show, set once their fields exist.
    let mut layouts: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    let result: Result<(), ImportError> = async {
        while let Some(item) = receiver.recv().await {
            let (row, text) = item.map_err(|e| ImportError::Source(e.into()))?;
            if text.trim().is_empty() {
                continue;
            }
            let v: Json = match serde_json::from_str(text.trim_start_matches('\u{feff}')) {
                Ok(v) => v,
                Err(e) => {
                    counts.rows += 1;
                    counts.failed += 1;
                    observer.row(&RowReport {
                        row,
                        action: "failed",
                        id: None,
                        label: None,
                        matched_by: None,
                        organizations_created: vec![],
                        errors: vec![err(
                            row,
                            None,
                            Problem::new("malformed_json", format!("malformed JSON: {e}"))
                                .with("line", e.line())
                                .with("column", e.column()),
                        )],
                    });
                    continue;
                }
            };
            if v.get("rapport_export").is_some() {
                source = v["workspace"]["id"].as_str().unwrap_or("unknown").to_string();
                continue;
            }
            let ty = v.get("type").and_then(Json::as_str).unwrap_or_default();
            let kind = Kind::parse(ty);
            let is_record = kind.is_some_and(|k| KINDS.contains(&k));
            // Settings go through the store directly: finish the open batch first.
            if !is_record && let Some(t) = tx.take() {
                if dry_run { t.rollback().await? } else { t.commit().await? }
            }
            match (ty, kind) {
                ("object_type", _) => {
                    let t = &v["object_type"];
                    let Some(key) = t["key"].as_str() else { continue };
                    let here = match store.object_type(scope, key).await {
                        Ok(x) => Some(x),
                        Err(StoreError::NotFound) if dry_run => None,
                        Err(StoreError::NotFound) => {
                            let has_status = t["has_status"].as_bool() == Some(true);
                            // Its custom fields come next: until then it shows its own columns only.
                            let shown = |name: &str| -> Vec<String> {
                                strings(&t[name]).into_iter().filter(|f| !f.starts_with("custom.")).collect()
                            };
                            let input = ObjectTypeInput {
                                key: Some(key.to_string()),
                                singular: t["singular"].as_str().map(str::to_string),
                                plural: t["plural"].as_str().map(str::to_string),
                                has_status: Some(has_status),
                                stages: has_status.then(|| stages_of(&t["pipeline"])),
                                list_fields: Some(shown("list_fields")),
                                record_fields: Some(shown("record_fields")),
                                fields: vec![],
                            };
                            match store.create_object_type(scope, &input).await {
                                Ok(x) => {
                                    layouts.push((key.to_string(), strings(&t["list_fields"]), strings(&t["record_fields"])));
                                    Some(x)
                                }
                                Err(e) => {
                                    let errors = store_errors(row, e)?;
                                    observer.row(&failed_setting(row, Some(format!("record kind {key}")), errors));
                                    None
                                }
                            }
                        }
                        Err(e) => return Err(e.into()),
                    };
                    if let Some(p) = here.and_then(|h| h.pipeline) {
                        map_pipeline(&mut ids, &t["pipeline"], &p);
                    }
                }
                ("custom_field", _) => {
                    let Some(owner) = v.get("kind").and_then(Json::as_str) else { continue };
                    let Ok(def) = serde_json::from_value::<CustomField>(v["field"].clone()) else { continue };
                    let builtin = Kind::parse(owner).filter(|k| *k != Kind::Object);
                    if builtin.is_some_and(|k| !k.has_custom_fields()) {
                        continue;
                    }
                    let known = fields_of(store, scope, &mut custom, owner).await?.iter().any(|d| d.key == def.key);
                    if !known && !dry_run {
                        let made = match builtin {
                            Some(k) => store.create_custom_field(scope, k, &def).await,
                            None => store.create_object_field(scope, owner, &def).await,
                        };
                        match made {
                            Ok(d) => custom.get_mut(owner).expect("loaded").push(d),
                            Err(e) => {
                                let errors = store_errors(row, e)?;
                                observer.row(&failed_setting(row, Some(format!("custom field {}", def.key)), errors));
                            }
                        }
                    }
                }
                ("pipeline", _) => {
                    let p = &v["pipeline"];
                    let name = p["name"].as_str().unwrap_or_default();
                    let existing = pipelines.iter().find(|x| x.name.eq_ignore_ascii_case(name)).cloned();
                    let here = match existing {
                        Some(x) => Some(x),
                        None if dry_run => None,
                        None => {
                            let input = PipelineInput { name: name.to_string(), stages: stages_of(p), is_default: false };
                            match store.create_pipeline(scope, &input).await {
                                Ok(x) => {
                                    pipelines.push(x.clone());
                                    Some(x)
                                }
                                Err(e) => {
                                    let errors = store_errors(row, e)?;
                                    observer.row(&failed_setting(row, Some(format!("pipeline {name}")), errors));
                                    None
                                }
                            }
                        }
                    };
                    if let Some(here) = here {
                        map_pipeline(&mut ids, p, &here);
                    }
                }
                ("user", Some(Kind::User)) => {
                    let r = &v["record"];
                    let (Some(old), Some(email)) = (r["id"].as_str(), r["email"].as_str()) else { continue };
                    let id = match store.user_by_email(scope.workspace_id, email).await? {
                        Some(id) => Some(id),
                        None if dry_run => None,
                        None => {
                            let mut input = Record::new();
                            for k in ["email", "name", "role", "active", "time_zone"] {
                                if let Some(x) = r.get(k).filter(|x| !x.is_null()) {
                                    input.insert(k.into(), x.clone());
                                }
                            }
                            match store.create(scope, Kind::User, &input, &Default::default()).await {
                                Ok((u, _)) => u.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()),
                                Err(e) => {
                                    let errors = store_errors(row, e)?;
                                    observer.row(&failed_setting(row, Some(email.to_string()), errors));
                                    None
                                }
                            }
                        }
                    };
                    if let Some(id) = id {
                        ids.map.insert((Kind::User, old.to_string()), id);
                    }
                }
                (_, Some(kind)) if is_record => {
                    counts.rows += 1;
                    let Some(Json::Object(rec)) = v.get("record").cloned() else {
                        counts.failed += 1;
                        continue;
                    };
                    if !layouts.is_empty() && !dry_run {
                        apply_layouts(store, scope, std::mem::take(&mut layouts), &mut custom, row, observer).await?;
                    }
                    let old = rec.get("id").and_then(Json::as_str).unwrap_or_default().to_string();
                    let key = format!("{source}:{old}");
                    let mut warnings = Vec::new();
                    let owner = match kind {
                        Kind::Object => rec.get("type").and_then(Json::as_str).unwrap_or_default().to_string(),
                        k => k.as_str().to_string(),
                    };
                    let defs = fields_of(store, scope, &mut custom, &owner).await?;
                    let (input, parent) = translate(kind, rec, defs, &ids, row, &mut warnings);
                    if tx.is_none() {
                        tx = Some(store.begin_import(scope).await?);
                    }
                    let t = tx.as_mut().expect("transaction");
                    t.savepoint().await?;
                    let matched = match t.find_by_key(scope, kind, &key).await? {
                        Some(r) => Some((r, "source_id")),
                        None => {
                            let ext = input.get("external_id").and_then(Json::as_str).filter(|s| !s.is_empty());
                            match ext {
                                Some(x) => {
                                    let probe: Record =
                                        [("external_id".to_string(), Json::String(x.to_string()))].into_iter().collect();
                                    t.find_existing(scope, kind, &probe).await?
                                }
                                None => None,
                            }
                        }
                    };
                    let written = match matched {
                        Some((current, by)) => {
                            let id = current
                                .get("id")
                                .and_then(Json::as_str)
                                .and_then(|s| Uuid::parse_str(s).ok())
                                .unwrap_or_default();
                            t.update(scope, kind, id, &patch_for(kind, &current, &input, t.region())).await.map(|w| (w, Some(by)))
                        }
                        None => t.create(scope, kind, &input).await.map(|r| (Written::Created(r), None)),
                    };
                    let report = match written {
                        Ok((w, matched_by)) => {
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
                            let id = r.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default();
                            t.save_key(scope, kind, &key, id).await?;
                            t.release().await?;
                            ids.map.insert((kind, old.clone()), id);
                            if let Some(p) = parent {
                                parents.push((id, p, row));
                            }
                            RowReport {
                                row,
                                action,
                                id: Some(id.to_string()),
                                label: r.get("name").or_else(|| r.get("subject")).and_then(Json::as_str).map(str::to_string),
                                matched_by,
                                organizations_created: vec![],
                                errors: warnings,
                            }
                        }
                        Err(e) => {
                            t.rollback_row().await?;
                            counts.failed += 1;
                            let mut errors = store_errors(row, e)?;
                            errors.extend(warnings);
                            RowReport {
                                row,
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
                    in_batch += 1;
                    if in_batch >= 500 && !dry_run {
                        in_batch = 0;
                        if let Some(t) = tx.take() {
                            t.commit().await?;
                        }
                        observer.progress(&counts);
                    }
                }
                _ => {}
            }
        }
        // A file of settings alone still sets what its kinds show.
        if !layouts.is_empty() && !dry_run {
            if let Some(t) = tx.take() {
                t.commit().await?;
            }
            apply_layouts(store, scope, std::mem::take(&mut layouts), &mut custom, 0, observer).await?;
        }
        // Parents named before they were imported.
        if !parents.is_empty() {
            if tx.is_none() {
                tx = Some(store.begin_import(scope).await?);
            }
            let t = tx.as_mut().expect("transaction");
            for (id, old_parent, row) in std::mem::take(&mut parents) {
                let Some(parent) = ids.get(Kind::Organization, &old_parent) else {
                    observer.row(&RowReport {
                        row,
                        action: "updated",
                        id: Some(id.to_string()),
                        label: None,
                        matched_by: None,
                        organizations_created: vec![],
                        errors: vec![err(
                            row,
                            Some("parent_id"),
                            Problem::new("parent_not_in_export", "the parent organization is not in the export: left out"),
                        )],
                    });
                    continue;
                };
                t.savepoint().await?;
                match t.update(scope, Kind::Organization, id, &json!({"parent_id": parent})).await {
                    Ok(_) => t.release().await?,
                    Err(e) => {
                        t.rollback_row().await?;
                        let errors = store_errors(row, e)?;
                        observer.row(&RowReport {
                            row,
                            action: "failed",
                            id: Some(id.to_string()),
                            label: None,
                            matched_by: None,
                            organizations_created: vec![],
                            errors,
                        });
                    }
                }
            }
        }
        Ok(())
    }
    .await;
    drop(receiver);
    let read = producer.await;
    if let Err(e) = result {
        if let Some(t) = tx.take() {
            let _ = t.rollback().await;
        }
        return Err(e);
    }
    if let Some(t) = tx.take() {
        if dry_run { t.rollback().await? } else { t.commit().await? }
    }
    if let Ok(Err(e)) = read {
        return Err(ImportError::Source(e.into()));
    }
    observer.progress(&counts);
    Ok(Summary { started, counts, dry_run, mode: Mode::Partial, committed: !dry_run })
}

/// The report of a setting (a kind, a field, a pipeline, a user) that could not be made.
fn failed_setting(row: u64, label: Option<String>, errors: Vec<RowError>) -> RowReport {
    RowReport { row, action: "failed", id: None, label, matched_by: None, organizations_created: vec![], errors }
}

/// A list of strings in an export line.
fn strings(v: &Json) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(Json::as_str).map(str::to_string).collect()
}

/// The stages of an exported pipeline, to make them here.
fn stages_of(p: &Json) -> Vec<StageInput> {
    p["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| StageInput {
            id: None,
            name: s["name"].as_str().unwrap_or_default().to_string(),
            probability: s["probability"].as_i64().unwrap_or(0),
            outcome: s["outcome"].as_str().unwrap_or("open").to_string(),
        })
        .collect()
}

/// An exported pipeline's id and stage ids point at the pipeline here (stages by name).
fn map_pipeline(ids: &mut Ids, exported: &Json, here: &Pipeline) {
    if let Some(old) = exported["id"].as_str() {
        ids.pipelines.insert(old.to_string(), here.id);
    }
    for s in exported["stages"].as_array().into_iter().flatten() {
        let (Some(old), Some(name)) = (s["id"].as_str(), s["name"].as_str()) else { continue };
        if let Some(st) = here.stages.iter().find(|x| x.name.eq_ignore_ascii_case(name)) {
            ids.stages.insert(old.to_string(), (here.id, st.id));
        }
    }
}

/// The fields of a built-in kind (its name) or of a custom kind (its key), read once.
async fn fields_of<'a>(
    store: &Store,
    scope: &Scope,
    cache: &'a mut HashMap<String, Vec<CustomField>>,
    owner: &str,
) -> Result<&'a Vec<CustomField>, StoreError> {
    if !cache.contains_key(owner) {
        let defs = match Kind::parse(owner).filter(|k| *k != Kind::Object) {
            Some(k) if k.has_custom_fields() => store.custom_fields(scope, k).await?,
            Some(_) => vec![],
            None => match store.object_type(scope, owner).await {
                Ok(t) => t.fields,
                Err(StoreError::NotFound) => vec![],
                Err(e) => return Err(e),
            },
        };
        cache.insert(owner.to_string(), defs);
    }
    Ok(&cache[owner])
}

/// Sets what the custom kinds made by this import show, now that their fields exist.
async fn apply_layouts(
    store: &Store,
    scope: &Scope,
    layouts: Vec<(String, Vec<String>, Vec<String>)>,
    custom: &mut HashMap<String, Vec<CustomField>>,
    row: u64,
    observer: &mut dyn Observer,
) -> Result<(), ImportError> {
    for (key, list, record) in layouts {
        let defs = fields_of(store, scope, custom, &key).await?.clone();
        let known = |f: &String| f.strip_prefix("custom.").is_none_or(|k| defs.iter().any(|d| d.key == k));
        let input = ObjectTypeInput {
            list_fields: Some(list.into_iter().filter(known).collect()),
            record_fields: Some(record.into_iter().filter(known).collect()),
            ..ObjectTypeInput::default()
        };
        if let Err(e) = store.update_object_type(scope, &key, &input, None).await {
            let errors = store_errors(row, e)?;
            observer.row(&failed_setting(row, Some(format!("record kind {key}")), errors));
        }
    }
    Ok(())
}

/// Reads the first line of a file to tell a workspace export from a plain import file.
pub fn sniff(head: &[u8]) -> bool {
    let text = crate::decode::decode_all(&head[..head.len().min(4096)]);
    is_workspace_export(text.lines().next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use rapport_domain::FieldError;

    use super::*;
    use crate::problem::Code;

    #[test]
    fn refusals_of_a_line_name_its_field_and_keep_their_codes() {
        let invalid = ValidationErrors(vec![FieldError::new("custom.size", "invalid", "expected a number")]);
        let errs = store_errors(7, StoreError::Invalid(invalid)).unwrap();
        assert_eq!((errs[0].column.as_deref(), errs[0].field.as_deref()), (Some("custom.size"), Some("custom.size")));
        assert_eq!((errs[0].code(), errs[0].message.as_str()), (Code::Validation("invalid"), "expected a number"));
        let errs = store_errors(7, StoreError::NotFound).unwrap();
        assert_eq!((errs[0].code(), errs[0].message.as_str()), (Code::Import("not_visible"), "not visible to you"));
        assert!(store_errors(7, StoreError::Config("down".into())).is_err());
    }
}
