//! Rows as the database holds them, and the two fast ways of writing them:
//! multi-row `INSERT` statements on SQLite (one writer, large transactions),
//! `COPY ... FROM STDIN` on PostgreSQL.
//!
//! Values are bound with the same Rust types the store binds (uuid, `DateTime<Utc>`,
//! dates; JSON as the very text sqlx writes for a JSON value), so SQLite stores
//! byte-for-byte what the API would have stored; PostgreSQL parses the COPY
//! text into its own types, which come out the same however they went in.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rapport_domain::schema;
use rapport_domain::{FieldValue, Kind};
use serde_json::Value as Json;
use sqlx::postgres::PgPoolCopyExt;
use sqlx::{AssertSqlSafe, PgPool, Sqlite, SqlitePool};
use uuid::Uuid;

/// One value of a row. NULL needs no type: SQLite takes any, COPY writes `\N`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Uuid(Uuid),
    Text(String),
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    /// JSON as text, serialized where the row is made (the generator's thread,
    /// not the writer's): exactly the text sqlx would bind for a JSON value.
    Json(String),
}

impl Cell {
    pub fn json(v: &Json) -> Cell {
        Cell::Json(v.to_string())
    }
}

impl From<&FieldValue> for Cell {
    fn from(v: &FieldValue) -> Cell {
        match v {
            FieldValue::Null => Cell::Null,
            FieldValue::Text(s) => Cell::Text(s.clone()),
            FieldValue::Int(i) => Cell::Int(*i),
            FieldValue::Bool(b) => Cell::Bool(*b),
            FieldValue::Date(d) => Cell::Date(*d),
            FieldValue::DateTime(t) => Cell::Time(*t),
            FieldValue::Uuid(u) => Cell::Uuid(*u),
            FieldValue::Json(j) => Cell::json(j),
        }
    }
}

pub type Row = Vec<Cell>;

/// The tables the generator writes, in an order that satisfies every foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Users,
    Organizations,
    People,
    Deals,
    DealStageHistory,
    Activities,
    Tasks,
    RecordLinks,
    Changes,
    SearchEntries,
}

impl Table {
    pub const ALL: [Table; 10] = [
        Table::Users,
        Table::Organizations,
        Table::People,
        Table::Deals,
        Table::DealStageHistory,
        Table::Activities,
        Table::Tasks,
        Table::RecordLinks,
        Table::Changes,
        Table::SearchEntries,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Users => "users",
            Table::Organizations => "organizations",
            Table::People => "people",
            Table::Deals => "deals",
            Table::DealStageHistory => "deal_stage_history",
            Table::Activities => "activities",
            Table::Tasks => "tasks",
            Table::RecordLinks => "record_links",
            Table::Changes => "changes",
            Table::SearchEntries => "search_entries",
        }
    }

    pub fn kind(self) -> Option<Kind> {
        match self {
            Table::Users => Some(Kind::User),
            Table::Organizations => Some(Kind::Organization),
            Table::People => Some(Kind::Person),
            Table::Deals => Some(Kind::Deal),
            Table::Activities => Some(Kind::Activity),
            Table::Tasks => Some(Kind::Task),
            _ => None,
        }
    }

    /// Tables whose rows this one's foreign keys point at (besides users and
    /// workspaces, written first): they are flushed before it.
    pub fn parents(self) -> &'static [Table] {
        match self {
            Table::Deals => &[Table::Organizations],
            Table::DealStageHistory => &[Table::Deals],
            _ => &[],
        }
    }

    /// The columns written, in order.
    pub fn columns(self) -> Vec<&'static str> {
        match self.kind() {
            Some(kind) => kind_columns(kind),
            None => match self {
                Table::DealStageHistory => {
                    vec!["workspace_id", "id", "deal_id", "pipeline_id", "stage_id", "entered_at", "left_at", "entered_by"]
                }
                Table::RecordLinks => vec!["workspace_id", "from_kind", "from_id", "to_kind", "to_id", "role"],
                Table::Changes => {
                    vec!["workspace_id", "id", "at", "actor_id", "via", "ip", "record_kind", "record_id", "action", "diff"]
                }
                // SQLite numbers the rows itself (doc_id) and its triggers fill the FTS tables.
                Table::SearchEntries => vec!["workspace_id", "kind", "record_id", "label", "label_folded", "tokens", "fields"],
                _ => unreachable!("record tables have a kind"),
            },
        }
    }

    /// The column that makes a row new when given a fresh uuid (for the
    /// baseline, which writes the same rows again).
    pub fn key_column(self) -> usize {
        match self {
            Table::RecordLinks | Table::SearchEntries => 2,
            _ => 1,
        }
    }
}

/// The columns of a record table as the record engine writes them: system
/// columns, `custom`, then every stored field of the kind's field table.
pub fn kind_columns(kind: Kind) -> Vec<&'static str> {
    let mut cols = vec!["workspace_id", "id", "created_at", "created_by", "updated_at", "updated_by", "version"];
    if kind.has_custom_fields() {
        cols.push("custom");
    }
    cols.extend(schema::fields(kind).iter().filter(|f| f.is_column()).map(|f| f.name));
    cols
}

// ---- SQLite ----------------------------------------------------------------

/// SQLite allows 32766 parameters per statement; a few hundred rows per
/// statement is where the gain flattens out.
const SQLITE_MAX_ROWS: usize = 250;

/// Writes rows through multi-row INSERT statements on one connection, in
/// transactions of many rows, as a bulk import would.
pub struct SqliteWriter {
    conn: sqlx::pool::PoolConnection<Sqlite>,
    statements: HashMap<(Table, usize), Arc<str>>,
    in_tx: usize,
    pub rows_per_tx: usize,
}

