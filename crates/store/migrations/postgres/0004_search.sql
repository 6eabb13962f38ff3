-- Global search. Rapport folds and tokenizes text itself (domain/search.rs);
-- PostgreSQL indexes the tokens as a tsvector (prefix queries) and the folded
-- labels with pg_trgm (typo tolerance).

CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;

CREATE TABLE search_entries (
    workspace_id uuid NOT NULL,
    kind text NOT NULL,
    record_id uuid NOT NULL,
    label text NOT NULL,
    label_folded text NOT NULL,
    tokens text NOT NULL,
    fields jsonb NOT NULL,
    PRIMARY KEY (workspace_id, kind, record_id)
);
CREATE INDEX search_entries_tokens ON search_entries USING gin (array_to_tsvector(string_to_array(tokens, ' ')));
CREATE INDEX search_entries_trigrams ON search_entries USING gin (label_folded public.gin_trgm_ops);
