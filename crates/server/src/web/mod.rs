//! The pages people use in a browser: signing in and out, the first setup,
//! password resets and their account, and the application itself (home,
//! lists, record pages, pipeline board, calendar, search, settings, import).
//! Each area is a module with its own templates, messages (`locales/`),
//! styles and script (`assets/`).
//!
//! Security by default: sessions live in the database and the cookie holds only
//! a random id (HttpOnly, SameSite=Lax, Secure over HTTPS); every form that
//! changes something carries a CSRF token, the session's secret once signed in
//! and a double-submit cookie before; pages are never cached.

mod account;
pub mod assets;
mod automation;
mod board;
mod calendar;
pub mod custom;
mod duplicates;
pub mod format;
pub mod frame;
mod home;
pub mod i18n;
mod import;
mod links;
mod lists;
mod login;
mod objects;
mod records;
mod search;
mod settings;

use std::convert::Infallible;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rapport_domain::ValidationErrors;
use rapport_store::auth::Session;
use rapport_store::{Scope, StoreError, Via};

use crate::AppState;
use crate::auth::client_ip;

/// The cookie holding the session id.
pub const SESSION_COOKIE: &str = "rapport_session";
/// The double-submit cookie protecting the forms shown before sign-in.
pub const CSRF_COOKIE: &str = "rapport_csrf";
/// The form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// The header scripts send the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/logout-everywhere", post(login::logout_everywhere))
        .route("/workspaces", get(login::choose).post(login::switch))
        .route("/setup", get(links::setup_form).post(links::setup_submit))
        .route("/reset", get(links::reset_form).post(links::reset_submit))
        .route("/account", get(account::show))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/account/password", post(account::change_password))
        .route("/", get(home::show))
        .route("/assets/{name}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .merge(lists::routes())
        .merge(records::routes())
        .merge(board::routes())
        .merge(calendar::routes())
        .merge(search::routes())
        .merge(settings::routes())
        .merge(import::routes())
        .merge(duplicates::routes())
        .merge(automation::routes())
        .merge(objects::routes())
}

/// The value of a cookie the request carries.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
}

/// Equality that takes as long whatever the first difference, for secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the browser reached Rapport over HTTPS (directly or through a proxy
/// that says so), in which case cookies are marked `Secure`.
pub fn is_https(headers: &HeaderMap) -> bool {
    let forwarded_proto =
        headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split([';', ',']).any(|p| p.trim().eq_ignore_ascii_case("proto=https")));
    forwarded_proto || forwarded
}

fn cookie_header(name: &str, value: &str, max_age: Option<i64>, same_site: &str, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1; Max-Age=0"))
}

/// Where a request comes from: what the sign-in pages need to know.
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub https: bool,
    pub session_id: Option<String>,
    pub csrf_cookie: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Client {
            ip: client_ip(parts),
            user_agent: parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string),
            https: is_https(&parts.headers),
            session_id: cookie(&parts.headers, SESSION_COOKIE),
            csrf_cookie: cookie(&parts.headers, CSRF_COOKIE),
        })
    }
}

impl Client {
    /// The cookie that carries a new session id.
    pub fn session_cookie(&self, id: &str) -> HeaderValue {
        let age = rapport_store::auth::SESSION_MAX_AGE.num_seconds();
        cookie_header(SESSION_COOKIE, id, Some(age), "Lax", self.https)
    }

    /// The header that makes the browser forget its session cookie.
    pub fn clear_session_cookie(&self) -> HeaderValue {
        cookie_header(SESSION_COOKIE, "", Some(0), "Lax", self.https)
    }

    /// The token to put in a form shown before sign-in, and the cookie to set
    /// when the browser has none yet.
    pub fn pre_login_csrf(&self) -> (String, Option<HeaderValue>) {
        match &self.csrf_cookie {
            Some(v) if v.len() >= 32 && v.len() <= 100 => (v.clone(), None),
            _ => {
                let v = rapport_store::auth::random_secret();
                let c = cookie_header(CSRF_COOKIE, &v, None, "Strict", self.https);
                (v, Some(c))
            }
        }
    }

