-- The vocabulary of the searchable names: the distinct words of every
-- record's name, title or subject, per workspace. A search whose words are
-- not all found is read as a typo: each unknown word is corrected against
-- this vocabulary (thousands of words) and the corrected words are searched
-- whole, through the tokens index. Before, the folded query was compared by
-- trigrams with every label of the workspace, which took seconds at a
-- million people; that label index goes, and with it its cost on every write.
CREATE TABLE search_words (
    workspace_id uuid NOT NULL,
    word text NOT NULL,
    PRIMARY KEY (workspace_id, word)
);
CREATE INDEX search_words_trigrams ON search_words USING gin (word public.gin_trgm_ops);

-- The words of an index row's name, title and subject, as Rapport tokenized
-- them (the `fields` of search_entries hold each field's tokens).
CREATE FUNCTION search_label_words(fields jsonb) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
    SELECT DISTINCT w FROM unnest(string_to_array(
        concat_ws(' ', fields->>'name', fields->>'title', fields->>'subject'), ' ')) AS w
    WHERE char_length(w) BETWEEN 2 AND 40
$$;

INSERT INTO search_words (workspace_id, word)
SELECT DISTINCT e.workspace_id, w FROM search_entries e, search_label_words(e.fields) AS w;

-- Words are added with the index rows that bring them, by statement (a bulk
-- load adds its words in a few statements per batch), and never removed
-- here: a word no record has any more only costs a correction that finds
-- nothing. Rebuilding the search index starts the vocabulary afresh.
CREATE FUNCTION search_words_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_words (workspace_id, word)
    SELECT DISTINCT n.workspace_id, w FROM new_rows n, search_label_words(n.fields) AS w
    -- In one order, so that two writers adding the same new words wait for
    -- each other instead of deadlocking.
    ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER search_words_on_insert AFTER INSERT ON search_entries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_words_add();
CREATE TRIGGER search_words_on_update AFTER UPDATE ON search_entries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_words_add();

DROP INDEX search_entries_trigrams;
