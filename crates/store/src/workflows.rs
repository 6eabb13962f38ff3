//! Workflow definitions, their run log, what fired already, and the writes
//! workflow actions make.
//!
//! Event triggers run from the change log: while a workspace has an active
//! workflow, every change queues a `dispatch_event` job (as webhooks do), which
//! the worker also evaluates against the workflows. Time triggers run from a
//! periodic `workflow_scan` job; at most one is queued per workspace.
//!
//! Writes made by actions go through the record engine with a system scope, so
//! they are validated and logged like any other; each of their change-log rows
//! is tagged in `change_depths` with how deep in a chain of workflows it was
//! made. The worker refuses to run workflows for a change at depth
//! [`workflow::MAX_DEPTH`], which stops loops between workflows.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rapport_domain::custom::CustomField;
use rapport_domain::events::CustomKind;
use rapport_domain::filter::{ColType, Filter};
use rapport_domain::value::{format_datetime, new_id, now};
use rapport_domain::workflow::{self, Definition, Trigger};
use rapport_domain::{Kind, ValidationErrors};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::access::require_admin;
use crate::db::{Col, Tx, str_at, uuid_at};
use crate::records::{Applied, Record, create_in, update_in};
use crate::sql::t;
use crate::values::{opt_uuid, time, uuid};
use crate::{Conflict, Scope, Store, StoreError, Via, assignment, audit, custom_fields, event_kinds, signing, versions};

/// How often the time triggers are checked.
pub const SCAN_EVERY: Duration = Duration::minutes(5);

/// A workflow as the worker runs it.
#[derive(Debug, Clone)]
pub struct Workflow {
    pub id: Uuid,
    pub name: String,
    pub definition: Definition,
    pub secret: String,
}

/// True when the workspace has an active workflow: only then are change events queued for it.
pub(crate) async fn any_active(tx: &mut Tx, workspace_id: Uuid) -> Result<bool, StoreError> {
    let q = Query::select()
        .column(t("id"))
        .from(t("workflows"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("active")).eq(true))
        .limit(1)
        .to_owned();
    Ok(tx.row(&q, &[Col::Uuid]).await?.is_some())
}

const COLS: [&str; 11] =
    ["id", "name", "active", "trigger", "conditions", "actions", "secret", "created_at", "updated_at", "created_by", "version"];
const TYPES: [Col; 11] = [
    Col::Uuid,
    Col::Text,
    Col::Bool,
    Col::Json,
    Col::Json,
    Col::Json,
    Col::Text,
    Col::DateTime,
    Col::DateTime,
    Col::Uuid,
    Col::Int,
];

fn workflow_json(r: Vec<Json>) -> Json {
    let hint = signing::hint(r[6].as_str().unwrap_or_default());
    json!({"id": r[0], "name": r[1], "active": r[2], "trigger": r[3], "conditions": r[4], "actions": r[5], "secret_hint": hint,
           "created_at": r[7], "updated_at": r[8], "created_by": r[9], "version": r[10]})
}

async fn exists(tx: &mut Tx, workspace_id: Uuid, table: &str, id: Uuid) -> Result<bool, StoreError> {
    let q = Query::select()
        .column(t("id"))
        .from(t(table))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("id")).eq(uuid(id)))
        .to_owned();
    Ok(tx.row(&q, &[Col::Uuid]).await?.is_some())
}

