//! The audit log: sign-ins and failures, tokens, sharing, settings, privacy
//! requests. Append-only; record changes themselves are in the change log.

use rapport_domain::Kind;
use rapport_domain::value::{new_id, now};
use sea_query::{Cond, Expr, ExprTrait, Order, Query};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::access::require_admin;
use crate::db::{Col, Tx};
use crate::sql::t;
use crate::values::{opt_uuid, time, uuid};
use crate::{Scope, Store, StoreError};

/// One audit event, as written by anything that is not a record change.
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    pub workspace_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub email: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub via: &'a str,
    pub action: &'a str,
    pub record: Option<(Kind, Uuid)>,
    pub detail: Json,
}

pub(crate) async fn write(tx: &mut Tx, e: &Event<'_>) -> Result<(), StoreError> {
    let ins = Query::insert()
        .into_table(t("audit_log"))
        .columns(
            ["workspace_id", "id", "at", "user_id", "email", "ip", "via", "action", "record_kind", "record_id", "detail"].map(t),
        )
        .values_panic([
            opt_uuid(e.workspace_id).into(),
            uuid(new_id()).into(),
            time(now()).into(),
            opt_uuid(e.user_id).into(),
            e.email.map(str::to_string).into(),
            e.ip.map(str::to_string).into(),
            e.via.into(),
            e.action.into(),
            e.record.map(|r| r.0.as_str().to_string()).into(),
            opt_uuid(e.record.map(|r| r.1)).into(),
            (if Json::is_null(&e.detail) { json!({}) } else { e.detail.clone() }).into(),
        ])
        .to_owned();
    tx.exec(&ins).await?;
    Ok(())
}

/// Appends an event done by the scope's user.
pub(crate) async fn append(
    tx: &mut Tx,
    scope: &Scope,
    action: &str,
    record: Option<(Kind, Uuid)>,
    detail: Json,
) -> Result<(), StoreError> {
    let e = Event {
        workspace_id: Some(scope.workspace_id),
        user_id: scope.user_id,
        email: None,
        ip: scope.ip.as_deref(),
        via: scope.via.as_str(),
        action,
        record,
        detail,
    };
    write(tx, &e).await
}

/// What to read from the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub user_id: Option<Uuid>,
    pub record: Option<(Kind, Uuid)>,
    pub action: Option<String>,
    pub before: Option<Uuid>,
    pub limit: u64,
}

impl Store {
    /// Writes an event outside any other write (sign-ins, failures).
    pub async fn audit(&self, e: &Event<'_>) -> Result<(), StoreError> {
        let mut tx = self.db.write().await?;
        write(&mut tx, e).await?;
        tx.commit().await
    }

    /// Audit events of the workspace, newest first; admins only.
    pub async fn audit_log(&self, scope: &Scope, q: &AuditQuery) -> Result<Vec<Json>, StoreError> {
        require_admin(scope)?;
        let mut cond = Cond::all().add(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)));
        if let Some(u) = q.user_id {
            cond = cond.add(Expr::col(t("user_id")).eq(uuid(u)));
        }
        if let Some((k, id)) = q.record {
            cond = cond.add(Expr::col(t("record_kind")).eq(k.as_str())).add(Expr::col(t("record_id")).eq(uuid(id)));
        }
        if let Some(a) = &q.action {
            cond = cond.add(Expr::col(t("action")).eq(a.clone()));
        }
        if let Some(b) = q.before {
            cond = cond.add(Expr::col(t("id")).lt(uuid(b)));
        }
        let sel = Query::select()
            .columns(["id", "at", "user_id", "email", "ip", "via", "action", "record_kind", "record_id", "detail"].map(t))
            .from(t("audit_log"))
            .cond_where(cond)
            .order_by(t("id"), Order::Desc)
            .limit(q.limit.clamp(1, 500))
            .to_owned();
        let types =
            [Col::Uuid, Col::DateTime, Col::Uuid, Col::Text, Col::Text, Col::Text, Col::Text, Col::Text, Col::Uuid, Col::Json];
        let mut tx = self.db.read().await?;
        let rows = tx.rows(&sel, &types).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                json!({"id": r[0], "at": r[1], "user_id": r[2], "email": r[3], "ip": r[4], "via": r[5],
                       "action": r[6], "record_kind": r[7], "record_id": r[8], "detail": r[9]})
            })
            .collect())
    }
}
