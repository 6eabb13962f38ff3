//! Relation custom fields and custom records inside the record engine.
//!
//! A relation field keeps its ids in the record's `custom` JSON (what the API
//! shows) and, in the same transaction, one `record_links` row per id whose
//! `from_kind` is the field's origin (`object.organization`), so a target
//! finds what points at it through the links index, list filters use the
//! same `EXISTS` as built-in links, and a deleted target is detached.

use std::collections::BTreeMap;

use rapport_domain::custom::{self, CustomField};
use rapport_domain::validate::Changes;
use rapport_domain::{FieldValue, Kind, ValidationErrors};
use sea_query::{Cond, Expr, ExprTrait, Query, Value};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::db::{Col, Tx, str_at, uuid_at};
use crate::object_types::{self, ObjectType};
use crate::records::{Record, fetch};
use crate::sql::{t, tc};
use crate::values::uuid;
use crate::{Scope, Store, StoreError, access, pipelines};

/// The kind definition of a custom record (by its `type`); `None` for built-in kinds.
pub(crate) async fn object_type_of(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    record: &Record,
) -> Result<Option<ObjectType>, StoreError> {
    if kind != Kind::Object {
        return Ok(None);
    }
    let Some(key) = record.get("type").and_then(Json::as_str) else {
        return Err(StoreError::Invalid(ValidationErrors::single("type", "required", "is required")));
    };
    match object_types::load_one(tx, scope, key).await {
        Ok(t) => Ok(Some(t)),
        Err(StoreError::NotFound) => {
            Err(StoreError::Invalid(ValidationErrors::single("type", "not_found", format!("no record kind '{key}'"))))
        }
        Err(e) => Err(e),
    }
}

/// A custom record's pipeline, stage and status: kept in step by the deal
/// rules when its kind has a status, refused when it has none.
pub(crate) async fn settle_object(
    tx: &mut Tx,
    scope: &Scope,
    kind: &ObjectType,
    current: Option<&Record>,
    c: &mut Changes,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    if kind.has_status {
        pipelines::settle(tx, scope, &kind.key, current, c, now).await?;
        return Ok(());
    }
    let mut errs = ValidationErrors::default();
    for name in ["pipeline_id", "stage_id", "status"] {
        if c.columns.get(name).is_some_and(|v| *v != FieldValue::Null) {
            errs.push(name, "invalid", format!("{} have no status", kind.plural));
        }
    }
    errs.into_result().map_err(StoreError::Invalid)
}

fn relations(defs: &[CustomField]) -> impl Iterator<Item = (&CustomField, Kind)> {
    defs.iter().filter_map(|d| Some((d, d.relation_kind()?)))
}

/// Refuses relation values naming records that are not in the workspace, not
/// of the field's kind, or not visible to the writer, naming the field.
pub(crate) async fn check(tx: &mut Tx, scope: &Scope, defs: &[CustomField], c: &Changes) -> Result<(), StoreError> {
    let Some(custom) = c.custom.as_ref().and_then(Json::as_object) else { return Ok(()) };
    let mut errs = ValidationErrors::default();
    for (def, target) in relations(defs) {
        let ids = custom.get(&def.key).map(custom::relation_ids).unwrap_or_default();
        if ids.is_empty() {
            continue;
        }
        let table = target.table();
        let mut q = Query::select()
            .column((t(table), t("id")))
            .from(t(table))
            .and_where(tc(table, "workspace_id").eq(uuid(scope.workspace_id)))
            .and_where(tc(table, "id").is_in(ids.iter().map(|u| uuid(*u))))
            .to_owned();
        if target == Kind::Object {
            q.and_where(tc(table, "type").eq(def.target.clone().unwrap_or_default()));
        }
        if let Some(visible) = access::condition(tx, scope, target, false).await? {
            q.cond_where(visible);
        }
        let found: Vec<Uuid> = tx.rows(&q, &[Col::Uuid]).await?.iter().filter_map(|r| uuid_at(r, 0)).collect();
        for u in ids.iter().filter(|u| !found.contains(u)) {
            let what = def.target.as_deref().unwrap_or_default();
            errs.push(format!("custom.{}", def.key), "not_found", format!("no {what} with id {u}"));
        }
    }
    errs.into_result().map_err(StoreError::Invalid)
}

/// Rewrites the `record_links` rows of the record's relation fields from its custom values.
pub(crate) async fn mirror(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    id: Uuid,
    defs: &[CustomField],
    c: &Changes,
) -> Result<(), StoreError> {
    let Some(custom) = c.custom.as_ref().and_then(Json::as_object) else { return Ok(()) };
    for (def, target) in relations(defs) {
        let origin = custom::relation_origin(kind, &def.key);
        let del = Query::delete()
            .from_table(t("record_links"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("from_kind")).eq(origin.as_str()))
            .and_where(Expr::col(t("from_id")).eq(uuid(id)))
            .to_owned();
        tx.exec(&del).await?;
        let ids = custom.get(&def.key).map(custom::relation_ids).unwrap_or_default();
        if ids.is_empty() {
            continue;
        }
        let mut ins = Query::insert();
        ins.into_table(t("record_links")).columns(["workspace_id", "from_kind", "from_id", "to_kind", "to_id", "role"].map(t));
        for to in ids {
            ins.values_panic([
                uuid(scope.workspace_id).into(),
                origin.clone().into(),
                uuid(id).into(),
                target.as_str().into(),
                uuid(to).into(),
                Value::String(None).into(),
            ]);
        }
        tx.exec(&ins).await?;
    }
    Ok(())
}

