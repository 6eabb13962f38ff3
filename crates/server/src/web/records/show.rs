//! The record page: a header with the name and key facts, the facts (editable in
//! place with script, through the edit form without), related records, the
//! timeline, and the forms that log a contact or schedule the next follow-up.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use rapport_domain::Kind;
use rapport_store::{Record, StoreError};
use serde_json::Value as Json;
use uuid::Uuid;

use super::form::{self, Choices, Errs, Input, Vals, primary_of, tomorrow_morning};
use super::timeline::{Entry, OUTCOMES, entry, outcome, user_name};
use super::{Coll, Related, failure, label, link_ids, load, related, text, users};
use crate::AppState;
use crate::web::custom::{self, CustomInput};
use crate::web::frame::{App, Ui};
use crate::web::page;

/// One fact of the record; `edit` names the API field a script may edit in place.
pub struct Fact {
    pub name: String,
    pub label: String,
    pub value: String,
    pub href: Option<String>,
    pub edit: &'static str,
    pub input: &'static str,
    pub raw: String,
}

pub struct RelLink {
    pub href: String,
    pub name: String,
    pub note: String,
    /// A task that may be marked done from here.
    pub done_id: Option<String>,
}

pub struct RelGroup {
    pub id: &'static str,
    pub heading: String,
    pub items: Vec<RelLink>,
    pub empty: String,
    pub add: Option<(String, String)>,
    /// The list of all of them, when there are more than shown.
    pub all: Option<String>,
}

pub struct StageRow {
    pub name: String,
    pub entered: String,
    pub left: String,
}

/// What a form sent back to the page carries: values typed, errors, a flash.
#[derive(Default)]
pub struct Extras {
    pub edit: Option<(Vals, Errs)>,
    pub errors: Vec<String>,
    pub log_errors: Vec<String>,
    pub flash: Option<String>,
    pub cursor: Option<String>,
    pub open_edit: bool,
    pub status: Option<StatusCode>,
    /// The form as posted, for the custom fields' inputs after a refused save.
    pub posted: Option<crate::web::Fields>,
}

