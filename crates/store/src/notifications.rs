//! In-app notifications: task reminders, workflow notices.

use rapport_domain::Kind;
use rapport_domain::value::{new_id, now};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::db::Col;
use crate::sql::t;
use crate::values::{opt_uuid, time, uuid};
use crate::{Scope, Store, StoreError};

impl Store {
    pub async fn notify(
        &self,
        workspace_id: Uuid,
        user_id: Uuid,
        kind: &str,
        title: &str,
        body: Option<&str>,
        record: Option<(Kind, Uuid)>,
    ) -> Result<Uuid, StoreError> {
        let id = new_id();
        let ins = Query::insert()
            .into_table(t("notifications"))
            .columns(["workspace_id", "id", "user_id", "kind", "title", "body", "record_kind", "record_id", "created_at"].map(t))
            .values_panic([
                uuid(workspace_id).into(),
                uuid(id).into(),
                uuid(user_id).into(),
                kind.into(),
                title.into(),
                body.map(str::to_string).into(),
                record.map(|r| r.0.as_str().to_string()).into(),
                opt_uuid(record.map(|r| r.1)).into(),
                time(now()).into(),
            ])
            .to_owned();
        let mut tx = self.db.write().await?;
        tx.exec(&ins).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The caller's notifications, newest first.
    pub async fn notifications(&self, scope: &Scope, unread_only: bool, limit: u64) -> Result<Vec<Json>, StoreError> {
        crate::access::require_staff(scope)?;
        let Some(user) = scope.user_id else { return Ok(vec![]) };
        let mut q = Query::select()
            .columns(["id", "kind", "title", "body", "record_kind", "record_id", "created_at", "read_at"].map(t))
            .from(t("notifications"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("user_id")).eq(uuid(user)))
            .order_by(t("created_at"), Order::Desc)
            .limit(limit.clamp(1, 200))
            .to_owned();
        if unread_only {
            q.and_where(Expr::col(t("read_at")).is_null());
        }
        let mut tx = self.db.read().await?;
        let rows = tx
            .rows(&q, &[Col::Uuid, Col::Text, Col::Text, Col::Text, Col::Text, Col::Uuid, Col::DateTime, Col::DateTime])
            .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| json!({"id": r[0], "kind": r[1], "title": r[2], "body": r[3], "record_kind": r[4], "record_id": r[5], "created_at": r[6], "read_at": r[7]}))
            .collect())
    }

    pub async fn mark_notification_read(&self, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
        crate::access::require_staff(scope)?;
        let upd = Query::update()
            .table(t("notifications"))
            .value(t("read_at"), time(now()))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
            .and_where(Expr::col(t("user_id")).eq(opt_uuid(scope.user_id)))
            .and_where(Expr::col(t("id")).eq(uuid(id)))
            .to_owned();
        let mut tx = self.db.write().await?;
        let n = tx.exec(&upd).await?;
        tx.commit().await?;
        if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}
