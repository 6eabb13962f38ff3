//! Rapport's domain rules: record kinds and their fields, validation and
//! normalization of input, money, phone numbers, filter expressions and
//! change diffs. Pure: no I/O, no database, no HTTP.

pub mod access;
pub mod contact;
pub mod custom;
pub mod dedupe;
pub mod error;
pub mod events;
pub mod filter;
pub mod kind;
pub mod money;
pub mod recurrence;
pub mod schema;
pub mod search;
pub mod validate;
pub mod value;
pub mod workflow;

pub use error::{FieldError, ValidationErrors};
pub use kind::Kind;
pub use value::FieldValue;