#[derive(Template)]
#[template(path = "web/record.html")]
struct RecordPage {
    ui: Ui,
    coll: &'static str,
    kind: &'static str,
    kind_label: String,
    id: String,
    version: String,
    title: String,
    subtitle: Vec<String>,
    facts: Vec<Fact>,
    groups: Vec<RelGroup>,
    stages: Vec<StageRow>,
    timeline: Vec<Entry>,
    has_timeline: bool,
    older: Option<String>,
    paged: bool,
    can_write: bool,
    can_log: bool,
    task_open: bool,
    edit_inputs: Vec<Input>,
    custom_inputs: Vec<CustomInput>,
    edit_open: bool,
    errors: Vec<String>,
    log_errors: Vec<String>,
    flash: Option<String>,
    follow_title: String,
    follow_due: String,
    users: Vec<(String, String)>,
    me: String,
    outcomes: Vec<(String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    done: Option<String>,
    before: Option<String>,
    edit: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    coll: Coll,
    app: App,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let (uid, rec) = match load(&state, &app.scope, &app.ui, coll, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let flash = q.done.as_deref().and_then(|d| match d {
        "created" | "saved" | "logged" | "scheduled" | "completed" => Some(app.ui.t(&format!("records-done-{d}"))),
        // Sent by the duplicate merge (`web/duplicates.rs`).
        "merged" => Some(app.ui.t("duplicates-merged")),
        _ => None,
    });
    let extras = Extras { flash, cursor: q.before, open_edit: q.edit.is_some(), ..Extras::default() };
    render(&state, app, coll, uid, rec, extras).await
}

/// Draws the record page.
pub async fn render(state: &AppState, mut app: App, coll: Coll, uid: Uuid, rec: Record, x: Extras) -> Response {
    app.ui.section = coll.section();
    match build(state, app, coll, uid, rec, x).await {
        Ok((p, status)) => page(status, &p, &[]),
        Err((ui, e)) => failure(&ui, e),
    }
}

fn fact(name: &'static str, label: String, value: String) -> Fact {
    Fact { name: name.to_string(), label, value, href: None, edit: "", input: "text", raw: String::new() }
}

/// A fact a script may edit in place as the API field of the same name.
fn editable(name: &'static str, label: String, r: &Record, input: &'static str, shown: String) -> Fact {
    Fact { name: name.to_string(), label, value: shown, href: None, edit: name, input, raw: text(r, name) }
}

fn ids(list: &[String]) -> Vec<Uuid> {
    list.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect()
}

async fn build(
    state: &AppState,
    app: App,
    coll: Coll,
    uid: Uuid,
    rec: Record,
    x: Extras,
) -> Result<(RecordPage, StatusCode), (Ui, StoreError)> {
    let App { scope, ui, session } = app;
    let me = session.user_id.to_string();
    macro_rules! tryq {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(e) => return Err((ui, e)),
            }
        };
    }
    let kind = coll.kind;
    let id = uid.to_string();
    // The timeline is read beside the related records (its own statements on
    // another connection): a large account's page waits for the longer of
    // the two, not for both.
    let timeline_page = kind.has_timeline().then(|| {
        let (store, scope, cursor) = (state.store.clone(), scope.clone(), x.cursor.clone());
        tokio::spawn(async move {
            match store.timeline(&scope, kind, uid, 25, cursor.as_deref()).await {
                // A cursor this server did not give shows the first page.
                Err(StoreError::Invalid(_)) => store.timeline(&scope, kind, uid, 25, None).await,
                other => other,
            }
        })
    });
    let user_list = users(state, &scope).await;
    let names: HashMap<String, String> = user_list.iter().cloned().collect();
    let f = |n: &str| ui.field(kind, n);
    let mut facts = vec![];
    let mut subtitle = vec![];
    let mut groups = vec![];
    let mut stages = vec![];
    let owner = || fact("owner_id", f("owner_id"), user_name(&names, &text(&rec, "owner_id")));
    let q_id = |k: &str| format!("{k}={id}");
    match kind {
        Kind::Person => {
            facts.push(editable("first_name", f("first_name"), &rec, "text", text(&rec, "first_name")));
            facts.push(editable("last_name", f("last_name"), &rec, "text", text(&rec, "last_name")));
            let email = text(&rec, "primary_email");
            let mut e = fact("email", form::field_label(&ui, kind, "email"), email.clone());
            e.href = (!email.is_empty()).then(|| format!("mailto:{email}"));
            facts.push(e);
            let (number, e164) = (primary_of(&rec, "phones", "number"), primary_of(&rec, "phones", "e164"));
            let mut p = fact("phone", form::field_label(&ui, kind, "phone"), number.clone());
            p.href = (!number.is_empty()).then(|| format!("tel:{}", if e164.is_empty() { &number } else { &e164 }));
            facts.push(p);
            facts.push(editable("title", form::field_label(&ui, kind, "title"), &rec, "text", text(&rec, "title")));
            facts.push(owner());
            let org_ids = ids(&link_ids(&rec, "organizations"));
            let of_person = [("people", "eq", id.as_str())];
            let (orgs, deals, tasks) = tryq!(futures::try_join!(
                state.store.get_many(&scope, Kind::Organization, &org_ids),
                related(state, &scope, Kind::Deal, &of_person, "-updated_at", 20),
                open_tasks(state, &scope, "people", &id),
            ));
            let title = text(&rec, "title");
            if !title.is_empty() {
                subtitle.push(title);
            }
            subtitle.extend(orgs.iter().take(1).map(|o| text(o, "name")));
            groups.push(RelGroup {
                id: "related-organizations",
                heading: ui.kinds(Kind::Organization),
                items: orgs.iter().map(|o| link(Kind::Organization, o, String::new())).collect(),
                empty: ui.t("records-related-none"),
                add: None,
                all: None,
            });
            groups.push(deal_group(&ui, &deals, Some((format!("/deals/new?{}", q_id("person_id")), ui.t("records-add-deal")))));
            groups.push(task_group(&ui, &tasks, Some((format!("/tasks/new?{}", q_id("person_id")), ui.t("records-add-task")))));
        }
        Kind::Organization => {
            facts.push(editable("name", f("name"), &rec, "text", text(&rec, "name")));
            let domains: Vec<String> = rec
                .get("domains")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect();
            facts.push(fact("domains", f("domains"), domains.join(", ")));
            let site = text(&rec, "website");
            let mut w = editable("website", f("website"), &rec, "url", site.clone());
            w.href = (site.starts_with("https://") || site.starts_with("http://")).then(|| site.clone());
            facts.push(w);
            let (number, e164) = (primary_of(&rec, "phones", "number"), primary_of(&rec, "phones", "e164"));
            let mut p = fact("phone", form::field_label(&ui, kind, "phone"), number.clone());
            p.href = (!number.is_empty()).then(|| format!("tel:{}", if e164.is_empty() { &number } else { &e164 }));
            facts.push(p);
            facts.push(editable("industry", f("industry"), &rec, "text", text(&rec, "industry")));
            let rel = text(&rec, "relationship");
            facts.push(fact(
                "relationship",
                f("relationship"),
                if rel.is_empty() { rel.clone() } else { ui.value("relationship", &rel) },
            ));
            facts.push(owner());
            subtitle.extend(
                [text(&rec, "industry"), domains.first().cloned().unwrap_or_default()].into_iter().filter(|s| !s.is_empty()),
            );
            // Each read on its own connection: a large account's people,
            // deals and open tasks are each a sort of thousands of links.
            let (its_people, its_deals) = ([("organizations", "eq", id.as_str())], [("organization_id", "eq", id.as_str())]);
            let (people, deals, tasks) = tryq!(futures::try_join!(
                related(state, &scope, Kind::Person, &its_people, "name", 50),
                related(state, &scope, Kind::Deal, &its_deals, "-updated_at", 20),
                open_tasks(state, &scope, "organizations", &id),
            ));
            groups.push(RelGroup {
                id: "related-people",
                heading: ui.kinds(Kind::Person),
                items: people.items.iter().map(|p| link(Kind::Person, p, text(p, "title"))).collect(),
                empty: ui.t("records-related-none"),
                add: Some((format!("/people/new?{}", q_id("organization_id")), ui.t("records-add-person"))),
                all: people.all,
            });
            let add = Some((format!("/deals/new?{}", q_id("organization_id")), ui.t("records-add-deal")));
            groups.push(deal_group(&ui, &deals, add));
            let add = Some((format!("/tasks/new?{}", q_id("organization_id")), ui.t("records-add-task")));
            groups.push(task_group(&ui, &tasks, add));
        }
        Kind::Deal => {
            facts.push(editable("name", f("name"), &rec, "text", text(&rec, "name")));
            let currency = text(&rec, "currency");
            let amount = rec.get("amount_minor").and_then(Json::as_i64).map(|m| ui.money(&m, &currency)).unwrap_or_default();
            facts.push(fact("amount", form::field_label(&ui, kind, "amount"), amount.clone()));
            let pipelines = tryq!(state.store.pipelines(&scope).await);
            let stage_name = |sid: &str| -> String {
                pipelines
                    .iter()
                    .flat_map(|p| p.stages.iter())
                    .find(|s| s.id.to_string() == sid)
                    .map(|s| s.name.clone())
                    .unwrap_or_default()
            };
            let stage = stage_name(&text(&rec, "stage_id"));
            facts.push(fact("stage", f("stage_id"), stage.clone()));
            let status = text(&rec, "status");
            facts.push(fact("status", f("status"), ui.value("status", &status)));
            let close = rec.get("expected_close_date").map(|v| ui.when(v)).unwrap_or_default();
            facts.push(editable("expected_close_date", f("expected_close_date"), &rec, "date", close));
            facts.push(editable("next_step", f("next_step"), &rec, "text", text(&rec, "next_step")));
            facts.push(owner());
            subtitle.extend([amount, stage, ui.value("status", &status)].into_iter().filter(|s| !s.is_empty()));
            let org_id = text(&rec, "organization_id");
            let orgs = tryq!(state.store.get_many(&scope, Kind::Organization, &ids(&[org_id])).await);
            groups.push(RelGroup {
                id: "related-organizations",
                heading: ui.kind(Kind::Organization),
                items: orgs.iter().map(|o| link(Kind::Organization, o, String::new())).collect(),
                empty: ui.t("records-related-none"),
                add: None,
                all: None,
            });
            let people = tryq!(state.store.get_many(&scope, Kind::Person, &ids(&link_ids(&rec, "people"))).await);
            groups.push(RelGroup {
                id: "related-people",
                heading: ui.kinds(Kind::Person),
                items: people.iter().map(|p| link(Kind::Person, p, text(p, "title"))).collect(),
                empty: ui.t("records-related-none"),
                add: None,
                all: None,
            });
            let tasks = tryq!(related(state, &scope, Kind::Task, &[("deals", "eq", &id)], "due_at", 30).await);
            groups.push(task_group(&ui, &tasks, Some((format!("/tasks/new?{}", q_id("deal_id")), ui.t("records-add-task")))));
            for h in tryq!(state.store.stage_history(&scope, uid).await) {
                stages.push(StageRow {
                    name: stage_name(h["stage_id"].as_str().unwrap_or_default()),
                    entered: ui.when(&h["entered_at"]),
                    left: ui.when(&h["left_at"]),
                });
            }
        }
        Kind::Task => {
            facts.push(editable("title", f("title"), &rec, "text", text(&rec, "title")));
            let status = text(&rec, "status");
            facts.push(fact("status", f("status"), ui.value("status", &status)));
            let due = rec.get("due_at").map(|v| ui.when(v)).unwrap_or_default();
            facts.push(fact("due_at", f("due_at"), due.clone()));
            facts.push(fact("priority", f("priority"), ui.value("priority", &text(&rec, "priority"))));
            facts.push(fact("assignee_user_id", f("assignee_user_id"), user_name(&names, &text(&rec, "assignee_user_id"))));
            let done = rec.get("completed_at").map(|v| ui.when(v)).unwrap_or_default();
            if !done.is_empty() {
                facts.push(fact("completed_at", f("completed_at"), done));
            }
            facts.push(editable("description", f("description"), &rec, "textarea", text(&rec, "description")));
            subtitle.extend([ui.value("status", &status), due].into_iter().filter(|s| !s.is_empty()));
            groups.extend(tryq!(linked_groups(state, &scope, &ui, &rec).await));
        }
        _ => {
            let ty = ui.value("type", &text(&rec, "type"));
            facts.push(fact("type", f("type"), ty.clone()));
            let when = rec.get("occurred_at").map(|v| ui.when(v)).unwrap_or_default();
            facts.push(fact("occurred_at", f("occurred_at"), when.clone()));
            let dir = text(&rec, "direction");
            if !dir.is_empty() {
                facts.push(fact("direction", f("direction"), ui.value("direction", &dir)));
            }
            facts.push(editable("subject", f("subject"), &rec, "text", text(&rec, "subject")));
            facts.push(editable("outcome", f("outcome"), &rec, "text", outcome(&ui, &text(&rec, "outcome"))));
            facts.push(editable("body", f("body"), &rec, "textarea", text(&rec, "body")));
            facts.push(fact("created_by", f("created_by"), user_name(&names, &text(&rec, "created_by"))));
            subtitle.extend([ty, when].into_iter().filter(|s| !s.is_empty()));
            groups.extend(tryq!(linked_groups(state, &scope, &ui, &rec).await));
        }
    }

