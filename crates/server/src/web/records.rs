//! Record pages: key fields editable in place, the timeline of every point of contact,
//! related records, one-click logging of a call, email, meeting or note, and the next follow-up.
//! Routes: GET/POST /{collection}/new, GET/POST /{collection}/{id}, POST /{collection}/{id}/log,
//! POST /{collection}/{id}/follow-up, GET/POST /{collection}/{id}/delete.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
