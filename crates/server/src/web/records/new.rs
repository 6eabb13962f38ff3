//! The new-record pages: the form of each kind, prefilled from the page it was
//! opened from, and the likely duplicates shown before saving.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::Kind;
use rapport_domain::custom::CustomField;
use rapport_store::{Scope, StoreError, WriteOptions};
use serde_json::{Value as Json, json};

use super::form::{Choices, Errs, Input, Vals, inputs, pick_organization, place_errors, to_record, tomorrow_morning, typed};
use super::{Coll, failure, forbidden, label, text};
use crate::AppState;
use crate::web::custom::{self, CustomInput};
use crate::web::frame::{App, Ui};
use crate::web::{Fields, csrf_refused, page, see_other};

/// A likely duplicate shown before saving.
pub struct Duplicate {
    pub href: String,
    pub name: String,
    pub reasons: Vec<String>,
}

/// A reason the store gives, in the reader's language.
fn reason(ui: &Ui, r: &str) -> String {
    const WITH_VALUE: [(&str, &str); 4] = [
        ("similar name with the same email domain ", "records-dup-same-email-domain"),
        ("same email ", "records-dup-same-email"),
        ("same phone ", "records-dup-same-phone"),
        ("same domain ", "records-dup-same-domain"),
    ];
    for (prefix, key) in WITH_VALUE {
        if let Some(v) = r.strip_prefix(prefix) {
            return ui.t1(key, "value", v);
        }
    }
    match r {
        "similar name at the same organization" => ui.t("records-dup-same-organization"),
        "same name" => ui.t("records-dup-same-name"),
        "similar name" => ui.t("records-dup-similar-name"),
        other => other.to_string(),
    }
}

pub fn duplicates(ui: &Ui, coll: Coll, found: &[Json]) -> Vec<Duplicate> {
    found
        .iter()
        .map(|d| Duplicate {
            href: coll.href(d["id"].as_str().unwrap_or_default()),
            name: d["label"].as_str().unwrap_or_default().to_string(),
            reasons: d["reasons"].as_array().into_iter().flatten().filter_map(Json::as_str).map(|r| reason(ui, r)).collect(),
        })
        .collect()
}

#[derive(serde::Deserialize, Default)]
pub struct Prefill {
    organization_id: Option<String>,
    person_id: Option<String>,
    deal_id: Option<String>,
}

/// A link the new record gets from the page it was opened from.
pub struct Link {
    pub field: &'static str,
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "web/new.html")]
struct NewPage {
    ui: Ui,
    coll: &'static str,
    kind: String,
    title: String,
    inputs: Vec<Input>,
    custom_inputs: Vec<CustomInput>,
    links: Vec<Link>,
    errors: Vec<String>,
    duplicates: Vec<Duplicate>,
}

