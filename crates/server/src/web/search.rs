//! Global search across record kinds: a results page, and the instant results
//! the search box shows as one types (Ctrl+K or /).
//! Routes: GET /search?q=.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
