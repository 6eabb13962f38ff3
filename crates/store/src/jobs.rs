//! A durable job queue in the database. On PostgreSQL several servers claim
//! jobs with `FOR UPDATE SKIP LOCKED`, so none runs twice; on SQLite the
//! single writer makes the same claim atomic. A claim is a lease: a server
//! killed mid-job leaves it to be claimed again when the lease runs out.

use chrono::{DateTime, Duration, Utc};
use rapport_domain::value::{new_id, now};
use sea_query::{Cond, Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::access::require_admin;
use crate::db::{Col, Tx, int_at, str_at, uuid_at};
use crate::sql::t;
use crate::values::{time, uuid};
use crate::{Scope, Store, StoreError};

#[derive(Debug, Clone)]
pub struct Job {
    pub workspace_id: Uuid,
    pub id: Uuid,
    pub kind: String,
    pub payload: Json,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub max_attempts: i64,
}

/// Queues a job inside the caller's transaction: it exists only if the write that made it commits.
pub(crate) async fn enqueue_in(
    tx: &mut Tx,
    workspace_id: Uuid,
    kind: &str,
    payload: Json,
    run_at: DateTime<Utc>,
    max_attempts: i64,
) -> Result<Uuid, StoreError> {
    let id = new_id();
    let ins = Query::insert()
        .into_table(t("jobs"))
        .columns(["workspace_id", "id", "kind", "payload", "status", "run_at", "attempts", "max_attempts", "created_at"].map(t))
        .values_panic([
            uuid(workspace_id).into(),
            uuid(id).into(),
            kind.into(),
            payload.into(),
            "queued".into(),
            time(run_at).into(),
            0i64.into(),
            max_attempts.into(),
            time(now()).into(),
        ])
        .to_owned();
    tx.exec(&ins).await?;
    Ok(id)
}

const JOB_COLS: [&str; 10] =
    ["id", "kind", "status", "run_at", "attempts", "max_attempts", "last_error", "created_at", "finished_at", "payload"];
const JOB_TYPES: [Col; 10] =
    [Col::Uuid, Col::Text, Col::Text, Col::DateTime, Col::Int, Col::Int, Col::Text, Col::DateTime, Col::DateTime, Col::Json];

impl Store {
    pub async fn enqueue(
        &self,
        workspace_id: Uuid,
        kind: &str,
        payload: Json,
        run_at: DateTime<Utc>,
        max_attempts: i64,
    ) -> Result<Uuid, StoreError> {
        let mut tx = self.db.write().await?;
        let id = enqueue_in(&mut tx, workspace_id, kind, payload, run_at, max_attempts).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claims the next due job for `worker`, for `lease`; `None` when none is due.
    pub async fn claim_job(&self, worker: &str, lease: Duration) -> Result<Option<Job>, StoreError> {
        let at = self.clock.now();
        let due = Query::select()
            .column(t("id"))
            .from(t("jobs"))
            .cond_where(
                Cond::any()
                    .add(Cond::all().add(Expr::col(t("status")).eq("queued")).add(Expr::col(t("run_at")).lte(time(at))))
                    .add(Cond::all().add(Expr::col(t("status")).eq("running")).add(Expr::col(t("locked_until")).lt(time(at)))),
            )
            .order_by(t("run_at"), Order::Asc)
            .limit(1)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .to_owned();
        let claim = Query::update()
            .table(t("jobs"))
            .value(t("status"), "running")
            .value(t("locked_by"), worker)
            .value(t("locked_until"), time(at + lease))
            .value(t("attempts"), Expr::col(t("attempts")).add(1))
            .and_where(Expr::col(t("id")).in_subquery(due))
            .returning(Query::returning().columns(["workspace_id", "id", "kind", "payload", "attempts", "max_attempts"].map(t)))
            .to_owned();
        let mut tx = self.db.write().await?;
        let row = tx.row(&claim, &[Col::Uuid, Col::Uuid, Col::Text, Col::Json, Col::Int, Col::Int]).await?;
        tx.commit().await?;
        Ok(row.and_then(|r| {
            Some(Job {
                workspace_id: uuid_at(&r, 0)?,
                id: uuid_at(&r, 1)?,
                kind: str_at(&r, 2)?.to_string(),
                payload: r[3].clone(),
                attempts: int_at(&r, 4)?,
                max_attempts: int_at(&r, 5)?,
            })
        }))
    }

    pub async fn finish_job(&self, job: &Job) -> Result<(), StoreError> {
        let upd = Query::update()
            .table(t("jobs"))
            .value(t("status"), "done")
            .value(t("finished_at"), time(now()))
            .value(t("locked_until"), sea_query::Value::ChronoDateTimeUtc(None))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(job.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(job.id)))
            .to_owned();
        let mut tx = self.db.write().await?;
        tx.exec(&upd).await?;
        tx.commit().await
    }

    /// Records a failure: queued again at `retry_at`, or dead when there is none
    /// or the attempts are used up.
    pub async fn fail_job(&self, job: &Job, error: &str, retry_at: Option<DateTime<Utc>>) -> Result<(), StoreError> {
        let retry = retry_at.filter(|_| job.attempts < job.max_attempts);
        let mut upd = Query::update();
        upd.table(t("jobs"))
            .value(t("last_error"), error.chars().take(2000).collect::<String>())
            .value(t("locked_until"), sea_query::Value::ChronoDateTimeUtc(None))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(job.workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(job.id)));
        match retry {
            Some(at) => upd.value(t("status"), "queued").value(t("run_at"), time(at)),
            None => upd.value(t("status"), "dead").value(t("finished_at"), time(now())),
        };
        let mut tx = self.db.write().await?;
        tx.exec(&upd).await?;
        tx.commit().await
    }

    /// The job log of the workspace, newest first (admins).
    pub async fn jobs(&self, scope: &Scope, status: Option<&str>, limit: u64) -> Result<Vec<Json>, StoreError> {
        require_admin(scope)?;
        let mut q = Query::select()
            .columns(JOB_COLS.map(t))
            .from(t("jobs"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .order_by(t("created_at"), Order::Desc)
            .limit(limit.clamp(1, 500))
            .to_owned();
        if let Some(s) = status {
            q.and_where(Expr::col(t("status")).eq(s));
        }
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&q, &JOB_TYPES).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                json!({"id": r[0], "kind": r[1], "status": r[2], "run_at": r[3], "attempts": r[4], "max_attempts": r[5],
                       "last_error": r[6], "created_at": r[7], "finished_at": r[8], "payload": r[9]})
            })
            .collect())
    }
}