/// Links from the query or the form, to records the reader may see.
async fn links(state: &AppState, scope: &Scope, kind: Kind, wanted: [(&'static str, Option<String>); 3]) -> Vec<Link> {
    let mut out = vec![];
    for (field, id) in wanted {
        let Some(id) = id.filter(|i| !i.is_empty()) else { continue };
        let target = match field {
            "people" => Kind::Person,
            "organizations" => Kind::Organization,
            _ => Kind::Deal,
        };
        // Only kinds linking this way take it (a person or deal takes its organization as a field).
        let takes = match kind {
            Kind::Task | Kind::Activity => true,
            Kind::Deal => field == "people",
            _ => false,
        };
        let Ok(uid) = uuid::Uuid::parse_str(&id) else { continue };
        if !takes {
            continue;
        }
        if let Ok(r) = state.store.get(scope, target, uid).await {
            out.push(Link { field, id, name: label(target, &r) });
        }
    }
    out
}

fn defaults(ui: &Ui, app_user: &str, kind: Kind) -> Vals {
    let mut v = Vals::new();
    match kind {
        Kind::Person | Kind::Organization | Kind::Deal => {
            v.insert("owner_id".into(), app_user.into());
        }
        Kind::Task => {
            v.insert("assignee_user_id".into(), app_user.into());
            v.insert("priority".into(), "normal".into());
            v.insert("due_at".into(), tomorrow_morning(ui));
        }
        Kind::Activity => {
            v.insert("type".into(), "note".into());
            v.insert("occurred_at".into(), ui.fmt.input_datetime(&chrono::Utc::now()));
        }
        _ => {}
    }
    if kind == Kind::Deal {
        v.insert("currency".into(), ui.currency.clone());
    }
    v
}

pub async fn new_form(State(state): State<AppState>, coll: Coll, app: App, Query(q): Query<Prefill>) -> Response {
    let mut app = app;
    app.ui.section = coll.section();
    if !app.ui.can_write() {
        return forbidden(&app.ui);
    }
    let mut vals = defaults(&app.ui, &app.user_id().to_string(), coll.kind);
    if matches!(coll.kind, Kind::Person | Kind::Deal)
        && let Some(o) = q.organization_id.clone().filter(|o| uuid::Uuid::parse_str(o).is_ok())
    {
        vals.insert("organization_id".into(), o);
    }
    let wanted = [("people", q.person_id), ("organizations", q.organization_id), ("deals", q.deal_id)];
    let links = links(&state, &app.scope, coll.kind, wanted).await;
    render(&state, coll, app, (vals, None), Errs::new(), vec![], links, vec![], StatusCode::OK).await
}

async fn custom_defs(state: &AppState, scope: &Scope, kind: Kind) -> Result<Vec<CustomField>, StoreError> {
    if kind.has_custom_fields() { state.store.custom_fields(scope, kind).await } else { Ok(vec![]) }
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    coll: Coll,
    app: App,
    (mut vals, posted): (Vals, Option<&Fields>),
    errs: Errs,
    errors: Vec<String>,
    links: Vec<Link>,
    duplicates: Vec<Duplicate>,
    status: StatusCode,
) -> Response {
    let choices = match Choices::load(state, &app.scope, coll.kind, &vals).await {
        Ok(c) => c,
        Err(e) => return failure(&app.ui, e),
    };
    let defs = match custom_defs(state, &app.scope, coll.kind).await {
        Ok(d) => d,
        Err(e) => return failure(&app.ui, e),
    };
    if coll.kind == Kind::Deal && vals.get("stage").is_none_or(|s| s.is_empty()) {
        vals.insert("stage".into(), choices.first_stage.clone());
    }
    let ui = app.ui;
    let p = NewPage {
        coll: coll.path,
        kind: coll.kind.as_str().to_string(),
        title: ui.t(&format!("records-new-{}", coll.kind.as_str())),
        inputs: inputs(&ui, coll.kind, &vals, &errs, &choices, false),
        custom_inputs: custom::inputs(&ui, &defs, None, posted, &errs),
        links,
        errors,
        duplicates,
        ui,
    };
    page(status, &p, &[])
}

pub async fn create(State(state): State<AppState>, coll: Coll, app: App, fields: Fields) -> Response {
    let mut app = app;
    app.ui.section = coll.section();
    if !app.ui.can_write() {
        return forbidden(&app.ui);
    }
    if !app.csrf_ok(&fields) {
        return csrf_refused();
    }
    let kind = coll.kind;
    let mut vals = typed(kind, &fields);
    let wanted = [
        ("people", fields.get("link_people").map(str::to_string)),
        ("organizations", fields.get("link_organizations").map(str::to_string)),
        ("deals", fields.get("link_deals").map(str::to_string)),
    ];
    let links = links(&state, &app.scope, kind, wanted).await;
    let mut errs = Errs::new();
    if let Err(e) = pick_organization(&state, &app.scope, &app.ui, kind, &fields, &mut vals, &mut errs).await {
        return failure(&app.ui, e);
    }
    let mut record = to_record(&app.ui, kind, &vals, None, &mut errs);
    let defs = match custom_defs(&state, &app.scope, kind).await {
        Ok(d) => d,
        Err(e) => return failure(&app.ui, e),
    };
    if let Some(c) = custom::read(&app.ui, &defs, &fields, false, &mut errs) {
        record.insert("custom".into(), c);
    }
    for l in &links {
        record.insert(l.field.into(), json!([l.id]));
    }
    if !errs.is_empty() {
        let top = vec![app.ui.t("error-form")];
        return render(&state, coll, app, (vals, Some(&fields)), errs, top, links, vec![], StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    // Likely duplicates are shown before saving, unless the reader chose to create anyway.
    if rapport_store::dedupe::KINDS.contains(&kind) && fields.get("confirm_duplicates") != Some("1") {
        match state.store.duplicates_of(&app.scope, kind, &record, None).await {
            Ok(found) if !found.is_empty() => {
                let dups = duplicates(&app.ui, coll, &found);
                return render(&state, coll, app, (vals, Some(&fields)), errs, vec![], links, dups, StatusCode::OK).await;
            }
            Ok(_) => {}
            Err(e) => return failure(&app.ui, e),
        }
    }
    match state.store.create(&app.scope, kind, &record, &WriteOptions::default()).await {
        Ok((r, _)) => see_other(&format!("{}?done=created", coll.href(&text(&r, "id"))), &[]),
        Err(StoreError::Invalid(v)) => {
            let mut top = vec![app.ui.t("error-form")];
            top.extend(place_errors(&app.ui, kind, &defs, &v, &mut errs));
            render(&state, coll, app, (vals, Some(&fields)), errs, top, links, vec![], StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => failure(&app.ui, e),
    }
}
