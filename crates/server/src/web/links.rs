//! The one-time links: the first setup of a workspace, and password resets.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_store::StoreError;

use super::i18n::Catalog;
use super::{Client, Fields, csrf_refused, message, page, sentences, store_failure};
use crate::AppState;
use crate::web::login::sign_in;

#[derive(serde::Deserialize)]
pub struct TokenParam {
    #[serde(default)]
    token: String,
}

#[derive(Template)]
#[template(path = "web/setup.html")]
struct SetupPage {
    tr: &'static Catalog,
    csrf: String,
    token: String,
    workspace: String,
    name: String,
    email: String,
    min_chars: usize,
    errors: Vec<String>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "web/reset.html")]
struct ResetPage {
    tr: &'static Catalog,
    csrf: String,
    token: String,
    email: String,
    min_chars: usize,
    errors: Vec<String>,
    notice: Option<String>,
}

/// The sign-in pages' messages. Only English exists so far; with a second
/// language these pages would pick the catalog from `Accept-Language`.
fn en() -> &'static Catalog {
    super::i18n::catalog("en")
}

fn dead_setup_link() -> Response {
    message(
        StatusCode::NOT_FOUND,
        &en().t("setup-link-broken"),
        &en().t("setup-link-broken-text"),
        "/login",
        &en().t("signin-submit"),
    )
}

fn dead_reset_link() -> Response {
    message(
        StatusCode::NOT_FOUND,
        &en().t("reset-link-broken"),
        &en().t("reset-link-broken-text"),
        "/login",
        &en().t("signin-submit"),
    )
}

fn field_label(f: &str) -> String {
    match f {
        "password" => en().t("field-label-password"),
        "email" => en().t("field-label-email"),
        "name" => en().t("field-label-name"),
        other => other.replace('_', " "),
    }
}

pub async fn setup_form(State(state): State<AppState>, client: Client, Query(q): Query<TokenParam>) -> Response {
    let link = match state.store.setup_link(&q.token).await {
        Ok(Some(l)) => l,
        Ok(None) => return dead_setup_link(),
        Err(e) => return store_failure(e),
    };
    let (csrf, set) = client.pre_login_csrf();
    let p = SetupPage {
        tr: en(),
        csrf,
        token: q.token,
        workspace: link.workspace_name,
        name: String::new(),
        email: String::new(),
        min_chars: rapport_store::auth::MIN_PASSWORD_CHARS,
        errors: vec![],
        notice: None,
    };
    page(StatusCode::OK, &p, set.as_slice())
}

pub async fn setup_submit(State(state): State<AppState>, client: Client, fields: Fields) -> Response {
    if !client.pre_login_csrf_ok(&fields) {
        return csrf_refused();
    }
    let token = fields.text("token");
    let link = match state.store.setup_link(&token).await {
        Ok(Some(l)) => l,
        Ok(None) => return dead_setup_link(),
        Err(e) => return store_failure(e),
    };
    let (name, email, password) =
        (fields.text("name").trim().to_string(), fields.text("email").trim().to_string(), fields.text("password"));
    let mut errors = vec![];
    if name.is_empty() {
        errors.push(en().t("setup-need-name"));
    }
    if email.is_empty() {
        errors.push(en().t("setup-need-email"));
    }
    if password != fields.text("password_confirm") {
        errors.push(en().t("setup-passwords-differ"));
    }
    if errors.is_empty() {
        match state.store.complete_setup(&token, &name, &email, &password, client.ip.as_deref()).await {
            Ok(account) => return sign_in(&state, &client, &[account], "setup", None).await,
            Err(StoreError::NotFound) => return dead_setup_link(),
            Err(StoreError::Invalid(v)) => errors = sentences(en(), &v, field_label),
            Err(e) => return store_failure(e),
        }
    }
    let (csrf, set) = client.pre_login_csrf();
    let p = SetupPage {
        tr: en(),
        csrf,
        token,
        workspace: link.workspace_name,
        name,
        email,
        min_chars: rapport_store::auth::MIN_PASSWORD_CHARS,
        errors,
        notice: None,
    };
    page(StatusCode::UNPROCESSABLE_ENTITY, &p, set.as_slice())
}

pub async fn reset_form(State(state): State<AppState>, client: Client, Query(q): Query<TokenParam>) -> Response {
    let link = match state.store.reset_link(&q.token).await {
        Ok(Some(l)) => l,
        Ok(None) => return dead_reset_link(),
        Err(e) => return store_failure(e),
    };
    let (csrf, set) = client.pre_login_csrf();
    let p = ResetPage {
        tr: en(),
        csrf,
        token: q.token,
        email: link.email.unwrap_or_default(),
        min_chars: rapport_store::auth::MIN_PASSWORD_CHARS,
        errors: vec![],
        notice: None,
    };
    page(StatusCode::OK, &p, set.as_slice())
}

pub async fn reset_submit(State(state): State<AppState>, client: Client, fields: Fields) -> Response {
    if !client.pre_login_csrf_ok(&fields) {
        return csrf_refused();
    }
    let token = fields.text("token");
    let link = match state.store.reset_link(&token).await {
        Ok(Some(l)) => l,
        Ok(None) => return dead_reset_link(),
        Err(e) => return store_failure(e),
    };
    let password = fields.text("password");
    let mut errors = vec![];
    if password != fields.text("password_confirm") {
        errors.push(en().t("setup-passwords-differ"));
    } else {
        match state.store.complete_reset(&token, &password, client.ip.as_deref()).await {
            Ok(account) => return sign_in(&state, &client, &[account], "reset", None).await,
            Err(StoreError::NotFound) => return dead_reset_link(),
            Err(StoreError::Invalid(v)) => errors = sentences(en(), &v, field_label),
            Err(e) => return store_failure(e),
        }
    }
    let (csrf, set) = client.pre_login_csrf();
    let p = ResetPage {
        tr: en(),
        csrf,
        token,
        email: link.email.unwrap_or_default(),
        min_chars: rapport_store::auth::MIN_PASSWORD_CHARS,
        errors,
        notice: None,
    };
    page(StatusCode::UNPROCESSABLE_ENTITY, &p, set.as_slice())
}
