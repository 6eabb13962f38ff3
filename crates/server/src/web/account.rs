//! The signed-in person's account: who they are, their preferences (locale
//! and time zone), their API tokens, their password.

// Handlers' helpers answer with the page to send when they cannot go on.
#![allow(clippy::result_large_err)]

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::{Kind, ValidationErrors};
use rapport_store::StoreError;
use rapport_store::auth::NewSession;
use serde_json::Value as Json;
use uuid::Uuid;

use super::format::locale_tags;
use super::frame::{App, Ui};
use super::settings::{Problems, is_time_zone, time_zones};
use super::{Client, Fields, csrf_refused, page, see_other, sentences, store_failure};
use crate::AppState;

struct TokenRow {
    id: String,
    name: String,
    scopes: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

/// A token just created, shown this once.
struct NewToken {
    name: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "web/account.html")]
struct AccountPage {
    ui: Ui,
    name: String,
    email: String,
    role: String,
    workspace: String,
    can_switch: bool,
    tokens: Vec<TokenRow>,
    new_token: Option<NewToken>,
    token_name: String,
    token_more_scopes: String,
    token_errors: Vec<String>,
    password_errors: Vec<String>,
    errors: Vec<String>,
    notice: Option<String>,
    locale: String,
    time_zone: String,
    workspace_zone: String,
    locales: Vec<&'static str>,
    zones: Vec<&'static str>,
    pref_problems: Problems,
}

impl AccountPage {
    fn is_locale(&self, l: &str) -> bool {
        self.locale == l
    }
}

#[derive(serde::Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    done: String,
}

/// The application page, or (signed out) the sign-in page without a return
/// address, as the account page always did.
fn signed(app: Result<App, Response>) -> Result<App, Response> {
    app.map_err(|r| if r.status() == StatusCode::SEE_OTHER { see_other("/login", &[]) } else { r })
}

fn field_label(ui: &Ui, f: &str) -> String {
    match f {
        "password" => ui.t("account-field-new-password"),
        "current_password" => ui.t("account-field-current-password"),
        "name" => ui.t("account-field-token-name"),
        f if f.starts_with("scopes") => ui.t("account-field-scopes"),
        other => crate::web::frame::humanize(other),
    }
}

async fn account_page(state: &AppState, app: App) -> Result<AccountPage, StoreError> {
    let scope = &app.scope;
    let user_id = app.session.user_id;
    let account = state.store.account(scope.workspace_id, user_id).await?.ok_or(StoreError::NotFound)?;
    let me = user_id.to_string();
    let ui = app.ui;
    let when = |v: &Json| if v.is_null() { ui.t("never") } else { ui.when(v) };
    let tokens = state
        .store
        .tokens(scope)
        .await?
        .into_iter()
        .filter(|t| t["user_id"].as_str() == Some(me.as_str()))
        .map(|t| TokenRow {
            id: t["id"].as_str().unwrap_or_default().to_string(),
            name: t["name"].as_str().unwrap_or_default().to_string(),
            scopes: t["scopes"]
                .as_array()
                .map(|a| a.iter().filter_map(Json::as_str).collect::<Vec<_>>().join(", "))
                .unwrap_or_default(),
            created: when(&t["created_at"]),
            last_used: when(&t["last_used_at"]),
            revoked: t["revoked_at"].as_str().map(|_| when(&t["revoked_at"])),
        })
        .collect();
    let user = state.store.get(scope, Kind::User, user_id).await?;
    let text = |f: &str| user.get(f).and_then(Json::as_str).unwrap_or_default().to_string();
    let workspace_zone = state.store.workspace(scope).await?.time_zone;
    Ok(AccountPage {
        name: account.name,
        email: account.email,
        role: ui.value("role", &account.role),
        workspace: account.workspace_name,
        can_switch: app.session.choices.len() > 1,
        tokens,
        new_token: None,
        token_name: String::new(),
        token_more_scopes: String::new(),
        token_errors: vec![],
        password_errors: vec![],
        errors: vec![],
        notice: None,
        locale: text("locale"),
        time_zone: text("time_zone"),
        workspace_zone,
        locales: locale_tags().collect(),
        zones: time_zones().collect(),
        pref_problems: Problems::default(),
        ui,
    })
}

fn render(status: StatusCode, p: Result<AccountPage, StoreError>) -> Response {
    match p {
        Ok(p) => page(status, &p, &[]),
        Err(e) => store_failure(e),
    }
}

