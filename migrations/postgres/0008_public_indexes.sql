-- Indexes for what the public site and a signed-in header ask on every request (PostgreSQL).
-- SQLite has its own in migrations/sqlite: the two planners need different shapes for the same
-- queries, and tests/it/query_plans.rs checks both.
--
-- PostgreSQL does not take `deleted_at is null` as an equality for ordering, so an index on
-- (status, deleted_at, publish_at) would still sort every published row: the lists read partial
-- indexes over exactly the live articles instead, in the order the pages show them. The count
-- and the sitemap are index-only scans (slug and updated_at included).
create index articles_live on articles (publish_at desc, id desc) include (slug, updated_at)
    where status = 'published' and deleted_at is null;

create index articles_featured on articles (publish_at desc, id desc)
    where status = 'published' and deleted_at is null and featured;

-- Whether an article is live, by id: a topic page counts its articles by looking each of the
-- topic's ids up here, an index-only probe.
create index articles_live_ids on articles (id) where status = 'published' and deleted_at is null;

-- The scheduler's expiry check, every tick.
create index articles_expiring on articles (status, deleted_at, unpublish_at)
    where unpublish_at is not null;

-- A topic's articles by topic, with the article id in the index so the topic page's membership
-- test is an index-only probe.
drop index article_topics_by_topic;
create index article_topics_by_topic on article_topics (topic_id, article_id);

-- An audience is a unit and every unit below it (a recursive walk down `parent_id`), asked at
-- every confirmation and on every acknowledgment page.
create index units_by_parent on units (parent_id);

-- Every start asks for articles rendered by an older Markdown pipeline; without an index that
-- reads every article, bodies included, before the site answers its first request.
create index articles_by_render_version on articles (render_version);
