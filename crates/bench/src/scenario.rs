//! The HTTP requests of the benchmark, as a client would send them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::generator::{PipelineStages, SCORE, Sample};
use crate::mix;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    GetPerson,
    ListPeople,
    ListPeopleCustom,
    PersonTimeline,
    PipelineBoard,
    Search,
    CreatePerson,
    UpdateDealStage,
    UiHome,
    UiHomeAdmin,
    UiPeopleList,
    UiPersonPage,
    UiOrgList,
    UiOrgPage,
    UiDealList,
    UiDealPage,
    UiBoard,
    UiTaskList,
    UiActivityList,
    UiCalendarWeek,
    UiCalendarDay,
    UiSearch,
}

impl Scenario {
    pub const ALL: [Scenario; 22] = [
        Scenario::GetPerson,
        Scenario::ListPeople,
        Scenario::ListPeopleCustom,
        Scenario::PersonTimeline,
        Scenario::PipelineBoard,
        Scenario::Search,
        Scenario::CreatePerson,
        Scenario::UpdateDealStage,
        Scenario::UiHome,
        Scenario::UiHomeAdmin,
        Scenario::UiPeopleList,
        Scenario::UiPersonPage,
        Scenario::UiOrgList,
        Scenario::UiOrgPage,
        Scenario::UiDealList,
        Scenario::UiDealPage,
        Scenario::UiBoard,
        Scenario::UiTaskList,
        Scenario::UiActivityList,
        Scenario::UiCalendarWeek,
        Scenario::UiCalendarDay,
        Scenario::UiSearch,
    ];

    /// The name `--only` takes.
    pub fn key(self) -> &'static str {
        match self {
            Scenario::GetPerson => "get_person",
            Scenario::ListPeople => "list_people",
            Scenario::ListPeopleCustom => "list_people_custom",
            Scenario::PersonTimeline => "person_timeline",
            Scenario::PipelineBoard => "pipeline_board",
            Scenario::Search => "search",
            Scenario::CreatePerson => "create_person",
            Scenario::UpdateDealStage => "update_deal_stage",
            Scenario::UiHome => "ui_home",
            Scenario::UiHomeAdmin => "ui_home_admin",
            Scenario::UiPeopleList => "ui_people",
            Scenario::UiPersonPage => "ui_person",
            Scenario::UiOrgList => "ui_orgs",
            Scenario::UiOrgPage => "ui_org",
            Scenario::UiDealList => "ui_deals",
            Scenario::UiDealPage => "ui_deal",
            Scenario::UiBoard => "ui_board",
            Scenario::UiTaskList => "ui_tasks",
            Scenario::UiActivityList => "ui_activities",
            Scenario::UiCalendarWeek => "ui_calendar",
            Scenario::UiCalendarDay => "ui_calendar_day",
            Scenario::UiSearch => "ui_search",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Scenario::GetPerson => "get a person by id",
            Scenario::ListPeople => "list people (filter + sort)",
            Scenario::ListPeopleCustom => "list people (custom field filter + sort)",
            Scenario::PersonTimeline => "a person's timeline",
            Scenario::PipelineBoard => "pipeline board column",
            Scenario::Search => "global search",
            Scenario::CreatePerson => "create a person",
            Scenario::UpdateDealStage => "move a deal (PATCH stage_id)",
            Scenario::UiHome => "UI: home page",
            Scenario::UiHomeAdmin => "UI: home page (admin)",
            Scenario::UiPeopleList => "UI: people list (filter + sort)",
            Scenario::UiPersonPage => "UI: busy person's page",
            Scenario::UiOrgList => "UI: organizations list (filter + sort)",
            Scenario::UiOrgPage => "UI: large account's page",
            Scenario::UiDealList => "UI: deals list (filter + sort)",
            Scenario::UiDealPage => "UI: a deal's page",
            Scenario::UiBoard => "UI: pipeline board",
            Scenario::UiTaskList => "UI: tasks list (open, due first)",
            Scenario::UiActivityList => "UI: activities list (filter + sort)",
            Scenario::UiCalendarWeek => "UI: calendar, week (everyone)",
            Scenario::UiCalendarDay => "UI: calendar, day (everyone)",
            Scenario::UiSearch => "UI: search page",
        }
    }

    /// What is sent, for the documentation and the JSON report.
    pub fn request(self) -> &'static str {
        match self {
            Scenario::GetPerson => "GET /api/v1/people/{id}",
            Scenario::ListPeople => "GET /api/v1/people?lifecycle_stage={stage}&sort=name&limit=50",
            Scenario::ListPeopleCustom => "GET /api/v1/people?custom.score[gte]={n}&sort=-custom.score&limit=50",
            Scenario::PersonTimeline => "GET /api/v1/people/{id}/timeline",
            Scenario::PipelineBoard => "GET /api/v1/deals?pipeline_id={p}&stage_id={s}&limit=50 (no board endpoint yet)",
            Scenario::Search => "GET /api/v1/search?q={a name, a company, 10% with a typo}",
            Scenario::CreatePerson => "POST /api/v1/people",
            Scenario::UpdateDealStage => "PATCH /api/v1/deals/{id} {\"stage_id\": ...}",
            Scenario::UiHome => "GET / (a generated sales user's session: their tasks, deals and records)",
            Scenario::UiHomeAdmin => "GET / (the admin's session: owns no record, sees every one)",
            Scenario::UiPeopleList => "GET /people?lifecycle_stage={stage}&sort=-updated_at",
            Scenario::UiPersonPage => "GET /people/{id}, one of the 20 people with the most activities",
            Scenario::UiOrgList => "GET /organizations?relationship={r}&sort=name",
            Scenario::UiOrgPage => "GET /organizations/{id}, one of the large accounts (at most 20, busiest first)",
            Scenario::UiDealList => "GET /deals?pipeline_id={p}&status=open&sort=-amount_minor",
            Scenario::UiDealPage => "GET /deals/{id}, random deals",
            Scenario::UiBoard => "GET /board?pipeline={p}",
            Scenario::UiTaskList => "GET /tasks?status=open&sort=due_at",
            Scenario::UiActivityList => "GET /activities?type={t}&sort=-occurred_at",
            Scenario::UiCalendarWeek => "GET /calendar?view=week&date={d}&who=all, a weekday of the last 4 weeks",
            Scenario::UiCalendarDay => "GET /calendar?view=day&date={d}&who=all, a weekday of the last 4 weeks",
            Scenario::UiSearch => "GET /search?q={a name, a company, 10% with a typo}",
        }
    }

    pub fn is_read(self) -> bool {
        !matches!(self, Scenario::CreatePerson | Scenario::UpdateDealStage)
    }

    /// A page of the web interface, sent with the session cookie of a signed-in browser.
    pub fn is_ui(self) -> bool {
        self.key().starts_with("ui_")
    }
}

