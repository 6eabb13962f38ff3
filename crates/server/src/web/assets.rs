//! The stylesheet and the script, built into the binary (no JavaScript
//! toolchain at build time). Each area of the UI keeps its own file; they are
//! served as one stylesheet and one script, under a URL that carries a digest
//! of the content so that browsers cache them until the next release.

use std::sync::LazyLock;

use axum::extract::{Path, RawQuery};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const CSS: &[&str] = &[
    include_str!("../../assets/css/base.css"),
    include_str!("../../assets/css/app.css"),
    include_str!("../../assets/css/home.css"),
    include_str!("../../assets/css/lists.css"),
    include_str!("../../assets/css/records.css"),
    include_str!("../../assets/css/board.css"),
    include_str!("../../assets/css/calendar.css"),
    include_str!("../../assets/css/search.css"),
    include_str!("../../assets/css/settings.css"),
    include_str!("../../assets/css/import.css"),
    include_str!("../../assets/css/duplicates.css"),
    include_str!("../../assets/css/automation.css"),
];

const JS: &[&str] = &[
    include_str!("../../assets/js/core.js"),
    include_str!("../../assets/js/lists.js"),
    include_str!("../../assets/js/records.js"),
    include_str!("../../assets/js/board.js"),
    include_str!("../../assets/js/calendar.js"),
    include_str!("../../assets/js/search.js"),
    include_str!("../../assets/js/settings.js"),
    include_str!("../../assets/js/import.js"),
    include_str!("../../assets/js/duplicates.js"),
    include_str!("../../assets/js/automation.js"),
];

struct Asset {
    body: String,
    digest: String,
}

fn build(parts: &[&str]) -> Asset {
    let body = parts.join("\n");
    let digest = Sha256::digest(body.as_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect();
    Asset { body, digest }
}

static STYLES: LazyLock<Asset> = LazyLock::new(|| build(CSS));
static SCRIPT: LazyLock<Asset> = LazyLock::new(|| build(JS));
static ICON: LazyLock<Asset> = LazyLock::new(|| build(&[include_str!("../../assets/favicon.svg")]));

fn find(name: &str) -> Option<(&'static Asset, &'static str)> {
    match name {
        "rapport.css" => Some((&STYLES, "text/css; charset=utf-8")),
        "rapport.js" => Some((&SCRIPT, "text/javascript; charset=utf-8")),
        "favicon.svg" => Some((&ICON, "image/svg+xml")),
        _ => None,
    }
}

/// The URL of an asset, versioned by its content.
pub fn url(name: &str) -> String {
    match find(name) {
        Some((a, _)) => format!("/assets/{name}?v={}", a.digest),
        None => format!("/assets/{name}"),
    }
}

/// Browsers ask for `/favicon.ico` whatever the page says; they accept SVG.
pub async fn favicon() -> Response {
    serve(Path("favicon.svg".to_string()), RawQuery(None)).await
}

pub async fn serve(Path(name): Path<String>, RawQuery(query): RawQuery) -> Response {
    match find(&name) {
        Some((a, ty)) => (
            [
                (header::CONTENT_TYPE, ty),
                // Only a URL naming this very content may be kept for good.
                (
                    header::CACHE_CONTROL,
                    if query.is_some_and(|q| q == format!("v={}", a.digest)) {
                        "public, max-age=31536000, immutable"
                    } else {
                        "no-cache"
                    },
                ),
            ],
            a.body.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
