-- External ids (the id a record has in the system it was imported from, so a
-- second import updates instead of duplicating) and merge redirects.

ALTER TABLE organizations ADD COLUMN external_id text;
ALTER TABLE people ADD COLUMN external_id text;
ALTER TABLE deals ADD COLUMN external_id text;
ALTER TABLE activities ADD COLUMN external_id text;
CREATE UNIQUE INDEX organizations_external_id ON organizations (workspace_id, external_id);
CREATE UNIQUE INDEX people_external_id ON people (workspace_id, external_id);
CREATE UNIQUE INDEX deals_external_id ON deals (workspace_id, external_id);
CREATE UNIQUE INDEX activities_external_id ON activities (workspace_id, external_id);

-- A record merged into another: its id keeps leading to the survivor.
CREATE TABLE merged_records (
    workspace_id uuid NOT NULL,
    kind text NOT NULL,
    merged_id uuid NOT NULL,
    survivor_id uuid NOT NULL,
    merged_at timestamptz NOT NULL,
    merged_by uuid,
    PRIMARY KEY (workspace_id, kind, merged_id)
);
CREATE INDEX merged_records_survivor ON merged_records (workspace_id, kind, survivor_id);
CREATE INDEX search_entries_label ON search_entries (workspace_id, kind, label_folded);
