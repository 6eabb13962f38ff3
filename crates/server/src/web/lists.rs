//! Lists of people, organizations, deals, tasks and activities: filters, sort, chosen
//! columns, saved views (mine and shared), bulk actions, export, keyset paging.
//! Routes: GET /people, /organizations, /deals, /tasks, /activities; POST /{collection}/bulk;
//! POST /views, POST /views/{id}/delete; GET /{collection}/export.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
