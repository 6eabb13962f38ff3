//! `rapport demo`: loads a fictional company to explore Rapport with.

mod generate;
mod words;

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use chrono::Utc;
use clap::Args;
use rapport_domain::contact::parse_region;
use rapport_domain::{Kind, money};
use rapport_store::{Record, Scope, Store};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::commands::users::WorkspaceArg;
use crate::commands::{DEFAULT_CURRENCY, DEFAULT_REGION, has_any, open_store, scope, workspace};
use crate::config::{GlobalArgs, Settings};
use generate::{Deal, Due, Gen, Org, Outcome, Person, Rep, Stages};

/// Records written per transaction.
const BATCH: usize = 200;

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

fn id_of(r: &Record) -> anyhow::Result<Uuid> {
    r.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(|| anyhow!("a created record has no id"))
}

/// Creates the records in transactions of `BATCH`; returns their ids in order.
async fn create_all(store: &Store, scope: &Scope, kind: Kind, records: &[Record]) -> anyhow::Result<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(records.len());
    for chunk in records.chunks(BATCH) {
        let created = store
            .create_many(scope, kind, chunk)
            .await
            .with_context(|| format!("cannot create the demo {}", kind.collection()))?;
        for r in &created {
            ids.push(id_of(r)?);
        }
    }
    Ok(ids)
}

