//! What a user's home page sums up: their tasks due and overdue and their
//! open deals per stage, counted by the database (never from a page of
//! rows, which would stop counting at the page's size), and the latest
//! activities on the records they own.

use chrono::{DateTime, Utc};
use rapport_domain::Kind;
use sea_query::{Cond, Expr, ExprTrait, Order, Query, SelectStatement};
use uuid::Uuid;

use crate::db::{Backend, Col, Tx, int_at, str_at, uuid_at};
use crate::records::{Record, fetch};
use crate::sql::{probed_per_row, t, tc};
use crate::values::{time, uuid};
use crate::{Scope, Store, StoreError, access};

/// A user's open tasks that are late, and those due later today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskCounts {
    pub overdue: i64,
    pub due_today: i64,
}

/// A user's open deals in one stage of one pipeline, in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDeals {
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    pub currency: String,
    pub count: i64,
    pub amount_minor: i64,
}

/// How many of the workspace's latest activities are looked through for
/// those on a user's records: the walk stays short for a user who owns few
/// records, and "recent" means recent in the workspace.
pub const RECENT_WINDOW: u64 = 2_000;

impl Store {
    /// The open tasks assigned to `user` due before `now` (overdue) and from
    /// `now` until `end_of_day` (due today).
    pub async fn task_counts(
        &self,
        scope: &Scope,
        user: Uuid,
        now: DateTime<Utc>,
        end_of_day: DateTime<Utc>,
    ) -> Result<TaskCounts, StoreError> {
        access::require_read(scope, Kind::Task)?;
        let table = Kind::Task.table();
        let mut tx = self.db.read().await?;
        let mut open = Cond::all()
            .add(tc(table, "workspace_id").eq(uuid(scope.workspace_id)))
            .add(tc(table, "assignee_user_id").eq(uuid(user)))
            .add(tc(table, "status").is_in(["open", "in_progress"]));
        if let Some(visible) = access::condition(&mut tx, scope, Kind::Task, false).await? {
            open = open.add(visible);
        }
        // Two counts, each a range of the (assignee, status, due) index.
        let mut counts = [0; 2];
        for (n, range) in counts.iter_mut().zip([
            Cond::all().add(tc(table, "due_at").lt(time(now))),
            Cond::all().add(tc(table, "due_at").gte(time(now))).add(tc(table, "due_at").lt(time(end_of_day))),
        ]) {
            let q = Query::select().expr(Expr::cust("COUNT(*)")).from(t(table)).cond_where(open.clone().add(range)).to_owned();
            *n = tx.row(&q, &[Col::Int]).await?.and_then(|r| int_at(&r, 0)).unwrap_or(0);
        }
        tx.commit().await?;
        let at = |i: usize| counts[i];
        Ok(TaskCounts { overdue: at(0), due_today: at(1) })
    }

    /// The open deals `owner` owns that the scope may read, per pipeline,
    /// stage and currency (amounts in different currencies are never added).
    pub async fn open_deals_of(&self, scope: &Scope, owner: Uuid) -> Result<Vec<OpenDeals>, StoreError> {
        access::require_read(scope, Kind::Deal)?;
        let table = Kind::Deal.table();
        let mut tx = self.db.read().await?;
        let mut cond = Cond::all()
            .add(tc(table, "workspace_id").eq(uuid(scope.workspace_id)))
            .add(tc(table, "owner_id").eq(uuid(owner)))
            .add(tc(table, "status").eq("open"));
        if let Some(visible) = access::condition(&mut tx, scope, Kind::Deal, false).await? {
            cond = cond.add(visible);
        }
        let by = [("pipeline_id", Col::Uuid), ("stage_id", Col::Uuid), ("currency", Col::Text)];
        let rows = crate::board::deal_sums(&mut tx, cond, &by).await?;
        tx.commit().await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(OpenDeals {
                    pipeline_id: uuid_at(r, 0)?,
                    stage_id: uuid_at(r, 1)?,
                    currency: str_at(r, 2)?.to_string(),
                    count: int_at(r, 3)?,
                    amount_minor: int_at(r, 4).unwrap_or(0),
                })
            })
            .collect())
    }

    /// The latest activities (newest first, at most `limit`) that concern a
    /// person, organization or deal `owner` owns, among the workspace's
    /// `RECENT_WINDOW` latest activities, or, for a user owning few records
    /// with none of those, among all the activities of their records.
    pub async fn recent_activity_on_records_of(&self, scope: &Scope, owner: Uuid, limit: u64) -> Result<Vec<Record>, StoreError> {
        access::require_read(scope, Kind::Activity)?;
        let table = Kind::Activity.table();
        let mut tx = self.db.read().await?;
        if owned_up_to(&mut tx, scope.workspace_id, owner, 0).await? == 0 {
            tx.commit().await?;
            return Ok(vec![]);
        }
        let limit = limit.clamp(1, 100);
        let newest_first = |s: &mut SelectStatement| {
            s.order_by((t(table), t("occurred_at")), Order::Desc).order_by((t(table), t("id")), Order::Desc);
        };
        let linked = Cond::all().add(Expr::exists(links_to_owned(tx.backend(), scope.workspace_id, owner)));
        let since = crate::timeline::nth_newest_activity(&mut tx, scope.workspace_id, RECENT_WINDOW, None).await?.map(time);
        let windowed = since.is_some();
        let cond = match since {
            Some(since) => linked.add(tc(table, "occurred_at").gte(since)),
            None => linked,
        };
        let mut rows = fetch(&mut tx, scope, Kind::Activity, cond, newest_first, Some(limit)).await?;
        // A user with few records in a busy workspace may have nothing among
        // its latest activities, yet activity on their records last week:
        // theirs are then collected from their records' links and sorted.
        if windowed
            && (rows.len() as u64) < limit
            && owned_up_to(&mut tx, scope.workspace_id, owner, FEW_OWNED).await? <= FEW_OWNED
        {
            let mine = tc(table, "id").in_subquery(activities_of_owned(scope.workspace_id, owner));
            let backend = tx.backend();
            rows = fetch(
                &mut tx,
                scope,
                Kind::Activity,
                Cond::all().add(mine),
                |s| {
                    s.order_by_expr(crate::sql::unindexed(backend, tc(table, "occurred_at")), Order::Desc)
                        .order_by((t(table), t("id")), Order::Desc);
                },
                Some(limit),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rows)
    }
}

