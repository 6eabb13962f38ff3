//! Global search across record kinds: a results page, and the instant results
//! the search box shows as one types (`assets/js/search.js`, Ctrl+K or /),
//! which calls `/api/v1/search` with the session.
//! Routes: GET /search?q=&kind=.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use rapport_domain::Kind;
use serde::Deserialize;
use serde_json::Value as Json;

use super::frame::{App, Ui, urlencode};
use super::{page, store_failure};
use crate::AppState;

/// Longest query accepted, as in the API.
const MAX_QUERY: usize = 200;

pub fn routes() -> Router<AppState> {
    Router::new().route("/search", get(show))
}

#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    kind: Option<String>,
}

pub struct Hit {
    pub href: String,
    pub label: String,
    pub kind: String,
    pub matched: String,
}

pub struct KindTab {
    pub href: String,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "web/search.html")]
struct SearchPage {
    ui: Ui,
    q: String,
    hits: Vec<Hit>,
    tabs: Vec<KindTab>,
    too_long: bool,
}

pub async fn show(State(state): State<AppState>, app: App, Query(p): Query<SearchParams>) -> Response {
    let App { scope, mut ui, .. } = app;
    ui.section = "search";
    let q = p.q.trim().to_string();
    let only = p.kind.as_deref().and_then(Kind::from_collection).filter(|k| rapport_store::search::KINDS.contains(k));
    let kinds: Vec<Kind> = match only {
        Some(k) => vec![k],
        None => rapport_store::search::KINDS.to_vec(),
    };
    let too_long = q.chars().count() > MAX_QUERY;
    let raw = if q.is_empty() || too_long {
        vec![]
    } else {
        match state.store.search(&scope, &q, &kinds, 50).await {
            Ok(h) => h,
            Err(e) => return store_failure(e),
        }
    };
    let hits = raw.iter().filter_map(|h| hit(&ui, h)).collect();
    let mut tabs =
        vec![KindTab { href: format!("/search?q={}", urlencode(&q)), label: ui.t("search-all"), current: only.is_none() }];
    for k in rapport_store::search::KINDS {
        tabs.push(KindTab {
            href: format!("/search?q={}&kind={}", urlencode(&q), k.collection()),
            label: ui.kinds(k),
            current: only == Some(k),
        });
    }
    page(StatusCode::OK, &SearchPage { ui, q, hits, tabs, too_long }, &[])
}

fn hit(ui: &Ui, h: &Json) -> Option<Hit> {
    let kind = Kind::parse(h.get("kind")?.as_str()?)?;
    let id = h.get("id")?.as_str()?;
    let matched = h.get("matched_field").and_then(Json::as_str).map(|f| ui.field(kind, f)).unwrap_or_default();
    Some(Hit {
        href: match h.get("type").and_then(Json::as_str) {
            Some(ty) => format!("/objects/{}/{id}", urlencode(ty)),
            None => format!("/{}/{id}", kind.collection()),
        },
        label: h.get("label").and_then(Json::as_str).unwrap_or_default().to_string(),
        kind: ui.kind(kind),
        matched,
    })
}
