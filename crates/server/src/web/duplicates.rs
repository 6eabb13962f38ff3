//! Duplicate review: the clusters a scan finds, with scores and reasons, and a
//! merge that lets the reviewer pick the surviving value of each field.
//! Routes: GET /duplicates, GET/POST /duplicates/merge.
//! The scan and the merge are the store's (`dedupe.rs`); this only shows them.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use rapport_domain::Kind;
use rapport_domain::schema::{self, Access, FieldType};
use rapport_store::{Record, StoreError};
use serde::Deserialize;
use serde_json::Value as Json;
use uuid::Uuid;

use super::frame::{App, Ui};
use super::home::text;
use super::{Fields, csrf_refused, page, see_other, sentences, store_failure};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/duplicates", get(review)).route("/duplicates/merge", get(merge_form).post(merge_submit))
}

/// `people` or `organizations`; anything else is people.
fn kind_of(raw: Option<&str>) -> Kind {
    match raw {
        Some("organizations") => Kind::Organization,
        _ => Kind::Person,
    }
}

/// A record as the review shows it: its name and the facts that tell records apart.
pub struct Member {
    pub id: String,
    pub name: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub facts: Vec<String>,
}

pub struct Cluster {
    pub members: Vec<Member>,
    pub score: String,
    pub reasons: Vec<String>,
    pub ids: String,
}

#[derive(Template)]
#[template(path = "web/duplicates.html")]
struct ReviewPage {
    ui: Ui,
    collection: &'static str,
    clusters: Vec<Cluster>,
    count_text: String,
    can_merge: bool,
}

#[derive(Deserialize, Default)]
pub struct ReviewQuery {
    kind: Option<String>,
}

/// The store's reasons (`same email a@b`) in the reader's words.
fn reason(ui: &Ui, raw: &str) -> String {
    let with = |prefix: &str, key: &str| raw.strip_prefix(prefix).map(|v| ui.t1(key, "value", v));
    with("same email ", "duplicates-reason-email")
        .or_else(|| with("same phone ", "duplicates-reason-phone"))
        .or_else(|| with("same domain ", "duplicates-reason-domain"))
        .or_else(|| with("similar name with the same email domain ", "duplicates-reason-name-domain"))
        .unwrap_or_else(|| match raw {
            "similar name at the same organization" => ui.t("duplicates-reason-name-organization"),
            "same name" => ui.t("duplicates-reason-same-name"),
            "similar name" => ui.t("duplicates-reason-similar-name"),
            other => other.to_string(),
        })
}

fn list_of(r: &Record, field: &str, key: &str) -> Vec<String> {
    r.get(field)
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().or_else(|| v.get(key).and_then(Json::as_str)).map(str::to_string))
        .collect()
}

fn member(kind: Kind, r: &Record, orgs: &BTreeMap<String, String>) -> Member {
    // A person's organizations first: the fact that most often tells two namesakes apart.
    let mut facts: Vec<String> = list_of(r, "organizations", "id").iter().filter_map(|id| orgs.get(id).cloned()).collect();
    for f in ["title", "job_title", "industry", "website"] {
        if schema::field(kind, f).is_some() {
            let v = text(r, f);
            if !v.is_empty() {
                facts.push(v);
            }
        }
    }
    facts.extend(list_of(r, "domains", "name"));
    Member {
        id: text(r, "id"),
        name: text(r, "name"),
        emails: list_of(r, "emails", "address"),
        phones: list_of(r, "phones", "number"),
        facts,
    }
}

