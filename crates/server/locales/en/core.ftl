# Messages shared by every page: the frame, navigation, buttons, empty states.

app-name = Rapport
skip-to-content = Skip to content
nav-main = Main
nav-home = Home
nav-people = People
nav-organizations = Organizations
nav-deals = Deals
nav-board = Pipeline
nav-tasks = Tasks
nav-activities = Activities
nav-calendar = Calendar
nav-search = Search
nav-settings = Settings
nav-account = Your account
nav-sign-out = Sign out
nav-menu = Menu
search-placeholder = Search people, organizations, deals…
search-label = Search everything
search-shortcut = Press / or Ctrl+K to search from anywhere.

action-save = Save
action-cancel = Cancel
action-create = Create
action-delete = Delete
action-edit = Edit
action-apply = Apply
action-clear = Clear
action-confirm-delete = Yes, delete
action-back = Back
action-more = Show more
action-next-page = Next page
action-first-page = First page

count-records = { $count ->
    [one] { $count } record
   *[other] { $count } records
}

never = never
none = —
yes = Yes
no = No
saved = Saved.
deleted = Deleted.

error-title = Something went wrong
error-stale = Someone else changed this record while you were editing it. Your changes were not saved; the page now shows the latest version.
error-not-found = There is nothing here, or you may not see it.
error-forbidden = You may not do this.
error-form = Please correct the fields marked below.

kind-organization = Organization
kind-person = Person
kind-deal = Deal
kind-activity = Activity
kind-task = Task
kind-user = User
kind-team = Team
kind-consent = Consent
kind-object = Custom record
kinds-organization = Organizations
kinds-person = People
kinds-deal = Deals
kinds-activity = Activities
kinds-task = Tasks
kinds-user = Users
kinds-team = Teams
kinds-consent = Consents
kinds-object = Custom records