pub async fn show(State(state): State<AppState>, app: Result<App, Response>, Query(n): Query<Notice>) -> Response {
    let app = match signed(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let notice = match n.done.as_str() {
        "password" => Some(app.ui.t("account-done-password")),
        "revoked" => Some(app.ui.t("account-done-revoked")),
        "preferences" => Some(app.ui.t("account-done-preferences")),
        _ => None,
    };
    render(StatusCode::OK, account_page(&state, app).await.map(|p| AccountPage { notice, ..p }))
}

pub async fn create_token(State(state): State<AppState>, app: Result<App, Response>, fields: Fields) -> Response {
    let app = match signed(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let name = fields.text("name").trim().to_string();
    let more = fields.text("more_scopes");
    let mut raw = fields.all("scope");
    raw.extend(more.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string));
    let created = match rapport_store::access::parse_scopes(&raw) {
        Ok(scopes) => state.store.create_token(&app.scope, app.session.user_id, &name, &scopes).await,
        Err(v) => Err(StoreError::Invalid(v)),
    };
    match created {
        Ok(t) => {
            let new_token = Some(NewToken {
                name: t["name"].as_str().unwrap_or_default().to_string(),
                secret: t["token"].as_str().unwrap_or_default().to_string(),
            });
            render(StatusCode::CREATED, account_page(&state, app).await.map(|p| AccountPage { new_token, ..p }))
        }
        Err(StoreError::Invalid(v)) => {
            let token_errors = sentences(app.ui.catalog, &v, |f| field_label(&app.ui, f));
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                account_page(&state, app).await.map(|p| AccountPage {
                    token_errors,
                    token_name: name,
                    token_more_scopes: more,
                    ..p
                }),
            )
        }
        Err(e) => store_failure(e),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    app: Result<App, Response>,
    Path(id): Path<String>,
    fields: Fields,
) -> Response {
    let app = match signed(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let Ok(id) = Uuid::parse_str(&id) else { return store_failure(StoreError::NotFound) };
    // Only the page's own tokens: an admin's wider rights are for the API.
    let mine = match state.store.tokens(&app.scope).await {
        Ok(all) => all.iter().any(|t| {
            t["id"].as_str() == Some(id.to_string().as_str())
                && t["user_id"].as_str() == Some(app.session.user_id.to_string().as_str())
        }),
        Err(e) => return store_failure(e),
    };
    if !mine {
        return store_failure(StoreError::NotFound);
    }
    match state.store.revoke_token(&app.scope, id).await {
        Ok(()) | Err(StoreError::NotFound) => see_other("/account?done=revoked", &[]),
        Err(e) => store_failure(e),
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    client: Client,
    app: Result<App, Response>,
    fields: Fields,
) -> Response {
    let app = match signed(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let new = fields.text("password");
    let result = if new != fields.text("password_confirm") {
        Err(StoreError::Invalid(ValidationErrors::single("password", "mismatch", app.ui.t("account-password-mismatch"))))
    } else {
        state.store.change_password(&app.scope, &fields.text("current_password"), &new).await
    };
    match result {
        Ok(()) => {
            // Every session ended with the change; this browser gets a new one.
            let new = NewSession {
                workspace_id: app.session.workspace_id,
                user_id: app.session.user_id,
                email: None,
                ip: client.ip.as_deref(),
                user_agent: client.user_agent.as_deref(),
                method: "password_change",
                choices: vec![],
            };
            match state.store.start_session(&new).await {
                Ok(issued) => see_other("/account?done=password", &[client.session_cookie(&issued.id)]),
                Err(e) => store_failure(e),
            }
        }
        Err(StoreError::Invalid(v)) => {
            let password_errors = sentences(app.ui.catalog, &v, |f| field_label(&app.ui, f));
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                account_page(&state, app).await.map(|p| AccountPage { password_errors, ..p }),
            )
        }
        Err(e) => store_failure(e),
    }
}

/// Saves the reader's locale and time zone (empty: the browser's language, the
/// workspace's zone) on their user record.
pub async fn save_preferences(State(state): State<AppState>, app: Result<App, Response>, fields: Fields) -> Response {
    let app = match signed(app) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let locale = fields.text("locale").trim().to_string();
    let tz = fields.text("time_zone").trim().to_string();
    let mut problems = Problems::default();
    if !locale.is_empty() && !locale_tags().any(|t| t == locale) {
        problems.add("locale", app.ui.t("account-error-locale"));
    }
    if !tz.is_empty() && !is_time_zone(&tz) {
        problems.add("time_zone", app.ui.t("settings-error-time-zone-invalid"));
    }
    if problems.is_empty() {
        let value = |s: &str| if s.is_empty() { None } else { Some(s.to_string()) };
        let (l, z) = (value(&locale), value(&tz));
        match state.store.set_own_preferences(&app.scope, l.as_deref(), z.as_deref()).await {
            Ok(_) => return see_other("/account?done=preferences", &[]),
            Err(e) => match Problems::from_store(&app.ui, e) {
                Ok(p) => problems = p,
                Err(r) => return r,
            },
        }
    }
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        account_page(&state, app).await.map(|p| AccountPage { pref_problems: problems, locale, time_zone: tz, ..p }),
    )
}
