//! The pipeline board: one column per stage with count and total amount; drag a
//! deal to change its stage (a plain form does the same without script); switch pipelines.
//! Routes: GET /board, POST /board/move.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