async fn review(State(state): State<AppState>, mut app: App, Query(q): Query<ReviewQuery>) -> Response {
    let kind = kind_of(q.kind.as_deref());
    app.ui.section = kind.collection_section();
    let found = match state.store.scan_duplicates(&app.scope, kind).await {
        Ok(c) => c,
        Err(e) => return store_failure(e),
    };
    let mut clusters = Vec::new();
    for c in found {
        let ids: Vec<Uuid> = c["records"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()))
            .collect();
        let records = match state.store.get_many(&app.scope, kind, &ids).await {
            Ok(r) => r,
            Err(e) => return store_failure(e),
        };
        if records.len() < 2 {
            continue;
        }
        let org_ids: Vec<Uuid> =
            records.iter().flat_map(|r| list_of(r, "organizations", "id")).filter_map(|s| Uuid::parse_str(&s).ok()).collect();
        // Names of linked organizations are a nicety: a reader who may not see them still gets the review.
        let orgs: BTreeMap<String, String> = if org_ids.is_empty() {
            BTreeMap::new()
        } else {
            state
                .store
                .get_many(&app.scope, Kind::Organization, &org_ids)
                .await
                .unwrap_or_default()
                .iter()
                .map(|o| (text(o, "id"), text(o, "name")))
                .collect()
        };
        let members: Vec<Member> = records.iter().map(|r| member(kind, r, &orgs)).collect();
        clusters.push(Cluster {
            ids: members.iter().map(|m| m.id.as_str()).collect::<Vec<_>>().join(","),
            members,
            score: app.ui.tn("duplicates-score", "score", (c["score"].as_f64().unwrap_or(0.0) * 100.0).round() as i64),
            reasons: c["reasons"].as_array().into_iter().flatten().filter_map(Json::as_str).map(|r| reason(&app.ui, r)).collect(),
        });
    }
    let can_merge = app.ui.can_write();
    let count_text = app.ui.tn("duplicates-count", "count", clusters.len() as i64);
    page(StatusCode::OK, &ReviewPage { ui: app.ui, collection: kind.collection(), clusters, count_text, can_merge }, &[])
}

/// The section of the navigation a kind's pages belong to.
trait Section {
    fn collection_section(&self) -> &'static str;
}

impl Section for Kind {
    fn collection_section(&self) -> &'static str {
        if *self == Kind::Organization { "organizations" } else { "people" }
    }
}

/// One record's column on the merge page.
pub struct Side {
    pub id: String,
    pub name: String,
    pub version: String,
    pub survivor: bool,
}

/// One value a field may keep.
pub struct Choice {
    pub id: String,
    pub value: String,
    pub checked: bool,
    pub blank: bool,
}

/// A field whose values differ between the records.
pub struct FieldChoice {
    pub name: String,
    pub label: String,
    pub choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "web/duplicates_merge.html")]
struct MergePage {
    ui: Ui,
    kind: &'static str,
    ids: String,
    sides: Vec<Side>,
    fields: Vec<FieldChoice>,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct MergeQuery {
    kind: Option<String>,
    ids: Option<String>,
    survivor: Option<String>,
}

fn parse_ids(raw: &str) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = Vec::new();
    for id in raw.split(',').filter_map(|s| Uuid::parse_str(s.trim()).ok()) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

fn empty(v: Option<&Json>) -> bool {
    match v {
        None | Some(Json::Null) => true,
        Some(Json::String(s)) => s.trim().is_empty(),
        Some(Json::Array(a)) => a.is_empty(),
        Some(Json::Object(o)) => o.values().all(Json::is_null),
        _ => false,
    }
}

/// A stored value in words.
fn shown(ui: &Ui, field: &str, ty: &FieldType, v: Option<&Json>, names: &BTreeMap<String, String>) -> String {
    if empty(v) {
        return ui.t("duplicates-empty-value");
    }
    match (ty, v) {
        (FieldType::Ref(_), Some(Json::String(id))) if names.contains_key(id) => names[id].clone(),
        (FieldType::Enum(_), Some(Json::String(s))) => ui.value(field, s),
        (FieldType::Bool, Some(Json::Bool(b))) => ui.t(if *b { "duplicates-yes" } else { "duplicates-no" }),
        (FieldType::Date | FieldType::DateTime, Some(v)) => ui.when(v),
        (_, Some(Json::String(s))) => s.clone(),
        (_, Some(Json::Object(o))) => o.values().filter_map(Json::as_str).collect::<Vec<_>>().join(", "),
        (_, Some(other)) => other.to_string(),
        (_, None) => String::new(),
    }
}

/// Fields merged by choice: written by people, one value each (lists are united by the store).
fn chosen_fields(kind: Kind) -> impl Iterator<Item = &'static schema::Field> {
    schema::fields(kind).iter().filter(|f| {
        f.access == Access::Write
            && !matches!(
                f.ty,
                FieldType::Emails
                    | FieldType::Phones
                    | FieldType::Strings { .. }
                    | FieldType::Addresses
                    | FieldType::Links { .. }
            )
    })
}

