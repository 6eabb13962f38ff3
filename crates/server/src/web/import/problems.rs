//! A job's row errors as the import page shows them: each worded from the
//! catalog by its code (see `rapport_io::problem`), in the English the job
//! kept when it has no code (jobs from before codes) or the catalog lacks it.

use rapport_domain::Kind;
use rapport_domain::custom::CustomField;
use rapport_io::import::RowError;
use rapport_io::mapping;
use rapport_io::problem::Code;
use rapport_store::imports::ImportJob;
use serde_json::Value as Json;

use super::super::custom;
use super::super::frame::Ui;
use super::super::i18n::Refusal;
use super::view::target_label;

pub struct ErrorLine {
    pub row: u64,
    pub column: String,
    pub message: String,
}

/// The first `shown` errors of a job; `defs` are the custom fields of its rows' kind.
pub fn error_lines(ui: &Ui, job: &ImportJob, defs: &[CustomField], shown: usize) -> Vec<ErrorLine> {
    // A workspace's lines are of every kind: their fields are named as any kind's.
    let kind = mapping::parse_kind(&job.kind).unwrap_or(Kind::Object);
    let errors = job.errors.as_array().map(Vec::as_slice).unwrap_or_default();
    errors
        .iter()
        .take(shown)
        .map(|e| serde_json::from_value::<RowError>(e.clone()).unwrap_or_default())
        .map(|e| line(ui, kind, defs, &e))
        .collect()
}

/// Whether the first `shown` errors of a job name a custom field, whose label the page then needs.
pub fn names_custom_field(job: &ImportJob, shown: usize) -> bool {
    let errors = job.errors.as_array().map(Vec::as_slice).unwrap_or_default();
    errors.iter().take(shown).any(|e| e.get("field").and_then(Json::as_str).is_some_and(|f| f.starts_with("custom.")))
}

fn line(ui: &Ui, kind: Kind, defs: &[CustomField], e: &RowError) -> ErrorLine {
    let column = match (&e.column, e.column_number) {
        (Some(name), Some(n)) => ui.t2("import-column-named", "number", &n.to_string(), "name", name),
        (Some(name), None) => name.clone(),
        _ => String::new(),
    };
    ErrorLine { row: e.row, column, message: message(ui, kind, defs, e) }
}

fn message(ui: &Ui, kind: Kind, defs: &[CustomField], e: &RowError) -> String {
    let field = e.field.as_deref().unwrap_or_default();
    let parts =
        |code| Refusal { code, field, args: e.args.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect(), message: &e.message };
    match e.code() {
        // As the record forms word them, after the field's label.
        Code::Validation(code) if !field.is_empty() => {
            let label = target_label(ui, kind, field.split('[').next().unwrap_or(field), defs);
            ui.catalog.for_field(&label, &custom::refused(ui, defs, &parts(code)))
        }
        Code::Validation(code) => ui.catalog.refused(&parts(code)),
        Code::Conflict(code) => ui.catalog.conflicting(&parts(code)),
        Code::Import(code) => ui.catalog.import_error(&parts(code)),
        Code::None => e.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use rapport_domain::custom::CustomType;
    use serde_json::json;

    use super::*;
    use crate::web::frame::test_ui;

    fn worded(kind: Kind, defs: &[CustomField], e: Json) -> String {
        message(&test_ui("UTC"), kind, defs, &serde_json::from_value(e).unwrap())
    }

    #[test]
    fn row_errors_are_worded_by_their_code() {
        let e = json!({"row": 2, "code": "not_a_date", "args": [["value", "someday"]], "message": "'someday' is not a date"});
        assert_eq!(worded(Kind::Deal, &[], e), "“someday” is not a date. Write dates like 2025-01-31.");
        let e = json!({"row": 2, "field": "name", "code": "validation.required", "message": "name: is required"});
        assert_eq!(worded(Kind::Deal, &[], e), "Name: This field is required.");
        let e = json!({"row": 2, "field": "next_step", "code": "validation.too_long", "args": [["max", "500"]], "message": "x"});
        assert_eq!(worded(Kind::Deal, &[], e), "Next step: Use at most 500 characters.");
        // A custom field by its label, and what it expects.
        let floors = CustomField { key: "floors".into(), label: "Floors".into(), ty: CustomType::Number, ..Default::default() };
        let e = json!({"row": 2, "field": "custom.floors", "code": "validation.invalid", "message": "expected a number"});
        assert_eq!(worded(Kind::Object, &[floors], e), "Floors: Enter a number.");
        let e = json!({"row": 2, "code": "conflict.changed-during-import", "message": "the record changed"});
        assert_eq!(worded(Kind::Person, &[], e), "A record changed during the import. Run the import again.");
    }

    #[test]
    fn errors_without_a_known_code_keep_their_english() {
        let old = json!({"row": 2, "column": "E-mail", "column_number": 3, "message": "'x' is not an email address"});
        assert_eq!(worded(Kind::Person, &[], old), "'x' is not an email address");
        let unknown = json!({"row": 2, "code": "no_such_code", "message": "something else"});
        assert_eq!(worded(Kind::Person, &[], unknown), "something else");
    }
}
