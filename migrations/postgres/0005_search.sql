-- The search index (PostgreSQL): one row per article, holding the FOLDED text of its title,
-- summary, topic names and body: diacritics removed (đ → d), lowercase, and every run of
-- characters other than a-z and 0-9 turned into one space (see src/search.rs), so the 'simple'
-- parser sees exactly the words SQLite's FTS5 sees. Loa writes it from Rust in the transaction of
-- every article write; searches join `articles` so only published, non-deleted articles are found.
create table search_index (
    article_id bigint primary key references articles (id) on delete cascade,
    title text not null,
    summary text not null,
    topics text not null,
    body text not null,
    doc tsvector not null
);

create index search_index_doc on search_index using gin (doc);
