//! `/api/v1/{collection}`: the same handlers serve every record kind.

use std::collections::BTreeSet;

use axum::Json as JsonResponse;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_domain::custom::CustomField;
use rapport_domain::filter::{self, Filter};
use rapport_domain::schema::{self, FieldType};
use rapport_domain::{Kind, ValidationErrors};
use rapport_store::records::Idempotency;
use rapport_store::{ListQuery, Record, WriteOptions};
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::body::{JsonBody, etag, if_match};
use crate::problem::{ApiResult, Problem};

pub type Params = Query<Vec<(String, String)>>;

const RESERVED: [&str; 6] = ["limit", "cursor", "sort", "fields", "include", "q"];

pub fn parse_id(raw: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(raw).map_err(|_| Problem::bad_request("id", format!("'{raw}' is not a record id (UUID)")))
}

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Reads `field=value` and `field[op]=value` parameters into one filter.
pub async fn list_query(state: &AppState, auth: &Auth, kind: Kind, params: &[(String, String)]) -> ApiResult<ListQuery> {
    let custom = if kind.has_custom_fields() { state.store.custom_fields(&auth.0, kind).await? } else { vec![] };
    list_query_with(kind, &custom, params)
}

/// As `list_query`, with the custom fields given (a custom record kind's).
pub fn list_query_with(kind: Kind, custom: &[CustomField], params: &[(String, String)]) -> ApiResult<ListQuery> {
    let mut errs = ValidationErrors::default();
    let mut conds = Vec::new();
    for (k, v) in params {
        if RESERVED.contains(&k.as_str()) {
            continue;
        }
        let (field, op) = match k.split_once('[') {
            Some((f, rest)) => (f, rest.strip_suffix(']').unwrap_or(rest)),
            None => (k.as_str(), "eq"),
        };
        match filter::condition(kind, field, op, v, custom) {
            Ok(c) => conds.push(Filter::Cond(c)),
            Err(e) => errs.0.extend(e.0),
        }
    }
    let limit = match param(params, "limit") {
        None => 50,
        Some(l) => match l.parse::<u64>() {
            Ok(n) if (1..=500).contains(&n) => n,
            _ => {
                errs.push("limit", "out_of_range", "must be an integer from 1 to 500");
                50
            }
        },
    };
    let sort = match param(params, "sort") {
        None => None,
        Some(s) => match filter::sort(kind, s, custom) {
            Ok(s) => Some(s),
            Err(e) => {
                errs.0.extend(e.0);
                None
            }
        },
    };
    errs.into_result()?;
    Ok(ListQuery {
        filter: Filter::All(conds),
        search: param(params, "q").map(str::to_string),
        sort,
        limit,
        cursor: param(params, "cursor").map(str::to_string),
    })
}

/// Fields the client asked for (`fields=`), plus the id and version it always needs.
pub(crate) fn select_fields(kind: Kind, params: &[(String, String)]) -> ApiResult<Option<BTreeSet<String>>> {
    let Some(list) = param(params, "fields") else { return Ok(None) };
    let mut keep: BTreeSet<String> = ["id".to_string(), "version".to_string()].into();
    for f in list.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let known =
            schema::field(kind, f).is_some() || schema::SYSTEM_FIELDS.contains(&f) || (f == "custom" && kind.has_custom_fields());
        if !known {
            return Err(Problem::invalid(ValidationErrors::single(
                "fields",
                "unknown_field",
                format!("{kind} has no field '{f}'"),
            )));
        }
        keep.insert(f.to_string());
    }
    Ok(Some(keep))
}

/// What `include=` may name: a reference field without its `_id`, or a link field.
fn includable(kind: Kind, name: &str) -> Option<(&'static str, Kind, bool)> {
    schema::fields(kind).iter().find_map(|f| match f.ty {
        FieldType::Ref(target) if f.name.strip_suffix("_id") == Some(name) => Some((f.name, target, false)),
        FieldType::Links { target, .. } if f.name == name => Some((f.name, target, true)),
        _ => None,
    })
}

