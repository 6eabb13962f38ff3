//! The signed-in person's account: who they are, their API tokens, their password.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::ValidationErrors;
use rapport_store::StoreError;
use rapport_store::auth::NewSession;
use serde_json::Value as Json;
use uuid::Uuid;

use super::{Client, Fields, MaybeSignedIn, SignedIn, csrf_refused, page, see_other, sentences, store_failure, when};
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
    csrf: String,
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
}

#[derive(serde::Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    done: String,
}

fn field_label(f: &str) -> String {
    match f {
        "password" => "New password".into(),
        "current_password" => "Current password".into(),
        "name" => "Token name".into(),
        f if f.starts_with("scopes") => "Scopes".into(),
        other => other.replace('_', " "),
    }
}

async fn account_page(state: &AppState, signed: &SignedIn) -> Result<AccountPage, StoreError> {
    let scope = &signed.scope;
    let user_id = signed.session.user_id;
    let account = state.store.account(scope.workspace_id, user_id).await?.ok_or(StoreError::NotFound)?;
    let me = user_id.to_string();
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
    Ok(AccountPage {
        csrf: signed.session.csrf.clone(),
        name: account.name,
        email: account.email,
        role: account.role,
        workspace: account.workspace_name,
        can_switch: signed.session.choices.len() > 1,
        tokens,
        new_token: None,
        token_name: String::new(),
        token_more_scopes: String::new(),
        token_errors: vec![],
        password_errors: vec![],
        errors: vec![],
        notice: None,
    })
}

fn render(status: StatusCode, p: Result<AccountPage, StoreError>) -> Response {
    match p {
        Ok(p) => page(status, &p, &[]),
        Err(e) => store_failure(e),
    }
}

pub async fn show(State(state): State<AppState>, MaybeSignedIn(signed): MaybeSignedIn, Query(n): Query<Notice>) -> Response {
    let Some(signed) = signed else { return see_other("/login", &[]) };
    let notice = match n.done.as_str() {
        "password" => Some("Your password is changed. Every other session of yours has ended.".to_string()),
        "revoked" => Some("The token is revoked: it no longer works.".to_string()),
        _ => None,
    };
    render(StatusCode::OK, account_page(&state, &signed).await.map(|p| AccountPage { notice, ..p }))
}

pub async fn create_token(State(state): State<AppState>, MaybeSignedIn(signed): MaybeSignedIn, fields: Fields) -> Response {
    let Some(signed) = signed else { return see_other("/login", &[]) };
    if !signed.csrf_ok(&fields) {
        return csrf_refused();
    }
    let name = fields.text("name").trim().to_string();
    let more = fields.text("more_scopes");
    let mut raw = fields.all("scope");
    raw.extend(more.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string));
    let created = match rapport_store::access::parse_scopes(&raw) {
        Ok(scopes) => state.store.create_token(&signed.scope, signed.session.user_id, &name, &scopes).await,
        Err(v) => Err(StoreError::Invalid(v)),
    };
    let page = account_page(&state, &signed).await;
    match created {
        Ok(t) => {
            let new_token = Some(NewToken {
                name: t["name"].as_str().unwrap_or_default().to_string(),
                secret: t["token"].as_str().unwrap_or_default().to_string(),
            });
            render(StatusCode::CREATED, page.map(|p| AccountPage { new_token, ..p }))
        }
        Err(StoreError::Invalid(v)) => {
            let token_errors = sentences(&v, field_label);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                page.map(|p| AccountPage { token_errors, token_name: name, token_more_scopes: more, ..p }),
            )
        }
        Err(e) => store_failure(e),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    MaybeSignedIn(signed): MaybeSignedIn,
    Path(id): Path<String>,
    fields: Fields,
) -> Response {
    let Some(signed) = signed else { return see_other("/login", &[]) };
    if !signed.csrf_ok(&fields) {
        return csrf_refused();
    }
    let Ok(id) = Uuid::parse_str(&id) else { return store_failure(StoreError::NotFound) };
    // Only the page's own tokens: an admin's wider rights are for the API.
    let mine = match state.store.tokens(&signed.scope).await {
        Ok(all) => all.iter().any(|t| {
            t["id"].as_str() == Some(id.to_string().as_str())
                && t["user_id"].as_str() == Some(signed.session.user_id.to_string().as_str())
        }),
        Err(e) => return store_failure(e),
    };
    if !mine {
        return store_failure(StoreError::NotFound);
    }
    match state.store.revoke_token(&signed.scope, id).await {
        Ok(()) | Err(StoreError::NotFound) => see_other("/account?done=revoked", &[]),
        Err(e) => store_failure(e),
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    client: Client,
    MaybeSignedIn(signed): MaybeSignedIn,
    fields: Fields,
) -> Response {
    let Some(signed) = signed else { return see_other("/login", &[]) };
    if !signed.csrf_ok(&fields) {
        return csrf_refused();
    }
    let new = fields.text("password");
    let result = if new != fields.text("password_confirm") {
        Err(StoreError::Invalid(ValidationErrors::single("password", "mismatch", "the two new passwords differ")))
    } else {
        state.store.change_password(&signed.scope, &fields.text("current_password"), &new).await
    };
    match result {
        Ok(()) => {
            // Every session ended with the change; this browser gets a new one.
            let new = NewSession {
                workspace_id: signed.session.workspace_id,
                user_id: signed.session.user_id,
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
            let password_errors = sentences(&v, field_label);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                account_page(&state, &signed).await.map(|p| AccountPage { password_errors, ..p }),
            )
        }
        Err(e) => store_failure(e),
    }
}
