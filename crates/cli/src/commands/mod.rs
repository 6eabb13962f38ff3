//! The commands, and what they share: opening the store and choosing the workspace.

pub mod io;
pub mod repair;
pub mod serve;
pub mod users;

use anyhow::{Context, bail};
use rapport_domain::Kind;
use rapport_store::workspaces::Workspace;
use rapport_store::{ListQuery, Options, Scope, Store, Via};
use uuid::Uuid;

use crate::config::{GlobalArgs, Settings, redact_url};

/// Name of the workspace created on first run.
pub const DEFAULT_WORKSPACE_NAME: &str = "My company";
pub const DEFAULT_CURRENCY: &str = "EUR";
pub const DEFAULT_REGION: &str = "FR";

/// Opens the database named by the settings; migrations run on the way.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    if let Some(file) = &settings.file {
        tracing::info!(file = %file.display(), "read configuration");
    }
    let opts = Options { max_connections: settings.max_connections, ..Options::default() };
    Store::open(&settings.database, &opts)
        .await
        .with_context(|| format!("cannot open the database {}", redact_url(&settings.database)))
}

/// The workspace to act in: the one named, else the first one, else a new one
/// created with the given currency and phone region (announced on stderr, so
/// that commands printing an id or a token keep stdout to that).
pub async fn workspace(store: &Store, wanted: Option<Uuid>, currency: &str, region: &str) -> anyhow::Result<Workspace> {
    let all = store.workspaces().await.context("cannot read the workspaces")?;
    if let Some(id) = wanted {
        return match all.into_iter().find(|w| w.id == id) {
            Some(w) => Ok(w),
            None => bail!("there is no workspace with id {id}"),
        };
    }
    if all.len() > 1 {
        tracing::warn!(count = all.len(), "several workspaces: using the first; pass --workspace ID to choose another");
    }
    if let Some(w) = all.into_iter().next() {
        return Ok(w);
    }
    let w = store.create_workspace(DEFAULT_WORKSPACE_NAME, currency, region).await.context("cannot create the workspace")?;
    eprintln!("Created workspace '{}' (id {}, currency {}, phone region {}).", w.name, w.id, w.currency, w.phone_region);
    Ok(w)
}

/// Acting from the command line, as no particular user.
/// `rapport worker`: runs jobs until Ctrl-C.
pub async fn worker(global: &GlobalArgs) -> anyhow::Result<()> {
    let settings = Settings::load(global, None)?;
    let store = open_store(&settings).await?;
    eprintln!("Rapport worker running on {} (Ctrl-C to stop)", crate::config::redact_url(&settings.database));
    new_worker(&store, &settings)
        .run(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    store.close().await;
    Ok(())
}

/// A worker with the configured lease.
pub fn new_worker(store: &Store, settings: &Settings) -> rapport_automation::Worker {
    rapport_automation::Worker::new(store.clone()).with_lease(chrono::Duration::seconds(settings.job_lease_seconds as i64))
}

pub fn scope(ws: &Workspace) -> Scope {
    Scope::system(ws.id, Via::Cli)
}

/// Whether the workspace has at least one record of this kind.
pub async fn has_any(store: &Store, scope: &Scope, kind: Kind) -> anyhow::Result<bool> {
    let page = store.list(scope, kind, &ListQuery { limit: 1, ..ListQuery::default() }).await?;
    Ok(!page.items.is_empty())
}

/// `rapport migrate`
pub async fn migrate(global: &GlobalArgs) -> anyhow::Result<()> {
    let settings = Settings::load(global, None)?;
    let store = open_store(&settings).await?;
    let version = rapport_store::migrate::current(store.db()).await.context("cannot read the schema version")?;
    println!("Database {} is at schema version {version}.", redact_url(&settings.database));
    store.close().await;
    Ok(())
}
