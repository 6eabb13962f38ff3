-- A record's timeline sorts the activities and tasks linked to it by time
-- and keeps one page. With the time beside the id, the sort reads one index
-- entry per linked row; only the rows of the page are then read whole.
CREATE INDEX activities_id_time ON activities (workspace_id, id, occurred_at);
CREATE INDEX tasks_id_time ON tasks (workspace_id, id, due_at, created_at);
