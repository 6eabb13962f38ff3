//! Record kinds defined by admins (contracts, properties, projects...). A
//! definition names the kind, says which fields its lists and record pages
//! show, and may give it a status: then it has a pipeline of its own, whose
//! stages its records move through like deals. Its records are `Kind::Object`
//! rows of the one `custom_records` table, their `type` the kind's key; its
//! fields are custom fields keyed by that key.

use rapport_domain::custom::{self, CustomField, CustomType};
use rapport_domain::value::now;
use rapport_domain::{Kind, ValidationErrors};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::custom_fields::{FieldPatch, Owner, end_field_change};
use crate::db::{Col, Tx, int_at, str_at, uuid_at};
use crate::pipelines::{self, Pipeline, PipelineInput, StageInput};
use crate::sql::t;
use crate::values::{opt_uuid, time, uuid};
use crate::{Conflict, Scope, Store, StoreError, audit, custom_fields};

/// The built-in kinds a relation field may point at (besides custom record kinds).
pub const RELATION_TARGETS: [Kind; 5] = [Kind::Organization, Kind::Person, Kind::Deal, Kind::Activity, Kind::Task];

/// Columns of a custom record that lists and record pages may show, besides custom fields.
pub const SHOWABLE: [&str; 7] = ["name", "owner_id", "stage_id", "status", "tags", "created_at", "updated_at"];

#[derive(Debug, Clone, Serialize)]
pub struct ObjectType {
    pub key: String,
    pub singular: String,
    pub plural: String,
    pub has_status: bool,
    /// The kind's own pipeline, when it has a status.
    pub pipeline: Option<Pipeline>,
    /// What its list shows, in order: `name`, `status`, `custom.value`...
    pub list_fields: Vec<String>,
    /// What its record page shows, in order.
    pub record_fields: Vec<String>,
    pub fields: Vec<CustomField>,
    pub version: i64,
}

impl ObjectType {
    pub fn field(&self, key: &str) -> Option<&CustomField> {
        self.fields.iter().find(|f| f.key == key)
    }
}

/// A definition as a client sends it. On change, absent parts stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectTypeInput {
    /// Only on creation: the kind's key, as in `/api/v1/objects/{key}`.
    pub key: Option<String>,
    pub singular: Option<String>,
    pub plural: Option<String>,
    pub has_status: Option<bool>,
    /// The stages of its pipeline (with a status); a default set when left out.
    pub stages: Option<Vec<StageInput>>,
    pub list_fields: Option<Vec<String>>,
    pub record_fields: Option<Vec<String>>,
    /// Only on creation: its first custom fields, defined in the same transaction.
    #[serde(default)]
    pub fields: Vec<CustomField>,
}

fn invalid(field: &str, code: &'static str, m: impl Into<String>) -> StoreError {
    StoreError::Invalid(ValidationErrors::single(field, code, m))
}

const COLS: [&str; 7] = ["key", "singular", "plural", "pipeline_id", "list_fields", "record_fields", "version"];
const TYPES: [Col; 7] = [Col::Text, Col::Text, Col::Text, Col::Uuid, Col::Json, Col::Json, Col::Int];

