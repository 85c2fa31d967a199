-- Campaigns (SQLite): a period, an ordered list of articles, a staff target and a citizen target.
-- PostgreSQL has the same in migrations/postgres. Progress is never stored: it is derived from
-- the acknowledgment events (see src/db/campaigns/progress.rs).

create table campaigns (
    id integer primary key,
    slug text not null unique,
    name text not null check (length(name) > 0),
    description text not null default '',
    -- The period, as Vietnam dates yyyy-mm-dd, both ends included. Text on both databases, like
    -- the citizens' day counts (ack_citizen_counts.day) they are compared with.
    starts_on text not null check (starts_on glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    ends_on text not null check (ends_on glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    -- The share of each article's staff audience that should confirm, in percent.
    staff_target_percent integer not null default 100
        check (staff_target_percent between 0 and 100),
    -- The number of citizens' confirmations aimed at over the period.
    citizen_target integer not null default 0 check (citizen_target >= 0),
    -- Whether /chien-dich/{slug} shows it to everyone (articles and anonymous counts only).
    is_public boolean not null default false,
    created_at text not null,
    updated_at text not null,
    check (starts_on <= ends_on)
);

-- The campaign's articles, in reading order. Rewritten as a whole when the list changes.
create table campaign_articles (
    campaign_id integer not null references campaigns (id) on delete cascade,
    article_id integer not null references articles (id) on delete cascade,
    position integer not null check (position >= 0),
    primary key (campaign_id, article_id),
    unique (campaign_id, position)
);

create index campaign_articles_by_article on campaign_articles (article_id);

-- "Standing" confirmations (no revocation names them) are asked for on every status query; with
-- tens of thousands of events the revocation lookup needs its own index.
create index ack_events_by_revoked on ack_events (revokes_id) where revokes_id is not null;
