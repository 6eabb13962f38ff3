# Messages of the lists pages.

lists-new = New
lists-import = Import a file
lists-unnamed = (no name)
lists-error-intro = Some of the filters in the address could not be used:
lists-error-param = { $param }: { $message }
lists-error-limit = Give a whole number of rows from 1 to 200.
lists-search-label = Search this list
lists-search-placeholder = Search this list…
lists-apply = Apply
lists-filters = Filters
lists-more-filters = Also filtered by:
lists-remove = Remove
lists-clear = Clear filters
lists-any = Any
lists-anyone = Anyone
lists-me = Me
lists-due-overdue = Overdue
lists-due-today = Due today
lists-due-week = Due this week
lists-op-eq = is
lists-op-ne = is not
lists-op-lt = before or below
lists-op-lte = at most
lists-op-gt = after or above
lists-op-gte = at least
lists-op-contains = contains
lists-op-in = is one of
lists-op-is_null = is empty
lists-views = Saved views
lists-views-none = No saved views yet.
lists-view-shared = Shared
lists-view-private = Private
lists-view-delete = Delete view
lists-view-save = Save this view
lists-view-name = View name
lists-view-share = Share with the whole workspace
lists-view-save-button = Save view
lists-view-invalid = The view was not saved
lists-columns = Columns
lists-columns-legend = Columns to show
lists-columns-apply = Show these columns
lists-empty = Nothing here yet.
lists-empty-person = People are the contacts you talk to. Add the first one, or bring them all in from a spreadsheet or a vCard file; every call, email and meeting you log gathers on their page.
lists-empty-organization = Organizations are the companies you work with. Add one, or import a file; its people, deals and history come together on one page.
lists-empty-deal = A deal follows a sale from the first talk to won or lost. Add one, then move it along the pipeline board as it progresses.
lists-empty-task = Tasks are what to do next, and when. Add one here, or schedule a follow-up from a person's page after a call.
lists-empty-activity = Calls, emails, meetings and notes show here once logged. Log one from a person's, organization's or deal's page.
lists-empty-filtered = Nothing matches these filters.
lists-bulk-legend = With the selected rows
lists-selected = { $count } selected
lists-bulk-to = Assign to
lists-bulk-assign = Assign
lists-bulk-tag-label = Tag
lists-bulk-tag = Add tag
lists-bulk-stage-label = Stage
lists-bulk-stage = Move
lists-bulk-done = Mark done
lists-bulk-format = Format
lists-bulk-export = Export selected
lists-bulk-delete = Delete…
lists-select-all = Select all on this page
lists-select-row = Select { $name }
lists-paging = Pages
lists-export-all = Export this whole list:
lists-format-csv = CSV
lists-format-json = JSON
lists-format-vcard = vCard
lists-export-failed = The export could not start
lists-export-format = Choose CSV, JSON, or vCard for people and organizations.
lists-delete-title = { $count ->
    [one] Delete { $count } record?
   *[other] Delete { $count } records?
}
lists-delete-text = These records and their links will be deleted. Their history is kept. This cannot be undone.
lists-bulk-title = Bulk change
lists-bulk-changed = { $count ->
    [one] { $count } record changed.
   *[other] { $count } records changed.
}
lists-bulk-deleted = { $count ->
    [one] { $count } record deleted.
   *[other] { $count } records deleted.
}
lists-bulk-failed = { $count ->
    [one] { $count } record was not changed:
   *[other] { $count } records were not changed:
}
lists-fail-stale = someone changed it meanwhile; look at it again.
lists-bulk-none-title = Nothing selected
lists-bulk-none = Tick the rows to change first, or "Select all on this page".
lists-bulk-invalid = The change could not be made
lists-bulk-pick-user = Choose the person to assign the records to.
lists-bulk-need-tag = Type the tag to add.
lists-bulk-pick-stage = Choose a stage.
lists-bulk-unknown = This change does not apply to these records.
lists-bulk-read-only = Your role lets you read records but not change them.
lists-back = Back to the list
lists-back-to-list = Back to the list
lists-overdue = Overdue
lists-view-share-now = Share
lists-view-unshare = Make private
lists-view-update = Save the current list into it
