//! The calendar's days: the first tasks due and meetings held on each day,
//! and how many there are in all. A team's week can hold thousands; a page
//! shows the first few of each day and says how many more there are, so
//! neither the database nor the browser handles the rest.

use chrono::{DateTime, Utc};
use rapport_domain::Kind;
use sea_query::{Cond, Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use crate::db::{Col, Tx, int_at};
use crate::records::{Record, fetch_parts};
use crate::sql::{t, tc};
use crate::values::{time, uuid};
use crate::{Scope, Store, StoreError, access};

/// One day of the calendar: its first items in time order, and the counts
/// of all (above `COUNT_CAP`: more than that).
#[derive(Debug, Clone, Default)]
pub struct CalendarDay {
    pub tasks: Vec<Record>,
    pub meetings: Vec<Record>,
    pub task_count: i64,
    pub meeting_count: i64,
}

/// Who the calendar shows: everyone's tasks and meetings the reader may see, or one user's.
#[derive(Debug, Clone, Copy)]
pub enum Whose {
    Everyone,
    /// Tasks assigned to the user and meetings the user logged.
    User(Uuid),
}

/// What one kind contributes to a day: its table, time column, and the
/// conditions picking its items.
struct Source {
    kind: Kind,
    at: &'static str,
    only: Cond,
}

fn sources(whose: Whose) -> [Source; 2] {
    let (tasks, activities) = (Kind::Task.table(), Kind::Activity.table());
    let mut task_only = Cond::all();
    let mut meeting_only = Cond::all().add(tc(activities, "type").eq("meeting"));
    if let Whose::User(u) = whose {
        task_only = task_only.add(tc(tasks, "assignee_user_id").eq(uuid(u)));
        meeting_only = meeting_only.add(tc(activities, "created_by").eq(uuid(u)));
    }
    [
        Source { kind: Kind::Task, at: "due_at", only: task_only },
        Source { kind: Kind::Activity, at: "occurred_at", only: meeting_only },
    ]
}

fn within(table: &str, at: &str, (start, end): (DateTime<Utc>, DateTime<Utc>)) -> Cond {
    Cond::all().add(tc(table, at).gte(time(start))).add(tc(table, at).lt(time(end)))
}

/// Counts of a day's items stop here: a team's day can hold thousands, and
/// "more than 999" says enough. A count above it means "more than".
pub const COUNT_CAP: i64 = 999;

/// How many items of the source fall on each day, each count stopping after
/// `COUNT_CAP + 1` rows of the time index: one statement, a `UNION ALL` of a
/// limited count per day (an exact count of a busy week read every row).
async fn counts(
    tx: &mut Tx,
    scope: &Scope,
    src: &Source,
    days: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Result<Vec<i64>, StoreError> {
    let table = src.kind.table();
    let visible = access::condition(tx, scope, src.kind, false).await?;
    let parts = days.iter().enumerate().map(|(i, day)| {
        let mut cond = Cond::all()
            .add(tc(table, "workspace_id").eq(uuid(scope.workspace_id)))
            .add(src.only.clone())
            .add(within(table, src.at, *day));
        if let Some(v) = &visible {
            cond = cond.add(v.clone());
        }
        let rows = Query::select().expr(Expr::cust("1")).from(t(table)).cond_where(cond).to_owned();
        // The day's number beside its count, as SQL promises no order across the parts.
        let mut part = crate::sql::count_up_to(rows, COUNT_CAP as u64);
        part.expr(Expr::val(i as i64));
        part
    });
    let mut out = vec![0; days.len()];
    let Some(q) = crate::sql::union_all(parts) else { return Ok(out) };
    for r in tx.rows(&q, &[Col::Int, Col::Int]).await? {
        if let (Some(n), Some(i)) = (int_at(&r, 0), int_at(&r, 1))
            && let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i))
        {
            *slot = n;
        }
    }
    Ok(out)
}

impl Store {
    /// The given days (each a `[start, end)` instant range, in order): for
    /// each, the first `per_day` tasks due and meetings held that the scope
    /// may read, in time order, and how many there are in all.
    pub async fn calendar(
        &self,
        scope: &Scope,
        whose: Whose,
        days: &[(DateTime<Utc>, DateTime<Utc>)],
        per_day: u64,
    ) -> Result<Vec<CalendarDay>, StoreError> {
        access::require_read(scope, Kind::Task)?;
        access::require_read(scope, Kind::Activity)?;
        let mut out: Vec<CalendarDay> = days.iter().map(|_| CalendarDay::default()).collect();
        if days.is_empty() {
            return Ok(out);
        }
        let mut tx = self.db.read().await?;
        for src in sources(whose) {
            let table = src.kind.table();
            let n = counts(&mut tx, scope, &src, days).await?;
            // Each day its own limited part, walking the time index from the
            // day's start; days with nothing are not asked.
            let parts: Vec<(Cond, u64)> = days
                .iter()
                .zip(&n)
                .filter(|(_, n)| **n > 0)
                .map(|(day, _)| (src.only.clone().add(within(table, src.at, *day)), per_day))
                .collect();
            let rows = fetch_parts(&mut tx, scope, src.kind, parts, |q| {
                q.order_by((t(table), t(src.at)), Order::Asc).order_by((t(table), t("id")), Order::Asc);
            })
            .await?;
            let mut rows: Vec<(DateTime<Utc>, Record)> = rows
                .into_iter()
                .filter_map(|r| {
                    let at = r.get(src.at).and_then(|v| v.as_str()).and_then(rapport_domain::validate::parse_datetime)?;
                    Some((at, r))
                })
                .collect();
            rows.sort_by(|a, b| {
                (a.0, a.1.get("id").and_then(|v| v.as_str())).cmp(&(b.0, b.1.get("id").and_then(|v| v.as_str())))
            });
            for (at, r) in rows {
                let Some(i) = days.iter().position(|(s, e)| *s <= at && at < *e) else { continue };
                let day = &mut out[i];
                if src.kind == Kind::Task { day.tasks.push(r) } else { day.meetings.push(r) }
            }
            for (day, n) in out.iter_mut().zip(n) {
                if src.kind == Kind::Task { day.task_count = n } else { day.meeting_count = n }
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}
