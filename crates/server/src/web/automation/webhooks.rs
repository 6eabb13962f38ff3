//! Webhook subscriptions: the URL and events, the signing secret shown once
//! at creation, and each subscription's delivery log with a redeliver button.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::Value as Json;
use uuid::Uuid;

use super::{DeletePage, Errors, admin_on, admin_post_on, parse_id, s};
use crate::AppState;
use crate::web::frame::{App, Ui};
use crate::web::settings::{admin, admin_post};
use crate::web::{Fields, page, see_other, store_failure};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/automation/webhooks", get(list).post(create))
        .route("/settings/automation/webhooks/{id}", get(show).post(save))
        .route("/settings/automation/webhooks/{id}/deliveries/{did}/redeliver", post(redeliver))
        .route("/settings/automation/webhooks/{id}/secret", post(rotate_secret))
        .route("/settings/automation/webhooks/{id}/delete", get(confirm_delete).post(delete))
}

pub struct HookLine {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: String,
    pub active: bool,
}

/// The events to choose from, with the ones ticked.
pub struct EventBox {
    pub name: String,
    pub checked: bool,
}

/// `*`, then every event of the workspace (its custom kinds' included), then a
/// kind's wildcard (`contract.*`) after the kind's last event.
fn boxes(types: Vec<String>, chosen: &[String]) -> Vec<EventBox> {
    let mut names = vec!["*".to_string()];
    for (i, e) in types.iter().enumerate() {
        names.push(e.clone());
        let prefix = |e: &str| e.split('.').next().unwrap_or_default().to_string();
        let last_of_kind = types.get(i + 1).is_none_or(|next| prefix(next) != prefix(e));
        if last_of_kind && !names.contains(&format!("{}.*", prefix(e))) {
            names.push(format!("{}.*", prefix(e)));
        }
    }
    names.into_iter().map(|e| EventBox { checked: chosen.contains(&e), name: e }).collect()
}

#[derive(Template)]
#[template(path = "web/automation_webhooks.html")]
struct ListPage {
    ui: Ui,
    tab: &'static str,
    hooks: Vec<HookLine>,
    url: String,
    description: String,
    events: Vec<EventBox>,
    errors: Errors,
    /// The new subscription's signing secret, shown this once.
    secret: Option<String>,
}

fn line(w: &Json) -> HookLine {
    let events: Vec<String> = w["events"].as_array().map(|a| a.iter().map(s).collect()).unwrap_or_default();
    HookLine {
        id: s(&w["id"]),
        url: s(&w["url"]),
        description: s(&w["description"]),
        events: events.join(", "),
        active: w["active"].as_bool().unwrap_or(false),
    }
}

async fn list_page(
    state: &AppState,
    app: App,
    fields: Option<&Fields>,
    errors: Errors,
    secret: Option<String>,
    status: StatusCode,
) -> Response {
    let (hooks, types) = match (state.store.webhooks(&app.scope).await, state.store.webhook_event_types(&app.scope).await) {
        (Ok(h), Ok(t)) => (h.iter().map(line).collect(), t),
        (Err(e), _) | (_, Err(e)) => return store_failure(e),
    };
    let chosen = fields.map(|f| f.all("events")).unwrap_or_default();
    let p = ListPage {
        ui: app.ui,
        tab: "automation",
        hooks,
        url: fields.map(|f| f.text("url")).unwrap_or_default(),
        description: fields.map(|f| f.text("description")).unwrap_or_default(),
        events: boxes(types, &chosen),
        errors,
        secret,
    };
    page(status, &p, &[])
}

async fn list(State(state): State<AppState>, app: App) -> Response {
    match admin(app) {
        Ok(app) => list_page(&state, app, None, Errors::default(), None, StatusCode::OK).await,
        Err(r) => r,
    }
}

async fn create(State(state): State<AppState>, app: App, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let description = fields.text("description");
    let desc = Some(description.trim()).filter(|d| !d.is_empty());
    match state.store.create_webhook(&app.scope, fields.text("url").trim(), &fields.all("events"), desc).await {
        // The secret is never shown again: the page answers the post itself.
        Ok(w) => list_page(&state, app, None, Errors::default(), Some(s(&w["secret"])), StatusCode::CREATED).await,
        Err(e) => match Errors::from_store(e, &app.ui) {
            Ok(errs) => list_page(&state, app, Some(&fields), errs, None, StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(r) => r,
        },
    }
}

pub struct DeliveryLine {
    pub id: String,
    pub at: String,
    pub event: String,
    pub ok: bool,
    pub attempt: i64,
    pub response: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "web/automation_webhook.html")]
struct ShowPage {
    ui: Ui,
    tab: &'static str,
    id: String,
    url: String,
    description: String,
    active: bool,
    events: Vec<EventBox>,
    errors: Errors,
    deliveries: Vec<DeliveryLine>,
    /// The end of the signing secret, to tell it apart from an older one.
    secret_hint: String,
    flash: Flash,
}