/// Embeds related records under `included`, one query per related kind.
pub(crate) async fn include(
    state: &AppState,
    auth: &Auth,
    kind: Kind,
    params: &[(String, String)],
    records: &mut [Record],
) -> ApiResult<()> {
    let Some(list) = param(params, "include") else { return Ok(()) };
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some((field, target, many)) = includable(kind, name) else {
            return Err(Problem::invalid(ValidationErrors::single(
                "include",
                "invalid",
                format!("{kind} cannot include '{name}'"),
            )));
        };
        let id_of = |v: &Json| v.as_str().or_else(|| v.get("id").and_then(Json::as_str)).and_then(|s| Uuid::parse_str(s).ok());
        let ids: BTreeSet<Uuid> = records
            .iter()
            .flat_map(|r| match r.get(field) {
                Some(Json::Array(items)) => items.iter().filter_map(id_of).collect::<Vec<_>>(),
                Some(v) => id_of(v).into_iter().collect(),
                None => vec![],
            })
            .collect();
        let related = state.store.get_many(&auth.0, target, &ids.into_iter().collect::<Vec<_>>()).await?;
        let by_id: std::collections::HashMap<&str, &Record> =
            related.iter().filter_map(|r| Some((r.get("id")?.as_str()?, r))).collect();
        for r in records.iter_mut() {
            let pick = |v: &Json| id_of(v).and_then(|u| by_id.get(u.to_string().as_str()).map(|r| Json::Object((*r).clone())));
            let value = match r.get(field) {
                Some(Json::Array(items)) if many => Json::Array(items.iter().filter_map(pick).collect()),
                Some(v) => pick(v).unwrap_or(Json::Null),
                None => Json::Null,
            };
            let included = r.entry("included").or_insert_with(|| Json::Object(Map::new()));
            included[name] = value;
        }
    }
    Ok(())
}

/// Leaves out the values of deleted custom fields: the records keep them
/// (restorable until purged), clients no longer see them.
async fn hide_deleted(state: &AppState, auth: &Auth, kind: Kind, records: &mut [Record]) -> ApiResult<()> {
    let has_values = |r: &Record| r.get("custom").and_then(Json::as_object).is_some_and(|c| !c.is_empty());
    // Custom record kinds keep their field definitions under their own key.
    if !kind.has_custom_fields() || kind == Kind::Object || !records.iter().any(has_values) {
        return Ok(());
    }
    let live: BTreeSet<String> = state.store.custom_fields(&auth.0, kind).await?.into_iter().map(|d| d.key).collect();
    for r in records.iter_mut() {
        if let Some(Json::Object(c)) = r.get_mut("custom") {
            c.retain(|k, _| live.contains(k));
        }
    }
    Ok(())
}

pub(crate) fn project(r: Record, keep: &Option<BTreeSet<String>>) -> Record {
    match keep {
        None => r,
        Some(k) => r.into_iter().filter(|(name, _)| k.contains(name) || name == "included").collect(),
    }
}

pub fn with_etag(status: StatusCode, record: Record) -> Response {
    let version = record.get("version").and_then(Json::as_i64).unwrap_or(0);
    let mut res = (status, JsonResponse(record)).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

pub async fn list(kind: Kind, State(state): State<AppState>, auth: Auth, Query(params): Params) -> ApiResult<Response> {
    let q = list_query(&state, &auth, kind, &params).await?;
    let keep = select_fields(kind, &params)?;
    let mut page = state.store.list(&auth.0, kind, &q).await?;
    hide_deleted(&state, &auth, kind, &mut page.items).await?;
    include(&state, &auth, kind, &params, &mut page.items).await?;
    let items: Vec<Record> = page.items.into_iter().map(|r| project(r, &keep)).collect();
    Ok(JsonResponse(json!({"items": items, "next_cursor": page.next_cursor})).into_response())
}

pub async fn get(
    kind: Kind,
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(params): Params,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let keep = select_fields(kind, &params)?;
    let found = match state.store.get(&auth.0, kind, id).await {
        Err(rapport_store::StoreError::NotFound) => {
            // A merged-away id leads to the record it was merged into.
            if let Some(survivor) = state.store.merged_into(&auth.0, kind, id).await? {
                let to = format!("/api/v1/{}/{survivor}", kind.collection());
                return Ok(axum::response::Redirect::permanent(&to).into_response());
            }
            return Err(Problem::not_found());
        }
        other => other?,
    };
    let mut recs = vec![found];
    hide_deleted(&state, &auth, kind, &mut recs).await?;
    include(&state, &auth, kind, &params, &mut recs).await?;
    Ok(with_etag(StatusCode::OK, project(recs.remove(0), &keep)))
}

pub(crate) fn expect_object(v: Json) -> ApiResult<Record> {
    match v {
        Json::Object(o) => Ok(o),
        _ => Err(Problem::bad_request("body", "expected a JSON object")),
    }
}

pub async fn create(
    kind: Kind,
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    JsonBody(body, raw): JsonBody,
) -> ApiResult<Response> {
    let input = expect_object(body)?;
    let idempotency = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let key = v.to_str().unwrap_or_default().trim();
            if key.is_empty() || key.len() > 255 {
                return Err(Problem::bad_request("Idempotency-Key", "must be 1 to 255 visible characters"));
            }
            let digest = Sha256::digest(&raw);
            Some(Idempotency { key: key.to_string(), request_hash: digest.iter().map(|b| format!("{b:02x}")).collect() })
        }
    };
    let opts = WriteOptions { if_match: None, idempotency };
    let (record, replayed) = state.store.create(&auth.0, kind, &input, &opts).await?;
    let mut recs = [record];
    hide_deleted(&state, &auth, kind, &mut recs).await?;
    let [record] = recs;
    let id = record.get("id").and_then(Json::as_str).unwrap_or_default().to_string();
    let mut res = with_etag(if replayed { StatusCode::OK } else { StatusCode::CREATED }, record);
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/v1/{}/{id}", kind.collection())) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    if replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

