-- Every organization's activities by time: those linked to it and those
-- linked to one of its people, one row per (organization, activity). An
-- account's timeline reads its newest activities from this index instead of
-- collecting them through its people (at a million people, a large account
-- has 2,900 people and 26,000 activities, and the walk over the workspace's
-- newest activities took 36 ms). Triggers keep it, so that every path that
-- writes links or activities (the record engine, imports, merges, bulk
-- loads) keeps it too; a row exists exactly while an activity has a path to
-- the organization: a direct link, or a link to a person linked to it.
CREATE TABLE account_activities (
    workspace_id uuid NOT NULL,
    activity_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, activity_id, organization_id)
);
CREATE INDEX account_activities_by_time ON account_activities (workspace_id, organization_id, occurred_at, activity_id);

-- Whether an activity reaches an organization, directly or through a person.
-- Each lookup is one index probe: `OFFSET 0` keeps the planner from turning
-- an EXISTS into a join it would plan from the statistics of the moment
-- (during a bulk load, those of nearly empty tables).
CREATE FUNCTION account_activity_path(ws uuid, org uuid, act uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM record_links d
        WHERE d.workspace_id = ws AND d.from_kind = 'activity' AND d.from_id = act
          AND d.to_kind = 'organization' AND d.to_id = org
        OFFSET 0
    ) OR EXISTS (
        SELECT 1 FROM record_links ap
        WHERE ap.workspace_id = ws AND ap.from_kind = 'activity' AND ap.from_id = act AND ap.to_kind || '' = 'person'
          AND EXISTS (
              SELECT 1 FROM record_links po
              WHERE po.workspace_id = ws AND po.from_kind = 'person' AND po.from_id = ap.to_id
                AND po.to_kind = 'organization' AND po.to_id = org
              OFFSET 0)
        OFFSET 0
    )
$$;

-- Statement-level, with the changed links as transition tables, so that a
-- bulk load of a million links runs a few statements per batch rather than
-- a million calls. The planner knows neither a transition table's size nor,
-- during a bulk load, the links' (its statistics lag far behind), and it
-- joined them the wrong way round: a load of 100,000 people slowed to 25 s
-- per batch of 5,000. So each changed row is looked up by index in a LATERAL
-- subquery that `OFFSET 0` keeps apart, and the statements run through
-- EXECUTE, planned on each call rather than once per connection. A link's
-- targets, known by its origin, are read from the primary key: `to_kind || ''`
-- keeps the planner off the target index, which it took for as cheap and
-- which then read every link to an organization for each changed row.
CREATE FUNCTION account_activities_track_links() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wss uuid[];
    orgs uuid[];
    acts uuid[];
