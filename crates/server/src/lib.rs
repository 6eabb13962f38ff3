//! Rapport's HTTP server: the REST API under `/api/v1`, its OpenAPI document
//! and reference page, behind one axum router.

pub mod api;
mod auth;
mod body;
pub mod openapi;
mod pages;
pub mod problem;
pub mod web;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use rapport_store::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::problem::Problem;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
}

/// Largest request body accepted (a bulk create of 1000 records fits).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// The OpenAPI document; an authenticated client gets its workspace's custom
/// fields typed in each kind's schema.
async fn openapi_json(
    axum::extract::State(state): axum::extract::State<AppState>,
    auth: Result<auth::Auth, Problem>,
) -> Response {
    let Ok(auth) = auth else { return Json(openapi::document()).into_response() };
    let mut custom = vec![];
    for kind in rapport_domain::Kind::ALL.into_iter().filter(|k| k.has_custom_fields()) {
        match state.store.custom_fields(&auth.0, kind).await {
            Ok(defs) => custom.push((kind, defs)),
            // Who may not read definitions gets the generic document.
            Err(_) => return Json(openapi::document()).into_response(),
        }
    }
    Json(openapi::workspace_document(&custom)).into_response()
}

async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match rapport_store::migrate::current(state.store.db()).await {
        Ok(v) => Json(serde_json::json!({"status": "ok", "schema_version": v})).into_response(),
        Err(e) => Problem::from(e).into_response(),
    }
}

/// An address no route knows: the API's problem+json under `/api/`, a page
/// for people anywhere else.
async fn not_found(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return Problem::not_found().detail("no such route; see /api/docs").into_response();
    }
    web::not_found(&state, req).await
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    Problem::internal().into_response()
}

pub fn router(store: Store) -> Router {
    let state = AppState { store };
    Router::new()
        .merge(api::routes())
        .merge(web::routes())
        .route("/api/docs", get(pages::api_docs))
        .route("/api/openapi.json", get(openapi_json))
        .route("/healthz", get(health))
        .fallback(not_found)
        .method_not_allowed_fallback(|| async {
            Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed")
        })
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(60)))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http())
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests under way.
pub async fn serve(store: Store, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let app = router(store).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
