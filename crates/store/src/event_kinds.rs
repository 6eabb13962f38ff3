//! The workspace's custom record kinds as webhook events and workflows see
//! them, and which custom kind a change-log row's record is of: events of a
//! custom record are named by its kind's key (`contract.created`), but the
//! change log stores the generic `object` kind.

use rapport_domain::events::CustomKind;
use sea_query::{Expr, ExprTrait, Order, Query};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::db::{Col, Tx, str_at};
use crate::sql::t;
use crate::values::uuid;
use crate::{Scope, Store, StoreError};

/// Every custom record kind of the workspace: its key and whether it has a status.
pub(crate) async fn custom_kinds(tx: &mut Tx, workspace_id: Uuid) -> Result<Vec<CustomKind>, StoreError> {
    let q = Query::select()
        .columns(["key", "pipeline_id"].map(t))
        .from(t("object_types"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .order_by(t("position"), Order::Asc)
        .order_by(t("key"), Order::Asc)
        .to_owned();
    let rows = tx.rows(&q, &[Col::Text, Col::Uuid]).await?;
    Ok(rows
        .iter()
        .filter_map(|r| Some(CustomKind { key: str_at(r, 0)?.to_string(), has_status: !Json::is_null(&r[1]) }))
        .collect())
}

/// One custom record kind by its key; `None` when the workspace has no such kind.
pub(crate) async fn custom_kind(tx: &mut Tx, workspace_id: Uuid, key: &str) -> Result<Option<CustomKind>, StoreError> {
    Ok(custom_kinds(tx, workspace_id).await?.into_iter().find(|k| k.key == key))
}

/// The kind key of the custom record a change is about. The diffs of a creation
/// and a deletion carry it (`type`); an update's does not, so the record is
/// read, or, when it is gone since, its creation's change-log row.
pub(crate) async fn object_type_of(
    tx: &mut Tx,
    workspace_id: Uuid,
    record_id: Uuid,
    diff: &Json,
) -> Result<Option<String>, StoreError> {
    let in_diff = |d: &Json| d["type"]["new"].as_str().or(d["type"]["old"].as_str()).map(str::to_string);
    if let Some(k) = in_diff(diff) {
        return Ok(Some(k));
    }
    let q = Query::select()
        .column(t("type"))
        .from(t("custom_records"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("id")).eq(uuid(record_id)))
        .to_owned();
    if let Some(r) = tx.row(&q, &[Col::Text]).await? {
        return Ok(str_at(&r, 0).map(str::to_string));
    }
    let q = Query::select()
        .column(t("diff"))
        .from(t("changes"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("record_kind")).eq("object"))
        .and_where(Expr::col(t("record_id")).eq(uuid(record_id)))
        .and_where(Expr::col(t("action")).eq("created"))
        .limit(1)
        .to_owned();
    Ok(tx.row(&q, &[Col::Json]).await?.and_then(|r| in_diff(&r[0])))
}

impl Store {
    /// The events a webhook subscription may name in this workspace, its custom kinds' included.
    pub async fn webhook_event_types(&self, scope: &Scope) -> Result<Vec<String>, StoreError> {
        crate::access::require_admin(scope)?;
        let mut tx = self.db.read().await?;
        let kinds = custom_kinds(&mut tx, scope.workspace_id).await?;
        tx.commit().await?;
        Ok(rapport_domain::events::event_types(&kinds))
    }
}
