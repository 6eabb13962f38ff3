//! Optimistic concurrency for definitions edited by admins (workflows, assignment
//! rules): an update names the version it was based on and bumps it, and finds
//! nothing to update when someone else changed the row first.

use sea_query::{Expr, ExprTrait, Query, UpdateStatement};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::db::{Col, Tx};
use crate::sql::t;
use crate::values::uuid;
use crate::{Scope, StoreError};

/// The version to check: the client's `If-Match`, else the one this change was
/// merged onto (so that a change made between the read and the write is not lost).
pub(crate) fn expected(if_match: Option<i64>, read: &Json) -> i64 {
    if_match.unwrap_or_else(|| read["version"].as_i64().unwrap_or(1))
}

/// Makes `upd` bump the version, and only at `expected`.
pub(crate) fn guard(upd: &mut UpdateStatement, expected: i64) {
    upd.value(t("version"), Expr::col(t("version")).add(1)).and_where(Expr::col(t("version")).eq(expected));
}

/// Runs a guarded update; when it changed nothing, says which version the row is at.
pub(crate) async fn apply(
    tx: &mut Tx,
    scope: &Scope,
    table: &str,
    id: Uuid,
    upd: &UpdateStatement,
    expected: i64,
) -> Result<(), StoreError> {
    if tx.exec(upd).await? > 0 {
        return Ok(());
    }
    let q = Query::select()
        .column(t("version"))
        .from(t(table))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(scope.workspace_id)))
        .and_where(Expr::col(t("id")).eq(uuid(id)))
        .to_owned();
    match tx.row(&q, &[Col::Int]).await? {
        Some(r) => Err(StoreError::VersionMismatch { expected, current: r[0].as_i64().unwrap_or(0) }),
        None => Err(StoreError::NotFound),
    }
}
