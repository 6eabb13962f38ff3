//! Figures for the pipeline board: how many deals each stage holds and what
//! they are worth, in one grouped query that applies the reader's visibility
//! exactly as lists do, so the board stays fast with many deals.

use std::collections::HashMap;

use rapport_domain::Kind;
use sea_query::{Cond, Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use crate::db::{Col, Rows, Tx, int_at, str_at, uuid_at};
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

/// The totals kept in `deal_totals`, summed over their shards; groups whose
/// deals have all left are not answered, as a count would not find them.
async fn kept_totals(tx: &mut Tx, workspace_id: Uuid, pipeline_id: Uuid) -> Result<Vec<StageTotal>, StoreError> {
    let q = Query::select()
        .column(t("stage_id"))
        .column(t("currency"))
        .expr(Expr::cust("CAST(SUM(\"deals\") AS BIGINT)"))
        .expr(Expr::cust("CAST(SUM(\"amount_minor\") AS BIGINT)"))
        .from(t("deal_totals"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(workspace_id)))
        .and_where(Expr::col(t("pipeline_id")).eq(uuid(pipeline_id)))
        .group_by_col(t("stage_id"))
        .group_by_col(t("currency"))
        .and_having(Expr::cust("SUM(\"deals\") <> 0"))
        .to_owned();
    let rows = tx.rows(&q, &[Col::Uuid, Col::Text, Col::Int, Col::Int]).await?;
    Ok(to_totals(&rows))
}

/// The totals counted from the deals, within what `visible` lets through.
async fn counted_totals(
    tx: &mut Tx,
    workspace_id: Uuid,
    pipeline_id: Uuid,
    visible: Option<Cond>,
) -> Result<Vec<StageTotal>, StoreError> {
    let table = Kind::Deal.table();
    let mut cond =
        Cond::all().add(tc(table, "workspace_id").eq(uuid(workspace_id))).add(tc(table, "pipeline_id").eq(uuid(pipeline_id)));
    if let Some(visible) = visible {
        cond = cond.add(visible);
    }
    let rows = deal_sums(tx, cond, &[("stage_id", Col::Uuid), ("currency", Col::Text)]).await?;
    Ok(to_totals(&rows))
}

/// The deals matching `cond` grouped by the given columns: each row holds
/// those columns, then the number of deals and the sum of their amounts
/// (deals without an amount count as zero).
pub(crate) async fn deal_sums(tx: &mut Tx, cond: Cond, by: &[(&str, Col)]) -> Result<Rows, StoreError> {
    let table = Kind::Deal.table();
    let mut q = Query::select();
    for (column, _) in by {
        q.column((t(table), t(column))).group_by_col((t(table), t(column)));
    }
    // PostgreSQL sums BIGINT as NUMERIC: cast back so both databases answer an integer.
    q.expr(Expr::cust("COUNT(*)"))
        .expr(Expr::cust(format!("CAST(COALESCE(SUM(\"{table}\".\"amount_minor\"), 0) AS BIGINT)")))
        .from(t(table))
        .cond_where(cond);
    let cols: Vec<Col> = by.iter().map(|(_, c)| *c).chain([Col::Int, Col::Int]).collect();
    tx.rows(&q, &cols).await
}

fn to_totals(rows: &Rows) -> Vec<StageTotal> {
    let mut totals: Vec<StageTotal> = rows
        .iter()
        .filter_map(|r| {
            Some(StageTotal {
                stage_id: uuid_at(r, 0)?,
                currency: str_at(r, 1)?.to_string(),
                count: int_at(r, 2)?,
                amount_minor: int_at(r, 3).unwrap_or(0),
            })
        })
        .collect();
    // One order for both ways of counting, so that they compare as they are.
    totals.sort_by(|a, b| (a.stage_id, &a.currency).cmp(&(b.stage_id, &b.currency)));
    totals
}

impl Store {
    /// Count and total amount of the deals the scope may read in each stage of a
    /// pipeline, per currency (amounts in different currencies are never added).
    ///
    /// A reader who sees every deal gets the totals the database keeps as
    /// deals are written (migration 19): a few rows per stage, however many
    /// deals there are. A reader who sees only some deals gets them counted
    /// from those deals.
    pub async fn stage_totals(&self, scope: &Scope, pipeline_id: Uuid) -> Result<Vec<StageTotal>, StoreError> {
        access::require_read(scope, Kind::Deal)?;
        let mut tx = self.db.read().await?;
        let totals = match access::condition(&mut tx, scope, Kind::Deal, false).await? {
            None => kept_totals(&mut tx, scope.workspace_id, pipeline_id).await?,
            Some(visible) => counted_totals(&mut tx, scope.workspace_id, pipeline_id, Some(visible)).await?,
        };
        tx.commit().await?;
        Ok(totals)
    }

    /// The stage totals of every deal of a pipeline counted from the deals
    /// themselves, for an administrator to check the kept totals against:
    /// both must always agree.
    pub async fn recount_stage_totals(&self, scope: &Scope, pipeline_id: Uuid) -> Result<Vec<StageTotal>, StoreError> {
        access::require_admin(scope)?;
        let mut tx = self.db.read().await?;
        let totals = counted_totals(&mut tx, scope.workspace_id, pipeline_id, None).await?;
        tx.commit().await?;
        Ok(totals)
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
