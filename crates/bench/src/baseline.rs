//! The limits of this machine, measured in the same run: the database alone
//! (the same rows, the same point select and the same list query, straight
//! through sqlx with no Rapport code, from this process at the same
//! concurrency), beside the HTTP floor measured in `run`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use rapport_domain::Kind;
use rapport_store::db::Db;
use serde::Serialize;
use uuid::Uuid;

use crate::load::{self, Measure, Plan};
use crate::rows::{Cell, Row, SqliteWriter, Table, kind_columns, pg_copy_on};

/// The same SELECT the record engine runs for a person, by id.
pub fn point_select_sql(sqlite: bool) -> String {
    let (a, b) = if sqlite { ("?", "?") } else { ("$1", "$2") };
    format!("SELECT {} FROM \"people\" WHERE \"people\".\"workspace_id\" = {a} AND \"people\".\"id\" = {b} LIMIT 1", columns())
}

/// The same SELECT the record engine runs for `GET /people?lifecycle_stage=X&sort=name&limit=50`.
pub fn list_sql(sqlite: bool) -> String {
    let (a, b) = if sqlite { ("?", "?") } else { ("$1", "$2") };
    format!(
        "SELECT {} FROM \"people\" WHERE \"people\".\"workspace_id\" = {a} AND \"people\".\"lifecycle_stage\" = {b} \
         ORDER BY \"people\".\"name\" ASC, \"people\".\"id\" ASC LIMIT 51",
        columns()
    )
}

fn columns() -> String {
    kind_columns(Kind::Person)
        .iter()
        .filter(|c| **c != "workspace_id")
        .map(|c| format!("\"people\".\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pick(h: u64, len: usize) -> usize {
    (crate::mix(h) % len.max(1) as u64) as usize
}

/// Point selects of random people, `plan.concurrency` at a time.
pub async fn point_select(db: &Db, plan: Plan, workspace: Uuid, people: Arc<Vec<Uuid>>) -> Measure {
    let sql: Arc<str> = Arc::from(point_select_sql(matches!(db, Db::Sqlite { .. })));
    let db = db.clone();
    load::measure(plan, move |w, n| {
        let (db, sql, people) = (db.clone(), sql.clone(), people.clone());
        async move {
            let id = people[pick(((w as u64) << 40) ^ n, people.len())];
            let found = match &db {
                Db::Sqlite { read, .. } => {
                    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(workspace).bind(id).fetch_optional(read).await.map(|r| r.is_some())
                }
                Db::Postgres(pool) => {
                    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(workspace).bind(id).fetch_optional(pool).await.map(|r| r.is_some())
                }
            };
            match found {
                Ok(true) => Ok(1),
                Ok(false) => Err(format!("no person {id}")),
                Err(e) => Err(e.to_string()),
            }
        }
    })
    .await
}

/// The list query, with the same filter values as the HTTP requests.
pub async fn list(db: &Db, plan: Plan, workspace: Uuid, stages: Arc<Vec<&'static str>>) -> Measure {
    let sql: Arc<str> = Arc::from(list_sql(matches!(db, Db::Sqlite { .. })));
    let db = db.clone();
    load::measure(plan, move |w, n| {
        let (db, sql, stages) = (db.clone(), sql.clone(), stages.clone());
        async move {
            let stage = stages[pick(((w as u64) << 40) ^ n ^ 0x5157, stages.len())];
            let rows = match &db {
                Db::Sqlite { read, .. } => {
                    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(workspace).bind(stage).fetch_all(read).await.map(|r| r.len())
                }
                Db::Postgres(pool) => {
                    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(workspace).bind(stage).fetch_all(pool).await.map(|r| r.len())
                }
            };
            rows.map_err(|e| e.to_string())
        }
    })
    .await
}

/// Writing the same rows again, straight through sqlx, in one transaction that is rolled back.
#[derive(Debug, Clone, Serialize)]
pub struct BulkInsert {
    /// Rows per second for each table, from a sample of its rows.
    pub per_table: BTreeMap<&'static str, f64>,
    /// The time the database alone would take to write every generated row, at those rates.
    pub estimated_seconds: f64,
    pub rows_per_second: f64,
}

pub async fn bulk_insert(
    db: &Db,
    samples: &BTreeMap<Table, Vec<Row>>,
    counts: &BTreeMap<&'static str, u64>,
) -> anyhow::Result<BulkInsert> {
    // Fresh keys make the rows new; everything they point at exists. Users have unique emails: left out.
    let renewed: Vec<(Table, Vec<Row>)> = samples
        .iter()
        .filter(|(t, rows)| **t != Table::Users && !rows.is_empty())
        .map(|(t, rows)| {
            let k = t.key_column();
            let rows = rows
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    r[k] = Cell::Uuid(Uuid::now_v7());
                    r
                })
                .collect();
            (*t, rows)
        })
        .collect();
    let mut per_table = BTreeMap::new();
    match db {
        Db::Sqlite { write, .. } => {
            let mut w = SqliteWriter::new(write).await?;
            w.begin().await?;
            for (t, rows) in &renewed {
                let start = Instant::now();
                for chunk in rows.chunks(5_000) {
                    w.write(*t, chunk).await?;
                }
                per_table.insert(t.name(), rows.len() as f64 / start.elapsed().as_secs_f64().max(1e-9));
            }
            w.rollback().await?;
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            for (t, rows) in &renewed {
                let start = Instant::now();
                for chunk in rows.chunks(5_000) {
                    pg_copy_on(&mut tx, *t, chunk).await?;
                }
                per_table.insert(t.name(), rows.len() as f64 / start.elapsed().as_secs_f64().max(1e-9));
            }
            tx.rollback().await?;
        }
    }
    let mut seconds = 0.0;
    let mut total = 0u64;
    for (name, n) in counts {
        if let Some(rate) = per_table.get(name) {
            seconds += *n as f64 / rate;
            total += n;
        }
    }
    Ok(BulkInsert { per_table, estimated_seconds: seconds, rows_per_second: total as f64 / f64::max(seconds, 1e-9) })
}
