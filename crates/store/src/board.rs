//! Figures for the pipeline board: how many deals each stage holds and what
//! they are worth, in one grouped query that applies the reader's visibility
//! exactly as lists do, so the board stays fast with many deals.

use std::collections::HashMap;

use rapport_domain::Kind;
use sea_query::{Cond, Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use crate::db::{Col, int_at, str_at, uuid_at};
use crate::records::{Record, fetch_parts};
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

    /// The first cards of some columns of a pipeline's board: for each
    /// `(stage, n)`, the `n` deals the scope may read that entered that stage
    /// last (newest first, then by id, as the deals list sorted by
    /// `-stage_entered_at` gives them), read in one statement for all
    /// columns, and their links in one more.
    pub async fn board_cards(
        &self,
        scope: &Scope,
        pipeline_id: Uuid,
        stages: &[(Uuid, u64)],
    ) -> Result<HashMap<Uuid, Vec<Record>>, StoreError> {
        access::require_read(scope, Kind::Deal)?;
        let table = Kind::Deal.table();
        let parts: Vec<(Cond, u64)> = stages
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(stage, n)| {
                // The pipeline too, so that the (workspace, pipeline, stage, stage_entered_at) index serves each part.
                let cond =
                    Cond::all().add(tc(table, "pipeline_id").eq(uuid(pipeline_id))).add(tc(table, "stage_id").eq(uuid(*stage)));
                (cond, Ord::min(*n, 500))
            })
            .collect();
        let mut cards: HashMap<Uuid, Vec<Record>> = stages.iter().map(|(s, _)| (*s, Vec::new())).collect();
        if parts.is_empty() {
            return Ok(cards);
        }
        let mut tx = self.db.read().await?;
        let rows = fetch_parts(&mut tx, scope, Kind::Deal, parts, |q| {
            q.order_by((t(table), t("stage_entered_at")), Order::Desc).order_by((t(table), t("id")), Order::Desc);
        })
        .await?;
        tx.commit().await?;
        for r in rows {
            if let Some(list) =
                r.get("stage_id").and_then(|s| s.as_str()).and_then(|s| Uuid::parse_str(s).ok()).and_then(|s| cards.get_mut(&s))
            {
                list.push(r);
            }
        }
        // Times are written at a fixed width (microseconds, `Z`), so they sort as text.
        let key = |r: &Record, f: &str| r.get(f).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        for list in cards.values_mut() {
            list.sort_by_key(|r| std::cmp::Reverse((key(r, "stage_entered_at"), key(r, "id"))));
        }
        Ok(cards)
    }
}
