//! The 360-degree view: every activity, task and change around a person,
//! organization or deal, newest first, in one stream paged by (time, id).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rapport_domain::{Kind, ValidationErrors};
use sea_query::{Cond, Expr, ExprTrait, Order, Query, SelectStatement};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::changes::{CHANGE_COLS, CHANGE_TYPES, change_json};
use crate::db::{Col, Tx, uuid_at};
use crate::records::{fetch_by_ids, fetch_one};
use crate::sql::{t, tc};
use crate::values::{time, uuid};
use crate::{Scope, Store, StoreError};

pub struct TimelinePage {
    pub items: Vec<Json>,
    pub next_cursor: Option<String>,
}

/// Ids of records of `from` linked to the target.
fn linked(from: Kind, to: Kind, id: Uuid, ws: Uuid) -> SelectStatement {
    Query::select()
        .column(t("from_id"))
        .from(t("record_links"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(ws)))
        .and_where(Expr::col(t("from_kind")).eq(from.as_str()))
        .and_where(Expr::col(t("to_kind")).eq(to.as_str()))
        .and_where(Expr::col(t("to_id")).eq(uuid(id)))
        .to_owned()
}

fn before(at: Expr, id: Expr, cursor: Option<(chrono::DateTime<chrono::Utc>, Uuid)>) -> Cond {
    match cursor {
        None => Cond::all(),
        Some((c_at, c_id)) => {
            Cond::any().add(at.clone().lt(time(c_at))).add(Cond::all().add(at.eq(time(c_at))).add(id.lt(uuid(c_id))))
        }
    }
}

/// Records of `kind` (activities or tasks) concerning the target, as timeline items.
async fn records_about(
    tx: &mut Tx,
    scope: &Scope,
    kind: Kind,
    target: Kind,
    id: Uuid,
    limit: u64,
    cursor: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
) -> Result<Vec<(String, String, Json)>, StoreError> {
    let table = kind.table();
    let ws = scope.workspace_id;
    let ids_col = tc(table, "id");
    if target == Kind::Organization && kind == Kind::Activity {
        return activities_of_account(tx, scope, id, limit, cursor).await;
    }
    let about = Cond::any().add(ids_col.clone().in_subquery(linked(kind, target, id, ws)));
    let at = match kind {
        Kind::Task => Expr::cust(format!("COALESCE(\"{table}\".\"due_at\", \"{table}\".\"created_at\")")),
        _ => tc(table, "occurred_at"),
    };
    // Ordered by the time as an expression no index provides: asked for the
    // newest `limit` in index order, both databases walk the time index of the
    // whole workspace backwards and probe each row for a link (thousands of
    // rows for a busy record, all of them for a quiet one); this way they start
    // from the target's links and sort those.
    let newest_first = crate::sql::unindexed(tx.backend(), at.clone());
    // First the ids of one page, sorted from the `(id, time)` indexes alone
    // (migration 17), then the full rows of that page only: a busy contact's
    // thousand activities are not read whole to keep fifty.
    let mut page = Query::select()
        .column((t(table), t("id")))
        .from(t(table))
        .and_where(tc(table, "workspace_id").eq(uuid(ws)))
        .cond_where(about)
        .cond_where(before(at, ids_col.clone(), cursor))
        .order_by_expr(newest_first.clone(), Order::Desc)
        .order_by_expr(ids_col.clone(), Order::Desc)
        .limit(limit)
        .to_owned();
    if let Some(visible) = crate::access::condition(tx, scope, kind, false).await? {
        page.cond_where(visible);
    }
    let ids: Vec<Uuid> = tx.rows(&page, &[Col::Uuid]).await?.iter().filter_map(|r| uuid_at(r, 0)).collect();
    let recs = fetch_by_ids(tx, scope, kind, ids, |q| {
        q.order_by_expr(newest_first, Order::Desc).order_by_expr(ids_col, Order::Desc);
    })
    .await?;
    Ok(as_items(kind, recs))
}

fn as_items(kind: Kind, recs: Vec<crate::Record>) -> Vec<(String, String, Json)> {
    recs.into_iter()
        .map(|r| {
            let at = match kind {
                Kind::Task => r.get("due_at").filter(|v| !v.is_null()).or(r.get("created_at")),
                _ => r.get("occurred_at"),
            }
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
            let id = r["id"].as_str().unwrap_or_default().to_string();
            (at.clone(), id, json!({"type": kind.as_str(), "at": at, kind.as_str(): r}))
        })
        .collect()
}

