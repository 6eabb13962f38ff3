//! Deal pipelines and their ordered stages, the rules that keep a deal's stage
//! and status in step, and the stage history the forecasts are built from.

use chrono::{DateTime, Utc};
use rapport_domain::validate::Changes;
use rapport_domain::value::{new_id, now};
use rapport_domain::{FieldValue, ValidationErrors};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::db::{Col, Tx, int_at, str_at, uuid_at};
use crate::records::Record;
use crate::sql::t;
use crate::values::{opt_uuid, time, uuid};
use crate::{Conflict, Scope, Store, StoreError};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Stage {
    pub id: Uuid,
    pub name: String,
    pub position: i64,
    /// Chance of winning a deal in this stage, 0 to 100.
    pub probability: i64,
    /// `open`, `won` or `lost`.
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pipeline {
    pub id: Uuid,
    pub name: String,
    pub position: i64,
    pub is_default: bool,
    pub version: i64,
    pub stages: Vec<Stage>,
}

/// A stage as a client describes it; `id` names an existing stage to keep.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    pub id: Option<Uuid>,
    pub name: String,
    pub probability: i64,
    #[serde(default = "open")]
    pub outcome: String,
}

fn open() -> String {
    "open".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineInput {
    pub name: String,
    pub stages: Vec<StageInput>,
    #[serde(default)]
    pub is_default: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct StageMove {
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
}

fn check_input(p: &PipelineInput) -> Result<(), ValidationErrors> {
    let mut errs = ValidationErrors::default();
    if p.name.trim().is_empty() || p.name.len() > 200 {
        errs.push("name", "required", "give a name of at most 200 characters");
    }
    if p.stages.is_empty() {
        errs.push("stages", "required", "a pipeline needs at least one stage");
    }
    for (i, s) in p.stages.iter().enumerate() {
        if s.name.trim().is_empty() {
            errs.push(format!("stages[{i}].name"), "required", "is required");
        }
        if !(0..=100).contains(&s.probability) {
            errs.push_with(
                format!("stages[{i}].probability"),
                "out_of_range",
                "must be between 0 and 100",
                &[("min", "0".into()), ("max", "100".into())],
            );
        }
        if !["open", "won", "lost"].contains(&s.outcome.as_str()) {
            errs.push(format!("stages[{i}].outcome"), "invalid", "expected open, won or lost");
        }
    }
    if !p.stages.iter().any(|s| s.outcome == "open") {
        errs.push("stages", "invalid", "a pipeline needs at least one open stage");
    }
    errs.into_result()
}

/// Pipelines belong to deals (`deal`) or to one custom record kind (its key).
pub(crate) const DEALS: &str = "deal";

async fn load_all(tx: &mut Tx, scope: &Scope) -> Result<Vec<Pipeline>, StoreError> {
    load_of(tx, scope, DEALS).await
}

/// The pipelines of deals or of one custom record kind.
pub(crate) async fn load_of(tx: &mut Tx, scope: &Scope, owner: &str) -> Result<Vec<Pipeline>, StoreError> {
    let q = Query::select()
        .columns(["id", "name", "position", "is_default", "version"].map(t))
        .from(t("pipelines"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("kind")).eq(owner))
        .order_by(t("position"), Order::Asc)
        .order_by(t("id"), Order::Asc)
        .to_owned();
    let rows = tx.rows(&q, &[Col::Uuid, Col::Text, Col::Int, Col::Bool, Col::Int]).await?;
    let sq = Query::select()
        .columns(["pipeline_id", "id", "name", "position", "probability", "outcome"].map(t))
        .from(t("stages"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .order_by(t("position"), Order::Asc)
        .to_owned();
    let stages = tx.rows(&sq, &[Col::Uuid, Col::Uuid, Col::Text, Col::Int, Col::Int, Col::Text]).await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let id = uuid_at(r, 0)?;
            Some(Pipeline {
                id,
                name: str_at(r, 1)?.to_string(),
                position: int_at(r, 2)?,
                is_default: r[3].as_bool()?,
                version: int_at(r, 4)?,
                stages: stages
                    .iter()
                    .filter(|s| uuid_at(s, 0) == Some(id))
                    .filter_map(|s| {
                        Some(Stage {
                            id: uuid_at(s, 1)?,
                            name: str_at(s, 2)?.to_string(),
                            position: int_at(s, 3)?,
                            probability: int_at(s, 4)?,
                            outcome: str_at(s, 5)?.to_string(),
                        })
                    })
                    .collect(),
            })
        })
        .collect())
}

async fn insert_stages(tx: &mut Tx, scope: &Scope, pipeline: Uuid, stages: &[StageInput]) -> Result<(), StoreError> {
    for (i, s) in stages.iter().enumerate() {
        let ins = Query::insert()
            .into_table(t("stages"))
            .columns(["workspace_id", "id", "pipeline_id", "name", "position", "probability", "outcome"].map(t))
            .values_panic([
                uuid(scope.workspace_id).into(),
                uuid(s.id.unwrap_or_else(new_id)).into(),
                uuid(pipeline).into(),
                s.name.trim().into(),
                (i as i64).into(),
                s.probability.into(),
                s.outcome.clone().into(),
            ])
            .to_owned();
        tx.exec(&ins).await?;
    }
    Ok(())
}

async fn insert_pipeline(tx: &mut Tx, scope: &Scope, p: &PipelineInput, position: i64) -> Result<Uuid, StoreError> {
    insert_pipeline_of(tx, scope, DEALS, p, position).await
}

pub(crate) async fn insert_pipeline_of(
    tx: &mut Tx,
    scope: &Scope,
    owner: &str,
    p: &PipelineInput,
    position: i64,
) -> Result<Uuid, StoreError> {
    check_input(p)?;
    let id = new_id();
    let ts = now();
    let ins = Query::insert()
        .into_table(t("pipelines"))
        .columns(["workspace_id", "kind", "id", "name", "position", "is_default", "created_at", "updated_at", "version"].map(t))
        .values_panic([
            uuid(scope.workspace_id).into(),
            owner.into(),
            uuid(id).into(),
            p.name.trim().into(),
            position.into(),
            p.is_default.into(),
            time(ts).into(),
            time(ts).into(),
            1i64.into(),
        ])
        .to_owned();
    tx.exec(&ins).await?;
    let stages: Vec<StageInput> = p.stages.iter().map(|s| StageInput { id: None, ..s.clone() }).collect();
    insert_stages(tx, scope, id, &stages).await?;
    Ok(id)
}

pub(crate) async fn create_default(tx: &mut Tx, scope: &Scope) -> Result<Uuid, StoreError> {
    let stage = |name: &str, probability: i64, outcome: &str| StageInput {
        id: None,
        name: name.into(),
        probability,
        outcome: outcome.into(),
    };
    let p = PipelineInput {
        name: "New business".into(),
        is_default: true,
        stages: vec![
            stage("Lead in", 10, "open"),
            stage("Qualified", 25, "open"),
            stage("Proposal", 50, "open"),
            stage("Negotiation", 75, "open"),
            stage("Won", 100, "won"),
            stage("Lost", 0, "lost"),
        ],
    };
    insert_pipeline(tx, scope, &p, 0).await
}

fn current_uuid(current: Option<&Record>, name: &str) -> Option<Uuid> {
    current.and_then(|r| r.get(name)).and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

/// Keeps a deal's pipeline, stage and status in step: a stage outside the
/// pipeline is refused, setting the status to won or lost moves the deal to that
/// stage, and a won or lost stage sets the status. Returns the stage entered, if any.
pub(crate) async fn settle_deal(
    tx: &mut Tx,
    scope: &Scope,
    current: Option<&Record>,
    c: &mut Changes,
    now: DateTime<Utc>,
) -> Result<Option<StageMove>, StoreError> {
    settle(tx, scope, DEALS, current, c, now).await
}

/// As `settle_deal`, for the records of any kind with pipelines (deals, or a
/// custom record kind with a status): `owner` names whose pipelines apply.
pub(crate) async fn settle(
    tx: &mut Tx,
    scope: &Scope,
    owner: &str,
    current: Option<&Record>,
    c: &mut Changes,
    now: DateTime<Utc>,
) -> Result<Option<StageMove>, StoreError> {
    let pipelines = load_of(tx, scope, owner).await?;
    let given = |c: &Changes, n: &str| match c.columns.get(n) {
        Some(FieldValue::Uuid(u)) => Some(Some(*u)),
        Some(_) => Some(None),
        None => None,
    };
    let old_pipeline = current_uuid(current, "pipeline_id");
    let old_stage = current_uuid(current, "stage_id");
    let pipeline_id = match given(c, "pipeline_id") {
        Some(Some(p)) => p,
        Some(None) | None => old_pipeline
            .or_else(|| pipelines.iter().find(|p| p.is_default).or(pipelines.first()).map(|p| p.id))
            .ok_or_else(|| {
                StoreError::Invalid(ValidationErrors::single(
                    "pipeline_id",
                    "required",
                    "the workspace has no pipeline; create one first",
                ))
            })?,
    };
    let Some(pipeline) = pipelines.iter().find(|p| p.id == pipeline_id) else {
        return Err(StoreError::Invalid(ValidationErrors::single(
            "pipeline_id",
            "not_found",
            format!("no pipeline with id {pipeline_id}"),
        )));
    };
    let status = match c.columns.get("status") {
        Some(FieldValue::Text(s)) => Some(s.clone()),
        _ => None,
    };
    let first_with = |outcome: &str| pipeline.stages.iter().find(|s| s.outcome == outcome).map(|s| s.id);
    let stage_id = match given(c, "stage_id") {
        Some(Some(s)) => s,
        Some(None) => {
            return Err(StoreError::Invalid(ValidationErrors::single(
                "stage_id",
                "required",
                "a record with a status is always in a stage",
            )));
        }
        None => {
            let kept = old_stage.filter(|_| old_pipeline == Some(pipeline_id));
            let kept_outcome = kept.and_then(|k| pipeline.stages.iter().find(|s| s.id == k)).map(|s| s.outcome.clone());
            match (status.as_deref(), kept, kept_outcome.as_deref()) {
                (Some(st @ ("won" | "lost")), _, o) if o != Some(st) => first_with(st).ok_or_else(|| {
                    StoreError::Invalid(ValidationErrors::single(
                        "status",
                        "invalid",
                        format!("pipeline '{}' has no {st} stage", pipeline.name),
                    ))
                })?,
                (Some("open"), _, Some("won" | "lost")) => first_with("open").expect("pipelines have an open stage"),
                (_, Some(k), _) => k,
                (_, None, _) => first_with("open").expect("pipelines have an open stage"),
            }
        }
    };
    let Some(stage) = pipeline.stages.iter().find(|s| s.id == stage_id) else {
        return Err(StoreError::Invalid(ValidationErrors::single(
            "stage_id",
            "not_found",
            format!("pipeline '{}' has no stage {stage_id}", pipeline.name),
        )));
    };
    if let Some(st) = &status
        && st != &stage.outcome
        && given(c, "stage_id").is_some()
    {
        return Err(StoreError::Invalid(ValidationErrors::single(
            "status",
            "conflict",
            format!("stage '{}' means status {}", stage.name, stage.outcome),
        )));
    }
    let old_status = current.and_then(|r| r.get("status")).and_then(Json::as_str).unwrap_or("open");
    c.columns.insert("pipeline_id", FieldValue::Uuid(pipeline_id));
    c.columns.insert("stage_id", FieldValue::Uuid(stage_id));
    c.columns.insert("status", FieldValue::Text(stage.outcome.clone()));
    if stage.outcome != old_status || current.is_none() {
        let closed = if stage.outcome == "open" { FieldValue::Null } else { FieldValue::DateTime(now) };
        c.columns.insert("closed_at", closed);
    }
    if Some(stage_id) == old_stage {
        c.columns.remove("pipeline_id");
        c.columns.remove("stage_id");
        if old_status == stage.outcome {
            c.columns.remove("status");
        }
        return Ok(None);
    }
    c.columns.insert("stage_entered_at", FieldValue::DateTime(now));
    Ok(Some(StageMove { pipeline_id, stage_id }))
}

pub(crate) async fn record_stage_move(
    tx: &mut Tx,
    scope: &Scope,
    deal: Uuid,
    m: StageMove,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let close = Query::update()
        .table(t("deal_stage_history"))
        .value(t("left_at"), time(now))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("deal_id")).eq(uuid(deal)))
        .and_where(Expr::col(t("left_at")).is_null())
        .to_owned();
    tx.exec(&close).await?;
    let ins = Query::insert()
        .into_table(t("deal_stage_history"))
        .columns(["workspace_id", "id", "deal_id", "pipeline_id", "stage_id", "entered_at", "entered_by"].map(t))
        .values_panic([
            uuid(scope.workspace_id).into(),
            uuid(new_id()).into(),
            uuid(deal).into(),
            uuid(m.pipeline_id).into(),
            uuid(m.stage_id).into(),
            time(now).into(),
            opt_uuid(scope.user_id).into(),
        ])
        .to_owned();
    tx.exec(&ins).await?;
    Ok(())
}

