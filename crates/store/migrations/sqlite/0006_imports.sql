-- Imports: the jobs started through the API (status, counts, errors, the
-- rejected rows) and the column mappings saved for repeat imports.

CREATE TABLE import_jobs (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    file_name TEXT,
    dry_run INTEGER NOT NULL DEFAULT 0,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    mapping TEXT NOT NULL DEFAULT '{}',
    counts TEXT NOT NULL DEFAULT '{}',
    errors TEXT NOT NULL DEFAULT '[]',
    report TEXT NOT NULL DEFAULT '[]',
    message TEXT,
    rejects TEXT,
    rejects_type TEXT,
    started_at TEXT,
    finished_at TEXT,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX import_jobs_created ON import_jobs (workspace_id, created_at);

CREATE TABLE import_mappings (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    columns TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

-- Which record each source record became, for imports of a full workspace
-- export: links are restored through it, and a second import updates.
CREATE TABLE import_keys (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    kind TEXT NOT NULL,
    source_key TEXT NOT NULL,
    record_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, kind, source_key)
);
