//! Embedded schema migrations, one SQL file per backend and version, applied
//! in order at start. A version table makes a restart or a second server a no-op.

use sea_query::{Alias, Expr, ExprTrait, Query};

use crate::db::{Col, Db, Tx};
use crate::{Backend, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "records",
        sqlite: include_str!("../migrations/sqlite/0001_records.sql"),
        postgres: include_str!("../migrations/postgres/0001_records.sql"),
    },
    Migration {
        version: 2,
        name: "access",
        sqlite: include_str!("../migrations/sqlite/0002_access.sql"),
        postgres: include_str!("../migrations/postgres/0002_access.sql"),
    },
    Migration {
        version: 3,
        name: "auth",
        sqlite: include_str!("../migrations/sqlite/0003_auth.sql"),
        postgres: include_str!("../migrations/postgres/0003_auth.sql"),
    },
    Migration {
        version: 4,
        name: "search",
        sqlite: include_str!("../migrations/sqlite/0004_search.sql"),
        postgres: include_str!("../migrations/postgres/0004_search.sql"),
    },
    Migration {
        version: 5,
        name: "dedupe",
        sqlite: include_str!("../migrations/sqlite/0005_dedupe.sql"),
        postgres: include_str!("../migrations/postgres/0005_dedupe.sql"),
    },
    Migration {
        version: 6,
        name: "imports",
        sqlite: include_str!("../migrations/sqlite/0006_imports.sql"),
        postgres: include_str!("../migrations/postgres/0006_imports.sql"),
    },
    Migration {
        version: 7,
        name: "automation",
        sqlite: include_str!("../migrations/sqlite/0007_automation.sql"),
        postgres: include_str!("../migrations/postgres/0007_automation.sql"),
    },
    Migration {
        version: 8,
        name: "workflows",
        sqlite: include_str!("../migrations/sqlite/0008_workflows.sql"),
        postgres: include_str!("../migrations/postgres/0008_workflows.sql"),
    },
    Migration {
        version: 9,
        name: "views",
        sqlite: include_str!("../migrations/sqlite/0009_views.sql"),
        postgres: include_str!("../migrations/postgres/0009_views.sql"),
    },
    Migration {
        version: 10,
        name: "followups",
        sqlite: include_str!("../migrations/sqlite/0010_followups.sql"),
        postgres: include_str!("../migrations/postgres/0010_followups.sql"),
    },
    Migration {
        version: 11,
        name: "board_indexes",
        sqlite: include_str!("../migrations/sqlite/0011_board_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0011_board_indexes.sql"),
    },
    Migration {
        version: 12,
        name: "list_indexes",
        sqlite: include_str!("../migrations/sqlite/0012_list_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0012_list_indexes.sql"),
    },
    Migration {
        version: 13,
        name: "definition_versions",
        sqlite: include_str!("../migrations/sqlite/0013_definition_versions.sql"),
        postgres: include_str!("../migrations/postgres/0013_definition_versions.sql"),
    },
    Migration {
        version: 14,
        name: "custom_kinds",
        sqlite: include_str!("../migrations/sqlite/0014_custom_kinds.sql"),
        postgres: include_str!("../migrations/postgres/0014_custom_kinds.sql"),
    },
    Migration {
        version: 15,
        name: "custom_field_lifecycle",
        sqlite: include_str!("../migrations/sqlite/0015_custom_field_lifecycle.sql"),
        postgres: include_str!("../migrations/postgres/0015_custom_field_lifecycle.sql"),
    },
    Migration {
        version: 16,
        name: "lookup_indexes",
        sqlite: include_str!("../migrations/sqlite/0016_lookup_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0016_lookup_indexes.sql"),
    },
    Migration {
        version: 17,
        name: "timeline_indexes",
        sqlite: include_str!("../migrations/sqlite/0017_timeline_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0017_timeline_indexes.sql"),
    },
    Migration {
        version: 18,
        name: "board_totals_vacuum",
        sqlite: include_str!("../migrations/sqlite/0018_board_totals_vacuum.sql"),
        postgres: include_str!("../migrations/postgres/0018_board_totals_vacuum.sql"),
    },
    Migration {
        version: 19,
        name: "deal_totals",
        sqlite: include_str!("../migrations/sqlite/0019_deal_totals.sql"),
        postgres: include_str!("../migrations/postgres/0019_deal_totals.sql"),
    },
    Migration {
        version: 20,
        name: "task_due_indexes",
        sqlite: include_str!("../migrations/sqlite/0020_task_due_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0020_task_due_indexes.sql"),
    },
    Migration {
        version: 21,
        name: "linked_list_indexes",
        sqlite: include_str!("../migrations/sqlite/0021_linked_list_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0021_linked_list_indexes.sql"),
    },
    Migration {
        version: 22,
        name: "list_sort_indexes",
        sqlite: include_str!("../migrations/sqlite/0022_list_sort_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0022_list_sort_indexes.sql"),
    },
    Migration {
        version: 23,
        name: "activity_type_time",
        sqlite: include_str!("../migrations/sqlite/0023_activity_type_time.sql"),
        postgres: include_str!("../migrations/postgres/0023_activity_type_time.sql"),
    },
    Migration {
        version: 24,
        name: "covering_link_indexes",
        sqlite: include_str!("../migrations/sqlite/0024_covering_link_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0024_covering_link_indexes.sql"),
    },
    Migration {
        version: 25,
        name: "account_activities",
        sqlite: include_str!("../migrations/sqlite/0025_account_activities.sql"),
        postgres: include_str!("../migrations/postgres/0025_account_activities.sql"),
    },
    Migration {
        version: 26,
        name: "search_words",
        sqlite: include_str!("../migrations/sqlite/0026_search_words.sql"),
        postgres: include_str!("../migrations/postgres/0026_search_words.sql"),
    },
];