BEGIN
    -- Most links (a deal's people, a task's records) concern no account: a
    -- plain, cached check spares their statements the planning below. (An
    -- expression naming a transition table fails where there is none, so
    -- TG_OP is tested apart.)
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
    IF EXISTS (
        SELECT 1 FROM old_links o WHERE (o.from_kind = 'activity' AND o.to_kind IN ('organization', 'person'))
            OR (o.from_kind = 'person' AND o.to_kind = 'organization')
    ) THEN
        -- The pairs a removed link may have joined: its own, and those it made
        -- with the links still there or removed in the same statement.
        EXECUTE $sql$
        SELECT array_agg(p.ws), array_agg(p.org), array_agg(p.act)
        FROM (
            SELECT o.workspace_id AS ws, o.to_id AS org, o.from_id AS act FROM old_links o
            WHERE o.from_kind = 'activity' AND o.to_kind = 'organization'
            UNION
            SELECT o.workspace_id, po.to_id, o.from_id FROM old_links o
            CROSS JOIN LATERAL (
                SELECT l.to_id FROM record_links l
                WHERE l.workspace_id = o.workspace_id AND l.from_kind = 'person' AND l.from_id = o.to_id
                  AND l.to_kind || '' = 'organization'
                OFFSET 0) po
            WHERE o.from_kind = 'activity' AND o.to_kind = 'person'
            UNION
            SELECT o.workspace_id, po.to_id, o.from_id FROM old_links o
            JOIN old_links po ON po.workspace_id = o.workspace_id AND po.from_kind = 'person'
                AND po.from_id = o.to_id AND po.to_kind = 'organization'
            WHERE o.from_kind = 'activity' AND o.to_kind = 'person'
            UNION
            SELECT o.workspace_id, o.to_id, ap.from_id FROM old_links o
            CROSS JOIN LATERAL (
                SELECT l.from_id FROM record_links l
                WHERE l.workspace_id = o.workspace_id AND l.to_kind = 'person' AND l.to_id = o.from_id
                  AND l.from_kind = 'activity'
                OFFSET 0) ap
            WHERE o.from_kind = 'person' AND o.to_kind = 'organization'
        ) p
        $sql$ INTO wss, orgs, acts;
        IF wss IS NOT NULL THEN
            -- Lock the kept rows first, so that a writer adding a path to one of
            -- them commits before the check below, which (a new statement) sees it.
            EXECUTE $sql$
            SELECT 1 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS p(ws, org, act)
            CROSS JOIN LATERAL (
                SELECT 1 FROM account_activities aa
                WHERE aa.workspace_id = p.ws AND aa.activity_id = p.act AND aa.organization_id = p.org
                FOR UPDATE) l
            $sql$ USING wss, orgs, acts;
            EXECUTE $sql$
            DELETE FROM account_activities WHERE ctid = ANY (ARRAY(
                SELECT aa.ctid FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS p(ws, org, act)
                CROSS JOIN LATERAL (
                    SELECT aa.ctid FROM account_activities aa
                    WHERE aa.workspace_id = p.ws AND aa.activity_id = p.act AND aa.organization_id = p.org
                    OFFSET 0) aa
                WHERE NOT account_activity_path(p.ws, p.org, p.act)))
            $sql$ USING wss, orgs, acts;
        END IF;
    END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF EXISTS (
        SELECT 1 FROM new_links n WHERE (n.from_kind = 'activity' AND n.to_kind IN ('organization', 'person'))
            OR (n.from_kind = 'person' AND n.to_kind = 'organization')
    ) THEN
        -- A new link only adds paths: its own, and those it makes with the links there.
        EXECUTE $sql$
        INSERT INTO account_activities (workspace_id, activity_id, organization_id, occurred_at)
        SELECT p.ws, p.act, p.org, a.occurred_at
        FROM (
            SELECT n.workspace_id AS ws, n.to_id AS org, n.from_id AS act FROM new_links n
            WHERE n.from_kind = 'activity' AND n.to_kind = 'organization'
            UNION
            SELECT n.workspace_id, po.to_id, n.from_id FROM new_links n
            CROSS JOIN LATERAL (
                SELECT l.to_id FROM record_links l
                WHERE l.workspace_id = n.workspace_id AND l.from_kind = 'person' AND l.from_id = n.to_id
                  AND l.to_kind || '' = 'organization'
                OFFSET 0) po
            WHERE n.from_kind = 'activity' AND n.to_kind = 'person'
            UNION
            SELECT n.workspace_id, n.to_id, ap.from_id FROM new_links n
            CROSS JOIN LATERAL (
                SELECT l.from_id FROM record_links l
                WHERE l.workspace_id = n.workspace_id AND l.to_kind = 'person' AND l.to_id = n.from_id
                  AND l.from_kind = 'activity'
                OFFSET 0) ap
            WHERE n.from_kind = 'person' AND n.to_kind = 'organization'
        ) p
        CROSS JOIN LATERAL (
            SELECT x.occurred_at FROM activities x WHERE x.workspace_id = p.ws AND x.id = p.act OFFSET 0
        ) a
        ORDER BY 1, 2, 3
        -- Touching a kept row locks it against a removal checking it at the same time.
        ON CONFLICT (workspace_id, activity_id, organization_id) DO UPDATE SET occurred_at = excluded.occurred_at
        $sql$;
    END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER account_activities_links_insert AFTER INSERT ON record_links
    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION account_activities_track_links();
