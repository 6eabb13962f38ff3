# Labels of fields and of their values, used by forms, lists and record pages.
# field-KIND-NAME for a kind's own field, field-NAME for a field many kinds share,
# value-FIELD-VALUE for a choice.

field-id = Id
field-created_at = Created
field-created_by = Created by
field-updated_at = Updated
field-updated_by = Updated by
field-version = Version
field-owner_id = Owner
field-tags = Tags
field-external_id = External id
field-name = Name
field-people = People
field-organizations = Organizations
field-deals = Deals
field-description = Description
field-status = Status
field-custom = Custom fields

field-organization-domains = Domains
field-organization-website = Website
field-organization-industry = Industry
field-organization-size = Size
field-organization-relationship = Relationship
field-organization-parent_id = Parent team
field-organization-addresses = Addresses
field-organization-phones = Phones

field-person-first_name = First name
field-person-last_name = Last name
field-person-emails = Emails
field-person-primary_email = Primary email
field-person-phones = Phones
field-person-primary_phone = Primary phone
field-person-title = Title
field-person-lifecycle_stage = Lifecycle stage
field-person-lead_source = Lead source
field-person-preferred_channel = Preferred channel
field-person-do_not_email = Do not email
field-person-do_not_call = Do not call
field-person-do_not_text = Do not text
field-person-address = Address
field-person-birthday = Birthday

field-deal-organization_id = Organization
field-deal-pipeline_id = Pipeline
field-deal-stage_id = Stage
field-deal-amount_minor = Amount (minor units)
field-deal-currency = Currency
field-deal-expected_close_date = Expected close
field-deal-lost_reason = Lost reason
field-deal-closed_at = Closed
field-deal-stage_entered_at = In stage since
field-deal-next_step = Next step
field-deal-amount = Amount

field-activity-type = Type
field-activity-direction = Direction
field-activity-occurred_at = When
field-activity-duration_seconds = Duration (seconds)
field-activity-subject = Subject
field-activity-body = Body
field-activity-outcome = Outcome

field-task-title = Title
field-task-due_at = Due
field-task-remind_at = Reminder
field-task-assignee_user_id = Assigned to
field-task-assignee_team_id = Assigned team
field-task-priority = Priority
field-task-completed_at = Completed

field-user-email = Email
field-user-role = Role
field-user-active = Active
field-user-time_zone = Time zone
field-user-locale = Locale
field-user-away = Away

field-team-parent_id = Parent team
field-team-members = Members

field-consent-person_id = Person
field-consent-purpose = Purpose
field-consent-method = Method
field-consent-recorded_at = Recorded at
field-consent-evidence = Evidence

value-direction-inbound = Inbound
value-direction-outbound = Outbound
value-method-web_form = Web form
value-method-email = Email
value-method-phone = Phone
value-method-in_person = In person
value-method-paper = Paper
value-method-import = Import
value-method-other = Other
value-preferred_channel-email = Email
value-preferred_channel-phone = Phone
value-preferred_channel-sms = SMS
value-preferred_channel-chat = Chat
value-preferred_channel-mail = Mail
value-preferred_channel-in_person = In person
value-priority-low = Low
value-priority-normal = Normal
value-priority-high = High
value-priority-urgent = Urgent
value-relationship-customer = Customer
value-relationship-prospect = Prospect
value-relationship-vendor = Vendor
value-relationship-supplier = Supplier
value-relationship-partner = Partner
value-relationship-other = Other
value-role-admin = Admin
value-role-manager = Manager
value-role-member = Member
value-role-read_only = Read only
value-role-portal = Portal
value-status-open = Open
value-status-in_progress = In progress
value-status-done = Done
value-status-cancelled = Cancelled
value-status-won = Won
value-status-lost = Lost
value-status-granted = Granted
value-status-withdrawn = Withdrawn
value-type-note = Note
value-type-call = Call
value-type-email = Email
value-type-meeting = Meeting
value-type-visit = Visit
value-type-sms = SMS
value-type-chat = Chat
value-lifecycle_stage-subscriber = Subscriber
value-lifecycle_stage-lead = Lead
value-lifecycle_stage-qualified_lead = Qualified lead
value-lifecycle_stage-opportunity = Opportunity
value-lifecycle_stage-customer = Customer
value-lifecycle_stage-evangelist = Evangelist
value-lifecycle_stage-former_customer = Former customer
field-object-name = Name
field-object-owner_id = Owner
field-object-stage_id = Stage
field-object-status = Status
field-object-tags = Tags
field-object-type = Kind
field-object-pipeline_id = Pipeline
field-object-closed_at = Closed
field-object-stage_entered_at = In stage since
field-object-created_at = Created
field-object-updated_at = Last changed

# Custom fields on record pages and forms.
fields-rating-value = { $value } / { $max }
fields-percent-value = { $value }%
fields-money-hint = An amount such as 1250.50, in { $currency } unless followed by another currency code (1250.50 USD).
