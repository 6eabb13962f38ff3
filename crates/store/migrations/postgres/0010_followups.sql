-- Recurring tasks: how a task repeats, and the occurrence created when it was
-- done (set once, so a task done twice or reopened makes no second one).

ALTER TABLE tasks ADD COLUMN recurrence jsonb;
ALTER TABLE tasks ADD COLUMN next_task_id uuid;

-- "No recent contact" lists: when the latest activity linked to a person,
-- organization or deal happened, kept by every write of an activity.
ALTER TABLE people ADD COLUMN last_activity_at timestamptz;
ALTER TABLE organizations ADD COLUMN last_activity_at timestamptz;
ALTER TABLE deals ADD COLUMN last_activity_at timestamptz;
UPDATE people SET last_activity_at = (SELECT MAX(a.occurred_at) FROM record_links rl JOIN activities a ON a.workspace_id = rl.workspace_id AND a.id = rl.from_id
    WHERE rl.workspace_id = people.workspace_id AND rl.from_kind = 'activity' AND rl.to_kind = 'person' AND rl.to_id = people.id);
UPDATE organizations SET last_activity_at = (SELECT MAX(a.occurred_at) FROM record_links rl JOIN activities a ON a.workspace_id = rl.workspace_id AND a.id = rl.from_id
    WHERE rl.workspace_id = organizations.workspace_id AND rl.from_kind = 'activity' AND rl.to_kind = 'organization' AND rl.to_id = organizations.id);
UPDATE deals SET last_activity_at = (SELECT MAX(a.occurred_at) FROM record_links rl JOIN activities a ON a.workspace_id = rl.workspace_id AND a.id = rl.from_id
    WHERE rl.workspace_id = deals.workspace_id AND rl.from_kind = 'activity' AND rl.to_kind = 'deal' AND rl.to_id = deals.id);
CREATE INDEX people_last_activity ON people (workspace_id, last_activity_at);
CREATE INDEX organizations_last_activity ON organizations (workspace_id, last_activity_at);
CREATE INDEX deals_last_activity ON deals (workspace_id, status, last_activity_at);

