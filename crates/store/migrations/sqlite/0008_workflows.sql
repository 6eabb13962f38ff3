-- Assignment rules and workflows: who gets a new lead, deal or task, and what
-- happens by itself when records change or dates come.

-- Users marked away are skipped by round-robin and load-based assignment.
ALTER TABLE users ADD COLUMN away INTEGER DEFAULT 0;

CREATE TABLE assignment_rules (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    conditions TEXT NOT NULL,
    method TEXT NOT NULL,
    user_id BLOB,
    team_id BLOB,
    active INTEGER NOT NULL,
    -- Round-robin state: the user who got the last record.
    last_user_id BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX assignment_rules_order ON assignment_rules (workspace_id, kind, position);

CREATE TABLE workflows (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    active INTEGER NOT NULL,
    record_kind TEXT NOT NULL,
    trigger_type TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    conditions TEXT NOT NULL,
    actions TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by BLOB,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX workflows_active ON workflows (workspace_id, active);

CREATE TABLE workflow_runs (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    workflow_id BLOB NOT NULL,
    "trigger" TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id BLOB NOT NULL,
    change_id BLOB,
    depth INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT,
    actions TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, workflow_id) REFERENCES workflows (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX workflow_runs_workflow ON workflow_runs (workspace_id, workflow_id, at);

-- What fired already: a workflow runs at most once per record and occurrence
-- (a change, a due date, a quiet period).
CREATE TABLE workflow_fired (
    workspace_id BLOB NOT NULL,
    workflow_id BLOB NOT NULL,
    record_id BLOB NOT NULL,
    occurrence TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, workflow_id, record_id, occurrence),
    FOREIGN KEY (workspace_id, workflow_id) REFERENCES workflows (workspace_id, id) ON DELETE CASCADE
);

-- Changes made by workflow actions, with how deep in a chain of workflows they were made.
CREATE TABLE change_depths (
    workspace_id BLOB NOT NULL,
    change_id BLOB NOT NULL,
    depth INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, change_id)
);