/// The lifecycle stages the list requests filter on.
pub const LIST_STAGES: [&str; 5] = ["customer", "lead", "qualified_lead", "opportunity", "subscriber"];

/// The score thresholds the custom field requests filter on: from most of the
/// scored people to about one in twenty.
pub const SCORE_THRESHOLDS: [u32; 4] = [10, 50, 75, 90];

/// The relationships the organizations list filters on (about 85% of the organizations).
pub const ORG_RELATIONSHIPS: [&str; 3] = ["customer", "prospect", "partner"];

/// The activity types the activities list filters on (about 80% of the activities).
pub const ACTIVITY_TYPES: [&str; 3] = ["call", "email", "meeting"];

pub struct Request {
    pub method: Method,
    pub path: String,
    pub body: Option<Vec<u8>>,
    /// A page of the web interface is sent with a session cookie, not the token.
    pub session: Session,
}

/// Who a request is sent as.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Session {
    /// The API token.
    Token,
    /// The admin's browser session.
    Admin,
    /// A generated sales user's browser session (the home page of someone with work of their own).
    Sales,
}

/// An open deal a worker moves from stage to stage.
struct MovingDeal {
    id: Uuid,
    stages: Vec<Uuid>,
    at: usize,
}

/// What the requests are drawn from. Each worker moves deals of its own, so
/// that workers do not fight over the same rows, as people in a team would not.
pub struct Requests {
    people: Vec<Uuid>,
    orgs: Vec<Uuid>,
    board: Vec<(Uuid, Uuid)>,
    pipelines: Vec<Uuid>,
    busy: Vec<Uuid>,
    accounts: Vec<Uuid>,
    any_deals: Vec<Uuid>,
    dates: Vec<chrono::NaiveDate>,
    terms: Vec<String>,
    deals: Vec<Mutex<Vec<MovingDeal>>>,
    shared_deals: Vec<(Uuid, Vec<Uuid>)>,
    created: AtomicU64,
    run: u64,
}

