//! Duplicate review: the clusters a scan finds, with scores and reasons, and a
//! merge that lets the reviewer pick the surviving value of each field.
//! Routes: GET /duplicates, GET/POST /duplicates/merge.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
