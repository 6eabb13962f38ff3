//! Automation settings for administrators: workflows (trigger, conditions,
//! actions, run log), assignment rules, and webhook subscriptions with their
//! delivery log.
//! Routes: GET/POST /settings/automation and below.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
