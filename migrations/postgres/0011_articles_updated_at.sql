-- Feeds say when they last changed (`Last-Modified`) from the latest change of any article,
-- deleted or not; this index makes that `max(updated_at)` one index lookup, not a table scan.
create index articles_updated_at on articles (updated_at);
