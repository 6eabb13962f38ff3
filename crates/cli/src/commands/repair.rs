//! `rapport repair`: checks what the database derives from the records (the
//! accounts' index of activities, the search index) and rebuilds it when it
//! differs, for after a restore, a manual edit of the database or a race the
//! triggers could not order.

use clap::Args;
use rapport_store::Store;

use super::users::WorkspaceArg;
use super::{DEFAULT_CURRENCY, DEFAULT_REGION, open_store, scope, workspace};
use crate::config::{GlobalArgs, Settings};

#[derive(Args, Debug)]
pub struct RepairArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArg,

    /// Only report the differences, change nothing (exits with an error if any is found)
    #[arg(long)]
    pub check: bool,

    /// Also rebuild the search index from the records (reads every record)
    #[arg(long)]
    pub search: bool,
}

pub async fn run(global: &GlobalArgs, args: RepairArgs) -> anyhow::Result<()> {
    let settings = Settings::load(global, None)?;
    let store = open_store(&settings).await?;
    let result = repair(&store, &args).await;
    store.close().await;
    result
}

async fn repair(store: &Store, args: &RepairArgs) -> anyhow::Result<()> {
    let ws = workspace(store, args.workspace.workspace, DEFAULT_CURRENCY, DEFAULT_REGION).await?;
    let scope = scope(&ws);
    let check = store.check_account_index(&scope).await?;
    println!("Accounts' index of activities: {} rows, {} missing, {} stale.", check.kept, check.missing, check.stale);
    if args.check {
        if !check.is_exact() {
            anyhow::bail!("the accounts' index of activities differs from the links: run `rapport repair` to mend it");
        }
        return Ok(());
    }
    if !check.is_exact() {
        let fixed = store.repair_account_index(&scope).await?;
        println!("Accounts' index of activities repaired: {} rows added, {} removed.", fixed.added, fixed.removed);
    }
    if args.search {
        let records = store.reindex_search(&scope).await?;
        println!("Search index rebuilt from {records} records.");
    }
    Ok(())
}
