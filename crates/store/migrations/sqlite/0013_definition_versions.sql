-- Workflows and assignment rules carry a version, like records and pipelines,
-- so that two admins editing one at once cannot overwrite each other.
ALTER TABLE workflows ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE assignment_rules ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