async fn load(tx: &mut Tx, scope: &Scope, key: Option<&str>) -> Result<Vec<ObjectType>, StoreError> {
    let mut q = Query::select()
        .columns(COLS.map(t))
        .from(t("object_types"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .order_by(t("position"), Order::Asc)
        .order_by(t("key"), Order::Asc)
        .to_owned();
    if let Some(k) = key {
        q.and_where(Expr::col(t("key")).eq(k));
    }
    let rows = tx.rows(&q, &TYPES).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(key) = str_at(&r, 0).map(str::to_string) else { continue };
        let pipeline_id = uuid_at(&r, 3);
        let pipeline = match pipeline_id {
            Some(id) => pipelines::load_of(tx, scope, &key).await?.into_iter().find(|p| p.id == id),
            None => None,
        };
        let fields = custom_fields::load_for(tx, scope, &key).await?;
        out.push(ObjectType {
            singular: str_at(&r, 1).unwrap_or_default().to_string(),
            plural: str_at(&r, 2).unwrap_or_default().to_string(),
            has_status: pipeline_id.is_some(),
            pipeline,
            list_fields: serde_json::from_value(r[4].clone()).unwrap_or_default(),
            record_fields: serde_json::from_value(r[5].clone()).unwrap_or_default(),
            fields,
            version: int_at(&r, 6).unwrap_or(1),
            key,
        });
    }
    Ok(out)
}

/// The definition of one custom record kind; not found when there is none.
pub(crate) async fn load_one(tx: &mut Tx, scope: &Scope, key: &str) -> Result<ObjectType, StoreError> {
    load(tx, scope, Some(key)).await?.into_iter().next().ok_or(StoreError::NotFound)
}

/// A relation field must name a kind records can be linked to; other fields name none.
pub(crate) async fn check_relation(
    tx: &mut Tx,
    scope: &Scope,
    def: &CustomField,
    errs: &mut ValidationErrors,
) -> Result<(), StoreError> {
    if def.ty != CustomType::Relation {
        if def.target.is_some() || def.many {
            errs.push("target", "invalid", "only relation fields have a target");
        }
        return Ok(());
    }
    match def.target.as_deref() {
        None | Some("") => errs.push("target", "required", "a relation needs the kind it points at"),
        Some(target) => {
            let builtin = Kind::parse(target).is_some_and(|k| RELATION_TARGETS.contains(&k));
            if !builtin && load(tx, scope, Some(target)).await?.is_empty() {
                errs.push(
                    "target",
                    "not_found",
                    format!("'{target}' is neither organization, person, deal, activity, task nor a custom record kind"),
                );
            }
        }
    }
    Ok(())
}

/// The default stages of a kind with a status.
fn default_stages() -> Vec<StageInput> {
    let stage = |name: &str, probability: i64, outcome: &str| StageInput {
        id: None,
        name: name.into(),
        probability,
        outcome: outcome.into(),
    };
    vec![stage("Open", 10, "open"), stage("In progress", 50, "open"), stage("Done", 100, "won"), stage("Cancelled", 0, "lost")]
}

fn check_labels(input: &ObjectTypeInput, errs: &mut ValidationErrors) {
    for (name, v) in [("singular", &input.singular), ("plural", &input.plural)] {
        if let Some(v) = v
            && (v.trim().is_empty() || v.chars().count() > 100)
        {
            errs.push(name, "required", "give a label of 1 to 100 characters");
        }
    }
}

/// Shown fields must be columns of custom records or the kind's custom fields.
fn check_shown(name: &str, list: &[String], fields: &[CustomField], errs: &mut ValidationErrors) {
    for (i, f) in list.iter().enumerate() {
        let known = match f.strip_prefix("custom.") {
            Some(k) => fields.iter().any(|d| d.key == k),
            None => SHOWABLE.contains(&f.as_str()),
        };
        if !known {
            errs.push(format!("{name}[{i}]"), "unknown_field", format!("no field '{f}' to show"));
        }
    }
}

async fn audit_change(tx: &mut Tx, scope: &Scope, action: &str, t: &ObjectType) -> Result<(), StoreError> {
    audit::append(tx, scope, action, None, json!({"object_type": t.key, "version": t.version})).await
}

impl Store {
    /// Every custom record kind of the workspace, with its fields and pipeline.
    pub async fn object_types(&self, scope: &Scope) -> Result<Vec<ObjectType>, StoreError> {
        crate::access::require_staff(scope)?;
        let mut tx = self.db.read().await?;
        let out = load(&mut tx, scope, None).await;
        tx.commit().await?;
        out
    }

    /// The key and plural label of each custom record kind, in order (for navigation).
    pub async fn object_type_names(&self, scope: &Scope) -> Result<Vec<(String, String)>, StoreError> {
        crate::access::require_staff(scope)?;
        let q = Query::select()
            .columns(["key", "plural"].map(t))
            .from(t("object_types"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .order_by(t("position"), Order::Asc)
            .order_by(t("key"), Order::Asc)
            .to_owned();
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&q, &[Col::Text, Col::Text]).await?;
        tx.commit().await?;
        Ok(rows.iter().filter_map(|r| Some((str_at(r, 0)?.to_string(), str_at(r, 1)?.to_string()))).collect())
    }

    pub async fn object_type(&self, scope: &Scope, key: &str) -> Result<ObjectType, StoreError> {
        crate::access::require_staff(scope)?;
        let mut tx = self.db.read().await?;
        let out = load_one(&mut tx, scope, key).await;
        tx.commit().await?;
        out
    }

    /// Defines a record kind, with its pipeline and first fields, in one transaction.
    pub async fn create_object_type(&self, scope: &Scope, input: &ObjectTypeInput) -> Result<ObjectType, StoreError> {
        crate::access::require_admin(scope)?;
        let mut errs = ValidationErrors::default();
        let key = input.key.clone().unwrap_or_default();
        if !custom::valid_key(&key) {
            errs.push("key", "invalid", "use lower-case letters, digits and _, starting with a letter (at most 64)");
        } else if Kind::parse(&key).is_some() || Kind::from_collection(&key).is_some() {
            errs.push("key", "taken", format!("'{key}' is a built-in kind"));
        }
        for name in ["singular", "plural"] {
            let v = if name == "singular" { &input.singular } else { &input.plural };
            if v.is_none() {
                errs.push(name, "required", "is required");
            }
        }
        check_labels(input, &mut errs);
        if input.stages.is_some() && input.has_status != Some(true) {
            errs.push("stages", "invalid", "only a kind with a status has stages");
        }
        for (i, f) in input.fields.iter().enumerate() {
            if !custom::valid_key(&f.key) {
                errs.push(format!("fields[{i}].key"), "invalid", "use lower-case letters, digits and _");
            }
            if input.fields[..i].iter().any(|g| g.key == f.key) {
                errs.push(format!("fields[{i}].key"), "taken", "is given twice");
            }
        }
        let list = input.list_fields.clone().unwrap_or_else(|| vec!["name".into(), "owner_id".into(), "updated_at".into()]);
        let shown = input.record_fields.clone().unwrap_or_else(|| {
            input.fields.iter().map(|f| format!("custom.{}", f.key)).chain(["owner_id".to_string(), "tags".into()]).collect()
        });
        check_shown("list_fields", &list, &input.fields, &mut errs);
        check_shown("record_fields", &shown, &input.fields, &mut errs);
        errs.into_result()?;
        let mut tx = self.db.write().await?;
        if !load(&mut tx, scope, Some(&key)).await?.is_empty() {
            return Err(invalid("key", "taken", format!("a kind '{key}' exists")));
        }
        let position = load(&mut tx, scope, None).await?.len() as i64;
        let pipeline_id = if input.has_status == Some(true) {
            let p = PipelineInput {
                name: input.plural.clone().unwrap_or_default(),
                stages: input.stages.clone().unwrap_or_else(default_stages),
                is_default: false,
            };
            Some(pipelines::insert_pipeline_of(&mut tx, scope, &key, &p, 0).await?)
        } else {
            None
        };
        let ts = time(now());
        let ins = Query::insert()
            .into_table(t("object_types"))
            .columns(
                [
                    "workspace_id",
                    "key",
                    "singular",
                    "plural",
                    "pipeline_id",
                    "list_fields",
                    "record_fields",
                    "position",
                    "version",
                    "created_at",
                    "created_by",
                    "updated_at",
                ]
                .map(t),
            )
            .values_panic([
                uuid(scope.workspace_id).into(),
                key.clone().into(),
                input.singular.clone().unwrap_or_default().trim().into(),
                input.plural.clone().unwrap_or_default().trim().into(),
                opt_uuid(pipeline_id).into(),
                Json::from(list).into(),
                Json::from(shown).into(),
                position.into(),
                1i64.into(),
                ts.clone().into(),
                opt_uuid(scope.user_id).into(),
                ts.into(),
            ])
            .to_owned();
        tx.exec(&ins).await?;
        let now = self.clock.now();
        for (i, f) in input.fields.iter().enumerate() {
            custom_fields::create_in(&mut tx, scope, Owner::Object(&key), f, now).await.map_err(|e| match e {
                StoreError::Invalid(v) => StoreError::Invalid(ValidationErrors(
                    v.0.into_iter()
                        .map(|mut x| {
                            x.field = format!("fields[{i}].{}", x.field);
                            x
                        })
                        .collect(),
                )),
                e => e,
            })?;
        }
        let created = load_one(&mut tx, scope, &key).await?;
        audit_change(&mut tx, scope, "object_type_created", &created).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Changes labels, shown fields and stages; can give a kind a status, not take it away.
    pub async fn update_object_type(
        &self,
        scope: &Scope,
        key: &str,
        input: &ObjectTypeInput,
        if_match: Option<i64>,
    ) -> Result<ObjectType, StoreError> {
        crate::access::require_admin(scope)?;
        let mut errs = ValidationErrors::default();
        if input.key.as_deref().is_some_and(|k| k != key) {
            errs.push("key", "read_only", "a kind's key cannot change");
        }
        if !input.fields.is_empty() {
            errs.push("fields", "invalid", "add fields through /api/v1/object-types/{key}/fields");
        }
        check_labels(input, &mut errs);
        let mut tx = self.db.write().await?;
        let cur = load_one(&mut tx, scope, key).await?;
        if let Some(v) = if_match
            && v != cur.version
        {
            return Err(StoreError::VersionMismatch { expected: v, current: cur.version });
        }
        if cur.has_status && input.has_status == Some(false) {
            errs.push("has_status", "invalid", "a kind's status cannot be taken away once given");
        }
        if input.stages.is_some() && !cur.has_status && input.has_status != Some(true) {
            errs.push("stages", "invalid", "only a kind with a status has stages");
        }
        if let Some(l) = &input.list_fields {
            check_shown("list_fields", l, &cur.fields, &mut errs);
        }
        if let Some(l) = &input.record_fields {
            check_shown("record_fields", l, &cur.fields, &mut errs);
        }
        errs.into_result()?;
        let plural = input.plural.clone().unwrap_or_else(|| cur.plural.clone());
        let mut pipeline_id = cur.pipeline.as_ref().map(|p| p.id);
        match (&cur.pipeline, input.has_status == Some(true) || input.stages.is_some()) {
            (Some(p), _) if input.stages.is_some() => {
                let stages = input.stages.clone().unwrap_or_default();
                let p_in = PipelineInput { name: plural.trim().to_string(), stages, is_default: false };
                pipelines::update_in(&mut tx, scope, key, p.id, &p_in, None).await?;
            }
            (None, true) => {
                let p_in = PipelineInput {
                    name: plural.trim().to_string(),
                    stages: input.stages.clone().unwrap_or_else(default_stages),
                    is_default: false,
                };
                pipeline_id = Some(pipelines::insert_pipeline_of(&mut tx, scope, key, &p_in, 0).await?);
            }
            _ => {}
        }
        let upd = Query::update()
            .table(t("object_types"))
            .value(t("singular"), input.singular.clone().unwrap_or(cur.singular.clone()).trim())
            .value(t("plural"), plural.trim())
            .value(t("pipeline_id"), opt_uuid(pipeline_id))
            .value(t("list_fields"), Json::from(input.list_fields.clone().unwrap_or(cur.list_fields.clone())))
            .value(t("record_fields"), Json::from(input.record_fields.clone().unwrap_or(cur.record_fields.clone())))
            .value(t("updated_at"), time(now()))
            .value(t("version"), Expr::col(t("version")).add(1))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("key")).eq(key))
            .to_owned();
        tx.exec(&upd).await?;
        let out = load_one(&mut tx, scope, key).await?;
        audit_change(&mut tx, scope, "object_type_changed", &out).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Removes a kind that has no records (refused while any exists), with
    /// its fields and pipeline, and any relation field of other kinds pointing at it.
    pub async fn delete_object_type(&self, scope: &Scope, key: &str, if_match: Option<i64>) -> Result<(), StoreError> {
        crate::access::require_admin(scope)?;
        let mut tx = self.db.write().await?;
        let cur = load_one(&mut tx, scope, key).await?;
        if let Some(v) = if_match
            && v != cur.version
        {
            return Err(StoreError::VersionMismatch { expected: v, current: cur.version });
        }
        let count = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(t("custom_records"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("type")).eq(key))
            .to_owned();
        let n = tx.row(&count, &[Col::Int]).await?.and_then(|r| int_at(&r, 0)).unwrap_or(0);
        if n > 0 {
            let message = format!("{} still has {n} record(s): delete them first, nothing is removed silently", cur.plural);
            return Err(Conflict::new("kind-has-records", message).with("kind", &cur.plural).with("count", n).into());
        }
        let users = automation_using(&mut tx, scope, key).await?;
        if !users.is_empty() {
            let message = format!("{} are still used by {}: change or delete them first", cur.plural, users.join(", "));
            return Err(Conflict::new("kind-in-use", message).with("kind", &cur.plural).with("users", users.join(", ")).into());
        }
        let ws = || Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id));
        let defs = custom_fields::load_all_for(&mut tx, scope, key).await?;
        let fields = Query::delete()
            .from_table(t("custom_fields"))
            .and_where(ws())
            .cond_where(
                sea_query::Cond::any()
                    .add(Expr::col(t("kind")).eq(key))
                    .add(Expr::col(t("target")).eq(key).and(Expr::col(t("type")).eq("relation"))),
            )
            .to_owned();
        tx.exec(&fields).await?;
        for def in &defs {
            custom_fields::drop_unused_indexes(&mut tx, Owner::Object(key), def).await?;
        }
        let del = Query::delete().from_table(t("object_types")).and_where(ws()).and_where(Expr::col(t("key")).eq(key)).to_owned();
        tx.exec(&del).await?;
        let pipes = Query::delete().from_table(t("pipelines")).and_where(ws()).and_where(Expr::col(t("kind")).eq(key)).to_owned();
        tx.exec(&pipes).await?;
        audit_change(&mut tx, scope, "object_type_deleted", &cur).await?;
        tx.commit().await
    }

    /// Every field of a custom record kind, deleted ones (restorable until purged) included.
    pub async fn object_fields_all(&self, scope: &Scope, key: &str) -> Result<Vec<CustomField>, StoreError> {
        crate::access::require_admin(scope)?;
        let mut tx = self.db.read().await?;
        load_one(&mut tx, scope, key).await?;
        let out = custom_fields::load_all_for(&mut tx, scope, key).await;
        tx.commit().await?;
        out
    }

    /// Adds a custom field to a custom record kind.
    pub async fn create_object_field(&self, scope: &Scope, key: &str, def: &CustomField) -> Result<CustomField, StoreError> {
        let (mut tx, now, _) = self.begin_object_field_change(scope, key).await?;
        let out = custom_fields::create_in(&mut tx, scope, Owner::Object(key), def, now).await?;
        end_field_change(tx, out).await
    }

    /// Changes a field of a custom record kind: a new type or options convert
    /// its values, or refuse naming the records that would not convert.
    pub async fn update_object_field(
        &self,
        scope: &Scope,
        key: &str,
        field: &str,
        patch: &FieldPatch,
        if_match: Option<i64>,
    ) -> Result<CustomField, StoreError> {
        let (mut tx, now, _) = self.begin_object_field_change(scope, key).await?;
        let out = custom_fields::update_in(&mut tx, scope, Owner::Object(key), field, patch, if_match, now).await?;
        end_field_change(tx, out).await
    }

    /// Deletes a field of a custom record kind softly (its values stay, restorable
    /// until purged) and takes it off what the kind's pages show.
    pub async fn delete_object_field(
        &self,
        scope: &Scope,
        key: &str,
        field: &str,
        if_match: Option<i64>,
    ) -> Result<(), StoreError> {
        let (mut tx, now, cur) = self.begin_object_field_change(scope, key).await?;
        custom_fields::set_deleted_in(&mut tx, scope, Owner::Object(key), field, if_match, true, now).await?;
        let gone = format!("custom.{field}");
        let keep = |l: &[String]| l.iter().filter(|f| **f != gone).cloned().collect::<Vec<_>>();
        set_shown(&mut tx, scope, key, keep(&cur.list_fields), keep(&cur.record_fields)).await?;
        end_field_change(tx, ()).await
    }

    /// Brings a deleted field of a custom record kind back, with the values its
    /// records kept, shown again on the record page.
    pub async fn restore_object_field(
        &self,
        scope: &Scope,
        key: &str,
        field: &str,
        if_match: Option<i64>,
    ) -> Result<CustomField, StoreError> {
        let (mut tx, now, cur) = self.begin_object_field_change(scope, key).await?;
        let out = custom_fields::set_deleted_in(&mut tx, scope, Owner::Object(key), field, if_match, false, now).await?;
        let mut record = cur.record_fields.clone();
        let shown = format!("custom.{field}");
        if !record.contains(&shown) {
            record.push(shown);
        }
        set_shown(&mut tx, scope, key, cur.list_fields, record).await?;
        end_field_change(tx, out).await
    }

    /// Purges a deleted field of a custom record kind: its definition and its
    /// values. Returns how many records held a value.
    pub async fn purge_object_field(&self, scope: &Scope, key: &str, field: &str) -> Result<u64, StoreError> {
        let (mut tx, _, _) = self.begin_object_field_change(scope, key).await?;
        let out = custom_fields::purge_in(&mut tx, scope, Owner::Object(key), field).await?;
        end_field_change(tx, out).await
    }

    /// A write transaction for a change of an existing custom kind's fields
    /// (admins only), its time, and the kind as it stands.
    async fn begin_object_field_change(
        &self,
        scope: &Scope,
        key: &str,
    ) -> Result<(Tx, chrono::DateTime<chrono::Utc>, ObjectType), StoreError> {
        crate::access::require_admin(scope)?;
        let mut tx = self.db.write().await?;
        let cur = load_one(&mut tx, scope, key).await?;
        Ok((tx, self.clock.now(), cur))
    }
}

