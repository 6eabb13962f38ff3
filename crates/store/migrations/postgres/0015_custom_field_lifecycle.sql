-- Custom field definitions: validation and default (settings), help text,
-- hidden flag, a version for If-Match, and soft delete (restorable until purged).
ALTER TABLE custom_fields ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';
ALTER TABLE custom_fields ADD COLUMN help text;
ALTER TABLE custom_fields ADD COLUMN hidden boolean NOT NULL DEFAULT false;
ALTER TABLE custom_fields ADD COLUMN version bigint NOT NULL DEFAULT 1;
ALTER TABLE custom_fields ADD COLUMN deleted_at timestamptz;
-- Which definitions across workspaces still use a key (its shared indexes).
CREATE INDEX custom_fields_kind_key ON custom_fields (kind, key);