/// The newest activities of an organization, its own and its people's,
/// read in time order from the index the database keeps of them (migration
/// 25): a large account's page reads its few dozen newest of tens of
/// thousands, however many people it has.
async fn activities_of_account(
    tx: &mut Tx,
    scope: &Scope,
    org: Uuid,
    limit: u64,
    cursor: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
) -> Result<Vec<(String, String, Json)>, StoreError> {
    let (ws, table, index) = (scope.workspace_id, Kind::Activity.table(), "account_activities");
    let mut page = Query::select()
        .column((t(index), t("activity_id")))
        .from(t(index))
        .and_where(tc(index, "workspace_id").eq(uuid(ws)))
        .and_where(tc(index, "organization_id").eq(uuid(org)))
        .cond_where(before(tc(index, "occurred_at"), tc(index, "activity_id"), cursor))
        .order_by((t(index), t("occurred_at")), Order::Desc)
        .order_by((t(index), t("activity_id")), Order::Desc)
        .limit(limit)
        .to_owned();
    // Only a reader who may not see every activity needs the activities themselves here.
    if let Some(visible) = crate::access::condition(tx, scope, Kind::Activity, false).await? {
        page.inner_join(
            t(table),
            Cond::all()
                .add(tc(table, "workspace_id").equals((t(index), t("workspace_id"))))
                .add(tc(table, "id").equals((t(index), t("activity_id")))),
        )
        .cond_where(visible);
    }
    let ids: Vec<Uuid> = tx.rows(&page, &[Col::Uuid]).await?.iter().filter_map(|r| uuid_at(r, 0)).collect();
    let recs = fetch_by_ids(tx, scope, Kind::Activity, ids, |q| {
        q.order_by((t(table), t("occurred_at")), Order::Desc).order_by((t(table), t("id")), Order::Desc);
    })
    .await?;
    Ok(as_items(Kind::Activity, recs))
}

/// The time of the workspace's `n`-th newest activity (before the cursor),
/// read from the time index alone; `None` when there are fewer.
pub(crate) async fn nth_newest_activity(
    tx: &mut Tx,
    ws: Uuid,
    n: u64,
    cursor: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    let table = Kind::Activity.table();
    let q = Query::select()
        .column(t("occurred_at"))
        .from(t(table))
        .and_where(tc(table, "workspace_id").eq(uuid(ws)))
        .cond_where(before(tc(table, "occurred_at"), tc(table, "id"), cursor))
        .order_by(t("occurred_at"), Order::Desc)
        .order_by(t("id"), Order::Desc)
        .limit(1)
        .offset(Ord::max(n, 1) - 1)
        .to_owned();
    let row = tx.row(&q, &[Col::DateTime]).await?;
    Ok(row.as_ref().and_then(|r| r.first()).and_then(Json::as_str).and_then(rapport_domain::validate::parse_datetime))
}

