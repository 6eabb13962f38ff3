-- The vocabulary of the searchable names: the distinct words of every
-- record's name, title or subject, per workspace. A search whose words are
-- not all found is read as a typo: each unknown word is corrected against
-- this vocabulary (thousands of words, through FTS5 trigrams) and the
-- corrected words are searched whole. Before, the folded query was compared
-- by trigrams with every label; that label index goes, and with it its cost
-- on every write.
CREATE TABLE search_words (
    id INTEGER PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    word TEXT NOT NULL,
    UNIQUE (workspace_id, word)
);
CREATE VIRTUAL TABLE search_words_trigrams USING fts5(
    word, content = 'search_words', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER search_words_ai AFTER INSERT ON search_words BEGIN
    INSERT INTO search_words_trigrams (rowid, word) VALUES (new.id, new.word);
END;
CREATE TRIGGER search_words_ad AFTER DELETE ON search_words BEGIN
    INSERT INTO search_words_trigrams (search_words_trigrams, rowid, word) VALUES ('delete', old.id, old.word);
END;

-- The words of each index row's name, title and subject as Rapport
-- tokenized them (`fields` holds each field's tokens, space-separated).
-- Tokens are folded to ASCII letters, digits and `@.-_+`, so they are JSON
-- strings as they are.
CREATE VIEW search_entry_words AS
SELECT DISTINCT e.doc_id, e.workspace_id, w.value AS word
FROM search_entries e,
     json_each('["' || replace(COALESCE(json_extract(e.fields, '$.name'), '') || ' ' || COALESCE(json_extract(e.fields, '$.title'), '')
                                     || ' ' || COALESCE(json_extract(e.fields, '$.subject'), ''), ' ', '","') || '"]') AS w
WHERE length(w.value) BETWEEN 2 AND 40;

INSERT OR IGNORE INTO search_words (workspace_id, word) SELECT workspace_id, word FROM search_entry_words ORDER BY 1, 2;

-- Words are added with the index rows that bring them and never removed
-- here: a word no record has any more only costs a correction that finds
-- nothing. Rebuilding the search index starts the vocabulary afresh. (Not
-- `INSERT OR IGNORE`: the conflict policy of the statement that fires a
-- trigger overrides its own, and the index rows are written by upsert.)
CREATE TRIGGER search_words_from_insert AFTER INSERT ON search_entries BEGIN
    INSERT INTO search_words (workspace_id, word)
    SELECT v.workspace_id, v.word FROM search_entry_words v WHERE v.doc_id = new.doc_id
      AND NOT EXISTS (SELECT 1 FROM search_words x WHERE x.workspace_id = v.workspace_id AND x.word = v.word);
END;
CREATE TRIGGER search_words_from_update AFTER UPDATE OF fields ON search_entries BEGIN
    INSERT INTO search_words (workspace_id, word)
    SELECT v.workspace_id, v.word FROM search_entry_words v WHERE v.doc_id = new.doc_id
      AND NOT EXISTS (SELECT 1 FROM search_words x WHERE x.workspace_id = v.workspace_id AND x.word = v.word);
END;

-- The labels' trigram index is no longer read.
DROP TRIGGER search_entries_ai;
DROP TRIGGER search_entries_ad;
DROP TRIGGER search_entries_au;
DROP TABLE search_trigrams;
CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN
    INSERT INTO search_fts (rowid, tokens) VALUES (new.doc_id, new.tokens);
END;
CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN
    INSERT INTO search_fts (search_fts, rowid, tokens) VALUES ('delete', old.doc_id, old.tokens);
END;
CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN
    INSERT INTO search_fts (search_fts, rowid, tokens) VALUES ('delete', old.doc_id, old.tokens);
    INSERT INTO search_fts (rowid, tokens) VALUES (new.doc_id, new.tokens);
END;