CREATE TRIGGER account_activities_links_update AFTER UPDATE ON record_links
    REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION account_activities_track_links();
CREATE TRIGGER account_activities_links_delete AFTER DELETE ON record_links
    REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT EXECUTE FUNCTION account_activities_track_links();

-- An activity written after its links (a bulk load writes tables in batches)
-- joins the organizations those links reach, looked up as above.
CREATE FUNCTION account_activities_activities_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $sql$
    INSERT INTO account_activities (workspace_id, activity_id, organization_id, occurred_at)
    SELECT p.ws, p.act, p.org, p.occurred_at
    FROM (
        SELECT a.workspace_id AS ws, a.id AS act, d.to_id AS org, a.occurred_at FROM new_activities a
        CROSS JOIN LATERAL (
            SELECT l.to_id FROM record_links l
            WHERE l.workspace_id = a.workspace_id AND l.from_kind = 'activity' AND l.from_id = a.id
              AND l.to_kind || '' = 'organization'
            OFFSET 0) d
        UNION
        SELECT a.workspace_id, a.id, po.to_id, a.occurred_at FROM new_activities a
        CROSS JOIN LATERAL (
            SELECT l.to_id AS person FROM record_links l
            WHERE l.workspace_id = a.workspace_id AND l.from_kind = 'activity' AND l.from_id = a.id
              AND l.to_kind || '' = 'person'
            OFFSET 0) ap
        CROSS JOIN LATERAL (
            SELECT l.to_id FROM record_links l
            WHERE l.workspace_id = a.workspace_id AND l.from_kind = 'person' AND l.from_id = ap.person
              AND l.to_kind || '' = 'organization'
            OFFSET 0) po
    ) p
    ORDER BY 1, 2, 3
    ON CONFLICT (workspace_id, activity_id, organization_id) DO UPDATE SET occurred_at = excluded.occurred_at
    $sql$;
    RETURN NULL;
END $$;

CREATE TRIGGER account_activities_activity_insert AFTER INSERT ON activities
    REFERENCING NEW TABLE AS new_activities FOR EACH STATEMENT EXECUTE FUNCTION account_activities_activities_inserted();

-- A moved activity moves in the index; a removed one leaves it. Activities
-- change one at a time, so these run per row, found by the primary key.
CREATE FUNCTION account_activities_activity_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        UPDATE account_activities SET occurred_at = NEW.occurred_at
        WHERE workspace_id = NEW.workspace_id AND activity_id = NEW.id;
    ELSE
        DELETE FROM account_activities WHERE workspace_id = OLD.workspace_id AND activity_id = OLD.id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER account_activities_activity_update AFTER UPDATE ON activities
    FOR EACH ROW WHEN (OLD.occurred_at IS DISTINCT FROM NEW.occurred_at)
    EXECUTE FUNCTION account_activities_activity_changed();
CREATE TRIGGER account_activities_activity_delete AFTER DELETE ON activities
    FOR EACH ROW EXECUTE FUNCTION account_activities_activity_changed();

INSERT INTO account_activities (workspace_id, activity_id, organization_id, occurred_at)
SELECT a.workspace_id, a.id, d.to_id, a.occurred_at FROM activities a
JOIN record_links d ON d.workspace_id = a.workspace_id AND d.from_kind = 'activity'
    AND d.from_id = a.id AND d.to_kind = 'organization'
UNION
SELECT a.workspace_id, a.id, po.to_id, a.occurred_at FROM activities a
JOIN record_links ap ON ap.workspace_id = a.workspace_id AND ap.from_kind = 'activity'
    AND ap.from_id = a.id AND ap.to_kind = 'person'
JOIN record_links po ON po.workspace_id = ap.workspace_id AND po.from_kind = 'person'
    AND po.from_id = ap.to_id AND po.to_kind = 'organization';
