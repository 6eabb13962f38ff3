-- Tasks by due date. The calendar reads the tasks due within a day or a week
-- in due order, and the tasks list sorts by due date, NULLs last (`due_at IS
-- NULL` first in the order), mostly with a status filter: both walk an index
-- and stop at the page, instead of sorting every task of the workspace.
CREATE INDEX tasks_due ON tasks (workspace_id, due_at, id);
CREATE INDEX tasks_status_due ON tasks (workspace_id, status, (due_at IS NULL), due_at, id);
