-- Places (SQLite): the counters and one-stop desks where posters with QR codes hang, and the place
-- each citizen's confirmation came from. PostgreSQL has the same in migrations/postgres.

-- Defined in content/site.toml ([[places]]) or in the admin area. The slug is printed in QR codes
-- (?nguon=SLUG), so it never changes once posters are out; places are never deleted either.
create table places (
    id integer primary key,
    slug text not null unique,
    name text not null check (length(name) > 0),
    position integer not null default 0,
    created_at text not null,
    updated_at text not null
);

-- The place a citizen's confirmation came from (a poster's QR code), when the tag was known.
-- Unknown tags are never stored: only a foreign key.
alter table ack_events add column place_id integer references places (id) on delete restrict;

-- Anonymous counts by place, next to ack_citizen_counts (by locality): one row per article, Vietnam
-- day and place, only for confirmations that came with a place.
create table ack_citizen_place_counts (
    article_id integer not null references articles (id) on delete cascade,
    -- The Vietnam date, yyyy-mm-dd.
    day text not null,
    place_id integer not null references places (id) on delete restrict,
    confirmations integer not null default 0,
    primary key (article_id, day, place_id)
);