fn bad(field: &str, code: &'static str, m: impl Into<String>) -> StoreError {
    StoreError::Invalid(ValidationErrors::single(field, code, m))
}

impl Store {
    pub async fn pipelines(&self, scope: &Scope) -> Result<Vec<Pipeline>, StoreError> {
        crate::access::require_staff(scope)?;
        if let Some(p) = crate::cache::PIPELINES.get(&scope.workspace_id) {
            return Ok(p);
        }
        let read_at = crate::cache::epoch();
        let mut tx = self.db.read().await?;
        let p = load_all(&mut tx, scope).await?;
        tx.commit().await?;
        crate::cache::PIPELINES.put(scope.workspace_id, p.clone(), read_at);
        Ok(p)
    }

    pub async fn pipeline(&self, scope: &Scope, id: Uuid) -> Result<Pipeline, StoreError> {
        self.pipelines(scope).await?.into_iter().find(|p| p.id == id).ok_or(StoreError::NotFound)
    }

    pub async fn create_pipeline(&self, scope: &Scope, p: &PipelineInput) -> Result<Pipeline, StoreError> {
        crate::access::require_admin(scope)?;
        check_input(p)?;
        let mut tx = self.db.write().await?;
        let existing = load_all(&mut tx, scope).await?;
        if p.is_default {
            clear_default(&mut tx, scope).await?;
        }
        let id = insert_pipeline(&mut tx, scope, p, existing.len() as i64).await?;
        let created = load_all(&mut tx, scope).await?.into_iter().find(|x| x.id == id).ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        crate::cache::invalidate();
        Ok(created)
    }

