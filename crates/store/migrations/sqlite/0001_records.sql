-- Rapport schema, SQLite flavour: the same tables and keys as the PostgreSQL one,
-- with uuids as 16-byte blobs, times as RFC 3339 text and JSON as text.
-- Every key includes workspace_id, so the database itself refuses a reference
-- across workspaces and tables can later be distributed by workspace.

CREATE TABLE workspaces (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'EUR',
    phone_region TEXT NOT NULL DEFAULT 'FR',
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    version INTEGER NOT NULL DEFAULT 1,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'member',
    active INTEGER NOT NULL DEFAULT 1,
    time_zone TEXT,
    password_hash TEXT,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, email)
);

CREATE TABLE teams (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    version INTEGER NOT NULL DEFAULT 1,
    name TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, created_by) REFERENCES users (workspace_id, id)
);

CREATE TABLE api_tokens (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id)
);

CREATE TABLE pipelines (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE stages (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    pipeline_id BLOB NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    probability INTEGER NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'open',
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, pipeline_id, id),
    FOREIGN KEY (workspace_id, pipeline_id) REFERENCES pipelines (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE organizations (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    version INTEGER NOT NULL DEFAULT 1,
    custom TEXT NOT NULL DEFAULT '{}',
    name TEXT NOT NULL,
    domains TEXT NOT NULL DEFAULT '[]',
    website TEXT,
    industry TEXT,
    size TEXT,
    relationship TEXT,
    parent_id BLOB,
    addresses TEXT NOT NULL DEFAULT '[]',
    phones TEXT NOT NULL DEFAULT '[]',
    owner_id BLOB,
    tags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, parent_id) REFERENCES organizations (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX organizations_name ON organizations (workspace_id, name, id);
CREATE INDEX organizations_owner ON organizations (workspace_id, owner_id);

CREATE TABLE people (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    version INTEGER NOT NULL DEFAULT 1,
    custom TEXT NOT NULL DEFAULT '{}',
    first_name TEXT,
    last_name TEXT,
    name TEXT NOT NULL,
    emails TEXT NOT NULL DEFAULT '[]',
    primary_email TEXT,
    phones TEXT NOT NULL DEFAULT '[]',
    primary_phone TEXT,
    title TEXT,
    lifecycle_stage TEXT,
    lead_source TEXT,
    preferred_channel TEXT,
    do_not_email INTEGER NOT NULL DEFAULT 0,
    do_not_call INTEGER NOT NULL DEFAULT 0,
    do_not_text INTEGER NOT NULL DEFAULT 0,
    owner_id BLOB,
    tags TEXT NOT NULL DEFAULT '[]',
    address TEXT,
    birthday TEXT,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX people_name ON people (workspace_id, name, id);
CREATE INDEX people_primary_email ON people (workspace_id, primary_email);
CREATE INDEX people_primary_phone ON people (workspace_id, primary_phone);
CREATE INDEX people_owner ON people (workspace_id, owner_id);
CREATE INDEX people_lifecycle ON people (workspace_id, lifecycle_stage, id);

CREATE TABLE deals (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    version INTEGER NOT NULL DEFAULT 1,
    custom TEXT NOT NULL DEFAULT '{}',
    name TEXT NOT NULL,
    organization_id BLOB,
    pipeline_id BLOB NOT NULL,
    stage_id BLOB NOT NULL,
    amount_minor INTEGER,
    currency TEXT NOT NULL,
    expected_close_date TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    lost_reason TEXT,
    closed_at TEXT,
    stage_entered_at TEXT NOT NULL,
    owner_id BLOB,
    next_step TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, organization_id) REFERENCES organizations (workspace_id, id),
    FOREIGN KEY (workspace_id, pipeline_id, stage_id) REFERENCES stages (workspace_id, pipeline_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX deals_stage ON deals (workspace_id, pipeline_id, stage_id);
CREATE INDEX deals_organization ON deals (workspace_id, organization_id);
CREATE INDEX deals_owner ON deals (workspace_id, owner_id, status);

CREATE TABLE deal_stage_history (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    deal_id BLOB NOT NULL,
    pipeline_id BLOB NOT NULL,
    stage_id BLOB NOT NULL,
    entered_at TEXT NOT NULL,
    left_at TEXT,
    entered_by BLOB,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, deal_id) REFERENCES deals (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history (workspace_id, deal_id, entered_at);

CREATE TABLE activities (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    version INTEGER NOT NULL DEFAULT 1,
    custom TEXT NOT NULL DEFAULT '{}',
    type TEXT NOT NULL,
    direction TEXT,
    occurred_at TEXT NOT NULL,
    duration_seconds INTEGER,
    subject TEXT,
    body TEXT,
    outcome TEXT,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX activities_occurred ON activities (workspace_id, occurred_at, id);

CREATE TABLE tasks (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    version INTEGER NOT NULL DEFAULT 1,
    custom TEXT NOT NULL DEFAULT '{}',
    title TEXT NOT NULL,
    description TEXT,
    due_at TEXT,
    remind_at TEXT,
    assignee_user_id BLOB,
    assignee_team_id BLOB,
    priority TEXT NOT NULL DEFAULT 'normal',
    status TEXT NOT NULL DEFAULT 'open',
    completed_at TEXT,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, assignee_user_id) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, assignee_team_id) REFERENCES teams (workspace_id, id)
);
CREATE INDEX tasks_assignee ON tasks (workspace_id, assignee_user_id, status, due_at);

-- Links between records (a person's organizations, a deal's people, what an
-- activity or task concerns, a team's members). One table for every relation,
-- read from both ends: the timeline finds activities by their target.
CREATE TABLE record_links (
    workspace_id BLOB NOT NULL,
    from_kind TEXT NOT NULL,
    from_id BLOB NOT NULL,
    to_kind TEXT NOT NULL,
    to_id BLOB NOT NULL,
    role TEXT,
    PRIMARY KEY (workspace_id, from_kind, from_id, to_kind, to_id)
);
CREATE INDEX record_links_target ON record_links (workspace_id, to_kind, to_id, from_kind);

-- The change log: one row per write, with the old and new value of each field.
CREATE TABLE changes (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    at TEXT NOT NULL,
    actor_id BLOB,
    via TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id BLOB NOT NULL,
    action TEXT NOT NULL,
    diff TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX changes_record ON changes (workspace_id, record_kind, record_id, at);

CREATE TABLE custom_fields (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    type TEXT NOT NULL,
    required INTEGER NOT NULL DEFAULT 0,
    options TEXT NOT NULL DEFAULT '[]',
    position INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, kind, key)
);

CREATE TABLE idempotency_keys (
    workspace_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id, key)
);
