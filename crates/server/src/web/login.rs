//! Signing in and out, and choosing among the workspaces one password opens.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_store::auth::{Account, LoginOutcome, NewSession};
use uuid::Uuid;

use super::i18n::Arg;
use super::{Client, Fields, MaybeSignedIn, clock, csrf_refused, message, page, see_other, store_failure};
use crate::AppState;

#[derive(Template)]
#[template(path = "web/login.html")]
struct LoginPage {
    tr: &'static super::i18n::Catalog,
    csrf: String,
    email: String,
    errors: Vec<String>,
    notice: Option<String>,
    /// Where to go once signed in (a page that asked for sign-in).
    next: String,
}

/// A page inside Rapport to return to after sign-in; anything else is ignored,
/// so a link cannot send someone elsewhere.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let local = n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.contains(['\r', '\n']);
    (local && n.len() < 2000).then(|| n.to_string())
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The same words whether the email is unknown or the password wrong.
/// The sign-in pages' messages. Only English exists so far; with a second
/// language these pages would pick the catalog from `Accept-Language`.
fn en() -> &'static super::i18n::Catalog {
    super::i18n::catalog("en")
}

fn login_page(
    client: &Client,
    status: StatusCode,
    email: String,
    errors: Vec<String>,
    notice: Option<String>,
    next: Option<String>,
) -> Response {
    let (csrf, set) = client.pre_login_csrf();
    page(status, &LoginPage { tr: en(), csrf, email, errors, notice, next: next.unwrap_or_default() }, set.as_slice())
}

pub async fn form(
    client: Client,
    MaybeSignedIn(signed): MaybeSignedIn,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if signed.is_some() {
        return see_other(next.as_deref().unwrap_or("/"), &[]);
    }
    login_page(&client, StatusCode::OK, String::new(), vec![], None, next)
}

pub async fn submit(State(state): State<AppState>, client: Client, fields: Fields) -> Response {
    if !client.pre_login_csrf_ok(&fields) {
        return csrf_refused();
    }
    let next = safe_next(fields.get("next"));
    let email = fields.text("email").trim().to_string();
    let password = fields.text("password");
    if email.is_empty() || password.is_empty() {
        let errors = vec![en().t("signin-missing")];
        return login_page(&client, StatusCode::UNPROCESSABLE_ENTITY, email, errors, None, next.clone());
    }
    let outcome = match state.store.attempt_login(&email, &password, client.ip.as_deref()).await {
        Ok(o) => o,
        Err(e) => return store_failure(e),
    };
    match outcome {
        LoginOutcome::Accepted(accounts) => sign_in(&state, &client, &accounts, "password", next.as_deref()).await,
        LoginOutcome::Refused => {
            login_page(&client, StatusCode::UNAUTHORIZED, email, vec![en().t("signin-refused")], None, next.clone())
        }
        LoginOutcome::EmailLocked { until } => {
            let text = lock_text("signin-email-locked", until);
            locked(login_page(&client, StatusCode::TOO_MANY_REQUESTS, email, vec![text], None, next.clone()), until)
        }
        LoginOutcome::AddressBlocked { until } => {
            let text = lock_text("signin-address-blocked", until);
            locked(login_page(&client, StatusCode::TOO_MANY_REQUESTS, email, vec![text], None, next.clone()), until)
        }
    }
}

fn lock_text(key: &str, until: chrono::DateTime<chrono::Utc>) -> String {
    let minutes = rapport_store::auth::LOCK_DURATION.num_minutes().to_string();
    en().text(key, &[("minutes", Arg::Str(&minutes)), ("until", Arg::Str(&clock(&until)))])
}

