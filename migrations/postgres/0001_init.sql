-- Loa's first schema (PostgreSQL). SQLite has the same tables in migrations/sqlite.
-- Times are written by Loa in UTC (never by the database clock), as timestamptz here.

-- The agency running the site: exactly one row, from content/site.toml.
create table site (
    id bigint primary key check (id = 1),
    name text not null check (length(name) > 0),
    short_name text not null default '',
    address text not null default '',
    phone text not null default '',
    email text not null default '',
    website text not null default '',
    created_at timestamptz not null,
    updated_at timestamptz not null
);

-- The agency's organisation chart; accounts and acknowledgment audiences point here later.
create table units (
    id bigint generated always as identity primary key,
    slug text not null unique,
    name text not null check (length(name) > 0),
    parent_id bigint references units (id) on delete restrict,
    position bigint not null default 0,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    check (parent_id is null or parent_id <> id)
);

-- District-level localities citizens choose from when they confirm reading.
create table localities (
    id bigint generated always as identity primary key,
    slug text not null unique,
    name text not null check (length(name) > 0),
    position bigint not null default 0,
    created_at timestamptz not null,
    updated_at timestamptz not null
);

create table topics (
    id bigint generated always as identity primary key,
    slug text not null unique,
    name text not null check (length(name) > 0),
    created_at timestamptz not null,
    updated_at timestamptz not null
);

create table articles (
    id bigint generated always as identity primary key,
    slug text not null unique,
    title text not null check (length(title) > 0),
    summary text not null default '',
    -- Markdown source, and what the rendering pipeline made of it. body_html, toc, word_count and
    -- reading_minutes are rewritten together whenever body changes, or when render_version is
    -- older than the pipeline's (see markdown::RENDER_VERSION).
    body text not null,
    body_html text not null,
    toc text not null default '[]',
    word_count bigint not null default 0,
    reading_minutes bigint not null default 1,
    render_version bigint not null,
    status text not null
        check (status in ('draft', 'review', 'scheduled', 'published', 'archived')),
    featured boolean not null default false,
    cover text,
    cover_alt text,
    -- When the article goes (or went) live, and when a campaign ends it.
    publish_at timestamptz,
    unpublish_at timestamptz,
    -- Optimistic locking: every update increments it; a save carries the version it started from.
    version bigint not null default 1 check (version >= 1),
    created_at timestamptz not null,
    updated_at timestamptz not null,
    check (status <> 'scheduled' or publish_at is not null),
    check (cover is null or (cover_alt is not null and length(cover_alt) > 0))
);

create index articles_by_status_date on articles (status, publish_at desc);

create table article_topics (
    article_id bigint not null references articles (id) on delete cascade,
    topic_id bigint not null references topics (id) on delete cascade,
    position bigint not null default 0,
    primary key (article_id, topic_id)
);

create index article_topics_by_topic on article_topics (topic_id);
