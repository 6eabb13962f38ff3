-- Lists of the records linked to one record, for a large account's page.
-- Its people by name: the ids and names of its thousands of people are read
-- from this index alone (no table row) to pick the page, then only the
-- page's rows whole.
CREATE INDEX people_id_name ON people (workspace_id, id, name);
-- Its deals: the latest changed first, and their ids for the timeline's
-- changes, from the index alone.
DROP INDEX deals_organization;
CREATE INDEX deals_organization ON deals (workspace_id, organization_id, updated_at, id);
