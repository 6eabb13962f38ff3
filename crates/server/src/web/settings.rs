//! Settings for administrators: workspace defaults (currency, phone region,
//! time zone), pipelines and stages, users and teams, API tokens, and who sees
//! what. Routes: GET /settings and below. Everyone else gets a 403 page, and
//! their form posts are refused the same way (the store refuses them too).

// Handlers' helpers answer with the page to send when they cannot go on.
#![allow(clippy::result_large_err)]

pub(crate) mod fields;
mod pipelines;
mod teams;
pub(crate) mod users;
mod workspace;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use rapport_domain::ValidationErrors;
use rapport_store::StoreError;

use super::frame::{App, Ui};
use super::{Fields, csrf_refused, page, store_failure};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings", get(index))
        .route("/settings/workspace", get(workspace::show).post(workspace::save))
        .route("/settings/visibility", post(workspace::save_visibility))
        .route("/settings/tokens", get(workspace::tokens))
        .route("/settings/pipelines", get(pipelines::list).post(pipelines::create))
        .route("/settings/pipelines/{id}", get(pipelines::show).post(pipelines::save))
        .route("/settings/pipelines/{id}/delete", get(pipelines::confirm_delete).post(pipelines::delete))
        .route("/settings/pipelines/{id}/stages", post(pipelines::add_stage))
        .route("/settings/pipelines/{id}/stages/{sid}", post(pipelines::save_stage))
        .route("/settings/pipelines/{id}/stages/{sid}/up", post(pipelines::stage_up))
        .route("/settings/pipelines/{id}/stages/{sid}/down", post(pipelines::stage_down))
        .route("/settings/pipelines/{id}/stages/{sid}/delete", get(pipelines::confirm_delete_stage).post(pipelines::delete_stage))
        .route("/settings/fields", get(fields::index))
        .route("/settings/fields/{coll}", get(fields::list).post(fields::create))
        .route("/settings/fields/{coll}/{key}", post(fields::save))
        .route("/settings/fields/{coll}/{key}/up", post(fields::up))
        .route("/settings/fields/{coll}/{key}/down", post(fields::down))
        .route("/settings/fields/{coll}/{key}/delete", get(fields::confirm_delete).post(fields::delete))
        .route("/settings/fields/{coll}/{key}/restore", post(fields::restore))
        .route("/settings/fields/{coll}/{key}/purge", get(fields::confirm_purge).post(fields::purge))
        .route("/settings/users", get(users::list).post(users::create))
        .route("/settings/users/{id}", post(users::save))
        .route("/settings/users/{id}/link", post(users::link))
        .route("/settings/teams", get(teams::list).post(teams::create))
        .route("/settings/teams/{id}", post(teams::save))
        .route("/settings/teams/{id}/members", post(teams::add_member))
        .route("/settings/teams/{id}/members/{uid}/remove", post(teams::remove_member))
        .route("/account/preferences", post(super::account::save_preferences))
}

#[derive(Template)]
#[template(path = "web/settings_denied.html")]
struct Denied {
    ui: Ui,
}

/// The admin behind a settings request, or the page that refuses anyone else.
pub fn admin(mut app: App) -> Result<App, Response> {
    app.ui.section = "settings";
    if app.ui.is_admin() { Ok(app) } else { Err(page(StatusCode::FORBIDDEN, &Denied { ui: app.ui }, &[])) }
}

/// An admin's form post with a valid CSRF token, or the refusal.
pub fn admin_post(app: App, fields: &Fields) -> Result<App, Response> {
    let app = admin(app)?;
    if app.csrf_ok(fields) { Ok(app) } else { Err(csrf_refused()) }
}

#[derive(Template)]
#[template(path = "web/settings.html")]
struct Index {
    ui: Ui,
}

async fn index(app: App) -> Response {
    match admin(app) {
        Ok(app) => page(StatusCode::OK, &Index { ui: app.ui }, &[]),
        Err(r) => r,
    }
}

/// What went wrong with a form: messages for the top, and per field.
#[derive(Default, Debug)]
pub struct Problems {
    pub top: Vec<String>,
    fields: Vec<(String, String)>,
}

impl Problems {
    pub fn one(text: String) -> Problems {
        Problems { top: vec![text], fields: vec![] }
    }

    /// The message for a field, if it is at fault.
    pub fn get(&self, field: &str) -> Option<&String> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, m)| m)
    }

    pub fn is_empty(&self) -> bool {
        self.top.is_empty() && self.fields.is_empty()
    }

    pub fn add(&mut self, field: &str, text: String) {
        self.fields.push((field.to_string(), text));
    }

    /// Validation errors by field: the catalog's wording when it has one
    /// (`settings-error-currency-invalid`), else the store's sentence.
    pub fn from_validation(ui: &Ui, v: &ValidationErrors) -> Problems {
        let mut p = Problems::default();
        for e in &v.0 {
            let key = format!("settings-error-{}-{}", e.field.replace('_', "-"), e.code.replace('_', "-"));
            let text = if ui.catalog.has(&key) { ui.t(&key) } else { ui.catalog.invalid(e) };
            p.add(&e.field, text);
        }
        p
    }

    /// A failed write as problems to show on the form, or the failure page.
    pub fn from_store(ui: &Ui, e: StoreError) -> Result<Problems, Response> {
        match e {
            StoreError::Invalid(v) => Ok(Problems::from_validation(ui, &v)),
            StoreError::VersionMismatch { .. } => Ok(Problems::one(ui.t("error-stale"))),
            StoreError::Conflict(c) => Ok(Problems::one(ui.catalog.conflict(&c))),
            other => Err(store_failure(other)),
        }
    }

    /// Every message, top ones first (for the alert above a form).
    pub fn all(&self) -> Vec<String> {
        self.top.iter().cloned().chain(self.fields.iter().map(|(_, m)| m.clone())).collect()
    }
}

/// `the name is required` → `The name is required.`
pub fn sentence(m: &str) -> String {
    let mut c = m.chars();
    let mut s = match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    };
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// The IANA time zone names, for a datalist.
pub fn time_zones() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())
}

/// Whether a text names an IANA time zone.
pub fn is_time_zone(s: &str) -> bool {
    s.parse::<chrono_tz::Tz>().is_ok()
}
