//! The data generator: a seeded, realistic CRM at any scale.
//!
//! It works in two passes. The first draws the shape of the company (who
//! works where, which deals each account has, who each activity is about, and
//! when everything happened) and sorts every kind by creation time, so that
//! ids are UUIDv7 taken from that time, exactly as if the records had been
//! created one after the other over the years. The second pass writes each
//! record as a client would send it to the API, runs it through the same
//! validation as the API (`rapport_domain::validate`), and turns what comes out
//! into rows: normalized emails, E.164 phones, the derived name and primary
//! email and phone, `record_links` rows, `deal_stage_history` rows, and
//! `changes` rows for organizations, people and deals.
//!
//! Everything is drawn from one seeded generator in a fixed order: the same
//! seed and the same `as_of` time give the same data, byte for byte, in a
//! workspace with the same ids.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use phonenumber::country::Id as Region;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rapport_domain::contact::normalize_phone;
use rapport_domain::custom::{self, CustomField, CustomType};
use rapport_domain::schema::{self, Access, FieldType};
use rapport_domain::validate::{self, Changes, Context, Mode};
use rapport_domain::value::format_datetime;
use rapport_domain::{FieldValue, Kind, money, search};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::rows::{Cell, Row, Table, kind_columns};
use crate::words::{self, Country};

/// How many records of each kind a run makes, from the number of people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Scale {
    pub people: usize,
    pub organizations: usize,
    pub deals: usize,
    pub activities: usize,
    pub tasks: usize,
    pub users: usize,
    /// Accounts with thousands of contacts and activities.
    pub large_accounts: usize,
}

impl Scale {
    pub fn for_people(people: usize) -> Scale {
        let people = people.max(1);
        let organizations = (people / 10).max(1);
        Scale {
            people,
            organizations,
            deals: (people * 3 / 10).max(1),
            activities: people * 3,
            tasks: people,
            users: (people / 10_000).clamp(words::TEAM.len(), 200),
            large_accounts: (organizations / 2000).max(1),
        }
    }
}

/// A pipeline as the generator uses it.
#[derive(Debug, Clone)]
pub struct PipelineStages {
    pub id: Uuid,
    pub name: String,
    /// Every stage's id and name.
    pub stage_names: Vec<(Uuid, String)>,
    pub open: Vec<Uuid>,
    pub won: Uuid,
    pub lost: Uuid,
}

/// The workspace the data goes into.
#[derive(Debug, Clone)]
pub struct Target {
    pub workspace_id: Uuid,
    pub region: Region,
    pub currency: String,
    /// The admin who "created" the sales team.
    pub admin_id: Uuid,
    pub pipelines: Vec<PipelineStages>,
    /// The custom fields defined on people (see [`score_field`]).
    pub person_fields: Vec<CustomField>,
}

/// The key of the custom field the benchmark defines on people.
pub const SCORE: &str = "score";

/// The custom field the benchmark defines on people before the data is
/// written: a number from 0 to 100 that most people have.
pub fn score_field() -> CustomField {
    CustomField {
        key: SCORE.into(),
        label: "Score".into(),
        ty: CustomType::Number,
        min: Some(json!(0)),
        max: Some(json!(100)),
        ..CustomField::default()
    }
}

/// How many of the busiest people (and at most how many large accounts) the
/// record-page requests are drawn from.
pub const BUSY_PEOPLE: usize = 20;

/// How many weeks before `as_of` the calendar requests look at.
pub const CALENDAR_WEEKS: i64 = 4;

/// Ids the benchmark's requests are drawn from.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub people: Vec<Uuid>,
    pub organizations: Vec<Uuid>,
    /// Open deals: id, index of its pipeline in `Target::pipelines`, index of its open stage.
    pub open_deals: Vec<(Uuid, usize, usize)>,
    /// What people type in the search box: a full name, a family name, a
    /// company, and one time in ten a full name with a typo.
    pub search_terms: Vec<String>,
    /// Organizations by name and web domain, for import files.
    pub organization_names: Vec<(String, String)>,
    /// The people with the most activities (the key contacts of the large
    /// accounts), busiest first, with their activity counts: record pages
    /// with a long timeline.
    pub busy_people: Vec<(Uuid, usize)>,
    /// The large accounts, busiest first, with the activities of their people:
    /// organization pages with thousands of people and a long timeline.
    pub busy_organizations: Vec<(Uuid, usize)>,
    /// Deals drawn at random, open or closed.
    pub deals: Vec<Uuid>,
    /// The weekdays of the last `CALENDAR_WEEKS` weeks before `as_of`: days and
    /// weeks of the calendar that hold tasks and meetings.
    pub calendar_dates: Vec<NaiveDate>,
}

/// Where generated rows go: called with batches in an order that satisfies foreign keys.
pub trait RowSink {
    fn rows(&mut self, table: Table, rows: Vec<Row>) -> anyhow::Result<()>;
}

impl<F: FnMut(Table, Vec<Row>) -> anyhow::Result<()>> RowSink for F {
    fn rows(&mut self, table: Table, rows: Vec<Row>) -> anyhow::Result<()> {
        self(table, rows)
    }
}

/// Buffers rows per table and hands them on in batches, parents first.
struct Batcher<'a> {
    bufs: BTreeMap<Table, Vec<Row>>,
    batch: usize,
    sink: &'a mut dyn RowSink,
    counts: BTreeMap<Table, u64>,
}

impl Batcher<'_> {
    fn push(&mut self, table: Table, row: Row) -> anyhow::Result<()> {
        let buf = self.bufs.entry(table).or_default();
        buf.push(row);
        if buf.len() >= self.batch {
            self.flush(table)?;
        }
        Ok(())
    }

    fn flush(&mut self, table: Table) -> anyhow::Result<()> {
        for p in table.parents() {
            self.flush(*p)?;
        }
        let rows = std::mem::take(self.bufs.entry(table).or_default());
        if !rows.is_empty() {
            *self.counts.entry(table).or_default() += rows.len() as u64;
            self.sink.rows(table, rows)?;
        }
        Ok(())
    }

    fn flush_all(&mut self) -> anyhow::Result<()> {
        for t in Table::ALL {
            self.flush(t)?;
        }
        Ok(())
    }
}

