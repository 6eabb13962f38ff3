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

## Why a row could not be imported: one message per code of the import's own
## problems (`import-error-<code>`, `_` written `-`; see rapport_io::problem).
## Values the rows refused for a field or for other records are worded by
## validation.ftl and conflict.ftl.

import-error-not-a-whole-number = “{ $value }” is not a whole number. Write digits only, such as 12.
import-error-not-a-duration = “{ $value }” is not a duration. Write minutes and seconds, such as 1:30, or a number of seconds, such as 90.
import-error-not-yes-or-no = “{ $value }” is not yes or no. Write yes or no.
import-error-not-a-date = “{ $value }” is not a date. Write dates like 2025-01-31.
import-error-not-a-date-time = “{ $value }” is not a date and time. Write them like 2025-01-31 14:30.
import-error-not-an-option = “{ $value }” is not one of the choices. Write one of: { $options }.
import-error-not-a-number = “{ $value }” is not a number. Write a number, such as 12 or 12.5.
import-error-not-an-amount = “{ $value }” is not an amount. Write an amount, such as 1250 or 1250.50.
import-error-too-many-decimals = { $places ->
    [0] “{ $value }” has decimals, but amounts in { $currency } have none.
    [one] “{ $value }” has too many decimals: amounts in { $currency } have { $places } decimal place.
   *[other] “{ $value }” has too many decimals: amounts in { $currency } have { $places } decimal places.
}
import-error-amount-too-large = The amount “{ $value }” is too large.

import-error-not-visible = This row matches a record you are not allowed to see, so it was not imported.
import-error-forbidden = Your role does not allow this change, so the row was not imported.
import-error-changed-during-import = A record changed during the import. Run the import again.
import-error-organization-not-created = There is no organization named “{ $name }”, and none could be created with this name. Check the name.
import-error-person-not-found = No person has the email address or external id “{ $key }”. Import that person first, or correct the value.
import-error-deal-not-found = No deal has the name or external id “{ $key }”. Import that deal first, or correct the value.
import-error-user-not-found = No user of this workspace has the email address “{ $email }”. Use the address a user signs in with.
import-error-pipeline-not-found = There is no pipeline named “{ $name }”. The pipelines are: { $pipelines }.
import-error-stage-not-found = The pipeline “{ $pipeline }” has no stage named “{ $name }”. Its stages are: { $stages }.
import-error-no-status = These records have no status, so they have no stage: leave the pipeline and stage columns out.
import-error-no-pipeline = The workspace has no pipeline yet. Create one in the settings, then import again.

import-error-unreadable-row = This row could not be read. A value that holds the delimiter, a quote or a line break must be in double quotes.
import-error-unreadable-file = The rest of the file could not be read. Check that the file is complete and upload it again.
import-error-not-a-json-object = This item is not a JSON object: each item must be an object of field names and values.
import-error-json-array-not-closed = The file ends before its JSON array is closed with ]: it may be cut short.
import-error-json-items-not-separated = A comma is missing before this item: the items of a JSON array are separated by commas.
import-error-malformed-json = This item is not valid JSON. Look near line { $line }, character { $column } of it.
import-error-vcard-not-ended = This card has no END:VCARD line: the file may be cut short.
import-error-unreadable-vcard = This card could not be read as a vCard.

import-error-not-in-export = The record this points to ({ $id }) is not in the file, so it was left out.
import-error-link-not-in-export = A linked record ({ $id }) is not in the file, so that link was left out.
import-error-parent-not-in-export = The parent organization is not in the file, so it was left out.