/// Up to how many records a user may own for their recent activity to be
/// collected from their records when the workspace's latest hold none.
const FEW_OWNED: u64 = 500;

/// How many people, organizations and deals `owner` owns, counted only up
/// to `cap + 1` (each count an index range that stops there).
async fn owned_up_to(tx: &mut Tx, workspace_id: Uuid, owner: Uuid, cap: u64) -> Result<u64, StoreError> {
    let mut total = 0;
    for table in ["deals", "people", "organizations"] {
        let owned = Query::select()
            .column(t("id"))
            .from(t(table))
            .and_where(tc(table, "workspace_id").eq(uuid(workspace_id)))
            .and_where(tc(table, "owner_id").eq(uuid(owner)))
            .to_owned();
        total += tx.row(&crate::sql::count_up_to(owned, cap - total), &[Col::Int]).await?.and_then(|r| int_at(&r, 0)).unwrap_or(0)
            as u64;
        if total > cap {
            break;
        }
    }
    Ok(total)
}

/// The ids of the activities linked to a person, organization or deal `owner` owns.
fn activities_of_owned(workspace_id: Uuid, owner: Uuid) -> SelectStatement {
    let links = "record_links";
    Query::select()
        .column(t("from_id"))
        .from(t(links))
        .and_where(tc(links, "workspace_id").eq(uuid(workspace_id)))
        .and_where(tc(links, "from_kind").eq(Kind::Activity.as_str()))
        .cond_where(to_owned_record(workspace_id, owner))
        .to_owned()
}

/// A link row (of `record_links`) pointing at a person, organization or deal `owner` owns.
fn to_owned_record(workspace_id: Uuid, owner: Uuid) -> Cond {
    let links = "record_links";
    let owned = |table: &str, kind: &str| {
        let ids = Query::select()
            .column(t("id"))
            .from(t(table))
            .and_where(tc(table, "workspace_id").eq(uuid(workspace_id)))
            .and_where(tc(table, "owner_id").eq(uuid(owner)))
            .to_owned();
        Cond::all().add(tc(links, "to_kind").eq(kind.to_string())).add(tc(links, "to_id").in_subquery(ids))
    };
    Cond::any()
        .add(owned("people", Kind::Person.as_str()))
        .add(owned("organizations", Kind::Organization.as_str()))
        .add(owned("deals", Kind::Deal.as_str()))
}

/// A link from the activity being read to a person, organization or deal
/// `owner` owns. Each of the window's activities is probed through its few
/// links to the linked record's row (by primary key, then its owner): an
/// `IN` over the owner's records would read every record they own first, a
/// tenth of a large workspace for a sales user.
fn links_to_owned(backend: Backend, workspace_id: Uuid, owner: Uuid) -> SelectStatement {
    let links = "record_links";
    let owned = |kind: Kind| {
        let table = kind.table();
        let row = Query::select()
            .expr(Expr::val(1))
            .from(t(table))
            .and_where(tc(table, "workspace_id").eq(uuid(workspace_id)))
            .and_where(tc(table, "id").equals((t(links), t("to_id"))))
            .and_where(tc(table, "owner_id").eq(uuid(owner)))
            .to_owned();
        Cond::all().add(tc(links, "to_kind").eq(kind.as_str())).add(Expr::exists(probed_per_row(backend, row)))
    };
    let q = Query::select()
        .expr(Expr::val(1))
        .from(t(links))
        .and_where(tc(links, "workspace_id").eq(uuid(workspace_id)))
        .and_where(tc(links, "from_kind").eq(Kind::Activity.as_str()))
        .and_where(tc(links, "from_id").equals((t(Kind::Activity.table()), t("id"))))
        .cond_where(Cond::any().add(owned(Kind::Person)).add(owned(Kind::Organization)).add(owned(Kind::Deal)))
        .to_owned();
    probed_per_row(backend, q)
}
