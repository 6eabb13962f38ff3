//! Users: add one (and hand over a one-time link to set a password), change
//! role, deactivate or reactivate, mark away. Through the generic record API,
//! so the change history and the permission rules apply.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use rapport_domain::Kind;
use rapport_domain::schema::ROLES;
use rapport_store::{ListQuery, Record, Scope, StoreError, WriteOptions};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::{Problems, admin, admin_post};
use crate::AppState;
use crate::web::frame::{App, Ui};
use crate::web::home::{sort, text};
use crate::web::{Fields, is_https, page, see_other, store_failure};

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub active: bool,
    pub away: bool,
    pub version: i64,
    pub me: bool,
    pub problem: Option<String>,
}

impl UserRow {
    pub fn has_role(&self, r: &str) -> bool {
        self.role == r
    }
}

/// A one-time link just made, shown this once.
pub struct NewLink {
    pub name: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "web/settings_users.html")]
struct UsersPage {
    ui: Ui,
    tab: &'static str,
    heading: String,
    users: Vec<UserRow>,
    roles: &'static [&'static str],
    new_email: String,
    new_name: String,
    new_role: String,
    problems: Problems,
    link: Option<NewLink>,
}

impl UsersPage {
    fn is_new_role(&self, r: &str) -> bool {
        self.new_role == r
    }
}

/// Every user of the workspace, by name.
pub async fn all(state: &AppState, scope: &Scope) -> Result<Vec<Record>, StoreError> {
    let q = ListQuery { sort: sort(Kind::User, "name"), limit: 500, ..ListQuery::default() };
    Ok(state.store.list(scope, Kind::User, &q).await?.items)
}

/// `(id, name)` of every user.
pub async fn names(state: &AppState, scope: &Scope) -> Result<Vec<(String, String)>, StoreError> {
    Ok(all(state, scope).await?.iter().map(|u| (text(u, "id"), text(u, "name"))).collect())
}

fn flag(r: &Record, f: &str) -> bool {
    r.get(f).and_then(Json::as_bool).unwrap_or(false)
}

async fn users_page(state: &AppState, app: App, problems: Problems) -> Result<UsersPage, Response> {
    let me = app.user_id().to_string();
    let users: Vec<UserRow> = all(state, &app.scope)
        .await
        .map_err(store_failure)?
        .iter()
        .map(|u| UserRow {
            id: text(u, "id"),
            name: text(u, "name"),
            email: text(u, "email"),
            role: text(u, "role"),
            active: flag(u, "active"),
            away: flag(u, "away"),
            version: u.get("version").and_then(Json::as_i64).unwrap_or(0),
            me: text(u, "id") == me,
            problem: None,
        })
        .collect();
    let heading = app.ui.tn("settings-users-count", "count", users.len() as i64);
    Ok(UsersPage {
        heading,
        ui: app.ui,
        tab: "users",
        users,
        roles: ROLES,
        new_email: String::new(),
        new_name: String::new(),
        new_role: "member".into(),
        problems,
        link: None,
    })
}

fn show(status: StatusCode, p: Result<UsersPage, Response>) -> Response {
    match p {
        Ok(p) => page(status, &p, &[]),
        Err(r) => r,
    }
}

pub async fn list(State(state): State<AppState>, app: App) -> Response {
    match admin(app) {
        Ok(app) => show(StatusCode::OK, users_page(&state, app, Problems::default()).await),
        Err(r) => r,
    }
}

/// Where the server is reached, for a link to hand over.
fn origin(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    format!("{}://{host}", if is_https(headers) { "https" } else { "http" })
}

async fn with_link(state: &AppState, app: App, headers: &HeaderMap, id: Uuid, name: String, status: StatusCode) -> Response {
    match state.store.create_reset_link(&app.scope, id).await {
        Ok(token) => {
            let url = format!("{}/reset?token={token}", origin(headers));
            show(
                status,
                users_page(state, app, Problems::default()).await.map(|p| UsersPage { link: Some(NewLink { name, url }), ..p }),
            )
        }
        Err(e) => store_failure(e),
    }
}

pub async fn create(State(state): State<AppState>, app: App, headers: HeaderMap, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (email, name, role) =
        (fields.text("email").trim().to_string(), fields.text("name").trim().to_string(), fields.text("role"));
    let mut input = Map::new();
    input.insert("email".into(), json!(email));
    input.insert("name".into(), json!(name));
    input.insert("role".into(), json!(role));
    match state.store.create(&app.scope, Kind::User, &input, &WriteOptions::default()).await {
        Ok((user, _)) => {
            let Ok(id) = Uuid::parse_str(&text(&user, "id")) else { return store_failure(StoreError::NotFound) };
            with_link(&state, app, &headers, id, name, StatusCode::CREATED).await
        }
        Err(e) => {
            let problems = match Problems::from_store(&app.ui, e) {
                Ok(p) => p,
                Err(r) => return r,
            };
            show(
                StatusCode::UNPROCESSABLE_ENTITY,
                users_page(&state, app, problems).await.map(|p| UsersPage {
                    new_email: email,
                    new_name: name,
                    new_role: role,
                    ..p
                }),
            )
        }
    }
}

pub async fn save(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(uid) = Uuid::parse_str(&id) else { return store_failure(StoreError::NotFound) };
    let role = fields.text("role");
    let active = fields.get("active").is_some();
    let away = fields.get("away").is_some();
    // An admin cannot lock themselves out: someone else must demote them.
    let result = if uid == app.user_id() && (role != "admin" || !active) {
        Err(Problems::one(app.ui.t("settings-user-not-yourself")))
    } else {
        let patch = json!({"role": role, "active": active, "away": away});
        let opts = WriteOptions { if_match: fields.get("version").and_then(|v| v.parse().ok()), ..WriteOptions::default() };
        match state.store.update(&app.scope, Kind::User, uid, &patch, &opts).await {
            Ok(_) => Ok(()),
            Err(e) => match Problems::from_store(&app.ui, e) {
                Ok(p) => Err(p),
                Err(r) => return r,
            },
        }
    };
    match result {
        Ok(()) => see_other("/settings/users", &[]),
        Err(problems) => {
            let message = problems.all().join(" ");
            show(
                StatusCode::UNPROCESSABLE_ENTITY,
                users_page(&state, app, Problems::default()).await.map(|mut p| {
                    if let Some(row) = p.users.iter_mut().find(|u| u.id == id) {
                        row.problem = Some(message);
                    }
                    p
                }),
            )
        }
    }
}

pub async fn link(
    State(state): State<AppState>,
    app: App,
    headers: HeaderMap,
    Path(id): Path<String>,
    fields: Fields,
) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(uid) = Uuid::parse_str(&id) else { return store_failure(StoreError::NotFound) };
    let user = match state.store.get(&app.scope, Kind::User, uid).await {
        Ok(u) => u,
        Err(e) => return store_failure(e),
    };
    with_link(&state, app, &headers, uid, text(&user, "name"), StatusCode::OK).await
}
