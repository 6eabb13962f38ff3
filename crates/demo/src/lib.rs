//! A fictional company to explore Rapport with: a sales team, organizations
//! (some with subsidiaries), their people, deals in every stage, the calls,
//! emails and meetings around them, and the tasks that follow. The same seed
//! gives the same company. Used by `rapport demo` and the first-run page.

mod generate;
mod words;

use std::collections::BTreeMap;

use chrono::Utc;
use rapport_domain::Kind;
use rapport_domain::contact::parse_region;
use rapport_store::{ListQuery, Record, Scope, Store, StoreError};
use serde_json::Value as Json;
use uuid::Uuid;

use generate::{Deal, Due, Gen, Org, Outcome, Person, Rep, Stages};

/// Records written per transaction.
const BATCH: usize = 200;

/// What to load.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Seed of the random generator: the same seed gives the same company.
    pub seed: u64,
    /// How many people to create; there are about a third as many organizations.
    pub people: u32,
    /// Load even into a workspace that already has people.
    pub force: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions { seed: 1, people: 300, force: false }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("workspace '{0}' already has people")]
    HasPeople(String),
    #[error("the workspace's phone region '{0}' is not a region code")]
    Region(String),
    #[error("the workspace has no pipeline")]
    NoPipeline,
    #[error("pipeline '{0}' has no {1} stage")]
    NoStage(String, &'static str),
    #[error("a created record has no id")]
    NoId,
    #[error("cannot create the demo {kind}: {source}")]
    Create { kind: &'static str, source: StoreError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What was loaded.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub workspace: String,
    pub users: usize,
    /// The sales manager's email, to look around as them.
    pub manager_email: Option<String>,
    pub organizations: usize,
    /// Organizations by relationship (`customer`, `prospect`, ...).
    pub relationships: BTreeMap<String, usize>,
    pub people: usize,
    pub deals_open: usize,
    pub deals_won: usize,
    pub deals_lost: usize,
    /// The amount of open deals in minor units, by currency.
    pub open_value: BTreeMap<String, i64>,
    pub activities: usize,
    pub tasks_overdue: usize,
    pub tasks_today: usize,
    pub tasks_upcoming: usize,
    pub tasks_done: usize,
}

impl Summary {
    pub fn deals(&self) -> usize {
        self.deals_open + self.deals_won + self.deals_lost
    }
    pub fn tasks(&self) -> usize {
        self.tasks_overdue + self.tasks_today + self.tasks_upcoming + self.tasks_done
    }
}

/// Whether the workspace has at least one record of this kind.
pub async fn has_any(store: &Store, scope: &Scope, kind: Kind) -> Result<bool, StoreError> {
    let page = store.list(scope, kind, &ListQuery { limit: 1, ..ListQuery::default() }).await?;
    Ok(!page.items.is_empty())
}

fn id_of(r: &Record) -> Result<Uuid, DemoError> {
    r.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()).ok_or(DemoError::NoId)
}

/// Creates the records in transactions of `BATCH`; returns their ids in order.
async fn create_all(store: &Store, scope: &Scope, kind: Kind, records: &[Record]) -> Result<Vec<Uuid>, DemoError> {
    let mut ids = Vec::with_capacity(records.len());
    for chunk in records.chunks(BATCH) {
        let created = store
            .create_many(scope, kind, chunk)
            .await
            .map_err(|source| DemoError::Create { kind: kind.collection(), source })?;
        for r in &created {
            ids.push(id_of(r)?);
        }
    }
    Ok(ids)
}

/// Loads the demo company into the scope's workspace. With a system scope the
/// records are the sales manager's work; with a user's, theirs (and the user
/// must be allowed to create users, as the sales team is created).
pub async fn load(store: &Store, scope: &Scope, opts: &DemoOptions) -> Result<Summary, DemoError> {
    let ws = store.workspace(scope).await?;
    let mut scope = scope.clone();
    if !opts.force && has_any(store, &scope, Kind::Person).await? {
        return Err(DemoError::HasPeople(ws.name));
    }
    let region = parse_region(&ws.phone_region).ok_or_else(|| DemoError::Region(ws.phone_region.clone()))?;
    let pipelines = store.pipelines(&scope).await?;
    let pipeline = pipelines.iter().find(|p| p.is_default).or(pipelines.first()).ok_or(DemoError::NoPipeline)?;
    let stage = |outcome: &'static str| {
        pipeline
            .stages
            .iter()
            .find(|s| s.outcome == outcome)
            .map(|s| s.id)
            .ok_or_else(|| DemoError::NoStage(pipeline.name.clone(), outcome))
    };
    let stages = Stages {
        pipeline: pipeline.id,
        open: pipeline.stages.iter().filter(|s| s.outcome == "open").map(|s| s.id).collect(),
        won: stage("won")?,
        lost: stage("lost")?,
    };
    let mut g = Gen::new(opts.seed, region, Utc::now());
    let n_people = opts.people.max(1) as usize;

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
    // Without a person acting, what follows is recorded as the sales manager's work.
    if scope.actor.is_none() {
        scope.user_id = Some(reps[0].id);
    }

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

    let count = |o: Outcome| deals.iter().filter(|d| d.outcome == o).count();
    let mut open_value: BTreeMap<String, i64> = BTreeMap::new();
    for d in deals.iter().filter(|d| d.outcome == Outcome::Open) {
        *open_value.entry(d.currency.to_string()).or_default() += d.amount_minor;
    }
    let mut relationships: BTreeMap<String, usize> = BTreeMap::new();
    for o in &orgs {
        *relationships.entry(o.relationship.to_string()).or_default() += 1;
    }
    let due = |d: Due| dues.iter().filter(|x| **x == d).count();
    Ok(Summary {
        workspace: ws.name,
        users: reps.len(),
        manager_email: team.first().map(|t| t.1.clone()),
        organizations: orgs.len(),
        relationships,
        people: people.len(),
        deals_open: count(Outcome::Open),
        deals_won: count(Outcome::Won),
        deals_lost: count(Outcome::Lost),
        open_value,
        activities: n_activities,
        tasks_overdue: due(Due::Overdue),
        tasks_today: due(Due::Today),
        tasks_upcoming: due(Due::Upcoming),
        tasks_done: due(Due::Done),
    })
}
