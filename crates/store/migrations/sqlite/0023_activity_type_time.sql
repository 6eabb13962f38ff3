-- Activities of one type in time order: the calendar's meetings of a day
-- (its first ones, and a count read from this index alone) and the
-- activities list filtered by type and sorted by time. The time index alone
-- made both read every activity of the period to keep the meetings.
CREATE INDEX activities_type_time ON activities (workspace_id, type, occurred_at, id);
