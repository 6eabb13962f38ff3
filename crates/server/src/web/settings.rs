//! Settings for administrators: pipelines and stages, users and teams, API tokens,
//! workspace defaults (currency, phone region, time zone); loading the demo company.
//! Routes: GET /settings and below; POST /demo.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
