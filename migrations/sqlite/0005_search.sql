-- The search index (SQLite): one row per article (rowid = articles.id), holding the FOLDED text
-- of its title, summary, topic names and body: diacritics removed (đ → d), lowercase, and every
-- run of characters other than a-z and 0-9 turned into one space (see src/search.rs). Loa writes
-- it from Rust in the transaction of every article write; searches join `articles` so only
-- published, non-deleted articles are found. PostgreSQL has the same in migrations/postgres.
create virtual table search_index using fts5(
    title, summary, topics, body,
    tokenize = 'unicode61 remove_diacritics 2'
);
