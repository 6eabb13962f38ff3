//! Bringing a file in from the browser: upload, map columns, preview (dry run),
//! then run with progress.
//! Routes: GET/POST /import and below.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
