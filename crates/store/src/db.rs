//! The two databases behind one interface. Queries are built once with
//! sea-query and rendered for whichever backend is connected; rows come back
//! decoded to JSON values by the column types the caller names.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::SqlxBinder;
use serde_json::Value as Json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, ColumnIndex, Decode, PgPool, Postgres, Row, Sqlite, SqlitePool, Transaction, Type};
use uuid::Uuid;

use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How a selected column is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Uuid,
    Text,
    Int,
    Bool,
    Date,
    DateTime,
    Json,
}

pub type Rows = Vec<Vec<Json>>;

#[derive(Clone)]
pub enum Db {
    /// SQLite serializes writers itself; one writer connection keeps them from
    /// ever meeting `database is locked`, while readers run beside it in WAL mode.
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
    },
    Postgres(PgPool),
}

/// Connection settings the caller may tune.
#[derive(Debug, Clone)]
pub struct Options {
    pub max_connections: u32,
    /// PostgreSQL schema to use (tests get one each); `None` for the default.
    pub schema: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self { max_connections: 8, schema: None }
    }
}

impl Db {
    /// Connects to `sqlite://path`, a bare file path, or `postgres://...`.
    pub async fn connect(url: &str, opts: &Options) -> Result<Db, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut o = PgConnectOptions::from_str(url).map_err(StoreError::Db)?;
            if let Some(schema) = &opts.schema {
                o = o.options([("search_path", schema.as_str())]);
            }
            // Rapport's statements are short reads and writes. PostgreSQL's JIT
            // compiles any plan whose estimated cost is high, such as an index
            // walk that a LIMIT stops early, and spends longer compiling than
            // the statement runs.
            o = o.options([("jit", "off")]);
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(o)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dir.display())))?;
        }
        let o = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let write =
            SqlitePoolOptions::new().max_connections(1).acquire_timeout(Duration::from_secs(60)).connect_with(o.clone()).await?;
        let read = SqlitePoolOptions::new().max_connections(opts.max_connections.max(2)).connect_with(o.read_only(true)).await?;
        Ok(Db::Sqlite { write, read })
    }

    /// Refreshes the SQLite query planner's statistics (cheaply: a bounded
    /// sample per index). Without them SQLite may pick a poor index for
    /// lists and timelines on large tables. PostgreSQL's autovacuum does this itself.
    pub async fn optimize(&self) -> Result<(), StoreError> {
        if let Db::Sqlite { write, .. } = self {
            sqlx::raw_sql("PRAGMA analysis_limit=400; PRAGMA optimize=0x10002;").execute(write).await?;
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// A transaction that may write.
    pub async fn write(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A transaction for a consistent read.
    pub async fn read(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite { read, .. } => Tx::Sqlite(read.begin().await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { write, read } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs an INSERT, UPDATE or DELETE; returns the rows affected.
    pub async fn exec<Q: SqlxBinder>(&mut self, q: &Q) -> Result<u64, StoreError> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                let (sql, values) = q.build_sqlx(SqliteQueryBuilder);
                sqlx::query_with(AssertSqlSafe(sql), values).execute(&mut **tx).await?.rows_affected()
            }
            Tx::Postgres(tx) => {
                let (sql, values) = q.build_sqlx(PostgresQueryBuilder);
                sqlx::query_with(AssertSqlSafe(sql), values).execute(&mut **tx).await?.rows_affected()
            }
        })
    }

    /// Runs a query and decodes each row's columns, in order, as `cols` says.
    pub async fn rows<Q: SqlxBinder>(&mut self, q: &Q, cols: &[Col]) -> Result<Rows, StoreError> {
        match self {
            Tx::Sqlite(tx) => {
                let (sql, values) = q.build_sqlx(SqliteQueryBuilder);
                let rows = sqlx::query_with(AssertSqlSafe(sql), values).fetch_all(&mut **tx).await?;
                rows.iter().map(|r| decode_row(r, cols)).collect()
            }
            Tx::Postgres(tx) => {
                let (sql, values) = q.build_sqlx(PostgresQueryBuilder);
                let rows = sqlx::query_with(AssertSqlSafe(sql), values).fetch_all(&mut **tx).await?;
                rows.iter().map(|r| decode_row(r, cols)).collect()
            }
        }
    }

    pub async fn row<Q: SqlxBinder>(&mut self, q: &Q, cols: &[Col]) -> Result<Option<Vec<Json>>, StoreError> {
        Ok(self.rows(q, cols).await?.into_iter().next())
    }

    /// Runs SQL text that takes no parameters (migrations, pragmas).
    pub async fn script(&mut self, sql: &str) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => {
                sqlx::raw_sql(AssertSqlSafe(sql.to_string())).execute(&mut **tx).await?;
            }
            Tx::Postgres(tx) => {
                sqlx::raw_sql(AssertSqlSafe(sql.to_string())).execute(&mut **tx).await?;
            }
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

fn decode_row<'r, R: Row>(row: &'r R, cols: &[Col]) -> Result<Vec<Json>, StoreError>
where
    usize: ColumnIndex<R>,
    Uuid: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    NaiveDate: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
    sqlx::types::Json<Json>: Decode<'r, R::Database> + Type<R::Database>,
{
    cols.iter()
        .enumerate()
        .map(|(i, col)| {
            Ok(match col {
                Col::Uuid => row.try_get::<Option<Uuid>, _>(i)?.map(|u| Json::String(u.to_string())),
                Col::Text => row.try_get::<Option<String>, _>(i)?.map(Json::String),
                Col::Int => row.try_get::<Option<i64>, _>(i)?.map(Json::from),
                Col::Bool => row.try_get::<Option<bool>, _>(i)?.map(Json::Bool),
                Col::Date => row.try_get::<Option<NaiveDate>, _>(i)?.map(|d| Json::String(d.to_string())),
                Col::DateTime => {
                    row.try_get::<Option<DateTime<Utc>>, _>(i)?.map(|t| Json::String(rapport_domain::value::format_datetime(&t)))
                }
                Col::Json => row.try_get::<Option<sqlx::types::Json<Json>>, _>(i)?.map(|j| j.0),
            }
            .unwrap_or(Json::Null))
        })
        .collect()
}

/// Reads helpers for decoded rows.
pub fn uuid_at(row: &[Json], i: usize) -> Option<Uuid> {
    row.get(i).and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok())
}
pub fn str_at(row: &[Json], i: usize) -> Option<&str> {
    row.get(i).and_then(Json::as_str)
}
pub fn int_at(row: &[Json], i: usize) -> Option<i64> {
    row.get(i).and_then(Json::as_i64)
}