/// The merge page for these records; `picked` are the choices a refused form carried.
fn merge_page(
    ui: Ui,
    kind: Kind,
    records: &[Record],
    survivor: &str,
    picked: &BTreeMap<String, String>,
    names: &BTreeMap<String, String>,
    errors: Vec<String>,
) -> MergePage {
    let sides: Vec<Side> = records
        .iter()
        .map(|r| Side {
            id: text(r, "id"),
            name: text(r, "name"),
            version: text(r, "version"),
            survivor: text(r, "id") == survivor,
        })
        .collect();
    let mut fields = Vec::new();
    for f in chosen_fields(kind) {
        let values: Vec<Option<&Json>> = records.iter().map(|r| r.get(f.name).filter(|v| !empty(Some(v)))).collect();
        if values.iter().all(|v| *v == values[0]) {
            continue;
        }
        let keep = survivor_default(records, survivor, f.name);
        let default = picked.get(f.name).cloned().unwrap_or(keep);
        fields.push(FieldChoice {
            name: f.name.to_string(),
            label: ui.field(kind, f.name),
            choices: records
                .iter()
                .map(|r| Choice {
                    id: text(r, "id"),
                    value: shown(&ui, f.name, &f.ty, r.get(f.name), names),
                    checked: text(r, "id") == default,
                    blank: empty(r.get(f.name)),
                })
                .collect(),
        });
    }
    MergePage {
        ui,
        kind: kind.collection(),
        ids: sides.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(","),
        sides,
        fields,
        errors,
    }
}

/// The survivor's value, or else the first record's that is not empty.
fn survivor_default(records: &[Record], survivor: &str, field: &str) -> String {
    let own = records.iter().find(|r| text(r, "id") == survivor);
    if own.is_some_and(|r| !empty(r.get(field))) {
        return survivor.to_string();
    }
    records.iter().find(|r| !empty(r.get(field))).map(|r| text(r, "id")).unwrap_or_else(|| survivor.to_string())
}

async fn load(state: &AppState, app: &App, kind: Kind, ids: &[Uuid]) -> Result<Vec<Record>, StoreError> {
    let mut out = Vec::new();
    for id in ids {
        out.push(state.store.get(&app.scope, kind, *id).await?);
    }
    Ok(out)
}

/// The names of the records the chosen fields point at (an owner, a parent
/// organization), so the choice reads as names rather than ids.
async fn ref_names(state: &AppState, app: &App, kind: Kind, records: &[Record]) -> BTreeMap<String, String> {
    let mut wanted: BTreeMap<Kind, Vec<Uuid>> = BTreeMap::new();
    for f in chosen_fields(kind) {
        if let FieldType::Ref(target) = f.ty {
            let ids = records.iter().filter_map(|r| r.get(f.name)?.as_str().and_then(|s| Uuid::parse_str(s).ok()));
            wanted.entry(target).or_default().extend(ids);
        }
    }
    let mut names = BTreeMap::new();
    for (target, ids) in wanted.into_iter().filter(|(_, ids)| !ids.is_empty()) {
        // A name the reader may not see stays an id: a nicety, not a reason to fail the page.
        for r in state.store.get_many(&app.scope, target, &ids).await.unwrap_or_default() {
            let name = [text(&r, "name"), text(&r, "title")].into_iter().find(|n| !n.is_empty()).unwrap_or_default();
            if !name.is_empty() {
                names.insert(text(&r, "id"), name);
            }
        }
    }
    names
}

fn forbidden(ui: &Ui) -> Response {
    store_failure(StoreError::Forbidden(ui.t("duplicates-not-allowed")))
}

