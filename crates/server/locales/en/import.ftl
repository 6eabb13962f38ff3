# Messages of the import pages.

import-title = Import a file
import-steps = Import steps
import-step-upload = Upload
import-step-mapping = Columns
import-step-preview = Preview
import-step-run = Import
import-upload-heading = Choose a file
import-upload-help = CSV (any delimiter, any common encoding), vCard or JSON. Nothing is written before you have seen a preview.
import-kind-label = What the rows are
import-file-label = File
import-file-help = .csv, .vcf or .json, up to 1 GiB.
import-upload-submit = Upload and continue
import-uploading = Uploading…
import-working = Working…
import-jobs-heading = Latest imports
import-jobs-none = No imports yet.
import-preview-badge = Preview
import-kind-workspace = Whole workspace
import-kind-custom = Your own record kinds

import-forbidden-title = Not allowed
import-forbidden-text = Your role may not create these records, so it may not import them either.
import-back-home = Back to the start page
import-gone-title = Not found
import-gone-text = This file or import is not there any more, or it is not yours. Upload the file again.
import-start-again = Start again
import-io-title = The file could not be kept
import-io-text = Something went wrong on our side while storing the file; it was logged. Try again in a moment.
import-error-form = The file could not be received. Choose it again and send the form.
import-error-empty = The file is empty.
import-error-kind = Choose what the rows are: people, organizations, deals, activities or one of your own record kinds.
import-error-no-file = Choose a file to import.
import-error-unreadable = The file could not be read: { $detail }
import-error-saved = There is no saved mapping named “{ $name }” for these records.
import-error-nothing-mapped = Choose a field for at least one column.

import-mapping-title = Match the columns
import-mapping-file = { $file }, as { $kind }
import-mapping-help = Each column of the file fills the field chosen next to it; the suggestions come from the column names. Columns left on “Ignore” are not imported.
import-saved-label = Saved mapping
import-saved-use = Use it
import-column-number = column { $number }
import-ignore = Ignore this column
import-suggested = Suggested
import-samples = For example:
import-no-samples = No values in the first rows.
import-save-mapping = Save this mapping as
import-save-mapping-help = Optional: a name to use the same columns next time.
import-preview-submit = Preview the import
import-part-street = street
import-part-city = city
import-part-region = region
import-part-postal_code = postal code
import-part-country = country
import-target-full_name = Full name (split into first and last)
import-target-organization = Organization (by name)
import-target-owner = Owner (by email)
import-target-amount = Amount
import-target-pipeline = Pipeline (by name)
import-target-stage = Stage (by name)
import-target-person = Person (by email)
import-target-deal = Deal (by name)

import-preview-title = Preview
import-result-title = Import
import-status-queued = Waiting
import-status-running = Running
import-status-done = Done
import-status-failed = Failed
import-progress = { $count ->
    [one] { $count } row read so far…
   *[other] { $count } rows read so far…
}
import-refresh = Refresh
import-count-rows = rows
import-count-created = created
import-count-updated = updated
import-count-would-create = to create
import-count-would-update = to update
import-count-skipped = skipped
import-count-failed = with errors
import-orgs-created = { $count ->
    [one] { $count } organization created for the rows that named it.
   *[other] { $count } organizations created for the rows that named them.
}
import-job-failed = The import stopped:
import-dry-run-note = This is what the import would do. Nothing has been written yet.
import-nothing-written = { $count ->
    [one] Nothing was imported: all or nothing was chosen, and { $count } row has an error. Fix it and import again.
   *[other] Nothing was imported: all or nothing was chosen, and { $count } rows have errors. Fix them and import again.
}
import-done = The import is done.
import-see-records = See the { $kinds }
import-rejects = Download the rejected rows
import-rejects-help = The rows that were not imported, with the reason in a last column: fix them and import that file.
import-run-heading = Run the import
import-mode-legend = If some rows have errors
import-mode-partial = Import the good rows
import-mode-partial-help = Rows with errors are left out; you can download them to fix them.
import-mode-all = All or nothing
import-mode-all-help = If any row has an error, nothing is imported.
import-run-submit = Import now
import-change-mapping = Change the columns
import-upload-gone = The uploaded file is no longer available.
import-errors-heading = Errors
import-row = Row
import-column = Column
import-column-named = { $number }: { $name }
import-problem = Problem
import-more-errors = More rows have errors than shown here; the rejected rows file has them all.
import-rows-would = What each row would do
import-rows-did = What each row did
import-action = Action
import-record = Record
import-action-created = Create
import-action-updated = Update
import-action-skipped = Skip
import-action-failed = Error
import-matched-by = matched by { $key }
import-more-rows = Only the first rows are shown.
import-another = Import another file

demo-loaded = The demo company is loaded: a sales team, organizations, people, deals, activities and tasks, all made up. Look around!
demo-forbidden-title = Not allowed
demo-forbidden-text = Only an administrator can load the demo company.
demo-has-people-title = The workspace already has people
demo-has-people-text = The demo company is only loaded into an empty workspace, so that made-up records never mix with real ones.
demo-failed-title = The demo company could not be loaded
demo-failed-text = Something went wrong on our side; it was logged.
