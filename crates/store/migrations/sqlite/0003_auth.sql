-- Signing in from a browser: web sessions, sign-in attempts and lockouts, and
-- one-time links for the first setup and password resets. Secrets are never
-- stored: only SHA-256 digests of session ids and link tokens.

CREATE TABLE sessions (
    id_hash TEXT NOT NULL PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    -- The accounts (same email, same password) the session may switch to.
    choices TEXT NOT NULL DEFAULT '[]',
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (workspace_id, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Every sign-in attempt, kept a day, for throttling per email and per address.
-- Not tied to a workspace: one email may sign in to several.
CREATE TABLE login_attempts (
    id BLOB NOT NULL PRIMARY KEY,
    at TEXT NOT NULL,
    email TEXT NOT NULL,
    ip TEXT,
    outcome TEXT NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts (email, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- An email or an address refused sign-ins until a time: 'email:...' or 'address:...'.
CREATE TABLE login_locks (
    subject TEXT NOT NULL PRIMARY KEY,
    until TEXT NOT NULL
);

-- Single-use links: 'setup' (the first admin of a workspace) and 'reset' (a new password).
CREATE TABLE one_time_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    purpose TEXT NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    user_id BLOB,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX one_time_tokens_workspace ON one_time_tokens (workspace_id, purpose);