/// The newest schema version this build knows.
pub fn latest() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Applies the migrations not yet applied; returns how many ran.
pub async fn run(db: &Db) -> Result<usize, StoreError> {
    let mut tx = db.write().await?;
    tx.script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .await?;
    tx.commit().await?;

    let mut ran = 0;
    for m in MIGRATIONS {
        let mut tx = db.write().await?;
        if tx.backend() == Backend::Postgres {
            // Several servers may start at once: one applies, the others wait and skip.
            tx.script("SELECT pg_advisory_xact_lock(7263554)").await?;
        }
        if applied(&mut tx, m.version).await? {
            continue;
        }
        let sql = match db.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let fail = |e| StoreError::Migration { version: m.version, name: m.name, source: Box::new(e) };
        tx.script(sql).await.map_err(fail)?;
        let insert = Query::insert()
            .into_table(Alias::new("schema_migrations"))
            .columns([Alias::new("version"), Alias::new("name"), Alias::new("applied_at")])
            .values_panic([m.version.into(), m.name.into(), rapport_domain::value::format_datetime(&chrono::Utc::now()).into()])
            .to_owned();
        tx.exec(&insert).await.map_err(fail)?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        ran += 1;
    }
    Ok(ran)
}

async fn applied(tx: &mut Tx, version: i64) -> Result<bool, StoreError> {
    let q = Query::select()
        .column(Alias::new("version"))
        .from(Alias::new("schema_migrations"))
        .and_where(Expr::col(Alias::new("version")).eq(version))
        .to_owned();
    Ok(tx.row(&q, &[Col::Int]).await?.is_some())
}

/// The schema version the database is at.
pub async fn current(db: &Db) -> Result<i64, StoreError> {
    let mut tx = db.read().await?;
    let q = Query::select().expr(Expr::cust("COALESCE(MAX(version), 0)")).from(Alias::new("schema_migrations")).to_owned();
    let row = tx.row(&q, &[Col::Int]).await?;
    Ok(row.and_then(|r| r[0].as_i64()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A restart, or a second server, finds nothing left to apply.
    #[tokio::test]
    async fn migrations_apply_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("m.db").display());
        let db = Db::connect(&url, &Default::default()).await.unwrap();
        assert_eq!(run(&db).await.unwrap(), MIGRATIONS.len());
        assert_eq!(run(&db).await.unwrap(), 0);
        assert_eq!(current(&db).await.unwrap(), latest());
    }
}
