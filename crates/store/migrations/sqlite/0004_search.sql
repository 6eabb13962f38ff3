-- Global search. Rapport folds and tokenizes text itself (domain/search.rs);
-- SQLite indexes the tokens with FTS5 (prefix queries) and the folded labels
-- with FTS5 trigrams (typo tolerance). The FTS tables follow search_entries
-- through triggers.

CREATE TABLE search_entries (
    doc_id INTEGER PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    record_id BLOB NOT NULL,
    label TEXT NOT NULL,
    label_folded TEXT NOT NULL,
    tokens TEXT NOT NULL,
    fields TEXT NOT NULL,
    UNIQUE (workspace_id, kind, record_id)
);

CREATE VIRTUAL TABLE search_fts USING fts5(
    tokens, content = 'search_entries', content_rowid = 'doc_id',
    tokenize = "unicode61 tokenchars '@.-_+'", prefix = '2 3'
);
CREATE VIRTUAL TABLE search_trigrams USING fts5(
    label_folded, content = 'search_entries', content_rowid = 'doc_id', tokenize = 'trigram'
);

CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN
    INSERT INTO search_fts (rowid, tokens) VALUES (new.doc_id, new.tokens);
    INSERT INTO search_trigrams (rowid, label_folded) VALUES (new.doc_id, new.label_folded);
END;
CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN
    INSERT INTO search_fts (search_fts, rowid, tokens) VALUES ('delete', old.doc_id, old.tokens);
    INSERT INTO search_trigrams (search_trigrams, rowid, label_folded) VALUES ('delete', old.doc_id, old.label_folded);
END;
CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN
    INSERT INTO search_fts (search_fts, rowid, tokens) VALUES ('delete', old.doc_id, old.tokens);
    INSERT INTO search_trigrams (search_trigrams, rowid, label_folded) VALUES ('delete', old.doc_id, old.label_folded);
    INSERT INTO search_fts (rowid, tokens) VALUES (new.doc_id, new.tokens);
    INSERT INTO search_trigrams (rowid, label_folded) VALUES (new.doc_id, new.label_folded);
END;
