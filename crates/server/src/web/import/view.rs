//! What the import pages show, made from the jobs the store keeps.

use rapport_domain::Kind;
use rapport_domain::custom::CustomField;
use rapport_io::mapping;
use rapport_store::imports::ImportJob;
use serde_json::Value as Json;

use super::super::frame::{Ui, urlencode};
use super::problems::{self, ErrorLine};

/// Rows of a preview or result shown on the page (the job keeps up to 1,000).
const SHOWN_ROWS: usize = 200;
/// Errors shown on the page; the reject file has them all.
pub const SHOWN_ERRORS: usize = 500;

/// A choice of a `<select>`.
pub struct Option2 {
    pub value: String,
    pub label: String,
}

/// One column of the file on the mapping page.
pub struct ColumnLine {
    pub n: usize,
    /// `column 3`
    pub number: String,
    pub name: String,
    pub samples: Vec<String>,
    pub selected: String,
    /// The field selected is the engine's suggestion.
    pub is_suggested: bool,
}

/// An import in the list of the latest ones.
pub struct JobLine {
    pub id: String,
    pub when: String,
    pub what: String,
    pub file_name: String,
    pub status: String,
    pub dry_run: bool,
}

pub struct RowLine {
    pub row: u64,
    pub action: String,
    pub action_label: String,
    pub label: String,
    pub href: String,
    pub matched: String,
}

pub struct JobView {
    pub id: String,
    pub what: String,
    pub file_name: String,
    pub status: String,
    pub status_label: String,
    pub dry_run: bool,
    pub all_or_nothing: bool,
    pub active: bool,
    pub done: bool,
    pub failed_job: bool,
    /// Done, really written, and something was kept.
    pub nothing_written: bool,
    pub rows: i64,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub failed: i64,
    pub organizations_created: i64,
    pub lines: Vec<RowLine>,
    pub more_lines: bool,
    pub errors: Vec<ErrorLine>,
    pub more_errors: bool,
    pub message: String,
    pub has_rejects: bool,
    /// The upload to run the previewed import on.
    pub upload: Option<String>,
    pub mapping: String,
    pub list_href: String,
    pub progress: String,
    pub orgs_text: String,
    pub nothing_text: String,
}

fn count(c: &Json, k: &str) -> i64 {
    c.get(k).and_then(Json::as_i64).unwrap_or(0)
}

/// What a job's rows are, as people call them, and the path of their list
/// (each record's page is under it), if they have one. `custom` names the
/// workspace's own kinds: key, plural label.
fn what(ui: &Ui, job: &ImportJob, custom: &[(String, String)]) -> (Option<String>, String) {
    if let Some(k) = mapping::parse_kind(&job.kind) {
        return (Some(format!("/{}", k.collection())), ui.kinds(k));
    }
    if job.kind == "workspace" {
        return (None, ui.t("import-kind-workspace"));
    }
    match custom.iter().find(|(key, _)| *key == job.kind) {
        Some((key, plural)) => (Some(format!("/objects/{}", urlencode(key))), plural.clone()),
        // A kind deleted since: its key.
        None => (None, job.kind.clone()),
    }
}

pub fn status_label(ui: &Ui, status: &str) -> String {
    match status {
        "queued" => ui.t("import-status-queued"),
        "running" => ui.t("import-status-running"),
        "done" => ui.t("import-status-done"),
        _ => ui.t("import-status-failed"),
    }
}

pub fn job_line(ui: &Ui, job: &ImportJob, custom: &[(String, String)]) -> JobLine {
    JobLine {
        id: job.id.to_string(),
        when: ui.when(&Json::String(job.created_at.clone())),
        what: what(ui, job, custom).1,
        file_name: job.file_name.clone().unwrap_or_default(),
        status: status_label(ui, &job.status),
        dry_run: job.dry_run,
    }
}

fn action_label(ui: &Ui, action: &str) -> String {
    match action {
        "created" => ui.t("import-action-created"),
        "updated" => ui.t("import-action-updated"),
        "skipped" => ui.t("import-action-skipped"),
        _ => ui.t("import-action-failed"),
    }
}

/// `defs`: the custom fields of the job's rows, which its errors may name.
pub fn job_view(ui: &Ui, job: &ImportJob, upload: Option<String>, custom: &[(String, String)], defs: &[CustomField]) -> JobView {
    let (list, what) = what(ui, job, custom);
    let c = &job.counts;
    let report = job.report.as_array().cloned().unwrap_or_default();
    let lines: Vec<RowLine> = report
        .iter()
        .take(SHOWN_ROWS)
        .map(|r| {
            let s = |k: &str| r.get(k).and_then(Json::as_str).unwrap_or_default().to_string();
            let action = s("action");
            let id = s("id");
            let href = match &list {
                Some(list) if !id.is_empty() && !job.dry_run && action != "failed" => format!("{list}/{id}"),
                _ => String::new(),
            };
            let matched = match s("matched_by").as_str() {
                "" => String::new(),
                m => ui.t1("import-matched-by", "key", m),
            };
            RowLine {
                row: r.get("row").and_then(Json::as_u64).unwrap_or(0),
                action_label: action_label(ui, &action),
                action,
                label: s("label"),
                href,
                matched,
            }
        })
        .collect();
    let all_errors = job.errors.as_array().map_or(0, Vec::len);
    let errors = problems::error_lines(ui, job, defs, SHOWN_ERRORS);
    let all_or_nothing = job.mode == "all_or_nothing";
    let failed = count(c, "failed");
    let done = job.status == "done";
    JobView {
        id: job.id.to_string(),
        what,
        file_name: job.file_name.clone().unwrap_or_default(),
        status: job.status.clone(),
        status_label: status_label(ui, &job.status),
        dry_run: job.dry_run,
        all_or_nothing,
        active: matches!(job.status.as_str(), "queued" | "running"),
        done,
        failed_job: job.status == "failed",
        nothing_written: done && !job.dry_run && all_or_nothing && failed > 0,
        rows: count(c, "rows"),
        created: count(c, "created"),
        updated: count(c, "updated"),
        skipped: count(c, "skipped"),
        failed,
        organizations_created: count(c, "organizations_created"),
        more_lines: report.len() > SHOWN_ROWS || (report.len() as i64) < count(c, "rows"),
        lines,
        more_errors: all_errors > SHOWN_ERRORS || (all_errors as i64) < failed,
        errors,
        message: job.message.clone().unwrap_or_default(),
        has_rejects: job.has_rejects,
        upload,
        mapping: job.mapping.to_string(),
        progress: ui.tn("import-progress", "count", count(c, "rows")),
        orgs_text: ui.tn("import-orgs-created", "count", count(c, "organizations_created")),
        nothing_text: ui.tn("import-nothing-written", "count", failed),
        list_href: list.unwrap_or_else(|| "/".into()),
    }
}

/// A target of the mapping as people read it: the field's label, an address
/// part under its address, a custom field's label.
pub fn target_label(ui: &Ui, kind: Kind, target: &str, custom: &[CustomField]) -> String {
    if let Some(key) = target.strip_prefix("custom.") {
        return custom.iter().find(|c| c.key == key).map(|c| c.label.clone()).unwrap_or_else(|| key.to_string());
    }
    if let Some((base, part)) = target.split_once('.') {
        let part_key = format!("import-part-{part}");
        let part = if ui.catalog.has(&part_key) { ui.t(&part_key) } else { super::super::frame::humanize(part) };
        return format!("{} · {part}", ui.field(kind, base));
    }
    let special = format!("import-target-{target}");
    if ui.catalog.has(&special) { ui.t(&special) } else { ui.field(kind, target) }
}
