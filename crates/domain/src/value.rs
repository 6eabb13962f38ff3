use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value as Json;
use uuid::Uuid;

/// A validated value ready to be written to one column; the store maps it to SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Uuid(Uuid),
    Json(Json),
}

/// Timestamps are kept to the microsecond, the precision both databases store,
/// so that a value read back compares equal to the one written.
pub fn now() -> DateTime<Utc> {
    truncate_micros(Utc::now())
}

pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(t)
}

/// A new record id: UUID v7, so ids sort by creation time (keyset paging relies on it).
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// RFC 3339 with microseconds and `Z`, the one format the API writes.
pub fn format_datetime(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
