//! Custom record kinds: their definitions under `/api/v1/object-types`, and
//! their records under `/api/v1/objects/{type}`, served by the same record
//! engine (and mostly the same handlers) as the built-in kinds.

use axum::Json as JsonResponse;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_domain::filter::{self, Filter};
use rapport_domain::{Kind, ValidationErrors};
use rapport_store::object_types::{ObjectType, ObjectTypeInput};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::records::{self, Params, expect_object, include, parse_id, project, select_fields, with_etag};
use super::settings::{from_json, versioned};
use crate::AppState;
use crate::auth::Auth;
use crate::body::{JsonBody, if_match};
use crate::problem::{ApiResult, Problem};

fn type_response(status: StatusCode, t: ObjectType) -> Response {
    let version = t.version;
    versioned(status, t, version)
}

pub async fn list_types(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    Ok(JsonResponse(json!({"items": state.store.object_types(&auth.0).await?})).into_response())
}

pub async fn get_type(State(state): State<AppState>, auth: Auth, Path(key): Path<String>) -> ApiResult<Response> {
    Ok(type_response(StatusCode::OK, state.store.object_type(&auth.0, &key).await?))
}

pub async fn create_type(State(state): State<AppState>, auth: Auth, JsonBody(body, _): JsonBody) -> ApiResult<Response> {
    let input: ObjectTypeInput = from_json(body)?;
    let t = state.store.create_object_type(&auth.0, &input).await?;
    let loc = format!("/api/v1/object-types/{}", t.key);
    let mut res = type_response(StatusCode::CREATED, t);
    if let Ok(v) = HeaderValue::from_str(&loc) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

pub async fn patch_type(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let input: ObjectTypeInput = from_json(body)?;
    let t = state.store.update_object_type(&auth.0, &key, &input, if_match(&headers)?).await?;
    Ok(type_response(StatusCode::OK, t))
}

pub async fn delete_type(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    state.store.delete_object_type(&auth.0, &key, if_match(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn create_field(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let def = from_json(body)?;
    let def = state.store.create_object_field(&auth.0, &key, &def).await?;
    Ok((StatusCode::CREATED, JsonResponse(def)).into_response())
}

/// `PATCH`: label, help, required, default, validation, options, hidden, type;
/// a new type or options convert the values, or refuse (409) naming the records
/// that would not convert. `If-Match` refuses a stale change.
pub async fn patch_field(
    State(state): State<AppState>,
    auth: Auth,
    Path((key, field)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let patch = from_json(body)?;
    let def = state.store.update_object_field(&auth.0, &key, &field, &patch, if_match(&headers)?).await?;
    let version = def.version;
    Ok(versioned(StatusCode::OK, def, version))
}

/// `GET`: the kind's fields in use; `?deleted=true` adds the deleted ones still restorable.
pub async fn list_fields(
    State(state): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
    Query(p): Query<super::settings::FieldListParams>,
) -> ApiResult<Response> {
    let items = if p.deleted {
        state.store.object_fields_all(&auth.0, &key).await?
    } else {
        state.store.object_type(&auth.0, &key).await?.fields
    };
    Ok(JsonResponse(json!({"items": items})).into_response())
}

/// `DELETE`: a soft delete; the values stay in the records until the field is purged.
pub async fn delete_field(
    State(state): State<AppState>,
    auth: Auth,
    Path((key, field)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    state.store.delete_object_field(&auth.0, &key, &field, if_match(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn restore_field(
    State(state): State<AppState>,
    auth: Auth,
    Path((key, field)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let def = state.store.restore_object_field(&auth.0, &key, &field, if_match(&headers)?).await?;
    let version = def.version;
    Ok(versioned(StatusCode::OK, def, version))
}

pub async fn purge_field(
    State(state): State<AppState>,
    auth: Auth,
    Path((key, field)): Path<(String, String)>,
) -> ApiResult<Response> {
    let n = state.store.purge_object_field(&auth.0, &key, &field).await?;
    Ok(JsonResponse(json!({"key": field, "purged_records": n})).into_response())
}

/// A custom record of the kind named in the URL, or not found.
async fn record_of(state: &AppState, auth: &Auth, ty: &str, id: &str) -> ApiResult<(Uuid, rapport_store::Record)> {
    let id = parse_id(id)?;
    let r = state.store.get(&auth.0, Kind::Object, id).await?;
    if r.get("type").and_then(Json::as_str) != Some(ty) {
        return Err(Problem::not_found());
    }
    Ok((id, r))
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(ty): Path<String>,
    Query(params): Params,
) -> ApiResult<Response> {
    let kind = state.store.object_type(&auth.0, &ty).await?;
    let mut q = records::list_query_with(Kind::Object, &kind.fields, &params)?;
    let of_kind = filter::condition(Kind::Object, "type", "eq", &ty, &[]).map_err(Problem::invalid)?;
    q.filter = Filter::All(vec![Filter::Cond(of_kind), q.filter]);
    let keep = select_fields(Kind::Object, &params)?;
    let mut page = state.store.list(&auth.0, Kind::Object, &q).await?;
    include(&state, &auth, Kind::Object, &params, &mut page.items).await?;
    let items: Vec<_> = page.items.into_iter().map(|r| project(r, &keep)).collect();
    Ok(JsonResponse(json!({"items": items, "next_cursor": page.next_cursor})).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    Path((ty, id)): Path<(String, String)>,
    Query(params): Params,
) -> ApiResult<Response> {
    let keep = select_fields(Kind::Object, &params)?;
    let (_, r) = record_of(&state, &auth, &ty, &id).await?;
    let mut recs = vec![r];
    include(&state, &auth, Kind::Object, &params, &mut recs).await?;
    Ok(with_etag(StatusCode::OK, project(recs.remove(0), &keep)))
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Path(ty): Path<String>,
    headers: HeaderMap,
    JsonBody(body, raw): JsonBody,
) -> ApiResult<Response> {
    let mut input = expect_object(body)?;
    match input.get("type") {
        None => {
            input.insert("type".into(), Json::String(ty.clone()));
        }
        Some(t) if t.as_str() == Some(ty.as_str()) => {}
        Some(_) => {
            return Err(Problem::invalid(ValidationErrors::single("type", "invalid", format!("this URL creates {ty} records"))));
        }
    }
    state.store.object_type(&auth.0, &ty).await?;
    let mut res = records::create(Kind::Object, State(state), auth, headers, JsonBody(Json::Object(input), raw)).await?;
    if let Some(loc) = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()) {
        let id = loc.rsplit('/').next().unwrap_or_default();
        if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/objects/{ty}/{id}")) {
            res.headers_mut().insert(header::LOCATION, v);
        }
    }
    Ok(res)
}

pub async fn patch(
    State(state): State<AppState>,
    auth: Auth,
    Path((ty, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    record_of(&state, &auth, &ty, &id).await?;
    records::patch(Kind::Object, State(state), auth, Path(id), headers, body).await
}

pub async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path((ty, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    record_of(&state, &auth, &ty, &id).await?;
    records::delete(Kind::Object, State(state), auth, Path(id), headers).await
}

pub async fn timeline(
    State(state): State<AppState>,
    auth: Auth,
    Path((ty, id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Response> {
    record_of(&state, &auth, &ty, &id).await?;
    records::timeline(Kind::Object, State(state), auth, Path(id), params).await
}

pub async fn history(
    State(state): State<AppState>,
    auth: Auth,
    Path((ty, id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Response> {
    record_of(&state, &auth, &ty, &id).await?;
    records::history(Kind::Object, State(state), auth, Path(id), params).await
}

pub async fn related_object(
    State(state): State<AppState>,
    auth: Auth,
    Path((ty, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (id, _) = record_of(&state, &auth, &ty, &id).await?;
    Ok(JsonResponse(json!({"items": state.store.related(&auth.0, Kind::Object, id).await?})).into_response())
}

/// `GET /api/v1/{collection}/{id}/related`: the records whose relation fields point at this one.
pub async fn related(kind: Kind, State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    Ok(JsonResponse(json!({"items": state.store.related(&auth.0, kind, id).await?})).into_response())
}
