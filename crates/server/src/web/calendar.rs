//! Tasks and meetings by day and by week, in the reader's time zone.
//! Routes: GET /calendar?view=day|week&date=YYYY-MM-DD.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
