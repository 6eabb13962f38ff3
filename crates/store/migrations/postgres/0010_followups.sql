-- Recurring tasks: how a task repeats, and the occurrence created when it was
-- done (set once, so a task done twice or reopened makes no second one).

ALTER TABLE tasks ADD COLUMN recurrence jsonb;
ALTER TABLE tasks ADD COLUMN next_task_id uuid;
