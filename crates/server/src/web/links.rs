//! The one-time links: the first setup of a workspace, and password resets.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_store::StoreError;

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
    csrf: String,
    token: String,
    email: String,
    min_chars: usize,
    errors: Vec<String>,
    notice: Option<String>,
}

fn dead_setup_link() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "This setup link does not work",
        "It has been used already, has expired, or was mistyped; or the workspace already has users. \
         Sign in, or restart the server while the workspace has no users for a new link.",
        "/login",
        "Sign in",
    )
}

fn dead_reset_link() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "This reset link does not work",
        "It has been used already, has expired (links work for an hour), or was mistyped. \
         Ask an administrator for a new one: rapport user reset-password --email you@example.com",
        "/login",
        "Sign in",
    )
}

fn field_label(f: &str) -> String {
    match f {
        "password" => "Password".into(),
        "email" => "Email".into(),
        "name" => "Name".into(),
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
        errors.push("Name: enter your name.".to_string());
    }
    if email.is_empty() {
        errors.push("Email: enter the email you will sign in with.".to_string());
    }
    if password != fields.text("password_confirm") {
        errors.push("Password: the two passwords differ.".to_string());
    }
    if errors.is_empty() {
        match state.store.complete_setup(&token, &name, &email, &password, client.ip.as_deref()).await {
            Ok(account) => return sign_in(&state, &client, &[account], "setup", None).await,
            Err(StoreError::NotFound) => return dead_setup_link(),
            Err(StoreError::Invalid(v)) => errors = sentences(&v, field_label),
            Err(e) => return store_failure(e),
        }
    }
    let (csrf, set) = client.pre_login_csrf();
    let p = SetupPage {
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
        errors.push("Password: the two passwords differ.".to_string());
    } else {
        match state.store.complete_reset(&token, &password, client.ip.as_deref()).await {
            Ok(account) => return sign_in(&state, &client, &[account], "reset", None).await,
            Err(StoreError::NotFound) => return dead_reset_link(),
            Err(StoreError::Invalid(v)) => errors = sentences(&v, field_label),
            Err(e) => return store_failure(e),
        }
    }
    let (csrf, set) = client.pre_login_csrf();
    let p = ResetPage {
        csrf,
        token,
        email: link.email.unwrap_or_default(),
        min_chars: rapport_store::auth::MIN_PASSWORD_CHARS,
        errors,
        notice: None,
    };
    page(StatusCode::UNPROCESSABLE_ENTITY, &p, set.as_slice())
}
