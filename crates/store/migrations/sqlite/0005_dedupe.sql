-- External ids (the id a record has in the system it was imported from, so a
-- second import updates instead of duplicating) and merge redirects.

ALTER TABLE organizations ADD COLUMN external_id TEXT;
ALTER TABLE people ADD COLUMN external_id TEXT;
ALTER TABLE deals ADD COLUMN external_id TEXT;
ALTER TABLE activities ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX organizations_external_id ON organizations (workspace_id, external_id);
CREATE UNIQUE INDEX people_external_id ON people (workspace_id, external_id);
CREATE UNIQUE INDEX deals_external_id ON deals (workspace_id, external_id);
CREATE UNIQUE INDEX activities_external_id ON activities (workspace_id, external_id);

-- A record merged into another: its id keeps leading to the survivor.
CREATE TABLE merged_records (
    workspace_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    merged_id BLOB NOT NULL,
    survivor_id BLOB NOT NULL,
    merged_at TEXT NOT NULL,
    merged_by BLOB,
    PRIMARY KEY (workspace_id, kind, merged_id)
);
CREATE INDEX merged_records_survivor ON merged_records (workspace_id, kind, survivor_id);
CREATE INDEX search_entries_label ON search_entries (workspace_id, kind, label_folded);