    // Records whose relation fields point here (custom records and others).
    if kind.has_timeline() {
        let items: Vec<RelLink> = tryq!(state.store.related(&scope, kind, uid).await)
            .iter()
            .filter_map(|item| {
                let src = Kind::parse(item["kind"].as_str()?)?;
                let r = item["record"].as_object()?;
                let href = match src {
                    Kind::Object => format!("/objects/{}/{}", text(r, "type"), text(r, "id")),
                    k => format!("/{}/{}", k.collection(), text(r, "id")),
                };
                let note = if src == Kind::Object { text(r, "type") } else { ui.kind(src) };
                Some(RelLink { href, name: label(src, r), note, done_id: None })
            })
            .collect();
        if !items.is_empty() {
            groups.push(RelGroup {
                id: "related-records",
                heading: ui.t("objects-related"),
                items,
                empty: ui.t("records-related-none"),
                add: None,
                all: None,
            });
        }
    }

    // The timeline, newest first.
    let mut timeline = vec![];
    let mut older = None;
    if let Some(task) = timeline_page {
        // A panic in the reading task goes on here, as it would have inline.
        let page = tryq!(task.await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())));
        older = page.next_cursor;
        timeline = page.items.iter().map(|i| entry(&ui, &names, kind, &id, i)).collect();
    }

    // Custom fields shown on pages: a fact each, and inputs in the edit form.
    let defs = if kind.has_custom_fields() { tryq!(state.store.custom_fields(&scope, kind).await) } else { vec![] };
    let values = rec.get("custom").and_then(Json::as_object);
    for d in defs.iter().filter(|d| !d.hidden) {
        let raw = values.and_then(|v| v.get(&d.key)).cloned().unwrap_or(Json::Null);
        let href = custom::href(d, &raw);
        facts.push(Fact { name: format!("custom-{}", d.key), href, ..fact("", d.label.clone(), custom::display(&ui, d, &raw)) });
    }

    let can_write = ui.can_write();
    let editing = x.edit.is_some() || x.open_edit;
    let (edit_inputs, custom_inputs) = if can_write {
        let (vals, errs) = x.edit.unwrap_or_else(|| (form::current(&ui, kind, &rec), Errs::new()));
        let choices = tryq!(Choices::load(state, &scope, kind, &vals).await);
        (form::inputs(&ui, kind, &vals, &errs, &choices, true), custom::inputs(&ui, &defs, Some(&rec), x.posted.as_ref(), &errs))
    } else {
        (vec![], vec![])
    };
    let title = label(kind, &rec);
    let title = if title.is_empty() { ui.t("records-untitled") } else { title };
    let outcomes = OUTCOMES.iter().map(|o| (o.to_string(), ui.t(&format!("records-outcome-{o}")))).collect();
    let status = x.status.unwrap_or(StatusCode::OK);
    // A deal in its "Won" stage is also won: say it once.
    subtitle.dedup();
    let p = RecordPage {
        coll: coll.path,
        kind: kind.as_str(),
        kind_label: ui.kind(kind),
        version: text(&rec, "version"),
        follow_title: ui.t1("records-follow-up-default", "name", &title),
        follow_due: tomorrow_morning(&ui),
        title,
        subtitle,
        facts,
        groups,
        stages,
        timeline,
        has_timeline: kind.has_timeline(),
        older,
        paged: x.cursor.is_some(),
        can_write,
        can_log: can_write && kind.has_timeline(),
        task_open: kind == Kind::Task && matches!(text(&rec, "status").as_str(), "open" | "in_progress"),
        edit_inputs,
        custom_inputs,
        edit_open: editing,
        errors: x.errors,
        log_errors: x.log_errors,
        flash: x.flash,
        users: user_list,
        me,
        outcomes,
        id,
        ui,
    };
    Ok((p, status))
}

