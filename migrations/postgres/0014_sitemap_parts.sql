-- The sitemap's files of articles (issue 10): `/sitemap-bai-viet-N.xml` holds the live articles
-- with ids in one block of 1,000, read by an id range in id order. The partial index of live
-- articles by id gains the two columns a sitemap line shows, so that range (and the block summary
-- of `/sitemap.xml`) is an index-only scan. It keeps its name and its key, so the topic page's
-- membership probe reads it as before.
drop index articles_live_ids;
create index articles_live_ids on articles (id) include (slug, updated_at)
    where status = 'published' and deleted_at is null;