    /// Renames the pipeline and sets its stages: stages named by id are kept
    /// (renamed, reordered), new ones added, and missing ones removed when no deal is in them.
    pub async fn update_pipeline(
        &self,
        scope: &Scope,
        id: Uuid,
        p: &PipelineInput,
        if_match: Option<i64>,
    ) -> Result<Pipeline, StoreError> {
        crate::access::require_admin(scope)?;
        let mut tx = self.db.write().await?;
        let out = update_in(&mut tx, scope, DEALS, id, p, if_match).await?;
        tx.commit().await?;
        crate::cache::invalidate();
        Ok(out)
    }

    /// Deletes an empty pipeline that is not the default.
    pub async fn delete_pipeline(&self, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
        crate::access::require_admin(scope)?;
        let mut tx = self.db.write().await?;
        let all = load_all(&mut tx, scope).await?;
        let cur = all.iter().find(|x| x.id == id).ok_or(StoreError::NotFound)?;
        if cur.is_default {
            return Err(Conflict::new(
                "pipeline-default",
                "the default pipeline cannot be deleted: make another one the default first",
            )
            .into());
        }
        let q = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(t("deals"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("pipeline_id")).eq(uuid(id)))
            .to_owned();
        let n = tx.row(&q, &[Col::Int]).await?.and_then(|r| int_at(&r, 0)).unwrap_or(0);
        if n > 0 {
            return Err(Conflict::new("pipeline-in-use", format!("the pipeline still holds {n} deal(s)"))
                .with("count", n)
                .into());
        }
        let del = Query::delete()
            .from_table(t("pipelines"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        tx.exec(&del).await?;
        tx.commit().await?;
        crate::cache::invalidate();
        Ok(())
    }

    /// Every stage a deal has been in: when it entered and left each.
    pub async fn stage_history(&self, scope: &Scope, deal: Uuid) -> Result<Vec<Json>, StoreError> {
        crate::access::require_read(scope, rapport_domain::Kind::Deal)?;
        let mut tx = self.db.read().await?;
        crate::records::fetch_one(&mut tx, scope, rapport_domain::Kind::Deal, deal).await?;
        let q = Query::select()
            .columns(["pipeline_id", "stage_id", "entered_at", "left_at", "entered_by"].map(t))
            .from(t("deal_stage_history"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("deal_id")).eq(uuid(deal)))
            .order_by(t("entered_at"), Order::Asc)
            .order_by(t("id"), Order::Asc)
            .to_owned();
        let rows = tx.rows(&q, &[Col::Uuid, Col::Uuid, Col::DateTime, Col::DateTime, Col::Uuid]).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| serde_json::json!({"pipeline_id": r[0], "stage_id": r[1], "entered_at": r[2], "left_at": r[3], "entered_by": r[4]}))
            .collect())
    }
}