/// What the page reports after an action: a notice, or a new secret shown this once.
#[derive(Default)]
struct Flash {
    notice: Option<String>,
    secret: Option<String>,
}

async fn show_page(
    state: &AppState,
    app: App,
    id: Uuid,
    fields: Option<&Fields>,
    errors: Errors,
    flash: Flash,
    status: StatusCode,
) -> Response {
    let (w, log) = match (state.store.webhook(&app.scope, id).await, state.store.deliveries(&app.scope, id, 100).await) {
        (Ok(w), Ok(l)) => (w, l),
        (Err(e), _) | (_, Err(e)) => return store_failure(e),
    };
    let types = match state.store.webhook_event_types(&app.scope).await {
        Ok(t) => t,
        Err(e) => return store_failure(e),
    };
    let ui = app.ui;
    let stored: Vec<String> = w["events"].as_array().map(|a| a.iter().map(s).collect()).unwrap_or_default();
    let deliveries = log
        .iter()
        .map(|d| {
            let st = s(&d["status"]);
            DeliveryLine {
                id: s(&d["id"]),
                at: ui.when(&d["at"]),
                event: s(&d["event_type"]),
                ok: st == "succeeded",
                attempt: d["attempt"].as_i64().unwrap_or(0),
                response: s(&d["response_status"]),
                error: s(&d["error"]),
            }
        })
        .collect();
    let p = ShowPage {
        id: s(&w["id"]),
        url: fields.map(|f| f.text("url")).unwrap_or_else(|| s(&w["url"])),
        description: fields.map(|f| f.text("description")).unwrap_or_else(|| s(&w["description"])),
        active: fields.map(|f| f.get("active").is_some()).unwrap_or_else(|| w["active"].as_bool().unwrap_or(false)),
        events: boxes(types, &fields.map(|f| f.all("events")).unwrap_or(stored)),
        ui,
        tab: "automation",
        errors,
        deliveries,
        secret_hint: s(&w["secret_hint"]),
        flash,
    };
    page(status, &p, &[])
}

async fn show(State(state): State<AppState>, app: App, Path(id): Path<String>) -> Response {
    let app = match admin(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match parse_id(&id) {
        Ok(uid) => show_page(&state, app, uid, None, Errors::default(), Flash::default(), StatusCode::OK).await,
        Err(r) => r,
    }
}

async fn save(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    let (app, uid) = match admin_post_on(app, &fields, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let url = fields.text("url");
    let events = fields.all("events");
    let description = fields.text("description");
    let active = fields.get("active").is_some();
    match state
        .store
        .update_webhook(&app.scope, uid, Some(url.trim()), Some(&events), Some(description.trim()), Some(active))
        .await
    {
        Ok(_) => see_other(&format!("/settings/automation/webhooks/{id}"), &[]),
        Err(e) => match Errors::from_store(e, &app.ui) {
            Ok(errs) => {
                show_page(&state, app, uid, Some(&fields), errs, Flash::default(), StatusCode::UNPROCESSABLE_ENTITY).await
            }
            Err(r) => r,
        },
    }
}

async fn redeliver(State(state): State<AppState>, app: App, Path((id, did)): Path<(String, String)>, fields: Fields) -> Response {
    let app = match admin_post(app, &fields) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (uid, duid) = match (parse_id(&id), parse_id(&did)) {
        (Ok(u), Ok(d)) => (u, d),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    match state.store.redeliver(&app.scope, uid, duid).await {
        Ok(_) => {
            let flash = Flash { notice: Some(app.ui.t("automation-redelivery-queued")), secret: None };
            show_page(&state, app, uid, None, Errors::default(), flash, StatusCode::OK).await
        }
        Err(e) => store_failure(e),
    }
}

/// Replaces the signing secret; like at creation, the page answers the post
/// itself so that the new secret is never in a URL or shown again.
async fn rotate_secret(State(state): State<AppState>, app: App, Path(id): Path<String>, fields: Fields) -> Response {
    let (app, uid) = match admin_post_on(app, &fields, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.store.rotate_webhook_secret(&app.scope, uid).await {
        Ok(w) => {
            let flash = Flash { notice: None, secret: Some(s(&w["secret"])) };
            show_page(&state, app, uid, None, Errors::default(), flash, StatusCode::OK).await
        }
        Err(e) => store_failure(e),
    }
}

async fn confirm_delete(State(state): State<AppState>, app: App, Path(id): Path<String>) -> Response {
    let (app, uid) = match admin_on(app, &id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.store.webhook(&app.scope, uid).await {
        Ok(w) => {
            let text = app.ui.t("automation-webhook-delete-text");
            let p = DeletePage {
                ui: app.ui,
                tab: "automation",
                action: format!("/settings/automation/webhooks/{id}/delete"),
                name: s(&w["url"]),
                text,
                back: format!("/settings/automation/webhooks/{id}"),
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
    match state.store.delete_webhook(&app.scope, uid).await {
        Ok(()) => see_other("/settings/automation/webhooks", &[]),
        Err(e) => store_failure(e),
    }
}
