//! Who is calling: a bearer token turns into a `Scope` before any handler runs.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use rapport_store::Scope;

use crate::AppState;
use crate::problem::Problem;

/// The caller's scope, from `Authorization: Bearer <token>`.
pub struct Auth(pub Scope);

impl FromRequestParts<AppState> for Auth {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
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

/// The peer address of the connection, for the change and audit logs.
pub fn client_ip(parts: &Parts) -> Option<String> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string())
}
