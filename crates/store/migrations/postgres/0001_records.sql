-- Rapport schema, PostgreSQL flavour. Every key includes workspace_id, so the
-- database itself refuses a reference across workspaces and tables can later
-- be distributed by workspace.

CREATE TABLE workspaces (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    currency text NOT NULL DEFAULT 'EUR',
    phone_region text NOT NULL DEFAULT 'FR',
    time_zone text NOT NULL DEFAULT 'UTC',
    created_at timestamptz NOT NULL
);

CREATE TABLE users (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    updated_at timestamptz NOT NULL,
    updated_by uuid,
    version bigint NOT NULL DEFAULT 1,
    email text NOT NULL,
    name text NOT NULL,
    role text NOT NULL DEFAULT 'member',
    active boolean NOT NULL DEFAULT true,
    time_zone text,
    password_hash text,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, email)
);

CREATE TABLE teams (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    updated_at timestamptz NOT NULL,
    updated_by uuid,
    version bigint NOT NULL DEFAULT 1,
    name text NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, created_by) REFERENCES users (workspace_id, id)
);

CREATE TABLE api_tokens (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    name text NOT NULL,
    token_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id)
);

CREATE TABLE pipelines (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    name text NOT NULL,
    position bigint NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE stages (
    workspace_id uuid NOT NULL,
    id uuid NOT NULL,
    pipeline_id uuid NOT NULL,
    name text NOT NULL,
    position bigint NOT NULL,
    probability bigint NOT NULL,
    outcome text NOT NULL DEFAULT 'open',
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, pipeline_id, id),
    FOREIGN KEY (workspace_id, pipeline_id) REFERENCES pipelines (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE organizations (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    updated_at timestamptz NOT NULL,
    updated_by uuid,
    version bigint NOT NULL DEFAULT 1,
    custom jsonb NOT NULL DEFAULT '{}',
    name text NOT NULL,
    domains jsonb NOT NULL DEFAULT '[]',
    website text,
    industry text,
    size text,
    relationship text,
    parent_id uuid,
    addresses jsonb NOT NULL DEFAULT '[]',
    phones jsonb NOT NULL DEFAULT '[]',
    owner_id uuid,
    tags jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, parent_id) REFERENCES organizations (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX organizations_name ON organizations (workspace_id, name, id);
CREATE INDEX organizations_owner ON organizations (workspace_id, owner_id);

CREATE TABLE people (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    updated_at timestamptz NOT NULL,
    updated_by uuid,
    version bigint NOT NULL DEFAULT 1,
    custom jsonb NOT NULL DEFAULT '{}',
    first_name text,
    last_name text,
    name text NOT NULL,
    emails jsonb NOT NULL DEFAULT '[]',
    primary_email text,
    phones jsonb NOT NULL DEFAULT '[]',
    primary_phone text,
    title text,
    lifecycle_stage text,
    lead_source text,
    preferred_channel text,
    do_not_email boolean NOT NULL DEFAULT false,
    do_not_call boolean NOT NULL DEFAULT false,
    do_not_text boolean NOT NULL DEFAULT false,
    owner_id uuid,
    tags jsonb NOT NULL DEFAULT '[]',
    address jsonb,
    birthday date,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX people_name ON people (workspace_id, name, id);
CREATE INDEX people_primary_email ON people (workspace_id, primary_email);
CREATE INDEX people_primary_phone ON people (workspace_id, primary_phone);
CREATE INDEX people_owner ON people (workspace_id, owner_id);
CREATE INDEX people_lifecycle ON people (workspace_id, lifecycle_stage, id);

CREATE TABLE deals (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    updated_at timestamptz NOT NULL,
    updated_by uuid,
    version bigint NOT NULL DEFAULT 1,
    custom jsonb NOT NULL DEFAULT '{}',
    name text NOT NULL,
    organization_id uuid,
    pipeline_id uuid NOT NULL,
    stage_id uuid NOT NULL,
    amount_minor bigint,
    currency text NOT NULL,
    expected_close_date date,
    status text NOT NULL DEFAULT 'open',
    lost_reason text,
    closed_at timestamptz,
    stage_entered_at timestamptz NOT NULL,
    owner_id uuid,
    next_step text,
    tags jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, organization_id) REFERENCES organizations (workspace_id, id),
    FOREIGN KEY (workspace_id, pipeline_id, stage_id) REFERENCES stages (workspace_id, pipeline_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX deals_stage ON deals (workspace_id, pipeline_id, stage_id);
CREATE INDEX deals_organization ON deals (workspace_id, organization_id);
CREATE INDEX deals_owner ON deals (workspace_id, owner_id, status);

CREATE TABLE deal_stage_history (
    workspace_id uuid NOT NULL,
    id uuid NOT NULL,
    deal_id uuid NOT NULL,
    pipeline_id uuid NOT NULL,
    stage_id uuid NOT NULL,
    entered_at timestamptz NOT NULL,
    left_at timestamptz,
    entered_by uuid,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, deal_id) REFERENCES deals (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history (workspace_id, deal_id, entered_at);

CREATE TABLE activities (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    updated_at timestamptz NOT NULL,
    updated_by uuid,
    version bigint NOT NULL DEFAULT 1,
    custom jsonb NOT NULL DEFAULT '{}',
    type text NOT NULL,
    direction text,
    occurred_at timestamptz NOT NULL,
    duration_seconds bigint,
    subject text,
    body text,
    outcome text,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX activities_occurred ON activities (workspace_id, occurred_at, id);

CREATE TABLE tasks (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    updated_at timestamptz NOT NULL,
    updated_by uuid,
    version bigint NOT NULL DEFAULT 1,
    custom jsonb NOT NULL DEFAULT '{}',
    title text NOT NULL,
    description text,
    due_at timestamptz,
    remind_at timestamptz,
    assignee_user_id uuid,
    assignee_team_id uuid,
    priority text NOT NULL DEFAULT 'normal',
    status text NOT NULL DEFAULT 'open',
    completed_at timestamptz,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, assignee_user_id) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, assignee_team_id) REFERENCES teams (workspace_id, id)
);
CREATE INDEX tasks_assignee ON tasks (workspace_id, assignee_user_id, status, due_at);

-- Links between records (a person's organizations, a deal's people, what an
-- activity or task concerns, a team's members). One table for every relation,
-- read from both ends: the timeline finds activities by their target.
CREATE TABLE record_links (
    workspace_id uuid NOT NULL,
    from_kind text NOT NULL,
    from_id uuid NOT NULL,
    to_kind text NOT NULL,
    to_id uuid NOT NULL,
    role text,
    PRIMARY KEY (workspace_id, from_kind, from_id, to_kind, to_id)
);
CREATE INDEX record_links_target ON record_links (workspace_id, to_kind, to_id, from_kind);

-- The change log: one row per write, with the old and new value of each field.
CREATE TABLE changes (
    workspace_id uuid NOT NULL,
    id uuid NOT NULL,
    at timestamptz NOT NULL,
    actor_id uuid,
    via text NOT NULL,
    record_kind text NOT NULL,
    record_id uuid NOT NULL,
    action text NOT NULL,
    diff jsonb NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX changes_record ON changes (workspace_id, record_kind, record_id, at);

CREATE TABLE custom_fields (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    kind text NOT NULL,
    key text NOT NULL,
    label text NOT NULL,
    type text NOT NULL,
    required boolean NOT NULL DEFAULT false,
    options jsonb NOT NULL DEFAULT '[]',
    position bigint NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, kind, key)
);

CREATE TABLE idempotency_keys (
    workspace_id uuid NOT NULL,
    user_id uuid NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    record_kind text NOT NULL,
    record_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, user_id, key)
);
