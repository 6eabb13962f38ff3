//! Domain values to SQL values. Nulls are typed, because PostgreSQL refuses
//! a text NULL for a uuid or timestamp column.

use chrono::{DateTime, Utc};
use rapport_domain::FieldValue;
use rapport_domain::schema::FieldType;
use sea_query::Value;
use uuid::Uuid;

use crate::db::Col;

/// The decoding type of a schema field's column.
pub fn col_of(ty: FieldType) -> Col {
    match ty {
        FieldType::Text { .. } | FieldType::LongText | FieldType::Enum(_) | FieldType::Currency => Col::Text,
        FieldType::Int { .. } => Col::Int,
        FieldType::Bool => Col::Bool,
        FieldType::Date => Col::Date,
        FieldType::DateTime => Col::DateTime,
        FieldType::Ref(_) | FieldType::Pipeline | FieldType::Stage => Col::Uuid,
        FieldType::Emails
        | FieldType::Phones
        | FieldType::Address
        | FieldType::Addresses
        | FieldType::Strings { .. }
        | FieldType::Recurrence => Col::Json,
        FieldType::Links { .. } => unreachable!("links have no column"),
    }
}

pub fn null_of(col: Col) -> Value {
    match col {
        Col::Uuid => Value::Uuid(None),
        Col::Text => Value::String(None),
        Col::Int => Value::BigInt(None),
        Col::Bool => Value::Bool(None),
        Col::Date => Value::ChronoDate(None),
        Col::DateTime => Value::ChronoDateTimeUtc(None),
        Col::Json => Value::Json(None),
    }
}

pub fn to_sql(v: &FieldValue, col: Col) -> Value {
    match v {
        FieldValue::Null => null_of(col),
        FieldValue::Text(s) => s.clone().into(),
        FieldValue::Int(i) => (*i).into(),
        FieldValue::Bool(b) => (*b).into(),
        FieldValue::Date(d) => (*d).into(),
        FieldValue::DateTime(t) => (*t).into(),
        FieldValue::Uuid(u) => (*u).into(),
        FieldValue::Json(j) => j.clone().into(),
    }
}

pub fn uuid(u: Uuid) -> Value {
    u.into()
}
pub fn opt_uuid(u: Option<Uuid>) -> Value {
    Value::Uuid(u)
}
pub fn time(t: DateTime<Utc>) -> Value {
    t.into()
}
