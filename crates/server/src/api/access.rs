//! Access management over the API: the caller's identity, API tokens, record
//! sharing, bulk reassignment, visibility settings, the audit log and privacy requests.

use axum::Json as JsonResponse;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rapport_domain::{Kind, ValidationErrors};
use rapport_store::access::{ShareTarget, parse_scopes};
use rapport_store::audit::AuditQuery;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::records::{Params, parse_id};
use crate::AppState;
use crate::auth::Auth;
use crate::body::JsonBody;
use crate::problem::{ApiResult, Problem};

fn from_json<T: for<'de> Deserialize<'de>>(v: Json) -> ApiResult<T> {
    serde_json::from_value(v).map_err(|e| Problem::bad_request("body", e.to_string()))
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Who the caller is: user, role, teams, workspace and token scopes.
pub async fn me(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    let scope = &auth.0;
    // Any live token may read who it acts as, whatever its scopes.
    let own = rapport_store::Scope::system(scope.workspace_id, scope.via);
    let user = match scope.user_id {
        Some(u) => Json::Object(state.store.get(&own, Kind::User, u).await?),
        None => Json::Null,
    };
    let actor = scope.actor.as_ref();
    Ok(JsonResponse(json!({
        "user": user,
        "role": actor.map(|a| a.role.as_str()),
        "teams": actor.map(|a| a.teams.clone()).unwrap_or_default(),
        "workspace": state.store.workspace(scope).await?,
        "token_scopes": scope.token_scopes.as_ref().map(|s| s.iter().map(|x| x.render()).collect::<Vec<_>>()),
    }))
    .into_response())
}

pub async fn list_tokens(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    Ok(JsonResponse(json!({"items": state.store.tokens(&auth.0).await?})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
    scopes: Vec<String>,
    /// Admins may issue a token for another user.
    user_id: Option<Uuid>,
}

pub async fn create_token(State(state): State<AppState>, auth: Auth, JsonBody(body, _): JsonBody) -> ApiResult<Response> {
    let t: NewToken = from_json(body)?;
    let scopes = parse_scopes(&t.scopes)?;
    let user = t.user_id.or(auth.0.user_id).ok_or_else(|| Problem::bad_request("user_id", "name the user the token acts as"))?;
    let created = state.store.create_token(&auth.0, user, &t.name, &scopes).await?;
    Ok((StatusCode::CREATED, JsonResponse(created)).into_response())
}

pub async fn revoke_token(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    state.store.revoke_token(&auth.0, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_shares(kind: Kind, State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let items = state.store.shares(&auth.0, kind, parse_id(&id)?).await?;
    Ok(JsonResponse(json!({"items": items})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    user_id: Option<Uuid>,
    team_id: Option<Uuid>,
    #[serde(default = "read")]
    access: String,
}

fn read() -> String {
    "read".into()
}

pub async fn create_share(
    kind: Kind,
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let s: NewShare = from_json(body)?;
    let target = match (s.user_id, s.team_id) {
        (Some(u), None) => ShareTarget::User(u),
        (None, Some(t)) => ShareTarget::Team(t),
        _ => return Err(Problem::invalid(ValidationErrors::single("user_id", "required", "give either user_id or team_id"))),
    };
    let share = state.store.share(&auth.0, kind, parse_id(&id)?, target, &s.access).await?;
    Ok((StatusCode::CREATED, JsonResponse(share)).into_response())
}

pub async fn delete_share(
    kind: Kind,
    State(state): State<AppState>,
    auth: Auth,
    Path((id, share)): Path<(String, String)>,
) -> ApiResult<Response> {
    state.store.unshare(&auth.0, kind, parse_id(&id)?, parse_id(&share)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reassign {
    to: Uuid,
    #[serde(default)]
    kinds: Vec<String>,
}

pub async fn reassign(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let r: Reassign = from_json(body)?;
    let mut kinds = Vec::new();
    for (i, k) in r.kinds.iter().enumerate() {
        kinds.push(Kind::from_collection(k).ok_or_else(|| {
            Problem::invalid(ValidationErrors::single(
                format!("kinds[{i}]"),
                "invalid",
                "expected organizations, people, deals or tasks",
            ))
        })?);
    }
    let counts = state.store.reassign(&auth.0, parse_id(&id)?, r.to, &kinds).await?;
    let counts: serde_json::Map<String, Json> = counts.into_iter().map(|(k, n)| (k.collection().to_string(), json!(n))).collect();
    Ok(JsonResponse(json!({"reassigned": counts})).into_response())
}

pub async fn get_visibility(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    let v = state.store.visibility(&auth.0).await?;
    Ok(JsonResponse(v.into_iter().map(|(k, v)| (k.collection().to_string(), json!(v))).collect::<serde_json::Map<_, _>>())
        .into_response())
}

pub async fn patch_visibility(State(state): State<AppState>, auth: Auth, JsonBody(body, _): JsonBody) -> ApiResult<Response> {
    let Json::Object(settings) = body else {
        return Err(Problem::bad_request("body", "expected an object such as {\"people\": \"team\"}"));
    };
    let v = state.store.set_visibility(&auth.0, &settings).await?;
    Ok(JsonResponse(v.into_iter().map(|(k, v)| (k.collection().to_string(), json!(v))).collect::<serde_json::Map<_, _>>())
        .into_response())
}

pub async fn audit_log(State(state): State<AppState>, auth: Auth, Query(params): Params) -> ApiResult<Response> {
    let uuid_param = |name: &str| param(&params, name).map(parse_id).transpose();
    let record = match (param(&params, "record_kind"), uuid_param("record_id")?) {
        (Some(k), Some(id)) => Some((
            Kind::parse(k).ok_or_else(|| Problem::bad_request("record_kind", "expected a record kind such as person"))?,
            id,
        )),
        (None, None) => None,
        _ => return Err(Problem::bad_request("record_id", "give record_kind and record_id together")),
    };
    let limit = match param(&params, "limit") {
        None => 100,
        Some(l) => l
            .parse()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| Problem::bad_request("limit", "an integer from 1 to 500"))?,
    };
    let q = AuditQuery {
        user_id: uuid_param("user_id")?,
        record,
        action: param(&params, "action").map(str::to_string),
        before: uuid_param("before")?,
        limit,
    };
    Ok(JsonResponse(json!({"items": state.store.audit_log(&auth.0, &q).await?})).into_response())
}

pub async fn privacy_export(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(JsonResponse(state.store.privacy_export(&auth.0, parse_id(&id)?).await?).into_response())
}

pub async fn privacy_erase(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(JsonResponse(state.store.privacy_erase(&auth.0, parse_id(&id)?).await?).into_response())
}
