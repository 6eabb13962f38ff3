//! Workspace defaults, who sees which records, and the workspace's API tokens.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::access::{OWNED_KINDS, Visibility};
use rapport_domain::contact::parse_region;
use rapport_domain::{ValidationErrors, money};
use serde_json::{Map, Value as Json};

use super::{Problems, admin, admin_post, is_time_zone, time_zones};
use crate::AppState;
use crate::web::frame::{App, Ui};
use crate::web::{Fields, page, see_other, store_failure};

#[derive(serde::Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

pub struct VisibilityRow {
    pub collection: &'static str,
    pub label: String,
    pub value: &'static str,
}

#[derive(Template)]
#[template(path = "web/settings_workspace.html")]
struct WorkspacePage {
    ui: Ui,
    tab: &'static str,
    name: String,
    currency: String,
    phone_region: String,
    time_zone: String,
    zones: Vec<&'static str>,
    problems: Problems,
    visibility: Vec<VisibilityRow>,
    vis_problems: Problems,
    notice: Option<String>,
}

fn vis_text(v: Visibility) -> &'static str {
    match v {
        Visibility::Private => "private",
        Visibility::Team => "team",
        Visibility::Workspace => "workspace",
    }
}

async fn build(state: &AppState, app: App, problems: Problems, typed: Option<&Fields>) -> Result<WorkspacePage, Response> {
    let ws = state.store.workspace(&app.scope).await.map_err(store_failure)?;
    let vis = state.store.visibility(&app.scope).await.map_err(store_failure)?;
    let visibility = OWNED_KINDS
        .iter()
        .map(|k| VisibilityRow {
            collection: k.collection(),
            label: app.ui.kinds(*k),
            value: vis_text(vis.get(k).copied().unwrap_or_default()),
        })
        .collect();
    let pick = |name: &str, stored: String| typed.map(|f| f.text(name)).unwrap_or(stored);
    Ok(WorkspacePage {
        tab: "workspace",
        name: pick("name", ws.name),
        currency: pick("currency", ws.currency),
        phone_region: pick("phone_region", ws.phone_region),
        time_zone: pick("time_zone", ws.time_zone),
        zones: time_zones().collect(),
        problems,
        visibility,
        vis_problems: Problems::default(),
        notice: None,
        ui: app.ui,
    })
}

pub async fn show(State(state): State<AppState>, app: App, Query(d): Query<Done>) -> Response {
    let app = match admin(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let notice = match d.done.as_str() {
        "saved" | "visibility" => Some(app.ui.t("saved")),
        _ => None,
    };
    match build(&state, app, Problems::default(), None).await {
        Ok(p) => page(StatusCode::OK, &WorkspacePage { notice, ..p }, &[]),
        Err(r) => r,
    }
}

/// Checks every field at once, so that all mistakes show together.
fn check(fields: &Fields) -> ValidationErrors {
    let mut errs = ValidationErrors::default();
    if fields.text("name").trim().is_empty() {
        errs.push("name", "required", "is required");
    }
    if money::parse_currency(&fields.text("currency")).is_none() {
        errs.push("currency", "invalid", "not an ISO 4217 currency");
    }
    if parse_region(&fields.text("phone_region")).is_none() {
        errs.push("phone_region", "invalid", "not a region code");
    }
    if !is_time_zone(fields.text("time_zone").trim()) {
        errs.push("time_zone", "invalid", "not an IANA time zone");
    }
    errs
}

pub async fn save(State(state): State<AppState>, app: App, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let errs = check(&fields);
    let result = if errs.is_empty() {
        let (name, currency, region, tz) =
            (fields.text("name"), fields.text("currency"), fields.text("phone_region"), fields.text("time_zone"));
        state
            .store
            .update_workspace(&app.scope, Some(name.trim()), Some(currency.trim()), Some(region.trim()), Some(tz.trim()))
            .await
            .map(|_| ())
    } else {
        Err(rapport_store::StoreError::Invalid(errs))
    };
    match result {
        Ok(()) => see_other("/settings/workspace?done=saved", &[]),
        Err(e) => {
            let problems = match Problems::from_store(&app.ui, e) {
                Ok(p) => p,
                Err(r) => return r,
            };
            match build(&state, app, problems, Some(&fields)).await {
                Ok(p) => page(StatusCode::UNPROCESSABLE_ENTITY, &p, &[]),
                Err(r) => r,
            }
        }
    }
}

pub async fn save_visibility(State(state): State<AppState>, app: App, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let settings: Map<String, Json> = OWNED_KINDS
        .iter()
        .filter_map(|k| fields.get(k.collection()).map(|v| (k.collection().to_string(), Json::String(v.to_string()))))
        .collect();
    match state.store.set_visibility(&app.scope, &settings).await {
        Ok(_) => see_other("/settings/workspace?done=visibility", &[]),
        Err(e) => {
            let vis_problems = match Problems::from_store(&app.ui, e) {
                Ok(p) => p,
                Err(r) => return r,
            };
            match build(&state, app, Problems::default(), None).await {
                Ok(p) => page(StatusCode::UNPROCESSABLE_ENTITY, &WorkspacePage { vis_problems, ..p }, &[]),
                Err(r) => r,
            }
        }
    }
}

pub struct TokenRow {
    pub name: String,
    pub user: String,
    pub scopes: String,
    pub created: String,
    pub last_used: String,
    pub revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "web/settings_tokens.html")]
struct TokensPage {
    ui: Ui,
    tab: &'static str,
    tokens: Vec<TokenRow>,
}

pub async fn tokens(State(state): State<AppState>, app: App) -> Response {
    let app = match admin(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let all = match state.store.tokens(&app.scope).await {
        Ok(t) => t,
        Err(e) => return store_failure(e),
    };
    let users = super::users::names(&state, &app.scope).await.unwrap_or_default();
    let ui = &app.ui;
    let when = |v: &Json| if v.is_null() { ui.t("never") } else { ui.when(v) };
    let tokens = all
        .iter()
        .map(|t| TokenRow {
            name: t["name"].as_str().unwrap_or_default().to_string(),
            user: t["user_id"]
                .as_str()
                .and_then(|id| users.iter().find(|(u, _)| u == id))
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            scopes: t["scopes"]
                .as_array()
                .map(|a| a.iter().filter_map(Json::as_str).collect::<Vec<_>>().join(", "))
                .unwrap_or_default(),
            created: when(&t["created_at"]),
            last_used: when(&t["last_used_at"]),
            revoked: t["revoked_at"].as_str().map(|_| ui.when(&t["revoked_at"])),
        })
        .collect();
    page(StatusCode::OK, &TokensPage { ui: app.ui, tab: "tokens", tokens }, &[])
}
