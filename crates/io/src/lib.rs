//! Bringing data in and out of Rapport.
//!
//! - [`source`] reads import files row by row: CSV (any common delimiter,
//!   quoted newlines), vCard 3.0 and 4.0, JSON arrays and JSON Lines, in
//!   UTF-8, UTF-16 or Windows-1252 ([`decode`]).
//! - [`mapping`] says which field each column fills, and suggests it from the
//!   header row; [`convert`] turns a row into a record through it.
//! - [`import`] matches rows with existing records and writes them in batches,
//!   with dry runs, all-or-nothing imports and reject files; [`problem`] says
//!   what is wrong with a row, with a code for the web interface's catalogs.
//! - [`kinds`] names what a file's rows are: a built-in kind or a custom
//!   record kind's records.
//! - [`export`] writes any list as CSV, vCard, JSON or JSON Lines, a page at a
//!   time; [`workspace`] writes and reads back a whole workspace.

pub mod convert;
pub mod decode;
pub mod export;
pub mod import;
pub mod kinds;
pub mod mapping;
pub mod problem;
pub mod source;
pub mod vcard;
pub mod workspace;

pub use export::{ExportFormat, ExportStream};
pub use import::{Counts, ImportError, Mode, Observer, Options, RowError, RowReport, Summary};
pub use kinds::RowKind;
pub use mapping::{Mapping, Target};
pub use problem::Problem;
pub use source::{Format, RowReader};
