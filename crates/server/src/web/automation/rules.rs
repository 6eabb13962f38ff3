//! Assignment rules: tried in order per kind of record; the first whose
//! conditions hold gives a new record its owner.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use rapport_domain::Kind;
use rapport_domain::workflow::ASSIGNABLE;
use rapport_store::{ListQuery, Scope, StoreError};
use serde_json::{Value as Json, json};

use super::{Choice, DeletePage, Errors, admin_on, admin_post_on, s};
use crate::AppState;
use crate::web::frame::{App, Ui};
use crate::web::home::{sort, text};
use crate::web::settings::{admin, admin_post};
use crate::web::{Fields, page, see_other, store_failure};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/automation/rules", get(list))
        .route("/settings/automation/rules/new", get(new_form).post(create))
        .route("/settings/automation/rules/{id}", get(edit_form).post(save))
        .route("/settings/automation/rules/{id}/up", post(up))
        .route("/settings/automation/rules/{id}/down", post(down))
        .route("/settings/automation/rules/{id}/delete", get(confirm_delete).post(delete))
}

pub struct RuleLine {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub method: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "web/automation_rules.html")]
struct ListPage {
    ui: Ui,
    tab: &'static str,
    rules: Vec<RuleLine>,
}

pub struct RuleForm {
    pub kind: String,
    pub name: String,
    pub conditions: String,
    pub method: String,
    pub user_id: String,
    pub team_id: String,
    pub active: bool,
    /// The version the form was read at, checked when it is saved.
    pub version: String,
}

impl RuleForm {
    fn from_fields(f: &Fields) -> RuleForm {
        RuleForm {
            kind: f.text("kind"),
            name: f.text("name"),
            conditions: f.text("conditions"),
            method: f.text("method"),
            user_id: f.text("user_id"),
            team_id: f.text("team_id"),
            active: f.get("active").is_some(),
            version: f.text("version"),
        }
    }
    fn from_json(r: &Json) -> RuleForm {
        RuleForm {
            kind: s(&r["kind"]),
            name: s(&r["name"]),
            conditions: r["conditions"]
                .as_array()
                .map(|a| a.iter().map(|p| format!("{}={}", s(&p[0]), s(&p[1]))).collect::<Vec<_>>().join("\n"))
                .unwrap_or_default(),
            method: s(&r["method"]),
            user_id: s(&r["user_id"]),
            team_id: s(&r["team_id"]),
            active: r["active"].as_bool().unwrap_or(true),
            version: s(&r["version"]),
        }
    }
    fn to_json(&self, position: Option<i64>) -> Json {
        let conditions: Vec<Json> = self
            .conditions
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| match l.split_once('=') {
                Some((k, v)) => json!([k.trim(), v.trim()]),
                None => json!([l, ""]),
            })
            .collect();
        let id = |v: &str| if v.is_empty() { Json::Null } else { json!(v) };
        let (user, team) = if self.method == "user" { (id(&self.user_id), Json::Null) } else { (Json::Null, id(&self.team_id)) };
        let mut o = json!({"kind": self.kind, "name": self.name, "conditions": conditions, "method": self.method,
                           "user_id": user, "team_id": team, "active": self.active});
        if let Some(p) = position {
            o["position"] = json!(p);
        }
        o
    }
}

#[derive(Template)]
#[template(path = "web/automation_rule.html")]
struct FormPage {
    ui: Ui,
    tab: &'static str,
    id: Option<String>,
    form: RuleForm,
    errors: Errors,
    kinds: Vec<Choice>,
    methods: Vec<Choice>,
    users: Vec<Choice>,
    teams: Vec<Choice>,
}

async fn choices(state: &AppState, scope: &Scope, kind: Kind) -> Result<Vec<Choice>, StoreError> {
    let q = ListQuery { sort: sort(kind, "name"), limit: 500, ..ListQuery::default() };
    Ok(state
        .store
        .list(scope, kind, &q)
        .await?
        .items
        .iter()
        .map(|r| Choice { value: text(r, "id"), label: text(r, "name") })
        .collect())
}

async fn form_page(
    state: &AppState,
    app: App,
    id: Option<String>,
    form: RuleForm,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let (users, teams) = match (choices(state, &app.scope, Kind::User).await, choices(state, &app.scope, Kind::Team).await) {
        (Ok(u), Ok(t)) => (u, t),
        (Err(e), _) | (_, Err(e)) => return store_failure(e),
    };
    let custom_kinds = state.store.object_type_names(&app.scope).await.unwrap_or_default();
    let ui = app.ui;
    let kinds = ASSIGNABLE
        .iter()
        .map(|k| Choice { value: k.as_str().into(), label: ui.kinds(*k) })
        .chain(custom_kinds.into_iter().map(|(key, plural)| Choice { value: key, label: plural }))
        .collect();
    let methods = ["user", "round_robin", "load"]
        .iter()
        .map(|m| Choice { value: m.to_string(), label: ui.t(&format!("automation-method-{}", m.replace('_', "-"))) })
        .collect();
    page(status, &FormPage { ui, tab: "automation", id, form, errors, kinds, methods, users, teams }, &[])
}

/// Rules in the order they are tried.
async fn ordered(state: &AppState, scope: &Scope) -> Result<Vec<Json>, StoreError> {
    let mut rules = state.store.assignment_rules(scope, None).await?;
    rules.sort_by_key(|r| (s(&r["kind"]), r["position"].as_i64().unwrap_or(0), s(&r["id"])));
    Ok(rules)
}

