//! `rapport demo`: loads a fictional company to explore Rapport with (the
//! generator is the `rapport-demo` crate).

use std::time::Instant;

use anyhow::Context;
use clap::Args;
use rapport_demo::{DemoError, DemoOptions, Summary};
use rapport_domain::money;

use crate::commands::users::WorkspaceArg;
use crate::commands::{DEFAULT_CURRENCY, DEFAULT_REGION, open_store, scope, workspace};
use crate::config::{GlobalArgs, Settings};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Seed of the random generator: the same seed gives the same company
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,

    /// How many people to create; there are about a third as many organizations
    #[arg(long, default_value_t = 300, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub people: u32,

    /// Load the demo company even into a workspace that already has people
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub workspace: WorkspaceArg,
}

pub async fn run(global: &GlobalArgs, args: DemoArgs) -> anyhow::Result<()> {
    let settings = Settings::load(global, None)?;
    let store = open_store(&settings).await?;
    let result = load(&store, &args).await;
    store.close().await;
    result
}

async fn load(store: &rapport_store::Store, args: &DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let ws = workspace(store, args.workspace.workspace, DEFAULT_CURRENCY, DEFAULT_REGION).await?;
    let opts = DemoOptions { seed: args.seed, people: args.people, force: args.force };
    match rapport_demo::load(store, &scope(&ws), &opts).await {
        Ok(s) => {
            print_summary(&s, ws.id, started);
            Ok(())
        }
        Err(e @ DemoError::HasPeople(_)) => Err(anyhow::anyhow!("{e}; pass --force to add the demo company anyway")),
        Err(e) => Err(e).context("cannot load the demo company"),
    }
}

/// `1234567.50` as `1,234,567.50`.
fn group(amount: &str) -> String {
    let (whole, frac) = amount.split_once('.').map_or((amount, None), |(w, f)| (w, Some(f)));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{out}.{f}"),
        None => out,
    }
}

fn print_summary(s: &Summary, ws_id: uuid::Uuid, started: Instant) {
    let value =
        s.open_value.iter().map(|(c, m)| format!("{c} {}", group(&money::format_minor(*m, c)))).collect::<Vec<_>>().join(", ");
    let rel = s.relationships.iter().map(|(r, n)| format!("{n} {r}")).collect::<Vec<_>>().join(", ");
    println!("Loaded the demo company into workspace '{}' ({ws_id}) in {:.1} s:", s.workspace, started.elapsed().as_secs_f64());
    println!("  {:>6} users (the sales team)", s.users);
    println!("  {:>6} organizations ({rel})", s.organizations);
    println!("  {:>6} people", s.people);
    println!(
        "  {:>6} deals: {} open ({}), {} won, {} lost",
        s.deals(),
        s.deals_open,
        if value.is_empty() { "nothing in the pipeline".to_string() } else { value },
        s.deals_won,
        s.deals_lost
    );
    println!("  {:>6} activities (calls, emails, meetings, notes) over the past months", s.activities);
    println!(
        "  {:>6} tasks: {} overdue, {} due today, {} upcoming, {} closed",
        s.tasks(),
        s.tasks_overdue,
        s.tasks_today,
        s.tasks_upcoming,
        s.tasks_done
    );
    if let Some(email) = &s.manager_email {
        println!("\nTo look around as the sales manager: rapport token create --user {email}");
    }
}

#[cfg(test)]
mod tests {
    use super::group;

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(group("1234567.50"), "1,234,567.50");
        assert_eq!(group("999.00"), "999.00");
        assert_eq!(group("1000"), "1,000");
    }
}
