-- Record kinds defined by admins (contracts, properties, ...): their
-- definitions, and one generic table holding the records of them all.
CREATE TABLE object_types (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    key TEXT NOT NULL,
    singular TEXT NOT NULL,
    plural TEXT NOT NULL,
    pipeline_id BLOB,
    list_fields TEXT NOT NULL DEFAULT '[]',
    record_fields TEXT NOT NULL DEFAULT '[]',
    position INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, key),
    FOREIGN KEY (workspace_id, pipeline_id) REFERENCES pipelines (workspace_id, id)
);

CREATE TABLE custom_records (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id),
    id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    version INTEGER NOT NULL DEFAULT 1,
    custom TEXT NOT NULL DEFAULT '{}',
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_id BLOB,
    pipeline_id BLOB,
    stage_id BLOB,
    status TEXT,
    closed_at TEXT,
    stage_entered_at TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, type) REFERENCES object_types (workspace_id, key),
    FOREIGN KEY (workspace_id, pipeline_id, stage_id) REFERENCES stages (workspace_id, pipeline_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES users (workspace_id, id)
);
CREATE INDEX custom_records_type ON custom_records (workspace_id, type, updated_at, id);
CREATE INDEX custom_records_type_name ON custom_records (workspace_id, type, name, id);
CREATE INDEX custom_records_owner ON custom_records (workspace_id, owner_id);
CREATE INDEX custom_records_stage ON custom_records (workspace_id, pipeline_id, stage_id);

-- A pipeline belongs to deals or to one custom record kind (its key).
ALTER TABLE pipelines ADD COLUMN kind TEXT NOT NULL DEFAULT 'deal';

-- A relation field's target kind, and whether it holds several ids.
ALTER TABLE custom_fields ADD COLUMN target TEXT;
ALTER TABLE custom_fields ADD COLUMN many INTEGER NOT NULL DEFAULT 0;
