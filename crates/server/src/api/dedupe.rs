//! Duplicates: check before saving, scan a workspace, merge.

use std::collections::BTreeMap;

use axum::Json as JsonResponse;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use rapport_domain::Kind;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::records::{parse_id, with_etag};
use crate::AppState;
use crate::auth::Auth;
use crate::body::JsonBody;
use crate::problem::{ApiResult, Problem};

pub async fn check(kind: Kind, State(state): State<AppState>, auth: Auth, JsonBody(body, _): JsonBody) -> ApiResult<Response> {
    let Json::Object(record) = body else { return Err(Problem::bad_request("body", "expected the record as a JSON object")) };
    let items = state.store.duplicates_of(&auth.0, kind, &record, None).await?;
    Ok(JsonResponse(json!({"items": items})).into_response())
}

pub async fn scan(kind: Kind, State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    let clusters = state.store.scan_duplicates(&auth.0, kind).await?;
    Ok(JsonResponse(json!({"items": clusters})).into_response())
}

/// `POST /api/v1/objects/{type}/check-duplicates`: likely duplicates among the kind's records.
pub async fn check_objects(
    State(state): State<AppState>,
    auth: Auth,
    Path(ty): Path<String>,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let Json::Object(mut record) = body else { return Err(Problem::bad_request("body", "expected the record as a JSON object")) };
    state.store.object_type(&auth.0, &ty).await?;
    record.insert("type".into(), Json::String(ty));
    let items = state.store.duplicates_of(&auth.0, Kind::Object, &record, None).await?;
    Ok(JsonResponse(json!({"items": items})).into_response())
}

/// `GET /api/v1/objects/{type}/duplicates`: clusters among the kind's records.
pub async fn scan_objects(State(state): State<AppState>, auth: Auth, Path(ty): Path<String>) -> ApiResult<Response> {
    state.store.object_type(&auth.0, &ty).await?;
    let clusters = state.store.scan_object_duplicates(&auth.0, &ty).await?;
    Ok(JsonResponse(json!({"items": clusters})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    merge_ids: Vec<Uuid>,
    #[serde(default)]
    choose: BTreeMap<String, Uuid>,
}

pub async fn merge(
    kind: Kind,
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let req: MergeRequest = serde_json::from_value(body).map_err(|e| Problem::bad_request("body", e.to_string()))?;
    let survivor = state.store.merge(&auth.0, kind, parse_id(&id)?, &req.merge_ids, &req.choose, &Default::default()).await?;
    Ok(with_etag(axum::http::StatusCode::OK, survivor))
}
