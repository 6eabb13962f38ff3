//! Record pages: key fields editable in place, the timeline of every point of contact,
//! related records, one-click logging of a call, email, meeting or note, and the next follow-up.
//! Routes: GET/POST /{collection}/new, GET/POST /{collection}/{id}, POST /{collection}/{id}/log,
//! POST /{collection}/{id}/follow-up, POST /tasks/{id}/done, GET/POST /{collection}/{id}/delete.

mod actions;
mod form;
mod new;
mod show;
pub(crate) mod timeline;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use rapport_domain::Kind;
use rapport_store::{ListQuery, Record, Scope, StoreError};
use serde_json::Value as Json;
use uuid::Uuid;

use super::frame::Ui;
use super::home::{all_of, sort};
use super::{message, see_other, store_failure};
use crate::AppState;

/// The collections that have record pages, in URL form.
const COLLECTIONS: [&str; 5] = ["people", "organizations", "deals", "tasks", "activities"];

pub fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for c in COLLECTIONS {
        r = r
            .route(&format!("/{c}/new"), get(new::new_form).post(new::create))
            .route(&format!("/{c}/{{id}}"), get(show::show).post(actions::edit))
            .route(&format!("/{c}/{{id}}/delete"), get(actions::confirm_delete).post(actions::delete))
            .route(&format!("/{c}/{{id}}/log"), post(actions::log))
            .route(&format!("/{c}/{{id}}/follow-up"), post(actions::follow_up));
    }
    r.route("/tasks/{id}/done", post(actions::done))
}

/// The collection a request is about, read from the first segment of its path.
#[derive(Clone, Copy)]
pub struct Coll {
    pub kind: Kind,
    pub path: &'static str,
}

impl Coll {
    /// The navigation section the page belongs to.
    fn section(self) -> &'static str {
        match self.kind {
            Kind::Person => "people",
            Kind::Organization => "organizations",
            Kind::Deal => "deals",
            Kind::Task => "tasks",
            _ => "home",
        }
    }
    fn href(self, id: &str) -> String {
        format!("/{}/{id}", self.path)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Coll {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let first = parts.uri.path().trim_start_matches('/').split('/').next().unwrap_or("");
        COLLECTIONS
            .into_iter()
            .find(|c| *c == first)
            .and_then(|c| Some(Coll { kind: Kind::from_collection(c)?, path: c }))
            .ok_or_else(|| store_failure(StoreError::NotFound))
    }
}

/// The page for a record that does not exist or that the reader may not see.
fn not_found(ui: &Ui) -> Response {
    message(StatusCode::NOT_FOUND, &ui.t("records-not-found-title"), &ui.t("error-not-found"), "/", &ui.t("records-back-home"))
}

/// The page for a change the reader may not make.
pub(super) fn forbidden(ui: &Ui) -> Response {
    message(StatusCode::FORBIDDEN, &ui.t("records-forbidden-title"), &ui.t("error-forbidden"), "/", &ui.t("records-back-home"))
}

/// A store failure as a page in the reader's language where it is theirs to see.
pub(super) fn failure(ui: &Ui, e: StoreError) -> Response {
    match e {
        StoreError::NotFound => not_found(ui),
        StoreError::Forbidden(_) => forbidden(ui),
        other => store_failure(other),
    }
}

/// Loads a record; a merged-away id leads to its survivor, and what the reader may not see is a 404.
async fn load(state: &AppState, scope: &Scope, ui: &Ui, coll: Coll, id: &str) -> Result<(Uuid, Record), Response> {
    let Ok(uid) = Uuid::parse_str(id) else { return Err(not_found(ui)) };
    match state.store.get(scope, coll.kind, uid).await {
        Ok(r) => Ok((uid, r)),
        Err(StoreError::NotFound) => match state.store.merged_into(scope, coll.kind, uid).await {
            Ok(Some(survivor)) => Err(see_other(&coll.href(&survivor.to_string()), &[])),
            Ok(None) => Err(not_found(ui)),
            Err(e) => Err(failure(ui, e)),
        },
        Err(e) => Err(failure(ui, e)),
    }
}

/// A text field of a record, empty when absent.
pub fn text(r: &Record, field: &str) -> String {
    super::home::text(r, field)
}

/// The ids a links field holds (`["id"]` or `[{"id", "role"}]`).
pub fn link_ids(r: &Record, field: &str) -> Vec<String> {
    r.get(field)
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().or_else(|| v.get("id").and_then(Json::as_str)).map(str::to_string))
        .collect()
}

/// The name a record is shown by.
pub fn label(kind: Kind, r: &Record) -> String {
    let t = match kind {
        Kind::Task => text(r, "title"),
        Kind::Activity => text(r, "subject"),
        _ => text(r, "name"),
    };
    t.trim().to_string()
}

/// Active users of the workspace by name, as `(id, name)`.
async fn users(state: &AppState, scope: &Scope) -> Vec<(String, String)> {
    let q = ListQuery {
        filter: all_of(Kind::User, &[("active", "eq", "true")]),
        sort: sort(Kind::User, "name"),
        limit: 500,
        ..ListQuery::default()
    };
    match state.store.list(scope, Kind::User, &q).await {
        Ok(p) => p.items.iter().map(|u| (text(u, "id"), text(u, "name"))).collect(),
        Err(_) => vec![],
    }
}

/// A few records of a kind matching conditions, in the given order, and
/// the link to all of them in their list when there are more than shown.
struct Related {
    items: Vec<Record>,
    all: Option<String>,
}

async fn related(
    state: &AppState,
    scope: &Scope,
    kind: Kind,
    conds: &[(&str, &str, &str)],
    order: &str,
    limit: u64,
) -> Result<Related, StoreError> {
    let q = ListQuery { filter: all_of(kind, conds), sort: sort(kind, order), limit, ..ListQuery::default() };
    let page = state.store.list(scope, kind, &q).await?;
    let all = page.next_cursor.is_some().then(|| {
        let mut params: Vec<(String, String)> = conds
            .iter()
            .map(|(field, op, value)| (if *op == "eq" { field.to_string() } else { format!("{field}[{op}]") }, value.to_string()))
            .collect();
        params.push(("sort".into(), order.into()));
        super::lists::query::href(kind.collection(), &params)
    });
    Ok(Related { items: page.items, all })
}

/// A same-site path to return to after a form, or none.
fn local_path(p: &str) -> Option<String> {
    (p.starts_with('/') && !p.starts_with("//") && !p.contains('\\')).then(|| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/people/1").as_deref(), Some("/people/1"));
        assert_eq!(local_path("//evil.example"), None);
        assert_eq!(local_path("https://evil.example"), None);
        assert_eq!(local_path("/\\evil"), None);
    }

    #[test]
    fn links_are_read_with_or_without_roles() {
        let r: Record =
            serde_json::from_value(serde_json::json!({"people": ["a"], "organizations": [{"id": "b", "role": "x"}]})).unwrap();
        assert_eq!(link_ids(&r, "people"), vec!["a"]);
        assert_eq!(link_ids(&r, "organizations"), vec!["b"]);
    }
}
