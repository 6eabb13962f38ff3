-- The pipeline board: a stage's most recently moved deals, and the count and
-- totals per stage read from the index alone.
DROP INDEX IF EXISTS deals_stage;
CREATE INDEX deals_board ON deals (workspace_id, pipeline_id, stage_id, stage_entered_at);
CREATE INDEX deals_stage_totals ON deals (workspace_id, pipeline_id, stage_id, currency, amount_minor);
