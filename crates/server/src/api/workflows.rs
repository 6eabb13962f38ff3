//! Assignment rules and workflows (admins), and each workflow's run log.

use axum::Json as JsonResponse;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_domain::{Kind, ValidationErrors};
use serde_json::{Value as Json, json};

use super::records::{Params, parse_id};
use crate::AppState;
use crate::auth::Auth;
use crate::body::{JsonBody, etag, if_match};
use crate::problem::{ApiResult, Problem};

/// A definition with its version as the ETag, for `If-Match` on the next change.
fn versioned(definition: Json) -> Response {
    let tag = definition["version"].as_i64().map(etag).and_then(|e| HeaderValue::from_str(&e).ok());
    let mut res = JsonResponse(definition).into_response();
    if let Some(tag) = tag {
        res.headers_mut().insert(header::ETAG, tag);
    }
    res
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

pub async fn list_rules(State(state): State<AppState>, auth: Auth, Query(params): Params) -> ApiResult<Response> {
    // A built-in kind, or a custom kind's key (an unknown one has no rules).
    let kind = param(&params, "kind").map(|k| Kind::parse(k).map_or(k, |k| k.as_str()));
    Ok(JsonResponse(json!({"items": state.store.assignment_rules(&auth.0, kind).await?})).into_response())
}

pub async fn create_rule(State(state): State<AppState>, auth: Auth, JsonBody(body, _): JsonBody) -> ApiResult<Response> {
    let created = state.store.create_assignment_rule(&auth.0, &body).await?;
    Ok((StatusCode::CREATED, JsonResponse(created)).into_response())
}

pub async fn get_rule(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(versioned(state.store.assignment_rule(&auth.0, parse_id(&id)?).await?))
}

pub async fn patch_rule(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    Ok(versioned(state.store.update_assignment_rule(&auth.0, parse_id(&id)?, &body, if_match(&headers)?).await?))
}

pub async fn delete_rule(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    state.store.delete_assignment_rule(&auth.0, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_workflows(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    Ok(JsonResponse(json!({"items": state.store.workflows(&auth.0).await?})).into_response())
}

pub async fn create_workflow(State(state): State<AppState>, auth: Auth, JsonBody(body, _): JsonBody) -> ApiResult<Response> {
    let created = state.store.create_workflow(&auth.0, &body).await?;
    Ok((StatusCode::CREATED, JsonResponse(created)).into_response())
}

pub async fn get_workflow(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(versioned(state.store.workflow(&auth.0, parse_id(&id)?).await?))
}

pub async fn patch_workflow(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    Ok(versioned(state.store.update_workflow(&auth.0, parse_id(&id)?, &body, if_match(&headers)?).await?))
}

pub async fn rotate_secret(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(JsonResponse(state.store.rotate_workflow_secret(&auth.0, parse_id(&id)?).await?).into_response())
}

pub async fn delete_workflow(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    state.store.delete_workflow(&auth.0, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn runs(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(params): Params,
) -> ApiResult<Response> {
    let limit = match param(&params, "limit") {
        None => 50,
        Some(l) => l
            .parse()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| Problem::invalid(ValidationErrors::single("limit", "out_of_range", "an integer from 1 to 500")))?,
    };
    let items = state.store.workflow_runs(&auth.0, parse_id(&id)?, limit).await?;
    Ok(JsonResponse(json!({"items": items})).into_response())
}