/// A CSV column as Rapport's own export names it, so that `rapport import`
/// and `POST /api/v1/imports` read the files as they are.
enum CsvColumn {
    Plain(&'static str),
    /// One part of an address: `address.city`.
    Part(&'static str, &'static str),
    /// The names of the organizations beside their ids.
    Organizations(&'static str),
    /// The owner's email beside `owner_id`.
    Owner,
    Pipeline,
    Stage,
    /// A custom field, as `custom.{key}`.
    Custom(String, CustomType),
}

impl CsvColumn {
    fn header(&self) -> String {
        match self {
            CsvColumn::Plain(f) => f.to_string(),
            CsvColumn::Part(f, p) => format!("{f}.{p}"),
            CsvColumn::Organizations(_) => "organization".into(),
            CsvColumn::Owner => "owner".into(),
            CsvColumn::Pipeline => "pipeline".into(),
            CsvColumn::Stage => "stage".into(),
            CsvColumn::Custom(k, _) => format!("custom.{k}"),
        }
    }
}

const ADDRESS_PARTS: [&str; 5] = ["street", "city", "region", "postal_code", "country"];

fn csv_columns(kind: Kind, custom: &[CustomField]) -> Vec<CsvColumn> {
    let mut out = vec![CsvColumn::Plain("id")];
    for f in schema::fields(kind).iter().filter(|f| f.access == Access::Write) {
        if matches!(f.ty, FieldType::Address | FieldType::Addresses) {
            out.extend(ADDRESS_PARTS.iter().map(|p| CsvColumn::Part(f.name, p)));
            continue;
        }
        out.push(CsvColumn::Plain(f.name));
        match (kind, f.name) {
            (Kind::Person | Kind::Activity, "organizations") | (Kind::Deal, "organization_id") => {
                out.push(CsvColumn::Organizations(f.name))
            }
            (_, "owner_id") => out.push(CsvColumn::Owner),
            (Kind::Deal, "stage_id") => {
                out.push(CsvColumn::Pipeline);
                out.push(CsvColumn::Stage);
            }
            _ => {}
        }
    }
    out.push(CsvColumn::Plain("created_at"));
    out.extend(custom.iter().filter(|c| !c.is_deleted()).map(|c| CsvColumn::Custom(c.key.clone(), c.ty)));
    out
}

/// A value as one CSV cell, as Rapport exports it: lists joined with "; ",
/// emails by address, phones as typed, links by id.
fn csv_text(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Array(items) => items
            .iter()
            .map(|i| match i {
                Json::Object(o) => o
                    .get("address")
                    .or_else(|| o.get("number"))
                    .or_else(|| o.get("id"))
                    .map(csv_text)
                    .unwrap_or_else(|| i.to_string()),
                other => csv_text(other),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn link_ids(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::Array(items)) => {
            items.iter().filter_map(|i| i.as_str().or_else(|| i.get("id").and_then(Json::as_str))).map(str::to_string).collect()
        }
        Some(Json::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

/// Names written beside ids.
#[derive(Default)]
struct Names {
    organizations: HashMap<String, String>,
    users: HashMap<String, String>,
    /// Stage id: pipeline name, stage name.
    stages: HashMap<String, (String, String)>,
}

/// CSV files of the records as a client would send them (emails and phones as
/// typed), one per kind, in the columns of Rapport's own CSV export; and the
/// stage history by ids.
struct Csv {
    files: BTreeMap<&'static str, (BufWriter<File>, Vec<CsvColumn>)>,
    history: BufWriter<File>,
    names: Names,
}

fn csv_cell(s: &str, out: &mut String) {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

impl Csv {
    fn open(dir: &Path, person_fields: &[CustomField]) -> anyhow::Result<Csv> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut files = BTreeMap::new();
        for kind in [Kind::Organization, Kind::Person, Kind::Deal, Kind::Activity, Kind::Task] {
            let cols = csv_columns(kind, if kind == Kind::Person { person_fields } else { &[] });
            let headers: Vec<String> = cols.iter().map(CsvColumn::header).collect();
            files.insert(kind.collection(), (Self::create(dir, kind.collection(), &headers)?, cols));
        }
        let cols = ["deal_id", "pipeline_id", "stage_id", "entered_at", "left_at", "entered_by"].map(str::to_string);
        let history = Self::create(dir, "deal_stage_history", &cols)?;
        Ok(Csv { files, history, names: Names::default() })
    }

    fn create(dir: &Path, name: &str, cols: &[String]) -> anyhow::Result<BufWriter<File>> {
        let path = dir.join(format!("{name}.csv"));
        let mut w =
            BufWriter::with_capacity(1 << 20, File::create(&path).with_context(|| format!("cannot create {}", path.display()))?);
        writeln!(w, "{}", cols.join(","))?;
        Ok(w)
    }

    /// One record, from the object sent to the API (with `id` and `created_at` added).
    fn write(&mut self, kind: Kind, r: &Map<String, Json>) -> anyhow::Result<()> {
        let (w, cols) = self.files.get_mut(kind.collection()).expect("a CSV file per kind");
        let names = &self.names;
        let mut line = String::with_capacity(512);
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            let text = match c {
                CsvColumn::Plain(f) => csv_text(r.get(*f).unwrap_or(&Json::Null)),
                CsvColumn::Part(f, p) => {
                    let a = match r.get(*f) {
                        Some(Json::Array(items)) => items.first(),
                        other => other,
                    };
                    a.and_then(|a| a.get(*p)).map(csv_text).unwrap_or_default()
                }
                CsvColumn::Organizations(f) => link_ids(r.get(*f))
                    .iter()
                    .filter_map(|id| names.organizations.get(id).cloned())
                    .collect::<Vec<_>>()
                    .join("; "),
                CsvColumn::Owner => {
                    r.get("owner_id").and_then(Json::as_str).and_then(|id| names.users.get(id).cloned()).unwrap_or_default()
                }
                CsvColumn::Pipeline | CsvColumn::Stage => {
                    let stage = r.get("stage_id").and_then(Json::as_str).and_then(|id| names.stages.get(id));
                    match (c, stage) {
                        (CsvColumn::Pipeline, Some((p, _))) => p.clone(),
                        (CsvColumn::Stage, Some((_, s))) => s.clone(),
                        _ => String::new(),
                    }
                }
                CsvColumn::Custom(k, ty) => {
                    r.get("custom").and_then(|c| c.get(k)).map(|v| custom::to_text(*ty, v)).unwrap_or_default()
                }
            };
            csv_cell(&text, &mut line);
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
        Ok(())
    }

    fn write_history(&mut self, cells: [String; 6]) -> anyhow::Result<()> {
        let mut line = String::with_capacity(256);
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            csv_cell(c, &mut line);
        }
        line.push('\n');
        self.history.write_all(line.as_bytes())?;
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        for (w, _) in self.files.values_mut() {
            w.flush()?;
        }
        self.history.flush()?;
        Ok(())
    }
}

/// Lower-case ASCII for email addresses and domains: `Müller` to `muller`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.to_lowercase().chars() {
        let r = match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => "a",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ı' => "i",
            'ñ' | 'ń' => "n",
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'ø' => "o",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'ß' => "ss",
            'ś' | 'ş' => "s",
            'ł' => "l",
            'ż' | 'ź' => "z",
            'æ' => "ae",
            'œ' => "oe",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            ' ' | '_' | '/' | '-' | '.' | '&' => "-",
            _ => "",
        };
        out.push_str(r);
    }
    out.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

/// Words that make company names beside the shared roots and industries (French, German, English).
static NAME_WORDS: [&[&str]; 3] = [
    &["Groupe", "Partenaires", "Atelier", "Services", "Solutions", "Systèmes", "Réseau", "Associés", "Innovation"],
    &["Gruppe", "Partner", "Werke", "Dienste", "Systeme", "Technik", "Netzwerk", "Holding", "Manufaktur"],
    &["Group", "Partners", "Works", "Services", "Solutions", "Systems", "Labs", "Network", "Holdings", "Brothers"],
];

/// A stage: name, probability, outcome.
pub type StageSpec = (&'static str, i64, &'static str);

/// Pipelines the benchmark adds beside the default one.
pub fn extra_pipelines() -> Vec<(&'static str, Vec<StageSpec>)> {
    vec![
        (
            "Renewals",
            vec![
                ("Up for renewal", 40, "open"),
                ("Quote sent", 60, "open"),
                ("Verbal yes", 85, "open"),
                ("Renewed", 100, "won"),
                ("Churned", 0, "lost"),
            ],
        ),
        (
            "Partnerships",
            vec![
                ("Identified", 10, "open"),
                ("In talks", 30, "open"),
                ("Agreement drafted", 60, "open"),
                ("Signed", 100, "won"),
                ("Dropped", 0, "lost"),
            ],
        ),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Open,
    Won,
    Lost,
}

struct User {
    id: Uuid,
    country: Country,
}

struct Org {
    id: Uuid,
    created: DateTime<Utc>,
    country: Country,
    city: usize,
    industry: usize,
    size: usize,
    relationship: &'static str,
    owner: usize,
    parent: Option<usize>,
    large: bool,
    name: String,
    short: String,
    domain: String,
    people: Vec<u32>,
    deals: Vec<u32>,
}

struct Person {
    id: Uuid,
    created: DateTime<Utc>,
    org: Option<u32>,
    owner: usize,
    country: Country,
    city: usize,
    first: &'static str,
    last: &'static str,
}

struct Deal {
    id: Uuid,
    created: DateTime<Utc>,
    org: u32,
    pipeline: usize,
    outcome: Outcome,
    /// Index of the last open stage reached.
    reached: usize,
    /// When each stage was entered, the first at creation; the won or lost stage last for closed deals.
    moves: Vec<DateTime<Utc>>,
    people: Vec<u32>,
    owner: usize,
}

struct Activity {
    at: DateTime<Utc>,
    created: DateTime<Utc>,
    person: u32,
    other: Option<u32>,
    deal: Option<u32>,
}

#[derive(Clone, Copy)]
enum About {
    Deal(u32),
    Person(u32),
    Org(u32),
}

struct Task {
    created: DateTime<Utc>,
    about: About,
}

pub struct Generator {
    rng: StdRng,
    now: DateTime<Utc>,
    scale: Scale,
    target: Target,
    /// Phone styles that validate, per country, city and whether written nationally.
    phone_styles: HashMap<(Country, usize, bool), Vec<u32>>,
    used_emails: HashSet<String>,
    used_names: HashSet<String>,
    used_domains: HashSet<String>,
    users: Vec<User>,
    orgs: Vec<Org>,
    people: Vec<Person>,
    deals: Vec<Deal>,
    pub sample_size: usize,
}

const DAY: i64 = 86_400;

impl Generator {
    pub fn new(seed: u64, now: DateTime<Utc>, scale: Scale, target: Target) -> Generator {
        let mut phone_styles: HashMap<(Country, usize, bool), Vec<u32>> = HashMap::new();
        let region_code = target.region.as_ref().to_string();
        for country in Country::ALL {
            for (ci, city) in country.cities().iter().enumerate() {
                for national in [false, true] {
                    if national && country.code() != region_code {
                        continue;
                    }
                    let ok: Vec<u32> = (0..6)
                        .filter(|style| {
                            [0u32, 1234, 9999]
                                .iter()
                                .all(|d| normalize_phone(&country.phone(city, *d, national, *style), target.region).is_some())
                        })
                        .collect();
                    phone_styles.insert((country, ci, national), ok);
                }
            }
        }
        Generator {
            rng: StdRng::seed_from_u64(seed),
            now: rapport_domain::value::truncate_micros(now),
            scale,
            target,
            phone_styles,
            used_emails: HashSet::new(),
            used_names: HashSet::new(),
            used_domains: HashSet::new(),
            users: vec![],
            orgs: vec![],
            people: vec![],
            deals: vec![],
            sample_size: 10_000,
        }
    }

    // ---- randomness -------------------------------------------------------------

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.random_range(0..items.len())]
    }

    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|i| i.1).sum();
        let mut x = self.rng.random_range(0..total.max(1));
        for (v, w) in items {
            if x < *w {
                return v;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    fn int(&mut self, lo: u32, hi: u32) -> u32 {
        self.rng.random_range(lo..=hi)
    }

    fn index(&mut self, len: usize) -> usize {
        self.rng.random_range(0..len)
    }

    fn unit(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    /// A person's score when the workspace defines the field: none for one
    /// person in six, else 0 to 100 skewed low (half of the scored people at
    /// 25 or less, about one in twenty at 90 or more).
    fn score(&mut self) -> Option<u32> {
        if !self.target.person_fields.iter().any(|f| f.key == SCORE) || self.chance(1.0 / 6.0) {
            return None;
        }
        let u = self.unit();
        Some((100.0 * u * u).round() as u32)
    }

    /// A UUIDv7 for a record created at `t`: ids sort by creation time.
    fn id_at(&mut self, t: DateTime<Utc>) -> Uuid {
        let mut bytes = [0u8; 10];
        self.rng.fill(&mut bytes);
        uuid::Builder::from_unix_timestamp_millis(t.timestamp_millis().max(0) as u64, &bytes).into_uuid()
    }

    // ---- time -------------------------------------------------------------------

    /// The same day (or the Friday before a weekend) during office hours, never in the future.
    fn office(&mut self, t: DateTime<Utc>) -> DateTime<Utc> {
        let mut d = t.date_naive();
        match d.weekday() {
            Weekday::Sat => d = d.pred_opt().unwrap_or(d),
            Weekday::Sun => d = d.pred_opt().and_then(|x| x.pred_opt()).unwrap_or(d),
            _ => {}
        }
        let h = 7 + (t.hour() % 11);
        let m = self.int(0, 59);
        let s = self.int(0, 59);
        let micros = self.int(0, 999_999);
        let out = d.and_hms_micro_opt(h, m, s, micros).expect("a valid time").and_utc();
        if out < self.now { out } else { self.now - Duration::minutes(i64::from(self.int(5, 600))) }
    }

    /// Uniform between two moments.
    fn between(&mut self, a: DateTime<Utc>, b: DateTime<Utc>) -> DateTime<Utc> {
        let span = (b - a).num_seconds().max(1);
        a + Duration::seconds(self.rng.random_range(0..span))
    }

    /// Between two moments, more often near the later one.
    fn recent_between(&mut self, a: DateTime<Utc>, b: DateTime<Utc>) -> DateTime<Utc> {
        let span = (b - a).num_seconds().max(1) as f64;
        let x = self.unit().powf(0.6);
        a + Duration::seconds((span * x) as i64)
    }

    fn days_ago(&self, days: i64) -> DateTime<Utc> {
        self.now - Duration::seconds(days * DAY)
    }

    // ---- names, emails, phones ------------------------------------------------

    fn person_name(&mut self, country: Country) -> (&'static str, &'static str) {
        let (first, last) = if self.chance(0.08) { *self.pick(words::ELSEWHERE) } else { country.names() };
        (*self.pick(first), *self.pick(last))
    }

    fn email(&mut self, first: &str, last: &str, domain: &str) -> String {
        let (f, l) = (fold(first), fold(last).replace('-', ""));
        let local = match self.int(0, 9) {
            0..=5 => format!("{f}.{l}"),
            6 | 7 => format!("{}{l}", f.chars().next().unwrap_or('x')),
            8 => format!("{f}{l}"),
            _ => format!("{f}.{}", l.chars().next().unwrap_or('x')),
        };
        let mut address = format!("{local}@{domain}");
        let mut n = 2;
        while !self.used_emails.insert(address.clone()) {
            address = format!("{local}{n}@{domain}");
            n += 1;
        }
        address
    }

    /// A number from the city's fictional range, in a format people there use.
    fn phone(&mut self, country: Country, city: usize) -> Option<String> {
        let home = country.code() == self.target.region.as_ref();
        let national = home && self.chance(0.7);
        let styles = self.phone_styles.get(&(country, city, national)).cloned().unwrap_or_default();
        if styles.is_empty() {
            return None;
        }
        let style = *self.pick(&styles);
        let digits = self.int(0, 9999);
        Some(country.phone(&country.cities()[city], digits, national, style))
    }

    fn company(&mut self, country: Country) -> (String, String, usize) {
        let lang = country.language();
        for attempt in 0..12 {
            let industry = self.index(words::INDUSTRIES.len());
            let ind = words::INDUSTRIES[industry].1[lang];
            let root = *self.pick(words::ROOTS);
            let short = match self.int(0, 9) {
                0..=3 => format!("{root} {ind}"),
                4 | 5 => format!("{root} {}", self.pick(NAME_WORDS[lang])),
                6 => format!("{root} {ind} {}", self.pick(NAME_WORDS[lang])),
                7 => {
                    let (_, last) = country.names();
                    let (a, b) = (*self.pick(last), *self.pick(last));
                    format!("{a} & {b}")
                }
                8 => {
                    let other = *self.pick(words::ROOTS);
                    format!("{root}{} {ind}", other.to_lowercase())
                }
                _ => {
                    let (_, last) = country.names();
                    format!("{} {ind}", self.pick(last))
                }
            };
            let short = if attempt >= 8 {
                let city = self.pick(country.cities()).name;
                format!("{short} {city}")
            } else {
                short
            };
            if self.used_names.insert(short.clone()) {
                let legal = *self.pick(country.legal_forms());
                return (format!("{short} {legal}"), short, industry);
            }
        }
        let n = self.used_names.len();
        let short = format!("{} {n}", self.pick(words::ROOTS));
        self.used_names.insert(short.clone());
        (format!("{short} {}", country.legal_forms()[0]), short, 0)
    }

    fn domain(&mut self, base: &str) -> String {
        let slug = fold(base);
        let mut d = format!("{slug}.example");
        let mut n = 2;
        while !self.used_domains.insert(d.clone()) {
            d = format!("{slug}{n}.example");
            n += 1;
        }
        d
    }

    // ---- first pass: the shape of the company -------------------------------------

    fn plan_users(&mut self) {
        let team_start = self.days_ago(3 * 365 + 30);
        for i in 0..self.scale.users {
            let country =
                if i < words::TEAM.len() { words::TEAM[i].3 } else { *self.weighted(&Country::ALL.map(|c| (c, c.weight()))) };
            let t = team_start + Duration::seconds(i as i64 * 3_600);
            let id = self.id_at(t);
            self.users.push(User { id, country });
        }
    }

    /// A sales rep of the country (the manager, user 0, keeps most large accounts).
    fn rep_for(&mut self, country: Country, big: bool) -> usize {
        if big && self.chance(0.6) {
            return 0;
        }
        let local: Vec<usize> = (1..self.users.len()).filter(|i| self.users[*i].country == country).collect();
        if local.is_empty() || self.chance(0.1) { self.index(self.users.len()) } else { *self.pick(&local) }
    }

    fn plan_orgs(&mut self) {
        let n = self.scale.organizations;
        let (oldest, newest) = (self.days_ago(3 * 365), self.days_ago(30));
        let mut times: Vec<DateTime<Utc>> = (0..n).map(|_| self.between(oldest, newest)).collect();
        times.sort();
        for created in times {
            let created = self.office(created);
            let id = self.id_at(created);
            let country = *self.weighted(&Country::ALL.map(|c| (c, c.weight())));
            let city = self.index(country.cities().len());
            let size = words::SIZES.iter().position(|s| s.0 == *self.weighted(words::SIZES)).unwrap_or(1);
            let relationship = *self.weighted(words::RELATIONSHIPS);
            let owner = self.rep_for(country, size >= 5);
            self.orgs.push(Org {
                id,
                created,
                country,
                city,
                industry: 0,
                size,
                relationship,
                owner,
                parent: None,
                large: false,
                name: String::new(),
                short: String::new(),
                domain: String::new(),
                people: vec![],
                deals: vec![],
            });
        }
        // The large accounts: older customers with thousands of people on file.
        let older = (n / 2).max(1);
        let mut chosen = HashSet::new();
        while chosen.len() < self.scale.large_accounts.min(n) {
            chosen.insert(self.index(older));
        }
        let mut chosen: Vec<usize> = chosen.into_iter().collect();
        chosen.sort_unstable();
        for i in chosen {
            let o = &mut self.orgs[i];
            o.large = true;
            o.size = words::SIZES.len() - 1;
            o.relationship = "customer";
            o.owner = 0;
        }
        // Some organizations are subsidiaries of an older one.
        for i in 1..n {
            if !self.orgs[i].large && self.chance(0.06) {
                let p = self.index(i);
                self.orgs[i].parent = Some(p);
                self.orgs[i].relationship = self.orgs[p].relationship;
            }
        }
    }

    fn plan_people(&mut self) {
        let n = self.scale.people;
        let n_orgs = self.orgs.len();
        let large: Vec<usize> = (0..n_orgs).filter(|i| self.orgs[*i].large).collect();
        const SIZE_WEIGHT: [u64; 7] = [1, 2, 4, 8, 14, 24, 40];
        let mut cumulative = Vec::with_capacity(n_orgs);
        let mut total = 0u64;
        for o in &self.orgs {
            total += SIZE_WEIGHT[o.size.min(6)];
            cumulative.push(total);
        }
        let mut employers: Vec<Option<u32>> = (0..n_orgs.min(n)).map(|i| Some(i as u32)).collect();
        while employers.len() < n {
            let x = self.unit();
            let e = if x < 0.15 {
                Some(large[self.index(large.len())] as u32)
            } else if x < 0.20 {
                None
            } else {
                let r = self.rng.random_range(0..total);
                Some(cumulative.partition_point(|c| *c <= r) as u32)
            };
            employers.push(e);
        }
        let (oldest, newest) = (self.days_ago(3 * 365), self.days_ago(1));
        let mut people: Vec<(DateTime<Utc>, Option<u32>)> = employers
            .into_iter()
            .map(|e| {
                let from = e.map_or(oldest, |o| self.orgs[o as usize].created);
                (self.between(from, newest), e)
            })
            .collect();
        people.sort_by_key(|p| p.0);
        for (created, org) in people {
            let created = self.office(created);
            let id = self.id_at(created);
            let (country, city, owner) = match org {
                Some(o) => {
                    let o = &self.orgs[o as usize];
                    let (country, city, owner) = (o.country, o.city, o.owner);
                    let owner = if self.chance(0.85) { owner } else { self.rep_for(country, false) };
                    (country, city, owner)
                }
                None => {
                    let country = *self.pick(&Country::ALL);
                    let city = self.index(country.cities().len());
                    (country, city, self.rep_for(country, false))
                }
            };
            let (first, last) = self.person_name(country);
            let index = self.people.len() as u32;
            if let Some(o) = org {
                self.orgs[o as usize].people.push(index);
            }
            self.people.push(Person { id, created, org, owner, country, city, first, last });
        }
    }

    fn plan_deals(&mut self) -> Vec<Deal> {
        let n = self.scale.deals;
        let large: Vec<usize> = (0..self.orgs.len()).filter(|i| self.orgs[*i].large).collect();
        let mut cumulative = Vec::with_capacity(self.orgs.len());
        let mut total = 0u64;
        for o in &self.orgs {
            let rel: u64 = match o.relationship {
                "customer" => 40,
                "prospect" => 30,
                "partner" => 10,
                _ => 2,
            };
            total += rel * (1 + o.size as u64);
            cumulative.push(total);
        }
        let two_years = self.days_ago(730);
        let mut deals = Vec::with_capacity(n);
        for _ in 0..n {
            let org = if self.chance(0.10) {
                large[self.index(large.len())]
            } else {
                let r = self.rng.random_range(0..total);
                cumulative.partition_point(|c| *c <= r)
            };
            let from = self.orgs[org].created.max(two_years);
            let created = self.between(from, self.days_ago(1));
            let created = self.office(created);
            let relationship = self.orgs[org].relationship;
            let pipeline = match relationship {
                "partner" => 2.min(self.target.pipelines.len() - 1),
                "customer" if self.chance(0.35) => 1.min(self.target.pipelines.len() - 1),
                _ => 0,
            };
            let age = (self.now - created).num_days();
            let outcome = *self.weighted(&match age {
                a if a > 180 => [(Outcome::Open, 12), (Outcome::Won, 40), (Outcome::Lost, 48)],
                a if a > 60 => [(Outcome::Open, 50), (Outcome::Won, 25), (Outcome::Lost, 25)],
                _ => [(Outcome::Open, 85), (Outcome::Won, 8), (Outcome::Lost, 7)],
            });
            let stages = self.target.pipelines[pipeline].open.len();
            let reached = match outcome {
                // Open deals thin out along the pipeline.
                Outcome::Open => {
                    let w: Vec<(usize, u32)> = (0..stages).map(|i| (i, (stages - i) as u32 * 2)).collect();
                    *self.weighted(&w)
                }
                Outcome::Won => stages - 1 - self.index(stages.min(2)),
                Outcome::Lost => self.index(stages),
            };
            let end = match outcome {
                Outcome::Open => self.now - Duration::hours(1),
                _ => {
                    let span = (self.now - created).num_days().clamp(2, 200) as u32;
                    let days = self.int(1, span);
                    (created + Duration::days(i64::from(days))).min(self.now - Duration::hours(2))
                }
            };
            let mut moves = vec![created];
            let steps = reached + usize::from(outcome != Outcome::Open);
            let mut times: Vec<DateTime<Utc>> = (0..steps).map(|_| self.between(created, end)).collect();
            times.sort();
            if outcome != Outcome::Open
                && let Some(last) = times.last_mut()
            {
                *last = end;
            }
            moves.extend(times.into_iter().map(|t| t.max(created + Duration::seconds(1))));
            let owner = self.orgs[org].owner;
            let pool = self.orgs[org].people.clone();
            let k = 1 + self.index(3);
            let mut people = Vec::new();
            for _ in 0..k {
                if pool.is_empty() {
                    break;
                }
                // The first contacts of an account are in most of its deals.
                let x = self.unit().powi(3);
                let p = pool[((x * pool.len() as f64) as usize).min(pool.len() - 1)];
                if !people.contains(&p) {
                    people.push(p);
                }
            }
            deals.push(Deal { id: Uuid::nil(), created, org: org as u32, pipeline, outcome, reached, moves, people, owner });
        }
        deals.sort_by_key(|d| d.created);
        for (i, d) in deals.iter_mut().enumerate() {
            let mut bytes = [0u8; 10];
            self.rng.fill(&mut bytes);
            d.id = uuid::Builder::from_unix_timestamp_millis(d.created.timestamp_millis() as u64, &bytes).into_uuid();
            self.orgs[d.org as usize].deals.push(i as u32);
        }
        deals
    }

    fn plan_activities(&mut self) -> Vec<Activity> {
        let n = self.scale.activities;
        let large: Vec<usize> = (0..self.orgs.len()).filter(|i| self.orgs[*i].large).collect();
        let two_years = self.days_ago(730);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let person = if self.chance(0.30) {
                // Large accounts: a few key contacts get most of the calls and meetings.
                let o = large[self.index(large.len())];
                let x = self.unit().powi(3);
                let n = self.orgs[o].people.len();
                self.orgs[o].people[((x * n as f64) as usize).min(n - 1)]
            } else {
                self.index(self.people.len()) as u32
            };
            let (created_p, org) = (self.people[person as usize].created, self.people[person as usize].org);
            let from = created_p.max(two_years);
            let at = self.recent_between(from, self.now);
            let at = self.office(at).max(from);
            let created = (at + Duration::seconds(i64::from(self.int(0, 7_200)))).min(self.now);
            let mut other = None;
            let mut deal = None;
            if let Some(o) = org {
                let (n_people, n_deals) = (self.orgs[o as usize].people.len(), self.orgs[o as usize].deals.len());
                if n_people > 1 && self.chance(0.2) {
                    let qi = self.index(n_people);
                    let q = self.orgs[o as usize].people[qi];
                    if q != person {
                        other = Some(q);
                    }
                }
                if n_deals > 0 && self.chance(0.5) {
                    let di = self.index(n_deals);
                    let d = self.orgs[o as usize].deals[di];
                    if self.deals_created(d) <= at {
                        deal = Some(d);
                    }
                }
            }
            out.push(Activity { at, created, person, other, deal });
        }
        out.sort_by_key(|a| a.created);
        out
    }

    fn deals_created(&self, d: u32) -> DateTime<Utc> {
        self.deals.get(d as usize).map_or(self.now, |d| d.created)
    }

    fn plan_tasks(&mut self) -> Vec<Task> {
        let n = self.scale.tasks;
        let two_years = self.days_ago(730);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let x = self.unit();
            let about = if x < 0.4 && !self.deals.is_empty() {
                About::Deal(self.index(self.deals.len()) as u32)
            } else if x < 0.8 {
                About::Person(self.index(self.people.len()) as u32)
            } else {
                About::Org(self.index(self.orgs.len()) as u32)
            };
            let from = match about {
                About::Deal(d) => self.deals[d as usize].created,
                About::Person(p) => self.people[p as usize].created,
                About::Org(o) => self.orgs[o as usize].created,
            }
            .max(two_years);
            let created = self.recent_between(from, self.now);
            let created = self.office(created).max(from);
            out.push(Task { created, about });
        }
        out.sort_by_key(|t| t.created);
        out
    }

    // ---- second pass: records, rows, CSV -------------------------------------------------

    fn validate(&self, kind: Kind, input: &Map<String, Json>, at: DateTime<Utc>) -> anyhow::Result<Changes> {
        let custom = if kind == Kind::Person { &self.target.person_fields[..] } else { &[] };
        let ctx = Context { region: self.target.region, currency: &self.target.currency, custom, now: at };
        validate::validate(kind, input, Mode::Create, &ctx)
            .map_err(|e| anyhow::anyhow!("generated {kind} does not validate: {:?}\n{}", e.0, Json::Object(input.clone())))
    }

    #[allow(clippy::too_many_arguments)]
    fn record_row(
        &self,
        kind: Kind,
        id: Uuid,
        created: DateTime<Utc>,
        by: Option<Uuid>,
        updated: DateTime<Utc>,
        version: i64,
        c: &Changes,
    ) -> Row {
        kind_columns(kind)
            .into_iter()
            .map(|col| match col {
                "workspace_id" => Cell::Uuid(self.target.workspace_id),
                "id" => Cell::Uuid(id),
                "created_at" => Cell::Time(created),
                "updated_at" => Cell::Time(updated),
                "created_by" | "updated_by" => by.map_or(Cell::Null, Cell::Uuid),
                "version" => Cell::Int(version),
                "custom" => Cell::json(c.custom.as_ref().unwrap_or(&json!({}))),
                name => c.columns.get(name).map_or(Cell::Null, Cell::from),
            })
            .collect()
    }

    /// The record's row in the search index, as the record engine writes it.
    fn search_row(&self, kind: Kind, id: Uuid, c: &Changes, out: &mut Batcher<'_>) -> anyhow::Result<()> {
        let record: Map<String, Json> = c.columns.iter().map(|(k, v)| (k.to_string(), api_value(v))).collect();
        let Some(doc) = search::document(kind, &record) else { return Ok(()) };
        let fields: Map<String, Json> = doc.fields.iter().map(|(k, v)| (k.to_string(), Json::String(v.join(" ")))).collect();
        out.push(
            Table::SearchEntries,
            vec![
                Cell::Uuid(self.target.workspace_id),
                Cell::Text(kind.as_str().into()),
                Cell::Uuid(id),
                Cell::Text(doc.label.clone()),
                Cell::Text(search::fold(&doc.label)),
                Cell::Text(doc.tokens()),
                Cell::json(&Json::Object(fields)),
            ],
        )
    }

    fn link_rows(&self, kind: Kind, id: Uuid, c: &Changes, out: &mut Batcher<'_>) -> anyhow::Result<()> {
        for (target, links) in c.links.values() {
            for l in links {
                out.push(
                    Table::RecordLinks,
                    vec![
                        Cell::Uuid(self.target.workspace_id),
                        Cell::Text(kind.as_str().into()),
                        Cell::Uuid(id),
                        Cell::Text(target.as_str().into()),
                        Cell::Uuid(l.id),
                        l.role.clone().map_or(Cell::Null, Cell::Text),
                    ],
                )?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn change_row(
        &mut self,
        kind: Kind,
        id: Uuid,
        at: DateTime<Utc>,
        by: Option<Uuid>,
        action: &str,
        diff: Map<String, Json>,
        out: &mut Batcher<'_>,
    ) -> anyhow::Result<()> {
        let change_id = self.id_at(at);
        out.push(
            Table::Changes,
            vec![
                Cell::Uuid(self.target.workspace_id),
                Cell::Uuid(change_id),
                Cell::Time(at),
                by.map_or(Cell::Null, Cell::Uuid),
                Cell::Text("api".into()),
                Cell::Null,
                Cell::Text(kind.as_str().into()),
                Cell::Uuid(id),
                Cell::Text(action.into()),
                Cell::json(&Json::Object(diff)),
            ],
        )
    }

    fn emit_users(&mut self, out: &mut Batcher<'_>, csv: &mut Option<Csv>) -> anyhow::Result<()> {
        let mut used = HashSet::new();
        for i in 0..self.users.len() {
            let (name, local, role, country) = if i < words::TEAM.len() {
                let (name, local, role, country) = words::TEAM[i];
                (name.to_string(), local.to_string(), role, country)
            } else {
                let country = self.users[i].country;
                let (first, last) = self.person_name(country);
                (format!("{first} {last}"), format!("{}.{}", fold(first), fold(last).replace('-', "")), "member", country)
            };
            let mut local = local;
            let base = local.clone();
            let mut n = 2;
            while !used.insert(local.clone()) {
                local = format!("{base}{n}");
                n += 1;
            }
            let email = format!("{local}@company.example");
            if let Some(csv) = csv {
                csv.names.users.insert(self.users[i].id.to_string(), email.clone());
            }
            let input = obj(json!({
                "email": email,
                "name": name,
                "role": role,
                "time_zone": country.time_zone(),
            }));
            let id = self.users[i].id;
            let created = self.days_ago(3 * 365 + 30);
            let c = self.validate(Kind::User, &input, created)?;
            let row = self.record_row(Kind::User, id, created, Some(self.target.admin_id), created, 1, &c);
            out.push(Table::Users, row)?;
        }
        out.flush(Table::Users)
    }

    fn emit_orgs(&mut self, out: &mut Batcher<'_>, csv: &mut Option<Csv>) -> anyhow::Result<()> {
        for i in 0..self.orgs.len() {
            let (country, parent) = (self.orgs[i].country, self.orgs[i].parent);
            let (name, short, industry) = match parent {
                Some(p) => {
                    let base = self.orgs[p].short.clone();
                    let mut short = format!("{base} {}", country.local_name());
                    let mut n = 2;
                    while !self.used_names.insert(short.clone()) {
                        short = format!("{base} {} {n}", country.local_name());
                        n += 1;
                    }
                    let legal = *self.pick(country.legal_forms());
                    (format!("{short} {legal}"), short, self.orgs[p].industry)
                }
                None => self.company(country),
            };
            let domain = self.domain(&short);
            let o = &self.orgs[i];
            let (id, created, size, relationship, owner, city_i, large) =
                (o.id, o.created, o.size, o.relationship, o.owner, o.city, o.large);
            if let Some(csv) = csv {
                csv.names.organizations.insert(id.to_string(), name.clone());
            }
            self.orgs[i].name = name.clone();
            let city = &country.cities()[city_i];
            let street = *self.pick(country.streets());
            let number = self.int(1, 180);
            let phone = self.phone(country, city_i);
            let mut tags: Vec<&str> = Vec::new();
            if large {
                tags.push("key-account");
            }
            if size >= 5 {
                tags.push("enterprise");
            } else if size <= 1 && self.chance(0.5) {
                tags.push("smb");
            }
            if self.chance(0.2) {
                tags.push(*self.pick(words::ORG_TAGS));
            }
            let mut input = obj(json!({
                "name": name,
                "domains": [domain],
                "website": format!("https://www.{domain}"),
                "industry": words::INDUSTRIES[industry].0,
                "size": words::SIZES[size].0,
                "relationship": relationship,
                "addresses": [{
                    "label": "head office",
                    "street": country.street_line(number, street),
                    "city": city.name,
                    "region": city.region,
                    "postal_code": city.postal_code,
                    "country": country.code(),
                }],
                "phones": phone.map(|n| json!([{"number": n, "label": "switchboard"}])),
                "owner_id": self.users[owner].id,
                "tags": tags,
                "parent_id": parent.map(|p| self.orgs[p].id),
            }));
            let by = Some(self.users[owner].id);
            let c = self.validate(Kind::Organization, &input, created)?;
            out.push(Table::Organizations, self.record_row(Kind::Organization, id, created, by, created, 1, &c))?;
            self.search_row(Kind::Organization, id, &c, out)?;
            self.change_row(Kind::Organization, id, created, by, "created", created_diff(Kind::Organization, &c), out)?;
            if let Some(csv) = csv {
                input.insert("id".into(), json!(id));
                input.insert("created_at".into(), json!(format_datetime(&created)));
                csv.write(Kind::Organization, &input)?;
            }
            let o = &mut self.orgs[i];
            o.industry = industry;
            o.short = short;
            o.domain = domain;
        }
        out.flush(Table::Organizations)
    }

    fn emit_people(&mut self, out: &mut Batcher<'_>, csv: &mut Option<Csv>) -> anyhow::Result<()> {
        for i in 0..self.people.len() {
            let p = &self.people[i];
            let (id, created, org, owner, country, city_i, first, last) =
                (p.id, p.created, p.org, p.owner, p.country, p.city, p.first, p.last);
            let relationship = org.map(|o| self.orgs[o as usize].relationship);
            let domain = match org {
                Some(o) => self.orgs[o as usize].domain.clone(),
                None => self.pick(&["mail.example", "post.example", "inbox.example"]).to_string(),
            };
            let email = self.email(first, last, &domain);
            // Emails are typed as they come: some in capitals, some with spaces around.
            let typed = match self.int(0, 19) {
                0 => email.to_uppercase(),
                1 => format!(" {email}"),
                _ => email,
            };
            let mut emails =
                vec![json!({"address": typed, "label": if org.is_some() { "work" } else { "home" }, "primary": true})];
            if org.is_some() && self.chance(0.1) {
                let private = self.email(first, last, "mail.example");
                emails.push(json!({"address": private, "label": "home"}));
            }
            let mut phones = Vec::new();
            if self.chance(0.85)
                && let Some(n) = self.phone(country, city_i)
            {
                phones.push(json!({"number": n, "label": "work", "primary": true}));
            }
            if self.chance(0.3)
                && let Some(n) = self.phone(country, city_i)
            {
                phones.push(json!({"number": n, "label": if self.chance(0.5) { "mobile" } else { "direct" }}));
            }
            let mut links = Vec::new();
            if let Some(o) = org {
                links.push(json!({"id": self.orgs[o as usize].id, "role": "employee"}));
                if self.orgs.len() > 1 && self.chance(0.05) {
                    let other = self.index(self.orgs.len());
                    let role = *self.pick(words::SIDE_ROLES);
                    if other != o as usize {
                        links.push(json!({"id": self.orgs[other].id, "role": role}));
                    }
                }
            }
            let stage: Option<&str> = match relationship {
                Some("customer") => {
                    Some(*self.weighted(&[("customer", 70), ("evangelist", 10), ("opportunity", 10), ("former_customer", 10)]))
                }
                Some("prospect") => {
                    Some(*self.weighted(&[("lead", 35), ("qualified_lead", 30), ("opportunity", 25), ("subscriber", 10)]))
                }
                Some(_) => None,
                None => Some(*self.weighted(&[("subscriber", 60), ("lead", 40)])),
            };
            let lead_source = (stage.is_some() && self.chance(0.8)).then(|| *self.weighted(words::LEAD_SOURCES));
            let channel = self.chance(0.7).then(|| *self.weighted(words::CHANNELS));
            let birthday = self.chance(0.25).then(|| {
                NaiveDate::from_ymd_opt(self.int(1960, 2003) as i32, self.int(1, 12), self.int(1, 28)).map(|d| d.to_string())
            });
            let city = &country.cities()[city_i];
            let address =
                self.chance(0.25).then(|| json!({"city": city.name, "postal_code": city.postal_code, "country": country.code()}));
            let tags: Vec<&str> = if self.chance(0.2) { vec![*self.pick(words::PERSON_TAGS)] } else { vec![] };
            let title = org.map(|_| *self.weighted(words::TITLES));
            let mut input = obj(json!({
                "first_name": first,
                "last_name": last,
                "emails": emails,
                "phones": phones,
                "title": title,
                "organizations": links,
                "lifecycle_stage": stage,
                "lead_source": lead_source,
                "preferred_channel": channel,
                "do_not_email": self.chance(0.03),
                "do_not_call": self.chance(0.03),
                "owner_id": self.users[owner].id,
                "tags": tags,
                "address": address,
                "birthday": birthday.flatten(),
            }));
            if let Some(score) = self.score() {
                input.insert("custom".into(), json!({ SCORE: score }));
            }
            let by = Some(self.users[owner].id);
            let c = self.validate(Kind::Person, &input, created)?;
            out.push(Table::People, self.record_row(Kind::Person, id, created, by, created, 1, &c))?;
            self.search_row(Kind::Person, id, &c, out)?;
            self.link_rows(Kind::Person, id, &c, out)?;
            self.change_row(Kind::Person, id, created, by, "created", created_diff(Kind::Person, &c), out)?;
            if let Some(csv) = csv {
                input.insert("id".into(), json!(id));
                input.insert("created_at".into(), json!(format_datetime(&created)));
                csv.write(Kind::Person, &input)?;
            }
        }
        out.flush(Table::People)
    }

    fn emit_deals(&mut self, deals: &[Deal], out: &mut Batcher<'_>, csv: &mut Option<Csv>) -> anyhow::Result<()> {
        for d in deals {
            let o = &self.orgs[d.org as usize];
            let (org_id, large, country, relationship, short) = (o.id, o.large, o.country, o.relationship, o.short.clone());
            let (offer, lo, hi) = *self.pick(words::OFFERS);
            let major = {
                let (lo, hi) = (f64::from(lo).ln(), f64::from(hi).ln());
                let scale = if large { 3.0 } else { 1.0 };
                let x = (lo + (hi - lo) * self.unit()).exp() * scale;
                ((x / 50.0).round() * 50.0).max(50.0) as i64
            };
            let currency = country.currency();
            let amount_minor = major * 10i64.pow(money::exponent(currency));
            let p = self.target.pipelines[d.pipeline].clone();
            let people: Vec<Json> = d
                .people
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let role = if i == 0 {
                        "decision maker"
                    } else {
                        words::DEAL_ROLES[1 + (*x as usize) % (words::DEAL_ROLES.len() - 1)]
                    };
                    json!({"id": self.people[*x as usize].id, "role": role})
                })
                .collect();
            let close = match d.outcome {
                Outcome::Open => self.now.date_naive() + Duration::days(i64::from(self.int(5, 120))),
                _ => d.moves.last().expect("a first stage").date_naive(),
            };
            let tag = match (d.outcome, relationship) {
                (_, "prospect") => "new-logo",
                (Outcome::Open, "customer") => *self.pick(&["upsell", "renewal"]),
                _ => *self.pick(words::DEAL_TAGS),
            };
            let name = format!("{offer} – {short}");
            let first_stage = p.open[0];
            let next_step = (d.outcome == Outcome::Open).then(|| *self.pick(words::NEXT_STEPS));
            let mut input = obj(json!({
                "name": name,
                "organization_id": org_id,
                "people": people,
                "pipeline_id": p.id,
                "stage_id": first_stage,
                "amount_minor": amount_minor,
                "currency": currency,
                "expected_close_date": close.to_string(),
                "owner_id": self.users[d.owner].id,
                "next_step": next_step,
                "tags": [tag],
            }));
            let by = Some(self.users[d.owner].id);
            let mut c = self.validate(Kind::Deal, &input, d.created)?;
            // What the store's pipeline rules add at creation.
            c.columns.insert("status", FieldValue::Text("open".into()));
            c.columns.insert("closed_at", FieldValue::Null);
            c.columns.insert("stage_entered_at", FieldValue::DateTime(d.created));
            self.change_row(Kind::Deal, d.id, d.created, by, "created", created_diff(Kind::Deal, &c), out)?;
            // Each later stage move, as the store records it: history rows and one change each.
            let stage_at = |k: usize| -> (Uuid, &str) {
                match (k == d.moves.len() - 1, d.outcome) {
                    (true, Outcome::Won) => (p.won, "won"),
                    (true, Outcome::Lost) => (p.lost, "lost"),
                    _ => (p.open[k.min(p.open.len() - 1)], "open"),
                }
            };
            let mut history = Vec::with_capacity(d.moves.len());
            for (k, at) in d.moves.iter().enumerate() {
                let (stage, status) = stage_at(k);
                let left = d.moves.get(k + 1).copied();
                let hist_id = self.id_at(*at);
                history.push(vec![
                    Cell::Uuid(self.target.workspace_id),
                    Cell::Uuid(hist_id),
                    Cell::Uuid(d.id),
                    Cell::Uuid(p.id),
                    Cell::Uuid(stage),
                    Cell::Time(*at),
                    left.map_or(Cell::Null, Cell::Time),
                    by.map_or(Cell::Null, Cell::Uuid),
                ]);
                if k > 0 {
                    let (prev, prev_status) = stage_at(k - 1);
                    let mut diff = Map::new();
                    diff.insert("stage_id".into(), json!({"old": prev, "new": stage}));
                    diff.insert(
                        "stage_entered_at".into(),
                        json!({"old": format_datetime(&d.moves[k - 1]), "new": format_datetime(at)}),
                    );
                    if status != prev_status {
                        diff.insert("status".into(), json!({"old": prev_status, "new": status}));
                        diff.insert("closed_at".into(), json!({"old": null, "new": format_datetime(at)}));
                    }
                    if status == "lost" {
                        let reason = *self.pick(words::LOST_REASONS);
                        diff.insert("lost_reason".into(), json!({"old": null, "new": reason}));
                        c.columns.insert("lost_reason", FieldValue::Text(reason.into()));
                        input.insert("lost_reason".into(), json!(reason));
                    }
                    self.change_row(Kind::Deal, d.id, *at, by, "updated", diff, out)?;
                }
                if let Some(csv) = csv {
                    csv.write_history([
                        d.id.to_string(),
                        p.id.to_string(),
                        stage.to_string(),
                        format_datetime(at),
                        left.map(|t| format_datetime(&t)).unwrap_or_default(),
                        by.map(|u| u.to_string()).unwrap_or_default(),
                    ])?;
                }
            }
            let last = *d.moves.last().expect("a first stage");
            let (stage, status) = stage_at(d.moves.len() - 1);
            c.columns.insert("stage_id", FieldValue::Uuid(stage));
            c.columns.insert("status", FieldValue::Text(status.into()));
            c.columns.insert("stage_entered_at", FieldValue::DateTime(last));
            if status != "open" {
                c.columns.insert("closed_at", FieldValue::DateTime(last));
            }
            let version = d.moves.len() as i64;
            out.push(Table::Deals, self.record_row(Kind::Deal, d.id, d.created, by, last, version, &c))?;
            self.search_row(Kind::Deal, d.id, &c, out)?;
            self.link_rows(Kind::Deal, d.id, &c, out)?;
            for h in history {
                out.push(Table::DealStageHistory, h)?;
            }
            if let Some(csv) = csv {
                input.insert("id".into(), json!(d.id));
                input.insert("created_at".into(), json!(format_datetime(&d.created)));
                input.insert("stage_id".into(), json!(stage));
                input.insert("status".into(), json!(status));
                csv.write(Kind::Deal, &input)?;
            }
        }
        out.flush(Table::Deals)?;
        out.flush(Table::DealStageHistory)
    }

    fn emit_activities(&mut self, acts: &[Activity], out: &mut Batcher<'_>, csv: &mut Option<Csv>) -> anyhow::Result<()> {
        for a in acts {
            let id = self.id_at(a.created);
            let p = &self.people[a.person as usize];
            let first = p.first;
            let owner = self.users[p.owner].id;
            let org = p.org.map(|o| &self.orgs[o as usize]);
            let city = org.map_or("town", |o| o.country.cities()[o.city].name);
            let mut people = vec![json!(p.id)];
            if let Some(q) = a.other {
                people.push(json!(self.people[q as usize].id));
            }
            let orgs: Vec<Json> = org.map(|o| json!(o.id)).into_iter().collect();
            let deals: Vec<Json> = a.deal.map(|d| json!(self.deals_id(d))).into_iter().collect();
            let kind = *self.weighted(&[
                ("call", 30),
                ("email", 34),
                ("meeting", 14),
                ("note", 10),
                ("visit", 4),
                ("sms", 5),
                ("chat", 3),
            ]);
            let mut r = json!({"type": kind, "occurred_at": format_datetime(&a.at), "people": people, "organizations": orgs, "deals": deals});
            let m = r.as_object_mut().expect("an object");
            match kind {
                "call" => {
                    let outcome = *self.weighted(words::CALL_OUTCOMES);
                    let secs = if outcome == "connected" { self.int(3, 45) * 60 + self.int(0, 59) } else { self.int(5, 60) };
                    m.insert("direction".into(), json!(if self.chance(0.75) { "outbound" } else { "inbound" }));
                    m.insert("subject".into(), json!(self.pick(words::CALL_SUBJECTS)));
                    m.insert("outcome".into(), json!(outcome));
                    m.insert("duration_seconds".into(), json!(secs));
                    if outcome == "connected" {
                        m.insert("body".into(), json!(format!("Spoke with {first}. {}", self.pick(words::NOTES))));
                    }
                }
                "email" => {
                    let outbound = self.chance(0.55);
                    let body = if outbound {
                        format!(
                            "Hi {first},\n\nThanks for your time this week. As promised, here are the details we discussed.\n\nBest regards"
                        )
                    } else {
                        format!("Hello,\n\nCould you send us an updated quote before the end of the month?\n\nThanks,\n{first}")
                    };
                    m.insert("direction".into(), json!(if outbound { "outbound" } else { "inbound" }));
                    m.insert("subject".into(), json!(self.pick(words::EMAIL_SUBJECTS)));
                    m.insert("body".into(), json!(body));
                }
                "meeting" => {
                    m.insert("subject".into(), json!(self.pick(words::MEETING_SUBJECTS)));
                    m.insert("duration_seconds".into(), json!(self.int(2, 6) * 900));
                    m.insert("body".into(), json!(format!("Attendees: {first} and team.\n\n{}", self.pick(words::NOTES))));
                }
                "note" => {
                    m.insert("body".into(), json!(self.pick(words::NOTES)));
                }
                "visit" => {
                    m.insert("subject".into(), json!(format!("On-site visit in {city}")));
                    m.insert("duration_seconds".into(), json!(self.int(2, 6) * 1800));
                    m.insert("body".into(), json!(format!("Met {first} on site. {}", self.pick(words::NOTES))));
                }
                "sms" => {
                    m.insert("direction".into(), json!(if self.chance(0.5) { "outbound" } else { "inbound" }));
                    m.insert("body".into(), json!(self.pick(words::SMS_TEXTS)));
                }
                _ => {
                    m.insert("direction".into(), json!("inbound"));
                    m.insert("body".into(), json!(self.pick(words::CHAT_TEXTS)));
                }
            }
            let mut input = obj(r);
            let c = self.validate(Kind::Activity, &input, a.created)?;
            out.push(Table::Activities, self.record_row(Kind::Activity, id, a.created, Some(owner), a.created, 1, &c))?;
            self.search_row(Kind::Activity, id, &c, out)?;
            self.link_rows(Kind::Activity, id, &c, out)?;
            if let Some(csv) = csv {
                input.insert("id".into(), json!(id));
                input.insert("created_at".into(), json!(format_datetime(&a.created)));
                csv.write(Kind::Activity, &input)?;
            }
        }
        out.flush(Table::Activities)
    }

    fn deals_id(&self, d: u32) -> Uuid {
        self.deals[d as usize].id
    }

    fn emit_tasks(&mut self, tasks: &[Task], out: &mut Batcher<'_>, csv: &mut Option<Csv>) -> anyhow::Result<()> {
        for t in tasks {
            let id = self.id_at(t.created);
            let (title, assignee, people, orgs, deals) = match t.about {
                About::Deal(d) => {
                    let step = *self.pick(words::NEXT_STEPS);
                    let deal = &self.deals[d as usize];
                    let o = &self.orgs[deal.org as usize];
                    let who: Vec<Uuid> = deal.people.iter().take(1).map(|p| self.people[*p as usize].id).collect();
                    (format!("{step} ({})", o.short), deal.owner, who, vec![o.id], vec![deal.id])
                }
                About::Person(p) => {
                    let t = *self.pick(&[
                        "Follow up with {}",
                        "Send the brochure to {}",
                        "Invite {} to the customer day",
                        "Call {} back",
                        "Check onboarding progress with {}",
                        "Ask {} for a referral",
                    ]);
                    let person = &self.people[p as usize];
                    let orgs: Vec<Uuid> = person.org.map(|o| self.orgs[o as usize].id).into_iter().collect();
                    (t.replace("{}", person.first), person.owner, vec![person.id], orgs, vec![])
                }
                About::Org(o) => {
                    let t = *self.pick(&[
                        "Prepare the quarterly review for {}",
                        "Update the billing details of {}",
                        "Renewal check for {}",
                        "Plan a visit to {}",
                        "Send the satisfaction survey to {}",
                    ]);
                    let org = &self.orgs[o as usize];
                    (t.replace("{}", &org.short), org.owner, vec![], vec![org.id], vec![])
                }
            };
            let days = i64::from(self.int(1, 30));
            let due = self.office(t.created + Duration::days(days));
            let due = if due < t.created { t.created + Duration::days(1) } else { due };
            // Tasks due a while ago are mostly closed, on or near their due date.
            let closed_at = if due < self.now - Duration::days(3) && self.chance(0.9) {
                let t_close = (due + Duration::hours(i64::from(self.int(0, 72)) - 24)).max(t.created).min(self.now);
                Some(t_close)
            } else {
                None
            };
            let status = match closed_at {
                Some(_) => *self.weighted(&[("done", 85), ("cancelled", 15)]),
                None => *self.weighted(&[("open", 80), ("in_progress", 20)]),
            };
            let remind = (closed_at.is_none() && self.chance(0.3)).then(|| format_datetime(&(due - Duration::hours(2))));
            let description = self.chance(0.3).then(|| *self.pick(words::NOTES));
            let assignee_id = self.users[assignee].id;
            let mut input = obj(json!({
                "title": title,
                "description": description,
                "due_at": format_datetime(&due),
                "remind_at": remind,
                "assignee_user_id": assignee_id,
                "priority": self.weighted(&[("low", 15), ("normal", 55), ("high", 22), ("urgent", 8)]),
                "status": status,
                "people": people,
                "organizations": orgs,
                "deals": deals,
            }));
            // A closed task was created open and closed later: validation then sets completed_at.
            let (updated, version) = match closed_at {
                Some(at) => (at, 2),
                None => (t.created, 1),
            };
            let c = self.validate(Kind::Task, &input, updated)?;
            out.push(Table::Tasks, self.record_row(Kind::Task, id, t.created, Some(assignee_id), updated, version, &c))?;
            self.search_row(Kind::Task, id, &c, out)?;
            self.link_rows(Kind::Task, id, &c, out)?;
            if let Some(csv) = csv {
                input.insert("id".into(), json!(id));
                input.insert("created_at".into(), json!(format_datetime(&t.created)));
                csv.write(Kind::Task, &input)?;
            }
        }
        out.flush(Table::Tasks)
    }

    /// Generates everything, handing rows to `sink` in batches of `batch` rows.
    pub fn run(
        mut self,
        sink: &mut dyn RowSink,
        batch: usize,
        csv_dir: Option<&Path>,
    ) -> anyhow::Result<(Sample, BTreeMap<Table, u64>)> {
        if self.target.pipelines.is_empty() || self.target.pipelines.iter().any(|p| p.open.is_empty()) {
            bail!("the workspace needs a pipeline with open stages");
        }
        let mut csv = csv_dir.map(|d| Csv::open(d, &self.target.person_fields)).transpose()?;
        if let Some(csv) = &mut csv {
            for p in &self.target.pipelines {
                for (id, stage) in &p.stage_names {
                    csv.names.stages.insert(id.to_string(), (p.name.clone(), stage.clone()));
                }
            }
        }
        let mut out = Batcher { bufs: BTreeMap::new(), batch, sink, counts: BTreeMap::new() };
        self.plan_users();
        self.plan_orgs();
        self.plan_people();
        self.emit_users(&mut out, &mut csv)?;
        self.emit_orgs(&mut out, &mut csv)?;
        self.emit_people(&mut out, &mut csv)?;
        let deals = self.plan_deals();
        self.emit_deals(&deals, &mut out, &mut csv)?;
        self.deals = deals;
        let acts = self.plan_activities();
        self.emit_activities(&acts, &mut out, &mut csv)?;
        let busy = self.busiest(&acts, BUSY_PEOPLE);
        let accounts = self.busiest_accounts(&acts, BUSY_PEOPLE);
        drop(acts);
        let tasks = self.plan_tasks();
        self.emit_tasks(&tasks, &mut out, &mut csv)?;
        out.flush_all()?;
        if let Some(c) = &mut csv {
            c.finish()?;
        }
        let counts = std::mem::take(&mut out.counts);
        let mut sample = self.sample();
        sample.busy_people = busy;
        sample.busy_organizations = accounts;
        Ok((sample, counts))
    }

    /// The `n` people the most activities concern, busiest first (no random draw,
    /// so the data stays the same for a seed).
    fn busiest(&self, acts: &[Activity], n: usize) -> Vec<(Uuid, usize)> {
        let mut count = vec![0usize; self.people.len()];
        for a in acts {
            count[a.person as usize] += 1;
            if let Some(o) = a.other {
                count[o as usize] += 1;
            }
        }
        top(&count, n, |i| self.people[i].id)
    }

    /// The large accounts (at most `n`) by the activities of their people, busiest first.
    fn busiest_accounts(&self, acts: &[Activity], n: usize) -> Vec<(Uuid, usize)> {
        let mut count = vec![0usize; self.orgs.len()];
        for a in acts {
            if let Some(o) = self.people[a.person as usize].org.filter(|o| self.orgs[*o as usize].large) {
                count[o as usize] += 1;
            }
        }
        top(&count, n, |i| self.orgs[i].id)
    }

    /// A CSV file of `n` people as a user would import them: Rapport's own
    /// column names, emails and phones as typed, each person's organization by
    /// name (from `orgs`: name and web domain), the owner by email.
    pub fn import_file(&mut self, n: usize, orgs: &[(String, String)]) -> String {
        let cols = [
            "first_name",
            "last_name",
            "emails",
            "phones",
            "title",
            "organization",
            "lifecycle_stage",
            "lead_source",
            "tags",
            "owner",
        ];
        let mut out = cols.join(",");
        out.push('\n');
        let owners: Vec<String> = words::TEAM.iter().map(|t| format!("{}@company.example", t.1)).collect();
        for _ in 0..n {
            let country = *self.weighted(&Country::ALL.map(|c| (c, c.weight())));
            let (first, last) = self.person_name(country);
            let org = (!orgs.is_empty() && self.chance(0.9)).then(|| orgs[self.index(orgs.len())].clone());
            let domain = org.as_ref().map_or_else(|| "mail.example".to_string(), |o| o.1.clone());
            let mut emails = vec![self.email(first, last, &domain)];
            if self.chance(0.1) {
                emails.push(self.email(first, last, "mail.example"));
            }
            let city = self.index(country.cities().len());
            let phones: Vec<String> = (0..self.int(0, 2)).filter_map(|_| self.phone(country, city)).collect();
            let title = org.as_ref().map(|_| *self.weighted(words::TITLES)).unwrap_or_default();
            let stage = *self.weighted(&[("lead", 50), ("qualified_lead", 20), ("subscriber", 20), ("customer", 10)]);
            let source = *self.weighted(words::LEAD_SOURCES);
            let tag = if self.chance(0.3) { *self.pick(words::PERSON_TAGS) } else { "" };
            let owner = owners[self.index(owners.len())].clone();
            let org_name = org.map(|o| o.0).unwrap_or_default();
            let row = [
                first.to_string(),
                last.to_string(),
                emails.join("; "),
                phones.join("; "),
                title.to_string(),
                org_name,
                stage.into(),
                source.into(),
                tag.into(),
                owner,
            ];
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                csv_cell(cell, &mut out);
            }
            out.push('\n');
        }
        out
    }

    fn sample(&mut self) -> Sample {
        let k = self.sample_size;
        let mut s = Sample::default();
        for _ in 0..k.min(self.people.len() * 2) {
            let i = self.index(self.people.len());
            s.people.push(self.people[i].id);
        }
        for _ in 0..k.min(self.orgs.len() * 2) {
            let i = self.index(self.orgs.len());
            s.organizations.push(self.orgs[i].id);
            s.organization_names.push((self.orgs[i].name.clone(), self.orgs[i].domain.clone()));
        }
        for _ in 0..k.min(self.people.len() * 2) {
            let p = self.index(self.people.len());
            let x = self.unit();
            let term = if x < 0.40 {
                format!("{} {}", self.people[p].first, self.people[p].last)
            } else if x < 0.70 {
                self.people[p].last.to_string()
            } else if x < 0.90 {
                let o = self.index(self.orgs.len());
                self.orgs[o].short.clone()
            } else {
                // A slip of the fingers: two letters of the family name swapped.
                format!("{} {}", self.people[p].first, swap_two_letters(self.people[p].last))
            };
            s.search_terms.push(term);
        }
        let open: Vec<usize> = (0..self.deals.len()).filter(|i| self.deals[*i].outcome == Outcome::Open).collect();
        let mut chosen = HashSet::new();
        while chosen.len() < k.min(open.len()) {
            chosen.insert(open[self.index(open.len())]);
        }
        let mut chosen: Vec<usize> = chosen.into_iter().collect();
        chosen.sort_unstable();
        for i in chosen {
            let d = &self.deals[i];
            s.open_deals.push((d.id, d.pipeline, d.reached.min(self.target.pipelines[d.pipeline].open.len() - 1)));
        }
        for _ in 0..k.min(self.deals.len() * 2) {
            let i = self.index(self.deals.len());
            s.deals.push(self.deals[i].id);
        }
        let today = self.now.date_naive();
        s.calendar_dates = (1..=7 * CALENDAR_WEEKS)
            .map(|d| today - Duration::days(d))
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .collect();
        s
    }
}

/// A word with two neighbouring letters in its middle swapped (`Smith`,
/// `Smiht`): the commonest typo, which search must still find.
fn swap_two_letters(word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() >= 4 {
        let i = chars.len() / 2;
        chars.swap(i - 1, i);
    }
    chars.into_iter().collect()
}

/// The `n` largest non-zero counts, largest first (ties by index), with the ids of their rows.
fn top(count: &[usize], n: usize, id: impl Fn(usize) -> Uuid) -> Vec<(Uuid, usize)> {
    let mut order: Vec<usize> = (0..count.len()).filter(|i| count[*i] > 0).collect();
    order.sort_by_key(|i| (std::cmp::Reverse(count[*i]), *i));
    order.into_iter().take(n).map(|i| (id(i), count[i])).collect()
}

fn obj(v: Json) -> Map<String, Json> {
    match v {
        Json::Object(mut m) => {
            m.retain(|_, v| !v.is_null());
            m
        }
        _ => unreachable!("records are JSON objects"),
    }
}

/// A column value as the API shows it.
fn api_value(v: &FieldValue) -> Json {
    match v {
        FieldValue::Null => Json::Null,
        FieldValue::Text(s) => json!(s),
        FieldValue::Int(i) => json!(i),
        FieldValue::Bool(b) => json!(b),
        FieldValue::Date(d) => json!(d.to_string()),
        FieldValue::DateTime(t) => json!(format_datetime(t)),
        FieldValue::Uuid(u) => json!(u),
        FieldValue::Json(j) => j.clone(),
    }
}

/// The change-log entry of a created record, as the store writes it: every
/// field with a value, as `{"old": null, "new": value}`.
fn created_diff(kind: Kind, c: &Changes) -> Map<String, Json> {
    let mut out = Map::new();
    let mut put = |name: &str, v: Json| {
        let empty = v.is_null() || v.as_array().is_some_and(Vec::is_empty) || v.as_object().is_some_and(Map::is_empty);
        if !empty {
            out.insert(name.to_string(), json!({"old": null, "new": v}));
        }
    };
    for (name, v) in &c.columns {
        put(name, api_value(v));
    }
    for (name, (_, links)) in &c.links {
        let with_role = matches!(schema::field(kind, name).map(|f| f.ty), Some(FieldType::Links { role: true, .. }));
        let mut sorted = links.clone();
        sorted.sort();
        let items: Vec<Json> =
            sorted.iter().map(|l| if with_role { json!({"id": l.id, "role": l.role}) } else { json!(l.id) }).collect();
        put(name, Json::Array(items));
    }
    if let Some(custom) = &c.custom {
        put("custom", custom.clone());
    }
    if kind == Kind::Deal
        && let (Some(FieldValue::Int(m)), Some(FieldValue::Text(cur))) =
            (c.columns.get("amount_minor"), c.columns.get("currency"))
    {
        put("amount", json!(money::format_minor(*m, cur)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_domain::contact::parse_region;

    fn target() -> Target {
        let p = |n: usize| PipelineStages {
            id: Uuid::from_u128(100 + n as u128),
            name: format!("Pipeline {n}"),
            stage_names: vec![],
            open: (0..4).map(|i| Uuid::from_u128(1000 + (n * 10 + i) as u128)).collect(),
            won: Uuid::from_u128(2000 + n as u128),
            lost: Uuid::from_u128(3000 + n as u128),
        };
        Target {
            workspace_id: Uuid::from_u128(1),
            region: parse_region("FR").unwrap(),
            currency: "EUR".into(),
            admin_id: Uuid::from_u128(2),
            pipelines: vec![p(0), p(1), p(2)],
            person_fields: vec![score_field()],
        }
    }

    fn generate(seed: u64, people: usize) -> (Vec<(Table, Vec<Row>)>, Sample) {
        let now = "2026-03-02T10:00:00Z".parse().unwrap();
        let g = Generator::new(seed, now, Scale::for_people(people), target());
        let mut all = Vec::new();
        let mut sink = |t: Table, rows: Vec<Row>| {
            all.push((t, rows));
            Ok(())
        };
        let (sample, _) = g.run(&mut sink, 100, None).unwrap();
        (all, sample)
    }

    #[test]
    fn the_same_seed_gives_the_same_rows() {
        let (a, _) = generate(3, 300);
        let (b, _) = generate(3, 300);
        assert_eq!(a, b);
        let (c, _) = generate(4, 300);
        assert_ne!(a, c);
    }

    #[test]
    fn rows_are_complete_and_parents_come_first() {
        let (all, sample) = generate(1, 500);
        let count = |t: Table| all.iter().filter(|b| b.0 == t).map(|b| b.1.len()).sum::<usize>();
        assert_eq!(count(Table::People), 500);
        assert_eq!(count(Table::Organizations), 50);
        assert_eq!(count(Table::Deals), 150);
        assert_eq!(count(Table::Activities), 1500);
        assert_eq!(count(Table::Tasks), 500);
        assert!(count(Table::DealStageHistory) >= 150);
        assert!(count(Table::RecordLinks) > 2000);
        for (t, rows) in &all {
            for r in rows {
                assert_eq!(r.len(), t.columns().len(), "{t:?}");
            }
        }
        let first = |t: Table| all.iter().position(|b| b.0 == t).unwrap();
        assert!(first(Table::Organizations) < first(Table::Deals));
        assert!(first(Table::Deals) < first(Table::DealStageHistory));
        assert!(!sample.people.is_empty() && !sample.open_deals.is_empty());
        // Every person has a derived name and a normalized primary email.
        let cols = Table::People.columns();
        let (name, email) =
            (cols.iter().position(|c| *c == "name").unwrap(), cols.iter().position(|c| *c == "primary_email").unwrap());
        for (_, rows) in all.iter().filter(|b| b.0 == Table::People) {
            for r in rows {
                assert!(matches!(&r[name], Cell::Text(n) if !n.is_empty()));
                assert!(matches!(&r[email], Cell::Text(e) if e == &e.trim().to_lowercase()));
            }
        }
    }

    #[test]
    fn large_accounts_have_thousands_of_people_at_scale() {
        let s = Scale::for_people(1_000_000);
        assert_eq!(
            (s.organizations, s.deals, s.activities, s.tasks, s.large_accounts),
            (100_000, 300_000, 3_000_000, 1_000_000, 50)
        );
        // 15% of the people beyond the first contacts go to the large accounts.
        assert!(900_000 * 15 / 100 / s.large_accounts > 2_000);
    }
}