fn link(kind: Kind, r: &Record, note: String) -> RelLink {
    let coll = kind.collection();
    RelLink { href: format!("/{coll}/{}", text(r, "id")), name: label(kind, r), note, done_id: None }
}

fn deal_group(ui: &Ui, deals: &Related, add: Option<(String, String)>) -> RelGroup {
    RelGroup {
        id: "related-deals",
        heading: ui.kinds(Kind::Deal),
        items: deals
            .items
            .iter()
            .map(|d| {
                let amount =
                    d.get("amount_minor").and_then(Json::as_i64).map(|m| ui.money(&m, &text(d, "currency"))).unwrap_or_default();
                let status = ui.value("status", &text(d, "status"));
                link(Kind::Deal, d, [amount, status].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · "))
            })
            .collect(),
        empty: ui.t("records-related-none"),
        add,
        all: deals.all.clone(),
    }
}

fn task_group(ui: &Ui, tasks: &Related, add: Option<(String, String)>) -> RelGroup {
    RelGroup {
        id: "related-tasks",
        heading: ui.t("records-open-tasks"),
        items: tasks
            .items
            .iter()
            .map(|t| {
                let status = text(t, "status");
                let open = matches!(status.as_str(), "open" | "in_progress");
                let due = t.get("due_at").map(|v| ui.when(v)).unwrap_or_default();
                let note =
                    [due, ui.value("status", &status)].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ");
                let mut l = link(Kind::Task, t, note);
                l.done_id = open.then(|| text(t, "id"));
                l
            })
            .collect(),
        empty: ui.t("records-related-none"),
        add,
        all: tasks.all.clone(),
    }
}

async fn open_tasks(state: &AppState, scope: &rapport_store::Scope, field: &str, id: &str) -> Result<Related, StoreError> {
    related(state, scope, Kind::Task, &[(field, "eq", id), ("status", "in", "open,in_progress")], "due_at", 30).await
}

/// The records a task or an activity is linked to.
async fn linked_groups(
    state: &AppState,
    scope: &rapport_store::Scope,
    ui: &Ui,
    rec: &Record,
) -> Result<Vec<RelGroup>, StoreError> {
    let mut out = vec![];
    for (field, kind, id) in [
        ("people", Kind::Person, "related-people"),
        ("organizations", Kind::Organization, "related-organizations"),
        ("deals", Kind::Deal, "related-deals"),
    ] {
        let found = state.store.get_many(scope, kind, &ids(&link_ids(rec, field))).await?;
        out.push(RelGroup {
            id,
            heading: ui.kinds(kind),
            items: found.iter().map(|r| link(kind, r, String::new())).collect(),
            empty: ui.t("records-related-none"),
            add: None,
            all: None,
        });
    }
    Ok(out)
}
