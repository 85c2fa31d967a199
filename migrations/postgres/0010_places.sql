-- Places (PostgreSQL): the counters and one-stop desks where posters with QR codes hang, and the
-- place each citizen's confirmation came from. SQLite has the same in migrations/sqlite.

-- Defined in content/site.toml ([[places]]) or in the admin area. The slug is printed in QR codes
-- (?nguon=SLUG), so it never changes once posters are out; places are never deleted either.
create table places (
    id bigint generated always as identity primary key,
    slug text not null unique,
    name text not null check (length(name) > 0),
    position bigint not null default 0,
    created_at timestamptz not null,
    updated_at timestamptz not null
);

-- The place a citizen's confirmation came from (a poster's QR code), when the tag was known.
-- Unknown tags are never stored: only a foreign key.
alter table ack_events add column place_id bigint references places (id) on delete restrict;

-- Anonymous counts by place, next to ack_citizen_counts (by locality): one row per article, Vietnam
-- day and place, only for confirmations that came with a place.
create table ack_citizen_place_counts (
    article_id bigint not null references articles (id) on delete cascade,
    -- The Vietnam date, yyyy-mm-dd.
    day text not null,
    place_id bigint not null references places (id) on delete restrict,
    confirmations bigint not null default 0,
    primary key (article_id, day, place_id)
);
