-- The web UI: each user's locale, and saved views of lists (a filter, a sort
-- and the columns shown), private to their owner or shared with the workspace.

ALTER TABLE users ADD COLUMN locale TEXT;

CREATE TABLE saved_views (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    owner_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The list's query string: filters, search, sort and columns.
    query TEXT NOT NULL,
    shared INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX saved_views_by_kind ON saved_views (workspace_id, kind, name);