/// A whole definition, checked field by field, references included.
async fn check(tx: &mut Tx, scope: &Scope, raw: &Json) -> Result<(String, bool, Definition), StoreError> {
    let Some(o) = raw.as_object() else {
        return Err(StoreError::Invalid(ValidationErrors::single("", "invalid_type", "expected a JSON object")));
    };
    let mut errs = ValidationErrors::default();
    const KNOWN: [&str; 11] = [
        "name",
        "active",
        "trigger",
        "conditions",
        "actions",
        "id",
        "secret",
        "secret_hint",
        "created_at",
        "updated_at",
        "version",
    ];
    for k in o.keys().filter(|k| !KNOWN.contains(&k.as_str()) && k.as_str() != "created_by") {
        errs.push(k.clone(), "unknown_field", "is not a field of a workflow");
    }
    let name = match o.get("name").and_then(Json::as_str).map(str::trim) {
        Some(n) if !n.is_empty() && n.chars().count() <= 200 => n.to_string(),
        _ => {
            errs.push("name", "required", "a name of 1 to 200 characters");
            String::new()
        }
    };
    let active = match o.get("active") {
        None | Some(Json::Null) => true,
        Some(Json::Bool(b)) => *b,
        Some(_) => {
            errs.push("active", "invalid_type", "expected true or false");
            true
        }
    };
    let trigger = o.get("trigger").unwrap_or(&Json::Null);
    let (own, custom) = watched(tx, scope, trigger).await?;
    let def = workflow::parse_definition(
        trigger,
        o.get("conditions").unwrap_or(&Json::Null),
        o.get("actions").unwrap_or(&Json::Null),
        &custom,
        own.as_ref(),
    );
    let def = match def {
        Ok(d) => Some(d),
        Err(e) => {
            errs.0.extend(e.0);
            None
        }
    };
    if let Some(d) = &def {
        if let Trigger::StageEntered { stage_id } = d.trigger {
            // A stage of the watched kind's own pipelines: a deal trigger cannot name a contract's stage.
            let owner = d.object_type.as_deref().unwrap_or(crate::pipelines::DEALS);
            let pipelines = crate::pipelines::load_of(tx, scope, owner).await?;
            if !pipelines.iter().any(|p| p.stages.iter().any(|s| s.id == stage_id)) {
                errs.push(
                    "trigger.stage_id",
                    "not_found",
                    format!("no stage with id {stage_id} in the {} pipelines", d.kind_name()),
                );
            }
        }
        for (i, a) in d.actions.iter().enumerate() {
            use workflow::{Action, Recipient};
            let refs: Vec<(&str, &str, Uuid)> = match a {
                Action::Assign { rule_id: Some(r), .. } => vec![("rule_id", "assignment_rules", *r)],
                Action::Assign { user_id: Some(u), .. } => vec![("user_id", "users", *u)],
                Action::CreateTask { assignee: Recipient::User(u), .. } => vec![("assignee", "users", *u)],
                Action::Notify { to: Recipient::User(u), .. } => vec![("user_id", "users", *u)],
                Action::Notify { to: Recipient::Team(tm), .. } => vec![("team_id", "teams", *tm)],
                _ => vec![],
            };
            for (field, table, id) in refs {
                if !exists(tx, scope.workspace_id, table, id).await? {
                    errs.push(format!("actions[{i}].{field}"), "not_found", format!("nothing with id {id}"));
                }
            }
        }
    }
    errs.into_result()?;
    Ok((name, active, def.expect("checked")))
}

/// The custom record kind a trigger names (when the workspace has it) and the
/// custom fields of the kind it watches.
async fn watched(tx: &mut Tx, scope: &Scope, trigger: &Json) -> Result<(Option<CustomKind>, Vec<CustomField>), StoreError> {
    if let Some(key) = workflow::trigger_object_type(trigger) {
        let own = event_kinds::custom_kind(tx, scope.workspace_id, key).await?;
        let custom = if own.is_some() { custom_fields::load_for(tx, scope, key).await? } else { vec![] };
        return Ok((own, custom));
    }
    let custom = match workflow::trigger_kind(trigger) {
        Some(k) if k.has_custom_fields() => custom_fields::load(tx, scope, k).await?,
        _ => vec![],
    };
    Ok((None, custom))
}

/// Queues a time-trigger scan for the workspace at `at`, unless one is queued already.
pub(crate) async fn schedule_scan_in(tx: &mut Tx, workspace_id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
    let q = Query::select()
        .column(t("id"))
        .from(t("jobs"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("kind")).eq("workflow_scan"))
        .and_where(Expr::col(t("status")).eq("queued"))
        .limit(1)
        .to_owned();
    if tx.row(&q, &[Col::Uuid]).await?.is_some() {
        return Ok(false);
    }
    crate::jobs::enqueue_in(tx, workspace_id, "workflow_scan", json!({}), at, 3).await?;
    Ok(true)
}

