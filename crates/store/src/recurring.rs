//! Recurring tasks: marking one done creates its next occurrence in the same
//! transaction. The done task keeps the new one's id in `next_task_id`, so
//! being marked done again (after a reopening, or by two people at once: the
//! second write waits for the first and sees it done) makes no second one.

use rapport_domain::recurrence::Recurrence;
use rapport_domain::validate::{Changes, parse_datetime};
use rapport_domain::value::format_datetime;
use rapport_domain::{FieldValue, Kind};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::db::Tx;
use crate::records::{Record, create_in};
use crate::{Scope, StoreError};

/// What an occurrence passes on to the next.
const CARRIED: [&str; 10] = [
    "title",
    "description",
    "priority",
    "assignee_user_id",
    "assignee_team_id",
    "recurrence",
    "people",
    "organizations",
    "deals",
    "custom",
];

/// Called by an update of a task before it is written: when the update marks
/// a recurring task done, creates the next occurrence and points the task at it.
pub(crate) async fn on_update(
    tx: &mut Tx,
    scope: &Scope,
    current: &Record,
    merged: &Record,
    c: &mut Changes,
) -> Result<(), StoreError> {
    let done_now = matches!(c.columns.get("status"), Some(FieldValue::Text(s)) if s == "done")
        && current.get("status").and_then(Json::as_str) != Some("done");
    if !done_now || current.get("next_task_id").is_some_and(|v| !v.is_null()) {
        return Ok(());
    }
    let Some(recurrence) = merged.get("recurrence").and_then(Recurrence::from_json) else { return Ok(()) };
    let Some(due) = merged.get("due_at").and_then(Json::as_str).and_then(parse_datetime) else { return Ok(()) };
    let recurrence = recurrence.anchored(due);
    // The series has ended.
    let Some(next_due) = recurrence.next(due) else { return Ok(()) };
    let mut next: Record = Map::new();
    for f in CARRIED {
        if let Some(v) = merged.get(f).filter(|v| !v.is_null()) {
            next.insert(f.into(), v.clone());
        }
    }
    next.insert("recurrence".into(), recurrence.to_json());
    next.insert("due_at".into(), Json::String(format_datetime(&next_due)));
    // A reminder keeps its distance to the due date.
    if let Some(remind) = merged.get("remind_at").and_then(Json::as_str).and_then(parse_datetime) {
        next.insert("remind_at".into(), Json::String(format_datetime(&(remind + (next_due - due)))));
    }
    let created = create_in(tx, scope, Kind::Task, &next).await?;
    let id = created.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()).expect("a created task has an id");
    c.columns.insert("next_task_id", FieldValue::Uuid(id));
    Ok(())
}
