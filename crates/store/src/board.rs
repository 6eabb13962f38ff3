//! Figures for the pipeline board: how many deals each stage holds and what
//! they are worth, in one grouped query that applies the reader's visibility
//! exactly as lists do, so the board stays fast with many deals.

use rapport_domain::Kind;
use sea_query::{Cond, Expr, ExprTrait, Query};
use uuid::Uuid;

use crate::db::{Col, int_at, str_at, uuid_at};
use crate::sql::{t, tc};
use crate::values::uuid;
use crate::{Scope, Store, StoreError, access};

/// The deals of one stage in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageTotal {
    pub stage_id: Uuid,
    pub currency: String,
    pub count: i64,
    /// Sum of the amounts, in minor units; deals without an amount count as zero.
    pub amount_minor: i64,
}

impl Store {
    /// Count and total amount of the deals the scope may read in each stage of a
    /// pipeline, per currency (amounts in different currencies are never added).
    pub async fn stage_totals(&self, scope: &Scope, pipeline_id: Uuid) -> Result<Vec<StageTotal>, StoreError> {
        access::require_read(scope, Kind::Deal)?;
        let table = Kind::Deal.table();
        let mut tx = self.db.read().await?;
        let mut cond = Cond::all()
            .add(tc(table, "workspace_id").eq(uuid(scope.workspace_id)))
            .add(tc(table, "pipeline_id").eq(uuid(pipeline_id)));
        if let Some(visible) = access::condition(&mut tx, scope, Kind::Deal, false).await? {
            cond = cond.add(visible);
        }
        // PostgreSQL sums BIGINT as NUMERIC: cast back so both databases answer an integer.
        let q = Query::select()
            .column((t(table), t("stage_id")))
            .column((t(table), t("currency")))
            .expr(Expr::cust("COUNT(*)"))
            .expr(Expr::cust(format!("CAST(COALESCE(SUM(\"{table}\".\"amount_minor\"), 0) AS BIGINT)")))
            .from(t(table))
            .cond_where(cond)
            .group_by_col((t(table), t("stage_id")))
            .group_by_col((t(table), t("currency")))
            .to_owned();
        let rows = tx.rows(&q, &[Col::Uuid, Col::Text, Col::Int, Col::Int]).await?;
        tx.commit().await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(StageTotal {
                    stage_id: uuid_at(r, 0)?,
                    currency: str_at(r, 1)?.to_string(),
                    count: int_at(r, 2)?,
                    amount_minor: int_at(r, 3).unwrap_or(0),
                })
            })
            .collect())
    }
}
