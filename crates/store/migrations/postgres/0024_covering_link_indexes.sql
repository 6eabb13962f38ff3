-- The records linked to one record, read from indexes alone. A large
-- account's thousands of people, tasks and activities are found by their
-- links to it: with the linked id in the target index, those links are no
-- longer read from the table one by one (2,900 table reads for one page at
-- a million people), and with the status beside a task's due time, its open
-- tasks are picked without reading the tasks.
DROP INDEX record_links_target;
CREATE INDEX record_links_target ON record_links (workspace_id, to_kind, to_id, from_kind, from_id);
DROP INDEX tasks_id_time;
CREATE INDEX tasks_id_time ON tasks (workspace_id, id) INCLUDE (due_at, created_at, status);
