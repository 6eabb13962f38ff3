//! Rapport's HTTP server (work in progress).
use rapport_store::Store;

pub fn router(_store: Store) -> axum::Router {
    axum::Router::new()
}

pub async fn serve(store: Store, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, router(store)).await
}