impl SqliteWriter {
    pub async fn new(pool: &SqlitePool) -> anyhow::Result<SqliteWriter> {
        let mut conn = pool.acquire().await?;
        // A larger page cache for the load; the connection goes back to the pool unchanged otherwise.
        sqlx::raw_sql("PRAGMA cache_size = -131072").execute(&mut *conn).await?;
        Ok(SqliteWriter { conn, statements: HashMap::new(), in_tx: 0, rows_per_tx: 100_000 })
    }

    fn statement(&mut self, table: Table, n: usize) -> Arc<str> {
        self.statements
            .entry((table, n))
            .or_insert_with(|| {
                let cols = table.columns();
                let one = format!("({})", vec!["?"; cols.len()].join(", "));
                let quoted: Vec<String> = cols.iter().map(|c| format!("\"{c}\"")).collect();
                let mut sql = format!("INSERT INTO \"{}\" ({}) VALUES ", table.name(), quoted.join(", "));
                for i in 0..n {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&one);
                }
                Arc::from(sql)
            })
            .clone()
    }

    pub async fn begin(&mut self) -> anyhow::Result<()> {
        sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *self.conn).await?;
        self.in_tx = 1;
        Ok(())
    }

    pub async fn commit(&mut self) -> anyhow::Result<()> {
        if self.in_tx > 0 {
            sqlx::raw_sql("COMMIT").execute(&mut *self.conn).await?;
            self.in_tx = 0;
        }
        Ok(())
    }

    pub async fn rollback(&mut self) -> anyhow::Result<()> {
        if self.in_tx > 0 {
            sqlx::raw_sql("ROLLBACK").execute(&mut *self.conn).await?;
            self.in_tx = 0;
        }
        Ok(())
    }

    /// Writes rows inside the current transaction, opening one if needed.
    pub async fn write(&mut self, table: Table, rows: &[Row]) -> anyhow::Result<()> {
        if self.in_tx == 0 {
            self.begin().await?;
        }
        for chunk in rows.chunks(SQLITE_MAX_ROWS) {
            let sql = self.statement(table, chunk.len());
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for row in chunk {
                for cell in row {
                    q = match cell {
                        Cell::Null => q.bind(None::<String>),
                        Cell::Uuid(u) => q.bind(*u),
                        Cell::Text(s) => q.bind(s.as_str()),
                        Cell::Int(i) => q.bind(*i),
                        Cell::Bool(b) => q.bind(*b),
                        Cell::Date(d) => q.bind(*d),
                        Cell::Time(t) => q.bind(*t),
                        Cell::Json(j) => q.bind(j.as_str()),
                    };
                }
            }
            q.execute(&mut *self.conn).await?;
        }
        self.in_tx += rows.len();
        Ok(())
    }

    /// Commits when the transaction holds enough rows.
    pub async fn maybe_commit(&mut self) -> anyhow::Result<()> {
        if self.in_tx > self.rows_per_tx {
            self.commit().await?;
        }
        Ok(())
    }
}

// ---- PostgreSQL --------------------------------------------------------------

/// Renders rows in COPY's text format.
pub fn copy_text(rows: &[Row], out: &mut String) {
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            match cell {
                Cell::Null => out.push_str("\\N"),
                Cell::Uuid(u) => {
                    let _ = write!(out, "{u}");
                }
                Cell::Text(s) => escape_copy(s, out),
                Cell::Int(n) => {
                    let _ = write!(out, "{n}");
                }
                Cell::Bool(b) => out.push(if *b { 't' } else { 'f' }),
                Cell::Date(d) => {
                    let _ = write!(out, "{}", d.format("%Y-%m-%d"));
                }
                Cell::Time(t) => out.push_str(&rapport_domain::value::format_datetime(t)),
                Cell::Json(j) => escape_copy(j, out),
            }
        }
        out.push('\n');
    }
}

fn escape_copy(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

pub fn copy_statement(table: Table) -> String {
    let quoted: Vec<String> = table.columns().iter().map(|c| format!("\"{c}\"")).collect();
    format!("COPY \"{}\" ({}) FROM STDIN", table.name(), quoted.join(", "))
}

/// One COPY per batch on a pooled connection; each batch commits on its own.
pub async fn pg_copy(pool: &PgPool, table: Table, rows: &[Row]) -> anyhow::Result<()> {
    let mut buf = String::with_capacity(rows.len() * 256);
    copy_text(rows, &mut buf);
    let mut copy = pool.copy_in_raw(&copy_statement(table)).await?;
    copy.send(buf.as_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// COPY on a given connection (inside a transaction the caller holds).
pub async fn pg_copy_on(conn: &mut sqlx::PgConnection, table: Table, rows: &[Row]) -> anyhow::Result<()> {
    let mut buf = String::with_capacity(rows.len() * 256);
    copy_text(rows, &mut buf);
    let mut copy = conn.copy_in_raw(&copy_statement(table)).await?;
    copy.send(buf.as_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_and_marks_nulls() {
        let rows = vec![vec![
            Cell::Text("a\tb\\c\nd".into()),
            Cell::Null,
            Cell::Bool(true),
            Cell::json(&serde_json::json!({"k": "x\ny"})),
        ]];
        let mut out = String::new();
        copy_text(&rows, &mut out);
        assert_eq!(out, "a\\tb\\\\c\\nd\t\\N\tt\t{\"k\":\"x\\\\ny\"}\n");
    }

    #[test]
    fn record_tables_have_system_columns_first() {
        let cols = kind_columns(Kind::Person);
        assert_eq!(&cols[..3], &["workspace_id", "id", "created_at"]);
        assert!(cols.contains(&"primary_email"));
        assert!(!cols.contains(&"organizations"));
    }
}
