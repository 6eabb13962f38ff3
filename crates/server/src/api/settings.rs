//! Workspace settings, pipelines and custom field definitions.

use axum::Json as JsonResponse;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rapport_domain::Kind;
use rapport_domain::custom::CustomField;
use rapport_store::custom_fields::FieldPatch;
use rapport_store::pipelines::PipelineInput;
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::records::parse_id;
use crate::AppState;
use crate::auth::Auth;
use crate::body::{JsonBody, etag, if_match};
use crate::problem::{ApiResult, Problem};

pub fn from_json<T: for<'de> Deserialize<'de>>(v: Json) -> ApiResult<T> {
    serde_json::from_value(v).map_err(|e| Problem::bad_request("body", e.to_string()))
}

pub async fn get_workspace(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    Ok(JsonResponse(state.store.workspace(&auth.0).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspacePatch {
    name: Option<String>,
    currency: Option<String>,
    phone_region: Option<String>,
    time_zone: Option<String>,
}

pub async fn patch_workspace(State(state): State<AppState>, auth: Auth, JsonBody(body, _): JsonBody) -> ApiResult<Response> {
    let p: WorkspacePatch = from_json(body)?;
    let ws = state
        .store
        .update_workspace(&auth.0, p.name.as_deref(), p.currency.as_deref(), p.phone_region.as_deref(), p.time_zone.as_deref())
        .await?;
    Ok(JsonResponse(ws).into_response())
}

fn pipeline_response(status: StatusCode, p: rapport_store::pipelines::Pipeline) -> Response {
    let version = p.version;
    versioned(status, p, version)
}

/// A settings object as JSON with its version as ETag.
pub fn versioned(status: StatusCode, body: impl serde::Serialize, version: i64) -> Response {
    let tag = etag(version);
    let mut res = (status, JsonResponse(body)).into_response();
    if let Ok(v) = tag.parse() {
        res.headers_mut().insert(axum::http::header::ETAG, v);
    }
    res
}

pub async fn list_pipelines(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    Ok(JsonResponse(json!({"items": state.store.pipelines(&auth.0).await?})).into_response())
}

pub async fn get_pipeline(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let p = state.store.pipeline(&auth.0, parse_id(&id)?).await?;
    Ok(pipeline_response(StatusCode::OK, p))
}

pub async fn create_pipeline(State(state): State<AppState>, auth: Auth, JsonBody(body, _): JsonBody) -> ApiResult<Response> {
    let input: PipelineInput = from_json(body)?;
    Ok(pipeline_response(StatusCode::CREATED, state.store.create_pipeline(&auth.0, &input).await?))
}

pub async fn put_pipeline(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let input: PipelineInput = from_json(body)?;
    let p = state.store.update_pipeline(&auth.0, parse_id(&id)?, &input, if_match(&headers)?).await?;
    Ok(pipeline_response(StatusCode::OK, p))
}

pub async fn delete_pipeline(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    state.store.delete_pipeline(&auth.0, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn custom_kind(collection: &str) -> ApiResult<Kind> {
    Kind::from_collection(collection)
        .filter(|k| k.has_custom_fields() && *k != Kind::Object)
        .ok_or_else(|| Problem::not_found().detail(format!("'{collection}' has no custom fields")))
}

#[derive(Deserialize)]
pub struct FieldListParams {
    #[serde(default)]
    pub deleted: bool,
}

/// `GET /api/v1/custom-fields/{collection}`: the fields in use; `?deleted=true`
/// adds the deleted ones still restorable (admins).
pub async fn list_custom_fields(
    State(state): State<AppState>,
    auth: Auth,
    Path(collection): Path<String>,
    axum::extract::Query(p): axum::extract::Query<FieldListParams>,
) -> ApiResult<Response> {
    let kind = custom_kind(&collection)?;
    let items = if p.deleted {
        state.store.custom_fields_all(&auth.0, kind).await?
    } else {
        state.store.custom_fields(&auth.0, kind).await?
    };
    Ok(JsonResponse(json!({"items": items})).into_response())
}

fn field_response(status: StatusCode, def: CustomField) -> Response {
    let tag = etag(def.version);
    let mut res = (status, JsonResponse(def)).into_response();
    if let Ok(v) = tag.parse() {
        res.headers_mut().insert(axum::http::header::ETAG, v);
    }
    res
}

pub async fn create_custom_field(
    State(state): State<AppState>,
    auth: Auth,
    Path(collection): Path<String>,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let kind = custom_kind(&collection)?;
    let def: CustomField = from_json(body)?;
    let def = state.store.create_custom_field(&auth.0, kind, &def).await?;
    Ok(field_response(StatusCode::CREATED, def))
}

pub async fn get_custom_field(
    State(state): State<AppState>,
    auth: Auth,
    Path((collection, key)): Path<(String, String)>,
) -> ApiResult<Response> {
    let kind = custom_kind(&collection)?;
    let defs = state.store.custom_fields_all(&auth.0, kind).await?;
    let def = defs.into_iter().find(|d| d.key == key).ok_or_else(Problem::not_found)?;
    Ok(field_response(StatusCode::OK, def))
}

/// `PATCH`: label, help, required, default, validation, options, hidden, identifies or type;
/// `If-Match` (or `version` in the body) refuses a stale change.
pub async fn patch_custom_field(
    State(state): State<AppState>,
    auth: Auth,
    Path((collection, key)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let kind = custom_kind(&collection)?;
    let patch: FieldPatch = from_json(body)?;
    let def = state.store.update_custom_field(&auth.0, kind, &key, &patch, if_match(&headers)?).await?;
    Ok(field_response(StatusCode::OK, def))
}

/// Soft delete: restorable until purged (explicitly or after the retention period).
pub async fn delete_custom_field(
    State(state): State<AppState>,
    auth: Auth,
    Path((collection, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let kind = custom_kind(&collection)?;
    state.store.delete_custom_field(&auth.0, kind, &key, if_match(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn restore_custom_field(
    State(state): State<AppState>,
    auth: Auth,
    Path((collection, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let kind = custom_kind(&collection)?;
    let def = state.store.restore_custom_field(&auth.0, kind, &key, if_match(&headers)?).await?;
    Ok(field_response(StatusCode::OK, def))
}

pub async fn purge_custom_field(
    State(state): State<AppState>,
    auth: Auth,
    Path((collection, key)): Path<(String, String)>,
) -> ApiResult<Response> {
    let kind = custom_kind(&collection)?;
    let n = state.store.purge_custom_field(&auth.0, kind, &key).await?;
    Ok(JsonResponse(json!({"key": key, "purged_records": n})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldOrder {
    keys: Vec<String>,
}

pub async fn reorder_custom_fields(
    State(state): State<AppState>,
    auth: Auth,
    Path(collection): Path<String>,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let kind = custom_kind(&collection)?;
    let order: FieldOrder = from_json(body)?;
    let items = state.store.reorder_custom_fields(&auth.0, kind, &order.keys).await?;
    Ok(JsonResponse(json!({"items": items})).into_response())
}