    /// Whether a form sent before sign-in carries the token of the cookie.
    pub fn pre_login_csrf_ok(&self, fields: &Fields) -> bool {
        match (&self.csrf_cookie, fields.get(CSRF_FIELD)) {
            (Some(c), Some(f)) => same_secret(c, f),
            _ => false,
        }
    }
}

/// A signed-in person: their live session and the scope they act in.
pub struct SignedIn {
    pub session_id: String,
    pub session: Session,
    pub scope: Scope,
}

impl SignedIn {
    /// Whether a form carries this session's CSRF token.
    pub fn csrf_ok(&self, fields: &Fields) -> bool {
        fields.get(CSRF_FIELD).is_some_and(|f| same_secret(f, &self.session.csrf))
    }
}

/// The session the request's cookie names, if it is live and its user active.
pub async fn signed_in(state: &AppState, parts: &Parts) -> Result<Option<SignedIn>, StoreError> {
    let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else { return Ok(None) };
    let Some(session) = state.store.session(&id).await? else { return Ok(None) };
    let Some(mut scope) = state.store.user_scope(session.workspace_id, session.user_id, Via::Web).await? else {
        return Ok(None);
    };
    scope.ip = client_ip(parts);
    Ok(Some(SignedIn { session_id: id, session, scope }))
}

/// The signed-in person, if any.
pub struct MaybeSignedIn(pub Option<SignedIn>);

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        signed_in(state, parts).await.map(MaybeSignedIn).map_err(|e| store_failure(e).into_response())
    }
}

/// The fields of a submitted form, in order (a checkbox group repeats its name).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<Vec<(String, String)>>::from_request(req, state).await.map(|f| Fields(f.0)).map_err(|e| {
            let c = i18n::catalog("en");
            message(e.status(), &c.t("page-form-unreadable"), &c.t("page-form-unreadable-text"), "/", &c.t("page-back-start"))
        })
    }
}

/// Headers every page of this module carries: never cached (they hold CSRF
/// tokens, and some show a secret once), and never leaking a link's token in a Referer.
fn private(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

/// A page from a template, with a status and cookies to set.
pub fn page(status: StatusCode, t: &impl Template, cookies: &[HeaderValue]) -> Response {
    let mut res = match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            return private(internal());
        }
    };
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    private(res)
}

/// A 303 to another page, with cookies to set.
pub fn see_other(to: &str, cookies: &[HeaderValue]) -> Response {
    let mut res = Redirect::to(to).into_response();
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    private(res)
}

#[derive(Template)]
#[template(path = "web/message.html")]
struct Message<'a> {
    title: &'a str,
    text: &'a str,
    href: &'a str,
    link: &'a str,
}

/// A page that only says something, with one link onwards.
pub fn message(status: StatusCode, title: &str, text: &str, href: &str, link: &str) -> Response {
    page(status, &Message { title, text, href, link }, &[])
}

#[derive(Template)]
#[template(path = "web/not_found.html")]
struct NotFound {
    ui: frame::Ui,
}

/// The page for an address no route knows (the API's own addresses answer
/// problem+json instead): in the app's frame for someone signed in, else in
/// the sign-in pages' frame, in the reader's language either way.
pub async fn not_found(state: &crate::AppState, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    match frame::App::from_request_parts(&mut parts, state).await {
        Ok(app) => page(StatusCode::NOT_FOUND, &NotFound { ui: app.ui }, &[]),
        Err(_) => {
            let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("en");
            let c = i18n::catalog(accept.split([',', ';']).next().unwrap_or("en").trim());
            message(StatusCode::NOT_FOUND, &c.t("page-not-found"), &c.t("page-not-found-text"), "/", &c.t("page-back-home"))
        }
    }
}

