-- Work that flows by itself: a durable job queue, webhook subscriptions and
-- their delivery log, and in-app notifications.

CREATE TABLE jobs (
    workspace_id uuid NOT NULL,
    id uuid NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    status text NOT NULL,
    run_at timestamptz NOT NULL,
    attempts bigint NOT NULL DEFAULT 0,
    max_attempts bigint NOT NULL,
    locked_by text,
    locked_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL,
    finished_at timestamptz,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE INDEX jobs_workspace ON jobs (workspace_id, created_at);

CREATE TABLE webhooks (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    url text NOT NULL,
    description text,
    events jsonb NOT NULL,
    secret text NOT NULL,
    active boolean NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE webhook_deliveries (
    workspace_id uuid NOT NULL,
    id uuid NOT NULL,
    webhook_id uuid NOT NULL,
    event_id text NOT NULL,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    attempt bigint NOT NULL,
    status text NOT NULL,
    response_status bigint,
    response_body text,
    error text,
    duration_ms bigint,
    at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, webhook_id) REFERENCES webhooks (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (workspace_id, webhook_id, at);

CREATE TABLE notifications (
    workspace_id uuid NOT NULL,
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    kind text NOT NULL,
    title text NOT NULL,
    body text,
    record_kind text,
    record_id uuid,
    created_at timestamptz NOT NULL,
    read_at timestamptz,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX notifications_user ON notifications (workspace_id, user_id, read_at, created_at);