async fn changes_about(
    tx: &mut Tx,
    scope: &Scope,
    target: Kind,
    id: Uuid,
    limit: u64,
    cursor: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
) -> Result<Vec<(String, String, Json)>, StoreError> {
    let ws = scope.workspace_id;
    let own = Cond::all().add(Expr::col(t("record_kind")).eq(target.as_str())).add(Expr::col(t("record_id")).eq(uuid(id)));
    let related = match target {
        Kind::Person => Some(tc("deals", "id").in_subquery(linked(Kind::Deal, Kind::Person, id, ws))),
        Kind::Organization => Some(tc("deals", "organization_id").eq(uuid(id))),
        _ => None,
    };
    // The record's own changes and its deals' changes are read apart and
    // merged here: one query with an OR between them keeps PostgreSQL from
    // using the (record_kind, record_id, at) index and scans the whole log.
    let mut parts = vec![own];
    if let Some(r) = related {
        // Only the deals the scope may read.
        let mut deals = Query::select()
            .column((t("deals"), t("id")))
            .from(t("deals"))
            .and_where(tc("deals", "workspace_id").eq(uuid(ws)))
            .and_where(r)
            .to_owned();
        if let Some(visible) = crate::access::condition(tx, scope, Kind::Deal, false).await? {
            deals.cond_where(visible);
        }
        parts.push(Cond::all().add(Expr::col(t("record_kind")).eq("deal")).add(Expr::col(t("record_id")).in_subquery(deals)));
    }
    // Custom records whose relation fields point here: created, changed. Their
    // links are found by the fields' exact origins (`object.<field key>`),
    // which the links' target index serves (a `LIKE 'object.%'` made SQLite
    // read every link to the record: 26,000 for a large account), and not at
    // all when no custom kind has a relation field.
    let object = format!("{}.", Kind::Object.as_str());
    let kinds: Vec<String> = crate::relations::origins(tx, ws).await?.into_iter().filter(|o| o.starts_with(&object)).collect();
    if !kinds.is_empty() && crate::access::require_read(scope, Kind::Object).is_ok() {
        let pointing = Query::select()
            .column(t("from_id"))
            .from(t("record_links"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(ws)))
            .and_where(Expr::col(t("to_kind")).eq(target.as_str()))
            .and_where(Expr::col(t("to_id")).eq(uuid(id)))
            .and_where(Expr::col(t("from_kind")).is_in(kinds))
            .to_owned();
        let objects = Kind::Object.table();
        let mut visible_objects = Query::select()
            .column((t(objects), t("id")))
            .from(t(objects))
            .and_where(tc(objects, "workspace_id").eq(uuid(ws)))
            .and_where(tc(objects, "id").in_subquery(pointing))
            .to_owned();
        if let Some(visible) = crate::access::condition(tx, scope, Kind::Object, false).await? {
            visible_objects.cond_where(visible);
        }
        parts.push(
            Cond::all()
                .add(Expr::col(t("record_kind")).eq(Kind::Object.as_str()))
                .add(Expr::col(t("record_id")).in_subquery(visible_objects)),
        );
    }
    let mut items = Vec::new();
    for about in parts {
        let q = Query::select()
            .columns(CHANGE_COLS.map(t))
            .from(t("changes"))
            .and_where(Expr::col(t("workspace_id")).eq(uuid(ws)))
            .cond_where(about)
            .cond_where(before(Expr::col(t("at")), Expr::col(t("id")), cursor))
            .order_by(t("at"), Order::Desc)
            .order_by(t("id"), Order::Desc)
            .limit(limit)
            .to_owned();
        let rows = tx.rows(&q, &CHANGE_TYPES).await?;
        items.extend(rows.into_iter().map(|r| {
            let mut item = change_json(r);
            let at = item["at"].as_str().unwrap_or_default().to_string();
            let id = item["id"].as_str().unwrap_or_default().to_string();
            item["type"] = json!("change");
            (at, id, item)
        }));
    }
    Ok(items)
}

fn bad_cursor() -> StoreError {
    StoreError::Invalid(ValidationErrors::single("cursor", "invalid", "is not a timeline cursor this server gave"))
}

impl Store {
    /// A page of the timeline of a person, organization or deal.
    pub async fn timeline(
        &self,
        scope: &Scope,
        kind: Kind,
        id: Uuid,
        limit: u64,
        cursor: Option<&str>,
    ) -> Result<TimelinePage, StoreError> {
        let cursor = match cursor {
            None => None,
            Some(c) => {
                let raw = URL_SAFE_NO_PAD.decode(c).map_err(|_| bad_cursor())?;
                let v: Json = serde_json::from_slice(&raw).map_err(|_| bad_cursor())?;
                let at = v["at"].as_str().and_then(rapport_domain::validate::parse_datetime).ok_or_else(bad_cursor)?;
                let id = v["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(bad_cursor)?;
                Some((at, id))
            }
        };
        let limit = limit.clamp(1, 200);
        crate::access::require_read(scope, kind)?;
        let mut tx = self.db.read().await?;
        fetch_one(&mut tx, scope, kind, id).await?;
        let mut items = records_about(&mut tx, scope, Kind::Activity, kind, id, limit + 1, cursor).await?;
        items.extend(records_about(&mut tx, scope, Kind::Task, kind, id, limit + 1, cursor).await?);
        items.extend(changes_about(&mut tx, scope, kind, id, limit + 1, cursor).await?);
        tx.commit().await?;
        // Times are all RFC 3339 UTC with microseconds, so they sort as text.
        items.sort_by(|a, b| (&b.0, &b.1).cmp(&(&a.0, &a.1)));
        let more = items.len() as u64 > limit;
        items.truncate(limit as usize);
        let next_cursor = if more {
            items.last().map(|(at, id, _)| URL_SAFE_NO_PAD.encode(json!({"at": at, "id": id}).to_string()))
        } else {
            None
        };
        Ok(TimelinePage { items: items.into_iter().map(|i| i.2).collect(), next_cursor })
    }
}
