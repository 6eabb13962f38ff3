# Messages of the records pages.

records-not-found-title = Not found
records-forbidden-title = Not allowed
records-back-home = Back to the start page
records-untitled = (no name)
records-details = Details
records-edit-title = Edit the details
records-edit-field = Edit
records-save-failed = Not saved.
records-choose-none = —

records-new-person = New person
records-new-organization = New organization
records-new-deal = New deal
records-new-task = New task
records-new-activity = New activity
records-linked-to = Linked to { $name }

records-field-email = Email
records-field-phone = Phone
records-field-domain = Domain
records-field-organization = Organization
records-field-stage = Pipeline stage
records-field-amount = Amount
records-field-job-title = Job title
records-search-organizations = Find an organization by name
records-search-organizations-hint = Type part of its name: the matches fill the list below (without script, when you save).
records-organization-none-found = No organization matches “{ $query }”.
records-organization-choose = Several organizations match “{ $query }”: choose one in the list.
records-hint-amount = In the currency's main unit, e.g. 1250.50.
records-hint-domain = The web or email domain, e.g. example.com.

records-error-amount = Enter an amount such as 1250 or 1250.50, with no more decimals than the currency has.
records-error-choose = Choose one of the options.
records-error-date = Enter a date.
records-error-datetime = Enter a date and a time.
records-error-person-name = Enter a name or an email address.

records-dup-title = This may already be in Rapport
records-dup-text = Records that look like the one you are creating. Open the existing record, or create the new one anyway.
records-dup-open = Open { $name }
records-dup-create-anyway = Create anyway
records-dup-same-email = same email { $value }
records-dup-same-phone = same phone { $value }
records-dup-same-domain = same domain { $value }
records-dup-same-email-domain = similar name with the same email domain { $value }
records-dup-same-organization = similar name at the same organization
records-dup-same-name = same name
records-dup-similar-name = similar name

records-done-created = Created.
records-done-saved = Saved.
records-done-logged = Logged.
records-done-scheduled = Follow-up scheduled.
records-done-completed = Task marked done.

records-mark-done = Mark done
records-open-tasks = Open tasks
records-related-none = None yet.
records-see-all = See them all in the list
records-add-deal = Add a deal
records-add-person = Add a person
records-add-task = Add a task
records-stage-history = Stage history
records-stage = Stage
records-entered = Entered
records-left = Left

records-log-title = Log a contact
records-log-call = Log call
records-log-email = Log email
records-log-meeting = Log meeting
records-log-note = Add note
records-log-subject = Subject
records-log-outcome = Call outcome
records-log-when = When
records-log-when-hint = Leave empty for now.
records-log-body = Notes
records-outcome-connected = Connected
records-outcome-left_voicemail = Left voicemail
records-outcome-no_answer = No answer
records-outcome-busy = Busy

records-follow-up-title = Schedule the next follow-up
records-follow-up-what = What to do
records-follow-up-due = Due
records-follow-up-assignee = Assigned to
records-follow-up-next-step = Next step of the deal
records-follow-up-submit = Schedule
records-follow-up-default = Follow up with { $name }

records-timeline = Timeline
records-timeline-empty = Nothing has happened here yet. Log a call, an email, a meeting or a note.
records-timeline-older = Older
records-timeline-newest = Newest
records-tl-change = Change
records-tl-created = { $kind } created
records-tl-updated = { $kind } updated
records-tl-deleted = { $kind } deleted
records-tl-merged = { $kind } merged
records-tl-changed = { $kind } changed
records-tl-due = due { $when }
records-tl-system = Rapport

records-delete-title = Delete { $kind } { $name }?
records-delete-text = This cannot be undone from here. Records linked to it stay, without the link. Its history is kept.
