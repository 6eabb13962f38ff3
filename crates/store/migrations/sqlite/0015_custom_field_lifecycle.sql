-- Custom field definitions: validation and default (settings), help text,
-- hidden flag, a version for If-Match, and soft delete (restorable until purged).
ALTER TABLE custom_fields ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE custom_fields ADD COLUMN help TEXT;
ALTER TABLE custom_fields ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE custom_fields ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE custom_fields ADD COLUMN deleted_at TEXT;
-- Which definitions across workspaces still use a key (its shared indexes).
CREATE INDEX custom_fields_kind_key ON custom_fields (kind, key);
