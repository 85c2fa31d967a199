-- Secret preview links expire (issue 11): a link works until this time (LOA_PREVIEW_LINK_DAYS
-- after it was made). Links made before this column existed have none, and so no longer work:
-- they were never meant to last for ever.
alter table articles add column preview_expires_at timestamptz;
