-- The web UI: each user's locale, and saved views of lists (a filter, a sort
-- and the columns shown), private to their owner or shared with the workspace.

ALTER TABLE users ADD COLUMN locale text;

CREATE TABLE saved_views (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    owner_id uuid NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    -- The list's query string: filters, search, sort and columns.
    query text NOT NULL,
    shared boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX saved_views_by_kind ON saved_views (workspace_id, kind, name);