async fn load(store: &Store, args: &DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let ws = workspace(store, args.workspace.workspace, DEFAULT_CURRENCY, DEFAULT_REGION).await?;
    let mut scope = scope(&ws);
    if !args.force && has_any(store, &scope, Kind::Person).await? {
        bail!("workspace '{}' already has people; pass --force to add the demo company anyway", ws.name);
    }
    let region = parse_region(&ws.phone_region)
        .ok_or_else(|| anyhow!("the workspace's phone region '{}' is not a region code", ws.phone_region))?;
    let pipelines = store.pipelines(&scope).await.context("cannot read the pipelines")?;
    let pipeline =
        pipelines.iter().find(|p| p.is_default).or(pipelines.first()).ok_or_else(|| anyhow!("the workspace has no pipeline"))?;
    let stage = |outcome: &str| pipeline.stages.iter().find(|s| s.outcome == outcome).map(|s| s.id);
    let stages = Stages {
        pipeline: pipeline.id,
        open: pipeline.stages.iter().filter(|s| s.outcome == "open").map(|s| s.id).collect(),
        won: stage("won").ok_or_else(|| anyhow!("pipeline '{}' has no won stage", pipeline.name))?,
        lost: stage("lost").ok_or_else(|| anyhow!("pipeline '{}' has no lost stage", pipeline.name))?,
    };
    let mut g = Gen::new(args.seed, region, Utc::now());
    let n_people = args.people as usize;

    // The sales team, kept if it is already there.
    let domain = format!("{}.example", generate::slug(&ws.name).trim_matches('-'));
    let domain = if domain == ".example" { "company.example".to_string() } else { domain };
    let team = Gen::team(&domain);
    let mut reps = Vec::new();
    let mut missing = Vec::new();
    for (country, email, rec) in &team {
        match store.user_by_email(ws.id, email).await? {
            Some(id) => reps.push(Rep { id, country: *country }),
            None => {
                reps.push(Rep { id: Uuid::nil(), country: *country });
                missing.push((reps.len() - 1, rec.clone()));
            }
        }
    }
    let records: Vec<Record> = missing.iter().map(|m| m.1.clone()).collect();
    for ((i, _), id) in missing.iter().zip(create_all(store, &scope, Kind::User, &records).await?) {
        reps[*i].id = id;
    }
    // What follows is recorded as the sales manager's work.
    scope.user_id = Some(reps[0].id);

    // Organizations, then subsidiaries of some of them.
    let n_orgs = n_people.div_ceil(3).max(1);
    let n_subs = if n_orgs >= 10 { n_orgs / 16 } else { 0 };
    let mut orgs: Vec<Org> = Vec::with_capacity(n_orgs);
    let mut records = Vec::with_capacity(n_orgs);
    for _ in 0..n_orgs - n_subs {
        let (o, r) = g.organization(&reps, None);
        orgs.push(o);
        records.push(r);
    }
    for (o, id) in orgs.iter_mut().zip(create_all(store, &scope, Kind::Organization, &records).await?) {
        o.id = id;
    }
    let mut subs = Vec::new();
    let mut records = Vec::new();
    for _ in 0..n_subs {
        let parent = g.index(orgs.len());
        let (o, r) = g.organization(&reps, Some(&orgs[parent]));
        subs.push(o);
        records.push(r);
    }
    for (mut o, id) in subs.into_iter().zip(create_all(store, &scope, Kind::Organization, &records).await?) {
        o.id = id;
        orgs.push(o);
    }

    // People.
    let employers = g.employers(n_people, &orgs);
    let mut people: Vec<Person> = Vec::with_capacity(n_people);
    let mut records = Vec::with_capacity(n_people);
    for employer in employers {
        let (p, r) = g.person(employer, &orgs, &reps);
        people.push(p);
        records.push(r);
    }
    for (i, (p, id)) in people.iter_mut().zip(create_all(store, &scope, Kind::Person, &records).await?).enumerate() {
        p.id = id;
        if let Some(o) = p.org {
            orgs[o].people.push(i);
        }
    }

    // Deals.
    let mut deals: Vec<Deal> = Vec::new();
    let mut records = Vec::new();
    for (i, org) in orgs.iter().enumerate() {
        let outcomes = g.deal_outcomes(org.relationship);
        let offers = g.offers(outcomes.len());
        for (outcome, offer) in outcomes.into_iter().zip(offers) {
            let (d, r) = g.deal(i, org, offer, outcome, &stages, &people);
            deals.push(d);
            records.push(r);
        }
    }
    for (d, id) in deals.iter_mut().zip(create_all(store, &scope, Kind::Deal, &records).await?) {
        d.id = id;
    }

    // Activities: around each deal, and with each person.
    let mut records = Vec::new();
    for d in &deals {
        let org = &orgs[d.org];
        let (n, max_days) =
            if d.outcome == Outcome::Open { (g.activity_count(2, 6), 120) } else { (g.activity_count(3, 7), 240) };
        for _ in 0..n {
            let who = g.some_of(&d.people, 2);
            let first = who.first().map(|p| people[*p].first_name.as_str()).unwrap_or("team");
            let ids: Vec<Uuid> = who.iter().map(|p| people[*p].id).collect();
            let days = g.days_ago(max_days);
            records.push(g.activity(days, first, org.city.name, &ids, &[org.id], &[d.id]));
        }
    }
    for p in &people {
        let n = g.activity_count(0, 3);
        let org = p.org.map(|o| &orgs[o]);
        let orgs_ids: Vec<Uuid> = org.map(|o| o.id).into_iter().collect();
        let city = org.map_or("town", |o| o.city.name);
        for _ in 0..n {
            let days = g.days_ago(180);
            records.push(g.activity(days, &p.first_name, city, &[p.id], &orgs_ids, &[]));
        }
    }
    let n_activities = create_all(store, &scope, Kind::Activity, &records).await?.len();

    // Tasks: the next step of open deals, follow-ups with people, account care.
    let mut records = Vec::new();
    let mut dues = Vec::new();
    for d in deals.iter().filter(|d| d.outcome == Outcome::Open) {
        let title = d.next_step.map_or_else(|| format!("Follow up on {}", d.name), |s| format!("{s} ({})", orgs[d.org].short));
        let who: Vec<Uuid> = d.people.iter().take(1).map(|p| people[*p].id).collect();
        let (due, r) = g.task(title, d.owner, &who, &[orgs[d.org].id], &[d.id]);
        dues.push(due);
        records.push(r);
    }
    for _ in 0..(n_people / 5).max(1) {
        let p = &people[g.index(people.len())];
        let title = g.follow_up_title(&p.name);
        let org_ids: Vec<Uuid> = p.org.map(|o| orgs[o].id).into_iter().collect();
        let (due, r) = g.task(title, p.owner, &[p.id], &org_ids, &[]);
        dues.push(due);
        records.push(r);
    }
    for _ in 0..(orgs.len() / 4).max(1) {
        let o = &orgs[g.index(orgs.len())];
        let title = g.account_task_title(&o.short);
        let assignee = if g.coin(0.8) { o.owner } else { reps[g.index(reps.len())].id };
        let (due, r) = g.task(title, assignee, &[], &[o.id], &[]);
        dues.push(due);
        records.push(r);
    }
    create_all(store, &scope, Kind::Task, &records).await?;

    summary(&ws.name, ws.id, &reps, &team, &orgs, &people, &deals, n_activities, &dues, started);
    Ok(())
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

#[allow(clippy::too_many_arguments)]
fn summary(
    ws_name: &str,
    ws_id: Uuid,
    reps: &[Rep],
    team: &[(words::Country, String, Record)],
    orgs: &[Org],
    people: &[Person],
    deals: &[Deal],
    n_activities: usize,
    dues: &[Due],
    started: Instant,
) {
    let count = |o: Outcome| deals.iter().filter(|d| d.outcome == o).count();
    let mut open_value: BTreeMap<&str, i64> = BTreeMap::new();
    for d in deals.iter().filter(|d| d.outcome == Outcome::Open) {
        *open_value.entry(d.currency).or_default() += d.amount_minor;
    }
    let value =
        open_value.iter().map(|(c, m)| format!("{c} {}", group(&money::format_minor(*m, c)))).collect::<Vec<_>>().join(", ");
    let mut relationships: BTreeMap<&str, usize> = BTreeMap::new();
    for o in orgs {
        *relationships.entry(o.relationship).or_default() += 1;
    }
    let rel = relationships.iter().map(|(r, n)| format!("{n} {r}")).collect::<Vec<_>>().join(", ");
    let due = |d: Due| dues.iter().filter(|x| **x == d).count();
    println!("Loaded the demo company into workspace '{ws_name}' ({ws_id}) in {:.1} s:", started.elapsed().as_secs_f64());
    println!("  {:>6} users (the sales team)", reps.len());
    println!("  {:>6} organizations ({rel})", orgs.len());
    println!("  {:>6} people", people.len());
    println!(
        "  {:>6} deals: {} open ({}), {} won, {} lost",
        deals.len(),
        count(Outcome::Open),
        if value.is_empty() { "nothing in the pipeline".to_string() } else { value },
        count(Outcome::Won),
        count(Outcome::Lost)
    );
    println!("  {:>6} activities (calls, emails, meetings, notes) over the past months", n_activities);
    println!(
        "  {:>6} tasks: {} overdue, {} due today, {} upcoming, {} closed",
        dues.len(),
        due(Due::Overdue),
        due(Due::Today),
        due(Due::Upcoming),
        due(Due::Done)
    );
    if let Some((_, email, _)) = team.first() {
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
