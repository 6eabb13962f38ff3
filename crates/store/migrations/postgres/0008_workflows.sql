-- Assignment rules and workflows: who gets a new lead, deal or task, and what
-- happens by itself when records change or dates come.

-- Users marked away are skipped by round-robin and load-based assignment.
ALTER TABLE users ADD COLUMN away boolean DEFAULT false;

CREATE TABLE assignment_rules (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    position bigint NOT NULL,
    conditions jsonb NOT NULL,
    method text NOT NULL,
    user_id uuid,
    team_id uuid,
    active boolean NOT NULL,
    -- Round-robin state: the user who got the last record.
    last_user_id uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX assignment_rules_order ON assignment_rules (workspace_id, kind, position);

CREATE TABLE workflows (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    name text NOT NULL,
    active boolean NOT NULL,
    record_kind text NOT NULL,
    trigger_type text NOT NULL,
    "trigger" jsonb NOT NULL,
    conditions jsonb NOT NULL,
    actions jsonb NOT NULL,
    secret text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    created_by uuid,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX workflows_active ON workflows (workspace_id, active);

CREATE TABLE workflow_runs (
    workspace_id uuid NOT NULL,
    id uuid NOT NULL,
    workflow_id uuid NOT NULL,
    "trigger" text NOT NULL,
    record_kind text NOT NULL,
    record_id uuid NOT NULL,
    change_id uuid,
    depth bigint NOT NULL,
    outcome text NOT NULL,
    error text,
    actions jsonb NOT NULL,
    at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, workflow_id) REFERENCES workflows (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX workflow_runs_workflow ON workflow_runs (workspace_id, workflow_id, at);

-- What fired already: a workflow runs at most once per record and occurrence
-- (a change, a due date, a quiet period).
CREATE TABLE workflow_fired (
    workspace_id uuid NOT NULL,
    workflow_id uuid NOT NULL,
    record_id uuid NOT NULL,
    occurrence text NOT NULL,
    at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, workflow_id, record_id, occurrence),
    FOREIGN KEY (workspace_id, workflow_id) REFERENCES workflows (workspace_id, id) ON DELETE CASCADE
);

-- Changes made by workflow actions, with how deep in a chain of workflows they were made.
CREATE TABLE change_depths (
    workspace_id uuid NOT NULL,
    change_id uuid NOT NULL,
    depth bigint NOT NULL,
    PRIMARY KEY (workspace_id, change_id)
);