/// Change-log ids of a record, to find those a write adds.
async fn change_ids(tx: &mut Tx, workspace_id: Uuid, record: Uuid) -> Result<BTreeSet<Uuid>, StoreError> {
    let q = Query::select()
        .column(t("id"))
        .from(t("changes"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("record_id")).eq(uuid(record)))
        .to_owned();
    Ok(tx.rows(&q, &[Col::Uuid]).await?.iter().filter_map(|r| uuid_at(r, 0)).collect())
}

/// Tags the record's changes made since `before` with their depth; returns their ids.
async fn tag_depth(
    tx: &mut Tx,
    workspace_id: Uuid,
    record: Uuid,
    before: &BTreeSet<Uuid>,
    depth: i64,
) -> Result<Vec<Uuid>, StoreError> {
    let new: Vec<Uuid> = change_ids(tx, workspace_id, record).await?.into_iter().filter(|c| !before.contains(c)).collect();
    for c in &new {
        let ins = Query::insert()
            .into_table(t("change_depths"))
            .columns(["workspace_id", "change_id", "depth"].map(t))
            .values_panic([uuid(workspace_id).into(), uuid(*c).into(), depth.into()])
            .to_owned();
        tx.exec(&ins).await?;
    }
    Ok(new)
}

fn system(workspace_id: Uuid) -> Scope {
    Scope::system(workspace_id, Via::System)
}

impl Store {
    pub async fn workflows(&self, scope: &Scope) -> Result<Vec<Json>, StoreError> {
        require_admin(scope)?;
        let q = Query::select()
            .columns(COLS.map(t))
            .from(t("workflows"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .order_by(t("id"), Order::Asc)
            .to_owned();
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&q, &TYPES).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(workflow_json).collect())
    }