async fn merge_form(State(state): State<AppState>, mut app: App, Query(q): Query<MergeQuery>) -> Response {
    let kind = kind_of(q.kind.as_deref());
    app.ui.section = kind.collection_section();
    if !app.ui.can_write() {
        return forbidden(&app.ui);
    }
    let ids = parse_ids(q.ids.as_deref().unwrap_or_default());
    if ids.len() < 2 {
        return see_other(&format!("/duplicates?kind={}", kind.collection()), &[]);
    }
    let records = match load(&state, &app, kind, &ids).await {
        Ok(r) => r,
        Err(e) => return store_failure(e),
    };
    let survivor = q.survivor.filter(|s| ids.iter().any(|i| i.to_string() == *s)).unwrap_or_else(|| ids[0].to_string());
    let names = ref_names(&state, &app, kind, &records).await;
    page(StatusCode::OK, &merge_page(app.ui, kind, &records, &survivor, &BTreeMap::new(), &names, vec![]), &[])
}

async fn merge_submit(State(state): State<AppState>, mut app: App, fields: Fields) -> Response {
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let kind = kind_of(fields.get("kind"));
    app.ui.section = kind.collection_section();
    if !app.ui.can_write() {
        return forbidden(&app.ui);
    }
    let ids = parse_ids(fields.get("ids").unwrap_or_default());
    let Some(survivor) = fields.get("survivor").and_then(|s| Uuid::parse_str(s).ok()).filter(|s| ids.contains(s)) else {
        return see_other(&format!("/duplicates?kind={}", kind.collection()), &[]);
    };
    let records = match load(&state, &app, kind, &ids).await {
        Ok(r) => r,
        Err(e) => return store_failure(e),
    };
    let names = ref_names(&state, &app, kind, &records).await;
    let mut picked = BTreeMap::new();
    let mut choose = BTreeMap::new();
    for f in chosen_fields(kind) {
        if let Some(from) = fields.get(&format!("choose.{}", f.name)).and_then(|s| Uuid::parse_str(s).ok()) {
            picked.insert(f.name.to_string(), from.to_string());
            choose.insert(f.name.to_string(), from);
        }
    }
    // A page drawn before someone else changed one of the records must not
    // decide its values: checked here, and again by the store under the rows' locks.
    let stale = records.iter().any(|r| fields.get(&format!("version.{}", text(r, "id"))) != Some(text(r, "version").as_str()));
    let versions: BTreeMap<Uuid, i64> = records
        .iter()
        .filter_map(|r| {
            Some((Uuid::parse_str(&text(r, "id")).ok()?, fields.get(&format!("version.{}", text(r, "id")))?.parse().ok()?))
        })
        .collect();
    let refuse = |app: App, errors: Vec<String>, status| {
        // The stale page is redrawn from the latest versions, with the defaults again.
        let keep = if status == StatusCode::CONFLICT { BTreeMap::new() } else { picked.clone() };
        page(status, &merge_page(app.ui, kind, &records, &survivor.to_string(), &keep, &names, errors), &[])
    };
    if stale {
        let e = vec![app.ui.t("error-stale")];
        return refuse(app, e, StatusCode::CONFLICT);
    }
    let merged: Vec<Uuid> = ids.iter().copied().filter(|i| *i != survivor).collect();
    match state.store.merge(&app.scope, kind, survivor, &merged, &choose, &versions).await {
        Ok(_) => see_other(&format!("/{}/{survivor}?done=merged", kind.collection()), &[]),
        Err(StoreError::Invalid(errs)) => {
            let e = sentences(app.ui.catalog, &errs, |f| app.ui.field(kind, f.trim_start_matches("choose.")));
            refuse(app, e, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(StoreError::VersionMismatch { .. } | StoreError::Conflict(_)) => {
            let e = vec![app.ui.t("error-stale")];
            refuse(app, e, StatusCode::CONFLICT)
        }
        Err(e) => store_failure(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_once_each() {
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        assert_eq!(parse_ids(&format!("{a}, {b},{a},junk")), vec![a, b]);
    }

    #[test]
    fn empty_values_are_recognised() {
        assert!(empty(None));
        assert!(empty(Some(&Json::String(" ".into()))));
        assert!(!empty(Some(&Json::Bool(false))));
    }
}
