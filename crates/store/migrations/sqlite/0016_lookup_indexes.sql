-- Matching an import row (or a new record) to a person: `primary_email = ?`
-- or `primary_phone = ?` `ORDER BY id LIMIT 1` is one seek when the index
-- ends with the id; without it SQLite's planner may walk every person of the
-- workspace by id instead.
DROP INDEX people_primary_email;
DROP INDEX people_primary_phone;
CREATE INDEX people_primary_email ON people (workspace_id, primary_email, id);
CREATE INDEX people_primary_phone ON people (workspace_id, primary_phone, id);

-- Lists filtered by lifecycle stage and sorted by name (the API's list) or by
-- last change (the web UI's default), and one board column of deals by id:
-- each reads its page from an index instead of filtering or sorting.
CREATE INDEX people_lifecycle_name ON people (workspace_id, lifecycle_stage, name, id);
CREATE INDEX people_lifecycle_updated ON people (workspace_id, lifecycle_stage, updated_at, id);
CREATE INDEX deals_stage_id ON deals (workspace_id, pipeline_id, stage_id, id);