impl Requests {
    pub fn new(sample: &Sample, pipelines: &[PipelineStages], workers: usize) -> Arc<Requests> {
        let mut deals: Vec<Vec<MovingDeal>> = (0..workers).map(|_| Vec::new()).collect();
        let mut shared_deals = Vec::new();
        for (i, (id, p, at)) in sample.open_deals.iter().enumerate() {
            let stages = pipelines[*p].open.clone();
            if stages.len() < 2 {
                continue;
            }
            shared_deals.push((*id, stages.clone()));
            deals[i % workers].push(MovingDeal { id: *id, stages, at: *at });
        }
        let board = pipelines.iter().flat_map(|p| p.open.iter().map(move |s| (p.id, *s))).collect();
        Arc::new(Requests {
            people: sample.people.clone(),
            orgs: sample.organizations.clone(),
            board,
            pipelines: pipelines.iter().map(|p| p.id).collect(),
            busy: if sample.busy_people.is_empty() {
                sample.people.clone()
            } else {
                sample.busy_people.iter().map(|p| p.0).collect()
            },
            accounts: if sample.busy_organizations.is_empty() {
                sample.organizations.clone()
            } else {
                sample.busy_organizations.iter().map(|o| o.0).collect()
            },
            any_deals: sample.deals.clone(),
            dates: sample.calendar_dates.clone(),
            terms: sample.search_terms.clone(),
            deals: deals.into_iter().map(Mutex::new).collect(),
            shared_deals,
            created: AtomicU64::new(0),
            run: Uuid::now_v7().as_u128() as u64 & 0xffff_ffff,
        })
    }

    pub fn next(&self, s: Scenario, worker: usize, n: u64) -> Request {
        let h = ((worker as u64) << 40) ^ n ^ (s as u64).wrapping_mul(0x9e37_79b9);
        let pick = |len: usize| (mix(h) % len.max(1) as u64) as usize;
        let get = |path: String| Request { method: Method::GET, path, body: None, session: Session::Token };
        let page = |path: String| Request { method: Method::GET, path, body: None, session: Session::Admin };
        match s {
            Scenario::GetPerson => get(format!("/api/v1/people/{}", self.people[pick(self.people.len())])),
            Scenario::ListPeople => {
                let stage = LIST_STAGES[pick(LIST_STAGES.len())];
                get(format!("/api/v1/people?lifecycle_stage={stage}&sort=name&limit=50"))
            }
            Scenario::ListPeopleCustom => {
                let n = SCORE_THRESHOLDS[pick(SCORE_THRESHOLDS.len())];
                get(format!("/api/v1/people?custom.{SCORE}[gte]={n}&sort=-custom.{SCORE}&limit=50"))
            }
            Scenario::PersonTimeline => get(format!("/api/v1/people/{}/timeline", self.people[pick(self.people.len())])),
            Scenario::PipelineBoard => {
                let (p, st) = self.board[pick(self.board.len())];
                get(format!("/api/v1/deals?pipeline_id={p}&stage_id={st}&limit=50"))
            }
            Scenario::Search => get(format!("/api/v1/search?q={}", query_value(&self.terms[pick(self.terms.len())]))),
            Scenario::CreatePerson => {
                let k = self.created.fetch_add(1, Ordering::Relaxed);
                let org = self.orgs[pick(self.orgs.len())];
                let body = json!({
                    "first_name": "Dana",
                    "last_name": format!("Bench {k}"),
                    "emails": [{"address": format!("dana.bench.{}.{k}@create.example", self.run), "label": "work"}],
                    "phones": [{"number": format!("01 99 00 {:02} {:02}", k / 100 % 100, k % 100), "label": "work"}],
                    "title": "Buyer",
                    "organizations": [{"id": org, "role": "employee"}],
                    "lifecycle_stage": "lead",
                    "lead_source": "website",
                    "tags": ["bench"],
                });
                Request {
                    method: Method::POST,
                    path: "/api/v1/people".into(),
                    body: Some(body.to_string().into_bytes()),
                    session: Session::Token,
                }
            }
            Scenario::UpdateDealStage => {
                let mine = self.deals.get(worker).and_then(|d| {
                    let mut d = d.lock().ok()?;
                    let len = d.len();
                    if len == 0 {
                        return None;
                    }
                    let deal = &mut d[(n as usize) % len];
                    let k = deal.stages.len();
                    deal.at = (deal.at + 1 + pick(k - 1)) % k;
                    Some((deal.id, deal.stages[deal.at]))
                });
                let (id, stage) = mine.unwrap_or_else(|| {
                    let (id, stages) = &self.shared_deals[pick(self.shared_deals.len())];
                    (*id, stages[(mix(h ^ 0xabc) % stages.len() as u64) as usize])
                });
                let body = json!({ "stage_id": stage }).to_string().into_bytes();
                Request { method: Method::PATCH, path: format!("/api/v1/deals/{id}"), body: Some(body), session: Session::Token }
            }
            Scenario::UiHome => Request { session: Session::Sales, ..page("/".into()) },
            Scenario::UiHomeAdmin => page("/".into()),
            Scenario::UiPeopleList => {
                let stage = LIST_STAGES[pick(LIST_STAGES.len())];
                page(format!("/people?lifecycle_stage={stage}&sort=-updated_at"))
            }
            Scenario::UiPersonPage => page(format!("/people/{}", self.busy[pick(self.busy.len())])),
            Scenario::UiOrgList => {
                let r = ORG_RELATIONSHIPS[pick(ORG_RELATIONSHIPS.len())];
                page(format!("/organizations?relationship={r}&sort=name"))
            }
            Scenario::UiOrgPage => page(format!("/organizations/{}", self.accounts[pick(self.accounts.len())])),
            Scenario::UiDealList => {
                let p = self.pipelines[pick(self.pipelines.len())];
                page(format!("/deals?pipeline_id={p}&status=open&sort=-amount_minor"))
            }
            Scenario::UiDealPage => page(format!("/deals/{}", self.any_deals[pick(self.any_deals.len())])),
            Scenario::UiBoard => page(format!("/board?pipeline={}", self.pipelines[pick(self.pipelines.len())])),
            Scenario::UiTaskList => page("/tasks?status=open&sort=due_at".into()),
            Scenario::UiActivityList => {
                let t = ACTIVITY_TYPES[pick(ACTIVITY_TYPES.len())];
                page(format!("/activities?type={t}&sort=-occurred_at"))
            }
            Scenario::UiCalendarWeek | Scenario::UiCalendarDay => {
                let view = if s == Scenario::UiCalendarWeek { "week" } else { "day" };
                page(format!("/calendar?view={view}&date={}&who=all", self.dates[pick(self.dates.len())]))
            }
            Scenario::UiSearch => page(format!("/search?q={}", query_value(&self.terms[pick(self.terms.len())]))),
        }
    }

