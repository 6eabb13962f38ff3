//! The index of every organization's activities (its own and its people's)
//! that the database keeps by triggers (migration 25), and the check that it
//! holds exactly what the links say.

use rapport_domain::Kind;
use sea_query::{Alias, Asterisk, Cond, Expr, ExprTrait, JoinType, Query, SelectStatement, UnionType};

use crate::db::{Col, Tx, int_at};
use crate::sql::t;
use crate::values::uuid;
use crate::{Scope, Store, StoreError, access};

/// What a repair changed in the kept index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountIndexRepair {
    /// Rows added for paths the index lacked.
    pub added: u64,
    /// Rows removed: no path left, or the activity's time had changed.
    pub removed: u64,
}

/// How the kept index compares with one built from the links now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountIndexCheck {
    /// Rows kept.
    pub kept: i64,
    /// (organization, activity, time) the links imply but the index lacks.
    pub missing: i64,
    /// Rows kept that the links no longer imply, or with another time.
    pub stale: i64,
}

impl AccountIndexCheck {
    pub fn is_exact(&self) -> bool {
        self.missing == 0 && self.stale == 0
    }
}

/// (activity_id, organization_id, occurred_at) of every path from an activity
/// to an organization in the workspace: a direct link, or one through a person.
fn implied(ws: uuid::Uuid) -> SelectStatement {
    let (activity, person, organization) = (Kind::Activity.as_str(), Kind::Person.as_str(), Kind::Organization.as_str());
    let a = Alias::new("a");
    let time = || (a.clone(), Alias::new("occurred_at"));
    let same_activity = |link: &str| {
        Cond::all()
            .add(Expr::col((a.clone(), Alias::new("workspace_id"))).equals((Alias::new(link), Alias::new("workspace_id"))))
            .add(Expr::col((a.clone(), Alias::new("id"))).equals((Alias::new(link), Alias::new("from_id"))))
    };
    let direct = Query::select()
        .column((Alias::new("d"), Alias::new("from_id")))
        .column((Alias::new("d"), Alias::new("to_id")))
        .column(time())
        .from_as(t("record_links"), Alias::new("d"))
        .join_as(JoinType::InnerJoin, t(Kind::Activity.table()), a.clone(), same_activity("d"))
        .and_where(Expr::col((Alias::new("d"), Alias::new("workspace_id"))).eq(uuid(ws)))
        .and_where(Expr::col((Alias::new("d"), Alias::new("from_kind"))).eq(activity))
        .and_where(Expr::col((Alias::new("d"), Alias::new("to_kind"))).eq(organization))
        .to_owned();
    let via_people = Query::select()
        .column((Alias::new("ap"), Alias::new("from_id")))
        .column((Alias::new("po"), Alias::new("to_id")))
        .column(time())
        .from_as(t("record_links"), Alias::new("ap"))
        .join_as(
            JoinType::InnerJoin,
            t("record_links"),
            Alias::new("po"),
            Cond::all()
                .add(
                    Expr::col((Alias::new("po"), Alias::new("workspace_id")))
                        .equals((Alias::new("ap"), Alias::new("workspace_id"))),
                )
                .add(Expr::col((Alias::new("po"), Alias::new("from_kind"))).eq(person))
                .add(Expr::col((Alias::new("po"), Alias::new("from_id"))).equals((Alias::new("ap"), Alias::new("to_id"))))
                .add(Expr::col((Alias::new("po"), Alias::new("to_kind"))).eq(organization)),
        )
        .join_as(JoinType::InnerJoin, t(Kind::Activity.table()), a.clone(), same_activity("ap"))
        .and_where(Expr::col((Alias::new("ap"), Alias::new("workspace_id"))).eq(uuid(ws)))
        .and_where(Expr::col((Alias::new("ap"), Alias::new("from_kind"))).eq(activity))
        .and_where(Expr::col((Alias::new("ap"), Alias::new("to_kind"))).eq(person))
        .to_owned();
    crate::sql::union_all([direct, via_people]).expect("two parts")
}

