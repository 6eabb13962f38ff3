//! The pages the server shows before the web UI: a start page and the API reference.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use rapport_domain::Kind;
use rapport_domain::schema::{self, FieldType};

use crate::AppState;
use crate::openapi::operations;
use crate::problem::Problem;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    workspace: String,
    backend: &'static str,
    schema_version: i64,
}

struct FieldDoc {
    name: &'static str,
    ty: String,
    doc: &'static str,
    required: bool,
}

struct OpDoc {
    method: &'static str,
    path: String,
    summary: String,
}

struct Group {
    name: String,
    anchor: String,
    fields: Vec<FieldDoc>,
    ops: Vec<OpDoc>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct ApiDocs {
    groups: Vec<Group>,
}

fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            Problem::internal().into_response()
        }
    }
}

/// The start page of a Rapport nobody can sign in to yet: how to begin.
pub async fn start(State(state): State<AppState>) -> Response {
    let workspace = match state.store.workspaces().await {
        Ok(ws) => ws.first().map(|w| w.name.clone()).unwrap_or_else(|| "your company".into()),
        Err(e) => return Problem::from(e).into_response(),
    };
    let schema_version = rapport_store::migrate::current(state.store.db()).await.unwrap_or(0);
    let backend = match state.store.backend() {
        rapport_store::Backend::Sqlite => "SQLite",
        rapport_store::Backend::Postgres => "PostgreSQL",
    };
    render(Home { workspace, backend, schema_version })
}

fn type_name(t: FieldType) -> String {
    match t {
        FieldType::Text { max } => format!("text (≤ {max})"),
        FieldType::LongText => "long text".into(),
        FieldType::Int { .. } => "integer".into(),
        FieldType::Bool => "boolean".into(),
        FieldType::Date => "date".into(),
        FieldType::DateTime => "date-time".into(),
        FieldType::Enum(v) => format!("one of {}", v.join(", ")),
        FieldType::Ref(k) => format!("{k} id"),
        FieldType::Pipeline => "pipeline id".into(),
        FieldType::Stage => "stage id".into(),
        FieldType::Currency => "ISO 4217 code".into(),
        FieldType::Emails => "emails".into(),
        FieldType::Phones => "phones".into(),
        FieldType::Address => "address".into(),
        FieldType::Recurrence => "recurrence".into(),
        FieldType::Addresses => "addresses".into(),
        FieldType::Strings { .. } => "list of strings".into(),
        FieldType::Links { target, role: true } => format!("{target} ids with roles"),
        FieldType::Links { target, role: false } => format!("{target} ids"),
    }
}

pub async fn api_docs() -> Response {
    let mut groups: Vec<Group> = Vec::new();
    for o in operations() {
        if groups.last().is_none_or(|g| g.name != o.tag) {
            let kind = Kind::EVERY.into_iter().find(|k| k.title() == o.tag);
            let fields = kind
                .map(|k| {
                    schema::fields(k)
                        .iter()
                        .map(|f| FieldDoc { name: f.name, ty: type_name(f.ty), doc: f.doc, required: f.required })
                        .collect()
                })
                .unwrap_or_default();
            groups.push(Group { anchor: o.tag.to_lowercase().replace(' ', "-"), name: o.tag.clone(), fields, ops: vec![] });
        }
        if let Some(g) = groups.last_mut() {
            g.ops.push(OpDoc { method: o.method, path: o.path, summary: o.summary });
        }
    }
    render(ApiDocs { groups })
}