/// The answer to a form without a valid CSRF token.
pub fn csrf_refused() -> Response {
    message(
        StatusCode::FORBIDDEN,
        &i18n::catalog("en").t("page-form-expired"),
        &i18n::catalog("en").t("page-form-expired-text"),
        "/",
        &i18n::catalog("en").t("page-back-start"),
    )
}

fn internal() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html("<!doctype html><title>Error</title><p>Something went wrong on our side; it was logged.</p>"),
    )
        .into_response()
}

/// A failure of the database, logged, and a page that says so.
pub fn store_failure(e: StoreError) -> Response {
    // Generic pages: the reader's language is not known here.
    let c = i18n::catalog("en");
    match e {
        StoreError::Forbidden(m) => {
            message(StatusCode::FORBIDDEN, &c.t("page-not-allowed"), &m, "/account", &c.t("page-back-account"))
        }
        StoreError::NotFound => {
            message(StatusCode::NOT_FOUND, &c.t("page-not-found"), &c.t("page-not-found-text"), "/", &c.t("page-back-start"))
        }
        // What the reader sent or raced with: say so, never a server error.
        StoreError::Invalid(errs) => {
            let text = sentences(c, &errs, |f: &str| f.to_string()).join(" ");
            message(StatusCode::UNPROCESSABLE_ENTITY, &c.t("page-invalid"), &text, "/", &c.t("page-back-start"))
        }
        StoreError::Conflict(m) => {
            message(StatusCode::CONFLICT, &c.t("page-conflict"), &c.conflict(&m), "/", &c.t("page-back-start"))
        }
        e @ StoreError::NotConvertible { .. } => {
            message(StatusCode::CONFLICT, &c.t("page-conflict"), &e.to_string(), "/", &c.t("page-back-start"))
        }
        StoreError::VersionMismatch { .. } => {
            message(StatusCode::CONFLICT, &c.t("page-stale"), &c.t("page-stale-text"), "/", &c.t("page-back-start"))
        }
        other => {
            tracing::error!(error = %other, "web request failed");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                &c.t("page-went-wrong"),
                &c.t("page-went-wrong-text"),
                "/",
                &c.t("page-back-start"),
            )
        }
    }
}

/// Validation errors as sentences for the top of a form, from the catalog
/// (see [`i18n::Catalog::invalid`]).
pub fn sentences(catalog: &i18n::Catalog, errs: &ValidationErrors, label: impl Fn(&str) -> String) -> Vec<String> {
    errs.0.iter().map(|e| catalog.invalid_for(&label(&e.field), e)).collect()
}

/// A time shown to people: minutes, UTC.
pub fn clock(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%H:%M UTC").to_string()
}

/// A stored RFC 3339 time shown to people.
pub fn when(v: &serde_json::Value) -> String {
    v.as_str()
        .and_then(rapport_domain::validate::parse_datetime)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_from_every_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; rapport_session=abc"));
        h.append(header::COOKIE, HeaderValue::from_static("rapport_csrf=\"xyz\""));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, CSRF_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "b"), None);
    }

    /// What the reader sent or raced with is never answered as a server error.
    #[test]
    fn store_failures_name_the_reader_s_part() {
        let invalid = StoreError::Invalid(ValidationErrors::single("name", "required", "is required"));
        assert_eq!(store_failure(invalid).status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(store_failure(rapport_store::Conflict::new("busy", "busy").into()).status(), StatusCode::CONFLICT);
        assert_eq!(store_failure(StoreError::VersionMismatch { expected: 1, current: 2 }).status(), StatusCode::CONFLICT);
        assert_eq!(store_failure(StoreError::NotFound).status(), StatusCode::NOT_FOUND);
        assert_eq!(store_failure(StoreError::Config("x".into())).status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", ""));
    }

    #[test]
    fn https_is_told_by_the_proxy() {
        let mut h = HeaderMap::new();
        assert!(!is_https(&h));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(is_https(&h));
        let mut h = HeaderMap::new();
        h.insert(header::FORWARDED, HeaderValue::from_static("for=192.0.2.60;proto=https;by=203.0.113.43"));
        assert!(is_https(&h));
    }
}
