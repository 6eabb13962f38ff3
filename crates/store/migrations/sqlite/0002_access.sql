-- Who may see and do what: per-kind visibility, team hierarchy, record
-- sharing, token scopes, the audit log and consent records.

ALTER TABLE workspaces ADD COLUMN visibility TEXT NOT NULL DEFAULT '{}';

-- SQLite cannot add a constraint to an existing table; the store checks the reference.
ALTER TABLE teams ADD COLUMN parent_id BLOB;

ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '["write"]';

ALTER TABLE changes ADD COLUMN ip TEXT;

-- A record shared with one user or one team, beyond what visibility opens.
CREATE TABLE record_shares (
    workspace_id BLOB NOT NULL,
    id BLOB NOT NULL,
    record_kind TEXT NOT NULL,
    record_id BLOB NOT NULL,
    user_id BLOB,
    team_id BLOB,
    access TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, team_id) REFERENCES teams (workspace_id, id)
);
CREATE INDEX record_shares_record ON record_shares (workspace_id, record_kind, record_id);
CREATE INDEX record_shares_user ON record_shares (workspace_id, user_id);

-- Security events (sign-ins, failures, token use, exports, erasures); record
-- changes themselves are in `changes`. Append-only: nothing updates or deletes it.
CREATE TABLE audit_log (
    workspace_id BLOB,
    id BLOB NOT NULL PRIMARY KEY,
    at TEXT NOT NULL,
    user_id BLOB,
    email TEXT,
    ip TEXT,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    record_kind TEXT,
    record_id BLOB,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, at);
CREATE INDEX audit_log_user ON audit_log (workspace_id, user_id, at);
CREATE INDEX audit_log_record ON audit_log (workspace_id, record_kind, record_id);

-- What a person agreed to, when and how.
CREATE TABLE consents (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    version INTEGER NOT NULL DEFAULT 1,
    person_id BLOB NOT NULL,
    purpose TEXT NOT NULL,
    status TEXT NOT NULL,
    method TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    evidence TEXT,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, person_id) REFERENCES people (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX consents_person ON consents (workspace_id, person_id);
