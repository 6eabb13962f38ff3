-- PostgreSQL vacuums the deals table sooner from here on, so that the board's
-- totals stay an index-only scan (see the PostgreSQL migration). SQLite's
-- covering indexes need no such care: nothing to change.
SELECT 1;