    pub fn has_deals(&self) -> bool {
        !self.shared_deals.is_empty()
    }
}

/// Percent-encodes a query-string value.
fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How requests sign in: the API token, and the `Cookie` header of a signed-in browser.
#[derive(Clone)]
pub struct Auth {
    pub token: String,
    pub cookie: String,
    /// The session of the sales user whose home page is measured.
    pub home_cookie: String,
}

/// Sends one request; the size of the answer's body, or what went wrong
/// (a redirect, e.g. to the sign-in page, is a failure: the client follows none).
pub async fn send(client: &reqwest::Client, base: &str, auth: &Auth, r: Request) -> Result<usize, String> {
    let mut req = client.request(r.method, format!("{base}{}", r.path));
    req = match r.session {
        Session::Sales => req.header(reqwest::header::COOKIE, &auth.home_cookie),
        Session::Admin => req.header(reqwest::header::COOKIE, &auth.cookie),
        Session::Token => req.bearer_auth(&auth.token),
    };
    if let Some(body) = r.body {
        req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
    }
    let resp = req.send().await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).to_string();
        return Err(format!("{status}: {text}"));
    }
    Ok(body.len())
}

/// Signs in as a browser does (`GET /login` for the CSRF cookie and field, then
/// `POST /login`); answers the `Cookie` header of the signed-in session.
pub async fn login(base: &str, email: &str, password: &str) -> anyhow::Result<String> {
    use anyhow::{Context, bail};
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let form = client.get(format!("{base}/login")).send().await.context("GET /login")?;
    let csrf = cookie_value(form.headers(), "rapport_csrf").context("no rapport_csrf cookie from GET /login")?;
    let body = [("csrf", csrf.as_str()), ("email", email), ("password", password)]
        .iter()
        .map(|(k, v)| format!("{k}={}", query_value(v)))
        .collect::<Vec<_>>()
        .join("&");
    let res = client
        .post(format!("{base}/login"))
        .header(reqwest::header::COOKIE, format!("rapport_csrf={csrf}"))
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .context("POST /login")?;
    let status = res.status();
    match cookie_value(res.headers(), "rapport_session") {
        Some(session) if status.is_redirection() => Ok(format!("rapport_session={session}")),
        _ => {
            let text = res.text().await.unwrap_or_default();
            bail!("sign-in refused ({status}): {}", &text[..text.len().min(300)])
        }
    }
}

/// The value of the cookie `name` among the `Set-Cookie` headers.
fn cookie_value(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(reqwest::header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
        let (n, v) = c.split(';').next()?.split_once('=')?;
        (n.trim() == name && !v.trim().is_empty()).then(|| v.trim().to_string())
    })
}
