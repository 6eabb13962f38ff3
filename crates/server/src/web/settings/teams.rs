//! Teams: create, rename, set the parent team, add and remove members.
//! Through the generic record API, so history and permissions apply.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::Kind;
use rapport_store::{ListQuery, Record, StoreError, WriteOptions};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::{Problems, admin, admin_post};
use crate::AppState;
use crate::web::frame::{App, Ui};
use crate::web::home::{sort, text};
use crate::web::{Fields, page, see_other, store_failure};

pub struct Member {
    pub id: String,
    pub name: String,
}

pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub parent_id: String,
    pub parent: String,
    pub version: i64,
    pub members: Vec<Member>,
    /// Users not in the team yet, to add.
    pub others: Vec<Member>,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "web/settings_teams.html")]
struct TeamsPage {
    ui: Ui,
    tab: &'static str,
    teams: Vec<TeamRow>,
    new_name: String,
    new_parent: String,
    problems: Problems,
}

fn ids(r: &Record, f: &str) -> Vec<String> {
    r.get(f).and_then(Json::as_array).map(|a| a.iter().filter_map(Json::as_str).map(str::to_string).collect()).unwrap_or_default()
}

async fn teams_page(state: &AppState, app: App, problems: Problems) -> Result<TeamsPage, Response> {
    let q = ListQuery { sort: sort(Kind::Team, "name"), limit: 500, ..ListQuery::default() };
    let teams = state.store.list(&app.scope, Kind::Team, &q).await.map_err(store_failure)?.items;
    let users = super::users::names(state, &app.scope).await.map_err(store_failure)?;
    let name_of = |id: &str| users.iter().find(|(u, _)| u == id).map(|(_, n)| n.clone()).unwrap_or_default();
    let rows = teams
        .iter()
        .map(|t| {
            let members = ids(t, "members");
            let parent_id = text(t, "parent_id");
            TeamRow {
                id: text(t, "id"),
                name: text(t, "name"),
                parent: teams.iter().find(|p| text(p, "id") == parent_id).map(|p| text(p, "name")).unwrap_or_default(),
                parent_id,
                version: t.get("version").and_then(Json::as_i64).unwrap_or(0),
                members: members.iter().map(|m| Member { id: m.clone(), name: name_of(m) }).collect(),
                others: users
                    .iter()
                    .filter(|(u, _)| !members.contains(u))
                    .map(|(id, name)| Member { id: id.clone(), name: name.clone() })
                    .collect(),
                problem: None,
            }
        })
        .collect();
    Ok(TeamsPage { ui: app.ui, tab: "teams", teams: rows, new_name: String::new(), new_parent: String::new(), problems })
}

fn show(status: StatusCode, p: Result<TeamsPage, Response>) -> Response {
    match p {
        Ok(p) => page(status, &p, &[]),
        Err(r) => r,
    }
}

pub async fn list(State(state): State<AppState>, app: App) -> Response {
    match admin(app) {
        Ok(app) => show(StatusCode::OK, teams_page(&state, app, Problems::default()).await),
        Err(r) => r,
    }
}

fn parent_value(raw: &str) -> Json {
    if raw.trim().is_empty() { Json::Null } else { json!(raw.trim()) }
}

pub async fn create(State(state): State<AppState>, app: App, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (name, parent) = (fields.text("name").trim().to_string(), fields.text("parent_id"));
    let mut input = Map::new();
    input.insert("name".into(), json!(name));
    if !parent.trim().is_empty() {
        input.insert("parent_id".into(), parent_value(&parent));
    }
    match state.store.create(&app.scope, Kind::Team, &input, &WriteOptions::default()).await {
        Ok(_) => see_other("/settings/teams", &[]),
        Err(e) => {
            let problems = match Problems::from_store(&app.ui, e) {
                Ok(p) => p,
                Err(r) => return r,
            };
            show(
                StatusCode::UNPROCESSABLE_ENTITY,
                teams_page(&state, app, problems).await.map(|p| TeamsPage { new_name: name, new_parent: parent, ..p }),
            )
        }
    }
}

/// Applies a patch to a team; on refusal the page again, the message beside the team.
async fn patch(state: &AppState, app: App, id: &str, patch: Json, version: Option<i64>) -> Response {
    let Ok(tid) = Uuid::parse_str(id) else { return store_failure(StoreError::NotFound) };
    let opts = WriteOptions { if_match: version, ..WriteOptions::default() };
    let problems = match state.store.update(&app.scope, Kind::Team, tid, &patch, &opts).await {
        Ok(_) => return see_other("/settings/teams", &[]),
        Err(e) => match Problems::from_store(&app.ui, e) {
            Ok(p) => p,
            Err(r) => return r,
        },
    };
    let message = problems.all().join(" ");
    show(
        StatusCode::UNPROCESSABLE_ENTITY,
        teams_page(state, app, Problems::default()).await.map(|mut p| {
            if let Some(row) = p.teams.iter_mut().find(|t| t.id == id) {
                row.problem = Some(message);
            }
            p
        }),
    )
}

fn version(fields: &Fields) -> Option<i64> {
    fields.get("version").and_then(|v| v.parse().ok())
}

pub async fn save(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let p = json!({"name": fields.text("name").trim(), "parent_id": parent_value(&fields.text("parent_id"))});
    patch(&state, app, &id, p, version(&fields)).await
}

async fn members(state: &AppState, app: &App, id: &str) -> Result<Vec<String>, Response> {
    let tid = Uuid::parse_str(id).map_err(|_| store_failure(StoreError::NotFound))?;
    let team = state.store.get(&app.scope, Kind::Team, tid).await.map_err(store_failure)?;
    Ok(ids(&team, "members"))
}

pub async fn add_member(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut list = match members(&state, &app, &id).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let user = fields.text("user_id");
    if !user.is_empty() && !list.contains(&user) {
        list.push(user);
    }
    patch(&state, app, &id, json!({"members": list}), version(&fields)).await
}

pub async fn remove_member(
    State(state): State<AppState>,
    app: App,
    Path((id, uid)): Path<(String, String)>,
    fields: Fields,
) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut list = match members(&state, &app, &id).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    list.retain(|m| *m != uid);
    patch(&state, app, &id, json!({"members": list}), version(&fields)).await
}
