//! Who is calling: a bearer token, or the session cookie of a signed-in
//! browser, turns into a `Scope` before any handler runs.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use rapport_store::{Scope, Via};

use crate::AppState;
use crate::problem::Problem;
use crate::web::{CSRF_HEADER, SESSION_COOKIE, cookie, same_secret};

/// The caller's scope, from `Authorization: Bearer <token>` or, for the web
/// interface's scripts, the session cookie. A request with the cookie that may
/// change something (anything but GET, HEAD, OPTIONS) must also send the
/// session's CSRF token in `X-CSRF-Token`; a bearer token needs none.
pub struct Auth(pub Scope);

impl FromRequestParts<AppState> for Auth {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            if let Some(id) = cookie(&parts.headers, SESSION_COOKIE) {
                return session(parts, state, &id).await;
            }
            return Err(Problem::unauthorized("send an API token as 'Authorization: Bearer <token>' (rapport token create)"));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Problem::unauthorized("the Authorization header must be 'Bearer <token>'"))?;
        match state.store.authenticate_token(token).await? {
            Some(mut scope) => {
                scope.ip = client_ip(parts);
                Ok(Auth(scope))
            }
            None => Err(Problem::unauthorized("the token is unknown, revoked, or its user is inactive")),
        }
    }
}

async fn session(parts: &Parts, state: &AppState, id: &str) -> Result<Auth, Problem> {
    let ended = || Problem::unauthorized("the session has ended: sign in again at /login, or send an API token");
    let session = state.store.session(id).await?.ok_or_else(ended)?;
    if !parts.method.is_safe() {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !same_secret(sent, &session.csrf) {
            return Err(Problem::new(StatusCode::FORBIDDEN, "csrf", "Missing or wrong CSRF token").detail(
                "a request made with the session cookie that changes something must send the session's CSRF token \
                 (the csrf-token meta tag of the page) in the X-CSRF-Token header",
            ));
        }
    }
    let mut scope = state.store.user_scope(session.workspace_id, session.user_id, Via::Web).await?.ok_or_else(ended)?;
    scope.ip = client_ip(parts);
    Ok(Auth(scope))
}

/// The peer address of the connection, for the change and audit logs.
pub fn client_ip(parts: &Parts) -> Option<String> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string())
}