fn locked(mut res: Response, until: chrono::DateTime<chrono::Utc>) -> Response {
    let secs = (until - chrono::Utc::now()).num_seconds().max(1);
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// Starts a session for the first account (the others become choices),
/// discarding any session the browser had: the id changes at every sign-in.
pub async fn sign_in(state: &AppState, client: &Client, accounts: &[Account], method: &str, next: Option<&str>) -> Response {
    let Some(first) = accounts.first() else { return store_failure(rapport_store::StoreError::NotFound) };
    if let Some(old) = &client.session_id
        && let Err(e) = state.store.end_session_quietly(old).await
    {
        return store_failure(e);
    }
    let choices = if accounts.len() > 1 { accounts.iter().map(Account::choice).collect() } else { vec![] };
    let new = NewSession {
        workspace_id: first.workspace_id,
        user_id: first.user_id,
        email: Some(&first.email),
        ip: client.ip.as_deref(),
        user_agent: client.user_agent.as_deref(),
        method,
        choices,
    };
    match state.store.start_session(&new).await {
        Ok(issued) => {
            let next = if accounts.len() > 1 { "/workspaces" } else { next.unwrap_or("/") };
            see_other(next, &[client.session_cookie(&issued.id)])
        }
        Err(e) => store_failure(e),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    client: Client,
    MaybeSignedIn(signed): MaybeSignedIn,
    fields: Fields,
) -> Response {
    let Some(signed) = signed else { return see_other("/login", &[client.clear_session_cookie()]) };
    if !signed.csrf_ok(&fields) {
        return csrf_refused();
    }
    if let Err(e) = state.store.end_session(&signed.session_id, client.ip.as_deref()).await {
        return store_failure(e);
    }
    see_other("/login", &[client.clear_session_cookie()])
}

pub async fn logout_everywhere(
    State(state): State<AppState>,
    client: Client,
    MaybeSignedIn(signed): MaybeSignedIn,
    fields: Fields,
) -> Response {
    let Some(signed) = signed else { return see_other("/login", &[client.clear_session_cookie()]) };
    if !signed.csrf_ok(&fields) {
        return csrf_refused();
    }
    if let Err(e) = state.store.end_all_sessions(&signed.scope).await {
        return store_failure(e);
    }
    see_other("/login", &[client.clear_session_cookie()])
}

struct Choice {
    workspace_id: Uuid,
    workspace_name: String,
    name: String,
    role: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "web/workspaces.html")]
struct ChoosePage {
    tr: &'static super::i18n::Catalog,
    csrf: String,
    choices: Vec<Choice>,
}

pub async fn choose(State(state): State<AppState>, MaybeSignedIn(signed): MaybeSignedIn) -> Response {
    let Some(signed) = signed else { return see_other("/login", &[]) };
    let accounts = match state.store.session_accounts(&signed.session).await {
        Ok(a) => a,
        Err(e) => return store_failure(e),
    };
    if accounts.len() < 2 {
        return see_other("/", &[]);
    }
    let choices = accounts
        .into_iter()
        .map(|a| Choice {
            current: a.workspace_id == signed.session.workspace_id,
            workspace_id: a.workspace_id,
            workspace_name: a.workspace_name,
            name: a.name,
            role: a.role,
        })
        .collect();
    page(StatusCode::OK, &ChoosePage { tr: en(), csrf: signed.session.csrf.clone(), choices }, &[])
}

pub async fn switch(
    State(state): State<AppState>,
    client: Client,
    MaybeSignedIn(signed): MaybeSignedIn,
    fields: Fields,
) -> Response {
    let Some(signed) = signed else { return see_other("/login", &[]) };
    if !signed.csrf_ok(&fields) {
        return csrf_refused();
    }
    let Some(target) = fields.get("workspace_id").and_then(|s| Uuid::parse_str(s).ok()) else {
        return message(
            StatusCode::BAD_REQUEST,
            &en().t("workspaces-title"),
            &en().t("workspaces-pick"),
            "/workspaces",
            &en().t("action-back"),
        );
    };
    if target == signed.session.workspace_id {
        return see_other("/", &[]);
    }
    let switched =
        state.store.switch_session(&signed.session_id, target, client.ip.as_deref(), client.user_agent.as_deref()).await;
    match switched {
        Ok(Some(issued)) => see_other("/", &[client.session_cookie(&issued.id)]),
        Ok(None) => message(
            StatusCode::FORBIDDEN,
            &en().t("workspaces-sign-in-again"),
            &en().t("workspaces-cannot-open"),
            "/login",
            &en().t("signin-submit"),
        ),
        Err(e) => store_failure(e),
    }
    .into_response()
}
