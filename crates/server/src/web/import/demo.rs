//! `POST /demo`: the first-run page's button that fills a new workspace with
//! the demo company, for admins.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rapport_demo::{DemoError, DemoOptions};

use super::super::frame::App;
use super::super::{Fields, csrf_refused, message, see_other, store_failure};
use crate::AppState;

/// People in the demo company loaded from the browser: enough to look
/// around, quick to load.
const PEOPLE: u32 = 200;

pub async fn load(State(state): State<AppState>, app: App, fields: Fields) -> Response {
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let ui = &app.ui;
    if !ui.is_admin() {
        return message(
            StatusCode::FORBIDDEN,
            &ui.t("demo-forbidden-title"),
            &ui.t("demo-forbidden-text"),
            "/",
            &ui.t("import-back-home"),
        );
    }
    let force = matches!(fields.get("force"), Some("1" | "true" | "on" | "yes"));
    let opts = DemoOptions { seed: 1, people: PEOPLE, force };
    match rapport_demo::load(&state.store, &app.scope, &opts).await {
        Ok(s) => {
            tracing::info!(workspace = %app.scope.workspace_id, people = s.people, deals = s.deals(), "demo company loaded");
            see_other("/?demo=loaded", &[])
        }
        Err(DemoError::HasPeople(_)) => message(
            StatusCode::CONFLICT,
            &ui.t("demo-has-people-title"),
            &ui.t("demo-has-people-text"),
            "/",
            &ui.t("import-back-home"),
        ),
        Err(DemoError::Store(e) | DemoError::Create { source: e, .. }) => store_failure(e),
        Err(e) => {
            tracing::error!(error = %e, "cannot load the demo company");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                &ui.t("demo-failed-title"),
                &ui.t("demo-failed-text"),
                "/",
                &ui.t("import-back-home"),
            )
        }
    }
}
