# Messages of the automation settings: workflows, assignment rules, webhooks.

automation-title = Automation
automation-intro = Workflows that act on records for you, rules that give new records an owner, and webhooks that tell other systems what changed.
automation-tabs-label = Automation sections
automation-workflows = Workflows
automation-workflows-intro = A workflow waits for something to happen to a record, checks its conditions, then runs its actions. Every run is logged.
automation-workflows-none = No workflows yet.
automation-workflow-new = New workflow
automation-active = Active
automation-inactive = Inactive
automation-runs = Run log
automation-runs-of = Runs of “{ $name }”
automation-runs-none = No runs yet.
automation-run-record = The record
automation-edit = Edit the workflow
automation-back = Back to automation
automation-delete = Delete
automation-cancel = Cancel
automation-delete-title = Delete “{ $name }”?
automation-delete-text = The workflow and its run log are removed. Records it already changed stay as they are.
automation-save = Save
automation-choose = Choose…
automation-form-problems = Some parts need fixing; see the messages below.
automation-name = Name
automation-trigger = When
automation-trigger-type = What happens
automation-kind = To which kind of record
automation-kind-help = Custom record kinds are listed after the built-in ones. Not used for “a deal enters a stage” and “a task is overdue”.
automation-trigger-field = Field
automation-trigger-field-example = lifecycle_stage, or a date field such as close_date
automation-trigger-to = Changed to (leave empty for any value)
automation-trigger-stage = Stage
automation-trigger-days = Days
automation-trigger-days-help = For “a date is reached”: days after the date (negative: before). For “no activity”: days without activity.
automation-conditions = Only if (conditions)
automation-conditions-help = One condition per line, written field[operator]=value, as in list filters. For example: lead_source[in]=web,event or amount_minor[gte]=100000. Leave empty to act on every record.
automation-actions = Then (actions)
automation-actions-help = Choose up to five actions. The text is the tag, the task or notification title, the new value of a field, or the webhook URL. “Who” names the rule or user to assign, the task’s assignee, or who to notify.
automation-action = Action
automation-action-type = Do
automation-action-none = Nothing
automation-action-text = Text, title, value or URL
automation-action-field = Field to update
automation-action-days = Task due in (days)
automation-action-to = Who
automation-to-owner = The record’s owner
automation-to-user = User: { $name }
automation-to-team = Team: { $name }
automation-to-rule = Assignment rule: { $name }
automation-days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}
automation-offset-days = { $count ->
    [one] { $count } day offset
   *[other] { $count } days offset
}

automation-trigger-kind-record-created = A record is created
automation-trigger-kind-record-updated = A record is changed
automation-trigger-kind-field-changed = A field changes
automation-trigger-kind-deal-stage-entered = A deal enters a stage
automation-trigger-kind-stage-entered = A record enters a stage (deals and custom kinds with a status)
automation-trigger-kind-date-reached = A date is reached
automation-trigger-kind-no-activity = No activity for some days
automation-trigger-kind-task-overdue = A task is overdue

automation-trigger-record-created = When { $kind } are created
automation-trigger-record-updated = When { $kind } are changed
automation-trigger-field-changed = When the field { $field } of { $kind } changes
automation-trigger-deal-stage-entered = When a deal enters a stage
automation-trigger-stage-entered = When { $kind } enter a stage
automation-trigger-date-reached = When the date { $field } of { $kind } is reached
automation-trigger-no-activity = When { $kind } have no activity
automation-trigger-task-overdue = When a task is overdue

automation-action-assign = Assign (by a rule or to a user)
automation-action-create-task = Create a task
automation-action-update-field = Update a field
automation-action-add-tag = Add a tag
automation-action-remove-tag = Remove a tag
automation-action-notify = Notify
automation-action-webhook = Call a webhook

automation-outcome-ok = Done
automation-outcome-skipped = Skipped (conditions not met)
automation-outcome-error = Failed

automation-rules = Assignment rules
automation-rules-intro = When a record is created without an owner, the rules of its kind are tried from the top; the first whose conditions hold picks the owner.
automation-rules-none = No assignment rules yet.
automation-rules-back = Back to the rules
automation-rule-new = New rule
automation-rule-user = User (for “a user”)
automation-rule-team = Team (for round-robin and by load)
automation-rule-delete-text = New records will no longer be assigned by this rule. Records it already assigned keep their owner.
automation-method = Give it to
automation-method-user = A user
automation-method-round-robin = The team’s members in turn
automation-method-load = The team member with the fewest open items
automation-move-up = Up
automation-move-down = Down
automation-move-up-label = Move “{ $name }” up
automation-move-down-label = Move “{ $name }” down
automation-webhooks = Webhooks
automation-webhooks-intro = Each subscription receives the events it names as signed HTTP posts. Failed deliveries are retried; every attempt is logged.
automation-webhooks-none = No webhook subscriptions yet.
automation-webhooks-back = Back to the webhooks
automation-webhook-new = New subscription
automation-webhook-edit = Subscription
automation-webhook-create = Create the subscription
automation-webhook-url = URL (https)
automation-webhook-description = Description (optional)
automation-webhook-events = Events
automation-webhook-events-help = * means every event, and kind.* every event of one kind. Each kind’s events are created, updated, deleted and merged; custom record kinds are named by their key (contract.created) and are never merged.
automation-webhook-secret-once = The subscription is created. Copy its signing secret now: it is not shown again.
automation-webhook-secret = Signing secret
automation-webhook-secret-hint = Deliveries are signed with the secret ending in { $hint }. Replace it if it may have leaked: the receiver must then check signatures with the new one.
automation-webhook-rotate = Replace the signing secret
automation-webhook-secret-new = The signing secret was replaced. Copy the new one now: it is not shown again. Deliveries from now on are signed with it.
automation-webhook-delete-text = No more events are sent to this URL, and its delivery log is removed.
automation-deliveries = Deliveries
automation-deliveries-none = No deliveries yet.
automation-delivery-ok = Delivered
automation-delivery-failed = Failed
automation-delivery-attempt = { $count ->
    [one] attempt { $count }
   *[other] attempt { $count }
}
automation-delivery-response = answered { $status }
automation-redeliver = Redeliver
automation-redelivery-queued = The delivery is queued to be sent again.
