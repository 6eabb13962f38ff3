//! Rapport's storage: one `Store` over SQLite and PostgreSQL.
//!
//! Every method takes a [`Scope`] and builds the workspace filter into its SQL
//! itself, so no caller can forget it. Every write runs in one transaction that
//! also appends to the change log.

pub mod access;
pub mod account_index;
pub mod assignment;
pub mod audit;
pub mod auth;
pub mod board;
mod cache;
pub mod calendar;
pub mod changes;
pub mod clock;
pub mod custom_fields;
pub mod db;
pub mod dedupe;
mod error;
pub mod event_kinds;
pub mod imports;
pub mod jobs;
mod last_activity;
pub mod migrate;
pub mod notifications;
pub mod object_types;
pub mod overview;
pub mod pipelines;
pub mod privacy;
pub mod records;
mod recurring;
mod relations;
pub mod search;
mod signing;
mod sql;
pub mod timeline;
mod values;
mod versions;
pub mod views;
pub mod webhooks;
pub mod workflows;
pub mod workspaces;

pub use clock::Clock;
pub use db::{Backend, Db, Options};
pub use error::{Conflict, StoreError};
pub use records::{ListPage, ListQuery, Record, WriteOptions};
pub use sql::custom_sql;

use rapport_domain::access::{Actor, TokenScope};
use uuid::Uuid;

/// How a change reached Rapport; kept in the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Api,
    Web,
    Cli,
    System,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Api => "api",
            Via::Web => "web",
            Via::Cli => "cli",
            Via::System => "system",
        }
    }
}

/// Who is acting, and in which workspace. Every query starts from one, and
/// the store builds the workspace and visibility filters from it.
#[derive(Debug, Clone)]
pub struct Scope {
    pub workspace_id: Uuid,
    pub user_id: Option<Uuid>,
    pub via: Via,
    /// The acting user's role and teams. `None` acts with full rights: the
    /// command line and Rapport's own jobs.
    pub actor: Option<Actor>,
    /// What the API token used may do; `None` when no token limits the request.
    pub token_scopes: Option<Vec<TokenScope>>,
    /// The client's address, kept in the change and audit logs.
    pub ip: Option<String>,
}

impl Scope {
    /// Full rights in a workspace, for Rapport itself and the command line.
    pub fn system(workspace_id: Uuid, via: Via) -> Scope {
        Scope { workspace_id, user_id: None, via, actor: None, token_scopes: None, ip: None }
    }
}

/// The storage handle shared by the server, the CLI and the workers.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: Db,
    pub(crate) clock: Clock,
}

impl Store {
    /// Connects and brings the schema up to date.
    pub async fn open(url: &str, opts: &Options) -> Result<Store, StoreError> {
        let db = Db::connect(url, opts).await?;
        migrate::run(&db).await?;
        custom_fields::ensure_all_indexes(&db).await?;
        db.optimize().await?;
        Ok(Store { db, clock: Clock::real() })
    }

    /// The same store going by another clock (tests move an adjustable one forward).
    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }

    /// The clock the due jobs and time triggers go by.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Refreshes the query planner's statistics; worth calling after a large import.
    pub async fn optimize(&self) -> Result<(), StoreError> {
        self.db.optimize().await
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn close(&self) {
        self.db.close().await
    }
}