/// The `from_kind` of every relation field's links in the workspace
/// (`person.referrer`, `object.sponsor`, deleted fields' too): exact values
/// that the links' target index serves, where a `LIKE '%.%'` made the
/// database read every link to the record (26,000 for a large account).
pub(crate) async fn origins(tx: &mut Tx, ws: Uuid) -> Result<Vec<String>, StoreError> {
    let q = Query::select()
        .columns([t("kind"), t("key")])
        .from(t("custom_fields"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(ws)))
        .and_where(Expr::col(t("type")).eq("relation"))
        .to_owned();
    let mut out: Vec<String> = tx
        .rows(&q, &[Col::Text, Col::Text])
        .await?
        .iter()
        .filter_map(|r| {
            // A custom kind's fields are kept under its type key; their links' origin is `object`.
            let kind = Kind::parse(str_at(r, 0)?).unwrap_or(Kind::Object);
            Some(custom::relation_origin(kind, str_at(r, 1)?))
        })
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Relation links pointing at a record: (origin kind, field key, source id).
async fn pointing_at(tx: &mut Tx, scope: &Scope, kind: Kind, id: Uuid) -> Result<Vec<(Kind, String, Uuid)>, StoreError> {
    let origins = origins(tx, scope.workspace_id).await?;
    if origins.is_empty() {
        return Ok(vec![]);
    }
    let q = Query::select()
        .columns([t("from_kind"), t("from_id")])
        .from(t("record_links"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("to_kind")).eq(kind.as_str()))
        .and_where(Expr::col(t("to_id")).eq(uuid(id)))
        .and_where(Expr::col(t("from_kind")).is_in(origins))
        .to_owned();
    Ok(tx
        .rows(&q, &[Col::Text, Col::Uuid])
        .await?
        .iter()
        .filter_map(|r| {
            let (k, key) = str_at(r, 0)?.split_once('.')?;
            Some((Kind::parse(k)?, key.to_string(), uuid_at(r, 1)?))
        })
        .collect())
}

/// Before a record is deleted: its own relation links go, and every record
/// whose relation field holds its id loses that id (a logged change).
pub(crate) async fn detach(tx: &mut Tx, scope: &Scope, kind: Kind, id: Uuid) -> Result<(), StoreError> {
    let own = Query::delete()
        .from_table(t("record_links"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("from_kind")).like(format!("{}.%", kind.as_str())))
        .and_where(Expr::col(t("from_id")).eq(uuid(id)))
        .to_owned();
    tx.exec(&own).await?;
    // The writer may not see every record pointing here; the detaching is Rapport's.
    let full = Scope { actor: None, token_scopes: None, ..scope.clone() };
    for (src, key, src_id) in pointing_at(tx, scope, kind, id).await? {
        let rec = crate::records::fetch_one(tx, &full, src, src_id).await?;
        let gone = Json::String(id.to_string());
        let value = match rec.get("custom").and_then(|c| c.get(&key)) {
            Some(Json::Array(items)) => Json::Array(items.iter().filter(|v| **v != gone).cloned().collect()),
            _ => Json::Null,
        };
        let patch = json!({"custom": {key: value}});
        crate::records::update_in(tx, &full, src, src_id, &patch, None).await?;
    }
    Ok(())
}

impl Store {
    /// Records whose relation fields point at this one, visible to the scope,
    /// each as `{"kind", "field", "record"}`.
    pub async fn related(&self, scope: &Scope, kind: Kind, id: Uuid) -> Result<Vec<Json>, StoreError> {
        access::require_read(scope, kind)?;
        let mut tx = self.db.read().await?;
        crate::records::fetch_one(&mut tx, scope, kind, id).await?;
        let mut by_kind: BTreeMap<Kind, Vec<(String, Uuid)>> = BTreeMap::new();
        for (src, key, src_id) in pointing_at(&mut tx, scope, kind, id).await? {
            by_kind.entry(src).or_default().push((key, src_id));
        }
        let mut out = Vec::new();
        let mut live: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
        for (src, items) in by_kind {
            if access::require_read(scope, src).is_err() {
                continue;
            }
            let ids: Vec<Value> = items.iter().map(|i| uuid(i.1)).collect();
            let cond = Cond::all().add(tc(src.table(), "id").is_in(ids));
            let recs = fetch(&mut tx, scope, src, cond, |_| {}, None).await?;
            let by_id: Map<String, Json> =
                recs.into_iter().filter_map(|r| Some((r.get("id")?.as_str()?.to_string(), Json::Object(r)))).collect();
            for (key, src_id) in items {
                let Some(r) = by_id.get(&src_id.to_string()) else { continue };
                // A deleted field's links wait for its restore (or purge) unseen.
                let owner = if src == Kind::Object { r["type"].as_str().unwrap_or_default() } else { src.as_str() };
                if !live.contains_key(owner) {
                    let keys = crate::custom_fields::load_for(&mut tx, scope, owner).await?.into_iter().map(|d| d.key).collect();
                    live.insert(owner.to_string(), keys);
                }
                if live[owner].contains(&key) {
                    out.push(json!({"kind": src.as_str(), "field": key, "record": r}));
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}
