-- Indexes for what the public site and a signed-in header ask on every request (SQLite).
-- PostgreSQL has its own in migrations/postgres: the two planners need different shapes for the
-- same queries, and tests/it/query_plans.rs checks both.
--
-- Why not the partial indexes PostgreSQL gets: without `analyze` statistics (a fresh database
-- never has them) SQLite prefers any index with an equality on `status` over a partial index, and
-- then sorts every published row, reading each body to reach `publish_at` (columns after `body`
-- sit behind its overflow pages). So the equality index itself is made to serve the lists:
-- SQLite treats `deleted_at is null` as an equality, so after (status, deleted_at) the entries
-- are already in `publish_at desc, id desc` order, and slug and updated_at make the count and the
-- sitemap read the index alone.
drop index articles_by_status_date;
create index articles_by_status on articles
    (status, deleted_at, publish_at desc, id desc, slug, updated_at);

-- Whether an article is live, by id, from the index alone: a topic page counts its articles by
-- looking each of the topic's ids up here (the table row would mean walking past the body).
create index articles_live_ids on articles (status, deleted_at, id);

-- The home page's featured articles: three equalities, then the same order.
create index articles_featured on articles (featured, status, deleted_at, publish_at desc, id desc);

-- The scheduler's expiry check, every tick: without it, every published row is read.
create index articles_expiring on articles (status, deleted_at, unpublish_at)
    where unpublish_at is not null;

-- A topic's articles by topic, with the article id in the index so the membership test of the
-- topic page needs no table row.
drop index article_topics_by_topic;
create index article_topics_by_topic on article_topics (topic_id, article_id);

-- An audience is a unit and every unit below it (a recursive walk down `parent_id`), asked at
-- every confirmation and on every acknowledgment page.
create index units_by_parent on units (parent_id);

-- Every start asks for articles rendered by an older Markdown pipeline; without an index that
-- reads every article, bodies included, before the site answers its first request.
create index articles_by_render_version on articles (render_version);
