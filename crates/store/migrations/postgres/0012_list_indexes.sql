-- Lists sorted by last change (the web UI's default order) walk an index
-- instead of sorting every matching row.
CREATE INDEX people_updated ON people (workspace_id, updated_at, id);
CREATE INDEX organizations_updated ON organizations (workspace_id, updated_at, id);
CREATE INDEX deals_updated ON deals (workspace_id, updated_at, id);
CREATE INDEX tasks_updated ON tasks (workspace_id, updated_at, id);
CREATE INDEX activities_updated ON activities (workspace_id, updated_at, id);