/// The workflows, assignment rules and webhooks that name a custom kind, as
/// "workflow 'Renewals'": a kind they watch cannot go without them noticing.
async fn automation_using(tx: &mut Tx, scope: &Scope, key: &str) -> Result<Vec<String>, StoreError> {
    let ws = || Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id));
    let mut out = Vec::new();
    for (table, kind_col, what) in [("workflows", "record_kind", "workflow"), ("assignment_rules", "kind", "assignment rule")] {
        let q =
            Query::select().column(t("name")).from(t(table)).and_where(ws()).and_where(Expr::col(t(kind_col)).eq(key)).to_owned();
        out.extend(tx.rows(&q, &[Col::Text]).await?.iter().filter_map(|r| str_at(r, 0)).map(|n| format!("{what} '{n}'")));
    }
    let q = Query::select().columns(["url", "events"].map(t)).from(t("webhooks")).and_where(ws()).to_owned();
    let prefix = format!("{key}.");
    for r in tx.rows(&q, &[Col::Text, Col::Json]).await? {
        let events: Vec<String> = serde_json::from_value(r[1].clone()).unwrap_or_default();
        if events.iter().any(|e| e.starts_with(&prefix)) {
            out.push(format!("webhook {}", str_at(&r, 0).unwrap_or_default()));
        }
    }
    Ok(out)
}

/// Sets what a kind's list and record page show, as a new version of the kind.
async fn set_shown(tx: &mut Tx, scope: &Scope, key: &str, list: Vec<String>, record: Vec<String>) -> Result<(), StoreError> {
    let upd = Query::update()
        .table(t("object_types"))
        .value(t("list_fields"), Json::from(list))
        .value(t("record_fields"), Json::from(record))
        .value(t("version"), Expr::col(t("version")).add(1))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("key")).eq(key))
        .to_owned();
    tx.exec(&upd).await?;
    Ok(())
}