/// The table holding the records a pipeline's stages are used by.
fn records_table(owner: &str) -> &'static str {
    if owner == DEALS { "deals" } else { "custom_records" }
}

/// Renames a pipeline of `owner` and sets its stages (see `Store::update_pipeline`).
pub(crate) async fn update_in(
    tx: &mut Tx,
    scope: &Scope,
    owner: &str,
    id: Uuid,
    p: &PipelineInput,
    if_match: Option<i64>,
) -> Result<Pipeline, StoreError> {
    check_input(p)?;
    let all = load_of(tx, scope, owner).await?;
    let cur = all.iter().find(|x| x.id == id).ok_or(StoreError::NotFound)?;
    if let Some(v) = if_match
        && v != cur.version
    {
        return Err(StoreError::VersionMismatch { expected: v, current: cur.version });
    }
    for (i, s) in p.stages.iter().enumerate() {
        if let Some(sid) = s.id
            && !cur.stages.iter().any(|c| c.id == sid)
        {
            return Err(bad(&format!("stages[{i}].id"), "not_found", format!("pipeline has no stage {sid}")));
        }
    }
    for old in &cur.stages {
        if p.stages.iter().any(|s| s.id == Some(old.id)) {
            continue;
        }
        let q = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(t(records_table(owner)))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("stage_id")).eq(uuid(old.id)))
            .to_owned();
        let n = tx.row(&q, &[Col::Int]).await?.and_then(|r| int_at(&r, 0)).unwrap_or(0);
        if n > 0 {
            let message = format!("stage '{}' still holds {n} record(s): move them first", old.name);
            return Err(Conflict::new("stage-in-use", message).with("stage", &old.name).with("count", n).into());
        }
    }
    // Stages are rewritten in place: keep ids, so deals and history stay attached.
    for old in &cur.stages {
        let keep = p.stages.iter().any(|s| s.id == Some(old.id));
        if !keep {
            let del = Query::delete()
                .from_table(t("stages"))
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t("id")).eq(uuid(old.id)))
                .to_owned();
            tx.exec(&del).await?;
        }
    }
    for (i, s) in p.stages.iter().enumerate() {
        match s.id {
            Some(sid) => {
                let upd = Query::update()
                    .table(t("stages"))
                    .value(t("name"), s.name.trim())
                    .value(t("position"), i as i64)
                    .value(t("probability"), s.probability)
                    .value(t("outcome"), s.outcome.clone())
                    .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                    .and_where(Expr::col(t("id")).eq(uuid(sid)))
                    .to_owned();
                tx.exec(&upd).await?;
            }
            None => insert_stages(tx, scope, id, std::slice::from_ref(s)).await?,
        }
    }
    // New stages were inserted at position 0; put every stage at its place.
    for (i, s) in p.stages.iter().enumerate() {
        if s.id.is_none() {
            let upd = Query::update()
                .table(t("stages"))
                .value(t("position"), i as i64)
                .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
                .and_where(Expr::col(t("pipeline_id")).eq(uuid(id)))
                .and_where(Expr::col(t("name")).eq(s.name.trim()))
                .to_owned();
            tx.exec(&upd).await?;
        }
    }
    if p.is_default && owner == DEALS {
        clear_default(tx, scope).await?;
    }
    let upd = Query::update()
        .table(t("pipelines"))
        .value(t("name"), p.name.trim())
        .value(t("is_default"), p.is_default || cur.is_default)
        .value(t("updated_at"), time(now()))
        .value(t("version"), Expr::col(t("version")).add(1))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("id")).eq(uuid(id)))
        .to_owned();
    tx.exec(&upd).await?;
    load_of(tx, scope, owner).await?.into_iter().find(|x| x.id == id).ok_or(StoreError::NotFound)
}

async fn clear_default(tx: &mut Tx, scope: &Scope) -> Result<(), StoreError> {
    let upd = Query::update()
        .table(t("pipelines"))
        .value(t("is_default"), false)
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("kind")).eq(DEALS))
        .to_owned();
    tx.exec(&upd).await?;
    Ok(())
}
