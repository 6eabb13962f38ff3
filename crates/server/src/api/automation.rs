//! Webhook subscriptions and their deliveries, the job log, notifications.

use axum::Json as JsonResponse;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_domain::ValidationErrors;
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::records::{Params, parse_id};
use crate::AppState;
use crate::auth::Auth;
use crate::body::JsonBody;
use crate::problem::{ApiResult, Problem};

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn limit(params: &[(String, String)], default: u64) -> ApiResult<u64> {
    match param(params, "limit") {
        None => Ok(default),
        Some(l) => l
            .parse()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| Problem::invalid(ValidationErrors::single("limit", "out_of_range", "an integer from 1 to 500"))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    url: Option<String>,
    events: Option<Vec<String>>,
    description: Option<String>,
    active: Option<bool>,
}

fn input(body: Json) -> ApiResult<WebhookInput> {
    serde_json::from_value(body).map_err(|e| Problem::bad_request("body", e.to_string()))
}

pub async fn list_webhooks(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    Ok(JsonResponse(json!({"items": state.store.webhooks(&auth.0).await?})).into_response())
}

pub async fn create_webhook(State(state): State<AppState>, auth: Auth, JsonBody(body, _): JsonBody) -> ApiResult<Response> {
    let w = input(body)?;
    let url = w.url.ok_or_else(|| Problem::invalid(ValidationErrors::single("url", "required", "is required")))?;
    let created = state.store.create_webhook(&auth.0, &url, &w.events.unwrap_or_default(), w.description.as_deref()).await?;
    Ok((StatusCode::CREATED, JsonResponse(created)).into_response())
}

pub async fn get_webhook(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(JsonResponse(state.store.webhook(&auth.0, parse_id(&id)?).await?).into_response())
}

pub async fn patch_webhook(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let w = input(body)?;
    let updated = state
        .store
        .update_webhook(&auth.0, parse_id(&id)?, w.url.as_deref(), w.events.as_deref(), w.description.as_deref(), w.active)
        .await?;
    Ok(JsonResponse(updated).into_response())
}

pub async fn rotate_webhook_secret(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(JsonResponse(state.store.rotate_webhook_secret(&auth.0, parse_id(&id)?).await?).into_response())
}

pub async fn delete_webhook(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    state.store.delete_webhook(&auth.0, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn deliveries(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(params): Params,
) -> ApiResult<Response> {
    let items = state.store.deliveries(&auth.0, parse_id(&id)?, limit(&params, 50)?).await?;
    Ok(JsonResponse(json!({"items": items})).into_response())
}

pub async fn redeliver(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, delivery)): Path<(String, String)>,
) -> ApiResult<Response> {
    let job = state.store.redeliver(&auth.0, parse_id(&id)?, parse_id(&delivery)?).await?;
    Ok((StatusCode::ACCEPTED, JsonResponse(json!({"job_id": job}))).into_response())
}

pub async fn jobs(State(state): State<AppState>, auth: Auth, Query(params): Params) -> ApiResult<Response> {
    let items = state.store.jobs(&auth.0, param(&params, "status"), limit(&params, 100)?).await?;
    Ok(JsonResponse(json!({"items": items})).into_response())
}

pub async fn notifications(State(state): State<AppState>, auth: Auth, Query(params): Params) -> ApiResult<Response> {
    let unread = param(&params, "unread") == Some("true");
    let items = state.store.notifications(&auth.0, unread, limit(&params, 50)?).await?;
    Ok(JsonResponse(json!({"items": items})).into_response())
}

pub async fn read_notification(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    state.store.mark_notification_read(&auth.0, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