    pub async fn workflow(&self, scope: &Scope, id: Uuid) -> Result<Json, StoreError> {
        require_admin(scope)?;
        let q = Query::select()
            .columns(COLS.map(t))
            .from(t("workflows"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        let mut tx = self.db.read().await?;
        let row = tx.row(&q, &TYPES).await?;
        tx.commit().await?;
        row.map(workflow_json).ok_or(StoreError::NotFound)
    }

    /// Defines a workflow: `{name, active, trigger, conditions, actions}`; the answer carries its webhook signing secret.
    pub async fn create_workflow(&self, scope: &Scope, input: &Json) -> Result<Json, StoreError> {
        require_admin(scope)?;
        let mut tx = self.db.write().await?;
        let (name, active, def) = check(&mut tx, scope, input).await?;
        let id = new_id();
        let at = now();
        let secret = signing::new_secret();
        let ins = Query::insert()
            .into_table(t("workflows"))
            .columns(
                [
                    "workspace_id",
                    "id",
                    "name",
                    "active",
                    "record_kind",
                    "trigger_type",
                    "trigger",
                    "conditions",
                    "actions",
                    "secret",
                    "created_at",
                    "updated_at",
                    "created_by",
                ]
                .map(t),
            )
            .values_panic([
                uuid(scope.workspace_id).into(),
                uuid(id).into(),
                name.clone().into(),
                active.into(),
                def.kind_name().into(),
                def.trigger_name().into(),
                input["trigger"].clone().into(),
                json!(def.conditions).into(),
                input["actions"].clone().into(),
                secret.clone().into(),
                time(at).into(),
                time(at).into(),
                opt_uuid(scope.user_id).into(),
            ])
            .to_owned();
        tx.exec(&ins).await?;
        if active && def.trigger.is_timed() {
            schedule_scan_in(&mut tx, scope.workspace_id, self.clock.now()).await?;
        }
        audit::append(&mut tx, scope, "workflow_created", None, json!({"workflow_id": id, "name": name})).await?;
        tx.commit().await?;
        Ok(signing::revealed(self.workflow(scope, id).await?, secret))
    }

    /// Replaces the secret a workflow's webhook actions sign with; the answer is the
    /// only place the new one is shown.
    pub async fn rotate_workflow_secret(&self, scope: &Scope, id: Uuid) -> Result<Json, StoreError> {
        let secret = self.replace_secret(scope, "workflows", id, ("workflow_secret_rotated", "workflow")).await?;
        Ok(signing::revealed(self.workflow(scope, id).await?, secret))
    }

    /// Merges a patch into the workflow and checks the result as a whole; refused
    /// when the workflow is no longer at `if_match` (or at the version read here).
    pub async fn update_workflow(
        &self,
        scope: &Scope,
        id: Uuid,
        patch: &Json,
        if_match: Option<i64>,
    ) -> Result<Json, StoreError> {
        if !patch.is_object() {
            return Err(StoreError::Invalid(ValidationErrors::single(
                "",
                "invalid_type",
                "expected a JSON object (merge patch)",
            )));
        }
        let mut merged = self.workflow(scope, id).await?;
        let expected = versions::expected(if_match, &merged);
        // Arrays and the trigger are replaced whole, not merged key by key.
        for k in ["trigger", "conditions", "actions"] {
            if let Some(v) = patch.get(k) {
                merged[k] = Json::Null;
                merged[k] = v.clone();
            }
        }
        json_patch::merge(&mut merged, patch);
        let mut tx = self.db.write().await?;
        let (name, active, def) = check(&mut tx, scope, &merged).await?;
        let mut upd = Query::update()
            .table(t("workflows"))
            .value(t("name"), name.clone())
            .value(t("active"), active)
            .value(t("record_kind"), def.kind_name())
            .value(t("trigger_type"), def.trigger_name())
            .value(t("trigger"), merged["trigger"].clone())
            .value(t("conditions"), json!(def.conditions))
            .value(t("actions"), merged["actions"].clone())
            .value(t("updated_at"), time(now()))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        versions::guard(&mut upd, expected);
        versions::apply(&mut tx, scope, "workflows", id, &upd, expected).await?;
        if active && def.trigger.is_timed() {
            schedule_scan_in(&mut tx, scope.workspace_id, self.clock.now()).await?;
        }
        audit::append(&mut tx, scope, "workflow_changed", None, json!({"workflow_id": id, "name": name})).await?;
        tx.commit().await?;
        self.workflow(scope, id).await
    }

    pub async fn delete_workflow(&self, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
        self.workflow(scope, id).await?;
        let mut tx = self.db.write().await?;
        for table in ["workflow_runs", "workflow_fired"] {
            let del = Query::delete()
                .from_table(t(table))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t("workflow_id")).eq(uuid(id)))
                .to_owned();
            tx.exec(&del).await?;
        }
        let del = Query::delete()
            .from_table(t("workflows"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        tx.exec(&del).await?;
        audit::append(&mut tx, scope, "workflow_deleted", None, json!({"workflow_id": id})).await?;
        tx.commit().await
    }

    /// A workflow's run log, newest first.
    pub async fn workflow_runs(&self, scope: &Scope, id: Uuid, limit: u64) -> Result<Vec<Json>, StoreError> {
        self.workflow(scope, id).await?;
        let q = Query::select()
            .columns(
                ["id", "trigger", "record_kind", "record_id", "change_id", "depth", "outcome", "error", "actions", "at"].map(t),
            )
            .from(t("workflow_runs"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("workflow_id")).eq(uuid(id)))
            .order_by(t("id"), Order::Desc)
            .limit(limit.clamp(1, 500))
            .to_owned();
        let mut tx = self.db.read().await?;
        let types =
            [Col::Uuid, Col::Text, Col::Text, Col::Uuid, Col::Uuid, Col::Int, Col::Text, Col::Text, Col::Json, Col::DateTime];
        let rows = tx.rows(&q, &types).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                json!({"id": r[0], "trigger": r[1], "record_kind": r[2], "record_id": r[3], "change_id": r[4], "depth": r[5],
                       "outcome": r[6], "error": r[7], "actions": r[8], "at": r[9]})
            })
            .collect())
    }

    // ---- for the worker ------------------------------------------------------

    /// The workspace's active workflows, definitions parsed.
    pub async fn active_workflows(&self, workspace_id: Uuid) -> Result<Vec<Workflow>, StoreError> {
        let q = Query::select()
            .columns(COLS.map(t))
            .from(t("workflows"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
            .and_where(Expr::col(t("active")).eq(true))
            .order_by(t("id"), Order::Asc)
            .to_owned();
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&q, &TYPES).await?;
        let mut out = Vec::new();
        for r in rows {
            let (own, custom) = watched(&mut tx, &system(workspace_id), &r[3]).await?;
            // A definition no longer valid (a custom field or kind deleted) is left out; its next edit will say why.
            if let Ok(definition) = workflow::parse_definition(&r[3], &r[4], &r[5], &custom, own.as_ref()) {
                out.push(Workflow {
                    id: uuid_at(&r, 0).unwrap_or_default(),
                    name: str_at(&r, 1).unwrap_or_default().to_string(),
                    definition,
                    secret: str_at(&r, 6).unwrap_or_default().to_string(),
                });
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// How deep in a chain of workflows a change was made: 0 for a change a person made.
    pub async fn change_depth(&self, workspace_id: Uuid, change_id: Uuid) -> Result<i64, StoreError> {
        let q = Query::select()
            .column(t("depth"))
            .from(t("change_depths"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
            .and_where(Expr::col(t("change_id")).eq(uuid(change_id)))
            .to_owned();
        let mut tx = self.db.read().await?;
        let row = tx.row(&q, &[Col::Int]).await?;
        tx.commit().await?;
        Ok(row.and_then(|r| r[0].as_i64()).unwrap_or(0))
    }

    /// Remembers that a workflow fired for a record and occurrence; false when it had already.
    pub async fn mark_fired(
        &self,
        workspace_id: Uuid,
        workflow_id: Uuid,
        record_id: Uuid,
        occurrence: &str,
    ) -> Result<bool, StoreError> {
        let ins = Query::insert()
            .into_table(t("workflow_fired"))
            .columns(["workspace_id", "workflow_id", "record_id", "occurrence", "at"].map(t))
            .values_panic([
                uuid(workspace_id).into(),
                uuid(workflow_id).into(),
                uuid(record_id).into(),
                occurrence.into(),
                time(now()).into(),
            ])
            .to_owned();
        let mut tx = self.db.write().await?;
        match tx.exec(&ins).await {
            Ok(_) => {
                tx.commit().await?;
                Ok(true)
            }
            Err(e) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes one line of a workflow's run log.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_workflow_run(
        &self,
        workspace_id: Uuid,
        workflow_id: Uuid,
        trigger: &str,
        record: (Kind, Uuid),
        change_id: Option<Uuid>,
        depth: i64,
        outcome: &str,
        error: Option<&str>,
        actions: &[String],
    ) -> Result<(), StoreError> {
        let ins = Query::insert()
            .into_table(t("workflow_runs"))
            .columns(
                [
                    "workspace_id",
                    "id",
                    "workflow_id",
                    "trigger",
                    "record_kind",
                    "record_id",
                    "change_id",
                    "depth",
                    "outcome",
                    "error",
                    "actions",
                    "at",
                ]
                .map(t),
            )
            .values_panic([
                uuid(workspace_id).into(),
                uuid(new_id()).into(),
                uuid(workflow_id).into(),
                trigger.into(),
                record.0.as_str().into(),
                uuid(record.1).into(),
                opt_uuid(change_id).into(),
                depth.into(),
                outcome.into(),
                error.map(|e| e.chars().take(2000).collect::<String>()).into(),
                json!(actions).into(),
                time(now()).into(),
            ])
            .to_owned();
        let mut tx = self.db.write().await?;
        tx.exec(&ins).await?;
        tx.commit().await
    }

    /// Queues the next time-trigger scan, unless one is queued already.
    pub async fn schedule_workflow_scan(&self, workspace_id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut tx = self.db.write().await?;
        let queued = schedule_scan_in(&mut tx, workspace_id, at).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Creates a record for a workflow action at `depth` in a chain of workflows.
    pub async fn workflow_create(
        &self,
        workspace_id: Uuid,
        kind: Kind,
        input: &Record,
        depth: i64,
    ) -> Result<Record, StoreError> {
        let scope = system(workspace_id);
        let mut tx = self.db.write().await?;
        let rec = create_in(&mut tx, &scope, kind, input).await?;
        let id = uuid_at(&[rec["id"].clone()], 0).expect("record id");
        tag_depth(&mut tx, workspace_id, id, &BTreeSet::new(), depth).await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Applies a merge patch for a workflow action at `depth`.
    pub async fn workflow_update(
        &self,
        workspace_id: Uuid,
        kind: Kind,
        id: Uuid,
        patch: &Json,
        depth: i64,
    ) -> Result<Record, StoreError> {
        for _attempt in 0..5 {
            let mut tx = self.db.write().await?;
            if let Some(r) = write_in(&mut tx, workspace_id, kind, id, patch, depth, None).await? {
                tx.commit().await?;
                return Ok(r);
            }
        }
        Err(Conflict::new("busy", "the record is being changed by others; try again").into())
    }

    /// Gives a record to a user, or to the user an assignment rule picks (its
    /// method only: the rule's conditions are the workflow's business); the
    /// change-log row names the rule. `None` when the rule found no one available.
    pub async fn workflow_assign(
        &self,
        workspace_id: Uuid,
        kind: Kind,
        id: Uuid,
        rule_id: Option<Uuid>,
        user_id: Option<Uuid>,
        depth: i64,
    ) -> Result<Option<Record>, StoreError> {
        let owner = workflow::owner_field(kind)
            .ok_or_else(|| Conflict::new("no-owner", format!("{kind} records have no owner")).with("kind", kind.as_str()))?;
        for _attempt in 0..5 {
            let mut tx = self.db.write().await?;
            let (user, rule) = match (rule_id, user_id) {
                (Some(r), _) => {
                    let rows = assignment::load(&mut tx, workspace_id, None, Some(r)).await?;
                    let Some(s) = rows.first().and_then(|r| assignment::stored(r)) else {
                        return Err(Conflict::new("rule-gone", format!("the assignment rule {r} no longer exists")).into());
                    };
                    if s.rule.kind != kind {
                        let message =
                            format!("the assignment rule '{}' assigns {} records, not {kind}", s.rule.name, s.rule.kind);
                        return Err(Conflict::new("rule-kind", message)
                            .with("rule", &s.rule.name)
                            .with("rule_kind", s.rule.kind.as_str())
                            .with("kind", kind.as_str())
                            .into());
                    }
                    match assignment::pick(&mut tx, workspace_id, &s).await? {
                        Some(u) => (u, Some(s.rule.name)),
                        None => return Ok(None),
                    }
                }
                (None, Some(u)) => (u, None),
                (None, None) => return Ok(None),
            };
            let patch = json!({ owner: user });
            if let Some(r) = write_in(&mut tx, workspace_id, kind, id, &patch, depth, rule.as_deref()).await? {
                tx.commit().await?;
                return Ok(Some(r));
            }
        }
        Err(Conflict::new("busy", "the record is being changed by others; try again").into())
    }
}

/// One write of a workflow action, its change-log rows tagged with their depth
/// (and the assignment rule, when one chose the owner). `None` when another writer raced it.
async fn write_in(
    tx: &mut Tx,
    workspace_id: Uuid,
    kind: Kind,
    id: Uuid,
    patch: &Json,
    depth: i64,
    rule: Option<&str>,
) -> Result<Option<Record>, StoreError> {
    let before = change_ids(tx, workspace_id, id).await?;
    let rec = match update_in(tx, &system(workspace_id), kind, id, patch, None).await? {
        Applied::Changed(r) => r,
        Applied::Unchanged(r) => return Ok(Some(r)),
        Applied::Raced { .. } => return Ok(None),
    };
    for change in tag_depth(tx, workspace_id, id, &before, depth).await? {
        let Some(rule) = rule else { break };
        let q = Query::select()
            .column(t("diff"))
            .from(t("changes"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(change)))
            .to_owned();
        let Some(row) = tx.row(&q, &[Col::Json]).await? else { continue };
        let diff: Map<String, Json> = row[0].as_object().cloned().unwrap_or_default();
        let upd = Query::update()
            .table(t("changes"))
            .value(t("diff"), Json::Object(assignment::with_rule(diff, Some(rule.to_string()))))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(change)))
            .to_owned();
        tx.exec(&upd).await?;
    }
    Ok(Some(rec))
}

// ---- time triggers -------------------------------------------------------------

/// A record a time trigger fires for, and the occurrence it fires on.
#[derive(Debug, Clone)]
pub struct Due {
    pub record_id: Uuid,
    pub occurrence: String,
}

/// At most this many records per workflow and scan.
const SCAN_LIMIT: u64 = 500;

impl Store {
    /// Records a time-triggered workflow fires for now.
    pub async fn due_for(&self, workspace_id: Uuid, wf: &Workflow) -> Result<Vec<Due>, StoreError> {
        let kind = wf.definition.kind;
        let table = kind.table();
        let at = self.clock.now();
        let base = |cols: &[&str]| {
            let mut q = Query::select()
                .columns(cols.iter().map(|c| t(c)))
                .from(t(table))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
                .order_by(t("id"), Order::Asc)
                .limit(SCAN_LIMIT)
                .to_owned();
            // One table holds every custom kind's records: only the watched kind's.
            if let Some(key) = &wf.definition.object_type {
                q.and_where(Expr::col(t("type")).eq(key.as_str()));
            }
            q
        };
        let mut tx = self.db.read().await?;
        let out = match &wf.definition.trigger {
            Trigger::TaskOverdue => {
                let mut q = base(&["id", "due_at"]);
                q.and_where(Expr::col(t("due_at")).lt(time(at))).and_where(Expr::col(t("status")).is_in(["open", "in_progress"]));
                tx.rows(&q, &[Col::Uuid, Col::DateTime])
                    .await?
                    .iter()
                    .filter_map(|r| Some(Due { record_id: uuid_at(r, 0)?, occurrence: format!("overdue:{}", str_at(r, 1)?) }))
                    .collect()
            }
            Trigger::DateReached { field, offset_days } => {
                let owner = wf.definition.object_type.clone().unwrap_or_else(|| kind.as_str().to_string());
                let scope = system(workspace_id);
                let custom =
                    if kind.has_custom_fields() { custom_fields::load_for(&mut tx, &scope, &owner).await? } else { vec![] };
                let column = rapport_domain::filter::Column::resolve(kind, field, &custom);
                let col = column.as_ref().map(|c| c.ty);
                let offset = Duration::days(*offset_days);
                // A week of catching up, for a scan missed while Rapport was down.
                let window = Duration::days(7);
                match col {
                    Some(ColType::Date | ColType::DateTime) if column.as_ref().is_some_and(|c| c.custom) => {
                        let c = column.clone().expect("resolved");
                        let today = at.date_naive();
                        let (after, upto) = match c.ty {
                            ColType::Date => ((today - offset - window).to_string(), (today - offset).to_string()),
                            _ => (format_datetime(&(at - offset - window)), format_datetime(&(at - offset))),
                        };
                        // The list filters' own comparison, so that the field's index serves it.
                        let conds = ["gt", "lte"]
                            .into_iter()
                            .zip([after, upto])
                            .map(|(op, v)| rapport_domain::filter::condition_on(c.clone(), field, op, &v).map(Filter::Cond))
                            .collect::<Result<Vec<_>, _>>()?;
                        let mut q = base(&["id", "custom"]);
                        q.cond_where(crate::sql::compile(tx.backend(), workspace_id, table, kind, &Filter::All(conds)));
                        let key = field.trim_start_matches("custom.");
                        tx.rows(&q, &[Col::Uuid, Col::Json])
                            .await?
                            .iter()
                            .filter_map(|r| {
                                let when = r[1].get(key)?.as_str()?;
                                Some(Due { record_id: uuid_at(r, 0)?, occurrence: format!("date:{when}") })
                            })
                            .collect()
                    }
                    Some(ColType::Date) if field == "birthday" => {
                        let mut q = base(&["id", field]);
                        q.and_where(Expr::col(t(field)).is_not_null());
                        q.limit(100_000);
                        let today = at.date_naive();
                        tx.rows(&q, &[Col::Uuid, Col::Date])
                            .await?
                            .iter()
                            .filter_map(|r| {
                                let born = NaiveDate::parse_from_str(str_at(r, 1)?, "%Y-%m-%d").ok()?;
                                [today.year() - 1, today.year()].into_iter().find_map(|y| {
                                    let day = born.with_year(y).or_else(|| NaiveDate::from_ymd_opt(y, 3, 1))? + offset;
                                    (day <= today && day > today - window).then(|| Due {
                                        record_id: uuid_at(r, 0).unwrap_or_default(),
                                        occurrence: format!("date:{y}"),
                                    })
                                })
                            })
                            .take(SCAN_LIMIT as usize)
                            .collect()
                    }
                    Some(ColType::Date) => {
                        let today = at.date_naive();
                        let mut q = base(&["id", field]);
                        q.and_where(Expr::col(t(field)).lte(today - offset))
                            .and_where(Expr::col(t(field)).gt(today - offset - window));
                        tx.rows(&q, &[Col::Uuid, Col::Date])
                            .await?
                            .iter()
                            .filter_map(|r| {
                                Some(Due { record_id: uuid_at(r, 0)?, occurrence: format!("date:{}", str_at(r, 1)?) })
                            })
                            .collect()
                    }
                    Some(ColType::DateTime) => {
                        let mut q = base(&["id", field]);
                        q.and_where(Expr::col(t(field)).lte(time(at - offset)))
                            .and_where(Expr::col(t(field)).gt(time(at - offset - window)));
                        tx.rows(&q, &[Col::Uuid, Col::DateTime])
                            .await?
                            .iter()
                            .filter_map(|r| {
                                Some(Due { record_id: uuid_at(r, 0)?, occurrence: format!("date:{}", str_at(r, 1)?) })
                            })
                            .collect()
                    }
                    _ => vec![],
                }
            }
            Trigger::NoActivity { days } => {
                let cutoff = at - Duration::days(*days);
                // Kept by every write of an activity (`last_activity.rs`).
                let mut q = base(&["id", "created_at", "last_activity_at"]);
                q.and_where(Expr::col(t("created_at")).lte(time(cutoff))).cond_where(
                    sea_query::Cond::any()
                        .add(Expr::col(t("last_activity_at")).is_null())
                        .add(Expr::col(t("last_activity_at")).lte(time(cutoff))),
                );
                q.limit(100_000);
                tx.rows(&q, &[Col::Uuid, Col::DateTime, Col::DateTime])
                    .await?
                    .iter()
                    .filter_map(|r| {
                        let created = str_at(r, 1)?;
                        let quiet_since = match str_at(r, 2) {
                            Some(a) if a > created => a,
                            _ => created,
                        };
                        let since = rapport_domain::validate::parse_datetime(quiet_since)?;
                        (since <= cutoff).then(|| Due {
                            record_id: uuid_at(r, 0).unwrap_or_default(),
                            occurrence: format!("quiet:{quiet_since}"),
                        })
                    })
                    .take(SCAN_LIMIT as usize)
                    .collect()
            }
            _ => vec![],
        };
        tx.commit().await?;
        Ok(out)
    }
}
