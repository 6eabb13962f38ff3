-- Counts and totals of deals per (pipeline, stage, currency), kept as deals
-- are written, so that the board of a reader who sees every deal adds up a
-- few dozen rows instead of every deal of the pipeline. Triggers keep them,
-- so that no path that writes deals (the record engine, imports, stage
-- deletion, merges, bulk loads) can leave them behind. PostgreSQL spreads
-- each group over eight shards so that concurrent writers seldom wait on one
-- row; SQLite has one writer at a time, so every deal counts in shard 0.
CREATE TABLE deal_totals (
    workspace_id BLOB NOT NULL,
    pipeline_id BLOB NOT NULL,
    stage_id BLOB NOT NULL,
    currency TEXT NOT NULL,
    shard INTEGER NOT NULL,
    deals INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, pipeline_id, stage_id, currency, shard),
    FOREIGN KEY (workspace_id, pipeline_id, stage_id) REFERENCES stages (workspace_id, pipeline_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TRIGGER deal_totals_insert AFTER INSERT ON deals
BEGIN
    INSERT INTO deal_totals (workspace_id, pipeline_id, stage_id, currency, shard, deals, amount_minor)
    VALUES (NEW.workspace_id, NEW.pipeline_id, NEW.stage_id, NEW.currency, 0, 1, COALESCE(NEW.amount_minor, 0))
    ON CONFLICT (workspace_id, pipeline_id, stage_id, currency, shard)
    DO UPDATE SET deals = deals + excluded.deals, amount_minor = amount_minor + excluded.amount_minor;
END;

CREATE TRIGGER deal_totals_delete AFTER DELETE ON deals
BEGIN
    UPDATE deal_totals SET deals = deals - 1, amount_minor = amount_minor - COALESCE(OLD.amount_minor, 0)
    WHERE workspace_id = OLD.workspace_id AND pipeline_id = OLD.pipeline_id AND stage_id = OLD.stage_id
      AND currency = OLD.currency AND shard = 0;
END;

-- Most changes of a deal (its name, next step, owner) leave the totals alone.
CREATE TRIGGER deal_totals_update AFTER UPDATE OF workspace_id, pipeline_id, stage_id, currency, amount_minor ON deals
WHEN OLD.workspace_id IS NOT NEW.workspace_id OR OLD.pipeline_id IS NOT NEW.pipeline_id
  OR OLD.stage_id IS NOT NEW.stage_id OR OLD.currency IS NOT NEW.currency OR OLD.amount_minor IS NOT NEW.amount_minor
BEGIN
    UPDATE deal_totals SET deals = deals - 1, amount_minor = amount_minor - COALESCE(OLD.amount_minor, 0)
    WHERE workspace_id = OLD.workspace_id AND pipeline_id = OLD.pipeline_id AND stage_id = OLD.stage_id
      AND currency = OLD.currency AND shard = 0;
    INSERT INTO deal_totals (workspace_id, pipeline_id, stage_id, currency, shard, deals, amount_minor)
    VALUES (NEW.workspace_id, NEW.pipeline_id, NEW.stage_id, NEW.currency, 0, 1, COALESCE(NEW.amount_minor, 0))
    ON CONFLICT (workspace_id, pipeline_id, stage_id, currency, shard)
    DO UPDATE SET deals = deals + excluded.deals, amount_minor = amount_minor + excluded.amount_minor;
END;

INSERT INTO deal_totals (workspace_id, pipeline_id, stage_id, currency, shard, deals, amount_minor)
SELECT workspace_id, pipeline_id, stage_id, currency, 0, COUNT(*), COALESCE(SUM(amount_minor), 0)
FROM deals
WHERE true
GROUP BY workspace_id, pipeline_id, stage_id, currency;
