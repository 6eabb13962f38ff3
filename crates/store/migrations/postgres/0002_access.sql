-- Who may see and do what: per-kind visibility, team hierarchy, record
-- sharing, token scopes, the audit log and consent records.

ALTER TABLE workspaces ADD COLUMN visibility jsonb NOT NULL DEFAULT '{}';

ALTER TABLE teams ADD COLUMN parent_id uuid;
ALTER TABLE teams ADD CONSTRAINT teams_parent FOREIGN KEY (workspace_id, parent_id) REFERENCES teams (workspace_id, id);

ALTER TABLE api_tokens ADD COLUMN scopes jsonb NOT NULL DEFAULT '["write"]';

ALTER TABLE changes ADD COLUMN ip text;

-- A record shared with one user or one team, beyond what visibility opens.
CREATE TABLE record_shares (
    workspace_id uuid NOT NULL,
    id uuid NOT NULL,
    record_kind text NOT NULL,
    record_id uuid NOT NULL,
    user_id uuid,
    team_id uuid,
    access text NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id),
    FOREIGN KEY (workspace_id, team_id) REFERENCES teams (workspace_id, id)
);
CREATE INDEX record_shares_record ON record_shares (workspace_id, record_kind, record_id);
CREATE INDEX record_shares_user ON record_shares (workspace_id, user_id);

-- Security events (sign-ins, failures, token use, exports, erasures); record
-- changes themselves are in `changes`. Append-only: nothing updates or deletes it.
CREATE TABLE audit_log (
    workspace_id uuid,
    id uuid NOT NULL PRIMARY KEY,
    at timestamptz NOT NULL,
    user_id uuid,
    email text,
    ip text,
    via text NOT NULL,
    action text NOT NULL,
    record_kind text,
    record_id uuid,
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, at);
CREATE INDEX audit_log_user ON audit_log (workspace_id, user_id, at);
CREATE INDEX audit_log_record ON audit_log (workspace_id, record_kind, record_id);

-- What a person agreed to, when and how.
CREATE TABLE consents (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    updated_at timestamptz NOT NULL,
    updated_by uuid,
    version bigint NOT NULL DEFAULT 1,
    person_id uuid NOT NULL,
    purpose text NOT NULL,
    status text NOT NULL,
    method text NOT NULL,
    recorded_at timestamptz NOT NULL,
    evidence text,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, person_id) REFERENCES people (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX consents_person ON consents (workspace_id, person_id);
