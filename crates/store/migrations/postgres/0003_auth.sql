-- Signing in from a browser: web sessions, sign-in attempts and lockouts, and
-- one-time links for the first setup and password resets. Secrets are never
-- stored: only SHA-256 digests of session ids and link tokens.

CREATE TABLE sessions (
    id_hash text NOT NULL PRIMARY KEY,
    workspace_id uuid NOT NULL,
    user_id uuid NOT NULL,
    csrf text NOT NULL,
    created_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    ip text,
    user_agent text,
    -- The accounts (same email, same password) the session may switch to.
    choices jsonb NOT NULL DEFAULT '[]',
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (workspace_id, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Every sign-in attempt, kept a day, for throttling per email and per address.
-- Not tied to a workspace: one email may sign in to several.
CREATE TABLE login_attempts (
    id uuid NOT NULL PRIMARY KEY,
    at timestamptz NOT NULL,
    email text NOT NULL,
    ip text,
    outcome text NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts (email, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- An email or an address refused sign-ins until a time: 'email:...' or 'address:...'.
CREATE TABLE login_locks (
    subject text NOT NULL PRIMARY KEY,
    until timestamptz NOT NULL
);

-- Single-use links: 'setup' (the first admin of a workspace) and 'reset' (a new password).
CREATE TABLE one_time_tokens (
    token_hash text NOT NULL PRIMARY KEY,
    purpose text NOT NULL,
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    user_id uuid,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX one_time_tokens_workspace ON one_time_tokens (workspace_id, purpose);
