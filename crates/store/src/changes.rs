//! The change log (one row per write, with each field's old and new value)
//! and the idempotency keys that make a retried create safe.

use chrono::{DateTime, Utc};
use rapport_domain::Kind;
use rapport_domain::value::new_id;
use sea_query::{Cond, Expr, ExprTrait, Order, Query};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::db::{Col, Tx, str_at, uuid_at};
use crate::records::Idempotency;
use crate::sql::t;
use crate::values::{opt_uuid, time, uuid};
use crate::{Scope, Store, StoreError};

pub(crate) async fn append(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    id: Uuid,
    action: &str,
    diff: Map<String, Json>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let change_id = new_id();
    // Task reminders: a job at the reminder time, checked again when it runs.
    if kind == Kind::Task
        && let Some(remind) =
            diff.get("remind_at").and_then(|d| d["new"].as_str()).and_then(rapport_domain::validate::parse_datetime)
    {
        crate::jobs::enqueue_in(
            tx,
            scope.workspace_id,
            "task_reminder",
            json!({"task_id": id, "remind_at": diff["remind_at"]["new"]}),
            remind,
            5,
        )
        .await?;
    }
    // Webhooks read the change log: each change of a workspace with subscribers
    // becomes an event job, in this transaction, so a rolled-back write emits nothing.
    if crate::webhooks::any_active(tx, scope.workspace_id).await? || crate::workflows::any_active(tx, scope.workspace_id).await? {
        crate::jobs::enqueue_in(tx, scope.workspace_id, "dispatch_event", json!({"change_id": change_id}), at, 10).await?;
    }
    let ins = Query::insert()
        .into_table(t("changes"))
        .columns(["workspace_id", "id", "at", "actor_id", "via", "ip", "record_kind", "record_id", "action", "diff"].map(t))
        .values_panic([
            uuid(scope.workspace_id).into(),
            uuid(change_id).into(),
            time(at).into(),
            opt_uuid(scope.user_id).into(),
            scope.via.as_str().into(),
            scope.ip.clone().into(),
            kind.as_str().into(),
            uuid(id).into(),
            action.into(),
            Json::Object(diff).into(),
        ])
        .to_owned();
    tx.exec(&ins).await?;
    Ok(())
}

pub(crate) const CHANGE_COLS: [&str; 9] = ["id", "at", "actor_id", "via", "record_kind", "record_id", "action", "diff", "ip"];
pub(crate) const CHANGE_TYPES: [Col; 9] =
    [Col::Uuid, Col::DateTime, Col::Uuid, Col::Text, Col::Text, Col::Uuid, Col::Text, Col::Json, Col::Text];

pub(crate) fn change_json(r: Vec<Json>) -> Json {
    json!({
        "id": r[0], "at": r[1], "actor_id": r[2], "via": r[3],
        "record_kind": r[4], "record_id": r[5], "action": r[6], "changes": r[7], "ip": r[8],
    })
}

impl Store {
    /// One change-log row, for the event it becomes; a custom record's carries
    /// its kind's key as `object_type`.
    pub async fn change(&self, workspace_id: Uuid, id: Uuid) -> Result<Json, StoreError> {
        let q = Query::select()
            .columns(CHANGE_COLS.map(t))
            .from(t("changes"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        let mut tx = self.db.read().await?;
        let mut change = tx.row(&q, &CHANGE_TYPES).await?.map(change_json).ok_or(StoreError::NotFound)?;
        if change["record_kind"] == Kind::Object.as_str()
            && let Some(record) = change["record_id"].as_str().and_then(|s| Uuid::parse_str(s).ok())
        {
            let key = crate::event_kinds::object_type_of(&mut tx, workspace_id, record, &change["changes"]).await?;
            change["object_type"] = Json::from(key);
        }
        tx.commit().await?;
        Ok(change)
    }

    /// A record's history, newest first: who changed which field, when, from what to what.
    pub async fn history(
        &self,
        scope: &Scope,
        kind: Kind,
        id: Uuid,
        limit: u64,
        before: Option<Uuid>,
    ) -> Result<Vec<Json>, StoreError> {
        // Only the history of a record the scope may read; a deleted record's, for admins.
        match self.get(scope, kind, id).await {
            Ok(_) => {}
            Err(StoreError::NotFound) if crate::access::require_admin(scope).is_ok() => {}
            Err(e) => return Err(e),
        }
        let mut cond = Cond::all()
            .add(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .add(Expr::col(t("record_kind")).eq(kind.as_str()))
            .add(Expr::col(t("record_id")).eq(uuid(id)));
        if let Some(b) = before {
            cond = cond.add(Expr::col(t("id")).lt(uuid(b)));
        }
        let q = Query::select()
            .columns(CHANGE_COLS.map(t))
            .from(t("changes"))
            .cond_where(cond)
            .order_by(t("id"), Order::Desc)
            .limit(limit.clamp(1, 500))
            .to_owned();
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&q, &CHANGE_TYPES).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(change_json).collect())
    }
}

/// Every change to one record, oldest first.
pub(crate) async fn for_record(tx: &mut Tx, scope: &Scope, kind: Kind, id: Uuid) -> Result<Vec<Json>, StoreError> {
    let q = Query::select()
        .columns(CHANGE_COLS.map(t))
        .from(t("changes"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("record_kind")).eq(kind.as_str()))
        .and_where(Expr::col(t("record_id")).eq(uuid(id)))
        .order_by(t("id"), Order::Asc)
        .to_owned();
    Ok(tx.rows(&q, &CHANGE_TYPES).await?.into_iter().map(change_json).collect())
}

pub(crate) async fn save_idempotency(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    idem: &Idempotency,
    id: Uuid,
) -> Result<(), StoreError> {
    let user = scope.user_id.unwrap_or(Uuid::nil());
    let ins = Query::insert()
        .into_table(t("idempotency_keys"))
        .columns(["workspace_id", "user_id", "key", "request_hash", "record_kind", "record_id", "created_at"].map(t))
        .values_panic([
            uuid(scope.workspace_id).into(),
            uuid(user).into(),
            idem.key.clone().into(),
            idem.request_hash.clone().into(),
            kind.as_str().into(),
            uuid(id).into(),
            time(rapport_domain::value::now()).into(),
        ])
        .to_owned();
    tx.exec(&ins).await?;
    Ok(())
}

/// The request digest, kind and record id a key was first used with.
pub(crate) async fn find_idempotency(
    tx: &mut Tx,
    scope: &Scope,
    key: &str,
) -> Result<Option<(String, String, Uuid)>, StoreError> {
    let q = Query::select()
        .columns(["request_hash", "record_kind", "record_id"].map(t))
        .from(t("idempotency_keys"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("user_id")).eq(uuid(scope.user_id.unwrap_or(Uuid::nil()))))
        .and_where(Expr::col(t("key")).eq(key))
        .to_owned();
    let row = tx.row(&q, &[Col::Text, Col::Text, Col::Uuid]).await?;
    Ok(row.and_then(|r| Some((str_at(&r, 0)?.to_string(), str_at(&r, 1)?.to_string(), uuid_at(&r, 2)?))))
}
