-- Every organization's activities by time: those linked to it and those
-- linked to one of its people, one row per (organization, activity). An
-- account's timeline reads its newest activities from this index instead of
-- collecting them through its people. Triggers keep it, so that every path
-- that writes links or activities (the record engine, imports, merges, bulk
-- loads) keeps it too; a row exists exactly while an activity has a path to
-- the organization: a direct link, or a link to a person linked to it.
-- SQLite's triggers run per row and see the table as each row leaves it, so
-- each row's change is settled on its own.
CREATE TABLE account_activities (
    workspace_id BLOB NOT NULL,
    activity_id BLOB NOT NULL,
    organization_id BLOB NOT NULL,
    occurred_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, activity_id, organization_id)
) WITHOUT ROWID;
CREATE INDEX account_activities_by_time ON account_activities (workspace_id, organization_id, occurred_at, activity_id);

-- The paths from activities to organizations: a direct link, or one through
-- a person. CROSS JOIN keeps SQLite to this order (the activity's people,
-- then each one's organizations): the other way round it read every link to
-- an organization for each activity written. A unary `+` below keeps it off
-- the target index where a link's origin is known, for the same reason.
CREATE VIEW account_activity_paths AS
SELECT d.workspace_id, d.to_id AS organization_id, d.from_id AS activity_id FROM record_links d
WHERE d.from_kind = 'activity' AND d.to_kind = 'organization'
UNION ALL
SELECT ap.workspace_id, po.to_id, ap.from_id FROM record_links ap
CROSS JOIN record_links po ON po.workspace_id = ap.workspace_id AND po.from_kind = 'person'
    AND po.from_id = ap.to_id AND po.to_kind = 'organization'
WHERE ap.from_kind = 'activity' AND ap.to_kind = 'person';

-- A new link only adds paths: its own, and those it makes with the links there.
CREATE TRIGGER account_activities_links_insert AFTER INSERT ON record_links
WHEN (NEW.from_kind = 'activity' AND NEW.to_kind IN ('organization', 'person')) OR (NEW.from_kind = 'person' AND NEW.to_kind = 'organization')
BEGIN
    INSERT OR IGNORE INTO account_activities (workspace_id, activity_id, organization_id, occurred_at)
    SELECT a.workspace_id, a.id, NEW.to_id, a.occurred_at FROM activities a
    WHERE NEW.from_kind = 'activity' AND NEW.to_kind = 'organization'
      AND a.workspace_id = NEW.workspace_id AND a.id = NEW.from_id;
    INSERT OR IGNORE INTO account_activities (workspace_id, activity_id, organization_id, occurred_at)
    SELECT a.workspace_id, a.id, po.to_id, a.occurred_at FROM activities a
    JOIN record_links po ON po.workspace_id = a.workspace_id AND po.from_kind = 'person'
        AND po.from_id = NEW.to_id AND +po.to_kind = 'organization'
    WHERE NEW.from_kind = 'activity' AND NEW.to_kind = 'person'
      AND a.workspace_id = NEW.workspace_id AND a.id = NEW.from_id;
    INSERT OR IGNORE INTO account_activities (workspace_id, activity_id, organization_id, occurred_at)
    SELECT a.workspace_id, a.id, NEW.to_id, a.occurred_at FROM record_links ap
    JOIN activities a ON a.workspace_id = ap.workspace_id AND a.id = ap.from_id
    WHERE NEW.from_kind = 'person' AND NEW.to_kind = 'organization'
      AND ap.workspace_id = NEW.workspace_id AND ap.to_kind = 'person' AND ap.to_id = NEW.from_id
      AND ap.from_kind = 'activity';
END;

-- A removed link may end the paths it was part of: each is checked again.
CREATE TRIGGER account_activities_links_delete AFTER DELETE ON record_links
WHEN (OLD.from_kind = 'activity' AND OLD.to_kind IN ('organization', 'person')) OR (OLD.from_kind = 'person' AND OLD.to_kind = 'organization')
BEGIN
    DELETE FROM account_activities
    WHERE OLD.from_kind = 'activity' AND OLD.to_kind = 'organization'
      AND workspace_id = OLD.workspace_id AND activity_id = OLD.from_id AND organization_id = OLD.to_id
      AND NOT EXISTS (SELECT 1 FROM account_activity_paths p WHERE p.workspace_id = account_activities.workspace_id
          AND p.organization_id = account_activities.organization_id AND p.activity_id = account_activities.activity_id);
    DELETE FROM account_activities
    WHERE OLD.from_kind = 'activity' AND OLD.to_kind = 'person'
      AND workspace_id = OLD.workspace_id AND activity_id = OLD.from_id
      AND organization_id IN (SELECT po.to_id FROM record_links po WHERE po.workspace_id = OLD.workspace_id
          AND po.from_kind = 'person' AND po.from_id = OLD.to_id AND +po.to_kind = 'organization')
      AND NOT EXISTS (SELECT 1 FROM account_activity_paths p WHERE p.workspace_id = account_activities.workspace_id
          AND p.organization_id = account_activities.organization_id AND p.activity_id = account_activities.activity_id);
    DELETE FROM account_activities
    WHERE OLD.from_kind = 'person' AND OLD.to_kind = 'organization'
      AND workspace_id = OLD.workspace_id AND organization_id = OLD.to_id
      AND activity_id IN (SELECT ap.from_id FROM record_links ap WHERE ap.workspace_id = OLD.workspace_id
          AND ap.to_kind = 'person' AND ap.to_id = OLD.from_id AND ap.from_kind = 'activity')
      AND NOT EXISTS (SELECT 1 FROM account_activity_paths p WHERE p.workspace_id = account_activities.workspace_id
          AND p.organization_id = account_activities.organization_id AND p.activity_id = account_activities.activity_id);
END;

-- A changed link (a merge moves links to the surviving record) is both.
CREATE TRIGGER account_activities_links_update AFTER UPDATE ON record_links
WHEN (OLD.from_kind = 'activity' AND OLD.to_kind IN ('organization', 'person')) OR (OLD.from_kind = 'person' AND OLD.to_kind = 'organization') OR (NEW.from_kind = 'activity' AND NEW.to_kind IN ('organization', 'person')) OR (NEW.from_kind = 'person' AND NEW.to_kind = 'organization')
BEGIN
    DELETE FROM account_activities
    WHERE OLD.from_kind = 'activity' AND OLD.to_kind = 'organization'
      AND workspace_id = OLD.workspace_id AND activity_id = OLD.from_id AND organization_id = OLD.to_id
      AND NOT EXISTS (SELECT 1 FROM account_activity_paths p WHERE p.workspace_id = account_activities.workspace_id
          AND p.organization_id = account_activities.organization_id AND p.activity_id = account_activities.activity_id);
    DELETE FROM account_activities
    WHERE OLD.from_kind = 'activity' AND OLD.to_kind = 'person'
      AND workspace_id = OLD.workspace_id AND activity_id = OLD.from_id
      AND organization_id IN (SELECT po.to_id FROM record_links po WHERE po.workspace_id = OLD.workspace_id
          AND po.from_kind = 'person' AND po.from_id = OLD.to_id AND +po.to_kind = 'organization')
      AND NOT EXISTS (SELECT 1 FROM account_activity_paths p WHERE p.workspace_id = account_activities.workspace_id
          AND p.organization_id = account_activities.organization_id AND p.activity_id = account_activities.activity_id);
    DELETE FROM account_activities
    WHERE OLD.from_kind = 'person' AND OLD.to_kind = 'organization'
      AND workspace_id = OLD.workspace_id AND organization_id = OLD.to_id
      AND activity_id IN (SELECT ap.from_id FROM record_links ap WHERE ap.workspace_id = OLD.workspace_id
          AND ap.to_kind = 'person' AND ap.to_id = OLD.from_id AND ap.from_kind = 'activity')
      AND NOT EXISTS (SELECT 1 FROM account_activity_paths p WHERE p.workspace_id = account_activities.workspace_id
          AND p.organization_id = account_activities.organization_id AND p.activity_id = account_activities.activity_id);
    INSERT OR IGNORE INTO account_activities (workspace_id, activity_id, organization_id, occurred_at)
    SELECT a.workspace_id, a.id, NEW.to_id, a.occurred_at FROM activities a
    WHERE NEW.from_kind = 'activity' AND NEW.to_kind = 'organization'
      AND a.workspace_id = NEW.workspace_id AND a.id = NEW.from_id;
    INSERT OR IGNORE INTO account_activities (workspace_id, activity_id, organization_id, occurred_at)
    SELECT a.workspace_id, a.id, po.to_id, a.occurred_at FROM activities a
    JOIN record_links po ON po.workspace_id = a.workspace_id AND po.from_kind = 'person'
        AND po.from_id = NEW.to_id AND +po.to_kind = 'organization'
    WHERE NEW.from_kind = 'activity' AND NEW.to_kind = 'person'
      AND a.workspace_id = NEW.workspace_id AND a.id = NEW.from_id;
    INSERT OR IGNORE INTO account_activities (workspace_id, activity_id, organization_id, occurred_at)
    SELECT a.workspace_id, a.id, NEW.to_id, a.occurred_at FROM record_links ap
    JOIN activities a ON a.workspace_id = ap.workspace_id AND a.id = ap.from_id
    WHERE NEW.from_kind = 'person' AND NEW.to_kind = 'organization'
      AND ap.workspace_id = NEW.workspace_id AND ap.to_kind = 'person' AND ap.to_id = NEW.from_id
      AND ap.from_kind = 'activity';
END;

-- An activity written after its links (a bulk load writes tables in batches)
-- joins the organizations those links reach; a moved activity moves in the
-- index; a removed one leaves it.
CREATE TRIGGER account_activities_activity_insert AFTER INSERT ON activities
BEGIN
    INSERT OR IGNORE INTO account_activities (workspace_id, activity_id, organization_id, occurred_at)
    SELECT p.workspace_id, p.activity_id, p.organization_id, NEW.occurred_at FROM account_activity_paths p
    WHERE p.workspace_id = NEW.workspace_id AND p.activity_id = NEW.id;
END;

CREATE TRIGGER account_activities_activity_update AFTER UPDATE OF occurred_at ON activities
WHEN OLD.occurred_at IS NOT NEW.occurred_at
BEGIN
    UPDATE account_activities SET occurred_at = NEW.occurred_at
    WHERE workspace_id = NEW.workspace_id AND activity_id = NEW.id;
END;

CREATE TRIGGER account_activities_activity_delete AFTER DELETE ON activities
BEGIN
    DELETE FROM account_activities WHERE workspace_id = OLD.workspace_id AND activity_id = OLD.id;
END;

INSERT OR IGNORE INTO account_activities (workspace_id, activity_id, organization_id, occurred_at)
SELECT a.workspace_id, a.id, p.organization_id, a.occurred_at FROM account_activity_paths p
JOIN activities a ON a.workspace_id = p.workspace_id AND a.id = p.activity_id;
