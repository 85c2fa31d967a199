-- Evidence exports (SQLite): each export of an article's confirmation events, with the SHA-256 that
-- is shown on screen and written in the audit log, so a printed report can be matched with its
-- file. The file itself is kept only for a day (it may name citizens, whose data has a retention
-- period); the hash and who made it stay. PostgreSQL has the same in migrations/postgres.

create table evidence_exports (
    id integer primary key,
    article_id integer not null references articles (id) on delete cascade,
    format text not null check (format in ('csv', 'xlsx')),
    file_name text not null,
    sha256 text not null check (length(sha256) = 64),
    size integer not null,
    -- Events in the file.
    events integer not null,
    -- The bytes as sent; null once the day has passed.
    content blob,
    created_by integer references users (id) on delete set null,
    -- The exporter's e-mail at the time.
    created_by_label text not null,
    created_at text not null,
    updated_at text not null
);

create index evidence_exports_by_article on evidence_exports (article_id, id);
create index evidence_exports_with_content on evidence_exports (created_at) where content is not null;
