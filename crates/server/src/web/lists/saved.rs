//! Saving the current list as a named view, private or shared, and deleting one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::Kind;
use rapport_store::StoreError;
use uuid::Uuid;

use super::{KINDS, query};
use crate::AppState;
use crate::web::frame::App;
use crate::web::{Fields, csrf_refused, message, see_other, sentences, store_failure};

/// `POST /views`: `collection`, `name`, `query`, `shared`.
pub async fn create(State(state): State<AppState>, app: App, f: Fields) -> Response {
    if !app.csrf_ok(&f) {
        return csrf_refused();
    }
    let ui = &app.ui;
    let Some(kind) = Kind::from_collection(&f.text("collection")).filter(|k| KINDS.contains(k)) else {
        return message(StatusCode::BAD_REQUEST, &ui.t("lists-view-invalid"), &ui.t("error-not-found"), "/", &ui.t("lists-back"));
    };
    // Only what describes the list is kept: never a cursor or a token.
    let q = query::qs(&query::canonical(&query::parse_qs(&f.text("query"))));
    let shared = f.get("shared") == Some("1");
    match state.store.create_view(&app.scope, kind, &f.text("name"), &q, shared).await {
        Ok(v) => see_other(&format!("/{}?view={}", kind.collection(), v.id), &[]),
        Err(StoreError::Invalid(errs)) => {
            let text =
                sentences(ui.catalog, &errs, |field| if field == "name" { ui.t("lists-view-name") } else { field.to_string() })
                    .join(" ");
            let back = query::href(kind.collection(), &query::parse_qs(&q));
            message(StatusCode::UNPROCESSABLE_ENTITY, &ui.t("lists-view-invalid"), &text, &back, &ui.t("lists-back"))
        }
        Err(e) => store_failure(e),
    }
}

/// `POST /views/{id}`: any of `name`, `query` (the list as it is now), `shared` (`1` or `0`).
pub async fn update(State(state): State<AppState>, app: App, Path(id): Path<String>, f: Fields) -> Response {
    if !app.csrf_ok(&f) {
        return csrf_refused();
    }
    let Ok(id) = Uuid::parse_str(&id) else { return store_failure(StoreError::NotFound) };
    let query = f.get("query").map(|q| query::qs(&query::canonical(&query::parse_qs(q))));
    let shared = f.get("shared").map(|s| s == "1");
    match state.store.update_view(&app.scope, id, f.get("name"), query.as_deref(), shared).await {
        Ok(v) => see_other(&format!("/{}?view={}", v.kind.collection(), v.id), &[]),
        Err(StoreError::Invalid(errs)) => {
            let ui = &app.ui;
            let text =
                sentences(ui.catalog, &errs, |field| if field == "name" { ui.t("lists-view-name") } else { field.to_string() })
                    .join(" ");
            message(StatusCode::UNPROCESSABLE_ENTITY, &ui.t("lists-view-invalid"), &text, "/", &ui.t("lists-back"))
        }
        Err(e) => store_failure(e),
    }
}

/// `POST /views/{id}/delete`: by its owner or an admin.
pub async fn delete(State(state): State<AppState>, app: App, Path(id): Path<String>, f: Fields) -> Response {
    if !app.csrf_ok(&f) {
        return csrf_refused();
    }
    let Ok(id) = Uuid::parse_str(&id) else { return store_failure(StoreError::NotFound) };
    let view = match state.store.view(&app.scope, id).await {
        Ok(v) => v,
        Err(e) => return store_failure(e),
    };
    match state.store.delete_view(&app.scope, id).await {
        Ok(()) => see_other(&format!("/{}", view.kind.collection()), &[]),
        Err(e) => store_failure(e),
    }
}