pub async fn bulk_create(
    kind: Kind,
    State(state): State<AppState>,
    auth: Auth,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let Some(items) = body.get("items").and_then(Json::as_array) else {
        return Err(Problem::bad_request("items", "expected {\"items\": [ ... ]}"));
    };
    if items.is_empty() || items.len() > 1000 {
        return Err(Problem::invalid(ValidationErrors::single("items", "out_of_range", "send 1 to 1000 records at a time")));
    }
    let mut inputs = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Json::Object(o) => inputs.push(o.clone()),
            _ => return Err(Problem::bad_request(&format!("items[{i}]"), "expected a JSON object")),
        }
    }
    let mut created = state.store.create_many(&auth.0, kind, &inputs).await?;
    hide_deleted(&state, &auth, kind, &mut created).await?;
    Ok((StatusCode::CREATED, JsonResponse(json!({"items": created}))).into_response())
}

pub async fn patch(
    kind: Kind,
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let patch = Json::Object(expect_object(body)?);
    let opts = WriteOptions { if_match: if_match(&headers)?, idempotency: None };
    let mut recs = [state.store.update(&auth.0, kind, id, &patch, &opts).await?];
    hide_deleted(&state, &auth, kind, &mut recs).await?;
    let [record] = recs;
    Ok(with_etag(StatusCode::OK, record))
}

pub async fn delete(
    kind: Kind,
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let opts = WriteOptions { if_match: if_match(&headers)?, idempotency: None };
    state.store.delete(&auth.0, kind, id, &opts).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) fn limit_param(params: &[(String, String)], default: u64, max: u64) -> ApiResult<u64> {
    match param(params, "limit") {
        None => Ok(default),
        Some(l) => l.parse::<u64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
            Problem::invalid(ValidationErrors::single("limit", "out_of_range", format!("must be an integer from 1 to {max}")))
        }),
    }
}

pub async fn history(
    kind: Kind,
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(params): Params,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let limit = limit_param(&params, 50, 500)?;
    let before = param(&params, "before").map(parse_id).transpose()?;
    let items = state.store.history(&auth.0, kind, id, limit, before).await?;
    // The history of a deleted record stays readable; a record never seen is not found.
    if items.is_empty() && before.is_none() {
        return Err(Problem::not_found());
    }
    Ok(JsonResponse(json!({"items": items})).into_response())
}

pub async fn timeline(
    kind: Kind,
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(params): Params,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let limit = limit_param(&params, 50, 200)?;
    let page = state.store.timeline(&auth.0, kind, id, limit, param(&params, "cursor")).await?;
    Ok(JsonResponse(json!({"items": page.items, "next_cursor": page.next_cursor})).into_response())
}

pub async fn stage_history(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let items = state.store.stage_history(&auth.0, id).await?;
    Ok(JsonResponse(json!({"items": items})).into_response())
}

/// `GET /api/v1/search?q=`: one search across record kinds, best hits first.
pub async fn search(State(state): State<AppState>, auth: Auth, Query(params): Params) -> ApiResult<Response> {
    let q = param(&params, "q").unwrap_or_default();
    if q.trim().is_empty() {
        return Err(Problem::invalid(ValidationErrors::single("q", "required", "give something to search for")));
    }
    if q.len() > 200 {
        return Err(Problem::invalid(ValidationErrors::single("q", "too_long", "at most 200 characters")));
    }
    let kinds = match param(&params, "kinds") {
        None => rapport_store::search::KINDS.to_vec(),
        Some(list) => {
            let mut out = Vec::new();
            for k in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                match Kind::from_collection(k).filter(|k| rapport_store::search::KINDS.contains(k)) {
                    Some(kind) => out.push(kind),
                    None => {
                        return Err(Problem::invalid(ValidationErrors::single(
                            "kinds",
                            "invalid",
                            format!("'{k}' is not searchable: use people, organizations, deals, activities, tasks"),
                        )));
                    }
                }
            }
            out
        }
    };
    let limit = limit_param(&params, 20, 100)? as usize;
    let hits = state.store.search(&auth.0, q, &kinds, limit).await?;
    Ok(JsonResponse(json!({"items": hits})).into_response())
}
