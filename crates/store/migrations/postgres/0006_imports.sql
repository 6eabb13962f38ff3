-- Imports: the jobs started through the API (status, counts, errors, the
-- rejected rows) and the column mappings saved for repeat imports.

CREATE TABLE import_jobs (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    updated_at timestamptz NOT NULL,
    kind text NOT NULL,
    format text NOT NULL,
    file_name text,
    dry_run boolean NOT NULL DEFAULT false,
    mode text NOT NULL,
    status text NOT NULL,
    mapping jsonb NOT NULL DEFAULT '{}',
    counts jsonb NOT NULL DEFAULT '{}',
    errors jsonb NOT NULL DEFAULT '[]',
    report jsonb NOT NULL DEFAULT '[]',
    message text,
    rejects text,
    rejects_type text,
    started_at timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX import_jobs_created ON import_jobs (workspace_id, created_at);

CREATE TABLE import_mappings (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    name text NOT NULL,
    kind text NOT NULL,
    columns jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

-- Which record each source record became, for imports of a full workspace
-- export: links are restored through it, and a second import updates.
CREATE TABLE import_keys (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    kind text NOT NULL,
    source_key text NOT NULL,
    record_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, kind, source_key)
);
