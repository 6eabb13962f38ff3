-- Record kinds defined by admins (contracts, properties, ...): their
-- definitions, and one generic table holding the records of them all.
CREATE TABLE object_types (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    key text NOT NULL,
    singular text NOT NULL,
    plural text NOT NULL,
    pipeline_id uuid,
    list_fields jsonb NOT NULL DEFAULT '[]',
    record_fields jsonb NOT NULL DEFAULT '[]',
    position bigint NOT NULL,
    version bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL,
    created_by uuid,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, key),
    FOREIGN KEY (workspace_id, pipeline_id) REFERENCES pipelines (workspace_id, id)
);

CREATE TABLE custom_records (
    workspace_id uuid NOT NULL REFERENCES workspaces(id),
    id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    created_by uuid,
    updated_at timestamptz NOT NULL,
    updated_by uuid,
    version bigint NOT NULL DEFAULT 1,
    custom jsonb NOT NULL DEFAULT '{}',
    type text NOT NULL,
    name text NOT NULL,
    owner_id uuid,
    pipeline_id uuid,
    stage_id uuid,
    status text,
    closed_at timestamptz,
    stage_entered_at timestamptz,
    tags jsonb NOT NULL DEFAULT '[]',
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
ALTER TABLE pipelines ADD COLUMN kind text NOT NULL DEFAULT 'deal';

-- A relation field's target kind, and whether it holds several ids.
ALTER TABLE custom_fields ADD COLUMN target text;
ALTER TABLE custom_fields ADD COLUMN many boolean NOT NULL DEFAULT false;
