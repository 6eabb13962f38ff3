-- Sorts that the lists offer and no index served, so each page sorted every
-- matching row first. Each index is the list's ORDER BY (NULLs last, then
-- the id to break ties), so the database walks it and stops at the page.
-- A pipeline's open deals, the biggest first (`sort=-amount_minor`).
CREATE INDEX deals_amount ON deals (workspace_id, pipeline_id, status, (amount_minor IS NULL), amount_minor DESC, id DESC);
-- Every task by due date, with no status filter: the plain task list.
CREATE INDEX tasks_due_nulls_last ON tasks (workspace_id, (due_at IS NULL), due_at, id);
