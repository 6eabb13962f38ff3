-- The board's counts and totals per stage are read from deals_stage_totals
-- alone (an index-only scan), but only for the table pages PostgreSQL's
-- visibility map marks all-visible: every other index entry costs a visit to
-- the row. Each change of a deal clears its page's mark until the next
-- vacuum, and by default autovacuum waits for a fifth of the table to change
-- (60,000 deals of 300,000): at a million people, after some 28,000 deals had
-- moved, the totals of the largest pipeline read 105,933 rows of 237,419
-- from the table and took 100 to 170 ms instead of 20 to 60. Vacuum deals
-- after one percent of them changed (or were added) instead, so the marks
-- come back soon after a burst of changes.
ALTER TABLE deals SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01
);