async fn list(State(state): State<AppState>, app: App) -> Response {
    let app = match admin(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let rules = match ordered(&state, &app.scope).await {
        Ok(r) => r,
        Err(e) => return store_failure(e),
    };
    let custom_kinds = state.store.object_type_names(&app.scope).await.unwrap_or_default();
    let ui = app.ui;
    // A built-in kind's name, or a custom kind's plural label.
    let kind_label = |k: &str| match Kind::parse(k) {
        Some(kind) => ui.kinds(kind),
        None => custom_kinds.iter().find(|(key, _)| key == k).map(|(_, p)| p.clone()).unwrap_or_else(|| k.to_string()),
    };
    let rules = rules
        .iter()
        .map(|r| RuleLine {
            id: s(&r["id"]),
            name: s(&r["name"]),
            kind: kind_label(&s(&r["kind"])),
            method: ui.t(&format!("automation-method-{}", s(&r["method"]).replace('_', "-"))),
            active: r["active"].as_bool().unwrap_or(false),
        })
        .collect();
    page(StatusCode::OK, &ListPage { ui, tab: "automation", rules }, &[])
}

async fn new_form(State(state): State<AppState>, app: App) -> Response {
    let form = RuleForm {
        kind: "person".into(),
        name: String::new(),
        conditions: String::new(),
        method: "user".into(),
        user_id: String::new(),
        team_id: String::new(),
        active: true,
        version: String::new(),
    };
    match admin(app) {
        Ok(app) => form_page(&state, app, None, form, Errors::default(), StatusCode::OK).await,
        Err(r) => r,
    }
}

async fn create(State(state): State<AppState>, app: App, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let form = RuleForm::from_fields(&fields);
    // A new rule goes after the others of its kind.
    let last = match ordered(&state, &app.scope).await {
        Ok(r) => {
            r.iter().filter(|r| s(&r["kind"]) == form.kind).filter_map(|r| r["position"].as_i64()).max().map_or(0, |p| p + 1)
        }
        Err(e) => return store_failure(e),
    };
    match state.store.create_assignment_rule(&app.scope, &form.to_json(Some(last.min(10_000)))).await {
        Ok(_) => see_other("/settings/automation/rules", &[]),
        Err(e) => match Errors::from_store(e, &app.ui) {
            Ok(errs) => form_page(&state, app, None, form, errs, StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(r) => r,
        },
    }
}

async fn edit_form(State(state): State<AppState>, app: App, Path(id): Path<String>) -> Response {
    let (app, uid) = match admin_on(app, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.store.assignment_rule(&app.scope, uid).await {
        Ok(r) => form_page(&state, app, Some(id), RuleForm::from_json(&r), Errors::default(), StatusCode::OK).await,
        Err(e) => store_failure(e),
    }
}

async fn save(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    let (app, uid) = match admin_post_on(app, &fields, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let form = RuleForm::from_fields(&fields);
    match state.store.update_assignment_rule(&app.scope, uid, &form.to_json(None), form.version.parse().ok()).await {
        Ok(_) => see_other("/settings/automation/rules", &[]),
        Err(e) => match Errors::from_store(e, &app.ui) {
            Ok(errs) => form_page(&state, app, Some(id), form, errs, StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(r) => r,
        },
    }
}

/// Moves a rule one place among those of its kind, renumbering them all.
async fn shift(state: &AppState, scope: &Scope, id: &str, up: bool) -> Result<(), StoreError> {
    let all = ordered(state, scope).await?;
    let Some(me) = all.iter().find(|r| s(&r["id"]) == id) else { return Err(StoreError::NotFound) };
    let mut same: Vec<&Json> = all.iter().filter(|r| r["kind"] == me["kind"]).collect();
    let i = same.iter().position(|r| s(&r["id"]) == id).unwrap_or(0);
    let j = if up { i.checked_sub(1) } else { Some(i + 1).filter(|j| *j < same.len()) };
    if let Some(j) = j {
        same.swap(i, j);
    }
    for (pos, r) in same.iter().enumerate() {
        if r["position"].as_i64() != Some(pos as i64) {
            let uid = uuid::Uuid::parse_str(&s(&r["id"])).map_err(|_| StoreError::NotFound)?;
            state.store.update_assignment_rule(scope, uid, &json!({"position": pos}), None).await?;
        }
    }
    Ok(())
}

async fn up(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    moved(state, app, id, fields, true).await
}

async fn down(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    moved(state, app, id, fields, false).await
}

async fn moved(state: AppState, app: App, id: String, fields: Fields, up: bool) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match shift(&state, &app.scope, &id, up).await {
        Ok(()) => see_other("/settings/automation/rules", &[]),
        Err(e) => store_failure(e),
    }
}

async fn confirm_delete(State(state): State<AppState>, app: App, Path(id): Path<String>) -> Response {
    let (app, uid) = match admin_on(app, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.store.assignment_rule(&app.scope, uid).await {
        Ok(r) => {
            let text = app.ui.t("automation-rule-delete-text");
            let p = DeletePage {
                ui: app.ui,
                tab: "automation",
                action: format!("/settings/automation/rules/{id}/delete"),
                name: s(&r["name"]),
                text,
                back: "/settings/automation/rules".into(),
            };
            page(StatusCode::OK, &p, &[])
        }
        Err(e) => store_failure(e),
    }
}

async fn delete(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    let (app, uid) = match admin_post_on(app, &fields, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.store.delete_assignment_rule(&app.scope, uid).await {
        Ok(()) => see_other("/settings/automation/rules", &[]),
        Err(e) => store_failure(e),
    }
}