/// The kept row being tested (of `account_activities`, named `this` below)
/// is one a path still implies, at the activity's current time.
fn still_implied() -> Cond {
    let (activity, person, organization) = (Kind::Activity.as_str(), Kind::Person.as_str(), Kind::Organization.as_str());
    let col = |table: &str, c: &str| Expr::col((Alias::new(table), Alias::new(c)));
    let this = |c: &str| (t("account_activities"), Alias::new(c));
    let link = |alias: &str, from_kind: &str, to_kind: &str| {
        Query::select()
            .expr(Expr::val(1))
            .from_as(t("record_links"), Alias::new(alias))
            .and_where(col(alias, "workspace_id").equals(this("workspace_id")))
            .and_where(col(alias, "from_kind").eq(from_kind))
            .and_where(col(alias, "to_kind").eq(to_kind))
            .to_owned()
    };
    let at_its_time = Query::select()
        .expr(Expr::val(1))
        .from_as(t(Kind::Activity.table()), Alias::new("a"))
        .and_where(col("a", "workspace_id").equals(this("workspace_id")))
        .and_where(col("a", "id").equals(this("activity_id")))
        .and_where(col("a", "occurred_at").equals(this("occurred_at")))
        .to_owned();
    let direct = link("d", activity, organization)
        .and_where(col("d", "from_id").equals(this("activity_id")))
        .and_where(col("d", "to_id").equals(this("organization_id")))
        .to_owned();
    let via_person = link("ap", activity, person)
        .and_where(col("ap", "from_id").equals(this("activity_id")))
        .and_where(Expr::exists(
            link("po", person, organization)
                .and_where(col("po", "from_id").equals((Alias::new("ap"), Alias::new("to_id"))))
                .and_where(col("po", "to_id").equals(this("organization_id")))
                .to_owned(),
        ))
        .to_owned();
    Cond::all().add(Expr::exists(at_its_time)).add(Cond::any().add(Expr::exists(direct)).add(Expr::exists(via_person)))
}

fn kept(ws: uuid::Uuid) -> SelectStatement {
    Query::select()
        .columns(["activity_id", "organization_id", "occurred_at"].map(t))
        .from(t("account_activities"))
        .and_where(Expr::col(t("workspace_id")).eq(uuid(ws)))
        .to_owned()
}

/// How many rows `a` has that `b` has not.
async fn count_except(tx: &mut Tx, a: SelectStatement, b: SelectStatement) -> Result<i64, StoreError> {
    let mut left = Query::select();
    left.column(Asterisk).from_subquery(a, Alias::new("l"));
    let mut right = Query::select();
    right.column(Asterisk).from_subquery(b, Alias::new("r"));
    left.union(UnionType::Except, right);
    let q = Query::select().expr(Expr::cust("COUNT(*)")).from_subquery(left, Alias::new("d")).to_owned();
    Ok(tx.row(&q, &[Col::Int]).await?.and_then(|r| int_at(&r, 0)).unwrap_or(0))
}

impl Store {
    /// Compares the kept index of the workspace's accounts' activities with
    /// the one its links imply now (reads every link: a maintenance check,
    /// run by the benchmark after its load and by the tests).
    pub async fn check_account_index(&self, scope: &Scope) -> Result<AccountIndexCheck, StoreError> {
        access::require_admin(scope)?;
        let ws = scope.workspace_id;
        let mut tx = self.db.read().await?;
        let count = Query::select().expr(Expr::cust("COUNT(*)")).from_subquery(kept(ws), Alias::new("k")).to_owned();
        let kept_rows = tx.row(&count, &[Col::Int]).await?.and_then(|r| int_at(&r, 0)).unwrap_or(0);
        let missing = count_except(&mut tx, implied(ws), kept(ws)).await?;
        let stale = count_except(&mut tx, kept(ws), implied(ws)).await?;
        tx.commit().await?;
        Ok(AccountIndexCheck { kept: kept_rows, missing, stale })
    }

    /// Brings the kept index back to what the links imply: removes the rows
    /// no path implies any more (or at another time) and adds the missing
    /// ones, in one transaction. The triggers keep the index on every write;
    /// this mends what a race between writers outside the record engine's
    /// locks could leave behind (`rapport repair`).
    pub async fn repair_account_index(&self, scope: &Scope) -> Result<AccountIndexRepair, StoreError> {
        access::require_admin(scope)?;
        let ws = scope.workspace_id;
        let mut tx = self.db.write().await?;
        let stale = Query::delete()
            .from_table(t("account_activities"))
            .and_where(Expr::col((t("account_activities"), t("workspace_id"))).eq(uuid(ws)))
            .cond_where(still_implied().not())
            .to_owned();
        let removed = tx.exec(&stale).await?;
        let lacking = Query::select()
            .expr(Expr::val(1))
            .from(t("account_activities"))
            .and_where(Expr::col((t("account_activities"), t("workspace_id"))).eq(uuid(ws)))
            .and_where(Expr::col((t("account_activities"), t("activity_id"))).equals((Alias::new("i"), Alias::new("from_id"))))
            .and_where(Expr::col((t("account_activities"), t("organization_id"))).equals((Alias::new("i"), Alias::new("to_id"))))
            .to_owned();
        let missing = Query::select()
            .expr(Expr::val(uuid(ws)))
            .columns(["from_id", "to_id", "occurred_at"].map(|c| (Alias::new("i"), Alias::new(c))))
            .distinct()
            .from_subquery(implied(ws), Alias::new("i"))
            .and_where(Expr::exists(lacking).not())
            .to_owned();
        let add = Query::insert()
            .into_table(t("account_activities"))
            .columns(["workspace_id", "activity_id", "organization_id", "occurred_at"].map(t))
            .select_from(missing)
            .expect("four columns selected for four")
            .to_owned();
        let added = tx.exec(&add).await?;
        tx.commit().await?;
        Ok(AccountIndexRepair { added, removed })
    }
}
